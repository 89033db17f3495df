"""Reductions over axes: sum, max, the running sum (cumsum), and the detached max shift of the softmax family."""

import functools
import math

import numpy as np

from . import Primitive, call


@functools.lru_cache(maxsize=256)  # backward asks it for the same few shapes every step: 0.34 -> 0.1 us
def _kept_shape(shape, axes):
    return tuple([1 if i in axes else n for i, n in enumerate(shape)])


class Sum(Primitive):
    """Sum over ``axes`` (a tuple of non-negative ints). The gradient is broadcast back."""

    forward_code = "add.reduce({x0}, {axes}, None, {dest}, {keepdims})"

    @staticmethod
    def forward(x, axes, keepdims):
        # the ufunc's reduce, arguments by position: what x.sum() calls, 0.2 us sooner (np.sum: 1 us later)
        return np.add.reduce(x, axes, None, None, keepdims)

    @staticmethod
    def vjp(i, g, out, x, axes, keepdims):
        if not isinstance(g, _NUMPY_VALUES):  # a Tensor (create_graph): recorded, to be differentiated again
            return call(BroadcastTo, g.reshape(_kept_shape(x.shape, axes)), shape=x.shape)
        full = np.empty(x.shape, g.dtype)  # one write into a new array: np.broadcast_to costs 3-5 us
        # g broadcasts as it is when it has the kept axes, or is a single number (every axis summed):
        # the reshape is skipped (a numpy scalar's costs 0.4 us, once a step for a loss's final sum)
        full[...] = g if keepdims or not g.ndim else g.reshape(_kept_shape(x.shape, axes))
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
    backward never visits it, while viz and ag.compile see what it is computed from.

    Its lowering repeats these steps, so a replay gives its bits (a zero maximum's sign included: numpy's
    row reduction and the short-row path may pick different ones)."""

    name = "max_shift"

    @staticmethod
    def forward_code(x, axes):
        """The forward's own steps for x's shape; every max is finite when the sum of their squares is
        (vdot, one call: 0.5 us less than isfinite and a reduction, and BLAS sets no numpy warning when it
        overflows), and only an inf or nan sum patches the non-finite maxima."""
        if not x.size and not all(x.shape[a] for a in axes):
            return f"zeros({_kept_shape(x.shape, axes)!r}, {{x0}}.dtype)"
        if _has_short_rows(x.shape, axes):
            rows = f"{{x0}}.reshape(-1, {x.shape[-1]}).T.copy()"
            top = f"{{y}} = maximum.reduce({rows}, 0).reshape({x.shape[:-1] + (1,)!r})"
        else:
            top = "{y} = maximum.reduce({x0}, {axes}, None, {dest}, True)"
        return top + "\nif not -inf < vdot({y}, {y}) < inf: {y}[~isfinite({y})] = 0"

    @staticmethod
    def forward(x, axes):
        shape = x.shape
        if _has_short_rows(shape, axes):  # (never empty)
            if len(shape) == 2:  # a batch of logits: (rows, 1) as the transpose of a kept axis, no reshapes
                shift = np.maximum.reduce(x.T.copy(), 0, None, None, True).T  # (3.5 -> 3.1 us on 32x10)
            else:
                # C-ordered (length, rows): each maximum runs over a whole row
                columns = x.reshape(-1, shape[-1]).T.copy()
                shift = np.maximum.reduce(columns, 0).reshape(shape[:-1] + (1,))
        elif not x.size and not all(shape[a] for a in axes):  # an empty axis has no max: shift by 0
            return np.zeros(_kept_shape(shape, axes), x.dtype)
        else:
            shift = np.asarray(np.maximum.reduce(x, axes, None, None, True))  # 0-d x: a numpy scalar
        if not -np.inf < np.vdot(shift, shift) < np.inf:
            shift[~np.isfinite(shift)] = 0  # an all -inf slice stays -inf, not nan
        return shift

    @staticmethod
    def vjp(i, g, out, x, axes):
        return np.zeros(x.shape, x.dtype)


_NUMPY_VALUES = (np.ndarray, np.generic)  # what a gradient is outside create_graph (a 0-d one: a numpy scalar)


def _has_short_rows(shape, axes):
    """Is the max over the last axis, whose rows are short and many (a batch of logits)? numpy reduces
    each short row in its own inner loop (10 us for 128 rows of 10); the forward then reduces down the
    columns of a transposed copy instead: a few whole-column maxima (2 us, and 5x less at 1024 rows)."""
    return axes == (len(shape) - 1,) and 2 <= shape[-1] <= 16 and math.prod(shape) >= 32 * shape[-1]


from .shape import BroadcastTo  # noqa: E402 (Sum's vjp; imported last, so registration follows the files' order)


class Cumsum(Primitive):
    """Running sum along ``axis`` (a non-negative int), numpy's additions in numpy's order. Input j
    feeds every output from j on, so its gradient sums g over those: g's running sum from the end."""

    @staticmethod
    def forward(x, axis):
        return np.cumsum(x, axis=axis)

    @staticmethod
    def vjp(i, g, out, x, axis):
        backwards = (slice(None),) * axis + (slice(None, None, -1),)  # a view, on arrays and Tensors alike
        return call(Cumsum, g[backwards], axis=axis)[backwards]  # recorded under create_graph
