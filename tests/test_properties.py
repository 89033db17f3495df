"""Property-based tests (hypothesis): random shapes, random values, random chains of ops.

Every gradient is checked against finite differences (``ag.gradcheck``) and every value
against numpy. Shapes include 0-d tensors and size-1 axes, where broadcast and keepdims
gradients go wrong most often. Kinks are ``assume``d away (a finite difference across a
kink measures neither side's derivative).
"""

import numpy as np
from hypothesis import assume, given, note
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, broadcastable_shapes, mutually_broadcastable_shapes

import autograd_core as ag
from autograd_core import Tensor

values = st.floats(-3, 3)
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def tensor(array):
    return Tensor(array, requires_grad=True)


# ------------------------------------------------------------------ elementwise with broadcasting
BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a.abs() ** b, lambda a, b: np.abs(a) ** b),
    "maximum": (ag.maximum, np.maximum),
    "minimum": (ag.minimum, np.minimum),
}


@given(
    name=st.sampled_from(sorted(BINARY)),
    data=st.data(),
    shapes_=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
)
def test_binary_ops_broadcast_like_numpy_and_pass_gradcheck(name, data, shapes_):
    a = data.draw(arrays(np.float64, shapes_.input_shapes[0], elements=values), label="a")
    b = data.draw(arrays(np.float64, shapes_.input_shapes[1], elements=values), label="b")
    if name == "div":
        assume(np.all(np.abs(b) > 0.1))
    if name == "pow":
        assume(np.all(np.abs(a) > 0.1))
    if name in ("maximum", "minimum"):
        assume(np.all(np.abs(np.subtract(a, b)) > 1e-3))
    op, numpy_op = BINARY[name]
    x, y = tensor(a), tensor(b)
    out = op(x, y)
    assert out.shape == shapes_.result_shape
    np.testing.assert_allclose(out.data, numpy_op(a, b), rtol=1e-12)
    (out * out).sum().backward()
    assert x.grad.shape == a.shape and y.grad.shape == b.shape  # broadcasting undone exactly
    assert ag.gradcheck(op, [tensor(a), tensor(b)])


@given(shapes_=mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3), data=st.data())
def test_where_broadcasts_condition_and_both_branches(shapes_, data):
    condition = data.draw(arrays(np.bool_, shapes_.input_shapes[0]), label="condition")
    a = data.draw(arrays(np.float64, shapes_.input_shapes[1], elements=values), label="a")
    b = data.draw(arrays(np.float64, shapes_.input_shapes[2], elements=values), label="b")
    out = ag.where(condition, tensor(a), tensor(b))
    np.testing.assert_array_equal(out.data, np.where(condition, a, b))
    assert ag.gradcheck(lambda x, y: ag.where(condition, x, y), [tensor(a), tensor(b)])


@given(shapes_=mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=3, max_side=3), data=st.data())
def test_matmul_follows_numpy_for_1d_and_batched_operands(shapes_, data):
    a = data.draw(arrays(np.float64, shapes_.input_shapes[0], elements=values), label="a")
    b = data.draw(arrays(np.float64, shapes_.input_shapes[1], elements=values), label="b")
    out = tensor(a) @ tensor(b)
    assert out.shape == shapes_.result_shape
    np.testing.assert_allclose(out.data, np.matmul(a, b), rtol=1e-12, atol=1e-12)
    assert ag.gradcheck(lambda x, y: x @ y, [tensor(a), tensor(b)])


# ------------------------------------------------------------------ reductions, 0-d and size-1 axes
def axes_of(shape):
    """None, one axis (maybe negative), or a tuple of distinct axes."""
    ndim = len(shape)
    if ndim == 0:
        return st.just(None)
    return (
        st.none()
        | st.integers(-ndim, ndim - 1)
        | st.lists(st.integers(0, ndim - 1), unique=True, min_size=1).map(tuple)
    )


@st.composite
def reduction_inputs(draw):
    x = draw(arrays(np.float64, shapes, elements=values, unique=True), label="x")  # unique: no max ties
    return x, draw(axes_of(x.shape), label="axis"), draw(st.booleans(), label="keepdims")


@given(op=st.sampled_from(["sum", "mean", "max"]), inputs=reduction_inputs())
def test_reductions_match_numpy_and_pass_gradcheck(op, inputs):
    x, axis, keepdims = inputs
    if op == "max":
        assume(top_two_gap(x, tuple(range(x.ndim)) if axis is None else np.atleast_1d(axis) % max(x.ndim, 1)) > 1e-3)
    out = getattr(tensor(x), op)(axis=axis, keepdims=keepdims)
    expected = getattr(np, op)(x, axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-15)
    assert ag.gradcheck(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), tensor(x))


