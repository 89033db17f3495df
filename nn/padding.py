"""Padding, as PyTorch spells it: ``F.pad`` (modes "constant", "reflect", "replicate", "circular") and the layers
``ConstantPad1d/2d/3d``, ``ZeroPad1d/2d/3d``, ``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d`` and
``CircularPad1d/2d/3d``.

Constant padding concatenates blocks of the fill; the other modes are one integer-array index per padded axis
(``x[..., sources]``), so the gradient of a padded element flows back to the element it copies and adds up
there (a reflected border element receives its own gradient and its mirror image's). Along an axis of n
elements padded by (before, after), output position i copies input position i - before mapped back into
[0, n): reflected about the end elements (reflect), clamped (replicate), or taken modulo n (circular).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .module import Module

_MODES = ("constant", "reflect", "replicate", "circular")


def _sources(mode: str, size: int, before: int, after: int, axis: int, shape: tuple[int, ...]) -> np.ndarray:
    """The input position each output position copies along one axis, as PyTorch's modes define it."""
    if mode == "circular":  # torch crops first, then wraps around what is left
        start, stop = max(-before, 0), size - max(-after, 0)
        kept = stop - start
        if max(before, 0) > kept or max(after, 0) > kept:
            raise ValueError(
                f"pad: mode='circular' pads axis {axis} of an input of shape {shape} by ({before}, {after}), more "
                f"than its {max(kept, 0)} elements (it would wrap around more than once); pad by at most {kept}"
            )
        return start + np.arange(-max(before, 0), kept + max(after, 0)) % max(kept, 1)
    positions = np.arange(-before, size + after)
    if positions.size < 1:
        raise ValueError(
            f"pad: padding ({before}, {after}) leaves no element of axis {axis} (size {size}) of an input of shape "
            f"{shape}; crop less"
        )
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if before >= size or after >= size:
        raise ValueError(
            f"pad: mode='reflect' pads axis {axis} of an input of shape {shape} by ({before}, {after}); each amount "
            f"must be less than the axis's size {size} (a mirror image repeats no element); use mode='replicate' "
            "or 'circular', or pad less"
        )
    folded = np.abs(positions)  # reflect about 0, then about size - 1
    return np.where(folded > size - 1, 2 * (size - 1) - folded, folded)


