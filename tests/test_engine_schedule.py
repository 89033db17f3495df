"""Backward's schedule (each node once, after all of its consumers) and its cheap paths for scalar
graphs: the same gradients as the array paths, the closed forms and finite differences."""

import copy
import pickle
import random

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def random_program(nodes=120, leaves=4, seed=0):
    """(op, j) steps: node k applies op to node k-1 and, for add/mul/sub, to a random earlier node j
    (fan-out, so a node's gradient arrives from several consumers at different depths)."""
    rng = random.Random(seed)
    program = []
    for k in range(nodes):
        op = rng.choice(("add", "mul", "sub", "relu", "tanh", "scale"))
        program.append((op, rng.randrange(leaves + k)))
    return program


def run_program(program, leaves):
    values = list(leaves)
    for op, j in program:
        x, y = values[-1], values[j]
        if op in ("relu", "tanh"):
            values.append(getattr(x, op)())
        else:
            values.append(x + y if op == "add" else x * y if op == "mul" else x - y if op == "sub" else x * 0.5)
    return values


def leaf_values(count, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 1.0, count)


def test_every_node_runs_once_after_all_of_its_consumers():
    leaves = [Tensor(v, requires_grad=True) for v in leaf_values(4)]
    values = run_program(random_program(), leaves)
    calls = []
    for k, t in enumerate(values):
        t.register_hook(lambda g, k=k: calls.append(k))  # a hook runs when the node's gradient is complete
    values[-1].backward()
    assert sorted(calls) == sorted(set(calls)), "a node ran twice"
    position = {k: n for n, k in enumerate(calls)}
    index = {t: k for k, t in enumerate(values)}
    for k, t in enumerate(values):
        for parent in t.parents:
            if parent in index and parent.requires_grad:
                assert position[index[parent]] > position[k], f"node {index[parent]} ran before its consumer {k}"


def test_a_scalar_graph_gives_the_gradients_of_the_same_graph_on_arrays():
    # 0-d values take the scalar paths (numpy scalars, relu's slope compared in Python, the shape check
    # by type); a 3-vector of the same values takes the array paths. Same program, same gradients.
    program, start = [("relu", 0)] + random_program(seed=3), leaf_values(4, seed=4)
    start[-1] = 0.0  # the first step is relu of the last leaf, at its kink: both paths must give 1/2
    scalars = [Tensor(v, requires_grad=True) for v in start]
    vectors = [Tensor(np.full(3, v), requires_grad=True) for v in start]
    run_program(program, scalars)[-1].backward()
    run_program(program, vectors)[-1].sum().backward()
    for s, v in zip(scalars, vectors):
        assert type(s.grad) is np.ndarray and s.grad.shape == ()
        np.testing.assert_allclose(v.grad, np.full(3, s.grad), rtol=1e-12)
    away_from_kinks = [Tensor(v, requires_grad=True) for v in leaf_values(4, seed=5)]
    assert ag.gradcheck(lambda *xs: run_program(program, xs)[-1], away_from_kinks)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_relu_follows_the_kink_convention_and_keeps_the_dtype(dtype):
    for value, slope in [(2.0, 1.0), (-2.0, 0.0), (0.0, 0.5), (np.nan, 0.0)]:
        x = Tensor(value, requires_grad=True, dtype=dtype)
        (x * 3.0).relu().backward()  # relu of an intermediate: its input is a numpy scalar
        assert x.grad.dtype == dtype and x.grad == 3.0 * slope, (value, x.grad)
        leaf = Tensor(value, requires_grad=True, dtype=dtype)
        leaf.relu().backward()  # relu of a leaf: its input is a 0-d array
        assert leaf.grad.dtype == dtype and leaf.grad == slope


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_scalar_relu_forward_is_numpys_maximum_exactly(dtype):
    # relu of a numpy scalar skips the ufunc: it must still give maximum(x, 0)'s value, type and sign of zero
    for value in [2.5, -2.5, 0.0, -0.0, np.nan, -np.inf, np.inf, 1e-30]:
        x = dtype(value)
        got, want = (Tensor(1.0, dtype=dtype) * x).relu().data, np.maximum(x, 0)
        assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=True), (value, got, want)
        assert np.signbit(got) == np.signbit(want), (value, got, want)


