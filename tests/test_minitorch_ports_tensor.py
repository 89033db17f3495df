"""minitorch (Sasha Rush's Cornell course library, minitorch.github.io), modules 2 and 3, ported: what its task
tests check of tensors, re-done with the engine the way a reader of the course writes it in torch's spellings.

2.1  Storage and strides: a row-major (3, 5) tensor steps (5, 1), index (1, 2) sits at position 7; a transposed
     one steps (1, 5) and is not contiguous; index_to_position = index . strides reaches every element once;
     permuting reverses strides; ``contiguous()`` lays the values out row-major again.
2.2  Broadcasting: minitorch's ``shape_broadcast`` table is ``ag.broadcast_shapes``, with its two errors, and the
     shape every broadcast op gives; gradients come back summed to each input's shape (its ``test_grad_size``).
2.3  Tensor functions forward: sums over a dim (the course's student tests), view and permute.
2.4  Their backward: every one-argument, two-argument and reduction function of its test table against central
     differences, broadcast variants included; comparisons pass gradient 0.
3.x  Matrix multiply with broadcast batch dims, against a loop of 2-d products, and its gradient.

What the port needed: ``ag.broadcast_shapes`` (torch's name for minitorch's ``shape_broadcast``, with an error
naming the clashing axis); ``Tensor.is_contiguous()``, and a ``contiguous()`` that makes the layout row-major
(it returned the tensor itself, so ``t.T.contiguous().stride()`` read (1, 3) where torch and minitorch read
(2, 1)); ``permute`` refusing a bad order in its own name with the fix (it said ``transpose: repeated axis``);
a matmul whose batch axes clash names them (it said "the inner dimensions must match" when they did); torch's
module-level ``ag.lt le gt ge eq ne neg reciprocal``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import autograd_core as ag
from autograd_core import Tensor
from tests.minitorch_helpers import ONE_ARG, REDUCE, TWO_ARG, leaf, position

shapes = array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
values = st.floats(-3, 3)


# ----------------------------------------------------------------------------- 2.1 storage and strides
def test_2_1_layout_the_course_s_strides_positions_and_contiguity():
    t = ag.zeros(3, 5)
    assert t.stride() == (5, 1) and t.is_contiguous()
    assert position((1, 0), t.stride()) == 5 and position((1, 2), t.stride()) == 7
    flipped = ag.zeros(3, 5).T  # the course's TensorData(data, (5, 3), (1, 5))
    assert flipped.shape == (5, 3) and flipped.stride() == (1, 5) and not flipped.is_contiguous()
    assert ag.zeros(4, 2, 2).stride() == (4, 2, 1)


@given(shape=shapes, data=st.data())
def test_2_1_index_to_position_reaches_each_element_once_in_any_permuted_view(shape, data):
    storage = Tensor(np.arange(float(np.prod(shape))).reshape(shape))
    order = data.draw(st.permutations(range(len(shape))), label="order")
    view = storage.permute(*order)
    positions = [position(index, view.stride()) for index in np.ndindex(view.shape)]
    assert sorted(positions) == list(range(view.numel()))  # every element of the storage once
    flat = storage.reshape(-1).data
    assert all(view.data[index] == flat[p] for index, p in zip(np.ndindex(view.shape), positions))


@given(shape=shapes, data=st.data())
def test_2_1_reversing_the_axes_reverses_strides_and_indices_and_twice_is_the_identity(shape, data):
    t = Tensor(np.arange(float(np.prod(shape))).reshape(shape))
    index = tuple(data.draw(st.integers(0, n - 1)) for n in shape)
    reverse = tuple(reversed(range(len(shape))))
    reversed_t = t.permute(*reverse)
    assert reversed_t.stride() == tuple(reversed(t.stride()))
    assert reversed_t.data[tuple(reversed(index))] == t.data[index]
    assert reversed_t.permute(*reverse).stride() == t.stride()


@given(shape=array_shapes(min_dims=2, max_dims=4, min_side=2, max_side=4), data=st.data())
def test_2_1_contiguous_lays_a_permuted_tensor_out_row_major_and_passes_the_gradient(shape, data):
    order = data.draw(st.permutations(range(len(shape))).filter(lambda o: list(o) != sorted(o)), label="order")
    x = leaf(data.draw(arrays(np.float64, shape, elements=values)))
    permuted = x.permute(*order)
    assert not permuted.is_contiguous()  # every side >= 2: a real reordering is strided
    packed = permuted.contiguous()
    row_major = tuple(int(np.prod(packed.shape[k + 1 :])) for k in range(packed.ndim))
    assert packed.is_contiguous() and packed.stride() == row_major  # was the permuted strides: contiguous() was t
    np.testing.assert_array_equal(packed.data, permuted.data)
    assert packed.contiguous() is packed  # already row-major: itself, as torch's
    ag.gradcheck(lambda a: a.permute(*order).contiguous().view(-1), x)  # the course's test_back_view


def test_2_1_contiguous_after_a_step_slice_and_under_compile():
    x = leaf(np.arange(12.0).reshape(3, 4))
    sliced = x[:, ::2]
    assert not sliced.is_contiguous() and sliced.contiguous().stride() == (2, 1)
    step = ag.compile(lambda a: (a.T.contiguous() * np.arange(3.0)).sum())
    for _ in range(3):  # two agreeing traces, then a replay of the plan: each adds the gradient into x.grad
        step(x)
    assert step.replay_count == 1 and step.fallback_reason is None
    np.testing.assert_array_equal(x.grad, 3 * np.tile(np.arange(3.0)[:, None], (1, 4)))  # x.T[j, i] weighs i


def test_2_1_a_bad_permute_order_is_refused_in_permute_s_name_with_the_fix():
    t = Tensor([[2.0, 3.0, 4.0], [4.0, 5.0, 7.0]])
    for order in [(0, 0), (1,), (0, 2), (1, 0, 2)]:
        with pytest.raises(ValueError, match=r"^permute: .* not a permutation of the 2 axes of shape \(2, 3\)") as e:
            t.permute(*order)
        assert "permute(1, 0)" in str(e.value)  # was "transpose: repeated axis in (0, 0)", no fix
    with pytest.raises(IndexError, match=r"getitem: .*index 50 is out of bounds"):  # the course's test_index
        t[50, 2]


# ----------------------------------------------------------------------------- 2.2 broadcasting
def test_2_2_shape_broadcast_table_and_its_errors():
    assert ag.broadcast_shapes((1,), (5, 5)) == (5, 5)
    assert ag.broadcast_shapes((5, 5), (1,)) == (5, 5)
    assert ag.broadcast_shapes((1, 5, 5), (5, 5)) == (1, 5, 5)
    assert ag.broadcast_shapes((5, 1, 5, 1), (1, 5, 1, 5)) == (5, 5, 5, 5)
    assert ag.broadcast_shapes((2, 5), (5,)) == (2, 5)
    with pytest.raises(ValueError, match=r"\(5, 7, 5, 1\) and \(1, 5, 1, 5\).*axis -3 has sizes 7 and 5"):
        ag.broadcast_shapes((5, 7, 5, 1), (1, 5, 1, 5))
    with pytest.raises(ValueError, match=r"broadcast_shapes: .*\(5, 2\) and \(5,\).*axis -1 has sizes 2 and 5"):
        ag.broadcast_shapes((5, 2), (5,))
    with pytest.raises(TypeError, match=r"broadcast_shapes: a shape is a tuple of ints >= 0 .*got \(2, -1\)"):
        ag.broadcast_shapes((2, -1), (2,))
    with pytest.raises(ValueError, match=r"add: cannot apply to shapes \(5, 2\), \(5,\)"):
        ag.ones(5, 2) + ag.ones(5)  # the op itself refuses the same pair


@given(pair=st.tuples(shapes, shapes))
def test_2_2_broadcast_shapes_is_the_shape_every_broadcast_op_gives(pair):
    a, b = pair
    try:
        expected = np.broadcast_shapes(a, b)
    except ValueError:
        with pytest.raises(ValueError, match="broadcast_shapes: "):
            ag.broadcast_shapes(a, b)
        return
    assert ag.broadcast_shapes(a, b) == expected == (ag.ones(a) * ag.ones(b)).shape
    assert ag.broadcast_shapes(a, b, ()) == expected  # several shapes, a 0-d one too
    assert ag.broadcast_shapes(np.array(a), b) == expected  # numpy's ints (a shape computed with numpy)


def test_2_2_gradients_come_back_in_each_input_s_own_shape():
    a, b = leaf([1.0]), leaf([[1.0, 1.0]])  # the course's test_grad_size
    c = (a * b).sum()
    c.backward()
    assert a.grad.shape == a.shape and b.grad.shape == b.shape
    assert a.grad.tolist() == [2.0] and b.grad.tolist() == [[1.0, 1.0]]  # summed over the broadcast axis


# ----------------------------------------------------------------------------- 2.3 forward
def test_2_3_sum_over_one_dim_and_all_dims_the_student_tests():
    t = Tensor([[2.0, 3.0], [4.0, 6.0], [5.0, 7.0]])
    assert t.sum(0, keepdim=True).tolist() == [[11.0, 16.0]]  # minitorch keeps the reduced dim as size 1
    assert t.sum(1, keepdim=True).tolist() == [[5.0], [10.0], [12.0]]
    assert t.sum().item() == 27.0 and t.sum(0).shape == (2,)  # torch's default drops it


def test_2_3_view_and_fromlist():
    t = Tensor([[2.0, 3.0, 4.0], [4.0, 5.0, 7.0]])
    assert Tensor([[[2, 3, 4], [4, 5, 7]]]).shape == (1, 2, 3)
    assert t.view(6).shape == (6,) and t.view(6).view(1, 6).shape == (1, 6) and t.view(6, 1).shape == (6, 1)
    assert ag.isclose(t, t.view(6).view(2, 3)).all().item()
    # the course's test_permute_view: minitorch, like torch (and this engine), views only what needs no copy
    with pytest.raises(ValueError, match=r"^view: .* not contiguous .*\.contiguous\(\)\.view"):
        t.permute(1, 0).view(6)
    assert t.permute(1, 0).contiguous().view(6).tolist() == [2.0, 4.0, 3.0, 5.0, 4.0, 7.0]


def test_module_level_comparisons_and_arithmetic_are_torch_s_and_minitorch_s_operators():
    a, b = Tensor([1.0, 2.0, 3.0]), Tensor([3.0, 2.0, 1.0])
    for ours, theirs in [(ag.lt, np.less), (ag.le, np.less_equal), (ag.gt, np.greater), (ag.ge, np.greater_equal)]:
        np.testing.assert_array_equal(ours(a, b).data, theirs(a.data, b.data))
    np.testing.assert_array_equal(ag.eq(a, 2.0).data, [False, True, False])
    np.testing.assert_array_equal(ag.ne(2.0, a).data, [True, False, True])
    x = leaf([2.0, -4.0])
    (ag.neg(x) + ag.reciprocal(x)).sum().backward()
    np.testing.assert_allclose(x.grad, -1 - 1 / x.data**2)  # neg' = -1, inv' = -1/x^2
    assert ag.negative is ag.neg and ag.reciprocal(4.0).item() == 0.25


# ----------------------------------------------------------------------------- 2.4 backward
@pytest.mark.parametrize("name", sorted(ONE_ARG))
@given(x=arrays(np.float64, shapes, elements=values))
def test_2_4_one_argument_functions_match_central_differences(name, x):
    fn, domain = ONE_ARG[name]
    assume(domain(x))
    assert ag.gradcheck(fn, leaf(x))


@pytest.mark.parametrize("name", sorted(TWO_ARG))
@given(data=st.data(), shape=shapes)
def test_2_4_two_argument_functions_match_central_differences_broadcast_too(name, data, shape):
    fn, domain = TWO_ARG[name]
    a = data.draw(arrays(np.float64, shape, elements=values), label="a")
    b = data.draw(arrays(np.float64, shape, elements=values), label="b")
    assume(domain(a, b))
    assert ag.gradcheck(fn, (leaf(a), leaf(b)))
    # the course's broadcast check: one side summed over axis 0 (numpy keeps its shape broadcastable)
    a0, b0 = a.sum(0, keepdims=True), b.sum(0, keepdims=True)
    assume(domain(a0, b) and domain(a, b0))
    assert ag.gradcheck(fn, (leaf(a0), leaf(b))) and ag.gradcheck(fn, (leaf(a), leaf(b0)))


@pytest.mark.parametrize("name", sorted(REDUCE))
@given(x=arrays(np.float64, array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4), elements=values))
def test_2_4_reductions_sum_and_mean_over_a_dim_match_central_differences(name, x):
    assert ag.gradcheck(REDUCE[name], leaf(x))


@given(data=st.data(), shape=shapes)
def test_2_4_comparisons_pass_a_zero_gradient_and_the_rest_of_the_expression_its_own(data, shape):
    a = data.draw(arrays(np.float64, shape, elements=values), label="a")
    b = data.draw(arrays(np.float64, shape, elements=values), label="b")
    assume(np.all(np.abs(a - b) > 1e-3))  # away from the step itself
    x, y = leaf(a), leaf(b)
    # minitorch's LT and EQ return 0 from backward; here they are not recorded at all: same gradient
    (x * ag.lt(x, y) + y * ag.eq(x, y) + x * y).sum().backward()
    np.testing.assert_array_equal(x.grad, (a < b) + b)
    np.testing.assert_array_equal(y.grad, a)
    numeric = ag.central_difference(lambda u: (u * ag.lt(u, b)).sum(), x)
    np.testing.assert_allclose(numeric, a < b, atol=1e-6)


# ----------------------------------------------------------------------------- 3 matmul, broadcast batches
@pytest.mark.parametrize(
    ("left", "right"), [((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((2, 1, 2, 3), (4, 3, 2)), ((1, 3), (6, 3, 2))]
)
def test_3_matmul_broadcasts_batch_dims_like_a_loop_of_2d_products(left, right):
    rng = np.random.default_rng(0)
    a, b = leaf(rng.standard_normal(left)), leaf(rng.standard_normal(right))
    out = a @ b
    batch = ag.broadcast_shapes(left[:-2], right[:-2])
    assert out.shape == batch + (left[-2], right[-1])
    wide_a, wide_b = np.broadcast_to(a.data, batch + left[-2:]), np.broadcast_to(b.data, batch + right[-2:])
    for index in itertools.product(*map(range, batch)):
        np.testing.assert_allclose(out.data[index], wide_a[index] @ wide_b[index], rtol=1e-12)
    assert ag.gradcheck(lambda u, v: u @ v, (a, b))


def test_3_a_batch_mismatch_names_the_batch_axes_not_the_inner_dimensions():
    with pytest.raises(ValueError, match=r"matmul: cannot apply to shapes \(2, 3, 4\), \(5, 4, 2\)") as e:
        ag.ones(2, 3, 4) @ ag.ones(5, 4, 2)
    assert "batch axes x.shape[:-2] (2,) and y.shape[:-2] (5,)" in str(e.value)
    assert "inner dimensions must match" not in str(e.value)  # they do: 4 == 4 (the old hint said otherwise)
    with pytest.raises(ValueError, match=r"the inner dimensions must match.*\.T"):
        ag.ones(2, 3, 4) @ ag.ones(2, 3, 2)  # a real inner mismatch keeps its own hint
