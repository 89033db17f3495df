"""numpy functions on Tensors: every one our ops implement returns a Tensor recorded in the graph;
value-reading ones run on the values; any other is a TypeError naming what to write instead."""

import math

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.numpy_interop import FUNCTIONS, UFUNCS

RNG = np.random.default_rng(1)
A = RNG.uniform(0.5, 2.0, size=(3, 4)) * RNG.choice([-1, 1], size=(3, 4))
B = RNG.uniform(0.5, 2.0, size=(3, 4))

# (numpy call, the same with our spelling); every entry of the two tables appears here
CASES = [
    (lambda x: np.add(x, B), lambda x: x + B),
    (lambda x: np.subtract(B, x), lambda x: B - x),
    (lambda x: np.multiply(x, 3.0), lambda x: x * 3.0),
    (lambda x: np.true_divide(B, x), lambda x: B / x),
    (lambda x: np.power(abs(x), 1.5), lambda x: abs(x) ** 1.5),
    (lambda x: np.matmul(x, B.T), lambda x: x @ B.T),
    (lambda x: np.maximum(x, 0.3), lambda x: ag.maximum(x, 0.3)),
    (lambda x: np.minimum(B, x), lambda x: x.minimum(B)),
    (lambda x: np.negative(x), lambda x: -x),
    (lambda x: np.positive(x), lambda x: x),
    (lambda x: np.exp(x), lambda x: x.exp()),
    (lambda x: np.expm1(x), lambda x: x.exp() - 1),
    (lambda x: np.log1p(x * x), lambda x: (1 + x * x).log()),
    (lambda x: np.log(abs(x)), lambda x: abs(x).log()),
    (lambda x: np.tanh(x), lambda x: x.tanh()),
    (lambda x: np.sin(x), lambda x: x.sin()),
    (lambda x: np.cos(x), lambda x: ag.cos(x)),
    (lambda x: np.sqrt(abs(x)), lambda x: abs(x).sqrt()),
    (lambda x: np.absolute(x), lambda x: x.abs()),
    (lambda x: np.square(x), lambda x: x * x),
    (lambda x: np.reciprocal(x), lambda x: 1 / x),
    (lambda x: np.sum(x, axis=0), lambda x: x.sum(0)),
    (lambda x: np.nansum(x, axis=1, keepdims=True), lambda x: x.sum(1, keepdims=True)),
    (lambda x: np.prod(x, axis=0), lambda x: x[0] * x[1] * x[2]),
    (lambda x: np.mean(x, 1, keepdims=True), lambda x: x.mean(1, True)),
    (lambda x: np.max(x), lambda x: x.max()),
    (lambda x: np.amax(x, axis=1), lambda x: x.max(axis=1)),
    (lambda x: np.min(x, axis=0), lambda x: x.min(axis=0)),
    (lambda x: np.amin(x), lambda x: x.min()),
    (lambda x: np.var(x, axis=0), lambda x: x.var(0, unbiased=False)),
    (lambda x: np.std(x, ddof=1), lambda x: x.std()),
    (lambda x: np.clip(x, -1, 1), lambda x: x.clamp(-1, 1)),
    (lambda x: np.linalg.norm(x, axis=1), lambda x: x.norm(dim=1)),
    (lambda x: np.reshape(x, (4, 3)), lambda x: x.reshape(4, 3)),
    (lambda x: np.transpose(x), lambda x: x.T),
    (lambda x: np.squeeze(x[None]), lambda x: x),
    (lambda x: np.expand_dims(x, 1), lambda x: x.unsqueeze(1)),
    (lambda x: np.ravel(x), lambda x: x.flatten()),
    (lambda x: np.broadcast_to(x, (2, 3, 4)), lambda x: x.expand(2, 3, 4)),
    (lambda x: np.concatenate([x, B]), lambda x: ag.concatenate([x, B])),
    (lambda x: np.stack([x, B], axis=1), lambda x: ag.stack([x, B], 1)),
    (lambda x: np.hstack([x, B]), lambda x: ag.cat([x, B], 1)),
    (lambda x: np.vstack([x[0], B]), lambda x: ag.cat([x[0].reshape(1, -1), B])),
    (lambda x: np.pad(x, ((1, 0), (0, 2))), lambda x: ag.cat([ag.cat([ag.zeros(1, 4), x]), ag.zeros(4, 2)], 1)),
    (lambda x: np.where(B > 1, x, B), lambda x: ag.where(B > 1, x, B)),
    (lambda x: np.dot(x, B.T), lambda x: x @ B.T),
    (lambda x: np.einsum("ij,kj->ik", x, B), lambda x: x @ B.T),
    (lambda x: np.tril(x, -1), lambda x: x.tril(-1)),
    (lambda x: np.triu(x, 1), lambda x: x.triu(1)),
    (lambda x: np.diagonal(x, 1), lambda x: x.diagonal(1)),
    (lambda x: np.trace(x, -1), lambda x: x[1:, :2].diagonal().sum()),
    (lambda x: np.diag(x[0], 1), lambda x: x[0].diag(1)),
    (lambda x: np.roll(x, 1, 1), lambda x: ag.cat([x[:, -1:], x[:, :-1]], 1)),
    (lambda x: np.swapaxes(x, 0, 1), lambda x: x.T),
    (lambda x: np.moveaxis(x, 0, -1), lambda x: x.T),
    # the elementary functions, against compositions of other ops
    (lambda x: np.tan(x), lambda x: x.sin() / x.cos()),
    (lambda x: np.sinh(x), lambda x: (x.exp() - (-x).exp()) / 2),
    (lambda x: np.cosh(x), lambda x: (x.exp() + (-x).exp()) / 2),
    (lambda x: np.arcsin(x / 3), lambda x: ag.atan2(x / 3, (1 - (x / 3) ** 2).sqrt())),
    (lambda x: np.arccos(x / 3), lambda x: ag.atan2((1 - (x / 3) ** 2).sqrt(), x / 3)),
    (lambda x: np.arctan(x), lambda x: ag.atan2(x, np.ones_like(A))),
    (lambda x: np.arcsinh(abs(x)), lambda x: (abs(x) + (x * x + 1).sqrt()).log()),
    (lambda x: np.arccosh(abs(x) + 1), lambda x: (abs(x) + 1 + ((abs(x) + 1) ** 2 - 1).sqrt()).log()),
    (lambda x: np.arctanh(x / 3), lambda x: ((1 + x / 3) / (1 - x / 3)).log() / 2),
    (lambda x: np.exp2(x), lambda x: 2.0**x),
    (lambda x: np.cbrt(x), lambda x: abs(x) ** (1 / 3) * np.sign(A)),
    (lambda x: np.i0(x), lambda x: sum((x / 2) ** (2 * k) / math.factorial(k) ** 2 for k in range(30))),
    (lambda x: np.ldexp(x, 3), lambda x: x * 8),
    (lambda x: np.log2(abs(x)), lambda x: abs(x).log() / np.log(2)),
    (lambda x: np.log10(abs(x)), lambda x: abs(x).log() / np.log(10)),
    (lambda x: np.arctan2(x, B), lambda x: ag.atan2(x, B)),
    (lambda x: np.hypot(x, B), lambda x: (x * x + B * B).sqrt()),
    (lambda x: np.logaddexp(x, B), lambda x: (x.exp() + np.exp(B)).log()),
    (lambda x: np.logaddexp2(x, B), lambda x: (2.0**x + 2.0**B).log() / np.log(2)),
    (lambda x: np.deg2rad(x), lambda x: x * (np.pi / 180)),
    (lambda x: np.radians(x), lambda x: x * (np.pi / 180)),
    (lambda x: np.rad2deg(x), lambda x: x * (180 / np.pi)),
    (lambda x: np.degrees(x), lambda x: x * (180 / np.pi)),
    (lambda x: np.copysign(x, B - 1), lambda x: abs(x) * np.sign(B - 1)),
    (lambda x: np.cov(x), lambda x: (x - x.mean(1, True)) @ (x - x.mean(1, True)).T / 3),
    (lambda x: np.cov(x, rowvar=False, bias=True), lambda x: (x - x.mean(0)).T @ (x - x.mean(0)) / 3),
    (lambda x: np.corrcoef(x), lambda x: ag.cov(x) / (ag.cov(x).diagonal()[:, None] * ag.cov(x).diagonal()).sqrt()),
]

