"""The update rules: SGD (momentum, Nesterov), RMSprop, Adam and AdamW (AdaGrad: adagrad.py).

Each follows ``torch.optim``'s update step for step (``tests/test_nn_optim*.py`` compare
them), including where weight decay enters: added to the gradient (``g + wd * p``,
L2 regularisation) for all but AdamW, which shrinks the weights directly
(``p *= 1 - lr * wd``, decoupled weight decay).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor, increment_version

from ..module_state import CastClock
from .optimizer import (
    Check,
    Optimizer,
    ParamGroup,
    Params,
    _betas,
    _flag,
    _number,
    checked_grad,
    weight_decayed,
    wrong_grad,
)
from .packed import packed_step

_NO_SCALE = np.empty(0)  # SGD's step before its first parameter's learning rate is made


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (PyTorch's form) and weight decay:
    g = grad + wd*p;  v = momentum*v + (1-dampening)*g (v = g at the first step);
    p -= lr * v, or with ``nesterov=True`` p -= lr * (g + momentum*v).

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9, nesterov=True)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w
    Tensor([ 0.62, -1.24], requires_grad=True)
    """

    state_names = ("momentum_buffer",)
    renamed_state: ClassVar[dict[str, str]] = {"velocity": "momentum_buffer"}

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "momentum": _number,
        "dampening": _number,
        "weight_decay": _number,
        "nesterov": _flag,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got momentum="
                f"{group['momentum']:g}, dampening={group['dampening']:g}"
            )
        return group

    def _step(self) -> None:
        groups = self.param_groups
        if type(self)._update is not SGD._update:
            return super()._step()  # a subclass's own update rule: the general loop
        for group in groups:
            if group["momentum"] or group["weight_decay"] or group["maximize"]:
                return super()._step()  # SGD with state, or gradient ascent: the general loop
        # Plain SGD (the defaults): p -= lr * grad and nothing else, without the per-parameter
        # call of the general loop (no state to keep).
        self.step_count += 1
        multiply, subtract, ndarray = np.multiply, np.subtract, np.ndarray  # locals: read once, not per parameter
        changed: list[Tensor] = []  # counted as changed in place in one call (~0.3 us a parameter less than p.data =)
        try:
            for group in groups:
                lr = group["lr"]
                # lr as a 0-d array of the parameter's dtype: the same float the Python number becomes
                # (numpy's weak-scalar rule), but numpy multiplies by it 0.15 us faster (10-row bias).
                scale_dtype, scale = None, _NO_SCALE  # made again only when the dtype changes (rarely, in a group)
                for p in group["params"]:
                    grad = p.grad
                    if grad is not None:
                        data = p.data
                        dtype = data.dtype
                        if type(grad) is not ndarray or grad.dtype is not dtype:
                            grad = checked_grad(self, p, grad)
                        elif grad.shape != data.shape:  # one comparison: numpy would broadcast (1,) silently
                            raise wrong_grad(self, p, grad)
                        if dtype is not scale_dtype:
                            scale_dtype, scale = dtype, np.array(lr, dtype)
                        subtract(data, multiply(grad, scale), data)  # data -= lr * grad, positional out
                        changed.append(p)
        finally:  # also those updated before a bad .grad stopped the step
            increment_version(changed)
        return None

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.array(grad, copy=True)
            else:
                state["momentum_buffer"] *= momentum
                state["momentum_buffer"] += (1 - group["dampening"]) * grad
            grad = grad + momentum * state["momentum_buffer"] if group["nesterov"] else state["momentum_buffer"]
        p.data -= group["lr"] * grad


