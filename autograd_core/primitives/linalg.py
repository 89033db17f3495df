"""Linear algebra: matmul and linear (x @ w.T), primitives so that each runs as one BLAS call."""

import numpy as np

from . import Primitive


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

    hint = "the inner dimensions must match: x.shape[-1] == y.shape[-2] (did you mean to transpose an operand with .T?)"

    forward_code = "matmul({x0}, {x1}{into})"

    @staticmethod
    def hint_for(x, y):
        """The static hint, unless the inner dimensions match and the batch axes are what fails to broadcast.

        >>> Matmul.hint_for(np.ones((2, 3, 4)), np.ones((5, 4, 2)))[:57]
        'the batch axes x.shape[:-2] (2,) and y.shape[:-2] (5,) do'
        """
        if x.ndim < 2 or y.ndim < 2 or x.shape[-1] != y.shape[-2]:
            return Matmul.hint
        return (
            f"the batch axes x.shape[:-2] {x.shape[:-2]} and y.shape[:-2] {y.shape[:-2]} do not broadcast "
            "(aligned from the right, each pair of sizes must be equal or one of them 1); the inner dimensions "
            "match, so give one operand a size-1 axis where the other has its batch (x.unsqueeze(1), say) "
            "or make the batch sizes equal"
        )

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
            if i == 1 and _is_transposed_matrix(y):  # as vjp: dy in W's own layout (a trailing .T: see replay)
                return "matmul({g}.T, {x0}{into}).T"
            return ("matmul({g}, {x1}.T{into})", "matmul({x0}.T, {g}{into})")[i]
        return None


class Linear(Primitive):
    """x @ w.T (+ b) with w of shape (out_features, in_features), as PyTorch's ``F.linear``: one
    primitive so that nn.Linear records one node (torch's addmm), not a transpose, a matmul and an add.

    x is (..., in) (any leading axes, or 1-d); w is (out, in), or 1-d (in,) for a dot product; b,
    if given, broadcasts to the output (F.linear passes one of the output's dtype, of shape (out,)).
    dx = g @ w; dw = g^T @ x summed over all leading axes of x (one BLAS call on the flattened
    rows), computed in w's own memory layout, so a column-major weight (nn.Linear's: w.T is then the
    row-major matrix OpenBLAS multiplies fastest) gets a column-major gradient without a copy;
    db = g, which the engine sums to b's shape (as it does for add).
    """

    hint = (
        "x's last axis must equal the weight's in_features: x.shape[-1] == weight.shape[-1] "
        "(the weight is (out_features, in_features), as in PyTorch; did you pass weight.T?)"
    )

    @staticmethod
    def forward_code(x, w, b=None):
        if b is None:
            return "matmul({x0}, {x1}.T{into})"
        shape = x.shape[:-1] + w.shape[:-1]
        if shape and b.shape == shape[-1:] and b.dtype == np.result_type(x, w):  # as forward
            return "{y} = matmul({x0}, {x1}.T{into})\nadd({y}, {x2}, {y})"
        return "add(matmul({x0}, {x1}.T), {x2}{into})"

    @staticmethod
    def forward(x, w, b=None):
        if w.ndim > 2:
            raise ValueError(f"the weight must be 2-d (out_features, in_features) or 1-d, got {w.ndim}-d")
        out = np.matmul(x, w.T)
        if b is None:
            return out
        if out.ndim and b.shape == out.shape[-1:] and b.dtype == out.dtype:  # (out,): F.linear's (0-d: a scalar)
            return np.add(out, b, out)  # into the product's fresh array: one array a layer, not two
        if np.broadcast_shapes(np.shape(b), np.shape(out)) != np.shape(out):  # (dw sums the product's rows)
            raise ValueError(f"the bias {np.shape(b)} must broadcast to the product's shape {np.shape(out)}")
        return out + b  # numpy's promotion, as x @ w.T + b

    @staticmethod
    def vjp(i, g, out, x, w, b=None):
        if i == 2:
            return g  # summed to b's shape by the engine
        w_is_vector = w.ndim == 1
        if w_is_vector:  # out lost the out_features axis: put it back
            g, w = g.reshape(g.shape + (1,)), w.reshape((1,) + w.shape)
        if i == 0:
            return g @ w  # (..., in)
        if x.ndim != 2:  # every leading axis of x is a row of the one product
            g, x = g.reshape((-1, g.shape[-1])), x.reshape((-1, x.shape[-1]))
        grad = (x.T @ g).T if _is_transposed_matrix(w) else g.T @ x  # (out, in)
        return grad.reshape(grad.shape[1:]) if w_is_vector else grad

    @staticmethod
    def vjp_code(i, out, x, w, b=None):
        if i == 2:
            return "{g}"
        if x.ndim == w.ndim == 2:
            if i == 1 and _is_transposed_matrix(w):  # as vjp: dw in w's own layout (a trailing .T: see replay)
                return "matmul({x0}.T, {g}{into}).T"
            return ("matmul({g}, {x1}{into})", "matmul({g}.T, {x0}{into})")[i]
        return None
