"""Shared oracles for tests/test_matrix_calculus_ports*.py: a Jacobian by central finite differences (no
autodiff at all), both of the engine's Jacobian modes checked against a closed form in one call, and torch's
Jacobian of the same function (only where torch is installed: the caller skips otherwise).
"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def numeric_jacobian(f, *xs, argnum=0, eps=1e-6):
    """d f / d xs[argnum] by central differences on float64 arrays, shaped f's shape + the argument's shape."""
    xs = [np.array(x, dtype=np.float64) for x in xs]

    def at(x):
        args = list(xs)
        args[argnum] = x
        return np.asarray(f(*(Tensor(a) for a in args)).data, dtype=np.float64)

    x = xs[argnum]
    columns = []
    for j in range(x.size):
        step = np.zeros(x.size)
        step[j] = eps
        step = step.reshape(x.shape)
        columns.append((at(x + step) - at(x - step)) / (2 * eps))
    out_shape = np.shape(at(x))
    return np.stack(columns, axis=-1).reshape(out_shape + x.shape)


def assert_jacobian(f, xs, closed_form, argnum=0, rtol=1e-12, atol=1e-12):
    """Both of the engine's modes (ag.jacrev: one vjp per output, ag.jacfwd: one jvp per input) equal the
    article's closed form; so do finite differences (to their own precision). Returns the reverse Jacobian."""
    xs = tuple(Tensor(np.asarray(x, dtype=np.float64)) for x in xs)
    rev = ag.jacrev(f, argnums=argnum)(*xs)
    fwd = ag.jacfwd(f, argnums=argnum)(*xs)
    closed_form = np.asarray(closed_form, dtype=np.float64)
    assert rev.shape == fwd.shape == closed_form.shape, (rev.shape, fwd.shape, closed_form.shape)
    np.testing.assert_allclose(rev.data, closed_form, rtol=rtol, atol=atol)
    np.testing.assert_allclose(fwd.data, closed_form, rtol=rtol, atol=atol)
    numeric = numeric_jacobian(f, *(x.data for x in xs), argnum=argnum)
    np.testing.assert_allclose(numeric, closed_form, rtol=1e-6, atol=1e-7)
    return rev


def torch_jacobian(f_torch, *xs, argnum=0):
    """torch.autograd.functional.jacobian of f_torch at xs (float64), as numpy."""
    torch = pytest.importorskip("torch")
    args = tuple(torch.tensor(np.asarray(x, dtype=np.float64)) for x in xs)
    return torch.autograd.functional.jacobian(f_torch, args)[argnum].numpy()
