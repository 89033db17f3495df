"""minitorch (Sasha Rush's Cornell course library, minitorch.github.io), modules 0 and 1, ported: its task tests
re-done with the engine, the way a reader of the course writes them with torch's spellings.

0.1  The operators (mul, id, add, neg, lt, eq, max, is_close, sigmoid, relu, log, exp, inv) as the engine's
     functions on 0-d tensors, equal to Python's; their ``_back`` functions are the engine's vector-Jacobian
     products (``ag.grad(f(x), x, d)``), relu's at its kink by this library's rule (ties split: 1/2).
0.2  The properties the course asks for: sigmoid in [0, 1], 1 - s(a) = s(-a), s(0) = 1/2, increasing; lt is
     transitive, mul symmetric and distributive.
0.3  map / zipWith / reduce are the elementwise ops and the reductions: negList, addLists, sum, prod.
0.4  The module tree: named_parameters' dotted names, parameter counts, train()/eval() reaching every
     descendant, calling a module runs forward.
1.1  central_difference: the course's known values and, everywhere, the engine's derivative.
1.2-1.4  ScalarFunction's forward/backward with ``ctx.save_for_backward`` as ``ag.Function``; the chain rule
     with constants; backpropagate's examples 1-4 (a variable reached twice gets both derivatives); the
     topological order ``ag.walk`` gives.
1.5  Training the course's network on Simple, Diag, Split, Xor, Circle (all fitted) and Spiral, and module 1's
     network of scalars (one 0-d parameter per weight), whose gradients equal the tensor network's.

What the port needed: ``ag.central_difference`` (the course's helper; every port here had written its own),
torch's module-level ``ag.lt``/``ag.eq``/``ag.neg``/``ag.reciprocal`` (see test_minitorch_ports_tensor.py).
Where the course's design differs here (kept): ``relu_back(0, d)`` is d/2, not 0 (the kink rule); a backward
that returns a gradient for a constant argument is refused, as torch's (return None there), where minitorch's
``chain_rule`` drops it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd_core as ag
import nn
from autograd_core import Tensor
from tests.minitorch_helpers import ONE_ARG, Network, accuracy, dataset, leaf, train

small_floats = st.floats(-100, 100, allow_nan=False)


def derivative(f, x: float, d_output: float = 1.0) -> float:
    """The engine's d f / dx at x, times d_output: what the course's ``*_back(x, d)`` functions return."""
    t = leaf(x)
    (g,) = ag.grad(f(t), t, Tensor(d_output))
    return float(g.item())


# ----------------------------------------------------------------------------- 0.1 operators
@given(small_floats, small_floats)
def test_0_1_the_operators_are_python_s(x, y):
    a, b = Tensor(x), Tensor(y)
    assert ag.mul(a, b).item() == x * y and ag.add(a, b).item() == x + y and ag.neg(a).item() == -x
    assert ag.maximum(a, b).item() == (x if x > y else y) and ag.max(a, b).item() == max(x, y)
    assert ag.lt(a, b).item() == (x < y) and ag.eq(a, b).item() == (x == y)
    assert ag.relu(a).item() == (x if x > 0 else 0.0)
    assert ag.isclose(a, b, rtol=0, atol=1e-2).item() == (abs(x - y) <= 1e-2)  # the course's is_close
    if abs(x) > 1e-5:
        assert ag.reciprocal(a).item() == pytest.approx(1.0 / x, rel=1e-15)


@given(small_floats)
def test_0_1_lt_eq_and_max_known_values(a):
    assert ag.lt(a - 1.0, Tensor(a)).item() and not ag.lt(a, Tensor(a - 1.0)).item()
    assert ag.max(Tensor(a - 1.0), Tensor(a)).item() == a and ag.max(Tensor(a), Tensor(a + 1.0)).item() == a + 1.0
    assert ag.eq(Tensor(a), a).item() and not ag.eq(Tensor(a), a - 1.0).item() and not ag.eq(Tensor(a), a + 1.0).item()


@given(small_floats, small_floats)
def test_0_1_the_back_functions_are_the_engine_s_vector_jacobian_products(a, d):
    assume(abs(a) > 1e-6)
    assert derivative(ag.relu, a, d) == (d if a > 0 else 0.0)  # relu_back
    assert derivative(lambda t: ag.log(t.abs() + 4.0), abs(a), d) == pytest.approx(d / (abs(a) + 4.0), rel=1e-14)
    assert derivative(lambda t: ag.reciprocal(t + 2.4), a, d) == pytest.approx(-d / (a + 2.4) ** 2, rel=1e-12)
    s = 1.0 / (1.0 + math.exp(-a))
    assert derivative(ag.sigmoid, a, d) == pytest.approx(d * s * (1 - s), rel=1e-9, abs=1e-300)
    assert derivative(lambda t: ag.exp(t / 10.0), a, d) == pytest.approx(d * math.exp(a / 10.0) / 10.0, rel=1e-14)


def test_0_1_relu_back_at_its_kink_splits_the_tie():
    # minitorch's relu_back(0, d) is 0 (the derivative from the left); here ties split evenly, relu = max(x, 0)
    assert derivative(ag.relu, 0.0, 6.0) == 3.0 == derivative(lambda t: ag.maximum(t, 0.0), 0.0, 6.0)


# ----------------------------------------------------------------------------- 0.2 properties
@given(st.floats(-1e4, 1e4))
def test_0_2_sigmoid_properties(a):
    s = ag.sigmoid(Tensor(a)).item()
    assert 0.0 <= s <= 1.0
    assert 1.0 - s == pytest.approx(ag.sigmoid(Tensor(-a)).item(), abs=1e-15)
    if abs(a) < 10:  # strictly increasing where float64 can tell
        step = 0.1 if abs(a) < 1 else 1.0
        assert ag.sigmoid(Tensor(a - step)).item() < s < ag.sigmoid(Tensor(a + step)).item()


def test_0_2_sigmoid_at_zero_and_far_out_without_overflow():
    with np.errstate(over="raise"):  # the course's naive 1 / (1 + exp(-x)) overflows at x = -1000
        assert ag.sigmoid(Tensor([0.0, -1000.0, 1000.0])).tolist() == [0.5, 0.0, 1.0]


@given(small_floats, small_floats, small_floats)
def test_0_2_lt_is_transitive_mul_symmetric_and_distributive(a, b, c):
    x, y, z = Tensor(a), Tensor(b), Tensor(c)
    if ag.lt(x, y).item() and ag.lt(y, z).item():
        assert ag.lt(x, z).item()
    assert ag.mul(x, y).item() == ag.mul(y, x).item()
    assert ag.mul(z, x + y).item() == pytest.approx((ag.mul(z, x) + ag.mul(z, y)).item(), abs=1e-9)


# ----------------------------------------------------------------------------- 0.3 higher-order functions
@given(st.lists(small_floats, min_size=5, max_size=5), st.lists(small_floats, min_size=5, max_size=5))
def test_0_3_map_zipwith_and_reduce_are_elementwise_ops_and_reductions(ls1, ls2):
    a, b = Tensor(ls1), Tensor(ls2)
    assert ag.neg(a).tolist() == [-x for x in ls1]  # negList = map(neg)
    assert ag.add(a, b).tolist() == [x + y for x, y in zip(ls1, ls2)]  # addLists = zipWith(add)
    assert ag.add(a, b).sum().item() == pytest.approx(a.sum().item() + b.sum().item(), abs=1e-9)  # sum distributes
    assert ag.prod(a[:3]).item() == pytest.approx(ls1[0] * ls1[1] * ls1[2], rel=1e-14)  # reduce(mul)
    assert Tensor([]).sum().item() == 0.0 and ag.prod(Tensor([])).item() == 1.0  # reduce's start values


# ----------------------------------------------------------------------------- 0.4 modules
class ModuleA4(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.p3 = nn.Parameter(15.0)


class ModuleA3(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c = ModuleA4()


class ModuleA2(nn.Module):
    def __init__(self, extra: int = 0) -> None:
        super().__init__()
        self.p2 = nn.Parameter(10.0)
        for i in range(extra):  # the course's add_parameter
            self.register_parameter(f"extra_parameter_{i}", nn.Parameter(0.0))


class ModuleA1(nn.Module):
    def __init__(self, size_a: int = 0, size_b: int = 0) -> None:
        super().__init__()
        self.p1 = nn.Parameter(5.0)
        self.non_param = 10
        self.a = ModuleA2(size_a)
        self.b = ModuleA3()
        self.d = ModuleA2(size_b)


def test_0_4_the_website_s_module_tree_names_its_parameters_with_dots():
    mod = ModuleA1()
    named = dict(mod.named_parameters())
    assert list(named) == ["p1", "a.p2", "b.c.p3", "d.p2"]
    assert [named[k].item() for k in ("p1", "a.p2", "b.c.p3")] == [5.0, 10.0, 15.0]
    assert mod.non_param == 10 and "non_param" not in named  # a plain attribute stays one
    assert "(c): ModuleA4()" in str(mod)


@given(st.integers(0, 20), st.integers(0, 20))
def test_0_4_parameter_counts_and_train_eval_reach_every_descendant(size_a, size_b):
    mod = ModuleA1(size_a, size_b)
    assert len(list(mod.parameters())) == 1 + (1 + size_a) + 1 + (1 + size_b)
    if size_a:
        assert dict(mod.named_parameters())["a.extra_parameter_0"].item() == 0.0
    everyone = [mod, mod.a, mod.b, mod.b.c, mod.d]
    assert mod.eval() is mod and not any(m.training for m in everyone)
    mod.train()
    assert all(m.training for m in everyone)
    mod.b.eval()  # one subtree alone
    assert [m.training for m in everyone] == [True, True, False, False, True]


def test_0_4_calling_a_module_runs_forward_and_a_module_without_one_says_so():
    class ModuleRun(nn.Module):
        def forward(self):
            return 10

    assert ModuleRun()() == 10 == ModuleRun().forward()
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()()


# ----------------------------------------------------------------------------- 1.1 central difference
def test_1_1_central_difference_known_values():
    assert ag.central_difference(lambda x: x, 5.0) == pytest.approx(1.0, abs=1e-6)  # operators.id
    assert ag.central_difference(lambda x, y: x + y, 5.0, 10.0, arg=0) == pytest.approx(1.0, abs=1e-6)
    assert ag.central_difference(lambda x, y: x * y, 5.0, 10.0, arg=0) == pytest.approx(10.0, abs=1e-5)
    assert ag.central_difference(lambda x, y: x * y, 5.0, 10.0, arg=1) == pytest.approx(5.0, abs=1e-5)
    assert ag.central_difference(math.exp, 2.0) == pytest.approx(math.exp(2.0), rel=1e-8)
    assert isinstance(ag.central_difference(math.exp, 2.0), float)  # a number in, a number out
    with pytest.raises(ValueError, match=r"central_difference: fn returned shape \(2,\); it needs one number"):
        ag.central_difference(lambda t: t * 2, Tensor([1.0, 2.0]))
    with pytest.raises(IndexError, match="central_difference: arg=2 but fn was given 2 input"):
        ag.central_difference(lambda x, y: x * y, 1.0, 2.0, arg=2)


@pytest.mark.parametrize("name", sorted(ONE_ARG))
@given(x=st.floats(-3, 3))
def test_1_1_central_difference_agrees_with_backward_on_every_course_function(name, x):
    fn, domain = ONE_ARG[name]
    assume(domain(np.array(x)))
    numeric = ag.central_difference(lambda t: fn(t), Tensor(x))
    assert derivative(fn, x) == pytest.approx(float(numeric), rel=1e-4, abs=1e-6)


# ----------------------------------------------------------------------------- 1.2-1.4 functions and backprop
class Function1(ag.Function):
    """f(x, y) = x + y + 10: f'_x = f'_y = 1. A constant argument gets None (torch's rule)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.tensors = [isinstance(v, Tensor) for v in (x, y)]
        return x + y + 10

    @staticmethod
    def backward(ctx, d_output):
        return tuple(d_output if is_tensor else None for is_tensor in ctx.tensors)


class Function2(ag.Function):
    """f(x, y) = x * y + x: f'_x = y + 1, f'_y = x, from what forward saved."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y + x

    @staticmethod
    def backward(ctx, d_output):
        x, y = ctx.saved_tensors
        return d_output * (y + 1), d_output * x


def test_1_3_chain_rule_through_saved_values_and_with_a_constant():
    var1, var2 = leaf(5.0), leaf(10.0)
    Function2.apply(var1, var2).backward(Tensor(5.0))
    assert (var1.grad, var2.grad) == (5 * (10 + 1), 5 * 5)
    var = leaf(5.0)
    Function2.apply(Tensor(10.0), var).backward(Tensor(5.0))  # the constant 10, a tensor not requiring grad
    assert var.grad == 5 * 10


def test_1_3_a_gradient_returned_for_a_python_constant_is_refused_with_the_fix():
    class AddTen(ag.Function):  # the course's Function1 as written: a gradient for every argument
        @staticmethod
        def forward(ctx, x, y):
            return x + y + 10

        @staticmethod
        def backward(ctx, d_output):
            return d_output, d_output

    with pytest.raises(RuntimeError, match=r"argument 0, a int, not a Tensor.*return None there"):
        AddTen.apply(0, leaf(0.0)).backward()


def test_1_4_backprop_examples_a_variable_reached_twice_gets_both_derivatives():
    var = leaf(0.0)
    Function1.apply(0, var).backward(Tensor(5.0))  # example 1: F1(0, v)
    assert var.grad == 5
    var = leaf(0.0)
    Function1.apply(0, Function1.apply(0, var)).backward(Tensor(5.0))  # example 2: F1(0, F1(0, v))
    assert var.grad == 5
    var1 = leaf(0.0)
    Function1.apply(Function1.apply(0, var1), Function1.apply(0, var1)).backward(Tensor(5.0))  # example 3
    assert var1.grad == 10
    var0 = leaf(0.0)
    var1 = Function1.apply(0, var0)
    Function1.apply(Function1.apply(0, var1), Function1.apply(0, var1)).backward(Tensor(5.0))  # example 4
    assert var0.grad == 10


def test_1_4_topological_sort_puts_every_node_after_its_parents_once():
    x = leaf(0.5)
    shared = x * 2.0
    out = Function2.apply(shared.sigmoid(), shared.exp()) + shared  # a diamond through `shared`
    order = ag.walk(out)
    seen = [id(t) for t in order]
    assert len(seen) == len(set(seen)) and order[-1] is out
    for k, node in enumerate(order):
        assert all(seen.index(id(parent)) < k for parent in node.parents)
    out.backward()
    a, b = 1 / (1 + math.exp(-1.0)), math.exp(1.0)  # d/dx of s(2x) e^(2x) + s(2x) + 2x
    expected = 2 * (a * (1 - a) * b + a * b) + 2 * a * (1 - a) + 2
    assert x.grad == pytest.approx(expected, rel=1e-14)


# ----------------------------------------------------------------------------- 1.5 training
@pytest.mark.parametrize(
    ("name", "hidden", "epochs"), [("Simple", 4, 300), ("Diag", 8, 400), ("Split", 10, 800), ("Xor", 10, 800)]
)
def test_1_5_the_course_s_network_fits_each_dataset(name, hidden, epochs):
    X, y = dataset(name)
    model = Network(hidden)
    losses = train(model, X, y, epochs, lr=0.5)
    assert losses[-1] < 0.1 * losses[0] and accuracy(model, X, y) == 1.0


def test_1_5_circle_and_spiral_need_more_units_and_epochs():
    X, y = dataset("Circle")
    model = Network(16)
    train(model, X, y, 1200, lr=0.5)
    assert accuracy(model, X, y) >= 0.96
    X, y = dataset("Spiral")  # the course's hardest set: plain SGD stalls on it (0.56 after 2,000 epochs), Adam not
    model = Network(32)
    losses = train(model, X, y, 500, lr=0.03, optimizer_class=nn.optim.Adam)
    assert losses[-1] < 0.3 * losses[0] and accuracy(model, X, y) >= 0.9


class ScalarLinear(nn.Module):
    """Module 1's linear layer: one 0-d parameter per weight and bias, registered by name."""

    def __init__(self, layer: nn.Linear) -> None:
        super().__init__()
        out_size, in_size = layer.weight.shape
        for j in range(out_size):
            for i in range(in_size):
                self.register_parameter(f"weight_{i}_{j}", nn.Parameter(layer.weight.data[j, i]))
            self.register_parameter(f"bias_{j}", nn.Parameter(layer.bias.data[j]))
        self.in_size, self.out_size = in_size, out_size

    def forward(self, inputs: list[Tensor]) -> list[Tensor]:
        params = dict(self.named_parameters())
        return [
            sum((inputs[i] * params[f"weight_{i}_{j}"] for i in range(self.in_size)), params[f"bias_{j}"])
            for j in range(self.out_size)
        ]


def test_1_5_a_network_of_scalars_has_the_tensor_network_s_gradients():
    X, y = dataset("Xor", n=8)
    tensor_net = Network(3, seed=4)
    layers = [ScalarLinear(tensor_net.layer1), ScalarLinear(tensor_net.layer2), ScalarLinear(tensor_net.layer3)]
    total = Tensor(0.0)
    for point, label in zip(X, y):
        h = [v.relu() for v in layers[0]([Tensor(v) for v in point])]
        h = [v.relu() for v in layers[1](h)]
        p = layers[2](h)[0].sigmoid()
        total = total - (p.log() if label else (1 - p).log())
    (total / len(y)).backward()
    nn.functional.binary_cross_entropy(tensor_net(Tensor(X)), y).backward()
    scalar_grads = dict(layers[0].named_parameters())
    for j in range(3):
        assert scalar_grads[f"bias_{j}"].grad == pytest.approx(tensor_net.layer1.bias.grad[j], rel=1e-12)
        for i in range(2):
            assert scalar_grads[f"weight_{i}_{j}"].grad == pytest.approx(tensor_net.layer1.weight.grad[j, i], rel=1e-12)
