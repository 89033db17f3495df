"""The rest of ``dir(torch.Tensor)`` that a CPU-only, dense, real engine can answer: the device and layout
queries (``is_cpu`` True; ``is_sparse is_quantized is_meta is_mps ...`` False; ``layout`` is ``ag.strided``),
``output_nr``, ``is_set_to``, ``is_shared``, and the methods over torch's top-level functions ``igamma igammac
prelu hardshrink geqrf orgqr ormqr`` (functions_more_torch.py, linalg_householder.py: imported at call time, as
they import Tensor). ``Tensor`` inherits them through ``TensorInPlace``.

>>> t = Tensor([[1.0, 2.0]])
>>> t.is_cpu, t.is_sparse, t.layout, t.is_set_to(t[:])
(True, False, torch.strided, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .tensor_base import TensorBase
from .types import TensorLike

if TYPE_CHECKING:
    from .linalg_householder import GeqrfResult
    from .tensor import Tensor


class Layout:
    """A tensor's memory layout, as ``torch.layout``: here always ``strided`` (dense, with numpy's strides)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"  # torch's spelling, so printed layouts read the same


strided = Layout("strided")


def _false(doc: str) -> property:
    return property(lambda self: False, doc=f"False: {doc} (a CPU-only, dense, real engine; torch's query).")


class TensorMoreTorch(TensorBase):
    """Layout and device queries, ``output_nr is_set_to is_shared`` and torch's ``igamma ... ormqr`` methods."""

    is_cpu = property(lambda self: True, doc="True: every tensor lives in numpy's (CPU) memory.")
    is_sparse = _false("no sparse COO tensors")
    is_sparse_csr = _false("no sparse CSR tensors")
    is_quantized = _false("no quantized tensors")
    is_meta = _false("no meta (shape-only) tensors")
    is_nested = _false("no nested tensors")
    is_mkldnn = _false("no MKL-DNN tensors")
    is_xla = is_xpu = is_mps = is_ipu = is_vulkan = is_maia = is_mtia = _false("no accelerator devices")

    @property
    def layout(self) -> Layout:
        """``ag.strided`` (its repr ``torch.strided``), the one layout here."""
        return strided

    @property
    def output_nr(self) -> int:
        """0: which output of the op that made it this tensor is, as torch's; every node here has one output (an
        op with several, as ``eigh``, records one node per output), so it is 0 even where torch counts 1, 2, ...

        >>> (Tensor([1.0], requires_grad=True) * 2).output_nr
        0
        """
        return 0

    def is_set_to(self, tensor: TensorLike) -> bool:
        """Whether ``tensor`` views the very same memory as this one: the same first element (storage and offset),
        shape and strides, as torch's.

        >>> x = ag.zeros(4)
        >>> x.is_set_to(x[:]), x.is_set_to(x.reshape(2, 2)), x.is_set_to(ag.zeros(4))
        (True, False, False)
        """
        if not isinstance(tensor, TensorBase):
            raise TypeError(f"is_set_to: compares two tensors, got {type(tensor).__name__}; pass a Tensor")
        mine, theirs = self._data, tensor._data
        if mine is theirs:
            return True
        if not (isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray)):
            return False  # a numpy scalar owns its value: only itself is set to it
        same_start = mine.__array_interface__["data"][0] == theirs.__array_interface__["data"][0]
        return bool(
            same_start and mine.dtype == theirs.dtype and (mine.shape, mine.strides) == (theirs.shape, theirs.strides)
        )

    def is_shared(self) -> bool:
        """False: no tensor is in shared memory (torch's ``share_memory_`` for multiprocessing has no match here)."""
        return False

    def igamma(self, other: TensorLike) -> Tensor:
        """``ag.igamma(self, other)``: the regularised lower incomplete gamma P(self, other).

        >>> round(Tensor([1.0]).igamma(Tensor([2.0])).item(), 12)  # 1 - e^-2
        0.864664716763
        """
        from .special_gamma import gammainc

        return gammainc(self, other)

    def igammac(self, other: TensorLike) -> Tensor:
        """``ag.igammac(self, other)``: Q(self, other) = 1 - P(self, other).

        >>> round(Tensor([1.0]).igammac(Tensor([2.0])).item(), 12)  # e^-2
        0.135335283237
        """
        from .special_gamma import gammaincc

        return gammaincc(self, other)

    def igamma_(self, other: TensorLike) -> Tensor:
        """``igamma`` in place.

        >>> Tensor([1.0]).igamma_(Tensor([0.0]))
        Tensor([0.])
        """
        return self._write_fitting("igamma_", lambda t: t.igamma(other))

    def igammac_(self, other: TensorLike) -> Tensor:
        """``igammac`` in place.

        >>> Tensor([1.0]).igammac_(Tensor([0.0]))
        Tensor([1.])
        """
        return self._write_fitting("igammac_", lambda t: t.igammac(other))

    def prelu(self, weight: TensorLike) -> Tensor:
        """``ag.prelu(self, weight)``: x where x > 0, weight * x elsewhere (weight: 1 or one per channel, dim 1).

        >>> Tensor([-2.0, 3.0]).prelu(Tensor([0.25]))
        Tensor([-0.5,  3. ])
        """
        from .functions_more_torch import prelu

        return prelu(self, weight)

    def hardshrink(self, lambd: float = 0.5) -> Tensor:
        """``ag.hardshrink(self, lambd)``: x where |x| > lambd, else 0.

        >>> Tensor([-1.0, 0.2, 0.7]).hardshrink()
        Tensor([-1. ,  0. ,  0.7])
        """
        from .functions_more_torch import hardshrink

        return hardshrink(self, lambd)

    def geqrf(self) -> GeqrfResult:
        """``ag.geqrf(self)``: LAPACK's packed QR (a, tau); not differentiable, as torch's.

        >>> Tensor([[3.0], [4.0]]).geqrf().a.abs()
        Tensor([[5. ],
                [0.5]])
        """
        from .linalg_householder import geqrf

        return geqrf(self)

    def orgqr(self, input2: TensorLike) -> Tensor:
        """``ag.orgqr(self, tau)`` (``linalg.householder_product``): Q from geqrf's reflectors; differentiable.

        >>> a, tau = Tensor([[3.0], [4.0]]).geqrf()
        >>> a.orgqr(tau).abs()
        Tensor([[0.6],
                [0.8]])
        """
        from .linalg_householder import orgqr

        return orgqr(self, input2)

    def ormqr(self, input2: TensorLike, input3: TensorLike, left: bool = True, transpose: bool = False) -> Tensor:
        """``ag.ormqr(self, tau, other, left, transpose)``: Q @ other (or other @ Q, Q^T in Q's place) from
        geqrf's reflectors, Q never formed; differentiable.

        >>> A = Tensor([[3.0], [4.0]])
        >>> a, tau = A.geqrf()
        >>> a.ormqr(tau, A, transpose=True).abs()  # Q^T A = R
        Tensor([[5.],
                [0.]])
        """
        from .linalg_householder import ormqr

        return ormqr(self, input2, input3, left=left, transpose=transpose)
