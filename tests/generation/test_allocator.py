"""The chunk job's allocator settings (``susyscan.generation.allocator``): accepted by glibc (the probe asserts it), and
they stop freed heap memory from being handed back and faulted in again; each mode in a fresh process, so that this
test process keeps glibc's defaults."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from susyscan.generation import allocator

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# frees and re-allocates arrays of 0.4-11 MB, as a chunk's detector does with its per-particle temporaries
PROBE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    if sys.argv[1] == "on":
        from susyscan.generation.allocator import keep_freed_memory
        assert keep_freed_memory()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for i in range(200):
        a = np.ones(200_000 * (1 + i % 7))
        b = np.ones(50_000 * (1 + i % 5))
        del a
        c = np.ones(300_000)
        del b, c
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _faults(mode: str) -> int:
    src = str(Path(allocator.__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)}
    for name in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not GLIBC, reason="mallopt settings are glibc's")
def test_freed_memory_is_not_faulted_in_again() -> None:
    default, kept = _faults("off"), _faults("on")
    assert kept < 0.6 * default, (default, kept)


def test_other_c_library_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("musl", "1.2"))
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: pytest.fail("the C library was opened"))
    assert allocator.keep_freed_memory() is False


def test_without_mallopt_nothing_is_done(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoMallopt:
        def __init__(self, name: str | None) -> None:
            self.name = name

    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setattr(allocator.ctypes, "CDLL", NoMallopt)
    assert allocator.keep_freed_memory() is False


def test_a_refused_setting_is_logged_and_the_other_still_tried(monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    calls: list[tuple[int, int]] = []

    def mallopt(param: int, value: int) -> int:
        calls.append((param, value))
        return 0 if param == allocator.M_TRIM_THRESHOLD else 1

    class Libc:
        def __init__(self, name: str | None) -> None:
            self.mallopt = mallopt

    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("glibc", "2.36"))
    monkeypatch.setattr(allocator.ctypes, "CDLL", Libc)
    with caplog.at_level("WARNING", logger=allocator.__name__):
        assert allocator.keep_freed_memory() is False
    assert [p for p, _ in calls] == [allocator.M_TRIM_THRESHOLD, allocator.M_MMAP_THRESHOLD]
    assert "M_TRIM_THRESHOLD" in caplog.text and "M_MMAP_THRESHOLD" not in caplog.text
