"""The primitives: each one holds its numpy forward and its vector-Jacobian product together.

A primitive is a class that is never instantiated::

    class Sigmoid(Primitive):
        @staticmethod
        def forward(x):                # ndarrays in, ndarray out
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        @staticmethod
        def vjp(i, g, out, x):         # gradient for input i, given g = dL/dout
            return g * out * (1 - out)

A forward that is one numpy function may be that function itself (``Exp.forward = np.exp``,
``Add.forward = operator.add``): no Python frame per op. The special functions compute in float64 and round once
to the input's dtype: ``BesselJ0.forward = float64_forward(lambda x: bessel_jy_arrays(x)[0])``.

``vjp`` is written once, in the operations numpy arrays and Tensors share
(``+ - * / ** @``, ``.sum``, ``.reshape``, ``.transpose``, indexing): a plain
``backward()`` passes arrays (numpy speed, nothing recorded), ``create_graph=True``
passes Tensors (the same formula records a graph, so derivatives of derivatives work).
Masks, counts and shapes come from ``np.asarray(x)``: they are constants.

Rules stay shape-naive: the engine sums a broadcast gradient back to its input's
shape (``sum_to``) and checks shape and dtype after every vjp.

One module per kind: ``arithmetic``, ``elementwise``, ``reductions``, ``shape``,
``erf`` (and erfinv, erfcx, ndtri), ``linalg``, ``windows`` (unfold: im2col, under convolution and pooling; fold:
col2im), ``gamma`` (lgamma, digamma, polygamma), ``decompositions`` (det, slogdet, inv, solve, cholesky, qr),
``spectral`` (eigh, svd), ``division`` (atan2, fmod, remainder), ``trig`` (tan sinh cosh, the inverses, exp2 cbrt),
``bessel`` (i0 i1 i0e i1e), ``matrix_functions`` (matrix_exp, pinv, lu), and the rest of torch.special:
``bessel_jy`` (J0 J1 Y0 Y1, spherical j0 j1), ``bessel_k`` (K0 K1, scaled), ``airy`` (Ai, Ai'),
``incomplete_gamma`` (gammainc, gammaincc), ``zeta`` (Hurwitz) and ``polynomials`` (Chebyshev, Hermite,
Laguerre, Legendre, one primitive with a ``kind``); this one holds the base
class, ``call`` and ``sum_to``. Every name is importable from here (``from autograd_core.primitives import Exp``).

Kinks follow one rule: **ties split evenly**. relu'(0) = 1/2 (= maximum(x, 0)'),
abs'(0) = 0, maximum(a, b) at a == b gives each side half, and max-reductions share
the gradient equally among tied elements.
"""

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

PRIMITIVES: dict[str, type["Primitive"]] = {}
_ARRAY_TYPES = (np.ndarray, np.generic)


class Primitive:
    """Base class: subclasses register themselves in ``PRIMITIVES`` under ``name``.

    A primitive may also say how ``ag.compile`` writes it as numpy code (its *lowering*;
    without one, a replay calls ``forward`` / ``vjp`` themselves). ``forward_code`` is a
    template of the forward, or a staticmethod ``(*inputs, **params)`` choosing one from the traced
    values (their shapes are guarded), and ``vjp_code`` a tuple of the vjp's, one per input (None: call
    ``vjp``), or a staticmethod ``(i, out, *inputs, **params)`` choosing from the traced values (an array
    in params that is an argument of the compiled function, so may change between calls, is ``Varying``).
    Fields: ``{x0}``, ``{x1}``... the inputs, ``{out}`` the output, ``{g}`` the incoming
    gradient, params by name, ``{dest}`` a buffer (which the template writes whole before it reads
    it: results never live at once share one) and ``{into}`` ", " + that buffer as the ufunc's out
    (or nothing, for a fresh array), ``{vjp}`` a call of ``vjp``. A template is an expression, or
    lines that assign the result to ``{y}``. It must give exactly what the primitive gives (one
    without params is checked on NaN, +-0 and +-inf).
    """

    # Every subclass defines both, as staticmethods: forward(*arrays, **params) -> array and
    # vjp(i, g, out, *inputs, **params) -> the gradient for input i (declared for the type checker).
    forward: ClassVar[Callable[..., Any]]
    vjp: ClassVar[Callable[..., Any]]
    name: str = ""  # set by __init_subclass__: the class name in lower case, unless given
    hint = ""  # appended to a forward error, to say what the user can do
    # (*input arrays) -> the hint for these inputs, when what went wrong depends on them (Matmul's batch axes)
    hint_for: ClassVar[Callable[..., str] | None] = None
    forward_code = None
    vjp_code = None
    mask_params = ()  # params where a boolean mask makes the output's shape depend on values
    vjp_reads_inputs = True  # False: vjp ignores the input arrays, so a node of n inputs skips an O(n) unpack
    # True: elementwise on one input, its vjp's result has the input's shape and dtype whenever g has the output's
    # (which the engine ensures), so backward does not check it (~100 ns a node); only for one input, no params
    vjp_fits_input = False
    # vjp_add(acc, g, **params): a one-input vjp whose result is zero but for a part (Getitem's), added into acc (the
    # input's gradient so far, the engine's own array) in place: n slices of x cost O(n slices), not O(n x)
    vjp_add: ClassVar[Callable[..., None] | None] = None
    vjp_add_code: ClassVar[Callable[..., str] | None] = None  # (out, *inputs, **params) -> vjp_add as a statement

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name = cls.__dict__.get("name") or cls.__name__.lower()
        PRIMITIVES[cls.name] = cls

    @classmethod
    def lowered_forward(cls, *inputs, **params):
        """The forward as a template, for these values (None: a replay calls ``forward``).

        >>> Exp.lowered_forward(np.ones(2))
        'exp({x0}{into})'
        """
        code = cls.forward_code
        return code(*inputs, **params) if callable(code) else code

    @classmethod
    def lowered_vjp(cls, i, out, *inputs, **params):
        """The vjp for input i as a template, for these values (None: a replay calls ``vjp``).

        >>> Mul.lowered_vjp(1, None, np.ones(2), np.ones(2))
        'multiply({g}, {x0}{into})'
        """
        code = cls.vjp_code
        return code(i, out, *inputs, **params) if callable(code) else None if code is None else code[i]


