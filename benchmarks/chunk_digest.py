"""Digest of fixed-seed chunks, to check that a speed change leaves the events exactly as they were.

Run: python benchmarks/chunk_digest.py --save before.json      (on the old code, e.g. a `git archive` copy of it on
     python benchmarks/chunk_digest.py --compare before.json    PYTHONPATH), then on the new code

Each sample goes through the production path (``generate_chunk``: Pythia, extraction, detector, ``write_events``),
is read back with ``read_events``, and every branch (its type and the bytes of its buffers) and the metadata are
hashed. ROOT file bytes themselves are not compared: uproot writes a fresh UUID and time stamps into every file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import awkward as ak
import numpy as np

from susyscan.eventio import read_events
from susyscan.generation.chunk import generate_chunk

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "resources" / "detector" / "atlas.yaml"
#: (sample name, process, masses, events): unfiltered ttbar, the smuon benchmark signal, a tau-rich signal.
SAMPLES = [
    ("ttbar_mumu", "ttbar_mumu", None, 1000),
    ("smuon_R_300_100", "smuon_R", {"m_smuon": 300.0, "m_neutralino": 100.0}, 500),
    ("stau_LR_300_100", "stau_LR", {"m_stau": 300.0, "m_neutralino": 100.0}, 300),
]


def branch_digest(values: ak.Array) -> str:
    """sha256 of a branch's type, layout form and buffer bytes."""
    form, length, buffers = ak.to_buffers(values)
    digest = hashlib.sha256(f"{values.type}|{form.to_json()}|{length}".encode())
    for key in sorted(buffers):
        digest.update(key.encode())
        digest.update(np.ascontiguousarray(buffers[key]).tobytes())
    return digest.hexdigest()


def chunk_digests(seed: int, scale: float) -> dict[str, dict[str, str]]:
    """Per sample: one digest per branch and one of the metadata."""
    out: dict[str, dict[str, str]] = {}
    for name, process, masses, n_events in SAMPLES:
        spec = {"name": name, "process": process, **({"masses": masses} if masses else {})}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "chunk.root"
            generate_chunk(spec, 3, max(1, int(n_events * scale)), seed, path, CARD,
                           detector_options={"large_jet_radius": 1.0, "pfcand_pt_min": 1.0})
            events, meta = read_events(path)
        digests = {field: branch_digest(events[field]) for field in ak.fields(events)}
        digests["<metadata>"] = hashlib.sha256(json.dumps(meta, sort_keys=True).encode()).hexdigest()
        out[name] = digests
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", type=Path, help="write the digests to this JSON file")
    parser.add_argument("--compare", type=Path, help="compare with digests saved before; exit 1 on any difference")
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of each sample's events (default 1)")
    args = parser.parse_args()
    digests = chunk_digests(args.seed, args.scale)
    if args.save:
        args.save.write_text(json.dumps({"seed": args.seed, "scale": args.scale, "digests": digests}, indent=1) + "\n")
    if not args.compare:
        return 0
    reference = json.loads(args.compare.read_text())
    if (reference["seed"], reference["scale"]) != (args.seed, args.scale):
        print(f"{args.compare}: made with seed/scale {reference['seed']}/{reference['scale']}, "  # noqa: T201
              f"not {args.seed}/{args.scale}")
        return 1
    differ = [f"{sample}: {field}" for sample in sorted(set(digests) | set(reference["digests"]))
              for field in sorted(set(digests.get(sample, {})) | set(reference["digests"].get(sample, {})))
              if digests.get(sample, {}).get(field) != reference["digests"].get(sample, {}).get(field)]
    n_branches = sum(len(d) for d in digests.values())
    print(f"identical: all {n_branches} branch and metadata digests" if not differ  # noqa: T201
          else "DIFFERENT:\n  " + "\n  ".join(differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
