"""nn layers beyond Linear: Dropout, BatchNorm1d, LayerNorm, Flatten, LeakyReLU, GELU, Softmax,
LogSoftmax, Embedding; Module.apply and buffers. Oracles: torch.nn (values and gradients),
closed forms (math.erfc, inverted scaling), finite differences."""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor

TIGHT = dict(rtol=1e-10, atol=1e-12)


def weighted_loss(out, r):
    """A non-uniform scalar, so a rule that ignores the incoming gradient fails."""
    return ((out + 1) ** 2 * r).sum()


def ours_and_torch_grads(ours_module, torch_module, x, torch):
    xt = Tensor(x.copy(), requires_grad=True)
    out = ours_module(xt)
    r = np.random.default_rng(7).normal(size=out.shape)
    weighted_loss(out, r).backward()
    xq = torch.tensor(x.copy(), requires_grad=True)
    out_q = torch_module(xq)
    weighted_loss(out_q, torch.from_numpy(r)).backward()
    return out, xt, out_q, xq


# ---------------------------------------------------------------------------------- BatchNorm / LayerNorm
@pytest.mark.parametrize("shape", [(16, 3), (8, 3, 5)])
def test_batchnorm_train_then_eval_equals_torch(shape):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm1d(3, momentum=0.3), torch.nn.BatchNorm1d(3, momentum=0.3).double()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([1.5, -0.5, 2.0], dtype=torch.float64))
        theirs.bias.copy_(torch.tensor([0.1, 0.2, -0.3], dtype=torch.float64))
    ours.weight.data = np.array([1.5, -0.5, 2.0])
    ours.bias.data = np.array([0.1, 0.2, -0.3])
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=shape)
        out, xt, out_q, xq = ours_and_torch_grads(ours, theirs, x, torch)
        np.testing.assert_allclose(out.data, out_q.detach().numpy(), **TIGHT)
        np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-9, atol=1e-10)
        ours.zero_grad(), theirs.zero_grad()
    np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), **TIGHT)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), **TIGHT)  # unbiased, n/(n-1)
    ours.eval(), theirs.eval()
    x = rng.normal(size=shape)
    out, xt, out_q, xq = ours_and_torch_grads(ours, theirs, x, torch)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), **TIGHT)
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-9, atol=1e-10)
    before = ours.running_mean.copy()
    ours(x)
    assert np.array_equal(before, ours.running_mean)  # eval never updates the statistics


def test_batchnorm_closed_form_without_torch():
    x = np.random.default_rng(1).normal(5.0, 2.0, size=(200, 4))
    bn = nn.BatchNorm1d(4, affine=False)
    out = bn(x).data
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), np.sqrt(x.var(axis=0) / (x.var(axis=0) + 1e-5)), rtol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-12)
    no_stats = nn.BatchNorm1d(4, track_running_stats=False).eval()
    np.testing.assert_allclose(no_stats(x).data.mean(axis=0), 0, atol=1e-12)  # batch statistics always


def test_batchnorm_gradcheck_and_float32():
    x = Tensor(np.random.default_rng(2).normal(size=(6, 3)), requires_grad=True)
    bn = nn.BatchNorm1d(3)
    bn.weight.data = np.array([0.5, 2.0, -1.0])
    assert ag.gradcheck(lambda t: bn(t) * Tensor(np.arange(18.0).reshape(6, 3)), x)
    bn32 = nn.BatchNorm1d(3, dtype=np.float32)
    out = bn32(np.ones((4, 3), np.float32) * np.arange(4, dtype=np.float32)[:, None])
    out.sum().backward()
    assert out.dtype == np.float32 and bn32.weight.grad.dtype == np.float32
    assert bn32.running_var.dtype == np.float32
    assert bn32.eval()(np.ones((2, 3), np.float32)).dtype == np.float32


