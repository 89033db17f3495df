"""ag.Function, PyTorch's torch.autograd.Function: a custom op's forward and backward on one Primitive per class.

Oracles: torch 2.x running the same Function (where installed), finite differences, closed forms.
"""

import math
from typing import ClassVar

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


class LegendrePolynomial3(ag.Function):
    """P3(x) = (5x^3 - 3x) / 2, as in PyTorch's tutorial "Learning PyTorch with Examples"."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input**3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input**2 - 1)


class ScaledProduct(ag.Function):
    """x * sin(y) * k (k a number), with a product rule for backward; records needs_input_grad."""

    seen_needs: ClassVar[list] = []

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.save_for_backward(x, y)
        ctx.k = k
        ScaledProduct.seen_needs.append(tuple(ctx.needs_input_grad))
        return x * y.sin() * k

    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        dx = grad_output * y.sin() * ctx.k if ctx.needs_input_grad[0] else None
        dy = grad_output * x * y.cos() * ctx.k if ctx.needs_input_grad[1] else None
        return dx, dy, None


def _torch_twin(torch, function):
    """The same Function written for torch (the tests' oracle): forward/backward in Tensor ops both share."""
    body = {"forward": function.forward, "backward": function.backward}
    return type(function.__name__, (torch.autograd.Function,), body)


def _train_legendre(lib, steps):
    """PyTorch's tutorial loop: y = a + b P3(c + d x) fitted to sin(x) by plain gradient descent."""
    if lib is ag:
        x, function = ag.linspace(-math.pi, math.pi, 2000), LegendrePolynomial3
        params = [ag.full((), v, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    else:
        x, function = lib.linspace(-math.pi, math.pi, 2000, dtype=lib.float64), _torch_twin(lib, LegendrePolynomial3)
        params = [lib.full((), v, dtype=lib.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3)]
    y, (a, b, c, d), losses = x.sin(), params, []
    for _ in range(steps):
        loss = ((a + b * function.apply(c + d * x) - y) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= 5e-6 * p.grad
                p.grad = None
    return [p.item() for p in params], losses


def test_legendre_polynomial3_trains_as_in_the_pytorch_tutorial():
    (a, b, c, d), losses = _train_legendre(ag, 2000)
    assert losses[-1] < losses[0] / 40 and all(np.diff(losses) < 0)
    # the tutorial's printed result: y = -5.39e-09 + -2.2085 * P3(1.37e-09 + 0.25549 x)
    np.testing.assert_allclose([b, d], [-2.208526849746704, 0.2554861009120941], rtol=1e-6)
    assert abs(a) < 1e-6 and abs(c) < 1e-6


def test_legendre_polynomial3_trains_like_torch_step_for_step():
    torch = pytest.importorskip("torch")
    mine, my_losses = _train_legendre(ag, 300)
    theirs, their_losses = _train_legendre(torch, 300)
    np.testing.assert_allclose(my_losses, their_losses, rtol=1e-12)
    np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-15)


def test_the_op_is_named_after_the_class_in_walk_and_viz_and_stays_out_of_primitives():
    before = dict(ag.PRIMITIVES)

    class exp(ag.Function):  # (a name the engine's own primitive has)
        @staticmethod
        def forward(ctx, x):
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            return g

    assert before == ag.PRIMITIVES and ag.PRIMITIVES["exp"] is ag.primitives.Exp
    x = Tensor([0.5, 2.0], requires_grad=True, label="x")
    out = LegendrePolynomial3.apply(x)
    assert [t.op for t in ag.walk(out)] == [None, "LegendrePolynomial3"] and out.prim.__name__ == "LegendrePolynomial3"
    assert exp.apply(x).op == "exp" and exp.apply(x).prim is not ag.primitives.Exp
    viz = pytest.importorskip("viz")
    assert "LegendrePolynomial3" in viz.draw_graph(out).source


def test_two_tensors_and_a_number_match_torch_values_gradients_and_needs_input_grad():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xv, yv, gv = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    twin = _torch_twin(torch, ScaledProduct)
    for y_requires in (True, False):
        ScaledProduct.seen_needs.clear()
        x, y = Tensor(xv, requires_grad=True), Tensor(yv, requires_grad=y_requires)
        out = ScaledProduct.apply(x, y, 2.5)
        out.backward(gv)
        tx, ty = torch.tensor(xv, requires_grad=True), torch.tensor(yv, requires_grad=y_requires)
        tout = twin.apply(tx, ty, 2.5)
        tout.backward(torch.tensor(gv))
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-14)
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-14)
        assert (y.grad is None) == (ty.grad is None) == (not y_requires)
        if y_requires:
            np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-14)
        assert ScaledProduct.seen_needs == [(True, y_requires, False)] * 2  # ours, then torch's


