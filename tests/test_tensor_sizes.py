"""A one-element integer tensor serves as a size or count wherever PyTorch takes one (``ones(n)``,
``arange(n)``, ``one_hot(y, num_classes=y.max() + 1)``); a float or a many-element tensor is still refused."""

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F

N = ag.tensor(3)  # e.g. labels.max() + 1


@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: ag.ones(N), (3,)),
        (lambda: ag.zeros(N, 2), (3, 2)),
        (lambda: ag.full((N, 2), 7.0), (3, 2)),
        (lambda: ag.arange(N), (3,)),
        (lambda: ag.linspace(0, 1, N), (3,)),
        (lambda: ag.randint(0, N, (5,)), (5,)),
        (lambda: ag.randperm(N), (3,)),
        (lambda: F.one_hot(ag.tensor([0, 2]), num_classes=N), (2, 3)),
    ],
)
def test_a_one_element_integer_tensor_is_a_size(make, shape):
    assert make().shape == shape


def test_its_values_are_the_ints_and_bad_sizes_still_say_what_to_write():
    assert ag.arange(N).tolist() == [0, 1, 2] and ag.randint(0, N, (50,)).data.max() <= 2
    assert sorted(ag.randperm(N).tolist()) == [0, 1, 2]
    np.testing.assert_array_equal(F.one_hot(ag.tensor([2]), num_classes=N).data, [[0, 0, 1]])
    with pytest.raises(TypeError, match=r"ones: sizes must be ints, got \(2.5,\)"):
        ag.ones(ag.tensor(2.5))
    with pytest.raises(TypeError, match=r"ones: sizes must be ints"):
        ag.ones(ag.tensor([2, 3]))
    with pytest.raises(ValueError, match=r"one_hot: num_classes must be a positive int"):
        F.one_hot(ag.tensor([0]), num_classes=ag.tensor(1.5))
