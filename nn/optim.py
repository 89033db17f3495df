"""Optimizers (SGD, AdaGrad, Adam) and learning-rate schedules.

An optimizer changes each parameter's values in place (``p.data -= ...``, the
parameter object itself is never replaced, so the model keeps it) from the
gradients that ``backward()`` accumulated in ``p.grad``. Each follows
``torch.optim``'s update step for step (weight decay is PyTorch's: ``wd * p`` added to
the gradient). Parameters whose ``.grad`` is None are skipped.

A schedule wraps an optimizer and sets ``optimizer.lr`` from its initial value;
call ``schedule.step()`` once per epoch (``nn.fit(..., scheduler=...)`` does):

>>> opt = SGD(model.parameters(), lr=0.1)
>>> schedule = InverseTimeDecay(opt, decay=0.5)   # lr_t = 0.1 / (1 + 0.5 t)
>>> for epoch in range(10):
...     train_one_epoch(); schedule.step()
"""
import math
import numbers

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def _number(owner, name, value, low=0.0, high=None, high_open=False):
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    if value < low or (high is not None and (value >= high if high_open else value > high)):
        upper = "" if high is None else f" and {'<' if high_open else '<='} {high}"
        raise ValueError(f"{owner}: {name} must be >= {low}{upper}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: holds the parameter list, ``lr``, per-parameter ``state``, and ``zero_grad``."""

    def __init__(self, params, lr):
        owner = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{owner}: params must be an iterable of Tensors (e.g. model.parameters()), "
                            "got a single Tensor; wrap it in a list")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{owner}: got an empty parameter list; pass model.parameters() "
                             "(a generator can only be used once)")
        seen = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad or not p.is_leaf:
                raise TypeError(f"{owner}: parameter {i} must be a leaf Tensor with requires_grad=True, got "
                                + (repr(p) if isinstance(p, Tensor) else type(p).__name__))
            if id(p) in seen:
                raise ValueError(f"{owner}: parameter {i} appears twice in the list")
            seen.add(id(p))
        self.lr = _number(owner, "lr", lr)
        self.state = [dict() for _ in self.params]
        self.step_count = 0

    def zero_grad(self):
        """Forget the parameters' gradients (``.grad = None``), before the next backward: ``opt.zero_grad()``."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Update every parameter that has a gradient, in place: ``loss.backward(); opt.step()``."""
        self.step_count += 1
        with ag.no_grad():
            for p, state in zip(self.params, self.state):
                if p.grad is not None:
                    self._update(p, np.asarray(p.grad, dtype=p.dtype), state)

    def _update(self, p, grad, state):
        raise NotImplementedError(f"{type(self).__name__} must define _update(p, grad, state): "
                                  "the update of one parameter (see SGD)")

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr:g}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (PyTorch's form) and weight decay:
    g = grad + wd*p;  v = momentum*v + g (v = g at the first step);  p -= lr * v.

    >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = _number("SGD", "momentum", momentum)
        self.weight_decay = _number("SGD", "weight_decay", weight_decay)

    def _update(self, p, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        if self.momentum:
            if "velocity" not in state:
                state["velocity"] = np.array(grad, copy=True)
            else:
                state["velocity"] *= self.momentum
                state["velocity"] += grad
            grad = state["velocity"]
        p.data -= self.lr * grad


class AdaGrad(Optimizer):
    """Per-coordinate step sizes that shrink with the sum of squared gradients:
    s += g**2;  p -= lr * g / (sqrt(s) + eps).

    >>> opt = AdaGrad(model.parameters(), lr=0.1)
    """

    def __init__(self, params, lr=0.01, eps=1e-10, weight_decay=0.0):
        super().__init__(params, lr)
        self.eps = _number("AdaGrad", "eps", eps)
        self.weight_decay = _number("AdaGrad", "weight_decay", weight_decay)

    def _update(self, p, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        squares = state.setdefault("sum_of_squares", np.zeros_like(p.data))
        squares += grad * grad
        p.data -= self.lr * grad / (np.sqrt(squares) + self.eps)


class Adam(Optimizer):
    """Adam: running means of the gradient (m) and its square (v), bias-corrected:
    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g**2;
    p -= lr/(1-b1**t) * m / (sqrt(v)/sqrt(1-b2**t) + eps).

    >>> opt = Adam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(_number("Adam", f"betas[{i}]", b, 0.0, 1.0, high_open=True) for i, b in enumerate(betas))
        self.eps = _number("Adam", "eps", eps)
        self.weight_decay = _number("Adam", "weight_decay", weight_decay)

    def _update(self, p, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        if "step" not in state:
            state.update(step=0, mean=np.zeros_like(p.data), square_mean=np.zeros_like(p.data))
        state["step"] += 1
        t, mean, square_mean = state["step"], state["mean"], state["square_mean"]
        mean *= beta1
        mean += (1 - beta1) * grad
        square_mean *= beta2
        square_mean += (1 - beta2) * grad * grad
        step_size = self.lr / (1 - beta1 ** t)
        denominator = np.sqrt(square_mean) / math.sqrt(1 - beta2 ** t) + self.eps
        p.data -= step_size * mean / denominator


Adagrad = AdaGrad  # PyTorch's spelling


# ---------------------------------------------------------------------------------- schedules
class LRSchedule:
    """Base class: ``step()`` advances the epoch counter t and sets
    ``optimizer.lr = factor(t) * initial_lr``; ``lr_at(t)`` gives the value for any t."""

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer) and not hasattr(optimizer, "lr"):
            raise TypeError(f"{type(self).__name__}: expected an optimizer with an 'lr', "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.initial_lr = float(optimizer.lr)
        self.t = 0

    def lr_at(self, t):
        """The learning rate after ``t`` calls of ``step()``: ``[schedule.lr_at(t) for t in range(10)]``."""
        return self.initial_lr * self.factor(t)

    def step(self):
        """Advance one epoch and update the optimizer's learning rate; returns the new lr:
        ``for epoch in range(n): train(); schedule.step()``."""
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)
        return self.optimizer.lr

    def factor(self, t):
        raise NotImplementedError(f"{type(self).__name__} must define factor(t): the learning-rate "
                                  "multiplier after t steps (see InverseTimeDecay)")


class InverseTimeDecay(LRSchedule):
    """lr_t = lr_0 / (1 + decay * t): O(1/t), the Robbins-Monro rate.

    >>> InverseTimeDecay(SGD(params, lr=1.0), decay=1.0).lr_at(3)
    0.25
    """

    def __init__(self, optimizer, decay=1.0):
        super().__init__(optimizer)
        self.decay = _number("InverseTimeDecay", "decay", decay)

    def factor(self, t):
        return 1.0 / (1.0 + self.decay * t)


class InverseSqrtDecay(LRSchedule):
    """lr_t = lr_0 / sqrt(1 + decay * t): O(1/sqrt(t)).

    >>> InverseSqrtDecay(SGD(params, lr=1.0), decay=1.0).lr_at(3)
    0.5
    """

    def __init__(self, optimizer, decay=1.0):
        super().__init__(optimizer)
        self.decay = _number("InverseSqrtDecay", "decay", decay)

    def factor(self, t):
        return 1.0 / math.sqrt(1.0 + self.decay * t)


class PolynomialDecay(LRSchedule):
    """lr_t = (lr_0 - end_lr) * (1 - t/total_steps)**power + end_lr, then end_lr after total_steps
    (PyTorch's PolynomialLR when end_lr = 0).

    >>> PolynomialDecay(SGD(params, lr=1.0), total_steps=4, power=2).lr_at(2)
    0.25
    """

    def __init__(self, optimizer, total_steps, power=1.0, end_lr=0.0):
        super().__init__(optimizer)
        if not isinstance(total_steps, numbers.Integral) or isinstance(total_steps, bool) or total_steps < 1:
            raise ValueError(f"PolynomialDecay: total_steps must be a positive int, got {total_steps!r}")
        self.total_steps = int(total_steps)
        self.power = _number("PolynomialDecay", "power", power)
        self.end_lr = _number("PolynomialDecay", "end_lr", end_lr)

    def lr_at(self, t):
        remaining = 1.0 - min(t, self.total_steps) / self.total_steps
        return (self.initial_lr - self.end_lr) * remaining ** self.power + self.end_lr

    def factor(self, t):
        return self.lr_at(t) / self.initial_lr if self.initial_lr else 0.0


class StepDecay(LRSchedule):
    """lr_t = lr_0 * gamma ** (t // step_size): divide by 1/gamma every step_size epochs
    (PyTorch's StepLR).

    >>> StepDecay(SGD(params, lr=1.0), step_size=2, gamma=0.1).lr_at(5)
    0.01
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        if not isinstance(step_size, numbers.Integral) or isinstance(step_size, bool) or step_size < 1:
            raise ValueError(f"StepDecay: step_size must be a positive int, got {step_size!r}")
        self.step_size = int(step_size)
        self.gamma = _number("StepDecay", "gamma", gamma)

    def factor(self, t):
        return self.gamma ** (t // self.step_size)


__all__ = ["Optimizer", "SGD", "AdaGrad", "Adagrad", "Adam", "LRSchedule", "InverseTimeDecay", "InverseSqrtDecay",
           "PolynomialDecay", "StepDecay"]
