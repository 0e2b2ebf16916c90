"""The reinterpretation bundle: what the Les Houches guide to reusable ML models (arXiv:2312.14575) asks for.

``model.onnx`` (feature contract and uncertainty in its metadata), ``features.json`` (the contract: names, units,
order, missing value, training ranges), ``example.py`` (standalone: numpy, pandas, onnxruntime) with
``example_truth.csv`` (truth features of a held-out point) to run it on, ``test_vectors.csv`` (inputs and expected
outputs), and the validation (``validation.md``/``.csv``, ``calibration.png``) plus a README.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pandas as pd

from susyscan.atomic import write_bytes_atomic, write_csv_atomic, write_text_atomic
from susyscan.surrogate.contract import MISSING, read_contract, write_contract
from susyscan.surrogate.onnx_merge import run_onnx

logger = logging.getLogger(__name__)

N_TEST_VECTORS = 40
N_EXAMPLE_EVENTS = 500


def with_uncertainty(model_path: str | Path, uncertainty: float | None, validation: dict[str, Any]) -> bytes:
    """The model with ``relative_uncertainty`` and the validation summary added to its metadata."""
    model = onnx.load(str(model_path))
    props = {p.key: p.value for p in model.metadata_props}
    contract = json.loads(props["feature_contract"])
    contract["relative_uncertainty"] = uncertainty
    props["feature_contract"] = json.dumps(contract)
    if uncertainty is not None:
        props["relative_uncertainty"] = f"{uncertainty:.6g}"
    props["validation"] = json.dumps(validation)
    del model.metadata_props[:]
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return model.SerializeToString()


def test_vectors(truth: pd.DataFrame, inputs: list[str], model_bytes: bytes, regions: list[str], seed: int) -> pd.DataFrame:
    """``N_TEST_VECTORS`` events (including ones with a missing lepton when present) and their expected outputs."""
    rng = np.random.default_rng(seed)
    pool = truth[inputs]
    one_lepton = pool[pool["lep2_pt"] == MISSING]
    picks = list(one_lepton.index[:5]) + list(rng.choice(pool.index, size=min(N_TEST_VECTORS, len(pool)),
                                                         replace=False))
    vectors = pool.loc[list(dict.fromkeys(picks))[:N_TEST_VECTORS]].reset_index(drop=True)
    expected = run_onnx(model_bytes, vectors.to_numpy(dtype=np.float32))
    for i, region in enumerate(regions):
        vectors[f"expected_{region}"] = expected[:, i]
    return vectors


def readme(contract: dict[str, Any], validation: dict[str, Any], example_point: str, description: str = "") -> str:
    unc = validation.get("rms")
    inputs = "\n".join(f"| {f['index']} | `{f['name']}` | {f['unit'] or '-'} | {f['description']} | "
                       f"{f['training_range'] or f['training_values'] or '-'} |" for f in contract["inputs"])
    return f"""# Surrogate efficiency model: {contract['analysis']} analysis

Probability that an event enters each signal region of the {contract['analysis']} analysis, from truth-level
features at the generator's process level ({contract['level']}). The efficiency of a sample is the mean of
the per-event probabilities. Built by susyscan (docs/surrogate.md), following the Les Houches recommendations
for reusable ML models (arXiv:2312.14575): ONNX model, input definition, test vectors, validation, domain.
{chr(10) + description + chr(10) if description else ""}
- `model.onnx`: input `{contract['input_name']}` float32 [n, {len(contract['inputs'])}], output
  `{contract['output_name']}` float32 [n, {len(contract['regions'])}] (regions below). Metadata: `feature_contract`
  (= features.json), `relative_uncertainty`, `validation`.
- `features.json`: the contract (names, units, order, missing value {contract['missing_value']:g}, training ranges).
- `example.py`: `python example.py example_truth.csv` prints the efficiencies of {example_point}
  (truth features of events the model never saw); `python example.py --check test_vectors.csv` reproduces the
  test vectors.
- `validation.md` / `validation.csv`: full-chain vs surrogate efficiency per mass point and region, training points
  (their test events) and held-out points; `calibration.png`.

**Uncertainty**: assign a relative uncertainty of {'n/a' if unc is None else f'{100 * unc:.0f} %'} to the
efficiencies (RMS of the held-out relative differences where the efficiency exceeds 1 %,
{validation.get('n_pairs')} pairs; it includes the MC statistics of the full-chain reference). Below 1 % efficiency
the surrogate is not validated.

**Domain**: trained on the mass points {contract['training_mass_points']}. Events outside the training ranges
are flagged by `example.py`; their efficiency is an extrapolation.

Regions: {', '.join(contract['regions'])}.

| index | input | unit | definition | training range / values |
|---|---|---|---|---|
{inputs}
"""


def write_bundle(model_dir: str | Path, validation_dir: str | Path, labels_path: str | Path, out_dir: str | Path,
                 seed: int = 1, description: str = "") -> dict[str, Any]:
    """Assemble the bundle in ``out_dir`` from the trained model, the validation outputs and one held-out label
    table (example events and test vectors); ``description``: a paragraph on the label source for the README."""
    model_dir, validation_dir, out = Path(model_dir), Path(validation_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = json.loads((validation_dir / "uncertainty.json").read_text())["surrogate"]
    uncertainty = summary.get("rms")
    contract = read_contract(model_dir / "features.json")
    contract.uncertainty = uncertainty
    model_bytes = with_uncertainty(model_dir / "model.onnx", uncertainty, summary)
    write_bytes_atomic(model_bytes, out / "model.onnx")
    write_contract(contract, out / "features.json")
    truth = pd.read_csv(labels_path)
    example = truth[contract.inputs].head(N_EXAMPLE_EVENTS)
    write_csv_atomic(example, out / "example_truth.csv")
    write_csv_atomic(test_vectors(truth, contract.inputs, model_bytes, contract.regions, seed),
                     out / "test_vectors.csv")
    example_source = importlib.resources.files("susyscan.surrogate") / "bundle_example.py"
    write_text_atomic(example_source.read_text(), out / "example.py")
    for name in ("validation.md", "validation.csv", "calibration.png"):
        shutil.copyfile(validation_dir / name, out / name)
    sample = str(truth["sample"].iloc[0]) if "sample" in truth.columns else Path(labels_path).name
    write_text_atomic(readme(contract.to_json(), summary, f"{sample} ({len(example)} events)", description),
                      out / "README.md")
    logger.info("wrote the surrogate bundle to %s (uncertainty %s)", out, uncertainty)
    return summary
