"""fast.ai's course22p2 ("from the foundations"), notebook 05_datasets (the parts without Hugging Face's
``datasets``) and 09_learner's first half ported step by step (see ``test_fastai_ports.py`` for the conventions;
``nn.data`` for ``torch.utils.data``, the digits for Fashion-MNIST). The callback ``Learner`` is in
``test_fastai_ports_learner.py``, which imports this file's data and metrics.

05_datasets: a batch of dict rows made a tuple by a ``collate_fn``, by an ``inplace`` transform, and by
``collate_dict`` (``itemgetter`` over ``default_collate``), all equal; ``get_dls`` and the ``DataLoaders`` class
with ``from_dd``. 09_learner: the first ``Learner`` (no callbacks) with its running accuracy and loss, training
``nn.Sequential`` of the repo's layers; the notebook's ``Metric``/``Accuracy`` on its own examples.

Where the notebooks' spelling differs here: the Hugging Face ``DatasetDict`` is a dict of lists of dict rows
with a ``features`` attribute (``with_transform`` applies the transform to each example's one-row batch here);
``TF.to_tensor`` of a PIL image is ``ag.tensor(pixels / 16)``; fastcore's ``store_attr`` is written out;
``show_image``/``show_images`` (matplotlib) are not ported.
"""

from operator import itemgetter

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import optim
from nn.data import DataLoader, default_collate

torch = ag  # the notebooks' own spelling, kept so each step reads as they do
x, y = "image", "label"  # the notebook's names of the two features


class DictRows(list):
    """One split of the notebook's DatasetDict: rows ``{'image': 8x8 pixels, 'label': int}``, ``features``."""

    features = ("image", "label")

    def __init__(self, rows, transform=None):
        super().__init__(rows)
        self.transform = transform

    def with_transform(self, transform):
        return DictRows(self, transform)

    def __getitem__(self, i):
        row = super().__getitem__(i)
        if self.transform is None:
            return row
        batch = self.transform({k: [v] for k, v in row.items()})  # HF transforms see batches of rows
        return {k: v[0] for k, v in batch.items()}


def _dataset_dict():
    X, labels = nn.datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(X))
    rows = [{x: X[i].reshape(8, 8), y: int(labels[i])} for i in order]
    return {"train": DictRows(rows[:1500]), "test": DictRows(rows[1500:])}


def to_tensor(image):  # torchvision's TF.to_tensor of a greyscale image: (1, H, W) floats in [0, 1]
    return ag.tensor(np.asarray(image)[None] / 16.0)


# ---------------------------------------------------------------- 05_datasets
def collate_fn(b):
    return {x: torch.stack([to_tensor(o[x]) for o in b]), y: torch.tensor([o[y] for o in b])}


def inplace(f):
    def _f(b):
        f(b)
        return b

    return _f


@inplace
def transformi(b):
    b[x] = [torch.flatten(to_tensor(o)) for o in b[x]]


def collate_dict(ds):
    get = itemgetter(*ds.features)

    def _f(b):
        return get(default_collate(b))

    return _f


def get_dls(train_ds, valid_ds, bs, **kwargs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True, **kwargs),
        DataLoader(valid_ds, batch_size=bs * 2, **kwargs),
    )


class DataLoaders:
    def __init__(self, *dls):
        self.train, self.valid = dls[:2]

    @classmethod
    def from_dd(cls, dd, batch_size, as_tuple=True, **kwargs):
        f = collate_dict(dd["train"])
        return cls(*get_dls(*dd.values(), bs=batch_size, collate_fn=f, **kwargs))


def test_05_three_collates_of_dict_rows_agree_and_dataloaders_from_dd():
    dsd = _dataset_dict()
    train = dsd["train"]
    assert train[0][y] == train[0]["label"] and train[0][x].shape == (8, 8)
    batch = collate_fn([train[i] for i in range(16)])
    assert batch[x].shape == (16, 1, 8, 8) and batch[y].shape == (16,)
    dl = DataLoader(train, batch_size=16, collate_fn=collate_fn)
    b = next(iter(dl))
    assert b[x].tolist() == batch[x].tolist() and b[y].tolist() == [train[i][y] for i in range(16)]
    tds = {k: v.with_transform(transformi) for k, v in dsd.items()}
    xb, yb = next(iter(DataLoader(tds["train"], batch_size=16, collate_fn=collate_dict(tds["train"]))))
    assert isinstance(xb, ag.Tensor) and xb.shape == (16, 64) and yb.tolist() == b[y].tolist()
    np.testing.assert_array_equal(xb.data, b[x].data.reshape(16, 64))
    dls = DataLoaders.from_dd(tds, batch_size=32)
    xb, yb = next(iter(dls.valid))
    assert xb.shape == (64, 64) and yb.shape == (64,) and len(dls.train) == 47
    assert yb.tolist() == [row[y] for row in dsd["test"][:64]]  # the valid loader keeps the order


