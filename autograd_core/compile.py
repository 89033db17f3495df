"""``ag.compile(fn)``: trace a training step, then replay it as a flat list of numpy calls.

The first two calls trace fn define-by-run (tape.py); when their tapes agree, the second generates a plan
(replay.py), adopted once it reproduced that call. The contract, guards and fallbacks: docs/compile.md.
"""

from __future__ import annotations

import functools
import itertools
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, overload

import numpy as np

from .engine import accumulate_grad, grad
from .grad_mode import current_switches
from .graph_state import MutationClock, StructureClock, spent
from .replay import MISS, Plan
from .tape import Keywords, Tape, Unsupported, arg_guards, call_flat, fingerprint, running, spec
from .tensor import Tensor, _node

MAX_SIGNATURES = 8  # signatures traced and kept per compiled function (oldest forgotten first)
_NOT_A_LOSS = (  # a jax.jit habit: compile makes a training step, its fn returns a loss and each call fills .grad
    "compile({title}): fn's result {what}: ag.compile compiles a training step (fn returns the loss, a one-element "
    "Tensor, and each call fills the parameters' .grad, as loss.backward()); {fix}, or call fn directly"
)
_WHY_EVICTED = (
    "compile({title}): more than {n} signatures, so the oldest is forgotten and each new one traces fn again "
    "(define-by-run speed): the arguments' shapes, dtypes or Python values, or which tensors requiring grad are "
    "passed, change between calls; pass the same parameter tensors and batches of a few shapes"
)


class CompileWarning(UserWarning):
    """A compiled function runs define-by-run instead of a replay; the message says why."""


class CompileError(RuntimeError):
    """``strict=True`` (or ``check=True``) found something a replay cannot reproduce."""


@overload
def compile(fn: Callable[..., Any], *, has_aux: bool = ..., check: bool = ..., strict: bool = ...) -> Compiled: ...
@overload
def compile(
    fn: None = None, *, has_aux: bool = ..., check: bool = ..., strict: bool = ...
) -> Callable[[Callable[..., Any]], Compiled]: ...
def compile(fn=None, *, has_aux=False, check=False, strict=False):  # noqa: A001 (torch.compile's name)
    """Trace ``fn`` (args -> one-element loss Tensor, or ``(loss, aux)`` with ``has_aux=True``) and replay
    it: ``compiled(*args, **kwargs)`` accumulates every leaf's ``.grad`` as ``fn(*args, **kwargs).backward()``
    would and returns what fn returns, without a graph. Usable as a decorator; what is guarded: docs/compile.md.

    >>> W = Tensor([[1.0], [2.0]], requires_grad=True)
    >>> step = compile(lambda X: (X @ W).relu().sum())
    >>> step(Tensor([[3.0, 4.0]]))
    Tensor(11.)
    >>> W.grad.ravel()
    array([3., 4.])
    >>> step = compile(lambda X: ((X @ W).sum(), X @ W), has_aux=True)
    >>> step(Tensor([[1.0, 1.0]]))
    (Tensor(3.), Tensor([[3.]]))
    """
    if fn is None:
        return functools.partial(compile, has_aux=has_aux, check=check, strict=strict)
    if not callable(fn):
        raise TypeError(f"compile: expected a function (args -> loss Tensor), got {type(fn).__name__}")
    if callable(getattr(fn, "forward", None)) and callable(getattr(fn, "parameters", None)):  # torch.compile(model)
        raise TypeError(
            f"compile: got the module {type(fn).__name__}; ag.compile compiles a training step, not a module: "
            "step = ag.compile(lambda X, y: F.cross_entropy(model(X), y)), then step(X, y) fills .grad "
            "(keep calling the model itself for predictions, train() and eval())"
        )
    return Compiled(fn, has_aux=has_aux, check=check, strict=strict)


