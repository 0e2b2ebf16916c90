"""SLHA spectra per mass point, written from resources/slha/mssm_template.slha.

Two simplified models:

- ``smuon``: right-handed smuon (2000013, pure mu_R via SELMIX) decaying 100% to mu + chi10,
  chi10 a pure bino (NMIX = 1); everything else decoupled.
- ``higgsino``: light higgsino-like N1, C1, N2 (mu = m_ewkino, bino/wino masses M1, M2 heavy) with
  light-flavour squarks at m_squark. The mixing matrices come from the tree-level neutralino and
  chargino mass matrices; the physical N1/C1/N2 masses are then set to m_ewkino, m_ewkino + dm_chargino,
  m_ewkino + dm_neutralino2 (nearly degenerate). N2 and C1 decay to N1 plus an off-shell Z / W
  (3-body SLHA decay tables, Z/W branching fractions, closed channels removed). Squark decays are
  left to Pythia, which computes them from the mixing matrices.
- ``stau_lr``: degenerate ~tau_L, ~tau_R -> tau + chi10 (bino), all else decoupled (:func:`stau_lr_fields`).
- ``wino``: light wino-like N1, C1 (M2 = m_electroweakino; M1, mu heavy) with the eight light-flavour squarks
  (u, d, c, s; L and R) at m_squark, sbottoms, stops and gluino decoupled: the default of the ewkino analysis (docs/analysis_ewkino.md). Winos couple to (left-handed)
  squarks and quarks with the SU(2) gauge coupling, so associated squark-wino production is large, while
  higgsinos couple through light-quark Yukawas only. Physical N1/C1 masses are m_electroweakino and
  m_electroweakino + dm_chargino; C1 decays to N1 + off-shell W (3-body table); N2 (bino) and the
  higgsinos sit at the heavy scale.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from string import Template

import numpy as np

from susyscan.errors import ConfigError

logger = logging.getLogger(__name__)

TEMPLATE = Path(__file__).resolve().parents[3] / "resources" / "slha" / "mssm_template.slha"

M_Z = 91.1876
M_W = 80.379
SIN2_THETA_W = 0.2312
ALPHA_EM_MZ = 1 / 127.934
G_FERMI = 1.16637e-5
M_HEAVY = 5000.0  # decoupled sparticle mass, GeV

# (daughters, weight, summed daughter mass) for off-shell W* / Z* -> f f' (PDG W/Z branching fractions).
_W_STAR = [((-11, 12), 0.1071, 0.0), ((-13, 14), 0.1063, 0.106), ((-15, 16), 0.1138, 1.777),
           ((2, -1), 0.338, 0.01), ((4, -3), 0.338, 1.37)]
_Z_STAR = [((12, -12), 0.0667, 0.0), ((14, -14), 0.0667, 0.0), ((16, -16), 0.0667, 0.0),
           ((11, -11), 0.03363, 0.001), ((13, -13), 0.03366, 0.211), ((15, -15), 0.0337, 3.554),
           ((2, -2), 0.116, 0.01), ((4, -4), 0.116, 2.54), ((1, -1), 0.156, 0.01),
           ((3, -3), 0.156, 0.2), ((5, -5), 0.151, 9.6)]


def neutralino_mixing(m1: float, m2: float, mu: float, tan_beta: float) -> tuple[np.ndarray, np.ndarray]:
    """Signed masses and real NMIX (SLHA convention N M N^T = diag) ordered by |mass|."""
    beta = math.atan(tan_beta)
    sw, cw = math.sqrt(SIN2_THETA_W), math.sqrt(1 - SIN2_THETA_W)
    sb, cb = math.sin(beta), math.cos(beta)
    mass_matrix = np.array([
        [m1, 0.0, -M_Z * cb * sw, M_Z * sb * sw],
        [0.0, m2, M_Z * cb * cw, -M_Z * sb * cw],
        [-M_Z * cb * sw, M_Z * cb * cw, 0.0, -mu],
        [M_Z * sb * sw, -M_Z * sb * cw, -mu, 0.0],
    ])
    values, vectors = np.linalg.eigh(mass_matrix)
    order = np.argsort(np.abs(values))
    return values[order], vectors[:, order].T


def chargino_mixing(m2: float, mu: float, tan_beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masses (ascending) and real UMIX, VMIX with U X V^T = diag (SLHA convention)."""
    beta = math.atan(tan_beta)
    x = np.array([[m2, math.sqrt(2) * M_W * math.sin(beta)], [math.sqrt(2) * M_W * math.cos(beta), mu]])
    left, singular, right = np.linalg.svd(x)
    u, v = left.T[::-1], right[::-1]
    masses = singular[::-1]
    # make the diagonal positive with real matrices: flip the sign of V rows where needed
    diag = np.diag(u @ x @ v.T)
    v = v * np.sign(diag)[:, None]
    return masses, u, v


