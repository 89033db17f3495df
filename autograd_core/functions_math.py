"""Module-level spellings of the elementwise functions of ``tensor_pointwise.py`` (``ag.lerp(a, b, w)``,
``ag.atan2(y, x)``, ``ag.addmm(b, x, w)``, ...), each the Tensor method of that name."""

from __future__ import annotations

from .functions import as_tensor
from .tensor import Tensor
from .tensor_pointwise import FrexpResult
from .types import Number, TensorLike


def nan_to_num(x: TensorLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN and infinities replaced by numbers (``x.nan_to_num()``); no gradient through the replaced ones.

    >>> nan_to_num(Tensor([float('nan'), -float('inf')]), neginf=-1.0)
    Tensor([ 0., -1.])
    """
    return as_tensor(x).nan_to_num(nan, posinf, neginf)


def lerp(x: TensorLike, end: TensorLike, weight: TensorLike) -> Tensor:
    """x + weight * (end - x) (``x.lerp(end, weight)``), differentiable in all three.

    >>> lerp(Tensor([0.0]), Tensor([4.0]), 0.25)
    Tensor([1.])
    """
    return as_tensor(x).lerp(end, weight)


def hypot(x: TensorLike, other: TensorLike) -> Tensor:
    """sqrt(x**2 + other**2) without overflow (``x.hypot(other)``).

    >>> hypot(Tensor([3.0]), Tensor([4.0]))
    Tensor([5.])
    """
    return as_tensor(x).hypot(other)


def atan2(x: TensorLike, other: TensorLike) -> Tensor:
    """The angle of the point (other, x), in (-pi, pi] (``torch.atan2(y, x)``; a primitive).

    >>> atan2(Tensor([1.0]), Tensor([1.0])) * 4
    Tensor([3.1416])
    """
    return as_tensor(x).atan2(other)


def arctan2(x: TensorLike, other: TensorLike) -> Tensor:
    """``atan2`` by numpy's name.

    >>> arctan2(Tensor([0.0]), Tensor([-1.0]))
    Tensor([3.1416])
    """
    return as_tensor(x).atan2(other)


def logaddexp(x: TensorLike, other: TensorLike) -> Tensor:
    """log(e**x + e**other) without overflow (``x.logaddexp(other)``).

    >>> logaddexp(Tensor([1000.0]), Tensor([1000.0]))
    Tensor([1000.6931])
    """
    return as_tensor(x).logaddexp(other)


def logaddexp2(x: TensorLike, other: TensorLike) -> Tensor:
    """log2(2**x + 2**other) without overflow (``x.logaddexp2(other)``).

    >>> logaddexp2(Tensor([3.0]), Tensor([3.0]))
    Tensor([4.])
    """
    return as_tensor(x).logaddexp2(other)


def sinc(x: TensorLike) -> Tensor:
    """sin(pi x) / (pi x), 1 at 0 (``x.sinc()``).

    >>> sinc(Tensor([0.0]))
    Tensor([1.])
    """
    return as_tensor(x).sinc()


def float_power(x: TensorLike, exponent: TensorLike) -> Tensor:
    """x ** exponent in float64 (``x.float_power(exponent)``).

    >>> float_power(Tensor(np.float32(2)), 3)
    Tensor(8.)
    """
    return as_tensor(x).float_power(exponent)


def frac(x: TensorLike) -> Tensor:
    """x - trunc(x), the sign of x (``x.frac()``; gradient 1).

    >>> frac(Tensor([-1.25]))
    Tensor([-0.25])
    """
    return as_tensor(x).frac()


def trunc(x: TensorLike) -> Tensor:
    """Round toward zero (``x.trunc()``; zero gradient).

    >>> trunc(Tensor([-1.5, 1.5]))
    Tensor([-1.,  1.])
    """
    return as_tensor(x).trunc()


def fix(x: TensorLike) -> Tensor:
    """``trunc`` by its other name.

    >>> fix(Tensor([-2.7]))
    Tensor([-2.])
    """
    return as_tensor(x).trunc()


def floor(x: TensorLike) -> Tensor:
    """The largest whole number <= x (``x.floor()``; zero gradient).

    >>> floor(Tensor([-1.5, 1.5]))
    Tensor([-2.,  1.])
    """
    return as_tensor(x).floor()


def ceil(x: TensorLike) -> Tensor:
    """The smallest whole number >= x (``x.ceil()``; zero gradient).

    >>> ceil(Tensor([-1.5, 1.5]))
    Tensor([-1.,  2.])
    """
    return as_tensor(x).ceil()


def fmod(x: TensorLike, other: TensorLike) -> Tensor:
    """C's remainder, the sign of x (``x.fmod(other)``; a primitive).

    >>> fmod(Tensor([-7.0]), 3)
    Tensor([-1.])
    """
    return as_tensor(x).fmod(other)


def remainder(x: TensorLike, other: TensorLike) -> Tensor:
    """Python's %, the sign of other (``x.remainder(other)``; a primitive).

    >>> remainder(Tensor([-7.0]), 3)
    Tensor([2.])
    """
    return as_tensor(x).remainder(other)


def addcmul(x: TensorLike, tensor1: TensorLike, tensor2: TensorLike, *, value: Number = 1) -> Tensor:
    """x + value * tensor1 * tensor2 (``x.addcmul(t1, t2, value=)``).

    >>> addcmul(Tensor([1.0]), Tensor([2.0]), Tensor([3.0]), value=0.5)
    Tensor([4.])
    """
    return as_tensor(x).addcmul(tensor1, tensor2, value=value)


def addcdiv(x: TensorLike, tensor1: TensorLike, tensor2: TensorLike, *, value: Number = 1) -> Tensor:
    """x + value * tensor1 / tensor2 (``x.addcdiv(t1, t2, value=)``).

    >>> addcdiv(Tensor([1.0]), Tensor([2.0]), Tensor([4.0]))
    Tensor([1.5])
    """
    return as_tensor(x).addcdiv(tensor1, tensor2, value=value)


def addmm(x: TensorLike, mat1: TensorLike, mat2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """beta * x + alpha * (mat1 @ mat2), 2-d mats (``torch.addmm``).

    >>> addmm(Tensor([1.0]), Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    Tensor([[12.]])
    """
    return as_tensor(x).addmm(mat1, mat2, beta=beta, alpha=alpha)


def baddbmm(x: TensorLike, batch1: TensorLike, batch2: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """beta * x + alpha * (batch1 @ batch2), 3-d batches (``torch.baddbmm``).

    >>> baddbmm(Tensor(0.0), Tensor([[[1.0, 2.0]]]), Tensor([[[3.0], [4.0]]])).shape
    (1, 1, 1)
    """
    return as_tensor(x).baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def addmv(x: TensorLike, mat: TensorLike, vec: TensorLike, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
    """beta * x + alpha * (mat @ vec) (``torch.addmv``).

    >>> addmv(Tensor([1.0]), Tensor([[1.0, 2.0]]), Tensor([3.0, 4.0]), beta=0)
    Tensor([11.])
    """
    return as_tensor(x).addmv(mat, vec, beta=beta, alpha=alpha)


def frexp(x: TensorLike) -> FrexpResult:
    """``(mantissa, exponent)``, x = mantissa * 2**exponent (``x.frexp()``; no gradient).

    >>> frexp(Tensor([3.0])).mantissa
    Tensor([0.75])
    """
    return as_tensor(x).frexp()


def bitwise_and(x: TensorLike, other: TensorLike) -> Tensor:
    """x & other for integer or boolean tensors.

    >>> bitwise_and(ag.tensor([12]), ag.tensor([10]))
    Tensor([8], dtype=int64)
    """
    return as_tensor(x).bitwise_and(other)


def bitwise_or(x: TensorLike, other: TensorLike) -> Tensor:
    """x | other for integer or boolean tensors.

    >>> bitwise_or(ag.tensor([12]), ag.tensor([10]))
    Tensor([14], dtype=int64)
    """
    return as_tensor(x).bitwise_or(other)


def bitwise_xor(x: TensorLike, other: TensorLike) -> Tensor:
    """x ^ other for integer or boolean tensors.

    >>> bitwise_xor(ag.tensor([True]), ag.tensor([True]))
    Tensor([False], dtype=bool)
    """
    return as_tensor(x).bitwise_xor(other)


def bitwise_not(x: TensorLike) -> Tensor:
    """~x for an integer or boolean tensor.

    >>> bitwise_not(ag.tensor([0]))
    Tensor([-1], dtype=int64)
    """
    return as_tensor(x).bitwise_not()


def logical_and(x: TensorLike, other: TensorLike) -> Tensor:
    """Where both are nonzero (booleans).

    >>> logical_and(Tensor([1.0, 0.0]), Tensor([1.0, 1.0]))
    Tensor([ True, False], dtype=bool)
    """
    return as_tensor(x).logical_and(other)


def logical_or(x: TensorLike, other: TensorLike) -> Tensor:
    """Where either is nonzero (booleans).

    >>> logical_or(Tensor([1.0, 0.0]), Tensor([0.0, 0.0]))
    Tensor([ True, False], dtype=bool)
    """
    return as_tensor(x).logical_or(other)


def logical_xor(x: TensorLike, other: TensorLike) -> Tensor:
    """Where exactly one is nonzero (booleans).

    >>> logical_xor(Tensor([1.0, 1.0]), Tensor([1.0, 0.0]))
    Tensor([False,  True], dtype=bool)
    """
    return as_tensor(x).logical_xor(other)


def logical_not(x: TensorLike) -> Tensor:
    """Where x is zero (booleans).

    >>> logical_not(Tensor([0.0, 2.0]))
    Tensor([ True, False], dtype=bool)
    """
    return as_tensor(x).logical_not()


__all__: list[str] = []  # ag's names, through its star import
__all__ += ["nan_to_num", "lerp", "hypot", "atan2", "arctan2", "logaddexp", "logaddexp2", "sinc", "float_power"]
__all__ += ["frac", "trunc", "fix", "floor", "ceil", "fmod", "remainder", "addcmul", "addcdiv", "addmm", "baddbmm"]
__all__ += ["addmv", "frexp", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "logical_and", "logical_or"]
__all__ += ["logical_xor", "logical_not"]
# the elementary functions (tan, arcsin, ..., cbrt, i0, cov): their own module, exported through this one's star import
from . import functions_elementary  # noqa: E402
from .functions_elementary import *  # noqa: E402, F403

__all__ += functions_elementary.__all__
