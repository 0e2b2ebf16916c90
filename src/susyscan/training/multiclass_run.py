"""The rule-level steps of the multiclass DNN / DNN+SIGN comparison (``workflow/rules/multiclass.smk``), each a function
of file paths and plain settings so that the scripts stay thin and the steps run without Snakemake in tests.

- :func:`run_dnn`: one category's k fold DNNs (out-of-fold scores, ONNX, permutation importance);
- :func:`run_sign`: the reference bank (importance-weighted cosine k-NN) and the k fold DNN+SIGN models;
- :func:`run_compare`: ROC per class, best region per (method, category), the comparison table and figure, and the
  yield tables of the limit step.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from susyscan.atomic import write_csv_atomic
from susyscan.errors import FeatureError
from susyscan.training.folds import event_ids
from susyscan.training.halves import cut_choice_halves
from susyscan.training.multiclass import MulticlassConfig
from susyscan.training.multiclass_compare import (asimov_z, best_cut, paired_comparison, quoting_weights,
                                                  roc_curve_points, roc_rows, yield_tables)
from susyscan.training.multiclass_stages import StageSettings, read_tables, split, train_folds
from susyscan.training.multiclass_settings import METHODS
from susyscan.training.sign import ReferenceBank, SignConfig, hop_names

logger = logging.getLogger(__name__)


def _settings(ml: Mapping[str, Any], features: Sequence[str], train_samples: Sequence[str]) -> StageSettings:
    return StageSettings(classes=tuple(ml["classes"]), features=tuple(features), train_samples=tuple(train_samples),
                         kfold=int(ml["kfold"]), seed=int(ml["seed"]),
                         bank_fraction=float(ml["bank_fraction"]), class_column=str(ml["class_column"]))


def _network(ml: Mapping[str, Any]) -> MulticlassConfig:
    return MulticlassConfig(**dict(ml["network"]))


def run_dnn(feature_paths: Sequence[str], out_dir: str | Path, ml: Mapping[str, Any], category: str,
            category_range: Sequence[float], features: Sequence[str], train_samples: Sequence[str]) -> None:
    """Write ``scores.csv.gz``, ``importance.csv``, ``summary.json`` and ``fold{f}/model.onnx`` into ``out_dir``."""
    out_dir = Path(out_dir)
    settings = _settings(ml, features, train_samples)
    table = read_tables(feature_paths, str(ml["category_column"]), category_range, settings)
    _, events = split(table, settings)
    inputs = events[list(settings.features)].to_numpy(dtype=float)
    result = train_folds(events, inputs, settings.features, settings, _network(ml), out_dir, "multiclass_dnn",
                         category, importance=True)
    assert result.importance is not None
    write_csv_atomic(result.scores, out_dir / "scores.csv.gz")
    write_csv_atomic(pd.DataFrame({"feature": settings.features, "importance": result.importance}),
                     out_dir / "importance.csv")
    (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=1))


def importance_weights(path: str | Path, features: Sequence[str], use: bool) -> np.ndarray:
    """Distance weights: permutation importances normalised to sum 1 (all ones if ``use`` is off or all are 0)."""
    table = pd.read_csv(path).set_index("feature")
    values = table.reindex(list(features))["importance"].to_numpy(dtype=float)
    if np.isnan(values).any():
        missing = [f for f, v in zip(features, values) if np.isnan(v)]
        raise FeatureError(f"{path}: no importance for features {missing}")
    if not use or values.sum() <= 0:
        return np.ones(len(features))
    return values / values.sum()


def run_sign(feature_paths: Sequence[str], importance_path: str | Path, out_dir: str | Path, ml: Mapping[str, Any],
             category: str, category_range: Sequence[float], features: Sequence[str],
             train_samples: Sequence[str]) -> None:
    """Build the bank (``bank/``) and train the DNN+SIGN folds; outputs as :func:`run_dnn` (no importance)."""
    out_dir = Path(out_dir)
    settings = _settings(ml, features, train_samples)
    sign = SignConfig(**dict(ml["sign"]))
    table = read_tables(feature_paths, str(ml["category_column"]), category_range, settings)
    bank_rows, events = split(table, settings)
    weights = importance_weights(importance_path, settings.features, bool(ml["importance_weighted"]))
    if len(bank_rows) < 2:
        raise FeatureError(f"category {category}: {len(bank_rows)} background events in the SIGN reference bank "
                           f"(bank_fraction {settings.bank_fraction}); at least 2 are needed")
    if len(bank_rows) <= sign.k:
        logger.warning("category %s: %d bank events, k lowered from %d to %d", category, len(bank_rows), sign.k,
                       len(bank_rows) - 1)
        sign = replace(sign, k=len(bank_rows) - 1)
    bank = ReferenceBank.build(bank_rows[list(settings.features)].to_numpy(dtype=float),
                               bank_rows[settings.weight_column].to_numpy(dtype=float), settings.features, weights, sign)
    bank.save(out_dir / "bank")
    inputs = bank.with_graph_features(events[list(settings.features)].to_numpy(dtype=float))
    names = hop_names(settings.features, sign.hops)
    result = train_folds(events, inputs, names, settings, _network(ml), out_dir, "multiclass_dnn_sign", category)
    result.summary["sign"] = {**asdict(sign), "bank_events": len(bank), "importance_weighted":
                              bool(ml["importance_weighted"])}
    write_csv_atomic(result.scores, out_dir / "scores.csv.gz")
    (out_dir / "summary.json").write_text(json.dumps(result.summary, indent=1))


def _halves(table: pd.DataFrame, seed: int, source: str) -> np.ndarray:
    """The shared cut-choice halves (``susyscan.training.halves.cut_choice_halves``) of a score table's events."""
    return cut_choice_halves(table["sample"].to_numpy(), event_ids(table, source), seed)


