"""Linear algebra: matmul (a primitive so that it runs as one BLAS call)."""

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
