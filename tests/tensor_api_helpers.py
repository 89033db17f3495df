"""Shared by test_tensor_api_*.py (the Tensor-level names a torch user reaches for beyond the README): tight
finite-difference checks, and the torch oracle's comparison of values and gradients."""

import numpy as np

import autograd_core as ag

TIGHT = dict(atol=1e-7, rtol=1e-6)  # float64 central differences are good to ~1e-9 here


def gradcheck(fn, *arrays):
    """``ag.gradcheck`` of ``fn`` at float64 leaves made from ``arrays``, with tight tolerances."""
    return ag.gradcheck(fn, [ag.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays], **TIGHT)


def against_torch(torch, ours, theirs, *arrays, weights_seed=0):
    """Run ``ours`` on ag leaves and ``theirs`` on torch leaves of the same float64 values; compare the outputs
    and the gradients of a random weighting of the output (one backward each)."""
    mine = [ag.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    real = [torch.tensor(np.asarray(a, np.float64), requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*real)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    weights = np.random.default_rng(weights_seed).uniform(-1, 1, out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for leaf, twin in zip(mine, real):
        got = np.zeros(leaf.shape) if leaf.grad is None else leaf.grad
        want = np.zeros(leaf.shape) if twin.grad is None else twin.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
