"""nn.utils.parametrize.register_parametrization, nn.utils.parametrizations.weight_norm / spectral_norm and the
older nn.utils.weight_norm / spectral_norm: torch's names, outputs and every gradient with torch's state_dict
(u and v included); without torch: the closed forms (w = g v / ||v||, σ(w / σ) = 1), finite differences, the
power iteration's fixed point, removal, and the errors."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.utils.parametrizations as parametrizations
import nn.utils.parametrize as parametrize
from autograd_core import Tensor

rng = np.random.default_rng(0)


def same_as_torch(ours, theirs, x, torch):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    xt, xq = Tensor(x.copy(), requires_grad=True), torch.tensor(x.copy(), requires_grad=True)
    out, out_q = ours(xt), theirs(xq)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12, atol=1e-12)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-10, atol=1e-12)
    torch_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    return out


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norms_equal_torch(dim):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(5, 4))
    new = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(4, 3).double(), dim=dim)
    same_as_torch(parametrizations.weight_norm(nn.Linear(4, 3), dim=dim), new, x, torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation of its older form
        old = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double(), dim=dim)
    same_as_torch(nn.utils.weight_norm(nn.Linear(4, 3), dim=dim), old, x, torch)


@pytest.mark.parametrize("conv", [False, True])
def test_spectral_norms_equal_torch_including_the_power_iteration(conv):
    torch = pytest.importorskip("torch")
    make = (lambda lib: lib.Conv2d(2, 3, 3)) if conv else (lambda lib: lib.Linear(4, 3))
    x = rng.normal(size=(2, 2, 5, 5) if conv else (5, 4))
    for ours_fn, torch_fn in [
        (parametrizations.spectral_norm, torch.nn.utils.parametrizations.spectral_norm),
        (nn.utils.spectral_norm, torch.nn.utils.spectral_norm),
    ]:
        ours, theirs = ours_fn(make(nn), n_power_iterations=2), torch_fn(make(torch.nn).double(), n_power_iterations=2)
        same_as_torch(ours, theirs, x, torch)
        # the buffers u, v advanced by the same training step
        buffers = [k for k in sorted(ours.state_dict()) if k.endswith(("_u", "_v"))]
        assert len(buffers) == 2
        for k in buffers:
            np.testing.assert_allclose(ours.state_dict()[k], theirs.state_dict()[k].numpy(), rtol=1e-12)


def test_weight_norm_closed_form_and_finite_differences():
    layer = nn.Linear(3, 2, seed=0)
    w = layer.weight.data.copy()
    parametrizations.weight_norm(layer)
    g, v = layer.parametrizations.weight.original0, layer.parametrizations.weight.original1
    np.testing.assert_allclose(g.data, np.linalg.norm(w, axis=1, keepdims=True))  # g = the rows' lengths
    np.testing.assert_allclose(layer.weight.data, w, rtol=1e-14)  # the weight is unchanged at first
    g.data = g.data * 2
    np.testing.assert_allclose(layer.weight.data, 2 * w, rtol=1e-14)  # the length is g
    x = np.ones((4, 3))
    assert ag.gradcheck(lambda gg, vv: x @ (vv * (gg / (vv * vv).sum(axis=1, keepdims=True).sqrt())).T, [g, v])
    layer(x).sum().backward()  # and the layer's gradient is that expression's
    gt, vt = Tensor(g.data, requires_grad=True), Tensor(v.data, requires_grad=True)
    (Tensor(x) @ (vt * (gt / (vt * vt).sum(axis=1, keepdims=True).sqrt())).T).sum().backward()
    np.testing.assert_allclose(g.grad, gt.grad, rtol=1e-12)
    np.testing.assert_allclose(v.grad, vt.grad, rtol=1e-12)


def test_spectral_norm_reaches_unit_spectral_norm_and_eval_keeps_u_and_v():
    ag.manual_seed(0)
    layer = parametrizations.spectral_norm(nn.Linear(6, 4, seed=1), n_power_iterations=30)
    w = layer.parametrizations.weight.original.data
    np.testing.assert_allclose(np.linalg.norm(layer.weight.data, 2), 1.0, rtol=1e-10)
    u = layer.parametrizations.weight[0]._u
    np.testing.assert_allclose(np.abs(u), np.abs(np.linalg.svd(w)[0][:, 0]), rtol=1e-8)  # the top singular vector
    layer.eval()
    before = u.copy()
    layer(np.ones((2, 6)))
    np.testing.assert_array_equal(layer.parametrizations.weight[0]._u, before)
    old = nn.utils.spectral_norm(nn.Linear(6, 4, seed=1), n_power_iterations=30)
    old(np.ones((1, 6)))
    np.testing.assert_allclose(np.linalg.norm(old.weight.data, 2), 1.0, rtol=1e-10)


def test_register_parametrization_chains_assigns_and_removes():
    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).T

        def right_inverse(self, A):
            return A.triu()

    class Double(nn.Module):
        def forward(self, X):
            return 2 * X

        def right_inverse(self, A):
            return A / 2

    layer = nn.Linear(3, 3, seed=0)
    opt = nn.optim.SGD(layer.parameters(), lr=0.1)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    parametrize.register_parametrization(layer, "weight", Double())  # chained: 2 * symmetric(original)
    assert type(layer).__name__ == "ParametrizedLinear" and parametrize.is_parametrized(layer, "weight")
    assert [n for n, _ in layer.named_parameters()] == ["bias", "parametrizations.weight.original"]
    np.testing.assert_allclose(layer.weight.data, layer.weight.data.T)
    layer(np.ones((2, 3))).sum().backward()
    opt.step()  # the optimizer made before holds the original itself
    assert layer.parametrizations.weight.original.grad is not None
    target = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])
    layer.weight = Tensor(target)  # through both right_inverses
    np.testing.assert_allclose(layer.weight.data, target)
    parametrize.remove_parametrizations(layer, "weight")
    assert type(layer) is nn.Linear and not parametrize.is_parametrized(layer)
    np.testing.assert_allclose(layer.weight.data, target)
    assert sorted(n for n, _ in layer.named_parameters()) == ["bias", "weight"]


def test_torch_loads_a_registered_parametrization_state_dict():
    torch = pytest.importorskip("torch")

    class Square(nn.Module):
        def forward(self, X):
            return X * X

    class TorchSquare(torch.nn.Module):
        def forward(self, X):
            return X * X

    ours = parametrize.register_parametrization(nn.Linear(3, 2), "weight", Square())
    theirs = torch.nn.utils.parametrize.register_parametrization(
        torch.nn.Linear(3, 2).double(), "weight", TorchSquare()
    )
    same_as_torch(ours, theirs, rng.normal(size=(4, 3)), torch)


def test_removing_the_older_forms_leaves_a_plain_weight():
    layer = nn.utils.weight_norm(nn.Linear(3, 2, seed=0))
    layer.weight_g.data = layer.weight_g.data * 3
    expected = layer(np.eye(3)).data - layer.bias.data
    nn.utils.remove_weight_norm(layer)
    assert sorted(n for n, _ in layer.named_parameters()) == ["bias", "weight"]
    np.testing.assert_allclose(layer.weight.data.T, expected, rtol=1e-12)
    spectral = nn.utils.spectral_norm(nn.Linear(3, 2, seed=0))
    nn.utils.remove_spectral_norm(spectral)
    assert sorted(spectral.state_dict()) == ["bias", "weight"]


def test_errors_name_the_function_the_module_and_the_fix():
    with pytest.raises(
        ValueError, match=r"weight_norm: Linear has no parameter 'kernel'; its parameters are \['weight', 'bias'\]"
    ):
        parametrizations.weight_norm(nn.Linear(2, 2), name="kernel")
    with pytest.raises(
        ValueError, match=r"weight_norm: dim must be an axis of the weight of shape \(2, 2\) or None, got 5"
    ):
        nn.utils.weight_norm(nn.Linear(2, 2), dim=5)
    with pytest.raises(TypeError, match=r"register_parametrization: the parametrization must be an nn.Module"):
        parametrize.register_parametrization(nn.Linear(2, 2), "weight", lambda w: w)
    with pytest.raises(ValueError, match=r"remove_parametrizations: Linear has no parametrization on 'weight'"):
        parametrize.remove_parametrizations(nn.Linear(2, 2), "weight")
    with pytest.raises(ValueError, match=r"remove_weight_norm: Linear has no such reparametrization of 'weight'"):
        nn.utils.remove_weight_norm(nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"spectral_norm: n_power_iterations must be an int >= 0, got -1"):
        parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=-1)
