"""The engine's fast paths give exactly what the plain forms give: tanh' and sigmoid' from a shared 0-d 1,
ufunc forwards (and replay's check of their lowerings), the generated operator methods, the shared seed."""

import inspect

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor, engine
from autograd_core.primitives import PRIMITIVES, Exp, Log, Maximum, Primitive, Relu, Sigmoid, Tanh, lowering
from autograd_core.primitives.elementwise import _ONES

FLOATS = [np.float16, np.float32, np.float64, np.longdouble]
EDGES = [0.0, -0.0, 1.0, -1.0, 20.0, -20.0, np.inf, -np.inf, np.nan, 0.3, 1e-8, 5.0]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("prim", [Tanh, Sigmoid])
def test_tanh_and_sigmoid_vjps_give_the_textbook_formulas_bits(prim, dtype):
    x = np.array(EDGES, dtype)
    g = np.array([1, -1, 2, -3, 0.5, -0.0, 1, 1, 1, 7, 1e3, -2], dtype)
    out = prim.forward(x)
    got = prim.vjp(0, g, out, x)
    textbook = g * (1 - out * out) if prim is Tanh else g * out * (1 - out)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, textbook)  # NaN where NaN
    assert (np.signbit(got) == np.signbit(textbook)).all()  # and the sign of every zero
    scalar = dtype(0.25)  # a scalar graph's value: stays a numpy scalar of its type
    assert type(prim.vjp(0, dtype(1), prim.forward(scalar), scalar)) is dtype


def test_the_shared_ones_cannot_be_written():
    for one in _ONES.values():
        with pytest.raises(ValueError, match="read-only"):
            one[...] = 2
    assert all(one == 1 for one in _ONES.values())


@pytest.mark.parametrize("prim", [Exp, Log, Tanh])
def test_replay_checks_the_lowering_of_a_ufunc_forward(prim, monkeypatch):
    # A ufunc's signature lists out=, where=...: the check must count its one input (it crashed otherwise)
    lowering.faithful.cache_clear()
    assert lowering.faithful(prim)
    monkeypatch.setattr(prim, "forward_code", "negative({x0}{into})")  # a wrong lowering is refused
    lowering.faithful.cache_clear()
    assert not lowering.faithful(prim)
    lowering.faithful.cache_clear()


def test_generated_operators_keep_operand_order_names_and_errors():
    t = Tensor([1.0, 4.0], requires_grad=True)
    r = 2 - t  # reflected: the constant first
    assert r.op == "sub" and r.parents[1] is t and r.parents[0].item() == 2.0
    r.sum().backward()
    assert t.grad.tolist() == [-1.0, -1.0]
    assert (Tensor.__rsub__.__name__, Tensor.exp.__qualname__) == ("__rsub__", "Tensor.exp")
    assert Tensor.__mul__.__doc__ and "mul" in Tensor.__mul__.__doc__
    with pytest.raises(ValueError, match=r"add: cannot apply to shapes \(2,\), \(3,\)"):
        t + Tensor([1.0, 2.0, 3.0])
    with ag.no_grad():
        assert not (t * t).requires_grad and (t * t).parents == ()


def test_the_shared_seed_of_a_0d_root_never_becomes_a_gradient():
    x = Tensor(2.0, requires_grad=True)
    x.backward()  # the root is the leaf itself: its .grad is its own array, not the shared 1
    first = x.grad
    x.backward()
    assert type(first) is np.ndarray and x.grad is first and x.grad == 2.0
    (x * 3.0).backward()
    assert x.grad == 5.0 and engine._SCALAR_ONES[np.float64] == 1.0
    y = Tensor(np.float32(1.5), requires_grad=True)
    (y * y).backward()
    assert y.grad.dtype == np.float32 and y.grad == 3.0


def test_a_spent_graph_and_a_changed_input_are_both_refused():
    w = Tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="a second time"):
        loss.backward()
    fresh = (w * w).sum()
    w.data = np.array([5.0, 6.0])  # changed after (w * w) saved it
    with pytest.raises(RuntimeError, match="modified in place"):
        fresh.backward()


FITTING = [p for p in PRIMITIVES.values() if p.vjp_fits_input]


def test_vjp_fits_input_is_declared_by_the_one_input_elementwise_primitives():
    assert {p.name for p in FITTING} >= {"exp", "log", "tanh", "sigmoid", "relu", "abs", "neg"}
    for prim in FITTING:  # one input, no params: the case backward's single-input path takes unchecked
        assert list(inspect.signature(prim.vjp).parameters) == ["i", "g", "out", "x"], prim.name


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("prim", FITTING, ids=lambda p: p.name)
def test_a_vjp_that_fits_its_input_gives_the_input_shape_and_dtype(prim, dtype):
    # What backward no longer checks for these primitives, checked here: on arrays, 0-d arrays and
    # scalars, at the edges (0, +-inf, NaN), the gradient has its input's shape and dtype
    with np.errstate(all="ignore"):
        for x in (np.array(EDGES, dtype).reshape(3, 4), np.array(0.5, dtype), dtype(-2.0), np.zeros((0, 2), dtype)):
            out = prim.forward(x)
            g = np.ones_like(out) if isinstance(out, np.ndarray) else type(out)(1)
            gi = prim.vjp(0, g, out, x)
            assert np.shape(gi) == np.shape(x) and np.result_type(gi) == dtype, (prim.name, x)


