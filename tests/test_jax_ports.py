"""JAX's own tutorials, ported step by step (``ag`` for ``jax`` and ``jax.numpy``), each asserting the
tutorial's outcome, proved without JAX (closed forms, finite differences, ``ag.gradcheck``) and, where
JAX is installed (the ``bench`` extra), equal to JAX's own values in float64.

a. Automatic differentiation (docs.jax.dev/en/latest/automatic-differentiation.html)
b. Automatic vectorization (docs.jax.dev/en/latest/automatic-vectorization.html) and jax.vmap's examples;
   JAX 101's "Transformations: grad and vmap" (has_aux, all pairs, per-example gradients, tracing)
c. The Autodiff Cookbook / Advanced automatic differentiation (stop_gradient, per-example gradients,
   Hessian-vector products, jacfwd/jacrev, jvp/vjp, Jacobian-matrix and matrix-Jacobian products)
d. What the ports needed, on its own: vmap's semantics and errors, vjp, jacfwd/jacrev of pytrees,
   stop_gradient, vdot, tensordot, round

Where this engine deliberately differs, the port uses our spelling and says why:
- ``ag.grad`` is ``torch.autograd.grad`` (tensors in, tensors out), so JAX's ``grad(f)`` is
  ``ag.value_and_grad(f)(...)[1]`` (the ``grad`` helper below, used as the tutorials use theirs);
- ``jax.random.key``/``split`` are JAX's counter-based generator: ours is ``ag.manual_seed`` + ``ag.randn``,
  so the numbers differ and the JAX comparisons feed JAX our values;
- ``jax.jit`` compiles any function; ``ag.compile`` compiles a training step (it runs the backward and
  accumulates ``.grad``), so the ports call the functions uncompiled (asserted once, in b).
"""

import math
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def grad(f, argnums=0, has_aux=False):
    """JAX's ``grad(f, argnums, has_aux)``, spelled with ours (ag.grad is torch's tensors-in, tensors-out grad):
    the gradient, or with has_aux the pair (gradient, aux)."""

    def gradient(*args):
        value, g = ag.value_and_grad(f, argnums, has_aux)(*args)
        return (g, value[1]) if has_aux else g

    return gradient


def _jax():
    jax = pytest.importorskip("jax")
    return jax, jax.numpy


def _close(ours, theirs, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(ours.data if isinstance(ours, Tensor) else ours), theirs, rtol, atol)


def test_grad_of_a_function_names_the_jax_spelling():
    with pytest.raises(TypeError, match=r"value_and_grad\(f\)\(x\)\[1\]"):
        ag.grad(ag.tanh)


# ------------------------------------------------------------------ a. Automatic differentiation
def test_a1_grad_of_tanh_three_times_is_the_closed_form():
    grad_tanh = grad(ag.tanh)
    t = math.tanh(2.0)
    assert grad_tanh(2.0).item() == pytest.approx(1 - t**2, rel=1e-14)  # the tutorial prints 0.070650935
    assert grad(grad(ag.tanh))(2.0).item() == pytest.approx(-2 * t * (1 - t**2), rel=1e-14)  # -0.13621868
    assert grad(grad(grad(ag.tanh)))(2.0).item() == pytest.approx((1 - t**2) * (6 * t**2 - 2), rel=1e-13)


def test_a1_the_derivatives_of_a_cubic_at_one_are_4_10_6_0():
    f = lambda x: x**3 + 2 * x**2 - 3 * x + 1  # noqa: E731 (the tutorial's lambda)
    dfdx = grad(f)
    d2fdx = grad(dfdx)
    d3fdx = grad(d2fdx)
    d4fdx = grad(d3fdx)
    assert [d(1.0).item() for d in (dfdx, d2fdx, d3fdx, d4fdx)] == [4.0, 10.0, 6.0, 0.0]
    assert dfdx(2.5).item() == 3 * 2.5**2 + 4 * 2.5 - 3 and d2fdx(2.5).item() == 6 * 2.5 + 4


def sigmoid(x):
    return 0.5 * (ag.tanh(x / 2) + 1)


def predict(W, b, inputs):
    """Outputs probability of a label being true (jnp.dot(inputs, W): ag.dot is torch's 1-d dot, so @)."""
    return sigmoid(inputs @ W + b)


INPUTS = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
TARGETS = np.array([True, True, False, True])


def loss(W, b):
    """Training loss is the negative log-likelihood of the training examples."""
    preds = predict(W, b, INPUTS)
    label_probs = preds * TARGETS + (1 - preds) * (1 - TARGETS)
    return -ag.sum(ag.log(label_probs))


def _coefficients(seed=0):
    ag.manual_seed(seed)  # jax.random.split(key, 3) / random.normal: our generator instead (see the top)
    return ag.randn(3), ag.randn(())


def _closed_form_gradients(W, b):
    """d NLL / dz = p - t for the logit z = x.W + b: X^T (p - t) and sum(p - t)."""
    p = 1 / (1 + np.exp(-(INPUTS @ W.data + b.data)))
    return INPUTS.T @ (p - TARGETS), (p - TARGETS).sum()


def test_a2_logistic_regression_gradients_by_argnums():
    W, b = _coefficients()
    W_grad_closed, b_grad_closed = _closed_form_gradients(W, b)
    W_grad = grad(loss, argnums=0)(W, b)
    _close(W_grad, W_grad_closed)
    _close(grad(loss)(W, b), W_grad)  # argnums=0 is the default
    b_grad = grad(loss, 1)(W, b)
    assert b_grad.shape == () and b_grad.item() == pytest.approx(b_grad_closed, rel=1e-12)
    W_grad, b_grad = grad(loss, (0, 1))(W, b)
    _close(W_grad, W_grad_closed)
    _close(b_grad, b_grad_closed)
    assert not W.requires_grad and W.grad is None  # the transforms leave the caller's tensors alone


def loss2(params_dict):
    preds = predict(params_dict["W"], params_dict["b"], INPUTS)
    label_probs = preds * TARGETS + (1 - preds) * (1 - TARGETS)
    return -ag.sum(ag.log(label_probs))


