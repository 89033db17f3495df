"""nn.fit with checkpoints: N epochs, then more from the checkpoint, equal an uninterrupted run bit for bit;
a DataLoader in place of arrays; ReduceLROnPlateau stepped on the watched loss."""

import numpy as np
import pytest

import nn
import nn.functional as F
from nn import optim

X, y = nn.datasets.make_moons(200, noise=0.25, seed=0)
VALIDATION = nn.datasets.make_moons(80, noise=0.25, seed=1)


def parts(kind):
    model = nn.MLP([2, 16, 16, 2], seed=0)
    optimizer = {
        "adam": lambda p: optim.Adam(p, lr=0.01),
        "sgd": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
        "rmsprop": lambda p: optim.RMSprop(p, lr=0.005),
    }[kind](model.parameters())
    scheduler = optim.StepLR(optimizer, step_size=3, gamma=0.5)
    return model, optimizer, scheduler


def weights(model):
    return {name: value.copy() for name, value in model.state_dict().items()}


@pytest.mark.parametrize("kind", ["adam", "sgd", "rmsprop"])
@pytest.mark.parametrize("early_stopping", [None, 3])
def test_resuming_from_a_checkpoint_equals_the_uninterrupted_run(tmp_path, kind, early_stopping):
    options = dict(validation=VALIDATION, batch_size=16, seed=4, early_stopping=early_stopping, progress=False)
    model, optimizer, scheduler = parts(kind)
    whole = nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=8, scheduler=scheduler, **options)

    first, opt1, sched1 = parts(kind)
    nn.fit(
        first, F.cross_entropy, opt1, X, y, epochs=3, scheduler=sched1, checkpoint=str(tmp_path / "c.npz"), **options
    )
    resumed, opt2, sched2 = parts(kind)  # fresh objects, as in a new process
    history = nn.fit(
        resumed,
        F.cross_entropy,
        opt2,
        X,
        y,
        epochs=8,
        scheduler=sched2,
        resume=str(tmp_path / "c.npz"),
        checkpoint=str(tmp_path / "c.npz"),
        **options,
    )
    for name, value in weights(model).items():
        np.testing.assert_array_equal(weights(resumed)[name], value, err_msg=name)
    assert history.train_loss == whole.train_loss and history.val_loss == whole.val_loss
    assert history.best_epoch == whole.best_epoch and history.stopped_reason == whole.stopped_reason
    assert opt2.param_groups[0]["lr"] == optimizer.param_groups[0]["lr"]
    assert history.step == whole.step == "compiled"  # fit's default: resuming a compiled run is bit for bit too


def test_a_resume_past_the_end_changes_nothing(tmp_path):
    model, optimizer, _ = parts("adam")
    nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=2, checkpoint=str(tmp_path / "c.npz"), progress=False)
    again, opt, _ = parts("adam")
    history = nn.fit(again, F.cross_entropy, opt, X, y, epochs=2, resume=str(tmp_path / "c.npz"), progress=False)
    assert history.epochs_run == 2 and history.stopped_reason == "completed"
    for name, value in weights(model).items():
        np.testing.assert_array_equal(weights(again)[name], value)


def test_a_checkpoint_that_does_not_fit_changes_nothing(tmp_path):
    model, optimizer, _ = parts("adam")
    nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=1, checkpoint=str(tmp_path / "c.npz"), progress=False)
    other = nn.MLP([2, 8, 2], seed=0)
    before = weights(other)
    with pytest.raises(ValueError, match=r"load_checkpoint: .*c.npz.* does not fit"):
        nn.fit(
            other,
            F.cross_entropy,
            optim.Adam(other.parameters()),
            X,
            y,
            epochs=3,
            resume=str(tmp_path / "c.npz"),
            progress=False,
        )
    for name, value in before.items():
        np.testing.assert_array_equal(weights(other)[name], value)


def test_a_data_loader_in_place_of_arrays_gives_the_same_training():
    model, optimizer, _ = parts("adam")
    arrays = nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=3, batch_size=16, seed=2, progress=False)
    again, opt, _ = parts("adam")
    loader = nn.data.DataLoader(nn.data.TensorDataset(X, y), batch_size=16, shuffle=True, seed=2)
    history = nn.fit(again, F.cross_entropy, opt, loader, epochs=3, progress=False)
    assert history.train_loss == arrays.train_loss
    for name, value in weights(model).items():
        np.testing.assert_array_equal(weights(again)[name], value)
    with pytest.raises(TypeError, match=r"X is a DataLoader, which holds the targets too: drop the y argument"):
        nn.fit(again, F.cross_entropy, opt, loader, y, epochs=1, progress=False)
    with pytest.raises(TypeError, match=r"give the targets"):
        nn.fit(again, F.cross_entropy, opt, X, epochs=1, progress=False)


def test_reduce_lr_on_plateau_steps_on_the_validation_loss():
    model = nn.MLP([2, 8, 2], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=1e-6)  # too small to improve: a plateau at once
    scheduler = optim.ReduceLROnPlateau(optimizer, patience=1, factor=0.5, threshold=0.5)
    history = nn.fit(
        model, F.cross_entropy, optimizer, X, y, epochs=6, validation=VALIDATION, scheduler=scheduler, progress=False
    )
    assert history.epochs_run == 6 and optimizer.param_groups[0]["lr"] < 1e-6
