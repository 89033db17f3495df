"""``x.at[index].set/add/multiply/divide/power/min/max/get`` (JAX's functional index updates) and PyTorch's
out-of-place ``index_put index_add index_copy index_fill``: values against numpy, gradients against finite
differences (ag.gradcheck) and, where JAX is installed, against JAX in float64."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

OPS = ("set", "add", "subtract", "multiply", "divide", "power", "min", "max")
INDICES = {
    "int": 1,
    "slice": (slice(1, None), slice(None, None, 2)),
    "int_array": (np.array([0, 2]), np.array([1, 0])),
    "repeated": (np.array([1, 1, 0, 1]),),
    "mixed": (slice(None), np.array([2, 0, 2])),
    "bool": np.array([[True, False, True], [False, False, False], [False, True, True]]),
    "negative": (-1, np.array([-3, -1])),
}
REPEATS = ("repeated", "mixed")  # the index kinds naming a position twice


def _numpy_update(op, x, index, v):
    """The reference: numpy's in-place form applied one update at a time, in index order."""
    out = x.copy()
    pos = np.arange(x.size).reshape(x.shape)[index]
    pos, vals = np.asarray(pos).reshape(-1), np.broadcast_to(v, np.shape(pos)).reshape(-1)
    flat = out.reshape(-1)
    fn = {
        "set": lambda a, b: b,
        "add": np.add,
        "subtract": np.subtract,
        "multiply": np.multiply,
        "divide": np.divide,
        "power": np.power,
        "min": np.minimum,
        "max": np.maximum,
    }[op]
    for p, b in zip(pos, vals, strict=True):
        flat[p] = fn(flat[p], b)
    return out


def _inputs(index):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, (3, 3))
    v = rng.uniform(0.5, 2.0, np.shape(np.arange(9).reshape(3, 3)[index]))
    return x, v


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("kind", list(INDICES))
def test_values_equal_the_update_applied_in_order(op, kind):
    x, v = _inputs(INDICES[kind])
    out = getattr(Tensor(x).at[INDICES[kind]], op)(Tensor(v))
    np.testing.assert_array_equal(out.data, _numpy_update(op, x, INDICES[kind], v))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("kind", ["int", "int_array", "repeated", "bool"])
def test_gradients_pass_gradcheck_in_x_and_v(op, kind):
    x, v = _inputs(INDICES[kind])
    w = np.random.default_rng(1).normal(size=(3, 3))  # weights: every output element's gradient differs
    fn = lambda a, b: (getattr(a.at[INDICES[kind]], op)(b) * Tensor(w)).sum()  # noqa: E731
    assert ag.gradcheck(fn, [Tensor(x, requires_grad=True), Tensor(v, requires_grad=True)])


def test_values_stay_exact_an_inf_is_not_turned_into_nan():
    x = Tensor([np.inf, 1.0, -0.0], requires_grad=True)
    y = x.at[1].set(np.inf)
    np.testing.assert_array_equal(y.data, [np.inf, np.inf, -0.0])
    assert np.signbit(y.data[2])  # -0.0 untouched: nothing was added to it
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])
    z = Tensor([1.0, 2.0]).at[0].set(-0.0)
    assert np.signbit(z.data[0])


def test_set_with_repeats_gives_the_last_value_and_its_gradient():
    x = Tensor(np.zeros(3), requires_grad=True)
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.at[np.array([0, 2, 0])].set(v)
    np.testing.assert_array_equal(y.data, [3.0, 0.0, 2.0])
    (y * Tensor([10.0, 20.0, 30.0])).sum().backward()
    np.testing.assert_array_equal(v.grad, [0.0, 30.0, 10.0])
    np.testing.assert_array_equal(x.grad, [0.0, 20.0, 0.0])


