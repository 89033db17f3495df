"""What a Tensor accepts: its data and its indices, read into numpy before any op runs.

``as_array`` turns what ``Tensor(data)`` is given (numbers, nested lists, numpy arrays, Tensors) into a
numeric numpy array, or raises a TypeError that says what to give; ``plain_index`` turns the Tensors and
lists inside an index into the integer or boolean arrays numpy indexes with. (A Tensor is recognised as a
``TensorBase``, the base of its mixins: this module sits below tensor.py, which imports it.) Operands of
the operators are lifted to Tensors in tensor.py (``_lift``), which makes Tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .grad_mode import current_switches
from .tensor_base import TensorBase
from .types import Array, DTypeLike, Index, TensorLike


def require_float(what: str, dtype: np.dtype[Any], fix: str) -> None:
    """Refuse integer or boolean values for a tensor that requires grad (gradients are floating point).

    >>> require_float("Tensor: requires_grad=True", np.dtype(int), "give float values")
    Traceback (most recent call last):
    TypeError: Tensor: requires_grad=True needs floating-point data, got int64; give float values
    """
    if dtype.kind != "f":
        raise TypeError(f"{what} needs floating-point data, got {dtype}; {fix}")


def require_cpu(op: str, device: object) -> None:
    """PyTorch's ``device=`` and ``.to(device)``: numpy computes on the CPU, so ``None`` and ``"cpu"`` (``"cpu:0"``,
    ``x.device``) are what they say and another device is refused, saying so."""
    if device is not None and str(device).split(":")[0] != "cpu":
        raise ValueError(
            f"{op}: this engine runs on numpy (the CPU) only, not on {device!r}; pass device='cpu' or leave it out"
        )


def as_array(data: TensorLike, dtype: DTypeLike | None, requires_grad: object = False) -> Array | np.generic:
    """``data`` as a numeric numpy array (Python data as float64 unless ``dtype`` says), or a TypeError that
    says what to give (``requires_grad``: Tensor's second argument, named in that message).

    >>> as_array([[1, 2]], None)
    array([[1., 2.]])
    """
    if isinstance(data, TensorBase):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = data
    else:
        if data is None:  # np.asarray(None, float) would silently be nan
            raise TypeError("Tensor: data is None; give a number, a nested list of numbers or a numpy array")
        try:
            array = np.asarray(data, dtype=np.float64 if dtype is None else dtype)  # Python data -> float64
        except (ValueError, TypeError) as error:
            if all(type(size) is int for size in (requires_grad, dtype)):  # Tensor(2, 3, 4): UvA DL tutorial 2
                raise legacy_sizes_error(data, requires_grad, dtype) from None
            raise TypeError(
                f"Tensor: cannot read {type(data).__name__} data as numbers ({error}); give a number, "
                "a nested list of numbers with equal-length rows, or a numeric numpy array"
            ) from None
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor: unsupported data of dtype {array.dtype}; "
            "give numbers, nested lists of numbers or a numeric numpy array"
        )
    return array


def weak_scalar(value: Any, like: Array | np.generic) -> np.ndarray:  # (a bool, int or float)
    """A Python number meeting a tensor that is not floating point, typed by numpy's weak-scalar rule: an int keeps
    an integer tensor's dtype (PyTorch's ``counts + 1`` and ``N[i, j] += 1`` stay integer), a float makes float64,
    an int meeting booleans int64 (a float tensor's own dtype is applied where ``_lift`` meets one).

    >>> weak_scalar(1, np.zeros(2, np.int32)).dtype, weak_scalar(0.5, np.zeros(2, np.int32)).dtype
    (dtype('int32'), dtype('float64'))
    """
    value = int(value) if type(value) not in (bool, int, float) else value  # t.size (an int subclass) as an int
    return np.asarray(value, dtype=np.result_type(like.dtype, value))


def assigned(value: Any) -> Any:
    """The values ``t[index] = value`` writes (a Tensor's array). A value that requires grad, while grad mode
    is on, is refused: the write copies values only, so its gradient would be lost without a word.

    >>> assigned(2.0)
    2.0
    """
    if not isinstance(value, TensorBase):
        return value
    if value.requires_grad and current_switches().grad_enabled:
        raise RuntimeError(
            f"item assignment t[...] = v: v (shape {value.shape}) requires grad, but the write copies its values "
            "only, so no gradient would reach what v was computed from; build the tensor from v instead "
            "(ag.stack, ag.cat, ag.where(mask, v, t)), or assign v.detach() for the values alone"
        )
    return value._data


def plain_index(index: Index) -> Any:
    """Tensors and lists inside an index become numpy arrays (integer or boolean); the rest is unchanged.

    >>> plain_index((slice(None), [0, 2]))
    (slice(None, None, None), array([0, 2]))
    """
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if isinstance(p, (TensorBase, list)):
            break
    else:
        return index  # nothing to convert (the usual case): no new tuple
    for p in parts:
        if isinstance(p, TensorBase) and p.dtype.kind not in "biu":
            raise IndexError(
                f"getitem: an index tensor must hold integers or booleans, got a {p.dtype} tensor of shape "
                f"{p.shape}; Tensor([0, 2]) is float64 here (as Python lists are), so index with a plain "
                "list, ag.tensor([0, 2]) or idx.long()"
            )
    parts = tuple(p._data if isinstance(p, TensorBase) else np.asarray(p) if isinstance(p, list) else p for p in parts)
    return parts if isinstance(index, tuple) else parts[0]


def refuse_graph_in_list(x: Any) -> None:
    """Raise where x, read as one tensor's numbers, is a list or tuple holding a Tensor that requires grad (outside
    no_grad): the copy would keep its values only, cut from the graph (``ag.sum([x, y])`` gave a zero gradient)."""
    if isinstance(x, (list, tuple)) and _holds_graph(x) and current_switches().grad_enabled:
        raise TypeError(
            "a list or tuple holding a Tensor that requires grad was given where one Tensor is expected "
            "(ag.sum([x, y]), ag.as_tensor([x, y])): reading it as numbers copies the values only, so no gradient "
            "would reach x or y; write ag.stack([x, y]) (or ag.cat) to keep the graph, or detach them for the values"
        )


def _holds_graph(data: list[Any] | tuple[Any, ...]) -> bool:
    return any(
        (isinstance(v, TensorBase) and v.requires_grad) or (isinstance(v, (list, tuple)) and _holds_graph(v))
        for v in data
    )


def require_flag_and_float(data: object, requires_grad: object, dtype: np.dtype[Any]) -> None:
    """What ``Tensor(data, requires_grad)`` checks of a truthy ``requires_grad``: a flag, not PyTorch's legacy
    ``torch.Tensor(2, 3)`` (sizes: here the number 2 with ``requires_grad=3``; ``Tensor(3)`` stays the number 3,
    as micrograd's ``Value(3)``), and float data.

    >>> require_flag_and_float(2, 3, np.dtype(np.float64))
    Traceback (most recent call last):
    TypeError: Tensor(2, 3): Tensor's second argument is requires_grad (a bool), not sizes as in PyTorch's ...
    """
    if type(requires_grad) is int:
        raise legacy_sizes_error(data, requires_grad)
    require_float("Tensor: requires_grad=True", dtype, "pass dtype=np.float64 (or float32)")


def legacy_sizes_error(*sizes: object) -> TypeError:
    """The error for ``Tensor(2, 3)`` or ``Tensor(2, 3, 4)``: PyTorch's legacy ``torch.Tensor(*sizes)``, whose
    second and third arguments are ``requires_grad`` and ``dtype`` here.

    >>> legacy_sizes_error(2, 3, 4)
    TypeError("Tensor(2, 3, 4): Tensor's second argument is requires_grad (a bool) and its third the dtype, not ...
    """
    args = ", ".join(map(str, sizes))
    third = " and its third the dtype" if len(sizes) > 2 else ""
    return TypeError(
        f"Tensor({args}): Tensor's second argument is requires_grad (a bool){third}, not sizes as in PyTorch's "
        f"legacy torch.Tensor(*sizes); for an uninitialised tensor of that shape write ag.empty({args}) "
        "(or ag.zeros), for a tensor to train Tensor(data, requires_grad=True)"
    )