def test_a_primitive_without_the_declaration_still_has_its_gradient_checked():
    class Widen(Primitive):  # a buggy extension: its vjp gives a gradient of the wrong shape
        forward = staticmethod(np.exp)

        @staticmethod
        def vjp(i, g, out, x):
            return np.concatenate([g, g])

    try:
        x = Tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=r"widen: grad for input 0 has shape \(4,\), expected \(2,\)"):
            Tensor.apply(Widen, x).sum().backward()
    finally:
        del PRIMITIVES["widen"]


def test_a_node_with_one_input_needing_a_gradient_broadcasts_casts_and_orders_as_the_general_path():
    # Backward writes out the node where only one input needs a gradient (y * a, 2 - y, a / y): the same
    # steps as its loop. Checked where they matter: a broadcast constant, a float64 constant beside float32,
    # the constant first, and a chain whose links meet another path (heap, not link).
    x = Tensor(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32), requires_grad=True)
    row = np.array([0.5, -1.0, 2.0])  # float64, broadcast along the rows
    y = x * row  # float64 result: x's gradient is summed nowhere, cast back to float32
    z = (2.0 - y) / Tensor(np.array([[2.0], [4.0]]))  # the constant first; then divided by a column
    w = z.sum() + (y * y).sum()  # y reaches the loss by two paths: its gradient waits for both
    w.backward()
    expected = -row / np.array([[2.0], [4.0]]) + 2 * (x.data.astype(np.float64) * row) * row
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, expected.astype(np.float32), rtol=1e-6)
    b = Tensor([1.0, 2.0, 3.0], requires_grad=True)  # the input that needs a gradient is broadcast itself
    (Tensor(np.ones((4, 3))) * b).sum().backward()
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "0-d"])
def test_relu_forward_into_zeros_gives_maximum_x_0_bits(dtype, layout):
    # Relu.forward writes maximum(x, zeros) into zeros (numpy's vectorised loop) where x is C-ordered;
    # it must give np.maximum(x, 0)'s values, NaN and the sign of every zero included, and never write x
    values = np.array(EDGES * 2, np.float64)
    base = (values if dtype != np.int64 else np.nan_to_num(values, posinf=9, neginf=-9)).reshape(4, 6).astype(dtype)
    x = {"C": base, "F": np.asfortranarray(base), "strided": base[:, ::2], "0-d": base[0, 1]}[layout]
    x = np.asarray(x) if layout == "0-d" else x
    before = x.copy()
    got, want = Relu.forward(x), np.maximum(x, 0)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    assert (np.signbit(got) == np.signbit(want)).all()
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(got, x)


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_maximum_with_one_value_spread_gives_numpys_bits_and_layout(dtype, layout):
    # Maximum.forward spreads a one-value operand (clamp's bound) over its output, then runs numpy's loop for two
    # arrays: the same values as np.maximum(x, bound) for every edge value as either operand, and numpy's layout
    values = np.tile(np.array(EDGES, np.float64), 256)  # 3,072 values: past the size where spreading starts
    base = (values if dtype != np.int64 else np.nan_to_num(values, posinf=9, neginf=-9)).reshape(48, 64).astype(dtype)
    x = {"C": base, "F": np.asfortranarray(base), "strided": base[:, ::2]}[layout]
    before = x.copy()
    for bound in base.ravel()[: len(EDGES)]:  # each edge value as this dtype (+0.0 and -0.0 both)
        for one in (np.array(bound, dtype), np.array([[bound]], dtype), bound):  # 0-d, (1, 1), numpy scalar
            pairs = ((Maximum.forward(x, one), np.maximum(x, one)), (Maximum.forward(one, x), np.maximum(one, x)))
            for got, want in pairs:
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_array_equal(got, want)
                assert (np.signbit(got) == np.signbit(want)).all()
                assert (got.flags.c_contiguous, got.flags.f_contiguous) == (
                    want.flags.c_contiguous,
                    want.flags.f_contiguous,
                )
    np.testing.assert_array_equal(x, before)
    t = Tensor(x.astype(np.float64) if dtype != np.float64 else x, requires_grad=True)
    t.clamp(-1.0, 1.0).sum().backward()  # the vjp is the kink rule's, whatever forward ran
    inside = np.abs(t.data) < 1
    np.testing.assert_array_equal(t.grad[inside], 1.0)
    np.testing.assert_array_equal(t.grad[np.abs(t.data) == 1], 0.5)


def test_replay_checks_a_lowering_of_several_lines(monkeypatch):
    # Relu's forward lowering zeroes its buffer, then takes maximum into it: the check runs both lines
    # (with a buffer holding other values), so a lowering that forgets the first is refused
    lowering.faithful.cache_clear()
    assert lowering.faithful(Relu) and "\n" in Relu.forward_code
    monkeypatch.setattr(Relu, "forward_code", "{y} = maximum({x0}, {dest}, out={dest})")
    lowering.faithful.cache_clear()
    assert not lowering.faithful(Relu)
    lowering.faithful.cache_clear()
