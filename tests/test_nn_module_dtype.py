"""Module.requires_grad_ (freezing), Module.to / float / double (casting), and how optimizers,
nn.fit, state_dict and nn.save/nn.load treat frozen and cast models."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from nn import optim

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 3))
Y = RNG.integers(0, 2, size=16)


def values(module):
    return {name: p.data.copy() for name, p in module.named_parameters()}


def train_steps(model, opt, steps=4, X=X):
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(X.astype(model.layers[0].weight.dtype)), Y).backward()
        opt.step()


OPTIMIZERS = {
    "sgd": lambda ps: optim.SGD(ps, lr=0.1),
    "sgd-momentum-decay": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
    "adam-decay": lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.1),
    "rmsprop-decay": lambda ps: optim.RMSprop(ps, lr=0.01, weight_decay=0.1),
}


# ------------------------------------------------------------------ freezing
@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_frozen_parameters_keep_their_values_through_optimizer_steps_with_weight_decay(make):
    model = nn.MLP([3, 5, 2], seed=0)
    assert model.layers[0].requires_grad_(False) is model.layers[0]
    before = values(model)
    opt = make(model.parameters())  # the frozen ones included, as PyTorch allows
    train_steps(model, opt)
    after = values(model)
    for name in ("layers.0.weight", "layers.0.bias"):
        assert np.array_equal(after[name], before[name]), name
        assert dict(model.named_parameters())[name].grad is None
    for name in ("layers.2.weight", "layers.2.bias"):
        assert not np.allclose(after[name], before[name]), name
    assert not any(opt.state[i] for i in (0, 1))  # no momentum or running means for the frozen


def test_adam_packs_the_unfrozen_parameters_with_the_same_floats_as_an_adam_of_those_alone():
    frozen, alone = nn.MLP([3, 5, 4, 2], seed=1), nn.MLP([3, 5, 4, 2], seed=1)
    frozen.layers[2].requires_grad_(False)
    alone.layers[2].requires_grad_(False)
    opt_frozen = optim.Adam(frozen.parameters(), lr=0.01, weight_decay=0.1)
    opt_alone = optim.Adam([p for p in alone.parameters() if p.requires_grad], lr=0.01, weight_decay=0.1)
    train_steps(frozen, opt_frozen)
    train_steps(alone, opt_alone)
    assert opt_frozen._packs  # the live parameters went through the pack, not one at a time
    for (name, a), b in zip(values(frozen).items(), values(alone).values()):
        assert np.array_equal(a, b), name


def test_unfreezing_trains_again_and_a_frozen_parameter_reassigned_stays_a_parameter():
    model = nn.MLP([3, 4, 2], seed=0).requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    layer = model.layers[0]
    layer.weight = layer.weight  # still registered: in parameters() and state_dict()
    assert [n for n, _ in layer.named_parameters()] == ["bias", "weight"]
    model.requires_grad_()
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = values(model)
    train_steps(model, opt, steps=1)
    assert all(not np.array_equal(before[n], p.data) for n, p in model.named_parameters())
    with pytest.raises(TypeError, match=r"MLP.requires_grad_: expected True or False, got 'no'"):
        model.requires_grad_("no")


def test_optimizers_refuse_non_leaves_and_integer_tensors():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: parameter 0 must be a floating-point leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)
    with pytest.raises(TypeError, match=r"Adam: parameter 0 must be a floating-point leaf Tensor"):
        optim.Adam([Tensor(np.arange(3))])


@pytest.mark.parametrize("compile", ["auto", False])
def test_fit_trains_only_the_unfrozen_part(compile):
    model = nn.MLP([3, 8, 2], seed=0)
    model.layers[0].requires_grad_(False)
    before = values(model)
    history = nn.fit(model, F.cross_entropy, optim.Adam(model.parameters(), lr=0.05), X, Y, epochs=5, compile=compile)
    after = values(model)
    assert history.step == ("compiled" if compile == "auto" else "define-by-run")
    assert np.array_equal(after["layers.0.weight"], before["layers.0.weight"])
    assert np.array_equal(after["layers.0.bias"], before["layers.0.bias"])
    assert not np.allclose(after["layers.2.weight"], before["layers.2.weight"])
    assert history.train_loss[-1] < history.train_loss[0]


# ------------------------------------------------------------------ casting
def test_double_makes_a_float32_model_pass_gradcheck_of_its_loss_wrt_the_input():
    model = nn.MLP([3, 4, 2], activation="tanh", seed=0).float()
    assert model.double() is model
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}
    x = Tensor(X[:4], requires_grad=True)
    assert ag.gradcheck(lambda t: F.cross_entropy(model(t), Y[:4]), x)


def test_float_gives_float32_outputs_gradients_and_state_dict():
    model = nn.MLP([3, 4, 2], seed=0)
    assert model.float() is model
    out = model(X.astype(np.float32))
    F.cross_entropy(out, Y).backward()
    assert out.dtype == np.float32
    assert {p.grad.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert {a.dtype for a in model.state_dict().values()} == {np.dtype(np.float32)}
    assert model.to("float64").layers[0].weight.dtype == np.float64  # a name works as a dtype too


def test_cast_keeps_values_layout_and_objects_and_counts_as_a_change():
    model = nn.MLP([3, 4, 2], seed=0)
    weight = model.layers[0].weight
    assert weight.data.flags.f_contiguous and not weight.data.flags.c_contiguous
    old, version = weight.data.copy(), weight.version
    loss = (model(X) ** 2).sum()  # a graph that saved the float64 weight
    model.float()
    assert model.layers[0].weight is weight and weight.version != version
    assert weight.data.flags.f_contiguous and not weight.data.flags.c_contiguous
    np.testing.assert_array_equal(weight.data, old.astype(np.float32))
    with pytest.raises(RuntimeError, match=r"modified"):
        loss.backward()
    same = weight.version
    model.float()  # already float32: nothing changes
    assert weight.version == same


class WithCounter(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.BatchNorm1d(3)
        self.register_buffer("seen", np.arange(3))

    def forward(self, x):
        return self.norm(x)


def test_batchnorm_running_statistics_are_cast_and_integer_buffers_keep_their_dtype():
    model = WithCounter()
    model(X)  # running statistics moved
    mean = model.norm.running_mean.copy()
    model.float()
    assert model.norm.running_mean.dtype == np.float32 and model.norm.running_var.dtype == np.float32
    assert model.norm._buffers["running_mean"] is model.norm.running_mean
    np.testing.assert_array_equal(model.norm.running_mean, mean.astype(np.float32))
    assert model.seen.dtype == np.arange(3).dtype
    assert model.state_dict()["norm.running_var"].dtype == np.float32
    model.eval()
    assert model(X.astype(np.float32)).dtype == np.float32


def test_bad_casts_are_refused_and_change_nothing():
    model = nn.MLP([3, 4, 2], seed=0)
    model.layers[2].bias.data[0] = 1e6  # beyond float16's 65504
    before = values(model)
    with pytest.raises(ValueError, match=r"MLP.to\(float16\): 'layers.2.bias' has 1 values beyond float16"):
        model.to(np.float16)
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert all(np.array_equal(before[n], p.data) for n, p in model.named_parameters())
    with pytest.raises(TypeError, match=r"Module.to: only floating-point dtypes.*got int32"):
        model.to(np.int32)
    with pytest.raises(ValueError, match=r"device 'cuda' is not available"):
        model.to("cuda")
    assert model.to("cpu") is model


@pytest.mark.parametrize("make", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_an_optimizer_made_before_a_cast_converts_its_state_rather_than_mixing_dtypes(make):
    model = nn.MLP([3, 5, 2], seed=0)
    opt = make(model.parameters())
    train_steps(model, opt, steps=2)  # state (momentum, running means) in float64
    model.float()
    train_steps(model, opt, steps=2)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    arrays = [v for s in opt.state for v in s.values() if isinstance(v, np.ndarray)]
    assert {a.dtype for a in arrays} <= {np.dtype(np.float32)}
    assert all(np.isfinite(p.data).all() for p in model.parameters())


def test_cast_and_frozen_models_survive_save_and_load(tmp_path):
    model = nn.MLP([3, 4, 2], seed=0).float()
    path = nn.save(model, tmp_path / "model.npz")
    rebuilt = nn.load(path)  # the architecture records the dtype
    assert {p.dtype for p in rebuilt.parameters()} == {np.dtype(np.float32)}
    assert all(np.array_equal(a, b) for a, b in zip(values(rebuilt).values(), values(model).values()))
    # into a model of another dtype: the values take that model's dtype, as load_state_dict (and PyTorch) do
    into = nn.MLP([3, 4, 2], seed=1).requires_grad_(False)
    nn.load(into, path)
    assert {p.dtype for p in into.parameters()} == {np.dtype(np.float64)}
    assert not any(p.requires_grad for p in into.parameters())  # requires_grad is the model's, not the file's
    np.testing.assert_array_equal(into.layers[0].weight.data, model.layers[0].weight.data.astype(np.float64))
    # a part cast survives too: each layer's architecture records its own dtype
    mixed = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2))
    mixed[2].float()
    dtypes = {name: a.dtype for name, a in mixed.state_dict().items()}
    assert dtypes["2.running_var"] == np.float32 and dtypes["3.weight"] == np.float64
    reloaded = nn.load(nn.save(mixed, tmp_path / "mixed.npz"))
    assert {name: a.dtype for name, a in reloaded.state_dict().items()} == dtypes


def test_frozen_training_matches_torch():
    torch = pytest.importorskip("torch")
    model = nn.MLP([3, 5, 2], seed=0)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.ReLU(), torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        for ours, theirs in zip(model.parameters(), reference.parameters()):
            theirs.copy_(torch.from_numpy(ours.data.copy()))
    model.layers[0].requires_grad_(False)
    reference[0].requires_grad_(False)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    torch_opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9, weight_decay=0.01)
    train_steps(model, opt, steps=3)
    for _ in range(3):
        torch_opt.zero_grad()
        torch.nn.functional.cross_entropy(reference(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
        torch_opt.step()
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