class Compiled:
    """The function ``compile`` returns: ``trace_count`` / ``replay_count`` count the calls that traced fn /
    ran the plan; ``fallback_reason`` says why the last fallback to define-by-run happened (None: none did)."""

    def __init__(self, fn: Callable[..., Any], *, has_aux: bool, check: bool, strict: bool) -> None:
        functools.update_wrapper(self, fn)
        self.fn, self.has_aux, self.check, self.strict = fn, has_aux, check, strict
        self.title = getattr(fn, "__qualname__", "fn")
        self.trace_count = self.replay_count = 0
        self.fallback_reason: str | None = None
        # per signature: the agreed tape, fingerprints of the values pinned so far, plan, fallback reason
        self._entries: dict[Any, SimpleNamespace] = {}
        self._last = SimpleNamespace(plan=None)  # the signature whose plan ran last: tried first
        self._evicted = False  # a signature was forgotten (said once)

    def __repr__(self) -> str:
        fallback = f", define-by-run: {self.fallback_reason}" if self.fallback_reason else ""
        return f"<compiled {self.title}: {self.trace_count} traces, {self.replay_count} replays{fallback}>"

    @property
    def source(self) -> str | None:
        """The generated code of the plan used last (None before one exists)."""
        return None if self._last.plan is None else self._last.plan.source

    def retrace(self) -> None:
        """Forget every trace and plan: the next calls trace fn again (after changing what fn reads)."""
        self._entries.clear()
        self._last, self.fallback_reason = SimpleNamespace(plan=None), None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:  # flat: positional, keyword values, their names (a static argument: in the signature)
            args = (*args, *(kwargs[name] for name in sorted(kwargs)), Keywords(sorted(kwargs)))
        if getattr(running, "title", None) is not None:  # (the outer backward would miss this loss: a constant)
            raise RuntimeError(
                f"compile({self.title}): called inside compile({running.title})'s fn: a compiled call runs its "
                "own backward and returns the loss without a graph; call its uncompiled function (.fn) there"
            )
        switches = current_switches()
        if not switches.grad_enabled or switches.anomaly:  # under no_grad() or detect_anomaly(): fn itself
            return self._define_by_run(args)
        result = self._replay(self._last, args)
        if result is not MISS:
            return result
        key = (tuple(map(type, args)), tuple(arg_guards(args)))  # what the plans' guards check of args
        if key not in self._entries and len(self._entries) >= MAX_SIGNATURES:  # a new leaf passed every call?
            del self._entries[next(iter(self._entries))]
            if not self._evicted:  # once: else a loop making a new leaf each call would trace silently forever
                self._evicted = True
                warnings.warn(_WHY_EVICTED.format(title=self.title, n=MAX_SIGNATURES), CompileWarning, stacklevel=2)
        new = SimpleNamespace(reference=None, snapshot=None, plan=None, fallback=None, clock=None)
        entry = self._entries.setdefault(key, new)
        if entry.fallback is not None and entry.clock == StructureClock.now:
            return self._define_by_run(args)
        entry.fallback = None  # (what fn reads changed since it fell back, a hook removed say: try again)
        result = self._replay(entry, args)
        return self._trace(entry, args) if result is MISS else result

    def _replay(self, entry, args):
        """Entry's plan's result (check=True: compared with define-by-run's), or MISS: no plan, or a guard failed."""
        plan = entry.plan
        if plan is None or entry.clock != StructureClock.now:  # a layer replaced, train/eval switched: fn reads others?
            return MISS
        values, bug = _attempt(plan.run, args, self.check)  # guards, forward, backward, .grad (check: a trial)
        if bug is not None:  # a bad value: define-by-run raises the engine's error
            result = self._define_by_run(args)  # define-by-run coped, so the plan itself is wrong
            self._give_up(entry, f"the replay raised where define-by-run did not: {bug}")
            return result
        if values is MISS:
            return MISS
        if self.check:  # the plan's result beside define-by-run's; the latter's gradients are kept
            return self._define_by_run(args, plan.leaves, values)
        self._last = entry
        self.replay_count += 1
        return _pack(plan.form, values)

    def _define_by_run(self, args, leaves=None, replayed=None):
        """fn's call and backward; given a replay's result (check=True), compared with it."""
        outputs, form = self._outputs(call_flat(self.fn, args, self.title))
        if not (outputs[0].requires_grad or current_switches().grad_enabled):
            raise RuntimeError(
                f"compile({self.title}): called under no_grad(), so fn recorded nothing to differentiate: a compiled "
                "step computes gradients; call it outside no_grad (to evaluate the loss alone, call fn itself)"
            )
        if replayed is None:
            outputs[0].backward()
        else:
            grads = _leaf_grads(outputs[0], leaves)
            problem = _difference(replayed, outputs, leaves, grads)
            if problem:
                raise CompileError(
                    f"compile(check=True): the replay differs from define-by-run on {problem}: fn's "
                    "control flow or constants depend on values (see ag.compile); call fn directly, "
                    "or retrace() after changing what it reads"
                )
            _accumulate(leaves, grads)
        return _detached(form, outputs)

    def _outputs(self, result):
        """fn's result as [loss, *aux tensors] and aux's form (None without has_aux), or a TypeError."""
        loss = result[0] if self.has_aux and isinstance(result, tuple) and len(result) == 2 else result
        if isinstance(loss, Tensor) and loss.size != 1:
            what, fix = f"has shape {loss.shape}, not one element", "reduce it (.sum(), .mean())"
            raise RuntimeError(_NOT_A_LOSS.format(title=self.title, what=what, fix=fix))
        if not self.has_aux:
            if isinstance(result, Tensor):
                return [result], None
            hint = "; to return (loss, aux), pass has_aux=True" if isinstance(result, (tuple, list)) else ""
            raise TypeError(f"compile: fn must return the loss as a one-element Tensor, got {_what(result)}{hint}")
        got = _what(result)
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], Tensor):
            loss, aux = result
            if isinstance(aux, Tensor):
                return [loss, aux], Tensor
            if type(aux) in (tuple, list) and all(isinstance(a, Tensor) for a in aux):
                return [loss, *aux], type(aux)
            got = f"(loss, aux) with aux {_what(aux)}"
        raise TypeError(
            "compile(has_aux=True): fn must return (loss, aux), the loss a one-element Tensor and aux a Tensor "
            f"or a tuple or list of Tensors; got {got}: return (loss, aux), or drop has_aux"
        )

    def _trace(self, entry, args):
        """Run fn define-by-run, recording a tape; compare it with the previous one; maybe adopt a plan."""
        self.trace_count += 1
        if entry.reference is not None and any(spec(t) != held for t, held in entry.reference.specs):
            entry.reference = entry.snapshot = entry.plan = None  # a tensor fn reads changed its spec: afresh
        # a float tensor argument that needs no gradient is traced through a stand-in that requires grad,
        # so the ops fn applies to it are recorded too (its gradient is never computed by the plan)
        stand_in = [isinstance(a, Tensor) and not a.requires_grad and a.dtype.kind == "f" for a in args]
        call_args = [Tensor(a.data, requires_grad=True, label=a.label) if s else a for a, s in zip(args, stand_in)]
        clock, before = MutationClock.now, [(t, t.grad) for t in (entry.reference.leaves if entry.reference else ())]
        structure = StructureClock.now
        outputs, form = self._outputs(call_flat(self.fn, call_args, self.title))
        if spent(outputs[0]):  # (the engine would say 'backward through ... a second time')
            raise RuntimeError(f"compile({self.title}): fn ran loss.backward(); compile runs it: drop it from fn")
        if StructureClock.now != structure and MutationClock.now != clock:  # fn built what it reads (a lazy layer
            # its weights): this call is no trace of the steps to come, nor a reason to give up
            outputs[0].backward()
            return _detached(form, outputs)
        tape, reason = _attempt(Tape, outputs, form, args, call_args, clock, before)
        for traced in itertools.compress(call_args, stand_in):  # recorded: its gradient (time, memory) is never used
            traced.requires_grad = False
        if tape is not None and not tape.needs[tape.outputs[0]]:  # no leaf's gradient depends on the loss
            what, fix = "depends on no tensor that requires grad", "make the parameters with requires_grad=True"
            raise RuntimeError(_NOT_A_LOSS.format(title=self.title, what=what, fix=fix))
        if tape is not None and entry.reference is not None:
            _, reason = _attempt(tape.require_agreement, entry.reference)
            if reason is not None and entry.clock != StructureClock.now:  # fn reads other state: start afresh
                entry.reference = entry.snapshot = entry.plan = reason = None
        if reason is not None:
            self._give_up(entry, reason)  # strict: raises before any gradient is delivered
        if reason is not None or entry.reference is None or entry.plan is not None:
            outputs[0].backward()
        else:  # two tapes agree: generate the plan from this call's graph, adopt it if it reproduces the call
            grads = _leaf_grads(outputs[0], tape.leaves)
            outputs = [t.detach() for t in outputs]  # the graph goes: the trial runs without it (peak memory)
            entry.plan, reason = _attempt(self._adopt, entry, tape, args, outputs, grads)
            _accumulate(tape.leaves, grads)
            if reason is not None:
                self._give_up(entry, reason)
        result, outputs = _detached(form, outputs), None  # the graph goes before _remember regenerates code (memory)
        if reason is None:
            self._remember(entry, tape, args)
        return result

    def _adopt(self, entry, tape, args, outputs, grads):
        plan = Plan(tape, args, self.title)
        tape.order = None  # the trial runs without this call's graph (activations) alive: peak memory
        problem = _difference(plan.run(args, trial=True), outputs, plan.leaves, grads)
        if problem:
            raise Unsupported(f"the replay differs from define-by-run on {problem} (a bug in compile: please report)")
        self._last = entry
        return plan

    def _remember(self, entry, tape, args):
        """Keep this tape as the reference; pin the values that have not changed since the first one."""
        seen = {name: (fingerprint(values), held) for name, values, held in tape.sources(args)}
        if entry.snapshot is not None:
            seen = {name: now for name, now in seen.items() if entry.snapshot.get(name) == now[0]}
        entry.snapshot = {name: digest for name, (digest, _) in seen.items()}  # (not the arrays: a batch may go)
        entry.reference, entry.clock, tape.order = tape, StructureClock.now, None  # no graph kept alive between calls
        if entry.plan is not None:
            entry.plan.pin(seen)

    def _give_up(self, entry, reason):
        if self.strict:
            raise CompileError(f"compile({self.title}): {reason}")
        entry.fallback = self.fallback_reason = reason
        entry.clock = StructureClock.now  # the fallback holds while what fn reads stands
        entry.reference = entry.snapshot = entry.plan = None  # keep no graph alive
        warnings.warn(f"compile({self.title}) runs define-by-run: {reason}", CompileWarning, stacklevel=4)


