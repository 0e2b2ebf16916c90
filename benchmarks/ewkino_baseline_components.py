"""Which signal component carries the kinematic-baseline S of ``significance.csv``, per ewkino grid point.

For a finished ewkino run: joins every grid point's per-event component (event-file branch ``process_component``,
names from the file metadata ``components``: ``sq_ewkino`` squark modes, ``wino_pair`` wino pairs + ISR) to the
sample's merged feature CSV ``analysis/ewkino/features/<sample>.csv.gz`` (baseline flag and ``weight_pb`` of the
whole sample, the scan's input, read with its ``susyscan.scan.yields.read_feature_table``) and to
``training/ewkino/pt{T}/scores.csv.gz`` (the evaluated events: the test split of training points, all events of the
others; ``optimise`` = 0 on the quoting half). Prints
a Markdown table: baseline MC events of each component in the whole sample and on the quoting half, the quoted
baseline S (pb) per component, and S/sqrt(S+B) at ``--lumi`` from the quoted S and from the whole sample's S (both
with the quoted baseline B of ``significance.csv``).

    python benchmarks/ewkino_baseline_components.py results/ewkino [--pt 1] [--lumi 300] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

from susyscan.eventio import read_events
from susyscan.scan.yields import read_feature_table


def _components(run: Path, sample: str, chunk: int) -> tuple[np.ndarray, list[str]]:
    events, meta = read_events(run / "events" / sample / f"chunk{chunk}.root", ["process_component"])
    return np.asarray(events["process_component"]), [str(c["process"]) for c in meta["components"]]


def component_table(run: Path, pt: str = "1", lumi_ifb: float = 300.0) -> pd.DataFrame:
    """One row per signal grid point of the run (see the module docstring)."""
    scores = pd.read_csv(run / f"training/ewkino/pt{pt}/scores.csv.gz")
    significance = pd.read_csv(run / f"training/ewkino/pt{pt}/significance.csv")
    scale = 1000.0 * lumi_ifb
    rows = []
    for sample in sorted(scores.loc[scores["is_signal"] == 1, "sample"].unique()):
        features = read_feature_table(run / "analysis/ewkino/features" / f"{sample}.csv.gz")
        labels: list[str] = []
        comp = np.empty(len(features), dtype=np.int64)
        for chunk in sorted(features["chunk"].unique()):
            per_event, labels = _components(run, sample, int(chunk))
            rows_of_chunk = features["chunk"].to_numpy() == chunk
            comp[rows_of_chunk] = per_event[features.loc[rows_of_chunk, "event"].to_numpy()]
        features["component"] = comp
        evaluated = scores[scores["sample"] == sample].merge(features[["chunk", "event", "component"]],
                                                             on=["chunk", "event"], how="left", validate="one_to_one")
        if evaluated["component"].isna().any():
            raise ValueError(f"{sample}: scored events missing from the feature tables of {run}")
        m_parent, m_lsp = (float(evaluated[c].iloc[0]) for c in ("m_parent", "m_lsp"))
        quoted = evaluated[(evaluated["baseline"] == 1) & (evaluated["optimise"] == 0)]
        base = features[features["sr_baseline"] == 1]
        row: dict[str, object] = {"point": f"{m_parent:g}, {m_lsp:g}", "n_evaluated": len(evaluated)}
        for index, label in enumerate(labels):
            row[f"{label} baseline MC (all / quoted)"] = (f"{int((base['component'] == index).sum())} / "
                                                         f"{int((quoted['component'] == index).sum())}")
            row[f"{label} quoted S [pb]"] = float(quoted.loc[quoted["component"] == index, "weight_pb"].sum())
        sig = significance[(significance["m_parent"] == m_parent) & (significance["m_lsp"] == m_lsp)
                           & (significance["lumi_ifb"] == lumi_ifb)]
        if sig.empty:
            raise ValueError(f"{run / f'training/ewkino/pt{pt}/significance.csv'}: no row for point {sample} "
                             f"({m_parent:g}, {m_lsp:g}) at {lumi_ifb:g}/fb (its luminosities: "
                             f"{sorted(significance['lumi_ifb'].unique().tolist())})")
        b = float(sig["b_baseline"].iloc[0])
        s_quoted = float(quoted["weight_pb"].sum()) * scale
        s_all = float(base["weight_pb"].sum()) * scale
        row["S all [pb]"] = s_all / scale
        row["Z quoted"] = s_quoted / math.sqrt(s_quoted + b)
        row["Z all"] = s_all / math.sqrt(s_all + b)
        row["Z in significance.csv"] = float(sig["z_baseline"].iloc[0])
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """``table`` as a Markdown table, numbers to 3 significant digits (plain formatting: pandas' ``to_markdown``
    needs ``tabulate``, not a dependency)."""
    def cell(value: object) -> str:
        return f"{value:.3g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(map(str, table.columns)) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="results folder of an ewkino run, e.g. results/ewkino")
    parser.add_argument("--pt", default="1", help="PF threshold label of training/ewkino/pt{T}")
    parser.add_argument("--lumi", type=float, default=300.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    table = markdown(component_table(args.run, args.pt, args.lumi))
    print(table)
    if args.out:
        args.out.write_text(table + "\n")


if __name__ == "__main__":
    main()
