"""Reductions over dim 0 / dim -1 of a 0-d tensor, as PyTorch takes them (``torch.tensor(3.).sum(0)``): the
tensor itself is reduced over nothing, so a 0-d result, with its gradient; any other dim is refused, saying so.
Before, every one of these raised "axis 0 is out of range for a tensor with ndim 0"."""

import re

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor

X = 1.7  # away from every kink

# name -> (ours on a 0-d tensor with that dim, the value and the derivative by hand)
REDUCTIONS = {
    "sum": (lambda t, d: t.sum(d), lambda x: (x, 1.0)),
    "mean": (lambda t, d: t.mean(d), lambda x: (x, 1.0)),
    "max": (lambda t, d: t.max(d).values, lambda x: (x, 1.0)),  # (values, indices), as torch's
    "min": (lambda t, d: t.min(dim=d).values, lambda x: (x, 1.0)),
    "amax": (lambda t, d: t.amax(d), lambda x: (x, 1.0)),
    "amin": (lambda t, d: t.amin(d), lambda x: (x, 1.0)),
    "prod": (lambda t, d: t.prod(d), lambda x: (x, 1.0)),
    "cumsum": (lambda t, d: t.cumsum(d), lambda x: (x, 1.0)),
    "logsumexp": (lambda t, d: t.logsumexp(d), lambda x: (x, 1.0)),
    "softmax": (lambda t, d: t.softmax(d), lambda x: (1.0, 0.0)),  # one element: probability 1
    "log_softmax": (lambda t, d: t.log_softmax(d), lambda x: (0.0, 0.0)),
    "squeeze": (lambda t, d: t.squeeze(d), lambda x: (x, 1.0)),
    "var(correction=0)": (lambda t, d: t.var(d, correction=0), lambda x: (0.0, 0.0)),
    "keepdim sum": (lambda t, d: t.sum(dim=d, keepdim=True), lambda x: (x, 1.0)),
}


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_a_0d_reduction_over_dim_0_or_minus_1_is_the_0d_value_with_its_gradient(name, dim):
    ours, by_hand = REDUCTIONS[name]
    t = Tensor(np.float64(X), requires_grad=True)
    out = ours(t, dim)
    value, slope = by_hand(X)
    assert out.shape == () and out.item() == pytest.approx(value, abs=1e-15)
    (out * 3.0).backward()
    assert np.asarray(t.grad).shape == () and float(t.grad) == pytest.approx(3.0 * slope, abs=1e-15)
    assert ag.gradcheck(lambda t: ours(t, dim) * t, [Tensor(np.float64(X), requires_grad=True)])


@pytest.mark.parametrize("dim", [0, -1])
def test_a_0d_tensor_s_index_and_boolean_reductions_over_its_one_dim(dim):
    t = Tensor(np.float64(X))
    assert t.argmax(dim).item() == 0 and t.argmin(dim=dim).item() == 0 and t.argmax(dim).dtype == np.int64
    assert t.all(dim).item() is True and Tensor(0.0).any(dim).item() is False
    assert t.count_nonzero(dim).item() == 1 and t.transpose(dim, 0).item() == X
    with np.errstate(invalid="ignore"):  # 0 / 0 (PyTorch warns too)
        assert t.var(dim).shape == () and np.isnan(t.var(dim).item())  # one value, N - 1 = 0: nan, as PyTorch's


def test_functions_and_compiled_steps_take_a_0d_tensor_s_dim_0():
    t = Tensor(np.float64(X), requires_grad=True)
    assert nn.functional.softmax(t, dim=0).item() == 1.0 and ag.logsumexp(t, 0).item() == pytest.approx(X)
    step = ag.compile(lambda t: t.sum(0) * t.max(-1).values + t.logsumexp(0))
    for _ in range(2):  # the trace, then the replay
        assert step(t).item() == pytest.approx(X * X + X)


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda t: t.sum(1), "sum"),
        (lambda t: t.mean(-2), "mean"),
        (lambda t: t.softmax(1), "softmax"),
        (lambda t: t.argmax(2), "argmax"),
        (lambda t: t.cumsum(1), "cumsum"),
        (lambda t: t.transpose(0, 1), "transpose"),
    ],
)
def test_any_other_dim_of_a_0d_tensor_is_refused_naming_the_op_the_dim_and_what_is_allowed(call, op):
    with pytest.raises(np.exceptions.AxisError, match=rf"^{op}: axis -?\d is out of range for a 0-d tensor") as e:
        call(Tensor(1.0))
    assert "dim 0 or -1" in str(e.value)
    with pytest.raises(ValueError, match=re.escape("sum: repeated axis in (0, -1)")):
        Tensor(1.0).sum((0, -1))


def test_a_0d_tensor_s_reductions_match_pytorch():
    torch = pytest.importorskip("torch")
    for dim in (0, -1):
        for name in ("sum", "mean", "amax", "amin", "logsumexp", "softmax", "log_softmax", "prod", "cumsum"):
            t, q = Tensor(np.float64(X), requires_grad=True), torch.tensor(X, dtype=torch.float64, requires_grad=True)
            out, expected = getattr(t, name)(dim), getattr(q, name)(dim)
            assert out.shape == tuple(expected.shape) == ()
            (out * t).backward(), (expected * q).backward()
            assert out.item() == pytest.approx(expected.item()) and float(t.grad) == pytest.approx(q.grad.item())
        values, indices = torch.tensor(X).max(dim)
        assert Tensor(X).max(dim).values.item() == pytest.approx(values.item())
        assert Tensor(X).max(dim).indices.item() == indices.item() == 0
        assert Tensor(X).argmax(dim).item() == torch.tensor(X).argmax(dim).item()
        with pytest.raises(IndexError):
            torch.tensor(X).sum(1)  # refused there too
