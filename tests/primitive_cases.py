"""The case table shared by the gradcheck, second-order, float32 and torch-oracle tests.

A Case is one small function of a few random tensors, written once for autograd_core
(``fn``) and once for torch (``torch_fn``; ``SAME`` when ``fn`` works on torch tensors
unchanged, ``None`` when torch has no such operation). Inputs are drawn away from the
kinks (0 for relu/abs, ties for max/maximum, non-positive bases for log/sqrt/pow), so
finite differences and torch see a smooth function. ``test_primitives_gradcheck`` has
the meta-tests that every primitive in ``ag.PRIMITIVES`` appears in these cases.
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

SAME = "same"
BROADCAST_PAIRS = [((3, 1), (1, 4)), ((5,), (2, 5)), ((), (2, 3)), ((2, 3), ()), ((3, 4), (3, 4))]
REDUCTION_AXES = [None, 0, 1, 2, -1, (0, 2), (1, 2), (0, 1, 2)]


# ------------------------------------------------------------------ input generators
def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def each(generator):
    """Draw every input independently from ``generator``."""
    return lambda rng, shapes: [generator(rng, s) for s in shapes]


def generators(*per_input):
    """Draw input i from ``per_input[i]``."""
    return lambda rng, shapes: [g(rng, s) for g, s in zip(per_input, shapes)]


def distinct(rng, shapes):
    """All elements of all inputs distinct and at least 0.1 apart: no ties for max/maximum,
    even after a finite-difference step."""
    sizes = [int(np.prod(s)) for s in shapes]
    values = (rng.permutation(sum(sizes)) - sum(sizes) / 2) * 0.15 + rng.uniform(-0.02, 0.02, sum(sizes))
    arrays, start = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(values[start : start + size].reshape(shape))
        start += size
    return arrays


@dataclass
class Case:
    id: str
    fn: Callable
    shapes: tuple
    torch_fn: object = SAME
    make: Callable = each(normal)  # noqa: RUF009 (a function: immutable, safe to share between cases)
    tolerances: dict = field(default_factory=dict)  # gradcheck eps/atol/rtol, for float32-internal cases
    float64_constant: bool = False  # fn mixes in a float64 array: float32 inputs give a float64 output

    def __post_init__(self):
        assert all(isinstance(s, tuple) for s in self.shapes), f"{self.id}: shapes is a tuple of shapes"

    def arrays(self):
        """The case's inputs as float64 arrays, the same on every run (seeded by the id)."""
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        return [np.asarray(a, dtype=np.float64) for a in self.make(rng, self.shapes)]

    def inputs(self, dtype=np.float64):
        return [Tensor(a.astype(dtype), requires_grad=True) for a in self.arrays()]

    def torch(self):
        return self.fn if self.torch_fn == SAME else self.torch_fn

    def ops(self):
        """Names of the primitives in this case's recorded graph."""
        return {t.op for t in ag.walk(self.fn(*self.inputs()))} - {None}


def _torch():
    import torch  # only called by torch-oracle tests, after importorskip

    return torch


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
        "tanh": (lambda x: x.tanh(), each(normal)),
        "sigmoid": (lambda x: x.sigmoid(), each(normal)),
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
    return cases


# ------------------------------------------------------------------ shape ops, indexing, joining
def shape_cases():
    t = _torch
    return [
        Case("reshape(6,4)", lambda x: x.reshape(6, 4), ((2, 3, 4),)),
        Case("reshape(-1)", lambda x: x.reshape(-1), ((2, 3, 4),)),
        Case("reshape_0d_to(1,1)", lambda x: x.reshape(1, 1), ((),)),
        Case("transpose(2,0,1)", lambda x: x.transpose(2, 0, 1), ((2, 3, 4),), lambda x: x.permute(2, 0, 1)),
        Case("transpose_reverse", lambda x: x.transpose(), ((2, 3, 4),), lambda x: x.permute(2, 1, 0)),
        Case("T_2d", lambda x: x.T, ((3, 4),)),
        Case("broadcast_to(2,3,4)", lambda x: x.broadcast_to(2, 3, 4), ((3, 1),), lambda x: x.broadcast_to((2, 3, 4))),
        Case("broadcast_to_0d", lambda x: x.broadcast_to((2, 2)), ((),), lambda x: x.broadcast_to((2, 2))),
        Case(
            "astype_float32",
            lambda x: (x.astype(np.float32) * 1.5).tanh(),
            ((2, 3),),
            lambda x: (x.to(t().float32) * 1.5).tanh(),
            tolerances=dict(eps=1e-3, atol=1e-3, rtol=1e-2),
        ),
    ]


