"""Bishop, "Pattern Recognition and Machine Learning" (2006), section 5.4 "The Hessian Matrix", ported: each way
the book evaluates or approximates H, for the two-layer tanh network of 5.3.2 (tests/bishop_helpers.py), against
the engine's ``ag.hessian`` (reverse over reverse) and ``ag.hvp``.

5.4.1  The diagonal approximation (5.79)-(5.81): backpropagated second derivatives with d2E/da_k da_k' off the
       diagonal neglected. For linear outputs and a sum of squares those are zero, so it IS diag(H); for
       softmax outputs it is not (measured). The full H is far from diagonal (measured).
5.4.2  The outer-product (Levenberg-Marquardt) approximation (5.84), (5.85): H = sum b b^T + sum (y - t) grad grad y
       (5.83) checked term by term; exact for a model linear in w and where the residuals vanish, not otherwise.
5.4.3  The inverse of the outer-product H by the sequential update (5.89), one pattern at a time from
       H_0 = alpha I, against numpy's inverse.
5.4.4  H by central differences of the gradient (5.90): error O(eps^2) (measured: halving eps quarters it), and
       its cost counted as 2W backward sweeps.
5.4.5  The exact Hessian block by block (5.93)-(5.95), linear and softmax outputs.
5.4.6  Fast multiplication by H: the R{.} operator's forward and backward propagation (5.98)-(5.110) equals
       ``ag.hvp`` and H v; R{.} is a directional derivative, so ``ag.jvp`` of the gradient is the same vector; H
       from W products H e_i; one product costs a fixed number of sweeps, whatever W.

Where the spelling differs: ``ag.hessian`` takes the flat w (bishop_helpers.unpack splits it); ``ag.hvp`` is
the double-vjp trick (as ``torch.autograd.functional.hvp``), where Pearlmutter's R-propagation is forward over
reverse; the values are the same, which is what 5.4.6 asserts.
"""

import numpy as np
import pytest
from bishop_helpers import (
    book_diagonal,
    book_hessian,
    book_r_propagation,
    central_hessian,
    cross_entropy,
    network,
    problem,
    sum_of_squares,
)

import autograd_core as ag
import autograd_core.engine
import nn.functional as F
from autograd_core import Tensor

D, M, K = 3, 4, 2
ERRORS = {"linear": sum_of_squares, "softmax": cross_entropy}


def hessian_of(output, w, X, T, k=K):
    return ag.hessian(lambda v: ERRORS[output](v, X, T, D, M, k))(Tensor(w)).data


def gradient_of(w, X, T, k=K):
    return ag.value_and_grad(lambda v: sum_of_squares(v, X, T, D, M, k))(Tensor(w))[1].data


# ---------------------------------------------------------------- 5.4.5 exact evaluation
@pytest.mark.parametrize("output", ["linear", "softmax"])
def test_5_4_5_the_exact_hessian_is_the_books_three_blocks(output):
    w, X, T = problem(seed=10, D=D, M=M, K=K, N=6, output=output)
    H = hessian_of(output, w, X, T)
    assert H.shape == (len(w), len(w)) and np.abs(H - H.T).max() < 1e-14  # symmetric, up to rounding
    np.testing.assert_allclose(H, book_hessian(w, X, T, D, M, K, output), rtol=1e-12, atol=1e-13)


def test_5_4_5_the_exact_hessian_equals_torch():
    torch = pytest.importorskip("torch")
    w, X, T = problem(seed=10, D=D, M=M, K=K, N=6)

    def E(v):
        z = torch.tanh(torch.tensor(np.hstack([np.ones((6, 1)), X])) @ v[: M * (D + 1)].reshape(M, D + 1).T)
        zt = torch.cat([torch.ones(6, 1, dtype=torch.float64), z], dim=1)
        return 0.5 * ((zt @ v[M * (D + 1) :].reshape(K, M + 1).T - torch.tensor(T)) ** 2).sum()

    theirs = torch.autograd.functional.hessian(E, torch.tensor(w)).numpy()
    np.testing.assert_allclose(hessian_of("linear", w, X, T), theirs, rtol=1e-12, atol=1e-13)


