"""PyTorch's "Extending PyTorch" note (its torch.autograd.Function part), ported step by step onto ``ag.Function``
(``ag.autograd.Function``): each step runs the note's own class (tests/extending_helpers.py, one body for both
libraries), asserts the note's outcome, proves gradients without torch (``ag.gradcheck``, ``ag.gradgradcheck``,
closed forms) and, where torch is installed, equals torch running the very same body.

a. LinearFunction, ctx style and forward + setup_context style: gradcheck(eps=1e-6, atol=1e-4) as the note runs
   it; backward computes only what ``needs_input_grad`` asks; a bias of None gets None; wrapped in an nn.Module
b. MulConstant: a non-Tensor argument, its gradient None
c. MyCube: an intermediate returned and saved, backward adding its gradient so double backward is right
d. mark_non_differentiable: sort's indices; a once_differentiable backward scattering with ``index_add_``
e. set_materialize_grads(False): the unused output's gradient comes as None
f. mark_dirty, forward mode (``jvp`` / ``save_for_forward``): deliberate differences, see below

What the port needed (fixed in the library, each with a test here):
- ``ag.gradgradcheck`` (and ``ag.autograd.gradgradcheck``): the note and the double-backward tutorial check
  second derivatives with it; we had only gradcheck
- ``Tensor.index_add_``: the note's sort backward scatters with it (we had the out-of-place ``index_add``)
- ``ctx.save_for_forward`` raised AttributeError; now a clear error saying how forward mode works here
- ``ag.jvp`` through a ``once_differentiable`` backward gave a silent zero tangent (as
  ``torch.autograd.functional.jvp`` still does): the refusing node now hangs on the grad_outputs, as torch's
  DelayedError, so the double vjp raises

Deliberate differences (our spelling, and why):
- mark_dirty: an in-place Function is refused (the graph records values, in-place writes into recorded tensors
  are refused engine-wide); forward returns a new Tensor and the gradients are torch's
- forward mode: ``ag.jvp`` derives J v from backward (the double-vjp trick), so a Function needs no ``jvp``
  staticmethod: one whose backward is written in Tensor ops gets torch's forward-mode values; a
  ``once_differentiable`` backward refuses, clearly
- set_materialize_grads(False): an output whose gradient is all zeros also comes as None (the engine cannot
  tell "not reached" from zeros once outputs share a node); backward must handle None either way, as the note says
"""

import numpy as np
import pytest
from extending_helpers import make_linear, make_mul_constant, make_my_cube, make_simple, make_sort

import autograd_core as ag
import nn
from autograd_core import Tensor


def _pair(torch, *arrays):
    """The same float64 values as ag and torch leaves that require grad."""
    ours = [Tensor(np.array(a, np.float64), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(np.array(a, np.float64), requires_grad=True) for a in arrays]
    return ours, theirs


# ------------------------------------------------------------------ a. LinearFunction
@pytest.mark.parametrize("separate", [False, True], ids=["ctx-style", "setup_context-style"])
def test_a_linear_function_passes_gradcheck_as_the_note_runs_it(separate):
    linear = make_linear(ag, separate).apply
    rng = np.random.default_rng(0)
    input = Tensor(rng.standard_normal((20, 20)), requires_grad=True)
    weight = Tensor(rng.standard_normal((30, 20)), requires_grad=True)
    assert ag.gradcheck(linear, (input, weight, None), eps=1e-6, atol=1e-4)  # the note prints True
    bias = Tensor(rng.standard_normal(30), requires_grad=True)
    assert ag.gradcheck(linear, (input, weight, bias), eps=1e-6, atol=1e-4)
    out = linear(input, weight, bias)
    np.testing.assert_allclose(out.data, input.data @ weight.data.T + bias.data)  # the closed form


def test_a_backward_computes_only_what_needs_input_grad_asks_and_bias_none_gets_none():
    LinearFunction = make_linear(ag)
    x = Tensor(np.ones((2, 3)))  # needs no gradient
    w = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    LinearFunction.apply(x, w, None).sum().backward()
    assert LinearFunction.computed == [("weight",)]
    np.testing.assert_array_equal(w.grad, np.full((4, 3), 2.0))  # d sum(x w^T)/dw = 1^T x: column sums of x
    b = Tensor(np.zeros(4), requires_grad=True)
    x.requires_grad = True
    LinearFunction.apply(x, w, b).sum().backward()
    assert LinearFunction.computed[-1] == ("input", "weight", "bias")
    np.testing.assert_array_equal(b.grad, [2.0] * 4)  # grad_output.sum(0): two rows of ones
    np.testing.assert_array_equal(x.grad, np.tile(w.data.sum(0), (2, 1)))  # grad_output.mm(weight)


def test_a_linear_function_equals_torch_running_the_same_body():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    arrays = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    for separate in (False, True):
        (x, w, b), (xt, wt, bt) = _pair(torch, *arrays)
        ours = make_linear(ag, separate).apply(x, w, b)
        theirs = make_linear(torch, separate).apply(xt, wt, bt)
        g = rng.standard_normal((5, 4))
        ours.backward(g)
        theirs.backward(torch.tensor(g))
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)
        for mine, their in ((x, xt), (w, wt), (b, bt)):
            np.testing.assert_allclose(mine.grad, their.grad.numpy(), rtol=1e-12)


