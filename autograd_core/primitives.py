"""The primitives: each one holds its numpy forward and its vector-Jacobian product together.

A primitive is a class that is never instantiated::

    class Exp(Primitive):
        @staticmethod
        def forward(x):                # ndarrays in, ndarray out
            return np.exp(x)
        @staticmethod
        def vjp(i, g, out, x):         # gradient for input i, given g = dL/dout
            return g * out

``vjp`` is written once, in the operations numpy arrays and Tensors share
(``+ - * / ** @``, ``.sum``, ``.reshape``, ``.transpose``, indexing): a plain
``backward()`` passes arrays (numpy speed, nothing recorded), ``create_graph=True``
passes Tensors (the same formula records a graph, so derivatives of derivatives work).
Masks, counts and shapes come from ``np.asarray(x)``: they are constants.

Rules stay shape-naive: the engine sums a broadcast gradient back to its input's
shape (``sum_to``) and checks shape and dtype after every vjp.

Kinks follow one rule: **ties split evenly**. relu'(0) = 1/2 (= maximum(x, 0)'),
abs'(0) = 0, maximum(a, b) at a == b gives each side half, and max-reductions share
the gradient equally among tied elements.
"""
import numpy as np

PRIMITIVES = {}
_ARRAY_TYPES = (np.ndarray, np.generic)


class Primitive:
    """Base class: subclasses register themselves in ``PRIMITIVES`` under ``name``.

    A primitive may also say how ``ag.compile`` writes it as numpy code (its *lowering*;
    without one, a replay calls ``forward`` / ``vjp`` themselves). ``forward_code`` is a
    template of the forward and ``vjp_code`` a tuple of the vjp's, one per input (None: call
    ``vjp``), or a staticmethod ``(i, out, *inputs, **params)`` choosing from the traced values.
    Fields: ``{x0}``, ``{x1}``... the inputs, ``{out}`` the output, ``{g}`` the incoming
    gradient, params by name, ``{dest}`` a buffer kept between calls and ``{into}`` ", " + that
    buffer as the ufunc's out (or nothing, for a fresh array), ``{vjp}`` a call of ``vjp``. A
    template is an expression, or lines that assign the result to ``{y}``. It must give exactly
    what the primitive gives (one without params is checked on NaN, +-0 and +-inf).
    """

    name = None
    hint = ""  # appended to a forward error, to say what the user can do
    forward_code = None
    vjp_code = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name = cls.__dict__.get("name") or cls.__name__.lower()
        PRIMITIVES[cls.name] = cls


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


_BROADCAST_HINT = ("shapes must be broadcast-compatible (numpy rules); reshape one operand, "
                   "or keep the reduced axis with keepdims=True")


# ----------------------------------------------------------------- arithmetic
class Add(Primitive):
    """x + y. d/dx = 1, d/dy = 1: the gradient passes through unchanged."""
    hint = _BROADCAST_HINT

    forward_code = "add({x0}, {x1}{into})"
    vjp_code = ("{g}", "{g}")

    @staticmethod
    def forward(x, y):
        return x + y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g


class Sub(Primitive):
    """x - y. A primitive (not add(neg)) to halve the per-op overhead."""
    hint = _BROADCAST_HINT

    forward_code = "subtract({x0}, {x1}{into})"
    vjp_code = ("{g}", "negative({g}{into})")

    @staticmethod
    def forward(x, y):
        return x - y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g if i == 0 else -g


class Mul(Primitive):
    """x * y. d/dx = y, d/dy = x."""
    hint = _BROADCAST_HINT

    forward_code = "multiply({x0}, {x1}{into})"
    vjp_code = ("multiply({g}, {x1}{into})", "multiply({g}, {x0}{into})")

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g * y if i == 0 else g * x


class Div(Primitive):
    """x / y. d/dx = 1/y, d/dy = -x/y**2 = -out/y. A primitive for per-op overhead."""
    hint = _BROADCAST_HINT

    forward_code = "true_divide({x0}, {x1}{into})"
    vjp_code = ("true_divide({g}, {x1}{into})", None)

    @staticmethod
    def forward(x, y):
        return x / y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g / y if i == 0 else -g * out / y


class Neg(Primitive):
    """-x."""

    forward_code = "negative({x0}{into})"
    vjp_code = ("negative({g}{into})",)

    @staticmethod
    def forward(x):
        return -x

    @staticmethod
    def vjp(i, g, out, x):
        return -g


class Pow(Primitive):
    """x ** y. d/dx = y x**(y-1), d/dy = out log x (only computed when y needs a gradient)."""
    hint = _BROADCAST_HINT

    @staticmethod
    def forward(x, y):
        return x ** y

    @staticmethod
    def vjp(i, g, out, x, y):
        if i == 0:
            return g * y * x ** (y - 1)
        return g * out * call(Log, x)