def test_an_implied_scalar_seed_gives_a_writable_array_grad_of_the_roots_dtype():
    x = Tensor(2.0, requires_grad=True, dtype=np.float32)
    (x * x).backward()
    assert type(x.grad) is np.ndarray and x.grad.dtype == np.float32 and x.grad == 4.0
    x.grad += 1.0  # .grad is x's own array, not a numpy scalar
    x.backward()  # a leaf root: d x / d x = 1, added to what was there
    x.backward()
    assert x.grad == 7.0 and x.grad.flags.writeable
    y = Tensor([[3.0]], requires_grad=True)  # one element but 2-d: an array seed of its shape
    (y * 2.0).backward()
    assert y.grad.shape == (1, 1) and y.grad[0, 0] == 2.0


@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (0, False), (1, True), ((0, 2), False)])
def test_sum_sends_ones_back_as_a_writable_array_of_the_input_dtype(axis, keepdims):
    x = Tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True, dtype=np.float32)
    weights = np.arange(24.0).reshape(2, 3, 4).sum(axis=axis, keepdims=keepdims)
    (x.sum(axis=axis, keepdims=keepdims) * weights).sum().backward()
    expected = np.broadcast_to(np.asarray(weights).reshape(np.sum(x.data, axis=axis, keepdims=True).shape), x.shape)
    assert x.grad.dtype == np.float32 and x.grad.flags.writeable
    np.testing.assert_array_equal(x.grad, expected)
    (d,) = ag.grad((x.sum(axis=axis, keepdims=keepdims) ** 2).sum(), x, create_graph=True)
    (dd,) = ag.grad(d.sum(), x)  # sum's vjp on Tensors records a graph: d/dx sum(2 sum(x)) per element
    assert dd.shape == x.shape and np.all(dd.data == 2 * x.size / np.size(weights))


def test_gradients_handed_to_several_leaves_never_share_memory():
    a, b, c = (Tensor(np.ones(3), requires_grad=True) for _ in range(3))
    seed = np.array([1.0, 2.0, 3.0])
    ((a + b) + c).backward(seed)  # add passes g itself on: three leaves would get one buffer
    arrays = [a.grad, b.grad, c.grad, seed]
    assert not any(np.shares_memory(p, q) for i, p in enumerate(arrays) for q in arrays[i + 1 :])
    d = Tensor(np.ones(3), requires_grad=True)
    (d + d).backward(seed)  # both paths into one leaf: added, not aliased
    np.testing.assert_array_equal(d.grad, 2 * seed)
    e = Tensor(np.ones(3), requires_grad=True)
    (e + Tensor(np.ones(3))).backward(seed)  # only e needs g, but g is the caller's seed
    assert not np.shares_memory(e.grad, seed)


def test_roots_that_consume_each_other_or_repeat_are_each_counted():
    x = Tensor(1.5, requires_grad=True)
    y = x * x
    z = y * 3.0  # a root that another root consumes
    (dx,) = ag.grad([y, z], x, retain_graph=True)
    assert dx == 8 * 1.5  # 2x + 6x
    (dx,) = ag.grad([y, y], x, retain_graph=True)
    assert dx == 4 * 1.5


def test_grad_mode_comes_back_when_a_hook_raises():
    x = Tensor(1.0, requires_grad=True)

    def broken(g):
        raise ValueError("hook failed")

    for outer in (True, False):
        y = x * 2.0
        y.register_hook(broken)
        z = y * y
        with ag.set_grad_enabled(outer):
            with pytest.raises(ValueError, match="hook failed"):
                z.backward()  # backward switches grad mode off inside, and must switch it back
            assert ag.is_grad_enabled() is outer


def test_a_leaf_keeps_no_array_that_a_hook_or_another_leaf_holds():
    kept = np.array([1.0, 2.0])
    w = Tensor(np.zeros(2), requires_grad=True)
    w.register_hook(lambda g: kept)  # a hook hands back an array the caller still owns
    (w * 3.0).sum().backward()
    assert not np.shares_memory(w.grad, kept)
    (w * 3.0).sum().backward()  # the second backward adds into w.grad in place...
    np.testing.assert_array_equal(kept, [1.0, 2.0])  # ...and leaves the caller's array alone
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    (a + b).sum().backward()  # both leaves get sum's one buffer: the first keeps it, the second copies
    assert not np.shares_memory(a.grad, b.grad)
    fresh = Tensor(np.ones(2), requires_grad=True)
    (fresh * 2.0).sum().backward()  # a gradient nobody else holds is kept without a copy
    assert fresh.grad.flags.owndata and fresh.grad.flags.writeable


