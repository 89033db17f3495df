"""numpy functions on Tensors: ``np.exp(t)``, ``np.maximum(t, 0)``, ``np.sum(t, axis=0)`` return Tensors,
recorded in the graph like ``t.exp()``.

Tensor takes part in numpy's two override protocols (``__array_ufunc__``, NEP 13, and
``__array_function__``, NEP 18), which hand every numpy call with a Tensor argument to the
tables below. Three outcomes:

- the callable is one of our ops (a primitive or a composed op): the op runs and is recorded;
- it only reads values (``np.allclose``, ``np.shape``, ``np.isfinite``, ``np.argsort``, ...): numpy
  runs on the values, with no gradient (a boolean ufunc gives a boolean Tensor, as ``t > 0``);
- anything else is a TypeError that names the spelling to use here: returning a plain array
  would silently cut the graph, the worst kind of wrong gradient.
"""

import builtins

import numpy as np

from . import functions as F
from . import functions_elementary as FE
from . import functions_idioms as FI
from . import functions_math as FM
from . import functions_torch as FT
from .covariance import numpy_corrcoef, numpy_cov
from .einsum import einsum
from .grad_mode import is_grad_enabled
from .tensor import Tensor


def _binary(method, reflected):
    """A numpy binary ufunc as our operator, whichever side the Tensor is on (np.float64(2) * t)."""
    return lambda a, b: getattr(a, method)(b) if isinstance(a, Tensor) else getattr(b, reflected)(a)


UFUNCS = {
    np.add: _binary("__add__", "__radd__"),
    np.subtract: _binary("__sub__", "__rsub__"),
    np.multiply: _binary("__mul__", "__rmul__"),
    np.true_divide: _binary("__truediv__", "__rtruediv__"),
    np.power: _binary("__pow__", "__rpow__"),
    np.matmul: _binary("__matmul__", "__rmatmul__"),
    np.less: _binary("__lt__", "__gt__"),
    np.less_equal: _binary("__le__", "__ge__"),
    np.greater: _binary("__gt__", "__lt__"),
    np.greater_equal: _binary("__ge__", "__le__"),
    np.equal: _binary("__eq__", "__eq__"),
    np.not_equal: _binary("__ne__", "__ne__"),
    np.bitwise_and: _binary("__and__", "__rand__"),
    np.bitwise_or: _binary("__or__", "__ror__"),
    np.bitwise_xor: _binary("__xor__", "__rxor__"),
    np.invert: lambda x: ~x,
    np.maximum: F.maximum,
    np.minimum: F.minimum,
    np.negative: lambda x: -x,
    np.positive: lambda x: x,
    np.exp: F.exp,
    np.log1p: FT.log1p,
    np.expm1: FT.expm1,
    np.log: F.log,
    np.tanh: F.tanh,
    np.sin: FT.sin,
    np.cos: FT.cos,
    np.heaviside: FT.heaviside,
    np.sqrt: F.sqrt,
    np.absolute: F.abs,
    np.square: lambda x: x * x,
    np.reciprocal: lambda x: 1 / x,
    np.log2: FT.log2,
    np.log10: FT.log10,
    np.arctan2: FM.atan2,
    np.hypot: FM.hypot,
    np.logaddexp: FM.logaddexp,
    np.logaddexp2: FM.logaddexp2,
    np.deg2rad: FI.deg2rad,
    np.rad2deg: FI.rad2deg,
    np.copysign: FI.copysign,
    np.ldexp: FE.ldexp,
}
# the elementary functions (primitives whose forward is this very ufunc): np.tan(t) is ag.tan(t), ...
UFUNCS.update(
    {getattr(np, name): getattr(FE, name) for name in FE.__all__ if isinstance(getattr(np, name, 0), np.ufunc)}
)
UFUNCS.update({np.radians: FI.deg2rad, np.degrees: FI.rad2deg})

# Ufuncs whose every output is boolean (isfinite, isnan, logical_and, ...): values only, like comparisons.
_BOOLEAN_UFUNCS = {
    u
    for u in vars(np).values()
    if isinstance(u, np.ufunc) and u.nout == 1 and all(t.endswith("?") for t in u.types if "O" not in t)
}