def test_add_with_many_repeats_is_a_histogram():
    labels = np.random.default_rng(2).integers(0, 4, 500)
    ones = Tensor(np.ones(500), requires_grad=True)
    counts = Tensor(np.zeros(4)).at[labels].add(ones)
    np.testing.assert_array_equal(counts.data, np.bincount(labels, minlength=4))
    (counts * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(ones.grad, labels + 1.0)


def test_v_broadcasts_and_takes_x_dtype_and_get_reads():
    x = Tensor(np.zeros((2, 3), dtype=np.float32))
    y = x.at[:, 1:].set(Tensor([1.0, 2.0]))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.data, [[0, 1, 2], [0, 1, 2]])
    np.testing.assert_array_equal(y.at[1, ::2].get().data, [0.0, 2.0])
    assert x.data.sum() == 0  # x itself unchanged: a new tensor is returned


def test_an_integer_tensor_keeps_its_dtype_but_divide_is_true_division_as_jax():
    x = ag.tensor([7, 8, 9])
    out = x.at[1].add(2.7).at[0].multiply(2.5).at[2].power(2.0)
    assert out.dtype == x.dtype
    np.testing.assert_array_equal(out.data, [17, 10, 81])  # 7 * 2.5 = 17.5 -> 17: computed, then cast (JAX's)
    divided = x.at[0].divide(2)
    assert divided.dtype == np.float64
    np.testing.assert_array_equal(divided.data, [3.5, 8.0, 9.0])


def test_a_recorded_tensor_refuses_writes_but_at_builds_the_result():
    """cs231n's naive conv writes ``out[i] = ...``: with .at the loop keeps its gradient."""
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = Tensor(np.zeros(3))
    for i in range(3):
        out = out.at[i].set(w[i] * w[i])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0, 6.0])


def test_clear_errors():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"at\[...\]\.set: values of shape \(4,\) do not broadcast.*\(2, 3\)"):
        x.at[:].set(Tensor(np.ones(4)))
    with pytest.raises(IndexError, match=r"at\[...\]\.add: index .* shape \(2, 3\).*out of bounds raises"):
        x.at[5].add(1.0)
    with pytest.raises(IndexError, match=r"at\[...\]\.set"):
        x.at[np.array([0.5])].set(1.0)
    with pytest.raises(TypeError, match=r"\.at: x must be a Tensor, got ndarray"):
        ag.index_update.IndexUpdateHelper(np.zeros(3))
    with pytest.raises(TypeError, match=r"at\[...\]\.set: values must be numbers"):
        x.at[0].set("a")
    with pytest.raises(NotImplementedError, match=r"at\[...\]\.get: mode='clip' is not supported.*np\.clip"):
        x.at[5].get(mode="clip")
    with pytest.raises(TypeError, match=r"at\[...\]\.add: unexpected keyword\(s\) \['fill'\]"):
        x.at[0].add(1.0, fill=0)


def test_jax_keywords_are_accepted_as_hints():
    x = Tensor([1.0, 2.0, 3.0])
    out = x.at[np.array([2, 0])].multiply(2.0, unique_indices=True, indices_are_sorted=False, mode="promise_in_bounds")
    np.testing.assert_array_equal(out.data, [2.0, 2.0, 6.0])


def test_apply_runs_func_once_per_naming_as_ufunc_at():
    x = np.array([1.0, 2.0, 3.0])
    out = Tensor(x).at[np.array([0, 0, 2])].apply(ag.sin)
    expected = x.copy()
    np.sin.at(expected, np.array([0, 0, 2]))
    np.testing.assert_array_equal(out.data, expected)
    assert ag.gradcheck(lambda a: a.at[np.array([0, 0, 2])].apply(ag.sin).sum(), [Tensor(x, requires_grad=True)])
    with pytest.raises(TypeError, match=r"at\[...\]\.apply: func must be callable"):
        Tensor(x).at[0].apply(2.0)