def test_a3_gradients_of_nested_lists_tuples_and_dicts_keep_their_shape():
    W, b = _coefficients()
    W_grad, b_grad = _closed_form_gradients(W, b)
    grads = grad(loss2)({"W": W, "b": b})
    assert isinstance(grads, dict) and list(grads) == ["W", "b"]
    _close(grads["W"], W_grad)
    _close(grads["b"], b_grad)
    nested = grad(lambda p: loss(p[0], p[1][0]))([W, [b]])
    assert isinstance(nested, list) and isinstance(nested[1], list)
    _close(nested[0], W_grad)
    _close(nested[1][0], b_grad)


def test_a4_value_and_grad_gives_the_loss_and_both_gradients():
    W, b = _coefficients()
    loss_value, Wb_grad = ag.value_and_grad(loss, (0, 1))(W, b)
    assert loss_value.item() == loss(W, b).item()
    for ours, closed in zip(Wb_grad, _closed_form_gradients(W, b)):
        _close(ours, closed)


def test_a5_gradients_agree_with_finite_differences_to_second_order():
    W, b = _coefficients()
    eps = 1e-4
    b_grad_numerical = (loss(W, b + eps / 2.0) - loss(W, b - eps / 2.0)) / eps
    assert grad(loss, 1)(W, b).item() == pytest.approx(b_grad_numerical.item(), rel=1e-7)
    ag.manual_seed(1)
    vec = ag.randn(*W.shape)
    unitvec = vec / ag.sqrt(ag.vdot(vec, vec))
    W_grad_numerical = (loss(W + eps / 2.0 * unitvec, b) - loss(W - eps / 2.0 * unitvec, b)) / eps
    assert ag.vdot(grad(loss)(W, b), unitvec).item() == pytest.approx(W_grad_numerical.item(), rel=1e-7)
    # jax.test_util.check_grads(loss, (W, b), order=2): gradcheck the loss, then its gradient
    Wr, br = W.detach().requires_grad_(), b.detach().requires_grad_()
    assert ag.gradcheck(loss, (Wr, br))
    assert ag.gradcheck(lambda W, b: grad(loss, (0, 1))(W, b), (Wr, br))


def test_a_matches_jax():
    jax, jnp = _jax()
    W, b = _coefficients()
    with jax.enable_x64(True):
        jsig = lambda x: 0.5 * (jnp.tanh(x / 2) + 1)  # noqa: E731

        def jloss(W, b):
            preds = jsig(jnp.dot(jnp.asarray(INPUTS), W) + b)
            label_probs = preds * TARGETS + (1 - preds) * (1 - TARGETS)
            return -jnp.sum(jnp.log(label_probs))

        jW, jb = jnp.asarray(W.data), jnp.asarray(b.data)
        for ours, theirs in [
            (grad(grad(grad(ag.tanh)))(2.0), jax.grad(jax.grad(jax.grad(jnp.tanh)))(2.0)),
            (ag.value_and_grad(loss, (0, 1))(W, b)[0], jax.value_and_grad(jloss, (0, 1))(jW, jb)[0]),
        ]:
            _close(ours, theirs)
        ours_grads, their_grads = grad(loss, (0, 1))(W, b), jax.grad(jloss, (0, 1))(jW, jb)
        for ours, theirs in zip(ours_grads, their_grads):
            _close(ours, theirs)
        their_dict = jax.grad(lambda p: jloss(p["W"], p["b"]))({"W": jW, "b": jb})
        ours_dict = grad(loss2)({"W": W, "b": b})
        for key in ("W", "b"):
            _close(ours_dict[key], their_dict[key])


# ------------------------------------------------------------------ b. Automatic vectorization
def convolve(x, w):
    output = []
    for i in range(1, len(x) - 1):
        output.append(ag.dot(x[i - 1 : i + 2], w))
    return ag.stack(output)  # jnp.array(output): ag.tensor of Tensors would copy the values out of the graph


X5, W3 = ag.arange(5), ag.tensor([2.0, 3.0, 4.0])
CONVOLVED = [11.0, 20.0, 29.0]


def test_b_convolve_and_its_manual_batching():
    assert convolve(X5, W3).tolist() == CONVOLVED
    xs, ws = ag.stack([X5, X5]), ag.stack([W3, W3])

    def manually_batched_convolve(xs, ws):
        output = []
        for i in range(xs.shape[0]):
            output.append(convolve(xs[i], ws[i]))
        return ag.stack(output)

    def manually_vectorized_convolve(xs, ws):
        output = []
        for i in range(1, xs.shape[-1] - 1):
            output.append(ag.sum(xs[:, i - 1 : i + 2] * ws, axis=1))
        return ag.stack(output, axis=1)

    assert manually_batched_convolve(xs, ws).tolist() == [CONVOLVED, CONVOLVED]
    assert manually_vectorized_convolve(xs, ws).tolist() == [CONVOLVED, CONVOLVED]


def test_b_vmap_batches_convolve_on_any_axis_and_shares_an_unmapped_argument():
    rng = np.random.default_rng(0)
    xs, ws = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    expected = np.stack([np.convolve(x, w[::-1], "valid") for x, w in zip(xs, ws)])  # closed form: a correlation
    auto_batch_convolve = ag.vmap(convolve)
    _close(auto_batch_convolve(Tensor(xs), Tensor(ws)), expected)
    auto_batch_convolve_v2 = ag.vmap(convolve, in_axes=1, out_axes=1)
    xst, wst = ag.transpose(Tensor(xs)), ag.transpose(Tensor(ws))
    _close(auto_batch_convolve_v2(xst, wst), expected.T)
    batch_convolve_v3 = ag.vmap(convolve, in_axes=[0, None])
    _close(batch_convolve_v3(Tensor(xs), Tensor(ws[0])), np.stack([np.convolve(x, ws[0][::-1], "valid") for x in xs]))
    _close(auto_batch_convolve(xs, ws), expected)  # numpy arrays work as they are


def test_b_jit_is_not_compile_here():
    """jax.jit(auto_batch_convolve) compiles any function; ag.compile compiles a training step and runs its
    backward, so it refuses a result that is not a loss: the port calls vmap's function uncompiled."""
    xs, ws = ag.stack([X5, X5]), ag.stack([W3, W3])
    with pytest.raises(RuntimeError, match="backward"):
        ag.compile(ag.vmap(convolve))(xs, ws)
    assert ag.vmap(convolve)(xs, ws).tolist() == [CONVOLVED, CONVOLVED]


