"""Module-level spellings (``ag.exp(t)``) of the Tensor methods, plus the ops that take several tensors.

Each accepts Tensors, numpy arrays or Python numbers; only ``concatenate``, ``where``
and ``maximum`` add a primitive of their own, the rest are composed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .functions_out import write_out
from .primitives import Concatenate, Linear, Maximum, Where
from .tensor import Tensor, _lift, _record
from .tensor_base import normalize_axes
from .tensor_inputs import refuse_graph_in_list
from .types import Axis, DTypeLike, Shape, TensorLike


def as_tensor(x: TensorLike, dtype: DTypeLike | None = None, device: str | None = None) -> Tensor:
    """``x`` itself if it is a Tensor, else a new constant Tensor (Python data becomes float64; a numpy
    array keeps its memory). With ``dtype`` (PyTorch's ``as_tensor(x, dtype=)``), cast where it differs;
    ``device="cpu"`` is accepted, as by the creation functions.

    >>> as_tensor([1, 2], dtype=np.float32)
    Tensor([1., 2.], dtype=float32)
    """
    if device is not None:
        from .tensor_inputs import require_cpu

        require_cpu("as_tensor", device)
    refuse_graph_in_list(x)
    t = x if isinstance(x, Tensor) else Tensor(x)
    if dtype is None:
        return t
    from .creation import _dtype  # (creation's one check of a dtype argument)

    wanted = np.dtype(_dtype("as_tensor", dtype))  # (not None: dtype was given)
    return t if t.dtype == wanted else t.to(wanted)


def is_tensor(x: object) -> bool:
    """Whether ``x`` is a Tensor (PyTorch's ``torch.is_tensor``; a numpy array is not).

    >>> is_tensor(Tensor([1.0])), is_tensor(np.ones(1))
    (True, False)
    """
    return isinstance(x, Tensor)


def exp(x: TensorLike) -> Tensor:
    """e**x, elementwise."""
    return as_tensor(x).exp()


def log(x: TensorLike) -> Tensor:
    """Natural log, elementwise (log 0 = -inf, as numpy)."""
    return as_tensor(x).log()


def sigmoid(x: TensorLike) -> Tensor:
    """1 / (1 + e**-x), finite for any input."""
    return as_tensor(x).sigmoid()


def tanh(x: TensorLike) -> Tensor:
    """Hyperbolic tangent."""
    return as_tensor(x).tanh()


def relu(x: TensorLike) -> Tensor:
    """max(x, 0); relu'(0) = 1/2 (ties split evenly)."""
    return as_tensor(x).relu()


def abs(x: TensorLike) -> Tensor:  # noqa: A001 (numpy's name)
    """|x|; abs'(0) = 0."""
    return as_tensor(x).abs()


def sqrt(x: TensorLike) -> Tensor:
    """x ** 0.5."""
    return as_tensor(x).sqrt()


def sum(  # noqa: A001 (numpy's name)
    x: TensorLike, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
) -> Tensor:
    """Sum over ``axis``: ``ag.sum(t, axis=(0, 1))`` (or ``dim=``/``keepdim=``, as every reduction)."""
    return as_tensor(x).sum(axis, keepdims, dim=dim, keepdim=keepdim)


def mean(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
) -> Tensor:
    """Mean over ``axis``."""
    return as_tensor(x).mean(axis, keepdims, dim=dim, keepdim=keepdim)


def var(
    x: TensorLike,
    axis: Axis = None,
    unbiased: bool = True,
    keepdims: bool = False,
    *,
    correction: int | None = None,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Variance over ``axis``, divided by N - 1 unless ``unbiased=False`` (PyTorch's default)."""
    return as_tensor(x).var(axis, unbiased, keepdims, correction=correction, dim=dim, keepdim=keepdim)


def std(
    x: TensorLike,
    axis: Axis = None,
    unbiased: bool = True,
    keepdims: bool = False,
    *,
    correction: int | None = None,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Standard deviation over ``axis`` (the square root of ``var``)."""
    return as_tensor(x).std(axis, unbiased, keepdims, correction=correction, dim=dim, keepdim=keepdim)


def argmax(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
) -> Tensor:
    """Index of the maximum along ``axis`` (int64, no gradient)."""
    return as_tensor(x).argmax(axis, keepdims, dim=dim, keepdim=keepdim)


def argmin(
    x: TensorLike, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
) -> Tensor:
    """Index of the minimum along ``axis`` (int64, no gradient)."""
    return as_tensor(x).argmin(axis, keepdims, dim=dim, keepdim=keepdim)


def clamp(
    x: TensorLike, min: TensorLike | None = None, max: TensorLike | None = None
) -> Tensor:  # min, max shadow the builtins: PyTorch's names
    """Limit values to [min, max]: ``ag.clamp(t, 0, 1)``; at a bound x gets half the gradient."""
    return as_tensor(x).clamp(min, max)


def clip(x: TensorLike, min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
    """numpy's name for ``clamp``."""
    return as_tensor(x).clamp(min, max)


def pow(x: TensorLike, exponent: TensorLike) -> Tensor:  # noqa: A001 (Python's and PyTorch's name)
    """x ** exponent."""
    return as_tensor(x) ** exponent


def clone(x: TensorLike) -> Tensor:
    """A copy that stays in the graph."""
    return as_tensor(x).clone()


def squeeze(x: TensorLike, dim: Axis = None) -> Tensor:
    """Drop size-1 axes (only ``dim`` if given)."""
    return as_tensor(x).squeeze(dim)


def unsqueeze(x: TensorLike, dim: int) -> Tensor:
    """Insert a size-1 axis at ``dim``."""
    return as_tensor(x).unsqueeze(dim)


def permute(x: TensorLike, *dims: int | Shape | list[int]) -> Tensor:
    """Reorder the axes."""
    return as_tensor(x).permute(*dims)


def flatten(x: TensorLike, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one."""
    return as_tensor(x).flatten(start_dim, end_dim)


def reshape(x: TensorLike, *shape: int | Shape | list[int]) -> Tensor:
    """``x.reshape(*shape)``."""
    return as_tensor(x).reshape(*shape)


def transpose(x: TensorLike, *axes: int | Shape | list[int]) -> Tensor:
    """``x.transpose(*axes)``: ``transpose(x, 0, 1)`` swaps two axes (PyTorch), ``(x, (1, 0))`` permutes."""
    return as_tensor(x).transpose(*axes)


def softmax(x: TensorLike, axis: Axis = -1, *, dim: Axis = None) -> Tensor:
    """Softmax along ``axis`` (or ``dim``)."""
    return as_tensor(x).softmax(dim if dim is not None else axis)


def log_softmax(x: TensorLike, axis: Axis = -1, *, dim: Axis = None) -> Tensor:
    """Log-softmax along ``axis`` (or ``dim``)."""
    return as_tensor(x).log_softmax(dim if dim is not None else axis)


def logsumexp(
    x: TensorLike, axis: Axis = -1, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
) -> Tensor:
    """log(sum(exp(x))) along ``axis``, stable for +-1000."""
    return as_tensor(x).logsumexp(dim if dim is not None else axis, keepdims if keepdim is None else keepdim)


def matmul(a: TensorLike, b: TensorLike, *, out: Tensor | None = None) -> Tensor:
    """a @ b with numpy's rules: 1-d operands and batched (n-d) stacks; ``out=``: written into that tensor."""
    return write_out("matmul", as_tensor(a) @ b, out)


def linear(x: TensorLike, weight: TensorLike, bias: TensorLike | None = None) -> Tensor:
    """x @ weight.T + bias, as PyTorch's ``F.linear``: weight is (out_features, in_features), x is
    (..., in_features). One recorded op, ``linear``, with the bias (out_features,) of the same dtype
    as its third input (added into the product's array, as torch's addmm); another bias is an ``add`` after it.

    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]]), Tensor([0.0, 0.0, 0.5]))
    Tensor([[1. , 3. , 4.5]])
    """
    if not isinstance(x, Tensor):
        x = as_tensor(x)
    weight = weight if isinstance(weight, Tensor) else _lift(weight, x)
    if isinstance(bias, Tensor):  # nn.Linear's bias, (out_features,) in x's and weight's dtype: linear adds it
        b, w = bias._data, weight._data  # (read once: a layer runs every step)
        if b.ndim == 1 == w.ndim - 1 and b.shape[0] == w.shape[0] and b.dtype == w.dtype == x._data.dtype:
            return _record(Linear, (x, weight, bias))
    out = _record(Linear, (x, weight))
    if bias is None:
        return out
    shape = np.shape(bias._data if isinstance(bias, Tensor) else bias)
    if any(b not in (1, o) for b, o in zip(shape[::-1], out.shape[::-1])):  # (else: x @ weight.T + bias's rule)
        raise ValueError(
            f"linear: the bias of shape {shape} does not fit the output of shape {out.shape}; give a bias of "
            f"shape {out.shape[-1:]}: one per output feature (weight.shape[0])"
        )
    return out + bias


def maximum(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise max of two tensors (broadcasting); at ties each side gets half the gradient."""
    a, b = _operands(a, b)
    return Tensor.apply(Maximum, a, b)


def minimum(a: TensorLike, b: TensorLike) -> Tensor:
    """Elementwise min, composed as -maximum(-a, -b)."""
    a, b = _operands(a, b)
    return a.minimum(b)


def where(condition: TensorLike, input: TensorLike | None = None, other: TensorLike | None = None) -> Tensor:
    """Pick ``input`` where ``condition`` holds, else ``other`` (broadcasting); gradients follow the pick. Torch's
    names, so ``where(condition=..., input=..., other=...)`` works; ``where(condition)`` is ``nonzero(as_tuple=True)``.

    >>> x = Tensor([-2.0, 3.0])
    >>> where(x > 0, x, 0.1 * x)      # leaky relu
    Tensor([-0.2,  3. ])
    """
    condition = np.asarray(condition._data if isinstance(condition, Tensor) else condition)
    if input is None or other is None:
        if input is None and other is None:
            return Tensor(condition).nonzero(as_tuple=True)  # type: ignore[return-value]  # (a tuple, as torch's)
        raise TypeError("where: give both input and other (or neither: where(condition) is nonzero(as_tuple=True))")
    if condition.dtype != np.bool_:
        raise TypeError(
            f"where: condition must be boolean, got {condition.dtype}; compare first, e.g. where(x.data > 0, x, 0)"
        )
    if not isinstance(input, (Tensor, np.ndarray)) and not isinstance(other, (Tensor, np.ndarray)):
        kind = np.result_type(input, other)  # two numbers: their own type, as torch's (where(c, 1, 0) is int64)
        input, other = np.asarray(input, kind), np.asarray(other, kind)
    a, b = _operands(input, other)
    return Tensor.apply(Where, a, b, condition=condition)


def masked_fill(x: TensorLike, mask: TensorLike, value: TensorLike) -> Tensor:
    """``value`` where the boolean ``mask`` holds, else ``x``'s own (x's dtype), as PyTorch's
    ``t.masked_fill`` (an attention mask); the gradient passes where the mask is False.

    >>> Tensor([1.0, -2.0, 3.0]).masked_fill(Tensor([1.0, -2.0, 3.0]) < 0, 0.0)
    Tensor([1., 0., 3.])
    """
    x = as_tensor(x)
    condition = np.asarray(mask._data if isinstance(mask, Tensor) else mask)
    if condition.dtype != np.bool_:
        raise TypeError(
            f"masked_fill: mask must be boolean, got {condition.dtype}; compare (t < 0) or give a bool array"
        )
    fill = value if isinstance(value, Tensor) else Tensor(np.asarray(value, x.dtype))
    return Tensor.apply(Where, fill, x, condition=condition)


def norm(x: TensorLike, p: float | str = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The p-norm of ``x`` over ``dim`` (all elements by default), as PyTorch's ``t.norm()``: p = 2
    ("fro"), 1, ``math.inf``, any p > 0, or "nuc" (of matrices). At a zero vector its gradient is 0, not NaN.

    >>> norm(Tensor([3.0, -4.0])), norm(Tensor([3.0, -4.0]), p=1)
    (Tensor(5.), Tensor(7.))
    """
    x = as_tensor(x)
    if p == "nuc":  # torch.norm(A, "nuc"): the nuclear norm of the matrices in the two dims
        from .linalg_norms import matrix_norm  # (it imports this module: read at call time)

        return matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim)  # type: ignore[arg-type]
    p = 2 if p == "fro" else p
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not p > 0:
        raise ValueError(f"norm: p must be a number > 0, math.inf, 'fro' or 'nuc', got {p!r}")
    if p == 1 or p == np.inf:
        return x.abs().sum(dim=dim, keepdim=keepdim) if p == 1 else x.abs().max(axis=dim, keepdims=keepdim)
    # Powers and roots of 1 instead of 0, then zeroed: finite gradients, 0 there (not inf * 0 = NaN)
    total = (x * x if p == 2 else _at_zero(x.abs(), lambda a: a**p)).sum(dim=dim, keepdim=keepdim)
    return _at_zero(total, lambda t: t.sqrt() if p == 2 else t ** (1 / p))


def _at_zero(x: Tensor, f: Callable[[Tensor], Tensor]) -> Tensor:
    """f(x) with 0 wherever x is 0 (f(0) = 0), f evaluated at 1 there: a root's infinite slope at 0 gives 0."""
    zero = np.asarray(x.data == 0)
    return f(x + zero.astype(x.dtype)) * (~zero).astype(x.dtype)


def concatenate(tensors: Sequence[TensorLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of equal shape (except along ``axis``) along an existing axis; ``ag.cat`` is
    PyTorch's name for it, and ``dim=`` its spelling of ``axis=``.

    >>> ag.cat([Tensor([[1.0, 2.0]]), Tensor([[3.0]])], dim=1)
    Tensor([[1., 2., 3.]])
    """
    tensors = _sequence("concatenate", tensors)
    axis = normalize_axes("concatenate", _axis_or_dim("concatenate", axis, dim), tensors[0].ndim)[0]
    if any(t.ndim != tensors[0].ndim for t in tensors):
        raise ValueError(
            "concatenate: all inputs need the same number of axes, got shapes "
            + ", ".join(str(t.shape) for t in tensors)
        )
    bounds = tuple(np.cumsum([0] + [t.shape[axis] for t in tensors]).tolist())
    return Tensor.apply(Concatenate, *tensors, axis=axis, bounds=bounds)


cat = concat = concatenate  # torch.cat and torch.concat (Géron's wide & deep writes concat)


def stack(tensors: Sequence[TensorLike], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors of equal shape along a new axis (composed: reshape, then concatenate).

    >>> ag.stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], dim=1).shape
    (2, 2)
    """
    tensors = _sequence("stack", tensors)
    shape = tensors[0].shape
    if any(t.shape != shape for t in tensors):
        raise ValueError("stack: all inputs need the same shape, got " + ", ".join(str(t.shape) for t in tensors))
    axis = normalize_axes("stack", _axis_or_dim("stack", axis, dim), len(shape) + 1)[0]
    expanded = shape[:axis] + (1,) + shape[axis:]
    return concatenate([t.reshape(expanded) for t in tensors], axis)


def _axis_or_dim(op: str, axis: int, dim: int | None) -> int:
    if dim is not None and axis != 0:
        raise TypeError(f"{op}: give axis= or dim= (the same thing), not both")
    return axis if dim is None else dim


def _operands(a: TensorLike, b: TensorLike) -> tuple[Tensor, Tensor]:
    if isinstance(a, Tensor):
        return a, _lift(b, a)
    return _lift(a, t := as_tensor(b)), t  # (b converted first: a is lifted to its dtype)


def _sequence(op: str, tensors: Sequence[TensorLike]) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__len__") or len(tensors) == 0:
        raise TypeError(f"{op}: expected a non-empty list or tuple of tensors, got {type(tensors).__name__}")
    return [as_tensor(t) for t in tensors]
