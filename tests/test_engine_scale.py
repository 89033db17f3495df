"""Backward at scale: no recursion anywhere (a million-op chain, 10^5 consumers of one tensor), and
a node with n inputs costs O(n)."""

import gc
import time

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def test_a_chain_of_a_million_ops(no_cyclic_gc):
    # Cyclic gc is off because a million live tensors make each collection pass slow;
    # what this test checks is that backward (and freeing the chain) never recurses.
    x = Tensor(0.0, requires_grad=True)
    one = Tensor(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + one
    y.backward()
    assert y.item() == 1_000_000.0 and x.grad == 1.0
    del y  # dropping the root frees a 10^6-deep chain without recursion either


def test_a_node_with_a_hundred_thousand_consumers():
    x, scale, total = Tensor(2.0, requires_grad=True), Tensor(3.0), Tensor(0.0)
    for _ in range(100_000):
        total = total + x * scale  # 10^5 mul nodes read x; their gradients all meet there
    total.backward()
    assert x.grad == 300_000.0
    assert len(ag.walk(total)) == 2 * 100_000 + 3  # walk is iterative too: x, scale, 0, then mul+add pairs


def test_stacking_many_scalars_backward_is_exact_and_linear_in_the_number_of_inputs():
    # One node with n inputs must cost O(n) in backward: the time per input at n = 2,000 and
    # at n = 50,000, in this run, differ by less than 3x (a quadratic backward: 25x).
    def backward_seconds_per_input(n):
        xs = [Tensor(float(i), requires_grad=True) for i in range(n)]
        weights = np.arange(n, dtype=float) % 7
        loss = (ag.stack(xs) * weights).sum()
        gc.collect()
        gc.disable()  # the engine is timed, not the cyclic collector walking 10^5 fresh objects
        try:
            start = time.thread_time()  # CPU time: what other work on a shared machine takes does not count
            loss.backward()
            seconds = time.thread_time() - start
        finally:
            gc.enable()
        np.testing.assert_array_equal([x.grad for x in xs[:14]], weights[:14])
        assert xs[-1].grad == weights[-1]
        return seconds / n

    small = min(backward_seconds_per_input(2_000) for _ in range(5))
    large = min(backward_seconds_per_input(50_000) for _ in range(2))
    assert large / small < 3, f"{large * 1e6:.1f} µs per input at 50,000 vs {small * 1e6:.1f} at 2,000"
