"""Channel dropout for signals and volumes, as PyTorch names it: ``F.dropout1d`` / ``nn.Dropout1d`` over (N, C,
L) and ``F.dropout3d`` / ``nn.Dropout3d`` over (N, C, D, H, W), ``dropout2d``'s neighbours: each whole channel of
each sample is zeroed with probability p (neighbouring positions of a feature map are correlated, so single
zeros barely regularise), the rest scaled by 1/(1-p). A mask times the input: no backward here.
"""

from __future__ import annotations

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import TensorLike

from .activations import _check_probability, _masked, inplace_flag
from .init import GeneratorLike
from .layers import Dropout
from .windows_nd import AXES


def _channel_dropout(op: str, nd: int, input: TensorLike, p: float, training: bool, inplace, generator) -> Tensor:
    _check_probability(op, p)
    inplace_flag(f"F.{op}", inplace, "4th", "generator")
    x = ag.as_tensor(input)
    axes = ", ".join(AXES[nd])
    if x.ndim not in (nd + 1, nd + 2):
        raise ValueError(
            f"{op}: expected an (N, C, {axes}) input or one unbatched (C, {axes}), got shape {x.shape}; "
            f"reshape it to (N, C, {axes})"
        )
    channels = x.shape[: x.ndim - nd]  # (N, C), or (C,) unbatched: one draw per channel, as PyTorch's
    return _masked(x, channels + (1,) * nd, p, training, generator)


def dropout1d(
    input: TensorLike, p: float = 0.5, training: bool = True, inplace: bool = False, generator: GeneratorLike = None
) -> Tensor:
    """Zero whole channels of (N, C, L) signals (or one (C, L) signal), each with probability ``p``, and scale
    the rest by 1/(1-p) when ``training``, as PyTorch's ``F.dropout1d``; the identity otherwise. ``generator``
    as ``dropout``'s.

    >>> dropout1d(np.ones((1, 4, 2)), 0.5, generator=0)[0]     # channels 1-3 dropped
    Tensor([[2., 2.],
            [0., 0.],
            [0., 0.],
            [0., 0.]])
    """
    return _channel_dropout("dropout1d", 1, input, p, training, inplace, generator)


def dropout3d(
    input: TensorLike, p: float = 0.5, training: bool = True, inplace: bool = False, generator: GeneratorLike = None
) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) volumes (or one (C, D, H, W) volume), each with probability ``p``,
    and scale the rest by 1/(1-p) when ``training``, as PyTorch's ``F.dropout3d``; the identity otherwise.

    >>> dropout3d(np.ones((1, 4, 1, 1, 2)), 0.5, generator=0)[0, :, 0, 0, 0]
    Tensor([2., 0., 0., 0.])
    """
    return _channel_dropout("dropout3d", 3, input, p, training, inplace, generator)


class Dropout1d(Dropout):
    """In training, zero whole channels of (N, C, L) signals, each with probability ``p``, and scale the rest
    by 1/(1-p): ``F.dropout1d``, as PyTorch's ``nn.Dropout1d``; in ``eval()`` mode, the identity. ``seed`` as
    Dropout's.

    >>> Dropout1d(0.5, seed=0)(np.ones((1, 4, 3)))[0, :, 0]     # each channel all 0 or all 2
    Tensor([2., 0., 0., 0.])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return _channel_dropout(f"Dropout1d(p={self.p:g})", 1, x, self.p, self.training, False, self.generator)


class Dropout3d(Dropout):
    """In training, zero whole channels of (N, C, D, H, W) volumes, each with probability ``p``, and scale the
    rest by 1/(1-p): ``F.dropout3d``, as PyTorch's ``nn.Dropout3d``; in ``eval()`` mode, the identity.

    >>> Dropout3d(0.5, seed=0)(np.ones((1, 4, 2, 2, 2)))[0, :, 0, 0, 0]
    Tensor([2., 0., 0., 0.])
    """

    def forward(self, x: TensorLike) -> Tensor:
        return _channel_dropout(f"Dropout3d(p={self.p:g})", 3, x, self.p, self.training, False, self.generator)


__all__ = ["dropout1d", "dropout3d", "Dropout1d", "Dropout3d"]
