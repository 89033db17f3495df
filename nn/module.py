"""``Module``: the base class of every layer and model (PyTorch's names, so habits carry over).

A module owns parameters (leaf Tensors with ``requires_grad=True``, which stay parameters when
frozen with ``requires_grad_(False)``) and sub-modules,
registered simply by assigning them as attributes. Names are dotted paths
(``layers.0.weight``), used by ``named_parameters()``, ``state_dict()`` and as each
parameter's ``.label``, so pictures of the graph (``viz``) show them. Labels are set
when a parameter or sub-module is assigned, and re-derived by the outermost module's
call whenever the tree changed since (a parameter replaced deep inside, say).

Scopes: calling a module that runs inside another module's ``forward`` enters
``ag.scope(<its attribute name>)``, so every tensor its forward creates carries
``.scope == "layers.0"`` (the dotted path from the outermost module being called).
The outermost module enters no scope of its own: its own ops carry the caller's
scope (``None`` at top level), and a scope is always the prefix of the labels of
the parameters that module owns (``layers.0`` <-> ``layers.0.weight``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from autograd_core import Tensor, structure_changed
from autograd_core.grad_mode import enter_scope, exit_scope

from .buffers import Buffer, BufferArray
from .module_hooks import ForwardHook as ForwardHook  # (nn.module.ForwardHook: where it was)
from .module_hooks import (
    ModuleHooks,
    call_with_backward_hooks,
    run_always_called_hooks,
    run_forward_hooks,
    run_pre_hooks,
)
from .module_state import ModuleState
from .parameter import Parameter as Parameter  # (nn.module.Parameter: where torch code finds it)
from .parameter import is_parameter_value, mark_parameter

_M = TypeVar("_M", bound="Module")


class _Calls(threading.local):
    """The stack of modules whose forward is running, one per thread (each thread starts empty)."""

    def __init__(self) -> None:
        self.stack: list[Module] = []


_calls = _Calls()


class _TreeClock:
    """Counts changes to any module tree (a parameter or child added, replaced or removed), so an
    outermost call re-derives its parameters' labels only when something moved."""

    now = 0

    @classmethod
    def tick(cls) -> None:
        cls.now += 1
        structure_changed()  # what a compiled step reads changed too: it is traced again


#: ``Module._descendant_names`` before any search: a tree time no search has (``_TreeClock`` starts at 0).
_NOT_YET_FOUND: tuple[int, dict[int, str]] = (-1, {})


