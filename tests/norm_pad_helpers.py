"""What the normpad test files share: the torch oracle (values and gradients of a function of several arrays, float64)
and the finite-difference check without torch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag

rng = np.random.default_rng(7)


def values_and_gradients(fn: Callable[..., Any], *arrays: np.ndarray, seed: int = 1) -> tuple[Any, list[Any]]:
    """Ours: fn's output and the gradients of sum(output * R) (R fixed random weights) for every array."""
    inputs = [ag.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    weights = np.random.default_rng(seed).normal(size=out.shape)
    (out * weights).sum().backward()
    return out.data, [t.grad for t in inputs]


def torch_values_and_gradients(
    torch: Any, fn: Callable[..., Any], *arrays: np.ndarray, seed: int = 1
) -> tuple[Any, list[Any]]:
    """The same with torch: fn gets float64 torch tensors that require grad."""
    inputs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    weights = torch.tensor(np.random.default_rng(seed).normal(size=tuple(out.shape)))
    (out * weights).sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in inputs]


def assert_agrees_with_torch(
    torch: Any, ours: Callable[..., Any], theirs: Callable[..., Any], *arrays: np.ndarray, tol: float = 1e-10
) -> None:
    """ours(*tensors) and theirs(*torch_tensors) agree in value and in every input's gradient to ``tol``."""
    value, grads = values_and_gradients(ours, *arrays)
    want, want_grads = torch_values_and_gradients(torch, theirs, *arrays)
    np.testing.assert_allclose(value, want, rtol=tol, atol=tol)
    for got, expected in zip(grads, want_grads):
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


def assert_gradcheck(fn: Callable[..., Any], *arrays: np.ndarray) -> None:
    """fn's gradients equal central differences (float64), for every array."""
    inputs = [ag.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    assert ag.gradcheck(fn, inputs, atol=1e-6, rtol=1e-5)