class Varying:
    """What a lowering sees in place of an array in params that is an argument of the compiled
    function (integer labels): its values may change between calls, so the code may not rely on them."""


def call(prim, *inputs, **params):
    """Run ``prim`` with numpy on arrays, or record it when any input is a Tensor.

    This is what lets a vjp use a primitive (``log``, ``broadcast_to``, ...) that
    arrays and Tensors do not share as a method.
    """
    for a in inputs:
        if not isinstance(a, _ARRAY_TYPES):
            return type(a).apply(prim, *inputs, **params)
    return prim.forward(*inputs, **params)


def sum_to(g, shape):
    """Sum ``g`` down to ``shape``: undo numpy broadcasting (works on arrays and Tensors).

    >>> sum_to(np.ones((2, 3, 4)), (3, 1)).shape
    (3, 1)
    """
    lead, ones = sum_to_axes(g.shape, shape)
    if lead:
        g = g.sum(axis=lead)
    if ones:
        g = g.sum(axis=ones, keepdims=True)
    return g


def sum_to_axes(shape, target):
    """The axes ``sum_to`` sums to bring ``shape`` to ``target``: (leading axes, size-1 axes kept).

    >>> sum_to_axes((2, 3, 4), (3, 1))
    ((0,), (1,))
    """
    lead = len(shape) - len(target)
    if lead < 0:
        return (), ()  # no sum makes it: the caller's shape check reports it
    return tuple(range(lead)), tuple(i for i, n in enumerate(target) if n == 1 and shape[lead + i] != 1)


def in_float64(*values):
    """The values as float64 arrays, then the dtype a special function gives back: their common float dtype,
    float64 if none is float. torch.special computes in the input's dtype; these compute in float64, round once.

    >>> x, q, dtype = in_float64(np.float32(2), 3)
    >>> x.dtype, dtype
    (dtype('float64'), dtype('float32'))
    """
    arrays = [np.asarray(v) for v in values]
    dtype = np.result_type(*([a.dtype for a in arrays if a.dtype.kind == "f"] or [np.float64]))
    return (*(a.astype(np.float64, copy=False) for a in arrays), dtype)


def float64_forward(function):
    """A forward that runs ``function`` (float64 arrays in, one out) on ``in_float64`` of its inputs and returns
    the result in their dtype: ``forward = float64_forward(lambda x: np.sign(x) * j1_of_abs(x))``.

    >>> float64_forward(np.sqrt).__func__(np.float32(2)).dtype
    dtype('float32')
    """

    def forward(*inputs):
        *arrays, dtype = in_float64(*inputs)
        return function(*arrays).astype(dtype, copy=False)

    return staticmethod(forward)


_BROADCAST_HINT = (
    "shapes must be broadcast-compatible (numpy rules); reshape one operand, "
    "or keep the reduced axis with keepdims=True"
)


