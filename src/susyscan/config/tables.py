"""Sample and mass-grid tables (TSV) declaring what the workflow simulates.

Their columns, types and defaults are the JSON schemas ``susyscan/schemas/samples.schema.yaml`` and
``grid.schema.yaml`` (package data, validated by :mod:`susyscan.config.table_schema`); the checks that span
rows or columns (duplicate names, an ingested sample's path, a filter on a generated sample only,
0 <= LSP mass < parent mass) are here."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from susyscan.config.table_schema import grid_schema, samples_schema, validate_rows
from susyscan.errors import ConfigError

#: Grids of signal models that belong to no analysis (recast grids only, workflow/rules/recast.smk):
#: (parent-mass column, LSP-mass column, signal process). An analysis' grid comes from its ``AnalysisSpec.grid``.
RECAST_ONLY_GRIDS: dict[str, tuple[str, str, str]] = {
    "slepton_lr": ("m_slepton", "m_neutralino", "sleptons_LR"),
}


@dataclass(frozen=True)
class Sample:
    """One simulated or ingested sample, split into chunks."""

    name: str
    process: str
    source: str
    n_events: int
    n_chunks: int
    analyses: tuple[str, ...]
    path: str = ""
    xsec_pb: float | None = None
    filter: str = ""
    is_signal: bool = False
    masses: dict[str, float] = field(default_factory=dict)

    def events_in_chunk(self, chunk: int) -> int:
        """Events generated in ``chunk`` (the remainder goes to the first chunks)."""
        base, extra = divmod(self.n_events, self.n_chunks)
        return base + (1 if chunk < extra else 0)


@dataclass(frozen=True)
class GridPoint(Sample):
    """A signal mass point of an analysis grid."""

    analysis: str = ""
    m_parent: float = 0.0
    m_lsp: float = 0.0
    train: bool = False


def signal_sample_name(analysis: str, m_parent: float, m_lsp: float) -> str:
    """Canonical sample name of a grid point, e.g. ``smuon_300_100``."""
    return f"{analysis}_{m_parent:g}_{m_lsp:g}"


def _read_tsv(path: str | Path) -> list[dict[str, str]]:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"table not found: {path}")
    rows = []
    with open(path, newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle, delimiter="\t"), start=2):
            if None in row:  # more cells than the header has columns
                raise ConfigError(f"{path}, row {line}: {len(row[None]) + len(row) - 1} cells for {len(row) - 1} "
                                  f"columns (extra: {row[None]})")
            rows.append({k.strip(): (v or "").strip() for k, v in row.items()})
    if not rows:
        raise ConfigError(f"table {path} has no rows")
    return rows


def _train(value: str) -> bool:
    """The grid's ``train`` cell (its schema allows yes/no, true/false, 1/0 and empty = no)."""
    return value.lower() in ("yes", "true", "1")


def load_samples(path: str | Path) -> list[Sample]:
    """Read the background/external sample table, validated against ``schemas/samples.schema.yaml``; raise
    :class:`ConfigError` naming the file, row and column."""
    records = validate_rows(_read_tsv(path), samples_schema(), path, "sample table")
    samples: list[Sample] = []
    for line, row in enumerate(records, start=2):
        if row["source"] == "ingest" and not row["path"]:
            raise ConfigError(f"{path}, row {line}: sample '{row['sample']}' is ingested but has no path")
        if row["filter"] and row["source"] != "generate":
            raise ConfigError(f"{path}, row {line}: sample '{row['sample']}' has generator filter "
                              f"{row['filter']!r} but is not generated (source {row['source']!r})")
        samples.append(
            Sample(
                name=row["sample"],
                process=row["process"],
                source=row["source"],
                n_events=int(row["n_events"]),
                n_chunks=int(row["n_chunks"]),
                path=row["path"],
                analyses=tuple(a.strip() for a in row["analyses"].split(",") if a.strip()),
                xsec_pb=None if row["xsec_pb"] is None else float(row["xsec_pb"]),
                filter=row["filter"],
            )
        )
    names = [s.name for s in samples]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"sample table {path}: duplicate sample names {dupes}")
    return samples


def known_grid_models() -> list[str]:
    """Names whose grid columns :func:`grid_columns` knows: the shipped analyses (the packages of
    ``susyscan.analyses``) and the recast-only models."""
    import pkgutil

    import susyscan.analyses

    shipped = [m.name for m in pkgutil.iter_modules(susyscan.analyses.__path__) if m.ispkg]
    return sorted([*shipped, *RECAST_ONLY_GRIDS])


def grid_columns(name: str) -> tuple[str, str, str]:
    """(parent column, LSP column, process) of a shipped analysis (its spec) or of a recast-only signal model."""
    if name in RECAST_ONLY_GRIDS:
        return RECAST_ONLY_GRIDS[name]
    from susyscan.analyses import builtin_spec

    try:
        return builtin_spec(name).grid
    except ConfigError:
        raise ConfigError(f"unknown analysis grid '{name}' (known: {known_grid_models()})") from None


def load_grid(path: str | Path, analysis: str, columns: tuple[str, str, str] | None = None) -> list[GridPoint]:
    """Read a mass-grid table of ``analysis``, validated against ``schemas/grid.schema.yaml`` with its two mass
    columns; raise :class:`ConfigError` naming the file, row and column, or an unphysical mass point.

    ``columns``: (parent-mass column, LSP-mass column, signal process), the analysis' ``AnalysisSpec.grid``;
    by default :func:`grid_columns` of ``analysis``.
    """
    parent_col, lsp_col, process = columns if columns is not None else grid_columns(analysis)
    records = validate_rows(_read_tsv(path), grid_schema(parent_col, lsp_col), path, "grid table")
    points: list[GridPoint] = []
    for line, row in enumerate(records, start=2):
        m_parent = float(row[parent_col])
        m_lsp = float(row[lsp_col])
        if m_lsp < 0 or m_parent <= m_lsp:
            raise ConfigError(
                f"{path}, row {line}: need 0 <= {lsp_col} < {parent_col}, got {parent_col}={m_parent:g}, {lsp_col}={m_lsp:g}"
            )
        point_process = str(row.get("process") or "") or process
        if point_process != process:
            from susyscan.generation.processes import get_process

            try:
                keys = get_process(point_process).mass_keys
            except ValueError as err:
                raise ConfigError(f"{path}, row {line}: column 'process': {err}") from None
            if set(keys) != {parent_col, lsp_col}:
                raise ConfigError(f"{path}, row {line}: process {point_process!r} has mass keys {list(keys)}, the "
                                  f"grid columns are {[parent_col, lsp_col]}")
        points.append(
            GridPoint(
                name=signal_sample_name(analysis, m_parent, m_lsp),
                process=point_process,
                filter=str(row.get("filter") or ""),
                source="generate",
                n_events=int(row["n_events"]),
                n_chunks=int(row["n_chunks"]),
                analyses=(analysis,),
                is_signal=True,
                masses={parent_col: m_parent, lsp_col: m_lsp},
                analysis=analysis,
                m_parent=m_parent,
                m_lsp=m_lsp,
                train=_train(str(row["train"])),
            )
        )
    names = [p.name for p in points]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"grid table {path}: duplicate mass points {dupes}")
    return points