def test_b_a_training_step_whose_loss_is_a_vmap_compiles_and_replays():
    """What ag.compile does compile: a step whose loss averages a vmap's per-example losses (jit of vmap inside a
    loss). It replays (no CompileWarning) and equals define-by-run on fresh batches."""
    rng = np.random.default_rng(10)
    W = Tensor(rng.normal(size=3), requires_grad=True)

    def step(W, X, y):
        per_example = ag.vmap(lambda x, t: -ag.log(t * sigmoid(ag.dot(x, W)) + (1 - t) * (1 - sigmoid(ag.dot(x, W)))))
        return per_example(X, y).mean()

    compiled = ag.compile(step)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ag.CompileWarning)
        for _ in range(4):
            X, y = Tensor(rng.normal(size=(6, 3))), Tensor((rng.random(6) > 0.5).astype(float))
            W.grad = None
            compiled_loss, compiled_grad = compiled(W, X, y).item(), W.grad.copy()
            W.grad = None
            step(W, X, y).backward()
            assert compiled_loss == step(W, X, y).item() and np.array_equal(compiled_grad, W.grad)


def pairwise(f, xs):
    return ag.vmap(lambda x: ag.vmap(lambda y: f(x, y))(xs))(xs)


def test_b_pairwise_distances_with_nested_vmap_and_their_gradients():
    rng = np.random.default_rng(1)
    points = rng.normal(size=(5, 3))
    dist = lambda x, y: ag.sqrt(ag.sum((x - y) ** 2))  # noqa: E731
    expected = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    _close(pairwise(dist, Tensor(points)), expected, rtol=1e-14, atol=1e-15)
    # gradients through two vmaps (squared distances: sqrt has no derivative at the diagonal's 0)
    xs = Tensor(points, requires_grad=True)
    assert ag.gradcheck(lambda xs: pairwise(lambda x, y: ag.sum((x - y) ** 2), xs), xs)


def test_b_batched_matrix_vector_and_matrix_matrix_products_from_dot():
    """jax.vmap's own example: mv = vmap(dot, (0, None), 0), mm = vmap(mv, (None, 1), 1)."""
    rng = np.random.default_rng(2)
    A, B, v = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=3)
    mv = ag.vmap(ag.dot, (0, None), 0)
    mm = ag.vmap(mv, (None, 1), 1)
    _close(mv(Tensor(A), Tensor(v)), A @ v, rtol=1e-14, atol=1e-15)
    _close(mm(Tensor(A), Tensor(B)), A @ B, rtol=1e-14, atol=1e-15)
    At, Bt = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    assert ag.gradcheck(mm, (At, Bt))


def test_b_matches_jax():
    jax, jnp = _jax()
    rng = np.random.default_rng(3)
    xs, ws, B = rng.normal(size=(3, 6)), rng.normal(size=(3, 3)), rng.normal(size=(6, 2))

    def jconvolve(x, w):
        return jnp.array([jnp.dot(x[i - 1 : i + 2], w) for i in range(1, len(x) - 1)])

    with jax.enable_x64(True):
        _close(ag.vmap(convolve)(xs, ws), jax.vmap(jconvolve)(xs, ws))
        _close(ag.vmap(convolve, 1, 1)(xs.T, ws.T), jax.vmap(jconvolve, 1, 1)(xs.T, ws.T))
        _close(ag.vmap(convolve, [0, None])(xs, ws[0]), jax.vmap(jconvolve, [0, None])(xs, ws[0]))
        jmm = jax.vmap(jax.vmap(jnp.dot, (0, None), 0), (None, 1), 1)
        _close(ag.vmap(ag.vmap(ag.dot, (0, None), 0), (None, 1), 1)(xs, B), jmm(xs, B))
        # out_axes=-1 and a pytree of results
        ours = ag.vmap(lambda x: {"sum": x.sum(), "twice": (x * 2,)}, out_axes={"sum": 0, "twice": (-1,)})(xs)
        theirs = jax.vmap(lambda x: {"sum": x.sum(), "twice": (x * 2,)}, out_axes={"sum": 0, "twice": (-1,)})(xs)
        _close(ours["sum"], theirs["sum"])
        _close(ours["twice"][0], theirs["twice"][0])


# JAX 101, "Transformations: grad and vmap": its W and b are given, so JAX's own printed values apply
W101, B101 = Tensor([0.1, 0.4, -0.3]), 0.5


def test_b_101_has_aux_returns_the_gradient_and_the_predictions():
    def loss_and_preds(W, b):
        preds = predict(W, b, INPUTS)
        label_probs = preds * TARGETS + (1 - preds) * (1 - TARGETS)
        return -ag.sum(ag.log(label_probs)), preds

    W_grad, preds = grad(loss_and_preds, has_aux=True)(W101, B101)
    p = 1 / (1 + np.exp(-(INPUTS @ W101.data + B101)))
    _close(preds, p, rtol=1e-14, atol=0)
    _close(W_grad, INPUTS.T @ (p - TARGETS))


def example_loss(W, b, x, y):
    pred = predict(W, b, x)
    label_prob = pred * y + (1 - pred) * (1 - y)
    return -ag.log(label_prob)


def test_b_101_all_pairs_and_per_example_gradients():
    def dist(x, y):
        return ag.sqrt(ag.sum((x - y) ** 2))

    def all_pairs(f):
        return ag.vmap(ag.vmap(f, in_axes=(None, 0)), in_axes=(0, None))

    points = ag.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    _close(all_pairs(dist)(points, points), [[0, 1, 2], [1, 0, math.sqrt(5)], [2, math.sqrt(5), 0]], 1e-15, 0)
    per_example_grads = ag.vmap(grad(example_loss, (0, 1)), in_axes=(None, None, 0, 0))
    W_grads, b_grads = per_example_grads(W101, B101, INPUTS, TARGETS)
    residual = 1 / (1 + np.exp(-(INPUTS @ W101.data + B101))) - TARGETS
    assert W_grads.shape == (4, 3) and b_grads.shape == (4,)  # one gradient per example
    _close(W_grads, INPUTS * residual[:, None])
    _close(b_grads, residual)
    _close(W_grads.sum(axis=0), grad(loss)(W101, B101))


