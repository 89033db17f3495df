"""PyTorch's tutorial "Double Backward with Custom Functions", ported step by step onto ``ag.Function``: the
tutorial's classes (tests/extending_helpers.py, one body for ag and torch) checked with ``ag.gradcheck`` and
``ag.gradgradcheck`` as the tutorial checks them with torch's, second derivatives against closed forms, and
equal to torch running the same body where it is installed.

a. Saving the inputs: Square (x**2), its backward in Tensor ops, so it is differentiable again
b. Saving the outputs: Exp; under create_graph the saved output is the recorded one (the first derivative's
   graph runs through the Exp node, as the tutorial's torchviz picture shows)
c. Saving intermediate results: Sinh returns exp(x) and exp(-x) as outputs too, so the second backward sees
   them; SinhBad keeps them on ctx only: first derivatives right, second ones wrong (gradgradcheck fails)
d. When backward is not tracked: Cube's backward is itself a Function (CubeBackward) with its own backward

What the port needed: ``ag.gradgradcheck`` (added, in autograd_core/gradcheck.py; its own tests are in
test_extending_ports_mechanics.py).

Deliberate difference: Sinh's backward writes ``grad_input += _grad_out_exp * expx``. Under create_graph that
is an in-place write into a recorded tensor, which this engine refuses (the graph records values; torch
instead bumps a version counter and checks it later): our spelling is ``grad_input = grad_input + ...``. The
in-place body still runs for first derivatives (plain backward records nothing).
"""

import numpy as np
import pytest
from extending_helpers import make_cube, make_exp, make_sinh, make_sinh_bad, make_square

import autograd_core as ag
from autograd_core import Tensor


def _x(seed=0, shape=(3, 3)):
    """The tutorial's ``torch.rand(3, 3, requires_grad=True, dtype=torch.double)``."""
    return Tensor(np.random.default_rng(seed).random(shape), requires_grad=True)


def _second(f, x):
    """d/dx sum(d/dx sum f(x)): elementwise functions' second derivatives, through create_graph."""
    (g,) = ag.grad(f(x).sum(), x, create_graph=True)
    (gg,) = ag.grad(g.sum(), x)
    return g, gg


def _torch_second(torch, f, array):
    xt = torch.tensor(array, requires_grad=True)
    (g,) = torch.autograd.grad(f(xt).sum(), xt, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), xt)
    return g.detach().numpy(), gg.numpy()


# ------------------------------------------------------------------ a. saving the inputs
def test_a_square_passes_gradcheck_and_gradgradcheck():
    Square, x = make_square(ag), _x()
    assert ag.gradcheck(Square.apply, x)
    assert ag.gradgradcheck(Square.apply, x)
    g, gg = _second(Square.apply, x)
    np.testing.assert_allclose(g.data, 2 * x.data)
    np.testing.assert_array_equal(gg.data, np.full((3, 3), 2.0))  # d2/dx2 x^2
    assert any(t is x for t in ag.walk(g))  # the first derivative is a recorded function of x: differentiable again


def test_a_square_equals_torch_to_second_order():
    torch = pytest.importorskip("torch")
    x = _x(1)
    g, gg = _second(make_square(ag).apply, x)
    g_t, gg_t = _torch_second(torch, make_square(torch).apply, x.data)
    np.testing.assert_allclose(g.data, g_t, rtol=1e-12)
    np.testing.assert_allclose(gg.data, gg_t, rtol=1e-12)


# ------------------------------------------------------------------ b. saving the outputs
def test_b_exp_saving_its_output_is_right_to_second_order_through_the_recorded_output():
    Exp, x = make_exp(ag), _x(2)
    assert ag.gradcheck(Exp.apply, x)
    assert ag.gradgradcheck(Exp.apply, x)
    g, gg = _second(Exp.apply, x)
    np.testing.assert_allclose(g.data, np.exp(x.data), rtol=1e-14)
    np.testing.assert_allclose(gg.data, np.exp(x.data), rtol=1e-14)  # d2/dx2 e^x = e^x
    assert "Exp" in [t.op for t in ag.walk(g)]  # result * grad_out: the saved result is Exp's recorded output
    torch = pytest.importorskip("torch")
    _g_t, gg_t = _torch_second(torch, make_exp(torch).apply, x.data)
    np.testing.assert_allclose(gg.data, gg_t, rtol=1e-12)


