"""BatchNorm2d: per-channel statistics over (N, H, W), against torch, finite differences and closed forms;
its running statistics, saving, and what a compiled train-mode step does with them."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import CompileWarning, Tensor

GAMMA, BETA = [1.5, -0.5, 2.0], [0.1, 0.2, -0.3]


@pytest.mark.parametrize(
    "dtype, shape, momentum, affine",
    [
        (np.float64, (4, 3, 5, 6), 0.1, True),
        (np.float64, (2, 3, 3, 3), 0.3, False),
        (np.float32, (5, 3, 4, 2), 0.2, True),
    ],
)
def test_train_steps_then_eval_equal_torch(dtype, shape, momentum, affine):
    torch = pytest.importorskip("torch")
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    ours = nn.BatchNorm2d(3, momentum=momentum, affine=affine, dtype=dtype)
    theirs = torch.nn.BatchNorm2d(3, momentum=momentum, affine=affine).to(tdtype)
    if affine:
        ours.weight.data, ours.bias.data = np.array(GAMMA, dtype), np.array(BETA, dtype)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(GAMMA, dtype=tdtype)), theirs.bias.copy_(torch.tensor(BETA, dtype=tdtype))
    tol = dict(rtol=1e-10, atol=1e-11) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-5)
    rng = np.random.default_rng(0)
    weights = rng.normal(size=shape).astype(dtype)  # a loss that is not just a sum (whose x-gradient is 0)
    for step in range(4):
        if step == 3:
            ours.eval(), theirs.eval()
        x = rng.normal(2.0, 3.0, size=shape).astype(dtype)
        xt, xq = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out, out_q = ours(xt), theirs(xq)
        (out * weights).sum().backward()
        (out_q * torch.tensor(weights)).sum().backward()
        assert out.dtype == dtype and xt.grad.dtype == dtype
        np.testing.assert_allclose(out.data, out_q.detach().numpy(), **tol)
        np.testing.assert_allclose(xt.grad, xq.grad.numpy(), **tol)
        if affine:
            np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **tol)
            np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), **tol)
            ours.zero_grad(), theirs.zero_grad()
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), **tol)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), **tol)  # unbiased: n/(n-1)
        assert ours.running_var.dtype == dtype
    state = ours.state_dict()
    torch_keys = set(theirs.state_dict()) - {"num_batches_tracked"}  # as BatchNorm1d: no num_batches_tracked
    assert set(state) == torch_keys
    assert all(state[k].shape == tuple(theirs.state_dict()[k].shape) for k in state)


def test_closed_form_statistics_over_batch_height_and_width():
    x = np.random.default_rng(1).normal(5.0, 2.0, size=(6, 4, 3, 5))
    bn = nn.BatchNorm2d(4, affine=False)
    out = bn(x).data
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), np.sqrt(var / (var + 1e-5)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1), rtol=1e-12)
    before = bn.running_mean.copy()
    evaluated = bn.eval()(x).data
    assert np.array_equal(before, bn.running_mean)  # eval never moves them
    expected = (x - before[None, :, None, None]) / np.sqrt(bn.running_var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(evaluated, expected, rtol=1e-12)
    no_stats = nn.BatchNorm2d(4, track_running_stats=False).eval()
    np.testing.assert_allclose(no_stats(x).data.mean(axis=(0, 2, 3)), 0, atol=1e-12)  # batch statistics always
    assert sorted(no_stats.state_dict()) == ["bias", "weight"]  # no buffers


@pytest.mark.parametrize("training", [True, False])
def test_gradcheck(training):
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm2d(2)
    bn.weight.data, bn.bias.data = np.array([0.5, -2.0]), np.array([0.3, 0.1])
    bn.running_var[:] = [0.5, 2.0]
    bn.train(training)
    mix = Tensor(rng.normal(size=(3, 2, 2, 3)))
    x = Tensor(rng.normal(size=(3, 2, 2, 3)), requires_grad=True)
    w = Tensor(bn.weight.data.copy(), requires_grad=True)
    bn.weight = w
    assert ag.gradcheck(lambda t, g: (bn(t) * mix).sum() + (bn(t) ** 2 * g.reshape(1, 2, 1, 1)).sum(), [x, w])


def test_errors_name_the_layer_the_shapes_and_the_fix():
    with pytest.raises(
        ValueError, match=r"BatchNorm2d\(3\): expected an input of shape \(N, 3, H, W\), got \(4, 3\); .*BatchNorm1d"
    ):
        nn.BatchNorm2d(3)(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): .*got \(3, 4, 4\); .*x\[None\]"):
        nn.BatchNorm2d(3)(np.ones((3, 4, 4)))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): .*\(N, 3, H, W\), got \(2, 4, 5, 5\)"):
        nn.BatchNorm2d(3)(np.ones((2, 4, 5, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm2d: training needs more than 1 value per channel"):
        nn.BatchNorm2d(3)(np.ones((1, 3, 1, 1)))
    nn.BatchNorm2d(3)(np.random.default_rng(0).normal(size=(1, 3, 2, 1)))  # one image, 2 pixels: enough
    with pytest.raises(ValueError, match=r"BatchNorm2d: momentum must be a number > 0 and <= 1.0, got 2"):
        nn.BatchNorm2d(3, momentum=2)
    with pytest.raises(ValueError, match=r"BatchNorm2d: num_features"):
        nn.BatchNorm2d(0)
    with pytest.raises(TypeError, match=r"BatchNorm2d: dtype must be floating-point"):
        nn.BatchNorm2d(3, dtype=np.int64)


def test_saved_and_loaded_with_its_statistics_and_config(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 3, 3, seed=0), nn.BatchNorm2d(3, momentum=0.2, eps=1e-3, dtype=np.float32))
    model = model.float()
    x = np.random.default_rng(0).normal(size=(4, 1, 6, 6)).astype(np.float32)
    model(x)
    assert repr(model[1]) == "BatchNorm2d(3, eps=0.001, momentum=0.2, affine=True, track_running_stats=True)"
    nn.save(model.eval(), tmp_path / "bn2d.npz")
    loaded = nn.load(tmp_path / "bn2d.npz")
    assert isinstance(loaded[1], nn.BatchNorm2d) and loaded[1].config() == model[1].config()
    assert loaded[1].running_var.dtype == np.float32
    assert np.array_equal(loaded[1].running_var, model[1].running_var)
    assert np.array_equal(loaded.eval()(x).data, model(x).data)


def test_a_compiled_train_mode_step_replays_the_batch_statistics_but_stops_updating_the_running_ones():
    """As BatchNorm1d (README, docs/compile.md): the running statistics are updated in Python, beside the
    graph, so a compiled step's replays (from the third call) leave them where the traces put them,
    while the loss and gradients (batch statistics, in the graph) stay define-by-run's."""
    model = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    twin = nn.Sequential(nn.Conv2d(1, 2, 3, seed=0), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
    twin.load_state_dict(model.state_dict())
    step = ag.compile(lambda X, y: F.cross_entropy(model(X), y))
    rng = np.random.default_rng(0)
    moved = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)  # no fallback: the replays run
        for k in range(5):
            X, y = Tensor(rng.normal(k, 1.0, size=(6, 1, 4, 4))), rng.integers(0, 3, 6)
            before = model[1].running_mean.copy()
            model.zero_grad(), twin.zero_grad()
            got, want = step(X, y), F.cross_entropy(twin(X), y)
            want.backward()
            assert got.item() == pytest.approx(want.item(), rel=1e-12)
            np.testing.assert_allclose(model[0].weight.grad, twin[0].weight.grad, rtol=1e-10, atol=1e-12)
            moved.append(not np.array_equal(before, model[1].running_mean))
    assert step.replay_count == 3
    assert moved == [True, True, False, False, False]  # define-by-run (twin) keeps moving; the replays do not
    assert not np.allclose(model[1].running_mean, twin[1].running_mean)
