"""torch.special's Bessel and Airy functions (``ag.special.bessel_j0``, ...), all differentiable.

J0 J1 Y0 Y1 and the spherical j0 (``primitives/bessel_jy.py``), K0 K1 and their scaled forms
(``primitives/bessel_k.py``) and Airy's Ai (``primitives/airy.py``) are primitives whose derivatives are primitives
of the same family, so ``create_graph`` gives derivatives of any order. ``modified_bessel_i0`` and
``modified_bessel_i1`` are ``i0`` and ``i1`` (``primitives/bessel.py``). torch computes these in the input's float
dtype and has no derivative for most of them; here float32 stays float32 (computed in float64, rounded once), an
integer input gives float64, and every one has its true derivative.

>>> from autograd_core import special
>>> x = Tensor([1.0], requires_grad=True)
>>> special.bessel_j0(x).backward()  # J0' = -J1
>>> round(x.grad.item(), 12) == round(-special.bessel_j1(Tensor([1.0])).item(), 12)
True
"""

from __future__ import annotations

from .functions import as_tensor
from .primitives.airy import AiryAi
from .primitives.bessel import I0, I1
from .primitives.bessel_jy import BesselJ0, BesselJ1, BesselY0, BesselY1, SphericalBesselJ0
from .primitives.bessel_k import ModifiedBesselK0, ModifiedBesselK1, ScaledModifiedBesselK0, ScaledModifiedBesselK1
from .tensor import Tensor
from .types import TensorLike

__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "spherical_bessel_j0",
]


def airy_ai(input: TensorLike) -> Tensor:
    """The Airy function Ai(x), the solution of y'' = x y decaying as x -> inf (torch.special.airy_ai); its
    derivative Ai' is a primitive too (torch has none). Within ~1e-15 of Ai's envelope everywhere.

    >>> round(airy_ai(Tensor([0.0])).item(), 15)  # 1 / (3^(2/3) Gamma(2/3))
    0.355028053887817
    """
    return Tensor.apply(AiryAi, as_tensor(input))


def bessel_j0(input: TensorLike) -> Tensor:
    """The Bessel function of the first kind of order 0, J0(x) (torch.special.bessel_j0); d/dx = -J1(x).

    >>> [round(v, 12) for v in bessel_j0(Tensor([0.0, 2.404825557695773])).tolist()]  # 1, and J0's first zero
    [1.0, 0.0]
    """
    return Tensor.apply(BesselJ0, as_tensor(input))


def bessel_j1(input: TensorLike) -> Tensor:
    """The Bessel function of the first kind of order 1, J1(x), odd (torch.special.bessel_j1);
    d/dx = J0(x) - J1(x)/x.

    >>> round(bessel_j1(Tensor([1.0])).item(), 15)
    0.440050585744934
    """
    return Tensor.apply(BesselJ1, as_tensor(input))


def bessel_y0(input: TensorLike) -> Tensor:
    """The Bessel function of the second kind of order 0, Y0(x) (torch.special.bessel_y0): -inf at 0, NaN for
    x < 0; d/dx = -Y1(x).

    >>> round(bessel_y0(Tensor([1.0])).item(), 15)
    0.088256964215677
    """
    return Tensor.apply(BesselY0, as_tensor(input))


def bessel_y1(input: TensorLike) -> Tensor:
    """The Bessel function of the second kind of order 1, Y1(x) (torch.special.bessel_y1): -inf at 0, NaN for
    x < 0; d/dx = Y0(x) - Y1(x)/x.

    >>> round(bessel_y1(Tensor([1.0])).item(), 15)
    -0.781212821300289
    """
    return Tensor.apply(BesselY1, as_tensor(input))


def modified_bessel_i0(input: TensorLike) -> Tensor:
    """I0(x), the modified Bessel function of the first kind (torch.special.modified_bessel_i0; ``i0``).

    >>> modified_bessel_i0(Tensor([1.0])).item()
    1.2660658777520082
    """
    return Tensor.apply(I0, as_tensor(input))


def modified_bessel_i1(input: TensorLike) -> Tensor:
    """I1(x), the modified Bessel function of the first kind of order 1 (torch.special.modified_bessel_i1; ``i1``).

    >>> modified_bessel_i1(Tensor([1.0])).item()
    0.5651591039924851
    """
    return Tensor.apply(I1, as_tensor(input))


def modified_bessel_k0(input: TensorLike) -> Tensor:
    """K0(x), the modified Bessel function of the second kind (torch.special.modified_bessel_k0): +inf at 0, NaN
    for x < 0; d/dx = -K1(x).

    >>> round(modified_bessel_k0(Tensor([1.0])).item(), 15)
    0.421024438240708
    """
    return Tensor.apply(ModifiedBesselK0, as_tensor(input))


def modified_bessel_k1(input: TensorLike) -> Tensor:
    """K1(x) (torch.special.modified_bessel_k1): +inf at 0, NaN for x < 0; d/dx = -K0(x) - K1(x)/x.

    >>> round(modified_bessel_k1(Tensor([1.0])).item(), 15)
    0.601907230197235
    """
    return Tensor.apply(ModifiedBesselK1, as_tensor(input))


def scaled_modified_bessel_k0(input: TensorLike) -> Tensor:
    """exp(x) K0(x), finite where K0 underflows (torch.special.scaled_modified_bessel_k0).

    >>> round(scaled_modified_bessel_k0(Tensor([1000.0])).item(), 15)  # ~ sqrt(pi / 2000) (1 - 1/8000)
    0.039628321600754
    """
    return Tensor.apply(ScaledModifiedBesselK0, as_tensor(input))


def scaled_modified_bessel_k1(input: TensorLike) -> Tensor:
    """exp(x) K1(x), finite where K1 underflows (torch.special.scaled_modified_bessel_k1).

    >>> round(scaled_modified_bessel_k1(Tensor([1.0])).item(), 15)
    1.636153486263258
    """
    return Tensor.apply(ScaledModifiedBesselK1, as_tensor(input))


def spherical_bessel_j0(input: TensorLike) -> Tensor:
    """The spherical Bessel function j0(x) = sin(x)/x, 1 at 0 (torch.special.spherical_bessel_j0);
    d/dx = -j1(x), through a primitive j1 (its series near 0, where sin(x)/x^2 - cos(x)/x cancels).

    >>> spherical_bessel_j0(Tensor([0.0])).item()
    1.0
    """
    return Tensor.apply(SphericalBesselJ0, as_tensor(input))
