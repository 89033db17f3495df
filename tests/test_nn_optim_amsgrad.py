"""Adam / AdamW with ``amsgrad=True``: torch.optim's trajectories, a hand-written numpy oracle, the
packed and per-parameter paths alike, and the running maximum saved, resumed and validated."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor
from nn import optim
from nn.optim import packed

SHAPES = [(4, 3), (3,), ()]


def gradients(step, dtype=np.float64):
    """Large gradients first, then small ones: v shrinks, so its running maximum is what divides."""
    r = np.random.default_rng(50 + step)
    scale = 5.0 if step < 5 else 0.1
    return [np.asarray(scale * r.normal(size=s), dtype) for s in SHAPES]


def make_params(dtype=np.float64):
    r = np.random.default_rng(0)
    return [Tensor(r.normal(size=s).astype(dtype), requires_grad=True) for s in SHAPES]


def run(make, steps, dtype=np.float64, start=0, params=None, opt=None):
    params = make_params(dtype) if params is None else params
    opt = make(params) if opt is None else opt
    for step in range(start, start + steps):
        for p, g in zip(params, gradients(step, dtype)):
            p.grad = g
        opt.step()
    return params, opt


def numpy_amsgrad(steps, lr, betas, eps, weight_decay, decoupled):
    """PyTorch's documented AMSGrad, written out in numpy (no code under test)."""
    beta1, beta2 = betas
    values = [p.data.copy() for p in make_params()]
    m = [np.zeros_like(v) for v in values]
    v = [np.zeros_like(x) for x in values]
    v_max = [np.zeros_like(x) for x in values]
    for t in range(1, steps + 1):
        for i, g in enumerate(gradients(t - 1)):
            if decoupled:
                values[i] = values[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * values[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            v_max[i] = np.maximum(v_max[i], v[i])
            denominator = np.sqrt(v_max[i]) / np.sqrt(1 - beta2**t) + eps
            values[i] = values[i] - lr / (1 - beta1**t) * m[i] / denominator
    return values, v_max


SETTINGS = [
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.02, betas=(0.8, 0.95), weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("packable", [True, False])
@pytest.mark.parametrize("name, kwargs", SETTINGS)
def test_twenty_steps_equal_to_the_numpy_formula(name, kwargs, packable, monkeypatch):
    monkeypatch.setattr(packed, "PACKED_BYTES", 1 << 20 if packable else 0)
    params, opt = run(lambda ps: getattr(optim, name)(ps, **kwargs), 20)
    full = dict(betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0 if name == "Adam" else 0.01) | kwargs
    expected, v_max = numpy_amsgrad(20, full["lr"], full["betas"], full["eps"], full["weight_decay"], name == "AdamW")
    assert bool(getattr(opt, "_packs", None)) == packable  # each path taken
    for p, e, state, m in zip(params, expected, opt.state, v_max):
        np.testing.assert_allclose(p.data, e, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(state["max_exp_avg_sq"], m, rtol=1e-12)
        assert (state["max_exp_avg_sq"] > state["exp_avg_sq"]).all()  # v shrank: the maximum mattered
    plain, _ = run(lambda ps: getattr(optim, name)(ps, **(kwargs | {"amsgrad": False})), 20)
    assert not np.allclose(plain[0].data, params[0].data, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kwargs", SETTINGS)
def test_packed_and_per_parameter_paths_give_the_same_floats(name, kwargs, dtype, monkeypatch):
    make = lambda ps: getattr(optim, name)(ps, **kwargs)  # noqa: E731
    monkeypatch.setattr(packed, "PACKED_BYTES", 1 << 20)
    fast, fast_opt = run(make, 12, dtype)
    monkeypatch.setattr(packed, "PACKED_BYTES", 0)
    slow, slow_opt = run(make, 12, dtype)
    for p, q, s, t in zip(fast, slow, fast_opt.state, slow_opt.state):
        assert p.data.tobytes() == q.data.tobytes() and p.dtype == dtype
        assert s["max_exp_avg_sq"].tobytes() == t["max_exp_avg_sq"].tobytes()
    assert all(np.shares_memory(s["max_exp_avg_sq"], fast_opt._packs[0].maximum) for s in fast_opt.state)


@pytest.mark.parametrize("name, kwargs", SETTINGS)
def test_an_mlp_trains_step_for_step_as_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    model = nn.MLP([3, 6, 2], seed=0)
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in model.parameters()]
    opt = getattr(optim, name)(model.parameters(), **kwargs)
    torch_opt = getattr(torch.optim, name)(theirs, **kwargs)
    r = np.random.default_rng(1)
    for step in range(20):
        X, y = r.normal(size=(8, 3)) * (4.0 if step < 5 else 0.2), r.integers(0, 2, size=8)
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()
        for p, q in zip(model.parameters(), theirs):
            q.grad = torch.from_numpy(np.ascontiguousarray(p.grad))  # the same gradients: the update is compared
        torch_opt.step()
        for i, (p, q) in enumerate(zip(model.parameters(), theirs)):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-13)
            maximum = torch_opt.state[q]["max_exp_avg_sq"].numpy()
            np.testing.assert_allclose(opt.state[i]["max_exp_avg_sq"], maximum, rtol=1e-10, atol=1e-300)
    assert torch_opt.param_groups[0]["amsgrad"] and opt.param_groups[0]["amsgrad"]


def test_groups_with_and_without_amsgrad_equal_torch():
    torch = pytest.importorskip("torch")
    params = make_params()
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in params]
    opt = optim.Adam([{"params": params[:2], "amsgrad": True}, {"params": params[2:]}], lr=0.05)
    torch_opt = torch.optim.Adam([{"params": theirs[:2], "amsgrad": True}, {"params": theirs[2:]}], lr=0.05)
    for step in range(20):
        for p, q, g in zip(params, theirs, gradients(step)):
            p.grad, q.grad = g, torch.from_numpy(g.copy())
        opt.step()
        torch_opt.step()
    for p, q in zip(params, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-13)
    assert [g["amsgrad"] for g in opt.param_groups] == [True, False]
    assert "max_exp_avg_sq" in opt.state[0] and "max_exp_avg_sq" not in opt.state[2]


def test_default_is_off_and_the_flag_is_a_hyperparameter():
    opt = optim.AdamW(make_params())
    assert opt.param_groups[0]["amsgrad"] is False and opt.defaults["amsgrad"] is False
    run(None, 2, params=opt.params, opt=opt)
    assert sorted(opt.state[0]) == ["exp_avg", "exp_avg_sq", "step"]
    with pytest.raises(ValueError, match=r"^Adam: amsgrad must be True or False, got 'yes'"):
        optim.Adam(make_params(), amsgrad="yes")
    with pytest.raises(ValueError, match=r"^AdamW: amsgrad must be True or False, got 1"):
        optim.AdamW([{"params": make_params(), "amsgrad": 1}])


class Holder(nn.Module):
    """A model made of given tensors, for a checkpoint."""

    def __init__(self, params):
        super().__init__()
        for i, p in enumerate(params):
            setattr(self, f"p{i}", p)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize("through_file", [False, True])
def test_ten_plus_ten_resumed_steps_equal_twenty_with_the_running_maximum(name, through_file, tmp_path):
    make = lambda ps: getattr(optim, name)(ps, lr=0.05, amsgrad=True)  # noqa: E731
    straight, _ = run(make, 20)
    first, first_opt = run(make, 10)
    resumed = [Tensor(np.full(p.shape, 7.0), requires_grad=True) for p in first]  # other weights
    resumed_opt = getattr(optim, name)(resumed, lr=0.001)  # other settings: all come from the save
    if through_file:
        nn.utils.save_checkpoint(tmp_path / "run.npz", Holder(first), first_opt)
        nn.utils.load_checkpoint(tmp_path / "run.npz", Holder(resumed), resumed_opt)
    else:
        weights, saved = [p.data.copy() for p in first], first_opt.state_dict()
        assert saved["param_groups"][0]["amsgrad"] is True and "max_exp_avg_sq" in saved["state"][0]
        run(None, 2, start=10, params=first, opt=first_opt)  # the snapshot must not follow later steps
        for p, w in zip(resumed, weights):
            p.data = w
        resumed_opt.load_state_dict(saved)
    assert resumed_opt.param_groups[0]["amsgrad"] is True and resumed_opt.param_groups[0]["lr"] == 0.05
    run(None, 10, start=10, params=resumed, opt=resumed_opt)
    assert all(p.data.tobytes() == q.data.tobytes() for p, q in zip(straight, resumed))


class OldAdam:
    """An Adam as saved before amsgrad existed: its state_dict has no 'amsgrad' in the groups."""

    def __init__(self, opt):
        self.opt = opt

    def state_dict(self):
        state = self.opt.state_dict()
        for group in state["param_groups"]:
            del group["amsgrad"]
        return state


@pytest.mark.parametrize("through_file", [False, True])
def test_a_state_saved_before_amsgrad_loads_with_it_off(through_file, tmp_path):
    model = nn.MLP([3, 4, 2], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    opt.zero_grad()
    F.cross_entropy(model(np.ones((2, 3))), np.array([0, 1])).backward()
    opt.step()
    fresh_model = nn.MLP([3, 4, 2], seed=1)
    fresh = optim.Adam(fresh_model.parameters(), lr=0.5, amsgrad=True)  # as torch: the saved groups win
    old = OldAdam(opt).state_dict()
    assert "amsgrad" not in old["param_groups"][0]
    if through_file:
        nn.utils.save_checkpoint(tmp_path / "old.npz", model, OldAdam(opt))
        nn.utils.load_checkpoint(tmp_path / "old.npz", fresh_model, fresh)
    else:
        fresh.load_state_dict(old)
    assert fresh.param_groups[0]["amsgrad"] is False and fresh.param_groups[0]["lr"] == 0.01
    assert fresh.state[0]["step"] == 1 and np.array_equal(fresh.state[0]["exp_avg"], opt.state[0]["exp_avg"])
    assert fresh.state_dict()["param_groups"][0]["amsgrad"] is False


def test_an_amsgrad_state_without_its_maximum_is_refused_and_changes_nothing():
    _, opt = run(lambda ps: optim.Adam(ps, lr=0.05), 3)
    saved = opt.state_dict()
    saved["param_groups"][0]["amsgrad"] = True  # edited by hand: no running maximum to resume
    target = optim.Adam(make_params(), lr=0.05)
    before = target.state_dict()
    with pytest.raises(ValueError, match=r"amsgrad=True but its state holds no 'max_exp_avg_sq'.*load the state"):
        target.load_state_dict(saved)
    assert target.state_dict()["param_groups"] == before["param_groups"] and target.state == [{}, {}, {}]


def test_switching_amsgrad_on_mid_run_starts_the_maximum_there_and_off_keeps_resuming(monkeypatch):
    for packable in (True, False):
        monkeypatch.setattr(packed, "PACKED_BYTES", 1 << 20 if packable else 0)
        params, opt = run(lambda ps: optim.Adam(ps, lr=0.05), 3)
        opt.param_groups[0]["amsgrad"] = True
        run(None, 1, start=3, params=params, opt=opt)
        assert all(np.array_equal(s["max_exp_avg_sq"], s["exp_avg_sq"]) for s in opt.state)  # max(0, v)
        opt.param_groups[0]["amsgrad"] = False
        run(None, 1, start=4, params=params, opt=opt)
        again = optim.Adam(make_params(), lr=0.05)
        again.load_state_dict(opt.state_dict())  # the unused maximum rides along, as in torch
        assert again.param_groups[0]["amsgrad"] is False and "max_exp_avg_sq" in again.state[0]
