"""The analysis interface: what an analysis declares so that the shared stages (selection, ML, scan,
statistics, plots) can run it without knowing it.

An analysis is a YAML file (object selection, cuts, cut-and-count signal regions, mass keys: the
``susyscan.analysis.config`` format) plus one Python module holding ``SPEC``, an :class:`AnalysisSpec`
(features, derived features, model factory, ML settings, labels). The YAML names its module with the key
``module``: a dotted module name, or a ``.py`` file relative to the YAML; without it the module is
``susyscan.analyses.<name>``. ``docs/architecture.md`` shows how to add an analysis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from susyscan.errors import ConfigError

if TYPE_CHECKING:
    import awkward as ak
    import pandas as pd

    from susyscan.analysis.config import AnalysisConfig

logger = logging.getLogger(__name__)

#: Derived-feature function: columns (feature name -> array) -> new columns (derived name -> array).
DeriveFunction = Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]]
#: Custom selection: (events, metadata, analysis YAML path) -> (feature table, cutflow record).
SelectFunction = Callable[["ak.Array", dict[str, Any], str], tuple["pd.DataFrame", dict[str, Any]]]
#: Model factory: (architecture settings, ``susyscan.training.network.NetworkConfig`` by default; seed) -> an
#: initialised ``torch.nn.Module`` mapping the standardised input blocks (one: features (N, n_inputs); several:
#: the blocks, then the slot masks of padded slot blocks, ``susyscan.training.network``) to logits (N,). The shared
#: trainer builds the network with it, and the ONNX export and model loading rebuild the architecture with it
#: before loading the trained weights.
ModelFactory = Callable[[Any, int], Any]
#: An analysis' own NN training on the shared rule ``train_nn``: (dataset paths with keys train, val, test, meta,
#: ``susyscan.training.outputs.ModelOutputs``, its training settings) -> metrics; None: the shared ``run_nn``.
TrainNNFunction = Callable[[Mapping[str, str], Any, dict[str, Any]], dict[str, Any]]
#: An analysis' own NN export on the shared rule ``export_onnx``: (model.pt, dataset paths, ONNX path, parity JSON
#: path, score threshold, scores plot path) -> max |ONNX - torch|; None: the shared ``export_model``.
ExportNNFunction = Callable[[str, Mapping[str, str], str, str, float, str], float]
#: Model-input variants: (analysis YAML path, run config) -> variant labels (path segments, e.g. ewkino's PF
#: thresholds ``pt1``, ``pt10``); one model-input table per (variant, sample, chunk).
InputVariantsFunction = Callable[[str, Mapping[str, Any]], list[str]]
#: Model-input writer: (event file, analysis YAML path, variant label, table path, cutflow path) -> None; writes the
#: chunk's model inputs as a ``susyscan.training.eventtable`` (.npz: columns, array blocks, metadata) and its
#: cutflow record (JSON).
WriteInputsFunction = Callable[[str, str, str, str, str], None]
#: Scan variant: (the variants ``input_variants`` gave, analysis YAML path, run config) -> the model-input variant (one
#: of those) whose tables the shared scan reads, and whose fold models (the variant is their training region) score its
#: ML regions. It chooses among the given variants without reading the YAML again; the path names it in errors.
ScanVariantFunction = Callable[[Sequence[str], str, Mapping[str, Any]], str]
#: Plot method family: (name, region-name prefixes); a region belongs to the first family one of whose prefixes
#: starts its name (``susyscan.plotting.labels.Method``).
MethodFamily = tuple[str, tuple[str, ...]]

MODEL_LABELS: dict[str, str] = {"nn": "NN", "bdt": "BDT"}


def default_model_factory(network: Any, seed: int) -> Any:
    """The paper's MLP, normal-initialised (``susyscan.training.network.build_classifier``)."""
    from susyscan.training.network import build_classifier

    return build_classifier(network, seed)


