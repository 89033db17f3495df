"""Three engine behaviours a PyTorch user meets, as torch 2.13 has them (verified against it):

1. ``backward(inputs=...)`` and ``grad()`` run only the ops on a path from the outputs to the inputs: an op off
   those paths runs no vjp and fires no hook, a ``retain_grad()`` tensor on a path gets its ``.grad``, one off
   them does not, and what is off them is not spent.
2. ``grad()`` fills the ``.grad`` of a ``retain_grad()`` tensor on a path, as ``backward()`` does.
3. An ``ag.Function`` whose backward returns None for an input gives it no gradient: a leaf reached only so
   keeps ``.grad`` None, ``grad()`` needs ``allow_unused=True`` for it.

Each is checked without torch (closed forms, counting which backwards ran, finite differences), and against
torch where it is installed.
"""

import gc
import time
import warnings

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def counting(calls, name):
    """An ag.Function computing 3x whose backward records ``name`` in ``calls`` each time it runs."""

    class Counted(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            calls.append(name)
            return g * 3

    return Counted


def values(t):
    """The numbers of a .grad or gradient: ours (an array or a Tensor) or torch's."""
    return np.array(t if isinstance(t, np.ndarray) else t.detach().numpy())  # (a copy: .grad may grow in place)


def recorder(calls, name):
    return lambda g: calls.append(name)


# ------------------------------------------------------------------ 1. only the ops on a path run
W0, V0 = np.array([1.0, 2.0]), np.array([3.0, 4.0])


def two_branches(lib, calls):
    """loss = sum(sin(a * v) + b), a = 2w on w's path, b = 3v off it; hooks and retain_grad on a, b and c."""
    w = lib.tensor(W0.copy(), requires_grad=True)
    v = lib.tensor(V0.copy(), requires_grad=True)
    a = w * 2
    b = v * 3
    c = (a * v).sin()
    for t, name in ((a, "a"), (b, "b"), (c, "c")):
        t.retain_grad()
        t.register_hook(recorder(calls, name))
    return w, v, a, b, c, (c + b).sum()


def test_backward_inputs_runs_hooks_and_retain_grad_on_the_path_only():
    calls = []
    w, v, a, b, c, loss = two_branches(ag, calls)
    loss.backward(inputs=[w])
    assert calls == ["c", "a"]  # b is off the path from loss to w: its hook does not fire
    assert b.grad is None and v.grad is None
    np.testing.assert_array_equal(c.grad, [1.0, 1.0])
    np.testing.assert_allclose(a.grad, np.cos(2 * W0 * V0) * V0, rtol=1e-15)  # closed form: cos(a v) v
    np.testing.assert_allclose(w.grad, 2 * np.cos(2 * W0 * V0) * V0, rtol=1e-15)
    full_calls = []
    fw, _, _, _, _, full = two_branches(ag, full_calls)
    full.backward()
    np.testing.assert_array_equal(w.grad, fw.grad)  # the same floats as the whole graph's backward
    assert full_calls == ["c", "b", "a"]


def test_backward_inputs_on_the_path_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = [], []
    mine = two_branches(ag, ours)
    their = two_branches(torch, theirs)
    mine[-1].backward(inputs=[mine[0]])
    their[-1].backward(inputs=[their[0]])
    assert ours == theirs
    for got, want in zip(mine[:-1], their[:-1]):  # w, v, a, b, c
        assert (got.grad is None) == (want.grad is None)
        if got.grad is not None:
            np.testing.assert_allclose(got.grad, want.grad.numpy(), rtol=1e-14)


def test_an_op_off_every_path_runs_no_vjp_and_the_gradients_equal_the_full_backward():
    calls = []
    Off, On = counting(calls, "off"), counting(calls, "on")
    w, v = Tensor([1.0, -2.0], requires_grad=True), Tensor([0.5, 3.0], requires_grad=True)

    def loss_of(w, v):
        return (On.apply(w).tanh() * Off.apply(v).exp()).sum()

    loss_of(w, v).backward(inputs=[w])
    assert calls == ["on"] and v.grad is None
    (gw,) = ag.grad(loss_of(w, v), [w])  # grad() prunes alike
    assert calls == ["on", "on"]
    wf, vf = Tensor(w.data, requires_grad=True), Tensor(v.data, requires_grad=True)
    loss_of(wf, vf).backward()
    assert sorted(calls[2:]) == ["off", "on"]
    np.testing.assert_array_equal(w.grad, wf.grad)
    np.testing.assert_array_equal(gw.data, wf.grad)
    closed = 3 * (1 - np.tanh(3 * w.data) ** 2) * np.exp(3 * v.data)
    np.testing.assert_allclose(w.grad, closed, rtol=1e-14)


def test_a_listed_non_leaf_stops_the_run_and_gets_its_gradient_once():
    calls = []
    Below = counting(calls, "below")
    w = Tensor([1.0, 2.0], requires_grad=True)
    a = Below.apply(w)
    a.retain_grad()  # listed and retained: one .grad, as torch
    a.register_hook(recorder(calls, "a"))
    loss = (a.exp() * 3).sum()
    loss.backward(inputs=[a], retain_graph=True)
    assert calls == ["a"] and w.grad is None  # nothing below a runs
    np.testing.assert_allclose(a.grad, 3 * np.exp(3 * w.data), rtol=1e-15)
    loss.backward(inputs=[a, w])  # a listed with a leaf below it: the run goes on through a
    assert calls == ["a", "a", "below"]
    np.testing.assert_allclose(a.grad, 6 * np.exp(3 * w.data), rtol=1e-15)  # accumulated once per call
    np.testing.assert_allclose(w.grad, 9 * np.exp(3 * w.data), rtol=1e-15)


def test_a_listed_non_leaf_as_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (ag, torch):
        calls = []
        w = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        a = w * 2
        a.retain_grad()
        a.register_hook(lambda g: g * 10)  # the hook's gradient is what a's .grad and w's get
        h = a.exp()
        h.register_hook(recorder(calls, "h"))
        loss = (h * 3).sum()
        loss.backward(inputs=[a], retain_graph=True)
        first = (values(a.grad), w.grad)
        loss.backward(inputs=[a, w])
        results.append((calls, first, values(a.grad), values(w.grad)))
    (calls, first, a_grad, w_grad), (tcalls, tfirst, ta_grad, tw_grad) = results
    assert calls == tcalls == ["h", "h"]
    assert first[1] is None and tfirst[1] is None
    np.testing.assert_allclose(first[0], tfirst[0], rtol=1e-14)
    np.testing.assert_allclose(a_grad, ta_grad, rtol=1e-14)
    np.testing.assert_allclose(w_grad, tw_grad, rtol=1e-14)


def test_an_output_no_input_lies_below_runs_nothing():
    calls = []
    x, y = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    r1, r2 = x * 2, y * 3
    r1.register_hook(recorder(calls, "r1"))
    r2.register_hook(recorder(calls, "r2"))
    (gx,) = ag.grad([r1, r2], [x])  # (torch.autograd.backward([r1, r2], inputs=[x]): the same, verified)
    assert calls == ["r1"] and gx.item() == 2.0 and y.grad is None
    r2.backward()  # r2's graph was not run, so not spent either
    assert y.grad == 3.0 and calls == ["r1", "r2"] and x.grad is None


def test_what_is_off_the_paths_is_neither_spent_nor_checked():
    p, q = Tensor(1.0, requires_grad=True), Tensor([2.0], requires_grad=True)
    m = q.exp()
    (p * m).sum().backward(inputs=[p])
    np.testing.assert_allclose(p.grad, np.exp(2.0), rtol=1e-15)
    m.sum().backward()  # q's branch did not run: usable (torch too)
    np.testing.assert_allclose(q.grad, np.exp([2.0]), rtol=1e-15)
    t = q * 1.0
    u = t.sin()  # sin saved t
    t.data += 1.0  # ... and t changed in place: a backward through u would refuse
    loss = (p * 2 + u).sum()
    loss.backward(inputs=[p], retain_graph=True)  # u is off the path to p: not refused (as torch)
    np.testing.assert_allclose(p.grad, np.exp(2.0) + 2, rtol=1e-15)  # e^2 from the first call, 2 now
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward(inputs=[q])


def test_grad_prunes_as_torch():
    torch = pytest.importorskip("torch")
    logs = []
    for lib in (ag, torch):
        calls = []
        w, v, a, b, c, loss = two_branches(lib, calls)
        (gw,) = lib.autograd.grad(loss, [w]) if lib is torch else ag.grad(loss, [w])
        logs.append((calls, values(gw), values(a.grad), values(c.grad), b.grad, v.grad, w.grad))
    (calls, *ours, b_grad, v_grad, w_grad), (tcalls, *theirs, tb_grad, tv_grad, tw_grad) = logs
    assert calls == tcalls == ["c", "a"]
    for got, want in zip(ours, theirs):  # w's gradient, and a's and c's .grad (retained, on the path)
        np.testing.assert_allclose(got, want, rtol=1e-14)
    assert b_grad is tb_grad is v_grad is tv_grad is w_grad is tw_grad is None


def test_a_pruned_grad_with_create_graph_differentiates_again_through_what_it_cut():
    w, v = Tensor([1.0, -2.0], requires_grad=True), Tensor([0.5, 3.0], requires_grad=True)
    (gw,) = ag.grad((w**2 * v.exp()).sum(), [w], create_graph=True)  # v's branch is off the path to w ...
    np.testing.assert_allclose(gw.data, 2 * w.data * np.exp(v.data), rtol=1e-15)
    (gv,) = ag.grad(gw.sum(), [v])  # ... yet d(2w e^v)/dv = 2w e^v: the recorded gradient still reads v
    np.testing.assert_allclose(gv.data, 2 * w.data * np.exp(v.data), rtol=1e-15)
    assert ag.gradcheck(lambda v: ag.grad((w**2 * v.exp()).sum(), [w], create_graph=True)[0], v)


@pytest.mark.serial
def test_a_pruned_backward_is_linear_in_the_number_of_edges():
    # One node with n inputs, half of them listed: the time per input at n = 2,000 and at n = 50,000, in this run,
    # differ by less than 3x (quadratic: 25x). The unlisted half is cut off: their .grad stays None.
    def seconds_per_input(n):
        xs = [Tensor(float(i), requires_grad=True) for i in range(n)]
        weights = np.arange(n, dtype=float) % 7
        loss = (ag.stack(xs) * weights).sum()
        gc.collect()
        gc.disable()
        try:
            start = time.thread_time()
            loss.backward(inputs=xs[::2])
            seconds = time.thread_time() - start
        finally:
            gc.enable()
        np.testing.assert_array_equal([x.grad for x in xs[:14:2]], weights[:14:2])
        assert xs[1].grad is None and xs[-1].grad is None
        return seconds / n

    small = min(seconds_per_input(2_000) for _ in range(5))
    large = min(seconds_per_input(50_000) for _ in range(2))
    assert large / small < 3, f"{large * 1e6:.1f} µs per input at 50,000 vs {small * 1e6:.1f} at 2,000"


def test_a_deep_chain_is_pruned_without_recursion():
    x, other = Tensor(0.0, requires_grad=True), Tensor(5.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    (gx,) = ag.grad(y * other, [x])
    assert gx.item() == 5.0 and other.grad is None


# ------------------------------------------------------------------ 2. grad() and retain_grad()
def retained(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    a = w * 2
    a.retain_grad()
    b = a * 3
    b.retain_grad()
    return w, a, b, (b**2).sum()


def test_grad_fills_the_grad_of_retained_tensors_on_the_path():
    w, a, b, loss = retained(ag)
    (gw,) = ag.grad(loss, [w], retain_graph=True)
    np.testing.assert_array_equal(b.grad, 2 * b.data)  # closed form: d(b^2)/db = 2b
    np.testing.assert_array_equal(a.grad, 6 * b.data)  # 3 * 2b
    np.testing.assert_array_equal(gw.data, 12 * b.data)
    assert w.grad is None  # a leaf's .grad stays grad()'s to return
    (ga,) = ag.grad(loss, [a])  # a is the input: returned, and (retained) its .grad accumulates too
    np.testing.assert_array_equal(ga.data, 6 * b.data)
    np.testing.assert_array_equal(a.grad, 12 * b.data)
    np.testing.assert_array_equal(b.grad, 4 * b.data)


def test_grad_and_retain_grad_as_torch():
    torch = pytest.importorskip("torch")
    w, a, b, loss = retained(ag)
    tw, ta, tb, tloss = retained(torch)
    ag.grad(loss, [a], retain_graph=True)
    torch.autograd.grad(tloss, [ta], retain_graph=True)
    ag.grad(loss, [w])
    torch.autograd.grad(tloss, [tw])
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-14)
    assert w.grad is None and tw.grad is None


# ------------------------------------------------------------------ 3. a Function's None gradient
class FirstGetsNone(ag.Function):
    """x * y whose backward gives x no gradient (None) and y 2g."""

    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, g):
        return None, g * 2


def test_a_none_gradient_leaves_a_leaf_grad_none_and_adds_nothing_elsewhere():
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    FirstGetsNone.apply(x, y).sum().backward()
    assert x.grad is None
    np.testing.assert_array_equal(y.grad, [2.0, 2.0])
    y.grad = None
    (FirstGetsNone.apply(x, y).sum() + (x * 5).sum()).backward()  # another path: its part alone
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    FirstGetsNone.apply(x, y).sum().backward()  # a .grad already there is left as it is
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])
    z = Tensor([1.0, 2.0], requires_grad=True)
    FirstGetsNone.apply(z, Tensor([3.0, 4.0])).sum().backward()  # the only input that needs a gradient gets None
    assert z.grad is None