# ----------------------------------------------------------------- elementwise
class Exp(Primitive):
    """e**x. d/dx = e**x = out."""

    forward_code = "exp({x0}{into})"
    vjp_code = ("multiply({g}, {out}{into})",)

    @staticmethod
    def forward(x):
        return np.exp(x)

    @staticmethod
    def vjp(i, g, out, x):
        return g * out


class Log(Primitive):
    """Natural log. d/dx = 1/x. log(0) = -inf and log(-1) = nan with numpy's warning."""

    forward_code = "log({x0}{into})"
    vjp_code = ("true_divide({g}, {x0}{into})",)

    @staticmethod
    def forward(x):
        return np.log(x)

    @staticmethod
    def vjp(i, g, out, x):
        return g / x


class Tanh(Primitive):
    """tanh x. d/dx = 1 - tanh**2. A primitive: 2*sigmoid(2x)-1 loses precision near 0."""

    forward_code = "tanh({x0}{into})"

    @staticmethod
    def forward(x):
        return np.tanh(x)

    @staticmethod
    def vjp(i, g, out, x):
        return g * (1 - out * out)


class Sigmoid(Primitive):
    """1/(1+e**-x). d/dx = s(1-s). A primitive for stability: finite value and grad at |x| = 1000."""

    @staticmethod
    def forward(x):
        e = np.exp(-np.abs(x))  # never overflows: the exponent is <= 0
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    @staticmethod
    def vjp(i, g, out, x):
        return g * out * (1 - out)


def _slope(d):
    """d/dd max(d, 0): 1 where d > 0, 0 where d < 0, 1/2 at d == 0 (ties split evenly).

    Says what np.heaviside(d, 0.5) says, 12x faster (measured on 128x256 float32):
    a boolean mask, patched only in the rare case that a tie occurs.
    """
    slope = d > 0
    tie = d == 0
    if tie.any():
        slope = np.where(tie, d.dtype.type(0.5), slope)
    return slope


class Relu(Primitive):
    """max(x, 0). d/dx = 1 for x > 0, 0 for x < 0, 1/2 at the kink (ties split, as maximum)."""

    forward_code = "maximum({x0}, 0, out={dest})"

    @staticmethod
    def forward(x):
        return np.maximum(x, 0)

    @staticmethod
    def vjp(i, g, out, x):
        return g * _slope(np.asarray(x))

    @staticmethod
    def vjp_code(i, out, x):
        """x > 0 while x holds no exact 0 (counted when small, else vectorised: 5x faster on 32k);
        at a tie the vjp itself."""
        if not x.size:
            return None
        no_tie = f"count_nonzero({{x0}}) == {x.size}" if x.size < 2048 else "not logical_or.reduce(equal({x0}, 0), None)"
        return f"multiply({{g}}, greater({{x0}}, 0){{into}}) if {no_tie} else {{vjp}}"


class Abs(Primitive):
    """|x|. d/dx = sign(x), 0 at the kink (max(x, -x) with the tie split evenly)."""

    @staticmethod
    def forward(x):
        return np.abs(x)

    @staticmethod
    def vjp(i, g, out, x):
        return g * np.sign(np.asarray(x))


class Maximum(Primitive):
    """Elementwise max(x, y); where x == y each side gets half the gradient."""
    hint = _BROADCAST_HINT

    @staticmethod
    def forward(x, y):
        return np.maximum(x, y)

    @staticmethod
    def vjp(i, g, out, x, y):
        x, y = np.asarray(x), np.asarray(y)
        return g * _slope(x - y if i == 0 else y - x)


class Where(Primitive):
    """where(condition, x, y): the gradient goes to x where condition holds, else to y."""
    hint = _BROADCAST_HINT

    @staticmethod
    def forward(x, y, condition):
        return np.where(condition, x, y)

    @staticmethod
    def vjp(i, g, out, x, y, condition):
        return g * (condition if i == 0 else ~condition)


# ----------------------------------------------------------------- reductions
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
        return call(BroadcastTo, g.reshape(_kept_shape(x.shape, axes)), shape=x.shape)

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

    forward_code = ("{y} = maximum.reduce({x0}, {axes}, None, {dest}, True, -inf)\n"
                    "if not logical_and.reduce(isfinite({y}), None): {y}[~isfinite({y})] = 0")

    @staticmethod
    def forward(x, axes):
        if not all(x.shape[a] for a in axes):  # an empty axis has no max: shift by 0
            return np.zeros(_kept_shape(x.shape, axes), x.dtype)
        shift = np.asarray(np.maximum.reduce(x, axes, None, None, True))  # 0-d x: a numpy scalar
        finite = np.isfinite(shift)
        if not np.logical_and.reduce(finite, None):  # rare: test first, patch only then
            shift[~finite] = 0  # an all -inf slice stays -inf, not nan
        return shift

    @staticmethod
    def vjp(i, g, out, x, axes):
        return np.zeros(x.shape, x.dtype)


