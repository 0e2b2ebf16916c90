"""LO (Pythia) versus NLO(+NLL) table cross sections per signal point: the K-factor report."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from susyscan.errors import ConfigError, EventFileError
from susyscan.generation.processes import get_process
from susyscan.generation.pythia_run import lo_cross_section, make_pythia, pythia_lo_xsec
from susyscan.generation.xsec import k_factor_rows, lookup, write_k_factor_table

logger = logging.getLogger(__name__)


SIN2_W, M_Z, WIDTH_Z = 0.2312, 91.1876, 2.4952


def _scalar_over_muon_pair(s_hat: float, quark: int, beta: float) -> float:
    """sigmaHat(qq -> smuon_R smuon_R*) / sigmaHat(qq -> mu+ mu-) at LO via gamma*/Z (massless muons)."""
    up = abs(quark) % 2 == 0
    e_q, t3 = (2 / 3, 0.5) if up else (-1 / 3, -0.5)
    g_q = (t3 - e_q * SIN2_W, -e_q * SIN2_W)
    chi = s_hat / complex(s_hat - M_Z**2, M_Z * WIDTH_Z) / (SIN2_W * (1 - SIN2_W))
    g_smuon_r, g_mu = SIN2_W, (-0.5 + SIN2_W, SIN2_W)
    scalar = 0.5 * sum(abs(-e_q + g * g_smuon_r * chi) ** 2 for g in g_q)
    fermion = 0.25 * sum(abs(-e_q + g * gm * chi) ** 2 for g in g_q for gm in g_mu)
    return beta**3 / 4 * scalar / fermion


def smuon_lo_from_drell_yan(m_smuon: float, n_events: int = 20000, seed: int = 1,
                            sqrt_s_gev: float = 13000.0) -> float:
    """Independent LO cross section (pb) of smuon_R pairs: Pythia gamma*/Z -> mu mu (m > 2 m_smuon)
    reweighted event by event with the analytic scalar/fermion matrix-element ratio.

    A cross-check of Pythia's SUSY:qqbar2sleptonantislepton normalisation (same PDFs, same couplings).
    """
    settings = [
        f"Beams:eCM = {sqrt_s_gev:g}", "Random:setSeed = on", f"Random:seed = {seed}", "Print:quiet = on",
        "WeakSingleBoson:ffbar2gmZ = on", "WeakZ0:gmZmode = 0", "23:onMode = off", "23:onIfAny = 13",
        f"PhaseSpace:mHatMin = {2 * m_smuon:g}", "PartonLevel:all = off", "HadronLevel:all = off",
    ]
    pythia = make_pythia(settings, f"Drell-Yan LO check at m_smuon={m_smuon:g}")
    ratios = []
    for _ in range(n_events):
        if pythia.next():
            info = pythia.infoPython()
            s_hat = info.sHat()
            ratios.append(_scalar_over_muon_pair(s_hat, info.id1(), math.sqrt(max(0.0, 1 - 4 * m_smuon**2 / s_hat))))
    sigma_mumu, _ = lo_cross_section(pythia)
    return sigma_mumu * float(np.mean(ratios))


def k_factor_report(
    process: str,
    points: list[dict[str, float]],
    out_csv: str | Path,
    n_events: int = 3000,
    seed: int = 1,
) -> list[dict[str, float | str]]:
    """Compute LO and NLO (table) per point; write CSV + Markdown; warn on odd ratios.

    For slepton pairs (``slepton_pair_fix``), ``xsec_lo_pb`` is the corrected LO (same-flavour quark pairs,
    colour factor fixed: docs/pythia_slepton_bug.md) and the raw Pythia value, the mixed-flavour fraction and
    its K-factor are kept beside it as evidence of the upstream bug.
    """
    spec = get_process(process)
    if spec.xsec_table is None or spec.xsec_table_mass is None:
        raise ConfigError(f"process {process!r} has no NLO cross-section table: no K-factor to report")
    rows = []
    for masses in points:
        nlo, nlo_unc = lookup(spec.xsec_table, masses[spec.xsec_table_mass])
        nlo, nlo_unc = spec.xsec_table_factor * nlo, spec.xsec_table_factor * nlo_unc
        row: dict[str, float | str] = {k: float(v) for k, v in masses.items()}
        if spec.slepton_pair_fix:
            raw, raw_err, _ = pythia_lo_xsec(process, masses, seed=seed, n_events=n_events, flavour_veto=False)
            same, same_err, counts = pythia_lo_xsec(process, masses, seed=seed, n_events=n_events, flavour_veto=True)
            assert counts is not None
            row.update({"xsec_lo_pythia_pb": raw, "k_factor_pythia": nlo / raw,
                        "mixed_flavour_fraction": counts.mixed_flavour_fraction()})
            lo, lo_err = spec.lo_factor * same, spec.lo_factor * same_err
        else:
            lo, lo_err, _ = pythia_lo_xsec(process, masses, seed=seed, n_events=n_events)
        row.update({"xsec_lo_pb": lo, "xsec_lo_err_pb": lo_err, "xsec_nlo_pb": nlo, "xsec_nlo_unc_pb": nlo_unc})
        if process == "smuon_R":
            check = smuon_lo_from_drell_yan(masses["m_smuon"], seed=seed)
            row["xsec_lo_dy_check_pb"] = check
            row["k_factor_dy_check"] = nlo / check
        rows.append(row)
    rows = k_factor_rows(rows)
    write_k_factor_table(rows, out_csv)
    logger.info("K-factor table for %s written to %s", process, out_csv)
    return rows


def k_factor_point(meta: dict[str, Any]) -> dict[str, float | str] | None:
    """One chunk's LO and normalisation cross sections, both of the same (filtered or unfiltered) process.

    Slepton pairs carry ``xsec_lo_corrected_pb``, the LO of the *unfiltered* process (3 x sigmaGen of the
    same-flavour events over the filter efficiency), so their normalisation is taken unfiltered too
    (``xsec_unfiltered_pb``); otherwise Pythia's sigmaGen (accepted events) against ``xsec_pb`` (table x filter
    efficiency). None when the metadata has no generator LO.
    """
    corrected = meta.get("xsec_lo_corrected_pb")
    if corrected is not None:
        lo = float(corrected)
        unfiltered = meta.get("xsec_unfiltered_pb")
        nlo = float(unfiltered if unfiltered is not None else meta["xsec_pb"] / meta.get("filter_efficiency", 1.0))
    elif meta.get("xsec_lo_pb") is not None:
        lo, nlo = float(meta["xsec_lo_pb"]), float(meta["xsec_pb"])
    else:
        return None
    return {"sample": meta["sample"], **{k: float(v) for k, v in (meta.get("masses") or {}).items()},
            "xsec_lo_pb": lo, "xsec_nlo_pb": nlo, "xsec_source": str(meta.get("xsec_source", ""))}


def k_factor_table_from_events(event_files: list[str | Path], csv_path: str | Path) -> list[dict[str, float | str]]:
    """LO (generator, from each file's metadata) vs normalisation cross section per signal sample.

    Reads the metadata of one chunk per signal point (the workflow passes chunk 0) and writes
    ``csv_path`` and its Markdown twin; an implausible ratio is logged as a warning by ``k_factor_rows``.
    """
    from susyscan.eventio import read_metadata

    points: list[dict[str, float | str]] = []
    for path in event_files:
        meta = read_metadata(path)
        try:
            point = k_factor_point(meta)
        except KeyError as err:
            raise EventFileError(f"{path}: metadata field {err} missing for the K-factor table") from err
        if point is None:
            logger.warning("%s: no generator LO cross section in the metadata; skipped", path)
            continue
        points.append(point)
    rows = k_factor_rows(points)
    write_k_factor_table(rows, csv_path)
    return rows
