"""Module.register_forward_pre_hook and register_full_backward_hook (torch's grad_input / grad_output, against
torch and the closed form of a Linear's), Module.half(), nn.ParameterDict and nn.ParameterList."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor

rng = np.random.default_rng(0)


def test_forward_pre_hook_replaces_the_arguments_and_runs_before_forward():
    layer, calls = nn.Linear(2, 1, seed=0), []
    first = layer.register_forward_pre_hook(lambda m, args: calls.append("pre") or (args[0] * 2,))
    layer.register_forward_hook(lambda m, args, out: calls.append(("post", float(np.sum(args[0])))))
    x = np.ones((1, 2))
    out = layer(x)
    np.testing.assert_allclose(out.data, 2 * x @ layer.weight.data.T + layer.bias.data)
    assert calls == ["pre", ("post", 4.0)]  # the forward hook sees the replaced arguments, as torch's
    first.remove()
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data)


def test_forward_pre_hooks_with_kwargs_prepend_and_single_value_results():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    module, order = Scale(), []
    module.register_forward_pre_hook(lambda m, a, k: order.append("b") or (a, {**k, "factor": 10.0}), with_kwargs=True)
    module.register_forward_pre_hook(lambda m, a: order.append("a") or Tensor([3.0]), prepend=True)  # not a tuple
    assert module(Tensor([1.0]), factor=2.0).item() == 30.0 and order == ["a", "b"]
    bad = Scale()
    bad.register_forward_pre_hook(lambda m, a, k: a, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"with_kwargs=True must return None or \(args, kwargs\)"):
        bad(Tensor([1.0, 2.0]))


def test_full_backward_hook_of_a_linear_is_the_closed_form():
    layer, seen = nn.Linear(3, 2, seed=0), []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    g = rng.normal(size=(4, 2))
    (layer(x) * g).sum().backward()
    ((grad_input,), (grad_output,)) = seen[0]
    assert len(seen) == 1
    np.testing.assert_allclose(np.asarray(grad_output.data), g)  # dL/dy
    np.testing.assert_allclose(np.asarray(grad_input.data), g @ layer.weight.data)  # dL/dx = g W
    np.testing.assert_allclose(x.grad, g @ layer.weight.data)
    np.testing.assert_allclose(layer.weight.grad, g.T @ x.data)  # the weights' gradient is unchanged by the hook


def test_a_backward_hook_that_returns_replaces_grad_input_only():
    model = nn.Sequential(nn.Linear(3, 3, seed=0), nn.Tanh(), nn.Linear(3, 1, seed=1))
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    model(x).sum().backward()
    plain_x, plain_w = x.grad.copy(), model[0].weight.grad.copy()
    model.zero_grad()
    x.grad = None
    model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
    model(x).sum().backward()
    np.testing.assert_allclose(x.grad, 3 * plain_x)  # everything before the tanh gets 3 times the gradient
    np.testing.assert_allclose(model[0].weight.grad, 3 * plain_w)


def test_backward_hook_without_input_gradients_gets_none_and_bad_results_raise():
    layer, seen = nn.Linear(2, 1, seed=0), []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append(gi))
    layer(np.ones((3, 2))).sum().backward()  # an array input: no gradient flows to it
    assert seen == [(None,)]
    wrong = nn.Linear(2, 1, seed=0)
    wrong.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match=r"backward hook of Linear returned 2 gradients, expected 1"):
        wrong(Tensor(np.ones((1, 2)), requires_grad=True)).sum().backward()


def test_full_backward_hook_equals_torchs_on_a_two_input_module():
    torch = pytest.importorskip("torch")

    class Bilinear(nn.Module):
        def forward(self, a, b, scale):
            return (a * b).tanh() * scale, a.sum()

    class TorchBilinear(torch.nn.Module):
        def forward(self, a, b, scale):
            return (a * b).tanh() * scale, a.sum()

    a, b, scale = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    ours, theirs, got, want = Bilinear(), TorchBilinear(), [], []
    ours.register_full_backward_hook(lambda m, gi, go: got.append((gi, go)))
    theirs.register_full_backward_hook(lambda m, gi, go: want.append((gi, go)))
    out = ours(Tensor(a, requires_grad=True), Tensor(b, requires_grad=True), Tensor(scale))
    out_q = theirs(torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True), torch.tensor(scale))
    (out[0].sum() * 2 + out[1]).backward()
    (out_q[0].sum() * 2 + out_q[1]).backward()
    (gi, go), (gi_q, go_q) = got[0], want[0]
    assert len(got) == len(want) == 1  # scale takes no gradient: zeros in both, beside the inputs that do
    for mine, theirs_ in list(zip(gi, gi_q)) + list(zip(go, go_q)):
        np.testing.assert_allclose(np.asarray(mine.data), theirs_.numpy(), rtol=1e-12)


def test_half_casts_to_float16_and_float_double_come_back():
    model = nn.MLP([2, 3, 1], seed=0)
    assert {p.dtype.name for p in model.half().parameters()} == {"float16"}
    assert model(np.ones((2, 2), np.float16)).dtype == np.float16
    assert {p.dtype.name for p in model.float().parameters()} == {"float32"}
    assert {p.dtype.name for p in model.double().parameters()} == {"float64"}


def test_parameter_dict_registers_trains_and_names_like_torch():
    class Heads(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterDict({"gain": np.ones(2), "shift": nn.Parameter(np.zeros(2))})

        def forward(self, x):
            return x * self.scales["gain"] + self.scales["shift"]

    model = Heads()
    assert [n for n, _ in model.named_parameters()] == ["scales.gain", "scales.shift"]
    model(np.full((3, 2), 2.0)).sum().backward()
    np.testing.assert_allclose(model.scales["gain"].grad, [6.0, 6.0])
    np.testing.assert_allclose(model.scales["shift"].grad, [3.0, 3.0])
    model.scales["extra"] = Tensor(np.ones(1))
    assert model.scales.keys() == ["gain", "shift", "extra"] and len(model.scales) == 3
    del model.scales["extra"]
    assert "extra" not in model.scales and sorted(model.state_dict()) == ["scales.gain", "scales.shift"]
    with pytest.raises(KeyError, match=r"ParameterDict: no parameter 'bias'; keys: \['gain', 'shift'\]"):
        model.scales["bias"]
    with pytest.raises(KeyError, match=r"ParameterDict: keys must be non-empty str without '.'"):
        model.scales["a.b"] = np.ones(1)
    with pytest.raises(TypeError, match=r"ParameterDict: 'x' must be a Tensor, an array or an nn.Parameter"):
        model.scales["x"] = "text"


def test_parameter_list_and_dict_load_torch_state_dicts(tmp_path):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.ParameterDict({"a": torch.nn.Parameter(torch.randn(2, 3, dtype=torch.float64))})
    ours = nn.ParameterDict({"a": np.zeros((2, 3))})
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours["a"].data, theirs["a"].detach().numpy())
    listed = nn.ParameterList([np.ones(2), np.zeros(3)])
    assert sorted(listed.state_dict()) == sorted(torch.nn.ParameterList([torch.ones(2), torch.zeros(3)]).state_dict())
    path = nn.save(nn.Sequential(nn.Linear(2, 2)), tmp_path / "m.npz")  # (a model file still saves and loads)
    assert type(nn.load(path)) is nn.Sequential
    again = nn.load(nn.save(listed, tmp_path / "p.npz"))
    assert [p.shape for p in again] == [(2,), (3,)]
