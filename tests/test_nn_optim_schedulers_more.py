"""torch.optim.lr_scheduler's MultiplicativeLR, PolynomialLR, ChainedScheduler and CyclicLR in nn.optim. Oracles:
torch's schedulers (the lr, and the momentum CyclicLR cycles, after every step, for two parameter groups), the
closed forms (the products, the polynomial, the triangle's corners and heights), and a resumed run."""

import math

import numpy as np
import pytest

import nn
from autograd_core import Tensor


def ours_and_torch(torch, kind="SGD", **optimizer_kwargs):
    """The same optimizer in both libraries, with two parameter groups (lr 1.0 and 0.5)."""
    groups = lambda zeros: [{"params": [zeros()]}, {"params": [zeros()], "lr": 0.5}]  # noqa: E731
    ours = getattr(nn.optim, kind)(groups(lambda: Tensor([0.0], requires_grad=True)), lr=1.0, **optimizer_kwargs)
    theirs = getattr(torch.optim, kind)(groups(lambda: torch.zeros(1, requires_grad=True)), lr=1.0, **optimizer_kwargs)
    return ours, theirs


def sequence(optimizer, scheduler, steps, key="lr"):
    """The value of ``key`` in every group, as made and after each of ``steps`` steps."""
    read = lambda: [g[key][0] if key == "betas" else g[key] for g in optimizer.param_groups]  # noqa: E731
    values = [read()]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        values.append(read())
    return np.array(values, dtype=float)


# ---------------------------------------------------------------- MultiplicativeLR
def test_multiplicative_lr_equals_torch_with_a_function_per_group():
    torch = pytest.importorskip("torch")
    lambdas = [lambda epoch: 0.95, lambda epoch: 1.0 if epoch % 3 else 0.5]
    ours, theirs = ours_and_torch(torch)
    mine = sequence(ours, nn.optim.MultiplicativeLR(ours, lambdas), 30)
    np.testing.assert_array_equal(
        mine, sequence(theirs, torch.optim.lr_scheduler.MultiplicativeLR(theirs, lambdas), 30)
    )


def test_multiplicative_lr_is_the_running_product_and_follows_a_hand_set_lr():
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=2.0)
    scheduler = nn.optim.MultiplicativeLR(opt, lambda epoch: 1 / (epoch + 1))
    lrs = [scheduler.step() for _ in range(5)]
    assert lrs == pytest.approx([2.0 / math.factorial(t + 1) for t in range(1, 6)], rel=1e-15)
    assert [scheduler.lr_at(t) for t in range(1, 6)] == lrs  # the closed form, the same floats
    opt.param_groups[0]["lr"] = 1.0  # by hand: multiplied from there on, as torch's
    assert scheduler.step() == pytest.approx(1 / 7)
    with pytest.raises(TypeError, match="MultiplicativeLR: lr_lambda must be a function of the epoch"):
        nn.optim.MultiplicativeLR(opt, 0.95)


# ---------------------------------------------------------------- PolynomialLR
@pytest.mark.parametrize("total_iters, power", [(5, 1.0), (4, 2.0), (7, 0.5)])
def test_polynomial_lr_equals_torch(total_iters, power):
    torch = pytest.importorskip("torch")
    ours, theirs = ours_and_torch(torch)
    mine = sequence(ours, nn.optim.PolynomialLR(ours, total_iters=total_iters, power=power), 10)
    reference = sequence(theirs, torch.optim.lr_scheduler.PolynomialLR(theirs, total_iters, power), 10)
    np.testing.assert_allclose(mine, reference, rtol=1e-14, atol=1e-16)


def test_polynomial_lr_closed_form_and_bad_arguments():
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.8)
    scheduler = nn.optim.PolynomialLR(opt, total_iters=4, power=3.0)
    assert [scheduler.step() for _ in range(6)] == pytest.approx([0.8 * (1 - t / 4) ** 3 for t in (1, 2, 3, 4, 4, 4)])
    with pytest.raises(ValueError, match="PolynomialLR: total_iters must be a positive int, got 0"):
        nn.optim.PolynomialLR(opt, total_iters=0)
    with pytest.raises(ValueError, match=r"PolynomialLR: power must be >= 0\.0, got -1"):
        nn.optim.PolynomialLR(opt, power=-1)


