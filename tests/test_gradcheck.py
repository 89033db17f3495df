"""gradcheck's failure message reports the user's own derivative, d out[j] / d x[i], with true values."""

import re

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Primitive, Tensor

REPORT = re.compile(
    r"input (\d+) at index (\([^)]*\)): analytic (\S+) != numeric (\S+)"
    r"(?: for output element (\([^)]*\)))? \("
)


def report(error):
    found = REPORT.search(str(error.value))
    assert found, str(error.value)
    k, index, analytic, numeric, output = found.groups()
    return int(k), index, float(analytic), float(numeric), output


@pytest.fixture
def scratch_registry():
    """Primitives defined in a test register themselves; take them out again afterwards."""
    before = dict(ag.PRIMITIVES)
    yield
    ag.PRIMITIVES.clear()
    ag.PRIMITIVES.update(before)


def test_the_issue_repro_reports_the_true_slope_and_the_backward_gradient():
    # (t * t.detach()) has slope 2t = 2.5 at 1.25; backward sees only one factor: 1.25
    x = Tensor([1.25], requires_grad=True)
    with pytest.raises(AssertionError) as error:
        ag.gradcheck(lambda t: (t * t.detach()).sum(), [x])
    assert report(error) == (0, "(0,)", 1.25, pytest.approx(2.5, rel=1e-8), None)
    (x * x.detach()).sum().backward()
    assert x.grad[0] == 1.25


def test_a_vector_output_names_the_output_element_and_its_own_derivative():
    data = np.array([1.25, -0.5, 2.0])
    with pytest.raises(AssertionError) as error:
        ag.gradcheck(lambda c, t: c * t * t.detach(), [Tensor([1.0]), Tensor(data, requires_grad=True)])
    k, index, analytic, numeric, output = report(error)
    i = int(index.strip("(,)"))
    assert (k, output) == (1, f"({i},)")  # d out[i] / d x[i]: off the diagonal both are 0
    assert analytic == data[i] and numeric == pytest.approx(2 * data[i], rel=1e-8)


def test_a_vjp_that_ignores_g_is_reported_where_the_true_derivative_is_zero(scratch_registry):
    class IgnoresG(Primitive):
        name = "ignores_g"

        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def vjp(i, g, out, x):
            return 2 * x  # every output element "depends" on every input element

    data = np.array([0.5, -1.0, 2.0])
    with pytest.raises(AssertionError) as error:
        ag.gradcheck(lambda t: Tensor.apply(IgnoresG, t), Tensor(data, requires_grad=True))
    _k, index, analytic, numeric, output = report(error)
    i, j = int(index.strip("(,)")), int(output.strip("(,)"))
    assert i != j and analytic == 2 * data[i] and abs(numeric) < 1e-6


def test_errors_each_within_tolerance_that_add_up_are_reported_as_such(scratch_registry):
    class SpreadSlightlyOff(Primitive):
        name = "spread_slightly_off"

        @staticmethod
        def forward(x):
            return np.repeat(x, 1000)

        @staticmethod
        def vjp(i, g, out, x):
            return (g * (1 + 0.9e-5)).sum(keepdims=True)  # each derivative off by 0.9 atol

    with pytest.raises(AssertionError) as error:
        ag.gradcheck(
            lambda t: Tensor.apply(SpreadSlightlyOff, t), Tensor([0.3], requires_grad=True), atol=1e-5, rtol=0.0
        )
    message = str(error.value)
    assert "input 0 at index (0,)" in message and "each within tolerance" in message
    worst = re.search(r"the worst for output element \((\d+),\): analytic (\S+) != numeric (\S+)$", message)
    assert worst, message
    assert float(worst.group(2)) == pytest.approx(1 + 0.9e-5, abs=1e-12)
    assert float(worst.group(3)) == pytest.approx(1.0, abs=1e-8)


def test_a_right_gradient_still_passes_with_several_inputs_and_outputs():
    a = Tensor(np.random.default_rng(0).normal(size=(2, 3)), requires_grad=True)
    b = Tensor(np.random.default_rng(1).normal(size=(3,)), requires_grad=True)
    assert ag.gradcheck(lambda x, y: (x * y).tanh() @ y, [a, b])
