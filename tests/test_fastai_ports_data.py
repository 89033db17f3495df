"""fast.ai's course22p2 ("from the foundations"), notebook 04_minibatch_training's second half ported step by
step (see ``test_fastai_ports.py`` for the conventions; ``nn.data`` for ``torch.utils.data``, the digits for
MNIST): a ``Dataset`` and ``DataLoader`` by hand, then a ``Sampler``, a ``BatchSampler`` and ``collate``, then
a pool of worker processes; torch's ``DataLoader`` with ``batch_sampler=``, ``sampler=`` (a batch sampler as the
sampler: batches of one batch), ``shuffle``/``drop_last``/``num_workers``, equal batch for batch to the loader by
hand and to torch's; ``fit`` with a validation loop, over ``random_split``'s parts.

Where the notebook's spelling differs here: fastcore's ``store_attr`` and ``chunked`` are written out
(``itertools.islice``); the notebook's second ``BatchSampler`` and ``DataLoader`` by hand are named
``BySampler`` and ``ByHandLoader`` (torch's own are imported under their names); the multiprocessing
DataLoader (``PoolLoader`` here) forks its pool with the standard library's ``multiprocessing`` (torch's is a
wrapper of it); ``nn.data.DataLoader`` accepts ``num_workers`` and makes batches in this process.
"""

import multiprocessing
import random
from itertools import islice

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import optim
from nn.data import BatchSampler, DataLoader, RandomSampler, random_split

torch = ag  # the notebook's own spelling, kept so each step reads as the notebook does
m, nh, bs, lr = 64, 50, 50, 0.5  # the notebook: 784 pixels, 50 hidden, batches of 50, lr 0.5


def _digits():
    """x_train, y_train, x_valid, y_valid: 1,500 and 297 rows of the digits, shuffled once."""
    X, y = nn.datasets.load_digits()
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order] / 16.0, y[order]
    return ag.tensor(X[:1500]), ag.tensor(y[:1500]), ag.tensor(X[1500:]), ag.tensor(y[1500:])


x_train, y_train, x_valid, y_valid = _digits()


def accuracy(out, yb):
    return (out.argmax(dim=1) == yb).float().mean()


# ---------------------------------------------------------------- Dataset and DataLoader by hand
class Dataset:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class Sampler:
    def __init__(self, ds, shuffle=False):
        self.n, self.shuffle = len(ds), shuffle

    def __iter__(self):
        res = list(range(self.n))
        if self.shuffle:
            random.shuffle(res)
        return iter(res)


class BySampler:  # the notebook's BatchSampler, with fastcore's chunked written out
    def __init__(self, sampler, bs, drop_last=False):
        self.sampler, self.bs, self.drop_last = sampler, bs, drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while chunk := list(islice(it, self.bs)):
            if len(chunk) == self.bs or not self.drop_last:
                yield chunk


def collate(b):
    xs, ys = zip(*b)
    return torch.stack(xs), torch.stack(ys)


class ByHandLoader:  # the notebook's second DataLoader: batches of indices, made into tensors by collate_fn
    def __init__(self, ds, batchs, collate_fn=collate):
        self.ds, self.batchs, self.collate_fn = ds, batchs, collate_fn

    def __iter__(self):
        yield from (self.collate_fn(self.ds[i] for i in b) for b in self.batchs)


