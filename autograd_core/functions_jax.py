"""Functions JAX users reach for (``jax.lax.stop_gradient``, ``jnp.vdot``, ``jnp.tensordot``,
``jnp.round``), composed from Tensor ops: none adds a primitive. ``tensordot``, ``vdot`` and
``round`` are PyTorch's names too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .functions import as_tensor, where
from .tensor import Tensor
from .types import TensorLike


def stop_gradient(x: Any) -> Any:
    """JAX's ``stop_gradient``: the same values, treated as a constant by every derivative (``t.detach()``).
    Takes a Tensor, or a dict/list/tuple of them (each detached); arrays and numbers come back as they are.

    >>> x = Tensor(3.0, requires_grad=True)
    >>> (stop_gradient(x) * x).backward()      # d/dx (c * x) with c = 3, not d/dx x**2 = 6
    >>> x.grad
    array(3.)
    """
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, dict):
        return type(x)((key, stop_gradient(value)) for key, value in x.items())
    if isinstance(x, (list, tuple)):
        parts = [stop_gradient(value) for value in x]
        return type(x)(*parts) if hasattr(x, "_fields") else type(x)(parts)
    return x


def vdot(x: TensorLike, other: TensorLike) -> Tensor:
    """The dot product of two arrays of one size, flattened first (numpy's and JAX's ``vdot``; real values).

    >>> vdot(Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([[1.0, 1.0], [0.0, 2.0]]))
    Tensor(11.)
    """
    a, b = as_tensor(x), as_tensor(other)
    if a.size != b.size:
        raise ValueError(
            f"vdot: needs two arrays of one size (it flattens both), got shapes {a.shape} ({a.size} elements) and "
            f"{b.shape} ({b.size}); use tensordot or @ to contract chosen axes"
        )
    return (a.reshape(-1) * b.reshape(-1)).sum()


def tensordot(
    x: TensorLike, other: TensorLike, axes: int | Sequence[Any] = 2, *, dims: int | Sequence[Any] | None = None
) -> Tensor:
    """Sum of products over chosen axes, as ``np.tensordot`` / ``torch.tensordot``: ``axes=n`` pairs the
    last n axes of x with the first n of other; ``axes=([1, 0], [0, 1])`` names the pairs. One matmul.
    ``dims=`` is torch's name for ``axes``.

    >>> tensordot(Tensor(np.ones((2, 3, 4))), Tensor(np.ones((3, 4, 5))), axes=2).shape
    (2, 5)
    """
    a, b = as_tensor(x), as_tensor(other)
    axes_a, axes_b = _contracted(a.shape, b.shape, axes if dims is None else dims)
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of x (shape {a.shape}) has length {a.shape[i]} but axis {j} of other "
                f"(shape {b.shape}) has length {b.shape[j]}; contracted axes must match"
            )
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [j for j in range(b.ndim) if j not in axes_b]
    k = int(np.prod([a.shape[i] for i in axes_a]))
    left = a.transpose(tuple(free_a + axes_a)).reshape(-1, k) if a.ndim else a.reshape(1, 1)
    right = b.transpose(tuple(axes_b + free_b)).reshape(k, -1) if b.ndim else b.reshape(1, 1)
    return (left @ right).reshape(tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b))


def round(x: TensorLike, decimals: int = 0) -> Tensor:  # noqa: A001 (torch.round, jnp.round)
    """Round half to even (numpy's, torch's and JAX's rule) to ``decimals`` places. Its gradient is zero,
    as theirs: the result is recorded as ``where(False, x, rounded)``, so a backward reaches x with zeros.

    >>> round(Tensor([0.5, 1.5, 2.26]), decimals=1)
    Tensor([0.5, 1.5, 2.3])
    """
    t = as_tensor(x)
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    rounded = np.round(t.data, int(decimals))
    if not t.requires_grad:
        return Tensor(rounded)
    return where(np.zeros(t.shape, bool), t, rounded)


def _contracted(
    shape_a: tuple[int, ...], shape_b: tuple[int, ...], axes: int | Sequence[Any]
) -> tuple[list[int], list[int]]:
    """tensordot's ``axes`` as two lists of non-negative axes, checked."""
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if not 0 <= n <= min(len(shape_a), len(shape_b)):
            raise ValueError(
                f"tensordot: axes={n} contracts the last {n} axes of x (shape {shape_a}) with the first {n} of "
                f"other (shape {shape_b}); it must be between 0 and {min(len(shape_a), len(shape_b))}"
            )
        return list(range(len(shape_a) - n, len(shape_a))), list(range(n))
    if not (isinstance(axes, (list, tuple)) and len(axes) == 2):
        raise TypeError(f"tensordot: axes must be an int or a pair (axes of x, axes of other), got {axes!r}")
    pairs = [[v] if isinstance(v, (int, np.integer)) else list(v) for v in axes]
    if len(pairs[0]) != len(pairs[1]):
        raise ValueError(f"tensordot: axes {axes!r} name {len(pairs[0])} axes of x but {len(pairs[1])} of other")
    normalised = []
    for name, picked, shape in (("x", pairs[0], shape_a), ("other", pairs[1], shape_b)):
        inside = all(-len(shape) <= int(i) < len(shape) for i in picked)
        if not inside or len({int(i) % len(shape) for i in picked}) != len(picked):
            raise ValueError(f"tensordot: axes {picked} are not distinct axes of {name} (shape {shape})")
        normalised.append([int(i) % len(shape) for i in picked])
    return normalised[0], normalised[1]
