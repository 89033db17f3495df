"""The strong Wolfe line search of ``LBFGS(line_search_fn="strong_wolfe")``, as ``torch.optim.LBFGS``'s (itself
from minFunc and Lua torch's ``lswolfe.lua``; Nocedal & Wright, *Numerical Optimization*, algorithms 3.5 and 3.6).

Along a descent direction d from x, with f0 = f(x) and slope s0 = g(x)·d < 0, it looks for a step t with
  sufficient decrease (Armijo):  f(x + t d) <= f0 + c1 t s0,  and
  curvature (strong Wolfe):      |g(x + t d)·d| <= c2 |s0|.
First it brackets such a t (each trial a cubic's minimum a bit beyond the last one), then zooms into the bracket.
The same decisions as torch's, in the same order, so LBFGS's trajectories agree with torch's to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

#: ``evaluate(t)``: the loss and flat gradient at x + t d (the parameters put back at x afterwards).
Evaluate = Callable[[float], tuple[float, np.ndarray]]


class Trial(NamedTuple):
    """A step tried along d: its size, the loss there, the flat gradient there and its slope along d."""

    step: float
    loss: float
    grad: np.ndarray
    slope: float


def cubic_minimum(
    x1: float, f1: float, g1: float, x2: float, f2: float, g2: float, bounds: tuple[float, float] | None = None
) -> float:
    """The minimiser of the cubic through (x1, f1) with slope g1 and (x2, f2) with slope g2, clamped to
    ``bounds`` (default: between x1 and x2); the middle of the bounds when that cubic has no minimum.

    >>> cubic_minimum(0.0, 0.0, -2.0, 2.0, 0.0, 2.0)   # f = x**2 - 2x has its minimum at 1
    1.0
    """
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    if x1 == x2:  # no interval to fit a cubic on
        return (low + high) / 2.0
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


def strong_wolfe(
    evaluate: Evaluate,
    step: float,
    direction: np.ndarray,
    loss: float,
    grad: np.ndarray,
    slope: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_evaluations: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """A step along ``direction`` meeting the strong Wolfe conditions, starting from ``step``; ``loss``, ``grad``
    and ``slope`` (= grad·direction < 0) are at step 0. Returns (loss, flat gradient, step, evaluations made):
    the best step found when ``max_evaluations`` run out.

    >>> f = lambda t: ((1 + t * -2.0 - 0.25) ** 2, np.array([2 * (1 + t * -2.0 - 0.25)]))  # (x - 0.25)**2 from x=1
    >>> loss, grad, step, evaluations = strong_wolfe(f, 1.0, np.array([-2.0]), 0.5625, np.array([1.5]), -3.0)
    >>> round(step, 6), evaluations   # x + t d = 0.25: the cubic finds the quadratic's minimum at once
    (0.375, 2)
    """
    reach = float(np.abs(direction).max())
    new = Trial(step, *_trial_at(evaluate, step, direction))
    evaluations = 1
    previous = Trial(0.0, loss, grad, slope)
    bracket: list[Trial] = []
    done = False
    tries = 0
    while tries < max_evaluations:  # bracketing: widen until the interval holds an acceptable step
        if new.loss > loss + c1 * new.step * slope or (tries > 1 and new.loss >= previous.loss):
            bracket = [previous, new]  # too far: the step is between the last two
            break
        if abs(new.slope) <= -c2 * slope:
            bracket, done = [new], True  # both conditions hold
            break
        if new.slope >= 0:
            bracket = [previous, new]  # the slope turned: a minimum between them
            break
        bounds = (new.step + 0.01 * (new.step - previous.step), new.step * 10)
        step = cubic_minimum(previous.step, previous.loss, previous.slope, new.step, new.loss, new.slope, bounds)
        previous, new = new, Trial(step, *_trial_at(evaluate, step, direction))
        evaluations += 1
        tries += 1
    if tries == max_evaluations:  # out of evaluations: keep the better of step 0 and the last step
        bracket = [Trial(0.0, loss, grad, slope), new]

    low, high = (0, 1) if bracket[0].loss <= bracket[-1].loss else (1, 0)
    insufficient_progress = False
    while not done and tries < max_evaluations:  # zooming: shrink the bracket around an acceptable step
        if abs(bracket[1].step - bracket[0].step) * reach < tolerance_change:
            break
        first, second = bracket
        step = cubic_minimum(first.step, first.loss, first.slope, second.step, second.loss, second.slope)
        top, bottom = max(first.step, second.step), min(first.step, second.step)
        margin = 0.1 * (top - bottom)
        if min(top - step, step - bottom) < margin:  # too near an end: twice in a row, or on it, move inside
            if insufficient_progress or step >= top or step <= bottom:
                step = top - margin if abs(step - top) < abs(step - bottom) else bottom + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        new = Trial(step, *_trial_at(evaluate, step, direction))
        evaluations += 1
        tries += 1
        if new.loss > loss + c1 * step * slope or new.loss >= bracket[low].loss:
            bracket[high] = new  # not low enough: the new high end
            low, high = (0, 1) if bracket[0].loss <= bracket[1].loss else (1, 0)
        else:
            if abs(new.slope) <= -c2 * slope:
                done = True
            elif new.slope * (bracket[high].step - bracket[low].step) >= 0:
                bracket[high] = bracket[low]  # the minimum lies on the other side of the new point
            bracket[low] = new
    best = bracket[low]
    return best.loss, best.grad, best.step, evaluations


def _trial_at(evaluate: Evaluate, step: float, direction: np.ndarray) -> tuple[float, np.ndarray, float]:
    loss, grad = evaluate(step)
    return loss, grad, float(grad.dot(direction))