def test_keyword_arguments_count_as_arguments_and_no_grad_records_nothing_as_in_torch():
    torch = pytest.importorskip("torch")

    class Scale(ag.Function):
        needs: ClassVar[list] = []

        @staticmethod
        def forward(ctx, x, k, scale=1.0):
            Scale.needs.append(tuple(ctx.needs_input_grad))
            ctx.factor = k * scale
            return x * ctx.factor

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor, None, None

    x = Tensor([1.0, 2.0], requires_grad=True)
    Scale.apply(x, 2.0, scale=3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    with ag.no_grad():
        plain = Scale.apply(x, 2.0)
    assert not plain.requires_grad and plain.op is None
    twin, tx = _torch_twin(torch, Scale), torch.ones(2, requires_grad=True)
    twin.apply(tx, 2.0, scale=3.0)
    with torch.no_grad():
        twin.apply(tx, 2.0)
    assert Scale.needs[:2] == Scale.needs[2:] == [(True, False, False), (True, False)]


class SortedWithIndex(ag.Function):
    """Several outputs: the sorted values and (not differentiable) the permutation; records what backward got."""

    received: ClassVar[list] = []

    @staticmethod
    def forward(ctx, x, materialize=True):
        order = np.argsort(x.data, kind="stable")
        index = Tensor(order)
        ctx.mark_non_differentiable(index)
        ctx.set_materialize_grads(materialize)
        ctx.order = order
        return x[order], x[order] * 2, index

    @staticmethod
    def backward(ctx, grad_values, grad_doubled, grad_index):
        SortedWithIndex.received.append((grad_values, grad_doubled, grad_index))
        return Tensor(_unsort(ctx.order, grad_values, grad_doubled)), None


def _unsort(order, grad_values, grad_doubled):
    """The sort's backward in numpy (either library's gradients, None for none)."""
    total = np.zeros(order.shape)
    for g, scale in ((grad_values, 1), (grad_doubled, 2)):
        if g is not None:
            np.add.at(total, order, np.asarray(g.detach()) * scale)
    return total


def test_several_outputs_match_torch_with_unused_outputs_and_non_differentiable_ones():
    torch = pytest.importorskip("torch")

    class TorchSorted(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize=True):
            values, index = torch.sort(x, stable=True)
            ctx.mark_non_differentiable(index)
            ctx.set_materialize_grads(materialize)
            ctx.order = index.numpy()
            return values, values * 2, index

        @staticmethod
        def backward(ctx, grad_values, grad_doubled, grad_index):
            SortedWithIndex.received.append((grad_values, grad_doubled, grad_index))
            return torch.tensor(_unsort(ctx.order, grad_values, grad_doubled)), None

    xv = np.array([3.0, -1.0, 2.0, 0.5])
    for materialize in (True, False):
        SortedWithIndex.received.clear()
        x = Tensor(xv, requires_grad=True)
        values, doubled, index = SortedWithIndex.apply(x, materialize)
        assert values.requires_grad and not index.requires_grad and index.dtype == np.int64
        (values * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()  # `doubled` unused
        tx = torch.tensor(xv, requires_grad=True)
        tvalues, tdoubled, tindex = TorchSorted.apply(tx, materialize)
        (tvalues * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
        np.testing.assert_array_equal(values.data, tvalues.detach().numpy())
        np.testing.assert_array_equal(doubled.data, tdoubled.detach().numpy())
        np.testing.assert_array_equal(index.data, tindex.numpy())
        np.testing.assert_array_equal(x.grad, tx.grad.numpy())
        (mine, theirs) = SortedWithIndex.received
        for got, want in zip(mine, theirs):
            assert (got is None) == (want is None)
            if got is not None:
                np.testing.assert_array_equal(got.data, want.numpy())


def test_none_means_no_gradient_and_backward_runs_once_per_node():
    calls = []

    class Pair(ag.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            calls.append(g)
            return g * 3, None

    x, y = Tensor([1.0, 2.0], requires_grad=True), Tensor([4.0, 5.0], requires_grad=True)
    Pair.apply(x, y).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert y.grad is None  # as PyTorch: no path wrote it (tests/test_engine_torch_grads.py: the other cases)


def test_repeated_backward_accumulates_and_never_aliases_forward_memory():
    class Identityish(ag.Function):  # backward hands back a saved input itself: it must not become a .grad
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(w)
            return (x * w).sum()

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return w if g.item() == 1 else w * g, None

    x, w = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
    out = Identityish.apply(x, w)
    for _ in range(3):  # one 0-d seed object every time: backward must run afresh each time
        out.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, [9.0, 12.0])
    np.testing.assert_array_equal(w.data, [3.0, 4.0])


def test_second_derivatives_through_create_graph_match_finite_differences():
    rng = np.random.default_rng(1)
    xv, yv = rng.normal(size=5), rng.normal(size=5)

    def first(xs, ys):
        x, y = Tensor(xs, requires_grad=True), Tensor(ys, requires_grad=True)
        return ag.grad(ScaledProduct.apply(x, y, 1.5).sum(), [x, y], create_graph=True), (x, y)

    (dx, dy), (x, y) = first(xv, yv)
    ddx_dy, ddy_dy = ag.grad((dx + dy).sum(), [x, y])  # d/dx and d/dy of sum(dx + dy)
    eps, numeric_x, numeric_y = 1e-6, np.zeros(5), np.zeros(5)
    for k in range(5):
        e = np.eye(5)[k] * eps
        plus, minus = first(xv + e, yv)[0], first(xv - e, yv)[0]
        numeric_x[k] = ((plus[0] + plus[1]).sum().item() - (minus[0] + minus[1]).sum().item()) / (2 * eps)
        plus, minus = first(xv, yv + e)[0], first(xv, yv - e)[0]
        numeric_y[k] = ((plus[0] + plus[1]).sum().item() - (minus[0] + minus[1]).sum().item()) / (2 * eps)
    np.testing.assert_allclose(ddx_dy.data, numeric_x, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ddy_dy.data, numeric_y, rtol=1e-6, atol=1e-8)
    # closed form, Legendre: P3'' = 15x; the saved output too: (e^x)'' = e^x through a saved output
    x = Tensor(xv, requires_grad=True)
    (d1,) = ag.grad(LegendrePolynomial3.apply(x).sum(), x, create_graph=True)
    np.testing.assert_allclose(ag.grad(d1.sum(), x)[0].data, 15 * xv, rtol=1e-13)


class SavedExp(ag.Function):
    @staticmethod
    def forward(ctx, x):
        out = x.exp()
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class ProductAndSum(ag.Function):
    """Two outputs, x * y and x + y; backward reads the saved product (an output) and x."""

    @staticmethod
    def forward(ctx, x, y):
        product = x * y
        ctx.save_for_backward(x, product)
        return product, x + y

    @staticmethod
    def backward(ctx, grad_product, grad_sum):
        x, product = ctx.saved_tensors
        return grad_product * (product / x) + grad_sum, grad_product * x + grad_sum


def test_second_derivatives_match_torch_through_saved_outputs_and_several_outputs():
    torch = pytest.importorskip("torch")
    xv, yv = np.array([0.3, -1.2, 2.0]), np.array([1.1, 0.4, -0.7])
    x, y = Tensor(xv, requires_grad=True), Tensor(yv, requires_grad=True)
    tx, ty = torch.tensor(xv, requires_grad=True), torch.tensor(yv, requires_grad=True)

    def loss(lib_x, lib_y, exp, product_and_sum, scaled):
        product, total = product_and_sum.apply(lib_x, lib_y)
        return ((exp.apply(lib_x) * scaled.apply(lib_x, lib_y, 0.5)) ** 2 + product**2 * total).sum()

    grads = ag.grad(loss(x, y, SavedExp, ProductAndSum, ScaledProduct), [x, y], create_graph=True)
    twins = [_torch_twin(torch, f) for f in (SavedExp, ProductAndSum, ScaledProduct)]
    tgrads = torch.autograd.grad(loss(tx, ty, *twins), [tx, ty], create_graph=True)
    for got, want in zip(grads, tgrads):
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-12)
    second = ag.grad((grads[0] * grads[1]).sum(), [x, y])
    tsecond = torch.autograd.grad((tgrads[0] * tgrads[1]).sum(), [tx, ty])
    for got, want in zip(second, tsecond):
        np.testing.assert_allclose(got.data, want.numpy(), rtol=1e-12)


def test_gradcheck_passes_a_function_and_catches_a_wrong_backward():
    rng = np.random.default_rng(2)
    x, y = Tensor(rng.normal(size=(2, 3)), requires_grad=True), Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    assert ag.gradcheck(lambda a, b: ScaledProduct.apply(a, b, 0.7), [x, y])
    assert ag.gradcheck(LegendrePolynomial3.apply, x)

    class Wrong(LegendrePolynomial3):
        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            return grad_output * 1.5 * (5 * input**2)  # forgot the -1

    with pytest.raises(AssertionError):
        ag.gradcheck(Wrong.apply, x)


class CubeWithDerivative(ag.Function):
    """PyTorch 2's style (torch.func's docs): forward without ctx, setup_context, two outputs, a double backward."""

    @staticmethod
    def forward(x):
        return x**3, 3 * x**2

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        _, dx = output
        ctx.save_for_backward(x, dx)

    @staticmethod
    def backward(ctx, grad_output, grad_dx):
        x, dx = ctx.saved_tensors
        return grad_output * dx + grad_dx * 6 * x


def test_setup_context_style_with_two_outputs_matches_torch_to_second_order():
    torch = pytest.importorskip("torch")
    twin = type(
        "CubeWithDerivative",
        (torch.autograd.Function,),
        {k: CubeWithDerivative.__dict__[k] for k in ("forward", "setup_context", "backward")},
    )
    xv = np.array([0.5, -1.5, 2.0])
    x, tx = Tensor(xv, requires_grad=True), torch.tensor(xv, requires_grad=True)
    cube, dx = CubeWithDerivative.apply(x)
    tcube, tdx = twin.apply(tx)
    (g,) = ag.grad((cube * dx).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((tcube * tdx).sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-14)  # d(3x^5)/dx = 15x^4
    np.testing.assert_allclose(ag.grad(g.sum(), x)[0].data, torch.autograd.grad(tg.sum(), tx)[0].numpy(), rtol=1e-14)
    np.testing.assert_allclose(g.data, 15 * xv**4, rtol=1e-14)
