#!/usr/bin/env python3
"""A throw-away single-node Slurm cluster on this machine, to try ``workflow/profiles/slurm`` for real.

Needs the Debian/Ubuntu Slurm packages (Slurm 22.05 on Debian 12, no configuration of them is used)::

    sudo apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge

Then, from the checkout::

    .venv/bin/python workflow/local_slurm.py                 # the tiny subset below, in a temporary folder
    .venv/bin/python workflow/local_slurm.py --workdir run_slurm -- --configfile config/config.yaml
    .venv/bin/python workflow/local_slurm.py --shell         # keep the cluster up; prints SLURM_CONF/PATH to export

Without arguments after ``--`` it runs a subset of the tiny test workflow (``tests/workflow/tiny``) through the
profile: the generation chunks bundled into one cluster job, the per-chunk feature selection and merging
bundled into one analysis job, the dataset job, and two training jobs with their own resources (the network
on the ``gpu`` partition with ``--gpus=1``, the BDT with 4 CPUs), then prints ``squeue`` of the finished jobs.
``tests/workflow/test_slurm.py`` does the same and checks the outputs (``pytest -m slurm``).

Everything lives in one temporary folder: a fresh munge key, ``slurm.conf`` (one node ``CPUS`` x
``MEM_MB`` with one fake GPU, partitions ``standard`` and ``gpu`` as the profile expects, no accounting, free
ports), state, spool and logs. The daemons (munged, slurmctld -D, slurmd -D) are children of this process,
stopped by PID on exit (also on Ctrl-C or SIGTERM); nothing under /etc is read or written, and they run as your
user (root is needed only for the apt-get above; tested as root and as ``nobody``). The node advertises 4 CPUs and 16 GB even on
a smaller machine (``SlurmdParameters=config_overrides``; nothing is enforced without cgroups), so that the
profile's requests fit.

Two things a real cluster does not need, both set here:

- ``--slurm-status-command squeue``: without accounting ``sacct`` fails and the plugin would wait forever
  (``MinJobAge=600`` keeps finished jobs visible to squeue for 10 minutes).
- an ``srun`` wrapper first on PATH that sets ``SLURM_CONF``: snakemake-executor-plugin-slurm-jobstep 0.6
  removes every ``SLURM_*`` variable, ``SLURM_CONF`` included, before its inner ``srun``, which then finds no
  configuration outside ``/etc/slurm``.

Snakemake keeps waiting for its cluster jobs when it receives SIGTERM, so the run is wrapped in
``timeout -k``; jobs left in the queue are cancelled before the daemons stop.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "workflow" / "profiles" / "slurm"
TINY = REPO / "tests" / "workflow" / "tiny"
PACKAGES = "slurmctld slurmd slurm-client munge"
DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "srun", "squeue", "scontrol", "sinfo", "scancel")

# The tiny subset: one chunk per background and one training point per mass region, and the targets of one training fold.
SUBSET_SAMPLES = (
    "sample\tprocess\tsource\tn_events\tn_chunks\tpath\tanalyses\n"
    "ttbar\tttbar_mumu\tgenerate\t300\t1\t\tsmuon\n"
    "ww\tww_mumu\tgenerate\t300\t1\t\tsmuon\n"
    "zz\tzz_mumununu\tgenerate\t300\t1\t\tsmuon\n"
)
SUBSET_GRID = "m_smuon\tm_neutralino\ttrain\tn_events\tn_chunks\n150\t0\tyes\t300\t1\n300\t0\tyes\t300\t1\n"
SUBSET_TARGETS = (
    "results/tiny/training/smuon/low/nn/fold0/model.pt",
    "results/tiny/training/smuon/low/bdt/fold0/model.json",
)


def missing_binaries() -> list[str]:
    """Slurm and munge programs not found on PATH (or in /usr/sbin)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    return [name for name in (*DAEMONS, *CLIENTS) if shutil.which(name, path=path) is None]