def test_apply_equals_jax_and_differentiates_where_jax_cannot():
    jax = pytest.importorskip("jax")
    x = np.array([1.0, 2.0, 3.0])
    with jax.enable_x64(True):
        jx = jax.numpy.asarray(x)
        jvalue = jx.at[jax.numpy.asarray([2, 0, 2])].apply(jax.numpy.sin)
        with pytest.raises(NotImplementedError):  # JAX has no JVP of scatter_apply: ours is the chain rule
            jax.grad(lambda a: a.at[0].apply(jax.numpy.sin).sum())(jx)
    a = Tensor(x, requires_grad=True)
    out = a.at[np.array([2, 0, 2])].apply(ag.sin)
    np.testing.assert_allclose(out.data, np.asarray(jvalue), rtol=1e-15)
    out.sum().backward()
    np.testing.assert_allclose(a.grad, [np.cos(1.0), 1.0, np.cos(np.sin(3.0)) * np.cos(3.0)], rtol=1e-15)


# ------------------------------------------------------------------ PyTorch's out-of-place spellings
def test_torch_spellings_match_their_definitions():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    src = Tensor(np.ones((2, 2)), requires_grad=True)
    idx = ag.tensor([2, 2])
    added = x.index_add(1, idx, src, alpha=2)
    np.testing.assert_array_equal(added.data, [[0, 1, 6], [3, 4, 9]])
    added.sum().backward()
    np.testing.assert_array_equal(src.grad, 2 * np.ones((2, 2)))
    copied = x.index_copy(0, ag.tensor([1]), Tensor([[7.0, 8.0, 9.0]]))
    np.testing.assert_array_equal(copied.data, [[0, 1, 2], [7, 8, 9]])
    filled = x.index_fill(1, ag.tensor([0]), -1.0)
    np.testing.assert_array_equal(filled.data, [[-1, 1, 2], [-1, 4, 5]])
    put = x.index_put((ag.tensor([0, 0]), ag.tensor([1, 1])), Tensor(1.0), accumulate=True)
    np.testing.assert_array_equal(put.data, [[0, 3, 2], [3, 4, 5]])
    with pytest.raises(ValueError, match=r"index_add: source has shape \(2, 3\), but the index needs \(2, 2\)"):
        x.index_add(1, idx, Tensor(np.ones((2, 3))))
    with pytest.raises(IndexError, match="index_copy: index must be a 1-d integer tensor"):
        x.index_copy(0, Tensor([0.0]), Tensor(np.ones((1, 3))))
    with pytest.raises(TypeError, match="index_put: indices must be a tuple"):
        x.index_put(ag.tensor([0]), Tensor(1.0))


def test_torch_spellings_equal_torch():
    torch = pytest.importorskip("torch")
    x, src = np.arange(6.0).reshape(2, 3), np.arange(4.0).reshape(2, 2) + 1
    idx = np.array([2, 0])
    tx = torch.tensor(x)
    ours = Tensor(x)
    np.testing.assert_array_equal(
        ours.index_add(1, ag.tensor(idx), Tensor(src), alpha=3).data,
        tx.index_add(1, torch.tensor(idx), torch.tensor(src), alpha=3).numpy(),
    )
    np.testing.assert_array_equal(
        ours.index_copy(1, ag.tensor(idx), Tensor(src)).data,
        tx.index_copy(1, torch.tensor(idx), torch.tensor(src)).numpy(),
    )
    np.testing.assert_array_equal(
        ours.index_fill(1, ag.tensor(idx), 5.0).data, tx.index_fill(1, torch.tensor(idx), 5.0).numpy()
    )


