"""Recurrent cells: ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one time step each, PyTorch's names, shapes
and formulas), and their step functions, which ``nn.RNN`` / ``LSTM`` / ``GRU`` (nn/recurrent.py) run
once per time step.

A step is a handful of Tensor ops (``F.linear``, add, sigmoid, tanh, mul, ``chunk``), so there is no
backward here: run over a sequence, the steps form one long graph, and the engine's chain rule walks
it back step by step. That walk *is* backpropagation through time; nothing about it is written by hand.

Each step takes the input's projection ``x @ weight_ih.T + bias_ih`` already made: a layer makes it
for every time step in one matmul (the input does not depend on the hidden state), a cell for its one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import functional as F
from . import init as nn_init
from .checks import flag, positive_int
from .init import GeneratorLike
from .module import Module

#: Rows of weight_ih per hidden unit: one pre-activation per gate (LSTM: i, f, g, o; GRU: r, z, n).
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
NONLINEARITIES = ("tanh", "relu")
_CELLS = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}  # torch's RNNBase modes: their cells


def cell_of(owner: str, mode: str) -> str:
    """The cell (a key of ``GATES``) of torch's RNNBase ``mode``, or a ValueError naming ``owner``.

    >>> cell_of("RNNBase", "RNN_RELU")
    'RNN'
    """
    if mode not in _CELLS:
        raise ValueError(f"{owner}: mode must be 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU' (torch's), got {mode!r}")
    return _CELLS[mode]


def rnn_step(
    projected: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, nonlinearity: str = "tanh"
) -> Tensor:
    """Elman's step h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), ``projected`` being x W_ih^T + b_ih.

    >>> rnn_step(Tensor([[0.5]]), Tensor([[1.0]]), Tensor([[2.0]]), None).item()    # tanh(0.5 + 2)
    0.9866...
    """
    pre = projected + F.linear(h, weight_hh, bias_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def lstm_step(
    projected: Tensor,
    state: tuple[Tensor, Tensor],
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    weight_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Hochreiter & Schmidhuber's step, PyTorch's gate order i, f, g, o: c' = f c + i g, h' = o tanh(c')
    (i, f, o sigmoids, g a tanh). The cell state's additive path c -> c' (a gradient of f, no squashing)
    is what lets an LSTM's gradient survive many steps. Returns (h', c'); ``weight_hr`` (proj_size, hidden)
    projects h' to h' W_hr^T, as torch's LSTM with proj_size.

    >>> h, c = lstm_step(Tensor(np.zeros((1, 4))), (Tensor([[0.0]]), Tensor([[1.0]])), Tensor(np.zeros((4, 1))), None)
    >>> round(c.item(), 4), round(h.item(), 4)                 # c' = 0.5 * 1, h' = 0.5 tanh(0.5)
    (0.5, 0.2311)
    """
    h, c = state
    i, f, g, o = (projected + F.linear(h, weight_hh, bias_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return (h if weight_hr is None else F.linear(h, weight_hr)), c


def gru_step(projected: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """Cho et al.'s step, PyTorch's gates r, z, n: n = tanh(x_n + r (h W_hn^T + b_hn)) (the reset gate
    scales the hidden state's projection, bias included, as PyTorch), h' = (1 - z) n + z h.

    >>> gru_step(Tensor(np.zeros((1, 3))), Tensor([[1.0]]), Tensor(np.zeros((3, 1))), None).item()  # z = 1/2
    0.5
    """
    x_r, x_z, x_n = projected.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, weight_hh, bias_hh).chunk(3, -1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()
    return n + z * (h - n)  # = (1 - z) n + z h, one op fewer


def float_dtype(owner: str, dtype: DTypeLike) -> np.dtype:
    """``dtype`` as a numpy floating dtype, or a TypeError naming ``owner``."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{owner}: dtype must be floating-point (float64 or float32), got {dtype}")
    return dtype


def uniform_parameter(shape: tuple[int, ...], bound: float, generator: np.random.Generator, dtype: np.dtype) -> Tensor:
    """A parameter drawn from U(-bound, bound), PyTorch's init of every recurrent weight and bias."""
    return Tensor(generator.uniform(-bound, bound, shape).astype(dtype), requires_grad=True)


class RNNCellBase(Module):
    """torch's ``nn.RNNCellBase``, what the three cells share: parameters weight_ih (num_chunks*hidden, input),
    weight_hh (num_chunks*hidden, hidden), bias_ih, bias_hh, all U(-1/sqrt(hidden), 1/sqrt(hidden)), and the
    checks. ``num_chunks`` is the number of gates (RNNCell 1, GRUCell 3, LSTMCell 4); built directly it has no
    forward, as torch's: build one of the cells.

    >>> isinstance(GRUCell(3, 5), RNNCellBase), RNNCellBase(3, 5, True, num_chunks=4).weight_hh.shape
    (True, (20, 5))
    """

    _kind = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = positive_int(name, "input_size", input_size)
        self.hidden_size = positive_int(name, "hidden_size", hidden_size)
        # Grokking Deep Learning's RNNCell(n_inputs, n_hidden, n_output) puts a size where torch's bias goes
        no_output = f" (an output size? the cell has no output layer: add nn.Linear({hidden_size}, n_output))"
        bias = flag(name, "bias", bias, no_output)
        dtype, generator = float_dtype(name, dtype), nn_init.as_generator(seed)
        rows = positive_int(name, "num_chunks", num_chunks) * self.hidden_size
        bound = 1 / math.sqrt(self.hidden_size)
        self.weight_ih = uniform_parameter((rows, self.input_size), bound, generator, dtype)
        self.weight_hh = uniform_parameter((rows, self.hidden_size), bound, generator, dtype)
        self.bias_ih = uniform_parameter((rows,), bound, generator, dtype) if bias else None
        self.bias_hh = uniform_parameter((rows,), bound, generator, dtype) if bias else None

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        config = {"input_size": self.input_size, "hidden_size": self.hidden_size, "bias": self.bias_ih is not None}
        return {**config, "dtype": self.weight_ih.dtype.name}

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias_ih is not None else ", bias=False")

    def _input(self, input: TensorLike) -> tuple[Tensor, bool]:
        """The input as (N, input_size), and whether it came batched (an (input_size,) vector did not)."""
        x = input if isinstance(input, Tensor) else ag.as_tensor(input)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): input of shape {x.shape}, expected (N, "
                f"{self.input_size}) or ({self.input_size},) (one step; for a sequence use nn.{self._kind})"
            )
        return (x, True) if x.ndim == 2 else (x.reshape(1, self.input_size), False)

    def _state(self, hx: TensorLike | None, x: Tensor, batched: bool, what: str = "hx") -> Tensor:
        """A hidden (or cell) state as (N, hidden_size): zeros when None, else checked against the input."""
        if hx is None:
            return Tensor(np.zeros((x.shape[0], self.hidden_size), self.weight_ih.dtype))
        h = hx if isinstance(hx, Tensor) else ag.as_tensor(hx)
        want = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        if h.shape != want:
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): {what} of shape {h.shape} for an input of shape "
                f"{x.shape if batched else x.shape[1:]}, expected {want} (batch, hidden_size)"
            )
        return h if batched else h.reshape(1, self.hidden_size)

    def _projected(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN, h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (``nonlinearity="relu"``:
    relu), as PyTorch's ``nn.RNNCell``: input (N, input_size) or (input_size,), hx likewise (None: zeros).
    Composed from Tensor ops: run it in a loop and backward() is backpropagation through time.

    >>> cell = RNNCell(3, 5, seed=0)
    >>> cell(np.ones((2, 3))).shape
    (2, 5)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, GATES[self._kind], seed, dtype)
        self.nonlinearity = nonlinearity

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {**super().config(), "nonlinearity": self.nonlinearity}

    def extra_repr(self) -> str:
        relu = "" if self.nonlinearity == "tanh" else ", nonlinearity=relu"  # torch's spelling, unquoted
        return super().extra_repr() + relu

    def forward(self, input: TensorLike, hx: TensorLike | None = None) -> Tensor:
        x, batched = self._input(input)
        h = rnn_step(self._projected(x), self._state(hx, x, batched), self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else h.reshape(self.hidden_size)


class LSTMCell(RNNCellBase):
    """One step of an LSTM, as PyTorch's ``nn.LSTMCell`` (gates i, f, g, o; see ``lstm_step``):
    ``h, c = cell(x, (h, c))``; hx None starts both at zeros. Weights are (4 hidden, ...).

    >>> h, c = LSTMCell(3, 5, seed=0)(np.ones((2, 3)))
    >>> h.shape, c.shape
    ((2, 5), (2, 5))
    """

    _kind = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, GATES[self._kind], seed, dtype)

    def forward(self, input: TensorLike, hx: tuple[TensorLike, TensorLike] | None = None) -> tuple[Tensor, Tensor]:
        x, batched = self._input(input)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise ValueError(
                f"LSTMCell({self.extra_repr()}): hx must be a pair (h, c) or None, got {type(hx).__name__}"
            )
        h0, c0 = (None, None) if hx is None else hx
        state = (self._state(h0, x, batched, "h"), self._state(c0, x, batched, "c"))
        h, c = lstm_step(self._projected(x), state, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.reshape(self.hidden_size), c.reshape(self.hidden_size))


class GRUCell(RNNCellBase):
    """One step of a GRU, as PyTorch's ``nn.GRUCell`` (gates r, z, n; see ``gru_step``):
    ``h = cell(x, h)``; hx None starts at zeros. Weights are (3 hidden, ...).

    >>> GRUCell(3, 5, seed=0)(np.ones(3)).shape
    (5,)
    """

    _kind = "GRU"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, GATES[self._kind], seed, dtype)

    def forward(self, input: TensorLike, hx: TensorLike | None = None) -> Tensor:
        x, batched = self._input(input)
        h = gru_step(self._projected(x), self._state(hx, x, batched), self.weight_hh, self.bias_hh)
        return h if batched else h.reshape(self.hidden_size)
