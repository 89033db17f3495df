"""nn.optim beyond the seeds: RMSprop, AdamW, Nesterov, parameter groups, torch's schedulers,
and state_dict: a run saved after 10 steps and resumed in fresh objects equals 20 steps bit for bit."""

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor
from nn import optim
from nn.optim import lr_scheduler

REL = dict(rtol=1e-6, atol=1e-12)


def gradient(values):
    return np.sin(3 * values) + 0.5 * values**2 - 0.2


def make_params(seed=0):
    r = np.random.default_rng(seed)
    return [r.normal(size=(3, 4)), r.normal(size=(4,))]


NEW_OPTIMIZERS = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.7, dampening=0.3)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.8, centered=True)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.3)),
]


@pytest.mark.parametrize("name, kwargs", NEW_OPTIMIZERS)
def test_new_optimizers_step_for_step_equal_to_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    initial = make_params()
    ours = [Tensor(v.copy(), requires_grad=True) for v in initial]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in initial]
    ours_opt = getattr(optim, name)(ours, **kwargs)
    torch_opt = getattr(torch.optim, name)(theirs, **kwargs)
    for _ in range(8):
        for p, q in zip(ours, theirs):
            p.grad = gradient(p.data)
            q.grad = torch.from_numpy(gradient(q.detach().numpy()))
        ours_opt.step()
        torch_opt.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), **REL)
    assert not np.allclose(ours[0].data, initial[0])


def test_parameter_groups_match_torch_and_take_defaults():
    torch = pytest.importorskip("torch")
    initial = make_params(1)
    ours = [Tensor(v.copy(), requires_grad=True) for v in initial]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in initial]
    ours_opt = optim.AdamW([{"params": [ours[0]], "lr": 0.05, "weight_decay": 0.5}, {"params": [ours[1]]}], lr=0.01)
    torch_opt = torch.optim.AdamW(
        [{"params": [theirs[0]], "lr": 0.05, "weight_decay": 0.5}, {"params": [theirs[1]]}], lr=0.01
    )
    assert [g["lr"] for g in ours_opt.param_groups] == [0.05, 0.01]
    assert [g["weight_decay"] for g in ours_opt.param_groups] == [0.5, 0.01]
    for _ in range(5):
        for p, q in zip(ours, theirs):
            p.grad = gradient(p.data)
            q.grad = torch.from_numpy(gradient(q.detach().numpy()))
        ours_opt.step()
        torch_opt.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), **REL)


def test_nesterov_and_adamw_closed_forms_without_torch():
    w = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5, nesterov=True)
    w.grad = np.array([2.0])
    opt.step()  # v = g = 2; step g + 0.5 v = 3
    assert w.data.tolist() == pytest.approx([0.7])
    w.grad = np.array([2.0])
    opt.step()  # v = 0.5*2 + 2 = 3; step 2 + 1.5 = 3.5
    assert w.data.tolist() == pytest.approx([0.35])
    w = Tensor([2.0], requires_grad=True)
    opt = optim.AdamW([w], lr=0.1, weight_decay=0.5, eps=0.0)
    w.grad = np.array([4.0])
    opt.step()  # p*(1 - 0.05) then Adam's first step: lr * sign(g)
    assert w.data.tolist() == pytest.approx([2.0 * 0.95 - 0.1], rel=1e-12)


def test_lr_property_reads_first_group_and_sets_all():
    a, b = Tensor([1.0], requires_grad=True), Tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": [b]}], lr=0.1)
    assert opt.lr == 0.5 and opt.params == [a, b]
    opt.lr = 0.01
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]


# ---------------------------------------------------------------------------------- resume
def train_steps(model, opt, steps, start, scheduler=None):
    r = np.random.default_rng(start)
    for _ in range(steps):
        X, y = r.normal(size=(8, 3)), r.integers(0, 2, size=8)
        opt.zero_grad()
        F.cross_entropy(model(X), y).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        start += 1
        r = np.random.default_rng(start)