def pad(input: TensorLike, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last axes, as PyTorch's ``F.pad``: ``pad`` holds (before, after) pairs from the last axis backwards
    (``(1, 1)``: a column each side; ``(0, 0, 2, 0)``: two rows on top); a negative amount crops. ``mode``:
    "constant" (``value``, default 0, any number of axes), or "reflect", "replicate", "circular" (the last 1, 2
    or 3 axes of a batched (N, C, ...) or unbatched (C, ...) input). Composed from indexing and concatenation:
    the input's gradient flows through.

    >>> pad(Tensor([[1.0, 2.0]]), (1, 0))
    Tensor([[0., 1., 2.]])
    >>> pad(Tensor([[[1.0, 2.0, 3.0]]]), (2, 1), mode="reflect")
    Tensor([[[3., 2., 1., 2., 3., 2.]]])
    """
    if mode not in _MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: mode={mode!r} takes no value (it copies the input's elements), got value={value!r}")
    value = 0.0 if value is None else value  # PyTorch's default, spelled None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"pad: value must be a number (the fill), got {value!r}")
    x = ag.as_tensor(input)
    listed = isinstance(pad, (Sequence, np.ndarray)) and not isinstance(pad, str)  # (an int alone is no pair)
    amounts = tuple(pad) if listed else ()
    whole = listed and all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in amounts)
    if not whole or len(amounts) % 2 or len(amounts) // 2 > x.ndim:
        raise ValueError(
            f"pad: expected (before, after) pairs of ints, at most {x.ndim} for a {x.ndim}-d input, got {pad!r}"
        )
    axes = len(amounts) // 2
    if mode != "constant" and (axes not in (1, 2, 3) or x.ndim not in (axes + 1, axes + 2)):
        raise ValueError(
            f"pad: mode={mode!r} pads the last 1, 2 or 3 axes of an (N, C, ...) or (C, ...) input: {len(amounts)} "
            f"amounts need a {axes + 1}-d or {axes + 2}-d input, got shape {x.shape}; give (before, after) pairs "
            "for the spatial axes only, or use mode='constant'"
        )
    for k in range(axes):
        axis, before, after = x.ndim - 1 - k, int(amounts[2 * k]), int(amounts[2 * k + 1])
        if mode != "constant":
            x = x[(slice(None),) * axis + (_sources(mode, x.shape[axis], before, after, axis, x.shape),)]
            continue
        start, stop = max(-before, 0), x.shape[axis] - max(-after, 0)
        if start > stop:
            raise ValueError(f"pad: {pad!r} crops more than axis {axis}'s {x.shape[axis]} elements")
        if start or stop < x.shape[axis]:
            x = x[(slice(None),) * axis + (slice(start, stop),)]
        sides = [list(x.shape), list(x.shape)]
        sides[0][axis], sides[1][axis] = max(before, 0), max(after, 0)
        if before > 0 or after > 0:
            x = ag.cat([Tensor(np.full(sides[0], value, x.dtype)), x, Tensor(np.full(sides[1], value, x.dtype))], axis)
    return x


class _Pad(Module):
    """A padding layer of ``_axes`` spatial axes: ``padding`` an int (every side) or 2 * _axes ints, (before,
    after) pairs from the last axis backwards, as PyTorch's; the input (N, C, ...) or unbatched (C, ...)."""

    _axes: ClassVar[int]
    _mode: ClassVar[str]

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__()
        count = 2 * self._axes
        amounts: tuple[Any, ...] = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * count
        whole = all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in amounts)
        if len(amounts) != count or not whole:
            sides = ("left", "right", "top", "bottom", "front", "back")[:count]
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or {count} ints ({', '.join(sides)}), got {padding!r}"
            )
        self.padding: tuple[int, ...] = tuple(int(a) for a in amounts)

    def forward(self, x: TensorLike) -> Tensor:
        ndim = len(np.shape(x.data if isinstance(x, Tensor) else x))
        if ndim not in (self._axes + 1, self._axes + 2):
            shape = np.shape(x.data if isinstance(x, Tensor) else x)
            spatial = ("D", "H", "W")[3 - self._axes :] if self._axes > 1 else ("L",)
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): expected an (N, C, {', '.join(spatial)}) or "
                f"(C, {', '.join(spatial)}) input, got shape {tuple(shape)}; reshape it to (N, C, {', '.join(spatial)})"
            )
        return pad(x, self.padding, self._mode, **self._fill())

    def _fill(self) -> dict[str, Any]:
        return {}

    def extra_repr(self) -> str:
        return f"{self.padding}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"padding": list(self.padding)}


class _ConstantPad(_Pad):
    _mode = "constant"

    def __init__(self, padding: int | Sequence[int], value: float) -> None:
        super().__init__(padding)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{type(self).__name__}: value must be a number (the fill), got {value!r}")
        self.value: float = value if isinstance(value, (int, float)) else float(value)  # as given: torch's repr

    def _fill(self) -> dict[str, Any]:
        return {"value": self.value}

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value!r}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"padding": list(self.padding), "value": self.value}


class ConstantPad1d(_ConstantPad):
    """Pad the last axis of (N, C, L) (or (C, L)) with ``value``: ``padding`` an int or (left, right); a negative
    amount crops. PyTorch's ``nn.ConstantPad1d``; ``F.pad``.

    >>> ConstantPad1d((2, 1), 9.0)(np.ones((1, 1, 2)))
    Tensor([[[9., 9., 1., 1., 9.]]])
    """

    _axes = 1


class ConstantPad2d(_ConstantPad):
    """Pad the last two axes of (N, C, H, W) (or (C, H, W)) with ``value``, as PyTorch's ``nn.ConstantPad2d``:
    ``padding`` an int (all four sides) or (left, right, top, bottom); a negative amount crops. ``F.pad``.

    >>> ConstantPad2d((1, 0, 0, 1), 9.0)(np.ones((1, 1, 1, 2)))
    Tensor([[[[9., 1., 1.],
              [9., 9., 9.]]]])
    """

    _axes = 2


class ConstantPad3d(_ConstantPad):
    """Pad the last three axes of (N, C, D, H, W) (or (C, D, H, W)) with ``value``: ``padding`` an int or
    (left, right, top, bottom, front, back), as PyTorch's ``nn.ConstantPad3d``.

    >>> ConstantPad3d(1, 0.5)(np.ones((1, 1, 1, 1, 1))).shape
    (1, 1, 3, 3, 3)
    """

    _axes = 3


class _ZeroPad(_ConstantPad):
    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {"padding": list(self.padding)}


class ZeroPad1d(_ZeroPad):
    """Pad the last axis with zeros: ``ConstantPad1d(padding, 0.0)``, as PyTorch's ``nn.ZeroPad1d``.

    >>> ZeroPad1d((1, 2))(np.ones((1, 1, 1)))
    Tensor([[[0., 1., 0., 0.]]])
    """

    _axes = 1


