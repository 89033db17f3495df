"""Module-level spellings (``ag.exp(t)``) of the Tensor methods, plus the ops that take several tensors.

Each accepts Tensors, numpy arrays or Python numbers; only ``concatenate``, ``where``
and ``maximum`` add a primitive of their own, the rest are composed.
"""

import numpy as np

from .primitives import Concatenate, Maximum, Where
from .tensor import Tensor, _lift
from .tensor_base import normalize_axes


def as_tensor(x):
    """``x`` itself if it is a Tensor, else a new constant Tensor (Python data becomes float64)."""
    return x if isinstance(x, Tensor) else Tensor(x)


def exp(x):
    """e**x, elementwise."""
    return as_tensor(x).exp()


def log(x):
    """Natural log, elementwise (log 0 = -inf, as numpy)."""
    return as_tensor(x).log()


def sigmoid(x):
    """1 / (1 + e**-x), finite for any input."""
    return as_tensor(x).sigmoid()


def tanh(x):
    """Hyperbolic tangent."""
    return as_tensor(x).tanh()


def relu(x):
    """max(x, 0); relu'(0) = 1/2 (ties split evenly)."""
    return as_tensor(x).relu()


def abs(x):
    """|x|; abs'(0) = 0."""
    return as_tensor(x).abs()  # noqa: A001 (numpy's name)