RESUMABLE = [
    lambda p: optim.SGD(p, lr=0.1),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda p: optim.AdaGrad(p, lr=0.1),
    lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    lambda p: optim.Adam(p, lr=0.01),
    lambda p: optim.AdamW(p, lr=0.01),
]


@pytest.mark.parametrize("make", RESUMABLE)
@pytest.mark.parametrize("through_file", [False, True])
def test_ten_plus_ten_resumed_steps_equal_twenty_bit_for_bit(make, through_file, tmp_path):
    straight = nn.MLP([3, 5, 2], seed=0)
    straight_opt = make(straight.parameters())
    straight_schedule = lr_scheduler.StepLR(straight_opt, step_size=4, gamma=0.5)
    train_steps(straight, straight_opt, 20, 0, straight_schedule)

    first = nn.MLP([3, 5, 2], seed=0)
    first_opt = make(first.parameters())
    first_schedule = lr_scheduler.StepLR(first_opt, step_size=4, gamma=0.5)
    train_steps(first, first_opt, 10, 0, first_schedule)
    resumed = nn.MLP([3, 5, 2], seed=1)  # fresh objects, other weights
    resumed_opt = make(resumed.parameters())
    resumed_schedule = lr_scheduler.StepLR(resumed_opt, step_size=4, gamma=0.5)
    if through_file:
        nn.utils.save_checkpoint(tmp_path / "run.npz", first, first_opt, first_schedule)
        nn.utils.load_checkpoint(tmp_path / "run.npz", resumed, resumed_opt, resumed_schedule)
    else:
        saved = {
            "model": first.state_dict(),
            "optimizer": first_opt.state_dict(),
            "scheduler": first_schedule.state_dict(),
        }
        train_steps(first, first_opt, 3, 10)  # the snapshot must not follow later steps
        resumed.load_state_dict(saved["model"])
        resumed_opt.load_state_dict(saved["optimizer"])
        resumed_schedule.load_state_dict(saved["scheduler"])
    train_steps(resumed, resumed_opt, 10, 10, resumed_schedule)
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters()):
        assert np.array_equal(p.data, q.data), name
    assert resumed_opt.param_groups[0]["lr"] == straight_opt.param_groups[0]["lr"]