class ZeroPad2d(_ZeroPad):
    """Pad the last two axes with zeros: ``ConstantPad2d(padding, 0.0)``, as PyTorch's ``nn.ZeroPad2d``.

    >>> ZeroPad2d(1)(np.ones((1, 1, 1, 1)))[0, 0]
    Tensor([[0., 0., 0.],
            [0., 1., 0.],
            [0., 0., 0.]])
    """

    _axes = 2


class ZeroPad3d(_ZeroPad):
    """Pad the last three axes with zeros: ``ConstantPad3d(padding, 0.0)``, as PyTorch's ``nn.ZeroPad3d``.

    >>> ZeroPad3d((1, 0, 0, 0, 0, 0))(np.ones((1, 1, 1, 1, 1)))
    Tensor([[[[[0., 1.]]]]])
    """

    _axes = 3


class ReflectionPad1d(_Pad):
    """Pad the last axis with its mirror image about the end elements (``F.pad(x, padding, "reflect")``): each
    amount less than the axis's size. PyTorch's ``nn.ReflectionPad1d``.

    >>> ReflectionPad1d(2)(Tensor([[[1.0, 2.0, 3.0]]]))
    Tensor([[[3., 2., 1., 2., 3., 2., 1.]]])
    """

    _axes, _mode = 1, "reflect"


class ReflectionPad2d(_Pad):
    """Pad the last two axes with their mirror images (``F.pad(x, padding, "reflect")``), as PyTorch's
    ``nn.ReflectionPad2d`` (the border of style-transfer and super-resolution nets: no dark frame).

    >>> ReflectionPad2d((1, 0, 0, 0))(Tensor([[[[1.0, 2.0]]]]))
    Tensor([[[[2., 1., 2.]]]])
    """

    _axes, _mode = 2, "reflect"


class ReflectionPad3d(_Pad):
    """Pad the last three axes with their mirror images: PyTorch's ``nn.ReflectionPad3d``.

    >>> ReflectionPad3d(1)(np.ones((1, 1, 2, 2, 2))).shape
    (1, 1, 4, 4, 4)
    """

    _axes, _mode = 3, "reflect"


class ReplicationPad1d(_Pad):
    """Pad the last axis by repeating its end elements (``F.pad(x, padding, "replicate")``): PyTorch's
    ``nn.ReplicationPad1d``.

    >>> ReplicationPad1d((2, 1))(Tensor([[[1.0, 2.0]]]))
    Tensor([[[1., 1., 1., 2., 2.]]])
    """

    _axes, _mode = 1, "replicate"


class ReplicationPad2d(_Pad):
    """Pad the last two axes by repeating their border elements: PyTorch's ``nn.ReplicationPad2d``.

    >>> ReplicationPad2d((0, 1, 1, 0))(Tensor([[[[1.0, 2.0]]]]))
    Tensor([[[[1., 2., 2.],
              [1., 2., 2.]]]])
    """

    _axes, _mode = 2, "replicate"


class ReplicationPad3d(_Pad):
    """Pad the last three axes by repeating their border elements: PyTorch's ``nn.ReplicationPad3d``.

    >>> ReplicationPad3d(1)(np.ones((1, 1, 1, 1, 1))).shape
    (1, 1, 3, 3, 3)
    """

    _axes, _mode = 3, "replicate"


class CircularPad1d(_Pad):
    """Pad the last axis periodically, the elements from the other end (``F.pad(x, padding, "circular")``):
    PyTorch's ``nn.CircularPad1d`` (a convolution over a ring).

    >>> CircularPad1d(1)(Tensor([[[1.0, 2.0, 3.0]]]))
    Tensor([[[3., 1., 2., 3., 1.]]])
    """

    _axes, _mode = 1, "circular"


class CircularPad2d(_Pad):
    """Pad the last two axes periodically (a torus): PyTorch's ``nn.CircularPad2d``.

    >>> CircularPad2d((1, 0, 0, 0))(Tensor([[[[1.0, 2.0]]]]))
    Tensor([[[[2., 1., 2.]]]])
    """

    _axes, _mode = 2, "circular"


class CircularPad3d(_Pad):
    """Pad the last three axes periodically: PyTorch's ``nn.CircularPad3d``.

    >>> CircularPad3d(1)(np.ones((1, 1, 1, 1, 1))).shape
    (1, 1, 3, 3, 3)
    """

    _axes, _mode = 3, "circular"
