"""The transforms that act on vectors and matrices, as torch.distributions': ``IndependentTransform`` (a map
read over more event axes), ``ReshapeTransform``, ``CatTransform``/``StackTransform`` (a transform per slice),
``SoftmaxTransform`` and ``StickBreakingTransform`` (R^(K-1) onto the simplex), ``LowerCholeskyTransform``,
``PositiveDefiniteTransform`` and ``CorrCholeskyTransform`` (R^(n(n-1)/2) onto correlation Cholesky factors,
the LKJ prior's support). Every formula is torch's, composed from Tensor ops.

>>> import autograd_core as ag
>>> y = StickBreakingTransform()(ag.Tensor([0.0, 0.0]))
>>> y.round(6).tolist(), StickBreakingTransform().inv(y).round(6).tolist()  # the centre of the simplex
([0.333333, 0.333333, 0.333333], [0.0, 0.0])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..functions import cat, stack
from ..linalg_matrix import cholesky
from ..tensor import Tensor
from . import constraints
from .discrete import _softplus
from .transforms import Shape, Transform, _tensor, sum_rightmost

__all__ = [
    "CatTransform",
    "CorrCholeskyTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "ReshapeTransform",
    "SoftmaxTransform",
    "StackTransform",
    "StickBreakingTransform",
]


class IndependentTransform(Transform):
    """``base_transform`` with its last ``reinterpreted_batch_ndims`` batch axes read as event axes: the
    log-Jacobians over them add up (one number per event).

    >>> from autograd_core.distributions.transforms import ExpTransform
    >>> IndependentTransform(ExpTransform(), 1).log_abs_det_jacobian(ag.Tensor([1.0, 2.0]), None).item()
    3.0
    """

    def __init__(self, base_transform: Transform, reinterpreted_batch_ndims: int) -> None:
        self.base_transform, self.reinterpreted_batch_ndims = base_transform, int(reinterpreted_batch_ndims)
        self.bijective = base_transform.bijective

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(self.base_transform.domain, self.reinterpreted_batch_ndims)

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(self.base_transform.codomain, self.reinterpreted_batch_ndims)

    @property
    def sign(self) -> int:
        return self.base_transform.sign

    def forward_shape(self, shape: Shape) -> Shape:
        return self.base_transform.forward_shape(shape)

    def inverse_shape(self, shape: Shape) -> Shape:
        return self.base_transform.inverse_shape(shape)

    def _call(self, x: Tensor) -> Tensor:
        return self.base_transform(x)

    def _inverse(self, y: Tensor) -> Tensor:
        return self.base_transform.inv(y)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        return sum_rightmost(self.base_transform.log_abs_det_jacobian(x, y), self.reinterpreted_batch_ndims)


class ReshapeTransform(Transform):
    """Reshapes the event from ``in_shape`` to ``out_shape`` (the same number of elements); log |J| = 0.

    >>> ReshapeTransform((4,), (2, 2))(ag.zeros(3, 4)).shape
    (3, 2, 2)
    """

    def __init__(self, in_shape: Shape, out_shape: Shape) -> None:
        self.in_shape, self.out_shape = tuple(in_shape), tuple(out_shape)
        if math.prod(self.in_shape) != math.prod(self.out_shape):
            raise ValueError(
                f"ReshapeTransform: in_shape {self.in_shape} and out_shape {self.out_shape} must hold the same "
                "number of elements"
            )

    @property
    def domain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.in_shape))

    @property
    def codomain(self) -> constraints.Constraint:  # type: ignore[override]
        return constraints.independent(constraints.real, len(self.out_shape))

    def _batch(self, shape: Shape, event: Shape, name: str) -> Shape:
        if tuple(shape[len(shape) - len(event) :]) != event or len(shape) < len(event):
            raise ValueError(f"ReshapeTransform: {name} of shape {tuple(shape)} must end in {event}")
        return tuple(shape[: len(shape) - len(event)])

    def forward_shape(self, shape: Shape) -> Shape:
        return self._batch(shape, self.in_shape, "x") + self.out_shape

    def inverse_shape(self, shape: Shape) -> Shape:
        return self._batch(shape, self.out_shape, "y") + self.in_shape

    def _call(self, x: Tensor) -> Tensor:
        return x.reshape(self.forward_shape(x.shape))

    def _inverse(self, y: Tensor) -> Tensor:
        return y.reshape(self.inverse_shape(y.shape))

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x = _tensor(x)
        return x.sum(tuple(range(-len(self.in_shape), 0))) * 0 if self.in_shape else x * 0


class _SliceWise(Transform):
    """The shared part of Cat/StackTransform: one transform per slice along ``dim``."""

    def __init__(self, transforms: list[Transform], dim: int) -> None:
        self.transforms, self.dim = list(transforms), int(dim)
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise TypeError(f"{type(self).__name__}: transforms must be Transforms, got {t!r}")
        self.bijective = all(t.bijective for t in self.transforms)

    def _slices(self, x: Tensor) -> list[Tensor]:
        raise NotImplementedError(
            f"{type(self).__name__}._slices: a subclass (Cat/StackTransform) says how x splits into slices"
        )

    def _join(self, parts: list[Tensor]) -> Tensor:
        raise NotImplementedError(
            f"{type(self).__name__}._join: a subclass (Cat/StackTransform) says how the slices join back"
        )

    def _check_dim(self, x: Tensor) -> None:
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{type(self).__name__}: dim {self.dim} is out of range for a value of shape {x.shape}")

    def _call(self, x: Tensor) -> Tensor:
        self._check_dim(x)
        return self._join([t(s) for t, s in zip(self.transforms, self._slices(x), strict=True)])

    def _inverse(self, y: Tensor) -> Tensor:
        self._check_dim(y)
        return self._join([t.inv(s) for t, s in zip(self.transforms, self._slices(y), strict=True)])

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = _tensor(x), _tensor(y)
        self._check_dim(x)
        pieces = zip(self.transforms, self._slices(x), self._slices(y), strict=True)
        return self._join([t.log_abs_det_jacobian(xs, ys) for t, xs, ys in pieces])


class CatTransform(_SliceWise):
    """``transforms[i]`` on the i-th block of ``lengths[i]`` entries along ``dim`` (elementwise maps).

    >>> from autograd_core.distributions.transforms import ExpTransform, identity_transform
    >>> CatTransform([ExpTransform(), identity_transform], dim=0, lengths=[1, 2])(ag.zeros(3)).tolist()
    [1.0, 0.0, 0.0]
    """

    def __init__(self, tseq: list[Transform], dim: int = 0, lengths: list[int] | None = None) -> None:
        super().__init__(tseq, dim)
        self.lengths = [1] * len(self.transforms) if lengths is None else [int(n) for n in lengths]
        if len(self.lengths) != len(self.transforms):
            raise ValueError(
                f"CatTransform: {len(self.transforms)} transforms need {len(self.transforms)} lengths, got "
                f"{self.lengths}"
            )

    def _slices(self, x: Tensor) -> list[Tensor]:
        if x.shape[self.dim] != sum(self.lengths):
            raise ValueError(
                f"CatTransform: axis {self.dim} of the value (shape {x.shape}) must hold sum(lengths) = "
                f"{sum(self.lengths)} entries"
            )
        starts = np.cumsum([0] + self.lengths[:-1]).tolist()
        return [x.narrow(self.dim, s, n) for s, n in zip(starts, self.lengths, strict=True)]

    def _join(self, parts: list[Tensor]) -> Tensor:
        return cat(parts, self.dim)


class StackTransform(_SliceWise):
    """``transforms[i]`` on the i-th slice along ``dim`` (elementwise maps).

    >>> from autograd_core.distributions.transforms import ExpTransform, identity_transform
    >>> StackTransform([ExpTransform(), identity_transform], dim=1)(ag.zeros(2, 2)).tolist()
    [[1.0, 0.0], [1.0, 0.0]]
    """

    def __init__(self, tseq: list[Transform], dim: int = 0) -> None:
        super().__init__(tseq, dim)

    def _slices(self, x: Tensor) -> list[Tensor]:
        if x.shape[self.dim] != len(self.transforms):
            raise ValueError(
                f"StackTransform: axis {self.dim} of the value (shape {x.shape}) must hold one slice per "
                f"transform, {len(self.transforms)}"
            )
        return list(x.unbind(self.dim))

    def _join(self, parts: list[Tensor]) -> Tensor:
        return stack(parts, self.dim)


class SoftmaxTransform(Transform):
    """y = softmax(x) along the last axis, onto the simplex: not a bijection (``inv`` is log y, one of the
    preimages), so no log-Jacobian, as torch's.

    >>> SoftmaxTransform()(ag.zeros(4)).tolist()
    [0.25, 0.25, 0.25, 0.25]
    """

    domain = constraints.real_vector
    codomain = constraints.simplex
    bijective = False

    def _call(self, x: Tensor) -> Tensor:
        return x.softmax(-1)

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()


def _shift(x: Tensor) -> Tensor:
    """log of the stick-breaking offsets K-1, ..., 1 (so x = 0 maps to the simplex's centre)."""
    k = x.shape[-1]
    return Tensor(np.log(np.arange(k, 0, -1, dtype=x.dtype)))


def _pad_last(x: Tensor, before: bool) -> Tensor:
    one = (x[..., :1] * 0 + 1).detach()
    return cat([one, x] if before else [x, one], -1)


class StickBreakingTransform(Transform):
    """R^(K-1) onto the K-simplex by breaking a stick: z_i = sigmoid(x_i - log(K-1-i)), y_i = z_i prod_(j<i)
    (1 - z_j), the rest last; a bijection (unlike softmax), with torch's log-Jacobian.

    >>> StickBreakingTransform().forward_shape((5, 3))
    (5, 4)
    """

    domain = constraints.real_vector
    codomain = constraints.simplex

    def forward_shape(self, shape: Shape) -> Shape:
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape: Shape) -> Shape:
        return tuple(shape[:-1]) + (shape[-1] - 1,)

    def _call(self, x: Tensor) -> Tensor:
        z = (x - _shift(x)).sigmoid()
        return _pad_last(z, before=False) * _pad_last((1 - z).cumprod(-1), before=True)

    def _inverse(self, y: Tensor) -> Tensor:
        y_crop = y[..., :-1]
        remaining = (1 - y_crop.cumsum(-1)).clamp(min=float(np.finfo(y.dtype).tiny))
        return y_crop.log() - remaining.log() + _shift(y_crop)

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = _tensor(x), _tensor(y)
        shifted = x - _shift(x)
        return (-shifted - _softplus(-shifted) + y[..., :-1].log()).sum(-1)


