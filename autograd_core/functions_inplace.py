"""The ``torch`` namespace's in-place spellings (``torch.relu_(x)``, ``torch.exp_(x)``, ``torch.clamp_(x, 0, 1)``)
as ``ag.relu_(x)``: each is ``x.<name>(...)``, the Tensor's own in-place method with its checks (a leaf that
requires grad refused, the version counter bumped). One table, one factory: a name added to ``INPLACE_NAMES``
is a new function, with nothing else to write.

>>> x = ag.tensor([-1.0, 2.0])
>>> ag.relu_(x) is x, x
(True, Tensor([0., 2.]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tensor import Tensor

# torch's top-level in-place functions whose Tensor method this engine has (the nn ones, dropout_ selu_ ...,
# belong to nn.functional)
INPLACE_NAMES = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_",
    "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_",
    "i0_", "index_put_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_",
    "negative_", "rad2deg_", "reciprocal_", "relu_", "resize_as_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_",
    "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_",
)  # fmt: skip


def _inplace_function(name: str) -> Callable[..., Tensor]:
    """``ag.<name>(input, *args, **kwargs)``, which runs ``input.<name>(*args, **kwargs)``."""

    def inplace(input: Any, *args: Any, **kwargs: Any) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}: writes into its first argument, which must be a Tensor, got {type(input).__name__}; "
                f"use ag.{name[:-1]}(x) for a new result, or wrap the data first: x = ag.tensor(data)"
            )
        result: Tensor = getattr(input, name)(*args, **kwargs)
        return result

    inplace.__name__ = inplace.__qualname__ = name
    inplace.__doc__ = f"``input.{name}(...)``: the in-place ``{name[:-1]}``, as ``torch.{name}``; returns ``input``."
    return inplace


missing = [name for name in INPLACE_NAMES if not hasattr(Tensor, name)]
assert not missing, f"functions_inplace: Tensor lacks {missing}"  # a renamed method must not vanish silently
globals().update({name: _inplace_function(name) for name in INPLACE_NAMES})

__all__ = list(INPLACE_NAMES)