# The primitives themselves, one module per kind (registered in PRIMITIVES as they are defined);
# imported here, below Primitive, because each module subclasses it.
from .arithmetic import Add, Div, Mul, Neg, Pow, Sub  # noqa: E402
from .division import Atan2, Fmod, Remainder  # noqa: E402
from .elementwise import Abs, Cos, Exp, Expm1, Log, Log1p, Maximum, Relu, Sigmoid, Sin, Tanh, Where  # noqa: E402
from .erf import Erf, Erfc  # noqa: E402
from .linalg import Linear, Matmul  # noqa: E402
from .reductions import Cumsum, Max, MaxShift, Sum  # noqa: E402
from .shape import Astype, BroadcastTo, Concatenate, Contiguous, Getitem, Reshape, ScatterAdd, Transpose  # noqa: E402
from .windows import Fold, Unfold  # noqa: E402

# isort: split
# torch.linalg's decompositions and torch.special's gamma functions
from .decompositions import Cholesky, Det, Inv, Qr, Slogdet, Solve  # noqa: E402
from .erf import Erfinv  # noqa: E402
from .gamma import Digamma, Lgamma, Polygamma  # noqa: E402
from .spectral import Eigh, Svd  # noqa: E402

# isort: split
# numpy's other elementary ufuncs, torch.special's Bessel and erfcx/ndtri, and torch.linalg's matrix functions
from .bessel import I0, I1, I0e, I1e  # noqa: E402
from .erf import Erfcx, Ndtri  # noqa: E402
from .matrix_functions import LuFactor, MatrixExp, Pinv  # noqa: E402
from .trig import Arccos, Arccosh, Arcsin, Arcsinh, Arctan, Arctanh, Cbrt, Cosh, Exp2, Sinh, Tan  # noqa: E402

# isort: split
# the rest of torch.special: Airy, Bessel J Y K, incomplete gamma, Hurwitz zeta, the orthogonal polynomials
from .airy import AiryAi, AiryAiPrime  # noqa: E402
from .bessel_jy import BesselJ0, BesselJ1, BesselY0, BesselY1, SphericalBesselJ0, SphericalBesselJ1  # noqa: E402
from .bessel_k import ModifiedBesselK0, ModifiedBesselK1, ScaledModifiedBesselK0, ScaledModifiedBesselK1  # noqa: E402
from .incomplete_gamma import Gammainc, Gammaincc  # noqa: E402
from .polynomials import OrthogonalPolynomial  # noqa: E402
from .zeta import Zeta  # noqa: E402

__all__ = [
    "Abs",
    "Add",
    "Astype",
    "BroadcastTo",
    "Concatenate",
    "Contiguous",
    "Cos",
    "Cumsum",
    "Div",
    "Erf",
    "Erfc",
    "Exp",
    "Fold",
    "Expm1",
    "Getitem",
    "Linear",
    "Log",
    "Log1p",
    "Matmul",
    "Max",
    "MaxShift",
    "Maximum",
    "Mul",
    "Neg",
    "PRIMITIVES",
    "Pow",
    "Primitive",
    "Relu",
    "Reshape",
    "ScatterAdd",
    "Sigmoid",
    "Sin",
    "Sub",
    "Sum",
    "Tanh",
    "Transpose",
    "Unfold",
    "Varying",
    "Where",
    "call",
    "sum_to",
    "sum_to_axes",
    "in_float64",
    "float64_forward",
    # torch.linalg's decompositions and torch.special's gamma functions
    "Cholesky",
    "Det",
    "Digamma",
    "Eigh",
    "Erfinv",
    "Inv",
    "Lgamma",
    "Polygamma",
    "Qr",
    "Slogdet",
    "Solve",
    "Svd",
    "Atan2",  # division.py
    "Fmod",
    "Remainder",
]
__all__ += ["Tan", "Sinh", "Cosh", "Arcsin", "Arccos", "Arctan", "Arcsinh", "Arccosh", "Arctanh", "Exp2", "Cbrt"]
__all__ += ["I0", "I1", "I0e", "I1e", "Erfcx", "Ndtri", "MatrixExp", "Pinv", "LuFactor"]
__all__ += ["AiryAi", "AiryAiPrime", "BesselJ0", "BesselJ1", "BesselY0", "BesselY1", "SphericalBesselJ0"]
__all__ += ["SphericalBesselJ1", "ModifiedBesselK0", "ModifiedBesselK1", "ScaledModifiedBesselK0"]
__all__ += ["ScaledModifiedBesselK1", "Gammainc", "Gammaincc", "OrthogonalPolynomial", "Zeta"]
