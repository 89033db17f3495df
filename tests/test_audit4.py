"""Found by the fourth everyday-use audit: PyTorch idioms from common tutorials, each checked
against what PyTorch does (with torch itself where it is installed)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

# ---- grad mode ----------------------------------------------------------------------------------


def test_set_grad_enabled_called_on_its_own_line_switches_recording_until_switched_back():
    w = Tensor([1.0, 2.0], requires_grad=True)
    ag.set_grad_enabled(False)  # PyTorch's plain-call form: was a no-op, so y silently recorded
    try:
        assert not ag.is_grad_enabled()
        assert not (w * 2).requires_grad
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled() and (w * 2).requires_grad


def test_set_grad_enabled_as_a_block_or_decorator_still_restores_what_came_before():
    w = Tensor([1.0], requires_grad=True)
    with ag.no_grad():
        with ag.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def double(x):
        return x * 2

    assert ag.is_grad_enabled()  # making the decorator changed nothing yet
    assert not double(w).requires_grad and ag.is_grad_enabled()
    block = ag.set_grad_enabled(False)
    assert not ag.is_grad_enabled()
    with block:
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()  # the block gives back what the call replaced
