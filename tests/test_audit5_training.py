"""Found by the fifth everyday-use audit, the training part: learning-rate schedules as PyTorch code chains
them (two schedulers, an lr set by hand, SequentialLR, OneCycleLR in fit) and checkpoints from elsewhere,
each checked without torch and against torch where it is installed."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn import functional as F
from nn.data import DataLoader


def _moons(n=60, seed=0):
    X, y = nn.datasets.make_moons(n, noise=0.2, seed=seed)
    return X, y


def _lrs_of(make_schedulers, library, steps=8, change_at=None):
    """Both groups' lr after each step() of every scheduler, lr tripled by hand after step ``change_at``."""
    if library is nn:
        w, v = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(1), requires_grad=True)
        optimizer, schedules = nn.optim.SGD([{"params": [w]}, {"params": [v], "lr": 0.3}], lr=0.1), nn.optim
    else:
        w, v = library.nn.Parameter(library.ones(2)), library.nn.Parameter(library.ones(1))
        optimizer, schedules = library.optim.SGD([{"params": [w]}, {"params": [v], "lr": 0.3}], lr=0.1), library.optim
    schedulers = make_schedulers(schedules.lr_scheduler, optimizer)
    rows = []
    for t in range(steps):
        optimizer.step()
        if t == change_at:
            for group in optimizer.param_groups:
                group["lr"] *= 3
        for scheduler in schedulers:
            scheduler.step()
        rows.append([group["lr"] for group in optimizer.param_groups])
    return np.array(rows)


CHAINS = {
    "warm-up then decay": lambda s, o: [s.LinearLR(o, start_factor=0.1, total_iters=3), s.ExponentialLR(o, gamma=0.5)],
    "two step decays": lambda s, o: [s.StepLR(o, 2, 0.5), s.MultiStepLR(o, [3, 5], 0.1)],
    "warm-up then cosine": lambda s, o: [s.LinearLR(o, 0.2, total_iters=3), s.CosineAnnealingLR(o, 3, eta_min=1e-3)],
    "lambda": lambda s, o: [s.LambdaLR(o, lambda epoch: 0.9**epoch)],
}


@pytest.mark.parametrize("change_at", [None, 4])
@pytest.mark.parametrize("chain", list(CHAINS))
def test_two_schedulers_multiply_and_an_lr_set_by_hand_is_followed_as_in_pytorch(chain, change_at):
    lrs = _lrs_of(CHAINS[chain], nn, steps=12, change_at=change_at)
    if chain == "warm-up then decay":  # closed form, torch-free: 0.1 * linear factor * 0.5**t (* 3 after step 4)
        t = np.arange(1, 13)
        expected = (
            0.1 * (0.1 + 0.9 * np.minimum(t, 3) / 3) * 0.5**t * (3.0 if change_at is not None else 1.0) ** (t > 4)
        )
        np.testing.assert_allclose(lrs[:, 0], expected, rtol=1e-12)
        np.testing.assert_allclose(lrs[:, 1], 3 * expected, rtol=1e-12)
    if chain == "lambda" and change_at is not None:  # LambdaLR sets its lr from the initial one: the change is undone
        np.testing.assert_allclose(lrs[:, 0], 0.1 * 0.9 ** np.arange(1, 13), rtol=1e-12)
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(lrs, _lrs_of(CHAINS[chain], torch, steps=12, change_at=change_at), rtol=1e-12, atol=0)


def _deflated_member(source, target, member, shape, dtype):
    """Copy the checkpoint ``source`` to ``target`` with ``member`` replaced by zeros of ``shape``, deflated
    (a thousandth of their size on disk): a well-formed file that declares far more than it holds."""
    import zipfile

    header = np.lib.format.header_data_from_array_1_0(np.zeros(0, dtype))
    header["shape"] = shape
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename != member:
                new.writestr(info, old.read(info.filename))
                continue
            info = zipfile.ZipInfo(member)
            info.compress_type = zipfile.ZIP_DEFLATED
            with new.open(info, "w", force_zip64=True) as out:
                np.lib.format.write_array_header_1_0(out, header)
                left = int(np.prod(shape)) * np.dtype(dtype).itemsize
                while left:
                    out.write(bytes(min(left, 1 << 20)))
                    left -= min(left, 1 << 20)


