"""fast.ai's course22p2 ("from the foundations"), notebook 09_learner's callback ``Learner`` ported step by step
(see ``test_fastai_ports.py`` for the conventions; the first ``Learner``, the data (05_datasets' ``DataLoaders``
over the digits) and the metrics are in ``test_fastai_ports_datasets.py``, imported here).

The ``Learner`` with callbacks (``with_cbs``, ``run_cbs`` in ``order``, ``Cancel*Exception``, ``__getattr__``
routing ``predict``/``get_loss``/... to callbacks, ``torch.no_grad()`` as a decorator for validation) with
``TrainCB``, ``DeviceCB``, ``MetricsCB``, ``SingleBatchCB``, a ``CompletionCB`` counting batches;
``TrainLearner``/``MomentumLearner`` and ``LRFinderCB`` over ``lr_scheduler.ExponentialLR``, training
``nn.Sequential`` models of the repo's layers to the asserted accuracy; the same ``MomentumLearner`` run with torch's
layers, optimizer and loss (where installed) ends at torch's weights.

Where the notebook's spelling differs here: torcheval's ``MulticlassAccuracy`` and ``Mean`` are written from the
notebook's own ``Metric``; fastcore's ``store_attr`` and ``L`` are written out; ``MetricsCB`` keeps its log
instead of printing it; ``ProgressCB`` (fastprogress) and the lr finder's plot are not ported;
``MomentumLearner``'s ``p.grad *= mom`` is the numpy array's own in-place multiply (``.grad`` is an array here).
"""

import math
from copy import copy
from functools import partial
from operator import attrgetter

import numpy as np
import pytest
from test_fastai_ports_datasets import DataLoaders, Mean, MulticlassAccuracy, _dls, _valid_rows, get_model

import autograd_core as ag
import nn
import nn.functional as F
from nn import optim
from nn.data import default_collate
from nn.optim.lr_scheduler import ExponentialLR

torch = ag  # the notebook's own spelling, kept so each step reads as it does


# ---------------------------------------------------------------- 09_learner: the callback Learner
class CancelFitException(Exception):
    pass


class CancelBatchException(Exception):
    pass


class CancelEpochException(Exception):
    pass


class Callback:
    order = 0


def run_cbs(cbs, method_nm, learn=None):
    for cb in sorted(cbs, key=attrgetter("order")):
        method = getattr(cb, method_nm, None)
        if method is not None:
            method(learn)


class with_cbs:
    def __init__(self, nm):
        self.nm = nm

    def __call__(self, f):
        def _f(o, *args, **kwargs):
            try:
                o.callback(f"before_{self.nm}")
                f(o, *args, **kwargs)
                o.callback(f"after_{self.nm}")
            except globals()[f"Cancel{self.nm.title()}Exception"]:
                pass
            finally:
                o.callback(f"cleanup_{self.nm}")

        return _f


class Learner:
    def __init__(self, model, dls=(0,), loss_func=F.mse_loss, lr=0.1, cbs=None, opt_func=optim.SGD):
        self.model, self.dls, self.loss_func, self.lr, self.opt_func = model, dls, loss_func, lr, opt_func
        self.cbs = list(cbs or [])

    @with_cbs("batch")
    def _one_batch(self):
        self.predict()
        self.callback("after_predict")
        self.get_loss()
        self.callback("after_loss")
        if self.training:
            self.backward()
            self.callback("after_backward")
            self.step()
            self.callback("after_step")
            self.zero_grad()

    @with_cbs("epoch")
    def _one_epoch(self):
        for self.iter, self.batch in enumerate(self.dl):  # noqa: B020 (the notebook's: the learner keeps them)
            self._one_batch()

    def one_epoch(self, training):
        self.model.train(training)
        self.dl = self.dls.train if training else self.dls.valid
        self._one_epoch()

    @with_cbs("fit")
    def _fit(self, train, valid):
        for self.epoch in self.epochs:  # noqa: B020 (the notebook's: callbacks read learn.epoch)
            if train:
                self.one_epoch(True)
            if valid:
                torch.no_grad()(self.one_epoch)(False)

    def fit(self, n_epochs=1, train=True, valid=True, cbs=None, lr=None):
        cbs = list(cbs or [])
        for cb in cbs:
            self.cbs.append(cb)
        try:
            self.n_epochs = n_epochs
            self.epochs = range(n_epochs)
            if lr is None:
                lr = self.lr
            if self.opt_func:
                self.opt = self.opt_func(self.model.parameters(), lr)
            self._fit(train, valid)
        finally:
            for cb in cbs:
                self.cbs.remove(cb)

    def __getattr__(self, name):
        if name in ("predict", "get_loss", "backward", "step", "zero_grad"):
            return partial(self.callback, name)
        raise AttributeError(name)

    def callback(self, method_nm):
        run_cbs(self.cbs, method_nm, self)

    @property
    def training(self):
        return self.model.training


