"""Truth features at Pythia's process level (after resonance decays, before the shower).

``ProcessRecorder`` is the ``recorder`` of the generator's process-level hook
(``susyscan.generation.filters.ProcessLevelVeto``): Pythia calls it for every accepted hard process, in the same
place where the generator-level filter computes its truth muons, neutrinos and mT2.  It keeps the final
particles of the process record; ``features_from_particles`` turns them into the contract columns
(``susyscan.surrogate.contract``), columnar over events, with the filter's own ``truth_mt2``.

The same recorder serves the full chain (re-running a chunk's generation with the recorder attached, see
``susyscan.surrogate.regenerate``) and the fast scan (parton and hadron level off), so that training and
application see the same definition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np
import pandas as pd

from susyscan.generation.filters import truth_mt2
from susyscan.surrogate.contract import MISSING, truth_columns

logger = logging.getLogger(__name__)

LEPTONS = frozenset({11, 13, 15})
#: Invisible particles: neutrinos and the lightest neutralino (the LSP of the registered signals).
INVISIBLE = frozenset({12, 14, 16, 1000022})
#: Index of the first two outgoing particles of a 2 -> 2 hard process in Pythia's process/event record.
OUTGOING = (5, 6)


@dataclass
class ProcessRecorder:
    """Collects, per accepted hard process, the final leptons and invisibles of the process record, and the
    pT of the two outgoing hard-process particles (the key matching a process to its showered event)."""

    event: list[int] = field(default_factory=list)
    pid: list[int] = field(default_factory=list)
    px: list[float] = field(default_factory=list)
    py: list[float] = field(default_factory=list)
    pz: list[float] = field(default_factory=list)
    e: list[float] = field(default_factory=list)
    keys: list[tuple[int, float, int, float]] = field(default_factory=list)

    @property
    def n_processes(self) -> int:
        return len(self.keys)

    def __call__(self, process: Any) -> None:
        index = len(self.keys)
        size = process.size()
        for i in range(size):
            particle = process[i]
            if not particle.isFinal():
                continue
            pid = particle.id()
            if abs(pid) in LEPTONS or abs(pid) in INVISIBLE:
                self.event.append(index)
                self.pid.append(pid)
                self.px.append(particle.px())
                self.py.append(particle.py())
                self.pz.append(particle.pz())
                self.e.append(particle.e())
        a, b = (process[i] if i < size else None for i in OUTGOING)
        self.keys.append((a.id() if a else 0, a.pT() if a else 0.0, b.id() if b else 0, b.pT() if b else 0.0))

    def particles(self) -> pd.DataFrame:
        """Flat table event, pid, px, py, pz, e of the recorded particles."""
        return pd.DataFrame({"event": np.asarray(self.event, dtype=np.int64), "pid": np.asarray(self.pid, np.int64),
                             "px": self.px, "py": self.py, "pz": self.pz, "e": self.e})


def _dphi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + np.pi) % (2 * np.pi) - np.pi)


def features_from_particles(particles: pd.DataFrame, n_events: int, m_parent: float, m_lsp: float,
                            rows: np.ndarray | None = None) -> pd.DataFrame:
    """Contract columns (``truth_columns()``, without ISR) of ``n_events`` events from a flat particle table.

    ``rows`` selects and orders the recorded processes (default: all ``n_events``): row i of the result
    describes process ``rows[i]``.  Missing leptons get ``MISSING``; met_phi is 0 when met is 0.
    """
    rows = np.arange(n_events) if rows is None else np.asarray(rows, dtype=np.int64)
    n = len(rows)
    position = np.full(max(n_events, int(rows.max()) + 1 if n else 0), -1, dtype=np.int64)
    position[rows] = np.arange(n)
    p = particles.assign(row=position[particles["event"].to_numpy()] if len(particles) else [])
    p = p[p["row"] >= 0]
    apid = np.abs(p["pid"].to_numpy())
    out = pd.DataFrame(index=np.arange(n))
    inv = p[np.isin(apid, list(INVISIBLE))]
    mx = np.bincount(inv["row"], weights=inv["px"], minlength=n)
    my = np.bincount(inv["row"], weights=inv["py"], minlength=n)
    leptons = p[np.isin(apid, list(LEPTONS))].copy()
    leptons["pt"] = np.hypot(leptons["px"], leptons["py"])
    leptons = leptons.sort_values(["row", "pt"], ascending=[True, False], kind="stable")
    leptons["rank"] = leptons.groupby("row").cumcount()
    out["n_leptons"] = np.bincount(leptons["row"], minlength=n).astype(float)
    kin: dict[int, dict[str, np.ndarray]] = {}
    for rank in (0, 1):
        lep = leptons[leptons["rank"] == rank]
        r = lep["row"].to_numpy()
        cols = {k: np.full(n, np.nan) for k in ("px", "py", "pz", "e", "pt", "pid")}
        for k in cols:
            cols[k][r] = lep[k].to_numpy(dtype=float)
        kin[rank] = cols
        pt = cols["pt"]
        has = ~np.isnan(pt)
        p_abs = np.sqrt(pt**2 + cols["pz"] ** 2)
        eta = np.arctanh(np.divide(cols["pz"], p_abs, out=np.zeros(n), where=has & (p_abs > 0)))
        name = f"lep{rank + 1}"
        out[f"{name}_pt"] = np.where(has, pt, MISSING)
        out[f"{name}_eta"] = np.where(has, eta, MISSING)
        out[f"{name}_phi"] = np.where(has, np.arctan2(cols["py"], cols["px"]), MISSING)
        out[f"{name}_flavour"] = np.where(has, np.abs(cols["pid"]), MISSING)
        out[f"{name}_charge"] = np.where(has, -np.sign(cols["pid"]), MISSING)  # PDG: 11, 13, 15 are negative
    out["met"] = np.hypot(mx, my)
    out["met_phi"] = np.where(out["met"] > 0, np.arctan2(my, mx), 0.0)
    two = out["lep2_pt"].to_numpy() != MISSING
    a, b = kin[0], kin[1]
    e, px, py, pz = (a[k] + b[k] for k in ("e", "px", "py", "pz"))
    m2 = np.where(two, e**2 - px**2 - py**2 - pz**2, 0.0)
    out["m_ll"] = np.where(two, np.sqrt(np.clip(m2, 0.0, None)), MISSING)
    out["dphi_ll"] = np.where(two, _dphi(out["lep1_phi"].to_numpy(), out["lep2_phi"].to_numpy()), MISSING)
    one = out["lep1_pt"].to_numpy() != MISSING
    out["dphi_met_lep1"] = np.where(one & (out["met"].to_numpy() > 0),
                                    _dphi(out["met_phi"].to_numpy(), out["lep1_phi"].to_numpy()),
                                    np.where(one, 0.0, MISSING))
    mt2 = np.full(n, MISSING)
    for i in np.flatnonzero(two):
        mt2[i] = truth_mt2((a["px"][i], a["py"][i]), (b["px"][i], b["py"][i]), (mx[i], my[i]))
    out["mt2"] = mt2
    out["m_parent"], out["m_lsp"] = float(m_parent), float(m_lsp)
    return out[truth_columns()]


def isr_pt(truth_status: ak.Array, truth_pt: ak.Array, truth_phi: ak.Array) -> np.ndarray:
    """Per event of an event file, the pT of the hard system after the shower: the vector pT sum of the
    |status| = 23 entries (the hard-process decay products, boosted by the ISR recoil).  0 at process level."""
    sel = np.abs(truth_status) == 23
    px = ak.sum(ak.where(sel, truth_pt * np.cos(truth_phi), 0.0), axis=1)
    py = ak.sum(ak.where(sel, truth_pt * np.sin(truth_phi), 0.0), axis=1)
    return np.hypot(ak.to_numpy(px), ak.to_numpy(py)).astype(float)
