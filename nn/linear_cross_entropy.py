"""torch 2.13's ``F.linear_cross_entropy`` / ``nn.LinearCrossEntropyLoss``: a linear layer to logits and the cross
entropy against the target in one call, and ``nn.LinearCrossEntropyOptions``, torch's settings for computing it in
batch chunks so the (batch, classes) logits never exist at once (a memory saving for large vocabularies).

Here the loss is torch's reference path, ``cross_entropy(linear(input, W) + b, target)``, whatever the options: the
engine keeps each chunk's logits for the backward pass anyway, so chunking would save nothing. Options are
checked as torch checks them and kept, so torch code that passes them runs and gives the same values.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import ArrayLike, DTypeLike, TensorLike

from . import functional as F
from .checks import positive_int
from .init import GeneratorLike
from .layers import Linear
from .losses import _Loss

_ACC_DTYPES = (None, "float16", "bfloat16", "float32", "float64")


def _dtype_name(value: Any) -> str | None:
    """A dtype's name, numpy's or torch's (``torch.bfloat16``: "bfloat16"), or None for None."""
    if value is None:
        return None
    try:
        return np.dtype(value).name
    except TypeError:
        return str(value).removeprefix("torch.")


@dataclasses.dataclass(frozen=True)
class LinearCrossEntropyOptions:
    """torch's ``nn.LinearCrossEntropyOptions(allow_retain_graph=False, batch_chunk_size=None, chunking_method="auto",
    acc_policy="auto", acc_dtype=None)``, checked as torch's (acc_dtype by name here); the loss is computed whole
    all the same (see the module's note), so its values are torch's reference ones.

    >>> LinearCrossEntropyOptions(chunking_method="aspect_ratio:2").acc_policy
    'auto'
    """

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: Any = None

    def __post_init__(self) -> None:
        if self.acc_policy not in {"auto", "accurate", "balanced", "compact"}:
            raise ValueError(
                f"LinearCrossEntropyOptions: invalid acc_policy: {self.acc_policy!r}; give 'auto', 'accurate', "
                "'balanced' or 'compact'"
            )
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = str(self.chunking_method).partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(
                    f"LinearCrossEntropyOptions: invalid chunking_method: {self.chunking_method!r}; give 'auto', "
                    "'aspect_ratio', 'aspect_ratio:N' (N >= 1) or None"
                )
        size = self.batch_chunk_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
            raise ValueError(f"LinearCrossEntropyOptions: batch_chunk_size must be positive int or None, got {size!r}")
        if _dtype_name(self.acc_dtype) not in _ACC_DTYPES:
            raise ValueError(
                "LinearCrossEntropyOptions: acc_dtype must be one of None, float16, bfloat16, float32, float64, "
                f"got {self.acc_dtype!r}. Pass acc_dtype=None to let the op pick automatically."
            )


def linear_cross_entropy(
    input: TensorLike,
    linear_weight: TensorLike,
    target: TensorLike,
    *,
    linear_bias: TensorLike | None = None,
    weight: TensorLike | None = None,
    reduction: str = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
    options: LinearCrossEntropyOptions | None = None,
) -> Tensor:
    """torch's ``F.linear_cross_entropy``: ``cross_entropy(input @ W^T + b, target, ...)`` with ``linear_weight``
    (C, in_features) or (C, d1, ..., dK, in_features) for a K-dimensional loss (logits (N, C, d1, ..., dK));
    ``ignore_index`` None is -100, as torch's. The gradient is the engine's, through the composed ops.

    >>> x, W = np.array([[1.0, 0.0]]), np.array([[2.0, 0.0], [0.0, 0.0]])
    >>> linear_cross_entropy(x, W, np.array([0]))      # logits (2, 0): -log(e^2 / (e^2 + 1))
    Tensor(0.1269)
    """
    if options is not None and not isinstance(options, LinearCrossEntropyOptions):
        raise TypeError(
            f"linear_cross_entropy: options must be an nn.LinearCrossEntropyOptions or None, got "
            f"{type(options).__name__}"
        )
    x = input if isinstance(input, Tensor) else ag.as_tensor(input)
    w = linear_weight if isinstance(linear_weight, Tensor) else ag.as_tensor(linear_weight)
    if w.ndim < 2 or x.ndim not in (1, 2) or x.shape[-1] != w.shape[-1] or (w.ndim > 2 and x.ndim != 2):
        raise ValueError(
            f"linear_cross_entropy: input of shape {x.shape} and linear_weight of shape {w.shape} do not fit: give "
            "input (N, in_features) or (in_features,) and linear_weight (C, in_features), or (C, d1, ..., dK, "
            "in_features) with a batched input"
        )
    logits = x @ w.reshape(-1, w.shape[-1]).T
    logits = logits.reshape(*x.shape[:-1], *w.shape[:-1])
    if linear_bias is not None:
        bias = linear_bias if isinstance(linear_bias, Tensor) else ag.as_tensor(linear_bias)
        if bias.shape != w.shape[:-1]:
            raise ValueError(
                f"linear_cross_entropy: linear_bias of shape {bias.shape}, expected linear_weight's shape without its "
                f"last axis, {w.shape[:-1]}"
            )
        logits = logits + bias
    index = -100 if ignore_index is None else ignore_index
    return F.cross_entropy(logits, target, reduction, weight, index, label_smoothing)


