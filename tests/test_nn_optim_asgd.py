"""nn.optim.ASGD, as torch.optim.ASGD. Oracles: torch's ASGD in float64 (a tanh MLP on the digits), the closed
forms of its schedule (eta_t = lr / (1 + lambd lr t)**alpha; the average is the mean of the iterates from step
t0 + 2 on), and a resumed run (state_dict and a checkpoint file) against the uninterrupted one."""

import inspect

import numpy as np
import pytest
from optimizer_ports_helpers import batches, largest_difference, make_model, train_torch, train_with

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

SETTINGS = {
    "defaults": dict(),
    "averaging": dict(lr=0.05, t0=4),
    "decay": dict(lr=0.05, lambd=0.05, alpha=0.5, t0=2, weight_decay=0.01),
}


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_equal_to_torch_asgd_in_float64(setting):
    torch = pytest.importorskip("torch")
    kwargs = SETTINGS[setting]
    ours = train_with(lambda p: nn.optim.ASGD(p, **kwargs), 20)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps eta and mu in its default dtype
    try:
        optimizers = []
        theirs = train_torch(lambda p: optimizers.append(torch.optim.ASGD(p, **kwargs)) or optimizers[0], 20, torch)
    finally:
        torch.set_default_dtype(default)
    assert largest_difference(ours, theirs) < 1e-12
    model = make_model(0)  # train_with's run again, for the state it ends with
    opt = nn.optim.ASGD(model.parameters(), **kwargs)
    for xb, yb in batches(20):
        opt.zero_grad()
        F.cross_entropy(model(ag.tensor(xb)), yb).backward()
        opt.step()
    torch_state = optimizers[0].state
    for i, q in enumerate(optimizers[0].param_groups[0]["params"]):
        np.testing.assert_allclose(opt.state[i]["ax"], torch_state[q]["ax"].numpy(), rtol=1e-11, atol=1e-14)
        assert opt.state[i]["eta"] == pytest.approx(torch_state[q]["eta"].item(), rel=1e-15)
        assert opt.state[i]["mu"] == pytest.approx(torch_state[q]["mu"].item(), rel=1e-15)


def test_the_schedule_and_the_average_by_their_closed_forms():
    lr, lambd, alpha, t0 = 0.1, 0.2, 0.75, 3
    w = Tensor([1.0, -2.0, 0.5], requires_grad=True)
    opt = nn.optim.ASGD([w], lr=lr, lambd=lambd, alpha=alpha, t0=t0)
    iterates, eta = [], lr
    for t in range(1, 11):
        opt.zero_grad()
        (w**4).sum().backward()
        before, grad = w.data.copy(), 4 * w.data**3
        opt.step()
        np.testing.assert_allclose(w.data, before * (1 - lambd * eta) - eta * grad, rtol=1e-14)
        eta = lr / (1 + lambd * lr * t) ** alpha
        assert opt.state[0]["eta"] == pytest.approx(eta, rel=1e-15)
        iterates.append(w.data.copy())
        first = min(t0 + 2, t)  # the mean runs from step t0 + 2 (before that: the last iterate)
        np.testing.assert_allclose(opt.state[0]["ax"], np.mean(iterates[first - 1 :], axis=0), rtol=1e-13)


def test_resumes_bit_for_bit_from_state_dict_and_a_checkpoint(tmp_path):
    kwargs = dict(lr=0.05, t0=2, lambd=0.01)
    whole = train_with(lambda p: nn.optim.ASGD(p, **kwargs), 8)
    model = make_model(0)
    opt = nn.optim.ASGD(model.parameters(), **kwargs)
    data = list(batches(8))
    for xb, yb in data[:4]:
        opt.zero_grad()
        F.cross_entropy(model(ag.tensor(xb)), yb).backward()
        opt.step()
    path = nn.utils.save_checkpoint(tmp_path / "run.npz", model, opt)
    for source in ("state_dict", "file"):
        fresh = make_model(5)
        resumed = nn.optim.ASGD(fresh.parameters(), **kwargs)
        if source == "file":
            nn.utils.load_checkpoint(path, fresh, resumed)
        else:
            fresh.load_state_dict(model.state_dict())
            resumed.load_state_dict(opt.state_dict())
        assert isinstance(resumed.state[0]["eta"], float) and resumed.state[0]["step"] == 4
        for xb, yb in data[4:]:
            resumed.zero_grad()
            F.cross_entropy(fresh(ag.tensor(xb)), yb).backward()
            resumed.step()
        for p, expected in zip(fresh.parameters(), whole[-1]):
            np.testing.assert_array_equal(p.data, expected)


def test_a_bad_number_in_the_state_is_refused():
    w = Tensor([1.0], requires_grad=True)
    opt = nn.optim.ASGD([w])
    (w * w).sum().backward()
    opt.step()
    saved = opt.state_dict()
    saved["state"][0]["eta"] = np.array([0.1, 0.2])
    with pytest.raises(ValueError, match=r"ASGD\.load_state_dict: state 'eta' of parameter 0 must be a finite number"):
        opt.load_state_dict(saved)
    assert opt.state[0]["eta"] != 0.1


def test_defaults_and_argument_names_equal_torch_s():
    ours = nn.optim.ASGD([Tensor([0.0], requires_grad=True)])
    assert ours.defaults == dict(lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, maximize=False)
    assert "ASGD" in nn.optim.__all__
    torch = pytest.importorskip("torch")
    theirs = torch.optim.ASGD([torch.zeros(1, requires_grad=True)]).defaults
    assert {k: v for k, v in theirs.items() if k in ours.defaults} == ours.defaults
    torch_only = {"foreach", "capturable", "differentiable"}
    names = [a for a in inspect.signature(torch.optim.ASGD).parameters if a not in torch_only]
    assert list(inspect.signature(nn.optim.ASGD).parameters) == names


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-0.1), "lr must be >= 0.0, got -0.1"),
        (dict(weight_decay=-1), "weight_decay must be >= 0.0, got -1"),
        (dict(t0=float("inf")), "t0 must be a finite number, got inf"),
        (dict(alpha="fast"), "alpha must be a finite number, got 'fast'"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match="ASGD: " + message):
        nn.optim.ASGD([Tensor([1.0], requires_grad=True)], **kwargs)