class Linear(nn.Module):
    """The note's ``Linear`` module on LinearFunction: Parameters, ``register_parameter('bias', None)`` when
    bias=False, ``nn.init.uniform_`` and ``extra_repr``."""

    def __init__(self, input_features, output_features, bias=True):
        super().__init__()
        self.input_features, self.output_features = input_features, output_features
        self.weight = nn.Parameter(ag.empty(output_features, input_features))
        if bias:
            self.bias = nn.Parameter(ag.empty(output_features))
        else:
            self.register_parameter("bias", None)
        nn.init.uniform_(self.weight, -0.1, 0.1)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -0.1, 0.1)
        self.function = make_linear(ag)

    def forward(self, input):
        return self.function.apply(input, self.weight, self.bias)

    def extra_repr(self):
        features = f"input_features={self.input_features}, output_features={self.output_features}"
        return f"{features}, bias={self.bias is not None}"


def test_a_the_linear_module_trains_its_parameters_through_the_function():
    layer = Linear(3, 2)
    assert "input_features=3, output_features=2, bias=True" in repr(layer)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert np.all(np.abs(layer.weight.data) <= 0.1)
    assert Linear(3, 2, bias=False).bias is None and len(list(Linear(3, 2, bias=False).parameters())) == 1
    rng = np.random.default_rng(2)
    x, target = Tensor(rng.standard_normal((16, 3))), Tensor(rng.standard_normal((16, 2)))
    opt = nn.optim.SGD(layer.parameters(), lr=0.1)
    losses = []
    for _ in range(50):
        opt.zero_grad()
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    w, *_ = np.linalg.lstsq(np.c_[x.data, np.ones(16)], target.data, rcond=None)
    best = float(np.mean((np.c_[x.data, np.ones(16)] @ w - target.data) ** 2))
    assert losses[-1] < losses[0] and losses[-1] - best < 0.1 * (losses[0] - best)  # most of the way to lstsq


# ------------------------------------------------------------------ b. MulConstant
def test_b_mul_constant_gives_the_number_none_and_the_tensor_the_constant():
    MulConstant = make_mul_constant(ag)
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = MulConstant.apply(x, 5.5)
    np.testing.assert_array_equal(y.data, [5.5, -11.0, 16.5])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [5.5] * 3)
    assert ag.gradcheck(lambda t: MulConstant.apply(t, 5.5), x)
    torch = pytest.importorskip("torch")
    xt = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    make_mul_constant(torch).apply(xt, 5.5).sum().backward()
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


# ------------------------------------------------------------------ c. MyCube
def test_c_my_cube_returns_and_saves_dx_and_is_right_to_second_order():
    MyCube = make_my_cube(ag)

    def my_cube(x):
        result, _dx = MyCube.apply(x)
        return result

    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    _result, dx = MyCube.apply(x)
    np.testing.assert_array_equal(dx.data, 3 * x.data**2)
    assert dx.requires_grad  # an intermediate output is differentiable (unlike sort's indices below)
    assert ag.gradcheck(my_cube, x) and ag.gradgradcheck(my_cube, x)
    (g,) = ag.grad(my_cube(x).sum(), x, create_graph=True)
    (gg,) = ag.grad(g.sum(), x)
    np.testing.assert_allclose(gg.data, 6 * x.data)  # d2/dx2 x^3, through grad_dx * 6x
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x.data, requires_grad=True)
    (gt,) = torch.autograd.grad(make_my_cube(torch).apply(xt)[0].sum(), xt, create_graph=True)
    (ggt,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(gg.data, ggt.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ d. mark_non_differentiable
def test_d_sorts_indices_are_non_differentiable_and_the_gradient_is_scattered_back():
    Func = make_sort(ag)
    x = Tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, idx = Func.apply(x)
    np.testing.assert_array_equal(values.data, [1.0, 2.0, 3.0])
    assert idx.dtype.kind == "i" and idx.tolist() == [1, 2, 0] and not idx.requires_grad
    g = np.array([10.0, 20.0, 30.0])
    values.backward(g)
    np.testing.assert_array_equal(x.grad, [30.0, 10.0, 20.0])  # grad_input[idx[j]] = g[j]
    assert ag.gradcheck(lambda t: Func.apply(t)[0], Tensor(np.random.default_rng(3).random(6), requires_grad=True))
    values = Func.apply(x)[0]
    (first,) = ag.grad((values * values).sum(), x, create_graph=True)
    np.testing.assert_array_equal(first.data, 2 * x.data)
    with pytest.raises(RuntimeError, match=r"Func.backward is decorated with once_differentiable"):
        ag.grad(first.sum(), x)  # torch refuses a second derivative too


def test_d_sort_function_equals_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    (x,), (xt,) = _pair(torch, rng.standard_normal(7))
    g = rng.standard_normal(7)
    values, idx = make_sort(ag).apply(x)
    values_t, idx_t = make_sort(torch).apply(xt)
    assert idx.tolist() == idx_t.tolist()
    values.backward(g)
    values_t.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad, xt.grad.numpy())


def test_d_index_add_in_place_adds_repeats_and_refuses_a_recorded_source():
    t = ag.zeros(3, 2)
    assert t.index_add_(0, ag.tensor([2, 0, 2]), Tensor(np.ones((3, 2))), alpha=2) is t
    np.testing.assert_array_equal(t.data, [[2.0, 2.0], [0.0, 0.0], [4.0, 4.0]])
    source = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"index_add_: source requires grad.*t.index_add\(dim, index, source\)"):
        ag.zeros(3).index_add_(0, ag.tensor([0, 1]), source)
    with pytest.raises(ValueError, match=r"index_add: source has shape \(3,\), but the index needs \(2,\)"):
        ag.zeros(3).index_add_(0, ag.tensor([0, 1]), Tensor(np.ones(3)))
    w = Tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"index_add_\(\) on a leaf tensor that requires grad"):
        w.index_add_(0, ag.tensor([0]), Tensor([1.0]))


