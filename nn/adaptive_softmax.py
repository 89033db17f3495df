"""The adaptive softmax (Grave et al. 2017), as torch's ``nn.AdaptiveLogSoftmaxWithLoss``: a softmax over many
classes made cheap by frequency. The frequent classes (below ``cutoffs[0]``) share a "head" softmax with one
entry per cluster of rarer classes; each cluster has its own smaller softmax, reached through a low-rank
projection (``in_features // div_value**(i+1)`` units). log p(class) is the head's log-probability of the class,
or of its cluster plus the cluster's own log-probability of the class.

Composed from ``Linear`` layers, ``log_softmax``, indexing and concatenation, so the gradient is the engine's.
The parameters have torch's names (``head.weight``, ``tail.0.0.weight``, ``tail.0.1.weight``, ...), so a torch
state_dict's values load as they are.
"""

from __future__ import annotations

import numbers
from collections import namedtuple
from collections.abc import Sequence
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import init as nn_init
from .checks import positive_int
from .containers import ModuleList, Sequential
from .init import GeneratorLike
from .layers import Linear
from .module import Module

#: What ``forward`` returns, as torch's ``_ASMoutput``: each target's log-probability, and the mean loss.
ASMoutput = namedtuple("ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """torch's ``nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value=4.0, head_bias=False)``
    (``seed`` and ``dtype`` as the other layers'; torch's ``device`` is not taken). ``forward(input, target)`` with
    input (N, in_features) and target (N,) class indices (or (in_features,) and a 0-d target) returns
    ``(output, loss)``: the log-probability of each target and the mean negative log-likelihood.
    ``log_prob(input)`` gives all (N, n_classes) log-probabilities, ``predict(input)`` the most probable classes.

    >>> asm = AdaptiveLogSoftmaxWithLoss(8, 10, cutoffs=[4, 8], div_value=2.0, seed=0)
    >>> x = np.random.default_rng(0).standard_normal((3, 8))
    >>> output, loss = asm(x, np.array([1, 5, 9]))
    >>> output.shape, bool(np.allclose(np.exp(asm.log_prob(x).data).sum(axis=1), 1.0))
    ((3,), True)
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int,
        cutoffs: Sequence[int],
        div_value: float = 4.0,
        head_bias: bool = False,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        name = "AdaptiveLogSoftmaxWithLoss"
        self.in_features = positive_int(name, "in_features", in_features)
        self.n_classes = positive_int(name, "n_classes", n_classes)
        given = list(cutoffs) if isinstance(cutoffs, (list, tuple, np.ndarray)) else None
        if not given or not all(isinstance(c, numbers.Integral) and not isinstance(c, bool) for c in given):
            raise ValueError(
                f"{name}: cutoffs must be a non-empty sequence of ints (where each cluster of rarer classes starts), "
                f"got {cutoffs!r}"
            )
        if given != sorted(set(given)) or given[0] <= 0 or given[-1] > n_classes - 1:
            raise ValueError(
                f"{name}: cutoffs should be a sequence of unique, positive integers sorted in an increasing order, "
                f"where each value is between 1 and n_classes-1 = {n_classes - 1}; got {given}"
            )
        if isinstance(div_value, bool) or not isinstance(div_value, numbers.Real) or not div_value > 0:
            raise ValueError(f"{name}: div_value must be a number > 0, got {div_value!r}")
        self.cutoffs: list[int] = [int(c) for c in given] + [self.n_classes]
        self.div_value: float = float(div_value)
        self.head_bias: bool = bool(head_bias)
        self.shortlist_size: int = self.cutoffs[0]
        self.n_clusters: int = len(self.cutoffs) - 1
        self.head_size: int = self.shortlist_size + self.n_clusters
        generator = nn_init.as_generator(seed)
        self.head: Linear = Linear(self.in_features, self.head_size, bias=self.head_bias, seed=generator, dtype=dtype)
        projections = []
        for i in range(self.n_clusters):
            hidden = int(self.in_features // (self.div_value ** (i + 1)))
            if hidden < 1:
                raise ValueError(
                    f"{name}: cluster {i}'s projection has in_features // div_value**{i + 1} = {hidden} units; "
                    "give a smaller div_value or fewer cutoffs"
                )
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            projections.append(
                Sequential(
                    Linear(self.in_features, hidden, bias=False, seed=generator, dtype=dtype),
                    Linear(hidden, size, bias=False, seed=generator, dtype=dtype),
                )
            )
        self.tail: ModuleList = ModuleList(projections)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "in_features": self.in_features,
            "n_classes": self.n_classes,
            "cutoffs": self.cutoffs[:-1],
            "div_value": self.div_value,
            "head_bias": self.head_bias,
            "dtype": self.head.weight.dtype.name,
        }

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, n_classes={self.n_classes}, cutoffs={self.cutoffs[:-1]}, "
            f"div_value={self.div_value}, head_bias={self.head_bias}"
        )

    def _rows(self, input: TensorLike, what: str) -> Tensor:
        x = input if isinstance(input, Tensor) else ag.as_tensor(input)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"AdaptiveLogSoftmaxWithLoss.{what}: input of shape {x.shape}, expected (N, in_features) = "
                f"(N, {self.in_features})"
            )
        return x

    def forward(self, input: TensorLike, target: TensorLike) -> ASMoutput:
        x = input if isinstance(input, Tensor) else ag.as_tensor(input)
        labels = np.asarray(target.data if isinstance(target, Tensor) else target)
        if labels.dtype.kind not in "iu" or labels.ndim > 1:
            raise ValueError(
                f"AdaptiveLogSoftmaxWithLoss: target must be class indices (ints) of shape (N,) or (), got shape "
                f"{labels.shape} and dtype {labels.dtype}"
            )
        batched = labels.ndim == 1
        if x.ndim != (2 if batched else 1) or (batched and x.shape[0] != labels.shape[0]):
            raise ValueError(
                f"AdaptiveLogSoftmaxWithLoss: input of shape {x.shape} does not go with a target of shape "
                f"{labels.shape}: give (N, in_features) with (N,), or (in_features,) with a 0-d target"
            )
        x, labels = (x, labels) if batched else (x.reshape(1, -1), labels.reshape(1))
        x = self._rows(x, "forward")
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise ValueError(
                f"AdaptiveLogSoftmaxWithLoss: target values should be in [0, {self.n_classes - 1}], but values in "
                f"[{labels.min()}, {labels.max()}] were found"
            )
        cluster = np.searchsorted(self.cutoffs, labels, side="right")  # 0: the shortlist, i: tail i - 1
        head_index = np.where(cluster == 0, labels, self.shortlist_size + cluster - 1)
        head_logprob = ag.log_softmax(self.head(x), axis=1)
        output = head_logprob[np.arange(len(labels)), head_index]
        rows = [np.flatnonzero(cluster == 0)]
        parts = [Tensor(np.zeros(len(rows[0]), x.dtype))]  # the shortlist's rows: the head says it all
        for i in range(1, len(self.cutoffs)):
            used = np.flatnonzero(cluster == i)
            if used.size:
                cluster_logprob = ag.log_softmax(self.tail[i - 1](x[used]), axis=1)
                parts.append(cluster_logprob[np.arange(used.size), labels[used] - self.cutoffs[i - 1]])
                rows.append(used)
        in_cluster = ag.concatenate(parts)[np.argsort(np.concatenate(rows), kind="stable")]  # back in batch order
        output = output + in_cluster
        loss = (-output).mean()
        return ASMoutput(output if batched else output.reshape(()), loss)

    def log_prob(self, input: TensorLike) -> Tensor:
        """Every class's log-probability, (N, n_classes): ``asm.log_prob(x).exp()`` sums to 1 per row."""
        x = self._rows(input, "log_prob")
        head_logprob = ag.log_softmax(self.head(x), axis=1)
        parts = [head_logprob[:, : self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster = head_logprob[:, self.shortlist_size + i : self.shortlist_size + i + 1]
            parts.append(ag.log_softmax(projection(x), axis=1) + cluster)
        return ag.concatenate(parts, axis=1)

    def predict(self, input: TensorLike) -> Tensor:
        """The most probable class of each row, (N,) ints: ``log_prob(input).argmax(1)``, as torch's."""
        with ag.no_grad():
            return Tensor(np.argmax(self.log_prob(input).data, axis=1))