def run_compare(score_paths: Mapping[str, str], ml: Mapping[str, Any], train_samples: Sequence[str],
                lumis: Sequence[float], points: Sequence[tuple[str, float, float]], flag_labels: Mapping[str, str],
                out: Mapping[str, str]) -> pd.DataFrame:
    """``score_paths``: ``{method}_{category}`` -> scores; writes ``out['table']`` (csv), ``out['markdown']``,
    ``out['roc']`` (png), ``out['yields_dir']/{sample}.csv`` per grid point, ``out['background']`` and, if given,
    ``out['paired']`` (the paired bootstrap of Z_DNN+SIGN / Z_DNN per category and luminosity).

    The score cut of each (method, category) is chosen on one half of the events and s, b, Z and the ML regions'
    yields come from the other half (``multiclass_compare`` module docstring); the cut-and-count regions, which
    choose nothing on these events, use all of them."""
    classes = list(ml["classes"])
    min_mc = int(ml["min_background_mc"])
    categories = list(dict(ml["categories"]))  # names; their ranges and features are the earlier steps' business
    rows, regions, paired = [], {}, []
    scores = {key: pd.read_csv(path) for key, path in score_paths.items()}
    seed = int(ml["seed"])
    for category in categories:
        chosen: dict[str, float] = {}
        halves: dict[str, np.ndarray] = {}  # per method: its events' cut-choice half (the paired bootstrap reuses dnn's)
        for method, label in METHODS:
            table = scores[f"{method}_{category}"]
            optimise = halves[method] = _halves(table, seed, score_paths[f"{method}_{category}"])
            cut = best_cut(table, train_samples, float(lumis[0]), optimise, min_mc)
            chosen[method] = cut["threshold"]
            region = f"{label} {category}"
            quote = table[~optimise].assign(weight=quoting_weights(table, optimise)[~optimise]).reset_index(drop=True)
            regions[region] = (quote, quote["p_signal"].to_numpy() >= cut["threshold"])
            significance = {f"z_{lumi:g}ifb": float(asimov_z(cut["s"] * lumi / lumis[0], cut["b"] * lumi / lumis[0]))
                            for lumi in lumis}
            for roc in roc_rows(table, classes, train_samples):
                rows.append({"method": label, "category": category, **roc, **{k: v for k, v in cut.items()},
                             **significance})
        if all(np.isfinite(list(chosen.values()))):
            boot = paired_comparison(scores[f"dnn_{category}"], scores[f"sign_{category}"], halves["dnn"], train_samples,
                                     chosen, lumis, int(ml["n_boot"]), seed)
            paired.append(boot.assign(category=category))
    comparison = pd.DataFrame(rows)
    write_csv_atomic(comparison, out["table"])
    boot_table = pd.concat(paired, ignore_index=True) if paired else pd.DataFrame(
        columns=["category", "lumi_ifb", "ratio_boot_mean", "ratio_boot_std", "p_sign_better", "n_boot"])
    if "paired" in out:
        write_csv_atomic(boot_table, out["paired"])
    _markdown(comparison, lumis, out["markdown"], boot_table)
    _roc_figure(scores, categories, classes, train_samples, out["roc"])
    first = scores[f"dnn_{categories[0]}"]
    everything = pd.concat([scores[f"dnn_{c}"] for c in categories], ignore_index=True)
    for column, label in flag_labels.items():
        if column in first.columns:
            regions[label] = (everything, everything[column].to_numpy() > 0)
    point_tables, background = yield_tables(regions, str(ml["class_column"]))
    names = list(regions)
    out_dir = Path(out["yields_dir"])
    for sample, m_parent, m_lsp in points:
        found = next((t for (s, _, _), t in point_tables.items() if s == sample), None)
        table = pd.DataFrame({"region": names, "yield_pb": 0.0, "stat_pb": 0.0, "n_raw": 0})
        if found is not None:
            table = found.set_index("region").reindex(names).fillna(0.0).reset_index()
            table["n_raw"] = table["n_raw"].astype(int)
        table["m_parent"], table["m_lsp"] = float(m_parent), float(m_lsp)
        write_csv_atomic(table[["region", "yield_pb", "stat_pb", "n_raw", "m_parent", "m_lsp"]], out_dir / f"{sample}.csv")
    write_csv_atomic(background, out["background"])
    return comparison


