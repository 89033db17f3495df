"""Sequences of different lengths for the recurrent layers, as PyTorch's ``torch.nn.utils.rnn``
(reached as ``nn.utils.rnn``): ``pad_sequence``, ``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pack_sequence``, ``unpad_sequence``, ``unpack_sequence``.

A PackedSequence stores only the real time steps, time-major: the rows of step 0 of every sequence,
then of step 1 of every sequence still running, ... with the sequences sorted longest first, so
``batch_sizes[t]`` (how many run at step t) says which rows belong to step t. Packing and padding are
each one gather by an index array (``x[steps, columns]``), so both are differentiable with no backward
written here: the engine's gather vjp scatters the gradient back to the rows it came from.

>>> seqs = [Tensor(np.ones((3, 2))), Tensor(np.ones((1, 2)))]
>>> packed = pack_sequence(seqs)
>>> packed.data.shape, packed.batch_sizes.tolist()
((4, 2), [2, 1, 1])
>>> padded, lengths = pad_packed_sequence(packed, batch_first=True)
>>> padded.shape, lengths.tolist()
((2, 3, 2), [3, 1])
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.types import Array, TensorLike


class PackedSequence(NamedTuple):
    """Sequences of different lengths without their padding, as PyTorch's: ``data`` (sum of lengths, *)
    holds the real steps time-major, ``batch_sizes`` (numpy int64, one per step) how many sequences run
    at each step, ``sorted_indices`` the original index of each sorted (longest first) sequence and
    ``unsorted_indices`` its inverse; both None when the batch came sorted (``enforce_sorted=True``).
    Build one with ``pack_padded_sequence`` or ``pack_sequence``; ``nn.RNN/LSTM/GRU`` take it as input.

    >>> pack_sequence([Tensor([1.0, 2.0]), Tensor([3.0])]).data.tolist()     # step 0 of both, then step 1
    [1.0, 3.0, 2.0]
    """

    data: Tensor
    batch_sizes: Array
    sorted_indices: Array | None = None
    unsorted_indices: Array | None = None

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The data cast as ``Tensor.to`` casts (a dtype, "cpu"), the lengths and orders kept; self if unchanged."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._replace(data=data)

    def float(self) -> PackedSequence:
        """The data as float32, as torch's ``packed.float()``."""
        return self.to(np.float32)

    def double(self) -> PackedSequence:
        """The data as float64."""
        return self.to(np.float64)

    def cpu(self) -> PackedSequence:
        """Itself: the data is on the CPU already."""
        return self