def test_b_101_tracing_is_where_this_vmap_differs_on_purpose():
    """JAX traces f once: a print runs once, and a Python `if` on a batched value is an error (jnp.where is the
    fix). Here f runs once per example, so a print runs per example and the `if` is simply each example's."""
    calls = []

    def f(x):
        calls.append(x.shape)
        return x * 2

    assert ag.vmap(f)(ag.arange(3)).tolist() == [0, 2, 4] and calls == [(), (), ()]

    def absolute(x):
        if x > 0:
            return x
        else:
            return -x

    xs = ag.arange(-2.0, 3.0)
    assert ag.vmap(absolute)(xs).tolist() == [2.0, 1.0, 0.0, 1.0, 2.0]
    assert ag.vmap(lambda x: ag.where(x > 0, x, -x))(xs).tolist() == [2.0, 1.0, 0.0, 1.0, 2.0]


def test_b_101_matches_jax():
    jax, jnp = _jax()
    with jax.enable_x64(True):
        jW, jinputs = jnp.asarray(W101.data), jnp.asarray(INPUTS)

        def jexample_loss(W, b, x, y):
            pred = 0.5 * (jnp.tanh((jnp.dot(x, W) + b) / 2) + 1)
            return -jnp.log(pred * y + (1 - pred) * (1 - y))

        theirs = jax.vmap(jax.grad(jexample_loss, (0, 1)), in_axes=(None, None, 0, 0))(jW, B101, jinputs, TARGETS)
        ours = ag.vmap(grad(example_loss, (0, 1)), in_axes=(None, None, 0, 0))(W101, B101, INPUTS, TARGETS)
        for mine, jax_value in zip(ours, theirs):
            _close(mine, jax_value)
        jdist = lambda x, y: jnp.sqrt(jnp.sum((x - y) ** 2))  # noqa: E731
        points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, -1.0]])
        jpairs = jax.vmap(jax.vmap(jdist, in_axes=(None, 0)), in_axes=(0, None))(points, points)
        _close(pairwise(lambda x, y: ag.sqrt(ag.sum((x - y) ** 2)), points), jpairs)


# ------------------------------------------------------------------ c. The Autodiff Cookbook
def test_c_hessian_as_jacfwd_of_grad_of_a_dot_product_is_twice_the_identity():
    def hessian(f):
        return ag.jacfwd(grad(f))

    f = lambda x: ag.dot(x, x)  # noqa: E731
    assert hessian(f)(Tensor([1.0, 2.0, 3.0])).tolist() == (2 * np.eye(3)).tolist()


def test_c_maml_differentiates_through_a_gradient_step():
    rng = np.random.default_rng(4)
    A, y, lr = rng.normal(size=(6, 3)), rng.normal(size=6), 0.1
    loss_fn = lambda params, data: 0.5 * ag.sum((data[0] @ params - data[1]) ** 2)  # noqa: E731
    data = (A, y)

    def meta_loss_fn(params, data):
        """Computes the loss after one step of SGD."""
        grads = grad(loss_fn)(params, data)
        return loss_fn(params - lr * grads, data)

    params = Tensor(rng.normal(size=3))
    meta_grads = grad(meta_loss_fn)(params, data)
    # closed form: p' = p - lr H(p) ... with H = A^T A: d meta / dp = (I - lr H) A^T (A p' - y)
    H = A.T @ A
    stepped = params.data - lr * (H @ params.data - A.T @ y)
    _close(meta_grads, (np.eye(3) - lr * H) @ (A.T @ (A @ stepped - y)), rtol=1e-12, atol=1e-12)
    assert ag.gradcheck(lambda p: meta_loss_fn(p, data), params.detach().requires_grad_())


value_fn = lambda theta, state: ag.dot(theta, state)  # noqa: E731
THETA = Tensor([0.1, -0.1, 0.0])
S_TM1, R_T, S_T = Tensor([1.0, 2.0, -1.0]), Tensor(1.0), Tensor([2.0, 1.0, 0.0])


def td_loss_naive(theta, s_tm1, r_t, s_t):
    v_tm1 = value_fn(theta, s_tm1)
    target = r_t + value_fn(theta, s_t)
    return -0.5 * ((target - v_tm1) ** 2)


def td_loss(theta, s_tm1, r_t, s_t):
    v_tm1 = value_fn(theta, s_tm1)
    target = r_t + value_fn(theta, s_t)
    return -0.5 * ((ag.stop_gradient(target) - v_tm1) ** 2)


def test_c_stop_gradient_gives_the_td0_update():
    naive = grad(td_loss_naive)(THETA, S_TM1, R_T, S_T)
    np.testing.assert_allclose(naive.data, [-1.2, 1.2, -1.2], rtol=1e-14)  # the target's dependence included
    delta_theta = grad(td_loss)(THETA, S_TM1, R_T, S_T)
    np.testing.assert_allclose(delta_theta.data, [1.2, 2.4, -1.2], rtol=1e-14)
    s_grad = grad(value_fn)(THETA, S_TM1)
    original = (R_T + value_fn(THETA, S_T) - value_fn(THETA, S_TM1)) * s_grad
    _close(original, delta_theta.data, rtol=1e-14, atol=0)


def test_c_straight_through_estimator_with_stop_gradient():
    f = lambda x: ag.round(x)  # noqa: E731 (non-differentiable: its gradient is zero, as jnp.round's)

    def straight_through_f(x):
        zero = x - ag.stop_gradient(x)  # exactly zero, with an exactly-one gradient (Sterbenz)
        return zero + ag.stop_gradient(f(x))

    assert f(3.2).item() == 3.0 and straight_through_f(3.2).item() == 3.0
    assert grad(f)(3.2).item() == 0.0 and grad(straight_through_f)(3.2).item() == 1.0


def test_c_per_example_gradients_with_vmap_of_grad():
    batched_s_tm1, batched_r_t, batched_s_t = ag.stack([S_TM1, S_TM1]), ag.stack([R_T, R_T]), ag.stack([S_T, S_T])
    dtdloss_dtheta = grad(td_loss)
    one = dtdloss_dtheta(THETA, S_TM1, R_T, S_T)
    almost_perex_grads = ag.vmap(dtdloss_dtheta)
    batched_theta = ag.stack([THETA, THETA])
    assert almost_perex_grads(batched_theta, batched_s_tm1, batched_r_t, batched_s_t).tolist() == [one.tolist()] * 2
    inefficient_perex_grads = ag.vmap(dtdloss_dtheta, in_axes=(None, 0, 0, 0))  # jit: not here (see b)
    perex = inefficient_perex_grads(THETA, batched_s_tm1, batched_r_t, batched_s_t)
    np.testing.assert_allclose(perex.data, [[1.2, 2.4, -1.2]] * 2, rtol=1e-14)