# What to write instead, for ufuncs a user is likely to reach for.
_INSTEAD = {
    "eig": "ag.linalg.eigh(A) for a symmetric A (a general A's eigenvalues may be complex: not supported)",
    "eigvals": "ag.linalg.eigvalsh(A) for a symmetric A (a general A's eigenvalues may be complex: not supported)",
    "sign": "np.sign(t.data) (a constant: its gradient is zero)",
    "fmax": "ag.maximum",
    "fmin": "ag.minimum",
    "cumsum": "t.cumsum(dim) (ag.cumsum: differentiable)",
    "sort": "t.sort(dim).values (the values carry the gradient; .indices the order)",
    "take_along_axis": "t.gather(dim, index) (PyTorch's name)",
    "tile": "t.repeat(*counts) (PyTorch's name)",
    "flip": "t.flip(dims)",
}


def array_ufunc(ufunc, method, inputs, kwargs):
    """Tensor.__array_ufunc__: run ``ufunc`` as our op on Tensors (see the module docstring)."""
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if method != "__call__":
        raise TypeError(
            f"{name} on a Tensor is not supported; use the Tensor method (t.sum(axis=a), t.max(axis=a), "
            "...) or call it on t.data for the values without a gradient"
        )
    out = kwargs.get("out", ())
    if set(kwargs) == {"out"} and len(out) == 1 and out[0] is inputs[0] and not isinstance(out[0], Tensor):
        return _into_array(name, ufunc, inputs, out)  # `array += t`, `array *= t`, ...
    if kwargs:
        raise TypeError(
            f"{name}(..., {', '.join(kwargs)}=...) on a Tensor: keyword arguments (out=, where=, "
            f"dtype=) are not supported; the result is a new Tensor: {name}(t) with no keywords"
        )
    op = UFUNCS.get(ufunc)
    if op is not None:
        return op(*inputs)
    if ufunc in _BOOLEAN_UFUNCS:
        return Tensor(ufunc(*_values(inputs)))
    raise TypeError(_unsupported(name, ufunc.__name__))


def _into_array(name, ufunc, inputs, out):
    """``array += t`` (numpy's in-place operators are ufuncs with ``out=`` the left operand): the values of
    ``t`` go into the plain array, as ``p.data += -lr * p.grad`` does in PyTorch where ``lr`` is a tensor;
    a write outside the graph, so never of a tensor that requires grad (its gradient would be lost unsaid)."""
    if is_grad_enabled() and builtins.any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise RuntimeError(
            f"{name}(array, t, out=array) (an in-place operator such as array += t) writes into a numpy array, "
            "which records no gradient, but t requires grad: write t.detach(), work inside `with ag.no_grad():`, "
            "or build a new Tensor (y = array + t)"
        )
    return ufunc(*_values(inputs), out=out)  # (`p.data += ...` then sets p.data to it: p's version counts the write)


def array_function(func, args, kwargs):
    """Tensor.__array_function__: run ``func`` as our op, or on the values if it only reads them."""
    if func in VALUE_FUNCTIONS or (func is np.where and len(args) + len(kwargs) == 1):  # where(c): indices
        return func(*_values(args), **_values(kwargs))
    op = FUNCTIONS.get(func)
    if op is None and "linalg" in (getattr(func, "__module__", None) or ""):
        from .numpy_linalg import FUNCTIONS as LINALG  # np.linalg.inv, .solve, .norm: ag.linalg's

        op = LINALG.get(func)
    if op is not None:
        return op(*args, **kwargs)
    place = "np.linalg." if "linalg" in (getattr(func, "__module__", None) or "") else "np."  # np.linalg.inv
    raise TypeError(_unsupported(f"{place}{func.__name__}", func.__name__))


def _unsupported(name, short):
    instead = _INSTEAD.get(short) or (f"ag.{short}" if hasattr(F, short) or hasattr(FT, short) else None)
    hint = f"write {instead}" if instead else "compose it from Tensor ops (ag.exp, ag.log, ag.maximum, ...)"
    return (
        f"{name} is not implemented for Tensors: it would return a plain array, cut from the graph. "
        f"Instead, {hint}; or call {name}(t.data) for the values without a gradient"
    )


def _values(x):
    """Tensors (also inside lists, tuples and dicts) replaced by their arrays."""
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_values(v) for v in x)
    if isinstance(x, dict):
        return {k: _values(v) for k, v in x.items()}
    return x


