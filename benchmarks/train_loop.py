"""Workload (f), second row: an epoch of ``python -m nn.train`` against a hand-written numpy loop.

Both sides train the same network on the same data with the same settings, all read
from ``nn.train``'s own defaults (``nn.train.parse_args([])``): digits split and
standardised by ``nn.train.load_data``, ``MLP([64, 256, 128, 10])`` with ReLU from the
same seed (the hand-written loop starts from a copy of its weights), Adam with L2 weight
decay (PyTorch's form), mini-batches of 32 reshuffled every epoch, the validation loss
and accuracy after every epoch.

- **nn.train's epoch**: the ``nn.fit`` call exactly as ``nn.train.run`` makes it (with its
  early stopping and its checkpoint written after every epoch, into a temporary folder),
  timed as a whole and divided by the epochs it ran. That is fit's default, the step compiled
  through ``ag.compile`` (the row records ``history.step``); the same call with
  ``compile=False`` (``nn.train --no-compile``) is timed beside it, as a third row.
- **hand-written**: the same number of epochs of a plain numpy loop: forward, the delta
  rule (``mlp_engines.HandWritten``), an in-place Adam update, and the validation pass.

The three alternate, ``rounds`` times (the order rotated each round), on the run's clock;
the ratio is hand-written time / nn.train time per round (1.0 = as fast). Before timing,
the hand-written gradient on the first mini-batch is checked against nn's to 1e-6.
"""

import os
import statistics
import tempfile

import numpy as np

from .mlp_engines import Batch, HandWritten
from .timing import CheckFailed, check_arrays, ratio_spread

TOLERANCE = 1e-6


def train_defaults():
    """``python -m nn.train``'s settings with no flags, and its learning rate rule applied."""
    from nn import train

    args = train.parse_args([])
    args.lr = args.lr if args.lr is not None else (1e-3 if args.optimizer == "adam" else 0.05)
    return args


def build_nn(args, splits):
    """nn.train's model and optimizer (as ``nn.train.run`` builds them)."""
    from nn import MLP, train

    X_train = splits[0][0]
    classes = int(max(splits[0][1].max(), splits[1][1].max())) + 1
    model = MLP([X_train.shape[1], *args.hidden, classes], activation=args.activation, seed=args.seed)
    optimizer = train.OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    return model, optimizer


def fit_like_nn_train(args, splits, model, optimizer, folder, compile="auto"):
    """``nn.fit`` with the arguments ``nn.train.run`` passes (``compile=False``: ``--no-compile``);
    returns the History."""
    import nn.functional as F
    from nn.training import fit

    (X_train, y_train), validation = splits[0], splits[1]
    return fit(
        model,
        F.cross_entropy,
        optimizer,
        X_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation=validation,
        seed=args.seed,
        early_stopping=args.patience or None,
        progress=False,
        checkpoint=os.path.join(folder, "checkpoint.npz"),
        compile=compile,
    )


def model_params(model):
    """The MLP's weights in the shared layout [W1 (in, out), b1, W2, b2, ...], as copies."""
    import nn

    params = []
    for linear in (m for m in model.layers if isinstance(m, nn.Linear)):
        params += [np.array(linear.weight.data).T.copy(), np.array(linear.bias.data).reshape(-1).copy()]
    return params


class HandWrittenAdamLoop:
    """The same training in plain numpy: shuffled mini-batches, delta-rule gradients, Adam with
    L2 weight decay (g += wd * p), the validation loss and accuracy after every epoch."""

    def __init__(self, params, args, classes, betas=(0.9, 0.999), eps=1e-8):
        if args.optimizer != "adam":
            raise ValueError(
                f"HandWrittenAdamLoop: nn.train's optimizer is {args.optimizer!r}; this loop writes out Adam only"
            )
        self.network = HandWritten(params, 0)
        self.args, self.classes, self.betas, self.eps = args, classes, betas, eps
        self.m = [np.zeros_like(p) for p in self.network.params]
        self.v = [np.zeros_like(p) for p in self.network.params]
        self.t = 0

    def adam_step(self, grads):
        beta1, beta2 = self.betas
        self.t += 1
        step = self.args.lr / (1 - beta1**self.t)
        root = np.sqrt(1 - beta2**self.t)
        for p, g, m, v in zip(self.network.params, grads, self.m, self.v):
            g = g + self.args.weight_decay * p
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= step * m / (np.sqrt(v) / root + self.eps)

    def validate(self, X, y):
        """(mean cross-entropy, accuracy) of the current weights on (X, y)."""
        h = X
        weights, biases = self.network.params[0::2], self.network.params[1::2]
        for k, (W, b) in enumerate(zip(weights, biases)):
            h = h @ W + b
            if k < len(weights) - 1:
                h = np.maximum(h, 0)
        shifted = h - h.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -float(log_probs[np.arange(len(y)), y].mean())
        return loss, float((h.argmax(axis=1) == y).mean())

    def train(self, splits, epochs):
        (X, y), (X_val, y_val) = splits[0], splits[1]
        rng = np.random.default_rng(self.args.seed)
        history = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), self.args.batch_size):
                rows = order[start : start + self.args.batch_size]
                _, grads = self.network.gradients(Batch(X[rows], y[rows], self.classes))
                self.adam_step(grads)
            history.append(self.validate(X_val, y_val))
        return history


