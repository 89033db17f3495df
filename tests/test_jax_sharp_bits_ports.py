"""JAX's "🔪 JAX - The Sharp Bits 🔪" (its autodiff parts) and JAX 101's pytrees / "Training a simple neural
network", ported step by step (``ag`` for ``jax`` and ``jax.numpy``), each asserting the page's outcome or,
where this engine deliberately differs, what ours does instead and why; equal to JAX in float64 where installed.

a. Pure functions: define-by-run reads a global on every call (no trace to cache it); ``ag.compile`` traces,
   so there a global is a constant of the plan, as in ``jax.jit``, until ``ag.structure_changed()``
b. In-place updates: a recorded tensor refuses ``x[i] = v``; ``x.at[i].set(v)`` returns a new tensor
c. Out-of-bounds indexing: JAX clamps a read and drops a write; ours raises IndexError, as numpy
d. Non-array inputs: JAX refuses ``jnp.sum([1, 2, 3])``; ours takes a list as numpy does (no tracing to slow)
e. Control flow: Python ``if``/``while`` on values differentiate (define-by-run: no ``lax.cond`` needed)
f. NaNs: ``ag.detect_anomaly()`` is ``jax_debug_nans``; the ``where``-of-``log`` NaN gradient and its fix
g. Pytrees and the MLP on digits: params a list of (W, b), ``predict`` vmapped, grad over the pytree
"""

import itertools

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from nn.datasets import load_digits


def grad(f, argnums=0):
    """JAX's ``grad(f)`` in our spelling (ag.grad is torch's tensors-in, tensors-out)."""
    return lambda *args: ag.value_and_grad(f, argnums)(*args)[1]


def _jax():
    jax = pytest.importorskip("jax")
    return jax, jax.numpy


# ------------------------------------------------------------------ a. pure functions
def test_a_define_by_run_reads_a_global_on_every_call():
    scale = {"g": 4.0}  # the page's global g, in a dict so the test can change it
    f = lambda x: (x * scale["g"]).sum()  # noqa: E731
    assert grad(f)(Tensor([1.0, 2.0])).tolist() == [4.0, 4.0]
    scale["g"] = 10.0
    assert grad(f)(Tensor([1.0, 2.0])).tolist() == [10.0, 10.0]  # jax.jit would still use 4.0


def test_a_under_compile_a_global_is_a_constant_of_the_trace_as_under_jit():
    w = Tensor([1.0, 2.0], requires_grad=True)
    scale = {"g": 1.0}
    calls = []

    def step():
        calls.append(1)  # a side effect: the page's print, run only while tracing
        return (w * scale["g"]).sum()

    compiled = ag.compile(step)
    for _ in range(4):
        w.grad = None
        assert compiled().item() == 3.0
    assert len(calls) <= 2  # replayed: fn's Python no longer runs (jit prints once, at the trace)
    scale["g"] = 10.0
    w.grad = None
    assert compiled().item() == 3.0  # the stale global, exactly the sharp bit
    ag.structure_changed()  # say so, and the next call traces again
    w.grad = None
    assert compiled().item() == 30.0
    assert w.grad.tolist() == [10.0, 10.0]


