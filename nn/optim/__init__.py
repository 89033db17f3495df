"""Optimizers (SGD, AdaGrad, RMSprop, Adam, AdamW) and learning-rate schedulers, as ``torch.optim``.

>>> opt = nn.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
>>> scheduler = nn.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)   # also nn.optim.CosineAnnealingLR
>>> for epoch in range(50):
...     for xb, yb in loader:
...         opt.zero_grad(); loss_fn(model(xb), yb).backward(); opt.step()
...     scheduler.step()
>>> checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict()}   # resume exactly later
"""

from . import lr_scheduler
from .algorithms import SGD, AdaGrad, Adagrad, Adam, AdamW, RMSprop
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    InverseSqrtDecay,
    InverseTimeDecay,
    LambdaLR,
    LRSchedule,
    LRScheduler,
    MultiStepLR,
    PolynomialDecay,
    ReduceLROnPlateau,
    StepDecay,
    StepLR,
)
from .optimizer import Optimizer

__all__ = [
    "Optimizer",
    "SGD",
    "AdaGrad",
    "Adagrad",
    "RMSprop",
    "Adam",
    "AdamW",
    "lr_scheduler",
    "LRScheduler",
    "LRSchedule",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LambdaLR",
    "ReduceLROnPlateau",
    "InverseTimeDecay",
    "InverseSqrtDecay",
    "PolynomialDecay",
    "StepDecay",
]
