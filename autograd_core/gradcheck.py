"""Check backward against finite differences: the learner's first tool for trusting a gradient.

For f: inputs -> output, gradcheck picks a random weighting R of the outputs and
compares, for every element x_j of every input that requires grad,

    analytic  d/dx_j sum(f(x) * R)          (one backward pass)
    numeric   [S(x_j + eps) - S(x_j - eps)] / (2 eps),   S = sum(f(x) * R)

The random R makes a vjp that ignores its incoming gradient fail (with R = 1 it
could pass). R only detects: a weighted sum is not what the user differentiated, so
when an element fails, the message reports d out[k] / d x_j itself, for the first
output element k whose own analytic and numeric derivatives disagree (one backward
per output element tried, only on failure). Everything runs in float64: in float32 a
central difference with a small eps has errors around 1e-3 and would raise false alarms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import grad
from .functions import concatenate
from .tensor import Tensor
from .types import Array, TensorLike


def gradcheck(
    fn: Callable[..., Tensor | Sequence[Tensor]],
    inputs: TensorLike | Sequence[TensorLike],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    *,
    raise_exception: bool = True,
) -> bool:
    """Return True if ``fn``'s backward matches central finite differences, else raise
    (or, with ``raise_exception=False`` as in PyTorch, return False).

    ``inputs`` is a Tensor or a sequence of them; only those with ``requires_grad``
    are checked. ``fn`` returns a Tensor or a tuple of them (checked as their flattened
    concatenation). The AssertionError names the input, the element index, the output
    element (when the output is not a scalar), and the analytic and numeric values of
    that output element's derivative with respect to that input element.

    >>> x = Tensor(np.random.randn(3, 4), requires_grad=True)
    >>> gradcheck(lambda t: (t * t).sum(axis=1), x)
    True
    """
    given: list[Any] = [inputs] if isinstance(inputs, Tensor) else list(inputs)  # type: ignore[arg-type]
    if not any(isinstance(t, Tensor) and t.requires_grad for t in given):
        raise ValueError(
            "gradcheck: no input requires grad; create the inputs to check with Tensor(..., requires_grad=True)"
        )
    base = [
        np.array(t.data, dtype=np.float64)
        if isinstance(t, Tensor) and t.dtype.kind == "f"
        else t.data
        if isinstance(t, Tensor)
        else t
        for t in given
    ]
    checked = [isinstance(t, Tensor) and t.requires_grad for t in given]

    def evaluate(arrays: list[Any]) -> tuple[list[Any], Tensor]:
        args = [Tensor(a, requires_grad=c) if isinstance(t, Tensor) else a for a, c, t in zip(arrays, checked, given)]
        out = fn(*args)
        if isinstance(out, (tuple, list)) and out and all(isinstance(o, Tensor) for o in out):
            out = concatenate([o.reshape(-1) for o in out])  # several outputs: one vector of them all
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor or a tuple of Tensors, got {type(out).__name__}")
        return args, out

    def analytic_gradients(output_weights: Array) -> list[Array | None]:
        # Same requires_grad flags in every pass: fn may call ag.grad itself
        # (checking a gradient's gradient), which needs inputs that require grad.
        args, out = evaluate(base)
        (out * output_weights).sum().backward()
        return [a.grad if c else None for a, c in zip(args, checked)]

    _args, out = evaluate(base)
    if not out.requires_grad:
        raise ValueError("gradcheck: fn's output does not depend on any input that requires grad")
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=out.shape) * np.random.default_rng(seed + 1).choice(
        [-1.0, 1.0], size=out.shape
    )
    analytic = analytic_gradients(weights)

    def close(a: float, n: float) -> bool:
        return abs(a - n) <= atol + rtol * abs(n)

    for k, (array, is_checked) in enumerate(zip(base, checked)):
        if not is_checked:
            continue
        found = analytic[k]
        grad = np.zeros_like(array) if found is None else found
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + eps
            plus = np.array(evaluate(base)[1].data, dtype=np.float64)
            array[index] = original - eps
            minus = np.array(evaluate(base)[1].data, dtype=np.float64)
            array[index] = original
            column = (plus - minus) / (2 * eps)  # numeric d out[:] / d x[index]
            numeric = float(np.sum(column * weights))
            if not close(grad[index], numeric):
                if not raise_exception:
                    return False
                raise AssertionError(
                    _mismatch(k, index, column, grad[index], numeric, analytic_gradients, atol, rtol, close)
                )
    return True


def gradgradcheck(
    fn: Callable[..., Tensor | Sequence[Tensor]],
    inputs: TensorLike | Sequence[TensorLike],
    grad_outputs: TensorLike | Sequence[TensorLike] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    *,
    raise_exception: bool = True,
) -> bool:
    """Return True if ``fn``'s second derivatives match finite differences of its first, as PyTorch's: gradcheck
    of v -> the vjp ``grad(fn(x), x, v, create_graph=True)`` as a function of both the inputs x and the
    ``grad_outputs`` v (random, one per differentiable output, when not given). It catches a backward that is
    right once but wrong when differentiated again (a value kept from forward as a constant, say).

    >>> x = Tensor(np.random.randn(3), requires_grad=True)
    >>> gradgradcheck(lambda t: (t ** 3).sum(), x)
    True
    """
    given: list[Any] = [inputs] if isinstance(inputs, Tensor) else list(inputs)  # type: ignore[arg-type]
    if not any(isinstance(t, Tensor) and t.requires_grad for t in given):
        raise ValueError(
            "gradgradcheck: no input requires grad; create the inputs to check with Tensor(..., requires_grad=True)"
        )
    as64 = [Tensor(np.array(t.data, np.float64), requires_grad=t.requires_grad) if _floating(t) else t for t in given]
    result = fn(*as64)
    outputs: list[Any] = list(result) if isinstance(result, (tuple, list)) else [result]
    positions = [k for k, o in enumerate(outputs) if isinstance(o, Tensor) and o.requires_grad]
    if not positions:
        raise ValueError("gradgradcheck: fn's output does not depend on any input that requires grad")
    shapes = [outputs[k].shape for k in positions]
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        vs = [rng.standard_normal(shape) for shape in shapes]
    else:
        single = isinstance(grad_outputs, (Tensor, np.ndarray, int, float))  # one output's, not a sequence
        vs = [grad_outputs] if single else list(grad_outputs)  # type: ignore[arg-type]
        found = [np.shape(v.data if isinstance(v, Tensor) else v) for v in vs]
        if found != shapes:
            raise ValueError(
                f"gradgradcheck: grad_outputs have shapes {found}, but fn's differentiable outputs have shapes "
                f"{shapes}: give one per output that requires grad, of its shape"
            )
    count = len(given)

    def first_derivatives(*args: Any) -> tuple[Tensor, ...]:
        xs, seeds = args[:count], args[count:]
        again = fn(*xs)
        outs: list[Any] = list(again) if isinstance(again, (tuple, list)) else [again]
        wrt = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        grads = grad([outs[k] for k in positions], wrt, list(seeds), create_graph=True, allow_unused=True)
        return tuple(Tensor(np.zeros_like(w.data)) if g is None else g for g, w in zip(grads, wrt))

    seeds = [Tensor(np.array(v.data if isinstance(v, Tensor) else v, np.float64), requires_grad=True) for v in vs]
    try:
        return gradcheck(first_derivatives, [*as64, *seeds], eps, atol, rtol, seed, raise_exception=raise_exception)
    except AssertionError as error:
        raise AssertionError(
            f"gradgradcheck: backward's results have wrong derivatives (checked as a function of fn's "
            f"{count} input(s), then the grad_outputs): {error}"
        ) from None


def central_difference(fn: Callable[..., Any], *inputs: Any, arg: int = 0, eps: float = 1e-6) -> Any:
    """d fn(*inputs) / d inputs[arg] by central differences, [f(x + eps) - f(x - eps)] / (2 eps) for each
    element of that input (minitorch's helper, for checking a derivative by hand). ``fn`` returns one number
    (a float or a one-element Tensor); each input reaches it as given (a number, an array, a Tensor: detached),
    in float64. Returns a float for a number input, else a float64 array of its shape.

    >>> central_difference(lambda x, y: x * y + x, 3.0, 10.0)     # d/dx = y + 1
    11.000000000...
    >>> central_difference(lambda t: (t * t).sum(), Tensor([1.0, -2.0])).round(6)   # 2 t
    array([ 2., -4.])
    """
    if not -len(inputs) <= arg < len(inputs):
        raise IndexError(f"central_difference: arg={arg} but fn was given {len(inputs)} input(s); pick one of them")
    position = arg % len(inputs)
    given = inputs[position]
    point = np.array(given.data if isinstance(given, Tensor) else given, dtype=np.float64)

    def at(value: Array) -> float:
        moved = Tensor(value) if isinstance(given, Tensor) else value if isinstance(given, np.ndarray) else float(value)
        out = fn(*inputs[:position], moved, *inputs[position + 1 :])
        number = np.asarray(out.data if isinstance(out, Tensor) else out, dtype=np.float64)
        if number.size != 1:
            raise ValueError(
                f"central_difference: fn returned shape {number.shape}; it needs one number: reduce it "
                "(.sum(), or a weighted sum for one output's derivative)"
            )
        return float(number.reshape(()))

    derivative = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[index] += eps
        down[index] -= eps
        derivative[index] = (at(up) - at(down)) / (2 * eps)
    return float(derivative) if point.ndim == 0 and not isinstance(given, (np.ndarray, Tensor)) else derivative


def _floating(t: Any) -> bool:
    return isinstance(t, Tensor) and t.dtype.kind == "f"


def _mismatch(
    k: int,
    index: tuple[int, ...],
    column: Array,
    weighted_analytic: float,
    weighted_numeric: float,
    analytic_gradients: Callable[[Array], list[Array | None]],
    atol: float,
    rtol: float,
    close: Callable[[float, float], bool],
) -> str:
    """The message for a failed element: the user's own d out[j] / d x[index], not the weighted sum."""
    worst: tuple[float, tuple[int, ...], float, float] | None = None
    for j in np.ndindex(column.shape):
        unit = np.zeros(column.shape)
        unit[j] = 1.0
        grad = analytic_gradients(unit)[k]
        a, n = (0.0 if grad is None else float(grad[index])), float(column[j])
        excess = abs(a - n) - (atol + rtol * abs(n))
        if worst is None or excess > worst[0]:
            worst = (excess, j, a, n)
        if not close(a, n):
            break
    assert worst is not None  # np.ndindex yields at least one index: () for a 0-d output
    excess, j, a, n = worst
    output = "" if column.ndim == 0 else f" for output element {j}"
    message = (
        f"gradcheck: input {k} at index {index}: analytic {a:.10g} != numeric {n:.10g}{output} "
        f"(|difference| {abs(a - n):.3g} > atol {atol} + rtol {rtol} * |numeric|)"
    )
    if excess <= 0:  # every element alone is within tolerance; their weighted sum is not
        message = (
            f"gradcheck: input {k} at index {index}: the outputs' derivatives are each within "
            f"tolerance but their random weighting is not: analytic {weighted_analytic:.10g} != "
            f"numeric {weighted_numeric:.10g}; the worst{output or ' element'}: analytic "
            f"{a:.10g} != numeric {n:.10g}"
        )
    return message