# ---------------------------------------------------------------- 5.4.1 the diagonal approximation
def test_5_4_1_the_diagonal_backprop_is_diag_h_for_linear_outputs_only():
    w, X, T = problem(seed=11, D=D, M=M, K=K, N=6)
    H = hessian_of("linear", w, X, T)
    np.testing.assert_allclose(book_diagonal(w, X, T, D, M, K), np.diag(H), rtol=1e-12, atol=1e-13)
    off = H - np.diag(np.diag(H))
    assert np.linalg.norm(off) > np.linalg.norm(np.diag(H))  # "strongly nondiagonal": most of H is off it
    w, X, T = problem(seed=11, D=D, M=M, K=3, N=6, output="softmax")
    H = hessian_of("softmax", w, X, T, k=3)
    gap = np.abs(book_diagonal(w, X, T, D, M, 3, "softmax") - np.diag(H))
    assert gap[-3 * (M + 1) :].max() < 1e-13  # the output layer's diagonal is exact ((5.80) uses d2E/da_k^2 only)
    assert gap[: M * (D + 1)].max() > 1e-3  # the hidden layer's is not: softmax couples the outputs


# ---------------------------------------------------------------- 5.4.2 outer product / Levenberg-Marquardt
def output_gradients(w, X, k=1):
    """b_n = grad y_n (N, W): one row per pattern, for a single output."""
    return ag.jacrev(lambda v: network(v, X, D, M, k).reshape(len(X)))(Tensor(w)).data


def test_5_4_2_the_hessian_is_the_outer_product_plus_the_residual_term():
    w, X, T = problem(seed=12, D=D, M=M, K=1, N=5)
    B = output_gradients(w, X)
    residuals = network(Tensor(w), X, D, M, 1).data.ravel() - T.ravel()
    second = sum(
        r * ag.hessian(lambda v, n=n: network(v, X[n : n + 1], D, M, 1).sum())(Tensor(w)).data
        for n, r in enumerate(residuals)
    )
    H = hessian_of("linear", w, X, T, k=1)
    np.testing.assert_allclose(H, B.T @ B + second, rtol=1e-12, atol=1e-13)  # (5.83)
    outer = B.T @ B  # (5.84)
    assert np.abs(H - outer).max() > 1e-2  # not exact where the residuals are not zero


def test_5_4_2_the_outer_product_is_exact_at_zero_residuals_and_for_a_linear_model():
    w, X, _ = problem(seed=13, D=D, M=M, K=1, N=5)
    B = output_gradients(w, X)
    T = network(Tensor(w), X, D, M, 1).data  # targets the net fits exactly: y_n - t_n = 0
    np.testing.assert_allclose(hessian_of("linear", w, X, T, k=1), B.T @ B, rtol=1e-12, atol=1e-13)
    rng = np.random.default_rng(13)
    Phi, t, v = rng.normal(size=(9, 4)), rng.normal(size=9), rng.normal(size=4)  # y = w^T phi: b_n = phi_n
    H = ag.hessian(lambda u: 0.5 * ((Phi @ u - t) ** 2).sum())(Tensor(v)).data
    np.testing.assert_allclose(H, Phi.T @ Phi, rtol=1e-13, atol=1e-13)


def test_5_4_2_the_cross_entropy_outer_product_weights_by_y_1_minus_y():
    rng = np.random.default_rng(14)
    Phi, t, v = rng.normal(size=(9, 4)), rng.integers(0, 2, 9).astype(float), rng.normal(size=4)
    E = lambda u: F.binary_cross_entropy_with_logits(Phi @ u, t, reduction="sum")  # noqa: E731
    y = 1 / (1 + np.exp(-Phi @ v))
    outer = (Phi * (y * (1 - y))[:, None]).T @ Phi  # (5.85), b_n = grad a_n = phi_n: exact for a linear a
    np.testing.assert_allclose(ag.hessian(E)(Tensor(v)).data, outer, rtol=1e-12, atol=1e-13)
    w, X, _ = problem(seed=14, D=D, M=M, K=1, N=9)
    E = lambda u: F.binary_cross_entropy_with_logits(network(u, X, D, M, 1).reshape(9), t, reduction="sum")  # noqa: E731
    B = output_gradients(w, X)
    y = 1 / (1 + np.exp(-network(Tensor(w), X, D, M, 1).data.ravel()))
    assert np.abs(ag.hessian(E)(Tensor(w)).data - (B * (y * (1 - y))[:, None]).T @ B).max() > 1e-2  # a net: not


