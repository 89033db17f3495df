"""Every error a user can hit, with its message checked: the op, the shapes, and what to do."""

import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Primitive, Tensor


def raises(kind, *fragments):
    """pytest.raises that also checks each fragment appears literally in the message."""
    return pytest.raises(kind, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


@pytest.fixture
def w():
    return Tensor(np.ones((3, 4)), requires_grad=True, label="w")


# ------------------------------------------------------------------ shapes
def test_matmul_shape_mismatch_names_the_op_both_shapes_and_transpose(w):
    with raises(ValueError, "matmul", "(3, 4), (3, 4)", ".T"):
        w @ Tensor(np.ones((3, 4)))
    with raises(ValueError, "matmul", "(3,), (4,)", "inner dimensions"):
        Tensor(np.ones(3)) @ np.ones(4)


@pytest.mark.parametrize(
    "op, name",
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: b - a, "sub"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: a**b, "pow"),
        (ag.maximum, "maximum"),
    ],
)
def test_broadcast_mismatch_names_the_op_both_shapes_and_the_fixes(w, op, name):
    with raises(ValueError, f"{name}: cannot apply to shapes", "(3, 4)", "(3,)", "reshape", "keepdims"):
        op(w, Tensor(np.ones(3)))


def test_other_shape_errors_name_the_op_and_shapes(w):
    with raises(ValueError, "reshape", "(3, 4)", "same number of elements"):
        w.reshape(5, 2)
    with raises(ValueError, "transpose", "(0,)", "permutation", "(3, 4)"):
        w.transpose(0)
    with raises(ValueError, "broadcast_to", "(3, 4)", "requested shape (2,3)"):
        w.broadcast_to(2, 3)
    with raises(ValueError, "concatenate", "(3, 4), (2, 3)", "except along the joining axis"):
        ag.concatenate([w, Tensor(np.ones((2, 3)))])
    with raises(ValueError, "concatenate", "same number of axes", "(3, 4), (3,)"):
        ag.concatenate([w, Tensor(np.ones(3))])
    with raises(ValueError, "stack", "same shape", "(3, 4), (2, 3)"):
        ag.stack([w, Tensor(np.ones((2, 3)))])
    with raises(ValueError, "where", "(5,)", "(3, 4)"):
        ag.where(np.ones(5, bool), w, w)
    with raises(IndexError, "getitem", "(3, 4)", "index 7 is out of bounds"):
        w[[0, 7]]


def test_bad_arguments_name_the_function_and_the_fix(w):
    with raises(TypeError, "concatenate", "non-empty list"):
        ag.concatenate([])
    with raises(TypeError, "where", "condition must be boolean", "float64", "x.data > 0"):
        ag.where(np.ones((3, 4)), w, w)
    with raises(TypeError, "sum", "axis must be an int or a tuple of ints", "1.5"):
        w.sum(axis=1.5)
    with raises(ValueError, "mean", "repeated axis", "(1, 1)"):
        w.mean(axis=(1, 1))
    with raises(ValueError, "item", "one-element", "(3, 4)"):
        w.item()


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.sum(axis=2),
        lambda t: t.mean(axis=(0, 2)),
        lambda t: t.max(axis=-3),
        lambda t: t.softmax(axis=2),
        lambda t: t.log_softmax(axis=2),
        lambda t: t.logsumexp(axis=2),
        lambda t: ag.concatenate([t, t], axis=2),
    ],
)
def test_reduction_axis_out_of_range_names_the_axis_and_ndim(w, call):
    with pytest.raises(np.exceptions.AxisError) as error:  # an AxisError is a ValueError and an IndexError
        call(w)
    message = str(error.value)
    assert re.search(r"^(sum|mean|max|softmax|log_softmax|logsumexp|concatenate): axis -?[23] ", message), message
    assert "ndim 2" in message and "-2..1" in message


