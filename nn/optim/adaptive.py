"""Adam's relatives, as ``torch.optim``'s: Adamax (the infinity norm), NAdam (Nesterov momentum), RAdam (the
variance rectified), and Rprop (the signs of the gradient only).

Each follows the pseudo-code of its ``torch.optim`` page (argument names, defaults, checks, where weight decay
enters) and the papers Ruder's overview cites; ``tests/test_optimizer_ports*.py`` run them against those
formulas and against ``torch.optim``. PyTorch's ``foreach``/``capturable``/``differentiable``/``maximize`` are
not taken, as by the other optimizers here.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from .optimizer import Check, Optimizer, ParamGroup, Params, _betas, _flag, _number, weight_decayed


def _moments(grad: np.ndarray, state: dict[str, Any], p: Tensor, beta1: float, beta2: float) -> int:
    """Adam's running means of g and g**2 (m = b1 m + (1-b1) g, v = b2 v + (1-b2) g**2), and the step number t."""
    if "step" not in state:
        state.update(step=0, exp_avg=np.zeros_like(p.data), exp_avg_sq=np.zeros_like(p.data))
    state["step"] += 1
    state["exp_avg"] *= beta1
    state["exp_avg"] += (1 - beta1) * grad
    state["exp_avg_sq"] *= beta2
    state["exp_avg_sq"] += (1 - beta2) * (grad * grad)
    return int(state["step"])


