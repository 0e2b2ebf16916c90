"""benchmarks/ewkino_baseline_components.py on a two-event toy run: the Markdown table needs no optional package,
the whole sample's S is that of the merged feature CSV (the scan's weights), and a luminosity that significance.csv
lacks is an error naming the file and the luminosity."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ewkino_baseline_components",
                                                  REPO / "benchmarks" / "ewkino_baseline_components.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Chunk cross sections of the toy sample: two generator-normalised estimates (the merged sample's is their
#: sum-of-weights mean, 1.04e-5 pb; the first chunk's alone would give 1e-5).
CHUNK_XSEC_PB = (1.0e-5, 1.08e-5)


def _toy_run(run: Path) -> None:
    """Event 0 in chunk 0, event 1 in chunk 1 (gen_weight 1, sum of weights 1 each); the merged feature CSV written
    by the production ``merge_features`` from the chunk CSVs and cutflows."""
    from susyscan.analysis.merge import merge_features

    training = run / "training" / "ewkino" / "pt1"
    features = run / "analysis" / "ewkino" / "features"
    training.mkdir(parents=True)
    (features / "pt_1000_100").mkdir(parents=True)
    pd.DataFrame({"sample": ["pt_1000_100"] * 2, "is_signal": 1, "chunk": [0, 1], "event": [0, 1],
                  "m_parent": 1000.0, "m_lsp": 100.0, "baseline": 1, "optimise": 0, "weight_pb": 5e-6}).to_csv(
        training / "scores.csv.gz", index=False)
    pd.DataFrame({"m_parent": [1000.0], "m_lsp": [100.0], "lumi_ifb": [300.0], "b_baseline": [4.0],
                  "z_baseline": [1.0]}).to_csv(training / "significance.csv", index=False)
    chunks, cutflows = [], []
    for chunk, xsec in enumerate(CHUNK_XSEC_PB):
        chunks.append(features / "pt_1000_100" / f"chunk{chunk}.csv.gz")
        pd.DataFrame({"sample": ["pt_1000_100"], "chunk": chunk, "event": [chunk], "gen_weight": 1.0,
                      "sr_baseline": 1}).to_csv(chunks[-1], index=False)
        cutflows.append(features / "pt_1000_100" / f"chunk{chunk}.cutflow.json")
        cutflows[-1].write_text(json.dumps({"sample": "pt_1000_100", "process": "sq_ewkino_isr", "chunk": chunk,
                                            "sum_weights": 1.0, "xsec_pb": xsec,
                                            "cuts": [{"name": "all", "n_raw": 1, "sumw": 1.0, "sumw2": 1.0}]}))
    merge_features(chunks, cutflows, features / "pt_1000_100.csv.gz")


def test_table_without_tabulate_and_a_missing_luminosity_named(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    module = _module()
    components = (np.array([0, 1]), ["sq_ewkino", "wino_pair"])  # event 0 a squark mode, event 1 a wino pair
    monkeypatch.setattr(module, "_components", lambda run, sample, chunk: components)
    monkeypatch.setitem(sys.modules, "tabulate", None)  # not a dependency: the table must not need it
    _toy_run(tmp_path)
    table = module.component_table(tmp_path, "1", 300.0)
    # S = 1e-5 pb x 300/fb = 3 events on B = 4: Z = 3 / sqrt(7)
    assert table["Z quoted"].iloc[0] == pytest.approx(3.0 / np.sqrt(7.0))
    # the whole sample's S: gen_weight 1 x the mean cross section / total sum of weights 2, for both events
    assert table["S all [pb]"].iloc[0] == pytest.approx(np.mean(CHUNK_XSEC_PB), rel=1e-12)
    text = module.markdown(table)
    assert text.splitlines()[0].startswith("| point | n_evaluated | sq_ewkino baseline MC (all / quoted)")
    assert "| 1000, 100 | 2 | 1 / 1 |" in text and "1.13" in text
    with pytest.raises(ValueError, match=r"pt1/significance.csv: no row for point pt_1000_100 .* at 139/fb"):
        module.component_table(tmp_path, "1", 139.0)