def test_04_dataset_sampler_batch_sampler_and_collate_by_hand():
    train_ds, valid_ds = Dataset(x_train, y_train), Dataset(x_valid, y_valid)
    assert len(train_ds) == len(x_train) and len(valid_ds) == len(x_valid)
    xb, yb = train_ds[0:5]
    assert xb.shape == (5, 64) and yb.shape == (5,)
    ss = Sampler(train_ds)
    it = iter(ss)
    assert [next(it) for _ in range(3)] == [0, 1, 2] and list(islice(ss, 5)) == [0, 1, 2, 3, 4]
    random.seed(42)
    shuffled = list(islice(Sampler(train_ds, shuffle=True), 5))
    assert len(set(shuffled)) == 5 and shuffled != [0, 1, 2, 3, 4]
    assert list(islice(BySampler(ss, 4), 3)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert [len(b) for b in BySampler(range(10), 4)] == [4, 4, 2] and len(list(BySampler(range(10), 4, True))) == 2
    xs, ys = collate([train_ds[:5], train_ds[5:10]])
    assert xs.shape == (2, 5, 64) and ys.shape == (2, 5)
    valid_dl = ByHandLoader(valid_ds, batchs=BySampler(Sampler(valid_ds), bs))
    xb, yb = next(iter(valid_dl))
    assert xb.shape == (bs, 64) and yb.tolist() == y_valid[:bs].tolist()
    assert xb[0].view(8, 8).tolist() == x_valid[0].reshape(8, 8).tolist()
    train_dl = ByHandLoader(train_ds, batchs=BySampler(Sampler(train_ds, shuffle=True), bs))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10))
    opt = optim.SGD(model.parameters(), lr=lr)
    for _epoch in range(5):
        for xb, yb in train_dl:
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            opt.zero_grad()
    assert accuracy(model(x_valid), y_valid).item() > 0.93


class PoolLoader:  # the notebook's multiprocessing DataLoader: workers index the dataset with whole batches
    def __init__(self, ds, batchs, n_workers=1, collate_fn=collate):
        self.ds, self.batchs, self.n_workers, self.collate_fn = ds, batchs, n_workers, collate_fn

    def __iter__(self):
        with multiprocessing.get_context("fork").Pool(self.n_workers) as ex:  # the notebook: torch.multiprocessing
            yield from ex.map(self.ds.__getitem__, iter(self.batchs))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="the pool forks its workers")
def test_04_a_multiprocessing_loader_s_workers_send_tensor_batches_back():
    train_ds = Dataset(x_train, y_train)
    train_dl = PoolLoader(train_ds, BySampler(Sampler(train_ds), bs), n_workers=2)
    batches = list(train_dl)  # each batch made in a worker, pickled back
    torch.manual_seed(0)
    assert len(batches) == 30 and all(isinstance(xb, ag.Tensor) and xb.shape == (bs, 64) for xb, _ in batches)
    assert [i for _, yb in batches for i in yb.tolist()] == y_train.tolist()
    model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10))
    opt = optim.SGD(model.parameters(), lr=lr)
    for _epoch in range(5):
        for xb, yb in batches:
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
            opt.zero_grad()
    assert accuracy(model(x_valid), y_valid).item() > 0.9


# ---------------------------------------------------------------- PyTorch's DataLoader
def _loaders(lib, train_ds, valid_ds):
    """The notebook's three ways to a sequential valid_dl, with ``lib``'s DataLoader and samplers."""
    data = nn.data if lib is ag else lib.utils.data
    valid_samp = data.BatchSampler(data.SequentialSampler(valid_ds), bs, drop_last=False)
    return [
        data.DataLoader(valid_ds, batch_sampler=valid_samp, collate_fn=collate),
        data.DataLoader(valid_ds, bs, sampler=data.SequentialSampler(valid_ds), collate_fn=collate),
        data.DataLoader(valid_ds, bs, shuffle=False, num_workers=0),
    ]