class Adamax(Optimizer):
    """Adam with the infinity norm in place of the root mean square (Kingma & Ba, section 7.1):
    m = b1 m + (1-b1) g;  u = max(b2 u, |g| + eps);  p -= lr / (1 - b1**t) * m / u.
    The step is bounded by lr / (1 - b1**t) whatever the gradient's scale; ``weight_decay`` is L2 (added to g).

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = nn.optim.Adamax([w], lr=0.1)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w   # the first step is lr * g / |g|
    Tensor([ 0.9, -1.9], requires_grad=True)
    >>> sorted(opt.state[0])
    ['exp_avg', 'exp_inf', 'step']
    """

    state_names = ("exp_avg", "exp_inf", "step")
    renamed_state: ClassVar[dict[str, str]] = {"mean": "exp_avg", "infinity_norm": "exp_inf"}
    whole_state = True

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "betas": _betas,
        "eps": _number,
        "weight_decay": _number,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        grad = weight_decayed(grad, p, group)
        if "step" not in state:
            state.update(step=0, exp_avg=np.zeros_like(p.data), exp_inf=np.zeros_like(p.data))
        state["step"] += 1
        mean, infinity_norm = state["exp_avg"], state["exp_inf"]
        mean *= beta1
        mean += (1 - beta1) * grad
        infinity_norm *= beta2
        np.maximum(infinity_norm, np.abs(grad) + group["eps"], out=infinity_norm)
        p.data -= group["lr"] * mean / ((1 - beta1 ** state["step"]) * infinity_norm)  # the torch page's order


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat 2016), with its momentum schedule
    mu_t = b1 (1 - 0.5 * 0.96**(t * momentum_decay)) and P_t = mu_1 ... mu_t (the state ``"mu_product"``):
    m, v as in Adam;  d = sqrt(v / (1 - b2**t)) + eps;
    p -= lr (1 - mu_t) / (1 - P_t) * g / d + lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / d.
    ``weight_decay`` is L2, or decoupled as AdamW's with ``decoupled_weight_decay=True`` (torch's "NAdamW").
    A large ``momentum_decay`` (1e4) makes every mu_t = b1: Dozat's constant-momentum rule.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = nn.optim.NAdam([w], lr=0.1)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w
    Tensor([ 0.9, -1.9], requires_grad=True)
    >>> sorted(opt.state[0]), round(opt.state[0]["mu_product"], 6)   # mu_1 = 0.9 (1 - 0.5 * 0.96**0.004)
    (['exp_avg', 'exp_avg_sq', 'mu_product', 'step'], 0.450073)
    """

    state_names = ("exp_avg", "exp_avg_sq", "step", "mu_product")
    renamed_state: ClassVar[dict[str, str]] = {"mean": "exp_avg", "square_mean": "exp_avg_sq"}
    whole_state = True

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "betas": _betas,
        "eps": _number,
        "weight_decay": _number,
        "momentum_decay": _number,
        "decoupled_weight_decay": _flag,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                momentum_decay=momentum_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """``Optimizer.load_state_dict``, with each stepped parameter's ``"mu_product"`` (a number in (0, 1),
        or the 0-d array a checkpoint file makes of it) checked first: ``opt.load_state_dict(saved)``."""
        owner = f"{type(self).__name__}.load_state_dict"
        saved = state_dict.get("state") if isinstance(state_dict, dict) else None
        if not isinstance(saved, dict):
            return super().load_state_dict(state_dict)  # its own error for a malformed dict
        products, rest = {}, {}
        for key, entries in saved.items():
            entries = dict(entries)
            if entries and ("mu_product" not in entries or len(entries) == 1):
                raise ValueError(
                    f"{owner}: the state of parameter {key} holds {sorted(entries)}, not NAdam's 'mu_product' with its "
                    "running means; was it saved by another optimizer? Load a state saved by NAdam"
                )
            if entries:
                value = np.asarray(entries.pop("mu_product"))
                if value.shape != () or value.dtype.kind != "f" or not 0 < float(value) < 1:
                    raise ValueError(
                        f"{owner}: state 'mu_product' of parameter {key} must be a number in (0, 1) (a product of "
                        f"momentum coefficients), got {value!r}"
                    )
                products[int(key)] = float(value)
            rest[key] = entries
        super().load_state_dict({**state_dict, "state": rest})
        for index, product in products.items():
            self.state[index]["mu_product"] = product

    def _check_state_names(self, owner: str, index: int, names: set[str], group: ParamGroup) -> None:
        # load_state_dict checked and set apart "mu_product"
        return super()._check_state_names(owner, index, names | {"mu_product"} if names else names, group)

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        grad = weight_decayed(grad, p, group)
        state.setdefault("mu_product", 1.0)
        t = _moments(grad, state, p, beta1, beta2)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        product = state["mu_product"]
        denominator = np.sqrt(state["exp_avg_sq"] / (1 - beta2**t)) + group["eps"]
        p.data -= lr * (1.0 - mu) / (1.0 - product) * (grad / denominator)
        p.data -= lr * mu_next / (1.0 - product * mu_next) * (state["exp_avg"] / denominator)


class RAdam(Optimizer):
    """Adam with its adaptive step switched on only once the variance of 1/sqrt(v) is tractable (Liu et al.
    2020): rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2 t b2**t / (1 - b2**t); m, v as in Adam, m^ = m/(1-b1**t);
    if rho_t > 5: p -= lr * m^ * r_t * sqrt(1 - b2**t) / (sqrt(v) + eps), with the rectification
    r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t)); else p -= lr * m^ (SGD with momentum).
    With the default b2 = 0.999 the first five steps are momentum SGD. ``decoupled_weight_decay`` as NAdam's.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = nn.optim.RAdam([w], lr=0.1)
    >>> (w**2).sum().backward(); opt.step(); opt.zero_grad()
    >>> w   # rho_1 = 1: the plain step lr * g
    Tensor([ 0.8, -1.6], requires_grad=True)
    """

    state_names = ("exp_avg", "exp_avg_sq", "step")
    renamed_state: ClassVar[dict[str, str]] = {"mean": "exp_avg", "square_mean": "exp_avg_sq"}
    whole_state = True

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "betas": _betas,
        "eps": _number,
        "weight_decay": _number,
        "decoupled_weight_decay": _flag,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=betas,
                eps=eps,
                weight_decay=weight_decay,
                decoupled_weight_decay=decoupled_weight_decay,
                maximize=maximize,
            ),
        )

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        beta1, beta2 = group["betas"]
        grad = weight_decayed(grad, p, group)
        t = _moments(grad, state, p, beta1, beta2)
        corrected_mean = state["exp_avg"] / (1 - beta1**t)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5.0:
            rectification = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(1 - beta2**t) / (np.sqrt(state["exp_avg_sq"]) + group["eps"])
            p.data -= corrected_mean * group["lr"] * adaptive * rectification
        else:
            p.data -= corrected_mean * group["lr"]


def _etas(owner: str, name: str, value: object) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{owner}: {name} must be a pair (etaminus, etaplus), got {value!r}")
    minus, plus = (_number(owner, f"{name}[{i}]", eta) for i, eta in enumerate(value))
    if not 0.0 < minus < 1.0 < plus:
        raise ValueError(f"{owner}: {name} must satisfy 0 < etaminus < 1 < etaplus, got {value!r}")
    return minus, plus


def _step_sizes(owner: str, name: str, value: object) -> tuple[float, float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{owner}: {name} must be a pair (min_step, max_step), got {value!r}")
    low, high = (_number(owner, f"{name}[{i}]", size) for i, size in enumerate(value))
    if low > high:
        raise ValueError(f"{owner}: {name} must be (min_step, max_step) with min_step <= max_step, got {value!r}")
    return low, high


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun 1993): each coordinate moves by its own step size, by the
    sign of g only. The step size grows by etaplus while g keeps its sign, shrinks by etaminus when it flips
    (and that step is skipped: g is taken as 0, so the next step counts as unchanged), clamped to
    ``step_sizes = (min, max)``; it starts at ``lr``. p -= sign(g) * step_size. Meant for full-batch gradients.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = nn.optim.Rprop([w], lr=0.1)
    >>> for _ in range(3):
    ...     opt.zero_grad(); (w**2).sum().backward(); opt.step()
    >>> w, opt.state[0]["step_size"]   # steps of 0.1, 0.12, 0.144
    (Tensor([ 0.636, -1.636], requires_grad=True), array([0.144, 0.144]))
    """

    state_names = ("prev", "step_size", "step")
    renamed_state: ClassVar[dict[str, str]] = {"previous_grad": "prev"}
    whole_state = True

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "etas": _etas,
        "step_sizes": _step_sizes,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize))

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        etaminus, etaplus = group["etas"]
        if "step" not in state:  # the step size starts at the group's lr when the parameter first steps
            state.update(step=0, prev=np.zeros_like(p.data), step_size=np.full_like(p.data, group["lr"]))
        state["step"] += 1
        agreement = np.sign(grad * state["prev"])
        factor = np.where(agreement > 0, etaplus, np.where(agreement < 0, etaminus, 1.0)).astype(p.dtype)
        step_size = state["step_size"]
        step_size *= factor
        np.clip(step_size, *group["step_sizes"], out=step_size)
        grad = np.where(agreement < 0, 0.0, grad).astype(p.dtype)  # a flipped sign: no step, and "unchanged" next
        p.data -= np.sign(grad) * step_size
        state["prev"][...] = grad
