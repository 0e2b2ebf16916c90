"""Start-up checks of ingested samples (called by :func:`susyscan.config.checks`), before any job runs.

For every sample with ``source = ingest``: the file exists; an LHE file's beam energy equals the config's
``sqrt_s_gev`` or the one declared in ``ingest.<sample>.sqrt_s_gev``; its matching/merging scheme is
supported and can be set up (e.g. a CKKW-L file has a merging scale); a file small enough to count quickly
holds the ``n_events`` the table asks for. Every ``ingest.<name>`` entry must name an ingested sample. With
``detector.tau_truth_tagging`` on, a Delphes file (tagged by Delphes already) is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from susyscan.errors import ConfigError, EventFileError

logger = logging.getLogger(__name__)

#: Files up to this size are scanned at start-up to count their events.
COUNT_AT_STARTUP_BYTES = 50_000_000


def check_ingested_samples(samples: Iterable[Any], config: Mapping[str, Any], base: str | Path = ".") -> None:
    """ConfigError / EventFileError naming the sample and the file for the problems listed in the module docstring."""
    from susyscan.ingest import delphes_truth_tagging_message, detect_kind
    from susyscan.ingest.lhe import check_beam_energy, read_header_only, scan_lhe
    from susyscan.ingest.lhe_setup import IngestOptions, scheme_setup

    ingested = {s.name: s for s in samples if s.source == "ingest"}
    options = dict(config.get("ingest") or {})
    unknown = sorted(set(options) - set(ingested))
    if unknown:
        raise ConfigError(f"config key 'ingest': {unknown} are not ingested samples of {config.get('samples')} "
                          f"(ingested: {sorted(ingested)})")
    for name, sample in ingested.items():
        path = Path(sample.path)
        if not path.is_absolute():
            path = Path(base) / path
        if not path.is_file():
            raise ConfigError(f"sample '{name}': file {sample.path} does not exist")
        try:
            kind = detect_kind(path)
        except EventFileError as exc:
            raise ConfigError(f"sample '{name}': {exc}") from exc
        if kind == "delphes" and (config.get("detector") or {}).get("tau_truth_tagging"):
            raise ConfigError(delphes_truth_tagging_message(name, sample.path))
        if kind != "lhe":
            continue
        opts = IngestOptions.from_mapping(options.get(name), f"config key 'ingest.{name}'")
        try:
            header = read_header_only(path)
            check_beam_energy(path, header.sqrt_s_gev, float(config["sqrt_s_gev"]), opts.sqrt_s_gev)
            scheme_setup(header, opts, str(path))
            if path.stat().st_size <= COUNT_AT_STARTUP_BYTES and sample.n_events:
                n_file = scan_lhe(path)["n_events"]
                if int(sample.n_events) > n_file:
                    raise EventFileError(f"LHE file {path} holds {n_file} events, but n_events = {sample.n_events} "
                                         "are requested")
        except (EventFileError, ConfigError) as exc:
            raise ConfigError(f"sample '{name}': {exc}") from exc
