"""What a primitive case is: the ``Case`` record and the input generators its cases draw from.

The case table itself is in ``primitive_cases.py`` (elementwise, reductions, composed ops, and the
assembled ``CASES``) and ``shape_cases.py`` (shape ops, indexing, joining, matmul, linear).
"""

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

SAME = "same"


# ------------------------------------------------------------------ input generators
def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


def each(generator):
    """Draw every input independently from ``generator``."""
    return lambda rng, shapes: [generator(rng, s) for s in shapes]


def generators(*per_input):
    """Draw input i from ``per_input[i]``."""
    return lambda rng, shapes: [g(rng, s) for g, s in zip(per_input, shapes)]


def distinct(rng, shapes):
    """All elements of all inputs distinct and at least 0.1 apart: no ties for max/maximum,
    even after a finite-difference step."""
    sizes = [int(np.prod(s)) for s in shapes]
    values = (rng.permutation(sum(sizes)) - sum(sizes) / 2) * 0.15 + rng.uniform(-0.02, 0.02, sum(sizes))
    arrays, start = [], 0
    for shape, size in zip(shapes, sizes):
        arrays.append(values[start : start + size].reshape(shape))
        start += size
    return arrays


@dataclass
class Case:
    id: str
    fn: Callable
    shapes: tuple
    torch_fn: object = SAME
    make: Callable = each(normal)  # noqa: RUF009 (a function: immutable, safe to share between cases)
    tolerances: dict = field(default_factory=dict)  # gradcheck eps/atol/rtol, for float32-internal cases
    float64_constant: bool = False  # fn mixes in a float64 array: float32 inputs give a float64 output
    torch_rtol: float | None = None  # looser than the torch oracle's 1e-10 where torch is the less accurate one

    def __post_init__(self):
        assert all(isinstance(s, tuple) for s in self.shapes), f"{self.id}: shapes is a tuple of shapes"

    def arrays(self):
        """The case's inputs as float64 arrays, the same on every run (seeded by the id)."""
        rng = np.random.default_rng(zlib.crc32(self.id.encode()))
        return [np.asarray(a, dtype=np.float64) for a in self.make(rng, self.shapes)]

    def inputs(self, dtype=np.float64):
        return [Tensor(a.astype(dtype), requires_grad=True) for a in self.arrays()]

    def torch(self):
        return self.fn if self.torch_fn == SAME else self.torch_fn

    def ops(self):
        """Names of the primitives in this case's recorded graph."""
        return {t.op for t in ag.walk(self.fn(*self.inputs()))} - {None}


def _torch():
    import torch  # only called by torch-oracle tests, after importorskip

    return torch
