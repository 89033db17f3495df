"""The ``torch.optim`` pages of Adamax, NAdam, RAdam and Rprop, ported (continued from
``tests/test_optimizer_ports_torch.py``): their arguments (names, defaults, the values torch refuses), parameter
groups, float32 parameters, and resuming: a run saved after some steps and resumed in fresh objects (from
``state_dict`` or from a checkpoint file) equals the uninterrupted run bit for bit.

What the port needed: NAdam keeps a number (``mu_product``) in its per-parameter state, which
``Optimizer.load_state_dict`` took for an array of the parameter's shape; NAdam checks it (and accepts the 0-d
array a checkpoint file makes of it) before the rest loads.
"""

import inspect

import numpy as np
import pytest
from optimizer_ports_helpers import batches, make_model, torch_twin

import autograd_core as ag
import nn
import nn.functional as F

NAMES = ["Adamax", "NAdam", "RAdam", "Rprop"]
DEFAULTS = {  # the pages' signatures (torch's flags foreach/capturable/differentiable aside)
    "Adamax": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, maximize=False),
    "NAdam": dict(
        lr=2e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        momentum_decay=4e-3,
        decoupled_weight_decay=False,
        maximize=False,
    ),
    "RAdam": dict(
        lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False, maximize=False
    ),
    "Rprop": dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False),
}
TORCH_ONLY = {"foreach", "capturable", "differentiable"}


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_the_page_s(name):
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    opt = getattr(nn.optim, name)([w])
    assert opt.defaults == DEFAULTS[name]
    assert name in nn.optim.__all__


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_argument_names_equal_torch_s(name):
    torch = pytest.importorskip("torch")
    theirs = torch.optim.__dict__[name]([torch.zeros(2, requires_grad=True)]).defaults
    assert {k: v for k, v in theirs.items() if k not in TORCH_ONLY} == DEFAULTS[name]
    ours_args = list(inspect.signature(getattr(nn.optim, name)).parameters)
    torch_args = [a for a in inspect.signature(torch.optim.__dict__[name]).parameters if a not in TORCH_ONLY]
    assert ours_args == torch_args


BAD = [  # what torch refuses, and our message
    ("Adamax", dict(lr=-0.1), r"Adamax: lr must be >= 0.0, got -0.1"),
    ("Adamax", dict(eps=-1e-8), r"Adamax: eps must be >= 0.0, got -1e-08"),
    ("Adamax", dict(betas=(1.0, 0.999)), r"Adamax: betas\[0\] must be >= 0.0 and < 1.0, got 1.0"),
    ("NAdam", dict(betas=(0.9, -0.1)), r"NAdam: betas\[1\] must be >= 0.0 and < 1.0, got -0.1"),
    ("NAdam", dict(weight_decay=-1), r"NAdam: weight_decay must be >= 0.0, got -1"),
    ("NAdam", dict(momentum_decay=-0.004), r"NAdam: momentum_decay must be >= 0.0, got -0.004"),
    ("NAdam", dict(decoupled_weight_decay="yes"), r"NAdam: decoupled_weight_decay must be True or False, got 'yes'"),
    ("RAdam", dict(betas=0.9), r"RAdam: betas must be a pair \(beta1, beta2\), got 0.9"),
    ("RAdam", dict(lr=float("nan")), r"RAdam: lr must be a finite number, got nan"),
    ("Rprop", dict(etas=(1.2, 0.5)), r"Rprop: etas must satisfy 0 < etaminus < 1 < etaplus, got \(1.2, 0.5\)"),
    ("Rprop", dict(etas=(0.5, 1.0)), r"Rprop: etas must satisfy 0 < etaminus < 1 < etaplus, got \(0.5, 1.0\)"),
    ("Rprop", dict(lr=-1e-2), r"Rprop: lr must be >= 0.0, got -0.01"),
]


@pytest.mark.parametrize("name, kwargs, message", BAD)
def test_bad_arguments_are_refused_by_name_as_torch_refuses_them(name, kwargs, message):
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=message):
        getattr(nn.optim, name)([w], **kwargs)
    with pytest.raises(ValueError, match=message):  # in a parameter group too
        getattr(nn.optim, name)([{"params": [w], **kwargs}])
    torch = pytest.importorskip("torch")
    if name != "NAdam" or "decoupled_weight_decay" not in kwargs:  # torch takes any truthy flag
        with pytest.raises((ValueError, TypeError)):
            torch.optim.__dict__[name]([torch.zeros(2, requires_grad=True)], **kwargs)


def test_rprop_step_sizes_must_be_an_ordered_pair():
    """Torch does not check step_sizes (a reversed pair makes every step the 'min'); we refuse it by name."""
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"Rprop: step_sizes must be \(min_step, max_step\) with min_step <= max_step"):
        nn.optim.Rprop([w], step_sizes=(1.0, 1e-3))
    with pytest.raises(ValueError, match=r"Rprop: step_sizes\[0\] must be >= 0.0, got -1"):
        nn.optim.Rprop([w], step_sizes=(-1, 1))


def _run(make, steps, model=None, opt=None, start=0):
    """Train the digits MLP ``steps`` minibatch steps (skipping the first ``start`` batches); model, optimizer."""
    model = model or make_model()
    opt = opt or make(model.parameters())
    for i, (xb, yb) in enumerate(batches(start + steps)):
        if i >= start:
            opt.zero_grad()
            F.cross_entropy(model(ag.tensor(xb)), yb).backward()
            opt.step()
    return model, opt


