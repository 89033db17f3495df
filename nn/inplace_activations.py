"""``nn.functional``'s in-place activations, as PyTorch spells them: ``F.relu_``, ``F.elu_``, ``F.leaky_relu_``,
``F.hardtanh_``, ``F.rrelu_``, ``F.selu_``, ``F.celu_`` and ``F.threshold_``.

Each writes its out-of-place form's value into the tensor it is given and returns that tensor, as the Tensor's own
``relu_`` does: outside the graph, so it refuses a tensor that requires grad while grad mode is on (a parameter,
or a tensor a recorded op may still need), with the out-of-place spelling that records. PyTorch records in-place
ops; here an in-place change is a value update (an optimizer's, a preprocessing step's), and the differentiable
form is the plain ``F.elu(x)``.
"""

from __future__ import annotations

from collections.abc import Callable

import autograd_core as ag
from autograd_core import Tensor

from .activations import celu, elu, hardtanh, leaky_relu, relu, selu
from .init import GeneratorLike
from .random_activations import rrelu
from .shrink_activations import threshold as threshold_function


def _written(name: str, input: Tensor, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """``input`` with ``compute(input)``'s values written into it; refuses what cannot change in place."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"F.{name}_: changes a Tensor in place, got {type(input).__name__}; pass a Tensor, or use "
            f"F.{name}(x) for a new one"
        )
    if input.requires_grad and ag.is_grad_enabled():
        raise RuntimeError(
            f"F.{name}_: the input (shape {input.shape}) requires grad, and an in-place change here happens outside "
            f"the graph; write y = F.{name}(x) (the same values, differentiable), or change it inside "
            "`with ag.no_grad():`"
        )
    with ag.no_grad():
        return input.copy_(compute(input))


def relu_(input: Tensor) -> Tensor:
    """``F.relu`` in place: ``x.relu_()``.

    >>> x = Tensor([-1.0, 2.0])
    >>> F.relu_(x) is x, x
    (True, Tensor([0., 2.]))
    """
    return _written("relu", input, relu)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``F.elu`` in place.

    >>> F.elu_(Tensor([-1.0, 2.0]))
    Tensor([-0.6321,  2.    ])
    """
    return _written("elu", input, lambda x: elu(x, alpha))


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """``F.leaky_relu`` in place.

    >>> F.leaky_relu_(Tensor([-2.0, 3.0]), 0.1)
    Tensor([-0.2,  3. ])
    """
    return _written("leaky_relu", input, lambda x: leaky_relu(x, negative_slope))


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """``F.hardtanh`` in place.

    >>> F.hardtanh_(Tensor([-3.0, 0.5, 3.0]))
    Tensor([-1. ,  0.5,  1. ])
    """
    return _written("hardtanh", input, lambda x: hardtanh(x, min_val, max_val))


def rrelu_(
    input: Tensor,
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    generator: GeneratorLike = None,
) -> Tensor:
    """``F.rrelu`` in place (``generator`` as ``F.rrelu``'s, for the slopes drawn when ``training``).

    >>> F.rrelu_(Tensor([-2.0, 3.0]), 0.1, 0.3)
    Tensor([-0.4,  3. ])
    """
    return _written("rrelu", input, lambda x: rrelu(x, lower, upper, training, generator=generator))


def selu_(input: Tensor) -> Tensor:
    """``F.selu`` in place.

    >>> F.selu_(Tensor([-1.0, 2.0]))
    Tensor([-1.1113,  2.1014])
    """
    return _written("selu", input, selu)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """``F.celu`` in place.

    >>> F.celu_(Tensor([-1.0, 2.0]), 2.0)
    Tensor([-0.7869,  2.    ])
    """
    return _written("celu", input, lambda x: celu(x, alpha))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """``F.threshold`` in place.

    >>> F.threshold_(Tensor([-1.0, 2.0]), 1.0, 0.0)
    Tensor([0., 2.])
    """
    return _written("threshold", input, lambda x: threshold_function(x, threshold, value))
