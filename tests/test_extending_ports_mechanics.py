"""PyTorch's "Autograd mechanics" note, its parts on custom Functions, ported onto ``ag.Function``: what a
Function saves and gets back, the graph freed after backward, grad mode inside forward and backward, and the
version counter's check of a saved tensor changed in place; then ``ag.gradgradcheck``'s own contract (added for
these ports: the note and the double-backward tutorial check second derivatives with torch's).

a. Saved tensors: a saved input comes back as the very tensor (torch: ``x is y.grad_fn._saved_self``); a saved
   output as equal values (tested in test_extending_ports_double_backward.py); freed by backward, kept by
   ``retain_graph=True``
b. Grad mode: forward runs without recording (one node, named after the class); backward records exactly
   under ``create_graph=True``
c. In-place correctness checks: a saved tensor bumped in place (``_version``) is refused at backward, as torch
d. gradgradcheck: grad_outputs given or random, non-differentiable outputs skipped, clear errors

Deliberate differences: a Function's output that backward needs, changed in place (``y.mul_(2)``), is refused
at the write here, where torch refuses at backward (in-place writes into recorded tensors are refused
engine-wide: the graph records values). Saved-tensor hooks (``torch.autograd.graph.saved_tensors_hooks``) have
no counterpart yet: the engine keeps each node's arrays itself, and a hook for ``ag.Function``'s
``save_for_backward`` alone would not do what the note's hooks do (pack every op's saved tensors).
"""

import numpy as np
import pytest
from extending_helpers import make_exp, make_sinh_bad, make_square

import autograd_core as ag
from autograd_core import Tensor


# ------------------------------------------------------------------ a. saved tensors
def test_a_a_saved_input_comes_back_as_the_same_tensor():
    seen = {}

    class Square(make_square(ag)):
        @staticmethod
        def backward(ctx, grad_out):
            (seen["x"],) = ctx.saved_tensors
            return grad_out * 2 * seen["x"]

    x = Tensor([1.0, 2.0], requires_grad=True)
    Square.apply(x).sum().backward()
    assert seen["x"] is x  # torch: x is y.grad_fn._saved_self -> True


@pytest.mark.parametrize("lib_name", ["autograd_core", "torch"])
def test_a_backward_frees_the_graph_and_retain_graph_keeps_it(lib_name):
    lib = ag if lib_name == "autograd_core" else pytest.importorskip("torch")
    Square = make_square(lib)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"a second time"):  # ours names the op and the fix, as torch's
        y.backward()
    y = Square.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(np.asarray(x.grad), [6.0, 12.0])  # three backwards of 2x, accumulated


