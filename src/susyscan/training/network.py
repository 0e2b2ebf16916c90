"""Feed-forward classifier (paper: 37 -> 50 -> 50 -> 1, sigmoid activations, normal initialisation), also with one
logit per class, dropout and torch's default initialisation (the stau multiclass DNN: ReLU, dropout, K logits;
``susyscan.training.multiclass``).

The shared trainer takes any network through a *model factory* ``(settings, seed) -> torch.nn.Module``
(``AnalysisSpec.model_factory``; :func:`build_classifier` by default). ``settings`` is the architecture:
:class:`NetworkConfig` for the shared MLP, or an analysis' own settings class with the same ``to_dict`` /
``from_dict`` pair (stored in model.pt, rebuilt on loading). The module maps the standardised input blocks
(``susyscan.training.standardise``), in block order and followed by the slot masks of the padded slot blocks, to
logits (N,) (or (N, K) with one logit per class); for a single-block model that is ``module(features)``. Training,
saving, loading (the factory rebuilds the architecture, then the trained weights are loaded) and the ONNX export
(``susyscan.training.onnx_nn``) use nothing else of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import torch
from torch import nn

from susyscan.errors import ConfigError

ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}


@dataclass(frozen=True)
class NetworkConfig:
    """Architecture of the MLP; ``init_std`` is the std of the normal initialisation of weights and biases (None:
    torch's default initialisation of ``nn.Linear``); ``n_outputs`` logits (1: binary, K: one per class);
    ``dropout`` after each hidden activation (0: none)."""

    n_inputs: int
    hidden_layers: tuple[int, ...] = (50, 50)
    activation: str = "sigmoid"
    init_std: float | None = 0.1
    n_outputs: int = 1
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.activation not in ACTIVATIONS:
            raise ConfigError(f"training.nn.activation {self.activation!r} not in {sorted(ACTIVATIONS)}")
        if self.n_inputs < 1 or self.n_outputs < 1 or any(n < 1 for n in self.hidden_layers):
            raise ConfigError(f"network layer sizes must be positive: {self.n_inputs}, {self.hidden_layers}, "
                              f"{self.n_outputs} outputs")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"network dropout must be in [0, 1), got {self.dropout}")
        object.__setattr__(self, "hidden_layers", tuple(int(n) for n in self.hidden_layers))

    def to_dict(self) -> dict:
        """JSON-serialisable form (stored in model.pt)."""
        payload = asdict(self)
        payload["hidden_layers"] = list(self.hidden_layers)
        return payload

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> NetworkConfig:
        """Inverse of :meth:`to_dict`."""
        init_std = payload["init_std"]
        return cls(n_inputs=int(payload["n_inputs"]), hidden_layers=tuple(payload["hidden_layers"]),
                   activation=str(payload["activation"]), init_std=None if init_std is None else float(init_std),
                   n_outputs=int(payload.get("n_outputs", 1)), dropout=float(payload.get("dropout", 0.0)))


class NetworkSettings(Protocol):
    """Architecture settings of a model factory (stored in model.pt as ``to_dict()``)."""

    def to_dict(self) -> dict[str, Any]: ...  # noqa: D102


class Classifier(nn.Module):
    """MLP returning logits (N,), or (N, K) with ``n_outputs`` K > 1 (the trainer applies the sigmoid or softmax)."""

    def __init__(self, config: NetworkConfig) -> None:
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = config.n_inputs
        for hidden in config.hidden_layers:
            layers += [nn.Linear(width, hidden), ACTIVATIONS[config.activation]()]
            if config.dropout > 0:
                layers.append(nn.Dropout(config.dropout))
            width = hidden
        layers.append(nn.Linear(width, config.n_outputs))
        self.layers = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Logits of shape (n,), or (n, n_outputs) with several outputs."""
        logits = self.layers(features)
        return logits.squeeze(-1) if self.config.n_outputs == 1 else logits

    def linear_layers(self) -> list[nn.Linear]:
        """The affine layers in order (for inspecting the architecture; the ONNX export traces ``forward``)."""
        return [m for m in self.layers if isinstance(m, nn.Linear)]


#: A model factory: (architecture settings, seed) -> an initialised module returning logits.
ModelFactory = Callable[[Any, int], nn.Module]


def factory_name(factory: Callable[..., object]) -> str:
    """``module.qualname`` of a model factory (recorded in model.pt for provenance)."""
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', repr(factory))}"


def build_classifier(config: NetworkConfig, seed: int) -> Classifier:
    """Build the MLP with weights and biases drawn from N(0, init_std^2) using ``seed``; with ``init_std`` None,
    torch's default initialisation drawn from torch's global generator seeded with ``seed`` (as the shared
    trainer's ``deterministic(seed)`` does just before; dropout then continues that stream)."""
    if config.init_std is None:
        torch.manual_seed(seed)
        return Classifier(config)
    generator = torch.Generator().manual_seed(seed)
    model = Classifier(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * config.init_std)
    return model
