"""The case table shared by the gradcheck, second-order, float32 and torch-oracle tests.

A Case is one small function of a few random tensors, written once for autograd_core
(``fn``) and once for torch (``torch_fn``; ``SAME`` when ``fn`` works on torch tensors
unchanged, ``None`` when torch has no such operation). Inputs are drawn away from the
kinks (0 for relu/abs, ties for max/maximum, non-positive bases for log/sqrt/pow), so
finite differences and torch see a smooth function. ``test_primitives_gradcheck`` has
the meta-tests that every primitive in ``ag.PRIMITIVES`` appears in these cases.

This file holds the elementwise, reduction and composed families and assembles ``CASES``; the
structural family (shape ops, indexing, joining, matmul, linear) is in ``shape_cases.py``, and
``Case`` with the input generators in ``case_kit.py``.
"""

import numpy as np
from case_kit import SAME, Case, _torch, away_from_zero, distinct, each, generators, normal, positive
from elementary_cases import elementary_cases  # tan, the hyperbolic and inverse functions, Bessel, erfcx, ndtri
from linalg_special_cases import linalg_cases, special_cases  # torch.linalg decompositions, gamma functions
from shape_cases import (
    fold_cases,
    indexing_cases,
    joining_cases,
    linear_cases,
    matmul_cases,
    shape_cases,
    unfold_cases,
)
from special_more_cases import special_more_cases  # Airy, Bessel J Y K, gammainc, zeta, the polynomials

import autograd_core as ag

BROADCAST_PAIRS = [((3, 1), (1, 4)), ((5,), (2, 5)), ((), (2, 3)), ((2, 3), ()), ((3, 4), (3, 4))]
REDUCTION_AXES = [None, 0, 1, 2, -1, (0, 2), (1, 2), (0, 1, 2)]


# ------------------------------------------------------------------ elementwise and broadcasting
def binary_cases():
    ops = {
        "add": (lambda a, b: a + b, SAME, each(normal)),
        "sub": (lambda a, b: a - b, SAME, each(normal)),
        "mul": (lambda a, b: a * b, SAME, each(normal)),
        "div": (lambda a, b: a / b, SAME, generators(normal, away_from_zero)),
        "pow": (lambda a, b: a**b, SAME, generators(positive, normal)),
        "maximum": (ag.maximum, lambda a, b: _torch().maximum(a, b), distinct),
        "minimum": (ag.minimum, lambda a, b: _torch().minimum(a, b), distinct),
    }
    return [
        Case(f"{name}{a}{b}", fn, (a, b), torch_fn, make)
        for name, (fn, torch_fn, make) in ops.items()
        for a, b in BROADCAST_PAIRS
    ]


def scalar_operand_cases():
    """Python numbers and numpy arrays on either side of an operator."""
    const = np.array([0.5, -1.5, 2.0])
    return [
        Case("pow_const_exponent", lambda x: x**3, ((3, 2),)),  # negative bases are fine: no log(x) needed
        Case("rpow_const_base", lambda x: 2.0**x, ((3,),)),
        Case("sqrt", lambda x: x.sqrt(), ((2, 3),), make=each(positive)),
        Case("rsub_rdiv_scalar", lambda x: (1.0 - x) / 3.0 + 2.0 / x, ((4,),), make=each(away_from_zero)),
        Case(
            "numpy_left_operands",
            lambda x: const * x - const / x,
            ((2, 3),),
            make=each(away_from_zero),
            torch_fn=lambda x: _torch().tensor(const) * x - _torch().tensor(const) / x,
            float64_constant=True,
        ),
    ]


def unary_cases():
    ops = {
        "neg": (lambda x: -x, each(normal)),
        "exp": (lambda x: x.exp(), each(normal)),
        "log": (lambda x: x.log(), each(positive)),
        "log1p": (lambda x: x.log1p(), each(positive)),
        "expm1": (lambda x: x.expm1(), each(normal)),
        "tanh": (lambda x: x.tanh(), each(normal)),
        "sin": (lambda x: x.sin(), each(normal)),
        "cos": (lambda x: x.cos(), each(normal)),
        "sigmoid": (lambda x: x.sigmoid(), each(normal)),
        "erf": (lambda x: x.erf(), each(normal)),
        "erfc": (lambda x: x.erfc(), each(normal)),
        "relu": (lambda x: x.relu(), each(away_from_zero)),
        "abs": (lambda x: x.abs(), each(away_from_zero)),
    }
    return [
        Case(f"{name}{shape}", fn, (shape,), SAME, make)
        for name, (fn, make) in ops.items()
        for shape in [(), (3,), (2, 3)]
    ]


def where_cases():
    cond_full = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
    cond_row = np.array([True, False, False, True])

    def torch_where(cond):  # torch's where, for one fixed condition
        return lambda a, b: _torch().where(_torch().tensor(cond), a, b)

    return [
        Case("where(3,4)(3,1)(1,4)", lambda a, b: ag.where(cond_full, a, b), ((3, 1), (1, 4)), torch_where(cond_full)),
        Case("where_cond_broadcast", lambda a, b: ag.where(cond_row, a, b), ((3, 4), ()), torch_where(cond_row)),
        Case(
            "leaky_relu_by_where",
            lambda x: ag.where(x.data > 0, x, 0.1 * x),
            ((2, 5),),
            lambda x: _torch().where(x > 0, x, 0.1 * x),
            each(away_from_zero),
        ),
    ]


