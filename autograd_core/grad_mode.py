"""The switches the engine consults: grad mode, inference mode, anomaly mode, and the name scope.

They live in a ``ContextVar``, so that ``with no_grad():`` in one thread never stops another
thread from recording its graph (PyTorch's behaviour), nor, in one asyncio task, another task
(each runs in its own copy of the context). A ``_Switches`` object is never changed once made:
a block sets new ones, so a context copied into another thread or task (``asyncio.to_thread``
copies it) starts from the caller's switches without sharing later changes. The record path
reads them once per op with ``current_switches()`` (~15 ns; a ``threading.local`` read is ~45).

Each block remembers the value it replaced on a stack carried by the switches it sets (one
per field, per context), not on the block object: one decorator object is shared by every
call of the function it decorates, so a recursive call or a second thread would overwrite a
single saved value and leave grad mode off afterwards. Blocks nest, so the last value saved
for a field is always the one to restore; a decorated generator enters its block around each
step only, so the caller's own state holds while the generator is suspended.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Generator
from contextvars import ContextVar
from typing import Any, Literal, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])


class _Switches:
    """One context's switches, in a plain object read with plain attributes; never changed once made
    (``replace`` makes the next ones)."""

    __slots__ = ("_flipped", "_scopes", "anomaly", "grad_enabled", "inference", "saved", "scope")

    def __init__(
        self,
        grad_enabled: bool = True,
        anomaly: bool = False,
        scope: str | None = None,
        saved: tuple[tuple[str, Any], ...] = (),
        inference: bool = False,
    ) -> None:
        self.grad_enabled = grad_enabled
        self.anomaly = anomaly
        self.scope = scope
        self.inference = inference  # inside inference_mode(): grad mode apart (enable_grad inside keeps it)
        # the values blocks replaced, the last first: (field, value) pairs, so a misuse of one field cannot
        # corrupt another (each field's own entries unwind in order)
        self.saved = saved
        self._flipped: _Switches | None = None
        self._scopes: dict[str, _Switches] = {}  # enter_scope's: the same switches inside scope `name`, kept

    def replace(self, field: str, value: Any, saved: tuple[tuple[str, Any], ...] | None = None) -> _Switches:
        """These switches with ``field`` set to ``value`` (and ``saved`` as the stack, if given)."""
        new = _Switches(
            self.grad_enabled, self.anomaly, self.scope, self.saved if saved is None else saved, self.inference
        )
        setattr(new, field, value)
        return new

    def with_grad(self, enabled: bool) -> _Switches:
        """These switches with grad mode ``enabled``: backward's own, once per backward (made once, kept)."""
        if self.grad_enabled == bool(enabled):  # (a bool: the one other value is the kept `_flipped`)
            return self
        if self._flipped is None:
            self._flipped = self.replace("grad_enabled", not self.grad_enabled)
        return self._flipped


# (a shared default is safe: switches are never changed once made)
_current: ContextVar[_Switches] = ContextVar("autograd_core.switches", default=_Switches())  # noqa: B039
# Set as well: CPython caches a context variable's value for the next get only once the context holds it; an
# unset one (its default) costs a lookup in the context's mapping every get: once per op, ~7 ns of it.
_current.set(_current.get())
#: This context's switches: the record path calls it once per op.
current_switches = _current.get
#: Set this context's switches (returns the token that ``reset_switches`` takes to put back the ones replaced).
set_switches = _current.set
reset_switches = _current.reset


def is_grad_enabled() -> bool:
    """True when new operations are recorded for backward (the default).

    >>> with no_grad():
    ...     is_grad_enabled()
    False
    """
    return current_switches().grad_enabled


def is_inference_mode_enabled() -> bool:
    """True inside an ``inference_mode()`` block (or function it decorates), False elsewhere and inside
    ``inference_mode(False)``, as PyTorch's ``torch.is_inference_mode_enabled``.

    >>> with inference_mode():
    ...     is_inference_mode_enabled()
    True
    >>> is_inference_mode_enabled()
    False
    """
    return current_switches().inference


