"""PyTorch's ``Tensor`` methods that answer questions about a tensor, or spell an existing function as a method:
the predicates ``is_signed is_complex is_nonzero is_same_size is_neg is_conj is_inference``, the sizes
``nbytes itemsize ndimension dim_order``, ``resize_ resize_as_ nonzero_static``, the real-tensor no-ops of
complex code (``conj resolve_conj resolve_neg conj_physical real positive``, ``H mH adjoint``; ``imag`` is
refused, as PyTorch's), the casts ``byte char``, ``new_empty_strided``, and the methods of functions ``ag`` has
(``bincount histogram unique_consecutive argwhere vdot fmax fmin signbit
isposinf isneginf isreal sgn multinomial fliplr flipud``). ``Tensor`` inherits them through ``TensorInPlace``.

>>> x = Tensor(np.zeros((2, 3), np.float32))
>>> x.nbytes, x.itemsize, x.ndimension(), x.is_signed(), x.is_same_size(Tensor(np.ones((2, 3))))
(24, 4, 2, True, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .tensor_base import TensorBase
from .types import DTypeLike, Shape, TensorLike

if TYPE_CHECKING:
    from .summaries import Histogram
    from .tensor import Tensor


class TensorQueries(TensorBase):
    """Predicates, sizes, complex no-ops and method spellings of ``ag`` functions (see the module docstring)."""

    # ------------------------------------------------------------------------------- predicates
    def is_signed(self) -> bool:
        """Whether the dtype holds negative numbers (floats and signed ints; not bool or uint8), as PyTorch's."""
        return bool(self.dtype.kind in "fic")

    def is_complex(self) -> bool:
        """Whether the dtype is a complex one, as PyTorch's.

        >>> Tensor([1.0]).is_complex()
        False
        """
        return bool(self.dtype.kind == "c")

    def is_nonzero(self) -> bool:
        """Whether the one element is not zero, as PyTorch's (which refuses any other number of elements).

        >>> Tensor([0.5]).is_nonzero(), ag.tensor(0).is_nonzero()
        (True, False)
        """
        if self.size != 1:
            raise RuntimeError(
                f"is_nonzero: needs exactly one element, got shape {self.shape} ({self.size} "
                "elements); reduce it first (x.any(), x.all(), x.sum())"
            )
        return bool(self._data.reshape(-1)[0] != 0)

    def is_same_size(self, other: TensorLike) -> bool:
        """Whether ``other`` has this shape, as PyTorch's."""
        return self.shape == np.shape(other._data if isinstance(other, TensorBase) else other)

    def is_neg(self) -> bool:
        """False: PyTorch's lazy negation bit is for complex views; none is ever set here."""
        return False

    def is_conj(self) -> bool:
        """False: PyTorch's lazy conjugation bit is for complex views; none is ever set here."""
        return False

    def is_inference(self) -> bool:
        """False: ``ag.inference_mode`` records nothing (as ``no_grad``) but marks no tensor, where PyTorch makes
        inference tensors that refuse to join a graph later; here any tensor may."""
        return False

    # ------------------------------------------------------------------------------- sizes
    @property
    def nbytes(self) -> int:
        """The bytes the elements take (``numel() * itemsize``), as PyTorch's (a view counts its own elements)."""
        return int(self.size * self.dtype.itemsize)

    @property
    def itemsize(self) -> int:
        """The bytes one element takes, as PyTorch's (``element_size()``)."""
        return int(self.dtype.itemsize)

    def ndimension(self) -> int:
        """The number of dimensions (``dim()``), PyTorch's older name."""
        return self.ndim

    def dim_order(self) -> tuple[int, ...]:
        """The dims from the outermost in memory to the innermost (largest stride first), as PyTorch's.

        >>> Tensor(np.zeros((2, 3))).t().dim_order()
        (1, 0)
        """
        strides = self._data.strides
        return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))

    def new_empty_strided(
        self, size: Shape | list[int], stride: Shape | list[int], *, dtype: DTypeLike | None = None, **kwargs: Any
    ) -> Tensor:
        """A tensor of ``size`` laid out with ``stride`` (in elements) over new zeroed memory, in this dtype, as
        PyTorch's (zeros here, where PyTorch leaves memory uninitialised).

        >>> Tensor([1.0]).new_empty_strided((2, 3), (1, 2)).stride()
        (1, 2)
        """
        size, stride = tuple(size), tuple(stride)
        if len(size) != len(stride) or any(n < 0 for n in size) or any(s < 0 for s in stride):
            raise ValueError(
                f"new_empty_strided: size {size} and stride {stride} need one non-negative entry per dim each"
            )
        wanted = np.dtype(self.dtype if dtype is None else dtype)
        extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
        memory = np.zeros(extent, wanted)
        layout = np.lib.stride_tricks.as_strided(memory, size, tuple(s * wanted.itemsize for s in stride))
        return _tensor.Tensor(layout, requires_grad=bool(kwargs.get("requires_grad", False)))

    def resize_(self, *sizes: int | Shape | list[int]) -> Tensor:
        """This tensor given the shape ``sizes`` in place, as PyTorch's: the elements it had, in row-major order,
        fill the new shape as far as they go, and zeros the rest (PyTorch leaves that memory uninitialised).
        A tensor that requires grad is refused, as there.

        >>> Tensor([1.0, 2.0, 3.0]).resize_(2, 2).tolist()
        [[1.0, 2.0], [3.0, 0.0]]
        """
        given = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
        if any(not isinstance(n, (int, np.integer)) or n < 0 for n in given):
            raise ValueError(f"resize_: sizes must be non-negative ints, got {given}")
        shape = tuple(int(cast(int, n)) for n in given)
        kept = self._data.reshape(-1)[: int(np.prod(shape))]
        resized = np.zeros(shape, self.dtype)
        resized.reshape(-1)[: kept.size] = kept
        return cast("Any", self)._reshaped_in_place("resize_", "x = x.reshape(...)", _tensor.Tensor(resized))

    def resize_as_(self, other: TensorLike) -> Tensor:
        """``resize_`` to ``other``'s shape."""
        return self.resize_(np.shape(other._data if isinstance(other, TensorBase) else other))

    def nonzero_static(self, *, size: int, fill_value: int = -1) -> Tensor:
        """``argwhere``'s rows cut or padded (with ``fill_value``) to exactly ``size``, as PyTorch's: a shape
        known before the values are.

        >>> Tensor([0.0, 3.0]).nonzero_static(size=2).tolist()
        [[1], [-1]]
        """
        found = np.argwhere(self._data)[:size]
        padded = np.full((size, self.ndim), fill_value, dtype=np.int64)
        padded[: len(found)] = found
        return _tensor.Tensor(padded)

    # ------------------------------------------------------------------------------- real tensors: complex no-ops
    def conj(self) -> Tensor:
        """This tensor: the conjugate of a real tensor is itself (PyTorch returns it too)."""
        return cast("Tensor", self)

    def resolve_conj(self) -> Tensor:
        """This tensor: no lazy conjugation is pending (``is_conj()`` is False)."""
        return cast("Tensor", self)

    def resolve_neg(self) -> Tensor:
        """This tensor: no lazy negation is pending (``is_neg()`` is False)."""
        return cast("Tensor", self)

    def conj_physical(self) -> Tensor:
        """A copy of this real tensor (its conjugate), as PyTorch's."""
        return cast("Tensor", self).clone()

    @property
    def real(self) -> Tensor:
        """This real tensor itself, as PyTorch's ``x.real`` for a real dtype."""
        return cast("Tensor", self)

    @property
    def imag(self) -> Tensor:
        """Refused, as PyTorch refuses it: a real tensor has no imaginary part."""
        raise RuntimeError(
            f"imag: a real tensor ({self.dtype}) has no imaginary part, as in PyTorch; its zeros are "
            "ag.zeros_like(x), and x.real is x"
        )

    def positive(self) -> Tensor:
        """``+x``: this tensor, as PyTorch's (which refuses a bool tensor).

        >>> Tensor([-1.0, 2.0]).positive()
        Tensor([-1.,  2.])
        """
        if self.dtype == bool:
            raise TypeError("positive: a bool tensor has no + (PyTorch refuses it too); cast it first (x.long())")
        return cast("Tensor", self)

    @property
    def H(self) -> Tensor:
        """The transpose of a matrix (the conjugate transpose, for a real one), as PyTorch's ``x.H``."""
        if self.ndim not in (0, 2):
            raise ValueError(f"H: needs a matrix (a 2-d tensor), got shape {self.shape}; use x.mH for a batch")
        return cast("Tensor", self).t()

    @property
    def mH(self) -> Tensor:
        """Each matrix of a batch transposed (the conjugate transpose, for real ones): ``x.mT``."""
        return cast("Tensor", self).mT

    def adjoint(self) -> Tensor:
        """``x.mH``, as PyTorch's."""
        return cast("Tensor", self).mT

    def byte(self) -> Tensor:
        """A copy as uint8, as PyTorch's."""
        return cast("Tensor", self).to(np.uint8)

    def char(self) -> Tensor:
        """A copy as int8, as PyTorch's."""
        return cast("Tensor", self).to(np.int8)

    # ------------------------------------------------------------------------------- ag's functions, as methods
    def bincount(self, weights: TensorLike | None = None, minlength: int = 0) -> Tensor:
        """``ag.bincount(self, weights, minlength)``.

        >>> ag.tensor([0, 2, 2]).bincount().tolist()
        [1, 0, 2]
        """
        from .summaries import bincount

        return bincount(self, weights, minlength)

    def histogram(self, bins: int | TensorLike = 100, **kwargs: Any) -> Histogram:
        """``ag.histogram(self, bins, range=, weight=, density=)``: the counts and the bin edges."""
        from .summaries import histogram

        return histogram(self, bins, **kwargs)

    def unique_consecutive(
        self, return_inverse: bool = False, return_counts: bool = False, dim: int | None = None
    ) -> Tensor | tuple[Tensor, ...]:
        """``ag.unique_consecutive(self, ...)``: each run of equal neighbours kept once (of slices along ``dim``)."""
        from .functions_idioms import unique_consecutive

        return unique_consecutive(self, return_inverse, return_counts, dim)

    def argwhere(self) -> Tensor:
        """``ag.argwhere(self)``: the index of each nonzero element, one row each."""
        from .functions_idioms import argwhere

        return argwhere(self)

    def vdot(self, other: TensorLike) -> Tensor:
        """``ag.vdot(self, other)``: the dot product of two vectors."""
        from .functions_jax import vdot

        return vdot(self, other)

    def multinomial(self, num_samples: int, replacement: bool = False, **kwargs: Any) -> Tensor:
        """``ag.multinomial(self, num_samples, replacement, generator=)``: indices drawn with these weights."""
        from .sampling import multinomial

        return multinomial(cast("Tensor", self), num_samples, replacement, **kwargs)

    def _function(self, name: str, *args: Any) -> Tensor:
        import autograd_core

        return cast("Tensor", getattr(autograd_core, name)(self, *args))

    def fmax(self, other: TensorLike) -> Tensor:
        """``ag.fmax(self, other)``: the larger, NaN only where both are."""
        return self._function("fmax", other)

    def fmin(self, other: TensorLike) -> Tensor:
        """``ag.fmin(self, other)``: the smaller, NaN only where both are."""
        return self._function("fmin", other)

    def signbit(self) -> Tensor:
        """``ag.signbit(self)``: where the sign bit is set (-0.0 too)."""
        return self._function("signbit")

    def isposinf(self) -> Tensor:
        """``ag.isposinf(self)``."""
        return self._function("isposinf")

    def isneginf(self) -> Tensor:
        """``ag.isneginf(self)``."""
        return self._function("isneginf")

    def isreal(self) -> Tensor:
        """True everywhere for a real tensor (an imaginary part of 0), as PyTorch's."""
        return _tensor.Tensor(np.isreal(self._data))

    def sgn(self) -> Tensor:
        """``ag.sgn(self)``: ``sign`` for a real tensor."""
        return self._function("sgn")

    def fliplr(self) -> Tensor:
        """``ag.fliplr(self)``: dim 1 reversed."""
        return self._function("fliplr")

    def flipud(self) -> Tensor:
        """``ag.flipud(self)``: dim 0 reversed."""
        return self._function("flipud")
