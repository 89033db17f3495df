"""``ag.compile(fn)``: trace a training step, then replay it as a flat list of numpy calls.

``fn(*args)`` builds a graph and returns a one-element loss Tensor. ``compiled(*args)`` does what
``fn(*args).backward()`` does (every leaf's ``.grad`` accumulates, ``+=``, with the same values: bitwise,
up to the order in which 3+ paths' gradients are summed) and returns the loss as a Tensor without a graph::

    step = ag.compile(lambda X, Y: -(model_logits(X).log_softmax() * Y).sum() / len(X))
    for X, Y in batches:
        loss = step(Tensor(X), Tensor(Y))     # forward + backward
        for p in params:
            p.data -= lr * p.grad; p.grad = None

**How.** The first two calls run ``fn`` define-by-run and record a tape (tensor arguments that need no
gradient are traced as if they did, so the ops applied to them are recorded too). When two tapes agree
(ops, wiring, shapes, dtypes, leaves, constants), the second call generates the plan: each op written by
its primitive's lowering into buffers kept between calls, backward pruned to the gradients that reach a
leaf, sum_to and casts decided from the shapes, gradients of constant subgraphs (the ``/ n``, ``-`` and
``.sum()`` of a loss) baked in. The plan is adopted only after it reproduced that call's define-by-run
gradients; later calls run it (no Tensor per op, no graph walked). ``compiled.source`` shows the code.

**Guarded** (checked every call; a change means a new trace, or define-by-run): the arguments (Tensor or
ndarray, shape, dtype, ``requires_grad``, which of them are the same array; Python numbers, strings and
None by value); the tensors that require grad (arguments or read by fn: the leaves) by identity, shape,
dtype and ``requires_grad``, their values read afresh each call; up to ``MAX_SIGNATURES`` signatures;
grad and anomaly mode (under ``no_grad()`` or ``detect_anomaly()`` fn runs define-by-run). Values that
did not change between two agreeing traces are pinned (arrays by identity, tensors by version): a
constant computed from them might hide in the plan, so when one changes, fn is traced once more.

**Not guarded** (as ``torch.jit.trace`` and ``jax.jit`` warn): Python control flow on values (``if
loss.item() > 1``) and which tensors fn reads are fixed by the traces; numbers fn reads from outside its
arguments or from values (``.item()``, ``.data``, numpy on an argument) are constants of the trace: one
that differs between two traces is caught (a ``CompileWarning``, then define-by-run), one that never
differed while its sources changed is not. (Softmax's max shift is an op, ``max_shift``: recomputed.)
Side effects of fn happen in traced calls only. Buffers whose lifetimes in the code do not overlap are
one array; small ones stay allocated between calls, so a compiled function is not re-entrant or thread-safe.

**Unsupported**, so define-by-run with a ``CompileWarning`` (``strict=True``: a ``CompileError``):
boolean-mask indexing by an argument (its shape depends on values), ``retain_grad()`` or an in-place
change inside fn, a non-leaf argument that requires grad, a graph built outside fn, constants that
change between calls. ``check=True`` runs the plan and define-by-run side by side on every call (keeping
define-by-run's gradients) and raises ``CompileError`` when they differ; ``retrace()`` forgets plans.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, overload

import numpy as np

from .engine import MutationClock, accumulate_grad
from .engine import grad as _engine_grad
from .grad_mode import state
from .replay import MISS, Plan
from .tape import Tape, Unsupported, arg_array, fingerprint
from .tensor import Tensor

MAX_SIGNATURES = 8  # signatures traced and kept per compiled function (oldest forgotten first)


class CompileWarning(UserWarning):
    """A compiled function runs define-by-run instead of a replay; the message says why."""


class CompileError(RuntimeError):
    """``strict=True`` (or ``check=True``) found something a replay cannot reproduce."""


@overload
def compile(fn: Callable[..., Tensor], *, check: bool = False, strict: bool = False) -> Compiled: ...
@overload
def compile(
    fn: None = None, *, check: bool = False, strict: bool = False
) -> Callable[[Callable[..., Tensor]], Compiled]: ...
def compile(  # noqa: A001 (torch.compile's name; ag.compile, never a bare import)
    fn: Callable[..., Tensor] | None = None, *, check: bool = False, strict: bool = False
) -> Compiled | Callable[[Callable[..., Tensor]], Compiled]:
    """Trace ``fn`` (args -> one-element loss Tensor) and replay its forward and backward.

    ``compiled(*args)`` accumulates every leaf's ``.grad`` as ``fn(*args).backward()``
    would and returns the loss (a Tensor without a graph). Usable as a decorator.

    >>> W = Tensor([[1.0], [2.0]], requires_grad=True)
    >>> step = compile(lambda X: (X @ W).relu().sum())
    >>> step(Tensor([[3.0, 4.0]]))
    Tensor(11.)
    >>> W.grad.ravel()
    array([3., 4.])
    """
    if fn is None:
        return functools.partial(compile, check=check, strict=strict)
    if not callable(fn):
        raise TypeError(f"compile: expected a function (args -> loss Tensor), got {type(fn).__name__}")
    return Compiled(fn, check=check, strict=strict)


class _Entry:
    """What is known about one signature: the last agreeing tape, the values pinned so far, the plan."""

    def __init__(self):
        self.reference = self.snapshot = self.plan = self.fallback = None


class Compiled:
    """The function returned by ``compile``. ``trace_count`` / ``replay_count`` count calls that ran
    fn define-by-run to trace it / ran the plan; ``fallback_reason`` says why the last fallback
    happened (None: none did)."""

    def __init__(self, fn: Callable[..., Tensor], check: bool = False, strict: bool = False) -> None:
        functools.update_wrapper(self, fn)
        self.fn, self.check, self.strict = fn, check, strict
        self.trace_count = self.replay_count = 0
        self.fallback_reason: str | None = None
        self._entries: dict[Any, _Entry] = {}
        self._last: Plan | None = None

    def __repr__(self) -> str:
        return (
            f"<compiled {getattr(self.fn, '__qualname__', 'fn')}: {self.trace_count} traces, "
            f"{self.replay_count} replays{', define-by-run: ' + self.fallback_reason if self.fallback_reason else ''}>"
        )

    @property
    def source(self) -> str | None:
        """The generated code of the plan used last (None before one exists)."""
        return self._last.source if self._last is not None else None

    def retrace(self) -> None:
        """Forget every trace and plan: the next calls trace fn again (after changing what fn reads)."""
        self._entries.clear()
        self._last, self.fallback_reason = None, None

    def __call__(self, *args: Any) -> Tensor:
        plan = self._last
        if plan is not None and not self.check and state.grad_enabled and not state.anomaly:
            try:
                loss = plan.run(args)  # guards, forward, backward, .grad delivered
            except Exception as error:  # noqa: BLE001 (a bad value: define-by-run raises the engine's error)
                return self._replay_failed(plan, args, error)
            if loss is not MISS:
                self.replay_count += 1
                return Tensor(loss)
        return self._call(args)

    # ------------------------------------------------------------------------ paths

    def _define_by_run(self, args):
        loss = _check_loss(self.fn(*args))
        loss.backward()
        return loss.detach()

    def _replay_failed(self, plan, args, error):
        loss = self._define_by_run(args)  # bad values (an index out of range...): the engine's own error
        for entry in self._entries.values():  # define-by-run coped, so the plan itself is wrong
            if entry.plan is plan:
                self._last = None
                self._give_up(
                    entry,
                    f"the replay raised {type(error).__name__}: {error}, define-by-run did "
                    "not (a bug in compile: please report)",
                )
        return loss

    def _call(self, args):
        if not state.grad_enabled or state.anomaly:
            return self._define_by_run(args)
        key = _signature(args)
        entry = self._entries.get(key)
        if entry is None:
            if len(self._entries) >= MAX_SIGNATURES:  # e.g. a new leaf tensor passed every call
                del self._entries[next(iter(self._entries))]
            entry = self._entries[key] = _Entry()
        if entry.fallback is None:
            nonleaf = [k for k, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad and a.prim]
            if nonleaf:
                self._give_up(
                    entry,
                    f"argument {nonleaf[0]} requires grad but is the output of '{args[nonleaf[0]].op}' "
                    "(a graph built outside fn); pass a leaf, detach() it, or compute it inside fn",
                )
        if entry.fallback is not None:
            return self._define_by_run(args)
        if entry.plan is not None:
            try:
                result = (entry.plan.trial if self.check else entry.plan.run)(args)
            except Exception as error:  # noqa: BLE001
                return self._replay_failed(entry.plan, args, error)
            if result is not MISS:
                if self.check:
                    return self._checked(entry.plan, args, result)
                self._last = entry.plan
                self.replay_count += 1
                return Tensor(result)
            if not entry.reference.still_holds():  # a tensor fn reads changed shape/dtype/requires_grad
                entry = self._entries[key] = _Entry()
        return self._trace(entry, args)

    def _trace(self, entry, args):
        """Run fn define-by-run, recording a tape; compare it with the previous one; maybe adopt a plan."""
        self.trace_count += 1
        call_args = [_stand_in(a) for a in args]
        clock = MutationClock.now
        loss = _check_loss(self.fn(*call_args))
        tape, reason = None, None
        if MutationClock.now != clock:
            reason = (
                "fn changed tensor values in place (.data or an in-place operator); a replay would skip "
                "that: keep updates outside the compiled function"
            )
        else:
            tape, reason = _attempt(Tape, loss, args, call_args)
        for stand_in, a in zip(call_args, args):
            if stand_in is not a:  # recorded now; backward skips its gradient (time, memory), never used
                stand_in.requires_grad = False
        if tape is not None and not tape.loss_needs_grad:
            loss.detach().backward()  # the engine's own 'does not require grad' error
        if tape is not None and entry.reference is not None:
            if not entry.reference.still_holds():
                entry.__init__()  # a tensor fn reads changed shape, dtype or requires_grad: start afresh
            else:
                difference, error = _attempt(tape.mismatch, entry.reference, check_nodes=entry.plan is None)
                reason = difference or error
        if reason is not None:
            self._give_up(entry, reason)  # strict: raises before any gradient is delivered
        if reason is not None or entry.reference is None or entry.plan is not None:
            loss.backward()
        else:  # two tapes agree: generate the plan from this call's graph, adopt it if it reproduces the call
            grads = [g.data for g in _engine_grad(loss, tape.leaves, allow_unused=True)]
            plan, reason = _attempt(self._plan, tape, entry.reference, args)
            loss = loss.detach()
            tape.drop_graph()  # the trial runs without this call's activations alive (peak memory)
            if plan is not None:
                entry.plan, reason = _attempt(self._adopt, plan, args, loss, grads)
            _deliver(tape.leaves, grads)
            if reason is not None:
                self._give_up(entry, reason)
        loss = loss.detach()  # the graph goes before _remember regenerates the code (peak memory)
        if reason is None:
            self._remember(entry, tape, args)
        return loss

    def _plan(self, tape, reference, args):
        externals = [a is b for a, b in zip(tape.constants, reference.constants)]
        return Plan(tape, args, externals, getattr(self.fn, "__qualname__", "fn"))

    def _adopt(self, plan, args, loss, grads):
        result = plan.trial(args)
        if result is MISS:
            raise Unsupported("the plan's guards reject the call it was made from (a bug in compile)")
        problem = _difference(result, loss, plan.leaves, grads)
        if problem:
            raise Unsupported(f"the replay differs from define-by-run on {problem} (a bug in compile: please report)")
        self._last = plan
        return plan

    def _remember(self, entry, tape, args):
        """Keep this tape as the reference; pin the values that have not changed since the last one."""
        current = {source: fingerprint(array) for source, array in tape.sources(entry.reference).items()}
        if entry.snapshot is not None:
            current = {source: old for source, old in entry.snapshot.items() if current.get(source) == old}
        entry.snapshot, entry.reference = current, tape
        tape.strip()  # no graph or argument arrays kept alive between calls
        if entry.plan is not None:
            entry.plan.pin(
                {
                    (kind, j): arg_array(args[j])
                    if kind == "arg"
                    else (tape.leaves if kind == "leaf" else tape.constants)[j].version
                    for kind, j in entry.snapshot
                }
            )

    def _checked(self, plan, args, result):
        """check=True: the plan's result beside define-by-run's; the latter's gradients are kept."""
        loss = _check_loss(self.fn(*args))
        grads = [g.data for g in _engine_grad(loss, plan.leaves, allow_unused=True)]
        problem = _difference(result, loss, plan.leaves, grads)
        if problem:
            raise CompileError(
                f"compile(check=True): the replay differs from define-by-run on {problem}: fn's "
                "control flow or constants depend on values (see ag.compile); call fn directly, "
                "or retrace() after changing what it reads"
            )
        _deliver(plan.leaves, grads)
        return loss.detach()

    def _give_up(self, entry, reason):
        title = getattr(self.fn, "__qualname__", "fn")
        if self.strict:
            raise CompileError(f"compile({title}): {reason}")
        entry.fallback = self.fallback_reason = reason
        entry.reference = entry.snapshot = entry.plan = None  # keep no graph alive
        warnings.warn(f"compile({title}) runs define-by-run: {reason}", CompileWarning, stacklevel=4)