def test_c_per_example_gradients_of_logistic_regression_sum_to_the_batch_gradient():
    """The brief's composition: vmap(value_and_grad(loss), in_axes=(None, 0, 0)) over the examples."""
    W, _ = _coefficients()

    def example_loss(W, x, t):
        p = sigmoid(ag.dot(x, W))
        return -ag.log(p * t + (1 - p) * (1 - t))

    losses, per_example = ag.vmap(ag.value_and_grad(example_loss), in_axes=(None, 0, 0))(W, INPUTS, TARGETS)
    p = 1 / (1 + np.exp(-(INPUTS @ W.data)))
    _close(per_example, INPUTS * (p - TARGETS)[:, None])  # closed form: x_i (p_i - t_i), one row each
    _close(losses, -np.log(np.where(TARGETS, p, 1 - p)))
    _close(per_example.sum(axis=0), grad(lambda W: loss(W, 0.0))(W))
    # the same with JAX-style parameters in a dict: the per-example gradients come back as a dict of stacks
    dict_loss = lambda params, x, t: example_loss(params["W"], x, t) + 0 * params["b"]  # noqa: E731
    _, dict_grads = ag.vmap(ag.value_and_grad(dict_loss), in_axes=(None, 0, 0))({"W": W, "b": 0.0}, INPUTS, TARGETS)
    assert list(dict_grads) == ["W", "b"] and dict_grads["b"].shape == (4,) and not dict_grads["b"].data.any()
    _close(dict_grads["W"], per_example.data)
    # differentiable in W as well: the per-example gradients' own Jacobian, against finite differences
    assert ag.gradcheck(
        lambda W: ag.vmap(grad(example_loss), in_axes=(None, 0, 0))(W, INPUTS, TARGETS), W.detach().requires_grad_()
    )


def hvp_revrev(f, x, v):
    return grad(lambda x: ag.vdot(grad(f)(x), v))(x)


def hvp(f, primals, tangents):
    """forward-over-reverse."""
    return ag.jvp(grad(f), primals, tangents)[1]


def hvp_revfwd(f, primals, tangents):
    g = lambda primals: ag.jvp(f, primals, tangents)[1]  # noqa: E731
    return grad(g)(primals)


def f_tanh_squares(X):
    return ag.sum(ag.tanh(X) ** 2)


def test_c_hessian_vector_products_three_ways_equal_the_dense_hessian():
    rng = np.random.default_rng(5)
    X, V = Tensor(rng.normal(size=(5, 4))), Tensor(rng.normal(size=(5, 4)))  # the tutorial's (30, 40), smaller
    t = np.tanh(X.data)
    closed = 2 * (1 - t**2) * (1 - 3 * t**2) * V.data  # d2/dx2 tanh(x)^2, a diagonal Hessian
    H = ag.jacfwd(ag.jacrev(f_tanh_squares))(X)
    assert H.shape == (5, 4, 5, 4)
    ans1 = hvp(f_tanh_squares, (X,), (V,))
    ans2 = ag.tensordot(H, V, 2)
    assert np.allclose(ans1.data, ans2.data, 1e-4, 1e-4)  # the tutorial's check, then ours, tighter
    for ans in (ans1, ans2, hvp_revrev(f_tanh_squares, X, V), hvp_revfwd(f_tanh_squares, (X,), (V,))[0]):
        _close(ans, closed, rtol=1e-12, atol=1e-13)
    _close(ag.hvp(f_tanh_squares, X, V)[1], closed, rtol=1e-12, atol=1e-13)


def _sigmoid_derivatives(W, b):
    p = 1 / (1 + np.exp(-(INPUTS @ W.data + b.data)))
    return p, p * (1 - p)


def test_c_jacfwd_and_jacrev_of_the_predictions_and_of_a_dict():
    W, b = _coefficients()
    f = lambda W: predict(W, b, INPUTS)  # noqa: E731
    p, dp = _sigmoid_derivatives(W, b)
    for J in (ag.jacfwd(f)(W), ag.jacrev(f)(W)):
        assert J.shape == (4, 3)
        _close(J, dp[:, None] * INPUTS, rtol=1e-12, atol=1e-15)  # diag(p (1 - p)) X

    def predict_dict(params, inputs):
        return predict(params["W"], params["b"], inputs)

    J_dict = ag.jacrev(predict_dict)({"W": W, "b": b}, INPUTS)
    assert list(J_dict) == ["W", "b"] and J_dict["W"].shape == (4, 3) and J_dict["b"].shape == (4,)
    _close(J_dict["W"], dp[:, None] * INPUTS, rtol=1e-12, atol=1e-15)
    _close(J_dict["b"], dp, rtol=1e-12, atol=1e-15)
    _close(ag.jacfwd(predict_dict)({"W": W, "b": b}, INPUTS)["b"], dp, rtol=1e-12, atol=1e-15)

    def hessian(f):
        return ag.jacfwd(ag.jacrev(f))

    H = hessian(f)(W)
    assert H.shape == (4, 3, 3)  # f: R^3 -> R^4, so a 4 x 3 x 3 Hessian
    closed = (dp * (1 - 2 * p))[:, None, None] * INPUTS[:, :, None] * INPUTS[:, None, :]
    _close(H, closed, rtol=1e-11, atol=1e-14)
    _close(ag.jacrev(ag.jacfwd(f))(W), closed, rtol=1e-11, atol=1e-14)


def test_c_jvp_pushes_forward_and_vjp_pulls_back():
    W, b = _coefficients()
    f = lambda W: predict(W, b, INPUTS)  # noqa: E731
    J = _sigmoid_derivatives(W, b)[1][:, None] * INPUTS
    ag.manual_seed(2)
    v = ag.randn(*W.shape)
    y, u = ag.jvp(f, (W,), (v,))
    _close(y, f(W))
    _close(u, J @ v.data, rtol=1e-12, atol=1e-15)
    y, vjp_fun = ag.vjp(f, W)
    u = ag.randn(*y.shape)
    (v,) = vjp_fun(u)  # one cotangent per primal, as JAX's
    _close(v, J.T @ u.data, rtol=1e-12, atol=1e-15)


