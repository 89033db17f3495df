"""``nn.grid_search``: try every combination of hyper-parameters, keep the best on validation data."""
import inspect
import itertools
import math

from .training import evaluate, fit

_FIT_OPTIONS = set(inspect.signature(fit).parameters) - {"model", "loss_fn", "optimizer", "X", "y"}


class GridSearchResult:
    """What ``grid_search`` found.

    - ``results``: one dict per setting, in grid order, with ``params``, ``score``,
      ``val_loss``, ``val_acc`` (None without accuracy), ``history`` and ``error`` (None, or
      fit's message when that setting diverged: its score is then -inf);
    - ``best_params``, ``best_score``, ``best_model`` (trained), ``best_history``.
    """

    def __init__(self, results, best_index, best_model):
        self.results = results
        best = results[best_index]
        self.best_params, self.best_score = best["params"], best["score"]
        self.best_history, self.best_model = best["history"], best_model

    def __repr__(self):
        return (f"GridSearchResult({len(self.results)} settings, best_params={self.best_params}, "
                f"best_score={self.best_score:.4g})")


def grid_search(build_fn, param_grid, X, y, validation, epochs=20, batch_size=32, progress=False, **fit_options):
    """Train one model per combination in ``param_grid`` and score each on ``validation``.

    ``param_grid`` maps names to lists of values. Names that are options of ``nn.fit``
    (``epochs``, ``batch_size``, ``early_stopping``, ``tol``, ...) go to ``fit``; the others
    go to ``build_fn(**those)``, which returns ``(model, loss_fn, optimizer)``. The score
    is the validation accuracy for classification, else minus the validation loss,
    of the trained model (higher is better; ties keep the first setting). A setting whose
    training diverges (NaN/Inf loss) is recorded with its error and score -inf, and the
    search goes on: a too-large learning rate is a normal point of a grid.

    >>> def build(hidden, lr):
    ...     model = nn.MLP([64, hidden, 10], seed=0)
    ...     return model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=lr)
    >>> result = nn.grid_search(build, {"hidden": [32, 64], "lr": [1e-3, 1e-2]}, X, y,
    ...                         validation=(X_val, y_val), epochs=10)
    >>> result.best_params
    {'hidden': 64, 'lr': 0.01}
    """
    if not callable(build_fn):
        raise TypeError(f"grid_search: build_fn must be a function returning (model, loss_fn, optimizer), "
                        f"got {type(build_fn).__name__}")
    if not isinstance(param_grid, dict) or not param_grid:
        raise ValueError("grid_search: param_grid must be a non-empty dict of name -> list of values")
    grid = {}
    for name, values in param_grid.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__") or not list(values):
            raise ValueError(f"grid_search: param_grid[{name!r}] must be a non-empty list of values, got {values!r}")
        grid[name] = list(values)
    if validation is None:
        raise ValueError("grid_search: validation=(X_val, y_val) is required: settings are compared on it")
    unknown = set(fit_options) - _FIT_OPTIONS
    if unknown:
        raise TypeError(f"grid_search: unknown fit options {sorted(unknown)}; valid ones are {sorted(_FIT_OPTIONS)}")
    names = list(grid)
    results, best_index, best_model = [], None, None
    for values in itertools.product(*(grid[n] for n in names)):
        setting = dict(zip(names, values))
        options = dict(fit_options, epochs=epochs, batch_size=batch_size, progress=progress, validation=validation)
        options.update({k: v for k, v in setting.items() if k in _FIT_OPTIONS})
        built = build_fn(**{k: v for k, v in setting.items() if k not in _FIT_OPTIONS})
        if not isinstance(built, tuple) or len(built) != 3:
            raise TypeError(f"grid_search: build_fn({setting}) must return (model, loss_fn, optimizer), "
                            f"got {type(built).__name__}")
        model, loss_fn, optimizer = built
        try:
            history = fit(model, loss_fn, optimizer, X, y, **options)
        except FloatingPointError as error:
            results.append(dict(params=setting, score=-math.inf, val_loss=None, val_acc=None,
                                history=getattr(error, "history", None), error=str(error)))
            continue
        val_loss, val_acc = evaluate(model, loss_fn, *validation, accuracy=options.get("accuracy", "auto"))
        score = val_acc if val_acc is not None else -val_loss
        if math.isnan(score):
            score = -math.inf  # NaN compares False with everything: it would stay "best" if first
        results.append(dict(params=setting, score=score, val_loss=val_loss, val_acc=val_acc, history=history,
                            error=None))
        if best_index is None or score > results[best_index]["score"]:
            best_index, best_model = len(results) - 1, model
    if best_index is None:
        raise FloatingPointError("grid_search: training diverged for every setting; the first error: "
                                 f"{results[0]['error']}")
    return GridSearchResult(results, best_index, best_model)