class RMSprop(Optimizer):
    """Divide each step by a running root-mean-square of recent gradients (Hinton's lecture 6e):
    s = alpha s + (1-alpha) g**2;  p -= lr * g / (sqrt(s) + eps). ``centered=True`` subtracts the
    squared running mean of g from s (a variance); ``momentum`` accumulates the scaled steps.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = RMSprop([w], lr=0.01, alpha=0.9)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w
    Tensor([ 0.9684, -1.9684], requires_grad=True)
    """

    state_names = ("square_avg", "grad_avg", "momentum_buffer")
    renamed_state: ClassVar[dict[str, str]] = {
        "square_mean": "square_avg",
        "mean": "grad_avg",
        "velocity": "momentum_buffer",
    }

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "alpha": _number,
        "eps": _number,
        "weight_decay": _number,
        "momentum": _number,
        "centered": _flag,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        if group["alpha"] > 1:
            raise ValueError(f"RMSprop: alpha must be >= 0.0 and <= 1, got {group['alpha']!r}")
        return group

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        alpha = group["alpha"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        square_mean = state.setdefault("square_avg", np.zeros_like(p.data))
        square_mean *= alpha
        square_mean += (1 - alpha) * grad * grad
        if group["centered"]:
            mean = state.setdefault("grad_avg", np.zeros_like(p.data))
            mean *= alpha
            mean += (1 - alpha) * grad
            denominator = np.sqrt(square_mean - mean * mean) + group["eps"]
        else:
            denominator = np.sqrt(square_mean) + group["eps"]
        step = grad / denominator
        if group["momentum"]:
            velocity = state.setdefault("momentum_buffer", np.zeros_like(p.data))
            velocity *= group["momentum"]
            velocity += step
            step = velocity
        p.data -= group["lr"] * step


class Adam(Optimizer):
    """Adam: running means of the gradient (m) and its square (v), bias-corrected:
    m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g**2;
    p -= lr/(1-b1**t) * m / (sqrt(v)/sqrt(1-b2**t) + eps).
    ``weight_decay`` is L2 (added to g), or decoupled with ``decoupled_weight_decay=True`` (torch's; ``AdamW``).
    ``amsgrad=True`` (Reddi et al., PyTorch's) divides by the running maximum of v instead,
    ``v_max = max(v_max, v)``, kept as the state ``"max_exp_avg_sq"`` (torch's name),
    so a step never grows because v shrank. Switched on in the middle of a run, the maximum starts there.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=1e-3)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w
    Tensor([ 0.999, -1.999], requires_grad=True)
    >>> opt = Adam([w], lr=1e-3, amsgrad=True)
    >>> (w**2).sum().backward(); opt.step()
    >>> opt.param_groups[0]["amsgrad"], sorted(opt.state[0])
    (True, ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step'])
    """

    state_names = ("exp_avg", "exp_avg_sq", "step")
    renamed_state: ClassVar[dict[str, str]] = {
        "mean": "exp_avg",
        "square_mean": "exp_avg_sq",
        "max_square_mean": "max_exp_avg_sq",
    }
    whole_state = True

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "betas": _betas,
        "eps": _number,
        "weight_decay": _number,
        "amsgrad": _flag,
        "maximize": _flag,
        "decoupled_weight_decay": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, dict(defaults, decoupled_weight_decay=decoupled_weight_decay))

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """``Optimizer.load_state_dict``; a state saved before ``amsgrad`` or ``decoupled_weight_decay`` existed
        loads with ``amsgrad=False`` (as PyTorch's) and this optimizer's own decay (AdamW's decoupled one, Adam's
        L2): ``opt.load_state_dict(old_state)``."""
        groups = state_dict.get("param_groups") if isinstance(state_dict, dict) else None
        if isinstance(groups, (list, tuple)):
            older = {"amsgrad": False, "decoupled_weight_decay": self.defaults["decoupled_weight_decay"]}
            groups = [{**older, **g} if isinstance(g, dict) else g for g in groups]
            state_dict = {**state_dict, "param_groups": groups}
        super().load_state_dict(state_dict)

    def _check_state_names(self, owner: str, index: int, names: set[str], group: ParamGroup) -> None:
        """With ``amsgrad`` a stepped parameter's state also holds its running maximum of v (without,
        one is kept but unused, as in PyTorch: a run that switched amsgrad off still resumes)."""
        if group["amsgrad"] and names and "max_exp_avg_sq" not in names:
            raise ValueError(
                f"{owner}: the group of parameter {index} has amsgrad=True but its state holds no "
                f"'max_exp_avg_sq' (it holds {sorted(names)}), as an Adam without amsgrad saves it; to switch "
                "amsgrad on in a resumed run, load the state as saved, then set param_groups[i]['amsgrad'] = True"
            )
        return super()._check_state_names(owner, index, names - {"max_exp_avg_sq"}, group)

    def _step(self) -> None:
        """Each group's update runs once over all its parameters at once (``nn/optim/packed.py``)."""
        if type(self)._update is not Adam._update:
            return super()._step()  # a subclass's own update rule: the general loop
        if self._casts_seen != CastClock.now:
            self._follow_casts()
        self.step_count += 1
        start = 0
        for number, group in enumerate(self.param_groups):
            params = group["params"]
            states = self.state[start : start + len(params)]
            start += len(params)
            if not packed_step(self, number, group, states):
                self._update_group(group, states)
        return None

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        lr, grad = group["lr"], weight_decayed(grad, p, group)
        if "step" not in state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
        state["step"] += 1
        t, mean, square_mean = state["step"], state["exp_avg"], state["exp_avg_sq"]
        # The expressions of the docstring, one ufunc at a time in the same order (so the same
        # floats), into two arrays instead of eight temporaries: 5% off a large MLP's Adam step.
        scratch = np.asarray((1 - beta1) * grad)  # asarray: a 0-d product is a numpy scalar
        mean *= beta1
        mean += scratch
        np.multiply(grad, 1 - beta2, out=scratch)
        scratch *= grad
        square_mean *= beta2
        square_mean += scratch
        if group["amsgrad"]:  # the denominator's v is its running maximum (zeros at first: max(0, v) = v)
            maximum = state.setdefault("max_exp_avg_sq", np.zeros_like(p.data))
            square_mean = np.maximum(maximum, square_mean, out=maximum)
        denominator = np.sqrt(square_mean, out=scratch)
        denominator /= math.sqrt(1 - beta2**t)
        denominator += group["eps"]
        update = np.asarray(lr / (1 - beta1**t) * mean)
        update /= denominator
        p.data -= update


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): first p *= 1 - lr*wd, then
    Adam's step on the plain gradient, so the decay is not rescaled by 1/sqrt(v). ``amsgrad`` as in Adam.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = AdamW([w], lr=1e-3, weight_decay=0.01)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w
    Tensor([ 0.999, -1.999], requires_grad=True)
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
