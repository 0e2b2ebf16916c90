"""Text and grouping of the limit plots: axis labels, process line, kinematic limit, methods and their colours.

Everything a limit figure writes comes from a :class:`PlaneLabels` and a sequence of :class:`Method`; the
figure code never looks at the analysis name.  :func:`plane_labels` and :func:`default_methods` build them from
the analysis' :class:`~susyscan.analyses.spec.AnalysisSpec` (``axis_labels``, ``title``, ``kinematic_limit``,
``models``, ``methods``); nothing here is listed per analysis.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from susyscan.analyses.spec import MODEL_LABELS, AnalysisSpec
from susyscan.errors import ConfigError

#: Colour-blind safe, mutually distinct colours (Okabe-Ito), one per method, in order.
METHOD_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")


@dataclass(frozen=True)
class PlaneLabels:
    """Text of a mass-plane limit figure.

    ``x``/``y``: axis labels (parent, LSP); ``kinematic_limit``: label of the line ``y = x``;
    ``process``: one line naming the process (may be empty); ``experiment``/``status``: the top-left
    tag in the ATLAS/CMS summary-plot style (``status`` is written in italics after it)."""

    x: str = r"$m_{\mathrm{parent}}$ [GeV]"
    y: str = r"$m_{\mathrm{LSP}}$ [GeV]"
    kinematic_limit: str = r"$m_{\mathrm{parent}} = m_{\mathrm{LSP}}$"
    process: str = ""
    experiment: str = "susyscan"
    status: str = "Simulation"


def _spec(analysis: str | AnalysisSpec) -> AnalysisSpec | None:
    """The spec itself, or the shipped spec of a name (None for an unknown name)."""
    if isinstance(analysis, AnalysisSpec):
        return analysis
    if not analysis:
        return None
    from susyscan.analyses import builtin_spec  # imported late: the analysis packages import the selection

    try:
        return builtin_spec(analysis)
    except ConfigError:
        return None


def _without_unit(label: str) -> str:
    return label.removesuffix("[GeV]").strip()


def plane_labels(analysis: str | AnalysisSpec) -> PlaneLabels:
    """Labels of an analysis from its spec (``axis_labels``, ``title`` as the process line, ``kinematic_limit``,
    else "x = y" from the axis labels); a name is looked up among the shipped analyses, and an unknown one gets
    the generic parent/LSP labels."""
    spec = _spec(analysis)
    if spec is None:
        return PlaneLabels()
    x, y = spec.axis_labels
    limit = spec.kinematic_limit or f"{_without_unit(x)} = {_without_unit(y)}"
    return PlaneLabels(x=x, y=y, kinematic_limit=limit, process=spec.title)


@dataclass(frozen=True)
class Method:
    """A family of signal regions drawn as one curve: per grid point, its region of lowest expected CLs.

    ``prefixes``: a region belongs to the first method one of whose prefixes starts its name."""

    name: str
    prefixes: tuple[str, ...]
    colour: str

    def owns(self, region: str) -> bool:
        return any(region.startswith(prefix) for prefix in self.prefixes)


def method_families(analysis: str | AnalysisSpec) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Curve families of an analysis: one per ML model of its spec (``NN``: regions ``NN <mass region>``), then
    its spec's ``methods`` (families of cut-and-count regions)."""
    spec = _spec(analysis)
    if spec is None:
        return ()
    return (*((MODEL_LABELS[m], (f"{MODEL_LABELS[m]} ",)) for m in spec.models), *spec.methods)


def methods_from_families(families: Iterable[tuple[str, Sequence[str]]]) -> tuple[Method, ...]:
    """One :class:`Method` per (name, region-name prefixes) family, coloured in order as :func:`default_methods`."""
    return tuple(Method(str(name), tuple(prefixes), METHOD_COLOURS[index % len(METHOD_COLOURS)])
                 for index, (name, prefixes) in enumerate(families))


def default_methods(regions: Iterable[str], analysis: str | AnalysisSpec = "") -> tuple[Method, ...]:
    """Methods covering ``regions``: the families of the analysis' spec (:func:`method_families`) that own one of
    them; every region not claimed by a family becomes a method of its own (so no region is dropped)."""
    regions = list(dict.fromkeys(regions))
    methods: list[Method] = []
    for name, prefixes in method_families(analysis):
        if any(r.startswith(p) for r in regions for p in prefixes):
            methods.append(Method(name, prefixes, METHOD_COLOURS[len(methods) % len(METHOD_COLOURS)]))
    for region in regions:
        if not any(m.owns(region) for m in methods):
            methods.append(Method(region, (region,), METHOD_COLOURS[len(methods) % len(METHOD_COLOURS)]))
    return tuple(methods)


def assign_methods(methods: Sequence[Method], regions: Sequence[str]) -> dict[str, list[str]]:
    """Method name -> its regions; each region goes to the first method owning it; unclaimed regions raise."""
    out: dict[str, list[str]] = {m.name: [] for m in methods}
    for region in regions:
        owner = next((m for m in methods if m.owns(region)), None)
        if owner is None:
            raise ValueError(f"region {region!r} belongs to no method {[m.name for m in methods]}")
        out[owner.name].append(region)
    return out
