"""Random tensors: ``rand/randn/normal/randint/randperm/multinomial`` (and ``_like``) from a seedable ``Generator``,
``manual_seed`` for the default one (which ``nn``'s initialisers and dropout draw from too).

PyTorch's names and signatures; numpy's ``np.random.default_rng`` (PCG64) underneath.
"""

from __future__ import annotations

import numbers
import secrets
from typing import Any

import numpy as np

from .creation import _dtype, _integer, _shape
from .tensor import Tensor
from .tensor_inputs import require_cpu
from .types import DTypeLike, Shape


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


def rand(
    *shape: int | Shape | list[int],
    size: int | Shape | list[int] | None = None,
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """Uniform samples in [0, 1): ``rand(2, 3)``, ``rand((2, 3))`` or ``rand(size=(2, 3))``.

    >>> rand(2, 3, generator=Generator(0)).shape
    (2, 3)
    """
    require_cpu("rand", device)
    dtype = _float_dtype("rand", dtype)
    samples = _rng("rand", generator).random(_sizes("rand", shape, size), dtype=dtype)
    return Tensor(samples, requires_grad=requires_grad)


def randn(
    *shape: int | Shape | list[int],
    size: int | Shape | list[int] | None = None,
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """Standard normal samples (mean 0, variance 1): ``randn(2, 3)``, ``randn((2, 3))`` or ``randn(size=())``.

    >>> randn(4, generator=Generator(0)).dtype
    dtype('float64')
    """
    require_cpu("randn", device)
    dtype = _float_dtype("randn", dtype)
    samples = _rng("randn", generator).standard_normal(_sizes("randn", shape, size), dtype=dtype)
    return Tensor(samples, requires_grad=requires_grad)


def normal(
    mean: float | Tensor | np.ndarray[Any, Any] = 0.0,
    std: float | Tensor | np.ndarray[Any, Any] = 1.0,
    size: int | Shape | list[int] | None = None,
    *,
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """Samples from N(mean, std²), as ``torch.normal``: ``normal(0, 0.01, size=(2, 1))`` (numbers and a
    size), or one sample per element of tensors of means and/or stds (broadcast, their float dtype).
    The samples are values: no gradient flows to ``mean`` or ``std`` (torch's is zero); to learn them,
    reparametrise: ``mean + std * ag.randn_like(mean)``.

    >>> normal(0, 0.01, size=(2, 1), generator=Generator(0)).shape
    (2, 1)
    >>> normal(Tensor([0.0, 100.0]), 0.0).tolist()
    [0.0, 100.0]
    """
    require_cpu("normal", device)
    means, stds = (_real("normal", name, v) for name, v in (("mean", mean), ("std", std)))
    if not np.all(stds >= 0):  # also refuses NaN
        raise ValueError(f"normal: std must be >= 0 everywhere, got {std!r}")
    tensors = [a for v, a in ((mean, means), (std, stds)) if isinstance(v, (Tensor, np.ndarray))]
    if tensors:  # tensors of parameters: their broadcast shape, their float dtype
        shape = np.broadcast_shapes(means.shape, stds.shape)
        if size is not None and _shape("normal", (size,)) != shape:
            raise ValueError(f"normal: size {size!r} does not match the shape {shape} of mean and std")
        floats = [a.dtype for a in tensors if a.dtype.kind == "f"]
        dtype = _float_dtype("normal", dtype or (np.result_type(*floats) if floats else None))
    elif size is None:
        raise TypeError("normal: with a number for both mean and std, give the size: normal(0, 1, size=(2, 3))")
    else:
        shape, dtype = _shape("normal", (size,)), _float_dtype("normal", dtype)
    samples = _rng("normal", generator).standard_normal(shape, dtype=dtype)
    return Tensor((means + stds * samples).astype(dtype, copy=False), requires_grad=requires_grad)


def randint(
    low: int,
    high: int | Shape | list[int] | None = None,
    size: int | Shape | list[int] | None = None,
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    device: str | None = None,
) -> Tensor:
    """Random integers in [low, high) (int64): ``randint(10, (3,))``, ``randint(10, size=(3,))`` or
    ``randint(0, 10, (3,))``; with a float ``dtype``, whole numbers of that dtype, as PyTorch (UvA DL tutorial 2's
    ``randint(low=0, high=2, size=(n, 2), dtype=torch.float32)``).

    >>> randint(0, 5, (4,), generator=Generator(0)).dtype, randint(0, 2, (2,), dtype=np.float32).dtype
    (dtype('int64'), dtype('float32'))
    """
    require_cpu("randint", device)
    if high is None:  # randint(high, size=...): PyTorch's keyword form
        low, high = 0, low
    elif size is None:  # randint(high, size): PyTorch's two-argument form
        low, high, size = 0, low, high
    if size is None:
        raise TypeError("randint: give the size, e.g. randint(0, 10, (3,))")
    low, high = _integer("randint", "low", low), _integer("randint", "high", high)
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = _dtype("randint", dtype) or np.dtype(np.int64)
    drawn_as = np.int64 if dtype.kind == "f" else dtype  # (numpy draws integers only; the same stream either way)
    values = _rng("randint", generator).integers(low, high, _shape("randint", (size,)), dtype=drawn_as)
    return Tensor(values.astype(dtype, copy=False))


def randperm(
    n: int, generator: Generator | None = None, dtype: DTypeLike | None = None, device: str | None = None
) -> Tensor:
    """A random order of 0..n-1 (int64), e.g. to shuffle rows: ``X[ag.randperm(len(X))]``.

    >>> sorted(randperm(4, generator=Generator(0)).tolist())
    [0, 1, 2, 3]
    """
    require_cpu("randperm", device)
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

    >>> multinomial(Tensor([0.0, 1.0, 0.0]), 2, replacement=True, generator=Generator(0)).tolist()
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
    device: str | None = None,
) -> Tensor:
    """``rand`` of ``t``'s shape and (float) dtype.

    >>> rand_like(Tensor(np.zeros((2, 3)), dtype=np.float32)).dtype
    dtype('float32')
    """
    require_cpu("rand_like", device)
    dtype = dtype or _float_like("rand_like", t)
    return rand(*np.shape(t), generator=generator, dtype=dtype, requires_grad=requires_grad)


def randn_like(
    t: Tensor | np.ndarray[Any, Any],
    generator: Generator | None = None,
    dtype: DTypeLike | None = None,
    requires_grad: bool = False,
    device: str | None = None,
) -> Tensor:
    """``randn`` of ``t``'s shape and (float) dtype: noise for a tensor, ``x + 0.1 * ag.randn_like(x)``.

    >>> randn_like(Tensor(np.zeros((2, 3)))).shape
    (2, 3)
    """
    require_cpu("randn_like", device)
    dtype = dtype or _float_like("randn_like", t)
    return randn(*np.shape(t), generator=generator, dtype=dtype, requires_grad=requires_grad)


def _sizes(op: str, shape: tuple[Any, ...], size: int | Shape | list[int] | None) -> Shape:
    """The shape from ``op(2, 3)``, ``op((2, 3))`` or PyTorch's keyword ``op(size=(2, 3))`` (not both)."""
    if size is None:
        return _shape(op, shape)
    if shape:
        raise TypeError(f"{op}: give the size once, positionally {op}(2, 3) or as {op}(size=(2, 3)), not both")
    return _shape(op, (size,))


def _real(op: str, name: str, value: object) -> np.ndarray[Any, Any]:
    array = np.asarray(value._data if isinstance(value, Tensor) else value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must be a number or a numeric Tensor, got {value!r}")
    return array


def _float_like(op: str, t: object) -> np.dtype[Any]:
    if not isinstance(t, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: expected a Tensor or numpy array, got {type(t).__name__}")
    if t.dtype.kind != "f":
        raise TypeError(f"{op}: {t.dtype} is not a floating-point dtype; pass dtype=ag.float64 (or float32)")
    return t.dtype


def _float_dtype(op: str, dtype: DTypeLike | None) -> np.dtype[Any]:
    dtype = _dtype(op, dtype) or np.dtype(np.float64)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: dtype must be float32 or float64, got {dtype}")
    return dtype


def _rng(op: str, generator: Generator | None) -> np.random.Generator:
    if generator is None:
        return default_generator.rng
    if not isinstance(generator, Generator):
        raise TypeError(
            f"{op}: generator must be an ag.Generator (e.g. ag.Generator().manual_seed(0)), "
            f"got {type(generator).__name__}"
        )
    return generator.rng