# ------------------------------------------------------------------ atan2, fmod, remainder (primitives/division.py)
def _quotients_off_whole_numbers(rng, shapes):
    """A dividend and a divisor whose quotient is 0.2 to 0.8 from every whole number: away from the jumps of
    fmod and remainder (the dividend has the broadcast shape)."""
    x_shape, y_shape = shapes
    y = rng.choice([-1.0, 1.0], y_shape) * rng.uniform(0.5, 2.0, y_shape)
    quotient = rng.integers(-3, 4, x_shape) + rng.uniform(0.2, 0.8, x_shape)
    return [np.broadcast_to(y, x_shape) * quotient, y]


def division_cases():
    ops = {
        "atan2": (ag.atan2, lambda a, b: _torch().atan2(a, b), distinct),
        "fmod": (ag.fmod, lambda a, b: _torch().fmod(a, b), _quotients_off_whole_numbers),
        "remainder": (ag.remainder, lambda a, b: _torch().remainder(a, b), _quotients_off_whole_numbers),
    }
    return [
        Case(f"{name}{a}{b}", fn, (a, b), torch_fn, make)
        for name, (fn, torch_fn, make) in ops.items()
        for a, b in [((3, 4), (3, 4)), ((2, 3), ()), ((3, 4), (1, 4))]
    ]


# ------------------------------------------------------------------ reductions
def _torch_axes(x, axis):
    return tuple(range(x.ndim)) if axis is None else axis


def reduction_cases():
    cases = []
    for axis in REDUCTION_AXES:
        for keepdims in (False, True):
            tag = f"axis={axis},keepdims={keepdims}"
            cases += [
                Case(
                    f"sum[{tag}]",
                    lambda x, a=axis, k=keepdims: x.sum(axis=a, keepdims=k),
                    ((2, 3, 4),),
                    lambda x, a=axis, k=keepdims: x.sum(axis=_torch_axes(x, a), keepdims=k),
                ),
                Case(
                    f"max[{tag}]",
                    lambda x, a=axis, k=keepdims: x.max(axis=a, keepdims=k),
                    ((2, 3, 4),),
                    lambda x, a=axis, k=keepdims: x.amax(axis=_torch_axes(x, a), keepdims=k),
                    distinct,
                ),
                Case(
                    f"mean[{tag}]",
                    lambda x, a=axis, k=keepdims: x.mean(axis=a, keepdims=k),
                    ((2, 3, 4),),
                    lambda x, a=axis, k=keepdims: x.mean(axis=_torch_axes(x, a), keepdims=k),
                ),
            ]
    cases += [
        Case("sum_0d", lambda x: x.sum(), ((),), lambda x: x.sum()),
        Case("max_0d", lambda x: x.max(), ((),), lambda x: x.amax()),
        Case("sum_size1_axis", lambda x: x.sum(axis=1), ((3, 1, 2),)),
        Case("max_size1_axis", lambda x: x.max(axis=(0, 1)), ((1, 1, 3),), lambda x: x.amax(axis=(0, 1)), distinct),
    ]
    cases += [  # the running sum: torch's cumsum(dim) is the same call
        Case(f"cumsum{shape}dim{dim}", lambda x, d=dim: x.cumsum(d), (shape,), SAME)
        for shape, dim in [((5,), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((), 0)]
    ]
    return cases


# ------------------------------------------------------------------ composed ops
def composed_cases():
    t = _torch
    return [
        Case("softmax_last", lambda x: x.softmax(), ((3, 4),), lambda x: t().softmax(x, -1)),
        Case("softmax_axis0", lambda x: ag.softmax(x, axis=0), ((3, 4),), lambda x: t().softmax(x, 0)),
        Case("log_softmax", lambda x: x.log_softmax(), ((2, 5),), lambda x: t().log_softmax(x, -1)),
        Case("log_softmax_axis0", lambda x: ag.log_softmax(x, axis=0), ((3, 2),), lambda x: t().log_softmax(x, 0)),
        Case("logsumexp", lambda x: x.logsumexp(), ((3, 4),), lambda x: t().logsumexp(x, -1)),
        Case(
            "logsumexp_tuple_keepdims",
            lambda x: ag.logsumexp(x, axis=(0, 2), keepdims=True),
            ((2, 3, 2),),
            lambda x: t().logsumexp(x, (0, 2), keepdim=True),
        ),
        Case("logsumexp_1d", lambda x: x.logsumexp(), ((4,),), lambda x: t().logsumexp(x, -1)),
        Case("cross_entropy_mlp", _mlp_loss, ((5, 3), (3, 4), (4,), (4, 3)), _mlp_loss_torch),
    ]


LABELS = np.array([0, 2, 1, 1, 2])


def _mlp_loss(x, w1, b1, w2):
    """A 2-layer MLP with a softmax cross-entropy composed from primitives."""
    logits = (x @ w1 + b1).tanh() @ w2
    return -logits.log_softmax()[np.arange(len(LABELS)), LABELS].mean()


def _mlp_loss_torch(x, w1, b1, w2):
    torch = _torch()
    logits = (x @ w1 + b1).tanh() @ w2
    return -torch.log_softmax(logits, -1)[torch.arange(len(LABELS)), torch.tensor(LABELS)].mean()


CASES = (
    binary_cases()
    + scalar_operand_cases()
    + unary_cases()
    + where_cases()
    + reduction_cases()
    + shape_cases()
    + indexing_cases()
    + joining_cases()
    + matmul_cases()
    + linear_cases()
    + unfold_cases()
    + fold_cases()
    + composed_cases()
    + linalg_cases()
    + special_cases()
    + division_cases()
    + elementary_cases()
    + special_more_cases()
)
TORCH_CASES = [c for c in CASES if c.torch_fn is not None]
SECOND_ORDER_CASES = CASES  # all of them: at these sizes a gradgradcheck costs milliseconds
