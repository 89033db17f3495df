"""Recurrent layers over whole sequences: ``RNN``, ``LSTM``, ``GRU``, as PyTorch's (the same parameter
names and shapes, so a torch ``state_dict``'s values load and give the same outputs).

Each layer runs its cell's step function (nn/recurrent_cells.py) once per time step, per stacked layer
and per direction, and stacks the hidden states. There is no backward anywhere: ``loss.backward()``
walks the unrolled graph back through every step, which is backpropagation through time (BPTT) falling
out of the engine's chain rule; the gradient of a weight used at every step is the sum over the steps.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import DTypeLike, TensorLike

from . import functional as F
from . import init as nn_init
from .checks import positive_int
from .init import GeneratorLike
from .module import Module
from .recurrent_cells import (
    GATES,
    NONLINEARITIES,
    cell_of,
    float_dtype,
    gru_step,
    lstm_step,
    rnn_step,
    uniform_parameter,
)
from .recurrent_packed import run_packed
from .rnn_utils import PackedSequence

State = Any  # a hidden state Tensor (RNN, GRU) or an (h, c) pair (LSTM)


class RNNBase(Module):
    """torch's ``nn.RNNBase``: what RNN, LSTM and GRU share (the parameters per layer and direction, the checks, the
    unrolling). ``mode``: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU"; built directly it has no forward, as torch's.

    >>> isinstance(LSTM(3, 5), RNNBase), RNNBase("GRU", 3, 5).weight_ih_l0.shape
    (True, (15, 3))
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.mode: str = mode
        self._kind = cell_of(name, mode)  # its cell: RNN, LSTM or GRU
        self.input_size = positive_int(name, "input_size", input_size)
        self.hidden_size = positive_int(name, "hidden_size", hidden_size)
        self.num_layers = positive_int(name, "num_layers", num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(
                f"{name}: dropout must be a probability in [0, 1) (applied to the outputs of every layer but the "
                f"last, in training), got {dropout!r}"
            )
        self.dropout: float = float(dropout)
        if self.dropout and self.num_layers == 1:  # as torch: the setting would silently do nothing
            warnings.warn(
                f"{name}: dropout={dropout} acts between stacked layers only, so with num_layers=1 it does nothing; "
                "give num_layers > 1, or add nn.Dropout after the layer",
                UserWarning,
                stacklevel=3,
            )
        self.bias: bool = bool(bias)
        self.batch_first: bool = bool(batch_first)
        self.bidirectional: bool = bool(bidirectional)
        self.proj_size: int = proj_size  # an LSTM's projection of h (checked by LSTM); 0: none
        dtype, generator = float_dtype(name, dtype), nn_init.as_generator(seed)
        rows, bound = GATES[self._kind] * self.hidden_size, 1 / np.sqrt(self.hidden_size)
        for layer in range(self.num_layers):  # PyTorch's order of the parameters (and of a state_dict)
            fan_in = self.input_size if layer == 0 else self.output_size * self.directions
            for suffix in self._suffixes(layer):
                setattr(self, f"weight_ih{suffix}", uniform_parameter((rows, fan_in), bound, generator, dtype))
                setattr(
                    self, f"weight_hh{suffix}", uniform_parameter((rows, self.output_size), bound, generator, dtype)
                )
                if self.bias:
                    setattr(self, f"bias_ih{suffix}", uniform_parameter((rows,), bound, generator, dtype))
                    setattr(self, f"bias_hh{suffix}", uniform_parameter((rows,), bound, generator, dtype))
                if self.proj_size:
                    shape = (self.proj_size, self.hidden_size)
                    setattr(self, f"weight_hr{suffix}", uniform_parameter(shape, bound, generator, dtype))

    @property
    def directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """The size of h (and of each direction's output): proj_size when an LSTM projects it, else hidden_size."""
        return self.proj_size or self.hidden_size

    @property
    def all_weights(self) -> list[list[Tensor]]:
        """The parameters per layer and direction, [weight_ih, weight_hh(, bias_ih, bias_hh)], as torch's.

        >>> [w.shape for w in LSTM(3, 5, seed=0).all_weights[0]]
        [(20, 3), (20, 5), (20,), (20,)]
        """
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if self.bias else [])
        names += ["weight_hr"] if self.proj_size else []
        suffixes = [suffix for layer in range(self.num_layers) for suffix in self._suffixes(layer)]
        return [[getattr(self, name + suffix) for name in names] for suffix in suffixes]

    def flatten_parameters(self) -> None:
        """Nothing to do: PyTorch's call packs the weights into one cuDNN buffer; here every weight is
        already its own array, so a torch model's ``self.lstm.flatten_parameters()`` runs unchanged.

        >>> LSTM(3, 5, seed=0).flatten_parameters()
        """

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.directions]

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bias": self.bias,
            "batch_first": self.batch_first,
            "dropout": self.dropout,
            "bidirectional": self.bidirectional,
            "dtype": self._parameters["weight_ih_l0"].dtype.name,
        }

    def extra_repr(self) -> str:
        options = [f"{self.input_size}, {self.hidden_size}"] + (
            [f"proj_size={self.proj_size}"] if self.proj_size else []
        )
        defaults = {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0.0, "bidirectional": False}
        options += [f"{key}={getattr(self, key)}" for key, default in defaults.items() if getattr(self, key) != default]
        return ", ".join(options)

    # ------------------------------------------------------------------ the unrolled forward
    def _step(
        self, projected: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None, weight_hr: Tensor | None
    ) -> State:
        """One time step; ``weight_hr`` is an LSTM's projection of h (None without proj_size)."""
        raise NotImplementedError(f"{type(self).__name__} must define _step, one time step of its cell")

    def _run(
        self, input: TensorLike | PackedSequence, hx: Any, states: Callable[..., list[State]]
    ) -> tuple[Tensor | PackedSequence, list[State]]:
        """The output (torch's layout) and every (layer, direction)'s final state, layer-major."""
        if isinstance(input, PackedSequence):  # sequences of different lengths: nn/recurrent_packed.py
            return run_packed(self, input, hx, states)
        x, batched = self._sequence(input)
        initial = states(hx, x.shape[1], batched)
        finals: list[State] = []
        for layer in range(self.num_layers):
            outputs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                weight_hh, bias_hh = getattr(self, f"weight_hh{suffix}"), getattr(self, f"bias_hh{suffix}", None)
                weight_hr = getattr(self, f"weight_hr{suffix}", None)
                # the input's projection for every time step in one matmul: it does not wait for h
                projected = F.linear(x, getattr(self, f"weight_ih{suffix}"), getattr(self, f"bias_ih{suffix}", None))
                state, hidden = initial[layer * self.directions + direction], []
                for t in range(x.shape[0]) if direction == 0 else reversed(range(x.shape[0])):
                    state = self._step(projected[t], state, weight_hh, bias_hh, weight_hr)
                    hidden.append(state[0] if isinstance(state, tuple) else state)
                outputs.append(ag.stack(hidden if direction == 0 else hidden[::-1]))  # in time order
                finals.append(state)
            x = outputs[0] if len(outputs) == 1 else ag.cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)  # nn.init's generator: ag.manual_seed governs the masks
        if not batched:
            return x.reshape(x.shape[0], x.shape[2]), finals
        return (x.swapaxes(0, 1) if self.batch_first else x), finals

    def _sequence(self, input: TensorLike) -> tuple[Tensor, bool]:
        """The input as (L, N, input_size), and whether it came batched (an (L, input_size) did not)."""
        x = input if isinstance(input, Tensor) else ag.as_tensor(input)
        layout = "(N, L, input_size)" if self.batch_first else "(L, N, input_size)"
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): input of shape {x.shape} is {x.ndim}-d, expected "
                f"{layout} or an unbatched (L, input_size); for one time step use nn.{self._kind}Cell"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): input of shape {x.shape} has {x.shape[-1]} features in "
                f"its last axis, expected input_size={self.input_size}; give an input of shape {layout}"
            )
        if x.shape[-2 if x.ndim == 2 else (1 if self.batch_first else 0)] == 0:
            raise ValueError(f"{type(self).__name__}({self.extra_repr()}): input of shape {x.shape} has no time steps")
        if x.ndim == 2:
            return x.reshape(x.shape[0], 1, self.input_size), False
        return (x.swapaxes(0, 1) if self.batch_first else x), True

    def _initial(
        self, hx: TensorLike | None, batch: int, batched: bool, what: str = "hx", cell: bool = False
    ) -> list[Tensor]:
        """One (N, size) state per (layer, direction) from hx (num_layers * directions, N, size), or
        (num_layers * directions, size) unbatched; zeros when hx is None. The size is output_size, or
        hidden_size for an LSTM's ``cell`` state."""
        count, size = self.num_layers * self.directions, self.hidden_size if cell else self.output_size
        if hx is None:
            zeros = Tensor(np.zeros((batch, size), self._parameters["weight_ih_l0"].dtype))
            return [zeros] * count
        h = hx if isinstance(hx, Tensor) else ag.as_tensor(hx)
        want = (count, batch, size) if batched else (count, size)
        if h.shape != want:
            label = "proj_size" if size == self.proj_size and not cell else "hidden_size"
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): {what} of shape {h.shape}, expected {want} "
                f"(num_layers * {self.directions} directions, {'batch, ' if batched else ''}{label})"
            )
        h = h if batched else h.reshape(count, 1, size)
        return [h[k] for k in range(count)]