def test_load_state_dict_checks_everything_before_changing_anything(tmp_path):
    model = nn.MLP([3, 4, 2], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.01)
    train_steps(model, opt, 2, 0)
    saved = opt.state_dict()
    bad = {**saved, "state": {**saved["state"], 3: {**saved["state"][3], "exp_avg": np.ones(7)}}}
    before = opt.state_dict()
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 3 has shape \(7,\).*expected .* \(2,\)"):
        opt.load_state_dict({**bad, "param_groups": [{**saved["param_groups"][0], "lr": 0.5}]})
    assert opt.param_groups[0]["lr"] == 0.01
    assert np.array_equal(opt.state[3]["exp_avg"], before["state"][3]["exp_avg"])
    with pytest.raises(ValueError, match=r"has hyper-parameters .*another optimizer type"):
        opt.load_state_dict(optim.SGD(model.parameters(), lr=0.1).state_dict())
    with pytest.raises(ValueError, match=r"group 0 holds 2 parameters in the saved state, 4 here"):
        opt.load_state_dict(optim.Adam(list(model.parameters())[:2]).state_dict())
    with pytest.raises(TypeError, match=r"expected the dict returned by optimizer.state_dict\(\)"):
        opt.load_state_dict(model.state_dict())
    other = nn.MLP([3, 4, 2], seed=5)
    other_opt = optim.Adam(other.parameters(), lr=0.01)
    nn.utils.save_checkpoint(tmp_path / "small.npz", nn.MLP([3, 3, 2]), optim.Adam(nn.MLP([3, 3, 2]).parameters()))
    weights = [p.data.copy() for p in other.parameters()]
    with pytest.raises(ValueError, match=r"load_checkpoint: .*small.npz' does not fit"):
        nn.utils.load_checkpoint(tmp_path / "small.npz", other, other_opt)
    assert all(np.array_equal(p.data, w) for p, w in zip(other.parameters(), weights))
    donor = nn.MLP([3, 4, 2], seed=9)  # the model part fits, the optimizer part does not
    nn.utils.save_checkpoint(tmp_path / "sgd.npz", donor, optim.SGD(donor.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"sgd.npz' does not fit: .*another optimizer type"):
        nn.utils.load_checkpoint(tmp_path / "sgd.npz", other, other_opt)
    assert all(np.array_equal(p.data, w) for p, w in zip(other.parameters(), weights))
    nn.save(model, tmp_path / "plain.npz")
    with pytest.raises(ValueError, match=r"not a checkpoint written by save_checkpoint.*nn.load"):
        nn.utils.load_checkpoint(tmp_path / "plain.npz", model, opt)


def test_usual_slips_name_the_fix():
    model = nn.MLP([2, 2], seed=0)
    with pytest.raises(TypeError, match=r"SGD: got the model \(MLP\) itself; pass model.parameters\(\)"):
        optim.SGD(model, lr=0.1)
    with pytest.raises(
        TypeError,
        match=r"Adam: got the method 'parameters' without calling it; "
        r"pass model.parameters\(\) \(with the parentheses\)",
    ):
        optim.Adam(model.parameters)
    with pytest.raises(ValueError, match=r"SGD: nesterov=True needs momentum > 0 and dampening = 0"):
        optim.SGD(model.parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match=r"RMSprop: unknown hyper-parameter\(s\) \['betas'\]"):
        optim.RMSprop([{"params": model.parameters(), "betas": (0.9, 0.9)}])
    with pytest.raises(ValueError, match=r"RMSprop: centered must be True or False, got 1"):
        optim.RMSprop(model.parameters(), centered=1)


# ---------------------------------------------------------------------------------- schedulers
SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 6], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1 / (1 + epoch) ** 0.5)),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=6)),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULERS)
def test_schedulers_step_equal_to_torch_for_every_group(name, kwargs):
    torch = pytest.importorskip("torch")
    ours_opt = optim.SGD(
        [{"params": [Tensor([0.0], requires_grad=True)], "lr": 0.3}, {"params": [Tensor([0.0], requires_grad=True)]}],
        lr=0.1,
    )
    torch_opt = torch.optim.SGD(
        [{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.3}, {"params": [torch.zeros(1, requires_grad=True)]}],
        lr=0.1,
    )
    ours = getattr(lr_scheduler, name)(ours_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_opt, **kwargs)
    assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
    seen = set()
    for _ in range(20):
        torch_opt.step()
        theirs.step()
        ours.step()
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-9)
        seen.add(round(ours.get_last_lr()[0], 12))
    assert len(seen) > 2  # the schedule really moved


def test_closed_forms_without_torch():
    opt = optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    assert lr_scheduler.CosineAnnealingLR(opt, T_max=4).lr_at(2) == pytest.approx(0.5)
    assert lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.1).lr_at(5) == pytest.approx(0.01)
    assert lr_scheduler.ExponentialLR(opt, gamma=0.5).lr_at(3) == 0.125


def test_reduce_lr_on_plateau_equal_to_torch():
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.6, 0.6, 0.6, 0.6]
    for kwargs in [
        dict(factor=0.5, patience=2),
        dict(factor=0.5, patience=1, cooldown=2, min_lr=0.02),
        dict(mode="max", patience=0, threshold=0.1, threshold_mode="abs"),
    ]:
        ours_opt = optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
        torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        ours = lr_scheduler.ReduceLROnPlateau(ours_opt, **kwargs)
        theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_opt, **kwargs)
        lrs = []
        for value in metrics:
            torch_opt.step()
            theirs.step(value)
            lrs.append(ours.step(value))
            assert lrs[-1] == pytest.approx(torch_opt.param_groups[0]["lr"], rel=1e-12), (kwargs, value)
        assert min(lrs) < 0.1


