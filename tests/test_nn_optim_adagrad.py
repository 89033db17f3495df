"""nn.optim.Adagrad's torch arguments: ``lr_decay`` (lr / (1 + (t - 1) lr_decay) at step t) and
``initial_accumulator_value`` (where the sum of squared gradients starts), in torch's argument order. Oracles: the
rule written out on numpy arrays (Duchi et al.'s AdaGrad with torch's decay), and torch's Adagrad in float64."""

import inspect

import numpy as np
import pytest
from optimizer_ports_helpers import bitwise_equal, largest_difference, train_by_rule, train_torch, train_with

import autograd_core as ag
import nn

SETTINGS = [
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.05),
    dict(lr=0.2, initial_accumulator_value=0.5),
    dict(lr=0.1, lr_decay=0.1, weight_decay=1e-3, initial_accumulator_value=0.1, eps=1e-8),
    dict(lr=0.1, lr_decay=0.05, maximize=True),
]


def adagrad_rule(theta, grads, state, t, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    """The update as torch's page writes it (minimising), on numpy arrays."""
    step_size = lr / (1 + (t - 1) * lr_decay)
    sums = state.setdefault("sums", [np.full_like(p, initial_accumulator_value) for p in theta])
    new = []
    for p, g, s in zip(theta, grads, sums):
        g = g + weight_decay * p if weight_decay else g
        s += g * g
        new.append(p - step_size * g / (np.sqrt(s) + eps))
    return new


@pytest.mark.parametrize("kwargs", [k for k in SETTINGS if "maximize" not in k])
def test_adagrad_steps_are_the_rule_written_out_bit_for_bit(kwargs):
    ours = train_with(lambda p: nn.optim.Adagrad(p, **kwargs), 6)
    assert bitwise_equal(ours, train_by_rule(adagrad_rule, 6, **kwargs))


@pytest.mark.parametrize("kwargs", SETTINGS)
def test_adagrad_equals_torch_s_in_float64(kwargs):
    torch = pytest.importorskip("torch")
    ours = train_with(lambda p: nn.optim.Adagrad(p, **kwargs), 6)
    theirs = train_torch(lambda p: torch.optim.Adagrad(p, **kwargs), 6, torch)
    assert largest_difference(ours, theirs) < 1e-12


def test_lr_decay_changes_the_steps_and_a_resumed_run_keeps_the_count():
    # the decay reads each parameter's step count: a run resumed from state_dict goes on from it
    plain, decayed = (train_with(lambda p, d=d: nn.optim.Adagrad(p, lr=0.1, lr_decay=d), 4) for d in (0.0, 0.5))
    assert bitwise_equal(plain[:1], decayed[:1]) and not bitwise_equal(plain[1:], decayed[1:])  # t = 1: lr itself
    w = ag.tensor([1.0, -2.0], requires_grad=True)
    opt = nn.optim.Adagrad([w], lr=0.1, lr_decay=0.5, initial_accumulator_value=0.25)
    twin = ag.tensor([1.0, -2.0], requires_grad=True)
    resumed = nn.optim.Adagrad([twin], lr=0.1, lr_decay=0.5, initial_accumulator_value=0.25)
    for k in range(4):
        for t, o in ((w, opt), (twin, resumed)):
            o.zero_grad()
            (t**2).sum().backward()
            o.step()
        if k == 1:
            resumed = nn.optim.Adagrad([twin], lr=0.1, lr_decay=0.5, initial_accumulator_value=0.25)
            resumed.load_state_dict(opt.state_dict())
            assert resumed.state[0]["step"] == 2
    np.testing.assert_array_equal(w.data, twin.data)


def test_a_state_saved_before_these_arguments_loads_with_torch_s_defaults():
    w = ag.tensor([1.0, -2.0], requires_grad=True)
    opt = nn.optim.Adagrad([w], lr=0.1)
    (w**2).sum().backward()
    opt.step()
    saved = opt.state_dict()
    for group in saved["param_groups"]:
        del group["lr_decay"], group["initial_accumulator_value"]
    del saved["state"][0]["step"]
    fresh = nn.optim.Adagrad([w], lr=0.1, lr_decay=0.3)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr_decay"] == 0.0 and fresh.param_groups[0]["initial_accumulator_value"] == 0.0


def test_arguments_are_torch_s_in_its_order_and_bad_values_are_refused():
    assert list(inspect.signature(nn.optim.Adagrad).parameters) == [
        "params",
        "lr",
        "lr_decay",
        "weight_decay",
        "initial_accumulator_value",
        "eps",
        "maximize",
    ]
    w = ag.tensor([1.0], requires_grad=True)
    for name in ("lr_decay", "initial_accumulator_value"):
        with pytest.raises(ValueError, match=rf"AdaGrad: {name} must be >= 0.0, got -0.1"):
            nn.optim.Adagrad([w], **{name: -0.1})
    torch = pytest.importorskip("torch")
    theirs = torch.optim.Adagrad([torch.zeros(2, requires_grad=True)]).defaults
    ours = nn.optim.Adagrad([w]).defaults
    assert ours == {k: v for k, v in theirs.items() if k not in ("foreach", "differentiable", "fused")}
    torch_args = [
        a for a in inspect.signature(torch.optim.Adagrad).parameters if a not in ("foreach", "differentiable", "fused")
    ]
    assert list(inspect.signature(nn.optim.Adagrad).parameters) == torch_args