def test_batchnorm_errors():
    with pytest.raises(
        ValueError,
        match=r"BatchNorm1d\(3\): expected an input of shape \(N, 3\) or \(N, 3, L\), "
        r"got \(4, 2\)",
    ):
        nn.BatchNorm1d(3)(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"training needs more than 1 value per channel.*model.eval\(\)"):
        nn.BatchNorm1d(3)(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: momentum must be a number > 0 and <= 1.0, got 2"):
        nn.BatchNorm1d(3, momentum=2)


def test_batchnorm_statistics_are_saved_and_loaded(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.BatchNorm1d(3))
    model(np.random.default_rng(0).normal(size=(10, 2)))
    assert sorted(model.state_dict()) == ["0.bias", "0.weight", "1.bias", "1.running_mean", "1.running_var", "1.weight"]
    nn.save(model, tmp_path / "bn.npz")
    fresh = nn.load(nn.Sequential(nn.Linear(2, 3, seed=1), nn.BatchNorm1d(3)), tmp_path / "bn.npz")
    assert np.array_equal(fresh[1].running_var, model[1].running_var)
    assert fresh[1].running_var is fresh[1]._buffers["running_var"]  # loaded in place
    x = np.ones((4, 2))
    np.testing.assert_array_equal(fresh.eval()(x).data, model.eval()(x).data)
    with pytest.raises(ValueError, match=r"'1.running_mean': shape \(2,\), the parameter has shape \(3,\)"):
        fresh.load_state_dict({**model.state_dict(), "1.running_mean": np.zeros(2)})


@pytest.mark.parametrize("shape, normalized", [((5, 4), 4), ((2, 3, 4), (3, 4))])
def test_layernorm_equals_torch(shape, normalized):
    torch = pytest.importorskip("torch")
    ours, theirs = nn.LayerNorm(normalized), torch.nn.LayerNorm(normalized).double()
    w = np.random.default_rng(3).normal(size=ours.weight.shape)
    ours.weight.data = w.copy()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(w))
    x = np.random.default_rng(4).normal(size=shape)
    out, xt, out_q, xq = ours_and_torch_grads(ours, theirs, x, torch)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), **TIGHT)
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-9, atol=1e-10)
    with pytest.raises(ValueError, match=r"LayerNorm\(3, 4\): the input's last axes must be \(3, 4\)"):
        nn.LayerNorm((3, 4))(np.ones((4, 3)))


# ---------------------------------------------------------------------------------- Dropout
def test_dropout_inverted_scaling_train_and_eval():
    drop = nn.Dropout(0.25, seed=0)
    x = Tensor(np.ones((400, 50)), requires_grad=True)
    out = drop(x)
    values = out.data
    assert set(np.unique(values)) == {0.0, 1 / 0.75}
    assert abs((values == 0).mean() - 0.25) < 0.01  # 20,000 draws: sd 0.003
    assert abs(values.mean() - 1.0) < 0.015  # the expectation is kept
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, values)  # d out / d x = mask / (1 - p)
    drop.eval()
    assert drop(x) is x or np.array_equal(drop(x).data, x.data)
    np.testing.assert_array_equal(
        nn.Dropout(0.5, seed=3)(np.ones(100)).data, nn.Dropout(0.5, seed=3)(np.ones(100)).data
    )  # seeded: reproducible
    assert nn.Dropout(1.0)(np.ones(5)).data.tolist() == [0.0] * 5
    assert nn.Dropout(0.5, seed=0)(np.ones(4, np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\], got 1.5"):
        nn.Dropout(1.5)


def test_dropout_follows_nn_init_manual_seed():
    nn.init.manual_seed(11)
    a = nn.Dropout(0.5)(np.ones(64)).data
    nn.init.manual_seed(11)
    b = nn.Dropout(0.5)(np.ones(64)).data
    assert np.array_equal(a, b) and 0 < (a == 0).sum() < 64


def test_train_and_eval_switch_every_module():
    model = nn.Sequential(nn.Linear(3, 3, seed=0), nn.BatchNorm1d(3), nn.Dropout(0.5, seed=0))
    x = np.random.default_rng(0).normal(size=(8, 3))
    model.eval()
    assert np.array_equal(model(x).data, model(x).data)  # deterministic in eval
    model.train()
    assert not np.array_equal(model(x).data, model(x).data)  # fresh masks in training


# ---------------------------------------------------------------------------------- activations and friends
def test_gelu_exact_form_against_erfc_and_torch():
    x = np.linspace(-12, 6, 73)
    exact = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    ours = nn.GELU()(Tensor(x)).data
    # relative, even at -12 (1e-32): to the rounding of x / sqrt(2) times erfc's condition number x^2 (~1e-14)
    np.testing.assert_allclose(ours, exact, rtol=3e-14, atol=0)
    torch = pytest.importorskip("torch")
    xt = Tensor(x, requires_grad=True)
    nn.GELU()(xt).sum().backward()
    xq = torch.tensor(x, requires_grad=True)
    torch.nn.GELU()(xq).sum().backward()
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-15, atol=1e-16)  # torch's 1 + erf rounds at 1e-16


