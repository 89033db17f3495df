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

from . import (
    autograd,  # noqa: F401 (kept out of __all__) torch.autograd's: ag.autograd.grad, .backward, .functional.jacobian(f, x)
    func,  # torch.func's spellings: ag.func.grad, ag.func.vmap, ...
    linalg,  # torch.linalg's norms: ag.linalg.norm(t, ord=2, dim=1), ag.linalg.vector_norm
)
from .batching import vmap
from .broadcasting import broadcast_shapes
from .checkpoint import checkpoint  # (the function replaces the module's name, as compile's)
from .comparisons import allclose, eq, equal, ge, gt, isclose, le, lt, ne
from .compile import CompileError, CompileWarning, compile
from .creation import (
    FloatTensor,
    LongTensor,
    arange,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    tensor,
    zeros,
    zeros_like,
)
from .delivery import apply_hooks
from .devices import accelerator, backends, cuda, device, get_default_device, set_default_device
from .display import set_printoptions
from .einsum import einsum
from .engine import grad
from .function import Function, FunctionCtx, once_differentiable
from .functions import (
    abs,
    argmax,
    argmin,
    as_tensor,
    cat,
    clamp,
    clip,
    clone,
    concat,
    concatenate,
    exp,
    flatten,
    is_tensor,
    linear,
    log,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    maximum,
    mean,
    minimum,
    norm,
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
from .functions_jax import round, stop_gradient, tensordot, vdot
from .functions_out import add, div, divide, mul, multiply, neg, negative, reciprocal, sub, subtract, true_divide
from .functions_torch import (
    bmm,
    broadcast_to,
    chunk,
    cos,
    cumsum,
    diag,
    diagonal,
    dot,
    erf,
    erfc,
    expm1,
    flip,
    gather,
    heaviside,
    increment_version,
    index_select,
    isfinite,
    isnan,
    log1p,
    log2,
    log10,
    masked_select,
    mm,
    mv,
    nansum,
    nonzero,
    outer,
    prod,
    repeat_interleave,
    roll,
    scatter,
    sin,
    sort,
    split,
    square,
    topk,
    trace,
    tril,
    triu,
    unbind,
)
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    scope,
    set_grad_enabled,
)
from .gradcheck import central_difference, gradcheck, gradgradcheck
from .graph_state import structure_changed
from .linalg import matrix_exp, matrix_power, renorm
from .primitives import PRIMITIVES, Primitive, sum_to
from .sampling import (
    Generator,
    manual_seed,
    multinomial,
    normal,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
)
from .saving import load, save
from .storage import Storage
from .summaries import Histogram, all, any, bincount, bucketize, histogram  # noqa: F401 (all/any: ag.all(t); kept out of __all__, as float)
from .tensor import Tensor
from .transforms import hvp, jacobian, jvp, value_and_grad
from .transforms_hips import elementwise_grad, ravel_pytree
from .transforms_jax import hessian, jacfwd, jacrev, vjp
from .walk import walk
from .windows import fold, unfold

# isort: split
# torch.linalg's matrix functions and torch.special's functions, with torch's top-level spellings
from . import distributions, precision, special  # ag.special.gammaln, ...; ag.distributions.Normal, ...
from .linalg_matrix import det, inverse, logdet, slogdet
from .linalg_solvers import pinverse
from .special import digamma, erfinv, lgamma, logit, polygamma, xlog1py, xlogy

# dtype names as PyTorch spells them (numpy's scalar types, accepted wherever dtype= is)
float32, float64, int32, int64, bool = np.float32, np.float64, np.int32, np.int64, np.bool_  # noqa: A001
float16, uint8, int8, int16 = np.float16, np.uint8, np.int8, np.int16
half, double, long, short = np.float16, np.float64, np.int64, np.int16
# torch.float and torch.int as well, kept out of __all__: a star import must not shadow Python's float and int
float, int = np.float32, np.int32  # noqa: A001
# torch's constants (torch.pi, torch.inf: LLM masks, GELU), kept out of __all__ too: a star import must not bring e
pi, e, inf, nan = np.pi, np.e, np.inf, np.nan

