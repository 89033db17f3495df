"""Many slices of one tensor (unbind, split, iterating, vmap's examples): each slice's vjp adds its part into
the tensor's gradient so far in place (``Getitem.vjp_add``), O(slice), where adding a full-size zero array
with the part in it was O(tensor): n slices cost O(n) rather than O(n^2). In place only where the engine alone
holds that array (``delivery._sole``): a gradient shared with another tensor, or a view, is never written."""

import gc
import time

import numpy as np

import autograd_core as ag
from autograd_core import Tensor


def weighted_slices(x):
    """sum_k k * sum(x[k]): d/dx[k] = k everywhere in row k."""
    return sum((row * float(k)).sum() for k, row in enumerate(x.unbind(0)))


def test_the_gradient_through_many_slices_is_exact():
    x = Tensor(np.random.default_rng(0).standard_normal((50, 4)), requires_grad=True)
    weighted_slices(x).backward()
    np.testing.assert_array_equal(x.grad, np.repeat(np.arange(50.0)[:, None], 4, axis=1))
    y = Tensor(np.ones((6, 3)), requires_grad=True)
    sum((part * float(k + 1)).sum() for k, part in enumerate(ag.split(y, 2))).backward()
    np.testing.assert_array_equal(y.grad[:, 0], [1, 1, 2, 2, 3, 3])
    z = Tensor(np.arange(5.0), requires_grad=True)
    index = np.array([0, 3, 3, 1])  # repeated indices add up (np.add.at), also into a gradient so far
    total = sum((z[np.array([k, k])] * 1.0).sum() for k in range(5)) + (z[index] * 2).sum()
    total.backward()
    np.testing.assert_array_equal(z.grad, [4.0, 4.0, 2.0, 6.0, 2.0])  # 2 each, plus 2 per use in index
    assert ag.gradcheck(
        lambda t: weighted_slices(t) + (t[1] * t[2]).sum(), [Tensor(np.ones((4, 3)), requires_grad=True)]
    )


def test_a_gradient_shared_with_another_tensor_or_a_view_is_never_written_in_place():
    # add hands one array to both of its inputs: x's gradient so far IS w's; the slice must not add into it
    x, w = Tensor(np.zeros(3), requires_grad=True), Tensor(np.zeros(3), requires_grad=True)
    sliced = x[1] * 5.0  # made first, so run last: after x + w has handed its gradient to x and w
    loss = ((x + w) * 2.0).sum() + sliced.sum()
    loss.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0, 2.0])  # untouched
    np.testing.assert_array_equal(x.grad, [2.0, 7.0, 2.0])
    # reshape's vjp gives a view of its g: x's gradient so far is a view, never written through
    v = Tensor(np.zeros(4), requires_grad=True)
    head = v[0] * 3.0
    shaped = v.reshape(2, 2)
    kept = []
    shaped.register_hook(lambda g: kept.append(g.data.copy()))
    (head.sum() + (shaped * 1.0).sum()).backward()
    np.testing.assert_array_equal(v.grad, [4.0, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(kept[0], np.ones((2, 2)))
    # under detect_anomaly (each gradient checked) the same values, without the in-place step
    a = Tensor(np.random.default_rng(1).standard_normal((8, 2)), requires_grad=True)
    weighted_slices(a).backward()
    fast = a.grad.copy()
    a.grad = None
    with ag.detect_anomaly():
        weighted_slices(a).backward()
    np.testing.assert_array_equal(a.grad, fast)


def test_vmap_of_a_mapped_input_that_requires_grad_gets_exact_per_example_gradients():
    X = Tensor(np.random.default_rng(2).standard_normal((30, 5)), requires_grad=True)
    w = Tensor(np.arange(5.0))
    ag.vmap(lambda x: (x * w).sum() ** 2)(X).sum().backward()
    np.testing.assert_allclose(X.grad, 2 * (X.data @ w.data)[:, None] * w.data[None, :], rtol=1e-12)


def test_many_slices_backward_is_linear_in_their_number():
    # the time per slice at n = 500 and at n = 8,000, in this run, differ by less than 3x (it was 13x: quadratic)
    def seconds_per_slice(n):
        x = Tensor(np.ones((n, 100)), requires_grad=True)
        loss = weighted_slices(x)
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            loss.backward()
            seconds = time.process_time() - start
        finally:
            gc.enable()
        assert x.grad[-1, 0] == n - 1
        return seconds / n

    small = min(seconds_per_slice(500) for _ in range(5))
    large = min(seconds_per_slice(8_000) for _ in range(2))
    assert large / small < 3, f"{large * 1e6:.1f} µs per slice at 8,000 vs {small * 1e6:.1f} at 500"
