"""PyTorch's in-place updates, outside the graph: ``zero_ fill_ add_ sub_ mul_ div_ copy_ clamp_ renorm_
masked_fill_ index_add_`` and the shape changes ``unsqueeze_ squeeze_ transpose_ t_``, what an
optimizer loop writes under ``no_grad``; each refuses a tensor a recorded op still needs (as ``w -= ...``).
``Tensor`` inherits them through ``TensorTorch``.

>>> w = Tensor([1.0, 2.0])
>>> w.mul_(2).add_(1)
Tensor([3., 5.])
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .grad_mode import current_switches
from .graph_state import count_writes
from .tensor_base import TensorBase, normalize_axes
from .tensor_idioms import TensorIdioms
from .tensor_inplace_forms import TensorInPlaceForms
from .tensor_linalg_methods import TensorLinalgMethods
from .tensor_math import TensorMath
from .tensor_more_torch import TensorMoreTorch
from .tensor_queries import TensorQueries
from .tensor_random import TensorRandomFill
from .tensor_selection import TensorSelection
from .types import Axis, Number, TensorLike

if TYPE_CHECKING:
    from .tensor import Tensor


def _values(x: TensorLike) -> np.ndarray:
    return np.asarray(x._data if isinstance(x, TensorBase) else x)


class TensorInPlace(
    TensorMath,
    TensorRandomFill,
    TensorIdioms,
    TensorSelection,
    TensorQueries,
    TensorInPlaceForms,
    TensorLinalgMethods,
    TensorMoreTorch,
):
    """In-place updates (see the module docstring)."""

    # ------------------------------------------------------------ in place, outside the graph (as `w -= ...`)
    def _in_place(self, method: str) -> Tensor:
        """This tensor, once ``method`` may change it: the refusal on a recorded tensor names the call made."""
        t = cast("Tensor", self)
        t._check_inplace(
            f"{method}()", "would change it outside the graph", "`w.data` (`w.data += u`, `w.data[...] = v`)"
        )
        return t

    def add_(self, other: TensorLike, *, alpha: float = 1) -> Tensor:
        """``self += alpha * other`` in place (under ``no_grad`` for a parameter), as PyTorch.

        >>> w = Tensor([1.0, 2.0])
        >>> w.add_(Tensor([1.0, 1.0]), alpha=0.5)
        Tensor([1.5, 2.5])
        """
        t = self._in_place("add_")
        t += other if alpha == 1 else alpha * _values(other)
        return t

    def sub_(self, other: TensorLike, *, alpha: float = 1) -> Tensor:
        """``self -= alpha * other`` in place (under ``no_grad`` for a parameter)."""
        t = self._in_place("sub_")
        t -= other if alpha == 1 else alpha * _values(other)
        return t

    def mul_(self, other: TensorLike) -> Tensor:
        """``self *= other`` in place."""
        t = self._in_place("mul_")
        t *= other
        return t

    def div_(self, other: TensorLike) -> Tensor:
        """``self /= other`` in place."""
        t = self._in_place("div_")
        t /= other
        return t

    def fill_(self, value: float) -> Tensor:
        """Set every element to ``value`` in place."""
        t = self._in_place("fill_")
        t[...] = value
        return t

    # ------------------------------------------------------------ new shape, same tensor (PyTorch's view ops in place)
    def _reshaped_in_place(self, method: str, out_of_place: str, reshaped: Tensor) -> Tensor:
        """This tensor given ``reshaped``'s shape and strides over the same memory. A tensor in a graph is refused:
        its recorded ops (and its gradient) would no longer fit its shape."""
        t = cast("Tensor", self)
        if t.requires_grad or t._prim is not None:
            raise RuntimeError(
                f"{method}: changes the shape of a tensor that requires grad (a parameter or a result in a graph, "
                f"shape {t.shape}), which its gradient would no longer fit; make a new tensor: {out_of_place}"
            )
        t._data = reshaped._data
        count_writes((t,))  # a graph that saved this tensor would read the new shape: it refuses to backward
        return t

    def unsqueeze_(self, dim: int) -> Tensor:
        """``unsqueeze`` in place: this tensor gains a size-1 axis at ``dim`` (no copy), as PyTorch's.

        >>> weights = Tensor([0.2126, 0.7152, 0.0722])
        >>> weights.unsqueeze(-1).unsqueeze_(-1).shape
        (3, 1, 1)
        """
        return self._reshaped_in_place("unsqueeze_", f"x = x.unsqueeze({dim})", cast("Tensor", self).unsqueeze(dim))

    def squeeze_(self, dim: Axis = None) -> Tensor:
        """``squeeze`` in place: this tensor loses its size-1 axes (only ``dim`` if given)."""
        return self._reshaped_in_place("squeeze_", "x = x.squeeze(...)", cast("Tensor", self).squeeze(dim))

    def transpose_(self, dim0: int, dim1: int) -> Tensor:
        """``transpose`` in place: axes ``dim0`` and ``dim1`` swap (strides too; no copy).

        >>> Tensor(np.zeros((2, 3))).transpose_(0, 1).stride()
        (1, 3)
        """
        swapped = cast("Tensor", self).transpose(dim0, dim1)
        return self._reshaped_in_place("transpose_", f"x = x.transpose({dim0}, {dim1})", swapped)

    def t_(self) -> Tensor:
        """``t`` in place: a matrix is transposed (a vector or a 0-d tensor stays as it is)."""
        return self._reshaped_in_place("t_", "x = x.t()", cast("Tensor", self).t())

    def zero_(self) -> Tensor:
        """Set every element to 0 in place. (``t.grad`` is a numpy array here: ``t.grad = None`` clears it.)"""
        self._in_place("zero_")
        return self.fill_(0)

    def copy_(self, src: TensorLike) -> Tensor:
        """Write ``src``'s values (broadcast, cast) into this tensor in place."""
        t = self._in_place("copy_")
        t[...] = _values(src)
        return t

    def clamp_(self, min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
        """Limit the values to [min, max] in place: WGAN's weight clipping, ``p.clamp_(-c, c)`` under ``no_grad``.

        >>> Tensor([-2.0, 0.5, 3.0]).clamp_(-1, 1)
        Tensor([-1. ,  0.5,  1. ])
        """
        t = self._in_place("clamp_")
        t[...] = _values(t.clamp(min, max))
        return t

    def renorm_(self, p: float, dim: int, maxnorm: float) -> Tensor:
        """``renorm`` in place: max-norm regularisation after each step, ``w.renorm_(2, 0, max_norm)`` under
        ``no_grad`` (each row of an (out, in) weight kept to norm <= max_norm), as PyTorch.

        >>> Tensor([[3.0, 4.0], [0.3, 0.4]]).renorm_(2, 0, 1.0)
        Tensor([[0.6, 0.8],
                [0.3, 0.4]])
        """
        t = self._in_place("renorm_")
        t[...] = _values(t.renorm(p, dim, maxnorm))
        return t

    def masked_fill_(self, mask: TensorLike, value: TensorLike) -> Tensor:
        """Set the elements where the boolean ``mask`` holds to ``value`` in place (a causal mask on a buffer of
        scores). Attention scores a recorded op made are refused, naming ``scores = scores.masked_fill(mask, value)``.

        >>> Tensor([1.0, -2.0, 3.0]).masked_fill_(np.array([False, True, False]), 0.0)
        Tensor([1., 0., 3.])
        """
        t = cast("Tensor", self)
        t._check_inplace(
            "masked_fill_()",
            "would change it outside the graph",
            "`w.data[mask] = value`",
            new_tensor="y = y.masked_fill(mask, value), ",
        )
        t[...] = _values(t.masked_fill(mask, value))  # masked_fill's checks of the mask, and x's dtype
        return t

    def index_add_(self, dim: int, index: TensorLike, source: TensorLike, *, alpha: float = 1) -> Tensor:
        """``index_add`` in place: ``alpha * source`` added at ``index`` along ``dim`` (repeats add up), as
        PyTorch's; the backward of a sort scatters the gradient back so (``zeros_like(x).index_add_(0, idx, g)``).

        >>> Tensor([0.0, 0.0, 0.0]).index_add_(0, ag.tensor([2, 0, 2]), Tensor([1.0, 2.0, 3.0]))
        Tensor([2., 0., 4.])
        """
        t = self._in_place("index_add_")
        if isinstance(source, TensorBase) and source.requires_grad and current_switches().grad_enabled:
            raise RuntimeError(
                "index_add_: source requires grad, but an in-place write records no gradient; write "
                "out = t.index_add(dim, index, source) (recorded), or call index_add_ under ag.no_grad()"
            )
        t[...] = _values(t.index_add(dim, index, source, alpha=alpha))
        return t

    # ------------------------------------------------------------ scatter: values written at indexed positions
    def scatter_(
        self, dim: int, index: TensorLike, src: TensorLike | None = None, *, value: Number | None = None
    ) -> Tensor:
        """Write ``src`` (or the number ``value``) at ``index`` along ``dim`` in place, as PyTorch's:
        for a 2-d tensor and dim 1, ``self[i][index[i][j]] = src[i][j]``. The one-hot of a label:

        >>> Tensor(np.zeros(4)).scatter_(0, ag.tensor(2), value=1)
        Tensor([0., 0., 1., 0.])
        """
        t = self._in_place("scatter_")
        if isinstance(src, TensorBase) and src.requires_grad and current_switches().grad_enabled:
            raise RuntimeError(
                "scatter_: src requires grad, but an in-place write records no gradient; write "
                "out = t.scatter(dim, index, src) (recorded), or call scatter_ under ag.no_grad()"
            )
        target, source, values = _scatter_plan("scatter_", t, dim, index, src, value)
        t[target] = values if source is None else values[source]
        return t

    def scatter(
        self, dim: int, index: TensorLike, src: TensorLike | None = None, *, value: Number | None = None
    ) -> Tensor:
        """A copy of this tensor with ``src`` (or ``value``) written at ``index`` along ``dim``, as PyTorch's;
        recorded (composed from indexing and ``where``): the gradient reaches this tensor where nothing was
        written and ``src`` where it was (a position written twice keeps the last value, and its gradient).

        >>> Tensor([[0.0, 0.0], [0.0, 0.0]]).scatter(1, ag.tensor([[1], [0]]), Tensor([[5.0], [6.0]]))
        Tensor([[0., 5.],
                [6., 0.]])
        """
        t = cast("Tensor", self)
        target, source, values = _scatter_plan("scatter", t, dim, index, src, value)
        written = np.zeros(t.shape, dtype=bool)
        written[target] = True
        if source is None:
            return t.masked_fill(written, values)
        if not written.any():  # an empty index writes nothing
            return t.clone()
        # the number of the src element that lands on each position (the last, where two land on one): one gather
        count = np.broadcast_shapes(*(a.shape for a in target))
        which = np.zeros(t.shape, dtype=np.intp)
        which[target] = np.arange(math.prod(count)).reshape(count)
        src_t = cast("Tensor", src if isinstance(src, TensorBase) else _tensor.Tensor(values))
        return src_t[source].reshape(-1)[which].to(t.dtype).where(written, t)


def _scatter_plan(
    op: str, t: TensorBase, dim: int, index: TensorLike, src: TensorLike | None, value: Number | None
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...] | None, Any]:
    """Where ``op`` writes into ``t`` (an advanced index), which elements of src it reads (None for a number)
    and the values: every argument checked as PyTorch does, before anything is written."""
    if t.ndim == 0:
        raise ValueError(f"{op}: a 0-d tensor has no dim to scatter along; reshape it to (1,) first")
    axis = normalize_axes(op, dim, t.ndim)[0]
    idx = _values(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got {idx.dtype}; e.g. ag.tensor([2]) (int64)")
    if idx.ndim == 0 and t.ndim == 1:  # a label's one-hot: scatter_(0, ag.tensor(y), value=1), as PyTorch takes it
        idx = idx.reshape(1)
    if idx.ndim != t.ndim or any(i > s for d, (i, s) in enumerate(zip(idx.shape, t.shape)) if d != axis):
        raise ValueError(
            f"{op}: index of shape {idx.shape} does not fit self of shape {t.shape} along dim {axis}: it needs "
            f"{t.ndim} dims, each no longer than self's apart from dim {axis}"
        )
    if idx.size and (idx.min() < 0 or idx.max() >= t.shape[axis]):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise IndexError(f"{op}: index {bad} is out of range for dim {axis} of size {t.shape[axis]}")
    if isinstance(src, (int, float, np.number)) and value is None:  # scatter_(dim, index, 5.0): PyTorch's too
        src, value = None, src
    if (src is None) == (value is None):
        raise TypeError(f"{op}: give src (a tensor) or value (a number), one of them")
    grids: tuple[np.ndarray, ...] = tuple(np.indices(idx.shape, sparse=True))
    target = tuple(idx if d == axis else grid for d, grid in enumerate(grids))
    if value is not None:
        if not isinstance(value, (int, float, np.number, np.bool_)):
            raise TypeError(f"{op}: value must be a number, got {value!r:.40}; pass a tensor as src")
        return target, None, value
    values = _values(cast(TensorLike, src))
    if values.ndim != t.ndim or any(i > s for i, s in zip(idx.shape, values.shape)):
        raise ValueError(
            f"{op}: src of shape {values.shape} is smaller than index {idx.shape}: src needs {t.ndim} dims, each "
            "at least as long as index's"
        )
    return target, tuple(grids), values
