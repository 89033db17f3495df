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
