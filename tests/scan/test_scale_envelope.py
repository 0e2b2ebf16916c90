"""Scan stage: per-region muR/muF envelopes of the backgrounds from the per-event weights of ingested event files.

The FxFx Z slice with synthetic LHEF 3 weights (tests/data/synthetic_rwgt.py: every variation a fixed multiple of
the event weight) is ingested into two chunks; hand-made feature tables select events of those files into two flag
regions. With constant factors the envelope of any selection is known: 1.08 and 0.93 times the nominal yield (the
(0.5, 2) and (2, 0.5) points, 1.5 and 0.5, must stay out)."""

from __future__ import annotations

import logging
from pathlib import Path

import awkward as ak
import pandas as pd
import pytest

from susyscan.contracts import SCALE_ENVELOPE_COLUMNS
from susyscan.eventio import read_events
from susyscan.ingest import ingest_file
from susyscan.scan.scale_envelope import compute_background_scale_envelopes
from tests.data.synthetic_rwgt import ENVELOPE_DOWN, ENVELOPE_UP, add_scale_weights

FXFX = Path(__file__).resolve().parents[1] / "data" / "events" / "pylhe-testfile-madgraph-2.2.1-Z-fxfx-first600.lhe.gz"
REGIONS = [{"name": "SR even", "kind": "flag", "column": "sr_even"}, {"name": "SR low", "kind": "flag", "column": "sr_low"}]


@pytest.fixture(scope="module")
def event_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Sample -> event files: dy_nlo (two chunks of 60 LHE events) and dy_b (one chunk, the next 60), process dy."""
    tmp = tmp_path_factory.mktemp("rwgt")
    lhe = add_scale_weights(FXFX, tmp / "fxfx_rwgt.lhe")
    files: dict[str, list[Path]] = {}
    for sample, chunk, first in (("dy_nlo", 0, 0), ("dy_nlo", 1, 60), ("dy_b", 0, 120)):
        out = tmp / f"{sample}_chunk{chunk}.root"
        ingest_file(lhe, out, {"sample": sample, "process": "dy", "chunk": chunk}, first_event=first, n_events=60,
                    ingest_options={"sqrt_s_gev": 7000.0})
        files.setdefault(sample, []).append(out)
    return files


def _features(files: list[Path], sample: str, xsec_scale: float) -> pd.DataFrame:
    """A merged feature table of every second event of the files (weight_pb = gen_weight x xsec_scale)."""
    rows = []
    for chunk, path in enumerate(files):
        events, _ = read_events(path)
        weights = ak.to_numpy(events.weight)
        for index in range(0, len(weights), 2):
            rows.append({"sample": sample, "process": "dy", "chunk": chunk, "event": index, "is_signal": 0,
                         "gen_weight": weights[index], "weight_pb": weights[index] * xsec_scale,
                         "sr_even": int(index % 4 == 0), "sr_low": int(index < 20)})
    return pd.DataFrame(rows)


def test_envelope_per_region_from_ingested_weights(event_files: dict[str, list[Path]], tmp_path: Path,
                                                   caplog) -> None:
    nlo = _features(event_files["dy_nlo"], "dy_nlo", 1e-3)
    assert (nlo["gen_weight"] < 0).any()  # FxFx: negative weights are in the sums
    nlo.to_csv(tmp_path / "dy_nlo.csv.gz", index=False)
    lo = nlo.assign(sample="dy_lo", process="dy_lo")  # a second sample without event files: no scale weights
    lo.to_csv(tmp_path / "dy_lo.csv.gz", index=False)
    with caplog.at_level(logging.INFO):
        table = compute_background_scale_envelopes([tmp_path / "dy_nlo.csv.gz", tmp_path / "dy_lo.csv.gz"],
                                                   {"dy_nlo": event_files["dy_nlo"]}, tmp_path / "env.csv", REGIONS)
    assert "sample dy_lo: no muR/muF scale weights" in caplog.text
    assert list(table.columns) == list(SCALE_ENVELOPE_COLUMNS) and set(table["process"]) == {"dy"}
    assert table.equals(pd.read_csv(tmp_path / "env.csv"))
    for region, column in (("SR even", "sr_even"), ("SR low", "sr_low")):
        row = table.set_index("region").loc[region]
        nominal = float(nlo.loc[nlo[column] == 1, "weight_pb"].sum())
        assert row["yield_pb"] == pytest.approx(nominal, rel=1e-9)
        low, high = sorted((ENVELOPE_UP * nominal, ENVELOPE_DOWN * nominal))  # a negative sum swaps the ends
        # the LHE file stores the weights to 9 digits
        assert (row["up_pb"], row["down_pb"]) == (pytest.approx(high, rel=1e-6), pytest.approx(low, rel=1e-6))
        assert row["n_variations"] == 6 and row["samples"] == "dy_nlo"


def test_samples_of_one_process_are_summed_before_the_envelope(event_files: dict[str, list[Path]],
                                                               tmp_path: Path) -> None:
    first = _features(event_files["dy_nlo"], "dy_nlo", 2e-3)
    second = _features(event_files["dy_b"], "dy_b", 1e-3)
    first.to_csv(tmp_path / "dy_nlo.csv.gz", index=False)
    second.to_csv(tmp_path / "dy_b.csv.gz", index=False)
    table = compute_background_scale_envelopes([tmp_path / "dy_nlo.csv.gz", tmp_path / "dy_b.csv.gz"], event_files,
                                               tmp_path / "env.csv", REGIONS[:1])
    row = table.iloc[0]
    nominal = float(first.loc[first["sr_even"] == 1, "weight_pb"].sum() + second.loc[second["sr_even"] == 1,
                                                                                        "weight_pb"].sum())
    assert len(table) == 1 and row["process"] == "dy" and row["samples"] == "dy_b dy_nlo"
    assert row["yield_pb"] == pytest.approx(nominal)
    low, high = sorted((ENVELOPE_UP * nominal, ENVELOPE_DOWN * nominal))
    assert (row["up_pb"], row["down_pb"]) == (pytest.approx(high, rel=1e-6), pytest.approx(low, rel=1e-6))


def test_no_sample_with_weights_gives_an_empty_table(event_files: dict[str, list[Path]], tmp_path: Path) -> None:
    _features(event_files["dy_nlo"], "dy_lo", 1e-3).to_csv(tmp_path / "dy_lo.csv.gz", index=False)
    table = compute_background_scale_envelopes([tmp_path / "dy_lo.csv.gz"], {}, tmp_path / "env.csv", REGIONS)
    assert table.empty and list(pd.read_csv(tmp_path / "env.csv").columns) == list(SCALE_ENVELOPE_COLUMNS)