def test_a_none_gradient_for_a_non_leaf_stops_there():
    calls = []
    Below = counting(calls, "below")
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    h = Below.apply(x)
    h.retain_grad()
    h.register_hook(recorder(calls, "h"))  # not called (torch calls it with None: README's table)
    FirstGetsNone.apply(h, y).sum().backward()
    assert calls == [] and h.grad is None and x.grad is None  # nothing reached h: nothing below it ran
    (gx, gy) = ag.grad(FirstGetsNone.apply(h, y).sum(), [x, y], allow_unused=True, create_graph=True)
    assert gx is None and gy.tolist() == [2.0, 2.0]


def test_grad_of_an_input_given_only_none_needs_allow_unused():
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    gx, gy = ag.grad(FirstGetsNone.apply(x, y).sum(), [x, y], allow_unused=True)
    assert gx is None and gy.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match=r"^grad: input 0 \(shape \(2,\)\) got no gradient: .* returned None .*"):
        ag.grad(FirstGetsNone.apply(x, y).sum(), [x, y])


def test_a_none_gradient_as_torch():
    torch = pytest.importorskip("torch")

    class TorchFirstGetsNone(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return None, g * 2

    def run(lib, function):
        x, y = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0], requires_grad=True)
        function.apply(x, y).sum().backward()
        alone = x.grad
        (function.apply(x, y).sum() + (x * 5).sum()).backward()
        grad = ag.grad if lib is ag else torch.autograd.grad
        unused = grad(function.apply(x, y).sum(), [x, y], allow_unused=True)
        with pytest.raises(RuntimeError, match="allow_unused=True"):
            grad(function.apply(x, y).sum(), [x, y])
        return alone, values(x.grad), values(y.grad), unused[0]

    ours, theirs = run(ag, FirstGetsNone), run(torch, TorchFirstGetsNone)
    assert ours[0] is None and theirs[0] is None
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_array_equal(ours[2], theirs[2])
    assert ours[3] is None and theirs[3] is None


