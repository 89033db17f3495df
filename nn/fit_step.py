"""``nn.fit``'s training step: forward, loss and backward through ``ag.compile`` where that gives the
same training as define-by-run, else define-by-run; the history records which ran and why.

Compiling is safe when every step runs the same ops on fresh values: what ``ag.compile`` replays. It
is not when a step does something beside the graph that a replay would skip or freeze, which is
what ``compile_obstacle`` looks for before training: Dropout's fresh random mask, buffers changed in
forward (BatchNorm's running statistics), forward hooks, and layers or losses defined outside nn,
whose Python (a call counter, a print) would run only while tracing (``compile=True`` trusts them).
Anything else ``ag.compile`` cannot replay (random numbers drawn beside the graph, values read with
``.item()`` that change) it finds itself while tracing, and from then on the step runs define-by-run.
A traced call runs define-by-run, so a step that falls back has the gradients define-by-run gives:
the training is the same either way.
"""

from __future__ import annotations

import contextlib
import functools
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import autograd_core as ag
from autograd_core import Tensor

from .evaluation import LossFn
from .layers import Dropout
from .module import Module

COMPILED, DEFINE_BY_RUN = "compiled", "define-by-run"


def compile_obstacle(model: Module, loss_fn: LossFn, trust_outside: bool = False) -> str | None:
    """Why compiling the training step of ``model`` and ``loss_fn`` could change the training, or None.
    Layers and losses defined outside nn count, unless ``trust_outside``: their Python (a counter, a
    print, a branch on a value) would run only while ag.compile traces.

    >>> compile_obstacle(nn.MLP([2, 8, 2]), F.cross_entropy) is None
    True
    >>> compile_obstacle(nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5)), F.cross_entropy)
    "layer '1' (Dropout) draws a fresh random mask every step"
    """
    for name, module in model.named_modules():
        where = f"layer '{name}' ({type(module).__name__})" if name else f"the model ({type(module).__name__})"
        if not trust_outside and not _from_nn(type(module)):
            return f"{where} is defined outside nn: {OUTSIDE}"
        rate = module.p if isinstance(module, Dropout) else getattr(module, "dropout", 0.0)  # (RNN, LSTM, attention)
        if getattr(module, "num_layers", None) == 1:  # a recurrent layer drops out between its stacked layers only
            rate = 0.0
        if isinstance(rate, float) and 0 < rate < 1:
            return f"{where} draws a fresh random mask every step"
        buffers = list(module._buffers)
        if buffers:
            return (
                f"{where} has buffers ({', '.join(buffers)}) that its forward may update beside the graph "
                "(as BatchNorm's running statistics)"
            )
        if module._forward_hooks:
            return f"{where} has forward hooks, which a replayed step would not call"
        if module._forward_pre_hooks or module._backward_hooks:
            return f"{where} has forward pre-hooks or backward hooks, which a replayed step would not call"
    function = loss_fn.func if isinstance(loss_fn, functools.partial) else loss_fn
    if not trust_outside and not _from_nn(function if isinstance(function, types.FunctionType) else type(function)):
        name = getattr(function, "__qualname__", type(function).__qualname__)
        return f"the loss ({name}) is not one of nn's: {OUTSIDE}"
    return None


OUTSIDE = "its Python would run only while ag.compile traces (compile=True compiles it if it is Tensor ops only)"


def _from_nn(definition: object) -> bool:
    """Is this function or class defined in the nn package (whose forwards and losses are Tensor ops only)?"""
    module = getattr(definition, "__module__", None) or ""
    return module == _PACKAGE or module.startswith(_PACKAGE + ".")


_PACKAGE = __name__.rpartition(".")[0]  # "nn"


