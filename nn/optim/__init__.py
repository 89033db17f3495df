"""Optimizers (SGD, AdaGrad, RMSprop, Adadelta, Adam, AdamW, Adamax, NAdam, RAdam, Rprop, ASGD, LBFGS, Adafactor,
Muon, SparseAdam), learning-rate schedulers and weight averaging (``swa_utils.AveragedModel``), as ``torch.optim``.

>>> X, y = nn.datasets.make_moons(40, seed=0)
>>> model, loss_fn = nn.MLP([2, 8, 2], seed=0), nn.CrossEntropyLoss()
>>> loader = nn.data.DataLoader((X, y), batch_size=16, shuffle=True, seed=0)
>>> opt = nn.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.01)
>>> scheduler = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5)   # also nn.optim.CosineAnnealingLR
>>> for epoch in range(5):
...     for xb, yb in loader:
...         opt.zero_grad(); loss_fn(model(xb), yb).backward(); opt.step()
...     lr = scheduler.step()
>>> checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict()}   # resume exactly later
>>> opt.param_groups[0]["lr"], checkpoint["optimizer"]["step_count"]
(0.0, 15)
"""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import AdaGrad, Adagrad
from .adaptive import Adamax, NAdam, RAdam, Rprop
from .algorithms import SGD, Adam, AdamW, RMSprop
from .asgd import ASGD
from .lbfgs import LBFGS
from .lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    InverseSqrtDecay,
    InverseTimeDecay,
    LambdaLR,
    LinearLR,
    LRSchedule,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialDecay,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepDecay,
    StepLR,
)
from .muon import Muon
from .optimizer import Optimizer
from .sparse_adam import SparseAdam

__all__ = [
    "Optimizer",
    "SGD",
    "AdaGrad",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "RAdam",
    "Rprop",
    "LBFGS",
    "ASGD",
    "lr_scheduler",
    "swa_utils",
    "LRScheduler",
    "LRSchedule",
    "StepLR",
    "MultiStepLR",
    "OneCycleLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "LinearLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "ConstantLR",
    "CosineAnnealingWarmRestarts",
    "InverseTimeDecay",
    "InverseSqrtDecay",
    "PolynomialDecay",
    "StepDecay",
    "MultiplicativeLR",
    "PolynomialLR",
    "ChainedScheduler",
    "CyclicLR",
    "Adafactor",
    "Muon",
    "SparseAdam",
]