# ---------------------------------------------------------------- ChainedScheduler
CHAINS = {
    "warm-up then decay": lambda s, o: [s.ConstantLR(o, factor=0.1, total_iters=3), s.ExponentialLR(o, gamma=0.9)],
    "linear and polynomial": lambda s, o: [s.LinearLR(o, 0.2, total_iters=4), s.PolynomialLR(o, 8, 2.0)],
    "step and multiplicative": lambda s, o: [s.StepLR(o, 3, 0.5), s.MultiplicativeLR(o, lambda e: 0.97)],
}


@pytest.mark.parametrize("chain", list(CHAINS))
def test_chained_scheduler_equals_torch(chain):
    torch = pytest.importorskip("torch")
    ours, theirs = ours_and_torch(torch)
    mine = sequence(ours, nn.optim.ChainedScheduler(CHAINS[chain](nn.optim, ours)), 12)
    schedulers = CHAINS[chain](torch.optim.lr_scheduler, theirs)
    reference = sequence(theirs, torch.optim.lr_scheduler.ChainedScheduler(schedulers, theirs), 12)
    np.testing.assert_allclose(mine, reference, rtol=1e-13)


def test_chained_scheduler_multiplies_the_factors_and_resumes():
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    make = lambda o: nn.optim.ChainedScheduler(CHAINS["warm-up then decay"](nn.optim, o))  # noqa: E731
    chained = make(opt)
    lrs = [chained.step() for _ in range(6)]
    assert lrs == pytest.approx([0.1 * 0.9, 0.1 * 0.81, 0.9**3, 0.9**4, 0.9**5, 0.9**6])
    saved = chained.state_dict()
    fresh_opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    fresh = make(fresh_opt)
    fresh.load_state_dict(saved)
    fresh_opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"]  # (the optimizer's own state_dict carries it)
    assert [fresh.step() for _ in range(3)] == [chained.step() for _ in range(3)]
    with pytest.raises(
        ValueError, match=r"ChainedScheduler\.load_state_dict: expected the state of a ChainedScheduler of 2"
    ):
        fresh.load_state_dict({"schedulers": saved["schedulers"][:1]})


def test_chained_scheduler_refuses_what_it_cannot_chain():
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    other = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match="ChainedScheduler: expects at least one scheduler"):
        nn.optim.ChainedScheduler([])
    with pytest.raises(ValueError, match="ChainedScheduler: scheduler 1 is a ReduceLROnPlateau"):
        nn.optim.ChainedScheduler([nn.optim.StepLR(opt, 2), nn.optim.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match=r"ChainedScheduler: scheduler 1 \(ExponentialLR\) drives another optimizer"):
        nn.optim.ChainedScheduler([nn.optim.StepLR(opt, 2), nn.optim.ExponentialLR(other, 0.9)])


# ---------------------------------------------------------------- CyclicLR
CYCLES = {
    "triangular": dict(base_lr=0.1, max_lr=1.0, step_size_up=4),
    "triangular-uneven": dict(base_lr=[0.1, 0.05], max_lr=[1.0, 0.4], step_size_up=3, step_size_down=5),
    "triangular2": dict(base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=3, mode="triangular2"),
    "exp_range": dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.95),
    "scale_fn-cycle": dict(base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda x: 1 / x),
    "scale_fn-iterations": dict(
        base_lr=0.01, max_lr=0.1, step_size_up=2, scale_fn=lambda t: 0.9**t, scale_mode="iterations"
    ),
    "momentum bounds": dict(base_lr=0.1, max_lr=0.5, step_size_up=3, base_momentum=[0.7, 0.6], max_momentum=0.95),
}


@pytest.mark.parametrize("case", list(CYCLES))
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_cyclic_lr_and_its_momentum_equal_torch(case, kind):
    torch = pytest.importorskip("torch")
    extra = dict(momentum=0.9) if kind == "SGD" else {}
    ours, theirs = ours_and_torch(torch, kind, **extra)
    mine = nn.optim.CyclicLR(ours, **CYCLES[case])
    reference = torch.optim.lr_scheduler.CyclicLR(theirs, **CYCLES[case])
    key = "momentum" if kind == "SGD" else "betas"
    values = [(ours, mine), (theirs, reference)]
    lrs = [sequence(o, s, 25) for o, s in values]
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-13, atol=1e-16)
    momenta = [[g[key][0] if key == "betas" else g[key] for g in o.param_groups] for o, _ in values]
    np.testing.assert_allclose(momenta[0], momenta[1], rtol=1e-13)


