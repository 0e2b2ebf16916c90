"""Deep-sets network over PF candidates + high-level MLP branch, and the seed ensemble.

Inputs are raw (un-standardised): the ensemble holds the standardisation as buffers, maps
high-level sentinels and padded candidate slots to 0 after standardisation, so the same module is
exported to ONNX unchanged. Padded candidates are found from ``pfcands[..., 0] == padding_value``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import torch
from torch import nn

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NetConfig:
    """Layer sizes of one ensemble member."""

    phi_sizes: tuple[int, ...] = (64, 64)
    rho_sizes: tuple[int, ...] = (64,)
    highlevel_sizes: tuple[int, ...] = (64, 64)
    head_sizes: tuple[int, ...] = (64,)
    use_pfcands: bool = True

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


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

    def __init__(self, n_highlevel: int, n_pfcand: int, max_candidates: int, net: NetConfig) -> None:
        super().__init__()
        self.use_pfcands = net.use_pfcands
        self.max_candidates = max_candidates
        self.highlevel = mlp(n_highlevel, net.highlevel_sizes)
        n_head = net.highlevel_sizes[-1] if net.highlevel_sizes else n_highlevel
        if self.use_pfcands:
            self.phi = mlp(n_pfcand, net.phi_sizes)
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


class Ensemble(nn.Module):
    """Mean of the members' sigmoid scores on raw inputs; ``forward`` returns scores [N] in [0, 1]."""

    hl_mean: torch.Tensor  # buffers (typed for mypy; registered in __init__)
    hl_std: torch.Tensor
    pf_mean: torch.Tensor
    pf_std: torch.Tensor

    def __init__(self, n_highlevel: int, n_pfcand: int, max_candidates: int, n_members: int, net: NetConfig,
                 padding_value: float, sentinel: float) -> None:
        super().__init__()
        self.net = net
        self.padding_value = float(padding_value)
        self.sentinel = float(sentinel)
        self.members = nn.ModuleList(DeepSetsMember(n_highlevel, n_pfcand, max_candidates, net) for _ in range(n_members))
        self.register_buffer("hl_mean", torch.zeros(n_highlevel))
        self.register_buffer("hl_std", torch.ones(n_highlevel))
        self.register_buffer("pf_mean", torch.zeros(n_pfcand))
        self.register_buffer("pf_std", torch.ones(n_pfcand))

    def standardise(self, highlevel: torch.Tensor, pfcands: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(standardised high-level, standardised candidates, mask); sentinels and padding -> 0."""
        hl = torch.where(highlevel == self.sentinel, torch.zeros_like(highlevel), (highlevel - self.hl_mean) / self.hl_std)
        mask = pfcands[:, :, 0] != self.padding_value
        pf = torch.where(mask.unsqueeze(-1), (pfcands - self.pf_mean) / self.pf_std, torch.zeros_like(pfcands))
        return hl, pf, mask

    def member_logits(self, highlevel: torch.Tensor, pfcands: torch.Tensor) -> torch.Tensor:
        """Logits [n_members, N] on raw inputs."""
        hl, pf, mask = self.standardise(highlevel, pfcands)
        return torch.stack([member(hl, pf, mask) for member in self.members])

    def forward(self, highlevel: torch.Tensor, pfcands: torch.Tensor) -> torch.Tensor:
        """Ensemble score [N]: mean over members of sigmoid(logit)."""
        return torch.sigmoid(self.member_logits(highlevel, pfcands)).mean(dim=0)


def set_standardisation(model: Ensemble, hl_mean: torch.Tensor, hl_std: torch.Tensor,
                        pf_mean: torch.Tensor, pf_std: torch.Tensor) -> None:
    """Copy standardisation constants into the model buffers (std floored at 1e-6)."""
    with torch.no_grad():
        model.hl_mean.copy_(hl_mean)
        model.hl_std.copy_(hl_std.clamp(min=1e-6))
        model.pf_mean.copy_(pf_mean)
        model.pf_std.copy_(pf_std.clamp(min=1e-6))


__all__ = ["NetConfig", "DeepSetsMember", "Ensemble", "mlp", "set_standardisation"]
