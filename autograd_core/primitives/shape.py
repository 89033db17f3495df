"""Shape and indexing: reshape, transpose, broadcast_to, astype, contiguous, getitem (and its scatter), concatenate."""

import math

import numpy as np

from . import Primitive, Varying, call, sum_to


class Reshape(Primitive):
    """View x with a new shape of the same size."""

    hint = "the new shape must have the same number of elements (one -1 may be inferred)"

    forward_code = "{x0}.reshape({shape})"

    @staticmethod
    def forward(x, shape):
        return x.reshape(shape)

    @staticmethod
    def vjp(i, g, out, x, shape):
        return g.reshape(x.shape)


class Transpose(Primitive):
    """Permute axes (``axes`` is a full permutation); the vjp applies the inverse."""

    hint = "axes must be a permutation of range(ndim)"

    forward_code = "{x0}.transpose({axes})"

    @staticmethod
    def forward(x, axes):
        return x.transpose(axes)

    @staticmethod
    def vjp(i, g, out, x, axes):
        return g.transpose(_inverse(axes))

    @staticmethod
    def vjp_code(i, out, x, axes):
        """A view of g, as vjp; .T when the inverse reverses the axes (as x.T's: 0.15 us less)."""
        inverse = _inverse(axes)
        return "{g}.T" if inverse == tuple(reversed(range(len(axes)))) else f"{{g}}.transpose({inverse!r})"


def _inverse(axes):
    """The permutation that undoes ``axes``: np.argsort's answer in plain Python (0.4 us instead of
    3.3 us for a matrix's (1, 0); backward runs it for every .T, e.g. each nn.Linear's weight.T).

    >>> _inverse((2, 0, 1))
    (1, 2, 0)
    """
    return tuple(sorted(range(len(axes)), key=axes.__getitem__))


class BroadcastTo(Primitive):
    """Broadcast x to ``shape`` (a view); the vjp is ``sum_to``. ``x.expand(*sizes)`` (torch's) is this op.

    >>> BroadcastTo.forward(np.array([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """

    name = "broadcast_to"  # the method's name, so errors name what the user typed
    hint = (  # expand(dim, copies) is Grokking Deep Learning's spelling: a new axis at dim
        "only a size-1 axis or a new leading one can grow (x.expand(*sizes) is broadcast_to); to copy x n times "
        "along a new axis d (expand(d, n) in Grokking Deep Learning's framework), write x.unsqueeze(d).expand(...)"
    )

    @staticmethod
    def forward(x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def vjp(i, g, out, x, shape):
        return sum_to(g, x.shape)


class Astype(Primitive):
    """Cast to another float dtype; the gradient is cast back."""

    @staticmethod
    def forward(x, dtype):
        return x.astype(dtype)

    @staticmethod
    def vjp(i, g, out, x, dtype):
        return g.astype(x.dtype)


class Contiguous(Primitive):
    """The same values laid out row-major (C order) in new memory; the gradient passes through unchanged.
    A layout, not a value: no composition of the other ops guarantees it (numpy keeps a transposed input's
    order through copies), and ``t.stride()`` after ``t.contiguous()`` must read torch's row-major steps.

    >>> Contiguous.forward(np.zeros((2, 3)).T).strides
    (16, 8)
    """

    @staticmethod
    def forward(x):
        return np.ascontiguousarray(x)

    @staticmethod
    def vjp(i, g, out, x):
        return g


def _is_basic(index):
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    # A loop, not all() over a generator: backward asks this of every gather (0.57 -> 0.2 us)
    for p in index if type(index) is tuple else (index,):
        if not (p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice))):
            return False
    return True


def _distinct(index, shape, out_shape):
    """Does a tuple of integer arrays (Varying: an argument's, its values unknown) select each element of
    x at most once whatever the unknown ones hold? Yes when a known one fills the whole broadcast index
    (the output's leading axes) with values that differ once wrapped (-1 is the last)."""
    if type(index) is not tuple or not index or len(index) > len(shape):
        return False
    if not all(p is Varying or (isinstance(p, np.ndarray) and p.dtype.kind in "iu") for p in index):
        return False
    count = math.prod(out_shape[: len(out_shape) - (len(shape) - len(index))])
    return any(
        p is not Varying and shape[axis] and p.size == count and np.unique(p % shape[axis]).size == count
        for axis, p in enumerate(index)
    )


