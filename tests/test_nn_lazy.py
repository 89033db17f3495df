"""Lazy layers (``nn.LazyLinear``, ``LazyConv1d/2d``, ``LazyConvTranspose2d``, ``LazyBatchNorm1d/2d``): the input
size read from the first call, the same values as the layer built with that size, the same parameter objects
(an optimizer made before the first call trains them), and compile, fit, saving and loading around them."""

import copy
import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn.parameter import is_lazy

# (lazy layer, its arguments, the layer it becomes, that layer's input size, an input of that size)
CASES = [
    (nn.LazyLinear, (3,), {"seed": 0}, nn.Linear, 5, (4, 5)),
    (nn.LazyLinear, (3,), {"bias": False, "seed": 1}, nn.Linear, 2, (2, 7, 2)),
    (nn.LazyConv1d, (4, 3), {"seed": 2}, nn.Conv1d, 2, (2, 2, 9)),
    (nn.LazyConv2d, (4, 3), {"padding": 1, "groups": 2, "seed": 3}, nn.Conv2d, 6, (2, 6, 5, 5)),
    (nn.LazyConvTranspose2d, (2, 2), {"stride": 2, "seed": 4}, nn.ConvTranspose2d, 3, (1, 3, 4, 4)),
    (nn.LazyBatchNorm1d, (), {"momentum": 0.2}, nn.BatchNorm1d, 3, (8, 3)),
    (nn.LazyBatchNorm2d, (), {"affine": False}, nn.BatchNorm2d, 2, (4, 2, 3, 3)),
    (nn.LazyBatchNorm3d, (), {"momentum": None}, nn.BatchNorm3d, 3, (2, 3, 2, 3, 2)),
]


def _input(shape, seed=0):
    return ag.Tensor(np.random.default_rng(seed).normal(size=shape), requires_grad=True)


@pytest.mark.parametrize(("lazy", "args", "kwargs", "real", "size", "shape"), CASES)
def test_the_first_call_builds_the_layer_its_input_size_calls_for(lazy, args, kwargs, real, size, shape):
    layer, reference = lazy(*args, **kwargs), real(size, *args, **kwargs)
    placeholders = dict(layer.named_parameters())
    assert all(is_lazy(p) and p.shape == (0,) for p in placeholders.values())
    x = _input(shape)
    out = layer(x)
    assert type(layer) is real and repr(layer) == repr(reference)
    for name, p in reference.named_parameters():  # the same values (seed), in the placeholders themselves
        mine = dict(layer.named_parameters())[name]
        assert mine is placeholders[name] and not is_lazy(mine)
        np.testing.assert_array_equal(mine.data, p.data)
        assert mine.data.flags.f_contiguous == p.data.flags.f_contiguous  # (Linear's column-major weight)
    assert sorted(dict(layer.named_buffers())) == sorted(dict(reference.named_buffers()))
    expected = reference(x)
    np.testing.assert_array_equal(out.data, expected.data)
    out.sum().backward()
    grads = [p.grad for p in layer.parameters()]
    for p in reference.parameters():
        p.grad = None
    x.grad = None
    expected.sum().backward()
    for g, p in zip(grads, reference.parameters()):
        np.testing.assert_array_equal(g, p.grad)


def test_an_optimizer_made_before_the_first_call_trains_the_model_as_one_made_after():
    X, y = nn.datasets.make_moons(64, noise=0.1, seed=0)
    losses = {}
    for lazy in (True, False):
        first = nn.LazyLinear(16, seed=0) if lazy else nn.Linear(2, 16, seed=0)
        second = nn.LazyLinear(2, seed=1) if lazy else nn.Linear(16, 2, seed=1)
        model = nn.Sequential(first, nn.ReLU(), second)
        opt = nn.optim.Adam(model.parameters(), lr=0.05)
        losses[lazy] = []
        for _ in range(20):
            opt.zero_grad()
            loss = F.cross_entropy(model(X), y)
            loss.backward()
            opt.step()
            losses[lazy].append(loss.item())
    assert losses[True] == losses[False] and losses[True][-1] < 0.5 * losses[True][0]


