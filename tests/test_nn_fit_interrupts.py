"""nn.fit when training does not end normally: Ctrl-C, real signals, other exceptions, divergence."""

import signal
import threading

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import datasets, optim

# tiny matrices: one BLAS thread (the fixture in conftest.py says why)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def moons(seed=0, n=64):
    return datasets.make_moons(n, noise=0.1, seed=seed)


class RaisingLoss:
    """cross_entropy that raises ``error`` on its ``bad_call``-th call (fit's two probes count:
    X, then X_val when given), after copying the weights as they were."""

    def __init__(self, model, bad_call, error):
        self.model, self.bad_call, self.error, self.calls = model, bad_call, error, 0

    def __call__(self, output, target):
        self.calls += 1
        if self.calls == self.bad_call:
            self.weights = self.model.state_dict()
            raise self.error
        return F.cross_entropy(output, target)


class EpochSpy:
    def __init__(self, model):
        self.model, self.states = model, []

    def step(self):
        self.states.append(self.model.state_dict())


def test_ctrl_c_in_the_loss_keeps_the_history_of_the_whole_epochs():
    X, y = moons()
    model = nn.MLP([2, 8, 2], seed=0)
    loss_fn = RaisingLoss(model, bad_call=1 + 4 + 4 + 3, error=KeyboardInterrupt())  # epoch 3, step 3 of 4
    with pytest.raises(KeyboardInterrupt) as caught:
        nn.fit(model, loss_fn, optim.Adam(model.parameters(), lr=0.01), X, y, epochs=5, batch_size=16, progress=False)
    history = caught.value.history
    assert history.stopped_reason == "interrupted"
    assert history.epochs_run == 2 and len(history.train_acc) == len(history.grad_norm) == len(history.lr) == 2
    assert history.best_epoch == int(np.argmin(history.train_loss))
    for name, p in model.named_parameters():  # without early stopping: the weights as the interrupt left them
        np.testing.assert_array_equal(p.data, loss_fn.weights[name])


def test_ctrl_c_with_early_stopping_restores_the_best_epoch():
    X, y = moons()
    model = nn.MLP([2, 8, 2], seed=0)
    spy = EpochSpy(model)
    # two probes, then 4 steps and 1 validation chunk per epoch: epoch 4, step 2
    loss_fn = RaisingLoss(model, bad_call=2 + 5 * 3 + 2, error=KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt) as caught:
        nn.fit(
            model,
            loss_fn,
            optim.Adam(model.parameters(), lr=0.01),
            X,
            y,
            epochs=9,
            batch_size=16,
            validation=moons(1, 32),
            early_stopping=9,
            progress=False,
            scheduler=spy,
        )
    history = caught.value.history
    assert history.stopped_reason == "interrupted" and history.epochs_run == 3 and len(history.val_loss) == 3
    assert history.best_epoch == int(np.argmin(history.val_loss))
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, spy.states[history.best_epoch][name])
    assert not np.array_equal(model.layers[0].weight.data, loss_fn.weights["layers.0.weight"])


def test_any_other_exception_escaping_fit_carries_the_history_as_failed():
    X, y = moons()
    model = nn.MLP([2, 8, 2], seed=0)
    loss_fn = RaisingLoss(model, bad_call=1 + 4 + 1, error=MemoryError("out of memory"))  # epoch 2, step 1
    with pytest.raises(MemoryError) as caught:
        nn.fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), X, y, epochs=3, batch_size=16, progress=False)
    assert caught.value.history.stopped_reason == "failed" and caught.value.history.epochs_run == 1


class SignallingAdam(optim.Adam):
    """Adam that delivers a real SIGINT to this process while it is updating its ``at``-th parameter."""

    def __init__(self, params, at, on_step, **kwargs):
        super().__init__(params, **kwargs)
        self.at, self.on_step, self.updates = at, on_step, 0

    def _update(self, p, grad, state, group):
        super()._update(p, grad, state, group)
        self.updates += 1
        if self.step_count == self.on_step and self.updates % len(self.params) == self.at:
            signal.raise_signal(signal.SIGINT)  # Python runs the handler at the next bytecode: mid-step


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals need the main thread")
def test_a_real_sigint_during_the_step_waits_for_the_whole_update():
    """Before: the KeyboardInterrupt landed after layers.0.weight was updated and before the others,
    so Adam's step counts were 3, 2, 2, 2. Now the step completes first: every count is 3."""
    X, y = moons()
    model = nn.MLP([2, 8, 2], seed=0)
    optimizer = SignallingAdam(model.parameters(), at=1, on_step=3, lr=0.01)
    with pytest.raises(KeyboardInterrupt) as caught:
        nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=2, batch_size=16, progress=False)
    assert [state["step"] for state in optimizer.state] == [3, 3, 3, 3]
    assert caught.value.history.stopped_reason == "interrupted" and caught.value.history.epochs_run == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # fit put the handler back


def test_a_programs_own_sigint_handler_still_runs_after_the_step():
    X, y = moons()
    model = nn.MLP([2, 8, 2], seed=0)
    seen = []

    def handler(signum, frame):
        seen.append(signum)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        optimizer = SignallingAdam(model.parameters(), at=2, on_step=2, lr=0.01)
        history = nn.fit(model, F.cross_entropy, optimizer, X, y, epochs=2, batch_size=16, progress=False)
        handler_after = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [signal.SIGINT] and history.stopped_reason == "completed"  # the program chose to go on
    assert handler_after is handler


