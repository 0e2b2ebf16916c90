"""Text and grouping of the limit plots: axis labels, process line, kinematic limit, methods and their colours.

Everything a limit figure writes comes from a :class:`PlaneLabels` and a sequence of :class:`Method`; the
figure code never looks at the analysis name.  :func:`plane_labels` and :func:`default_methods` give today's
defaults per analysis; an analysis specification can build its own and pass them in instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


_PLANE_LABELS: dict[str, PlaneLabels] = {
    "smuon": PlaneLabels(
        x=r"$m(\tilde{\mu})$ [GeV]",
        y=r"$m(\tilde{\chi}^0_1)$ [GeV]",
        kinematic_limit=r"$m(\tilde{\mu}) = m(\tilde{\chi}^0_1)$",
        process=r"$\tilde{\mu}_R\tilde{\mu}_R,\ \tilde{\mu}_R \to \mu\,\tilde{\chi}^0_1$",
    ),
    "ewkino": PlaneLabels(
        x=r"$m(\tilde{q})$ [GeV]",
        y=r"$m(\tilde{\chi}^0_1, \tilde{\chi}^\pm_1)$ [GeV]",
        kinematic_limit=r"$m(\tilde{q}) = m(\tilde{\chi})$",
        process=r"$\tilde{q}\tilde{q},\ \tilde{q} \to q\,\tilde{\chi}$",
    ),
}


def plane_labels(analysis: str) -> PlaneLabels:
    """Default labels of ``analysis`` (generic parent/LSP labels for an unknown one)."""
    return _PLANE_LABELS.get(analysis, PlaneLabels())


@dataclass(frozen=True)
class Method:
    """A family of signal regions drawn as one curve: per grid point, its region of lowest expected CLs.

    ``prefixes``: a region belongs to the first method one of whose prefixes starts its name."""

    name: str
    prefixes: tuple[str, ...]
    colour: str

    def owns(self, region: str) -> bool:
        return any(region.startswith(prefix) for prefix in self.prefixes)


#: The smuon analysis' methods: networks, BDTs, the static jet veto and the best of the dynamic vetoes.
SMUON_METHODS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("NN", ("NN ",)),
    ("BDT", ("BDT ",)),
    ("Static jet veto", ("Static jet veto",)),
    ("Dynamic jet veto", ("Dynamic veto",)),
)


def default_methods(regions: Iterable[str], analysis: str = "") -> tuple[Method, ...]:
    """Methods covering ``regions``: the smuon families when ``analysis`` is ``smuon``; every region not
    claimed by a family becomes a method of its own (so no region is dropped)."""
    regions = list(dict.fromkeys(regions))
    families = SMUON_METHODS if analysis == "smuon" else ()
    methods: list[Method] = []
    for name, prefixes in families:
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
