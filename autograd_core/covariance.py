"""``cov`` and ``corrcoef`` as PyTorch's (``torch.cov``, ``torch.corrcoef``), composed from Tensor ops, so
differentiable: the rows of a 2-d input are the variables, its columns the observations (a 1-d input is one
variable). numpy's ``np.cov(t)`` and ``np.corrcoef(t)`` on a Tensor come here too (numpy_interop.py).

>>> x = Tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])
>>> cov(x)
Tensor([[ 1., -1.],
        [-1.,  1.]])
"""

from __future__ import annotations

import warnings

import numpy as np

from .functions import as_tensor, sqrt
from .tensor import Tensor
from .types import TensorLike


def _weights(name: str, weights: TensorLike, observations: int, kind: str) -> Tensor:
    w = as_tensor(weights)
    if w.ndim > 1 or w.size != observations:
        raise ValueError(
            f"cov: {name} must be a 1-d tensor of one weight per observation ({observations}, the input's columns), "
            f"got shape {w.shape}"
        )
    if w.dtype.kind not in kind:
        what = "integers (repeat counts)" if kind == "iu" else "floating-point numbers"
        raise TypeError(f"cov: {name} must be {what}, got dtype {w.dtype}; convert it (e.g. .astype(...))")
    if (w.data < 0).any():
        raise ValueError(f"cov: {name} cannot be negative, got {w.data.min()}")
    return w


def cov(
    input: TensorLike,
    *,
    correction: int = 1,
    fweights: TensorLike | None = None,
    aweights: TensorLike | None = None,
) -> Tensor:
    """The covariance matrix of the rows (variables) of ``input`` over its columns (observations), dividing by
    N - ``correction`` (1: Bessel's unbiased estimate, 0: the maximum-likelihood one), optionally weighted by
    integer repeat counts ``fweights`` and/or float ``aweights``, as ``torch.cov``; a 1-d input gives a 0-d variance.

    >>> cov(Tensor([1.0, 2.0, 4.0])).item()  # the sample variance
    2.333333333333333
    """
    x = as_tensor(input)
    if x.ndim > 2:
        raise ValueError(
            f"cov: input must have at most 2 dimensions (variables x observations), got shape {x.shape}; "
            "reshape it, e.g. x.reshape(-1, x.shape[-1])"
        )
    if not isinstance(correction, (int, np.integer)) or isinstance(correction, bool):
        raise TypeError(f"cov: correction must be an int (0 or 1, usually), got {correction!r}")
    x = x.reshape(1, -1) if x.ndim < 2 else x
    observations = x.shape[1]
    weight: Tensor | None = None
    if fweights is not None:
        weight = _weights("fweights", fweights, observations, "iu").astype(x.dtype)
    if aweights is not None:
        a = _weights("aweights", aweights, observations, "f")
        weight = a if weight is None else weight * a
    total: Tensor | int = weight.sum() if weight is not None else observations
    mean = (x if weight is None else x * weight).sum(1, keepdims=True) / total
    norm: Tensor | int
    if weight is not None and aweights is not None and correction != 0:
        norm = total - correction * (weight * as_tensor(aweights)).sum() / total
    else:
        norm = total - correction
    if float(np.asarray(norm.data if isinstance(norm, Tensor) else norm)) <= 0:
        warnings.warn(
            f"cov: degrees of freedom <= 0 ({observations} observations, correction={correction}): the result is "
            "inf or nan; use correction=0, or more observations",
            RuntimeWarning,
            stacklevel=2,
        )
    centred = x - mean
    c = centred @ (centred if weight is None else centred * weight).T / norm
    return c.squeeze()


def corrcoef(input: TensorLike) -> Tensor:
    """The Pearson correlation matrix of the rows of ``input`` (``torch.corrcoef``, ``np.corrcoef``): cov divided
    by the outer product of the standard deviations, clipped to [-1, 1] (rounding may step past 1); 1 for 1-d.

    >>> corrcoef(Tensor([[1.0, 2.0, 3.0], [6.0, 4.0, 2.0]])).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = sqrt(c.diagonal())
    return (c / std[:, None] / std[None, :]).clamp(-1, 1)


def numpy_cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """``np.cov(t)`` on a Tensor: numpy's signature onto ``cov`` (``ddof`` or ``bias`` give the correction)."""
    if y is not None or dtype is not None:
        raise TypeError("np.cov(..., y=, dtype=) on a Tensor is not supported: stack the variables into one tensor")
    x = as_tensor(m)
    correction = (0 if bias else 1) if ddof is None else ddof
    return cov(x if rowvar or x.ndim < 2 else x.T, correction=correction, fweights=fweights, aweights=aweights)


def numpy_corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """``np.corrcoef(t)`` on a Tensor: numpy's signature onto ``corrcoef``."""
    if y is not None or dtype is not None:
        raise TypeError("np.corrcoef(..., y=, dtype=) on a Tensor is not supported: stack the variables first")
    t = as_tensor(x)
    return corrcoef(t if rowvar or t.ndim < 2 else t.T)