def test_a_compiled_step_traces_after_the_call_that_built_the_layers():
    X, y = (ag.Tensor(a) for a in nn.datasets.make_moons(64, noise=0.1, seed=0))
    model = nn.Sequential(nn.LazyLinear(8, seed=0), nn.ReLU(), nn.LazyLinear(2, seed=1))
    step = ag.compile(lambda X, y: F.cross_entropy(model(X), y))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ag.CompileWarning)  # the building call is no reason to give up compiling
        for _ in range(4):
            for p in model.parameters():
                p.grad = None
            loss = step(X, y)
    assert step.replay_count == 1 and step.fallback_reason is None
    for p in model.parameters():
        p.grad = None
    expected = F.cross_entropy(model(X), y)
    expected.backward()
    grads = [p.grad for p in model.parameters()]
    for p in model.parameters():
        p.grad = None
    assert step(X, y).item() == loss.item() == expected.item()
    for p, g in zip(model.parameters(), grads):
        np.testing.assert_allclose(p.grad, g, rtol=1e-12)


def test_fit_compiles_a_model_of_lazy_layers():
    X, y = nn.datasets.make_moons(200, noise=0.1, seed=0)
    model = nn.Sequential(nn.LazyLinear(16, seed=0), nn.ReLU(), nn.LazyLinear(2, seed=1))
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, F.cross_entropy, opt, X, y, epochs=20, progress=False)
    assert history.step == "compiled" and history.step_reason is None
    assert history.train_acc[-1] > 0.95


def test_settings_made_before_the_first_call_hold():
    layer = nn.LazyBatchNorm2d().float().eval()
    calls = []
    layer.register_forward_hook(lambda module, inputs, output: calls.append(output.shape))
    frozen = nn.LazyLinear(2)
    frozen.requires_grad_(False)
    x = np.random.default_rng(0).normal(size=(2, 3, 2, 2)).astype(np.float32)
    out = layer(x)
    assert layer.weight.dtype == np.float32 and layer.running_mean.dtype == np.float32 and not layer.training
    np.testing.assert_allclose(out.data, x / np.sqrt(1 + 1e-5), rtol=1e-6)  # eval: the running statistics
    assert calls == [(2, 3, 2, 2)]
    frozen(np.ones((1, 4)))
    assert not frozen.weight.requires_grad and frozen.weight.shape == (2, 4)


def test_labels_and_a_copy_made_before_the_first_call():
    model = nn.Sequential(nn.LazyLinear(3, seed=0))
    twin = copy.deepcopy(model)
    model(np.ones((1, 2)))
    twin(np.ones((1, 5)))
    assert model[0].weight.shape == (3, 2) and twin[0].weight.shape == (3, 5)
    assert model[0].weight.label == "0.weight"


def test_loading_a_saved_state_builds_the_lazy_layers_as_pytorch_does(tmp_path):
    trained = nn.Sequential(nn.LazyConv2d(4, 3, seed=0), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(2))
    x = np.random.default_rng(0).normal(size=(2, 3, 5, 5))
    expected = trained(x).data
    clone = nn.Sequential(nn.LazyConv2d(4, 3, seed=9), nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(2))
    opt = nn.optim.SGD(clone.parameters(), lr=0.1)
    placeholders = list(clone.parameters())
    clone.load_state_dict(trained.state_dict())
    assert [type(m) for m in clone] == [nn.Conv2d, nn.BatchNorm2d, nn.Flatten, nn.Linear]
    assert list(clone.parameters()) == placeholders and opt.params == placeholders
    np.testing.assert_array_equal(clone(x).data, expected)
    path = nn.save(trained, tmp_path / "lazy.npz")
    np.testing.assert_array_equal(nn.load(path)(x).data, expected)


