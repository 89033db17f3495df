"""``ReduceLROnPlateau`` and ``ChainedScheduler`` are ``LRScheduler`` subclasses, as in PyTorch >= 2.2 (code that
checks ``isinstance(s, LRScheduler)`` before stepping or saving met a "not a scheduler" before), with
``get_last_lr()``, ``state_dict()`` / ``load_state_dict()`` round trips, and their behaviour kept."""

import pickle

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn.optim import ChainedScheduler, ConstantLR, ExponentialLR, LRScheduler, ReduceLROnPlateau, SequentialLR

LOSSES = [1.0, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85, 0.84, 0.84]


def _optimizer(lr=1.0, groups=1):
    groups = [{"params": [Tensor([0.0], requires_grad=True)], "lr": lr * (g + 1)} for g in range(groups)]
    return nn.optim.SGD(groups, lr=lr)


def _plateau(opt):
    return ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1, min_lr=0.1)


def _chained(opt):
    return ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=3), ExponentialLR(opt, gamma=0.9)])


def test_both_are_lr_schedulers_with_get_last_lr():
    opt = _optimizer(groups=2)
    plateau = _plateau(opt)
    assert isinstance(plateau, LRScheduler) and isinstance(_chained(_optimizer()), LRScheduler)
    assert plateau.get_last_lr() == [1.0, 2.0] and not plateau.in_cooldown
    for loss in LOSSES[:5]:
        plateau.step(loss)
    assert plateau.get_last_lr() == [0.5, 1.0] and plateau.in_cooldown  # reduced after 3 bad epochs > patience 2


def test_reduce_lr_on_plateau_s_rule_by_hand():
    # best 0.9 at epoch 2; epochs 3-5 bad, the third (> patience 2) halves the lr at epoch 5 and starts a cooldown
    # of 1 epoch (epoch 6, where 0.85 is the new best); epochs 7-9 bad: halved at 9; the cooldown eats epoch 10's
    # bad epoch; 0.84 at epoch 11 beats 0.85 * (1 - 1e-4), the relative threshold: a new best
    opt = _optimizer()
    plateau = _plateau(opt)
    lrs = [plateau.step(loss) for loss in LOSSES]
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25]
    assert plateau.best == 0.84 and plateau.last_epoch == len(LOSSES)


@pytest.mark.parametrize("make, step", [(_plateau, lambda s, i: s.step(LOSSES[i])), (_chained, lambda s, i: s.step())])
def test_a_state_dict_round_trip_resumes_the_same_schedule(make, step):
    opt = _optimizer()
    whole = make(opt)
    expected = [step(whole, i) for i in range(len(LOSSES))]
    first_opt = _optimizer()
    first = make(first_opt)
    got = [step(first, i) for i in range(5)]
    saved = pickle.loads(pickle.dumps((first.state_dict(), first_opt.state_dict())))  # what a checkpoint keeps
    resumed_opt = _optimizer()
    resumed = make(resumed_opt)
    resumed_opt.load_state_dict(saved[1])
    resumed.load_state_dict(saved[0])
    assert resumed.get_last_lr() == first.get_last_lr()
    got += [step(resumed, i) for i in range(5, len(LOSSES))]
    assert got == expected


def test_a_state_dict_of_another_scheduler_type_is_refused_naming_the_keys():
    plateau, chained = _plateau(_optimizer()), _chained(_optimizer())
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau.load_state_dict: expected the keys .*another scheduler"):
        plateau.load_state_dict(chained.state_dict())
    with pytest.raises(ValueError, match=r"ChainedScheduler.load_state_dict: expected the state of a ChainedScheduler"):
        chained.load_state_dict(plateau.state_dict())


def test_neither_has_a_closed_form_and_sequential_lr_refuses_both_saying_so():
    opt = _optimizer()
    plateau, chained = _plateau(opt), _chained(opt)
    with pytest.raises(TypeError, match=r"ReduceLROnPlateau has no closed form .* get_last_lr\(\)"):
        plateau.lr_at(3)
    with pytest.raises(TypeError, match=r"ChainedScheduler has no closed form .*\.schedulers\[i\]\.lr_at\(t\)"):
        chained.lr_at(3)
    for other in (plateau, chained):
        with pytest.raises(ValueError, match=r"SequentialLR: .*not ReduceLROnPlateau or ChainedScheduler"):
            SequentialLR(opt, [ConstantLR(opt, factor=0.5, total_iters=2), other], milestones=[2])
    with pytest.raises(ValueError, match=r"ChainedScheduler: scheduler 0 is a ReduceLROnPlateau"):
        ChainedScheduler([plateau])
    assert chained.last_epoch == 0 and (chained.step(), chained.last_epoch)[1] == 1


def test_fit_still_steps_the_plateau_on_the_loss_and_the_chain_every_epoch():
    X = np.random.default_rng(0).normal(size=(32, 2))
    y = (X[:, 0] > 0).astype(np.int64)
    for make, expected in ((lambda opt: ReduceLROnPlateau(opt, patience=100), 0.5), (_chained, 0.5 * 0.5 * 0.9**2)):
        model = nn.Linear(2, 2, seed=0)
        opt = nn.optim.SGD(model.parameters(), lr=0.5)
        scheduler = make(opt)
        nn.fit(model, nn.functional.cross_entropy, opt, X, y, epochs=2, scheduler=scheduler, progress=False)
        assert scheduler.get_last_lr()[0] == pytest.approx(expected) and scheduler.last_epoch == 2


def test_they_match_pytorch():
    torch = pytest.importorskip("torch")
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs_opt, factor=0.5, patience=2, cooldown=1, min_lr=0.1)
    assert isinstance(theirs, torch.optim.lr_scheduler.LRScheduler)  # the reason for ours
    ours = _plateau(_optimizer())
    for loss in LOSSES:
        ours.step(loss), theirs.step(loss)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr())
        assert (ours.num_bad_epochs, ours.cooldown_counter, ours.in_cooldown) == (
            theirs.num_bad_epochs,
            theirs.cooldown_counter,
            theirs.in_cooldown,
        )
    theirs_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    lr = torch.optim.lr_scheduler
    their_chain = lr.ChainedScheduler(
        [lr.ConstantLR(theirs_opt, factor=0.5, total_iters=3), lr.ExponentialLR(theirs_opt, gamma=0.9)]
    )
    our_chain = _chained(_optimizer())
    theirs_opt.step()  # (torch warns of a scheduler stepped before its optimizer)
    assert our_chain.get_last_lr() == pytest.approx(their_chain.get_last_lr())
    for _ in range(6):
        our_chain.step(), their_chain.step()
        assert our_chain.get_last_lr() == pytest.approx(their_chain.get_last_lr())