def _packed_rows(batch_sizes: Array, sorted_indices: Array | None) -> tuple[Array, Array]:
    """For every row of a PackedSequence's data, its time step and its column in the original batch."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    sorted_columns = np.concatenate([np.arange(size) for size in batch_sizes])
    return steps, (sorted_columns if sorted_indices is None else np.asarray(sorted_indices)[sorted_columns])


def packed_lengths(sequence: PackedSequence) -> Array:
    """Each sequence's length (numpy int64), in the original batch order.

    >>> packed_lengths(pack_sequence([Tensor([1.0]), Tensor([2.0, 3.0])], enforce_sorted=False)).tolist()
    [1, 2]
    """
    batch_sizes = np.asarray(sequence.batch_sizes, np.int64)
    lengths = (batch_sizes[None, :] > np.arange(batch_sizes[0])[:, None]).sum(axis=1)  # sorted, longest first
    return lengths if sequence.unsorted_indices is None else lengths[np.asarray(sequence.unsorted_indices)]


def _lengths(function: str, lengths: TensorLike | Iterable[int], batch: int, steps: int, sorted_: bool) -> Array:
    """``lengths`` as a checked numpy int64 vector: one per sequence, each in 1..steps, decreasing if ``sorted_``."""
    values = np.asarray(lengths.data if isinstance(lengths, Tensor) else list(lengths)).reshape(-1)  # type: ignore[arg-type]
    whole = np.issubdtype(values.dtype, np.integer) or (
        np.issubdtype(values.dtype, np.floating) and bool(np.all(values == np.round(values)))
    )
    if values.size and not whole:
        raise ValueError(f"{function}: lengths must be whole numbers of time steps, got {values.tolist()}")
    values = values.astype(np.int64)
    if values.size != batch:
        raise ValueError(
            f"{function}: got {values.size} lengths for a batch of {batch} sequences; give one length per sequence"
        )
    if np.any(values <= 0):
        raise ValueError(
            f"{function}: every length must be at least 1, got lengths {values.tolist()}; "
            "drop the empty sequences from the batch before packing"
        )
    if np.any(values > steps):
        raise ValueError(
            f"{function}: lengths {values.tolist()} exceed the input's {steps} time steps; "
            "a length counts the real steps of its sequence (check batch_first)"
        )
    if sorted_ and np.any(np.diff(values) > 0):
        raise ValueError(
            f"{function}: lengths {values.tolist()} are not sorted longest first, as enforce_sorted=True requires; "
            "pass enforce_sorted=False to let it sort them (the results come back in your order)"
        )
    return values


def pad_sequence(
    sequences: Iterable[TensorLike],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shapes (L_i, *) into one (L_max, B, *) Tensor ((B, L_max, *) with
    ``batch_first``), filling the missing steps with ``padding_value`` after each sequence (before it
    with ``padding_side="left"``), as PyTorch's. Differentiable with respect to each sequence.

    >>> pad_sequence([Tensor([1.0, 2.0]), Tensor([3.0])], batch_first=True).tolist()
    [[1.0, 2.0], [3.0, 0.0]]
    """
    if padding_side not in ("right", "left"):
        raise ValueError(f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}")
    tensors = [s if isinstance(s, Tensor) else ag.as_tensor(s) for s in sequences]
    if not tensors:
        raise ValueError("pad_sequence: got no sequences; give a list of (L_i, *) Tensors")
    trailing = {t.shape[1:] for t in tensors}
    if any(t.ndim == 0 for t in tensors) or len(trailing) > 1:
        raise ValueError(
            f"pad_sequence: sequences of shapes {[t.shape for t in tensors]}; each must be (L_i, *) with the same "
            "trailing shape *, only the first axis (the length) may differ"
        )
    longest = max(t.shape[0] for t in tensors)
    padded = []
    for t in tensors:
        if t.shape[0] == longest:
            padded.append(t)
            continue
        fill = Tensor(np.full((longest - t.shape[0], *t.shape[1:]), padding_value, t.dtype))
        parts = [part for part in ([t, fill] if padding_side == "right" else [fill, t]) if part.shape[0]]
        padded.append(ag.cat(parts) if len(parts) > 1 else parts[0])
    return ag.stack(padded, 0 if batch_first else 1)


def _pack(
    function: str, input: TensorLike, lengths: TensorLike | Iterable[int], batch_first: bool, enforce_sorted: bool
) -> PackedSequence:
    x = input if isinstance(input, Tensor) else ag.as_tensor(input)
    if x.ndim < 2:
        raise ValueError(
            f"{function}: input of shape {x.shape}, expected padded sequences "
            f"{'(B, L, *)' if batch_first else '(L, B, *)'}"
        )
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    if batch == 0 or steps == 0:
        raise ValueError(f"{function}: input of shape {x.shape} holds no sequences or no steps; nothing to pack")
    values = _lengths(function, lengths, batch, steps, enforce_sorted)
    sorted_indices = unsorted_indices = None
    if not enforce_sorted:
        sorted_indices = np.argsort(-values, kind="stable")  # ties keep their order
        unsorted_indices = np.argsort(sorted_indices)
    batch_sizes = (values[None, :] > np.arange(values.max())[:, None]).sum(axis=1).astype(np.int64)
    rows, columns = _packed_rows(batch_sizes, sorted_indices)
    data = x[columns, rows] if batch_first else x[rows, columns]
    return PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)


