"""``nn.Parameter``, PyTorch's spelling of a trainable tensor. Here any leaf Tensor that requires grad is a
parameter once assigned to a module attribute, so ``Parameter(data)`` makes that Tensor itself (no subclass:
every op, optimizer and file treats it as any Tensor), and ``isinstance(t, nn.Parameter)`` says what PyTorch's
says: t was made by ``nn.Parameter`` or registered as a module's parameter (frozen ones too), not a tensor
that merely requires grad, nor a parameter's ``detach()`` or ``clone()``.

>>> w = Parameter(np.ones(3))
>>> w.requires_grad, isinstance(w, Parameter), isinstance(w * 2, Parameter)
(True, True, False)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor
from autograd_core.types import TensorLike

_MARK = "_nn_parameter"  # in the Tensor's __dict__: made by Parameter, or registered by a module
_LAZY = "_nn_lazy"  # in the Tensor's __dict__: a lazy layer's placeholder (empty until its first call)


def is_parameter_value(value: object) -> bool:
    """Would a module register ``value`` as a parameter: a leaf Tensor that requires grad."""
    return isinstance(value, Tensor) and value.requires_grad and value.is_leaf


def is_lazy(t: object) -> bool:
    """Is ``t`` a lazy layer's parameter not built yet (PyTorch's ``nn.parameter.is_lazy``): empty until the
    layer's first call gives it its shape and values.

    >>> layer = nn.LazyLinear(2)
    >>> is_lazy(layer.weight), layer.weight.shape
    (True, (0,))
    >>> _ = layer(np.ones((1, 3))); is_lazy(layer.weight), layer.weight.shape
    (False, (2, 3))
    """
    return isinstance(t, Tensor) and vars(t).get(_LAZY, False) and t.size == 0


def mark_lazy(t: Tensor) -> Tensor:
    """Record that ``t`` is a lazy layer's placeholder (``is_lazy``) until it gets values; returns t."""
    vars(t)[_LAZY] = True
    return t


def mark_parameter(t: Tensor) -> Tensor:
    """Record that ``t`` is a parameter (``isinstance(t, nn.Parameter)``); returns t."""
    vars(t)[_MARK] = True
    return t


class _ParameterType(type):
    def __instancecheck__(cls, value: Any) -> bool:
        return isinstance(value, Tensor) and vars(value).get(_MARK, False)


class Parameter(metaclass=_ParameterType):
    """PyTorch's ``nn.Parameter(data=None, requires_grad=True)``: ``data`` as a leaf Tensor that requires grad
    (sharing a Tensor's or array's memory, as PyTorch; None: an empty one), marked as a parameter.

    >>> class Scale(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.gain = Parameter(np.ones(3))
    ...     def forward(self, x):
    ...         return x * self.gain
    >>> [name for name, _ in Scale().named_parameters()]
    ['gain']
    """

    def __new__(cls, data: TensorLike | None = None, requires_grad: bool = True) -> Tensor:  # type: ignore[misc]
        values = np.empty(0) if data is None else data.data if isinstance(data, Tensor) else data
        if not isinstance(requires_grad, bool):
            raise TypeError(f"nn.Parameter: requires_grad must be True or False, got {requires_grad!r}")
        return mark_parameter(Tensor(values, requires_grad=requires_grad))  # a Tensor detached, its memory kept


_SPARSE_GRAD = "_nn_sparse_grad"  # in the Tensor's __dict__: an Embedding(sparse=True)'s weight


def mark_sparse_grad(t: Tensor) -> Tensor:
    """Record that ``t``'s gradient stands for torch's sparse one (the rows looked up; the others are zero), as
    ``nn.Embedding(sparse=True)`` does for its weight, so ``nn.optim.SparseAdam`` accepts it; returns t."""
    vars(t)[_SPARSE_GRAD] = True
    return t


def has_sparse_grad(t: Tensor) -> bool:
    """Was ``t`` marked by ``mark_sparse_grad``: its zero rows of gradient are rows torch's sparse one leaves out.

    >>> has_sparse_grad(mark_sparse_grad(Tensor(np.ones(2), requires_grad=True))), has_sparse_grad(Tensor(1.0))
    (True, False)
    """
    return bool(vars(t).get(_SPARSE_GRAD, False))


class _UninitializedType(type(Tensor)):  # type: ignore[misc]
    def __instancecheck__(cls, value: Any) -> bool:
        return is_lazy(value)


class UninitializedParameter(Tensor, metaclass=_UninitializedType):
    """torch's ``nn.UninitializedParameter(requires_grad=True, device=None, dtype=None)``: a parameter whose shape is
    not known yet, the lazy layers' placeholder (``is_lazy``): empty, marked as a parameter, so a module registers it
    and an optimizer can be made before its first call. ``materialize(shape)`` gives it that shape (zeros; torch's
    are uninitialised memory) in place and it becomes an ordinary parameter. ``isinstance(p, UninitializedParameter)``
    is ``is_lazy(p)``, so a lazy layer's parameters answer True until its first call (which builds them itself).

    >>> w = UninitializedParameter()
    >>> isinstance(w, UninitializedParameter), w.shape
    (True, (0,))
    >>> w.materialize((2, 3)); isinstance(w, UninitializedParameter), isinstance(w, Parameter), w.shape
    (False, True, (2, 3))
    """

    __slots__ = ()  # Tensor's layout, so materialize() can make it a Tensor

    def __init__(self, requires_grad: bool = True, device: Any = None, dtype: Any = None) -> None:
        if device not in (None, "cpu"):
            raise ValueError(f"nn.UninitializedParameter: device must be None or 'cpu' (numpy arrays), got {device!r}")
        if not isinstance(requires_grad, bool):
            raise TypeError(f"nn.UninitializedParameter: requires_grad must be True or False, got {requires_grad!r}")
        super().__init__(np.empty(0, np.float64 if dtype is None else dtype), requires_grad=requires_grad)
        mark_lazy(mark_parameter(self))

    def materialize(self, shape: int | tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        """Give the parameter ``shape`` (zeros, then your initialisation) in place:
        ``self.weight.materialize((out_features, x.shape[-1]))``; it becomes an ordinary parameter (a Tensor)."""
        if device not in (None, "cpu"):
            raise ValueError(f"materialize: device must be None or 'cpu' (numpy arrays), got {device!r}")
        self.data = np.zeros(shape, self.dtype if dtype is None else dtype)
        self.__class__ = Tensor  # type: ignore[assignment]  # (torch's cls_to_become)