def _which(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    if found is None:
        raise FileNotFoundError(f"'{name}' not found: install {PACKAGES}")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalSlurm:
    """munged + slurmctld + slurmd in ``root`` (a new folder), started by :meth:`start`, stopped by PID."""

    def __init__(self, root: Path, cpus: int = 4, mem_mb: int = 16000, gpus: int = 1) -> None:
        self.root = Path(root).resolve()
        self.cpus, self.mem_mb, self.gpus = cpus, mem_mb, gpus
        self.node = socket.gethostname().split(".")[0]
        self.conf = self.root / "slurm.conf"
        self.procs: dict[str, subprocess.Popen] = {}
        self.socket_dir: Path | None = None  # munged wants every folder above its socket traversable by all

    # --- environment for the client commands and snakemake ------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """os.environ with SLURM_CONF and the srun wrapper folder first on PATH."""
        env = dict(os.environ)
        env["SLURM_CONF"] = str(self.conf)
        env["PATH"] = os.pathsep.join([str(self.root / "bin"), env.get("PATH", ""), "/usr/sbin"])
        return env

    def client(self, *args: str, check: bool = True) -> str:
        """Output of a Slurm client command (squeue, sinfo, scontrol, ...) against this cluster."""
        proc = subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    # --- start / stop --------------------------------------------------------------------------------------

    def _write_files(self) -> None:
        for sub in ("munge", "state", "spool", "log", "bin"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.socket_dir = Path(tempfile.mkdtemp(prefix="susyscan-munge-"))
        self.socket_dir.chmod(0o755)
        subprocess.run([_which("mungekey"), "--create", "--keyfile", str(self.root / "munge/munge.key")],
                       check=True, capture_output=True)
        user = getpass.getuser()
        ctld_port, d_port = _free_port(), _free_port()
        gres = f" Gres=gpu:{self.gpus}" if self.gpus else ""
        self.conf.write_text(f"""# single-node cluster of workflow/local_slurm.py
ClusterName=susyscan
SlurmctldHost={self.node}(127.0.0.1)
SlurmUser={user}
SlurmdUser={user}
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={self.socket_dir}/munge.socket
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.root}/log/slurmctld.log
SlurmdLogFile={self.root}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
SlurmdParameters=config_overrides
GresTypes=gpu
NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.mem_mb}{gres} State=UNKNOWN
PartitionName=standard Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=ALL MaxTime=INFINITE State=UP
""")
        if self.gpus:  # a fake device: enough for the scheduler to hand out --gpus
            (self.root / "gres.conf").write_text(f"NodeName={self.node} Name=gpu File=/dev/null Count={self.gpus}\n")
        srun = self.root / "bin" / "srun"
        srun.write_text(f'#!/bin/sh\nSLURM_CONF="{self.conf}" exec {_which("srun")} "$@"\n')
        srun.chmod(0o755)

    def _spawn(self, name: str, cmd: Sequence[str]) -> None:
        with open(self.root / "log" / f"{name}.out", "w") as out:  # the daemon keeps its own copy of the descriptor
            self.procs[name] = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                                start_new_session=True)

    def start(self, timeout_s: float = 60.0) -> LocalSlurm:
        """Start the daemons and wait until the node is idle; an error says which daemon failed and why."""
        self._write_files()
        assert self.socket_dir is not None
        munge = self.root / "munge"
        self._spawn("munged", [_which("munged"), "--foreground", f"--key-file={munge}/munge.key",
                               f"--socket={self.socket_dir}/munge.socket", f"--pid-file={munge}/munged.pid",
                               f"--seed-file={munge}/munged.seed", f"--log-file={munge}/munged.log"])
        socket_path = self.socket_dir / "munge.socket"
        self._wait_for(socket_path.exists, "munged", 20)
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-f", str(self.conf)])
        self._spawn("slurmd", [_which("slurmd"), "-D", "-f", str(self.conf)])
        self._wait_for(self._node_idle, "slurmd", timeout_s)
        return self

    def _node_idle(self) -> bool:
        proc = subprocess.run(["sinfo", "-h", "-n", self.node, "-o", "%t"], env=self.env, capture_output=True,
                              text=True, timeout=30)
        return proc.returncode == 0 and "idle" in proc.stdout

    def _wait_for(self, ready, what: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{self.daemon_log(name)}")
            if ready():
                return
            time.sleep(0.5)
        raise TimeoutError(f"{what} not ready after {timeout_s:g} s:\n{self.daemon_log(what)}")

    def daemon_log(self, name: str, tail: int = 30) -> str:
        """Last lines of a daemon's console output."""
        path = self.root / "log" / f"{name}.out"
        return "\n".join(path.read_text(errors="replace").splitlines()[-tail:]) if path.exists() else ""

    def stop(self) -> None:
        """Cancel queued jobs, then stop the daemons by PID (SIGTERM, SIGKILL after 10 s)."""
        if "slurmctld" in self.procs and self.procs["slurmctld"].poll() is None:
            subprocess.run(["scancel", "--user", getpass.getuser()], env=self.env, capture_output=True, timeout=30)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self.procs.get(name)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def __enter__(self) -> LocalSlurm:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# --- the workflow through the profile ---------------------------------------------------------------------


def prepare_subset(workdir: Path) -> None:
    """A run directory with config/, resources/ and the tiny tables (as tiny/), reduced to the subset."""
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("config", "resources"):
        shutil.copytree(REPO / sub, workdir / sub, dirs_exist_ok=True)
    shutil.copytree(TINY, workdir / "tiny", dirs_exist_ok=True)
    (workdir / "tiny/samples.tsv").write_text(SUBSET_SAMPLES)
    (workdir / "tiny/grid.tsv").write_text(SUBSET_GRID)


def snakemake_command(workdir: Path, args: Sequence[str], timeout_s: int) -> list[str]:
    """``timeout -k 30 T python -m snakemake ... --workflow-profile workflow/profiles/slurm ARGS``."""
    return [
        "timeout", "-k", "30", str(timeout_s),
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir),
        "--workflow-profile", str(PROFILE),
        "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
        *args,
    ]


def run_snakemake(cluster: LocalSlurm, workdir: Path, args: Sequence[str], timeout_s: int = 600,
                  capture: bool = True) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` on ``cluster`` through the slurm profile."""
    return subprocess.run(snakemake_command(workdir, args, timeout_s), cwd=workdir, env=cluster.env,
                          capture_output=capture, text=True, timeout=timeout_s + 60)


def subset_args() -> list[str]:
    """Snakemake arguments of the tiny subset (config, bundling, targets)."""
    return [*SUBSET_TARGETS, "--configfile", "tiny/config.yaml"]


def finished_jobs(cluster: LocalSlurm) -> list[dict[str, str]]:
    """Jobs still known to slurmctld: id, state, partition, CPUs, memory, time limit, comment (the rule)."""
    fields = ["id", "state", "partition", "cpus", "memory", "timelimit", "comment"]
    out = cluster.client("squeue", "--states=all", "--noheader", "--format=%i|%T|%P|%C|%m|%l|%k")
    return [dict(zip(fields, line.split("|", len(fields) - 1), strict=True)) for line in out.splitlines() if line]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Arguments after -- go to snakemake (default: the tiny subset).")
    parser.add_argument("--workdir", type=Path, help="run directory (default: a temporary one, kept)")
    parser.add_argument("--shell", action="store_true", help="start the cluster and wait for Ctrl-C")
    parser.add_argument("--timeout", type=int, default=900, help="seconds before snakemake is stopped")
    parser.add_argument("snakemake_args", nargs="*")
    args = parser.parse_args(argv)
    missing = missing_binaries()
    if missing:
        print(f"Error: {', '.join(missing)} not found; install them with\n"
              f"  sudo apt-get install -y --no-install-recommends {PACKAGES}", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="susyscan-slurm-"))

    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds through LocalSlurm.__exit__: jobs cancelled, daemons stopped

    signal.signal(signal.SIGTERM, _stop)
    with LocalSlurm(root / "cluster") as cluster:
        print(f"cluster up in {root}/cluster: node {cluster.node}, partitions standard and gpu", flush=True)
        if args.shell:
            print(f"export SLURM_CONF={cluster.conf} PATH={root}/cluster/bin:$PATH\n"
                  f"snakemake --workflow-profile {PROFILE} --slurm-status-command squeue ...\nCtrl-C stops it.")
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass
            return 0
        workdir = (args.workdir or root / "run").resolve()
        if args.snakemake_args:
            workdir.mkdir(parents=True, exist_ok=True)
            snakemake_args = list(args.snakemake_args)
        else:
            prepare_subset(workdir)
            snakemake_args = subset_args()
        print(f"running in {workdir}:\n  {' '.join(snakemake_command(workdir, snakemake_args, args.timeout))}",
              flush=True)
        proc = run_snakemake(cluster, workdir, snakemake_args, timeout_s=args.timeout, capture=False)
        print(cluster.client("squeue", "--states=all", "--format=%.6i %.10T %.9P %.5C %.8m %.10l %k"))
        print(f"snakemake exited with {proc.returncode}; outputs in {workdir}, cluster logs in {root}/cluster/log")
        return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