@dataclass(frozen=True)
class ScanRegion:
    """A signal region that an analysis names itself (``AnalysisSpec.scan_regions``): a score cut of its ML model
    ``model`` (``nn``, ``bdt``: the fold models of the scan's training region, the ``scan_variant``) or a 0/1 flag
    ``column`` of its feature tables; exactly one of the two."""

    name: str
    model: str | None = None
    column: str | None = None

    def entry(self, fold_models: Callable[[str], list[str]]) -> dict[str, Any]:
        """The scan's region entry (``susyscan.scan.regions``); ``fold_models(model)`` gives the k fold paths."""
        if self.model is not None:
            return {"name": self.name, "kind": "onnx", "models": fold_models(self.model)}
        return {"name": self.name, "kind": "flag", "column": self.column}


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis as the shared stages see it.

    - ``grid``: (parent-mass column, LSP-mass column, signal process) of its mass-grid table; the same keys name
      the masses in the signal event files' metadata (``masses`` of the YAML must agree).
    - ``features``: event variables (``susyscan.analysis.variables.EVENT_VARIABLES``) written per event;
      ``derived`` names the columns that ``derive`` computes, once, when the feature CSV is written, from the event
      variables of the preselected events (all of them, not only ``features``).
      The model inputs are ``features + derived`` in this order (the ONNX input order).
    - ``model_factory``: builds the torch network of the shared trainer.
    - ``models``: the ML models trained per mass region (``nn``, ``bdt``; empty: cut-and-count only);
      ``mass_regions``: ``{name: [m_min, m_max)}`` replacing ``analyses.<name>.training.regions`` of the run config.
    - ``select``: replaces the shared YAML-cut selection (an analysis whose cuts are code), None otherwise.
    - ``shared_ml``: whether the shared training/scan rules serve it (False: its own rules, e.g. ewkino).
    - ``multiclass``: it has the multiclass networks of ``workflow/rules/multiclass.smk`` (per category a k-fold
      DNN and a DNN on SIGN graph features, their comparison, and the result set ``<name>/ml`` of their regions);
      classes and categories in the ML YAML ``<stem>_ml.yaml`` next to its YAML, run settings in the run config's
      ``analyses.<name>.ml`` (schema ``$defs/multiclass_ml``; ``susyscan.training.multiclass_settings``).
    - ``write_inputs`` / ``input_variants``: an analysis whose model inputs are array blocks (e.g. a padded
      particle-flow block) that the feature CSVs cannot hold writes them per (variant, sample, chunk) through the
      shared rule ``model_inputs`` (``analysis/<name>/inputs/<variant>/<sample>/chunk<N>.npz``); None: no such
      tables.
    - ``scan_variant``: chooses, among the variants of ``input_variants``, the one whose model-input tables the shared
      scan reads (joined by event id to the feature CSV, which gives the events, weights and flag columns) and whose
      fold models (its training region) score; None: the model inputs are columns of the feature CSV.
    - ``scan_regions``: the scan's signal regions, in table order, when the analysis names them itself (an analysis
      whose YAML is not in the shared format); empty: one ML region per (model, mass region), then the YAML's
      cut-and-count regions (:func:`signal_regions`).
    - ``axis_labels`` (x: parent, y: LSP), ``title`` (the process line) and ``kinematic_limit`` (label of the line
      m_LSP = m_parent; empty: built from the axis labels) label its plots; ``methods`` groups its cut-and-count
      regions into plot curves (the ML regions are grouped per model, ``NN``, ``BDT``, without being listed);
      regions in no family are drawn on their own (``susyscan.plotting.labels``).
    """

    name: str
    grid: tuple[str, str, str]
    features: tuple[str, ...]
    derived: tuple[str, ...] = ()
    derive: DeriveFunction | None = None
    model_factory: ModelFactory = default_model_factory
    models: tuple[str, ...] = ("nn", "bdt")
    mass_regions: Mapping[str, Sequence[float]] | None = None
    select: SelectFunction | None = None
    shared_ml: bool = True
    multiclass: bool = False
    write_inputs: WriteInputsFunction | None = None
    input_variants: InputVariantsFunction | None = None
    axis_labels: tuple[str, str] = ("$m_{parent}$ [GeV]", "$m_{LSP}$ [GeV]")
    title: str = ""
    kinematic_limit: str = ""
    methods: tuple[MethodFamily, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    train_nn: TrainNNFunction | None = None
    export_nn: ExportNNFunction | None = None
    scan_variant: ScanVariantFunction | None = None
    scan_regions: tuple[ScanRegion, ...] = ()

    def __post_init__(self) -> None:
        if len(self.grid) != 3:
            raise ConfigError(f"analysis {self.name!r}: grid must be (parent column, LSP column, process)")
        names = [*self.features, *self.derived]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"analysis {self.name!r}: feature names {duplicates} appear twice")
        if self.derived and self.derive is None:
            raise ConfigError(f"analysis {self.name!r}: derived features {list(self.derived)} but no 'derive' function")
        if (self.write_inputs is None) != (self.input_variants is None):
            raise ConfigError(f"analysis {self.name!r}: write_inputs and input_variants go together (one is None)")
        unknown = sorted(set(self.models) - set(MODEL_LABELS))
        if unknown:
            raise ConfigError(f"analysis {self.name!r}: unknown models {unknown} (known: {sorted(MODEL_LABELS)})")
        if self.scan_variant is not None and self.write_inputs is None:
            raise ConfigError(f"analysis {self.name!r}: scan_variant needs model-input tables (write_inputs)")
        for region in self.scan_regions:
            if (region.model is None) == (region.column is None):
                raise ConfigError(f"analysis {self.name!r}: scan region {region.name!r} needs a model or a flag "
                                  "column (one of the two)")
            if region.model is not None and region.model not in self.models:
                raise ConfigError(f"analysis {self.name!r}: scan region {region.name!r} cuts on model "
                                  f"{region.model!r}, not one of its models {list(self.models)}")
        names = [region.name for region in self.scan_regions]
        if len(set(names)) != len(names):
            raise ConfigError(f"analysis {self.name!r}: scan region names {names} repeat")

    @property
    def model_inputs(self) -> list[str]:
        """The model inputs in ONNX order: ``features`` then ``derived``."""
        return [*self.features, *self.derived]

    def derived_columns(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The ``derived`` columns computed from ``columns``; a missing or extra name is an error."""
        if not self.derived:
            return {}
        assert self.derive is not None
        values = self.derive(columns)
        if set(values) != set(self.derived):
            raise ConfigError(f"analysis {self.name!r}: derive() returned {sorted(values)}, declared {list(self.derived)}")
        return {name: np.asarray(values[name], dtype=np.float64) for name in self.derived}

    def regions(self, training_regions: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
        """Mass regions of the ML training: the analysis' own, else its run-config ``analyses.<name>.training.regions``."""
        chosen = self.mass_regions if self.mass_regions is not None else training_regions
        return {str(k): [float(v[0]), float(v[1])] for k, v in chosen.items()}

    def ml_signal_regions(self, training_regions: Mapping[str, Sequence[float]],
                          fold_models: Callable[[str, str], list[str]]) -> list[dict[str, Any]]:
        """One ONNX score-cut region per (model, mass region), named e.g. ``NN low``, models in spec order and mass
        regions sorted by name; ``fold_models(region, model)`` gives the k fold model paths."""
        return [{"name": f"{MODEL_LABELS[model]} {region}", "kind": "onnx", "models": fold_models(region, model)}
                for model in self.models for region in sorted(self.regions(training_regions))]


def signal_regions(spec: AnalysisSpec, cfg: AnalysisConfig | Callable[[], AnalysisConfig],
                   training_regions: Mapping[str, Sequence[float]], fold_models: Callable[[str, str], list[str]],
                   scan_variant: str | None = None) -> list[dict[str, Any]]:
    """All signal regions of the scan: the ML regions of ``spec``, then the cut-and-count regions of the
    analysis YAML ``cfg`` (``baselines.regions``: flag column -> label and expression), in YAML order; ``cfg`` may
    be a loader, called only then. An analysis that names its regions (``spec.scan_regions``) gets those, its ML
    regions scored by the fold models of its ``scan_variant``."""
    if spec.scan_regions:
        if any(region.model is not None for region in spec.scan_regions) and scan_variant is None:
            raise ConfigError(f"analysis {spec.name!r}: scan regions cut on model scores, but no scan variant "
                              "(the training region of the models) was given")
        return [region.entry(lambda model: fold_models(str(scan_variant), model)) for region in spec.scan_regions]
    if callable(cfg):
        cfg = cfg()
    regions = spec.ml_signal_regions(training_regions, fold_models)
    regions += [{"name": region.label, "kind": "flag", "column": region.column} for region in cfg.baselines]
    return regions