def _attempt(function, *args, **kwargs):
    """(result, None), or (None, why) when compile cannot or should not replay (Unsupported), or hit a
    bug of its own: those mean define-by-run, never a crash of a call that define-by-run can run."""
    try:
        return function(*args, **kwargs), None
    except Unsupported as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001
        return None, f"{type(error).__name__}: {error} (a bug in compile: please report)"


def _leaf_grads(loss, leaves):
    """The leaves' gradients as define-by-run computes them: arrays, None where only a Function's None reached."""
    return [None if g is None else g.data for g in grad(loss, leaves, allow_unused=True)]


def _accumulate(leaves, grads):
    """Into each leaf's .grad, by the engine's rule (the engine's fresh arrays: kept, not copied)."""
    for t, g in zip(leaves, grads):
        if g is not None:
            accumulate_grad(t, g)


def _what(value):
    """A returned value described for an error: its type, and its items' for a tuple or list."""
    items = f" ({', '.join(type(v).__name__ for v in value)})" if type(value) in (tuple, list) else ""
    return type(value).__name__ + items


def _detached(form, outputs):
    """A define-by-run call's result, as a replay returns it: aux copied (it may be a view of a leaf)."""
    return _pack(form, [outputs[0].data, *(t.data.copy() for t in outputs[1:])])


