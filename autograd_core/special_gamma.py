"""torch.special's regularised incomplete gamma functions and Hurwitz zeta: ``gammainc``, ``gammaincc``, ``zeta``.

Primitives in numpy (``primitives/incomplete_gamma.py``, ``primitives/zeta.py``: methods and accuracy there),
differentiable where torch is: gammainc and gammaincc in x (through exp, log and lgamma, so to any order) and
zeta in q (through zeta itself); the derivatives in a and in zeta's x have no closed form, and, as torch, asking
for them raises an error that names the function and the argument. The operands broadcast, and a Python number
takes the other operand's float dtype.

>>> from autograd_core import special
>>> x = Tensor([2.0], requires_grad=True)
>>> special.gammainc(1.0, x).backward()  # P(1, x) = 1 - e^-x, whose derivative is e^-x
>>> round(x.grad.item(), 15) == round(float(np.exp(-2.0)), 15)
True
"""

from __future__ import annotations

from .primitives.incomplete_gamma import Gammainc, Gammaincc
from .primitives.zeta import Zeta
from .special_polynomials import float_operands
from .tensor import Tensor
from .types import TensorLike

__all__ = ["gammainc", "gammaincc", "zeta"]


def _incomplete_gamma_operands(op: str, input: TensorLike, other: TensorLike) -> tuple[Tensor, Tensor]:
    a, x = float_operands(op, input, other)
    if a.dtype.kind != "f" and x.dtype.kind != "f":  # torch's igamma has no integer kernel either
        raise TypeError(
            f"{op}: a and x are both {a.dtype}/{x.dtype} tensors (as torch, integer pairs are refused); "
            f"make one of them float, e.g. a.double()"
        )
    return a, x


def gammainc(input: TensorLike, other: TensorLike) -> Tensor:
    """The regularised lower incomplete gamma function P(a, x) = integral_0^x t^(a-1) e^-t dt / Gamma(a), with
    a = ``input`` and x = ``other`` (torch.special.gammainc, torch.igamma); NaN for a < 0 or x < 0.
    d/dx = x^(a-1) e^-x / Gamma(a); d/da is not implemented (as torch).

    >>> [round(p, 15) for p in gammainc(Tensor([1.0, 0.5]), Tensor([1.0, 2.0])).tolist()]  # 1 - 1/e, erf(sqrt 2)
    [0.632120558828558, 0.954499736103642]
    """
    a, x = _incomplete_gamma_operands("gammainc", input, other)
    return Tensor.apply(Gammainc, a, x)


def gammaincc(input: TensorLike, other: TensorLike) -> Tensor:
    """The regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x), accurate where P is near 1
    (torch.special.gammaincc, torch.igammac). d/dx = -x^(a-1) e^-x / Gamma(a); d/da is not implemented.

    >>> float(gammaincc(Tensor([1.0]), Tensor([50.0])).item() / np.exp(-50.0))  # e^-50: no 1 - P cancellation
    1.0
    """
    a, x = _incomplete_gamma_operands("gammaincc", input, other)
    return Tensor.apply(Gammaincc, a, x)


def zeta(input: TensorLike, other: TensorLike) -> Tensor:
    """The Hurwitz zeta function zeta(x, q) = sum_{j >= 0} (q + j)^-x, x = ``input``, q = ``other``
    (torch.special.zeta); zeta(x, 1) is Riemann's. inf at x = 1, NaN for x < 1. d/dq = -x zeta(x + 1, q);
    d/dx is not implemented (as torch).

    >>> [round(v * k, 12) for v, k in zip(zeta(Tensor([2.0, 4.0]), 1.0).tolist(), [6, 90])]  # pi^2/6, pi^4/90
    [9.869604401089, 97.409091034002]
    """
    x, q = float_operands("zeta", input, other)
    return Tensor.apply(Zeta, x, q)
