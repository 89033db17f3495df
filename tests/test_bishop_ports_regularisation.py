"""Bishop, "Pattern Recognition and Machine Learning" (2006), section 5.5 "Regularization in Neural Networks",
ported: weight decay (5.112) as a penalty and as the optimizer's ``weight_decay``, its lack of invariance under
a linear rescaling of the inputs (5.5.1), early stopping on the book's noisy sinusoid (5.5.2, Figure 5.12's
curves measured), and tangent propagation's regulariser (5.5.4, (5.127)-(5.128)) as a directional derivative.

Tangent propagation: Omega = 1/2 sum_n sum_k (sum_i J_nki tau_ni)^2 is ``ag.jvp`` of the network along the
tangent tau (forward mode, one pass), and training needs its gradient with respect to the weights, which the jvp
closes over. Checked against finite differences, a closed form (a network invariant under rotation has Omega
= 0 for the rotation's tangent, and a linear one has Omega = 1/2 sum (W tau)^2), JAX and torch.func.

What the port needed:
- Every transform (``ag.jvp``, ``hvp``, ``vjp``, ``jacobian``/``jacfwd``/``jacrev``, ``hessian``,
  ``value_and_grad``) now records its results when f closes over a tensor that requires grad (a weight; an
  outer ``value_and_grad``'s argument), as JAX's and torch.func's do. Before, the results were detached from
  it: ``ag.value_and_grad(omega)(w)`` of tangent propagation's Omega returned zeros, silently (so do gradient
  penalties and MAML-style inner steps written with a closure).
"""

import numpy as np
import pytest
from bishop_helpers import network, problem

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

D, M, K = 2, 5, 1


def sinusoid(n, rng):
    """The book's data: t = sin(2 pi x) + Gaussian noise, x uniform on [0, 1]."""
    x = rng.uniform(0, 1, (n, 1))
    return x, np.sin(2 * np.pi * x) + rng.normal(0, 0.3, (n, 1))


# ---------------------------------------------------------------- 5.5 weight decay
def test_5_5_weight_decay_adds_lambda_w_and_is_sgds_weight_decay():
    rng = np.random.default_rng(20)
    X, T = sinusoid(10, rng)
    lam, lr = 0.05, 0.1
    by_penalty, by_optimizer = (nn.MLP([1, 6, 1], activation="tanh", seed=1) for _ in range(2))
    sgd_penalty = nn.optim.SGD(by_penalty.parameters(), lr=lr)
    sgd_decay = nn.optim.SGD(by_optimizer.parameters(), lr=lr, weight_decay=lam)
    for _ in range(20):
        for model, opt, penalised in ((by_penalty, sgd_penalty, True), (by_optimizer, sgd_decay, False)):
            opt.zero_grad()
            E = F.mse_loss(model(X), T, reduction="sum") / 2
            if penalised:  # (5.112): E~ = E + lambda/2 w^T w
                E = E + lam / 2 * sum((p**2).sum() for p in model.parameters())
            E.backward()
            opt.step()
    for p, q in zip(by_penalty.parameters(), by_optimizer.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-14)
    w = Tensor(rng.normal(size=7), requires_grad=True)
    (lam / 2 * (w**2).sum()).backward()
    np.testing.assert_allclose(w.grad, lam * w.data, rtol=1e-15)  # the decay term's gradient: lambda w


def test_5_5_1_simple_weight_decay_is_not_invariant_to_rescaling_the_inputs():
    # x -> a x is undone by w_ji -> w_ji / a (5.115): the same function, a different weight-decay penalty
    w, X, _ = problem(seed=21, D=D, M=M, K=K, N=6)
    a, n1 = 3.0, M * (D + 1)
    W1 = w[:n1].reshape(M, D + 1).copy()
    W1[:, 1:] /= a
    scaled = np.concatenate([W1.ravel(), w[n1:]])
    np.testing.assert_allclose(network(Tensor(scaled), a * X, D, M, K).data, network(Tensor(w), X, D, M, K).data)
    assert (scaled**2).sum() < (w**2).sum() - 1e-3  # yet lambda/2 w^T w differs: the book's case for (5.121)