def pack_padded_sequence(
    input: TensorLike, lengths: TensorLike | Iterable[int], batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (L, B, *) ((B, L, *) with ``batch_first``) whose sequence b has ``lengths[b]``
    real steps, as PyTorch's. ``enforce_sorted=True`` wants lengths longest first; False sorts them
    (``sorted_indices`` records how; a layer's results come back in your order).

    >>> pack_padded_sequence(np.ones((3, 2, 4)), [3, 1]).batch_sizes.tolist()
    [2, 1, 1]
    """
    return _pack("pack_padded_sequence", input, lengths, batch_first, enforce_sorted)


def pack_sequence(sequences: Iterable[TensorLike], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of (L_i, *) sequences, as PyTorch's: ``pack_padded_sequence(pad_sequence(sequences),
    lengths)``. ``enforce_sorted=True`` wants them longest first.

    >>> pack_sequence([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))]).batch_sizes.tolist()
    [2, 2]
    """
    tensors = [s if isinstance(s, Tensor) else ag.as_tensor(s) for s in sequences]
    lengths = [t.shape[0] if t.ndim else 0 for t in tensors]
    if not tensors or 0 in lengths:
        raise ValueError(
            f"pack_sequence: got sequences of lengths {lengths}; give a non-empty list of (L_i, *) Tensors, each "
            "with at least one step"
        )
    return _pack("pack_sequence", pad_sequence(tensors), lengths, False, enforce_sorted)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``, as PyTorch's: returns ``(padded, lengths)``, padded (L, B, *)
    ((B, L, *) with ``batch_first``) in the original batch order with ``padding_value`` past each end,
    L the longest length or ``total_length``, and lengths an int64 Tensor. Differentiable w.r.t. data.

    >>> padded, lengths = pad_packed_sequence(pack_sequence([Tensor([1.0, 2.0]), Tensor([3.0])]))
    >>> padded.tolist(), lengths.tolist()
    ([[1.0, 3.0], [2.0, 0.0]], [2, 1])
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(
            f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}; "
            "make one with pack_padded_sequence or pack_sequence"
        )
    data, batch_sizes = sequence.data, np.asarray(sequence.batch_sizes, np.int64)
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is None:
        total_length = steps
    elif isinstance(total_length, bool) or not isinstance(total_length, numbers.Integral) or total_length < steps:
        raise ValueError(
            f"pad_packed_sequence: total_length={total_length!r} is shorter than the longest sequence ({steps} "
            f"steps); give total_length >= {steps}, or None"
        )
    rows, columns = _packed_rows(batch_sizes, sequence.sorted_indices)
    # every (step, column) reads the padding row appended after data, unless it holds a real step
    index = np.full((int(total_length), batch), data.shape[0], np.int64)
    index[rows, columns] = np.arange(data.shape[0])
    padding = Tensor(np.full((1, *data.shape[1:]), padding_value, data.dtype))
    padded = ag.cat([data, padding])[index.T if batch_first else index]
    return padded, Tensor(packed_lengths(sequence))


def unpad_sequence(
    padded_sequences: TensorLike, lengths: TensorLike | Iterable[int], batch_first: bool = False
) -> list[Tensor]:
    """The inverse of ``pad_sequence``, as PyTorch's: sequence b is the first ``lengths[b]`` steps of column b.

    >>> [s.tolist() for s in unpad_sequence(Tensor([[1.0, 3.0], [2.0, 0.0]]), [2, 1])]
    [[1.0, 2.0], [3.0]]
    """
    x = padded_sequences if isinstance(padded_sequences, Tensor) else ag.as_tensor(padded_sequences)
    if x.ndim < 2:
        raise ValueError(f"unpad_sequence: padded_sequences of shape {x.shape}, expected (L, B, *) or (B, L, *)")
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    values = _lengths("unpad_sequence", lengths, batch, steps, False)
    return [x[b, :length] if batch_first else x[:length, b] for b, length in enumerate(values.tolist())]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The inverse of ``pack_sequence``, as PyTorch's: the list of (L_i, *) sequences, in the original order.

    >>> [s.tolist() for s in unpack_sequence(pack_sequence([Tensor([1.0]), Tensor([2.0, 3.0])], False))]
    [[1.0], [2.0, 3.0]]
    """
    padded, lengths = pad_packed_sequence(packed_sequences)
    return unpad_sequence(padded, lengths)
