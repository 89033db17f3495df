"""``maximize=True`` (gradient ascent) on every nn.optim optimizer torch has it on. Oracles: the same optimizer
minimizing -loss (bit for bit: the gradient of -loss is exactly -g, and torch negates g before anything else,
weight decay included), and torch.optim with maximize=True in float64. Adam's packed step steps aside for it."""

import inspect
import json

import numpy as np
import pytest
from optimizer_ports_helpers import batches, largest_difference, make_model, torch_twin

import autograd_core as ag
import nn
import nn.functional as F

CASES = {  # name: (class name, arguments), each with weight decay where it takes one (it enters after the sign)
    "SGD": ("SGD", dict(lr=0.1)),
    "SGD-nesterov": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "Adagrad": ("Adagrad", dict(lr=0.05, weight_decay=0.01)),
    "RMSprop": ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
    "Adadelta": ("Adadelta", dict(weight_decay=0.01)),
    "Adam": ("Adam", dict(lr=0.01)),
    "Adam-amsgrad": ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.01)),
    "AdamW": ("AdamW", dict(lr=0.01)),
    "Adamax": ("Adamax", dict(lr=0.01, weight_decay=0.01)),
    "NAdam": ("NAdam", dict(lr=0.01, weight_decay=0.01)),
    "RAdam": ("RAdam", dict(lr=0.01, betas=(0.9, 0.9), weight_decay=0.01)),
    "Rprop": ("Rprop", dict(lr=0.01)),
    "ASGD": ("ASGD", dict(lr=0.05, t0=3, weight_decay=0.01)),
}
STEPS = 12


def ascend(name, kwargs, sign, maximize, steps=STEPS):
    """Train with ``sign * loss`` and ``maximize``; the parameters after every step, and the losses."""
    model = make_model(0)
    opt = getattr(nn.optim, name)(model.parameters(), maximize=maximize, **kwargs)
    trajectory, losses = [], []
    for xb, yb in batches(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(ag.tensor(xb)), yb)
        (sign * loss).backward()
        opt.step()
        losses.append(float(loss))
        trajectory.append([np.array(p.data) for p in model.parameters()])
    return trajectory, losses, opt


def ascend_torch(name, kwargs, torch, steps=STEPS):
    model = torch_twin(make_model(0), torch)
    opt = getattr(torch.optim, name)(model.parameters(), maximize=True, **kwargs)
    trajectory = []
    for xb, yb in batches(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(torch.from_numpy(xb)), torch.from_numpy(yb)).backward()
        opt.step()
        trajectory.append([q.detach().numpy().copy() for q in model.parameters()])
    return trajectory


@pytest.mark.parametrize("case", list(CASES))
def test_maximize_is_minimizing_minus_the_loss_bit_for_bit(case):
    name, kwargs = CASES[case]
    up, losses, _ = ascend(name, kwargs, 1.0, maximize=True)
    mirror, _, _ = ascend(name, kwargs, -1.0, maximize=False)
    down, _, _ = ascend(name, kwargs, 1.0, maximize=False)
    assert all(np.array_equal(a, b) for sa, sb in zip(up, mirror) for a, b in zip(sa, sb))
    assert largest_difference(up, down) > 1e-3  # not the minimizing run
    assert losses[-1] > losses[0]  # ascent: the loss grew


@pytest.mark.parametrize("case", list(CASES))
def test_maximize_equals_torch_in_float64(case):
    torch = pytest.importorskip("torch")
    name, kwargs = CASES[case]
    ours, _, _ = ascend(name, kwargs, 1.0, maximize=True)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's scalar state (NAdam's mu_product, ASGD's eta) in float64
    try:
        theirs = ascend_torch(name, kwargs, torch)
    finally:
        torch.set_default_dtype(default)
    assert largest_difference(ours, theirs) < 1e-12


def test_adam_s_packed_step_steps_aside_for_maximize_and_packs_again_after():
    """The pack negates nothing: a maximizing group runs Adam's per-parameter update on the same state views;
    switched back to minimizing, it is packed again. Against Adam minimizing +-loss, packed all along."""
    _, _, ascending = ascend("Adam", dict(lr=0.01), 1.0, maximize=True, steps=2)
    assert not ascending.__dict__.get("_packs")
    model, twin = make_model(0), make_model(0)
    switching, reference = nn.optim.Adam(model.parameters(), lr=0.01), nn.optim.Adam(twin.parameters(), lr=0.01)
    for step, (xb, yb) in enumerate(batches(9)):
        ascent = 3 <= step < 6
        switching.param_groups[0]["maximize"] = ascent
        for opt, net, sign in ((switching, model, 1.0), (reference, twin, -1.0 if ascent else 1.0)):
            opt.zero_grad()
            (sign * F.cross_entropy(net(ag.tensor(xb)), yb)).backward()
            opt.step()
        for p, q in zip(model.parameters(), twin.parameters()):
            np.testing.assert_array_equal(p.data, q.data)
    assert switching._packs[0].holds(list(model.parameters()), switching.state, False)


def test_maximize_is_saved_and_a_state_saved_without_it_loads_as_minimizing(tmp_path):
    model = make_model(0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, maximize=True)
    saved = opt.state_dict()
    assert saved["param_groups"][0]["maximize"] is True
    fresh = nn.optim.SGD(model.parameters(), lr=0.1)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["maximize"] is True
    old = json.loads(json.dumps(saved))  # as a checkpoint from before maximize existed holds it
    del old["param_groups"][0]["maximize"]
    opt.load_state_dict(old)
    assert opt.param_groups[0]["maximize"] is False


@pytest.mark.parametrize("name", sorted({name for name, _ in CASES.values()}))
def test_maximize_must_be_a_flag(name):
    w = ag.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=f"{name.replace('grad', 'Grad')}: maximize must be True or False, got 'yes'"):
        getattr(nn.optim, name)([w], lr=0.1, maximize="yes")


@pytest.mark.parametrize("name", sorted({name for name, _ in CASES.values()}))
def test_maximize_is_where_torch_has_it_in_the_signature(name):
    torch = pytest.importorskip("torch")
    ours = inspect.signature(getattr(nn.optim, name)).parameters["maximize"]
    theirs = inspect.signature(getattr(torch.optim, name)).parameters["maximize"]
    assert (ours.kind, ours.default) == (theirs.kind, theirs.default)
