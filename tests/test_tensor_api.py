"""The user-facing contract of Tensor: construction, dtypes, attributes, operators, functions."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


# ------------------------------------------------------------------ construction and dtypes
@pytest.mark.parametrize("data", [3, 2.5, True, [1, 2], [[1.0, 2.0], [3.0, 4.0]]])
def test_python_numbers_and_lists_become_float64(data):
    t = Tensor(data)
    assert isinstance(t.data, np.ndarray) and t.dtype == np.float64
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float64))


def test_numpy_arrays_keep_their_dtype_and_dtype_keyword_casts():
    assert Tensor(np.ones(3, np.float32)).dtype == np.float32
    assert Tensor(np.arange(3)).dtype.kind == "i"  # fine without requires_grad (an index, a label)
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor(np.ones(2), dtype=np.float32).dtype == np.float32
    assert Tensor(Tensor([1.0, 2.0])).shape == (2,)


@pytest.mark.parametrize("data", [np.arange(3), np.array([True, False]), np.int32(4)])
def test_requires_grad_on_integer_or_bool_data_is_a_type_error(data):
    with pytest.raises(TypeError, match=r"requires_grad=True needs floating-point data, got (int|bool).*dtype="):
        Tensor(data, requires_grad=True)


@pytest.mark.parametrize("data", ["abc", None, [1.0, [2.0, 3.0]], {"a": 1}])
def test_non_numeric_data_is_a_type_error_naming_tensor(data):
    with pytest.raises(TypeError, match=r"^Tensor: "):
        Tensor(data)


# ------------------------------------------------------------------ attributes
def test_attributes():
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="w")
    assert (w.shape, w.ndim, w.size, w.dtype) == ((2, 3), 2, 6, np.float64)
    assert w.grad is None and w.requires_grad and w.is_leaf and w.op is None and w.label == "w"
    np.testing.assert_array_equal(w.T.data, w.data.T)
    y = (w * 2.0).sum(axis=1)
    assert y.op == "sum" and not y.is_leaf and y.requires_grad and y.parents[0].op == "mul"
    assert y.op_params == {"axes": (1,), "keepdims": False}
    assert y.parents[0].parents[0] is w
    assert len(w) == 2 and Tensor(2.5).item() == 2.5 and float(Tensor([3.0])) == 3.0
    assert w.numpy() is w.data
    assert np.asarray(w) is w.data and np.asarray(w, dtype=np.float32).dtype == np.float32


def test_item_of_a_multi_element_tensor_names_the_shape():
    with pytest.raises(ValueError, match=r"item: only a one-element tensor.*shape \(2,\)"):
        Tensor([1.0, 2.0]).item()


def test_repr_shows_values_and_what_the_tensor_is():
    assert repr(Tensor([1.0, 2.0], requires_grad=True, label="a")) == "Tensor([1., 2.], requires_grad=True, label='a')"
    assert repr(Tensor([1.0, 2.0], requires_grad=True) * 2.0) == "Tensor([2., 4.], op=mul)"
    assert repr(Tensor(np.ones(2, np.float32))) == "Tensor([1., 1.], dtype=float32)"
    assert repr(Tensor(3.0)) == "Tensor(3.)"


def test_assigning_data_keeps_an_array():
    t = Tensor([1.0, 2.0])
    t.data = [5.0, 6.0]
    assert isinstance(t.data, np.ndarray)
    np.testing.assert_array_equal(t.data, [5.0, 6.0])


# ------------------------------------------------------------------ operators on either side
OPERATORS = {
    "+": (lambda a, b: a + b),
    "-": (lambda a, b: a - b),
    "*": (lambda a, b: a * b),
    "/": (lambda a, b: a / b),
    "**": (lambda a, b: a**b),
}


@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@pytest.mark.parametrize(
    "other",
    [2.0, 3, np.float64(1.5), np.array([1.0, 2.0, 0.5]), np.array([[2.0], [3.0]])],
    ids=["float", "int", "np.float64", "array", "column"],
)
def test_operators_with_numbers_and_arrays_on_both_sides(symbol, other):
    op, values = OPERATORS[symbol], np.array([0.5, 1.5, 2.0])
    for result, expected in [
        (op(Tensor(values), other), op(values, other)),
        (op(other, Tensor(values)), op(other, values)),
    ]:
        assert type(result) is Tensor  # never an object array, never a bare ndarray
        assert result.dtype == np.float64
        np.testing.assert_allclose(result.data, expected, rtol=1e-15)


def test_numpy_on_the_left_gives_tensors_and_gradients():
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    matrix = np.arange(6.0).reshape(2, 3)
    results = [np.ones(3) * t, np.float64(2) - t, matrix @ t, np.ones(3) / t, np.float64(2) ** t]
    assert all(type(r) is Tensor and r.requires_grad for r in results)
    (matrix @ t).sum().backward()
    np.testing.assert_array_equal(t.grad, matrix.sum(axis=0))


def test_unary_minus_plus_and_matmul_method():
    t = Tensor([1.0, -2.0])
    np.testing.assert_array_equal((-t).data, [-1.0, 2.0])
    assert +t is t
    np.testing.assert_array_equal(t.matmul(np.eye(2)).data, t.data)


# ------------------------------------------------------------------ module functions and methods agree
MODULE_FUNCTIONS = [
    "exp",
    "log",
    "sigmoid",
    "tanh",
    "relu",
    "abs",
    "sqrt",
    "sum",
    "mean",
    "max",
    "softmax",
    "log_softmax",
    "logsumexp",
]


@pytest.mark.parametrize("name", MODULE_FUNCTIONS)
def test_module_function_equals_method_and_accepts_arrays(name):
    values = np.array([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]])
    method = getattr(Tensor(values), name)()
    np.testing.assert_array_equal(getattr(ag, name)(Tensor(values)).data, method.data)
    np.testing.assert_array_equal(getattr(ag, name)(values).data, method.data)


def test_shape_functions():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert ag.reshape(x, 6, 4).shape == x.reshape((6, 4)).shape == (6, 4)
    assert ag.transpose(x, 2, 0, 1).shape == x.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert x.T.shape == x.transpose().shape == (4, 3, 2)
    assert x.broadcast_to(5, 2, 3, 4).shape == (5, 2, 3, 4)
    assert ag.stack([x, x], axis=-1).shape == (2, 3, 4, 2)
    assert ag.concatenate([x, x], axis=1).shape == (2, 6, 4)
    np.testing.assert_array_equal(ag.minimum(x, 5.0).data, np.minimum(x.data, 5.0))
    np.testing.assert_array_equal(ag.maximum(5.0, x).data, np.maximum(5.0, x.data))
    np.testing.assert_array_equal(
        ag.matmul(np.ones((2, 4)), x.reshape(4, 6)).data, np.ones((2, 4)) @ x.data.reshape(4, 6)
    )


def test_reductions_take_int_tuple_or_none_axes_and_keepdims():
    values = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = Tensor(values)
    for axis in [None, 0, -1, (0, 2), [1, 2]]:
        numpy_axis = tuple(axis) if isinstance(axis, list) else axis
        for keepdims in (False, True):
            for op in ("sum", "mean", "max"):
                # (max's positional int is torch's dim, giving (values, indices): numpy's reading by keyword)
                out = x.max(axis=axis, keepdims=keepdims) if op == "max" else getattr(x, op)(axis, keepdims)
                np.testing.assert_allclose(
                    out.data,
                    getattr(np, op)(values, axis=numpy_axis, keepdims=keepdims),
                    rtol=1e-14,
                )


def test_logsumexp_of_a_0d_tensor_over_no_axes():
    x = Tensor(1.5, requires_grad=True)
    y = x.logsumexp(axis=None)
    y.backward()
    assert (y.item(), x.grad) == (1.5, 1.0)


# ------------------------------------------------------------------ float32 and float64
def test_float32_end_to_end_through_an_mlp():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((8, 3)).astype(np.float32))
    w1 = Tensor(rng.standard_normal((3, 5)).astype(np.float32), requires_grad=True)
    w2 = Tensor(rng.standard_normal((5, 2)).astype(np.float32), requires_grad=True)
    hidden = (x @ w1).relu() * 0.5 + 1  # Python numbers keep float32 (numpy's weak-scalar rule)
    loss = -(hidden @ w2).log_softmax()[np.arange(8), np.arange(8) % 2].mean() + (w1**2).sum() * 1e-3
    assert all(t.dtype == np.float32 for t in ag.walk(loss))
    loss.backward()
    assert w1.grad.dtype == np.float32 and w2.grad.dtype == np.float32


def test_float32_with_float64_promotes_like_numpy_and_each_grad_keeps_its_dtype():
    a = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = a * b
    assert out.dtype == np.result_type(np.float32, np.float64) == np.float64
    out.sum().backward()
    assert (a.grad.dtype, b.grad.dtype) == (np.float32, np.float64)
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])


@pytest.mark.parametrize(
    "scalar, expected", [(2.0, np.float32), (2, np.float32), (np.float32(2), np.float32), (np.float64(2), np.float64)]
)
def test_scalars_follow_numpy_promotion(scalar, expected):
    """Python numbers are weak (float32 stays float32); numpy scalars keep their dtype, as in numpy 2."""
    t = Tensor(np.ones(2, np.float32), requires_grad=True)
    for result in (t * scalar, scalar - t, t / scalar, scalar**t):
        assert result.dtype == expected == (np.ones(2, np.float32) * scalar).dtype


def test_astype_casts_and_the_gradient_is_cast_back():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32 and y.op == "astype" and x.astype(np.float64) is x
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


# ------------------------------------------------------------------ walk and scope (what viz reads)
def test_walk_lists_parents_before_children_deterministically():
    a = Tensor(1.0, requires_grad=True, label="a")
    b = Tensor(2.0, requires_grad=True, label="b")
    c = a * b
    d = c + a
    order = ag.walk(d)
    assert order[-1] is d and {id(t) for t in order} == {id(a), id(b), id(c), id(d)} and len(order) == 4
    position = {id(t): i for i, t in enumerate(order)}
    assert all(position[id(p)] < position[id(t)] for t in order for p in t.parents)
    assert [id(t) for t in ag.walk(d)] == [id(t) for t in order]


def test_scope_stamps_tensors_made_inside_and_nests_with_dots():
    x = Tensor(1.0, requires_grad=True)
    with ag.scope("encoder"):
        with ag.scope("0"):
            inner = x * 2
        outer = inner + 1
    after = outer * 3
    assert (x.scope, inner.scope, outer.scope, after.scope) == (None, "encoder.0", "encoder", None)


def test_astype_to_integer_or_bool_gives_a_constant_as_in_torch():
    x = Tensor([1.5, -2.5], requires_grad=True)
    for dtype in (np.int64, np.bool_):
        cast = x.astype(dtype)
        assert cast.dtype == dtype and not cast.requires_grad and cast.is_leaf


def test_transpose_of_two_axes_swaps_them_as_pytorch_and_one_order_permutes_as_numpy():
    x = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(x, requires_grad=True)
    for a, b in [(0, 1), (0, 2), (1, 2), (2, 0), (-1, 0), (1, 1)]:
        np.testing.assert_array_equal(t.transpose(a, b).data, np.swapaxes(x, a, b))  # torch.transpose's meaning
        np.testing.assert_array_equal(ag.transpose(t, a, b).data, np.swapaxes(x, a, b))
    m = Tensor(x[0])
    assert m.transpose(0, 1).shape == (4, 3)  # numpy would keep (3, 4): the one case where the two differ
    assert m.transpose((0, 1)).shape == (3, 4) and t.transpose(2, 0, 1).shape == (4, 2, 3)  # a full order
    weights = np.random.default_rng(0).standard_normal((4, 3, 2))
    (t.transpose(0, 2) * Tensor(weights)).sum().backward()
    np.testing.assert_array_equal(t.grad, np.swapaxes(weights, 0, 2))  # the gradient swaps back
    with pytest.raises(np.exceptions.AxisError, match="transpose: axis 3 is out of range"):
        t.transpose(0, 3)


def test_backward_takes_pytorchs_gradient_keyword_for_the_seed():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(gradient=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])  # d(x^2)/dx * seed
    with pytest.raises(TypeError, match="seed was given twice"):
        (x * x).backward(np.ones(2), gradient=np.ones(2))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])  # refused before anything accumulated