def _markdown(comparison: pd.DataFrame, lumis: Sequence[float], path: str | Path,
              paired: pd.DataFrame | None = None) -> None:
    """Three tables: AUC per class, the best region per (method, category), the paired bootstrap."""
    auc = comparison.pivot_table(index=["category", "class"], columns="method",
                                 values=["auc_signal_score_vs_class", "auc_one_vs_rest"], sort=False)
    lines = ["# DNN vs DNN+SIGN (out-of-fold scores)", "",
             "## ROC AUC per class", "",
             "`vs signal`: AUC of the signal-class score, training point vs that class; `one-vs-rest`: the class's own",
             "probability against all other classes (weights |w|).", "",
             "| category | class | DNN vs signal | DNN+SIGN vs signal | DNN one-vs-rest | DNN+SIGN one-vs-rest |",
             "|---|---|---|---|---|---|"]
    for (category, cls), row in auc.iterrows():
        values = [row.get(("auc_signal_score_vs_class", m), np.nan) for m in ("DNN", "DNN+SIGN")]
        values += [row.get(("auc_one_vs_rest", m), np.nan) for m in ("DNN", "DNN+SIGN")]
        lines.append(f"| {category} | {cls} | " + " | ".join(f"{v:.4f}" for v in values) + " |")
    best = comparison.drop_duplicates(["method", "category"])
    z_columns = [f"z_{lumi:g}ifb" for lumi in lumis]
    lines += ["", f"## Best region (cut on the signal-class score maximising Z at {lumis[0]:g}/fb)", "",
              "The cut is chosen on one half of the events (hash of the event id) and S, B, Z and the MC counts are",
              f"quoted on the other half (weights x 2 per sample); `Z opt` is Z at {lumis[0]:g}/fb on the choosing half.",
              "",
              "| category | method | cut | S | B | signal MC | background MC | Z opt | "
              + " | ".join(f"Z {lumi:g}/fb" for lumi in lumis) + " |",
              "|---|---|---|---|---|---|---|---|" + "---|" * len(lumis)]
    for _, row in best.iterrows():
        lines.append(f"| {row['category']} | {row['method']} | {row['threshold']:.4f} | {row['s']:.2f} | "
                     f"{row['b']:.2f} | {int(row['n_signal_mc'])} | {int(row['n_background_mc'])} | "
                     f"{row['z_optimisation']:.3f} | " + " | ".join(f"{row[c]:.3f}" for c in z_columns) + " |")
    if paired is not None and len(paired):
        lines += ["", "## Paired bootstrap of Z(DNN+SIGN) / Z(DNN) on the quoting half", "",
                  "Poisson(1) replica weights shared by the two networks, cuts fixed (`susyscan.training.halves`).", "",
                  "| category | lumi (1/fb) | ratio (mean) | ratio (std) | P(DNN+SIGN better) | replicas |",
                  "|---|---|---|---|---|---|"]
        for _, row in paired.iterrows():
            lines.append(f"| {row['category']} | {row['lumi_ifb']:g} | {row['ratio_boot_mean']:.3f} | "
                         f"{row['ratio_boot_std']:.3f} | {row['p_sign_better']:.3f} | {int(row['n_boot'])} |")
    Path(path).write_text("\n".join(lines) + "\n")


def _roc_figure(scores: Mapping[str, pd.DataFrame], categories: Sequence[str], classes: Sequence[str],
                train_samples: Sequence[str], path: str | Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(categories), len(classes) - 1, figsize=(3.0 * (len(classes) - 1), 3.0 * len(categories)),
                             squeeze=False)
    for row, category in enumerate(categories):
        for column, name in enumerate(classes[1:]):
            ax = axes[row][column]
            for method, label in METHODS:
                table = scores[f"{method}_{category}"]
                has_signal = (table["train"].astype(bool) & table["sample"].isin(train_samples)).any()
                if has_signal and (table["label"] == column + 1).any():
                    tpr, fpr = roc_curve_points(table, column + 1, train_samples)
                    ax.plot(tpr, fpr, label=label)
            ax.set_yscale("log", nonpositive="mask")
            ax.set_title(f"{category}: signal vs {name}", fontsize=9)
            ax.set_xlabel("signal efficiency", fontsize=8)
            ax.set_ylabel(f"{name} efficiency", fontsize=8)
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