def enter_scope(name: str) -> _Switches:
    """Enter the scope ``name`` (nested in the current one) without a ``with`` block; returns the
    switches it replaced, which the caller must hand back to ``exit_scope`` in a ``finally``.

    For hot paths only (``nn.Module.__call__`` enters one per layer per step): the caller's own
    local variable remembers what to put back, so this costs no context-manager object and no
    saved-value stack, and stays correct across threads and recursion; the switches inside a scope
    are made once and kept (a layer's next call makes no new object). Use ``scope`` elsewhere.

    >>> previous = enter_scope("encoder")
    >>> try:
    ...     h = Tensor([1.0]) * 2
    ... finally:
    ...     exit_scope(previous)
    >>> h.scope, Tensor([1.0]).scope
    ('encoder', None)
    """
    switches = current_switches()
    inside = switches._scopes.get(name)
    if inside is None:
        if len(switches._scopes) >= 1024:  # (names made on the fly: a bound on what is kept)
            switches._scopes.clear()
        outer = switches.scope
        inside = switches._scopes[name] = switches.replace("scope", name if outer is None else f"{outer}.{name}")
    _current.set(inside)
    return switches


def exit_scope(previous: _Switches) -> None:
    """Leave the scope entered by ``enter_scope``: ``exit_scope(previous)`` with the switches it returned."""
    _current.set(previous)


def _set(field: str, value: Any) -> None:
    """Set the switch ``field`` to ``value``, saving the value it replaces for ``_restore``."""
    switches = current_switches()
    _current.set(switches.replace(field, value, ((field, getattr(switches, field)), *switches.saved)))


def _restore(field: str) -> None:
    """Put back the value of ``field`` that the last ``_set`` of it replaced."""
    switches = current_switches()
    saved = switches.saved
    for i, (name, previous) in enumerate(saved):  # this field's last saved value (the first entry, nested)
        if name == field:
            _current.set(switches.replace(field, previous, saved[:i] + saved[i + 1 :]))
            break


class _Switch(contextlib.ContextDecorator):
    """A block (or decorated function) that sets the switch ``field`` (of this thread or asyncio task)."""

    field: str  # the attribute of _Switches that the subclass sets

    def new_value(self, previous: Any) -> Any:
        """The value the switch takes inside the block, given the one it replaces (each subclass says)."""
        raise NotImplementedError(f"{type(self).__name__} must define new_value(previous)")

    def __enter__(self) -> _Switch:
        _set(self.field, self.new_value(getattr(current_switches(), self.field)))
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _restore(self.field)
        return False

    def __call__(self, fn: _F) -> _F:
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)  # type: ignore[return-value]
        return super().__call__(fn)

    def _wrap_generator(self, fn: Callable[..., Generator[Any, Any, Any]]) -> Callable[..., Generator[Any, Any, Any]]:
        # Calling a generator function runs none of its body, so wrapping the call (what
        # ContextDecorator does) would leave every step outside the block: run each step
        # inside it instead, and give the caller its own state back at every yield.
        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            steps = fn(*args, **kwargs)
            resume: Callable[[Any], Any] = steps.send
            value: Any = None
            while True:
                try:
                    with self:
                        step = resume(value)
                except StopIteration as stop:
                    return stop.value
                try:
                    value = yield step
                    resume = steps.send
                except GeneratorExit:
                    with self:
                        steps.close()
                    raise
                except BaseException as error:  # noqa: BLE001 (thrown in by the caller: delivered inside the block)
                    resume, value = steps.throw, error

        return generator


class _GradMode(_Switch):
    """A block (or decorated function) that sets grad mode to ``self.mode``."""

    field = "grad_enabled"
    mode: bool

    def new_value(self, previous: bool) -> bool:
        return self.mode


class _SetAtOnce(_Switch):
    """A switch that, called on its own line as in PyTorch, sets its value from here on; a ``with`` or a
    decorator made of the same object first gives back the value it replaced, so a block still restores what
    came before it."""

    def _set_now(self, value: Any) -> None:
        switches = current_switches()
        self._replaced: Any = getattr(switches, self.field)
        _current.set(switches.replace(self.field, value))

    def _give_back(self) -> None:
        if self._replaced is not None:
            _current.set(current_switches().replace(self.field, self._replaced))
            self._replaced = None

    def __enter__(self) -> _Switch:
        self._give_back()
        return super().__enter__()

    def __call__(self, fn: _F) -> _F:
        self._give_back()  # a decorator: the value is meant for the function's calls, not for now
        return super().__call__(fn)


