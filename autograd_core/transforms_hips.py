"""HIPS autograd's transforms that neither JAX nor torch.func names: ``elementwise_grad`` (the derivative of
an elementwise function at many points in one backward), and ``ravel_pytree``, HIPS's ``autograd.misc.flatten``
under JAX's name (``jax.flatten_util.ravel_pytree``; ``ag.flatten`` is torch's reshape). Built on transforms.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .functions import cat
from .tensor import Tensor
from .tensor_inputs import as_array
from .transforms import Argnums, _check_argnums, _is_tree, _leaves, _rebuild, value_and_grad


def elementwise_grad(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """HIPS's ``elementwise_grad``: ``x -> 1^T J``, the vjp of ``f`` with a cotangent of ones (one backward),
    in ``x``'s shape. For an elementwise ``f`` (J diagonal) that is ``f'`` at every point of ``x``; it nests,
    so ``elementwise_grad(elementwise_grad(f))`` is ``f''``. f may return any shape (``grad`` needs one number).
    A tuple ``argnums`` gives a tuple, one per argument.

    >>> d_tanh = elementwise_grad(lambda x: x.tanh())
    >>> d_tanh(Tensor([0.0, 1.0]))
    Tensor([1.    , 0.42])
    >>> elementwise_grad(d_tanh)(Tensor([0.0]))  # -2 tanh(x) (1 - tanh(x)^2)
    Tensor([0.])
    """
    argnums = _check_argnums("elementwise_grad", argnums)

    def summed(*args: Any) -> Tensor:
        out = f(*args)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"elementwise_grad: f must return a Tensor, got {type(out).__name__}; for several outputs take "
                "one elementwise_grad per output (elementwise_grad(lambda x: f(x)[0]), ...)"
            )
        return out.sum()  # its gradient is the vjp of f with a cotangent of ones

    def elementwise_grad_f(*args: Any) -> Any:
        return value_and_grad(summed, argnums)(*args)[1]

    elementwise_grad_f.__name__ = f"elementwise_grad({getattr(f, '__name__', 'f')})"
    return elementwise_grad_f


def ravel_pytree(tree: Any) -> tuple[Tensor, Callable[[Any], Any]]:
    """HIPS's ``flatten`` (JAX's ``ravel_pytree``): ``(flat, unravel)``, every leaf of a Tensor, array, or a
    dict/list/tuple of them (leaves in order: dicts by insertion) reshaped to one 1-d Tensor, and the function
    that cuts a vector of that size back into the tree's containers and shapes. Both are recorded ops, so a
    loss may use either (an L2 penalty ``flat @ flat``; an optimizer over one vector).

    >>> flat, unravel = ravel_pytree({"w": Tensor([[1.0, 2.0]]), "b": Tensor(3.0)})
    >>> flat
    Tensor([1., 2., 3.])
    >>> unravel(flat * 10)["w"]
    Tensor([[10., 20.]])
    """
    leaves = [leaf if isinstance(leaf, Tensor) else Tensor(as_array(leaf, None)) for leaf in _leaves(tree)]
    if not leaves:
        raise ValueError(f"ravel_pytree: the {type(tree).__name__} holds no Tensors or arrays; nothing to flatten")
    shapes = [leaf.shape for leaf in leaves]
    ends = np.cumsum([leaf.size for leaf in leaves]).tolist()
    flat = cat([leaf.reshape(-1) for leaf in leaves])

    def unravel(vector: Any) -> Any:
        vector = vector if isinstance(vector, Tensor) else Tensor(as_array(vector, None))
        if vector.shape != (ends[-1],):
            raise ValueError(
                f"ravel_pytree's unravel: expected a 1-d vector of {ends[-1]} numbers (the tree's {len(leaves)} "
                f"leaves), got shape {vector.shape}"
            )
        parts = [vector[start:end].reshape(shape) for start, end, shape in zip([0, *ends], ends, shapes)]
        return _rebuild(tree, iter(parts)) if _is_tree(tree) else parts[0]

    return flat, unravel
