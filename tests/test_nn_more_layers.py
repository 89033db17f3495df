"""SiLU, Softplus, ELU and SmoothL1Loss (PyTorch's names), composed from Tensor ops: values and
gradients by closed forms, finite at extreme inputs, saved and rebuilt, and equal to torch."""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

X = np.array([-1000.0, -40.0, -3.0, -0.5, 0.5, 3.0, 19.0, 21.0, 40.0, 1000.0])


def value_and_grad(fn, x=X):
    t = Tensor(x, requires_grad=True)
    out = fn(t)
    out.sum().backward()
    return out.data, t.grad


def sigmoid(x):
    return 0.5 * (1 + np.tanh(x / 2))


def test_activations_by_closed_forms_finite_everywhere():
    silu, dsilu = value_and_grad(F.silu)
    assert np.allclose(silu, X * sigmoid(X)) and np.allclose(dsilu, sigmoid(X) * (1 + X * (1 - sigmoid(X))))
    soft, dsoft = value_and_grad(F.softplus)
    assert np.allclose(soft, np.logaddexp(0, X)) and np.allclose(dsoft, sigmoid(X))
    assert soft[-1] == 1000.0 and soft[-3] == 21.0  # beyond threshold=20: x itself, as PyTorch
    elu, delu = value_and_grad(lambda t: F.elu(t, alpha=0.7))
    assert np.allclose(elu, np.where(X > 0, X, 0.7 * np.expm1(np.minimum(X, 0))))
    assert np.allclose(delu, np.where(X > 0, 1.0, 0.7 * np.exp(np.minimum(X, 0))))
    assert all(np.isfinite(a).all() for a in (silu, dsilu, soft, dsoft, elu, delu))
    assert ag.gradcheck(
        lambda t: F.softplus(t, beta=2.0, threshold=5.0) + F.silu(t) + F.elu(t), Tensor(X[2:7], requires_grad=True)
    )


def test_layers_call_their_functions_and_are_rebuilt_from_a_saved_model(tmp_path):
    model = nn.Sequential(
        nn.Linear(3, 4, seed=0), nn.SiLU(), nn.Softplus(beta=2.0), nn.ELU(0.5), nn.Linear(4, 1, seed=1)
    )
    assert repr(model).count("Softplus(beta=2, threshold=20)") == 1 and "ELU(alpha=0.5)" in repr(model)
    rows = np.random.default_rng(0).standard_normal((5, 3))
    nn.save(model, tmp_path / "m.npz")
    rebuilt = nn.load(tmp_path / "m.npz")
    assert repr(rebuilt) == repr(model) and np.array_equal(rebuilt(rows).data, model(rows).data)
    with pytest.raises(ValueError, match=r"Softplus: beta must be > 0, got 0"):
        nn.Softplus(beta=0)


def test_smooth_l1_by_hand():
    prediction, target = Tensor([0.5, 3.0, -2.0]), np.zeros(3)
    assert F.smooth_l1_loss(prediction, target, beta=2.0).item() == pytest.approx((0.0625 + 2.0 + 1.0) / 3)
    assert nn.SmoothL1Loss(reduction="sum", beta=0.0)(prediction, target).item() == pytest.approx(5.5)  # l1
    assert F.smooth_l1_loss(prediction, target).item() == pytest.approx((0.125 + 2.5 + 1.5) / 3)
    assert F.smooth_l1_loss(prediction, target, beta=1.0).item() == pytest.approx(
        F.huber_loss(prediction, target, delta=1.0).item()
    )
    with pytest.raises(ValueError, match=r"smooth_l1_loss: beta must be a number >= 0, got -1"):
        nn.SmoothL1Loss(beta=-1)
    with pytest.raises(ValueError, match=r"smooth_l1_loss: input has shape \(3,\) but target has shape \(3, 1\)"):
        F.smooth_l1_loss(prediction, np.zeros((3, 1)))


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda t: F.silu(t), lambda t, F_: F_.silu(t)),
        (lambda t: nn.Softplus()(t), lambda t, F_: F_.softplus(t)),
        (lambda t: F.softplus(t, beta=3.0, threshold=4.0), lambda t, F_: F_.softplus(t, beta=3.0, threshold=4.0)),
        (lambda t: nn.ELU(alpha=0.3)(t), lambda t, F_: F_.elu(t, alpha=0.3)),
        (
            lambda t: F.smooth_l1_loss(t, np.ones(10), beta=0.5),
            lambda t, F_: F_.smooth_l1_loss(t, t.new_ones(10), beta=0.5),
        ),
        (
            lambda t: nn.SmoothL1Loss("none")(t, np.ones(10)),
            lambda t, F_: F_.smooth_l1_loss(t, t.new_ones(10), reduction="none"),
        ),
    ],
)
def test_equal_to_torch(ours, theirs):
    torch = pytest.importorskip("torch")
    value, grad = value_and_grad(ours)
    t = torch.tensor(X, requires_grad=True)
    out = theirs(t, torch.nn.functional)
    out.sum().backward()
    assert np.allclose(value, out.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert np.allclose(grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert math.isfinite(float(np.abs(grad).sum()))
