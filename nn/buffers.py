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
