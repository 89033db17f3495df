"""What the minitorch ports share: the course's function tables (its ``MathTest``: one-argument, two-argument
and reduction functions, each with the inputs where a central difference is fair), index-to-position, and its
2-d datasets and small networks, re-written with the engine (``nn``), not copied."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


def leaf(values: object) -> Tensor:
    """A float64 tensor that requires grad (the course's ``tensor(..., requires_grad=True)``)."""
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def position(index: Sequence[int], strides: Sequence[int]) -> int:
    """minitorch's ``index_to_position``: where ``index`` lies in the storage, ``sum(index * strides)``."""
    return int(sum(i * s for i, s in zip(index, strides)))


def _everywhere(*arrays: np.ndarray) -> bool:
    return True


def _away_from(kink: float) -> Callable[[np.ndarray], bool]:
    return lambda x: bool(np.all(np.abs(x - kink) > 1e-3))


# name -> (function, where a central difference may be taken), as the course's MathTest: constants folded in
ONE_ARG: dict[str, tuple[Callable[[Tensor], Tensor], Callable[..., bool]]] = {
    "neg": (lambda x: -x, _everywhere),
    "add_constant": (lambda x: x + 5.0, _everywhere),
    "sub_constant": (lambda x: x - 5.0, _everywhere),
    "mult_constant": (lambda x: 5.0 * x, _everywhere),
    "div_constant": (lambda x: x / 5.0, _everywhere),
    "square": (lambda x: x * x, _everywhere),
    "cube": (lambda x: x * x * x, _everywhere),
    "inv": (lambda x: ag.reciprocal(x + 3.5), _everywhere),
    "sig": (ag.sigmoid, _everywhere),
    "log": (lambda x: ag.log(x + 100000.0), _everywhere),
    "relu": (lambda x: ag.relu(x + 0.5), _away_from(-0.5)),
    "exp": (lambda x: ag.exp(x - 2.0), _everywhere),
    "explog": (lambda x: ag.exp(ag.log(x + 100000.0)) - 100000.0, _everywhere),
}

TWO_ARG: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Callable[..., bool]]] = {
    "add": (lambda a, b: a + b, _everywhere),
    "mul": (lambda a, b: a * b, _everywhere),
    "div": (lambda a, b: a / (b + 5.5), _everywhere),
    "max": (ag.maximum, lambda a, b: bool(np.all(np.abs(a - b) > 1e-3))),
}

REDUCE: dict[str, Callable[[Tensor], Tensor]] = {
    "sum": lambda x: x.sum(),
    "sum_dim0": lambda x: x.sum(0),
    "sum_dim1_keepdim": lambda x: x.sum(1, keepdim=True),
    "mean": lambda x: x.mean(),
    "mean_dim1": lambda x: x.mean(1),
    "mean_full_reduction": lambda x: x.mean(0).mean(0),
}


# ----------------------------------------------------------------------------- the course's 2-d datasets
def _labelled(points: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return points, labels.astype(np.float64)


def dataset(name: str, n: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """minitorch's ``datasets[name](N)``: n points in the unit square and their 0/1 labels, re-derived from the
    course's definitions (Simple: left half; Diag: below x1 + x2 = 0.5; Split: the two outer strips; Xor: the
    off-diagonal quarters; Circle: outside a circle of radius^2 0.1 about the centre; Spiral: two arms)."""
    rng = np.random.default_rng(seed)
    if name == "Spiral":
        t = np.linspace(0.0, 1.0, n // 2) * 10.0
        arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / 20.0
        return _labelled(np.concatenate([arm, -arm]) + 0.5, np.repeat([0, 1], n // 2))
    x1, x2 = rng.uniform(size=(2, n))
    labels = {
        "Simple": x1 < 0.5,
        "Diag": x1 + x2 < 0.5,
        "Split": (x1 < 0.2) | (x1 > 0.8),
        "Xor": (x1 < 0.5) != (x2 < 0.5),
        "Circle": (x1 - 0.5) ** 2 + (x2 - 0.5) ** 2 > 0.1,
    }[name]
    return _labelled(np.stack([x1, x2], axis=1), labels)


class Network(nn.Module):
    """The course's tensor network (module 2/3's ``Network``): 2 -> hidden -> hidden -> 1, relu, relu, sigmoid."""

    def __init__(self, hidden: int, seed: int = 0) -> None:
        super().__init__()
        self.layer1 = nn.Linear(2, hidden, seed=seed)
        self.layer2 = nn.Linear(hidden, hidden, seed=seed + 1)
        self.layer3 = nn.Linear(hidden, 1, seed=seed + 2)

    def forward(self, x: Tensor) -> Tensor:
        return self.layer3(self.layer2(self.layer1(x).relu()).relu()).sigmoid().reshape(-1)


def train(
    model: nn.Module, X: np.ndarray, y: np.ndarray, epochs: int, lr: float, optimizer_class: type = nn.optim.SGD
) -> list[float]:
    """The course's training loop: the mean of -log P(the right label), full batch, plain SGD; the losses."""
    optimizer = optimizer_class(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.binary_cross_entropy(model(Tensor(X)), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    with ag.no_grad():
        return float(np.mean((model(Tensor(X)).data > 0.5) == y))
