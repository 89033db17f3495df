"""Making tensors: ``ag.tensor``, ``zeros/ones/full/empty`` (and ``_like``), ``arange``, ``linspace``,
``eye``, and random ``rand/randn/randint`` from a seedable generator.

PyTorch's names and signatures; numpy underneath (``np.random.default_rng`` for randomness).
One difference: floating-point data defaults to float64, as everywhere in this engine
(PyTorch's default is float32); pass ``dtype=np.float32`` (or ``ag.float32``) for that.
"""

from __future__ import annotations

import numbers
import secrets
from typing import Any

import numpy as np

from .tensor import Tensor
from .types import DTypeLike, Number, Shape, TensorLike


class Generator:
    """A seedable source of random numbers (numpy's PCG64 underneath), as ``torch.Generator``.

    >>> g = Generator().manual_seed(0)
    >>> rand(2, generator=g).shape
    (2,)
    """

    def __init__(self, seed: int | None = None) -> None:
        self.manual_seed(secrets.randbits(128) if seed is None else seed)  # fresh entropy, as numpy's

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed`` (a non-negative int); returns the generator."""
        if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"manual_seed: the seed must be a non-negative int, got {seed!r}")
        self._seed: int = int(seed)
        self.rng: np.random.Generator = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        """The seed this generator was last started from."""
        return self._seed


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (used by ``rand``, ``randn``, ``randint`` without ``generator=``).

    >>> _ = manual_seed(0); a = randn(3); _ = manual_seed(0)
    >>> bool((randn(3).data == a.data).all())
    True
    """
    return default_generator.manual_seed(seed)


