"""The Tensor methods built on top of its primitive ops, which ``Tensor`` inherits from ``TensorMethods``:

- composed, so differentiable with no rule of their own: ``mean var std min clamp sqrt minimum
  pow clone`` and the shape helpers ``view flatten squeeze unsqueeze permute expand t``;
- without a gradient, as in PyTorch: comparisons (boolean tensors), ``argmax/argmin`` (integers),
  conversions (``tolist``, ``to``, ``float``, ``double``, ``long``);
- numpy's override protocols, so ``np.exp(t)`` is ``t.exp()`` (numpy_interop.py).

The hot operator path (``__add__`` ... ``_record``) stays in tensor.py. Axis arguments take
numpy's ``axis=``/``keepdims=`` or PyTorch's ``dim=``/``keepdim=``.
"""

import numbers

import numpy as np

from . import tensor as _tensor  # the module, still loading when this one is imported: read at call time
from .primitives import Astype

_COMPARABLE = (numbers.Number, np.ndarray, np.generic)


def torch_axis(op, axis, keepdims, dim, keepdim):
    """(axis, keepdims) from either spelling: numpy's ``axis``/``keepdims`` or PyTorch's ``dim``/``keepdim``."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: give axis= or dim= (the same thing), not both")
        axis = dim
    return axis, keepdims if keepdim is None else keepdim


class HookHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        """Unregister the hook (a second call does nothing)."""
        for i, h in enumerate(self._hooks):
            if h is self._hook:
                del self._hooks[i]
                return


class TensorMethods:
    """Composed and non-differentiable methods of ``Tensor`` (see the module docstring)."""

    # Identity hashing with an elementwise ``==``, as PyTorch: the engine keys dicts and sets
    # by tensors (which never calls ==), so defining __eq__ must not make tensors unhashable.
    __hash__ = object.__hash__

    # ------------------------------------------------------------ gradient hooks
    def register_hook(self, hook):
        """Call ``hook(grad)`` each time backward has this tensor's complete gradient (a Tensor, as in
        PyTorch); a returned tensor or array replaces it, for ``.grad`` and everything upstream.
        Returns a handle whose ``remove()`` unregisters the hook. The hook must not change ``grad``
        in place (return a new one).

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> handle = x.register_hook(lambda g: g * 10)
        >>> (x * x).sum().backward()
        >>> x.grad
        array([20., 40.])
        >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"register_hook: expected a function of the gradient, got {type(hook).__name__}")
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: this tensor does not require grad, so no gradient will reach "
                "the hook; create it with requires_grad=True (or call requires_grad_())"
            )
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return HookHandle(self._hooks, hook)

    # ------------------------------------------------------------ numpy calls: np.exp(t) is t.exp()
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .numpy_interop import array_ufunc  # imports functions.py, which needs this module loaded

        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from .numpy_interop import array_function

        return array_function(func, args, kwargs)

    # ------------------------------------------------------------ comparisons: boolean, no gradient
    def _compare(self, ufunc, other):
        if isinstance(other, TensorMethods):
            other = other._data
        elif not isinstance(other, _COMPARABLE):
            return NotImplemented  # t == None is False and t < "a" a TypeError, as for numpy arrays
        return type(self)(ufunc(self._data, other))

    def __eq__(self, other):
        return self._compare(np.equal, other)

    def __ne__(self, other):
        return self._compare(np.not_equal, other)

    def __lt__(self, other):
        return self._compare(np.less, other)

    def __le__(self, other):
        return self._compare(np.less_equal, other)

    def __gt__(self, other):
        return self._compare(np.greater, other)

    def __ge__(self, other):
        return self._compare(np.greater_equal, other)

    # ------------------------------------------------------------ elementwise, composed
    def __abs__(self):
        return self.abs()

    def sqrt(self):
        """Square root, composed as ``self ** 0.5``."""
        return self**0.5

    def pow(self, exponent):
        """``self ** exponent`` (a number or a tensor)."""
        return self**exponent

    def matmul(self, other):
        return self @ other

    def minimum(self, other):
        """Elementwise min, composed as -maximum(-a, -b) (so ties split the same way)."""
        return -(-self).maximum(-_tensor._lift(other, self))

    def clamp(self, min=None, max=None):  # min, max shadow the builtins: PyTorch's names
        """Limit values to [min, max] (either may be None), composed as maximum then minimum.

        At a bound the kink rule applies: x == min gives x half the gradient (PyTorch gives all).

        >>> Tensor([-2.0, 0.5, 3.0]).clamp(0, 1)
        Tensor([0. , 0.5, 1. ])
        """
        if min is None and max is None:
            raise ValueError("clamp: give min=, max= or both")
        out = self if min is None else self.maximum(min)
        return out if max is None else out.minimum(max)

    def clip(self, min=None, max=None):
        """numpy's name for ``clamp``."""
        return self.clamp(min, max)

    def clone(self):
        """A copy in new memory that stays in the graph (the gradient passes through unchanged)."""
        if self.dtype.kind != "f":
            return type(self)(self._data.copy())
        return self * 1  # x * 1 keeps -0.0, inf and nan as they are

    # ------------------------------------------------------------ reductions
    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Mean over ``axis``, composed as sum / count."""
        axis, keepdims = torch_axis("mean", axis, keepdims, dim, keepdim)
        axes = _tensor._normalize_axes("mean", axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes]))
        return self.sum(axes, keepdims) / count

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Minimum over ``axis``, composed as -max(-x): tied elements share the gradient equally.
        (PyTorch's ``t.min(dim)`` also returns the indices: use ``argmin`` for those.)"""
        axis, keepdims = torch_axis("min", axis, keepdims, dim, keepdim)
        return -(-self).max(axis, keepdims)

    def var(self, axis=None, unbiased=True, keepdims=False, *, correction=None, dim=None, keepdim=None):
        """Variance over ``axis``: sum((x - mean)^2) / (N - correction), composed.

        As PyTorch, ``unbiased=True`` (the default) divides by N - 1; ``unbiased=False`` or
        ``correction=0`` by N (numpy's default; ``np.var(t)`` keeps numpy's meaning).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).var()
        Tensor(1.6667)
        """
        axis, keepdims = torch_axis("var", axis, keepdims, dim, keepdim)
        if correction is None:
            correction = 1 if unbiased else 0
        axes = _tensor._normalize_axes("var", axis, self.ndim)
        count = int(np.prod([self.shape[a] for a in axes]))
        deviation = self - self.mean(axes, keepdims=True)
        return (deviation * deviation).sum(axes, keepdims) / (count - correction)

    def std(self, axis=None, unbiased=True, keepdims=False, *, correction=None, dim=None, keepdim=None):
        """Standard deviation: ``var(...).sqrt()``, with the same arguments."""
        return self.var(axis, unbiased, keepdims, correction=correction, dim=dim, keepdim=keepdim).sqrt()

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Index of the maximum (of the flattened tensor when ``axis`` is None): int64, no gradient."""
        return self._arg("argmax", np.argmax, axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
        """Index of the minimum: int64, no gradient."""
        return self._arg("argmin", np.argmin, axis, keepdims, dim, keepdim)

    def _arg(self, op, find, axis, keepdims, dim, keepdim):
        axis, keepdims = torch_axis(op, axis, keepdims, dim, keepdim)
        if isinstance(axis, (tuple, list)):
            raise TypeError(f"{op}: axis must be one int or None, got {axis!r}")
        if axis is not None:
            axis = _tensor._normalize_axes(op, axis, self.ndim)[0]
        return type(self)(np.asarray(find(self._data, axis=axis, keepdims=keepdims), dtype=np.int64))

    # ------------------------------------------------------------ shape, composed from reshape/transpose
    def view(self, *shape):
        """``reshape`` (PyTorch's name; any tensor can be viewed here)."""
        return self.reshape(*shape)

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes ``start_dim..end_dim`` into one (all of them by default): ``x.flatten(1)``.

        >>> Tensor(np.zeros((2, 3, 4))).flatten(1).shape
        (2, 12)
        """
        if self.ndim == 0:
            return self.reshape(1)
        start, end = (_tensor._normalize_axes("flatten", d, self.ndim)[0] for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim}) for shape {self.shape}")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1 :])

    def unsqueeze(self, dim):
        """Insert a size-1 axis at ``dim`` (-1 appends one): ``(3,) -> (1, 3)`` with dim=0."""
        axis = _tensor._normalize_axes("unsqueeze", dim, self.ndim + 1)[0]
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, dim=None):
        """Drop size-1 axes (only ``dim``, an int or a tuple, if given; other sizes are left, as PyTorch)."""
        axes = _tensor._normalize_axes("squeeze", dim, self.ndim)
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1)))

    def permute(self, *dims):
        """Reorder the axes: ``x.permute(2, 0, 1)`` (``transpose`` with all axes)."""
        return self.transpose(*dims)

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (-1 keeps an axis's size), PyTorch's name for ``broadcast_to``."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(
                f"expand: {len(sizes)} sizes for a tensor with {self.ndim} axes {self.shape}; "
                "give at least one size per axis"
            )
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        return self.broadcast_to(shape)

    def t(self):
        """Transpose a matrix (0-d and 1-d tensors come back as they are), as PyTorch's ``t()``."""
        if self.ndim > 2:
            raise ValueError(
                f"t: expects a tensor with at most 2 axes, got shape {self.shape}; use transpose(...) or permute(...)"
            )
        return self.T if self.ndim == 2 else self

    # ------------------------------------------------------------ conversions
    def tolist(self):
        """The values as (nested) Python lists; a number for a 0-d tensor."""
        return self._data.tolist()

    def numel(self):
        """Number of elements (``size`` here, as numpy)."""
        return self._data.size

    def dim(self):
        """Number of axes (``ndim``)."""
        return self._data.ndim

    def astype(self, dtype):
        """Cast to another dtype. A float cast is differentiable (the gradient is cast back); an
        integer or bool cast gives a constant, as in PyTorch (integers carry no gradient).

        >>> Tensor([1.5, 2.5], requires_grad=True).astype(np.float32).dtype
        dtype('float32')
        """
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if dtype.kind != "f":
            return type(self)(self._data.astype(dtype))
        return self.apply(Astype, self, dtype=dtype)

    def to(self, dtype):
        """``astype``; ``to("cpu")`` returns the tensor itself (everything here lives in numpy)."""
        if isinstance(dtype, str) and dtype.split(":")[0] in ("cpu", "cuda", "mps"):
            if dtype != "cpu":
                raise ValueError(f"to: this engine runs on numpy (the CPU) only, not on {dtype!r}")
            return self
        return self.astype(dtype)

    def float(self):
        """Cast to float32."""
        return self.astype(np.float32)

    def double(self):
        """Cast to float64."""
        return self.astype(np.float64)

    def long(self):
        """Cast to int64 (a constant: integers carry no gradient)."""
        return self.astype(np.int64)

    def requires_grad_(self, requires_grad=True):
        """Start (or stop) recording operations on this leaf; returns the tensor itself."""
        if self._prim is not None:
            raise RuntimeError(
                "requires_grad_: only leaf tensors can change requires_grad; use .detach() to "
                "get a leaf from this tensor, then call requires_grad_() on it"
            )
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: needs floating-point data, got {self.dtype}; cast first with .double() or .float()"
            )
        self.requires_grad = bool(requires_grad)
        return self