def test_reduce_lr_on_plateau_by_hand_and_errors():
    opt = optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    assert [scheduler.step(v) for v in [3, 3, 3, 3, 3]] == [1.0, 1.0, 0.5, 0.5, 0.25]
    restored = lr_scheduler.ReduceLROnPlateau(
        optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.25), factor=0.5, patience=1
    )
    restored.load_state_dict(scheduler.state_dict())
    assert restored.num_bad_epochs == scheduler.num_bad_epochs and restored.best == 3
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau.step: expected the monitored metric as a number"):
        scheduler.step()
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau: factor must be >= 0.0 and < 1.0, got 1.5"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match=r"StepLR.load_state_dict: expected the keys"):
        lr_scheduler.StepLR(opt, 2).load_state_dict(scheduler.state_dict())


def test_seed_decays_still_work_as_schedulers_and_with_fit():
    X, y = nn.datasets.make_moons(64, noise=0.1, seed=0)
    model = nn.MLP([2, 4, 2], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.4)
    history = nn.fit(
        model,
        F.cross_entropy,
        opt,
        X,
        y,
        epochs=3,
        progress=False,
        scheduler=lr_scheduler.CosineAnnealingLR(opt, T_max=4),
    )
    assert history.lr == pytest.approx([0.4, 0.4 * (1 + math.cos(math.pi / 4)) / 2, 0.2])
    assert optim.InverseTimeDecay(optim.SGD(model.parameters(), lr=1.0), decay=1.0).lr_at(3) == 0.25


@pytest.mark.parametrize("make", RESUMABLE)
def test_float32_stays_float32_through_steps_and_resume(make):
    w = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    opt = make([w])
    for _ in range(3):
        w.grad = np.full((2, 3), 0.5, np.float32)
        opt.step()
    assert w.data.dtype == np.float32
    assert all(v.dtype == np.float32 for s in opt.state for v in s.values() if isinstance(v, np.ndarray))
    fresh = make([Tensor(np.ones((2, 3), np.float32), requires_grad=True)])
    fresh.load_state_dict(opt.state_dict())
    assert all(v.dtype == np.float32 for s in fresh.state for v in s.values() if isinstance(v, np.ndarray))


def test_a_subclass_written_against_the_seed_base_class_still_works():
    class SignDescent(optim.Optimizer):
        def __init__(self, params, lr):
            super().__init__(params, lr)

        def _update(self, p, grad, state, group):
            p.data -= group["lr"] * np.sign(grad)

    w = Tensor([1.0, -1.0], requires_grad=True)
    opt = SignDescent([w], lr=0.25)
    w.grad = np.array([3.0, -0.1])
    opt.step()
    assert w.data.tolist() == [0.75, -0.75] and opt.lr == 0.25


def _rename_mean(saved):
    saved["state"][0]["momentum_buffer"] = saved["state"][0].pop("exp_avg")


@pytest.mark.parametrize(
    "edit, message",
    [
        (_rename_mean, r"parameter 0 holds \['exp_avg_sq', 'momentum_buffer', 'step'\].*another optimizer"),
        (lambda saved: saved["state"][0].pop("step"), r"parameter 0 holds \['exp_avg', 'exp_avg_sq'\]"),
        (lambda saved: saved["state"][0].update(step=-1), r"'step' of parameter 0 is -1, not between 0 and .* 1"),
        (lambda saved: saved["state"][0].update(step=7), r"'step' of parameter 0 is 7, not between 0 and .* 1"),
        (lambda saved: saved.update(step_count="x"), r"step_count must be a whole number >= 0, got 'x'"),
    ],
)
def test_a_state_of_another_optimizer_or_inconsistent_is_refused_and_changes_nothing(edit, message):
    # These loaded, then step() raised KeyError or a math domain error (or step_count='x' changed lr first).
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    adam = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    adam.step()
    saved = adam.state_dict()
    edit(saved)
    fresh = optim.Adam([w], lr=0.5)
    with pytest.raises(ValueError, match="Adam.load_state_dict: .*" + message):
        fresh.load_state_dict(saved)
    assert fresh.lr == 0.5 and fresh.step_count == 0 and fresh.state == [{}]
    fresh.step()  # still usable
    assert fresh.state[0]["step"] == 1
