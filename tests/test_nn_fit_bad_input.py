"""nn.fit and nn.evaluate check their input: a clear error before any training, weights untouched."""

import numpy as np
import pytest
from fit_helpers import adam, moons

import nn
import nn.functional as F

# tiny matrices: one BLAS thread (the fixture in conftest.py says why)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


@pytest.mark.parametrize(
    "change, error, message",
    [
        (
            lambda a: a.update(y=a["y"][:-1]),
            ValueError,
            r"fit: X has 64 rows but y has 63 \(shape \(63,\)\); they must",
        ),
        (
            lambda a: a.update(X=np.ones((64, 3))),
            ValueError,
            r"fit: the model cannot take X of shape \(64, 3\): Linear\(in_features=2, out_features=8\): .* expected 2",
        ),
        (
            lambda a: a.update(y=np.where(np.arange(64) == 5, 7, a["y"])),
            ValueError,
            r"fit \(y; the model has 2 outputs\): labels must be in 0\.\.1 for K=2 classes; found min 0, max 7, "
            r"first bad label 7 at index 5",
        ),
        (
            lambda a: a.update(X=np.where(np.arange(128).reshape(64, 2) == 9, np.nan, a["X"])),
            ValueError,
            r"fit: X contains 1 NaN/Inf values \(the first at index \(4, 1\)\)",
        ),
        (
            lambda a: a.update(validation=(a["X"], a["y"] + 2)),
            ValueError,
            r"fit \(y_val; the model has 2 outputs\): labels must be in 0\.\.1 .* first bad label 2 at index 0",
        ),
        (lambda a: a.update(validation=(a["X"],)), ValueError, r"fit: validation must be a pair \(X_val, y_val\)"),
        (
            lambda a: a.update(early_stopping=3),
            ValueError,
            r"fit: early_stopping watches the validation loss; pass validation=\(X_val, y_val\)",
        ),
        (lambda a: a.update(epochs=0), ValueError, r"fit: epochs must be a positive int, got 0"),
        (lambda a: a.update(batch_size=2.5), ValueError, r"fit: batch_size must be a positive int, got 2.5"),
        (lambda a: a.update(tol=-1), ValueError, r"fit: tol must be a positive number, got -1"),
        (
            lambda a: a.update(loss_fn=lambda o, t: F.cross_entropy(o, t, reduction="none")),
            ValueError,
            r"fit: loss_fn must return a one-element Tensor, got \(2,\); use reduction='mean'",
        ),
        (
            lambda a: a.update(loss_fn=F.mse_loss, y=np.ones(64)),
            ValueError,
            r"fit: loss_fn rejects the model's output \(shape \(2, 2\)\) against y "
            r".* input has shape \(2, 2\) but target has shape \(2,\)",
        ),
        (lambda a: a.update(accuracy="top5"), ValueError, r"fit: accuracy must be 'auto', None or a function"),
        (lambda a: a.update(X=np.array([["a", "b"]] * 64)), TypeError, r"fit: X and y must be numeric arrays"),
        (
            lambda a: a.update(optimizer=adam(nn.MLP([2, 8, 2]))),
            ValueError,
            r"fit: the optimizer holds none of the model's parameters \(was it built for another model\?\)",
        ),
    ],
)
def test_bad_input_raises_before_any_training(change, error, message):
    X, y = moons(0, 64)
    model = nn.MLP([2, 8, 2], seed=0)
    before = model.state_dict()
    args = dict(loss_fn=F.cross_entropy, X=X, y=y, epochs=2, optimizer=adam(model))
    change(args)
    with pytest.raises(error, match=message):
        nn.fit(model, progress=False, **args)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])


def test_evaluate_refuses_an_unknown_accuracy_rule():
    """A typo such as accuracy='top1' silently gave accuracy None."""
    X, y = moons(0, 16)
    model = nn.MLP([2, 4, 2], seed=0)
    with pytest.raises(ValueError, match=r"evaluate: accuracy must be 'auto', None or a function .* got 'top1'"):
        nn.evaluate(model, F.cross_entropy, X, y, accuracy="top1")
    assert nn.evaluate(model, F.cross_entropy, X, y, accuracy=None)[1] is None