def indexing_cases():
    t = _torch
    mask = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
    repeats = np.array([0, 0, 2, 1, 0])
    rows, cols = np.array([0, 1, 1, 2, 1]), np.array([2, 2, 0, 3, 2])
    return [
        Case("getitem_slices", lambda x: x[1:, ::2], ((3, 4),)),
        Case("getitem_ellipsis_int", lambda x: x[..., 0], ((2, 3, 4),)),
        Case("getitem_newaxis", lambda x: x[None, 1], ((3, 4),)),
        Case("getitem_negative_step", lambda x: x[::-1], ((5,),), lambda x: x.flip(0)),
        Case("getitem_0d_from_1d", lambda x: x[2], ((4,),)),
        Case("getitem_repeated_ints", lambda x: x[repeats], ((3, 4),), lambda x: x[t().tensor(repeats)]),
        Case("getitem_list_repeats", lambda x: x[[1, 1, 1, 0]], ((3,),)),
        Case(
            "getitem_2d_fancy_repeats",
            lambda x: x[rows, cols],
            ((3, 4),),
            lambda x: x[t().tensor(rows), t().tensor(cols)],
        ),
        Case("getitem_mixed_slice_ints", lambda x: x[:, [0, 0, 3]], ((3, 4),)),
        Case("getitem_bool_mask", lambda x: x[mask], ((3, 4),), lambda x: x[t().tensor(mask)]),
        Case(
            "scatter_add_repeats",
            lambda g: _scatter_add(g, (3, 4), repeats),
            ((5, 4),),
            lambda g: t().zeros((3, 4), dtype=g.dtype).index_put((t().tensor(repeats),), g, accumulate=True),
        ),
        Case(
            "scatter_add_basic",
            lambda g: _scatter_add(g, (3, 4), (slice(1, None), 2)),
            ((2,),),
            lambda g: (
                t().zeros((3, 4), dtype=g.dtype).index_put((t().tensor([1, 2]), t().tensor([2, 2])), g, accumulate=True)
            ),
        ),
    ]


def _scatter_add(g, shape, index):
    """scatter_add is getitem's vjp; apply it directly so its own vjp (a getitem) is checked too."""
    return Tensor.apply(ag.PRIMITIVES["scatter_add"], g, shape=shape, index=index)


def joining_cases():
    t = _torch
    return [
        Case(
            "concatenate_axis0",
            lambda a, b: ag.concatenate([a, b], axis=0),
            ((2, 3), (1, 3)),
            lambda a, b: t().cat([a, b], dim=0),
        ),
        Case(
            "concatenate_three_axis-1",
            lambda a, b, c: ag.concatenate([a, b, c], axis=-1),
            ((2, 1), (2, 3), (2, 2)),
            lambda a, b, c: t().cat([a, b, c], dim=-1),
        ),
        Case(
            "concatenate_same_tensor_twice",
            lambda a: ag.concatenate([a, a * 2.0], axis=1),
            ((2, 2),),
            lambda a: t().cat([a, a * 2.0], dim=1),
        ),
        Case("stack_axis0", lambda a, b: ag.stack([a, b]), ((3,), (3,)), lambda a, b: t().stack([a, b])),
        Case(
            "stack_axis-1",
            lambda a, b, c: ag.stack([a, b, c], axis=-1),
            ((2, 2),) * 3,
            lambda a, b, c: t().stack([a, b, c], dim=-1),
        ),
        Case("stack_0d", lambda a, b: ag.stack([a, b]), ((), ()), lambda a, b: t().stack([a, b])),
    ]


# ------------------------------------------------------------------ matmul
MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((4,), (4, 2)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
]


def matmul_cases():
    return [Case(f"matmul{a}@{b}", lambda x, y: x @ y, (a, b)) for a, b in MATMUL_SHAPES] + [
        Case(
            "ag.matmul_numpy_left",
            lambda y: ag.matmul(np.arange(6.0).reshape(2, 3), y),
            ((3, 2),),
            lambda y: _torch().arange(6.0, dtype=y.dtype).reshape(2, 3) @ y,
            float64_constant=True,
        )
    ]


# ------------------------------------------------------------------ linear (x @ w.T, PyTorch's F.linear)
LINEAR_SHAPES = [  # (x, weight): weight is (out, in), or 1-d (in,) as torch accepts
    ((3, 4), (2, 4)),
    ((4,), (2, 4)),
    ((2, 3, 4), (5, 4)),
    ((2, 1, 3, 4), (2, 4)),
    ((3, 4), (4,)),
    ((4,), (4,)),
]


def column_major_weight(rng, shapes):
    """x row-major, the weight column-major as nn.Linear keeps it (its vjp then computes in that layout)."""
    x, w = (normal(rng, s) for s in shapes)
    return [x, np.asfortranarray(w)]


def linear_cases():
    torch_linear = lambda *a: _torch().nn.functional.linear(*a)  # noqa: E731
    return [Case(f"linear{a}{w}", ag.linear, (a, w), torch_linear) for a, w in LINEAR_SHAPES] + [
        Case("linear_column_major_weight", ag.linear, ((3, 4), (2, 4)), torch_linear, column_major_weight),
        Case("linear_bias", ag.linear, ((3, 4), (2, 4), (2,)), torch_linear),
    ]


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
    + composed_cases()
)
TORCH_CASES = [c for c in CASES if c.torch_fn is not None]
SECOND_ORDER_CASES = CASES  # all of them: at these sizes a gradgradcheck costs milliseconds
