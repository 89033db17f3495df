"""Gradient clipping, as ``torch.nn.utils`` spells it: ``clip_grad_norm_`` (all gradients scaled together to a
joint norm of at most ``max_norm``: the direction kept), ``clip_grad_value_`` (each element clamped: the direction
may turn), and torch 2.6's two halves of ``clip_grad_norm_``, ``get_total_norm`` and ``clip_grads_with_norm_``
(for a norm taken over several models' gradients, or logged before clipping). ``nn.utils`` re-exports them.

Géron's example: the gradient [0.9, 100.0] clipped by value 1.0 becomes [0.9, 1.0] (now almost diagonal), by
norm 1.0 it becomes [0.00899964, 0.9999595] (the same direction; the book rounds the last digit).

>>> w = Tensor([0.0, 0.0], requires_grad=True)
>>> w.grad = np.array([0.9, 100.0])
>>> nn.utils.clip_grad_norm_([w], max_norm=1.0).item()      # the norm before clipping
100.00405...
>>> w.grad
array([0.00899964, 0.99995949])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable

import numpy as np

from autograd_core import Tensor


def with_grads(function: str, parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """The tensors of ``parameters`` that hold a gradient (checked by ``tensor_list``)."""
    return [p for p in tensor_list(function, parameters) if p.grad is not None]


def tensor_list(function: str, parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """``parameters`` (one Tensor or an iterable of them) as a list; a TypeError naming ``function`` otherwise."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    elif hasattr(parameters, "parameters") and hasattr(parameters, "forward"):
        raise TypeError(f"{function}: got the model itself; pass model.parameters()")
    parameters = list(parameters)
    if not all(isinstance(p, Tensor) for p in parameters):
        raise TypeError(
            f"{function}: expected Tensors (e.g. model.parameters()), got "
            f"{sorted({type(p).__name__ for p in parameters if not isinstance(p, Tensor)})}"
        )
    return parameters


def _norm_type(owner: str, norm_type: float | str) -> float:
    if isinstance(norm_type, str) and norm_type.strip().lower() in ("inf", "+inf", "infinity"):
        return math.inf  # PyTorch reads norm_type with float(): 'inf' is the max norm there too
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or not norm_type >= 1:
        raise ValueError(f"{owner}: norm_type must be a number >= 1 or math.inf, got {norm_type!r}")
    return float(norm_type)