class LinearCrossEntropyLoss(_Loss):
    """torch's ``nn.LinearCrossEntropyLoss(in_features, num_classes, *, out_features=(), bias=False, reduction,
    weight, ignore_index=None, label_smoothing=0.0, options=None)`` (``seed``/``dtype`` as the other layers'): a
    ``Linear`` to num_classes * prod(out_features) logits (weights stored flat in ``self.linear``, as torch's) and
    ``linear_cross_entropy``. ``options``: an ``nn.LinearCrossEntropyOptions`` (or its fields as a dict).

    >>> loss_fn = LinearCrossEntropyLoss(5, 10, out_features=(4, 3), seed=0)
    >>> loss_fn(np.ones((2, 5)), np.zeros((2, 4, 3), int)).shape, loss_fn.linear.weight.shape
    ((), (120, 5))
    """

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        *,
        out_features: tuple[int, ...] = (),
        bias: bool = False,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
        reduction: str = "mean",
        weight: ArrayLike | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
        options: LinearCrossEntropyOptions | dict[str, Any] | None = None,
    ) -> None:
        super().__init__(reduction)
        name = "LinearCrossEntropyLoss"
        self.num_classes: int = positive_int(name, "num_classes", num_classes)
        self.out_features: tuple[int, ...] = tuple(positive_int(name, "out_features", size) for size in out_features)
        given = None if weight is None else np.shape(getattr(weight, "data", weight))
        if given is not None and given != (self.num_classes,):
            raise ValueError(f"{name}: expected weight shape to be {(self.num_classes,)}, got {given}")
        if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
            raise ValueError(f"{name}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"{name}: expected label_smoothing to be in range [0, 1], got {label_smoothing}")
        self.weight: ArrayLike | None = weight
        self.ignore_index: int | None = ignore_index
        self.label_smoothing: float = float(label_smoothing)
        self.options: LinearCrossEntropyOptions | None = (
            LinearCrossEntropyOptions(**options) if isinstance(options, dict) else options
        )
        classes = math.prod(self.out_features) * self.num_classes
        self.linear: Linear = Linear(in_features, classes, bias=bias, seed=seed, dtype=dtype)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        weight = None if self.weight is None else np.asarray(getattr(self.weight, "data", self.weight), float).tolist()
        return {
            "in_features": self.linear.in_features,
            "num_classes": self.num_classes,
            "out_features": list(self.out_features),
            "bias": self.linear.bias is not None,
            "dtype": self.linear.weight.dtype.name,
            "reduction": self.reduction,
            "weight": weight,
            "ignore_index": self.ignore_index,
            "label_smoothing": self.label_smoothing,
            "options": None if self.options is None else dataclasses.asdict(self.options),
        }

    def forward(self, input: TensorLike, target: TensorLike) -> Tensor:
        shape = (self.num_classes, *self.out_features)
        bias = None if self.linear.bias is None else self.linear.bias.reshape(shape)
        return linear_cross_entropy(
            input, self.linear.weight.reshape(*shape, self.linear.in_features), target, linear_bias=bias,
            weight=self.weight, reduction=self.reduction, ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing, options=self.options,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"in_features={self.linear.in_features}, num_classes={self.num_classes}, out_features={self.out_features}, "
            f"bias={self.linear.bias is not None}, reduction={self.reduction}, ignore_index={self.ignore_index}, "
            f"label_smoothing={self.label_smoothing}, options={self.options}"
        )
