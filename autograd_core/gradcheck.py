"""Check backward against finite differences: the learner's first tool for trusting a gradient.

For f: inputs -> output, gradcheck picks a random weighting R of the outputs and
compares, for every element x_j of every input that requires grad,

    analytic  d/dx_j sum(f(x) * R)          (one backward pass)
    numeric   [S(x_j + eps) - S(x_j - eps)] / (2 eps),   S = sum(f(x) * R)

The random R makes a vjp that ignores its incoming gradient fail (with R = 1 it
could pass). Everything runs in float64: in float32 a central difference with a
small eps has errors around 1e-3 and would raise false alarms.
"""
import numpy as np

from .tensor import Tensor


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Return True if ``fn``'s backward matches central finite differences, else raise.

    ``inputs`` is a Tensor or a sequence of them; only those with ``requires_grad``
    are checked. The AssertionError names the input, the element index, and the
    analytic and numeric values.

    >>> x = Tensor(np.random.randn(3, 4), requires_grad=True)
    >>> gradcheck(lambda t: (t * t).sum(axis=1), x)
    True
    """
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck: no input requires grad; create the inputs to check with "
                         "Tensor(..., requires_grad=True)")
    base = [np.array(t.data, dtype=np.float64) if isinstance(t, Tensor) and t.dtype.kind == "f"
            else t.data if isinstance(t, Tensor) else t for t in inputs]
    checked = [isinstance(t, Tensor) and t.requires_grad for t in inputs]

    def evaluate(arrays):
        args = [Tensor(a, requires_grad=c) if isinstance(t, Tensor) else a
                for a, c, t in zip(arrays, checked, inputs)]
        out = fn(*args)
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        return args, out

    args, out = evaluate(base)
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape) * \
        np.random.default_rng(seed + 1).choice([-1.0, 1.0], size=out.shape)
    if not out.requires_grad:
        raise ValueError("gradcheck: fn's output does not depend on any input that requires grad")
    (out * weights).sum().backward()
    analytic = [a.grad if c else None for a, c in zip(args, checked)]

    def weighted_sum(arrays):
        # Same requires_grad flags as the analytic pass: fn may call ag.grad itself
        # (checking a gradient's gradient), which needs inputs that require grad.
        return float(np.sum(evaluate(arrays)[1].data * weights))

    for k, (array, is_checked) in enumerate(zip(base, checked)):
        if not is_checked:
            continue
        grad = np.zeros_like(array) if analytic[k] is None else analytic[k]
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + eps
            plus = weighted_sum(base)
            array[index] = original - eps
            minus = weighted_sum(base)
            array[index] = original
            numeric = (plus - minus) / (2 * eps)
            if not abs(grad[index] - numeric) <= atol + rtol * abs(numeric):
                raise AssertionError(
                    f"gradcheck: input {k} at index {index}: analytic {grad[index]:.10g} != numeric "
                    f"{numeric:.10g} (|difference| {abs(grad[index] - numeric):.3g} > "
                    f"atol {atol} + rtol {rtol} * |numeric|)")
    return True