def test_gelu_tanh_form_equals_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).normal(size=(6, 7)) * 3
    out, xt, out_q, xq = ours_and_torch_grads(nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh"), x, torch)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), **TIGHT)
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match=r"GELU: approximate must be 'none' or 'tanh', got 'erf'"):
        nn.GELU("erf")


@pytest.mark.parametrize(
    "make",
    [
        lambda torch: (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
        lambda torch: (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        lambda torch: (nn.LogSoftmax(dim=0), torch.nn.LogSoftmax(dim=0)),
        lambda torch: (nn.Flatten(), torch.nn.Flatten()),
        lambda torch: (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
    ],
)
def test_simple_modules_equal_torch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(torch)
    x = np.random.default_rng(6).normal(size=(4, 3, 2))
    if isinstance(ours, (nn.Softmax,)):
        x = x[:, :, 0]
    out, xt, out_q, xq = ours_and_torch_grads(ours, theirs, x, torch)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), **TIGHT)
    np.testing.assert_allclose(xt.grad, xq.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_leaky_relu_kink_follows_the_engine_convention():
    x = Tensor([0.0, -1.0, 2.0], requires_grad=True)
    nn.LeakyReLU(0.1)(x).sum().backward()
    assert x.grad.tolist() == pytest.approx([0.55, 0.1, 1.0])  # (1 + slope) / 2 at the tie


def test_embedding_equals_torch_and_accumulates_repeated_rows():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(5, 3, seed=0)
    theirs = torch.nn.Embedding(5, 3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
    idx = np.array([[1, 4, 1], [0, 1, 2]])
    r = np.random.default_rng(0).normal(size=(2, 3, 3))
    weighted_loss(ours(idx), r).backward()
    weighted_loss(theirs(torch.from_numpy(idx)), torch.from_numpy(r)).backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), **TIGHT)
    assert abs(ours.weight.data.std() - 1) < 0.6  # N(0, 1) initialisation
    with pytest.raises(ValueError, match=r"Embedding\(5, 3\): indices must be in 0..4, got min 0, max 5"):
        ours(np.array([0, 5]))
    with pytest.raises(TypeError, match=r"Embedding: indices must be integers, got dtype float64"):
        ours(np.array([0.0]))


# ---------------------------------------------------------------------------------- Module.apply
def test_apply_visits_children_before_parents_and_returns_self():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Sequential(nn.ReLU(), nn.Linear(3, 1, seed=0)))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "ReLU", "Linear", "Sequential", "Sequential"]
    model.apply(lambda m: nn.init.zeros_(m.weight) if isinstance(m, nn.Linear) else None)
    assert all(not p.data.any() for n, p in model.named_parameters() if n.endswith("weight"))


def test_new_layers_repr():
    assert repr(nn.Dropout(0.3)) == "Dropout(p=0.3, inplace=False)"
    assert repr(nn.BatchNorm1d(4)) == "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"


def test_fit_trains_a_batchnorm_dropout_model_and_evaluates_in_eval_mode():
    X, y = nn.datasets.make_moons(200, noise=0.1, seed=0)
    model = nn.Sequential(
        nn.Linear(2, 16, seed=0), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2, seed=0), nn.Linear(16, 2, seed=1)
    )
    history = nn.fit(
        model, nn.CrossEntropyLoss(), nn.optim.AdamW(model.parameters(), lr=0.02), X, y, epochs=15, progress=False
    )
    assert history.train_loss[-1] < history.train_loss[0] / 2
    first, second = nn.evaluate(model, nn.CrossEntropyLoss(), X, y), nn.evaluate(model, nn.CrossEntropyLoss(), X, y)
    assert first == second and first[1] > 0.9  # eval mode: no dropout, running statistics
    assert model.training  # evaluate restores the mode
