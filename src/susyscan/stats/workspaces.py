"""HEPData-style pyhf likelihoods: per signal region, one background-only workspace and one signal patchset.

The signal regions overlap (they share events), so, as ATLAS publishes overlapping regions, each region is
a workspace of its own (per luminosity and background scenario), never one workspace combining them.  The
background sample carries the same MC statistical ``staterror`` and zero-MC substitute as the CLs table
(:mod:`susyscan.stats.model_spec`, :func:`susyscan.stats.inputs.background_for_limits`) and, in the scenarios
of ``statistics.scale_envelope_scenarios``, the same per-process scale-envelope modifiers
(:mod:`susyscan.stats.envelope`), so a patched workspace reproduces the ``cls.csv`` row of its region.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyhf

from susyscan.atomic import write_json_atomic
from susyscan.errors import ConfigError
from susyscan.stats.cls import quiet_pyhf
from susyscan.stats.envelope import RegionUncertainty, scenario_uncertainties
from susyscan.stats.inputs import background_for_limits, read_signal_yields
from susyscan.stats.limits import PB_TO_FB, observed_count
from susyscan.stats.model_spec import (ScaleShift, background_sample, bound_rel_unc, channel_name, measurement,
                                      mu_upper_bound, signal_sample)

logger = logging.getLogger(__name__)

LABELS = ["m_parent", "m_lsp"]
# The pyhf patchset schema requires a HEPData record id "insNNNNNNN"; this placeholder marks "no record yet".
NO_HEPDATA_RECORD = "ins0000000"


def background_only_workspace(background: pd.DataFrame, region: str, lumi: float, rel_unc: float,
                              modifier: str = "shapesys",
                              observed: Mapping[str, Any] | None = None,
                              shifts: Sequence[ScaleShift] = ()) -> dict[str, Any]:
    """Workspace spec of one region: its background (``fit_pb``, with ``stat_pb`` as staterror) from
    :func:`~susyscan.stats.inputs.background_for_limits`, and the scale-envelope modifiers ``shifts`` (pb); the
    observation is the configured count at this luminosity, else the background expectation (an expected-only
    workspace)."""
    if region not in background.index:
        raise ConfigError(f"signal region {region!r} has no background yield")
    scale = PB_TO_FB * lumi
    name = channel_name(region)
    bkg = float(background.loc[region, "fit_pb"]) * scale
    stat = float(background.loc[region, "stat_pb"]) * scale
    n_obs = observed_count(observed, region, lumi)
    sample = background_sample(name, bkg, rel_unc, modifier, stat, [s.scaled(scale) for s in shifts])
    return {"channels": [{"name": name, "samples": [sample]}],
            "observations": [{"name": name, "data": [bkg if n_obs is None else n_obs]}],
            "measurements": [measurement(10.0)], "version": "1.0.0"}


def signal_patch(bkg_only: dict[str, Any], point: Sequence[Mapping[str, Any]], lumi: float, signal_mc_stat: bool,
                 rel_unc: float = 0.0) -> list[dict]:
    """JSON Patch adding the signal sample of one grid point (its yield rows: ``region``, ``yield_pb``,
    ``stat_pb``) to every channel and setting the POI bound."""
    scale = PB_TO_FB * lumi
    by_channel = {channel_name(str(r["region"])): r for r in point}
    ops: list[dict[str, Any]] = []
    mu_max = 10.0
    for index, channel in enumerate(bkg_only["channels"]):
        rec = by_channel[channel["name"]]
        sig = float(rec["yield_pb"]) * scale
        stat = float(rec["stat_pb"]) * scale if signal_mc_stat and sig > 0 else 0.0
        bkg = float(channel["samples"][0]["data"][0])
        if sig > 0:
            mu_max = max(mu_max, mu_upper_bound(sig, bkg, rel_unc))
        ops.append({"op": "add", "path": f"/channels/{index}/samples/{len(channel['samples'])}",
                    "value": signal_sample(channel["name"], sig, stat)})
    ops.append({"op": "replace", "path": "/measurements/0/config/parameters/0/bounds", "value": [[0.0, mu_max]]})
    return ops


def signal_patchset(bkg_only: dict[str, Any], signal: pd.DataFrame, lumi: float, signal_mc_stat: bool,
                    name: str, hepdata_record: str = NO_HEPDATA_RECORD, rel_unc: float = 0.0) -> dict[str, Any]:
    """pyhf PatchSet JSON with one patch per grid point labelled by (m_parent, m_lsp)."""
    by_point: dict[tuple[float, float], list[dict[str, Any]]] = {}
    for rec in signal.sort_values(LABELS, kind="stable").to_dict("records"):
        by_point.setdefault((rec["m_parent"], rec["m_lsp"]), []).append(rec)
    patches = []
    for (m_parent, m_lsp), point in by_point.items():
        patches.append({"metadata": {"name": f"{name}_{m_parent:g}_{m_lsp:g}", "values": [m_parent, m_lsp]},
                        "patch": signal_patch(bkg_only, point, lumi, signal_mc_stat, rel_unc)})
    return {"metadata": {"name": name, "description": f"signal patches for {name}", "labels": LABELS,
                         "digests": {"sha256": pyhf.utils.digest(bkg_only)},
                         "references": {"hepdata": hepdata_record}},
            "patches": patches, "version": "1.0.0"}


def workspace_names(lumi: float, scenario: str, region: str) -> tuple[str, str]:
    """File names of the background-only workspace and the patchset of one region, luminosity and scenario."""
    tag = f"{channel_name(region)}_{lumi:g}ifb_{scenario}"
    return f"bkgonly_{tag}.json", f"patchset_{tag}.json"


def validate_likelihood(bkg_only: dict[str, Any], patchset: dict[str, Any], label: str) -> None:
    """pyhf schema validation of both documents and the patchset's digest of the workspace."""
    try:
        workspace = pyhf.Workspace(bkg_only)
        pyhf.PatchSet(patchset).verify(workspace)
    except (pyhf.exceptions.InvalidSpecification, pyhf.exceptions.InvalidPatchSet,
            pyhf.exceptions.PatchSetVerificationError) as err:
        raise ConfigError(f"{label}: invalid pyhf workspace or patchset: {err}") from err