def check_gradients(args, splits):
    """The hand-written gradient on nn.train's first rows equals nn's (max relative error)."""
    import autograd_core as ag
    import nn.functional as F

    model, _ = build_nn(args, splits)
    X, y = splits[0][0][: args.batch_size], splits[0][1][: args.batch_size]
    classes = model.sizes[-1]
    F.cross_entropy(model(ag.Tensor(X)), y).backward()
    import nn

    expected = []
    for linear in (m for m in model.layers if isinstance(m, nn.Linear)):
        expected += [np.array(linear.weight.grad).T, np.array(linear.bias.grad).reshape(-1)]
    _, got = HandWritten(model_params(model), 0).gradients(Batch(X, y, classes))
    return check_arrays("hand-written loop", got, expected, TOLERANCE)


def run(settings):
    """Three rows: nn.train's epoch time (compiled, its default; define-by-run) and the hand-written
    loop's, with the per-round ratio."""
    base = {
        "workload": "f",
        "case": "epoch of nn.train's fit (digits, its defaults)",
        "unit": "s/epoch",
        "ratio_to": "hand-written numpy loop",
    }
    try:
        import nn  # noqa: F401
        from nn import train
    except ImportError as error:
        return [dict(base, engine="autograd_core.nn", status="missing", detail=f"missing: {error}")]
    args = train_defaults()
    splits = train.load_data("digits", args.seed)
    try:
        check = check_gradients(args, splits)
    except CheckFailed as error:
        return [dict(base, engine="hand-written", status="FAIL", detail=str(error))]
    clock = settings.timer
    rounds = 2 if settings.quick else 3
    sides = ("compiled", "define-by-run", "hand")
    seconds = {side: [] for side in sides}
    epochs, details = None, {side: {} for side in sides}
    with tempfile.TemporaryDirectory() as folder:
        for round_index in range(rounds):
            # round 0 starts with nn's default: it tells how many epochs (early stopping) the others run
            for side in sides[round_index % 3 :] + sides[: round_index % 3]:
                model, optimizer = build_nn(args, splits)
                if side != "hand":
                    start = clock()
                    compile = "auto" if side == "compiled" else False
                    history = fit_like_nn_train(args, splits, model, optimizer, folder, compile)
                    seconds[side].append(clock() - start)
                    epochs = history.epochs_run if epochs is None else epochs
                    if history.epochs_run != epochs:
                        raise RuntimeError(f"nn.fit ran {history.epochs_run} epochs, then {epochs}: not deterministic")
                    details[side].update(
                        val_acc=history.val_acc[-1],
                        stopped_reason=history.stopped_reason,
                        step=history.step,
                        step_reason=history.step_reason,
                    )
                else:
                    loop = HandWrittenAdamLoop(model_params(model), args, model.sizes[-1])
                    start = clock()
                    trace = loop.train(splits, epochs)
                    seconds[side].append(clock() - start)
                    details[side]["val_acc"] = trace[-1][1]
    settings_text = (
        f"{args.hidden} {args.activation}, {args.optimizer} lr={args.lr:g} wd={args.weight_decay:g}, "
        f"batch {args.batch_size}, {epochs} epochs"
    )

    def row(side, engine):
        spread = ratio_spread(seconds["hand"], seconds[side])
        return dict(
            base,
            engine=engine,
            status="ok",
            check=check,
            epochs=epochs,
            value=statistics.median(seconds[side]) / epochs,
            samples_s=seconds[side],
            ratio=spread["median"],
            ratio_spread=(spread["min"], spread["max"]),
            settings=settings_text,
            **details[side],
        )

    # the default first: report.py's verdict reads the first epoch row
    return [
        row("compiled", "autograd_core.nn"),
        row("define-by-run", "autograd_core.nn --no-compile"),
        row("hand", "hand-written"),
    ]