def test_a_bad_state_changes_no_lazy_layer():
    model = nn.Sequential(nn.LazyLinear(2))
    bad = {"0.weight": np.ones((2, 3)), "0.bias": np.ones(5)}
    with pytest.raises(ValueError, match=r"nothing was changed because of '0.bias': shape \(5,\), the parameter has "):
        model.load_state_dict(bad)
    assert type(model[0]) is nn.LazyLinear and is_lazy(model[0].weight)
    with pytest.raises(ValueError, match=r"'0.weight' belongs to a lazy layer not built yet: call the model once"):
        model.load_state_dict({"0.weight": np.ones(3), "0.bias": np.ones(2)})  # no axis 1 to size it


def test_saving_a_model_whose_lazy_layers_are_not_built_is_refused(tmp_path):
    model = nn.Sequential(nn.LazyLinear(2))
    with pytest.raises(ValueError, match=r"nn.save: 0.weight, 0.bias belong to lazy layers not built yet.*call the"):
        nn.save(model, tmp_path / "unbuilt.npz")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: nn.LazyLinear(0), ValueError, r"nn.LazyLinear: Linear: out_features must be"),
        (lambda: nn.LazyConv2d(4), TypeError, r"nn.LazyConv2d: missing a required argument: 'kernel_size'"),
        (lambda: nn.LazyLinear(2, dtype=np.int64), TypeError, r"nn.LazyLinear: Linear: dtype must be floating"),
        (lambda: nn.LazyBatchNorm1d(wrong=1), TypeError, r"nn.LazyBatchNorm1d: got an unexpected keyword"),
    ],
)
def test_bad_arguments_are_refused_when_the_layer_is_made(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_first_input_without_the_size_axis_is_refused():
    layer = nn.LazyConv2d(4, 3)
    with pytest.raises(ValueError, match=r"nn.LazyConv2d: its input size is the input's axis 1 \(channels\), but the"):
        layer(np.ones(5))
    assert type(layer) is nn.LazyConv2d
    with pytest.raises(ValueError, match=r"nn.LazyLinear: .*last axis \(features\).*shape \(\)"):
        nn.LazyLinear(2)(ag.Tensor(1.0))


def test_the_seed_s_draws_are_the_real_layer_s():
    """Checking the arguments draws nothing from a generator given as the seed: the real layer gets its draws."""
    lazy = nn.LazyLinear(3, seed=np.random.default_rng(7))
    lazy(np.ones((1, 4)))
    np.testing.assert_array_equal(lazy.weight.data, nn.Linear(4, 3, seed=np.random.default_rng(7)).weight.data)


def test_torch_s_lazy_layers_take_the_same_shapes():
    torch = pytest.importorskip("torch")
    for ours, theirs, shape in [
        (nn.LazyLinear(3), torch.nn.LazyLinear(3), (2, 5)),
        (nn.LazyConv2d(4, 3, groups=2), torch.nn.LazyConv2d(4, 3, groups=2), (1, 6, 5, 5)),
        (nn.LazyConvTranspose2d(2, 2), torch.nn.LazyConvTranspose2d(2, 2), (1, 3, 4, 4)),
        (nn.LazyBatchNorm1d(), torch.nn.LazyBatchNorm1d(), (4, 3)),
    ]:
        x = np.random.default_rng(0).normal(size=shape)
        ours(x)
        theirs(torch.tensor(x, dtype=torch.float32))
        assert {n: p.shape for n, p in ours.named_parameters()} == {
            n: tuple(p.shape) for n, p in theirs.named_parameters()
        }
        assert type(ours).__name__ == type(theirs).__name__


def test_initialising_a_lazy_parameter_before_the_first_call_says_to_call_the_model_first():
    """d2l's ``net.apply(init_cnn)`` before its dry run: each nn.init function names the fix, then works after it."""
    model = nn.Sequential(nn.LazyLinear(3))
    for init in (nn.init.xavier_uniform_, nn.init.zeros_, nn.init.normal_):
        with pytest.raises(ValueError, match=rf"nn.init.{init.__name__}: the tensor is a lazy layer's parameter.*"
                           r"call the model once on a batch first"):  # fmt: skip
            init(model[0].weight)
    model(np.ones((2, 5)))
    nn.init.zeros_(model[0].weight)
    assert model[0].weight.shape == (3, 5) and not model[0].weight.data.any()