# comparisons, mask logic and argmax: numpy's call against numpy on the values; results carry no gradient
NO_GRAD_CASES = [
    lambda x: np.less(x, 0.5),
    lambda x: np.less_equal(B, x),
    lambda x: np.greater(x, B),
    lambda x: np.greater_equal(x, 1),
    lambda x: np.equal(x, A),
    lambda x: np.not_equal(x, 0),
    lambda x: np.argmax(x, axis=1),
    lambda x: np.argmin(x),
    lambda x: np.bitwise_and(x > 0, x < 1),
    lambda x: np.bitwise_or(B > 1, x < 0),
    lambda x: np.bitwise_xor(x > 0, True),
    lambda x: np.invert(x > 0),
]

# steps: values only, as t.sign() (a constant in x), in x's float dtype
STEP_CASES = [lambda x: np.heaviside(x * (np.abs(x) > 1), 0.5)]  # (zeros where |x| <= 1: the 0.5 is used)


def test_every_table_entry_is_tested(monkeypatch):
    called = set()
    for table in (UFUNCS, FUNCTIONS):
        for func, op in list(table.items()):
            monkeypatch.setitem(table, func, lambda *a, _f=func, _op=op, **k: called.add(_f) or _op(*a, **k))
    for numpy_call in [c[0] for c in CASES] + NO_GRAD_CASES + STEP_CASES:
        numpy_call(Tensor(A))
    missing = {f.__name__ for f in set(UFUNCS) | set(FUNCTIONS)} - {f.__name__ for f in called}
    assert not missing, f"table entries without a test case: {sorted(missing)}"


