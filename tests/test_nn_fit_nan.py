"""nn.fit on NaN/Inf: it stops naming the epoch and step, and keeps the last good (or best) weights."""

import numpy as np
import pytest
from fit_helpers import EpochSpy, adam, moons

import autograd_core as ag
import nn
import nn.functional as F
from nn import optim

# tiny matrices: one BLAS thread (the fixture in conftest.py says why)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


class PoisonedLoss:
    """Cross-entropy that turns NaN (or gives an infinite gradient) at one training call."""

    def __init__(self, model, bad_call, kind="loss"):
        self.model, self.bad_call, self.kind, self.calls, self.weights = model, bad_call, kind, 0, None

    def __call__(self, output, target):
        loss = F.cross_entropy(output, target)
        if not ag.is_grad_enabled():  # fit's checks and evaluation: leave alone
            return loss
        self.calls += 1
        if self.calls == self.bad_call:
            self.weights = self.model.state_dict()  # the weights this step started from
            if self.kind == "loss":
                return loss * float("nan")
            poisoned = output if self.kind == "grad" else self.model.layers[2].bias
            return loss + ((poisoned - poisoned.data) ** 0.5).sum()  # value unchanged, gradient inf at 0
        return loss


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's own warnings about the poisoned step
@pytest.mark.parametrize(
    "kind, message",
    [
        (
            "loss",
            r"fit: the loss became nan at epoch 2/3, step 2/4; training stopped before this step's update and "
            r"the weights of the last good step are kept.*detect_anomaly",
        ),
        (
            "grad",
            r"fit: the gradients of 'layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias' have "
            r"NaN/Inf values at epoch 2/3, step 2/4",
        ),
        ("bias", r"fit: the gradient of 'layers.2.bias' has NaN/Inf values at epoch 2/3, step 2/4"),
    ],
)
def test_nan_stops_training_naming_epoch_and_step_and_keeps_the_last_good_weights(kind, message):
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    loss_fn = PoisonedLoss(model, bad_call=6, kind=kind)  # 4 steps per epoch: epoch 2, step 2
    with pytest.raises(FloatingPointError, match=message) as caught:
        nn.fit(model, loss_fn, adam(model), X, y, epochs=3, batch_size=16, progress=False)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, loss_fn.weights[name])
        assert np.isfinite(p.data).all()
    history = caught.value.history
    assert history.epochs_run == 1 and history.stopped_reason.startswith("error: ")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_sigmoid_model_with_bce_stops_at_its_epoch_and_step():
    """NaN probabilities from a diverged model must reach fit's NaN check, not be refused by
    binary_cross_entropy as 'not probabilities: apply sigmoid first' (they came out of a sigmoid)."""
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 1], output_activation="sigmoid", seed=0)
    with pytest.raises(FloatingPointError, match=r"fit: the loss became nan at epoch 1/3, step \d+/4"):
        nn.fit(
            model,
            F.binary_cross_entropy,
            optim.SGD(model.parameters(), lr=1e300),
            X,
            y[:, None].astype(float),
            epochs=3,
            batch_size=16,
            progress=False,
        )
    assert all(np.isfinite(p.data).all() for p in model.parameters())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_parameters_outside_the_model_are_trained_and_checked_too():
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    temperature = ag.Tensor(1.0, requires_grad=True, label="temperature")
    opt = optim.Adam([*model.parameters(), temperature], lr=0.01)
    nn.fit(model, lambda out, target: F.cross_entropy(out * temperature, target), opt, X, y, epochs=2, progress=False)
    assert temperature.item() != 1.0

    def poisoned(out, target):
        return F.cross_entropy(out, target) + ((temperature - temperature.data) ** 0.5)

    with pytest.raises(
        FloatingPointError, match=r"the gradient of 'temperature' has NaN/Inf values at epoch 1/2, step 1/2"
    ):
        nn.fit(model, poisoned, opt, X, y, epochs=2, progress=False)


def test_nan_with_early_stopping_restores_the_best_epoch():
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    spy = EpochSpy(model)
    loss_fn = PoisonedLoss(model, bad_call=10)  # epoch 3, step 2: two epochs completed
    with pytest.raises(FloatingPointError, match=r"the best epoch's weights are restored") as caught:
        nn.fit(
            model,
            loss_fn,
            adam(model),
            X,
            y,
            epochs=5,
            batch_size=16,
            validation=moons(1, 32),
            early_stopping=5,
            progress=False,
            scheduler=spy,
        )
    history = caught.value.history
    assert history.epochs_run == 2 and history.best_epoch == int(np.argmin(history.val_loss))
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, spy.states[history.best_epoch][name])
    # Not merely the last good step's weights (one step into epoch 3): the best epoch's were restored.
    assert not np.array_equal(model.layers[0].weight.data, loss_fn.weights["layers.0.weight"])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_in_the_first_epoch_with_early_stopping_says_no_best_epoch_was_restored():
    """No epoch has finished, so there is no best epoch to restore: the message must not claim one."""
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    loss_fn = PoisonedLoss(model, bad_call=2)  # epoch 1, step 2
    with pytest.raises(
        FloatingPointError,
        match=r"at epoch 1/5, step 2/4; .*the weights of the last good step are "
        r"kept",
    ) as caught:
        nn.fit(
            model,
            loss_fn,
            adam(model),
            X,
            y,
            epochs=5,
            batch_size=16,
            validation=moons(1, 32),
            early_stopping=2,
            progress=False,
        )
    assert "best epoch" not in str(caught.value) and caught.value.history.best_epoch is None
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, loss_fn.weights[name])