def tensor(data: TensorLike, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``. Unlike ``Tensor(...)`` (always float for Python data),
    the dtype is inferred as PyTorch does: ints stay int64, bools bool, floats become float64.

    >>> tensor([1, 2]).dtype, tensor([1.5]).dtype
    (dtype('int64'), dtype('float64'))
    """
    source = data.data if isinstance(data, Tensor) else data
    try:
        array = np.array(source)  # always a copy, with numpy's dtype inference
    except (ValueError, TypeError):
        array = None
    if array is None or array.dtype.kind not in "biuf":
        return Tensor(source, requires_grad=requires_grad, dtype=dtype)  # Tensor explains what is wrong
    return Tensor(array, requires_grad=requires_grad, dtype=_dtype("tensor", dtype))


def zeros(*size: int | Shape | list[int], dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``; float64 unless ``dtype`` says otherwise."""
    return _filled("zeros", size, 0, dtype, requires_grad)


def ones(*size: int | Shape | list[int], dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones: ``ones(2, 3)`` or ``ones((2, 3))``."""
    return _filled("ones", size, 1, dtype, requires_grad)


def full(
    size: int | Shape | list[int],
    fill_value: Number | bool,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (an int fill gives int64, as PyTorch).

    >>> full((2,), 7.0)
    Tensor([7., 7.])
    """
    if not isinstance(fill_value, (numbers.Number, np.generic)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}")
    if dtype is None and isinstance(fill_value, (float, np.floating)):
        dtype = np.float64
    return Tensor(
        np.full(_shape("full", (size,)), fill_value, dtype=_dtype("full", dtype)), requires_grad=requires_grad
    )


def empty(*size: int | Shape | list[int], dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor whose values are whatever the memory held (fast; overwrite before reading)."""
    return Tensor(
        np.empty(_shape("empty", size), dtype=_dtype("empty", dtype) or np.float64), requires_grad=requires_grad
    )


def empty_like(t: Tensor | np.ndarray[Any, Any], dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """``t``'s shape and dtype, the values unspecified (PyTorch's ``empty_like``; zeros here)."""
    return _like("empty_like", t, 0, dtype, requires_grad)


def zeros_like(t: Tensor | np.ndarray[Any, Any], dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape and dtype."""
    return _like("zeros_like", t, 0, dtype, requires_grad)


def ones_like(t: Tensor | np.ndarray[Any, Any], dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape and dtype."""
    return _like("ones_like", t, 1, dtype, requires_grad)


def full_like(
    t: Tensor | np.ndarray[Any, Any],
    fill_value: Number | bool,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``fill_value`` everywhere, with ``t``'s shape and dtype."""
    return _like("full_like", t, fill_value, dtype, requires_grad)


def arange(
    start: Number,
    end: Number | None = None,
    step: Number = 1,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Evenly spaced values in [start, end): ``arange(5)`` is 0..4 (int64); a float bound gives float64.

    >>> arange(0, 1, 0.25)
    Tensor([0.  , 0.25, 0.5 , 0.75])
    """
    start, end = (0, start) if end is None else (start, end)
    for name, value in (("start", start), ("end", end), ("step", step)):
        if not isinstance(value, (numbers.Real, np.generic)) or isinstance(value, bool):
            raise TypeError(f"arange: {name} must be a number, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must not be zero")
    return Tensor(np.arange(start, end, step, dtype=_dtype("arange", dtype)), requires_grad=requires_grad)


def linspace(
    start: Number, end: Number, steps: int, dtype: DTypeLike | None = None, requires_grad: bool = False
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive.

    >>> linspace(0, 1, 3)
    Tensor([0. , 0.5, 1. ])
    """
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    return Tensor(
        np.linspace(start, end, steps, dtype=_dtype("linspace", dtype) or np.float64), requires_grad=requires_grad
    )


def eye(n: int, m: int | None = None, dtype: DTypeLike | None = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (n x n without ``m``)."""
    rows, cols = _shape("eye", (n, n if m is None else m))
    return Tensor(np.eye(rows, cols, dtype=_dtype("eye", dtype) or np.float64), requires_grad=requires_grad)


def rand(
    *size: int | Shape | list[int],
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Uniform samples in [0, 1).

    >>> rand(2, 3, generator=Generator(0)).shape
    (2, 3)
    """
    dtype = _float_dtype("rand", dtype)
    return Tensor(_rng("rand", generator).random(_shape("rand", size), dtype=dtype), requires_grad=requires_grad)


def randn(
    *size: int | Shape | list[int],
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """Standard normal samples (mean 0, variance 1).

    >>> randn(4, generator=Generator(0)).dtype
    dtype('float64')
    """
    dtype = _float_dtype("randn", dtype)
    samples = _rng("randn", generator).standard_normal(_shape("randn", size), dtype=dtype)
    return Tensor(samples, requires_grad=requires_grad)


def randint(
    low: int,
    high: int | Shape | list[int] | None = None,
    size: int | Shape | list[int] | None = None,
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
) -> Tensor:
    """Random integers in [low, high) (int64): ``randint(10, (3,))`` or ``randint(0, 10, (3,))``.

    >>> randint(0, 5, (4,), generator=Generator(0)).dtype
    dtype('int64')
    """
    if size is None:  # randint(high, size): PyTorch's two-argument form
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: give the size, e.g. randint(0, 10, (3,))")
    low, high = _integer("randint", "low", low), _integer("randint", "high", high)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = _dtype("randint", dtype) or np.int64
    return Tensor(_rng("randint", generator).integers(low, high, _shape("randint", (size,)), dtype=dtype))


def randperm(n: int, generator: Generator | None = None, dtype: DTypeLike | None = None) -> Tensor:
    """A random order of 0..n-1 (int64), e.g. to shuffle rows: ``X[ag.randperm(len(X))]``.

    >>> sorted(randperm(4, generator=Generator(0)).tolist())
    [0, 1, 2, 3]
    """
    n = _integer("randperm", "n", n)
    if n < 0:
        raise ValueError(f"randperm: n must be >= 0, got {n}")
    return Tensor(_rng("randperm", generator).permutation(n).astype(_dtype("randperm", dtype) or np.int64))


def multinomial(
    input: Tensor | np.ndarray[Any, Any],
    num_samples: int,
    replacement: bool = False,
    generator: Generator | None = None,
) -> Tensor:
    """Draw ``num_samples`` indices from the weights ``input`` (non-negative, any sum; one row, or one
    draw per row of a matrix), as PyTorch's: ``ix = ag.multinomial(probs, 1, generator=g).item()``.

    >>> multinomial(tensor([0.0, 1.0, 0.0]), 2, replacement=True, generator=Generator(0)).tolist()
    [1, 1]
    """
    weights = np.asarray(input._data if isinstance(input, Tensor) else input, dtype=np.float64)
    count = _integer("multinomial", "num_samples", num_samples)
    if weights.ndim not in (1, 2) or not weights.shape[-1] or count < 1:
        raise ValueError(f"multinomial: need a 1-d or 2-d input of weights and num_samples >= 1, got {weights.shape}")
    rows = weights.reshape(-1, weights.shape[-1])
    if not np.isfinite(rows).all() or (rows < 0).any() or not (rows.sum(axis=1) > 0).all():
        raise ValueError("multinomial: weights must be finite, >= 0 and not all 0 in a row (probabilities, counts)")
    if not replacement and count > (rows > 0).sum(axis=1).min():
        raise ValueError(
            f"multinomial: {count} samples without replacement, but a row has only "
            f"{(rows > 0).sum(axis=1).min()} non-zero weights; pass replacement=True"
        )
    rng = _rng("multinomial", generator)
    drawn = [rng.choice(len(row), size=count, replace=bool(replacement), p=row / row.sum()) for row in rows]
    return Tensor(np.array(drawn, dtype=np.int64).reshape(weights.shape[:-1] + (count,)))


def rand_like(
    t: Tensor | np.ndarray[Any, Any],
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``rand`` of ``t``'s shape and (float) dtype.

    >>> rand_like(zeros(2, 3, dtype=np.float32)).dtype
    dtype('float32')
    """
    dtype = dtype or _float_like("rand_like", t)
    return rand(*np.shape(t), generator=generator, dtype=dtype, requires_grad=requires_grad)


def randn_like(
    t: Tensor | np.ndarray[Any, Any],
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
) -> Tensor:
    """``randn`` of ``t``'s shape and (float) dtype: noise for a tensor, ``x + 0.1 * ag.randn_like(x)``.

    >>> randn_like(zeros(2, 3)).shape
    (2, 3)
    """
    dtype = dtype or _float_like("randn_like", t)
    return randn(*np.shape(t), generator=generator, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray[Any, Any]) -> Tensor:
    """A Tensor on ``array``'s memory (a change to one shows in the other), as PyTorch's.

    >>> a = np.zeros(2); t = from_numpy(a); a[0] = 5.0
    >>> t
    Tensor([5., 0.])
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}; use ag.tensor(data)")
    return Tensor(array)


def _float_like(op: str, t: object) -> np.dtype[Any]:
    if not isinstance(t, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: expected a Tensor or numpy array, got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {t.dtype} is not a floating-point dtype; pass dtype=ag.float64 (or float32)")
    return t.dtype


# ------------------------------------------------------------------ checks
def _shape(op: str, size: tuple[Any, ...]) -> Shape:
    """``(2, 3)`` from ``size`` given as ``(2, 3)``, ``((2, 3),)`` or ``([2, 3],)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (numbers.Integral, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{op}: sizes must be ints, got {size!r}; e.g. {op}(2, 3) or {op}((2, 3))")
        if n < 0:
            raise ValueError(f"{op}: sizes must be non-negative, got {size!r}")
    return tuple(int(n) for n in size)


def _integer(op: str, name: str, value: object) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def _dtype(op: str, dtype: DTypeLike | None) -> np.dtype[Any] | None:
    if dtype is None:
        return None
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"{op}: unknown dtype {dtype!r}; use a numpy dtype such as np.float32, np.float64 or np.int64"
        ) from None
    if dtype.kind not in "biuf":
        raise TypeError(f"{op}: dtype {dtype} is not numeric; use np.float32, np.float64, np.int64 or bool")
    return dtype


def _float_dtype(op: str, dtype: DTypeLike | None) -> np.dtype[Any]:
    dtype = _dtype(op, dtype) or np.dtype(np.float64)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dtype}")
    return dtype


def _filled(
    op: str, size: tuple[Any, ...], value: Number | bool, dtype: DTypeLike | None, requires_grad: bool
) -> Tensor:
    return Tensor(np.full(_shape(op, size), value, dtype=_dtype(op, dtype) or np.float64), requires_grad=requires_grad)


def _like(op: str, t: object, value: Number | bool, dtype: DTypeLike | None, requires_grad: bool) -> Tensor:
    if not isinstance(t, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: expected a Tensor or numpy array, got {type(t).__name__}")
    return Tensor(np.full(t.shape, value, dtype=_dtype(op, dtype) or t.dtype), requires_grad=requires_grad)


def _rng(op: str, generator: Generator | None) -> np.random.Generator:
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{op}: generator must be an ag.Generator (e.g. ag.Generator().manual_seed(0)), "
            f"got {type(generator).__name__}"
        )
    return generator.rng
