"""Deep-sets network over PF candidates + high-level MLP branch: the model factory of the ewkino ensemble.

The shared trainer (``susyscan.training.train_nn``) builds each ensemble member with :func:`build_member`,
standardises the two input blocks (high-level sentinels and padded candidate slots left out of the fit and mapped
to 0) and passes the member ``(highlevel, pfcands, mask)``; the shared export (``susyscan.training.onnx_nn``) holds
the standardisation as buffers and derives the mask in-graph from ``pfcands[..., 0] == padding_value``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

logger = logging.getLogger(__name__)


#: Keys of the input shapes in NetConfig (set from the training inputs, not from the config section ``net``).
SHAPE_KEYS = ("n_highlevel", "n_pfcand", "max_candidates")


@dataclass(frozen=True)
class NetConfig:
    """Layer sizes of one ensemble member and the shapes of its inputs (high-level features, candidate features,
    candidate slots M; 0 until set from the training inputs)."""

    phi_sizes: tuple[int, ...] = (64, 64)
    rho_sizes: tuple[int, ...] = (64,)
    highlevel_sizes: tuple[int, ...] = (64, 64)
    head_sizes: tuple[int, ...] = (64,)
    use_pfcands: bool = True
    n_highlevel: int = 0
    n_pfcand: int = 0
    max_candidates: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in model.pt)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> NetConfig:
        """Inverse of :meth:`to_dict` (lists become tuples)."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in payload.items()})  # type: ignore[arg-type]


def mlp(n_in: int, sizes: tuple[int, ...] | list[int]) -> nn.Sequential:
    """Linear + ReLU stack (ReLU after every layer)."""
    layers: list[nn.Module] = []
    for size in sizes:
        layers += [nn.Linear(n_in, size), nn.ReLU()]
        n_in = size
    return nn.Sequential(*layers)


class DeepSetsMember(nn.Module):
    """phi MLP per candidate, masked sum and mean pooling, rho MLP; concatenated with a high-level
    MLP; one logit per event. Takes standardised inputs and the candidate mask."""

    def __init__(self, net: NetConfig) -> None:
        super().__init__()
        self.config = net
        self.use_pfcands = net.use_pfcands
        self.max_candidates = net.max_candidates
        self.highlevel = mlp(net.n_highlevel, net.highlevel_sizes)
        n_head = net.highlevel_sizes[-1] if net.highlevel_sizes else net.n_highlevel
        if self.use_pfcands:
            self.phi = mlp(net.n_pfcand, net.phi_sizes)
            latent = net.phi_sizes[-1]
            self.rho = mlp(2 * latent, net.rho_sizes)
            n_head += net.rho_sizes[-1] if net.rho_sizes else 2 * latent
        self.head = mlp(n_head, net.head_sizes)
        self.out = nn.Linear(net.head_sizes[-1] if net.head_sizes else n_head, 1)

    def forward(self, highlevel: torch.Tensor, pfcands: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logits [N]."""
        parts = [self.highlevel(highlevel)]
        if self.use_pfcands:
            weights = mask.unsqueeze(-1).to(pfcands.dtype)
            per_candidate = self.phi(pfcands) * weights
            summed = per_candidate.sum(dim=1)
            count = weights.sum(dim=1).clamp(min=1.0)
            pooled = torch.cat([summed / float(self.max_candidates), summed / count], dim=1)
            parts.append(self.rho(pooled))
        return self.out(self.head(torch.cat(parts, dim=1))).squeeze(-1)


def build_member(net: NetConfig, seed: int) -> DeepSetsMember:
    """The model factory of the shared trainer (``susyscan.training.train_nn``): one deep-sets member with torch's
    default initialisation drawn from ``seed`` (the global RNG is restored afterwards)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return DeepSetsMember(net)


__all__ = ["NetConfig", "DeepSetsMember", "build_member", "mlp"]