def _pack(form, arrays):
    """The compiled call's result, Tensors without a graph: the loss, or (loss, aux) with aux in its form."""
    if form is None:
        return _node(arrays[0])  # Tensor(array) less its conversion checks (~0.4 us of a small step)
    loss, *aux = map(_node, arrays)
    return loss, aux[0] if form is Tensor else form(aux)


def _difference(result, outputs, leaves, grads):
    """The first of the replayed outputs (loss, aux: the same numpy calls, so bit for bit) and gradients
    (up to the order 3+ paths are summed in) that differs from define-by-run's, described; else None."""
    names = ["the loss", *(f"aux {k}" for k in range(len(outputs) - 1))]
    names += [f"the gradient of {repr(t.label) if t.label else f'a leaf of shape {t.shape}'}" for t in leaves]
    for k, (what, got, want) in enumerate(zip(names, [*result[0], *result[1]], [t.data for t in outputs] + grads)):
        kinds = [None if v is None else f"shape {np.shape(v)} {np.asarray(v).dtype}" for v in (got, want)]
        if kinds[0] != kinds[1]:  # (None: no gradient, a Function's: so in both)
            return f"{what} ({kinds[0]}, expected {kinds[1]})"
        if got is None:
            continue
        error, scale = _error(got, want)
        tolerance = 0 if k < len(outputs) else 1e-12 if np.asarray(want).dtype.itemsize >= 8 else 1e-5
        if error and not error <= tolerance * scale:  # also true for a NaN in one of them only
            return f"{what} (max abs error {error:.3g}, scale {scale:.3g})"
    return None


def _error(got, want, block=1 << 14):
    """max |got - want| (0 where bitwise equal, NaN where only one is NaN) and max |want|, read in
    blocks: at adoption a step's gradients exist twice already, a float64 copy would be a third."""
    # Blocks of leading rows are views in any memory layout (reshape(-1) copies a column-major array whole).
    got, want = np.atleast_1d(got), np.atleast_1d(want)
    rows = max(1, block // max(1, want[0].size))
    pairs = [(got[k : k + rows], want[k : k + rows]) for k in range(0, len(want), rows)]
    errors = [np.max(np.abs(a.astype(np.float64) - b)) for a, b in pairs if not np.array_equal(a, b, equal_nan=True)]
    return float(np.max([0.0, *errors])), float(np.max([0.0, *(np.max(np.abs(b)) for _, b in pairs)]))  # NaN stays