# ------------------------------------------------------------------------------------ helpers
def _signature(args):
    key, first = [], {}
    for k, a in enumerate(args):
        array = arg_array(a)
        alias = None if array is None else first.setdefault(id(array), k)  # fn(X, X) is not fn(X, Z)
        if isinstance(a, Tensor):  # a leaf is the tensor itself (the plan holds it: its id stays unique)
            key.append((type(a), a.shape, a.dtype, id(a) if a.requires_grad else False, a.prim is None, alias))
        elif isinstance(a, np.ndarray):
            key.append((type(a), a.shape, a.dtype, alias))
        elif a is None or type(a) in (bool, int, float, str):
            key.append((type(a), a))
        else:
            raise TypeError(
                f"compile: argument {k} is a {type(a).__name__}; pass Tensors or numpy arrays "
                "(read afresh each call) or Python numbers/strings (part of the signature)"
            )
    return tuple(key)


def _stand_in(a):
    """A float tensor argument that needs no gradient is traced through a stand-in that requires grad,
    so the ops fn applies to it are recorded too (its gradient is never computed by the plan)."""
    if isinstance(a, Tensor) and not a.requires_grad and a.dtype.kind == "f":
        return Tensor(a.data, requires_grad=True, label=a.label)
    return a


def _attempt(function, *args, **kwargs):
    """(result, None), or (None, why) when compile cannot or should not replay (Unsupported), or hit a
    bug of its own: those mean define-by-run, never a crash of a call that define-by-run can run."""
    try:
        return function(*args, **kwargs), None
    except Unsupported as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001
        return None, f"{type(error).__name__}: {error} (a bug in compile: please report)"