# ------------------------------------------------------------------ e. set_materialize_grads
@pytest.mark.parametrize("materialize", [False, True])
def test_e_an_unused_output_comes_to_backward_as_none_without_materializing(materialize):
    seen = []
    SimpleFunc = make_simple(ag, seen, materialize)
    a = Tensor(1.0, requires_grad=True)
    b, _ = SimpleFunc.apply(a)
    b.backward()
    assert a.grad == 1.0
    (g1, g2) = seen[-1]
    assert g1.item() == 1.0
    assert (g2 is None) if not materialize else (g2.item() == 0.0)  # materialized: zeros, as torch
    torch = pytest.importorskip("torch")
    seen_t = []
    at = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    make_simple(torch, seen_t, materialize).apply(at)[0].backward()
    assert (seen_t[-1][1] is None) == (g2 is None) and at.grad.item() == a.grad


# ------------------------------------------------------------------ f. mark_dirty, forward mode
def test_f_mark_dirty_is_refused_and_a_new_tensor_gives_torchs_gradient():
    class AddOneInPlace(ag.Function):  # the note's in-place pattern
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(NotImplementedError, match=r"AddOneInPlace: mark_dirty .* return a new Tensor"):
        AddOneInPlace.apply(Tensor([1.0, 2.0]).clone())

    class AddOne(ag.Function):  # our spelling: compute into a new tensor
        @staticmethod
        def forward(ctx, x):
            return x + 1

        @staticmethod
        def backward(ctx, g):
            return g

    x = Tensor([1.0, 2.0], requires_grad=True)
    y = AddOne.apply(x * 2)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.data, [3.0, 5.0])
    np.testing.assert_array_equal(x.grad, 4 * y.data)  # d/dx (2x + 1)^2 = 4 (2x + 1)


def test_f_forward_mode_comes_from_backward_and_equals_torchs_jvp():
    LinearFunction = make_linear(ag)
    rng = np.random.default_rng(5)
    x, w, v = (rng.standard_normal(s) for s in ((4, 3), (2, 3), (4, 3)))
    _out, tangent = ag.jvp(lambda t: LinearFunction.apply(t, Tensor(w), None), (Tensor(x),), (Tensor(v),))
    np.testing.assert_allclose(tangent.data, v @ w.T, rtol=1e-12)  # linear in x: J v = v W^T
    MyCube = make_my_cube(ag)
    _, tangent = ag.jvp(lambda t: MyCube.apply(t)[0], (Tensor(x),), (Tensor(v),))
    np.testing.assert_allclose(tangent.data, 3 * x**2 * v, rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"once_differentiable"):
        ag.jvp(lambda t: make_sort(ag).apply(t)[0], (Tensor(x[0]),), (Tensor(v[0]),))

    class Saves(ag.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_forward(t)
            return t * 2

    with pytest.raises(NotImplementedError, match=r"Saves: save_for_forward .* ag.jvp .* from backward"):
        Saves.apply(Tensor([1.0]))
    torch = pytest.importorskip("torch")
    _, tangent_t = torch.func.jvp(lambda t: t**3, (torch.tensor(x),), (torch.tensor(v),))
    np.testing.assert_allclose(tangent.data, tangent_t.numpy(), rtol=1e-12)
