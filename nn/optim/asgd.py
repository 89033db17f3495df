"""ASGD, averaged stochastic gradient descent (Polyak & Juditsky 1992; Bottou's schedule), as ``torch.optim.ASGD``:
SGD with a slowly decaying step size whose iterates are averaged once ``t0`` steps have passed; the average,
not the last iterate, is the estimate (it converges at the optimal rate where the iterates only wander)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from autograd_core import Tensor

from .optimizer import Check, Optimizer, ParamGroup, Params, _flag, _number


class ASGD(Optimizer):
    """With eta the step size (``lr`` at first) and mu the averaging weight (1 at first), each step
    p *= 1 - lambd eta;  p -= eta g;  ax += mu (p - ax) (ax = p while mu = 1);
    then eta = lr / (1 + lambd lr t)**alpha and mu = 1 / max(1, t - t0). So ax is the mean of the iterates from
    step t0 + 2 on, kept as the state ``"ax"`` (torch's name); ``weight_decay`` adds wd*p to g.
    ``eta`` and ``mu`` are Python floats (float64); torch keeps them in its default dtype (float32 unless
    ``torch.set_default_dtype(torch.float64)``), which moves its steps by ~1e-8 relative.

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = nn.optim.ASGD([w], lr=0.1, lambd=0.0, t0=0)
    >>> for _ in range(3):
    ...     opt.zero_grad(); (w**2).sum().backward(); opt.step()
    >>> w, opt.state[0]["ax"]   # the mean of the iterates of steps 2 and 3
    (Tensor([ 0.512, -1.024], requires_grad=True), array([ 0.576, -1.152]))
    """

    state_names = ("step", "eta", "mu", "ax")
    renamed_state: ClassVar[dict[str, str]] = {"average": "ax"}
    whole_state = True
    number_state = ("eta", "mu")

    hyperparameters: ClassVar[dict[str, Check]] = {
        "lr": _number,
        "lambd": _number,
        "alpha": _number,
        "t0": _number,
        "weight_decay": _number,
        "maximize": _flag,
    }

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, maximize=maximize)
        )

    def _update(self, p: Tensor, grad: np.ndarray, state: dict[str, Any], group: ParamGroup) -> None:
        lr, lambd = group["lr"], group["lambd"]
        if not state:
            state.update(step=0, eta=lr, mu=1.0, ax=np.zeros_like(p.data))
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.data
        eta, average = state["eta"], state["ax"]
        p.data *= 1 - lambd * eta  # the decay of the paper's regularised objective
        p.data -= eta * grad
        if state["mu"] != 1:
            average += (p.data - average) * state["mu"]
        else:  # before t0 the average is the last iterate
            average[...] = p.data
        step = state["step"]
        state["eta"] = lr / (1 + lambd * lr * step) ** group["alpha"]
        state["mu"] = 1 / max(1, step - group["t0"])