def _matrix_block(name: str, matrix: np.ndarray) -> str:
    lines = [f"BLOCK {name}"]
    for i, row in enumerate(matrix, start=1):
        lines += [f"  {i}  {j}   {value: .8E}" for j, value in enumerate(row, start=1)]
    return "\n".join(lines)


def _decay_block(pid: int, width: float, channels: list[tuple[float, tuple[int, ...]]]) -> str:
    lines = [f"DECAY {pid}   {width:.6E}"]
    lines += [f"   {br:.8E}   {len(d)}   " + "   ".join(str(x) for x in d) for br, d in channels]
    return "\n".join(lines)


def _three_body(pid: int, dm: float, table: list, lsp: int = 1000022) -> str:
    """N2/C1 -> N1 + f f' via an off-shell boson: open channels, renormalised weights, approximate width."""
    open_channels = [(w, (lsp, *d)) for d, w, msum in table if msum + 0.5 < dm]
    if not open_channels:
        raise ConfigError(f"mass splitting {dm} GeV too small for decays of {pid} in the SLHA template")
    total = sum(w for w, _ in open_channels)
    # Order-of-magnitude width G_F^2 dm^5 / (15 pi^3) x channels; only sets a (prompt) lifetime.
    width = G_FERMI**2 * dm**5 / (15 * math.pi**3) * len(open_channels)
    return _decay_block(pid, width, [(w / total, d) for w, d in open_channels])


def smuon_width(m_smuon: float, m_neutralino: float) -> float:
    """Tree-level width of smuon_R -> mu + bino: alpha' m (1 - x^2)^2 / 2 with x = m_chi/m_smuon."""
    alpha_prime = ALPHA_EM_MZ / (1 - SIN2_THETA_W)
    return alpha_prime * m_smuon * (1 - (m_neutralino / m_smuon) ** 2) ** 2 / 2


def smuon_fields(m_smuon: float, m_neutralino: float) -> dict[str, str]:
    """Template fields of the smuon_R -> mu chi10 (bino) model."""
    if not 0 <= m_neutralino < m_smuon:
        raise ConfigError(f"smuon model needs 0 <= m_neutralino ({m_neutralino}) < m_smuon ({m_smuon})")
    decays = "\n".join([
        _decay_block(2000013, smuon_width(m_smuon, m_neutralino), [(1.0, (13, 1000022))]),
        _decay_block(1000022, 0.0, []),
    ])
    return {
        "tan_beta": "10.0", "mu": f"{M_HEAVY:.6E}", "alpha": "-1.0E-01",
        "m_squark": f"{M_HEAVY:.6E}", "m_smuon_R": f"{m_smuon:.6E}",
        "m_chi10": f"{m_neutralino:.6E}", "m_chi20": f"{M_HEAVY + 10:.6E}",
        "m_chi30": f"{M_HEAVY + 20:.6E}", "m_chi40": f"{M_HEAVY + 30:.6E}",
        "m_chi1p": f"{M_HEAVY + 10:.6E}", "m_chi2p": f"{M_HEAVY + 30:.6E}",
        "NMIX": _matrix_block("NMIX", np.eye(4)),
        "UMIX": _matrix_block("UMIX", np.eye(2)),
        "VMIX": _matrix_block("VMIX", np.eye(2)),
        "DECAYS": decays,
    }


