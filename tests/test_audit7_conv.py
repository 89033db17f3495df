"""The seventh audit's findings on convolution and pooling, each checked against torch: empty batches and
weights, PyTorch's other spellings of the window arguments, ceil_mode, padding_mode and return_indices."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor


EMPTY_BATCH_CALLS = [  # (ours, torch's): the same call
    ("conv2d", dict(weight=np.ones((4, 3, 3, 3)), padding=1)),
    ("conv2d", dict(weight=np.ones((3, 1, 3, 3)), groups=3)),
    ("max_pool2d", dict(kernel_size=2)),
    ("avg_pool2d", dict(kernel_size=3, padding=1, count_include_pad=False)),
]


@pytest.mark.parametrize("name, keywords", EMPTY_BATCH_CALLS)
def test_an_empty_batch_goes_through_forward_and_backward_as_in_torch(name, keywords):
    torch = pytest.importorskip("torch")
    theirs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in keywords.items()}
    expected = getattr(torch.nn.functional, name)(torch.ones(0, 3, 6, 6, dtype=torch.float64), **theirs)
    x = Tensor(np.ones((0, 3, 6, 6)), requires_grad=True)
    y = getattr(F, name)(x, **keywords)
    assert y.shape == tuple(expected.shape)
    y.sum().backward()
    assert x.grad.shape == (0, 3, 6, 6)


def test_a_weight_with_no_filters_gives_no_output_channels():
    y = F.conv2d(np.ones((2, 3, 5, 5)), np.ones((0, 3, 3, 3)))
    assert y.shape == (2, 0, 3, 3)


SPELLINGS = [  # PyTorch's other spellings of the window arguments: (function name, positional, keywords)
    ("conv2d", (np.ones((4, 3, 3, 3)),), dict(stride=(2,), padding=[1], dilation=(2,))),
    ("max_pool2d", ((2,),), dict(stride=(1,), padding=(1,))),
    ("max_pool2d", (2,), dict(stride=())),
    ("avg_pool2d", ((3,),), dict(stride=[], padding=(1,))),
]


@pytest.mark.parametrize("name, args, keywords", SPELLINGS)
def test_one_tuples_and_an_empty_stride_mean_what_torch_reads(name, args, keywords):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 7))
    theirs = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), *theirs, **keywords)
    np.testing.assert_allclose(getattr(F, name)(x, *args, **keywords).data, expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("layer", [nn.MaxPool2d, nn.AvgPool2d])
def test_a_pool_layer_with_an_empty_stride_steps_by_its_kernel(layer):
    assert layer(3, stride=()).stride == (3, 3) and layer((2,), stride=[]).stride == (2, 2)