@given(x=arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4), elements=values), data=st.data())
def test_softmax_family_identities(x, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1), label="axis")
    t = tensor(x)
    probabilities = t.softmax(axis=axis)
    np.testing.assert_allclose(probabilities.data.sum(axis=axis), 1.0, rtol=1e-12)
    np.testing.assert_allclose(t.log_softmax(axis=axis).data, np.log(probabilities.data), rtol=1e-9, atol=1e-12)
    shifted = Tensor(x + 100.0).softmax(axis=axis)  # softmax is shift-invariant
    np.testing.assert_allclose(shifted.data, probabilities.data, rtol=1e-9)
    t.logsumexp(axis=axis).sum().backward()  # d logsumexp / dx = softmax (closed form)
    np.testing.assert_allclose(t.grad, probabilities.data, rtol=1e-12, atol=1e-15)
    assert ag.gradcheck(lambda v: v.log_softmax(axis=axis), tensor(x))


# ------------------------------------------------------------------ shapes and indexing
@given(x=arrays(np.float64, array_shapes(min_dims=0, max_dims=4, max_side=3), elements=values), data=st.data())
def test_transpose_and_reshape_round_trip_with_permuted_gradients(x, data):
    permutation = data.draw(st.permutations(range(x.ndim)), label="permutation")
    t = tensor(x)
    moved = t.transpose(tuple(permutation)) if permutation else t.transpose()  # one order: numpy's permutation
    np.testing.assert_array_equal(moved.data, np.transpose(x, permutation or None))
    weights = np.random.default_rng(0).standard_normal(moved.shape)
    (moved.reshape(-1) * weights.reshape(-1)).sum().backward()
    np.testing.assert_allclose(t.grad, np.transpose(weights, np.argsort(permutation)) if permutation else weights)


@given(x=arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 3)), elements=values), data=st.data())
def test_integer_indices_with_repeats_accumulate(x, data):
    index = np.array(
        data.draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1), min_size=1, max_size=8), label="index")
    )
    t = tensor(x)
    picked = t[index]
    np.testing.assert_array_equal(picked.data, x[index])
    picked.sum().backward()
    counts = np.bincount(index % x.shape[0], minlength=x.shape[0])  # how often each row was picked
    np.testing.assert_array_equal(t.grad, np.repeat(counts[:, None], x.shape[1], axis=1).astype(float))
    assert ag.gradcheck(lambda v: v[index], tensor(x))


@given(x=arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=3), elements=values), data=st.data())
def test_boolean_masks_and_basic_slices(x, data):
    mask = data.draw(arrays(np.bool_, x.shape), label="mask")
    start = data.draw(st.integers(-x.shape[0], x.shape[0]), label="start")
    step = data.draw(st.sampled_from([1, 2, -1]), label="step")
    for index in (mask, (slice(start, None, step),), (Ellipsis, 0)):
        if x[index].size == 0:
            continue
        np.testing.assert_array_equal(tensor(x)[index].data, x[index])
        assert ag.gradcheck(lambda v, index=index: v[index], tensor(x))


@given(data=st.data(), ndim=st.integers(1, 3), count=st.integers(1, 3))
def test_concatenate_and_stack_split_the_gradient(data, ndim, count):
    base = data.draw(array_shapes(min_dims=ndim, max_dims=ndim, max_side=3), label="shape")
    axis = data.draw(st.integers(-ndim, ndim - 1), label="axis")
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=count, max_size=count), label="sizes")
    pieces = [
        np.random.default_rng(i).standard_normal(base[: axis % ndim] + (n,) + base[axis % ndim + 1 :])
        for i, n in enumerate(sizes)
    ]
    np.testing.assert_array_equal(ag.concatenate([tensor(p) for p in pieces], axis).data, np.concatenate(pieces, axis))
    assert ag.gradcheck(lambda *ts: ag.concatenate(ts, axis), [tensor(p) for p in pieces])
    same = [np.random.default_rng(i).standard_normal(base) for i in range(count)]
    np.testing.assert_array_equal(ag.stack([tensor(p) for p in same], axis).data, np.stack(same, axis))
    assert ag.gradcheck(lambda *ts: ag.stack(ts, axis), [tensor(p) for p in same])


