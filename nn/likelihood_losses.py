"""Negative log-likelihoods of counts and of Gaussian measurements, and the KL divergence, as
``torch.nn.functional`` spells them: ``poisson_nll_loss``, ``gaussian_nll_loss`` and ``kl_div`` (re-exported by
``nn.functional``; the modules are in losses.py and losses_more.py). Composed from Tensor ops: the engine derives
the gradients.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .loss_parts import _as_input, _check_reduction, _difference, _drawn_as_one, _reduce, _same_shape, _target_like
from .margin_losses import _number


@_drawn_as_one
def poisson_nll_loss(
    input: TensorLike,
    target: TensorLike,
    log_input: bool = True,
    full: bool = False,
    size_average: None = None,
    eps: float = 1e-8,
    reduce: None = None,
    reduction: str = "mean",
) -> Tensor:
    """The Poisson negative log-likelihood of counts ``target`` at rate λ, as PyTorch's ``F.poisson_nll_loss``:
    exp(input) - target * input for ``log_input=True`` (input = log λ), else input - target * log(input + eps).
    ``full=True`` adds Stirling's log(target!) ≈ t log t - t + ½ log(2π t) where t > 1.
    ``size_average`` and ``reduce`` are torch's deprecated spellings: give ``reduction``.

    >>> poisson_nll_loss(Tensor([0.0]), [2.0])      # exp(0) - 2 * 0
    Tensor(1.)
    """
    function = "poisson_nll_loss"
    if size_average is not None or reduce is not None:
        raise ValueError(
            f"{function}: size_average and reduce are deprecated in torch; use reduction='mean'/'sum'/'none'"
        )
    eps = _number(function, "eps", eps, 0.0)
    _check_reduction(function, reduction)
    x = _as_input(function, input)
    t = _target_like(function, target, x)
    _same_shape(function, x, t)
    if log_input:
        loss = x.exp() - t * x
    else:
        if (x.data < 0).any():
            raise ValueError(
                f"{function}: with log_input=False the input is the rate itself and must be >= 0, found "
                f"{x.data.min().item()}; pass log_input=True for log-rates"
            )
        loss = x - t * (x + eps).log()
    if full:
        counts = t.data
        safe = np.where(counts > 1, counts, 1.0)  # Stirling's term only where t > 1 (PyTorch's), 0 elsewhere
        stirling = np.where(counts > 1, safe * np.log(safe) - safe + 0.5 * np.log(2 * math.pi * safe), 0.0)
        loss = loss + stirling.astype(x.dtype)
    return _reduce(function, loss, reduction)


@_drawn_as_one
def gaussian_nll_loss(
    input: TensorLike,
    target: TensorLike,
    var: TensorLike | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """The Gaussian negative log-likelihood ½ (log var + (input - target)² / var), as PyTorch's
    ``F.gaussian_nll_loss``: ``input`` the predicted mean, ``var`` the predicted variance (input's shape, or
    input's without its last axis, or with a last axis of 1: one variance for a row; or a number). ``var`` is
    clamped to at least ``eps`` for the value only, as torch's in-place clamp under no_grad: the gradient
    passes the clamp as if it were not there. ``full=True`` adds ½ log(2π).

    >>> gaussian_nll_loss(Tensor([1.0]), [3.0], Tensor([2.0]))       # 0.5 * (log 2 + 4 / 2)
    Tensor(1.3466)
    """
    function = "gaussian_nll_loss"
    eps = _number(function, "eps", eps, 0.0)
    d = _difference(function, input, target, reduction)
    if isinstance(var, numbers.Real) and not isinstance(var, bool):
        v = Tensor(np.full(d.shape, float(var), d.dtype))
    else:
        v = _target_like(function, var, d)
    if v.shape != d.shape:
        if v.shape == d.shape[:-1]:
            v = v[..., None]  # one variance per row, for every value of the row
        elif not (d.ndim and v.shape[:-1] == d.shape[:-1] and v.shape[-1] == 1):
            raise ValueError(
                f"{function}: var of shape {v.shape} does not fit the input's {d.shape}; give var the input's shape, "
                f"{d.shape[:-1]} or {d.shape[:-1] + (1,)} (one variance per row)"
            )
    if (v.data < 0).any():
        raise ValueError(
            f"{function}: var must be >= 0 everywhere, found {v.data.min().item()}; predict a variance through "
            "softplus or exp to keep it positive"
        )
    # the clamp as a constant shift: the value of max(var, eps), the gradient of var itself (torch's no_grad clamp)
    clamped = v + (np.maximum(v.data, eps) - v.data)
    loss = 0.5 * (clamped.log() + d * d / clamped)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(function, loss, reduction)


@_drawn_as_one
def kl_div(input: TensorLike, target: TensorLike, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || p) pointwise, ``target * (log target - input)``, for log-probabilities ``input`` (a
    ``log_softmax``) and probabilities ``target`` (log-probabilities with ``log_target=True``); 0 where the
    target is 0. As PyTorch's: "batchmean" (the sum / N) is the divergence per example, "mean" divides by
    every element.

    >>> kl_div(Tensor([[0.5, 0.5]]).log(), [[1.0, 0.0]], reduction="batchmean")     # log 2
    Tensor(0.6931)
    """
    if reduction != "batchmean":
        _check_reduction("kl_div", reduction)
    input = _as_input("kl_div", input)
    target = _target_like("kl_div", target, input)
    _same_shape("kl_div", input, target)
    if not log_target and (target.data < 0).any():  # log-probabilities, most likely: PyTorch gives NaN
        index = tuple(int(i) for i in np.argwhere(target.data < 0)[0])
        raise ValueError(
            f"kl_div: target probabilities must be >= 0, found {target.data[index].item()} at index {index}; "
            "for a target of log-probabilities pass log_target=True"
        )
    probabilities = target.exp() if log_target else target
    log_target_values = target if log_target else ag.where(target > 0, target, 1.0).log()  # 0 log 0 = 0
    loss = probabilities * (log_target_values - input)
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce("kl_div", loss, reduction)


__all__ = ["poisson_nll_loss", "gaussian_nll_loss", "kl_div"]