def write_workspaces(yield_paths: Sequence[str | Path], background_path: str | Path, out_dir: str | Path,
                     lumis: Sequence[float], scenarios: Mapping[str, float], modifier: str = "shapesys",
                     signal_mc_stat: bool = True, observed: Mapping[str, Any] | None = None,
                     analysis: str = "smuon", hepdata_record: str = NO_HEPDATA_RECORD,
                     background_mc_stat: bool = True, envelopes_path: str | Path | None = None,
                     envelope_scenarios: Sequence[str] = (), scale_modifier: str = "histosys") -> list[Path]:
    """Write one background-only workspace and one patchset per region, luminosity and scenario into
    ``out_dir`` (:func:`workspace_names`), each validated with pyhf before it is written. ``envelope_scenarios``
    take the per-region scale envelopes of ``envelopes_path`` as ``scale_modifier`` modifiers, with the flat
    fraction on the rest, as in the limits (:mod:`susyscan.stats.envelope`)."""
    quiet_pyhf()
    signal = read_signal_yields(yield_paths)
    background = background_for_limits(background_path, background_mc_stat)
    region_unc = scenario_uncertainties(background_path, scenarios, envelopes_path, envelope_scenarios,
                                        background["zero_mc"].to_dict(), scale_modifier)
    written = []
    for region in sorted(signal["region"].unique(), key=channel_name):
        rows = signal[signal["region"] == region]
        for lumi in map(float, lumis):
            for scenario, rel in scenarios.items():
                unc = region_unc.get(scenario, {}).get(region, RegionUncertainty(rel, (), rel))
                bkg_only = background_only_workspace(background, region, lumi, float(unc.flat_rel), modifier,
                                                     observed, unc.shifts)
                name = f"{analysis}_{channel_name(region)}_{lumi:g}ifb_{scenario}"
                bound_rel = bound_rel_unc(float(background.loc[region, "fit_pb"]), float(unc.flat_rel), unc.shifts)
                patchset = signal_patchset(bkg_only, rows, lumi, signal_mc_stat, name, hepdata_record, bound_rel)
                ws_name, ps_name = workspace_names(lumi, scenario, region)
                validate_likelihood(bkg_only, patchset, f"{background_path}: region {region!r} {name}")
                for obj, file_name in ((bkg_only, ws_name), (patchset, ps_name)):
                    write_json_atomic(obj, Path(out_dir) / file_name)
                    written.append(Path(out_dir) / file_name)
    logger.info("wrote %d workspace files to %s", len(written), out_dir)
    return written


__all__ = ["background_only_workspace", "signal_patchset", "validate_likelihood", "write_workspaces",
           "workspace_names"]