class TrainCB(Callback):
    def predict(self, learn):
        learn.preds = learn.model(learn.batch[0])

    def get_loss(self, learn):
        learn.loss = learn.loss_func(learn.preds, learn.batch[1])

    def backward(self, learn):
        learn.loss.backward()

    def step(self, learn):
        learn.opt.step()

    def zero_grad(self, learn):
        learn.opt.zero_grad()


def to_device(x, device="cpu"):
    if isinstance(x, ag.Tensor):
        return x.to(device)
    return type(x)(to_device(o, device) for o in x)


def to_cpu(x):
    if isinstance(x, list):
        return [to_cpu(o) for o in x]
    if isinstance(x, tuple):
        return tuple(to_cpu(list(x)))
    return x.detach().cpu()


class DeviceCB(Callback):
    def __init__(self, device="cpu"):
        self.device = device

    def before_fit(self, learn):
        learn.model.to(self.device)

    def before_batch(self, learn):
        learn.batch = to_device(learn.batch, device=self.device)


class MetricsCB(Callback):
    def __init__(self, *ms, **metrics):
        for o in ms:
            metrics[type(o).__name__] = o
        self.metrics = metrics
        self.all_metrics = copy(metrics)
        self.all_metrics["loss"] = self.loss = Mean()
        self.logged = []

    def _log(self, d):
        self.logged.append(d)  # the notebook prints it

    def before_fit(self, learn):
        learn.metrics = self

    def before_epoch(self, learn):
        [o.reset() for o in self.all_metrics.values()]

    def after_epoch(self, learn):
        log = {k: f"{v.compute():.3f}" for k, v in self.all_metrics.items()}
        log["epoch"] = learn.epoch
        log["train"] = "train" if learn.model.training else "eval"
        self._log(log)

    def after_batch(self, learn):
        x, y, *_ = to_cpu(learn.batch)
        for m in self.metrics.values():
            m.update(to_cpu(learn.preds), y)
        self.loss.update(to_cpu(learn.loss), weight=len(x))


class SingleBatchCB(Callback):
    order = 1

    def after_batch(self, learn):
        raise CancelFitException()


class CompletionCB(Callback):
    def before_fit(self, learn):
        self.count = 0

    def after_batch(self, learn):
        self.count += 1

    def after_fit(self, learn):
        self.completed = f"Completed {self.count} batches"


def test_09_callbacks_run_in_order_and_cancel_exceptions_stop_cleanly():
    torch.manual_seed(0)
    completion = CompletionCB()
    learn = Learner(get_model(), _dls(), F.cross_entropy, lr=0.2, cbs=[TrainCB(), completion])
    learn.fit(1, cbs=[SingleBatchCB()])  # after the first batch: CancelFitException, so no after_fit
    assert completion.count == 1 and not hasattr(completion, "completed") and len(learn.cbs) == 2
    learn.fit(1)
    assert completion.completed == "Completed 33 batches"  # 30 of 50 rows to train, 3 of 100 to validate
    with pytest.raises(AttributeError, match="fly"):
        learn.fly()
    calls = []

    class Record(Callback):
        def __init__(self, order):
            self.order = order

        def before_batch(self, learn):
            calls.append(self.order)
            if len(calls) == 4:
                raise CancelBatchException()  # the batch's steps skipped; the epoch goes on

    learn.fit(1, train=False, cbs=[Record(2), Record(-1)])
    assert calls == [-1, 2, -1, 2, -1, 2]  # run_cbs sorts by order; 3 valid batches
    assert completion.count == 2  # the cancelled batch skipped its after_batch, the others ran


def test_09_learner_with_metrics_and_device_callbacks_trains_a_model():
    torch.manual_seed(1)
    metrics = MetricsCB(accuracy=MulticlassAccuracy())
    learn = Learner(get_model(), _dls(), F.cross_entropy, lr=0.5, cbs=[TrainCB(), DeviceCB(), metrics])
    learn.fit(5)
    assert [(d["epoch"], d["train"]) for d in metrics.logged] == [(e, t) for e in range(5) for t in ("train", "eval")]
    assert float(metrics.logged[-1]["accuracy"]) > 0.93 and float(metrics.logged[-1]["loss"]) < 0.3
    assert float(metrics.logged[-1]["loss"]) < float(metrics.logged[0]["loss"]) and not learn.training
    xv, yv = map(default_collate, zip(*_valid_rows()))
    with torch.no_grad():
        assert float(metrics.logged[-1]["loss"]) == pytest.approx(F.cross_entropy(learn.model(xv), yv).item(), abs=5e-4)