def _refuse(name, **unsupported):
    given = [k for k, v in unsupported.items() if v is not None]
    if given:
        raise TypeError(
            f"{name}(..., {'=, '.join(given)}=) on a Tensor is not supported: the result is a new "
            f"Tensor of the input's dtype; drop {' and '.join(given)}"
        )


# ---------------------------------------------------------------- numpy's signatures onto our ops
def _reduction(method):
    def apply(a, axis=None, dtype=None, out=None, keepdims=False, **rest):
        _refuse(f"np.{method}", dtype=dtype, out=out, **rest)
        if method in ("max", "min"):  # numpy's keywords: the values (one positional dim reads as torch's pair)
            return getattr(F.as_tensor(a), method)(axis=axis, keepdims=keepdims)
        return getattr(F.as_tensor(a), method)(axis, keepdims)

    return apply


def _nansum(a, axis=None, dtype=None, out=None, keepdims=False, **rest):
    _refuse("np.nansum", dtype=dtype, out=out, **rest)
    return FT.nansum(a, axis, keepdims)


def _spread(method):
    def apply(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, correction=None, **rest):
        _refuse(f"np.{method}", dtype=dtype, out=out, **rest)
        return getattr(F.as_tensor(a), method)(
            axis, keepdims=keepdims, correction=ddof if correction is None else correction
        )  # numpy's default: divide by N

    return apply


def _arg(method):
    def apply(a, axis=None, out=None, *, keepdims=False):
        _refuse(f"np.{method}", out=out)
        if method in ("max", "min"):  # numpy's keywords: the values (one positional dim reads as torch's pair)
            return getattr(F.as_tensor(a), method)(axis=axis, keepdims=keepdims)
        return getattr(F.as_tensor(a), method)(axis, keepdims)

    return apply


def _clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None, **rest):  # numpy's names
    _refuse("np.clip", out=out, **rest)
    return F.as_tensor(a).clamp(a_min if min is None else min, a_max if max is None else max)


def _joiner(join):
    def apply(arrays, axis=0, out=None, *, dtype=None, casting=None):
        _refuse(f"np.{join.__name__}", out=out, dtype=dtype, casting=casting)
        return join(arrays, axis)

    return apply


def _stacker(name, axis_for):
    """np.hstack / np.vstack as one concatenate (numpy's rules: hstack joins 1-d inputs along axis 0, the
    rest along axis 1; vstack makes 1-d inputs rows first)."""

    def apply(tup, *, dtype=None, casting=None):
        _refuse(f"np.{name}", dtype=dtype, casting=casting)
        tensors = [F.as_tensor(t) for t in tup]
        if name == "vstack":
            tensors = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
        return F.concatenate(tensors, axis_for(tensors[0].ndim) if tensors else 0)

    return apply


def _pad(array, pad_width, mode="constant", **kwargs):
    """np.pad of a Tensor, in numpy's "constant" mode (the zero padding of a naive convolution): the
    padding blocks concatenated around it, so the gradient flows to the original entries. cs231n's spelling:

    >>> x = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> np.pad(x, ((0, 0), (1, 1)), "constant")
    Tensor([[0., 1., 2., 0.]], op=concatenate)
    """
    constant = kwargs.pop("constant_values", 0)
    if mode != "constant" or kwargs or np.ndim(constant) != 0:
        given = f"mode={mode!r}" if mode != "constant" else ", ".join(kwargs) or f"constant_values={constant!r}"
        raise TypeError(
            f"np.pad(..., {given}) on a Tensor is not supported: only mode='constant' with one constant_values "
            "number is; or call np.pad(t.data, ...) for the values without a gradient"
        )
    t = F.as_tensor(array)
    widths = np.asarray(pad_width)
    if widths.dtype.kind not in "iu" or not np.all(widths >= 0):
        raise ValueError(f"np.pad: pad_width must be non-negative integers, got {pad_width!r}")
    try:
        widths = np.broadcast_to(widths, (t.ndim, 2))  # numpy's forms: n, (before, after), ((b, a), ...)
    except ValueError:
        raise ValueError(
            f"np.pad: pad_width {pad_width!r} does not fit a tensor of shape {t.shape}; give an int, "
            f"(before, after) or one (before, after) pair per axis ({t.ndim})"
        ) from None
    for axis, (before, after) in enumerate(widths.tolist()):
        if before or after:
            shape = list(t.shape)
            blocks = []
            for width in (before, after):
                shape[axis] = width
                blocks.append(Tensor(np.full(shape, constant, dtype=t.dtype)))
            t = F.concatenate([blocks[0], t, blocks[1]], axis)
    return t