# ---------------------------------------------------------------- 5.5.2 early stopping
def test_5_5_2_early_stopping_stops_near_the_validation_minimum():
    rng = np.random.default_rng(0)
    X, T = sinusoid(12, rng)
    X_val, T_val = sinusoid(100, rng)
    runs = {}
    for patience in (None, 100):
        model = nn.MLP([1, 40, 40, 1], activation="tanh", seed=0)
        opt = nn.optim.Adam(model.parameters(), lr=0.01)
        runs[patience] = nn.fit(
            model, F.mse_loss, opt, X, T, epochs=1500, batch_size=12, validation=(X_val, T_val),
            early_stopping=patience, progress=False, accuracy=None,
        )  # fmt: skip
    full, stopped = runs[None], runs[100]
    # Figure 5.12: the training error falls throughout, the validation error has a minimum, then rises
    assert full.train_loss[-1] < full.train_loss[full.best_epoch] / 10
    assert full.val_loss[-1] > 2 * min(full.val_loss) and 0 < full.best_epoch < full.epochs_run - 500
    assert stopped.stopped_reason == "early_stopping" and stopped.epochs_run == stopped.best_epoch + 101
    assert stopped.best_epoch == full.best_epoch and stopped.val_loss[stopped.best_epoch] == min(full.val_loss)


# ---------------------------------------------------------------- 5.5.4 tangent propagation
def rotation_tangents(X):
    """tau_n = d/dtheta (R_theta x_n) at 0 = (-x2, x1): the tangent of a rotation (Figure 5.15)."""
    return np.stack([-X[:, 1], X[:, 0]], axis=1)


def omega(w, X, tau):
    """(5.127)-(5.128): Omega = 1/2 sum_n sum_k (J_n tau_n)_k^2, J_n tau_n by one jvp in x (w closed over)."""
    _, J_tau = ag.jvp(lambda x: network(w, x, D, M, K), Tensor(X), Tensor(tau))
    return 0.5 * (J_tau**2).sum()


def test_5_5_4_omega_is_zero_for_an_invariant_network_and_closed_form_for_a_linear_one():
    rng = np.random.default_rng(22)
    X, v, W = rng.normal(size=(6, 2)), Tensor(rng.normal(size=3)), rng.normal(size=(3, 2))
    tau = rotation_tangents(X)
    invariant = lambda x: ((x**2).sum(axis=1, keepdims=True) * v).tanh()  # noqa: E731  (depends on |x| only)
    _, J_tau = ag.jvp(invariant, Tensor(X), Tensor(tau))
    assert np.abs(J_tau.data).max() < 1e-15
    _, J_tau = ag.jvp(lambda x: x @ W.T, Tensor(X), Tensor(tau))  # y = W x: J tau = W tau
    np.testing.assert_allclose(J_tau.data, tau @ W.T, rtol=1e-15)


def test_5_5_4_the_gradient_of_omega_wrt_the_weights_passes_finite_differences():
    w, X, _ = problem(seed=23, D=D, M=M, K=K, N=5)
    tau = rotation_tangents(X)
    value, grad = ag.value_and_grad(lambda u: omega(u, X, tau))(Tensor(w))
    assert value.item() > 0 and np.abs(grad.data).max() > 1e-3  # before the fix: zeros, silently
    numeric = central_differences(lambda u: omega(u, X, tau), w)
    np.testing.assert_allclose(grad.data, numeric, rtol=1e-6, atol=1e-9)
    assert ag.gradcheck(lambda u: omega(u, X, tau), Tensor(w, requires_grad=True))
    w_leaf = Tensor(w, requires_grad=True)  # backward() from a closure over a leaf: the same gradient
    omega(w_leaf, X, tau).backward()
    np.testing.assert_allclose(w_leaf.grad, grad.data, rtol=1e-12)