def test_c_vector_valued_gradients_with_vjp():
    def vgrad(f, x):
        y, vjp_fn = ag.vjp(f, x)
        return vjp_fn(ag.ones(y.shape))[0]

    assert vgrad(lambda x: 3 * x**2, ag.ones((2, 2))).tolist() == [[6.0, 6.0], [6.0, 6.0]]


def test_c_matrix_jacobian_and_jacobian_matrix_products_loop_equals_vmap():
    W, b = _coefficients()
    f = lambda W: predict(W, b, INPUTS)  # noqa: E731
    J = _sigmoid_derivatives(W, b)[1][:, None] * INPUTS

    def loop_mjp(f, x, M):
        _y, vjp_fun = ag.vjp(f, x)
        return ag.stack([vjp_fun(mi)[0] for mi in M])  # jnp.vstack of the one-element tuples

    def vmap_mjp(f, x, M):
        _y, vjp_fun = ag.vjp(f, x)
        (outs,) = ag.vmap(vjp_fun)(M)
        return outs

    ag.manual_seed(3)
    U = ag.randn(32, 4)  # the tutorial's 128 covectors, fewer
    loop_vs, vmap_vs = loop_mjp(f, W, M=U), vmap_mjp(f, W, M=U)
    assert np.allclose(loop_vs.data, vmap_vs.data)
    _close(vmap_vs, U.data @ J, rtol=1e-12, atol=1e-14)

    def loop_jmp(f, W, M):
        return ag.stack([ag.jvp(f, (W,), (mi,))[1] for mi in M])

    def vmap_jmp(f, W, M):
        _jvp = lambda s: ag.jvp(f, (W,), (s,))[1]  # noqa: E731
        return ag.vmap(_jvp)(M)

    S = ag.randn(32, 3)
    loop_vs, vmap_vs = loop_jmp(f, W, M=S), vmap_jmp(f, W, M=S)
    assert np.allclose(loop_vs.data, vmap_vs.data)
    _close(vmap_vs, S.data @ J.T, rtol=1e-12, atol=1e-14)


def test_c_jacrev_and_jacfwd_as_vmap_of_vjp_and_jvp_over_the_identity():
    W, b = _coefficients()
    f = lambda W: predict(W, b, INPUTS)  # noqa: E731

    def our_jacrev(f):
        def jacfun(x):
            y, vjp_fun = ag.vjp(f, x)
            (J,) = ag.vmap(vjp_fun, in_axes=0)(ag.eye(len(y)))
            return J

        return jacfun

    def our_jacfwd(f):
        def jacfun(x):
            _jvp = lambda s: ag.jvp(f, (x,), (s,))[1]  # noqa: E731
            Jt = ag.vmap(_jvp, in_axes=1)(ag.eye(len(x)))
            return ag.transpose(Jt)

        return jacfun

    assert np.allclose(ag.jacrev(f)(W).data, our_jacrev(f)(W).data), "Incorrect reverse-mode Jacobian results!"
    assert np.allclose(ag.jacfwd(f)(W).data, our_jacfwd(f)(W).data), "Incorrect forward-mode Jacobian results!"


def test_c_vjp_through_python_control_flow():
    def f(x):
        try:
            if x < 3:
                return 2 * x**3
            else:
                raise ValueError
        except ValueError:
            return math.pi * x

    y, f_vjp = ag.vjp(f, 4.0)
    assert y.item() == pytest.approx(4 * math.pi) and f_vjp(1.0)[0].item() == pytest.approx(math.pi)  # jit: see b
    y, f_vjp = ag.vjp(f, 2.0)
    assert f_vjp(1.0)[0].item() == 24.0


def test_c_complex_numbers_are_refused_clearly():
    """The cookbook's complex section has no port: the engine is real-valued, and says so."""
    with pytest.raises(TypeError, match="complex"):
        grad(lambda z: z * z)(3.0 + 4j)


def test_c_matches_jax():
    jax, jnp = _jax()
    W, b = _coefficients()
    rng = np.random.default_rng(6)
    X, V, U = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(8, 4))
    with jax.enable_x64(True):
        jW, jb = jnp.asarray(W.data), jnp.asarray(b.data)
        jf = lambda W: 0.5 * (jnp.tanh((jnp.asarray(INPUTS) @ W + jb) / 2) + 1)  # noqa: E731
        f = lambda W: predict(W, b, INPUTS)  # noqa: E731
        _close(ag.jacfwd(ag.jacrev(f))(W), jax.jacfwd(jax.jacrev(jf))(jW), rtol=1e-11, atol=1e-14)
        _close(ag.jacrev(f)(W), jax.jacrev(jf)(jW))
        _close(ag.vjp(f, W)[1](U[0])[0], jax.vjp(jf, jW)[1](U[0])[0])
        _close(ag.vmap(ag.vjp(f, W)[1])(U)[0], jax.vmap(jax.vjp(jf, jW)[1])(U)[0])
        jfx = lambda X: jnp.sum(jnp.tanh(X) ** 2)  # noqa: E731
        _close(hvp(f_tanh_squares, (Tensor(X),), (Tensor(V),)), jax.jvp(jax.grad(jfx), (X,), (V,))[1])
        jtd = lambda th, s1, r, s2: -0.5 * ((jax.lax.stop_gradient(r + th @ s2) - th @ s1) ** 2)  # noqa: E731
        batch = [np.stack([a.data] * 3) for a in (S_TM1, R_T, S_T)]
        ours = ag.vmap(grad(td_loss), in_axes=(None, 0, 0, 0))(THETA, *batch)
        _close(ours, jax.vmap(jax.grad(jtd), in_axes=(None, 0, 0, 0))(THETA.data, *batch))
        _close(grad(lambda x: x - ag.stop_gradient(x) + ag.stop_gradient(ag.round(x)))(3.2), 1.0)


# ------------------------------------------------------------------ d. what the ports needed
def test_d_vmap_calls_f_once_per_example_with_unbatched_slices():
    seen = []

    def f(x, y):
        seen.append((x.shape, y.shape))
        return x.sum() + y.sum()

    out = ag.vmap(f, in_axes=(1, None))(np.ones((2, 3, 4)), np.ones(5))
    assert out.shape == (3,) and seen == [((2, 4), (5,))] * 3
    assert isinstance(out, np.ndarray)  # numpy in, numpy f: numpy out (no graph to keep)


