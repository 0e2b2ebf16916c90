"""Plot labels and curve families come from the analysis spec: nothing in the plotting code is listed per
analysis, so a plug-in analysis labels its plots through its spec alone."""

from __future__ import annotations

from susyscan.analyses import AnalysisSpec, builtin_spec
from susyscan.plotting.labels import PlaneLabels, assign_methods, default_methods, plane_labels

SMUON_REGIONS = ["NN high", "NN low", "BDT high", "BDT low", "Static jet veto", *(f"Dynamic veto {i}" for i in range(1, 7))]


def test_smuon_labels_and_methods_from_its_spec() -> None:
    spec = builtin_spec("smuon")
    labels = plane_labels(spec)
    assert (labels.x, labels.y) == spec.axis_labels and labels.process == spec.title
    assert labels.kinematic_limit == spec.kinematic_limit
    assert plane_labels("smuon") == labels  # a shipped analysis by name: its spec
    methods = default_methods(SMUON_REGIONS, spec)
    assert [m.name for m in methods] == ["NN", "BDT", "Static jet veto", "Dynamic jet veto"]
    owned = assign_methods(methods, SMUON_REGIONS)
    assert owned["Dynamic jet veto"] == [f"Dynamic veto {i}" for i in range(1, 7)]
    assert owned["NN"] == ["NN high", "NN low"]
    assert len({m.colour for m in methods}) == len(methods)


def test_plugin_spec_labels_its_plots() -> None:
    spec = AnalysisSpec(name="toy2", grid=("m_a", "m_b", "proc"), features=("met",), models=("bdt",),
                        axis_labels=("$m_a$ [GeV]", "$m_b$ [GeV]"), title="toy process",
                        methods=(("Cut and count", ("CC ",)),))
    labels = plane_labels(spec)
    assert labels == PlaneLabels(x="$m_a$ [GeV]", y="$m_b$ [GeV]", kinematic_limit="$m_a$ = $m_b$",
                                 process="toy process")
    methods = default_methods(["BDT all", "CC tight", "CC loose", "Other"], spec)
    assert [m.name for m in methods] == ["BDT", "Cut and count", "Other"]
    # the smuon families are not applied to another analysis: its "NN" regions stay separate curves
    assert [m.name for m in default_methods(["NN x", "Static jet veto"], spec)] == ["NN x", "Static jet veto"]


def test_unknown_analysis_gets_generic_labels() -> None:
    assert plane_labels("no_such_analysis") == PlaneLabels()
    assert [m.name for m in default_methods(["A", "B"], "no_such_analysis")] == ["A", "B"]


def test_methods_from_families_keeps_order_prefixes_and_colours() -> None:
    from susyscan.plotting.labels import METHOD_COLOURS, methods_from_families

    methods = methods_from_families([("DNN", ["DNN "]), ("Cut and count", ["C&C a", "C&C b"])])
    assert [m.name for m in methods] == ["DNN", "Cut and count"]
    assert methods[1].prefixes == ("C&C a", "C&C b")
    assert [m.colour for m in methods] == list(METHOD_COLOURS[:2])
    assert methods[0].owns("DNN 1j") and not methods[0].owns("DNN+SIGN 1j")
