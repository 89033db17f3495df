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


def test_explain_keeps_a_matrix_gradient_inside_its_equation():
    # a (2, 3) gradient: numpy's second row started at column 0 of the text, and the repr spanned lines
    a = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="a")
    explanation = viz.explain((a * a).sum(), a)
    lines = explanation.text().splitlines()
    total = lines[-2:]
    assert total == ["sum over the 2 paths: ∂sum/∂a = [[0, 2, 4],", " " * 33 + "[6, 8, 10]]"]  # under [0
    contribution = next(k for k, line in enumerate(lines) if line.strip() == "= [[0, 1, 2],")
    assert lines[contribution + 1] == " " * (lines[contribution].index("[") + 1) + "[3, 4, 5]]"
    assert repr(explanation) == "Explanation(∂sum/∂a = [[0, 2, 4], [6, 8, 10]] over 2 paths)"
    assert "[[0, 2, 4], [6, 8, 10]]" in explanation._repr_markdown_()


def test_explain_of_a_vector_offers_only_what_explain_accepts():
    # the message offered "pass grad= of its shape", and explain(y, w, grad=...) is a TypeError
    w = ag.Tensor([1.0, 2.0], requires_grad=True, label="w")
    y = w * 3.0
    with pytest.raises(ValueError) as caught:
        viz.explain(y, w)
    message = str(caught.value)
    assert message == (
        "explain: root has shape (2,); the chain rule starts from a one-element tensor (a loss). "
        "Reduce it first, explain(root.sum(), param), or pick one element, explain(root[0], param)"
    )
    assert viz.explain(y.sum(), w).total.tolist() == [3.0, 3.0]
    assert viz.explain(y[0], w).total.tolist() == [3.0, 0.0]