# ------------------------------------------------------------------ b. in-place updates
def test_b_a_recorded_tensor_refuses_item_assignment_and_names_at():
    x = Tensor(np.zeros((3, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"y\.at\[i\]\.set\(v\)"):
        y[1, :] = 1.0


def test_b_at_set_returns_a_new_array_and_leaves_the_old_one():
    jax_array = Tensor(np.zeros((3, 3)))
    new = jax_array.at[1, :].set(1.0)
    assert jax_array.data.sum() == 0.0
    np.testing.assert_array_equal(new.data, [[0, 0, 0], [1, 1, 1], [0, 0, 0]])
    added = Tensor(np.ones((4, 6))).at[::2, 3:].add(7.0)
    np.testing.assert_array_equal(added.data[::2, 3:], 8.0)
    assert added.data.sum() == 24 + 7 * 6


def test_b_a_naive_loop_writing_outputs_keeps_its_gradient_with_at():
    """cs231n's naive conv: ``out[i] = ...`` in a loop; with .at the gradient equals the vectorized one."""
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=8), rng.normal(size=3)
    kw = Tensor(k, requires_grad=True)
    out = Tensor(np.zeros(6))
    for i in range(6):
        out = out.at[i].set((Tensor(x[i : i + 3]) * kw).sum())
    (out * out).sum().backward()
    windows = np.lib.stride_tricks.sliding_window_view(x, 3)
    np.testing.assert_allclose(out.data, windows @ k, rtol=1e-14)
    np.testing.assert_allclose(kw.grad, 2 * (windows @ k) @ windows, rtol=1e-12)


# ------------------------------------------------------------------ c. out-of-bounds indexing
def test_c_out_of_bounds_raises_where_jax_clamps_or_drops():
    x = Tensor(np.arange(10.0))
    with pytest.raises(IndexError, match="out of bounds"):
        x[11]
    with pytest.raises(IndexError, match=r"at\[...\]\.get.*out of bounds raises, as numpy; JAX drops it"):
        x.at[11].get()
    with pytest.raises(IndexError, match=r"at\[...\]\.add"):
        x.at[11].add(1.0)


def test_c_jax_clamps_the_read_and_drops_the_write():
    _, jnp = _jax()
    assert float(jnp.arange(10.0)[11]) == 9.0  # what ours refuses rather than guess
    np.testing.assert_array_equal(np.asarray(jnp.arange(3.0).at[5].add(1.0)), [0.0, 1.0, 2.0])


# ------------------------------------------------------------------ d. non-array inputs
def test_d_a_list_is_taken_as_numpy_takes_it():
    assert ag.sum([1, 2, 3]).item() == 6  # jnp.sum([1, 2, 3]) raises TypeError
    assert ag.sum(Tensor([1, 2, 3])).item() == 6  # the spelling both accept


def test_d_jax_refuses_the_list():
    _, jnp = _jax()
    with pytest.raises(TypeError):
        jnp.sum([1, 2, 3])


# ------------------------------------------------------------------ e. control flow
def f_branch(x):
    return 3.0 * x**2 if x < 3 else -4.0 * x


def test_e_python_control_flow_differentiates():
    assert grad(f_branch)(Tensor(2.0)).item() == 12.0
    assert grad(f_branch)(Tensor(4.0)).item() == -4.0

    def doubling(x):  # a while loop on a value: 2**n x, n decided by x itself
        while x < 10:
            x = x * 2
        return x

    assert grad(doubling)(Tensor(3.0)).item() == 4.0  # 3 -> 6 -> 12: two doublings
    assert grad(doubling)(Tensor(1.0)).item() == 16.0


def test_e_equals_jax_grad_of_the_branch():
    jax, _ = _jax()
    with jax.enable_x64(True):
        for x in (2.0, 4.0):
            assert grad(f_branch)(Tensor(x)).item() == float(jax.grad(f_branch)(x))


# ------------------------------------------------------------------ f. NaNs
def test_f_detect_anomaly_stops_at_the_op_that_made_the_nan():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with ag.detect_anomaly(), pytest.raises(FloatingPointError, match="log"), np.errstate(divide="ignore"):
        ag.log(x) * 0


def where_log(x):
    return ag.where(x > 0, ag.log(x), 0.0).sum()


def where_log_safe(x):  # the double where: log never sees the 0
    safe = ag.where(x > 0, x, 1.0)
    return ag.where(x > 0, ag.log(safe), 0.0).sum()


def test_f_where_of_log_has_a_nan_gradient_and_the_double_where_fixes_it():
    x = Tensor([0.0, 2.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        g = grad(where_log)(x).data
    assert np.isnan(g[0]) and g[1] == 0.5  # 0 * inf: the masked branch's gradient is still computed
    np.testing.assert_array_equal(grad(where_log_safe)(x).data, [0.0, 0.5])


def test_f_equals_jax_including_the_nan():
    jax, jnp = _jax()
    with jax.enable_x64(True):
        jg = jax.grad(lambda x: jnp.where(x > 0, jnp.log(x), 0.0).sum())(jnp.array([0.0, 2.0]))
    with np.errstate(divide="ignore", invalid="ignore"):
        ours = grad(where_log)(Tensor([0.0, 2.0])).data
    np.testing.assert_array_equal(ours, np.asarray(jg))  # nan and 0.5 in both


def test_f_default_precision_is_float64_where_jax_uses_float32():
    assert Tensor([1.0]).dtype == np.float64  # numpy's default: no jax_enable_x64 switch to remember
    assert (Tensor([1.0]) + 1e-10).item() != 1.0


def test_f_jax_defaults_to_float32():
    jax, jnp = _jax()
    with jax.enable_x64(False):  # JAX's default (another test may have switched x64 on for the process)
        assert jnp.array([1.0]).dtype == np.float32


# ------------------------------------------------------------------ g. pytrees and the MLP
def tree_map(f, tree, *rest):
    """The page's ``jax.tree.map`` for lists and tuples of Tensors (what the MLP's params are)."""
    if isinstance(tree, (list, tuple)):
        return type(tree)(tree_map(f, *parts) for parts in zip(tree, *rest, strict=True))
    return f(tree, *rest)


def init_params(sizes, rng):
    return [
        (Tensor(rng.normal(size=(n, m)) * np.sqrt(2.0 / m)), Tensor(np.zeros(n))) for m, n in itertools.pairwise(sizes)
    ]


def predict(params, image):
    """One example: ReLU layers, then log-softmax logits (the tutorial's ``predict``)."""
    act = image
    for w, b in params[:-1]:
        act = ag.relu(w @ act + b)
    w, b = params[-1]
    logits = w @ act + b
    return logits - ag.logsumexp(logits)


batched_predict = ag.vmap(predict, in_axes=(None, 0))


def loss(params, images, targets):
    return -(batched_predict(params, images) * targets).sum(axis=1).mean()


def test_g_the_gradient_of_a_pytree_has_its_structure():
    params = init_params([4, 3, 2], np.random.default_rng(0))
    grads = grad(loss)(params, Tensor(np.ones((5, 4))), Tensor(np.eye(2)[[0, 1, 0, 1, 1]]))
    assert isinstance(grads, list) and all(isinstance(layer, tuple) for layer in grads)
    assert tree_map(lambda g: g.shape, grads) == tree_map(lambda p: p.shape, params)
    flat, unravel = ag.ravel_pytree(params)  # the page's leaves, as one vector and back
    assert flat.shape == (4 * 3 + 3 + 3 * 2 + 2,)
    assert tree_map(lambda a, b: bool((a.data == b.data).all()), unravel(flat), params) == [(True,) * 2] * 2


def test_g_vmapped_predict_equals_predict_per_example_and_jax():
    params = init_params([6, 5, 3], np.random.default_rng(1))
    images = np.random.default_rng(2).normal(size=(4, 6))
    batched = batched_predict(params, Tensor(images)).data
    for i in range(4):
        np.testing.assert_allclose(batched[i], predict(params, Tensor(images[i])).data, rtol=1e-14)
    jax, jnp = _jax()
    with jax.enable_x64(True):
        jparams = tree_map(lambda p: jnp.asarray(p.data), params)
        targets = np.eye(3)[[0, 2, 1, 1]]

        def jpredict(ps, image):
            act = image
            for w, b in ps[:-1]:
                act = jax.nn.relu(w @ act + b)
            logits = ps[-1][0] @ act + ps[-1][1]
            return logits - jax.scipy.special.logsumexp(logits)

        jloss = lambda ps: -(jax.vmap(jpredict, in_axes=(None, 0))(ps, images) * targets).sum(1).mean()  # noqa: E731
        jvalue, jgrads = jax.value_and_grad(jloss)(jparams)
    value, grads = ag.value_and_grad(loss)(params, Tensor(images), Tensor(targets))
    np.testing.assert_allclose(value.item(), float(jvalue), rtol=1e-13)
    tree_map(lambda g, jg: np.testing.assert_allclose(g.data, np.asarray(jg), rtol=1e-11, atol=1e-14), grads, jgrads)


def test_g_the_mlp_trained_by_sgd_on_the_pytree_classifies_digits():
    X, y = load_digits()
    X = X / 16.0
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:1400], order[1400:]
    targets = np.eye(10)[y]
    params = init_params([64, 32, 10], rng)
    first = loss(params, Tensor(X[train]), Tensor(targets[train])).item()
    for _epoch in range(6):
        for start in range(0, len(train), 100):
            batch = train[start : start + 100]
            grads = grad(loss)(params, Tensor(X[batch]), Tensor(targets[batch]))
            params = tree_map(lambda p, g: p - 0.5 * g, params, grads)  # SGD over the pytree
    last = loss(params, Tensor(X[train]), Tensor(targets[train])).item()
    accuracy = (batched_predict(params, Tensor(X[test])).data.argmax(axis=1) == y[test]).mean()
    assert last < first / 4
    assert accuracy > 0.9, accuracy  # measured 0.95 on the 397 held-out digits