# ------------------------------------------------------------------ b. grad mode
@pytest.mark.parametrize("lib_name", ["autograd_core", "torch"])
def test_b_forward_records_nothing_and_backward_records_only_under_create_graph(lib_name):
    lib = ag if lib_name == "autograd_core" else pytest.importorskip("torch")
    modes = []

    class Tanh(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            modes.append(("forward", lib.is_grad_enabled()))
            y = lib.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            modes.append(("backward", lib.is_grad_enabled()))
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

    x = lib.tensor([0.5, -1.0], requires_grad=True)
    (first,) = lib.autograd.grad(Tanh.apply(x).sum(), x, create_graph=True)
    (second,) = lib.autograd.grad(first.sum(), x)
    lib.autograd.grad(Tanh.apply(x).sum(), x)
    # the second grad runs Tanh.backward again, plainly: the first derivative used y, Tanh's recorded output
    assert modes == [
        ("forward", False),
        ("backward", True),
        ("backward", False),
        ("forward", False),
        ("backward", False),
    ]
    t = np.tanh([0.5, -1.0])
    np.testing.assert_allclose(np.asarray(second), -2 * t * (1 - t * t), rtol=1e-6)  # (tanh)'' = -2 tanh tanh'
    if lib is ag:
        assert [n.op for n in ag.walk(Tanh.apply(x))] == [None, "Tanh"]  # one node: tanh inside is not recorded


# ------------------------------------------------------------------ c. in-place correctness checks
@pytest.mark.parametrize("lib_name", ["autograd_core", "torch"])
def test_c_a_saved_tensor_changed_in_place_is_refused_at_backward(lib_name):
    lib = ag if lib_name == "autograd_core" else pytest.importorskip("torch")
    Exp = make_exp(lib)

    class ScaledBy(lib.autograd.Function):  # saves a tensor that needs no gradient, as a layer's constant
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(scale)
            return x * scale

        @staticmethod
        def backward(ctx, g):
            (scale,) = ctx.saved_tensors
            return g * scale, None

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    scale = lib.tensor([3.0, 4.0])
    before = scale._version
    out = ScaledBy.apply(x, scale)
    scale.mul_(2)
    assert scale._version > before  # every in-place write bumps the version (ours: a clock's time, not a count)
    pattern = (
        r"ScaledBy: a tensor of shape \(2,\) that it saved for backward was modified in place"
        if lib is ag
        else r"modified by an inplace operation"
    )
    with pytest.raises(RuntimeError, match=pattern):
        out.sum().backward()
    ScaledBy.apply(x, scale).sum().backward()  # changed before this forward: fine
    np.testing.assert_array_equal(np.asarray(x.grad), [6.0, 8.0])
    y = Exp.apply(lib.tensor([0.0, 1.0], requires_grad=True) * 1)
    if lib is ag:  # the deliberate difference: refused at the write
        with pytest.raises(RuntimeError, match=r"mul_\(\) on a tensor that is part of a recorded graph"):
            y.mul_(2)
    else:
        y.mul_(2)
        with pytest.raises(RuntimeError, match=r"output 0 of Exp, is at version 1; expected version 0"):
            y.sum().backward()


# ------------------------------------------------------------------ d. gradgradcheck
def test_d_gradgradcheck_takes_given_grad_outputs_and_catches_a_wrong_second_derivative():
    x = Tensor(np.random.default_rng(0).random(4), requires_grad=True)
    v = Tensor([1.0, -2.0, 0.5, 3.0])
    assert ag.gradgradcheck(make_square(ag).apply, x, v)
    assert ag.autograd.gradgradcheck(make_exp(ag).apply, (x,), [v.data])
    assert ag.gradgradcheck(lambda t: (t**3).sum(), x, 2.0)  # a scalar output's grad_output, a number
    assert not ag.gradgradcheck(make_sinh_bad(ag).apply, x, v, raise_exception=False)
    assert ag.gradcheck(make_sinh_bad(ag).apply, x)  # the first derivatives alone look fine


def test_d_gradgradcheck_skips_outputs_that_carry_no_gradient():
    class SortValues(ag.Function):  # sort with a backward in Tensor ops (index_add, recorded)
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(x, idx)
            return values, idx

        @staticmethod
        def backward(ctx, g, _g_idx):
            x, idx = ctx.saved_tensors
            return ag.zeros_like(x).index_add(0, idx, g)

    x = Tensor([0.3, -1.0, 2.0, 0.7], requires_grad=True)
    assert ag.gradgradcheck(SortValues.apply, x)  # the indices (int64, non-differentiable) get no grad_output
    with pytest.raises(ValueError, match=r"grad_outputs have shapes \[\(3,\)\], but fn's differentiable outputs"):
        ag.gradgradcheck(SortValues.apply, x, [np.ones(3)])


def test_d_gradgradcheck_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"gradgradcheck: no input requires grad; create the inputs"):
        ag.gradgradcheck(lambda t: t * t, Tensor([1.0]))
    with pytest.raises(ValueError, match=r"gradgradcheck: fn's output does not depend on any input"):
        ag.gradgradcheck(lambda t: Tensor([1.0]), Tensor([1.0], requires_grad=True))
    with pytest.raises(AssertionError, match=r"of fn's 1 input\(s\), then the grad_outputs\): gradcheck: input 0"):
        ag.gradgradcheck(make_sinh_bad(ag).apply, Tensor([0.5, 1.5], requires_grad=True))


def test_d_gradgradcheck_agrees_with_torchs():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random(5)
    for make in (make_square, make_exp, make_sinh_bad):
        ours = ag.gradgradcheck(make(ag).apply, Tensor(x, requires_grad=True), raise_exception=False)
        xt = torch.tensor(x, requires_grad=True)
        theirs = torch.autograd.gradgradcheck(make(torch).apply, xt, raise_exception=False)
        assert ours == theirs == (make is not make_sinh_bad)