def _reshape(a, newshape=None, order="C", *, shape=None, copy=None):
    _refuse("np.reshape", order=None if order == "C" else order, copy=copy)
    return F.as_tensor(a).reshape(newshape if shape is None else shape)


def _dot(a, b, out=None):
    _refuse("np.dot", out=out)
    if np.ndim(_values(a)) > 2 or np.ndim(_values(b)) > 2:
        raise TypeError(
            "np.dot of n-d Tensors is not supported (its rule differs from matmul's); "
            "use ag.matmul(a, b) (batched) or reshape to 2-d first"
        )
    return F.matmul(a, b)


def _trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    _refuse("np.trace", dtype=dtype, out=out)
    return FT.diagonal(a, offset, axis1, axis2).sum(-1)  # numpy's: the sum over the diagonal, any ndim


def _einsum(subscripts, *operands, out=None, dtype=None, order="K", casting="safe", optimize=False):
    _refuse("np.einsum", out=out, dtype=dtype, order=None if order == "K" else order)
    return einsum(subscripts, *operands)  # (optimize= only orders numpy's own work: nothing to refuse)


FUNCTIONS = {
    np.sum: _reduction("sum"),
    np.nansum: _nansum,
    np.mean: _reduction("mean"),
    np.prod: _reduction("prod"),
    np.max: _reduction("max"),
    np.amax: _reduction("max"),
    np.min: _reduction("min"),
    np.amin: _reduction("min"),
    np.var: _spread("var"),
    np.std: _spread("std"),
    np.argmax: _arg("argmax"),
    np.argmin: _arg("argmin"),
    np.clip: _clip,
    np.reshape: _reshape,
    np.transpose: lambda a, axes=None: F.as_tensor(a).transpose(*(() if axes is None else (axes,))),
    np.squeeze: lambda a, axis=None: F.as_tensor(a).squeeze(axis),
    np.expand_dims: lambda a, axis: F.as_tensor(a).unsqueeze(axis),
    np.ravel: lambda a, order="C": F.as_tensor(a).flatten(),
    np.broadcast_to: lambda array, shape, subok=False: F.as_tensor(array).broadcast_to(shape),
    np.concatenate: _joiner(F.concatenate),
    np.stack: _joiner(F.stack),
    np.hstack: _stacker("hstack", lambda ndim: 0 if ndim == 1 else 1),
    np.vstack: _stacker("vstack", lambda ndim: 0),
    np.pad: _pad,
    np.where: F.where,
    np.dot: _dot,
    np.einsum: _einsum,
    np.tril: lambda m, k=0: FT.tril(m, k),
    np.triu: lambda m, k=0: FT.triu(m, k),
    np.diagonal: lambda a, offset=0, axis1=0, axis2=1: FT.diagonal(a, offset, axis1, axis2),
    np.trace: _trace,
    np.diag: lambda v, k=0: FT.diag(v, k),
    np.roll: lambda a, shift, axis=None: FT.roll(a, shift, axis),
    np.swapaxes: lambda a, axis1, axis2: F.as_tensor(a).swapaxes(axis1, axis2),
    np.moveaxis: lambda a, source, destination: F.as_tensor(a).movedim(source, destination),
    np.i0: FE.i0,
    np.cov: numpy_cov,
    np.corrcoef: numpy_corrcoef,
}

VALUE_FUNCTIONS = {
    np.shape,
    np.ndim,
    np.size,
    np.allclose,
    np.isclose,
    np.array_equal,
    np.array_equiv,
    np.count_nonzero,
    np.nonzero,
    np.flatnonzero,
    np.argwhere,
    np.argsort,
    np.any,
    np.all,
    np.unique,
    np.array2string,
    np.array_repr,
    np.array_str,
    np.shares_memory,
    np.may_share_memory,
    np.result_type,
    np.zeros_like,
    np.ones_like,
    np.full_like,
    np.empty_like,
    np.asarray_chkfinite,
    np.iscomplexobj,
    np.isrealobj,
}