# ---------------------------------------------------------------- 09_learner: the first Learner
def _dls(bs=50):
    tds = {k: v.with_transform(transformi) for k, v in _dataset_dict().items()}
    return DataLoaders.from_dd(tds, batch_size=bs)


def get_model():
    return nn.Sequential(nn.Linear(64, 50), nn.ReLU(), nn.Linear(50, 10))


class BasicLearner:  # the notebook's first Learner (named Learner there)
    def __init__(self, model, dls, loss_func, lr, opt_func=optim.SGD):
        self.model, self.dls, self.loss_func, self.lr, self.opt_func = model, dls, loss_func, lr, opt_func

    def one_batch(self):
        self.xb, self.yb = self.batch
        self.preds = self.model(self.xb)
        self.loss = self.loss_func(self.preds, self.yb)
        if self.model.training:
            self.loss.backward()
            self.opt.step()
            self.opt.zero_grad()
        with torch.no_grad():
            self.calc_stats()

    def calc_stats(self):
        acc = (self.preds.argmax(dim=1) == self.yb).float().sum()
        self.accs.append(acc)
        n = len(self.xb)
        self.losses.append(self.loss * n)
        self.ns.append(n)

    def one_epoch(self, train):
        self.model.training = train
        dl = self.dls.train if train else self.dls.valid
        for self.num, self.batch in enumerate(dl):
            self.one_batch()
        n = sum(self.ns)
        self.log.append((self.epoch, self.model.training, sum(self.losses).item() / n, sum(self.accs).item() / n))

    def fit(self, n_epochs):
        self.accs, self.losses, self.ns, self.log = [], [], [], []
        self.model.to("cpu")
        self.opt = self.opt_func(self.model.parameters(), self.lr)
        self.n_epochs = n_epochs
        for self.epoch in range(n_epochs):
            self.one_epoch(True)
            with torch.no_grad():
                self.one_epoch(False)


def test_09_the_first_learner_trains_and_keeps_running_stats():
    torch.manual_seed(1)
    learn = BasicLearner(get_model(), _dls(), F.cross_entropy, lr=0.5)
    learn.fit(5)
    assert [(e, t) for e, t, _, _ in learn.log] == [(e, t) for e in range(5) for t in (True, False)]
    losses, accs = [row[2] for row in learn.log], [row[3] for row in learn.log]
    assert losses[-1] < losses[0] and accs[-1] > accs[0] > 0.5  # running means over all batches so far
    assert (learn.model(ag.stack([row for row, _ in _valid_rows()])).argmax(1) == _valid_labels()).float().mean() > 0.93


def _valid_rows():
    ds = _dataset_dict()["test"].with_transform(transformi)
    return [(ds[i][x], ds[i][y]) for i in range(len(ds))]


def _valid_labels():
    return ag.tensor([row[y] for row in _dataset_dict()["test"]])


# ---------------------------------------------------------------- 09_learner: metrics
class Metric:
    def __init__(self):
        self.reset()

    def reset(self):
        self.vals, self.ns = [], []

    def add(self, inp, targ=None, n=1):
        self.last = self.calc(inp, targ)
        self.vals.append(self.last)
        self.ns.append(n)

    @property
    def value(self):
        ns = torch.tensor(self.ns)
        return (torch.tensor(self.vals) * ns).sum() / ns.sum()

    def calc(self, inps, targs):
        return inps


class Accuracy(Metric):
    def calc(self, inps, targs):
        return (inps == targs).float().mean()


class MulticlassAccuracy(Accuracy):  # torcheval's interface over the notebook's Metric
    def update(self, preds, targ):
        self.add(preds.argmax(dim=1), targ, n=len(targ))

    def compute(self):
        return self.value


class Mean(Metric):
    def update(self, val, weight=1):
        self.add(val, n=weight)

    def compute(self):
        return self.value


def test_09_metric_and_accuracy_on_the_notebook_s_examples():
    acc = Accuracy()
    acc.add(torch.tensor([0, 1, 2, 0, 1, 2]), torch.tensor([0, 1, 1, 2, 1, 0]))
    acc.add(torch.tensor([1, 1, 2, 0, 1]), torch.tensor([0, 1, 1, 2, 1]))
    assert acc.value.item() == pytest.approx(0.45, rel=1e-6)  # two batches of 1/2 and 2/5, each counted once
    loss = Metric()
    loss.add(0.6, n=32)
    loss.add(0.9, n=2)
    assert loss.value.item() == pytest.approx(0.6176, abs=1e-4) and round(loss.value.item(), 2) == 0.62