def test_removing_a_tensors_last_hook_or_retaining_it_later_still_works():
    x = Tensor(2.0, requires_grad=True)
    y = x * 3.0
    calls = []
    y.register_hook(lambda g: calls.append(g)).remove()
    y.retain_grad()
    (y * y).backward()
    assert calls == [] and y.grad == 12.0 and x.grad == 36.0
    leaf = Tensor(1.0, requires_grad=True)
    leaf.backward()  # a root that is itself a leaf
    leaf.backward()
    assert leaf.grad == 2.0


@pytest.mark.parametrize("watched", [False, True])
@pytest.mark.parametrize("fault", ["spent", "changed in place"])
def test_a_refused_backward_touches_nothing(fault, watched):
    # The node at fault is made first, so backward reaches it last: the nodes made after it must be neither
    # spent nor handed to their hooks, and no .grad must change, before the refusal.
    w, x = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    old = x * 3.0
    if fault == "spent":
        old.sum().backward()
    else:
        x.data = x.data + 1.0  # changed after `old` saved it
    x_grad = None if x.grad is None else x.grad.copy()
    new, calls = w * 2.0, []
    if watched:
        new.register_hook(calls.append)
    loss = (new + old).sum()
    with pytest.raises(RuntimeError, match="a second time" if fault == "spent" else "modified in place"):
        loss.backward()
    assert calls == [] and w.grad is None
    np.testing.assert_array_equal(x.grad, x_grad)
    (new * new).sum().backward()  # `new` was not spent by the refused backward
    np.testing.assert_array_equal(w.grad, 8.0 * w.data)
    assert len(calls) == watched


def test_a_graph_pickled_by_another_process_is_numbered_anew_when_loaded():
    # Another process numbers its operations by its own count, maybe far above this one's. Loaded, they take
    # numbers of this process, so the operations made from them here still come after them.
    x = Tensor([0.5, -1.0], requires_grad=True)
    y = (x * 2.0).exp()
    for t in (y, y.parents[0]):
        t._seq += 10**9  # as a process further along its count would have numbered them
    y = pickle.loads(pickle.dumps(y))
    x, calls = y.parents[0].parents[0], []
    y.register_hook(calls.append)
    ((y * 2.0) + (y * 3.0).tanh() + y * y).sum().backward()  # y's gradient comes in three parts
    v = y.data
    np.testing.assert_allclose(x.grad, (2.0 + 3.0 * (1.0 - np.tanh(3.0 * v) ** 2) + 2.0 * v) * 2.0 * v)
    assert len(calls) == 1  # y ran once, with all of its parts


def test_a_graph_and_its_deep_copy_run_in_one_backward():
    x = Tensor([0.5, -1.0], requires_grad=True)
    y = (x * 2.0).exp()
    twin = copy.deepcopy(y)
    (y * twin).sum().backward()
    for leaf, other in ((x, twin), (twin.parents[0].parents[0], y)):
        np.testing.assert_allclose(leaf.grad, other.data * 2.0 * y.data)


@pytest.mark.parametrize("width", [3, 40, 150])
def test_a_wide_node_of_operations_with_repeats_runs_each_once_with_its_whole_gradient(width):
    """Many operation inputs of one node (a concatenate's) join the waiting heap at once: each input runs once,
    after every consumer (some inputs feed later inputs; c feeds every third), a repeated input's parts added."""
    rng = np.random.default_rng(width)
    weights = Tensor(rng.standard_normal(width + 2))

    def f(x):
        c = x.exp()
        parts = []
        for k in range(width):
            part = x[k : k + 1] * (k + 1.0) if k % 3 else c[k : k + 1].tanh()
            parts.append(part + parts[-1] * 0.5 if k % 5 == 1 else part)  # an input that feeds the next
        parts += [parts[0], parts[width // 2]]  # the same operations twice in one node
        return (ag.concatenate(parts) * weights).sum()

    x = Tensor(rng.uniform(0.5, 1.5, width), requires_grad=True)
    assert ag.gradcheck(f, x)
    # A node run before all of its consumers would run again for the late part: backward is linear, so the
    # sum is still right, but its hook (called when its gradient is complete) would be called twice.
    loss, runs = f(x), []
    parts = [t for t in ag.walk(loss) if t.op in ("add", "tanh")]
    for t in parts:
        t.register_hook(lambda g, t=t: runs.append(t))
    loss.backward()
    assert len(parts) >= width // 3 and sorted(map(id, runs)) == sorted(map(id, parts))  # each once
