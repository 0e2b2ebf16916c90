"""Registry of the Pythia 8 processes: hard-process switches and forced decays per sample type.

Forced decays use `onMode = off` + `onIfAny`; Pythia's sigmaGen then includes the branching
fractions of the open channels (tested in tests/generation/test_xsec_forced.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from susyscan.errors import UnknownSampleError

_W_TO_MU = ("24:onMode = off", "24:onIfAny = 13")
_W_TO_MU_TAU = ("24:onMode = off", "24:onIfAny = 13 15")
_PURE_Z = ("WeakZ0:gmZmode = 2",)  # Z only, no gamma* (matches the on-shell reference cross sections)
#: qg -> squark + electroweakino (every neutralino/chargino: the heavy bino/higgsino states are allowed but tiny).
_SQ_EWKINO_ASSOC = ("SUSY:qg2chi0squark = on", "SUSY:qg2chi+-squark = on")
#: Squark pairs: with the gluino decoupled, squark-antisquark comes from QCD plus t-channel wino exchange and
#: squark-squark from t-channel wino exchange only (both large for a light wino, docs/analysis_ewkino.md).
_SQUARK_PAIRS = ("SUSY:gg2squarkantisquark = on", "SUSY:qqbar2squarkantisquark = on", "SUSY:qq2squarksquark = on")
#: Pythia 8 (8.230-8.317) averages the q qbar colours of slepton-pair production with 1/9 instead of 1/3.
SLEPTON_PAIR_COLOUR_FIX = 3.0
REFERENCE_SQRT_S_GEV = 13000.0  # energy of the reference cross-section tables


@dataclass(frozen=True)
class ProcessSpec:
    """One generator process.

    name: registry key (the `process` of a sample); kind: 'signal' or 'background';
    settings: Pythia `readString` lines (hard process + forced decays);
    slha_model: SLHA model of `susyscan.generation.slha` for signals (None for SM);
    mass_keys: names of the mass parameters of a signal point;
    xsec_table: NLO(+NLL) table in resources/xsec (signals; None -> LO normalisation);
    xsec_table_mass: which mass key the table is indexed by;
    uses_pthat_min: True if `PhaseSpace:pTHatMin` applies (V+jet 2->2 processes);
    xsec_table_factor: the table value times this is the sample's cross section (e.g. 2 flavours of a
        one-flavour table);
    slepton_pair_fix: True for Pythia's `SUSY:qqbar2sleptonantislepton` charged-slepton pairs: quark pairs of
        different flavour are vetoed at process level and the LO cross section is multiplied by
        `SLEPTON_PAIR_COLOUR_FIX` (Pythia divides by 9 instead of 3; docs/pythia_slepton_bug.md);
    description: one line for logs and docs;
    components: a composite process is generated as separate Pythia runs of these registered processes, one
        per (process, share of the sample's events), in the same event file: each component's events carry weights
        that sum to its own cross section (``susyscan.generation.chunk``), so the sample is their physical sum
        with MC statistics allotted by the shares instead of by the cross sections.  A sample's generator filter
        applies to every component.  ``settings`` is empty for a composite;
    kfactor_table: an NLO table of a subprocess (indexed by ``xsec_table_mass``): the sample is normalised to its
        generator LO times K = table / Pythia LO of that subprocess (``kfactor_settings``), the latter computed in the
        table's spectrum, i.e. with the masses ``kfactor_masses`` overriding the point's (e.g. squarks decoupled),
        ``susyscan.generation.pythia_run.table_kfactor``;
    user_sigma: an external Pythia process written in Python (a key of ``susyscan.generation.top_w.USER_SIGMAS``,
        added with ``Pythia.setSigmaPtr``) for what Pythia 8 lacks (tW); ``settings`` then switch no process on.
    """

    name: str
    kind: str
    settings: tuple[str, ...]
    description: str
    slha_model: str | None = None
    mass_keys: tuple[str, ...] = ()
    xsec_table: str | None = None
    xsec_table_mass: str | None = None
    uses_pthat_min: bool = False
    slepton_pair_fix: bool = False
    xsec_table_factor: float = 1.0
    extra: dict[str, str] = field(default_factory=dict)
    components: tuple[tuple[str, float], ...] = ()
    kfactor_table: str | None = None
    kfactor_settings: tuple[str, ...] = ()
    kfactor_masses: tuple[tuple[str, float], ...] = ()
    user_sigma: str | None = None

    @property
    def lo_factor(self) -> float:
        """Factor from Pythia's sigmaGen to the correct LO of the generated (accepted) events."""
        return SLEPTON_PAIR_COLOUR_FIX if self.slepton_pair_fix else 1.0


PROCESSES: dict[str, ProcessSpec] = {
    p.name: p
    for p in [
        ProcessSpec(
            name="smuon_R",
            kind="signal",
            settings=(
                "SUSY:qqbar2sleptonantislepton = on",
                "SUSY:idA = 2000013",
                "SUSY:idB = 2000013",
            ),
            description="pp -> smuon_R smuon_R*, smuon_R -> mu chi10 (100%), bino chi10",
            slha_model="smuon",
            mass_keys=("m_smuon", "m_neutralino"),
            xsec_table="pp13_slep_R_NLO+NLL_PDF4LHC.json",
            xsec_table_mass="m_smuon",
            slepton_pair_fix=True,
        ),
        ProcessSpec(
            name="sleptons_LR",
            kind="signal",
            settings=(
                "SUSY:qqbar2sleptonantislepton = on",
                "SUSY:idVecA = 1000011,2000011,1000013,2000013",
                "SUSY:idVecB = 1000011,2000011,1000013,2000013",
            ),
            description="pp -> ~l ~l*, ~l = ~e_L, ~e_R, ~mu_L, ~mu_R degenerate, ~l -> l chi10 (100%), bino chi10",
            slha_model="sleptons_lr",
            mass_keys=("m_slepton", "m_neutralino"),
            xsec_table="pp13_slep_LR_NLO+NLL_PDF4LHC.json",  # one flavour, L + R summed: times 2 flavours
            xsec_table_mass="m_slepton",
            xsec_table_factor=2.0,
            slepton_pair_fix=True,
        ),
        ProcessSpec(
            name="stau_LR",
            kind="signal",
            settings=(
                "SUSY:qqbar2sleptonantislepton = on",
                "SUSY:idVecA = 1000015,2000015",
                "SUSY:idVecB = 1000015,2000015",
            ),
            description="pp -> ~tau ~tau*, ~tau = ~tau_L, ~tau_R degenerate (no L-R mixing), ~tau -> tau chi10 (100%), "
                        "bino chi10; taus decayed by Pythia",
            slha_model="stau_lr",
            mass_keys=("m_stau", "m_neutralino"),
            # L + R summed from the two NLO+NLL stau tables (resources/xsec/README.md)
            xsec_table="pp13_stau_LR_NLO+NLL_PDF4LHC.json",
            xsec_table_mass="m_stau",
            slepton_pair_fix=True,
        ),
        ProcessSpec(
            name="sq_ewkino",
            kind="signal",
            settings=(*_SQ_EWKINO_ASSOC, *_SQUARK_PAIRS),
            description="light wino-like N1/C1 with light-flavour squarks: qg -> squark + electroweakino, "
                        "squark-antisquark and squark-squark pairs (QCD and wino t-channel), squark -> q + "
                        "electroweakino; sbottoms, stops and gluino decoupled (docs/analysis_ewkino.md)",
            slha_model="wino",
            mass_keys=("m_squark", "m_electroweakino"),  # = the ewkino grid columns
            # No table covers the sum: the squark-antisquark table (pp13_squark_NNLO+NNLL) is QCD only, while with
            # a light wino the t-channel wino diagrams are large (docs/analysis_ewkino.md); Pythia LO kept.
            xsec_table=None,
        ),
        ProcessSpec(
            name="sq_ewkino_assoc",
            kind="signal",
            settings=_SQ_EWKINO_ASSOC,
            description="qg -> squark + electroweakino only (light wino-like N1/C1, light-flavour squarks)",
            slha_model="wino",
            mass_keys=("m_squark", "m_electroweakino"),
            xsec_table=None,  # no NLO table for associated squark-electroweakino production: LO kept
        ),
        ProcessSpec(
            name="wino_pair",
            kind="signal",
            settings=("SUSY:qqbar2chi0chi0 = on", "SUSY:qqbar2chi+-chi0 = on", "SUSY:qqbar2chi+chi- = on",
                      "SUSY:idVecA = 1000022,1000024", "SUSY:idVecB = 1000022,1000024"),
            description="electroweakino pair (N1 C1, C1 C1, N1 N1) of the wino model; jets only from the parton "
                        "shower's initial-state radiation",
            slha_model="wino",
            mass_keys=("m_squark", "m_electroweakino"),
            # The wino table is C1+- N(wino) only (C1C1 is not tabulated) and assumes decoupled squarks: its K-factor
            # over Pythia's LO of C1+- N1 with squarks at 5 TeV scales the LO of all pairs at the point (with its
            # squark t-channel), docs/analysis_ewkino.md.
            xsec_table_mass="m_electroweakino",
            kfactor_table="pp13_winopm_C1N2_NLO+NLL.json",
            kfactor_settings=("SUSY:qqbar2chi+-chi0 = on", "SUSY:idVecA = 1000022,1000024",
                              "SUSY:idVecB = 1000022,1000024"),
            kfactor_masses=(("m_squark", 5000.0),),
        ),
        ProcessSpec(
            name="sq_ewkino_isr",
            kind="signal",
            settings=(),
            description="sq_ewkino plus wino pairs recoiling against initial-state radiation (wino_pair), two "
                        "Pythia runs with half of the events each, weighted to their cross sections "
                        "(docs/analysis_ewkino.md; use with a parton-level recoil filter, else ~98 % of the "
                        "wino pairs fail the MET preselection)",
            slha_model="wino",
            mass_keys=("m_squark", "m_electroweakino"),
            xsec_table=None,  # each component is normalised by its own ProcessSpec (both LO)
            components=(("sq_ewkino", 0.5), ("wino_pair", 0.5)),
        ),
        ProcessSpec(
            name="sq_higgsino",
            kind="signal",
            settings=(
                "SUSY:qg2chi0squark = on",
                "SUSY:qg2chi+-squark = on",
                # restrict the electroweakino to the light higgsino-like triplet
                "SUSY:idVecA = 1000022,1000023,1000024",
            ),
            description="qg -> squark + (N1|N2|C1), light higgsino-like electroweakinos (Yukawa-suppressed coupling)",
            slha_model="higgsino",
            mass_keys=("m_squark", "m_ewkino"),
            xsec_table=None,
        ),
        ProcessSpec(
            name="ttbar_mumu",
            kind="background",
            settings=("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *_W_TO_MU),
            description="ttbar, both W -> mu nu",
        ),
        ProcessSpec(
            name="ttbar_lep",
            kind="background",
            settings=("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *_W_TO_MU_TAU),
            description="ttbar, both W -> mu nu or tau nu",
        ),
        ProcessSpec(
            name="ww_mumu",
            kind="background",
            settings=("WeakDoubleBoson:ffbar2WW = on", *_W_TO_MU),
            description="WW, both W -> mu nu",
        ),
        ProcessSpec(
            name="zz_mumununu",
            kind="background",
            settings=("WeakDoubleBoson:ffbar2gmZgmZ = on", *_PURE_Z, "23:onMode = off", "23:onIfAny = 13 12 14 16"),
            description="ZZ, each Z -> mu mu or nu nu (incl. 2mu2nu, 4mu, 4nu)",
        ),
        ProcessSpec(
            name="wz_mumumu",
            kind="background",
            settings=("WeakDoubleBoson:ffbar2ZW = on", *_PURE_Z, *_W_TO_MU, "23:onMode = off", "23:onIfAny = 13"),
            description="WZ, W -> mu nu, Z -> mu mu",
        ),
        ProcessSpec(
            name="znunu_jets",
            kind="background",
            settings=(
                "WeakBosonAndParton:qqbar2gmZg = on",
                "WeakBosonAndParton:qg2gmZq = on",
                *_PURE_Z,
                "23:onMode = off",
                "23:onIfAny = 12 14 16",
            ),
            description="Z(-> nu nu) + jet (2->2, pT-hat > PhaseSpace:pTHatMin)",
            uses_pthat_min=True,
        ),
        ProcessSpec(
            name="wlnu_jets",
            kind="background",
            settings=(
                "WeakBosonAndParton:qqbar2Wg = on",
                "WeakBosonAndParton:qg2Wq = on",
                "24:onMode = off",
                "24:onIfAny = 11 13 15",
            ),
            description="W(-> l nu, l = e, mu, tau) + jet (2->2, pT-hat > PhaseSpace:pTHatMin)",
            uses_pthat_min=True,
        ),
        # Backgrounds of the stau lep-had analysis (docs/analysis_stau.md): inclusive samples with Pythia's shower
        # for the jets, normalised to the inclusive references of resources/backgrounds/xsec.csv.
        ProcessSpec(
            name="w_lnu",
            kind="background",
            settings=("WeakSingleBoson:ffbar2W = on", "24:onMode = off", "24:onIfAny = 11 13 15"),
            description="inclusive W -> l nu (l = e, mu, tau), jets from the parton shower",
        ),
        ProcessSpec(
            name="z_ll",
            kind="background",
            settings=("WeakSingleBoson:ffbar2gmZ = on", *_PURE_Z, "23:onMode = off", "23:onIfAny = 11 13"),
            description="inclusive Z -> ee, mu mu (no gamma*), jets from the parton shower",
        ),
        ProcessSpec(
            name="z_tautau",
            kind="background",
            settings=("WeakSingleBoson:ffbar2gmZ = on", *_PURE_Z, "23:onMode = off", "23:onIfAny = 15"),
            description="inclusive Z -> tau tau (no gamma*), jets from the parton shower",
        ),
        ProcessSpec(
            name="ttbar_incl",
            kind="background",
            settings=("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"),
            description="ttbar, all decays",
        ),
        ProcessSpec(
            name="single_top",
            kind="background",
            settings=("Top:qq2tq(t:W) = on", "Top:ffbar2tqbar(s:W) = on"),
            description="single top, t- and s-channel, all decays (tW: single_top_tw)",
        ),
        ProcessSpec(
            name="single_top_tw",
            kind="background",
            settings=(),
            description="single top tW (g b -> W- t + c.c., LO, external process susyscan.generation.top_w: "
                        "Pythia 8 has none), all decays",
            user_sigma="gb2tW",
        ),
        ProcessSpec(
            name="diboson_incl",
            kind="background",
            settings=("WeakDoubleBoson:ffbar2WW = on", "WeakDoubleBoson:ffbar2ZW = on",
                      "WeakDoubleBoson:ffbar2gmZgmZ = on", *_PURE_Z),
            description="WW + WZ + ZZ (on-shell Z, no gamma*), all decays",
        ),
        ProcessSpec(
            name="ggh_tautau",
            kind="background",
            settings=("HiggsSM:gg2H = on", "25:onMode = off", "25:onIfAny = 15"),
            description="gg -> H (125 GeV), H -> tau tau",
        ),
        ProcessSpec(
            name="vbfh_tautau",
            kind="background",
            settings=("HiggsSM:ff2Hff(t:ZZ) = on", "HiggsSM:ff2Hff(t:WW) = on", "25:onMode = off",
                      "25:onIfAny = 15"),
            description="VBF H (125 GeV), H -> tau tau",
        ),
    ]
}


def check_composites() -> None:
    """Components are registered, not composite themselves, share the slha model and mass keys, shares sum to 1."""
    for spec in PROCESSES.values():
        if not spec.components:
            continue
        for name, share in spec.components:
            part = PROCESSES.get(name)
            if part is None or part.components or part.slha_model != spec.slha_model or part.mass_keys != spec.mass_keys:
                raise UnknownSampleError(f"composite process {spec.name!r}: component {name!r} is not a registered, "
                                         f"non-composite process with slha model {spec.slha_model!r} and mass keys "
                                         f"{spec.mass_keys}")
            if not 0.0 < share < 1.0:
                raise UnknownSampleError(f"composite process {spec.name!r}: share {share} of {name!r} not in (0, 1)")
        if abs(sum(share for _, share in spec.components) - 1.0) > 1e-9:
            raise UnknownSampleError(f"composite process {spec.name!r}: shares {spec.components} do not sum to 1")


def get_process(name: str) -> ProcessSpec:
    """The registered process `name`; UnknownSampleError otherwise."""
    if name not in PROCESSES:
        raise UnknownSampleError(f"unknown process {name!r}; registered: {sorted(PROCESSES)}")
    return PROCESSES[name]


def kfactor_processes(process: str, sqrt_s_gev: float) -> list[str]:
    """The processes of a sample of ``process`` (itself, or its components when composite) normalised with a table
    K-factor (``ProcessSpec.kfactor_table``) at this energy: none off the tables' 13 TeV (``chunk.normalisation``).
    Here, not in ``generation.chunk``, so that the workflow builds its DAG without importing Pythia."""
    if sqrt_s_gev != REFERENCE_SQRT_S_GEV:
        return []
    spec = get_process(process)
    parts = [name for name, _ in spec.components] or [spec.name]
    return [name for name in parts if get_process(name).kfactor_table is not None]


def pythia_settings(
    spec: ProcessSpec,
    seed: int,
    sqrt_s_gev: float = 13000.0,
    slha_path: str | None = None,
    pthat_min_gev: float = 100.0,
    extra_settings: tuple[str, ...] = (),
) -> list[str]:
    """All `readString` lines for one run of `spec` (beams, seed, quiet output, process, SLHA)."""
    if spec.components:
        raise UnknownSampleError(f"process {spec.name!r} is composite ({[c for c, _ in spec.components]}): it has no "
                                 "Pythia settings of its own; generate its components")
    lines = [
        f"Beams:eCM = {sqrt_s_gev:g}",
        "Random:setSeed = on",
        f"Random:seed = {seed}",
        "Print:quiet = on",
        "Next:numberCount = 0",
        *spec.settings,
    ]
    if spec.uses_pthat_min:
        lines.append(f"PhaseSpace:pTHatMin = {pthat_min_gev:g}")
    if spec.slha_model is not None:
        if slha_path is None:
            raise UnknownSampleError(f"signal process {spec.name!r} needs an SLHA file")
        lines += [f"SLHA:file = {slha_path}", "SLHA:useDecayTable = on"]
    lines += list(extra_settings)
    return lines