def test_d_vmap_axes_pytrees_keywords_and_axis_size():
    rng = np.random.default_rng(7)
    a, b, c = rng.normal(size=(4, 2)), rng.normal(size=(3, 4)), rng.normal(size=2)

    def f(tree, scale=1.0):
        x, (y, z) = tree
        return {"dot": ag.dot(Tensor(x), Tensor(z)) * scale, "y": Tensor(y)}

    out = ag.vmap(f, in_axes=((0, (1, None)),), out_axes={"dot": 0, "y": -1})((a, (b, c)))
    _close(out["dot"], a @ c, rtol=1e-14, atol=1e-15)
    _close(out["y"], b, rtol=0, atol=0)  # column i of b is example i's y, put back on the last axis
    scaled = ag.vmap(f, in_axes=((0, (1, None)),))((a, (b, c)), scale=np.arange(4.0))  # keywords: axis 0
    _close(scaled["dot"], (a @ c) * np.arange(4.0), rtol=1e-14, atol=1e-15)
    assert ag.vmap(lambda: ag.ones(2), in_axes=(), axis_size=3)().shape == (3, 2)
    assert ag.vmap(lambda x, w: x * w, in_axes=(0, None))(Tensor([1.0, 2.0]), 3.0).tolist() == [3.0, 6.0]
    assert ag.vmap(lambda x: x, in_axes=-1)(np.arange(6.0).reshape(2, 3)).shape == (3, 2)
    assert ag.vmap(lambda x, k: k, in_axes=(0, None), out_axes=None)(np.ones(3), 7) == 7  # every example shares it


def test_d_vmap_gradients_flow_to_mapped_and_shared_inputs():
    rng = np.random.default_rng(8)
    xs, w = Tensor(rng.normal(size=(4, 3)), requires_grad=True), Tensor(rng.normal(size=3), requires_grad=True)
    out = ag.vmap(lambda x, w: ag.tanh(x * w).sum(), in_axes=(0, None))(xs, w)
    (out * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    sech2 = 1 - np.tanh(xs.data * w.data) ** 2
    weights = np.arange(1.0, 5.0)[:, None]
    _close(xs.grad, weights * sech2 * w.data, rtol=1e-14, atol=1e-15)
    _close(w.grad, (weights * sech2 * xs.data).sum(axis=0), rtol=1e-13, atol=1e-15)
    (gx,) = ag.grad(ag.vmap(lambda x: (x**3).sum())(xs).sum(), xs)  # torch's grad(outputs, inputs) as well
    _close(gx, 3 * xs.data**2, rtol=1e-14, atol=0)
    assert ag.gradcheck(lambda xs, w: ag.vmap(lambda x: x * w, out_axes=-1)(xs), (xs, w))
    # and the other way round: jacobian of a vmap, vmap of a jacobian (per-example Jacobians)
    per_example = ag.vmap(ag.jacrev(lambda x: ag.tanh(x) * 2))(xs.detach())
    _close(per_example, np.stack([np.diag(2 * s) for s in 1 - np.tanh(xs.data) ** 2]), rtol=1e-14, atol=1e-15)
    _close(ag.jacobian(ag.vmap(lambda x: x.sum()))(xs.detach()), np.kron(np.eye(4), np.ones(3)).reshape(4, 4, 3))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ag.vmap(lambda a, b: a + b)(np.ones((3, 2)), np.ones((4, 2))), ValueError,
         r"vmap got inconsistent sizes for the mapped axis: argument 0 of shape \(3, 2\) has size 3 on axis 0, "
         r"argument 1 of shape \(4, 2\) has size 4"),
        (lambda: ag.vmap(lambda a: a, in_axes=2)(np.ones((3, 2))), ValueError,
         r"in_axes 2 for argument 0 of shape \(3, 2\) is out of range: a 2-d array has axes -2..1"),
        (lambda: ag.vmap(lambda a: a)(Tensor(3.0)), ValueError, r"argument 0 of shape \(\) .* no axis to map"),
        (lambda: ag.vmap(lambda a: a, in_axes=None)(np.ones(3)), ValueError, "maps no argument .* axis_size"),
        (lambda: ag.vmap(lambda a: a, in_axes=(0, 0))(np.ones(3)), ValueError, "in_axes has 2 entries .* 1 posit"),
        (lambda: ag.vmap(lambda a: a, in_axes={"a": 0}), TypeError, r"wrap it: in_axes=\(\{...\},\)"),
        (lambda: ag.vmap(lambda a: a, in_axes=0.5), TypeError, "in_axes must hold ints"),
        (lambda: ag.vmap(lambda d: d, in_axes=({"b": 0},))({"a": np.ones(2)}), ValueError,
         r"in_axes \{'b': 0\} does not match the structure of argument 0 \(dict of length 1\)"),
        (lambda: ag.vmap(lambda a: a)("text"), TypeError,
         r"argument 0 is a str, which has no axis to map; give it in_axes None \(shared by every example\)"),
        (lambda: ag.vmap(lambda a, k: a * k)(np.ones(3), k=2.0), ValueError,
         r"keyword argument 'k' of shape \(\) .* no axis to map: pass it positionally with in_axes None, or bind it "
         "with functools.partial"),
        (lambda: ag.vmap(lambda a: a, out_axes=None)(np.arange(3.0)), ValueError,
         "out_axes None for result, but its values differ between examples"),
        (lambda: ag.vmap(lambda a: a, out_axes=2)(np.arange(3.0)), ValueError, "out_axes 2 for result .* out of range"),
        (lambda: ag.vmap(lambda a: np.ones(int(a) + 1))(np.arange(2.0)), ValueError,
         r"result has shapes \[\(1,\), \(2,\)\] across examples"),
        (lambda: ag.vmap(lambda a: (a,) if a > 0 else {"a": a})(Tensor([0.0, 1.0])), ValueError,
         r"f returned \{'a': \*\} for example 0 but \(\*,\) for example 1; every example must give"),
        (lambda: ag.vmap(lambda a: None if a > 0 else a)(Tensor([0.0, 1.0])), ValueError,
         r"f returned \* for example 0 but None for example 1"),
        (lambda: ag.vmap(lambda a: a)(np.ones((0, 2))), ValueError, "mapped axis has size 0"),
        (lambda: ag.vmap(lambda a: a, axis_size=4)(np.ones(3)), ValueError, "axis_size=4"),
        (lambda: ag.vmap(3), TypeError, "f must be a function"),
    ],
)  # fmt: skip
def test_d_vmap_errors_name_vmap_the_argument_and_the_sizes(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_d_vjp_nests_under_grad_and_checks_its_cotangent():
    x = Tensor([0.5, -1.0])
    # d/dx sum(vjp of t**3 along ones) = d/dx sum(3 x**2) = 6 x: recorded when x carries an outer gradient
    outer = grad(lambda x: ag.vjp(lambda t: t**3, x)[1](ag.ones(2))[0].sum())(x)
    _close(outer, 6 * x.data, rtol=1e-14, atol=0)
    y, vjp_fn, aux = ag.vjp(lambda t: (t * 2, "aux"), x, has_aux=True)
    assert aux == "aux" and not y.requires_grad and vjp_fn(ag.ones(2))[0].tolist() == [2.0, 2.0]
    pair, vjp_pair = ag.vjp(lambda a, b: {"s": a * b, "d": a - b}, x, Tensor([2.0, 3.0]))
    da, db = vjp_pair({"s": ag.ones(2), "d": ag.ones(2)})
    assert pair["s"].tolist() == [1.0, -3.0] and pair["d"].tolist() == [-1.5, -4.0]
    assert da.tolist() == [3.0, 4.0] and db.tolist() == [-0.5, -2.0]
    ((dparams,),) = [ag.vjp(lambda p: p["w"] * 2, {"w": x})[1](ag.ones(2))]
    assert dparams["w"].tolist() == [2.0, 2.0]
    with pytest.raises(ValueError, match=r"cotangent 0 has shape \(3,\) but f's result 0 has shape \(2,\)"):
        vjp_fn(ag.ones(3))
    with pytest.raises(ValueError, match="f gave 2 results but the cotangent has 1"):
        vjp_pair(ag.ones(2))
    with pytest.raises(TypeError, match="result 0 is a str"):
        ag.vjp(lambda t: "no", x)
    with pytest.raises(TypeError, match="give the point"):
        ag.vjp(ag.tanh)
    with pytest.raises(TypeError, match="must return a pair"):
        ag.vjp(ag.tanh, x, has_aux=True)


def test_d_jacfwd_jacrev_argnums_and_their_errors():
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 5.0])
    ja, jb = ag.jacrev(lambda a, b: a * b, argnums=(0, 1))(a, b)
    assert ja.tolist() == np.diag(b.data).tolist() and jb.tolist() == np.diag(a.data).tolist()
    assert ag.jacfwd(lambda a, b: a * b, argnums=-1)(a, b).tolist() == np.diag(a.data).tolist()
    tree_grads = ag.jacfwd(lambda p, k: p[0] * p[1] * k, argnums=0)([a, b], 2.0)
    assert isinstance(tree_grads, list) and tree_grads[1].tolist() == np.diag(2 * a.data).tolist()
    with pytest.raises(ValueError, match="jacrev: argnums 2 does not pick arguments of the 2 given"):
        ag.jacrev(lambda a, b: a, argnums=2)(a, b)
    with pytest.raises(TypeError, match=r"write ag.jacfwd\(f\)\(x\)"):
        ag.jacfwd(lambda a: a, a)