__all__ = [
    "Tensor",
    "Storage",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "central_difference",
    "no_grad",
    "enable_grad",
    "inference_mode",
    "is_inference_mode_enabled",
    "set_grad_enabled",
    "is_grad_enabled",
    "detect_anomaly",
    "scope",
    "walk",
    "apply_hooks",
    "increment_version",
    "allclose",
    "isclose",
    "equal",
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "mm",
    "mv",
    "structure_changed",
    "Primitive",
    "PRIMITIVES",
    "Function",
    "FunctionCtx",
    "once_differentiable",
    "sum_to",
    "as_tensor",
    "exp",
    "log",
    "sigmoid",
    "tanh",
    "relu",
    "abs",
    "sqrt",
    "square",
    "sum",
    "mean",
    "reshape",
    "transpose",
    "softmax",
    "log_softmax",
    "logsumexp",
    "matmul",
    "einsum",
    "linear",
    "maximum",
    "minimum",
    "where",
    "masked_fill",
    "norm",
    "renorm",
    "concatenate",
    "cat",
    "concat",
    "stack",
    "compile",
    "checkpoint",
    "CompileWarning",
    "CompileError",
    "tensor",
    "FloatTensor",
    "LongTensor",
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
    "normal",
    "randint",
    "randperm",
    "multinomial",
    "rand_like",
    "randn_like",
    "from_numpy",
    "manual_seed",
    "Generator",
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
    "gather",
    "scatter",
    "save",
    "load",
    "cumsum",
    "prod",
    "log1p",
    "log10",
    "log2",
    "histogram",
    "Histogram",
    "set_printoptions",
    "expm1",
    "erf",
    "erfc",
    "tril",
    "triu",
    "diagonal",
    "diag",
    "trace",
    "repeat_interleave",
    "roll",
    "broadcast_to",
    "broadcast_shapes",
    "flip",
    "sort",
    "topk",
    "isnan",
    "isfinite",
    "heaviside",
    "nansum",
    "sin",
    "cos",
    "split",
    "chunk",
    "index_select",
    "masked_select",
    "nonzero",
    "unbind",
    "bmm",
    "outer",
    "dot",
    "unfold",
    "fold",
    "float32",
    "float64",
    "int32",
    "int64",
    "bool",
    "float16",
    "half",
    "double",
    "long",
    "short",
    "uint8",
    "int8",
    "int16",
    "is_tensor",
    "empty_like",
    "value_and_grad",
    "jacobian",
    "hessian",
    "hvp",
    "jvp",
    "vjp",
    "jacfwd",
    "jacrev",
    "elementwise_grad",
    "ravel_pytree",
    "vmap",
    "stop_gradient",
    "func",  # (not "autograd": a star import would hide HIPS's autograd package, imported as that name)
    "vdot",
    "tensordot",
    "round",
    "device",
    "cuda",
    "accelerator",
    "backends",
    "set_default_device",
    "get_default_device",
    "add",
    "sub",
    "mul",
    "div",
    "multiply",
    "subtract",
    "divide",
    "true_divide",
    "neg",
    "negative",
    "reciprocal",
    "bincount",
    "bucketize",
    "linalg",
]
__all__ += ["special", "det", "logdet", "slogdet", "inverse", "lgamma", "digamma", "polygamma", "erfinv"]
__all__ += ["xlogy", "xlog1py", "logit", "distributions", "pinverse", "matrix_power", "matrix_exp"]
# PyTorch's Tensor-level names beyond the README (tensor_scans/pointwise/layout.py): the functions_* modules' __all__
from . import functions_idioms, functions_layout, functions_math, functions_namespace, functions_order  # noqa: E402
from .functions_idioms import *  # noqa: E402, F403
from .functions_layout import *  # noqa: E402, F403
from .functions_math import *  # noqa: E402, F403
from .functions_namespace import *  # noqa: E402, F403
from .functions_namespace import range, t  # noqa: E402, F401 (kept out of __all__, as float and int)
from .functions_order import *  # noqa: E402, F403
from .precision import *  # noqa: E402, F403

__all__ += functions_idioms.__all__ + functions_layout.__all__ + functions_math.__all__ + functions_order.__all__
__all__ += functions_namespace.__all__ + precision.__all__  # torch's everyday names (sign, isin, finfo, ...), amp
