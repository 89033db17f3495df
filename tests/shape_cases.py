"""The case table's structural family: shape ops, indexing, joining, matmul and linear.

The elementwise, reduction and composed cases, and the assembled ``CASES`` the tests import, are in
``primitive_cases.py``; ``Case`` and the input generators in ``case_kit.py``.
"""

import numpy as np
from case_kit import Case, _torch, normal

import autograd_core as ag
from autograd_core import Tensor


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
        Case("contiguous_of_permute", lambda x: x.permute(2, 0, 1).contiguous(), ((2, 3, 4),)),
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
        Case("linear_bias", ag.linear, ((3, 4), (2, 4), (2,)), torch_linear),  # the bias is linear's third input
        Case("linear_bias_batched", ag.linear, ((2, 3, 4), (2, 4), (2,)), torch_linear),
        Case("linear_bias_1d_input", ag.linear, ((4,), (2, 4), (2,)), torch_linear),
    ]


# ------------------------------------------------------------------ unfold (im2col, PyTorch's F.unfold)
UNFOLD_SETTINGS = [  # (input shape, kernel_size, dilation, padding, stride)
    ((2, 3, 5, 4), 2, 1, 0, 1),
    ((1, 2, 6, 5), (3, 2), (1, 2), (1, 0), (2, 1)),
    ((2, 1, 4, 4), 3, 1, 1, 1),
    ((1, 2, 7, 6), (2, 3), 2, 2, 3),
    ((2, 2, 3, 3), 1, 1, 0, 1),
]


def unfold_cases():
    cases = []
    for shape, kernel, dilation, padding, stride in UNFOLD_SETTINGS:
        settings = dict(kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
        cases.append(
            Case(
                f"unfold{shape}k{kernel}d{dilation}p{padding}s{stride}",
                lambda x, s=settings: ag.unfold(x, **s),
                (shape,),
                lambda x, s=settings: _torch().nn.functional.unfold(x, **s),
            )
        )
    cases.append(  # uneven padding (conv2d's 'same' for an even kernel) and a -inf fill (max pooling's)
        Case(
            "unfold_uneven_padding_max",
            lambda x: ag.unfold(x, 2, padding=((0, 1), (1, 0)), pad_value=-np.inf).max(axis=1),
            ((1, 1, 3, 3),),
            lambda x: (
                _torch()
                .nn.functional.pad(x, (1, 0, 0, 1), value=-np.inf)
                .unfold(2, 2, 1)
                .unfold(3, 2, 1)
                .amax(dim=(-1, -2))
                .reshape(1, 9)
            ),
            make=lambda rng, shapes: [rng.permutation(9).reshape(shapes[0]) * 0.3],
        )
    )
    return cases


def fold_cases():
    """fold (col2im, PyTorch's F.fold), unfold's transpose: the columns an unfold of each setting gives."""
    cases = []
    for shape, kernel, dilation, padding, stride in UNFOLD_SETTINGS:
        settings = dict(output_size=shape[2:], kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
        columns = ag.unfold(np.zeros(shape), kernel, dilation=dilation, padding=padding, stride=stride).shape
        cases.append(
            Case(
                f"fold{columns}o{shape[2:]}k{kernel}d{dilation}p{padding}s{stride}",
                lambda c, s=settings: ag.fold(c, **s),
                (columns,),
                lambda c, s=settings: _torch().nn.functional.fold(c, **s),
            )
        )
    return cases