def test_d_stop_gradient_detaches_tensors_in_containers_and_passes_the_rest():
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = ag.stop_gradient({"a": x, "b": [x * 2, 3.0], "c": np.ones(2)})
    assert not out["a"].requires_grad and not out["b"][0].requires_grad and out["b"][1] == 3.0
    assert out["a"].tolist() == [1.0, 2.0] and out["c"] is not None and ag.stop_gradient(5) == 5
    y = (ag.stop_gradient(x) * x).sum()
    y.backward()
    assert x.grad.tolist() == [1.0, 2.0]  # the stopped factor is a constant: d/dx (c x) = c


def test_d_vdot_tensordot_and_round():
    rng = np.random.default_rng(9)
    A, B, C = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 3, 5)), rng.normal(size=(3, 4, 5))
    for right, axes in ((B, 0), (B, 1), (B, ([1, 2], [1, 0])), (B, ([-1], [0])), (C, 2)):
        np.testing.assert_allclose(ag.tensordot(A, right, axes).data, np.tensordot(A, right, axes), 1e-13, 1e-14)
    assert ag.tensordot(3.0, 2.0, 0).item() == 6.0
    At, Bt = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    assert ag.gradcheck(lambda a, b: ag.tensordot(a, b, ([1, 2], [1, 0])), (At, Bt))
    assert ag.gradcheck(lambda a: ag.vdot(a, a * 2), At)
    assert ag.vdot(A, A).item() == pytest.approx(np.vdot(A, A), rel=1e-14)
    with pytest.raises(ValueError, match=r"tensordot: axis 2 of x \(shape \(2, 3, 4\)\) has length 4 but axis 0"):
        ag.tensordot(A, np.ones((3, 4)), ([2], [0]))
    with pytest.raises(ValueError, match="axes=4 contracts the last 4"):
        ag.tensordot(A, B, 4)
    with pytest.raises(ValueError, match=r"axes \[1, -2\] are not distinct axes of x"):
        ag.tensordot(A, B, ([1, -2], [0, 1]))
    with pytest.raises(ValueError, match=r"vdot: needs two arrays of one size .* \(2, 3, 4\) \(24 elements\)"):
        ag.vdot(A, B)
    values = np.array([0.5, 1.5, 2.5, -0.5, 2.675, -3.14159])
    x = Tensor(values, requires_grad=True)
    assert ag.round(x).tolist() == np.round(values).tolist() == [0.0, 2.0, 2.0, -0.0, 3.0, -3.0]  # half to even
    assert ag.round(x, 2).tolist() == np.round(values, 2).tolist()
    ag.round(x).sum().backward()
    assert x.grad.tolist() == [0.0] * 6  # zero gradient, as jnp.round and torch.round
    assert not ag.round(values).requires_grad
    with pytest.raises(TypeError, match="decimals must be an int"):
        ag.round(x, 0.5)
