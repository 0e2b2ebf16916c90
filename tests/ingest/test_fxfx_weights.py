"""FxFx with LHEF 3 weights: Pythia forgets the weight names when it reaches the end of the file (the last events
of an FxFx slice are often vetoed), so the names are read after the first event; the weights must still become
event-file columns (tests/data/synthetic_rwgt.py: each variation a fixed multiple of the event weight)."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np

from susyscan.eventio.reader import read_alt_weights, read_events
from susyscan.ingest import ingest_file
from tests.data.synthetic_rwgt import FACTORS, add_scale_weights

FXFX = Path(__file__).resolve().parents[1] / "data" / "events" / "pylhe-testfile-madgraph-2.2.1-Z-fxfx-first600.lhe.gz"


def test_fxfx_slice_keeps_its_scale_weights(tmp_path: Path) -> None:
    lhe = add_scale_weights(FXFX, tmp_path / "fxfx_rwgt.lhe")
    out = tmp_path / "chunk0.root"
    ingest_file(lhe, out, {"sample": "dy", "process": "dy", "chunk": 0}, first_event=0, n_events=50,
                ingest_options={"sqrt_s_gev": 7000.0})
    values, meta = read_alt_weights(out)
    events, _ = read_events(out)
    weight = ak.to_numpy(events.weight)
    assert meta["lhe"]["scheme"] == "fxfx" and len(weight) < 50  # some events vetoed by the FxFx matching
    assert len(meta["alt_weight_columns"]) == 9
    for column in meta["alt_weight_columns"]:
        factor = FACTORS[tuple(column["scales"])]
        np.testing.assert_allclose(values[column["column"]], factor * weight, rtol=1e-7)
    assert meta["lhe"]["scale_envelope"]["n_variations"] == 6