# ---------------------------------------------------------------- 5.4.3 the inverse Hessian
def test_5_4_3_the_sequential_update_gives_the_inverse_of_the_outer_product():
    w, X, _ = problem(seed=15, D=D, M=M, K=1, N=12)
    B, alpha = output_gradients(w, X), 0.1
    inverse = np.eye(len(w)) / alpha  # H_0 = alpha I
    for b in B:  # (5.89): H_{L+1}^-1 = H_L^-1 - H_L^-1 b b^T H_L^-1 / (1 + b^T H_L^-1 b)
        Hb = inverse @ b
        inverse = inverse - np.outer(Hb, Hb) / (1 + b @ Hb)
    expected = np.linalg.inv(alpha * np.eye(len(w)) + B.T @ B)
    np.testing.assert_allclose(inverse, expected, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(inverse @ (alpha * np.eye(len(w)) + B.T @ B), np.eye(len(w)), atol=1e-9)


# ---------------------------------------------------------------- 5.4.4 finite differences
@pytest.fixture
def sweeps(monkeypatch):
    """Counts the engine's backward sweeps (every backward() and ag.grad runs engine._run once)."""
    count = {"sweeps": 0}
    run = autograd_core.engine._run

    def counted(*args, **kwargs):
        count["sweeps"] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(autograd_core.engine, "_run", counted)
    return count


def test_5_4_4_central_differences_of_the_gradient_are_o_eps_squared(sweeps):
    w, X, T = problem(seed=16, D=D, M=M, K=K, N=4)
    H = hessian_of("linear", w, X, T)
    sweeps["sweeps"] = 0
    coarse = central_hessian(lambda v: gradient_of(v, X, T), w, eps=4e-4)
    assert sweeps["sweeps"] == 2 * len(w)  # (5.90): 2W gradient evaluations, each O(W): O(W^2)
    fine = central_hessian(lambda v: gradient_of(v, X, T), w, eps=2e-4)
    error_coarse, error_fine = np.abs(coarse - H).max(), np.abs(fine - H).max()
    assert error_fine < 1e-5 and 3.5 < error_coarse / error_fine < 4.5  # halving eps quarters the error


# ---------------------------------------------------------------- 5.4.6 fast multiplication by the Hessian
def test_5_4_6_r_propagation_equals_hvp_and_h_times_v():
    w, X, T = problem(seed=17, D=D, M=M, K=K, N=6)
    v = np.random.default_rng(17).normal(size=len(w))
    E = lambda u: sum_of_squares(u, X, T, D, M, K)  # noqa: E731
    _, Hv = ag.hvp(E, Tensor(w), Tensor(v))
    book = book_r_propagation(w, v, X, T, D, M, K)
    np.testing.assert_allclose(Hv.data, book, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(Hv.data, hessian_of("linear", w, X, T) @ v, rtol=1e-12, atol=1e-13)
    # R{.} = v^T grad is a directional derivative: forward mode through the gradient gives the same vector
    _, R_grad = ag.jvp(lambda u: ag.grad(E(u), u, create_graph=True)[0], Tensor(w), Tensor(v))
    np.testing.assert_allclose(R_grad.data, book, rtol=1e-12, atol=1e-13)


def test_5_4_6_w_products_give_the_full_hessian_and_one_costs_fixed_sweeps(sweeps):
    counts = {}
    for hidden in (4, 16):
        w, X, T = problem(seed=18, D=D, M=hidden, K=K, N=3)
        E = lambda u, X=X, T=T, hidden=hidden: sum_of_squares(u, X, T, D, hidden, K)  # noqa: E731
        sweeps["sweeps"] = 0
        ag.hvp(E, Tensor(w), Tensor(np.ones_like(w)))
        counts[len(w)] = sweeps["sweeps"]
        if hidden == 4:
            columns = [ag.hvp(E, Tensor(w), Tensor(e))[1].data for e in np.eye(len(w))]
            np.testing.assert_allclose(np.stack(columns, axis=1), book_hessian(w, X, T, D, hidden, K), atol=1e-12)
    assert len(set(counts.values())) == 1 and max(counts.values()) <= 2  # the same few sweeps for W = 26 and 98


def test_5_4_6_hvp_equals_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(19)
    A, x, v = rng.normal(size=(5, 5)), rng.normal(size=5), rng.normal(size=5)

    def E(lib, u):
        return (lib.tanh(lib.tensor(A) @ u) ** 2).sum()

    _, theirs = torch.autograd.functional.hvp(lambda u: E(torch, u), torch.tensor(x), torch.tensor(v))
    _, ours = ag.hvp(lambda u: E(ag, u), Tensor(x), Tensor(v))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-13)