def higgsino_fields(
    m_squark: float,
    m_ewkino: float,
    dm_chargino: float = 5.0,
    dm_neutralino2: float = 10.0,
    m1: float = 3000.0,
    m2: float = 3000.0,
    tan_beta: float = 10.0,
) -> dict[str, str]:
    """Template fields of the light-higgsino + light-squark model (see module docstring)."""
    if not (m_ewkino + dm_neutralino2 < min(m1, m2) and m_ewkino + dm_neutralino2 < m_squark):
        raise ConfigError(
            f"higgsino model needs m_ewkino ({m_ewkino}) + dm below M1, M2 ({m1}, {m2}) and m_squark ({m_squark})"
        )
    n_masses, nmix = neutralino_mixing(m1, m2, m_ewkino, tan_beta)
    c_masses, umix, vmix = chargino_mixing(m2, m_ewkino, tan_beta)
    signs = np.sign(n_masses)
    decays = "\n".join([
        _decay_block(1000022, 0.0, []),
        _three_body(1000023, dm_neutralino2, _Z_STAR),
        _three_body(1000024, dm_chargino, _W_STAR),
    ])
    logger.debug("higgsino spectrum: diagonalised neutralino masses %s, chargino %s", n_masses, c_masses)
    return {
        "tan_beta": f"{tan_beta:.6E}", "mu": f"{m_ewkino:.6E}", "alpha": f"{-1 / tan_beta:.6E}",
        "m_squark": f"{m_squark:.6E}", "m_smuon_R": f"{M_HEAVY:.6E}",
        "m_chi10": f"{signs[0] * m_ewkino:.6E}", "m_chi20": f"{signs[1] * (m_ewkino + dm_neutralino2):.6E}",
        "m_chi30": f"{n_masses[2]:.6E}", "m_chi40": f"{n_masses[3]:.6E}",
        "m_chi1p": f"{m_ewkino + dm_chargino:.6E}", "m_chi2p": f"{c_masses[1]:.6E}",
        "NMIX": _matrix_block("NMIX", nmix),
        "UMIX": _matrix_block("UMIX", umix),
        "VMIX": _matrix_block("VMIX", vmix),
        "DECAYS": decays,
    }


def wino_fields(
    m_squark: float,
    m_electroweakino: float,
    dm_chargino: float = 1.0,
    m1: float = 3000.0,
    mu: float = 3000.0,
    tan_beta: float = 10.0,
) -> dict[str, str]:
    """Template fields of the light-wino + light-squark model (see module docstring).

    The pure-wino radiative C1-N1 splitting (~0.16 GeV) makes C1 long-lived (disappearing track), which the
    parametric detector does not model; ``dm_chargino`` (default 1 GeV) keeps the decay prompt with soft products.
    """
    if not (m_electroweakino + dm_chargino < min(m1, mu) and m_electroweakino + dm_chargino < m_squark):
        raise ConfigError(
            f"wino model needs m_electroweakino ({m_electroweakino}) + dm below M1, mu ({m1}, {mu}) "
            f"and m_squark ({m_squark})"
        )
    n_masses, nmix = neutralino_mixing(m1, m_electroweakino, mu, tan_beta)
    c_masses, umix, vmix = chargino_mixing(m_electroweakino, mu, tan_beta)
    sign = np.sign(n_masses[0])
    decays = "\n".join([
        _decay_block(1000022, 0.0, []),
        _three_body(1000024, dm_chargino, _W_STAR),
    ])
    logger.debug("wino spectrum: diagonalised neutralino masses %s, chargino %s", n_masses, c_masses)
    return {
        "tan_beta": f"{tan_beta:.6E}", "mu": f"{mu:.6E}", "alpha": f"{-1 / tan_beta:.6E}",
        "m_squark": f"{m_squark:.6E}", "m_smuon_R": f"{M_HEAVY:.6E}",
        "m_chi10": f"{sign * m_electroweakino:.6E}", "m_chi20": f"{n_masses[1]:.6E}",
        "m_chi30": f"{n_masses[2]:.6E}", "m_chi40": f"{n_masses[3]:.6E}",
        "m_chi1p": f"{m_electroweakino + dm_chargino:.6E}", "m_chi2p": f"{c_masses[1]:.6E}",
        "NMIX": _matrix_block("NMIX", nmix),
        "UMIX": _matrix_block("UMIX", umix),
        "VMIX": _matrix_block("VMIX", vmix),
        "DECAYS": decays,
    }


