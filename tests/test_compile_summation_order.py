"""ag.compile adds the gradients of a tensor used three or more times in the order eager backward
does, so a replay equals define-by-run bit for bit (floating-point addition is not associative)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def fan_out(x, w):
    h = (x @ w).tanh()  # h feeds four consumers: its gradient is a sum of four parts
    return ((h * 3.1).sigmoid() + (h * -0.7).exp() + h.tanh() * 1.9 + (h * h)).sum()


def fan_out_made_in_another_order(x, w):
    h = (x @ w).tanh()
    parts = [(h * 3.1).sigmoid(), (h * -0.7).exp(), h.tanh() * 1.9, h * h]  # made first to last...
    return (((parts[3] + parts[2]) + parts[1]) + parts[0]).sum()  # ...but walked last to first


@pytest.mark.parametrize("fn", [fan_out, fan_out_made_in_another_order])
def test_a_replay_sums_a_four_way_fan_out_as_eager_backward_does(fn):
    rng = np.random.default_rng(0)
    w = Tensor(rng.normal(size=(8, 16)).astype(np.float32), requires_grad=True)
    step = ag.compile(fn)
    differs_from_another_order = 0
    for _ in range(6):
        x = Tensor(rng.normal(size=(32, 8)).astype(np.float32))
        w.grad = None
        fn(x, w).backward()
        eager = w.grad
        w.grad = None
        step(x, w)
        np.testing.assert_array_equal(w.grad, eager)
        # The property is not vacuous: summing the four parts in another order changes some bits.
        h = np.tanh(x.data @ w.data)
        parts = [
            3.1 * (s := 1 / (1 + np.exp(-3.1 * h))) * (1 - s),
            -0.7 * np.exp(-0.7 * h),
            1.9 * (1 - np.tanh(h) ** 2),
            2 * h,
        ]
        forward = ((parts[0] + parts[1]) + parts[2]) + parts[3]
        backward = ((parts[3] + parts[2]) + parts[1]) + parts[0]
        differs_from_another_order += int((forward != backward).any())
    assert step.replay_count >= 4
    assert differs_from_another_order > 0


def test_eager_backward_runs_the_operation_made_last_first_not_the_reverse_of_walk_order():
    a = Tensor([0.5, -1.0], requires_grad=True)
    b = a.exp()
    u, v, w = b.sigmoid(), (a * 2.0).tanh(), a * b
    c = w + u + v * b  # walk expands w first, but u and v were made before it
    loss = c.sum()
    made = [b, u, v.parents[0], v, w, c.parents[0], c.parents[1], c, loss]
    seen = []
    for t in made:
        t.register_hook(lambda g, t=t: seen.append(t))
    loss.backward()
    assert list(map(id, seen)) == list(map(id, reversed(made)))
    walked = [id(t) for t in reversed(ag.walk(loss)) if t.prim is not None]
    assert sorted(walked) == sorted(map(id, seen)) and walked != list(map(id, seen))  # the orders differ here
