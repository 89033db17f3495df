"""``nn.RNN`` / ``LSTM`` / ``GRU`` over a PackedSequence (sequences of different lengths), as PyTorch's.

The layer runs its usual step loop on the padded batch, with one change: at step t a sequence that has
already ended keeps its state, ``state = where(t < length, new, state)``, so every final state is the
one of its sequence's own last step. The reverse direction of a bidirectional layer must start at each
sequence's own last step, not at the padding: it runs the same loop on every sequence reversed within
its own length (a gather by index), and its outputs are put back in time order by the same gather.
All Tensor ops: the gradient (BPTT) is the engine's, and ``where`` sends none into a frozen step.

>>> from nn.rnn_utils import pack_sequence
>>> lstm = nn.LSTM(3, 5, seed=0)
>>> output, (h_n, c_n) = lstm(pack_sequence([Tensor(np.ones((4, 3))), Tensor(np.ones((2, 3)))]))
>>> output.data.shape, output.batch_sizes.tolist(), h_n.shape
((6, 5), [2, 2, 1, 1], (1, 2, 5))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from . import functional as F
from .rnn_utils import PackedSequence, _packed_rows, packed_lengths, pad_packed_sequence

if TYPE_CHECKING:
    from .recurrent import RNNBase

State = Any  # a hidden state Tensor (RNN, GRU) or an (h, c) pair (LSTM)


def _freeze(alive: np.ndarray, new: State, old: State) -> State:
    """The new state where the sequence still runs (``alive``, (N, 1)), else the old one."""
    if isinstance(new, tuple):
        return tuple(ag.where(alive, n, o) for n, o in zip(new, old))
    return ag.where(alive, new, old)


def run_packed(
    layer: RNNBase, packed: PackedSequence, hx: Any, states: Callable[..., list[State]]
) -> tuple[PackedSequence, list[State]]:
    """The output PackedSequence (as the input's: same batch_sizes and indices) and every (layer,
    direction)'s final state at its sequence's own last step, layer-major, in the original batch order
    (hx is read in that order too, as torch's: sorting is bookkeeping, undone before anything returns)."""
    data = packed.data
    if not isinstance(data, Tensor) or data.ndim != 2 or data.shape[-1] != layer.input_size:
        raise ValueError(
            f"{type(layer).__name__}({layer.extra_repr()}): a PackedSequence's data of shape "
            f"{getattr(data, 'shape', None)}, expected (sum of lengths, input_size={layer.input_size}); pack "
            f"(L, N, {layer.input_size}) sequences with nn.utils.rnn.pack_padded_sequence"
        )
    x, _ = pad_packed_sequence(packed)  # (L, N, input_size), the original batch order
    lengths = packed_lengths(packed)
    steps, batch = x.shape[0], x.shape[1]
    time = np.arange(steps)[:, None]
    alive = time < lengths[None, :]  # (L, N): step t lies inside sequence n
    # step t of sequence n reversed within its own length; padded steps stay where they are
    reversed_steps, columns = np.where(alive, lengths[None, :] - 1 - time, time), np.arange(batch)[None, :]
    initial, finals = states(hx, batch, True), []
    for layer_index in range(layer.num_layers):
        outputs = []
        for direction, suffix in enumerate(layer._suffixes(layer_index)):
            weight_hh, bias_hh = getattr(layer, f"weight_hh{suffix}"), getattr(layer, f"bias_hh{suffix}", None)
            weight_hr = getattr(layer, f"weight_hr{suffix}", None)
            projected = F.linear(x, getattr(layer, f"weight_ih{suffix}"), getattr(layer, f"bias_ih{suffix}", None))
            if direction:
                projected = projected[reversed_steps, columns]
            state, hidden = initial[layer_index * layer.directions + direction], []
            for t in range(steps):
                new = layer._step(projected[t], state, weight_hh, bias_hh, weight_hr)
                state = new if alive[t].all() else _freeze(alive[t][:, None], new, state)
                hidden.append(state[0] if isinstance(state, tuple) else state)
            output = ag.stack(hidden)
            outputs.append(output[reversed_steps, columns] if direction else output)
            finals.append(state)
        x = outputs[0] if len(outputs) == 1 else ag.cat(outputs, -1)
        if layer.dropout and layer.training and layer_index < layer.num_layers - 1:
            x = F.dropout(x, layer.dropout, True)
    rows, columns_of_rows = _packed_rows(np.asarray(packed.batch_sizes, np.int64), packed.sorted_indices)
    return PackedSequence(x[rows, columns_of_rows], *packed[1:]), finals
