"""The truth-feature contract: names, units, order, defaults for missing objects and valid ranges.

Written to ``features.json`` in the bundle and (as JSON) into the ONNX metadata, so that a user can check the
columns before evaluating the model.  The ONNX input is the float32 matrix of ``INPUTS`` in this order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from susyscan.atomic import write_json_atomic
from susyscan.errors import FeatureError

#: Value of a feature whose object is missing (fewer than two leptons): the project's sentinel.
MISSING = -999.0
CONTRACT_VERSION = 1


@dataclass(frozen=True)
class Feature:
    """One column of the truth-feature table."""

    name: str
    unit: str
    description: str
    missing: float | None = None  # value when the object is absent (None: always defined)


_LEVEL = ("Pythia process record after resonance decays, before parton shower and hadronisation "
          "(the status-23 decay products of the hard process, no ISR recoil)")

#: Model inputs, in ONNX column order.
INPUTS: tuple[Feature, ...] = (
    Feature("n_leptons", "", "number of hard-process charged leptons (e, mu, tau; taus undecayed)"),
    Feature("lep1_pt", "GeV", "leading hard-process lepton pT", MISSING),
    Feature("lep1_eta", "", "leading lepton pseudorapidity", MISSING),
    Feature("lep1_flavour", "", "leading lepton |PDG id| (11, 13, 15)", MISSING),
    Feature("lep1_charge", "e", "leading lepton electric charge (+-1)", MISSING),
    Feature("lep2_pt", "GeV", "subleading lepton pT", MISSING),
    Feature("lep2_eta", "", "subleading lepton pseudorapidity", MISSING),
    Feature("lep2_flavour", "", "subleading lepton |PDG id|", MISSING),
    Feature("lep2_charge", "e", "subleading lepton electric charge", MISSING),
    Feature("met", "GeV", "truth MET: pT of the vector sum of the invisible system (neutralinos + neutrinos)"),
    Feature("m_ll", "GeV", "invariant mass of the two leading leptons", MISSING),
    Feature("dphi_ll", "rad", "|delta phi| between the two leading leptons, in [0, pi]", MISSING),
    Feature("dphi_met_lep1", "rad", "|delta phi| between truth MET and the leading lepton, in [0, pi]", MISSING),
    Feature("mt2", "GeV", "truth mT2 of the two leading leptons with truth MET, massless invisible hypothesis "
            "(susyscan.generation.filters.truth_mt2)", MISSING),
)

#: Further columns of the truth table: documented, not model inputs (azimuths carry no information by
#: symmetry; the masses label the point).
EXTRA: tuple[Feature, ...] = (
    Feature("lep1_phi", "rad", "leading lepton azimuth", MISSING),
    Feature("lep2_phi", "rad", "subleading lepton azimuth", MISSING),
    Feature("met_phi", "rad", "truth MET azimuth (0 when met = 0)"),
    Feature("m_parent", "GeV", "mass-point label: parent (smuon) mass"),
    Feature("m_lsp", "GeV", "mass-point label: LSP (neutralino) mass"),
)

#: Particle-level ISR feature (needs the shower: not available in the fast scan), see ``truth.isr_pt``.
ISR: tuple[Feature, ...] = (
    Feature("isr_pt", "GeV", "pT of the hard system after the parton shower (recoil against ISR): vector pT sum "
            "of the |status| = 23 entries of the event record"),
)

ID_COLUMNS = ("sample", "chunk", "event")


def input_names(with_isr: bool = False) -> list[str]:
    """Names of the model inputs in ONNX order (ISR feature appended when used)."""
    return [f.name for f in INPUTS] + ([f.name for f in ISR] if with_isr else [])


def truth_columns(with_isr: bool = False) -> list[str]:
    """All columns of a truth-feature table, in file order."""
    return input_names(with_isr) + [f.name for f in EXTRA]


@dataclass
class Contract:
    """The model's input contract plus the training ranges (filled by training) and the region names."""

    inputs: list[str]
    regions: list[str]
    ranges: dict[str, list[float]]      # per input: [min, max] over training events (sentinel excluded)
    categories: dict[str, list[float]]  # per categorical input: values seen in training (sentinel excluded)
    mass_points: list[list[float]]      # training (m_parent, m_lsp) points
    uncertainty: float | None = None    # relative surrogate uncertainty from the held-out spread
    analysis: str = "smuon"

    def to_json(self) -> dict[str, Any]:
        by_name = {f.name: f for f in (*INPUTS, *EXTRA, *ISR)}
        return {
            "contract_version": CONTRACT_VERSION,
            "analysis": self.analysis,
            "level": _LEVEL,
            "input_name": "truth_features",
            "output_name": "probabilities",
            "output": "float32 [n_events, n_regions]: probability that the event enters each region, "
                      "columns in 'regions' order; efficiency of a sample = mean over its events",
            "missing_value": MISSING,
            "inputs": [{**asdict(by_name[name]), "index": i, "training_range": self.ranges.get(name),
                        "training_values": self.categories.get(name)} for i, name in enumerate(self.inputs)],
            "extra_columns": [asdict(f) for f in EXTRA],
            "regions": list(self.regions),
            "training_mass_points": self.mass_points,
            "relative_uncertainty": self.uncertainty,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "features.json") -> Contract:
        try:
            inputs = [str(f["name"]) for f in data["inputs"]]
            return cls(inputs=inputs, regions=list(data["regions"]),
                       ranges={f["name"]: f["training_range"] for f in data["inputs"] if f.get("training_range")},
                       categories={f["name"]: f["training_values"] for f in data["inputs"]
                                   if f.get("training_values")},
                       mass_points=[list(map(float, p)) for p in data.get("training_mass_points", [])],
                       uncertainty=data.get("relative_uncertainty"), analysis=str(data.get("analysis", "")))
        except (KeyError, TypeError) as exc:
            raise FeatureError(f"{source}: not a surrogate feature contract ({type(exc).__name__}: {exc})") from exc


def write_contract(contract: Contract, path: str | Path) -> None:
    write_json_atomic(contract.to_json(), path, indent=2)


def read_contract(path: str | Path) -> Contract:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise FeatureError(f"{path}: cannot read the feature contract ({exc})") from exc
    return Contract.from_json(data, str(path))


def check_columns(columns: Sequence[str], needed: Sequence[str], source: str) -> None:
    """FeatureError naming the missing contract columns of a table."""
    missing = [c for c in needed if c not in columns]
    if missing:
        raise FeatureError(f"{source}: missing truth-feature columns {missing} (contract: features.json)")
