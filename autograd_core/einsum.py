"""``ag.einsum``: Einstein summation as ``torch.einsum`` / ``np.einsum`` spell it, composed from Tensor ops.

No vjp of its own: every contraction of two operands is one batched ``matmul`` (the letters both share
and keep are the batch, those they share and drop the inner dimension), a repeated letter in one operand
(``"ii->i"``, a diagonal) is a product with an identity and a sum, a letter only one operand has and the
result drops is a ``sum``; so gradients of any order follow, and float32 stays float32.

>>> a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> einsum("ij,j->i", a, Tensor([1.0, 1.0]))
Tensor([3., 7.], op=reshape)
"""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .functions import as_tensor

if TYPE_CHECKING:
    from .tensor import Tensor
    from .types import TensorLike

_ELLIPSIS_LETTERS = "".join(chr(0x2460 + i) for i in range(64))  # (circled digits: never a user's a-z/A-Z)


def einsum(equation: str, *operands: TensorLike | Sequence[TensorLike]) -> Tensor:
    """Einstein summation over the operands' letters, as ``torch.einsum``: ``"bij,bjk->bik"`` (batched
    matmul), ``"i,i->"`` (dot), ``"ij->ji"``, ``"ii->"`` (trace), ``"...ij,...jk"`` (broadcast batch axes);
    an axis of size 1 broadcasts, as numpy's and torch's; without ``->`` the result keeps the letters seen
    once, in alphabetical order (numpy's rule). The operands may also come as one list, ``einsum(eq, [a, b])``.

    >>> einsum("i,i->", Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor(11.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string such as 'ij,jk->ik', got {type(equation).__name__}")
    tensors = []
    for i, x in enumerate(operands):
        try:
            tensors.append(as_tensor(x))  # type: ignore[arg-type]
        except TypeError as error:  # (Tensor's message, told which operand of which call)
            raise TypeError(f"einsum {equation!r}: operand {i}: {error}") from None
    terms, output = _parse(equation.replace(" ", ""), [t.ndim for t in tensors])
    sizes: dict[str, int] = {}
    for term, t in zip(terms, tensors):
        for letter, n in zip(term, t.shape):
            known = sizes.setdefault(letter, n)
            if known == 1:  # a letter's axes of size 1 broadcast, as numpy's and torch's
                sizes[letter] = n
            elif known != n and n != 1:
                shapes = [t.shape for t in tensors]
                raise ValueError(
                    f"einsum {equation!r}: {'an axis under ...' if letter in _ELLIPSIS_LETTERS else repr(letter)} "
                    f"stands for sizes {known} and {n} (operand shapes {shapes}); one letter must have one size"
                )
    full = [tuple(sizes[c] for c in term) for term in terms]
    tensors = [t if t.shape == shape else t.expand(*shape) for t, shape in zip(tensors, full)]
    later = [Counter("".join(terms[i + 1 :]) + output) for i in range(len(terms))]
    result, letters = _reduce(tensors[0], terms[0], later[0])
    for i in range(1, len(terms)):
        other, other_letters = _reduce(tensors[i], terms[i], later[i] + Counter(letters))
        result, letters = _contract(result, letters, other, other_letters, later[i])
    result, letters = _reduce(result, letters, Counter(output))
    return result.permute(*(letters.index(c) for c in output)) if letters != output else result


def _parse(equation: str, ndims: list[int]) -> tuple[list[str], str]:
    """The operands' letters (an ellipsis spelled out as one letter per axis it covers) and the output's."""
    inputs, arrow, output = equation.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ValueError(f"einsum {equation!r}: the equation names {len(terms)} operands, {len(ndims)} were given")
    width = 0  # the ellipsis covers as many axes as the widest operand's needs, aligned from the right
    for i, (term, ndim) in enumerate(zip(terms, ndims)):
        bad = set(term.replace("...", "", 1)) - set(string.ascii_letters)
        named = len(term.replace("...", ""))
        if bad or (named != ndim if "..." not in term else named > ndim):
            raise ValueError(
                f"einsum {equation!r}: operand {i} ({ndim}-d) does not fit {term!r}: give one letter "
                "a-z/A-Z per axis, or '...' (once) for the axes not named"
            )
        width = max(width, ndim - named if "..." in term else 0)
    ellipsis = _ELLIPSIS_LETTERS[:width]
    terms = [t.replace("...", ellipsis[width - (n - len(t) + 3) :]) if "..." in t else t for t, n in zip(terms, ndims)]
    if not arrow:
        counts = Counter("".join(terms))
        output = ellipsis + "".join(sorted(c for c in counts if counts[c] == 1 and c not in ellipsis))
    else:
        output = output.replace("...", ellipsis, 1)
    unknown = [c for c in output if c not in "".join(terms)]
    if unknown or len(set(output)) != len(output) or "." in output:
        raise ValueError(
            f"einsum {equation!r}: the output {output!r} must name each letter once, and only letters of the operands"
        )
    return terms, output


def _reduce(x: Tensor, letters: str, keep: Counter[str]) -> tuple[Tensor, str]:
    """Take the diagonal of a letter repeated in ``x`` and sum the letters nobody in ``keep`` needs."""
    for letter in set(letters):
        while letters.count(letter) > 1:
            first, second = letters.index(letter), letters.index(letter, letters.index(letter) + 1)
            n = x.shape[first]
            shape = [n if j in (first, second) else 1 for j in range(x.ndim)]
            x = (x * np.eye(n, dtype=x.dtype).reshape(shape)).sum(second)
            letters = letters[:second] + letters[second + 1 :]
    dropped = tuple(j for j, c in enumerate(letters) if c not in keep)
    if dropped:
        x, letters = x.sum(dropped), "".join(c for c in letters if c in keep)
    return x, letters


def _contract(a: Tensor, la: str, b: Tensor, lb: str, keep: Counter[str]) -> tuple[Tensor, str]:
    """``a`` and ``b`` multiplied over their shared letters, summed over those not in ``keep``: one matmul of
    (batch, left, inner) by (batch, inner, right)."""
    batch = [c for c in la if c in lb and c in keep]
    inner = [c for c in la if c in lb and c not in keep]
    left, right = [c for c in la if c not in lb], [c for c in lb if c not in la]
    a = a.permute(*(la.index(c) for c in batch + left + inner))
    b = b.permute(*(lb.index(c) for c in batch + inner + right))
    batch_shape = a.shape[: len(batch)]  # (both operands were expanded to each letter's one size)
    left_shape, right_shape = a.shape[len(batch) : len(batch) + len(left)], b.shape[len(batch) + len(inner) :]
    inner_size = math.prod(a.shape[len(batch) + len(left) :])
    a = a.reshape(batch_shape + (math.prod(left_shape), inner_size))
    b = b.reshape(batch_shape + (inner_size, math.prod(right_shape)))
    return (a @ b).reshape(batch_shape + left_shape + right_shape), "".join(batch + left + right)
