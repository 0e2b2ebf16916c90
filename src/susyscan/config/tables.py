"""Sample and mass-grid tables (TSV) declaring what the workflow simulates."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from susyscan.errors import ConfigError

#: Grids of signal models that belong to no analysis (recast grids only, workflow/rules/recast.smk):
#: (parent-mass column, LSP-mass column, signal process). An analysis' grid comes from its ``AnalysisSpec.grid``.
RECAST_ONLY_GRIDS: dict[str, tuple[str, str, str]] = {
    "slepton_lr": ("m_slepton", "m_neutralino", "sleptons_LR"),
}
SAMPLE_COLUMNS = ("sample", "process", "source", "n_events", "n_chunks", "path", "analyses")
#: Optional sample-table columns: the normalisation cross section (pb) of an ingested file, and the name of a
#: generator-level filter (config ``generation.filters``) of a generated sample.
OPTIONAL_SAMPLE_COLUMNS = ("xsec_pb", "filter")
SOURCES = ("generate", "ingest")


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
    with open(path, newline="") as handle:
        rows = [
            {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
            for row in csv.DictReader(handle, delimiter="\t")
        ]
    if not rows:
        raise ConfigError(f"table {path} has no rows")
    return rows


def _int(row: dict[str, str], key: str, path: str | Path, line: int) -> int:
    try:
        value = int(row[key])
    except (KeyError, ValueError):
        raise ConfigError(f"{path}, row {line}: column '{key}' must be an integer, got {row.get(key)!r}") from None
    if value < 1:
        raise ConfigError(f"{path}, row {line}: column '{key}' must be >= 1, got {value}")
    return value


def _float(row: dict[str, str], key: str, path: str | Path, line: int) -> float:
    try:
        return float(row[key])
    except (KeyError, ValueError):
        raise ConfigError(f"{path}, row {line}: column '{key}' must be a number, got {row.get(key)!r}") from None


def _bool(row: dict[str, str], key: str, path: str | Path, line: int) -> bool:
    value = row.get(key, "").lower()
    if value in ("yes", "true", "1"):
        return True
    if value in ("no", "false", "0", ""):
        return False
    raise ConfigError(f"{path}, row {line}: column '{key}' must be yes/no, got {row.get(key)!r}")


def load_samples(path: str | Path) -> list[Sample]:
    """Read the background/external sample table; raise :class:`ConfigError` naming the row and column."""
    rows = _read_tsv(path)
    missing = [c for c in SAMPLE_COLUMNS if c not in rows[0]]
    if missing:
        raise ConfigError(f"sample table {path} lacks columns {missing}")
    samples: list[Sample] = []
    for line, row in enumerate(rows, start=2):
        if row["source"] not in SOURCES:
            raise ConfigError(f"{path}, row {line}: source must be one of {SOURCES}, got {row['source']!r}")
        if row["source"] == "ingest" and not row["path"]:
            raise ConfigError(f"{path}, row {line}: sample '{row['sample']}' is ingested but has no path")
        if not row["sample"]:
            raise ConfigError(f"{path}, row {line}: empty sample name")
        if row.get("filter") and row["source"] != "generate":
            raise ConfigError(f"{path}, row {line}: sample '{row['sample']}' has generator filter "
                              f"{row['filter']!r} but is not generated (source {row['source']!r})")
        samples.append(
            Sample(
                name=row["sample"],
                process=row["process"],
                source=row["source"],
                n_events=_int(row, "n_events", path, line),
                n_chunks=_int(row, "n_chunks", path, line),
                path=row["path"],
                analyses=tuple(a.strip() for a in row["analyses"].split(",") if a.strip()),
                xsec_pb=_float(row, "xsec_pb", path, line) if row.get("xsec_pb") else None,
                filter=row.get("filter", ""),
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
    """Read a mass-grid table of ``analysis``; raise :class:`ConfigError` on bad rows or unphysical masses.

    ``columns``: (parent-mass column, LSP-mass column, signal process), the analysis' ``AnalysisSpec.grid``;
    by default :func:`grid_columns` of ``analysis``.
    """
    parent_col, lsp_col, process = columns if columns is not None else grid_columns(analysis)
    rows = _read_tsv(path)
    needed = (parent_col, lsp_col, "train", "n_events", "n_chunks")
    missing = [c for c in needed if c not in rows[0]]
    if missing:
        raise ConfigError(f"grid table {path} lacks columns {missing}")
    points: list[GridPoint] = []
    for line, row in enumerate(rows, start=2):
        m_parent = _float(row, parent_col, path, line)
        m_lsp = _float(row, lsp_col, path, line)
        if m_lsp < 0 or m_parent <= m_lsp:
            raise ConfigError(
                f"{path}, row {line}: need 0 <= {lsp_col} < {parent_col}, got {parent_col}={m_parent:g}, {lsp_col}={m_lsp:g}"
            )
        points.append(
            GridPoint(
                name=signal_sample_name(analysis, m_parent, m_lsp),
                process=process,
                source="generate",
                n_events=_int(row, "n_events", path, line),
                n_chunks=_int(row, "n_chunks", path, line),
                analyses=(analysis,),
                is_signal=True,
                masses={parent_col: m_parent, lsp_col: m_lsp},
                analysis=analysis,
                m_parent=m_parent,
                m_lsp=m_lsp,
                train=_bool(row, "train", path, line),
            )
        )
    names = [p.name for p in points]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"grid table {path}: duplicate mass points {dupes}")
    return points
