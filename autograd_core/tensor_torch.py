"""PyTorch's everyday spellings that numpy lacks, as ``Tensor`` methods composed from its own ops
(no vjp of their own): ``gather``, ``flip``, ``repeat``, ``sort``/``topk``/``argsort``,
``t.add(u, alpha=)``-style arithmetic, ``eq gt ...``, ``amax``, ``isnan``; plus the methods of the
``sin``, ``cos`` and ``cumsum`` primitives (tensor.py is full). The in-place updates (``zero_ fill_ add_
...``) come from ``TensorInPlace`` (tensor_inplace.py).

>>> x = Tensor([[3.0, 1.0, 2.0]], requires_grad=True)
>>> values, indices = x.topk(2)
>>> values.sum().backward()
>>> indices.tolist(), x.grad.tolist()
([[0, 2]], [[1.0, 0.0, 1.0]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .delivery import PostAccumulateGradHook
from .devices import device as Device
from .grad_mode import current_switches
from .index_update import TensorIndexUpdate
from .primitives import Cos, Cumsum, Sin
from .tensor_base import TensorBase, normalize_axes, reduction_axes, torch_axis
from .tensor_inplace import TensorInPlace, _values
from .types import Axis, DTypeLike, TensorLike

if TYPE_CHECKING:
    from .delivery import HookHandle
    from .tensor import Tensor


class SortResult(NamedTuple):
    """``(values, indices)``, as PyTorch's ``sort``, ``topk``, ``max(dim)`` return them; values carry the gradient."""

    values: Tensor
    indices: Tensor