def sqrt(x):
    """x ** 0.5."""
    return as_tensor(x).sqrt()


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001 (numpy's name)
    """Sum over ``axis``: ``ag.sum(t, axis=(0, 1))`` (or ``dim=``/``keepdim=``, as every reduction)."""
    return as_tensor(x).sum(axis, keepdims, dim=dim, keepdim=keepdim)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Mean over ``axis``."""
    return as_tensor(x).mean(axis, keepdims, dim=dim, keepdim=keepdim)


def max(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001 (numpy's name)
    """Maximum over ``axis`` (a reduction; for two tensors use ``maximum``)."""
    return as_tensor(x).max(axis, keepdims, dim=dim, keepdim=keepdim)


def min(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001 (numpy's name)
    """Minimum over ``axis`` (a reduction; for two tensors use ``minimum``)."""
    return as_tensor(x).min(axis, keepdims, dim=dim, keepdim=keepdim)


def var(x, axis=None, unbiased=True, keepdims=False, *, correction=None, dim=None, keepdim=None):
    """Variance over ``axis``, divided by N - 1 unless ``unbiased=False`` (PyTorch's default)."""
    return as_tensor(x).var(axis, unbiased, keepdims, correction=correction, dim=dim, keepdim=keepdim)


def std(x, axis=None, unbiased=True, keepdims=False, *, correction=None, dim=None, keepdim=None):
    """Standard deviation over ``axis`` (the square root of ``var``)."""
    return as_tensor(x).std(axis, unbiased, keepdims, correction=correction, dim=dim, keepdim=keepdim)


def argmax(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Index of the maximum along ``axis`` (int64, no gradient)."""
    return as_tensor(x).argmax(axis, keepdims, dim=dim, keepdim=keepdim)


def argmin(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Index of the minimum along ``axis`` (int64, no gradient)."""
    return as_tensor(x).argmin(axis, keepdims, dim=dim, keepdim=keepdim)


def clamp(x, min=None, max=None):  # min, max shadow the builtins: PyTorch's names
    """Limit values to [min, max]: ``ag.clamp(t, 0, 1)``; at a bound x gets half the gradient."""
    return as_tensor(x).clamp(min, max)


def clip(x, min=None, max=None):
    """numpy's name for ``clamp``."""
    return as_tensor(x).clamp(min, max)


def pow(x, exponent):
    """x ** exponent."""
    return as_tensor(x) ** exponent  # noqa: A001


def clone(x):
    """A copy that stays in the graph."""
    return as_tensor(x).clone()


def squeeze(x, dim=None):
    """Drop size-1 axes (only ``dim`` if given)."""
    return as_tensor(x).squeeze(dim)


def unsqueeze(x, dim):
    """Insert a size-1 axis at ``dim``."""
    return as_tensor(x).unsqueeze(dim)


def permute(x, *dims):
    """Reorder the axes."""
    return as_tensor(x).permute(*dims)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` into one."""
    return as_tensor(x).flatten(start_dim, end_dim)


def reshape(x, *shape):
    """``x.reshape(*shape)``."""
    return as_tensor(x).reshape(*shape)


def transpose(x, *axes):
    """``x.transpose(*axes)``."""
    return as_tensor(x).transpose(*axes)


def softmax(x, axis=-1, *, dim=None):
    """Softmax along ``axis`` (or ``dim``)."""
    return as_tensor(x).softmax(dim if dim is not None else axis)


def log_softmax(x, axis=-1, *, dim=None):
    """Log-softmax along ``axis`` (or ``dim``)."""
    return as_tensor(x).log_softmax(dim if dim is not None else axis)


def logsumexp(x, axis=-1, keepdims=False, *, dim=None, keepdim=None):
    """log(sum(exp(x))) along ``axis``, stable for +-1000."""
    return as_tensor(x).logsumexp(dim if dim is not None else axis, keepdims if keepdim is None else keepdim)


def matmul(a, b):
    """a @ b with numpy's rules: 1-d operands and batched (n-d) stacks."""
    return as_tensor(a) @ b


def maximum(a, b):
    """Elementwise max of two tensors (broadcasting); at ties each side gets half the gradient."""
    a, b = _operands(a, b)
    return Tensor.apply(Maximum, a, b)


def minimum(a, b):
    """Elementwise min, composed as -maximum(-a, -b)."""
    a, b = _operands(a, b)
    return a.minimum(b)


def where(condition, a, b):
    """Pick ``a`` where ``condition`` holds, else ``b`` (broadcasting); gradients follow the pick.

    >>> x = Tensor([-2.0, 3.0])
    >>> where(x > 0, x, 0.1 * x)      # leaky relu
    Tensor([-0.2,  3. ])
    """
    condition = np.asarray(condition._data if isinstance(condition, Tensor) else condition)
    if condition.dtype != np.bool_:
        raise TypeError(
            f"where: condition must be boolean, got {condition.dtype}; compare first, e.g. where(x.data > 0, x, 0)"
        )
    a, b = _operands(a, b)
    return Tensor.apply(Where, a, b, condition=condition)


def concatenate(tensors, axis=0):
    """Join tensors of equal shape (except along ``axis``) along an existing axis."""
    tensors = _sequence("concatenate", tensors)
    axis = normalize_axes("concatenate", axis, tensors[0].ndim)[0]
    if any(t.ndim != tensors[0].ndim for t in tensors):
        raise ValueError(
            "concatenate: all inputs need the same number of axes, got shapes "
            + ", ".join(str(t.shape) for t in tensors)
        )
    bounds = tuple(np.cumsum([0] + [t.shape[axis] for t in tensors]).tolist())
    return Tensor.apply(Concatenate, *tensors, axis=axis, bounds=bounds)


def stack(tensors, axis=0):
    """Join tensors of equal shape along a new axis (composed: reshape, then concatenate)."""
    tensors = _sequence("stack", tensors)
    shape = tensors[0].shape
    if any(t.shape != shape for t in tensors):
        raise ValueError("stack: all inputs need the same shape, got " + ", ".join(str(t.shape) for t in tensors))
    axis = normalize_axes("stack", axis, len(shape) + 1)[0]
    expanded = shape[:axis] + (1,) + shape[axis:]
    return concatenate([t.reshape(expanded) for t in tensors], axis)


def _operands(a, b):
    if isinstance(a, Tensor):
        return a, _lift(b, a)
    b = as_tensor(b)
    return _lift(a, b), b


def _sequence(op, tensors):
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__len__") or len(tensors) == 0:
        raise TypeError(f"{op}: expected a non-empty list or tuple of tensors, got {type(tensors).__name__}")
    return [as_tensor(t) for t in tensors]
