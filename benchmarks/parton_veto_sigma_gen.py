"""What Pythia's sigmaGen reports after parton-level vetoes (docs/generator_filters.md, "Parton-level filters").

Wino pairs at (m_squark, m_ewkino) = (1500, 300) GeV with the shower and without hadronisation: 20 000 unfiltered
events and 3000 accepted by a 150 GeV parton-level recoil filter. If sigmaGen counts only accepted events,
sigmaGen(filtered) / sigmaGen(unfiltered) equals the hook's efficiency n_accepted / n_considered.

    python benchmarks/parton_veto_sigma_gen.py > benchmarks/results/parton_veto_sigma_gen.md
"""

from __future__ import annotations

import logging

from susyscan.generation.filters import FilterSpec
from susyscan.generation.pythia_run import generate

POINT = {"m_squark": 1500.0, "m_electroweakino": 300.0}
NO_HADRONISATION = ("HadronLevel:all = off",)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    recoil = FilterSpec("recoil_150", "parton-level recoil > 150 GeV", level="parton", recoil_pt_min=150.0)
    plain = generate("wino_pair", 20000, seed=101, masses=POINT, extra_settings=NO_HADRONISATION)
    vetoed = generate("wino_pair", 3000, seed=102, masses=POINT, extra_settings=NO_HADRONISATION, filter_spec=recoil)
    eff, err = vetoed.filter_efficiency()
    counts = vetoed.filter_counts
    assert counts is not None
    print("# sigmaGen after parton-level vetoes (pythia8mc, wino_pair (1500, 300) GeV, no hadronisation)\n")
    print(f"- unfiltered: sigmaGen {plain.xsec_lo_pb:.5g} ± {plain.xsec_lo_err_pb:.2g} pb ({len(plain.events)} events, "
          f"nTried {plain.n_tried})")
    print(f"- filtered (recoil > 150 GeV): sigmaGen {vetoed.xsec_lo_pb:.5g} ± {vetoed.xsec_lo_err_pb:.2g} pb, hook "
          f"efficiency {eff:.5f} ± {err:.5f} ({counts.n_accepted} of {counts.n_considered}), nTried {vetoed.n_tried}")
    print(f"- sigmaGen(filtered) / sigmaGen(unfiltered) = {vetoed.xsec_lo_pb / plain.xsec_lo_pb:.5f} against the "
          f"efficiency {eff:.5f}; sigmaGen(filtered) / efficiency = {vetoed.xsec_lo_pb / eff:.5g} pb")


if __name__ == "__main__":
    main()
