"""autograd_core: a define-by-run reverse-mode autodiff engine on numpy.

>>> import autograd_core as ag
>>> w = ag.Tensor([[1.0], [2.0]], requires_grad=True)
>>> loss = (ag.Tensor([[3.0, 4.0]]) @ w).sigmoid().sum()
>>> loss.backward()
>>> w.grad.shape
(2, 1)
"""
from .compile import CompileError, CompileWarning, compile
from .engine import grad
from .functions import (abs, as_tensor, concatenate, exp, log, log_softmax, logsumexp, matmul, max,
                        maximum, mean, minimum, relu, reshape, sigmoid, softmax, sqrt, stack, sum, tanh,
                        transpose, where)
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope, set_grad_enabled
from .gradcheck import gradcheck
from .primitives import PRIMITIVES, Primitive
from .primitives import sum_to
from .tensor import Tensor
from .walk import walk

__all__ = [
    "Tensor", "grad", "gradcheck", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "scope", "walk", "Primitive", "PRIMITIVES", "sum_to", "as_tensor",
    "exp", "log", "sigmoid", "tanh", "relu", "abs", "sqrt", "sum", "mean", "max", "reshape",
    "transpose", "softmax", "log_softmax", "logsumexp", "matmul", "maximum", "minimum", "where",
    "concatenate", "stack", "compile", "CompileWarning", "CompileError",
]