MAKERS = {
    "Adamax": lambda p: nn.optim.Adamax(p, lr=0.01, weight_decay=0.01),
    "NAdam": lambda p: nn.optim.NAdam(p, lr=0.01, weight_decay=0.01, decoupled_weight_decay=True),
    "RAdam": lambda p: nn.optim.RAdam(p, lr=0.01),
    "Rprop": lambda p: nn.optim.Rprop(p, lr=0.01),
}


@pytest.mark.parametrize("name", NAMES)
def test_resumed_from_state_dict_equals_the_uninterrupted_run_bit_for_bit(name):
    whole, _ = _run(MAKERS[name], 12)
    half, opt = _run(MAKERS[name], 6)
    saved_model, saved_opt = half.state_dict(), opt.state_dict()
    opt.state[0]["step_size" if name == "Rprop" else "exp_avg"] += 1.0  # the live state, not the snapshot (a copy)
    fresh = make_model(seed=5)
    fresh.load_state_dict(saved_model)
    resumed_opt = MAKERS[name](fresh.parameters())
    resumed_opt.load_state_dict(saved_opt)
    resumed, _ = _run(None, 6, model=fresh, opt=resumed_opt, start=6)
    for p, q in zip(whole.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("name", NAMES)
def test_resumed_from_a_checkpoint_file_equals_the_uninterrupted_run(name, tmp_path):
    """save_checkpoint writes each state entry as an array: NAdam's mu_product comes back a 0-d array."""
    whole, _ = _run(MAKERS[name], 10)
    half, opt = _run(MAKERS[name], 5)
    nn.utils.save_checkpoint(tmp_path / "run.npz", half, opt)
    fresh = make_model(seed=5)
    resumed_opt = MAKERS[name](fresh.parameters())
    nn.utils.load_checkpoint(tmp_path / "run.npz", fresh, resumed_opt)
    if name == "NAdam":
        assert type(resumed_opt.state[0]["mu_product"]) is float
        assert resumed_opt.state[0]["mu_product"] == opt.state[0]["mu_product"]
    resumed, _ = _run(None, 5, model=fresh, opt=resumed_opt, start=5)
    for p, q in zip(whole.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_nadam_load_refuses_a_bad_mu_product_and_another_optimizer_s_state_unchanged():
    _, opt = _run(MAKERS["NAdam"], 2)
    _, adam = _run(lambda p: nn.optim.Adam(p, lr=0.01, weight_decay=0.01), 2)
    target = MAKERS["NAdam"](make_model().parameters())
    before = target.state_dict()
    bad = opt.state_dict()
    bad["state"][1]["mu_product"] = 1.5
    with pytest.raises(ValueError, match=r"NAdam.load_state_dict: state 'mu_product' of parameter 1 must be a number "):
        target.load_state_dict(bad)
    adam_state = adam.state_dict()
    adam_state["param_groups"] = opt.state_dict()["param_groups"]  # NAdam's hyper-parameters, Adam's buffers
    with pytest.raises(
        ValueError, match=r"state of parameter 0 holds \['exp_avg', 'exp_avg_sq', 'step'\], not NAdam's 'mu_product'"
    ):
        target.load_state_dict(adam_state)
    no_mean = opt.state_dict()
    del no_mean["state"][0]["exp_avg"]
    with pytest.raises(ValueError, match=r"state of parameter 0 holds \['exp_avg_sq', 'mu_product', 'step'\]"):
        target.load_state_dict(no_mean)
    only_product = opt.state_dict()
    only_product["state"][0] = {"mu_product": 0.45}
    with pytest.raises(ValueError, match=r"state of parameter 0 holds \['mu_product'\], not NAdam's 'mu_product' with"):
        target.load_state_dict(only_product)
    assert target.state_dict() == before  # nothing loaded


@pytest.mark.parametrize("name", ["Adamax", "Rprop"])
def test_another_optimizer_s_state_is_refused(name):
    _, adam = _run(lambda p: nn.optim.Adam(p), 1)
    target = MAKERS[name](make_model().parameters())
    saved = adam.state_dict()
    saved["param_groups"] = target.state_dict()["param_groups"]
    with pytest.raises(ValueError, match=rf"{name}.load_state_dict: the state of parameter 0 holds"):
        target.load_state_dict(saved)


@pytest.mark.parametrize("name", NAMES)
def test_parameter_groups_and_float32_match_torch(name):
    """Two groups (the first layer at a tenth of the rate), float32 parameters: each step as torch's, to float32's
    rounding; the state arrays keep the parameters' dtype."""
    torch = pytest.importorskip("torch")
    model = make_model().float()
    twin = torch_twin(make_model(), torch).float()
    ours = getattr(nn.optim, name)(
        [{"params": model.layers[0].parameters(), "lr": 0.001}, {"params": model.layers[2].parameters()}], lr=0.01
    )
    theirs = torch.optim.__dict__[name](
        [{"params": twin[0].parameters(), "lr": 0.001}, {"params": twin[2].parameters()}], lr=0.01
    )
    for xb, yb in batches(8, batch_size=96 if name == "Rprop" else 32):
        ours.zero_grad()
        F.cross_entropy(model(ag.tensor(xb, dtype=np.float32)), yb).backward()
        ours.step()
        theirs.zero_grad()
        torch.nn.functional.cross_entropy(twin(torch.from_numpy(xb).float()), torch.from_numpy(yb)).backward()
        theirs.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert all(v.dtype == np.float32 for s in ours.state for v in s.values() if isinstance(v, np.ndarray))