# ------------------------------------------------------------------ random op chains (minitorch style)
UNARY_STEPS = {
    "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
    "neg": lambda t: -t,
    "exp": lambda t: (t * 0.5).exp(),
    "square": lambda t: t * t,
    "log1p_square": lambda t: (t * t + 1.0).log(),
    "sqrt1p_square": lambda t: (t * t + 1.0).sqrt(),
    "relu": lambda t: t.relu(),
    "abs": lambda t: t.abs(),
    "softmax": lambda t: t.softmax() if t.ndim else t,
    "reverse_axes": lambda t: t.T,
    "flatten": lambda t: t.reshape(-1),
    "first_row": lambda t: t[0] if t.ndim else t,
}
BINARY_STEPS = {
    "add": lambda t, o: t + o,
    "sub": lambda t, o: o - t,
    "mul": lambda t, o: t * o,
    "div": lambda t, o: t / (o * o + 1.0),
    "maximum": ag.maximum,
    "dot": lambda t, o: (t * o).sum(),
}
REDUCTION_STEPS = ["sum", "mean", "max", "logsumexp"]
KINKS = {"relu", "abs", "maximum", "max"}


def shape_after(step, shape, operand_shape=None):
    kind, name = step[0], step[1]
    if kind == "unary":
        return {"reverse_axes": shape[::-1], "flatten": (int(np.prod(shape)),), "first_row": shape[1:]}.get(name, shape)
    if kind == "binary":
        return () if name == "dot" else np.broadcast_shapes(shape, operand_shape)
    axes, keepdims = step[2], step[3]
    return tuple(1 if i in axes else n for i, n in enumerate(shape) if keepdims or i not in axes)


@st.composite
def op_chains(draw):
    """A random program: an input array, a list of steps, and the extra operands binary steps use."""
    shape = draw(shapes, label="input shape")
    x = draw(arrays(np.float64, shape, elements=values), label="x")
    steps, operands = [], []
    for _ in range(draw(st.integers(1, 5), label="length")):
        kind = draw(st.sampled_from(["unary", "binary", "reduce"]))
        if kind == "unary":
            step = ("unary", draw(st.sampled_from(sorted(UNARY_STEPS))))
        elif kind == "binary":
            step = ("binary", draw(st.sampled_from(sorted(BINARY_STEPS))), len(operands))
            other = draw(broadcastable_shapes(shape, min_dims=0, max_dims=3, max_side=3))
            operands.append(draw(arrays(np.float64, other, elements=values)))
        else:
            axes = (
                tuple(range(len(shape)))
                if not shape
                else tuple(sorted(draw(st.sets(st.integers(0, len(shape) - 1), min_size=1))))
            )
            step = ("reduce", draw(st.sampled_from(REDUCTION_STEPS)), axes, draw(st.booleans()))
        shape = shape_after(step, shape, operands[-1].shape if kind == "binary" else None)
        steps.append(step)
    return x, steps, operands


def run_chain(steps, x, *operands, margins=None):
    """Apply the steps; with ``margins``, record each kink's distance and each value's size."""
    t = x
    for step in steps:
        kind, name = step[0], step[1]
        if margins is not None and name in KINKS:
            margins.append(kink_margin(step, t, operands))
        if kind == "unary":
            t = UNARY_STEPS[name](t)
        elif kind == "binary":
            t = BINARY_STEPS[name](t, operands[step[2]])
        else:
            t = getattr(t, name)(axis=step[2], keepdims=step[3])
        if margins is not None:
            margins.append(1e3 / (1.0 + np.max(np.abs(t.data), initial=0.0)))  # keep values moderate
    return t


def kink_margin(step, t, operands):
    """How far the step's input is from the step's kink (0 for relu/abs, ties otherwise)."""
    if step[1] in ("relu", "abs"):
        return np.min(np.abs(t.data), initial=np.inf)
    if step[1] == "maximum":
        return np.min(np.abs(t.data - operands[step[2]].data), initial=np.inf)
    return top_two_gap(t.data, step[2])


def top_two_gap(data, axes):
    """Smallest gap between the largest and second-largest element of any reduced slice."""
    reduced_first = np.moveaxis(data, axes, tuple(range(len(axes))))
    ranked = np.sort(reduced_first.reshape((-1,) + reduced_first.shape[len(axes) :]), axis=0)
    return np.inf if ranked.shape[0] < 2 else np.min(ranked[-1] - ranked[-2])


@given(program=op_chains())
def test_random_op_chains_pass_gradcheck(program):
    x, steps, operands = program
    note(f"steps: {steps}")
    margins = []
    inputs = [tensor(x)] + [tensor(o) for o in operands]
    run_chain(steps, *inputs, margins=margins)  # fills margins: how far each kink is
    assume(min(margins) > 1e-3)
    assert ag.gradcheck(lambda *ts: run_chain(steps, *ts), inputs)
