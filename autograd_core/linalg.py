"""``torch.linalg``: the matrix functions (det, slogdet, inv, solve, cholesky, qr, eigh, eigvalsh, svd, svdvals, from
``linalg_matrix.py``) and the norms, over ``ag.norm`` (functions.py, which owns the formula and its gradient at 0):
``ag.linalg.vector_norm`` and ``ag.linalg.norm``, as Raschka's chapter 12 writes ``torch.linalg.norm(t1, ord=2,
dim=1)``. Matrix norms other than Frobenius (spectral, nuclear, max row or column sum) are not here; each is refused
saying so. ``ag.renorm`` (``torch.renorm``, max-norm regularisation's rescaling) lives here too, on the same
norm.

>>> from autograd_core import linalg
>>> linalg.norm(Tensor([[3.0, 4.0], [6.0, 8.0]]), ord=2, dim=1)
Tensor([ 5., 10.])
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .functions import as_tensor, where
from .functions import norm as _p_norm
from .linalg_matrix import (  # noqa: F401 (re-exported: ag.linalg.det, ...)
    EighResult,
    QrResult,
    SlogdetResult,
    SvdResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .tensor import Tensor
from .types import Axis, TensorLike

LinAlgError = np.linalg.LinAlgError  # torch.linalg.LinAlgError's name (here a ValueError, as numpy's)


def vector_norm(x: TensorLike, ord: float = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """The ``ord``-norm of ``x``'s elements over ``dim`` (all of them by default), as ``torch.linalg.vector_norm``.

    >>> vector_norm(Tensor([[3.0, 0.0], [0.0, -4.0]]))
    Tensor(5.)
    """
    return _p_norm(x, ord, dim, keepdim)


def norm(x: TensorLike, ord: float | str | None = None, dim: Axis = None, keepdim: bool = False) -> Tensor:
    """``torch.linalg.norm``: a vector norm over one ``dim`` (or of a 1-d ``x``), the Frobenius norm of a
    matrix (``ord=None`` or ``'fro'``, over a 2-d ``x`` or two ``dim``), and with ``ord`` and ``dim`` both None
    the 2-norm of every element.

    >>> norm(Tensor([3.0, -4.0]), ord=1)
    Tensor(7.)
    """
    x = as_tensor(x)
    dims = (dim,) if isinstance(dim, int) else tuple(dim) if dim is not None else None
    vectors = len(dims) == 1 if dims is not None else x.ndim == 1
    if ord is None or (vectors and not isinstance(ord, str)):
        return _p_norm(x, 2 if ord is None else ord, dim, keepdim)
    if not vectors and ord == "fro" and ((dims is not None and len(dims) == 2) or (dims is None and x.ndim == 2)):
        return _p_norm(x, 2, dim, keepdim)
    raise ValueError(
        f"linalg.norm: ord={ord!r} over dim={dim!r} of a tensor of shape {x.shape} is not supported here (only "
        "vector norms, over one dim or of a 1-d tensor, and the Frobenius norm 'fro' of a matrix); for a spectral "
        "or nuclear norm's value, use np.linalg.norm(t.data, ord, axis)"
    )


def renorm(x: TensorLike, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice ``x.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm ``maxnorm``
    (by maxnorm / (norm + 1e-7), torch's guard), the others unchanged, as ``torch.renorm``: max-norm
    regularisation of ``nn.Linear``'s (out, in) weight, each unit's incoming weights a row, is
    ``w.renorm_(2, 0, max_norm)`` under ``no_grad`` after each step. Differentiable (the norm too).

    >>> ag.renorm(Tensor([[3.0, 4.0], [0.3, 0.4]]), p=2, dim=0, maxnorm=1.0)       # rows of norm 5 and 0.5
    Tensor([[0.6, 0.8],
            [0.3, 0.4]])
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(
            f"renorm: needs a tensor of at least 2 axes (slices along dim to rescale), got shape {x.shape}; for a "
            "vector v use v * min(1, maxnorm / v.norm())"
        )
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or not -x.ndim <= dim < x.ndim:
        raise ValueError(f"renorm: dim must be an int in [{-x.ndim}, {x.ndim - 1}] for shape {x.shape}, got {dim!r}")
    for name, value, low in (("p", p, "> 0 (or math.inf)"), ("maxnorm", maxnorm, ">= 0 (finite)")):
        bad = isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value)
        if bad or (value <= 0 if name == "p" else value < 0 or math.isinf(value)):
            raise ValueError(f"renorm: {name} must be a number {low}, got {value!r}")
    others = tuple(axis for axis in range(x.ndim) if axis != dim % x.ndim)
    norms = _p_norm(x, p, others, keepdim=True)
    # strictly above: a slice at exactly maxnorm keeps its values and its identity gradient, as torch's
    return x * where(norms.data > maxnorm, maxnorm / (norms + 1e-7), 1.0)