def test_cyclic_lr_corners_and_heights_without_torch():
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0, momentum=0.0)
    scheduler = nn.optim.CyclicLR(opt, base_lr=0.2, max_lr=1.0, step_size_up=4, step_size_down=2)
    assert opt.param_groups[0]["lr"] == 0.2 and opt.param_groups[0]["momentum"] == 0.9  # at base lr, max momentum
    lrs = [scheduler.step() for _ in range(12)]
    assert lrs == pytest.approx([0.4, 0.6, 0.8, 1.0, 0.6, 0.2] * 2)  # up in 4 steps, down in 2
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9)
    halving = nn.optim.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=1, mode="triangular2")
    assert [halving.lr_at(t) for t in (1, 3, 5, 7)] == [1.0, 0.5, 0.25, 0.125]  # each cycle's peak half the last
    shrinking = nn.optim.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=1, mode="exp_range", gamma=0.5)
    assert [shrinking.lr_at(t) for t in (1, 3, 5)] == [0.5, 0.125, 0.03125]  # gamma**t at each peak


def test_cyclic_lr_resumes_from_its_state_dict():
    def make():
        opt = nn.optim.Adam([Tensor([0.0], requires_grad=True)])
        return opt, nn.optim.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2")

    opt, scheduler = make()
    for _ in range(7):
        scheduler.step()
    fresh_opt, fresh = make()
    fresh.load_state_dict(scheduler.state_dict())
    assert [fresh.step() for _ in range(5)] == [scheduler.step() for _ in range(5)]
    assert fresh_opt.param_groups[0]["betas"] == opt.param_groups[0]["betas"]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(mode="cosine"), ValueError, "mode must be one of .*got 'cosine'"),
        (dict(scale_mode="epochs", scale_fn=abs), ValueError, "scale_mode must be 'cycle' or 'iterations'"),
        (dict(scale_fn=3), TypeError, "scale_fn must be a function"),
        (dict(base_lr=[0.1, 0.2, 0.3]), ValueError, "base_lr has 3 values for 1 parameter groups"),
        (dict(step_size_up=-1), ValueError, "step_size_up must be >= 0.0, got -1"),
        (dict(step_size_up=0, step_size_down=0), ValueError, "step_size_up \\+ step_size_down must be > 0"),
    ],
)
def test_cyclic_lr_refuses_bad_arguments(kwargs, error, message):
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0, momentum=0.9)
    with pytest.raises(error, match="CyclicLR: " + message):
        nn.optim.CyclicLR(opt, **{"base_lr": 0.1, "max_lr": 1.0, **kwargs})


def test_cyclic_lr_momentum_needs_an_optimizer_with_momentum():
    opt = nn.optim.Adagrad([Tensor([0.0], requires_grad=True)])
    with pytest.raises(ValueError, match="CyclicLR: cycle_momentum needs an optimizer with momentum or betas"):
        nn.optim.CyclicLR(opt, base_lr=0.1, max_lr=1.0)
    scheduler = nn.optim.CyclicLR(opt, base_lr=0.1, max_lr=1.0, step_size_up=1, cycle_momentum=False)
    assert scheduler.step() == 1.0 and "momentum" not in opt.param_groups[0]


def test_the_new_schedulers_are_exported_and_save_in_a_checkpoint(tmp_path):
    for name in ("MultiplicativeLR", "PolynomialLR", "ChainedScheduler", "CyclicLR"):
        assert name in nn.optim.__all__ and getattr(nn.optim.lr_scheduler, name) is getattr(nn.optim, name)
    model = nn.MLP([2, 3, 2], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
    for _ in range(3):
        scheduler.step()
    path = nn.utils.save_checkpoint(tmp_path / "run.npz", model, opt, scheduler)
    fresh_opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    fresh = nn.optim.CyclicLR(fresh_opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
    nn.utils.load_checkpoint(path, model, fresh_opt, fresh)
    assert fresh.last_epoch == 3 and fresh.step() == scheduler.step()


def test_fit_steps_cyclic_lr_after_every_batch_and_a_chain_after_every_epoch():
    X, y = nn.datasets.make_moons(40, seed=0)
    model = nn.MLP([2, 4, 2], seed=0)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    cyclic = nn.optim.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3)
    nn.fit(model, nn.functional.cross_entropy, opt, X, y, epochs=2, batch_size=10, scheduler=cyclic, progress=False)
    assert cyclic.last_epoch == 2 * 4  # 4 batches an epoch
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    chain = nn.optim.ChainedScheduler([nn.optim.StepLR(opt, 1, 0.5), nn.optim.ExponentialLR(opt, 0.9)])
    nn.fit(model, nn.functional.cross_entropy, opt, X, y, epochs=3, batch_size=10, scheduler=chain, progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.45**3)