def central_differences(f, w, eps=1e-6):
    """d f / d w_i by (f(w + eps e_i) - f(w - eps e_i)) / 2 eps, f returning a 0-d Tensor."""
    return [(f(Tensor(w + eps * e)).item() - f(Tensor(w - eps * e)).item()) / (2 * eps) for e in np.eye(len(w))]


def test_5_5_4_every_transform_is_differentiable_in_what_f_closes_over():
    rng = np.random.default_rng(24)
    A, x, v = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3)
    f = lambda w, x: (ag.tanh(w * x) ** 2).sum()  # noqa: E731
    readouts = {  # each: a scalar of the transform's result, as a function of the closed-over w
        "jvp": lambda w: ag.jvp(lambda x: f(w, x), Tensor(x), Tensor(v))[1],
        "hvp": lambda w: ag.hvp(lambda x: f(w, x), Tensor(x), Tensor(v))[1].sum(),
        "vjp": lambda w: ag.vjp(lambda x: ag.tanh(w * x), Tensor(x))[1](Tensor(v))[0].sum(),
        "grad": lambda w: ag.value_and_grad(lambda x: f(w, x))(Tensor(x))[1].sum(),
        "jacrev": lambda w: ag.jacrev(lambda x: ag.tanh(w * x))(Tensor(x)).sum(),
        "jacfwd": lambda w: ag.jacfwd(lambda x: ag.tanh(w * x))(Tensor(x)).sum(),
        "hessian": lambda w: ag.hessian(lambda x: f(w, x))(Tensor(x)).sum(),
    }
    w0 = A[0]
    for name, readout in readouts.items():
        _, grad = ag.value_and_grad(readout)(Tensor(w0))
        np.testing.assert_allclose(grad.data, central_differences(readout, w0), rtol=1e-6, atol=1e-8, err_msg=name)
    with ag.no_grad():  # under no_grad nothing is recorded, as before
        out = ag.jvp(lambda x: f(Tensor(w0, requires_grad=True), x), Tensor(x), Tensor(v))[1]
    assert not out.requires_grad


def test_5_5_4_the_tangent_prop_gradient_equals_jax_and_torch_func():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    w, X, _ = problem(seed=23, D=D, M=M, K=K, N=5)
    tau = rotation_tangents(X)

    def jax_net(u, x):
        W1, W2 = u[: M * (D + 1)].reshape(M, D + 1), u[M * (D + 1) :].reshape(K, M + 1)
        z = jnp.tanh(jnp.hstack([jnp.ones((len(x), 1)), x]) @ W1.T)
        return jnp.hstack([jnp.ones((len(x), 1)), z]) @ W2.T

    jax_omega = lambda u: 0.5 * (jax.jvp(lambda x: jax_net(u, x), (X,), (tau,))[1] ** 2).sum()  # noqa: E731
    _, ours = ag.value_and_grad(lambda u: omega(u, X, tau))(Tensor(w))
    np.testing.assert_allclose(ours.data, np.asarray(jax.grad(jax_omega)(w)), rtol=1e-12, atol=1e-14)
    torch = pytest.importorskip("torch")

    def torch_omega(u):
        W1, W2 = u[: M * (D + 1)].reshape(M, D + 1), u[M * (D + 1) :].reshape(K, M + 1)
        one = torch.ones(len(X), 1, dtype=torch.float64)
        net = lambda x: torch.cat([one, torch.tanh(torch.cat([one, x], dim=1) @ W1.T)], dim=1) @ W2.T  # noqa: E731
        return 0.5 * (torch.func.jvp(net, (torch.tensor(X),), (torch.tensor(tau),))[1] ** 2).sum()

    theirs = torch.func.grad(torch_omega)(torch.tensor(w))
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-14)