class TrainingStep:
    """Forward, loss and backward of one mini-batch, compiled or define-by-run (``mode``, and
    ``reason`` for define-by-run). ``compile``: "auto" (compile where safe, fall back silently),
    True (the same, with a ``CompileWarning`` when it cannot) or False (never).

    >>> step = TrainingStep(nn.MLP([2, 4, 2], seed=0), F.cross_entropy, "auto")
    >>> X, y = np.random.default_rng(0).normal(size=(20, 2)), np.random.default_rng(1).integers(0, 2, 20)
    >>> for rows in (np.arange(8), np.arange(8, 16), np.arange(8)):  # two traces, then a replay
    ...     loss, logits = step.compiled_step(X[rows], y[rows], "step 1")
    >>> step.outcome(), logits.shape
    (('compiled', None), (8, 2))
    """

    def __init__(self, model: Module, loss_fn: LossFn, compile: bool | str) -> None:
        if not (compile is True or compile is False or compile == "auto"):
            raise ValueError(f"fit: compile must be 'auto', True or False, got {compile!r}")
        self.model, self.loss_fn, self.warn = model, loss_fn, compile is True
        # one compiled function per batch size, so the last, shorter batch is not a guard miss every epoch
        self.compiled: dict[int, Any] = {}  # batch size -> what ag.compile returns
        self.mode: str = COMPILED
        self.reason: str | None = None
        obstacle = "compile=False" if compile is False else compile_obstacle(model, loss_fn, compile is True)
        if obstacle is not None:
            self._give_up(obstacle)

    def _give_up(self, reason: str, warn: bool = True) -> None:
        self.compiled, self.mode, self.reason = {}, DEFINE_BY_RUN, reason
        if warn and self.warn:
            warnings.warn(f"fit: the training step runs define-by-run: {reason}", ag.CompileWarning, stacklevel=4)

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Around the training loop: compile's own CompileWarning stays silent unless compile=True
        (the history records the fallback instead)."""
        with warnings.catch_warnings():
            if not self.warn:
                warnings.filterwarnings("ignore", category=ag.CompileWarning)
            yield

    def forward(self, X: np.ndarray, y: np.ndarray) -> tuple[Tensor, Tensor]:
        """Define-by-run: (loss with its graph, output); backward is the caller's (after its checks)."""
        output = self.model(Tensor(X))
        return self.loss_fn(output, y), output

    def compiled_step(self, X: np.ndarray, y: np.ndarray, where: str) -> tuple[Tensor, Tensor] | None:
        """Forward, loss and backward through the compiled step: (loss, output) without graphs, the
        gradients in ``.grad``; None when this fit runs define-by-run (call ``forward``)."""
        compiled = self.compiled.get(len(X))
        if compiled is None:
            if self.mode == DEFINE_BY_RUN:
                return None
            compiled = self.compiled[len(X)] = ag.compile(_training_step(self.model, self.loss_fn), has_aux=True)
        loss, output = compiled(Tensor(X), y)
        if compiled.fallback_reason is not None:  # this call ran define-by-run: its gradients are right
            self._give_up(f"ag.compile gave up at {where}: {compiled.fallback_reason}", warn=False)  # it warned
        return loss, output

    def outcome(self) -> tuple[str, str | None]:
        """What ran, for the history: ("compiled", None) once a step was replayed, else
        ("define-by-run", why): the fallback's reason, or that no step got past ag.compile's
        traces (the first two of each batch size) or ag.compile ran fn itself (``detect_anomaly()``)."""
        if self.mode == DEFINE_BY_RUN or not self.compiled:
            return self.mode, self.reason  # nothing compiled ran in this call (or none was to be)
        if any(c.replay_count for c in self.compiled.values()):
            return COMPILED, None
        if any(c.trace_count for c in self.compiled.values()):
            return DEFINE_BY_RUN, "every step was one of ag.compile's tracing calls (the first two of each batch size)"
        return DEFINE_BY_RUN, "ag.compile ran every step define-by-run (under detect_anomaly() or no_grad())"

    def release(self) -> None:
        """Drop the compiled functions, and with them the buffers their plans keep (about one step's arrays)."""
        self.compiled = {}


def _training_step(model: Module, loss_fn: LossFn) -> Callable[[Tensor, np.ndarray], tuple[Tensor, Tensor]]:
    """The function compiled: a closure over the model and the loss only, not the TrainingStep (which
    would tie the fit's state to the compiled function's)."""

    def training_step(X: Tensor, y: np.ndarray) -> tuple[Tensor, Tensor]:
        output = model(X)
        return loss_fn(output, y), output

    return training_step
