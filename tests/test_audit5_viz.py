"""Fifth everyday-use audit of viz: what a teacher or a student meets outside the README's lines."""

import numpy as np
import pytest

import autograd_core as ag
import viz
from viz.explain import SAME_ROUTE


def test_explain_of_a_square_does_not_claim_modules_it_has_not():
    # b * b reaches b through both arguments: the paths say [arg 0] / [arg 1], no module is involved
    b = ag.Tensor([1.0, 2.0], requires_grad=True, label="b")
    text = viz.explain((b * b).sum(), b).text()
    assert "[arg 0]" in text and "[arg 1]" in text
    assert SAME_ROUTE not in text
    assert text.endswith("∂sum/∂b = [2, 4]")
