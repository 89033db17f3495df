"""The same computation in autograd_core and PyTorch (float64), values and gradients to 1e-10.

teenygrad's ``helper_test_op`` shape: one lambda (or a torch twin) per case, both
libraries, and the non-uniform loss ``((out + 1) ** 2).mean()`` so that a gradient rule
that ignores its incoming gradient cannot pass. Kinks are avoided (random data drawn
away from them, hypothesis ``assume``): torch's relu'(0) = 0 differs from our 1/2 there.
"""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes
from primitive_cases import TORCH_CASES

import autograd_core as ag
from autograd_core import Tensor

torch = pytest.importorskip("torch")

RTOL, ATOL = 1e-10, 1e-12


def run_both(fn, torch_fn, arrays_):
    """Forward and backward of ((out+1)**2).mean() in both libraries; returns (ours, theirs) pairs."""
    ours = [Tensor(a, requires_grad=True) for a in arrays_]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays_]
    out, torch_out = fn(*ours), torch_fn(*theirs)
    ((out + 1) ** 2).mean().backward()
    ((torch_out + 1) ** 2).mean().backward()
    return (out.data, torch_out.detach().numpy()), [(a.grad, b.grad.numpy()) for a, b in zip(ours, theirs)]


def assert_same(pairs, rtol=RTOL, atol=ATOL):
    (value, torch_value), grads = pairs
    assert value.shape == torch_value.shape
    np.testing.assert_allclose(value, torch_value, rtol=rtol, atol=atol)
    for i, (grad, torch_grad) in enumerate(grads):
        np.testing.assert_allclose(grad, torch_grad, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: c.id)
def test_matches_torch(case):
    pairs = run_both(case.fn, case.torch(), case.arrays())
    float32_inside = pairs[0][0].dtype == np.float32  # astype: both round to float32, maybe differently
    assert_same(pairs, *((1e-6, 1e-7) if float32_inside else (case.torch_rtol or RTOL, ATOL)))


# ------------------------------------------------------------------ random shapes and values
values = st.floats(-3, 3)
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (ag.maximum, lambda a, b: torch.maximum(a, b)),
    "minimum": (ag.minimum, lambda a, b: torch.minimum(a, b)),
    "where": (lambda a, b: ag.where(a.data > b.data, a * b, b), lambda a, b: torch.where(a > b, a * b, b)),
}


@given(
    name=st.sampled_from(sorted(BINARY)),
    data=st.data(),
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
)
def test_binary_ops_match_torch_on_random_broadcast_shapes(name, data, shapes):
    a = data.draw(arrays(np.float64, shapes.input_shapes[0], elements=values), label="a")
    b = data.draw(arrays(np.float64, shapes.input_shapes[1], elements=values), label="b")
    if name == "div":
        assume(np.all(np.abs(b) > 0.1))
    if name in ("maximum", "minimum"):
        assume(np.all(np.abs(np.subtract(a, b)) > 1e-6))  # torch and we agree on ties (1/2 each); kept out anyway
    assert_same(run_both(*BINARY[name], [a, b]))


UNARY = {
    "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "abs": lambda x: x.abs(),
    "neg": lambda x: -x,
    "log_abs": lambda x: (x.abs() + 0.5).log(),
    "sqrt_abs": lambda x: (x.abs() + 0.5).sqrt(),
    "square": lambda x: x**2,
    "rpow": lambda x: 1.5**x,
}


@given(
    name=st.sampled_from(sorted(UNARY)),
    x=arrays(np.float64, st.tuples(*[st.integers(1, 3)] * 2) | st.just(()), elements=values),
)
def test_unary_ops_match_torch(name, x):
    if name in ("relu", "abs", "log_abs", "sqrt_abs"):
        assume(np.all(np.abs(x) > 1e-6))  # the one place the libraries disagree: relu'(0)
    assert_same(run_both(UNARY[name], UNARY[name], [x]))


@given(data=st.data(), shapes=mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3))
def test_matmul_matches_torch_on_random_signature_shapes(data, shapes):
    a = data.draw(arrays(np.float64, shapes.input_shapes[0], elements=values))
    b = data.draw(arrays(np.float64, shapes.input_shapes[1], elements=values))
    assert_same(run_both(lambda x, y: x @ y, lambda x, y: x @ y, [a, b]))


def has_a_unique_max(x, axes):
    """No near-tie for first place in any reduced slice: a tie is a kink, where one rounding
    difference decides which element gets the gradient."""
    reduced_first = np.moveaxis(x, axes, tuple(range(len(axes))))
    ranked = np.sort(reduced_first.reshape((-1,) + reduced_first.shape[len(axes) :]), axis=0)
    return ranked.shape[0] == 1 or bool(np.all(ranked[-1] - ranked[-2] > 1e-6))


@given(data=st.data(), x=arrays(np.float64, st.tuples(*[st.integers(1, 3)] * 3), elements=values))
def test_reductions_match_torch(data, x):
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, 2), min_size=1), label="axes")))
    keepdims = data.draw(st.booleans(), label="keepdims")
    op = data.draw(st.sampled_from(["sum", "mean", "max", "logsumexp"]), label="op")
    if op == "max":
        assume(has_a_unique_max(x, axes))
    ours = {
        "sum": lambda t: t.sum(axes, keepdims),
        "mean": lambda t: t.mean(axes, keepdims),
        "max": lambda t: t.max(axes, keepdims),
        "logsumexp": lambda t: t.logsumexp(axes, keepdims),
    }[op]
    theirs = {
        "sum": lambda t: t.sum(axes, keepdim=keepdims),
        "mean": lambda t: t.mean(axes, keepdim=keepdims),
        "max": lambda t: t.amax(axes, keepdim=keepdims),
        "logsumexp": lambda t: torch.logsumexp(t, axes, keepdim=keepdims),
    }[op]
    assert_same(run_both(ours, theirs, [x]))


def test_kink_values_where_torch_agrees():
    """At 0, abs and maximum/minimum ties agree with torch; relu is the documented exception."""
    x = np.array([0.0, 0.0, 1.0])
    assert_same(run_both(lambda t: t.abs(), lambda t: t.abs(), [x]))
    assert_same(run_both(ag.maximum, torch.maximum, [x, np.zeros(3)]))
    ours = Tensor(0.0, requires_grad=True)
    theirs = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    ours.relu().backward()
    theirs.relu().backward()
    assert (ours.grad, theirs.grad.item()) == (0.5, 0.0)