# ---------------------------------------------------------------------------------- divergence without NaN
def linear_data(n=200):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    return X, X @ np.array([[1.0], [-2.0], [3.0]])


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_cross_entropy_at_lr_1e3_is_reported_as_diverged_not_completed():
    """Before: 15 epochs 'completed' with losses up to 1e232 and a final loss of 252."""
    X, y = moons(0, 200)
    model = nn.MLP([2, 16, 2], seed=0)
    with pytest.warns(
        RuntimeWarning,
        match=r"fit: training diverged at epoch 1/15: the mean training loss 2\.83e\+23 "
        r"is more than 100x its best 1\.586 .*Try a lower learning rate",
    ):
        history = nn.fit(model, F.cross_entropy, optim.SGD(model.parameters(), lr=1e3), X, y, epochs=15, progress=False)
    assert history.stopped_reason == "diverged" and history.epochs_run == 1


@pytest.mark.parametrize("lr, epochs_run", [(1.0, 10), (3.0, 1)])
def test_mse_regression_growing_without_nan_is_diverged(lr, epochs_run):
    """Before: SGD at lr=3 'completed' 15 epochs at loss 1e147 with |w| = 8e74, lr=1 at 1e8."""
    X, y = linear_data()
    model = nn.MLP([3, 1], seed=0)
    with pytest.warns(RuntimeWarning, match="diverged"):
        history = nn.fit(model, F.mse_loss, optim.SGD(model.parameters(), lr=lr), X, y, epochs=15, progress=False)
    assert history.stopped_reason == "diverged" and history.epochs_run == epochs_run


class Nudge:
    """A scheduler that shifts a weight by 0.01 after epoch 4: the next epoch's loss spikes a billionfold."""

    def __init__(self, model):
        self.model, self.t = model, 0

    def step(self):
        self.t += 1
        if self.t == 4:
            self.model.layers[0].weight.data += 0.01


def test_a_spike_of_a_converged_run_below_its_starting_loss_is_not_divergence(recwarn):
    X, y = linear_data()
    model = nn.MLP([3, 1], seed=0)
    history = nn.fit(
        model, F.mse_loss, optim.SGD(model.parameters(), lr=0.3), X, y, epochs=8, progress=False, scheduler=Nudge(model)
    )
    assert history.train_loss[4] > 1e6 * min(history.train_loss[:4])  # the spike is there ...
    assert history.train_loss[4] < history.train_loss[0]  # ... but below the untrained loss
    assert history.stopped_reason == "completed" and not [w for w in recwarn if "diverged" in str(w.message)]


def test_divergence_check_can_be_turned_off_and_its_factor_is_checked():
    X, y = linear_data()
    model = nn.MLP([3, 1], seed=0)
    history = nn.fit(
        model, F.mse_loss, optim.SGD(model.parameters(), lr=3.0), X, y, epochs=3, progress=False, divergence_factor=None
    )
    assert history.stopped_reason == "completed" and history.train_loss[-1] > 1e25
    for bad in (1, 0.5, float("inf"), "10"):
        with pytest.raises(ValueError, match=r"fit: divergence_factor must be a finite number > 1 \(or None: off\)"):
            nn.fit(
                model,
                F.mse_loss,
                optim.SGD(model.parameters(), lr=0.1),
                X,
                y,
                epochs=1,
                progress=False,
                divergence_factor=bad,
            )


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_divergence_with_early_stopping_restores_the_best_epoch():
    X, y = linear_data()
    model = nn.MLP([3, 1], seed=0)
    spy = EpochSpy(model)
    with pytest.warns(RuntimeWarning, match=r"the best epoch's weights are restored"):
        history = nn.fit(
            model,
            F.mse_loss,
            optim.SGD(model.parameters(), lr=1.0),
            X,
            y,
            epochs=15,
            progress=False,
            validation=linear_data(50),
            early_stopping=15,
            scheduler=spy,
        )
    assert history.stopped_reason == "diverged"
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, spy.states[history.best_epoch][name])


class InterruptedInsideNoGrad:
    """cross_entropy whose second call is interrupted the way a Ctrl-C can land as a ``no_grad`` block
    leaves (its ``__exit__`` entered, the mode not yet restored): grad mode is left off."""

    def __init__(self):
        self.calls = 0

    def __call__(self, output, target):
        self.calls += 1
        if self.calls == 2:
            ag.no_grad().__enter__()  # and never left: the interrupt came first
            raise KeyboardInterrupt
        return F.cross_entropy(output, target)


def test_an_interrupt_inside_a_no_grad_exit_leaves_recording_on_as_fit_found_it():
    X, y = moons()
    model = nn.MLP([2, 8, 2], seed=0)
    try:
        with pytest.raises(KeyboardInterrupt):
            nn.fit(
                model,
                InterruptedInsideNoGrad(),
                optim.SGD(model.parameters(), lr=0.1),
                X,
                y,
                epochs=1,
                batch_size=16,
                progress=False,
            )
        assert ag.is_grad_enabled()  # else every later model(x) in the session records nothing, silently
    finally:
        ag.set_grad_enabled(True)  # (the next tests in this process start from the default either way)
