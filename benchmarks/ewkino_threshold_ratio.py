"""Training-seed spread of the ewkino 1 GeV / 10 GeV S/sqrt(S+B) ratio of a finished run (issue 17).

Run: python benchmarks/ewkino_threshold_ratio.py RUN_DIR [--config config/ewkino.yaml] [--lumi 300]
where RUN_DIR holds config/ and results/ of a run of the ewkino analysis with thresholds 1 and 10 GeV.

Each ensemble member (trained with its own seed) alone goes through the workflow's cut-choice / quote procedure
(``significance.significance_table`` on the same halves); the spread of Z and of Z_1 / Z_10 between members estimates
the training-seed part of the uncertainty, which the workflow's paired bootstrap (``ewkino/paired.py``, columns of
``threshold_gain.csv``) does not contain (docs/analysis_ewkino.md, "Issue 17 results").
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

import pandas as pd
import yaml

from susyscan.analyses.ewkino.significance import half_weights, significance_table
from susyscan.training.halves import cut_choice_halves
from susyscan.analyses.ewkino.stages import held_out_events
from susyscan.analyses.ewkino.train import blocks, load_ensemble
from susyscan.training.train_nn import predict_raw

THRESHOLDS = ("1", "10")  # directory labels pt1, pt10


def _model(run: Path, pt: str, name: str) -> Path:
    return run / f"results/training/ewkino/pt{pt}/nn/fold0/{name}"


def _evaluation(run: Path, pt: str):  # noqa: ANN202
    """The events the kfold-1 model held out (the workflow's evaluation set, ``stages.held_out_events``), its
    cut-choice halves and their weights."""
    files = sorted(glob.glob(str(run / f"results/analysis/ewkino/inputs/pt{pt}/*/chunk*.npz")))
    ensemble, ev, _ = held_out_events(_model(run, pt, "model.onnx"), files)
    onnx = ensemble.models[0]
    optimise = cut_choice_halves(ev.sample, ev.ids(), int(onnx.metadata.get("training_seed") or 0))
    return onnx, ev, optimise, half_weights(ev.weight_pb, ev.sample, optimise)


def member_ratios(run: Path, config: dict, lumi_ifb: float) -> pd.DataFrame:
    min_background = float(config["analyses"]["ewkino"].get("min_background", 5.0))
    columns = {}
    for pt in THRESHOLDS:
        _, ev, optimise, weights = _evaluation(run, pt)
        ensemble = load_ensemble(_model(run, pt, "model.pt"))
        for k, member_model in enumerate(ensemble.members):
            member = predict_raw(member_model, ensemble.standardisations, blocks(ev))
            table = significance_table(member, weights, ev.baseline, ev.is_signal, ev.m_parent, ev.m_lsp, [lumi_ifb],
                                       None, min_background, optimise)
            columns[f"z_{pt}_member{k}"] = table.set_index(["m_parent", "m_lsp"])["z_nn"]
    out = pd.DataFrame(columns)
    for k in range(sum(1 for name in columns if name.startswith("z_1_"))):
        out[f"ratio_member{k}"] = out[f"z_1_member{k}"] / out[f"z_10_member{k}"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--config", default="config/ewkino.yaml", help="the run's config, relative to RUN")
    parser.add_argument("--lumi", type=float, default=300.0, help="luminosity of the member table (fb^-1)")
    args = parser.parse_args()
    config = yaml.safe_load((args.run / args.config).read_text())
    pd.set_option("display.width", 250)
    fmt = lambda x: f"{x:.3g}"  # noqa: E731
    print(member_ratios(args.run, config, args.lumi).to_string(float_format=fmt))


if __name__ == "__main__":
    main()