@pytest.mark.parametrize(
    "member, shape, dtype",
    [
        ("model/layers.0.weight.npy", (2500, 2500), "<f8"),
        ("optimizer/0/step.npy", (2500, 2500), "<f8"),
        ("meta.npy", (40 << 20,), "|u1"),
    ],
)
def test_a_checkpoint_declaring_more_than_the_model_holds_is_refused_before_it_is_read(tmp_path, member, shape, dtype):
    import tracemalloc

    X, y = np.ones((4, 3)), np.array([0, 1, 1, 0])
    model = nn.MLP([3, 8, 2], seed=0)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    F.cross_entropy(model(X), y).backward()
    optimizer.step()
    nn.utils.save_checkpoint(tmp_path / "run.npz", model, optimizer)
    _deflated_member(tmp_path / "run.npz", tmp_path / "bomb.npz", member, shape, dtype)
    assert (tmp_path / "bomb.npz").stat().st_size < 200_000  # 40-50 MB declared
    fresh = nn.MLP([3, 8, 2], seed=1)
    fresh_optimizer = nn.optim.Adam(fresh.parameters(), lr=0.01)
    before = fresh.state_dict()
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"bomb.npz' does not fit this MLP: member '{member[:-4]}' declares"):
            nn.utils.load_checkpoint(tmp_path / "bomb.npz", fresh, fresh_optimizer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5e6, f"{peak / 1e6:.1f} MB to refuse a file declaring {np.prod(shape) * 8 / 1e6:.0f} MB"
    assert all(np.array_equal(v, before[k]) for k, v in fresh.state_dict().items())
    assert fresh_optimizer.state_dict()["step_count"] == 0
    nn.utils.load_checkpoint(tmp_path / "run.npz", fresh, fresh_optimizer)  # the real one still loads
    assert np.array_equal(fresh.layers[0].weight.data, model.layers[0].weight.data)


def test_fit_steps_a_one_cycle_schedule_after_every_batch():
    """fit stepped every scheduler once per epoch: OneCycleLR(epochs=3, steps_per_epoch=4) ran 3 of its 12
    steps, warming up a quarter of the way and never annealing, silently."""
    X, y = _moons(64)
    model = nn.MLP([2, 8, 2], seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = nn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, epochs=3, steps_per_epoch=4)
    history = nn.fit(
        model, F.cross_entropy, optimizer, X, y, epochs=3, batch_size=16, scheduler=scheduler, progress=False
    )
    assert scheduler.last_epoch == 12  # 3 epochs x 4 batches
    assert history.lr == pytest.approx([scheduler.lr_at(4), scheduler.lr_at(8), scheduler.lr_at(12)])
    by_hand = nn.MLP([2, 8, 2], seed=0)
    hand_optimizer = nn.optim.SGD(by_hand.parameters(), lr=0.1, momentum=0.9)
    hand_scheduler = nn.optim.lr_scheduler.OneCycleLR(hand_optimizer, max_lr=0.5, epochs=3, steps_per_epoch=4)
    loader = DataLoader((X, y), batch_size=16, shuffle=True, seed=0)  # fit's own batches: the same row orders
    for _ in range(3):
        for xb, yb in loader:
            hand_optimizer.zero_grad()
            F.cross_entropy(by_hand(xb), yb).backward()
            hand_optimizer.step()
            hand_scheduler.step()
    for mine, theirs in zip(model.parameters(), by_hand.parameters()):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-12, atol=1e-15)
    short = nn.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.5, total_steps=3)  # built for epochs
    with pytest.raises(ValueError, match=r"3 epochs x 4 batches = 12 steps.*epochs=3, steps_per_epoch=4\)$"):
        nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=3, batch_size=16, scheduler=short, progress=False)


def _warm_up_then_cosine(schedules, optimizer):
    warm_up = schedules.LinearLR(optimizer, start_factor=0.1, total_iters=3)
    decay = schedules.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.001)
    return schedules.SequentialLR(optimizer, [warm_up, decay], milestones=[3])


def test_sequential_lr_runs_a_warm_up_then_a_decay_as_pytorchs_and_resumes(tmp_path):
    model = nn.MLP([2, 4, 2], seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    scheduler = _warm_up_then_cosine(nn.optim.lr_scheduler, optimizer)
    lrs = [optimizer.param_groups[0]["lr"]] + [scheduler.step() for _ in range(10)]
    t = np.arange(11)
    warm = 0.1 * (0.1 + 0.9 * np.minimum(t, 3) / 3)  # closed forms, torch-free
    cosine = 0.001 + (0.1 - 0.001) * (1 + np.cos(np.pi * (t - 3) / 8)) / 2
    np.testing.assert_allclose(lrs, np.where(t < 3, warm, cosine), rtol=1e-12)
    half = nn.optim.SGD(model.parameters(), lr=0.1)  # stopped after 5 steps, saved, resumed
    first = _warm_up_then_cosine(nn.optim.lr_scheduler, half)
    for _ in range(5):
        first.step()
    nn.utils.save_checkpoint(tmp_path / "run.npz", model, half, first)
    resumed_optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    resumed = _warm_up_then_cosine(nn.optim.lr_scheduler, resumed_optimizer)
    nn.utils.load_checkpoint(tmp_path / "run.npz", model, resumed_optimizer, resumed)
    assert [resumed.step() for _ in range(5)] == lrs[6:]
    with pytest.raises(ValueError, match=r"milestones must be 1 increasing step counts.*got \[3, 5\]"):
        nn.optim.lr_scheduler.SequentialLR(half, first.schedulers, milestones=[3, 5])
    torch = pytest.importorskip("torch")
    weight = torch.nn.Parameter(torch.ones(2))
    theirs = torch.optim.SGD([weight], lr=0.1)
    their_scheduler = _warm_up_then_cosine(torch.optim.lr_scheduler, theirs)
    their_lrs = [theirs.param_groups[0]["lr"]]
    for _ in range(10):
        theirs.step()
        their_scheduler.step()
        their_lrs.append(theirs.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, their_lrs, rtol=1e-12)


def test_fit_refuses_a_scheduler_made_on_another_optimizer():
    """A notebook cell run again makes a second optimizer; the scheduler still drove the first, so the
    lr of the run never moved (history.lr 0.1, 0.1, 0.1 under StepLR(gamma=0.1)), silently."""
    X, y = _moons(64)
    model = nn.MLP([2, 4, 2], seed=0)
    first = nn.optim.SGD(model.parameters(), lr=0.1)
    scheduler = nn.optim.lr_scheduler.StepLR(first, step_size=1, gamma=0.1)
    again = nn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"^fit: the scheduler StepLR drives another optimizer than the one given"):
        nn.fit(model, F.cross_entropy, again, X, y, epochs=3, scheduler=scheduler, progress=False)
    history = nn.fit(model, F.cross_entropy, first, X, y, epochs=3, scheduler=scheduler, progress=False)
    assert history.lr == pytest.approx([0.1, 0.01, 0.001])
