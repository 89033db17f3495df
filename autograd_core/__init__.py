"""autograd_core: a define-by-run reverse-mode autodiff engine on numpy.

>>> import autograd_core as ag
>>> w = ag.Tensor([[1.0], [2.0]], requires_grad=True)
>>> loss = (ag.Tensor([[3.0, 4.0]]) @ w).sigmoid().sum()
>>> loss.backward()
>>> w.grad.shape
(2, 1)
"""

__version__ = "0.2.0"  # the one place: pyproject.toml reads it (setuptools' dynamic version)

import numpy as np

from .compile import CompileError, CompileWarning, compile
from .creation import (
    Generator,
    arange,
    empty,
    eye,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .delivery import apply_hooks
from .engine import grad
from .functions import (
    abs,
    argmax,
    argmin,
    as_tensor,
    cat,
    clamp,
    clip,
    clone,
    concatenate,
    exp,
    flatten,
    linear,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    permute,
    pow,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
)
from .grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad, scope, set_grad_enabled
from .gradcheck import gradcheck
from .primitives import PRIMITIVES, Primitive, sum_to
from .tensor import Tensor
from .transforms import hessian, hvp, jacobian, jvp, value_and_grad
from .walk import walk

# dtype names as PyTorch spells them (numpy's scalar types, accepted wherever dtype= is)
float32, float64, int32, int64, bool = np.float32, np.float64, np.int32, np.int64, np.bool_  # noqa: A001

__all__ = [
    "Tensor",
    "grad",
    "gradcheck",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "scope",
    "walk",
    "apply_hooks",
    "Primitive",
    "PRIMITIVES",
    "sum_to",
    "as_tensor",
    "exp",
    "log",
    "sigmoid",
    "tanh",
    "relu",
    "abs",
    "sqrt",
    "sum",
    "mean",
    "max",
    "reshape",
    "transpose",
    "softmax",
    "log_softmax",
    "logsumexp",
    "matmul",
    "linear",
    "maximum",
    "minimum",
    "where",
    "concatenate",
    "cat",
    "stack",
    "compile",
    "CompileWarning",
    "CompileError",
    "tensor",
    "zeros",
    "ones",
    "full",
    "empty",
    "zeros_like",
    "ones_like",
    "full_like",
    "arange",
    "linspace",
    "eye",
    "rand",
    "randn",
    "randint",
    "manual_seed",
    "Generator",
    "min",
    "var",
    "std",
    "argmax",
    "argmin",
    "clamp",
    "clip",
    "pow",
    "clone",
    "squeeze",
    "unsqueeze",
    "permute",
    "flatten",
    "float32",
    "float64",
    "int32",
    "int64",
    "bool",
    "value_and_grad",
    "jacobian",
    "hessian",
    "hvp",
    "jvp",
]