class RNN(RNNBase):
    """An Elman RNN over a sequence, as PyTorch's ``nn.RNN``: per layer and time step
    h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (``nonlinearity="relu"``: relu).

    Input (L, N, input_size) ((N, L, input_size) with ``batch_first``, (L, input_size) unbatched), hx
    (num_layers * directions, N, hidden_size) or None (zeros). Returns ``(output, h_n)``: output holds the
    last layer's h_t for every t (both directions concatenated), h_n every layer's final h. A PackedSequence
    input (``nn.utils.rnn``: sequences of different lengths) gives a PackedSequence output and each one's
    h_n at its own last step (nn/recurrent_packed.py).
    ``loss.backward()`` is backpropagation through time, derived by the engine from the unrolled steps.

    >>> rnn = RNN(3, 5, num_layers=2, seed=0)
    >>> output, h_n = rnn(np.ones((7, 2, 3)))
    >>> output.shape, h_n.shape
    ((7, 2, 5), (2, 2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        layout = (num_layers, bias, batch_first, dropout, bidirectional, 0, seed, dtype)
        super().__init__(f"RNN_{nonlinearity.upper()}", input_size, hidden_size, *layout)
        self.nonlinearity = nonlinearity

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {**super().config(), "nonlinearity": self.nonlinearity}

    def extra_repr(self) -> str:
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")

    def _step(
        self, projected: Tensor, state: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, weight_hr: Tensor | None
    ) -> Tensor:
        return rnn_step(projected, state, weight_hh, bias_hh, self.nonlinearity)

    def forward(
        self, input: TensorLike | PackedSequence, hx: TensorLike | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor]:
        output, finals = self._run(input, hx, self._initial)
        return output, _stacked(finals, output)


class LSTM(RNNBase):
    """A long short-term memory layer over a sequence, as PyTorch's ``nn.LSTM`` (gates i, f, g, o: see
    ``nn.recurrent_cells.lstm_step``); arguments and input as ``RNN``'s, hx a pair (h_0, c_0) or None.
    Returns ``(output, (h_n, c_n))``. Its backward (BPTT) is the engine's, through every step.
    ``proj_size`` > 0 projects each h by ``weight_hr_l{k}`` (proj_size, hidden_size), as torch's: output
    and h have proj_size features per direction, c keeps hidden_size.

    >>> lstm = LSTM(3, 5, bidirectional=True, batch_first=True, seed=0)
    >>> output, (h_n, c_n) = lstm(np.ones((2, 7, 3)))
    >>> output.shape, h_n.shape, c_n.shape
    ((2, 7, 10), (2, 2, 5), (2, 2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if isinstance(proj_size, bool) or not isinstance(proj_size, numbers.Integral) or proj_size < 0:
            raise ValueError(f"LSTM: proj_size must be an int >= 0 (0: no projection), got {proj_size!r}")
        if proj_size and isinstance(hidden_size, numbers.Integral) and proj_size >= hidden_size:
            raise ValueError(
                f"LSTM: proj_size={proj_size} must be smaller than hidden_size={hidden_size} (h is c's projection)"
            )
        layout = (num_layers, bias, batch_first, dropout, bidirectional, int(proj_size), seed, dtype)
        super().__init__("LSTM", input_size, hidden_size, *layout)

    def config(self) -> dict[str, Any]:
        """The constructor's arguments (nn.architecture rebuilds the layer from them)."""
        return {**super().config(), "proj_size": self.proj_size}

    def _step(
        self,
        projected: Tensor,
        state: tuple[Tensor, Tensor],
        weight_hh: Tensor,
        bias_hh: Tensor | None,
        weight_hr: Tensor | None,
    ) -> tuple[Tensor, Tensor]:
        return lstm_step(projected, state, weight_hh, bias_hh, weight_hr)

    def _pairs(self, hx: Any, batch: int, batched: bool) -> list[tuple[Tensor, Tensor]]:
        if hx is None:
            return list(zip(self._initial(None, batch, batched), self._initial(None, batch, batched, cell=True)))
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ValueError(
                f"LSTM({self.extra_repr()}): hx must be a pair (h_0, c_0) or None, got {type(hx).__name__}"
            )
        cells = self._initial(hx[1], batch, batched, "c_0", cell=True)
        return list(zip(self._initial(hx[0], batch, batched, "h_0"), cells))

    def forward(
        self, input: TensorLike | PackedSequence, hx: tuple[TensorLike, TensorLike] | None = None
    ) -> tuple[Tensor | PackedSequence, tuple[Tensor, Tensor]]:
        output, finals = self._run(input, hx, self._pairs)
        h_n = _stacked([h for h, _ in finals], output)
        return output, (h_n, _stacked([c for _, c in finals], output))


class GRU(RNNBase):
    """A gated recurrent unit layer over a sequence, as PyTorch's ``nn.GRU`` (gates r, z, n: see
    ``nn.recurrent_cells.gru_step``); arguments, input, hx and result as ``RNN``'s.

    >>> output, h_n = GRU(3, 5, seed=0)(np.ones((7, 3)))       # unbatched: (L, input_size)
    >>> output.shape, h_n.shape
    ((7, 5), (1, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        seed: GeneratorLike = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        layout = (num_layers, bias, batch_first, dropout, bidirectional, 0, seed, dtype)
        super().__init__("GRU", input_size, hidden_size, *layout)

    def _step(
        self, projected: Tensor, state: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, weight_hr: Tensor | None
    ) -> Tensor:
        return gru_step(projected, state, weight_hh, bias_hh)

    def forward(
        self, input: TensorLike | PackedSequence, hx: TensorLike | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor]:
        output, finals = self._run(input, hx, self._initial)
        return output, _stacked(finals, output)


def _stacked(finals: list[Tensor], output: Tensor | PackedSequence) -> Tensor:
    """The final states as (num_layers * directions, N, hidden) ((.., hidden) for an unbatched output);
    never batch-first (PyTorch's h_n ignores batch_first too)."""
    h_n = ag.stack(finals)
    unbatched = isinstance(output, Tensor) and output.ndim == 2
    return h_n.reshape(h_n.shape[0], h_n.shape[2]) if unbatched else h_n
