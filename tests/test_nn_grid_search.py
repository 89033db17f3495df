"""nn.grid_search in one process: every setting scored, the best kept, bad input refused, a diverging
setting recorded without losing the others (parallel and Dask runs: test_nn_search.py)."""

import math

import pytest
from fit_helpers import moons

import nn
import nn.functional as F
from nn import optim

# tiny matrices: one BLAS thread (the fixture in conftest.py says why)
pytestmark = pytest.mark.usefixtures("one_blas_thread")


def test_grid_search_scores_every_setting_and_keeps_the_best():
    X, y = moons(0, 200)
    validation = moons(1, 100)

    def build(hidden, lr):
        model = nn.MLP([2, hidden, 2], seed=0)
        return model, F.cross_entropy, optim.Adam(model.parameters(), lr=lr)

    result = nn.grid_search(
        build, {"hidden": [1, 16], "lr": [0.03], "epochs": [2, 25]}, X, y, validation=validation, batch_size=32
    )
    assert [r["params"] for r in result.results] == [
        {"hidden": 1, "lr": 0.03, "epochs": 2},
        {"hidden": 1, "lr": 0.03, "epochs": 25},
        {"hidden": 16, "lr": 0.03, "epochs": 2},
        {"hidden": 16, "lr": 0.03, "epochs": 25},
    ]
    assert [r["history"].epochs_run for r in result.results] == [2, 25, 2, 25]  # "epochs" went to fit
    assert result.best_params == {"hidden": 16, "lr": 0.03, "epochs": 25}
    assert result.best_score == max(r["score"] for r in result.results) >= 0.95
    assert nn.evaluate(result.best_model, F.cross_entropy, *validation)[1] == result.best_score


def test_grid_search_errors():
    X, y = moons(0, 40)
    build = lambda hidden: (nn.MLP([2, hidden, 2]),)  # noqa: E731
    with pytest.raises(ValueError, match=r"grid_search: validation=\(X_val, y_val\) is required"):
        nn.grid_search(build, {"hidden": [2]}, X, y, validation=None)
    with pytest.raises(ValueError, match=r"grid_search: param_grid\['hidden'\] must be a non-empty list"):
        nn.grid_search(build, {"hidden": []}, X, y, validation=(X, y))
    with pytest.raises(
        TypeError,
        match=r"grid_search: build_fn\(\{'hidden': 2\}\) must return "
        r"\(model, loss_fn, optimizer\)",
    ):
        nn.grid_search(build, {"hidden": [2]}, X, y, validation=(X, y))
    with pytest.raises(TypeError, match=r"grid_search: unknown fit options \['patience'\]"):
        nn.grid_search(build, {"hidden": [2]}, X, y, validation=(X, y), patience=3)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_grid_search_goes_on_past_a_diverging_setting():
    """One learning rate too large must not throw away the other settings' training."""
    X, y = moons(0, 100)
    validation = moons(1, 50)

    def build(lr):
        model = nn.MLP([2, 8, 2], seed=0)
        return model, F.cross_entropy, optim.SGD(model.parameters(), lr=lr)

    result = nn.grid_search(build, {"lr": [1e300, 0.5]}, X, y, validation=validation, epochs=3)
    failed, trained = result.results
    assert failed["score"] == -math.inf and failed["error"].startswith("fit: the loss became nan at epoch 1/3")
    assert failed["history"].stopped_reason.startswith("error: ")
    assert trained["error"] is None and result.best_params == {"lr": 0.5}
    assert result.best_score == trained["score"] == nn.evaluate(result.best_model, F.cross_entropy, *validation)[1]
    with pytest.raises(
        FloatingPointError,
        match=r"grid_search: training diverged for every setting; the first "
        r"error: fit: the loss became nan",
    ):
        nn.grid_search(build, {"lr": [1e300, 1e301]}, X, y, validation=validation, epochs=2)
