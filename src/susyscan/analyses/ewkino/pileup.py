"""Simple pileup for the particle-flow inputs: soft particles of minimum-bias interactions overlaid on the PF candidates.

The signal and background samples are generated without pileup (docs/analysis_ewkino.md, "Pileup"). This module
adds a crude, optional model of it, only to the PF-candidate collection the network reads (jets, MET and the
selection are left untouched):

* A **library** of minimum-bias interactions is generated once with Pythia (``SoftQCD:inelastic = on``,
  13 TeV, fixed seed) and passed through the project's own detector simulation
  (:func:`susyscan.detector.simulate`), so the overlaid candidates have the same classes (11, 13, 22, 211, 130),
  acceptance, tracking efficiency and smearing as the hard-scatter ones. It is cached as an ``.npz`` (flat arrays
  plus offsets) whose name records the number of interactions, the seed and the candidate threshold.
* **Overlay**: each event gets ``n ~ Poisson(mu)`` interactions drawn with replacement from the library; each drawn
  interaction is rotated by a random azimuth and, with probability 1/2, mirrored in eta (so reusing an interaction
  does not repeat its candidates); the candidates are appended to ``pfcand_*`` and the collection is re-sorted by
  decreasing pT (the event-file contract). The random numbers come from the SeedSequence stream ``("pileup", sample,
  chunk)`` of the overlay seed (``susyscan.seeds.rng``): the overlay of a chunk is reproducible and independent of
  the other chunks.
* ``charged_hadron_subtraction``: drop the overlaid charged candidates (a perfect vertex association, the CMS CHS
  limit); neutral pileup stays. Without it (default) every pileup candidate is kept: the pessimistic limit.

What it is not: no in-time energy sharing with the hard-scatter particles, no out-of-time pileup, no pileup in jets
or MET, no vertex-based pileup mitigation beyond the CHS switch, no pileup-density dependence on the luminosity
profile (a fixed mean mu).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from susyscan import seeds
from susyscan.errors import ConfigError, EventFileError

logger = logging.getLogger(__name__)

PFCAND_FIELDS = ("pt", "eta", "phi", "charge", "pid")
LIBRARY_FORMAT_VERSION = 1
MINBIAS_SETTINGS = ("SoftQCD:inelastic = on",)


@dataclass(frozen=True)
class PileupLibrary:
    """Detector-level PF candidates of ``n_interactions`` minimum-bias interactions, flat with ``offsets``."""

    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    charge: np.ndarray
    pid: np.ndarray
    offsets: np.ndarray
    seed: int
    pt_min: float
    sqrt_s_gev: float

    @property
    def n_interactions(self) -> int:
        return len(self.offsets) - 1

    def counts(self) -> np.ndarray:
        """Candidates per interaction."""
        return np.diff(self.offsets)


def generate_library(n_interactions: int, seed: int, pt_min: float = 0.5, sqrt_s_gev: float = 13000.0,
                     detector_card: str | Path | None = None) -> PileupLibrary:
    """Generate minimum-bias interactions with Pythia and keep their detector-level PF candidates above ``pt_min``."""
    from susyscan.detector import load_card, simulate
    from susyscan.generation.pythia_run import make_pythia, run_batches

    if n_interactions < 1:
        raise ConfigError(f"pileup library: n_interactions must be >= 1, got {n_interactions}")
    settings = [f"Beams:eCM = {sqrt_s_gev:g}", "Random:setSeed = on", f"Random:seed = {seed}", "Print:quiet = on",
                "Next:numberCount = 0", *MINBIAS_SETTINGS]
    pythia = make_pythia(settings, f"pileup minimum-bias library (seed {seed})")
    events = run_batches(pythia, n_interactions, desc="minbias")
    reco = simulate(events, load_card(detector_card, None), np.random.default_rng([seed, 2]), pfcand_pt_min=pt_min)
    counts = ak.to_numpy(ak.num(reco["pfcand_pt"])).astype(np.int64)
    flat = {name: ak.to_numpy(ak.flatten(reco[f"pfcand_{name}"])) for name in PFCAND_FIELDS}
    library = PileupLibrary(
        pt=flat["pt"].astype(np.float32), eta=flat["eta"].astype(np.float32), phi=flat["phi"].astype(np.float32),
        charge=flat["charge"].astype(np.int32), pid=flat["pid"].astype(np.int32),
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), seed=int(seed), pt_min=float(pt_min),
        sqrt_s_gev=float(sqrt_s_gev))
    logger.info("pileup library: %d interactions, %.1f PF candidates each above %g GeV (%.2f above 1 GeV)",
                library.n_interactions, counts.mean(), pt_min, (library.pt > 1.0).sum() / library.n_interactions)
    return library


def library_path(cache_dir: str | Path, n_interactions: int, seed: int, pt_min: float) -> Path:
    """Cache file name recording what the library is."""
    return Path(cache_dir) / f"minbias_n{n_interactions}_seed{seed}_pt{pt_min:g}.npz"


def save_library(library: PileupLibrary, path: str | Path) -> Path:
    """Write the library atomically (.npz)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    meta = {"format_version": LIBRARY_FORMAT_VERSION, "seed": library.seed, "pt_min": library.pt_min,
            "sqrt_s_gev": library.sqrt_s_gev, "settings": list(MINBIAS_SETTINGS)}
    np.savez_compressed(tmp, pt=library.pt, eta=library.eta, phi=library.phi, charge=library.charge,
                        pid=library.pid, offsets=library.offsets, metadata=np.array(json.dumps(meta)))
    os.replace(tmp, path)
    return path


