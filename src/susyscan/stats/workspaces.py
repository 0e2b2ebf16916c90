"""HEPData-style pyhf background-only workspace (one channel per region) and signal patchset over the grid."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyhf

from susyscan.atomic import write_json_atomic
from susyscan.stats.inputs import min_event_weight_pb, read_background_totals, read_signal_yields
from susyscan.stats.limits import PB_TO_FB, observed_count
from susyscan.stats.model_spec import background_sample, channel_name, measurement, mu_upper_bound, signal_sample

logger = logging.getLogger(__name__)

LABELS = ["m_parent", "m_lsp"]
# The pyhf patchset schema requires a HEPData record id "insNNNNNNN"; this placeholder marks "no record yet".
NO_HEPDATA_RECORD = "ins0000000"


def background_only_workspace(background: pd.DataFrame, regions: Sequence[str], lumi: float, rel_unc: float,
                              bkg_floor_pb: float, modifier: str = "shapesys",
                              observed: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Workspace spec with the background of each region (floored when empty); observations are the
    configured counts at this luminosity, else the background expectation (an expected-only workspace)."""
    scale = PB_TO_FB * lumi
    channels, observations = [], []
    for region in sorted(regions, key=channel_name):
        name = channel_name(region)
        bkg_pb = float(background.loc[region, "yield_pb"])
        bkg = (bkg_pb if bkg_pb > 0 else bkg_floor_pb) * scale
        channels.append({"name": name, "samples": [background_sample(name, bkg, rel_unc, modifier)]})
        n_obs = observed_count(observed, region, lumi)
        observations.append({"name": name, "data": [bkg if n_obs is None else n_obs]})
    return {"channels": channels, "observations": observations,
            "measurements": [measurement(10.0)], "version": "1.0.0"}


def signal_patch(bkg_only: dict[str, Any], point: pd.DataFrame, lumi: float, signal_mc_stat: bool,
                 rel_unc: float = 0.0) -> list[dict]:
    """JSON Patch adding the signal sample of one grid point to every channel and setting the POI bound."""
    scale = PB_TO_FB * lumi
    by_channel = {channel_name(r.region): r for r in point.itertuples(index=False)}
    ops: list[dict[str, Any]] = []
    mu_max = 10.0
    for index, channel in enumerate(bkg_only["channels"]):
        rec = by_channel[channel["name"]]
        sig = float(rec.yield_pb) * scale
        stat = float(rec.stat_pb) * scale if signal_mc_stat and sig > 0 else 0.0
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
    patches = []
    for (m_parent, m_lsp), point in signal.groupby(LABELS):
        patches.append({"metadata": {"name": f"{name}_{m_parent:g}_{m_lsp:g}", "values": [m_parent, m_lsp]},
                        "patch": signal_patch(bkg_only, point, lumi, signal_mc_stat, rel_unc)})
    return {"metadata": {"name": name, "description": f"signal patches for {name}", "labels": LABELS,
                         "digests": {"sha256": pyhf.utils.digest(bkg_only)},
                         "references": {"hepdata": hepdata_record}},
            "patches": patches, "version": "1.0.0"}


def workspace_names(lumi: float, scenario: str) -> tuple[str, str]:
    """File names of the background-only workspace and the patchset of one luminosity and scenario."""
    tag = f"{lumi:g}ifb_{scenario}"
    return f"bkgonly_{tag}.json", f"patchset_{tag}.json"


def write_workspaces(yield_paths: Sequence[str | Path], background_path: str | Path, out_dir: str | Path,
                     lumis: Sequence[float], scenarios: Mapping[str, float], modifier: str = "shapesys",
                     signal_mc_stat: bool = True, observed: Mapping[str, Any] | None = None,
                     zero_bkg_floor_pb: float | None = None, analysis: str = "smuon",
                     hepdata_record: str = NO_HEPDATA_RECORD) -> list[Path]:
    """Write one background-only workspace and one patchset per luminosity and scenario into ``out_dir``."""
    signal = read_signal_yields(yield_paths)
    background = read_background_totals(background_path)
    floor_pb = min_event_weight_pb(background, zero_bkg_floor_pb, background_path)
    regions = sorted(signal["region"].unique())
    written = []
    for lumi in lumis:
        for scenario, rel in scenarios.items():
            bkg_only = background_only_workspace(background, regions, float(lumi), float(rel), floor_pb,
                                                 modifier, observed)
            patchset = signal_patchset(bkg_only, signal, float(lumi), signal_mc_stat,
                                       f"{analysis}_{lumi:g}ifb_{scenario}", hepdata_record, float(rel))
            pyhf.PatchSet(patchset)  # validates against the pyhf schema before writing
            ws_name, ps_name = workspace_names(float(lumi), scenario)
            for obj, name in ((bkg_only, ws_name), (patchset, ps_name)):
                write_json_atomic(obj, Path(out_dir) / name)
                written.append(Path(out_dir) / name)
    logger.info("wrote %d workspace files to %s", len(written), out_dir)
    return written


__all__ = ["background_only_workspace", "signal_patchset", "write_workspaces", "workspace_names"]
