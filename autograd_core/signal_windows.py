"""torch's window functions for spectral analysis: ``hann_window``, ``hamming_window``, ``blackman_window``,
``bartlett_window`` and ``kaiser_window``, written as their closed forms in n = 0 .. N-1 over the denominator
M = N (``periodic=True``, torch's default: one period of a longer window, for an FFT) or M = N - 1
(``periodic=False``, the symmetric window numpy's ``hanning`` ... draw). A window of length 1 is ``[1.]`` and of
length 0 empty, as torch's. They are constants: no gradient.

>>> ag.hann_window(4)
Tensor([0. , 0.5, 1. , 0.5])
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

from .creation import _dtype
from .tensor import Tensor
from .types import DTypeLike


def _window(
    op: str,
    length: int,
    periodic: bool,
    dtype: DTypeLike | None,
    requires_grad: bool,
    formula: Callable[[np.ndarray, float], np.ndarray],
) -> Tensor:
    """The window ``formula(n, M)`` of ``length`` points, checked and cast as every window is."""
    if isinstance(length, bool) or not isinstance(length, numbers.Integral) or length < 0:
        raise ValueError(f"{op}: window_length must be a non-negative int, got {length!r}")
    kind = _dtype(op, dtype) or np.dtype(np.float64)
    if kind.kind != "f":
        raise TypeError(f"{op}: dtype must be a float dtype (a window holds fractions), got {kind}")
    if length <= 1:
        return Tensor(np.ones(length, kind), requires_grad=requires_grad)
    n = np.arange(length, dtype=np.float64)
    values = formula(n, float(length if periodic else length - 1))
    return Tensor(np.asarray(values, kind), requires_grad=requires_grad)


def hann_window(
    window_length: int, periodic: bool = True, *, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """0.5 - 0.5 cos(2 pi n / M), as ``torch.hann_window``.

    >>> hann_window(5, periodic=False)
    Tensor([0. , 0.5, 1. , 0.5, 0. ])
    """
    return _window(
        "hann_window", window_length, periodic, dtype, requires_grad, lambda n, m: 0.5 - 0.5 * np.cos(2 * np.pi * n / m)
    )


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """alpha - beta cos(2 pi n / M), as ``torch.hamming_window``.

    >>> hamming_window(3, periodic=False)
    Tensor([0.08, 1.  , 0.08])
    """
    return _window(
        "hamming_window",
        window_length,
        periodic,
        dtype,
        requires_grad,
        lambda n, m: alpha - beta * np.cos(2 * np.pi * n / m),
    )


def blackman_window(
    window_length: int, periodic: bool = True, *, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """0.42 - 0.5 cos(2 pi n / M) + 0.08 cos(4 pi n / M), as ``torch.blackman_window``.

    >>> blackman_window(3, periodic=False).tolist()[1]
    1.0
    """

    def formula(n: np.ndarray, m: float) -> np.ndarray:
        return 0.42 - 0.5 * np.cos(2 * np.pi * n / m) + 0.08 * np.cos(4 * np.pi * n / m)

    return _window("blackman_window", window_length, periodic, dtype, requires_grad, formula)


def bartlett_window(
    window_length: int, periodic: bool = True, *, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """The triangle 1 - |2n / M - 1|, as ``torch.bartlett_window``.

    >>> bartlett_window(4)
    Tensor([0. , 0.5, 1. , 0.5])
    """
    return _window(
        "bartlett_window", window_length, periodic, dtype, requires_grad, lambda n, m: 1 - np.abs(2 * n / m - 1)
    )


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """I0(beta sqrt(1 - (2n / M - 1)^2)) / I0(beta), I0 the modified Bessel function, as ``torch.kaiser_window``.

    >>> kaiser_window(3, periodic=False, beta=0.0)
    Tensor([1., 1., 1.])
    """
    if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not np.isfinite(beta):
        raise ValueError(f"kaiser_window: beta must be a finite real number, got {beta!r}")

    def formula(n: np.ndarray, m: float) -> np.ndarray:
        ratio = np.clip(2 * n / m - 1, -1.0, 1.0)
        return np.i0(beta * np.sqrt(1 - ratio**2)) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, formula)


__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