def test_b_the_saved_output_equals_the_output_but_is_not_the_same_object():
    seen = {}

    class Exp(make_exp(ag)):
        @staticmethod
        def backward(ctx, grad_out):
            (seen["saved"],) = ctx.saved_tensors
            return seen["saved"] * grad_out

    x = _x(3, (2,))
    y = Exp.apply(x)
    y.sum().backward()
    assert seen["saved"].equal(y) and seen["saved"] is not y  # torch: y.equal(_saved_result), y is not it


# ------------------------------------------------------------------ c. saving intermediate results
def test_c_sinh_returning_its_intermediates_is_right_to_second_order():
    _, sinh = make_sinh(ag, in_place=False)
    x = _x(4)
    assert ag.gradcheck(sinh, x)
    assert ag.gradgradcheck(sinh, x)
    g, gg = _second(sinh, x)
    np.testing.assert_allclose(g.data, np.cosh(x.data), rtol=1e-14)
    np.testing.assert_allclose(gg.data, np.sinh(x.data), rtol=1e-13)  # d2/dx2 sinh = sinh
    torch = pytest.importorskip("torch")
    g_t, gg_t = _torch_second(torch, make_sinh(torch)[1], x.data)  # torch runs the tutorial's in-place body
    np.testing.assert_allclose(g.data, g_t, rtol=1e-12)
    np.testing.assert_allclose(gg.data, gg_t, rtol=1e-12)


def test_c_the_tutorials_in_place_accumulation_runs_once_and_is_refused_under_create_graph():
    _, sinh = make_sinh(ag, in_place=True)
    x = _x(5)
    assert ag.gradcheck(sinh, x)  # plain backward: the in-place body is fine
    with pytest.raises(RuntimeError, match=r"in-place '\+=' on a tensor that is part of a recorded graph.*y = y \+"):
        ag.grad(sinh(x).sum(), x, create_graph=True)


def test_c_sinh_bad_passes_gradcheck_but_fails_gradgradcheck_as_in_torch():
    SinhBad, x = make_sinh_bad(ag), _x(6)
    assert ag.gradcheck(SinhBad.apply, x)  # first derivatives are right
    with pytest.raises(AssertionError, match=r"gradgradcheck: backward's results have wrong derivatives.* input 0 "):
        ag.gradgradcheck(SinhBad.apply, x)  # the dependence of expx, expnegx on x is lost
    assert not ag.gradgradcheck(SinhBad.apply, x, raise_exception=False)
    (g,) = ag.grad(SinhBad.apply(x).sum(), x, create_graph=True)
    assert not g.requires_grad  # cosh x computed from constants: nothing to differentiate again
    torch = pytest.importorskip("torch")
    xt = torch.tensor(x.data, requires_grad=True)
    assert torch.autograd.gradcheck(make_sinh_bad(torch).apply, xt)
    assert not torch.autograd.gradgradcheck(make_sinh_bad(torch).apply, xt, raise_exception=False)


# ------------------------------------------------------------------ d. when backward is not tracked
def test_d_cube_whose_backward_is_a_function_has_derivatives_of_every_order():
    Cube = make_cube(ag)
    x = Tensor(2.0, requires_grad=True)  # the tutorial's torch.tensor(2., requires_grad=True, dtype=double)
    assert ag.gradcheck(Cube.apply, x)
    assert ag.gradgradcheck(Cube.apply, x)
    (g,) = ag.grad(Cube.apply(x), x, create_graph=True)
    (gg,) = ag.grad(g, x, create_graph=True)
    (ggg,) = ag.grad(gg, x)
    assert (g.item(), gg.item(), ggg.item()) == (12.0, 12.0, 6.0)  # 3x^2, 6x, 6 at x = 2
    assert g.op == "CubeBackward"  # the first derivative is CubeBackward's node, as in the tutorial's graph
    torch = pytest.importorskip("torch")
    xt = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(make_cube(torch).apply, xt)
    (gt,) = torch.autograd.grad(make_cube(torch).apply(xt), xt, create_graph=True)
    (ggt,) = torch.autograd.grad(gt, xt)
    assert (gt.item(), ggt.item()) == (g.item(), gg.item())