class Getitem(Primitive):
    """x[index]: basic slices or integer/bool arrays. The vjp scatters g back, adding repeats.

    ``unique_indices=True`` is the caller's promise (JAX's flag of that name) that the index selects
    no element twice, e.g. ``(arange(n), labels)``: the vjp then assigns g instead of adding it with
    np.add.at (0.6 us less on 32x10). Not checked (a check would cost more than it saves): a false
    promise gives a repeated element the last of its gradients instead of their sum.

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> Tensor.apply(Getitem, x, index=(np.arange(2), np.array([1, 0])), unique_indices=True).sum().backward()
    >>> x.grad
    array([[0., 1.],
           [1., 0.]])
    """

    hint = "index within the tensor's shape (basic slices, integer or boolean arrays)"
    mask_params = ("index",)

    forward_code = "asarray({x0}[{index}])"  # asarray: an int index of a 1-d x gives a numpy scalar

    @staticmethod
    def forward(x, index, unique_indices=False):
        return x[index]

    @staticmethod
    def vjp(i, g, out, x, index, unique_indices=False):
        if type(g) is np.ndarray:  # plain backward: the scatter itself (call's dispatch costs 0.6 us)
            return ScatterAdd.forward(g, x.shape, index, unique_indices)
        if unique_indices:  # a Tensor g (create_graph): recorded, the promise kept
            return call(ScatterAdd, g, shape=x.shape, index=index, unique_indices=True)
        return call(ScatterAdd, g, shape=x.shape, index=index)

    @staticmethod
    def vjp_add(acc, g, index, unique_indices=False):
        """The vjp added into ``acc`` in place (the engine's own array of x's shape): ScatterAdd without its zeros."""
        if unique_indices or _is_basic(index):
            acc[index] += g
        else:
            np.add.at(acc, index, g)

    @staticmethod
    def vjp_code(i, out, x, index, unique_indices=False):
        """ScatterAdd's forward into a buffer: zeros, then g added (np.add.at), or assigned where no
        element can be selected twice: a basic index, one promised unique, or integer arrays one of which
        is a constant with distinct values (x[arange(n), labels]: 1.6 -> 1.1 us on 32x10)."""
        distinct = unique_indices or _is_basic(index) or _distinct(index, x.shape, np.shape(out))
        scatter = "{dest}[{index}] = {g}" if distinct else "add.at({dest}, {index}, {g})"
        return f"{{dest}}[...] = 0\n{scatter}\n{{y}} = {{dest}}"

    @staticmethod
    def vjp_add_code(out, x, index, unique_indices=False):
        """vjp_add as a statement adding g into {acc} (a plan's own array of x's gradient so far)."""
        distinct = unique_indices or _is_basic(index) or _distinct(index, x.shape, np.shape(out))
        return "{acc}[{index}] += {g}" if distinct else "add.at({acc}, {index}, {g})"


class ScatterAdd(Primitive):
    """zeros(shape) with g added at ``index`` (repeated indices add up). Getitem's vjp, and vice versa.
    ``unique_indices=True``: the caller promises no repeats (see Getitem), so g is assigned."""

    name = "scatter_add"
    mask_params = ("index",)

    @staticmethod
    def forward(g, shape, index, unique_indices=False):
        result = np.zeros(shape, dtype=g.dtype)
        if unique_indices or _is_basic(index):
            result[index] = g  # each element at most once: plain assignment is exact and fast
        else:
            np.add.at(result, index, g)
        return result

    @staticmethod
    def vjp(i, g, out, x, shape, index, unique_indices=False):
        return g[index]


class Concatenate(Primitive):
    """Join tensors along ``axis``; each input's gradient is its slice of g.
    ``bounds`` holds the cumulative offsets of the inputs along the axis (n + 1 of them)."""

    hint = "all inputs need the same shape except along the joining axis"
    vjp_reads_inputs = False  # the engine may call vjp without xs: n calls then cost O(n), not O(n^2)

    @staticmethod
    def forward(*xs, axis, bounds):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def vjp(i, g, out, *xs, axis, bounds):
        # bounds[i]:bounds[i+1] is input i's stretch of the axis, precomputed so that one
        # call costs O(1) and joining n tensors costs O(n) in backward, not O(n^2)
        return g[(slice(None),) * axis + (slice(bounds[i], bounds[i + 1]),)]