# ------------------------------------------------------------------ against JAX (float64)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("kind", list(INDICES))
def test_values_and_gradients_equal_jax(op, kind):
    jax = pytest.importorskip("jax")
    index = INDICES[kind]
    x, v = _inputs(index)
    w = np.random.default_rng(1).normal(size=(3, 3))
    flags = {}
    # JAX differentiates these only on its promise of no repeats; with repeats it refuses (asserted), and the
    # gradient is checked against finite differences instead
    no_jax_grad = op in ("multiply", "divide", "power") and kind in REPEATS
    if op in ("multiply", "divide", "power") and not no_jax_grad:
        flags = {"unique_indices": True}
    with jax.enable_x64(True):
        jnp = jax.numpy
        jindex = jax.tree_util.tree_map(lambda a: jnp.asarray(a) if isinstance(a, np.ndarray) else a, index)

        def jf(a, b):
            return (getattr(a.at[jindex], op)(b, **flags) * w).sum()

        jvalue = getattr(jnp.asarray(x).at[jindex], op)(jnp.asarray(v), **flags)
        if no_jax_grad:
            with pytest.raises(NotImplementedError):
                jax.grad(jf, argnums=(0, 1))(jnp.asarray(x), jnp.asarray(v))
        else:
            jgx, jgv = jax.grad(jf, argnums=(0, 1))(jnp.asarray(x), jnp.asarray(v))
    a, b = Tensor(x, requires_grad=True), Tensor(v, requires_grad=True)
    out = getattr(a.at[index], op)(b)
    if op == "power" or no_jax_grad:  # XLA's pow and numpy's differ in the last bit; repeats: another order
        np.testing.assert_allclose(out.data, np.asarray(jvalue), rtol=1e-15, atol=0)
    else:  # exact: the same updates in the same order
        np.testing.assert_array_equal(out.data, np.asarray(jvalue))
    if no_jax_grad:
        assert ag.gradcheck(lambda p, q: (getattr(p.at[index], op)(q) * Tensor(w)).sum(), [a, b])
        return
    (out * Tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad, np.asarray(jgx), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, np.asarray(jgv), rtol=1e-12, atol=1e-12)


def test_ties_in_min_split_the_gradient_as_jax():
    jax = pytest.importorskip("jax")
    x = np.array([1.0, 2.0])
    with jax.enable_x64(True):
        jgx, jgv = jax.grad(lambda a, b: a.at[0].min(b).sum(), argnums=(0, 1))(jax.numpy.asarray(x), 1.0)
    a, b = Tensor(x, requires_grad=True), Tensor(1.0, requires_grad=True)
    a.at[0].min(b).sum().backward()
    np.testing.assert_allclose(a.grad, np.asarray(jgx))
    np.testing.assert_allclose(b.grad, float(jgv))


def test_second_order_equals_jax():
    jax = pytest.importorskip("jax")
    f = lambda x: (x.at[np.array([0, 2])].multiply(x[1]).at[1].set(x[0] * x[2]) ** 3).sum()  # noqa: E731
    x = np.array([1.0, 2.0, 3.0])
    with jax.enable_x64(True):
        jnp = jax.numpy
        jf = lambda a: (a.at[jnp.array([0, 2])].multiply(a[1], unique_indices=True).at[1].set(a[0] * a[2]) ** 3).sum()  # noqa: E731
        jh = jax.hessian(jf)(jnp.asarray(x))
    np.testing.assert_allclose(ag.hessian(f)(Tensor(x)).data, np.asarray(jh), rtol=1e-13)


@pytest.mark.filterwarnings("error")  # a CompileWarning (falling back to define-by-run) fails it
def test_a_compiled_step_with_at_replays_the_eager_values_and_gradients():
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True)

    def step(x):
        out = Tensor(np.zeros(3)).at[np.array([0, 2, 0])].add(w * x).at[1].set(w[1] * 2)
        return (out * out).sum()

    compiled = ag.compile(step)
    for i in range(4):  # two traces, then replays
        x = Tensor([1.0, 2.0, float(i)])
        w.grad = None
        value, grad = compiled(x).item(), w.grad.copy()
        w.grad = None
        step(x).backward()
        assert value == step(x).item()
        np.testing.assert_array_equal(grad, w.grad)