@pytest.mark.parametrize("numpy_call, ours", CASES)
def test_numpy_calls_are_recorded_like_our_spelling(numpy_call, ours):
    x, y = Tensor(A, requires_grad=True), Tensor(A, requires_grad=True)
    out, expected = numpy_call(x), ours(y)
    assert isinstance(out, Tensor) and out.requires_grad
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-14)
    ((out + 1) ** 2).sum().backward()
    ((expected + 1) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad, y.grad, rtol=1e-12)
    np.testing.assert_allclose(out.data, numpy_call(A))  # and the value numpy itself gives


@pytest.mark.parametrize("numpy_call", NO_GRAD_CASES)
def test_comparisons_and_argmax_through_numpy_have_no_gradient(numpy_call):
    out = numpy_call(Tensor(A, requires_grad=True))
    assert isinstance(out, Tensor) and not out.requires_grad and out.dtype in (np.bool_, np.int64)
    np.testing.assert_array_equal(out.data, numpy_call(A))


@pytest.mark.parametrize("numpy_call", STEP_CASES)
def test_steps_through_numpy_are_constants_with_numpys_values(numpy_call):
    out = numpy_call(Tensor(A, requires_grad=True))
    assert isinstance(out, Tensor) and not out.requires_grad and out.dtype == A.dtype
    np.testing.assert_array_equal(out.data, numpy_call(A))
    assert (out.data == 0.5).any() and (out.data == 0).any() and (out.data == 1).any()


def test_arrays_and_numpy_scalars_on_the_left_give_tensors_with_numpy_dtypes():
    t = Tensor(np.ones(3, np.float32), requires_grad=True)
    assert isinstance(np.ones(3) * t, Tensor) and (np.ones(3) * t).dtype == np.float64
    assert (np.float32(2) * t).dtype == np.float32 and (np.float64(2) * t).dtype == np.float64
    assert (np.ones(3, np.float32) - t).requires_grad and (np.ones(3) < t).dtype == np.bool_


def test_a_chain_of_numpy_calls_has_pytorch_gradients():
    torch = pytest.importorskip("torch")
    x, tx = Tensor(A, requires_grad=True), torch.tensor(A, requires_grad=True)
    np.sum(np.exp(np.tanh(x)) * np.maximum(x, 0) / np.sqrt(np.square(x) + 1)).backward()
    (torch.exp(torch.tanh(tx)) * torch.clamp(tx, min=0) / torch.sqrt(tx * tx + 1)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)


def test_value_reading_functions_run_on_the_values():
    t = Tensor([1.0, np.inf, 3.0], requires_grad=True)
    finite = np.isfinite(t)
    assert isinstance(finite, Tensor) and finite.dtype == np.bool_ and not finite.requires_grad
    np.testing.assert_array_equal(finite.data, [True, False, True])
    assert np.shape(t) == (3,) and np.ndim(t) == 1 and np.allclose(t, t.data) and np.count_nonzero(t) == 3
    np.testing.assert_allclose(t, t.data)  # numpy's testing helpers accept tensors
    np.testing.assert_array_equal(np.argsort(Tensor([3.0, 1.0, 2.0])), [1, 2, 0])
    assert np.where(Tensor([0.0, 2.0]) > 1)[0].tolist() == [1]
    assert np.asarray(t) is t.data


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda t: np.spacing(t),
            r"np.spacing is not implemented for Tensors: it would return a plain array, cut from the "
            r"graph. Instead, compose it from Tensor ops .*np.spacing\(t.data\)",
        ),
        (lambda t: np.fmax(t, 0), r"np.fmax .* write ag.maximum"),
        (lambda t: np.cumsum(t), r"np.cumsum is not implemented .* t.cumsum\(dim\)"),
        (lambda t: np.sort(t), r"np.sort is not implemented .* t.sort\(dim\).values"),
        (lambda t: np.take_along_axis(t, np.array([0]), 0), r"write t.gather\(dim, index\)"),
        (lambda t: np.tile(t, 2), r"write t.repeat\(\*counts\)"),
        (lambda t: np.exp(t, out=np.empty(3)), r"np.exp\(..., out=...\) on a Tensor: keyword arguments"),
        (lambda t: np.add.reduce(t), r"np.add.reduce on a Tensor is not supported; use the Tensor method"),
        (lambda t: np.sum(t, dtype=np.float32), r"np.sum\(..., dtype=\) on a Tensor is not supported"),
        (lambda t: np.dot(np.ones((2, 3, 3)), t), r"np.dot of n-d Tensors is not supported"),
    ],
)
def test_unsupported_numpy_calls_are_type_errors_that_say_what_to_write(call, message):
    with pytest.raises(TypeError, match=message):
        call(Tensor([1.0, 2.0, 3.0], requires_grad=True))