class Module(ModuleHooks, ModuleState):
    """Base class for layers and models: subclass it, assign parameters and sub-modules in
    ``__init__`` (after ``super().__init__()``), and write ``forward``. Saving, loading, casting
    (``to``, ``float``, ``double``) and freezing (``requires_grad_``) are ``ModuleState``'s.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = Tensor(np.ones(3), requires_grad=True)
    ...     def forward(self, x):
    ...         return x * self.scale
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale']
    """

    # Set by __init__ through object.__setattr__; declared here for the type checker only.
    _parameters: dict[str, Tensor]
    _modules: dict[str, Module]
    _buffers: dict[str, np.ndarray]
    _non_persistent_buffers_set: set[str]
    _attached: bool
    _labelled_at: int
    _descendant_names: tuple[int, dict[int, str]]
    training: bool

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these registries to exist already.
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers_set", set())  # buffers state_dict leaves out (torch's name)
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "_forward_pre_hooks", {})
        object.__setattr__(self, "_backward_hooks", {})
        object.__setattr__(self, "_attached", False)  # True once it is another module's child
        object.__setattr__(self, "_labelled_at", -1)  # _TreeClock.now when labels were last derived
        object.__setattr__(self, "_descendant_names", _NOT_YET_FOUND)  # (tree time, names) for __call__
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: cannot assign '{name}' before Module.__init__() "
                "ran; call super().__init__() first in your __init__"
            )
        if isinstance(value, Buffer):  # nn.Buffer(...): registered, as torch's (a buffer's array set again is not one)
            return self.register_buffer(name, value, persistent=value.persistent)
        frozen = value is not None and self._parameters.get(name) is value  # a frozen parameter set again
        # a module replaced keeps its place, as in PyTorch: a Sequential's order is its forward
        later = list(self._modules)[list(self._modules).index(name) + 1 :] if name in self._modules else []
        self._unregister(name)
        if name in self._buffers:
            self._buffers[name] = self._buffer_value(name, value)
            value = self._buffers[name]
        elif frozen or is_parameter_value(value) or isinstance(value, Parameter):  # (a frozen nn.Parameter too)
            _TreeClock.tick()
            self._parameters[name] = mark_parameter(value)
            if not self._attached:
                value.label = name
        elif isinstance(value, Module):
            _TreeClock.tick()
            self._modules[name] = value
            object.__setattr__(value, "_attached", True)
            if not self._attached:
                value._relabel(name + ".")
            for key in later:  # (moved back behind it)
                self._modules[key] = self._modules.pop(key)
        elif self.__dict__.get(name, self) is not value:  # (self: none yet) a number forward reads: traced again
            structure_changed()
        object.__setattr__(self, name, value)  # also in __dict__: plain attribute lookup stays fast

    def __delattr__(self, name: str) -> None:
        self._unregister(name)
        if self._buffers.pop(name, None) is not None:  # a buffer deleted is gone from state_dict too, as in torch
            self._non_persistent_buffers_set.discard(name)
        object.__delattr__(self, name)

    def _unregister(self, name: str) -> None:
        removed = self._modules.pop(name, None)
        if removed is not None:
            object.__setattr__(removed, "_attached", False)  # a root again if used on its own
        if self._parameters.pop(name, None) is not None or removed is not None:
            _TreeClock.tick()

    def register_parameter(self, name: str, param: Tensor | None) -> None:
        """PyTorch's ``self.register_parameter(name, param)``: as ``setattr(self, name, param)`` for a leaf Tensor
        that requires grad (or a frozen one), or None (no such parameter: ``register_parameter("bias", None)``)."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_parameter: the name must be a non-empty str without '.', got {name!r}")
        taken = name in self.__dict__ and name not in self._parameters and self.__dict__[name] is not None
        if name in self._modules or name in self._buffers or taken:  # (None: registered as no parameter)
            raise KeyError(f"register_parameter: attribute '{name}' already exists in {type(self).__name__}")
        if param is not None and not (isinstance(param, Tensor) and param.is_leaf):
            raise TypeError(
                f"register_parameter: cannot register a {type(param).__name__} as parameter '{name}' of "
                f"{type(self).__name__}: give nn.Parameter(data) (a leaf Tensor) or None"
            )
        setattr(self, name, param if param is None else mark_parameter(param))

    def register_buffer(self, name: str, array: np.ndarray | Tensor, persistent: bool = True) -> None:
        """Keep ``array`` (running statistics, say) as state that is saved and loaded with the parameters
        but is not trained: ``self.register_buffer("running_mean", np.zeros(4))``. A buffer is a numpy array:
        a Tensor given, as PyTorch code does (``ag.ones(4)``), is kept as its array (``t.data``, the same memory),
        which answers the Tensor methods numpy lacks (``self.mask.bool()``: nn/buffers.py). ``persistent=False``
        (PyTorch's): a buffer ``state_dict`` leaves out (a causal mask made again from the sizes), still in
        ``named_buffers()`` and cast by ``to()``."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: the name must be a non-empty str without '.', got {name!r}")
        if name in self._parameters or name in self._modules:
            raise KeyError(f"register_buffer: '{name}' is already a parameter or sub-module of {type(self).__name__}")
        self._buffers[name] = self._buffer_value(name, array)
        object.__setattr__(self, name, self._buffers[name])
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def _buffer_value(self, name: str, value: object) -> np.ndarray:
        if isinstance(value, Tensor):
            if value.requires_grad:
                raise TypeError(
                    f"{type(self).__name__}: buffer '{name}' is a tensor that requires grad, but a buffer is never "
                    "trained; make it an nn.Parameter to train it, or pass t.detach()"
                )
            value = value.data
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{type(self).__name__}: buffer '{name}' must be a numpy array, got {type(value).__name__}")
        return BufferArray.of(value)  # the same memory; PyTorch code's self.mask.bool() reads as a Tensor's

    def apply(self: _M, fn: Callable[[Module], object]) -> _M:
        """Call ``fn(module)`` on every sub-module, then on this one (as PyTorch); returns self:
        ``model.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)``."""
        for child in list(self._modules.values()):
            child.apply(fn)
        fn(self)
        return self

    def add_module(self, name: str, module: Module) -> None:
        """Register ``module`` as a child called ``name`` (what attribute assignment does)."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module: '{name}' must be a Module, got {type(module).__name__}")
        setattr(self, name, module)

    def _relabel(self, prefix: str = "") -> None:
        for name, p in self.named_parameters():
            p.label = prefix + name

    # ------------------------------------------------------------ state
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's accumulated gradient (``.grad = None``, as PyTorch; zeros of its
        shape with ``set_to_none=False``): ``model.zero_grad(); loss.backward()``."""
        for p in self.parameters():
            p.grad = None if set_to_none or p.grad is None else np.zeros_like(p.grad)

    def train(self: _M, mode: bool = True) -> _M:
        """Set training mode on this module and all sub-modules; returns self: ``model.train()``."""
        for m in self.modules():
            if m.training != bool(mode):  # (a compiled step of the other mode would compute something else)
                structure_changed()
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self: _M) -> _M:
        """Evaluation mode (``train(False)``); returns self: ``model.eval()``."""
        return self.train(False)

    @contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Evaluation mode inside the block, each module's own mode after it: ``with model._evaluating(): ...``.
        Unlike eval() and train(), unseen by ag.compile, so for blocks under no_grad only (there no compiled step
        replays): nn.fit's evaluation after each epoch costs no compiled step a trace."""
        modes = [(m, m.training) for m in self.modules()]
        for m, _ in modes:
            object.__setattr__(m, "training", False)
        try:
            yield
        finally:
            for m, mode in modes:
                object.__setattr__(m, "training", mode)

    # ------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it (``return self.layers(x)``)."""
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); define forward(self, x) in your Module subclass"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Every layer runs this every step, so it is kept lean: the name comes from a cache, the
        # scope is entered and left by hand in try/finally (no context-manager object), and the
        # hooks are looked at only when there are some.
        stack = _calls.stack
        if stack:
            found_at, names = stack[-1]._descendant_names  # the caller's names of its descendants
            if found_at != _TreeClock.now:
                names = stack[-1]._find_descendant_names()
            name = names.get(id(self))
        else:
            name = None
            if not self._attached and self._labelled_at != _TreeClock.now:
                self._relabel()  # the outermost model, changed since: labels match named_parameters()
                object.__setattr__(self, "_labelled_at", _TreeClock.now)
        stack.append(self)
        outer_scope = enter_scope(name) if name is not None else None
        output = None
        try:
            if self._forward_pre_hooks:
                args, kwargs = run_pre_hooks(self, args, kwargs)
            output = (
                call_with_backward_hooks(self, args, kwargs) if self._backward_hooks else self.forward(*args, **kwargs)
            )
        except Exception:
            if self._forward_hooks:  # the always_call hooks still run (torch's), then the error goes on
                run_always_called_hooks(self, args, kwargs, output)
            raise
        finally:
            stack.pop()
            if outer_scope is not None:
                exit_scope(outer_scope)
        return run_forward_hooks(self, args, kwargs, output) if self._forward_hooks else output

    def _find_descendant_names(self) -> dict[int, str]:
        """``{id(module): dotted path from this module}`` for every descendant, as of now: a direct
        child's own name first, else its first name in ``named_modules()``. ``__call__`` reuses
        it until the tree changes (a search per call was a third of a layer call's cost)."""
        now = _TreeClock.now
        names = {id(m): name for name, m in self.named_modules() if m is not self}
        for name, child in reversed(self._modules.items()):  # a child listed twice: its first name
            names[id(child)] = name
        # one tuple, swapped in whole, so another thread never sees names of another time
        object.__setattr__(self, "_descendant_names", (now, names))
        return names

    def __setstate__(self, state: dict[str, Any]) -> None:
        # copy.deepcopy and pickle come through here: the copy's sub-modules are new objects, so
        # names found by id() for the original's would be wrong for them
        self.__dict__.update(state)
        object.__setattr__(self, "_descendant_names", _NOT_YET_FOUND)
        self.__dict__.setdefault("_non_persistent_buffers_set", set())  # (pickled before buffers could be)

    # ------------------------------------------------------------ display
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr: ``"in_features=3, out_features=2, bias=True"``."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self._modules.items():
            child_text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_text}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"
