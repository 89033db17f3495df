"""The softmax family's methods take PyTorch's dim= / keepdim= as well as axis= / keepdims=."""

import numpy as np

import autograd_core as ag


def test_softmax_family_methods_accept_dim_and_keepdim():
    x = ag.Tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(x.softmax(dim=axis).data, x.softmax(axis=axis).data)
        np.testing.assert_array_equal(x.log_softmax(dim=axis).data, x.log_softmax(axis).data)
        np.testing.assert_array_equal(x.logsumexp(dim=axis, keepdim=True).data, x.logsumexp(axis, keepdims=True).data)
    assert x.logsumexp(dim=1, keepdim=True).shape == (2, 1, 4) and x.logsumexp(dim=1).shape == (2, 4)
    assert not np.array_equal(x.softmax(dim=0).data, x.softmax().data)  # dim= really chose the axis