class TrainLearner(Learner):
    def predict(self):
        self.preds = self.model(self.batch[0])

    def get_loss(self):
        self.loss = self.loss_func(self.preds, self.batch[1])

    def backward(self):
        self.loss.backward()

    def step(self):
        self.opt.step()

    def zero_grad(self):
        self.opt.zero_grad()


class MomentumLearner(TrainLearner):
    def __init__(self, model, dls, loss_func, lr=None, cbs=None, opt_func=optim.SGD, mom=0.85):
        self.mom = mom
        super().__init__(model, dls, loss_func, lr, cbs, opt_func)

    def zero_grad(self):
        with torch.no_grad():
            for p in self.model.parameters():
                p.grad *= self.mom


class LRFinderCB(Callback):
    def __init__(self, gamma=1.3, max_mult=3):
        self.gamma, self.max_mult = gamma, max_mult

    def before_fit(self, learn):
        self.sched = ExponentialLR(learn.opt, self.gamma)
        self.lrs, self.losses = [], []
        self.min = math.inf

    def after_batch(self, learn):
        if not learn.training:
            raise CancelEpochException()
        self.lrs.append(learn.opt.param_groups[0]["lr"])
        loss = to_cpu(learn.loss)
        self.losses.append(loss)
        if loss < self.min:
            self.min = loss
        if loss > self.min * self.max_mult:
            raise CancelFitException()
        self.sched.step()


def test_09_train_and_momentum_learners_and_the_lr_finder():
    torch.manual_seed(2)
    metrics = MetricsCB(accuracy=MulticlassAccuracy())
    learn = MomentumLearner(get_model(), _dls(), F.cross_entropy, lr=0.1, cbs=[DeviceCB(), metrics])
    learn.fit(5)
    assert float(metrics.logged[-1]["accuracy"]) > 0.93
    finder = LRFinderCB()
    learn = MomentumLearner(get_model(), _dls(), F.cross_entropy, cbs=[DeviceCB()])
    learn.fit(10, lr=1e-4, cbs=[finder])  # the notebook's lr_find: raise the lr 1.3x a batch until the loss blows up
    ratios = np.array(finder.lrs[1:]) / np.array(finder.lrs[:-1])
    np.testing.assert_allclose(ratios, 1.3, rtol=1e-12)
    assert finder.lrs[0] == 1e-4 and finder.losses[-1] > 3 * finder.min  # it stopped at the blow-up
    assert len(finder.lrs) < 10 * 30 and finder.lrs[-1] > 0.1 and learn.cbs == learn.cbs[:1]


def _momentum_learner_weights(lib, batches, w0):
    """A MomentumLearner's two epochs over ``batches`` with ``lib``'s layers, optimizer and loss (this module's
    ``torch`` swapped for ``lib``, for the ``no_grad`` decorator and the gradient's in-place multiply)."""
    global torch
    tnn = nn if lib is ag else lib.nn
    model = tnn.Sequential(tnn.Linear(64, 50), tnn.ReLU(), tnn.Linear(50, 10)).double()
    with lib.no_grad():
        for p, w in zip(model.parameters(), w0):
            p.copy_(lib.tensor(w))
    data = [(lib.tensor(xb), lib.tensor(yb)) for xb, yb in batches]
    loss = F.cross_entropy if lib is ag else lib.nn.functional.cross_entropy
    sgd = optim.SGD if lib is ag else lib.optim.SGD
    torch = lib
    try:
        learn = MomentumLearner(model, DataLoaders(data[:8], data[8:]), loss, lr=0.1, opt_func=sgd)
        learn.fit(2)
    finally:
        torch = ag
    return [np.asarray(p.data if lib is ag else p.detach().numpy()) for p in model.parameters()], learn.loss.item()


def test_09_a_momentum_learner_s_steps_equal_torch_s():
    rng = np.random.default_rng(0)
    X, y = nn.datasets.load_digits()
    batches = [(X[i : i + 32] / 16.0, y[i : i + 32]) for i in range(0, 320, 32)]
    w0 = [rng.uniform(-0.1, 0.1, shape) for shape in [(50, 64), (50,), (10, 50), (10,)]]
    ours, last_loss = _momentum_learner_weights(ag, batches, w0)
    assert not np.allclose(ours[0], w0[0]) and last_loss < np.log(10)  # it trained, validating last
    real = pytest.importorskip("torch")
    theirs, their_loss = _momentum_learner_weights(real, batches, w0)
    assert last_loss == pytest.approx(their_loss, rel=1e-10)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