class set_grad_enabled(_SetAtOnce, _GradMode):
    """Turn graph recording on or off for a ``with`` block or a decorated function, or, called
    on its own line as in PyTorch, from here on (``set_grad_enabled(True)`` turns it back on).

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with set_grad_enabled(False):
    ...     y = x * 2
    >>> y.requires_grad        # nothing was recorded
    False
    >>> _ = set_grad_enabled(False)
    >>> (x * 2).requires_grad
    False
    >>> _ = set_grad_enabled(True)
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):  # PyTorch's check: the string "False" or a tensor would read as True
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {type(mode).__name__} {mode!r}")
        self.mode = bool(mode)
        self._set_now(self.mode)


class _BareDecorator:
    """Lets ``@no_grad`` decorate without parentheses, as PyTorch's ``@torch.no_grad`` does."""

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        if not callable(fn):  # no_grad(False) would otherwise "decorate" the bool
            raise TypeError(f"{cls.__name__}() takes no arguments (got {fn!r}); to switch, use set_grad_enabled(mode)")
        return cls()(fn)  # as @no_grad(): the decorated function


class no_grad(_BareDecorator, _GradMode):
    """Record nothing inside the block (or the function decorated with ``@no_grad()`` or ``@no_grad``):
    evaluation, optimizer updates, metrics.

    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     accuracy = ((w * 2).argmax() == 1).mean()
    >>> accuracy.requires_grad
    False
    """

    mode = False


class enable_grad(_BareDecorator, _GradMode):
    """Record again inside a ``no_grad`` block (``backward(create_graph=True)`` uses it).

    >>> with no_grad(), enable_grad():
    ...     is_grad_enabled()
    True
    """

    mode = True


class inference_mode(_GradMode):
    """PyTorch's ``torch.inference_mode()``: records nothing inside, as ``no_grad`` (which it is here: numpy
    has no cheaper mode to offer); ``inference_mode(False)`` records, as PyTorch's (its grad mode is
    ``not mode``, even inside ``no_grad``), so ``inference_mode(mode=evaluating)`` trains when False. A
    block, or a decorator with or without parentheses.

    >>> with inference_mode():
    ...     is_grad_enabled()
    False
    >>> with no_grad(), inference_mode(False):
    ...     is_grad_enabled()
    True
    """

    def __new__(cls, mode: bool | Callable[..., Any] = True) -> Any:
        if callable(mode):  # @inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.inference = bool(mode)

    def new_value(self, previous: bool) -> bool:
        return not self.inference  # (PyTorch's InferenceMode(enabled) sets grad mode to !enabled)

    def __enter__(self) -> _Switch:
        super().__enter__()
        _set("inference", self.inference)  # its own switch too: is_inference_mode_enabled() reads it
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _restore("inference")
        return super().__exit__(*exc)


class detect_anomaly(_Switch):
    """Raise at the first op whose forward or backward produces NaN or Inf.

    The error names the op and the line of user code that created the tensor, which is
    recorded (at some cost) only while this mode is on.

    >>> x = Tensor([0.0, 1.0], requires_grad=True)
    >>> with detect_anomaly(), np.errstate(divide="ignore"):  # numpy's own warning aside
    ...     loss = x.log().sum()
    Traceback (most recent call last):
    FloatingPointError: log: forward produced NaN/Inf from finite inputs of shapes (2,), at ...
    """

    field = "anomaly"

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = bool(enabled)

    def new_value(self, previous: bool) -> bool:
        return self.enabled


class set_detect_anomaly(_SetAtOnce, detect_anomaly):
    """torch.autograd's ``set_detect_anomaly(mode)``: anomaly detection (``detect_anomaly``'s) on or off for a
    ``with`` block, or, called on its own line as torch code does while hunting a NaN, from here on.
    ``check_nan`` is torch's and always on here.

    >>> _ = set_detect_anomaly(True)
    >>> is_anomaly_enabled()
    True
    >>> _ = set_detect_anomaly(False)
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_detect_anomaly: mode must be True or False, got {type(mode).__name__} {mode!r}")
        super().__init__(mode)
        self._set_now(self.enabled)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on (``detect_anomaly``/``set_detect_anomaly``), as torch's."""
    return bool(current_switches().anomaly)


class scope(_Switch):
    """Stamp every tensor created inside the block with a dotted scope name.

    ``nn.Module.__call__`` enters one per module, so ``viz`` can group a layer's ops
    into one cluster without the engine knowing anything about ``nn``.

    >>> x = Tensor([[1.0, 2.0]])
    >>> with scope("encoder"):
    ...     with scope("0"):
    ...         h = x @ x.T
    >>> h.scope
    'encoder.0'
    """

    field = "scope"

    def __init__(self, name: str) -> None:
        self.name = name

    def new_value(self, previous: str | None) -> str:
        return self.name if previous is None else f"{previous}.{self.name}"