def _dim(op: str, dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis; a 0-d tensor takes dim 0 or -1, as in PyTorch (the one axis normalizer)."""
    if not ndim:
        reduction_axes(op, dim, 0)  # any other dim refused, saying so
    return normalize_axes(op, dim, max(ndim, 1))[0]


class TensorTorch(TensorInPlace, TensorIndexUpdate):
    """PyTorch-named methods composed from Tensor ops (see the module docstring)."""

    # ------------------------------------------------------------ indexing by other tensors
    def gather(self, dim: int, index: TensorLike) -> Tensor:
        """``out[i][j] = self[i][index[i][j]]`` along ``dim`` (PyTorch's gather), as one indexing op.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).gather(1, [[1], [0]])
        Tensor([[2.],
                [3.]])
        """
        dim, idx = _dim("gather", dim, self.ndim), _values(index)
        if not self.ndim and idx.dtype.kind in "iu" and idx.ndim <= 1:  # a 0-d input: a row of one, as PyTorch
            return cast("Tensor", self).reshape(1).gather(0, idx.reshape(-1)).reshape(idx.shape)
        if idx.dtype.kind not in "iu" or idx.ndim != self.ndim:
            raise ValueError(
                f"gather: index must be an integer array with the input's {self.ndim} dimensions, got "
                f"{idx.dtype} of shape {idx.shape}; e.g. x.gather(1, y.reshape(-1, 1)) picks x[i, y[i]]"
            )
        short = [d for d in range(self.ndim) if d != dim and idx.shape[d] > self.shape[d]]
        if short or (idx.size and (idx.min() < 0 or idx.max() >= self.shape[dim])):
            values = f" (values {idx.min()}..{idx.max()})" if idx.size else ""
            raise ValueError(
                f"gather: index of shape {idx.shape}{values} does not fit an input "
                f"of shape {self.shape} along dim {dim}: values must be in [0, {self.shape[dim]}) and no other "
                "dimension may be longer than the input's"
            )
        grid = list(np.ogrid[tuple(slice(n) for n in idx.shape)])
        grid[dim] = idx
        return cast("Tensor", self)[tuple(grid)]

    def argsort(self, dim: int = -1, descending: bool = False) -> Tensor:
        """The indices that sort along ``dim`` (a stable sort; no gradient), as PyTorch: NaN counts as the
        largest value (last, or first when ``descending``).

        >>> Tensor([1.0, float("nan"), 2.0, 2.0]).argsort(descending=True)
        Tensor([1, 2, 3, 0], dtype=int64)
        """
        dim = _dim("argsort", dim, self.ndim)
        data = np.asarray(self._data)
        if not self.ndim:
            return _tensor.Tensor(np.zeros((), np.int64))
        if not descending:
            return _tensor.Tensor(np.argsort(data, axis=dim, kind="stable"))
        # Descending: the reversed values sorted ascending, read backwards. Ties keep their first-come order and
        # NaN (numpy's largest) comes first; negating instead would put NaN last and wrap int8's -128 to itself.
        backwards = np.flip(np.argsort(np.flip(data, dim), axis=dim, kind="stable"), dim)
        return _tensor.Tensor(data.shape[dim] - 1 - backwards)

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = True) -> SortResult:
        """``(values, indices)`` sorted along ``dim`` (always stable); the values are differentiable (a gather).

        >>> Tensor([3.0, 1.0, 2.0]).sort(descending=True).values
        Tensor([3., 2., 1.])
        """
        indices = self.argsort(dim, descending)
        return SortResult(self.gather(dim, indices), indices)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> SortResult:
        """The ``k`` largest (or smallest) ``(values, indices)`` along ``dim``, largest (smallest) first
        (``sorted`` is accepted: the result is always in order)."""
        dim = _dim("topk", dim, self.ndim)
        n = self.shape[dim] if self.ndim else 1
        if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
            raise ValueError(f"topk: k={k!r} must be an int in [0, {n}] (the size of dim {dim} of {self.shape})")
        order = self.argsort(dim, descending=largest)
        indices = _tensor.Tensor(np.take(order._data, np.arange(k), axis=dim)) if self.ndim else order
        return SortResult(self.gather(dim, indices), indices)

    # ------------------------------------------------------------ primitives that numpy spells as functions
    def sin(self) -> Tensor:
        """sin x, elementwise (d/dx = cos x): ``x.sin()``, ``ag.sin(x)`` or ``np.sin(x)``."""
        return _tensor.Tensor.apply(Sin, self)

    def cos(self) -> Tensor:
        """cos x, elementwise (d/dx = -sin x)."""
        return _tensor.Tensor.apply(Cos, self)

    # ------------------------------------------------------------ along one axis
    def cumsum(self, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        """Running sum along ``dim`` (or numpy's ``axis=``, as PyTorch also takes; the ``cumsum`` primitive:
        numpy's sums, bit for bit); booleans and unsigned integers count in int64, as in PyTorch.

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).cumsum(0)
        Tensor([ 1.,  3.,  6., 10.])
        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).cumsum(axis=0)
        Tensor([[1., 2.],
                [4., 6.]])
        """
        given = torch_axis("cumsum", axis, False, dim, None)[0]
        if given is None:  # PyTorch needs the axis; numpy's flattening default would hide a forgotten one
            raise TypeError(
                "cumsum: give the axis to run along, cumsum(dim) or cumsum(axis=...); "
                "x.flatten().cumsum(0) runs over every element"
            )
        dim = _dim("cumsum", cast(int, given), self.ndim)
        x = cast("Tensor", self).to(np.int64) if self.dtype.kind in "bu" else cast("Tensor", self)
        if not self.ndim:  # a 0-d tensor is its own running sum (numpy has no axis 0 to run along)
            return _tensor.Tensor.apply(Cumsum, x.reshape(1), axis=0).reshape(())
        return _tensor.Tensor.apply(Cumsum, x, axis=dim)

    def flip(self, dims: int | tuple[int, ...] | list[int]) -> Tensor:
        """Reverse the order along ``dims`` (a view by slicing), as PyTorch's ``flip``."""
        axes = normalize_axes("flip", dims, max(self.ndim, 1))  # a repeated dim is refused: flipping twice undoes it
        reverse = slice(None, None, -1)
        return cast("Tensor", self)[tuple(reverse if d in axes else slice(None) for d in range(self.ndim))]

    def repeat(self, *sizes: int | tuple[int, ...]) -> Tensor:
        """Tile ``sizes`` times along each dimension (PyTorch's ``repeat``, numpy's ``tile``; numpy's own
        ``ndarray.repeat``, which repeats each element, is ``np.repeat(t.data, n)``, values only).

        >>> Tensor([1.0, 2.0]).repeat(2)
        Tensor([1., 2., 1., 2.])
        """
        one = sizes[0] if len(sizes) == 1 else None
        reps = tuple(one) if isinstance(one, (tuple, list)) else cast("tuple[int, ...]", sizes)
        if len(reps) < self.ndim or not all(isinstance(r, (int, np.integer)) and r >= 0 for r in reps):
            raise ValueError(
                f"repeat: give one non-negative count per dimension (at least {self.ndim}) of {self.shape}, got {reps}"
            )
        shape = (1,) * (len(reps) - self.ndim) + self.shape
        paired = [n for s in shape for n in (1, s)]  # a size-1 axis before each, expanded to its count
        wide = [n for r, s in zip(reps, shape) for n in (int(r), s)]
        out = cast("Tensor", self).reshape(paired).expand(*wide)
        return out.reshape(tuple(int(r) * s for r, s in zip(reps, shape)))

    def tile(self, reps: int | tuple[int, ...] | list[int]) -> Tensor:
        """numpy's and PyTorch's ``tile``: ``repeat`` with fewer counts than dimensions allowed (1s put first)."""
        counts = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
        return self.repeat(*((1,) * (self.ndim - len(counts)) + counts))

    def repeat_interleave(self, repeats: TensorLike, dim: int | None = None) -> Tensor:
        """Repeat each element ``repeats`` times along ``dim`` (None: of the flattened tensor), as PyTorch's
        ``repeat_interleave`` and numpy's ``np.repeat``; ``repeats`` is a count or one count per element.
        Composed as ``index_select``, so each element's gradient is the sum over its copies.

        >>> Tensor([1.0, 2.0]).repeat_interleave(2)
        Tensor([1., 1., 2., 2.])
        >>> Tensor([[1.0, 2.0]]).repeat_interleave([1, 3], dim=1)
        Tensor([[1., 2., 2., 2.]])
        """
        flat = dim is None or not self.ndim  # a 0-d tensor repeats as a row of one, as in PyTorch
        x = cast("Tensor", self).reshape(-1) if flat else cast("Tensor", self)
        axis = 0 if flat else _dim("repeat_interleave", cast(int, dim), x.ndim)
        n, counts = x.shape[axis], _values(repeats)
        if counts.dtype.kind not in "biu" or counts.ndim > 1 or (counts < 0).any() or counts.size not in (1, n):
            raise ValueError(
                f"repeat_interleave: repeats must be a non-negative int or one per element ({n}) along dim {dim} "
                f"of {self.shape}, got {counts.tolist()!r}"
            )
        per_element = counts.reshape(-1) if counts.size == n else int(counts.item())  # (n == 1: either)
        return x.index_select(axis, np.repeat(np.arange(n), per_element))

    def amax(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """PyTorch's name for ``max`` over ``dim`` (the values only)."""
        return cast("Tensor", self).max(axis=dim, keepdims=keepdim)

    def amin(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """PyTorch's name for ``min`` over ``dim`` (the values only)."""
        return cast("Tensor", self).min(axis=dim, keepdims=keepdim)

    def prod(self, dim: Axis = None, keepdim: bool = False) -> Tensor:
        """The product of the elements (over ``dim``: an int, as ``torch.prod``, or a tuple), composed as products
        of halves: log2(n) multiplications, so each element's gradient is the product of the others, exactly,
        also where an element is 0 (no division by it). The empty product is 1.

        >>> x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
        >>> x.prod().backward(); x.grad
        array([0., 6., 0.])
        """
        from .functions import concatenate

        x, shape = cast("Tensor", self), self.shape  # (a 0-d tensor takes dim 0 or -1, as in PyTorch)
        axes = normalize_axes("prod", dim, self.ndim) if self.ndim else normalize_axes("prod", dim or 0, 1)
        kept = [i for i in range(len(shape)) if i not in axes]
        if self.ndim:  # the reduced axes last, as one: (kept..., n)
            x = x.permute(*kept, *axes).reshape(tuple(shape[i] for i in kept) + (math.prod(shape[i] for i in axes),))
        else:
            x = x.reshape(1)
        while x.shape[-1] > 1:
            half = x.shape[-1] // 2
            pairs = x[..., :half] * x[..., half : 2 * half]
            x = pairs if x.shape[-1] % 2 == 0 else concatenate([pairs, x[..., 2 * half :]], -1)
        if x.shape[-1] == 0:  # an empty product: 1 (PyTorch's), still connected to the input
            x = x.sum(-1, keepdims=True) + 1
        if keepdim:
            return x.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))
        return x.reshape(tuple(shape[i] for i in kept))

    # ------------------------------------------------------------ arithmetic and comparisons by name
    def add(self, other: TensorLike, *, alpha: float = 1) -> Tensor:
        """``self + alpha * other``."""
        return cast("Tensor", self) + (other if alpha == 1 else alpha * _tensor._lift(other, self))

    def sub(self, other: TensorLike, *, alpha: float = 1) -> Tensor:
        """``self - alpha * other``."""
        return cast("Tensor", self) - (other if alpha == 1 else alpha * _tensor._lift(other, self))

    def mul(self, other: TensorLike) -> Tensor:
        """``self * other`` (PyTorch's name)."""
        return cast("Tensor", self) * other

    def div(self, other: TensorLike) -> Tensor:
        """``self / other`` (PyTorch's name)."""
        return cast("Tensor", self) / other

    def neg(self) -> Tensor:
        """``-self`` (PyTorch's name)."""
        return -cast("Tensor", self)

    def square(self) -> Tensor:
        """``self * self``: ``Tensor([3.0]).square()`` is ``Tensor([9.])``."""
        return cast("Tensor", self) * self

    def mm(self, other: TensorLike) -> Tensor:
        """Matrix product of two 2-d tensors (``@`` also takes batches and vectors)."""
        shape = np.shape(other._data if isinstance(other, TensorBase) else other)
        if self.ndim != 2 or len(shape) != 2 or shape[0] != self.shape[1]:
            raise ValueError(
                f"mm: needs two 2-d tensors, got shapes {self.shape} and {shape}; they must be (n, k) and (k, m) "
                "(use @ for others)"
            )
        return cast("Tensor", self) @ other

    def mv(self, vec: TensorLike) -> Tensor:
        """Matrix-vector product of a 2-d (n, k) tensor and a 1-d (k,) one, as ``torch.mv`` (``@`` takes more).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mv(Tensor([1.0, 1.0]))
        Tensor([3., 7.])
        """
        shape = np.shape(vec._data if isinstance(vec, TensorBase) else vec)
        if self.ndim != 2 or len(shape) != 1 or shape[0] != self.shape[1]:
            raise ValueError(
                f"mv: needs a 2-d (n, k) tensor and a 1-d (k,) one, got shapes {self.shape} and {shape} "
                "(use @ for others)"
            )
        return cast("Tensor", self) @ vec

    def eq(self, other: TensorLike) -> Tensor:
        """``self == other``, elementwise (a boolean tensor, no gradient)."""
        return cast("Tensor", self) == other

    def ne(self, other: TensorLike) -> Tensor:
        """``self != other``, elementwise."""
        return cast("Tensor", self) != other

    def gt(self, other: TensorLike) -> Tensor:
        """``self > other``, elementwise."""
        return cast("Tensor", self) > other

    def ge(self, other: TensorLike) -> Tensor:
        """``self >= other``, elementwise."""
        return cast("Tensor", self) >= other

    def lt(self, other: TensorLike) -> Tensor:
        """``self < other``, elementwise."""
        return cast("Tensor", self) < other

    def le(self, other: TensorLike) -> Tensor:
        """``self <= other``, elementwise."""
        return cast("Tensor", self) <= other

    # ------------------------------------------------------------ // and %: values only (index arithmetic)
    def _without_gradient(self, ufunc: np.ufunc, symbol: str, a: TensorLike, b: TensorLike) -> Tensor:
        needs = any(isinstance(x, TensorBase) and x.requires_grad for x in (a, b))
        if needs and current_switches().grad_enabled:
            raise TypeError(
                f"{symbol} of a tensor that requires grad: it has no gradient here; use it on values "
                f"(t.detach() {symbol} n, under no_grad(), or on integer tensors: i {symbol} n)"
                + ("; torch's differentiable x % n is x.remainder(n) here" if symbol == "%" else "")
            )
        left, right = _values(a), _values(b)
        if np.result_type(left, right).kind in "biu" and not np.all(right):  # numpy would give 0 and a warning
            raise ZeroDivisionError(f"integer {symbol} by zero (in {np.shape(right)} divisors), as PyTorch refuses")
        with np.errstate(divide="ignore", invalid="ignore"):  # floats: IEEE's inf and nan, as PyTorch, unwarned
            return _tensor.Tensor(ufunc(left, right))

    def __floordiv__(self, other: TensorLike) -> Tensor:
        return self._without_gradient(np.floor_divide, "//", self, other)

    def __rfloordiv__(self, other: TensorLike) -> Tensor:
        return self._without_gradient(np.floor_divide, "//", other, self)

    def __mod__(self, other: TensorLike) -> Tensor:
        return self._without_gradient(np.remainder, "%", self, other)

    def __rmod__(self, other: TensorLike) -> Tensor:
        return self._without_gradient(np.remainder, "%", other, self)

    def isnan(self) -> Tensor:
        """Where the values are NaN (a boolean tensor): ``loss.isnan().any()``."""
        return _tensor.Tensor(np.isnan(self._data))

    def isinf(self) -> Tensor:
        """Where the values are +-inf (a boolean tensor)."""
        return _tensor.Tensor(np.isinf(self._data))

    def isfinite(self) -> Tensor:
        """Where the values are neither NaN nor infinite (a boolean tensor)."""
        return _tensor.Tensor(np.isfinite(self._data))

    def nelement(self) -> int:
        """The number of elements (PyTorch's other name for ``numel``)."""
        return int(np.size(self._data))

    def type_as(self, other: TensorBase) -> Tensor:
        """This tensor cast to ``other``'s dtype: ``x.type_as(w)``."""
        return cast("Tensor", self).to(cast(DTypeLike, other.dtype))

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> HookHandle:
        """Call ``hook(t)`` each time backward has added this leaf's gradient into ``t.grad`` (after its
        ``register_hook`` functions), as PyTorch's: an optimizer step per parameter, in the backward. Not for
        ``ag.grad`` (nothing is accumulated) nor ``ag.compile``'s replays. Returns a handle (``.remove()``).

        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = w.register_post_accumulate_grad_hook(lambda p: print("grad", p.grad))
        >>> (w * w).sum().backward()
        grad [2. 4.]
        """
        if not callable(hook):
            raise TypeError(f"register_post_accumulate_grad_hook: expected a function, got {type(hook).__name__}")
        if self._prim is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: this tensor is the result of an operation; only a leaf (a "
                "parameter) accumulates into .grad: use register_hook for a non-leaf's gradient"
            )
        return cast("Tensor", self).register_hook(PostAccumulateGradHook(hook))

    def cpu(self) -> Tensor:
        """The tensor itself, as ``t.to("cpu")``: ``t.detach().cpu().numpy()`` runs as written."""
        return cast("Tensor", self)

    def cuda(self, device: object = None, non_blocking: bool = False) -> Tensor:
        """PyTorch's ``t.cuda()``: refused, saying so (numpy on the CPU; ``ag.cuda.is_available()`` is False)."""
        raise ValueError(
            "cuda(): this engine runs on numpy (the CPU) only; keep the tensor where it is, or write "
            "`if ag.cuda.is_available(): x = x.cuda()` as in PyTorch"
        )

    @property
    def is_cuda(self) -> bool:
        """False: numpy's arrays live on the CPU (``if x.is_cuda:`` runs as written)."""
        return False

    @property
    def device(self) -> Device:
        """``ag.device("cpu")``, equal to ``"cpu"``: numpy's arrays live there (``x.to(w.device)``, ``.type``)."""
        return Device("cpu")
