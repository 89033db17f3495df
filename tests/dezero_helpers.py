"""Shared pieces of the DeZero ports (Koki Saito, "Deep Learning from Scratch 3", tests/test_dezero_ports*.py):
the book's ``numerical_diff``, its hand-written Square and Exp Functions (steps 1-3) written as ``ag.Function``
subclasses, and its optimisation test functions (step 24), each written once with Tensor operators."""

from typing import ClassVar

import numpy as np

import autograd_core as ag


def numerical_diff(f, x, eps=1e-4):
    """Step 4's central difference (f(x + eps) - f(x - eps)) / 2 eps, on the Tensor's data as in the book."""
    y1 = f(ag.Tensor(x.data + eps))
    y0 = f(ag.Tensor(x.data - eps))
    return (y1.data - y0.data) / (2 * eps)


class Square(ag.Function):
    """Step 2-6's Square: y = x ** 2, dy/dx = 2x (the book's ``self.input.data``: ctx.saved_tensors)."""

    calls: ClassVar[list] = []  # every gradient its backward was given (step 16's test of the generations)

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**2

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        Square.calls.append(float(np.asarray(getattr(gy, "data", gy)).sum()))
        return 2 * x * gy


class Exp(ag.Function):
    """Step 3's Exp: y = e^x, dy/dx = e^x."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.exp()

    @staticmethod
    def backward(ctx, gy):
        (x,) = ctx.saved_tensors
        return x.exp() * gy


def square(x):
    return Square.apply(x)


def exp(x):
    return Exp.apply(x)


def sphere(x, y):
    return x**2 + y**2


def matyas(x, y):
    return 0.26 * (x**2 + y**2) - 0.48 * x * y


def goldstein(x, y):
    return (1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)) * (
        30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    )


def rosenbrock(x0, x1):
    return 100 * (x1 - x0**2) ** 2 + (x0 - 1) ** 2