def test_04_pytorch_dataloader_with_samplers_batch_samplers_and_collate():
    train_ds, valid_ds = Dataset(x_train, y_train), Dataset(x_valid, y_valid)
    train_samp = BatchSampler(RandomSampler(train_ds), bs, drop_last=False)
    train_dl = DataLoader(train_ds, batch_sampler=train_samp, collate_fn=collate)
    xb, yb = next(iter(train_dl))
    assert xb.shape == (bs, 64) and len(train_dl) == 30
    torch.manual_seed(0)
    loader = DataLoader(train_ds, bs, sampler=RandomSampler(train_ds), collate_fn=collate)
    epoch = [i for _, yb in loader for i in yb.tolist()]
    assert sorted(epoch) == sorted(y_train.tolist()) and epoch[:50] != y_train[:50].tolist()  # all rows, shuffled
    dropped = DataLoader(train_ds, 64, shuffle=True, drop_last=True, num_workers=2)
    assert len(dropped) == 23 and all(xb.shape == (64, 64) for xb, _ in dropped)
    assert train_ds[[4, 6, 7]][1].tolist() == y_train[[4, 6, 7]].tolist()  # the dataset takes several rows
    by_batch = DataLoader(train_ds, sampler=train_samp)  # batches of one batch each
    xb, yb = next(iter(by_batch))
    assert xb.shape == (1, bs, 64) and yb.shape == (1, bs)
    ours = _loaders(ag, train_ds, valid_ds)
    want = list(ByHandLoader(valid_ds, BySampler(Sampler(valid_ds), bs)))
    for loader in ours:
        got = list(loader)
        assert len(got) == len(loader) == 6
        for (xg, yg), (xw, yw) in zip(got, want):
            assert xg.tolist() == xw.tolist() and yg.tolist() == yw.tolist()
    real = pytest.importorskip("torch")
    tds = Dataset(real.tensor(x_valid.data), real.tensor(y_valid.data))
    with_torch = globals()
    with_torch["torch"] = real  # collate's torch.stack
    try:
        theirs = [list(loader) for loader in _loaders(real, tds, tds)]
    finally:
        with_torch["torch"] = ag
    for loader, batches in zip(ours, theirs):
        for (xg, yg), (xt, yt) in zip(loader, batches):
            np.testing.assert_array_equal(xg.data, xt.numpy())
            np.testing.assert_array_equal(yg.data, yt.numpy())


# ---------------------------------------------------------------- validation and fit
def fit_valid(epochs, model, loss_func, opt, train_dl, valid_dl):
    """The notebook's fit: train, then the validation loss and accuracy weighted by batch size."""
    for _epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss = loss_func(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
        model.eval()
        with torch.no_grad():
            tot_loss, tot_acc, count = 0.0, 0.0, 0
            for xb, yb in valid_dl:
                pred = model(xb)
                n = len(xb)
                count += n
                tot_loss += loss_func(pred, yb).item() * n
                tot_acc += accuracy(pred, yb).item() * n
    return tot_loss / count, tot_acc / count


def get_dls(train_ds, valid_ds, bs, **kwargs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True, **kwargs),
        DataLoader(valid_ds, batch_size=bs * 2, **kwargs),
    )


def test_04_fit_with_a_validation_loop_over_random_split_parts():
    X, y = nn.datasets.load_digits()
    train_ds, valid_ds = random_split(nn.data.TensorDataset(ag.tensor(X / 16.0), ag.tensor(y)), [0.8, 0.2], seed=0)
    assert (len(train_ds), len(valid_ds)) == (1438, 359)
    torch.manual_seed(0)  # the shuffled order and the weights
    train_dl, valid_dl = get_dls(train_ds, valid_ds, bs)
    model = nn.Sequential(nn.Linear(m, nh), nn.ReLU(), nn.Linear(nh, 10))
    opt = optim.SGD(model.parameters(), lr=lr)
    loss, acc = fit_valid(5, model, F.cross_entropy, opt, train_dl, valid_dl)
    assert loss < 0.25 and acc > 0.93 and not model.training
    xv, yv = valid_ds[list(range(len(valid_ds)))]  # the weighted batch means are the whole set's means
    assert loss == pytest.approx(F.cross_entropy(model(xv), yv).item(), rel=1e-12)
    assert acc == pytest.approx(accuracy(model(xv), yv).item(), rel=1e-6)
