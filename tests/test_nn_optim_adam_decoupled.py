"""``Adam(decoupled_weight_decay=True)``, torch's flag (AdamW is Adam with it on): the decay written out in
numpy, AdamW's floats on both of Adam's paths, torch's trajectory, the flag per group, and older states."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor
from nn import optim
from nn.optim import packed

SHAPES = [(4, 3), (3,), ()]


def gradients(step):
    r = np.random.default_rng(90 + step)
    return [r.normal(size=s) for s in SHAPES]


def run(make, steps):
    params = [Tensor(np.random.default_rng(0).normal(size=s), requires_grad=True) for s in SHAPES]
    opt = make(params)
    for step in range(steps):
        for p, g in zip(params, gradients(step)):
            p.grad = g
        opt.step()
    return params, opt


def numpy_adam(steps, lr, weight_decay, decoupled, betas=(0.9, 0.999), eps=1e-8):
    """Adam as torch documents it, the decay either shrinking p first or added to g (no code under test)."""
    beta1, beta2 = betas
    values = [np.random.default_rng(0).normal(size=s) for s in SHAPES]
    m, v = [np.zeros_like(x) for x in values], [np.zeros_like(x) for x in values]
    for t in range(1, steps + 1):
        for i, g in enumerate(gradients(t - 1)):
            if decoupled:
                values[i] = values[i] * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * values[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            values[i] = values[i] - lr / (1 - beta1**t) * m[i] / (np.sqrt(v[i]) / np.sqrt(1 - beta2**t) + eps)
    return values


@pytest.mark.parametrize("packable", [True, False])
@pytest.mark.parametrize("decoupled", [True, False])
def test_adam_with_the_flag_is_the_decoupled_rule_and_adamw_bit_for_bit(decoupled, packable, monkeypatch):
    monkeypatch.setattr(packed, "PACKED_BYTES", 1 << 20 if packable else 0)
    params, opt = run(lambda ps: optim.Adam(ps, lr=0.05, weight_decay=0.3, decoupled_weight_decay=decoupled), 15)
    assert bool(getattr(opt, "_packs", None)) == packable  # each of Adam's two paths taken
    for p, expected in zip(params, numpy_adam(15, 0.05, 0.3, decoupled)):
        np.testing.assert_allclose(p.data, expected, rtol=1e-12, atol=1e-14)
    if decoupled:
        adamw, _ = run(lambda ps: optim.AdamW(ps, lr=0.05, weight_decay=0.3), 15)
        assert all(p.data.tobytes() == q.data.tobytes() for p, q in zip(params, adamw))


def test_the_flag_is_a_hyperparameter_of_each_group():
    a, b = Tensor([1.0, -2.0], requires_grad=True), Tensor([3.0], requires_grad=True)
    opt = optim.Adam([{"params": [a]}, {"params": [b], "decoupled_weight_decay": True}], lr=0.1, weight_decay=0.5)
    assert [g["decoupled_weight_decay"] for g in opt.param_groups] == [False, True]
    assert optim.AdamW([Tensor([1.0], requires_grad=True)]).param_groups[0]["decoupled_weight_decay"] is True
    for p in (a, b):
        p.grad = np.zeros_like(p.data)  # a zero gradient: only the decay moves p
    opt.step()
    np.testing.assert_allclose(b.data, [3.0 * (1 - 0.1 * 0.5)], rtol=1e-15)  # decoupled: shrunk by 1 - lr wd
    # L2: the gradient is wd p, so Adam's first step moves each coordinate by lr against its sign
    np.testing.assert_allclose(a.data, [1.0 - 0.1, -2.0 + 0.1], rtol=1e-6)
    with pytest.raises((TypeError, ValueError), match="decoupled_weight_decay"):
        optim.Adam([a], decoupled_weight_decay="yes")


def test_the_updates_equal_torchs_adam_with_the_flag():
    torch = pytest.importorskip("torch")
    model = nn.MLP([3, 6, 2], seed=0)
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in model.parameters()]
    opt = optim.Adam(model.parameters(), lr=0.03, weight_decay=0.2, decoupled_weight_decay=True)
    torch_opt = torch.optim.Adam(theirs, lr=0.03, weight_decay=0.2, decoupled_weight_decay=True)
    r = np.random.default_rng(1)
    for _ in range(10):
        opt.zero_grad()
        F.cross_entropy(model(r.normal(size=(8, 3))), r.integers(0, 2, size=8)).backward()
        opt.step()
        for p, q in zip(model.parameters(), theirs):
            q.grad = torch.from_numpy(np.ascontiguousarray(p.grad))  # the same gradients: the update is compared
        torch_opt.step()
        for p, q in zip(model.parameters(), theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name, expected", [("Adam", False), ("AdamW", True)])
def test_a_state_saved_before_the_flag_loads_with_the_optimizers_own_decay(name, expected):
    model = nn.MLP([3, 4, 2], seed=0)
    opt = getattr(optim, name)(model.parameters(), lr=0.01, weight_decay=0.1)
    opt.zero_grad()
    F.cross_entropy(model(np.ones((2, 3))), np.array([0, 1])).backward()
    opt.step()
    old = opt.state_dict()
    for group in old["param_groups"]:
        del group["decoupled_weight_decay"]  # as an Adam of an earlier version saved it
    fresh = getattr(optim, name)(nn.MLP([3, 4, 2], seed=1).parameters(), lr=0.5)
    fresh.load_state_dict(old)
    assert fresh.param_groups[0]["decoupled_weight_decay"] is expected and fresh.param_groups[0]["lr"] == 0.01
    assert np.array_equal(fresh.state[0]["exp_avg"], opt.state[0]["exp_avg"])