def test_axis_on_a_0d_tensor_says_it_takes_dim_0_or_minus_1_only():
    # as PyTorch, a 0-d tensor's reductions take dim 0 or -1 (the tensor itself): any other dim is refused
    with raises(np.exceptions.AxisError, "mean", "axis 1", "0-d tensor", "dim 0 or -1"):
        Tensor(1.0).mean(axis=1)


# ------------------------------------------------------------------ backward
def test_non_scalar_backward_without_grad_shows_the_shape_and_the_fixes(w):
    with raises(RuntimeError, "(3, 4)", ".sum()", ".mean()", "grad="):
        (w * 2).backward()


def test_bad_grad_shape_names_both_shapes(w):
    with raises(RuntimeError, "backward", "grad has shape (3,)", "(3, 4)"):
        (w * 2).backward(grad=np.ones(3))
    with raises(RuntimeError, "grad", "(2,)", "(3, 4)"):
        ag.grad(w * 2, w, grad_outputs=np.ones(2))


@pytest.mark.parametrize("how", ["plain leaves", "no_grad", "detached"])
def test_backward_without_a_trainable_input_says_why(w, how):
    if how == "plain leaves":
        y = (Tensor(np.ones(3)) * 2).sum()
    elif how == "no_grad":
        with ag.no_grad():
            y = (w * 2).sum()
    else:
        y = (w.detach() * 2).sum()
    with raises(RuntimeError, "does not require grad", "no_grad", "detached", "requires_grad=True"):
        y.backward()


def test_second_backward_through_a_freed_graph_names_retain_graph(w):
    y = (w * w).sum()
    y.backward()
    with raises(RuntimeError, "a second time", "freed", "retain_graph=True"):
        y.backward()


def test_changed_saved_tensor_names_the_op_the_tensor_and_the_fix(w):
    loss = (w * w).sum()
    w.data -= 1.0
    with raises(RuntimeError, "mul", "'w'", "modified in place", "Run backward before changing values"):
        loss.backward()


# ------------------------------------------------------------------ ag.grad
def test_ag_grad_of_an_unused_input_names_it_and_allow_unused(w):
    unused = Tensor(np.ones(2), requires_grad=True)
    with raises(RuntimeError, "grad: input 1", "(2,)", "not part of the graph", "allow_unused=True"):
        ag.grad((w * 2).sum(), [w, unused])


def test_ag_grad_input_that_does_not_require_grad(w):
    with raises(RuntimeError, "grad: input 0", "does not require grad", "requires_grad=True"):
        ag.grad((w * 2).sum(), [Tensor(1.0)])
    with raises(ValueError, "grad", "1 outputs but 2 grad_outputs"):
        ag.grad((w * 2).sum(), w, grad_outputs=[1.0, 2.0])


# ------------------------------------------------------------------ in-place operators
@pytest.mark.parametrize("symbol", ["+", "-", "*", "/", "**"])
def test_in_place_operator_on_a_leaf_that_requires_grad_shows_the_spellings(symbol):
    weight = Tensor([1.0, 2.0], requires_grad=True)
    before = weight.data.copy()
    with raises(RuntimeError, f"'{symbol}='", "leaf", f"w.data {symbol}= ...", "w.data -= lr * w.grad", "optimizer"):
        exec(f"weight {symbol}= 0.5")
    np.testing.assert_array_equal(weight.data, before)  # nothing changed


def test_in_place_operator_on_a_recorded_tensor_suggests_a_new_tensor(w):
    y = w * 2
    with raises(RuntimeError, "'+='", "recorded graph", "y = y + ..."):
        y += 1.0


# ------------------------------------------------------------------ anomaly mode
def test_anomaly_mode_names_the_op_and_line_of_a_forward_nan():
    x = Tensor([-1.0, 1.0], requires_grad=True)
    with (
        ag.detect_anomaly(),
        pytest.warns(RuntimeWarning),
        raises(FloatingPointError, "log: forward produced NaN/Inf", "(2,)", "test_errors.py:", "x.log()"),
    ):
        x.log()