def _check_loss(loss):
    if not isinstance(loss, Tensor):
        raise TypeError(f"compile: fn must return the loss as a one-element Tensor, got {type(loss).__name__}")
    return loss


def _deliver(leaves, grads):
    for t, g in zip(leaves, grads):  # the engine's fresh arrays, accumulated by the engine's rule
        accumulate_grad(t, g)


def _difference(result, loss, leaves, grads):
    """The first of the replayed loss and gradients that differs beyond rounding from define-by-run's,
    described; else None."""
    names = [
        f"the gradient of '{t.label}'" if t.label else f"the gradient of a leaf of shape {t.shape}" for t in leaves
    ]
    for what, got, want in zip(["the loss"] + names, [result[0], *result[1]], [loss.data, *grads]):
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape or got.dtype != want.dtype:
            return f"{what} (shape {got.shape} {got.dtype}, expected {want.shape} {want.dtype})"
        error, scale = _error(got, want)
        tolerance = 1e-12 if want.dtype.itemsize >= 8 else 1e-5
        if error and not error <= tolerance * scale:  # also true for a NaN in one of them only
            return f"{what} (max abs error {error:.3g}, scale {scale:.3g})"
    return None


def _error(got, want, block=1 << 14):
    """max |got - want| (0 where bitwise equal, NaN where only one is NaN) and max |want|, read in
    blocks: at adoption a step's gradients exist twice already, a float64 copy would be a third."""
    got, want = got.reshape(-1), want.reshape(-1)
    errors, scales = [0.0], [0.0]  # np.max of them: a NaN stays a NaN
    for k in range(0, want.size, block):
        mine, theirs = got[k : k + block], want[k : k + block]
        scales.append(np.max(np.abs(theirs)))
        if not np.array_equal(mine, theirs, equal_nan=True):
            errors.append(np.max(np.abs(mine.astype(np.float64) - theirs)))
    return float(np.max(errors)), float(np.max(scales))
