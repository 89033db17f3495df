"""A module's buffer as its attribute shows it: the numpy array it is (numpy's methods, numpy's results, what
BatchNorm updates in place), which also answers the Tensor methods numpy lacks with a Tensor of its values, as
PyTorch code reads a buffer: "Build a Large Language Model"'s ``self.mask.bool()[:n, :n]``, ``.float()``,
``.masked_fill(...)``, ``.unsqueeze(0)``. A name numpy has keeps numpy's meaning (``.sum(axis=)``, ``.view(dtype)``).

>>> mask = BufferArray.of(np.triu(np.ones((3, 3)), k=1))
>>> mask.bool()[:2, :2]
Tensor([[False,  True],
        [False, False]], dtype=bool)
>>> mask * 2                                     # numpy's own: a plain array
array([[0., 2., 2.],
       [0., 0., 2.],
       [0., 0., 0.]])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor


class BufferArray(np.ndarray):
    """A numpy array (``isinstance(b, np.ndarray)``) that lends its values to a Tensor for a Tensor-only method."""

    @classmethod
    def of(cls, array: np.ndarray) -> BufferArray:
        """``array`` seen as a BufferArray: the same memory, so in-place updates reach the module's buffer."""
        if isinstance(array, UninitializedBuffer):  # itself: materialize() resizes it in place, where the module sees
            return array
        return array.view(cls)

    def __getattr__(self, name: str) -> Any:
        # Only names numpy lacks reach here (ndarray's own attributes are found first)
        if not name.startswith("_") and hasattr(Tensor, name):
            return getattr(Tensor(np.asarray(self)), name)
        raise AttributeError(f"'numpy.ndarray' object (a module's buffer) has no attribute {name!r}")

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # Arithmetic gives plain arrays (and Tensors with a Tensor): a buffer's subclass never leaks into results
        plain = tuple(np.asarray(x) if isinstance(x, BufferArray) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(x) if isinstance(x, BufferArray) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*plain, **kwargs)

    def __repr__(self) -> str:
        return repr(np.asarray(self))  # a numpy array, as it prints everywhere else


class Buffer(BufferArray):
    """torch's ``nn.Buffer(data=None, *, persistent=True)``: an array that a module registers as a buffer when
    assigned as its attribute (``self.mask = nn.Buffer(...)`` is ``self.register_buffer("mask", ...)``), saved by
    ``state_dict`` unless ``persistent=False``. Buffers are numpy arrays here: a Tensor given lends its array
    (the same memory, as ``register_buffer`` keeps it), data None is an empty array.

    >>> class Masked(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.mask = nn.Buffer(np.tril(np.ones((2, 2))))
    ...         self.cache = nn.Buffer(np.zeros(2), persistent=False)
    >>> list(Masked().state_dict()), [name for name, _ in Masked().named_buffers()]
    (['mask'], ['mask', 'cache'])
    """

    persistent: bool

    def __new__(cls, data: Any = None, *, persistent: bool = True) -> Buffer:
        if not isinstance(persistent, (bool, np.bool_)):
            raise TypeError(f"nn.Buffer: persistent must be True or False, got {persistent!r}")
        values = np.empty(0) if data is None else data.data if isinstance(data, Tensor) else np.asarray(data)
        if not isinstance(values, np.ndarray) or values.dtype == object:
            raise TypeError(f"nn.Buffer: data must be an array or a Tensor of numbers, got {type(data).__name__}")
        buffer = values.view(cls)
        buffer.persistent = bool(persistent)
        return buffer

    def __array_finalize__(self, obj: Any) -> None:
        self.persistent = getattr(obj, "persistent", True)


class UninitializedBuffer(Buffer):
    """torch's ``nn.UninitializedBuffer(requires_grad=False, device=None, dtype=None, persistent=True)``: a buffer
    whose shape is not known yet (an empty array), for a layer that learns its sizes from its first input;
    ``materialize(shape)`` gives it that shape (zeros; torch's are uninitialised memory) in place, so the module
    that registered it holds the real one. ``requires_grad`` must be False (buffers are never trained here) and
    ``device`` None or "cpu".

    >>> layer = nn.Module()
    >>> layer.running_mean = nn.UninitializedBuffer()
    >>> layer.running_mean.materialize((3,)); layer.running_mean, type(layer.running_mean).__name__
    (array([0., 0., 0.]), 'BufferArray')
    """

    def __new__(
        cls, requires_grad: bool = False, device: Any = None, dtype: Any = None, persistent: bool = True
    ) -> UninitializedBuffer:
        if requires_grad:
            raise ValueError(
                "nn.UninitializedBuffer: requires_grad=True, but a buffer is never trained here; use "
                "nn.UninitializedParameter for a weight learned from the first input's size"
            )
        if device not in (None, "cpu"):
            raise ValueError(f"nn.UninitializedBuffer: device must be None or 'cpu' (numpy arrays), got {device!r}")
        buffer = np.ndarray.__new__(cls, (0,), np.float64 if dtype is None else dtype)  # owns its memory: resizable
        buffer.persistent = bool(persistent)
        return buffer

    def materialize(self, shape: int | tuple[int, ...], device: Any = None, dtype: Any = None) -> None:
        """Give the buffer ``shape`` (zeros) in place: ``self.running_mean.materialize((num_features,))``."""
        if dtype is not None and np.dtype(dtype) != self.dtype:
            raise ValueError(
                f"UninitializedBuffer.materialize: dtype {np.dtype(dtype)} differs from the buffer's {self.dtype}, and "
                "an array cannot change its dtype in place; give the dtype when making it: nn.UninitializedBuffer("
                f"dtype={np.dtype(dtype).name!r})"
            )
        self.resize(shape, refcheck=False)  # (an empty array: no values to keep, no view of it to break)
        self[...] = 0
        self.__class__ = BufferArray  # type: ignore[assignment]  # materialized: an ordinary buffer, as torch's becomes a Tensor
