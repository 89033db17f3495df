"""Audit 8 of attention: F.scaled_dot_product_attention's argument checks and torch's enable_gqa."""

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F


@pytest.mark.parametrize("dropout_p", ["0.5", None, [0.1]])
def test_sdpa_refuses_a_dropout_p_that_is_not_a_number_in_one_line(dropout_p):
    q = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: dropout_p must be a probability in \[0, 1\]"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=dropout_p)


def test_sdpa_enable_gqa_equals_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(2, 6, 4, 3), (2, 2, 5, 3), (2, 2, 5, 2)]]
    ours = [ag.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    mask = rng.random((4, 5)) < 0.7
    out = F.scaled_dot_product_attention(*ours, attn_mask=mask, enable_gqa=True)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, attn_mask=torch.tensor(mask), enable_gqa=True)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-12)
    weights = rng.standard_normal(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=1e-12)


def test_sdpa_enable_gqa_refuses_heads_that_do_not_divide():
    q, k = np.ones((3, 4, 2)), np.ones((2, 4, 2))
    with pytest.raises(ValueError, match=r"enable_gqa=True needs the query's heads \(axis -3 of \(3, 4, 2\)\)"):
        F.scaled_dot_product_attention(q, k, k, enable_gqa=True)
    with pytest.raises(ValueError, match="do not broadcast"):  # without enable_gqa, as torch: heads must match
        F.scaled_dot_product_attention(np.ones((4, 4, 2)), k, k)