def _max_norm(owner: str, max_norm: object) -> float:
    """``max_norm`` as a float >= 0; ``owner`` may name the argument itself (fit's "fit: clip_grad_norm")."""
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not float(max_norm) >= 0:
        what = owner if ":" in owner else f"{owner}: max_norm"
        raise ValueError(f"{what} must be a number >= 0, got {max_norm!r}")
    return float(max_norm)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``; returns the
    norm before clipping, as a 0-d Tensor (PyTorch's rule: scale by max_norm / (norm + 1e-6)
    when that is below 1). ``norm_type`` is any p >= 1 or ``math.inf`` (or ``'inf'``, as PyTorch).
    A non-finite norm, as PyTorch's: inf scales every gradient by 0 (an inf element becomes NaN), NaN makes
    every gradient NaN; ``error_if_nonfinite=True`` raises instead, before any gradient changes.
    ``foreach`` (torch's choice of kernel) is accepted and changes nothing.

    >>> w = Tensor([1.0, 1.0], requires_grad=True)
    >>> (w * np.array([3.0, 4.0])).sum().backward()      # w.grad = [3, 4], norm 5
    >>> nn.utils.clip_grad_norm_([w], 1.0).item()
    5.0
    >>> w.grad                                            # [3, 4] * 1 / (5 + 1e-6)
    array([0.59999988, 0.79999984])
    """
    owner = "clip_grad_norm_"
    max_norm, norm_type = _max_norm(owner, max_norm), _norm_type(owner, norm_type)
    params = with_grads(owner, parameters)
    if not params:
        return Tensor(0.0)
    total = _total_norm(owner, [np.asarray(p.grad) for p in params], norm_type, error_if_nonfinite)
    _scale_grads(params, max_norm, float(total))
    return Tensor(total)


def get_total_norm(
    tensors: Tensor | np.ndarray | Iterable[Tensor | np.ndarray | None],
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The joint ``norm_type``-norm of ``tensors`` (all their elements as one vector), as torch 2.6's
    ``nn.utils.get_total_norm``: give it the gradients, ``[p.grad for p in model.parameters()]`` (numpy arrays
    here; None entries are skipped), then ``clip_grads_with_norm_`` with the result. 0 for no tensors.

    >>> nn.utils.get_total_norm([np.array([3.0]), np.array([4.0]), None]).item()
    5.0
    """
    owner = "get_total_norm"
    norm_type = _norm_type(owner, norm_type)
    items = [tensors] if isinstance(tensors, (Tensor, np.ndarray)) else list(tensors)
    arrays = [np.asarray(t.data if isinstance(t, Tensor) else t) for t in items if t is not None]
    if any(a.dtype.kind not in "fiu" for a in arrays):
        raise TypeError(
            f"{owner}: expected gradients (numpy arrays or Tensors of numbers), got dtypes "
            f"{sorted({a.dtype.name for a in arrays})}; pass [p.grad for p in model.parameters()]"
        )
    if not arrays:
        return Tensor(0.0)
    return Tensor(_total_norm(owner, arrays, norm_type, error_if_nonfinite))


def clip_grads_with_norm_(
    parameters: Tensor | Iterable[Tensor], max_norm: float, total_norm: Tensor | float, foreach: bool | None = None
) -> None:
    """Scale every gradient of ``parameters`` by max_norm / (total_norm + 1e-6) when that is below 1, the
    ``total_norm`` given (``get_total_norm``'s), as torch 2.6's ``nn.utils.clip_grads_with_norm_``.

    >>> w = Tensor([0.0, 0.0], requires_grad=True)
    >>> w.grad = np.array([3.0, 4.0])
    >>> nn.utils.clip_grads_with_norm_([w], 1.0, nn.utils.get_total_norm([w.grad]))
    >>> w.grad
    array([0.59999988, 0.79999984])
    """
    owner = "clip_grads_with_norm_"
    max_norm = _max_norm(owner, max_norm)
    total = total_norm.data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    if total.size != 1 or total.dtype.kind not in "fiu":
        raise ValueError(f"{owner}: total_norm must be one number (get_total_norm's), got {total_norm!r}")
    _scale_grads(with_grads(owner, parameters), max_norm, float(total.reshape(())))


def _total_norm(owner: str, grads: list[np.ndarray], norm_type: float, error: bool) -> np.ndarray:
    """The joint norm as a 0-d array of the first gradient's float dtype (float64 sums underneath)."""
    with np.errstate(over="ignore", invalid="ignore"):  # an inf or NaN total is the answer, not a warning
        if norm_type == math.inf:
            total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
        elif norm_type == 2:  # the default: a BLAS dot per gradient (abs, power and sum: 3 passes, 2 temporaries)
            total = math.sqrt(sum(map(squared_norm, grads)))
        else:
            total = float(
                sum(float(np.sum(np.abs(g, dtype=np.float64) ** norm_type)) for g in grads) ** (1.0 / norm_type)
            )
    if error and not math.isfinite(total):
        raise FloatingPointError(
            f"{owner}: the total gradient norm is {total}; the loss or a gradient "
            "is NaN/Inf (pass error_if_nonfinite=False to clip anyway)"
        )
    return np.array(total, dtype=grads[0].dtype if grads[0].dtype.kind == "f" else np.float64)


def _scale_grads(params: list[Tensor], max_norm: float, total: float) -> None:
    scale = max_norm / (total + 1e-6)
    if scale >= 1:
        return
    with np.errstate(invalid="ignore"):  # inf * 0 = NaN, as torch's
        for p in params:  # a NaN total makes every gradient NaN, as PyTorch's clamp(scale, max=1) does
            g = np.asarray(p.grad)
            p.grad = (g * scale).astype(g.dtype, copy=False)


def squared_norm(array: np.ndarray) -> float:
    """The sum of the squares of ``array``'s elements, in float64, as one BLAS dot over its memory in its own
    layout: nn.Linear's weights and their gradients are column-major, which ``np.vdot`` copies first (25x slower).

    >>> nn.utils.squared_norm(np.asfortranarray([[3.0, 0.0], [0.0, 4.0]]))
    25.0
    """
    flat = np.ravel(array, order="K")  # a view for any contiguous layout
    if flat.dtype != np.float64:
        flat = flat.astype(np.float64)
    return float(np.dot(flat, flat))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place (``foreach`` accepted, unused).

    >>> w = Tensor([1.0, 1.0], requires_grad=True)
    >>> (w * np.array([0.2, -3.0])).sum().backward()
    >>> nn.utils.clip_grad_value_([w], 0.5)
    >>> w.grad
    array([ 0.2, -0.5])
    """
    if isinstance(clip_value, bool) or not isinstance(clip_value, numbers.Real) or not clip_value >= 0:
        raise ValueError(f"clip_grad_value_: clip_value must be a number >= 0, got {clip_value!r}")
    for p in with_grads("clip_grad_value_", parameters):
        g = np.asarray(p.grad)
        p.grad = np.clip(g, -clip_value, clip_value).astype(g.dtype, copy=False)


#: What ``gradient_clipper`` returns: clips the gradients of the parameters given, in place.
Clipper = Callable[[list[Tensor]], None]


def gradient_clipper(owner: str, clip_grad_norm: float | None, clip_grad_value: float | None) -> Clipper | None:
    """What ``nn.fit(clip_grad_norm=...)`` or ``(clip_grad_value=...)`` runs on the parameters between backward and
    the optimizer's step (Keras's ``clipnorm`` / ``clipvalue``); None for neither. Checked here, before training.

    >>> clip = gradient_clipper("fit", 1.0, None)
    >>> w = Tensor([0.0, 0.0], requires_grad=True); w.grad = np.array([3.0, 4.0]); clip([w]); w.grad
    array([0.59999988, 0.79999984])
    """
    if clip_grad_norm is not None and clip_grad_value is not None:
        raise ValueError(f"{owner}: give clip_grad_norm or clip_grad_value, not both")
    if clip_grad_norm is not None:
        max_norm = _max_norm(f"{owner}: clip_grad_norm", clip_grad_norm)
        return lambda params: _scale_grads(with_grads(owner, params), max_norm, _grads_norm(owner, params))
    if clip_grad_value is not None:
        if isinstance(clip_grad_value, bool) or not isinstance(clip_grad_value, numbers.Real) or clip_grad_value < 0:
            raise ValueError(f"{owner}: clip_grad_value must be a number >= 0, got {clip_grad_value!r}")
        return lambda params: clip_grad_value_(params, float(clip_grad_value))
    return None


def _grads_norm(owner: str, params: list[Tensor]) -> float:
    grads = [np.asarray(p.grad) for p in with_grads(owner, params)]
    return float(_total_norm(owner, grads, 2.0, False)) if grads else 0.0
