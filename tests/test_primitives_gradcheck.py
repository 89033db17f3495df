"""Every primitive against finite differences (float64), and in float32 against float64.

The cases live in ``primitive_cases.py``; the meta-tests below fail when a primitive is
registered in ``ag.PRIMITIVES`` without a gradcheck, second-order or torch case, so a new
primitive cannot land untested.
"""

import numpy as np
import pytest
from primitive_cases import CASES, SECOND_ORDER_CASES, TORCH_CASES
from special_more_cases import NO_TORCH_DERIVATIVE

import autograd_core as ag
from autograd_core import Tensor

# Tighter than gradcheck's learner-friendly defaults: in float64 a central difference
# with eps=1e-6 is good to ~1e-9, so a vjp that is off by 0.01% still fails.
FLOAT64_TOLERANCES = dict(atol=1e-6, rtol=1e-5)
NO_TORCH_EQUIVALENT = {**NO_TORCH_DERIVATIVE}  # primitive name -> why torch cannot check it


def covered(cases):
    return set().union(*(case.ops() for case in cases))


def test_every_primitive_has_a_gradcheck_case():
    missing = set(ag.PRIMITIVES) - covered(CASES)
    assert not missing, f"primitives without a gradcheck case: {sorted(missing)} (add one to primitive_cases.py)"


def test_every_primitive_has_a_second_order_case():
    missing = set(ag.PRIMITIVES) - covered(SECOND_ORDER_CASES)
    assert not missing, f"primitives without a second-order case: {sorted(missing)}"


def test_every_primitive_with_a_torch_equivalent_has_a_torch_case():
    missing = set(ag.PRIMITIVES) - covered(TORCH_CASES) - set(NO_TORCH_EQUIVALENT)
    assert not missing, f"primitives without a torch-oracle case: {sorted(missing)}"


def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_gradcheck_float64(case):
    assert ag.gradcheck(case.fn, case.inputs(), **{**FLOAT64_TOLERANCES, **case.tolerances})


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_float32_stays_float32_and_matches_float64(case):
    """float32 in, float32 values and gradients out, within float32 rounding of a float64 run."""
    arrays = [a.astype(np.float32) for a in case.arrays()]
    inputs32 = [Tensor(a, requires_grad=True) for a in arrays]
    inputs64 = [Tensor(a.astype(np.float64), requires_grad=True) for a in arrays]  # the same values
    out32, out64 = case.fn(*inputs32), case.fn(*inputs64)
    assert out32.dtype == (np.float64 if case.float64_constant else np.float32)
    weights = np.random.default_rng(0).uniform(-1.5, 1.5, out64.shape)
    (out32 * weights.astype(out32.dtype)).sum().backward()
    (out64 * weights).sum().backward()
    np.testing.assert_allclose(out32.data, out64.data, rtol=1e-5, atol=1e-6)
    for t32, t64 in zip(inputs32, inputs64):
        assert t32.grad.dtype == np.float32 and t32.grad.shape == t32.shape
        np.testing.assert_allclose(t32.grad, t64.grad, rtol=1e-4, atol=1e-5)


def test_gradcheck_works_in_float64_for_float32_inputs_and_passes_other_inputs_through():
    x = Tensor(np.array([0.3, -1.2, 2.0], dtype=np.float32), requires_grad=True)
    index = np.array([2, 0, 0])
    # float32 central differences would be off by ~1e-3; gradcheck promotes, so tight tolerances hold
    assert ag.gradcheck(lambda t, i: t.tanh()[i], [x, index], atol=1e-9, rtol=1e-7)