def load_library(path: str | Path) -> PileupLibrary:
    """Read a library written by :func:`save_library`; EventFileError naming the file otherwise."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError) as exc:
        raise EventFileError(f"pileup library {path}: cannot read .npz: {exc}") from exc
    missing = [k for k in (*PFCAND_FIELDS, "offsets", "metadata") if k not in arrays]
    if missing:
        raise EventFileError(f"pileup library {path}: missing arrays {missing}")
    meta = json.loads(str(arrays["metadata"]))
    if meta.get("format_version") != LIBRARY_FORMAT_VERSION:
        raise EventFileError(f"pileup library {path}: format version {meta.get('format_version')}, "
                             f"expected {LIBRARY_FORMAT_VERSION} (delete it to regenerate)")
    offsets = arrays["offsets"]
    if offsets[0] != 0 or offsets[-1] != len(arrays["pt"]) or (np.diff(offsets) < 0).any():
        raise EventFileError(f"pileup library {path}: offsets do not describe the candidate arrays")
    return PileupLibrary(pt=arrays["pt"], eta=arrays["eta"], phi=arrays["phi"], charge=arrays["charge"],
                         pid=arrays["pid"], offsets=offsets, seed=int(meta["seed"]), pt_min=float(meta["pt_min"]),
                         sqrt_s_gev=float(meta["sqrt_s_gev"]))


def cached_library(cache_dir: str | Path, n_interactions: int, seed: int, pt_min: float = 0.5,
                   detector_card: str | Path | None = None) -> PileupLibrary:
    """The library from the cache, generated (once) and written there when absent."""
    path = library_path(cache_dir, n_interactions, seed, pt_min)
    if path.is_file():
        return load_library(path)
    library = generate_library(n_interactions, seed, pt_min, detector_card=detector_card)
    save_library(library, path)
    logger.info("pileup library written to %s", path)
    return library


@dataclass(frozen=True)
class PileupOverlay:
    """Overlay settings: mean interactions ``mu``, the library, the overlay seed and the CHS switch."""

    mu: float
    library: PileupLibrary
    seed: int = 1
    charged_hadron_subtraction: bool = False

    def __post_init__(self) -> None:
        if not (self.mu >= 0 and np.isfinite(self.mu)):
            raise ConfigError(f"pileup: mu must be a finite number >= 0, got {self.mu}")

    def rng(self, metadata: dict[str, Any]) -> np.random.Generator:
        """Generator of one chunk: stream ``("pileup", sample, chunk)`` of the overlay seed (``susyscan.seeds``)."""
        if "sample" not in metadata or "chunk" not in metadata:
            raise ConfigError(f"pileup overlay: event-file metadata lacks 'sample' or 'chunk' (keys {sorted(metadata)})")
        return seeds.rng(int(self.seed), "pileup", str(metadata["sample"]), int(metadata["chunk"]))

    def apply(self, events: ak.Array, metadata: dict[str, Any]) -> ak.Array:
        """``events`` with the pileup candidates appended to its ``pfcand_*`` branches (other branches unchanged)."""
        return overlay(events, self.mu, self.library, self.rng(metadata), self.charged_hadron_subtraction)


def overlay(events: ak.Array, mu: float, library: PileupLibrary, rng: np.random.Generator,
            charged_hadron_subtraction: bool = False) -> ak.Array:
    """Append Poisson(mu) library interactions per event to the PF candidates and re-sort them by decreasing pT."""
    missing = [f"pfcand_{name}" for name in PFCAND_FIELDS if f"pfcand_{name}" not in ak.fields(events)]
    if missing:
        raise EventFileError(f"pileup overlay: events lack the branches {missing}")
    n_events = len(events)
    if mu == 0 or n_events == 0:
        return events
    n_pu = rng.poisson(mu, n_events)
    picked = rng.integers(0, library.n_interactions, int(n_pu.sum()))
    rotation = rng.uniform(-np.pi, np.pi, len(picked))
    mirror = np.where(rng.random(len(picked)) < 0.5, -1.0, 1.0)
    sizes = library.counts()[picked]
    # flat index of every overlaid candidate in the library, its event and its interaction
    starts = np.repeat(library.offsets[picked], sizes)
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    source = starts + within
    interaction = np.repeat(np.arange(len(picked)), sizes)
    event_of = np.repeat(np.repeat(np.arange(n_events), n_pu), sizes)
    pu = {
        "pt": library.pt[source].astype(np.float32),
        "eta": (library.eta[source] * mirror[interaction]).astype(np.float32),
        "phi": _wrap(library.phi[source] + rotation[interaction]).astype(np.float32),
        "charge": library.charge[source].astype(np.int32),
        "pid": library.pid[source].astype(np.int32),
    }
    if charged_hadron_subtraction:
        keep = pu["charge"] == 0
        pu = {name: values[keep] for name, values in pu.items()}
        event_of = event_of[keep]
    hard_counts = ak.to_numpy(ak.num(events["pfcand_pt"])).astype(np.int64)
    hard_event = np.repeat(np.arange(n_events), hard_counts)
    all_event = np.concatenate([hard_event, event_of])
    merged = {name: np.concatenate([ak.to_numpy(ak.flatten(events[f"pfcand_{name}"])).astype(pu[name].dtype),
                                    pu[name]]) for name in PFCAND_FIELDS}
    order = np.lexsort((-merged["pt"], all_event))
    counts = np.bincount(all_event, minlength=n_events)
    result = events
    for name in PFCAND_FIELDS:
        result = ak.with_field(result, ak.unflatten(merged[name][order], counts), f"pfcand_{name}")
    return result


def _wrap(phi: np.ndarray) -> np.ndarray:
    return (phi + np.pi) % (2 * np.pi) - np.pi


def pileup_note(mu: float = 0.0, charged_hadron_subtraction: bool = False) -> str:
    """One line for every table or figure that quotes the soft-threshold (1 vs 10 GeV) result."""
    if mu == 0:
        return ("Simulated without pileup: the soft (1 GeV) particle-flow candidates are those of the hard scatter "
                "only (docs/analysis_ewkino.md, 'Pileup').")
    chs = ", charged pileup removed (CHS)" if charged_hadron_subtraction else ", no pileup mitigation"
    return (f"Pileup: Poisson mean mu = {mu:g} minimum-bias interactions overlaid on the particle-flow candidates "
            f"only{chs} (docs/analysis_ewkino.md, 'Pileup').")
