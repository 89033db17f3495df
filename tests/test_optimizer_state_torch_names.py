"""An optimizer's per-parameter state is keyed by torch's names (``opt.state[p]["exp_avg"]``,
``["momentum_buffer"]``...), as torch code reads it; a state saved under the names used before still loads."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor

# Each optimizer (with the options that make every buffer exist) and the state names torch.optim gives it.
CASES = {
    "SGD": (dict(lr=0.1, momentum=0.9), {"momentum_buffer"}),
    "RMSprop": (dict(lr=0.01, momentum=0.9, centered=True), {"square_avg", "grad_avg", "momentum_buffer", "step"}),
    "Adam": (dict(lr=0.01, amsgrad=True), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"}),
    "AdamW": (dict(lr=0.01), {"exp_avg", "exp_avg_sq", "step"}),
    "Adamax": (dict(lr=0.01), {"exp_avg", "exp_inf", "step"}),
    "NAdam": (dict(lr=0.01), {"exp_avg", "exp_avg_sq", "mu_product", "step"}),
    "RAdam": (dict(lr=0.01), {"exp_avg", "exp_avg_sq", "step"}),
    "Rprop": (dict(lr=0.01), {"prev", "step_size", "step"}),
    "Adadelta": (dict(lr=1.0), {"square_avg", "acc_delta", "step"}),
    "Adagrad": (dict(lr=0.1), {"sum", "step"}),
    "ASGD": (dict(lr=0.01), {"ax", "eta", "mu", "step"}),
}


def _stepped(name, steps=2):
    options, _ = CASES[name]
    w = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = getattr(nn.optim, name)([w], **options)
    for _ in range(steps):
        opt.zero_grad()
        ((w * w * w).sum() + (w * w).sum()).backward()
        opt.step()
    return w, opt


@pytest.mark.parametrize("name", sorted(CASES))
def test_state_names_are_torchs(name):
    w, opt = _stepped(name)
    ours = set(opt.state[w])
    assert ours, f"{name} kept no state"
    assert ours <= CASES[name][1], f"{name}: {sorted(ours - CASES[name][1])} are not torch's names"
    # every array buffer torch keeps is here too (step counters aside: SGD/RMSprop/Adadelta count none)
    assert CASES[name][1] - ours <= {"step"}


def test_the_buffers_hold_what_their_names_say():
    """Adam's exp_avg is m = (1 - b1) g after one step and exp_avg_sq is v = (1 - b2) g**2; SGD's
    momentum_buffer is g at the first step; Adagrad's sum adds g**2 to the initial accumulator."""
    g = np.array([3 * 1.0 + 2 * 1.0, 3 * 4.0 - 4.0, 3 * 0.25 + 1.0])  # d/dw of sum(w^3 + w^2) at w0
    _, adam = _stepped("Adam", steps=1)
    np.testing.assert_allclose(adam.state[0]["exp_avg"], 0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(adam.state[0]["exp_avg_sq"], 0.001 * g * g, rtol=1e-13)
    _, sgd = _stepped("SGD", steps=1)
    np.testing.assert_array_equal(sgd.state[0]["momentum_buffer"], g)
    _, adagrad = _stepped("Adagrad", steps=1)
    np.testing.assert_array_equal(adagrad.state[0]["sum"], g * g)


@pytest.mark.parametrize("name", sorted(CASES))
def test_equal_to_torchs_state_buffer_by_buffer(name):
    torch = pytest.importorskip("torch")
    w, opt = _stepped(name)
    tw = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64, requires_grad=True)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch's scalar state (NAdam's mu_product, ASGD's eta) in float64 too
    try:
        topt = getattr(torch.optim, name)([tw], **CASES[name][0])
        for _ in range(2):
            topt.zero_grad()
            ((tw * tw * tw).sum() + (tw * tw).sum()).backward()
            topt.step()
    finally:
        torch.set_default_dtype(default)
    theirs = topt.state[tw]
    for key, value in opt.state[w].items():
        np.testing.assert_allclose(np.asarray(value, dtype=float), np.asarray(theirs[key], dtype=float), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(n for n in CASES if getattr(nn.optim, n).renamed_state))
def test_a_state_saved_under_the_old_names_loads_and_resumes_bit_for_bit(name):
    """Files written before the rename (``"mean"``, ``"velocity"``...) still resume the run exactly."""
    w, opt = _stepped(name)
    saved = opt.state_dict()
    old_name = {new: old for old, new in type(opt).renamed_state.items()}
    saved["state"] = {i: {old_name.get(k, k): v for k, v in s.items()} for i, s in saved["state"].items()}
    assert set(saved["state"][0]) != set(opt.state[0])  # the file really holds old names
    w2 = Tensor(w.data.copy(), requires_grad=True)
    resumed = type(opt)([w2], **CASES[name][0])
    resumed.load_state_dict(saved)
    assert set(resumed.state[w2]) == set(opt.state[w])
    for o, p in ((opt, w), (resumed, w2)):
        o.zero_grad()
        ((p * p * p).sum() + (p * p).sum()).backward()
        o.step()
    assert w2.data.tobytes() == w.data.tobytes()


def test_another_optimizers_old_names_are_still_refused():
    """The old names map per optimizer: SGD's old "velocity" in an Adam state is another optimizer's."""
    _, adam = _stepped("Adam")
    saved = adam.state_dict()
    saved["state"][0]["velocity"] = saved["state"][0].pop("exp_avg")
    before = adam.state[0]["exp_avg"].copy()
    with pytest.raises(ValueError, match=r"holds \['exp_avg_sq', 'step', 'velocity'\]"):
        adam.load_state_dict(saved)
    np.testing.assert_array_equal(adam.state[0]["exp_avg"], before)