# ----------------------------------------------------------------- shape
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
        return g.transpose(tuple(int(a) for a in np.argsort(axes)))


class BroadcastTo(Primitive):
    """Broadcast x to ``shape`` (a view); the vjp is ``sum_to``."""
    name = "broadcast_to"  # the method's name, so errors name what the user typed
    hint = _BROADCAST_HINT

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


def _is_basic(index):
    """Basic indexing (ints, slices, None, ...) selects each element at most once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


class Getitem(Primitive):
    """x[index]: basic slices or integer/bool arrays. The vjp scatters g back, adding repeats."""
    hint = "index within the tensor's shape (basic slices, integer or boolean arrays)"

    @staticmethod
    def forward(x, index):
        return x[index]

    @staticmethod
    def vjp(i, g, out, x, index):
        return call(ScatterAdd, g, shape=x.shape, index=index)


class ScatterAdd(Primitive):
    """zeros(shape) with g added at ``index`` (repeated indices add up). Getitem's vjp, and vice versa."""
    name = "scatter_add"

    @staticmethod
    def forward(g, shape, index):
        result = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            result[index] = g  # each element at most once: plain assignment is exact and fast
        else:
            np.add.at(result, index, g)
        return result

    @staticmethod
    def vjp(i, g, out, x, shape, index):
        return g[index]


class Concatenate(Primitive):
    """Join tensors along ``axis``; each input's gradient is its slice of g.
    ``bounds`` holds the cumulative offsets of the inputs along the axis (n + 1 of them)."""
    hint = "all inputs need the same shape except along the joining axis"

    @staticmethod
    def forward(*xs, axis, bounds):
        return np.concatenate(xs, axis=axis)

    @staticmethod
    def vjp(i, g, out, *xs, axis, bounds):
        # bounds[i]:bounds[i+1] is input i's stretch of the axis, precomputed so that
        # joining n tensors costs O(n) in backward, not O(n^2)
        return g[(slice(None),) * axis + (slice(bounds[i], bounds[i + 1]),)]


# ----------------------------------------------------------------- linear algebra
def _matrix_transpose(a):
    return a.T if a.ndim == 2 else a.transpose(tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2))


def _is_transposed_matrix(a):
    """A 2-d numpy array stored column-major (the .T of a row-major one)."""
    return type(a) is np.ndarray and a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous


class Matmul(Primitive):
    """x @ y with numpy's rules (1-d operands, batched n-d). A primitive for BLAS.

    For (..., n, k) @ (..., k, m): dx = g @ y^T, dy = x^T @ g. 1-d operands are promoted
    to matrices as numpy does, and the engine sums broadcast batch axes back.
    """
    hint = ("the inner dimensions must match: x.shape[-1] == y.shape[-2] "
            "(did you mean to transpose an operand with .T?)")

    forward_code = "matmul({x0}, {x1}{into})"

    @staticmethod
    def forward(x, y):
        return np.matmul(x, y)

    @staticmethod
    def vjp(i, g, out, x, y):
        x_is_vector, y_is_vector = x.ndim == 1, y.ndim == 1
        if y_is_vector:  # out lost y's column axis: put it back
            g, y = g.reshape(g.shape + (1,)), y.reshape(y.shape + (1,))
        if x_is_vector:  # out lost x's row axis: put it back
            g, x = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:]), x.reshape((1,) + x.shape)
        if i == 0:
            grad = g @ _matrix_transpose(y)  # (..., n, k)
            return grad.reshape(grad.shape[:-2] + grad.shape[-1:]) if x_is_vector else grad
        if _is_transposed_matrix(y):
            # y is a transposed view (x @ W.T, nn.Linear's weight): compute dy transposed too,
            # so W's gradient comes out C-ordered like W, with no transposing copy anywhere.
            return _matrix_transpose(_matrix_transpose(g) @ x)
        grad = _matrix_transpose(x) @ g  # (..., k, m)
        return grad.reshape(grad.shape[:-1]) if y_is_vector else grad

    @staticmethod
    def vjp_code(i, out, x, y):
        if x.ndim == y.ndim == 2:
            return ("matmul({g}, {x1}.T{into})", "matmul({x0}.T, {g}{into})")[i]
        return None
