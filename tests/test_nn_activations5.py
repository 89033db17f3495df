"""The fifth audit's activations: F.relu6 hardtanh logsigmoid softmin mish hardswish hardsigmoid prelu and
the layers nn.ReLU6 Hardtanh LogSigmoid Softmin Mish Hardswish Hardsigmoid PReLU Unflatten. Oracles: torch
(values and gradients, float64), finite differences (ag.gradcheck), closed forms."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

KINKS = (-3.0, -1.0, 0.0, 1.0, 3.0, 6.0)  # where a hard activation (or hardtanh(-1, 1), prelu) bends


def away_from_kinks(shape, seed=0):
    """Uniform in [-8, 8], each value within 0.1 of a kink moved 0.25 off it (kinks are >= 1 apart)."""
    x = np.random.default_rng(seed).uniform(-8, 8, size=shape)
    near = np.min(np.abs(x[..., None] - np.array(KINKS)), axis=-1) < 0.1
    return np.where(near, x + 0.25, x)


# (ours, torch's name, torch's call): each takes one input
ELEMENTWISE = [
    (F.relu6, "relu6", lambda F_, t: F_.relu6(t)),
    (F.hardtanh, "hardtanh", lambda F_, t: F_.hardtanh(t)),
    (lambda t: F.hardtanh(t, -2.0, 0.5), "hardtanh(-2, 0.5)", lambda F_, t: F_.hardtanh(t, -2.0, 0.5)),
    (F.logsigmoid, "logsigmoid", lambda F_, t: F_.logsigmoid(t)),
    (lambda t: F.softmin(t, dim=1), "softmin(dim=1)", lambda F_, t: F_.softmin(t, dim=1)),
    (lambda t: F.softmin(t, dim=0), "softmin(dim=0)", lambda F_, t: F_.softmin(t, dim=0)),
    (F.mish, "mish", lambda F_, t: F_.mish(t)),
    (F.hardswish, "hardswish", lambda F_, t: F_.hardswish(t)),
    (F.hardsigmoid, "hardsigmoid", lambda F_, t: F_.hardsigmoid(t)),
]


@pytest.mark.parametrize(("ours", "name", "theirs"), ELEMENTWISE, ids=[e[1] for e in ELEMENTWISE])
def test_values_and_gradients_equal_torch(ours, name, theirs):
    torch = pytest.importorskip("torch")
    x = away_from_kinks((5, 4, 3))
    r = np.random.default_rng(1).normal(size=x.shape)  # a non-uniform upstream gradient
    xt = Tensor(x, requires_grad=True)
    out = ours(xt)
    (out * r).sum().backward()
    xq = torch.tensor(x, requires_grad=True)
    out_q = theirs(torch.nn.functional, xq)
    (out_q * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12, atol=1e-14)
    # torch's hardsigmoid backward multiplies by 1/6 rounded to float32 (its kernel's `1.0f / 6.0f`), 3e-8 off
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-7 if "hardsigmoid" in name else 1e-10, atol=1e-13)


def test_hardsigmoid_gradient_is_exactly_one_sixth_inside():
    x = Tensor([-4.0, -2.0, 0.5, 2.9, 4.0], requires_grad=True)
    F.hardsigmoid(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1 / 6, 1 / 6, 1 / 6, 0.0]


@pytest.mark.parametrize("weight_size", [1, 4])
@pytest.mark.parametrize("shape", [(5, 4), (5, 4, 3), (2, 4, 3, 2)])
def test_prelu_equals_torch_for_input_and_weight(shape, weight_size):
    torch = pytest.importorskip("torch")
    x = away_from_kinks(shape, seed=2)
    w = np.random.default_rng(3).uniform(0.05, 0.6, size=weight_size)
    r = np.random.default_rng(4).normal(size=shape)
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    out = F.prelu(xt, wt)
    (out * r).sum().backward()
    xq, wq = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    out_q = torch.nn.functional.prelu(xq, wq)
    (out_q * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(wt.grad, wq.grad.numpy(), rtol=1e-10, atol=1e-12)


MODULES = [
    (lambda: nn.ReLU6(), lambda tn: tn.ReLU6()),
    (lambda: nn.Hardtanh(-2.0, 0.5), lambda tn: tn.Hardtanh(-2.0, 0.5)),
    (lambda: nn.LogSigmoid(), lambda tn: tn.LogSigmoid()),
    (lambda: nn.Softmin(dim=1), lambda tn: tn.Softmin(dim=1)),
    (lambda: nn.Mish(), lambda tn: tn.Mish()),
    (lambda: nn.Hardswish(), lambda tn: tn.Hardswish()),
    (lambda: nn.Hardsigmoid(), lambda tn: tn.Hardsigmoid()),
    (lambda: nn.PReLU(4, init=0.3), lambda tn: tn.PReLU(4, init=0.3).double()),
    (lambda: nn.Unflatten(1, (2, 2)), lambda tn: tn.Unflatten(1, (2, 2))),
    (lambda: nn.Unflatten(-1, (-1, 3)), lambda tn: tn.Unflatten(-1, (-1, 3))),
]


@pytest.mark.parametrize(("make", "make_torch"), MODULES)
def test_layers_equal_torch_layers(make, make_torch):
    torch = pytest.importorskip("torch")
    ours, theirs = make(), make_torch(torch.nn)
    if isinstance(ours, nn.PReLU):  # torch's init=0.3 is a float32 0.3 made double: give it ours exactly
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(ours.weight.data))
    x = away_from_kinks((3, 4, 3), seed=5)
    xt, xq = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, out_q = ours(xt), theirs(xq)
    r = np.random.default_rng(6).normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    assert out.shape == tuple(out_q.shape)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12, atol=1e-14)
    rtol = 1e-7 if isinstance(ours, nn.Hardsigmoid) else 1e-10  # torch's float32 1/6, as above
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=rtol, atol=1e-13)


@pytest.mark.parametrize(("ours", "name", "theirs"), ELEMENTWISE, ids=[e[1] for e in ELEMENTWISE])
def test_gradients_match_finite_differences(ours, name, theirs):
    x = Tensor(away_from_kinks((3, 4), seed=7), requires_grad=True)
    assert ag.gradcheck(ours, x)


def test_prelu_gradients_match_finite_differences():
    x = Tensor(away_from_kinks((3, 4, 2), seed=8), requires_grad=True)
    w = Tensor([0.1, 0.2, 0.3, 0.4], requires_grad=True)
    assert ag.gradcheck(F.prelu, [x, w])
    assert ag.gradcheck(F.prelu, [x, Tensor([0.25], requires_grad=True)])


def test_closed_form_values():
    assert F.relu6(Tensor([-1.0, 0.0, 3.0, 7.0])).tolist() == [0.0, 0.0, 3.0, 6.0]
    assert F.hardtanh(Tensor([-5.0, 0.25, 5.0])).tolist() == [-1.0, 0.25, 1.0]
    assert F.hardsigmoid(Tensor([-4.0, 0.0, 1.5, 4.0])).tolist() == [0.0, 0.5, 0.75, 1.0]
    assert F.hardswish(Tensor([-4.0, 0.0, 3.0, 5.0])).tolist() == [0.0, 0.0, 3.0, 5.0]
    assert F.mish(Tensor([0.0])).item() == 0.0
    assert F.mish(Tensor([1.0])).item() == pytest.approx(np.tanh(np.log1p(np.e)), rel=1e-14)
    assert F.softmin(Tensor([[0.0, np.log(3.0)]]), dim=1).tolist()[0] == pytest.approx([0.75, 0.25], rel=1e-14)
    assert F.prelu(Tensor([-2.0, 3.0]), Tensor([0.5])).tolist() == [-1.0, 3.0]


def test_logsigmoid_is_finite_for_huge_inputs():
    x = Tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], requires_grad=True)
    out = F.logsigmoid(x)
    out.sum().backward()
    assert np.all(np.isfinite(out.data)) and np.all(np.isfinite(x.grad))
    assert out.data[0] == -1000.0 and out.data[-1] == 0.0
    assert out.data[2] == pytest.approx(-np.log(2.0), rel=1e-15)
    assert x.grad[0] == 1.0 and x.grad[-1] == 0.0  # d/dx log sigmoid(x) = sigmoid(-x)
    assert F.softmin(Tensor([1000.0, -1000.0])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "call",
    [
        F.relu6,
        F.hardtanh,
        F.logsigmoid,
        F.softmin,
        F.mish,
        F.hardswish,
        F.hardsigmoid,
        lambda t: F.prelu(t, [0.25]),
        nn.PReLU(4, dtype=np.float32),
    ],
)
def test_float32_stays_float32(call):
    x = Tensor(away_from_kinks((3, 4), seed=9).astype(np.float32), requires_grad=True)
    out = call(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_prelu_layer_learns_its_slope_per_channel():
    layer = nn.PReLU(3)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.tolist() == [0.25, 0.25, 0.25]
    x = Tensor([[-2.0, 1.0, -4.0], [-1.0, 2.0, 3.0]])
    layer(x).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad, [-3.0, 0.0, -4.0])  # sum of x where x < 0, per channel
    nn.optim.SGD(layer.parameters(), lr=0.1).step()
    np.testing.assert_allclose(layer.weight.data, [0.55, 0.25, 0.65], rtol=1e-14)
    assert layer.weight.dtype == np.float64 and nn.PReLU(dtype=np.float32).weight.dtype == np.float32


def test_unflatten_inverts_flatten():
    x = np.arange(24.0).reshape(2, 12)
    out = nn.Unflatten(1, (3, -1))(x)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(nn.Flatten()(out).data, x)
    assert nn.Unflatten(0, [2])(x).shape == (2, 12)


def test_a_model_with_every_new_layer_saves_and_loads(tmp_path):
    model = nn.Sequential(
        nn.Linear(6, 6, seed=0),
        nn.Unflatten(1, (2, 3)),
        nn.PReLU(2, init=0.1),
        nn.Flatten(),
        nn.ReLU6(),
        nn.Hardtanh(-0.5, 2.5),
        nn.Mish(),
        nn.Hardswish(),
        nn.Hardsigmoid(),
        nn.LogSigmoid(),
        nn.Softmin(dim=1),
    )
    with ag.no_grad():
        model[2].weight.data[:] = [0.1, 0.7]  # a trained slope, not the init: the file must carry it
    path = nn.save(model, str(tmp_path / "acts.npz"))
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    assert "Hardtanh(min_val=-0.5, max_val=2.5)" in repr(loaded)
    assert "Unflatten(dim=1, unflattened_size=(2, 3))" in repr(loaded)
    assert loaded[2].weight.tolist() == [0.1, 0.7]
    X = np.random.default_rng(10).normal(size=(4, 6))
    np.testing.assert_array_equal(loaded(X).data, model(X).data)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: F.hardtanh(Tensor([0.0]), 1.0, -1.0),
            r"hardtanh: min_val must be <= max_val, got min_val=1.0 > max_val",
        ),
        (lambda: F.hardtanh(Tensor([0.0]), "a", 1.0), r"hardtanh: min_val must be a finite number, got 'a'"),
        (lambda: nn.Hardtanh(2, 1), r"hardtanh: min_val must be <= max_val, got min_val=2 > max_val=1"),
        (lambda: nn.PReLU(-1), r"PReLU: num_parameters must be an int >= 1 \(1, or the number of channels\), got -1"),
        (lambda: nn.PReLU(0), r"PReLU: num_parameters must be an int >= 1"),
        (lambda: nn.PReLU(init=float("nan")), r"PReLU: init must be a finite number"),
        (
            lambda: F.prelu(Tensor(np.zeros((2, 3))), Tensor([0.1, 0.2])),
            r"prelu: weight of shape \(2,\) does not fit an input of shape \(2, 3\) with 3 channel\(s\) in dim 1; "
            r"pass a 1-D weight of 1 or 3 elements",
        ),
        (lambda: nn.PReLU(4)(np.zeros((2, 3))), r"prelu: weight of shape \(4,\) does not fit"),
        (lambda: F.prelu(Tensor(np.zeros(3)), Tensor([0.1, 0.2, 0.3])), r"with 1 channel\(s\)"),
        (lambda: nn.Unflatten(1, (2, 0)), r"Unflatten: unflattened_size must be a tuple of sizes > 0"),
        (lambda: nn.Unflatten(1, (-1, -1)), r"at most one -1"),
        (lambda: nn.Unflatten(1, (2, 3))(np.zeros((2, 5))), r"Unflatten\(dim=1, unflattened_size=\(2, 3\)\): cannot"),
        (lambda: nn.Unflatten(3, (2, 3))(np.zeros((2, 6))), r"cannot split axis 3 of an input of shape \(2, 6\)"),
    ],
)
def test_bad_arguments_say_what_to_pass(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
