"""cProfile of one default-run generation chunk (Pythia + extraction + detector + write), the largest hot spot.

Run: python benchmarks/profile_chunk.py [--sample zz --process zz_mumununu --events 500] [--profile out.prof]
Prints the wall time split (generate / reconstruct / write) and the top functions by cumulative time.
With --save-arrays FILE.npz the reconstructed arrays are saved (for same-seed before/after comparisons).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import awkward as ak
import numpy as np

from susyscan.generation.chunk import generate_chunk

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", default="zz")
    parser.add_argument("--process", default="zz_mumununu")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seed", type=int, default=20241123)
    parser.add_argument("--profile", type=Path, default=None, help="run under cProfile and save the stats here")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--save-arrays", type=Path, default=None)
    args = parser.parse_args()
    spec = {"name": args.sample, "process": args.process}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "chunk0.root"
        kwargs = dict(sample_spec=spec, chunk=0, n_events=args.events, seed=args.seed, out_path=out,
                      detector_card=ROOT / "resources" / "detector" / "atlas.yaml",
                      detector_options={"large_jet_radius": 1.0, "pfcand_pt_min": 1.0})
        start = time.perf_counter()
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(generate_chunk, **kwargs)
            prof.dump_stats(str(args.profile))
        else:
            generate_chunk(**kwargs)
        wall = time.perf_counter() - start
        print(f"chunk of {args.events} {args.process} events: {wall:.2f} s ({args.events / wall:.1f} events/s)")  # noqa: T201
        if args.save_arrays:
            from susyscan.eventio import read_events

            events, _ = read_events(out)
            arrays = {}
            for field in ak.fields(events):
                col = events[field]
                if col.ndim > 1:
                    arrays[field + "_counts"] = ak.to_numpy(ak.num(col))
                    col = ak.flatten(col)
                arrays[field] = ak.to_numpy(col)
            np.savez(args.save_arrays, **arrays)
    if args.profile:
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(args.top)
        pstats.Stats(str(args.profile)).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