def test_anomaly_mode_names_the_op_and_where_it_was_made_for_a_backward_nan():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x.sqrt()  # finite forward, but sqrt'(0) = inf
        with (
            pytest.warns(RuntimeWarning),
            raises(
                FloatingPointError,
                "pow: backward produced NaN/Inf",
                "input 0",
                "(2,)",
                "test_errors.py:",
                "y = x.sqrt()",
            ),
        ):
            y.sum().backward()


def test_without_anomaly_mode_nan_flows_as_in_numpy():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with pytest.warns(RuntimeWarning):
        x.sqrt().sum().backward()
    assert x.grad[0] == np.inf and x.grad[1] == 0.25


def test_anomaly_mode_is_off_after_the_block():
    with ag.detect_anomaly():
        pass
    with pytest.warns(RuntimeWarning):
        assert np.isnan(Tensor([-1.0], requires_grad=True).log().data[0])


# ------------------------------------------------------------------ gradcheck and broken primitives
@pytest.fixture
def scratch_registry():
    """Primitives defined in a test register themselves; take them out again afterwards."""
    before = dict(ag.PRIMITIVES)
    yield
    ag.PRIMITIVES.clear()
    ag.PRIMITIVES.update(before)


def test_gradcheck_catches_a_wrong_vjp_and_names_input_index_analytic_numeric(scratch_registry):
    class SlightlyWrongExp(Primitive):
        name = "slightly_wrong_exp"

        @staticmethod
        def forward(x):
            return np.exp(x)

        @staticmethod
        def vjp(i, g, out, x):
            return g * out * 1.01  # deliberately 1% off

    scale = Tensor(np.array([1.0, 2.0]), requires_grad=True)  # input 0: its gradient is right
    x = Tensor(np.array([[0.1, 0.2], [0.3, 0.4]]), requires_grad=True)
    with pytest.raises(AssertionError) as error:
        ag.gradcheck(lambda s, t: s * Tensor.apply(SlightlyWrongExp, t), [scale, x])
    message = str(error.value)
    found = re.search(r"input 1 at index \(0, 0\): analytic (\S+) != numeric (\S+)", message)
    assert found, message
    analytic, numeric = map(float, found.groups())
    assert analytic / numeric == pytest.approx(1.01, rel=1e-6)


def test_gradcheck_catches_a_vjp_that_ignores_the_incoming_gradient(scratch_registry):
    class IgnoresG(Primitive):
        name = "ignores_g"

        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def vjp(i, g, out, x):
            return 2 * x  # right only when g is all ones

    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    Tensor.apply(IgnoresG, x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)  # a plain .sum() cannot tell: why gradcheck weights randomly
    with raises(AssertionError, "gradcheck: input 0 at index", "analytic", "numeric"):
        ag.gradcheck(lambda t: Tensor.apply(IgnoresG, t), Tensor(x.data, requires_grad=True))


def test_a_vjp_of_the_wrong_shape_is_caught_by_the_engine(scratch_registry):
    class WrongShape(Primitive):
        name = "wrong_shape"

        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def vjp(i, g, out, x):
            return np.ones(4)

    x = Tensor(np.ones(3), requires_grad=True)
    with raises(RuntimeError, "wrong_shape: grad for input 0 has shape (4,), expected (3,)"):
        Tensor.apply(WrongShape, x).sum().backward()


def test_gradcheck_refuses_inputs_without_grad_and_non_tensor_outputs():
    with raises(ValueError, "gradcheck", "no input requires grad", "requires_grad=True"):
        ag.gradcheck(lambda t: t * 2, Tensor([1.0]))
    with raises(TypeError, "gradcheck", "must return a Tensor", "float"):
        ag.gradcheck(lambda t: 3.0, Tensor([1.0], requires_grad=True))
    with raises(ValueError, "gradcheck", "does not depend on any input that requires grad"):
        ag.gradcheck(lambda t: Tensor([1.0]) * 2, Tensor([1.0], requires_grad=True))
