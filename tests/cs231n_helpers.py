"""The cs231n assignments' gradient-check utilities (``cs231n/gradient_check.py`` and the notebooks'
``rel_error``), written here as the assignments define them, for tests/test_cs231n_ports*.py: centered
differences, the independent oracle every hand-derived backward of the assignments is checked with.
"""

import numpy as np


def rel_error(x, y):
    """The notebooks' relative error: the largest |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f, x, h=1e-5):
    """The gradient of the scalar function f at x (a float array, changed and restored in place) by
    centered differences, one coordinate at a time."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """The vector-Jacobian product df . d f(x)/dx of an array-valued f by centered differences: the
    assignments' check of a layer's backward given its upstream gradient ``df``."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = f(x).copy()
        x[ix] = old - h
        neg = f(x).copy()
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5):
    """Sample ``num_checks`` coordinates of x at random and compare the analytic gradient there with the
    centered difference; returns (numerical, analytic, relative error) for each (the assignment prints
    them; the denominator floored at 1e-8 as ``rel_error``'s, since a digits pixel that is 0 in every image
    has an exact 0 gradient, where the assignment's 0 / 0 would be NaN)."""
    errors = []
    for _ in range(num_checks):
        ix = tuple(np.random.randint(m) for m in x.shape)  # (the assignment's randrange: unseeded by np.random)
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad_numerical = (fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        error = abs(grad_numerical - grad_analytic) / max(1e-8, abs(grad_numerical) + abs(grad_analytic))
        errors.append((grad_numerical, grad_analytic, error))
    return errors


def as_numpy(t):
    """A tensor's or a gradient's values as a numpy array (ag's ``.grad`` is one already, torch's a Tensor)."""
    return t if isinstance(t, np.ndarray) else np.array(t.detach().numpy())