def test_a_none_gradient_through_compile_gives_define_by_runs_gradients():
    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    step = ag.compile(lambda: FirstGetsNone.apply(x, y).sum() + (y * x).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ag.CompileWarning)  # (it may replay or run define-by-run: both must agree)
        for _ in range(4):
            x.grad = y.grad = None
            step()
            np.testing.assert_array_equal(x.grad, [3.0, 4.0])  # y alone: FirstGetsNone gave x nothing
            np.testing.assert_array_equal(y.grad, [3.0, 4.0])  # 2 + x


def test_a_compiled_step_with_a_none_gradient_replays_and_leaves_that_leaf_alone():
    """ag.compile replays a Function's None as the engine runs it: no gradient sent, a leaf only it reaches
    keeps .grad None, another reached through other paths too gets the rest; no fallback, no warning."""
    x, y, w = (Tensor(np.arange(1.0, 4.0) * k, requires_grad=True) for k in (1, 2, 3))

    def loss(batch):
        return (FirstGetsNone.apply(x, y) * batch).sum() + (FirstGetsNone.apply(w, x) * batch).sum()

    step = ag.compile(loss)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback would warn
        for k in range(4):
            batch = Tensor(np.full(3, k + 1.0))
            expected = {id(t): g for t, g in zip((x, y, w), _define_by_run(loss, batch, (x, y, w)))}
            step(batch)
            assert w.grad is None and expected[id(w)] is None  # only a None reaches w
            np.testing.assert_array_equal(y.grad, expected[id(y)])  # 2 * batch, from the first Function
            np.testing.assert_array_equal(x.grad, expected[id(x)])  # x: None there, 2 * batch from the second
    assert step.replay_count == 2 and step.fallback_reason is None


def _define_by_run(loss, batch, leaves):
    for t in leaves:
        t.grad = None
    loss(batch).backward()
    grads = [None if t.grad is None else t.grad.copy() for t in leaves]
    for t in leaves:
        t.grad = None
    return grads


def test_the_pictures_show_a_none_gradient_as_an_edge_carrying_nothing():
    viz = pytest.importorskip("viz")
    x, y = Tensor([1.0, 2.0], requires_grad=True, label="x"), Tensor([3.0, 4.0], requires_grad=True, label="y")
    loss = FirstGetsNone.apply(x, y).sum()
    assert "∂sum/∂x = [0, 0]" in str(viz.explain(loss, x))
    assert "∂sum/∂y = [2, 2]" in str(viz.explain(loss, y))
    assert len(viz.animate_backward(loss)) >= 2  # its frames: sum, then the Function (no crash on its None)