def sleptons_lr_fields(m_slepton: float, m_neutralino: float) -> dict[str, str]:
    """Template fields of degenerate ~e_L, ~e_R, ~mu_L, ~mu_R -> l chi10 (100 %, bino), the selectron + smuon
    L+R model of ATLAS arXiv:1908.08215; sneutrinos heavy. ~l_L widths use hypercharge 1/2: a quarter of ~l_R's."""
    fields = smuon_fields(m_slepton, m_neutralino)
    width_r = smuon_width(m_slepton, m_neutralino)
    decays = [_decay_block(pid, width, [(1.0, (lepton, 1000022))]) for pid, width, lepton in (
        (1000011, width_r / 4, 11), (2000011, width_r, 11), (1000013, width_r / 4, 13), (2000013, width_r, 13))]
    fields["DECAYS"] = "\n".join([*decays, _decay_block(1000022, 0.0, [])])
    fields.update({key: f"{m_slepton:.6E}" for key in ("m_selectron_L", "m_selectron_R", "m_smuon_L")})
    return fields


def stau_lr_fields(m_stau: float, m_neutralino: float) -> dict[str, str]:
    """Template fields of degenerate ~tau_L (1000015), ~tau_R (2000015) -> tau chi10 (100 %, bino), no L-R mixing
    (STAUMIX = 1), the simplified model of the ATLAS direct-stau searches; ~tau_L width a quarter of ~tau_R's, as
    for ~l_L in :func:`sleptons_lr_fields` (the tau mass is neglected in the widths, which only set a prompt
    lifetime). Pythia decays the taus."""
    if not 0 <= m_neutralino < m_stau - 1.777:
        raise ConfigError(f"stau model needs 0 <= m_neutralino ({m_neutralino}) < m_stau ({m_stau}) - m_tau")
    fields = smuon_fields(m_stau, m_neutralino)
    width_r = smuon_width(m_stau, m_neutralino)
    decays = [_decay_block(pid, width, [(1.0, (15, 1000022))]) for pid, width in (
        (1000015, width_r / 4), (2000015, width_r))]
    fields["DECAYS"] = "\n".join([*decays, _decay_block(1000022, 0.0, [])])
    fields["m_smuon_R"] = f"{M_HEAVY:.6E}"
    fields.update({key: f"{m_stau:.6E}" for key in ("m_stau_1", "m_stau_2")})
    return fields


MODELS: dict[str, Callable[..., dict[str, str]]] = {
    "smuon": smuon_fields, "higgsino": higgsino_fields, "wino": wino_fields, "sleptons_lr": sleptons_lr_fields,
    "stau_lr": stau_lr_fields}
SLEPTON_DEFAULTS = ("m_selectron_L", "m_selectron_R", "m_smuon_L", "m_sbottom", "m_stau_1", "m_stau_2")
"""Template fields heavy unless a model sets them (the sbottoms too: the third generation is decoupled in every
model; ``m_squark`` is the mass of the eight light-flavour squarks)."""


def render_slha(model: str, masses: dict[str, float], template: str | Path = TEMPLATE, **options: float) -> str:
    """SLHA text for `model` ('smuon': m_smuon, m_neutralino; 'higgsino': m_squark, m_ewkino;
    'wino': m_squark, m_electroweakino)."""
    if model not in MODELS:
        raise ConfigError(f"unknown SLHA model {model!r}; known: {sorted(MODELS)}")
    try:
        fields = MODELS[model](**masses, **options)
    except TypeError as exc:
        raise ConfigError(f"masses {masses} do not fit SLHA model {model!r}: {exc}") from exc
    fields["m_heavy"] = f"{M_HEAVY:.6E}"
    for key in SLEPTON_DEFAULTS:
        fields.setdefault(key, fields["m_heavy"])
    return Template(Path(template).read_text()).substitute(fields)


def write_slha(model: str, masses: dict[str, float], out_path: str | Path, **options: float) -> Path:
    """Write the SLHA file of one mass point atomically and return its path."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(render_slha(model, masses, TEMPLATE, **options))
    os.replace(tmp, out_path)
    return out_path
