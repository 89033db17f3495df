"""Shared by the tests/test_linalg_*.py files of the torch.linalg completion (norms, products, solvers, LU):
random matrices, leaves, and the one torch comparison (values and gradients for a random upstream gradient)."""

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def rng(seed=0):
    return np.random.default_rng(seed)


def leaf(a, dtype=np.float64):
    return Tensor(np.array(a, dtype=dtype), requires_grad=True)


def well_conditioned(random, *shape):
    """Random (..., n, n) matrices plus n I: far from singular."""
    return random.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def finite_difference_vjp(fn, arrays, weights, eps=1e-6):
    """d sum(weights * fn(*arrays)) / d arrays[i] by central differences, for each i (fn on numpy arrays)."""
    grads = []
    for i, a in enumerate(arrays):
        grad = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            shifted = [x.copy() for x in arrays]
            shifted[i][index] += eps
            up = np.sum(weights * fn(*shifted))
            shifted[i][index] -= 2 * eps
            down = np.sum(weights * fn(*shifted))
            grad[index] = (up - down) / (2 * eps)
        grads.append(grad)
    return grads


def against_torch(ours, theirs, arrays, seed=0, rtol=1e-10, atol=1e-10):
    """ours(*Tensors) and theirs(*torch tensors) agree in value and in the gradient of sum(w * out) for a random
    w, in float64; returns our output."""
    import torch

    leaves = [leaf(a) for a in arrays]
    out = ours(*leaves)
    weights = rng(seed).standard_normal(out.shape)
    (out * weights).sum().backward()
    torch_leaves = [torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    torch_out = theirs(*torch_leaves)
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), rtol=rtol, atol=atol)
    (torch_out * torch.tensor(weights)).sum().backward()
    for ours_leaf, torch_leaf in zip(leaves, torch_leaves, strict=True):
        expected = np.zeros(ours_leaf.shape) if torch_leaf.grad is None else torch_leaf.grad.numpy()
        got = np.zeros(ours_leaf.shape) if ours_leaf.grad is None else ours_leaf.grad
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    return out


def gradchecks(fn, arrays, second_order=True):
    """gradcheck (and gradgradcheck) of fn at arrays, float64, tight."""
    inputs = [leaf(a) for a in arrays]
    assert ag.gradcheck(fn, inputs, atol=1e-6, rtol=1e-5)
    if second_order:
        assert ag.gradgradcheck(fn, [leaf(a) for a in arrays], atol=1e-5, rtol=1e-4)