class LowerCholeskyTransform(Transform):
    """An unconstrained square matrix onto a lower-triangular one with a positive diagonal: the strict lower
    triangle kept, the diagonal exponentiated.

    >>> LowerCholeskyTransform()(ag.zeros(2, 2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.lower_cholesky

    def _call(self, x: Tensor) -> Tensor:
        return x.tril(-1) + x.diagonal(dim1=-2, dim2=-1).exp().diag_embed()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.tril(-1) + y.diagonal(dim1=-2, dim2=-1).log().diag_embed()


class PositiveDefiniteTransform(Transform):
    """An unconstrained square matrix onto a symmetric positive-definite one: L Lᵀ with L its
    LowerCholeskyTransform.

    >>> PositiveDefiniteTransform()(ag.zeros(2, 2)).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    domain = constraints.independent(constraints.real, 2)
    codomain = constraints.positive_definite

    def _call(self, x: Tensor) -> Tensor:
        lower = LowerCholeskyTransform()(x)
        return lower @ lower.mT

    def _inverse(self, y: Tensor) -> Tensor:
        return LowerCholeskyTransform().inv(cholesky(y))


def _tril_positions(n: int, diagonal: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The (row, column) of the entries below ``diagonal`` of an n x n matrix, row by row (torch's order)."""
    return np.tril_indices(n, diagonal)


def vec_to_tril_matrix(vec: Tensor) -> Tensor:
    """The n x n matrix with ``vec`` strictly below the diagonal (row by row) and zeros elsewhere: a gather from
    [0, vec], so gradients flow back to ``vec``."""
    m = vec.shape[-1]
    n = round((0.25 + 2 * m) ** 0.5 + 0.5)
    rows, cols = _tril_positions(n, -1)
    if rows.size != m:
        raise ValueError(f"CorrCholeskyTransform: a vector of {m} entries fills no strict lower triangle")
    index = np.zeros((n, n), dtype=np.int64)  # 0 picks the padded zero
    index[rows, cols] = np.arange(1, m + 1)
    padded = cat([(vec[..., :1] * 0).detach(), vec], -1)
    return padded[..., index]


def tril_matrix_to_vec(mat: Tensor, diagonal: int = -1) -> Tensor:
    """The entries of ``mat`` below ``diagonal``, row by row."""
    rows, cols = _tril_positions(mat.shape[-1], diagonal)
    return mat[..., rows, cols]


class CorrCholeskyTransform(Transform):
    """R^(n(n-1)/2) onto the Cholesky factors of n x n correlation matrices (unit rows), torch's map: tanh to
    (-1, 1), then each row's stick broken so its squares sum to 1.

    >>> y = CorrCholeskyTransform()(ag.Tensor([0.5]))
    >>> (y @ y.mT).round(6).tolist()  # a 2 x 2 correlation matrix with rho = tanh(0.5)
    [[1.0, 0.462117], [0.462117, 1.0]]
    """

    domain = constraints.real_vector
    codomain = constraints.corr_cholesky

    def forward_shape(self, shape: Shape) -> Shape:
        n = round((0.25 + 2 * shape[-1]) ** 0.5 + 0.5)
        if n * (n - 1) // 2 != shape[-1]:
            raise ValueError(
                f"CorrCholeskyTransform: the last axis must hold n(n-1)/2 entries for some n, got {shape[-1]}"
            )
        return tuple(shape[:-1]) + (n, n)

    def inverse_shape(self, shape: Shape) -> Shape:
        n = shape[-1]
        return tuple(shape[:-2]) + (n * (n - 1) // 2,)

    def _call(self, x: Tensor) -> Tensor:
        eps = float(np.finfo(x.dtype).eps)
        r = vec_to_tril_matrix(x.tanh().clamp(-1 + eps, 1 - eps))
        remaining = (1 - r**2).sqrt().cumprod(-1)
        n = r.shape[-1]
        return (r + Tensor(np.eye(n, dtype=x.dtype))) * _pad_last(remaining[..., :-1], before=True)

    def _inverse(self, y: Tensor) -> Tensor:
        remaining = _pad_last((1 - (y * y).cumsum(-1))[..., :-1], before=True)
        t = tril_matrix_to_vec(y, -1) / tril_matrix_to_vec(remaining, -1).sqrt()
        return 0.5 * (t.log1p() - (-t).log1p())

    def log_abs_det_jacobian(self, x: Any, y: Any) -> Tensor:
        x, y = _tensor(x), _tensor(y)
        remaining = 1 - (y * y).cumsum(-1)
        stick = 0.5 * tril_matrix_to_vec(remaining, -2).log().sum(-1)
        tanh = -2 * (x + _softplus(-2 * x) - math.log(2.0)).sum(-1)
        return stick + tanh
