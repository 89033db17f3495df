"""ag.compile's guards on tensors fn reads from outside its arguments (one table with the others)."""

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def test_a_tensor_read_from_outside_that_starts_requiring_grad_gets_its_gradient():
    W = Tensor([[1.0], [2.0]], requires_grad=True)
    V = Tensor([[0.5], [-1.0]])  # read from outside fn, needs no gradient yet: the plan reads its values
    step = ag.compile(lambda X: ((X @ W) * (X @ V)).sum(), strict=True)
    for k in range(3):
        step(Tensor([[1.0, 2.0 + k]]))
        W.grad = None
    assert step.replay_count == 1
    V.requires_grad = True  # now a leaf: a replay of the old plan would leave V.grad None
    X = np.array([[1.0, 7.0]])
    step(Tensor(X))
    np.testing.assert_array_equal(V.grad, X.T @ (X @ W.data))
    np.testing.assert_array_equal(W.grad, X.T @ (X @ V.data))
    assert step.trace_count == 3  # traced afresh, not replayed
