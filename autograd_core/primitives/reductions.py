"""Reductions over axes: sum, max, and the detached max shift of the softmax family."""

import numpy as np

from . import Primitive, call


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Primitive):
    """Sum over ``axes`` (a tuple of non-negative ints). The gradient is broadcast back."""

    forward_code = "add.reduce({x0}, {axes}, None, {dest}, {keepdims})"

    @staticmethod
    def forward(x, axes, keepdims):
        return x.sum(axis=axes, keepdims=keepdims)  # the method: np.sum's wrapper costs 1 us more

    @staticmethod
    def vjp(i, g, out, x, axes, keepdims):
        kept = g.reshape(_kept_shape(x.shape, axes))
        if not isinstance(kept, np.ndarray):  # a Tensor (create_graph): recorded, to be differentiated again
            return call(BroadcastTo, kept, shape=x.shape)
        full = np.empty(x.shape, kept.dtype)  # one write into a new array: np.broadcast_to costs 3-5 us
        full[...] = kept
        return full

    @staticmethod
    def vjp_code(i, out, x, axes, keepdims):
        """Broadcast back by writing into a buffer (np.broadcast_to costs 1.7 us)."""
        kept = "" if keepdims or not axes else f".reshape({_kept_shape(x.shape, axes)!r})"
        return f"{{dest}}[...] = {{g}}{kept}\n{{y}} = {{dest}}"


class Max(Primitive):
    """Max over ``axes``; tied maxima share the gradient equally (d/dx max(x, x) = 1)."""

    forward_code = "maximum.reduce({x0}, {axes}, None, {dest}, {keepdims})"

    @staticmethod
    def forward(x, axes, keepdims):
        return x.max(axis=axes, keepdims=keepdims)

    @staticmethod
    def vjp(i, g, out, x, axes, keepdims):
        kept = _kept_shape(x.shape, axes)
        is_max = np.asarray(x) == np.asarray(out).reshape(kept)
        share = is_max / is_max.sum(axis=axes, keepdims=True)
        return g.reshape(kept) * share.astype(x.dtype, copy=False)


class MaxShift(Primitive):
    """The max of x over ``axes`` (kept as size-1 axes), non-finite maxima and empty axes giving 0:
    the constant the softmax family subtracts (it cancels in their value and gradient, and keeps
    exp from overflowing at +-1000). A stop-gradient, so its vjp is 0; softmax records it detached:
    backward never visits it, while viz and ag.compile see what it is computed from."""

    name = "max_shift"

    # every max is finite when the sum of their squares is (vdot, one call: 0.5 us less than isfinite and a
    # reduction, and BLAS sets no numpy warning when it overflows); an inf or nan sum takes the patch,
    # which changes only the non-finite maxima, as forward does
    forward_code = (
        "{y} = maximum.reduce({x0}, {axes}, None, {dest}, True, -inf)\n"
        "if not -inf < vdot({y}, {y}) < inf: {y}[~isfinite({y})] = 0"
    )

    @staticmethod
    def forward(x, axes):
        if not x.size and not all(x.shape[a] for a in axes):  # an empty axis has no max: shift by 0
            return np.zeros(_kept_shape(x.shape, axes), x.dtype)
        shift = np.asarray(np.maximum.reduce(x, axes, None, None, True))  # 0-d x: a numpy scalar
        finite = np.isfinite(shift)
        if not np.logical_and.reduce(finite, None):  # rare: test first, patch only then
            shift[~finite] = 0  # an all -inf slice stays -inf, not nan
        return shift

    @staticmethod
    def vjp(i, g, out, x, axes):
        return np.zeros(x.shape, x.dtype)


from .shape import BroadcastTo  # noqa: E402 (Sum's vjp; imported last, so registration follows the files' order)
