"""What a ``Module`` holds, as values: saved and loaded (``state_dict``), cast (``to``, ``float``,
``double``) and frozen or trained (``requires_grad_``). A mixin of ``nn.Module``, apart from
module.py's tree and call; it reads the tree through ``named_parameters``, ``named_buffers`` and
``named_modules`` only.

Casting is PyTorch's ``model.to(dtype)``: every parameter and every floating-point buffer
(BatchNorm's running statistics) takes the dtype; integer buffers keep theirs. The parameters
are the same Tensor objects afterwards, their values replaced through ``t.data = ...`` (so a graph
that saved the old values refuses to backward) in the same memory layout (``nn.Linear``'s
column-major weight stays column-major). Create the optimizer after casting, as in PyTorch; one
made before still holds the parameters and converts its state (momentum, Adam's means) to their
new dtype at its next step (``CastClock``), rather than mixing float64 state into float32 weights.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np
from numpy.typing import DTypeLike

from autograd_core import Tensor, structure_changed
from autograd_core.types import ArrayLike

from .init import write_in_place
from .module_tree import ModuleTree
from .parameter import is_lazy

_S = TypeVar("_S", bound="ModuleState")


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns, as PyTorch's: the model's names the dict lacked and the dict's
    names the model lacks (both empty unless ``strict=False``)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"  # PyTorch's words
        return f"IncompatibleKeys(missing_keys={self.missing_keys}, unexpected_keys={self.unexpected_keys})"


class CastClock:
    """Counts the casts (``Module.to``) that changed a dtype: an optimizer compares it with the count
    it last saw, so it looks for state of an old dtype once after a cast, not at every step."""

    now = 0


def _target_dtype(dtype: object) -> np.dtype[Any] | None:
    """The floating-point dtype asked for, or None for ``"cpu"`` (the only device: nothing to do)."""
    if isinstance(dtype, str) and dtype.split(":")[0] in ("cpu", "cuda", "mps"):
        if dtype == "cpu":
            return None
        raise ValueError(f"Module.to: device {dtype!r} is not available; this library runs on the CPU (numpy)")
    try:
        target: np.dtype[Any] = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError as error:
        raise TypeError(f"Module.to: expected a dtype (np.float32, 'float64') or 'cpu', got {dtype!r}") from error
    if target.kind != "f":
        raise TypeError(
            f"Module.to: only floating-point dtypes (float32, float64) can be trained, got {target}; "
            "cast inputs, not the model, to integers"
        )
    return target


def _plain(value: Any) -> np.ndarray:
    return np.asarray(value.data if isinstance(value, Tensor) else value)


def _is_counter(value: Any) -> bool:
    """An integer buffer (BatchNorm's ``num_batches_tracked``): loaded from integers, as PyTorch's."""
    return isinstance(value, np.ndarray) and not isinstance(value, Tensor) and value.dtype.kind in "iu"


def _cast(owner: str, name: str, array: np.ndarray, dtype: np.dtype[Any]) -> np.ndarray:
    """``array`` as ``dtype`` in its own layout (astype's order "K"), or a ValueError when values
    would overflow (1e300 is no float32)."""
    with np.errstate(over="ignore"):  # checked just below
        cast = array.astype(dtype)
    if dtype.itemsize < array.dtype.itemsize:
        lost = int(np.isfinite(array).sum() - np.isfinite(cast).sum())
        if lost:
            raise ValueError(
                f"{owner}: '{name}' has {lost} values beyond {dtype}'s range (largest {np.finfo(dtype).max:g}); "
                "nothing was cast"
            )
    return cast


class ModuleState(ModuleTree):
    """The values of a module's parameters and buffers: saving, loading, casting and freezing them."""

    def requires_grad_(self: _S, requires_grad: bool = True) -> _S:
        """Set ``requires_grad`` on every parameter of this module and its sub-modules; returns self.
        Frozen parameters (``False``) get no ``.grad`` from backward, so optimizers (which skip a
        parameter whose ``.grad`` is None, as PyTorch's) and ``nn.fit`` leave them as they are,
        weight decay included. They stay parameters: in ``parameters()`` and ``state_dict()``.

        >>> model = nn.MLP([2, 3, 1])
        >>> _ = model.layers[0].requires_grad_(False)       # freeze the first layer
        >>> [name for name, p in model.named_parameters() if p.requires_grad]
        ['layers.2.weight', 'layers.2.bias']
        """
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}.requires_grad_: expected True or False, got {requires_grad!r}")
        for p in self.parameters():
            p.requires_grad_(bool(requires_grad))
        return self

    def to(
        self: _S, *args: Any, dtype: DTypeLike | None = None, device: object = None, non_blocking: bool = False
    ) -> _S:
        """Cast every parameter and floating-point buffer to ``dtype`` (float32, float64), in place
        of the module; returns self. Integer buffers keep their dtype; ``"cpu"`` changes nothing.
        PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)`` (its dtype),
        ``to(device=..., dtype=...)``. Values checked first: one that overflows the new dtype raises a
        ValueError, nothing cast. Create the optimizer after casting (see this module's docstring for one
        made before).

        >>> model = nn.Linear(2, 1).to(np.float32)
        >>> model.weight.dtype, model.state_dict()["bias"].dtype
        (dtype('float32'), dtype('float32'))
        >>> nn.Linear(2, 1).to(device=ag.device("cpu")).weight.dtype
        dtype('float64')
        """
        if len(args) > 2:
            raise TypeError(f"Module.to: takes (dtype), (device), (device, dtype) or device=/dtype=, got {len(args)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and arg.split(":")[0] in ("cpu", "cuda", "mps"):
                device = arg
            else:
                dtype = arg
        if device is not None:
            _target_dtype(str(device))  # "cpu" (the only device) passes; another is refused, saying so
        target = None if dtype is None else _target_dtype(dtype)
        if target is None:
            return self
        owner = f"{type(self).__name__}.to({target})"
        params = [(p, _cast(owner, n, p.data, target)) for n, p in self.named_parameters() if p.dtype != target]
        buffers = [
            (module, name, _cast(owner, f"{module_name}.{name}".lstrip("."), array, target))
            for module_name, module in self.named_modules()
            for name, array in module._buffers.items()
            if array.dtype.kind == "f" and array.dtype != target
        ]
        for p, values in params:
            p.data = values  # the setter counts the change (version), as an optimizer's p.data -= ... does
            if p.grad is not None:
                p.grad = np.asarray(p.grad).astype(target)  # as PyTorch's: the gradient follows its parameter
        for module, name, values in buffers:
            setattr(module, name, values)  # Module.__setattr__ replaces the registered buffer
        if params or buffers:
            CastClock.now += 1
        return self

    def float(self: _S) -> _S:
        """Cast to float32 (half the memory, faster matmuls); ``to(np.float32)``, returns self.

        >>> model = nn.MLP([2, 3, 1]).float()
        >>> model(np.ones((4, 2), np.float32)).dtype
        dtype('float32')
        """
        return self.to(np.float32)

    def double(self: _S) -> _S:
        """Cast to float64 (what ``ag.gradcheck``'s finite differences need); ``to(np.float64)``, returns self.

        >>> model = nn.MLP([2, 3, 1]).float().double()
        >>> {p.dtype.name for p in model.parameters()}
        {'float64'}
        """
        return self.to(np.float64)

    def half(self: _S) -> _S:
        """Cast to float16, as PyTorch's ``model.half()`` (a quarter of float64's memory; numpy computes it slowly
        and with 3 significant digits: for storing, not training); ``to(np.float16)``, returns self.

        >>> {p.dtype.name for p in nn.Linear(2, 1).half().parameters()}
        {'float16'}
        """
        return self.to(np.float16)

    def cpu(self: _S) -> _S:
        """The module itself: everything here lives in numpy, on the CPU (PyTorch's ``model.cpu()``)."""
        return self

    def cuda(self: _S, device: object = None) -> _S:
        """PyTorch's ``model.cuda()``: refused, saying so (numpy on the CPU; guard with ``ag.cuda.is_available()``)."""
        raise ValueError(
            f"{type(self).__name__}.cuda(): this engine runs on numpy (the CPU) only; leave the model where it is, "
            "or write `if ag.cuda.is_available(): model.cuda()` as in PyTorch"
        )

    def state_dict(
        self, *args: Any, destination: dict[str, Any] | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Any]:
        """``{dotted_name: copy of the values}`` for every parameter and persistent buffer. Copies, unlike
        PyTorch, so a saved snapshot cannot change when training goes on. A tensor at several places (tied weights,
        a block used twice) is listed under each of its names, as PyTorch's: a torch model loads this dict as it
        loads its own, and nanoGPT's key count holds. PyTorch's arguments: ``prefix`` starts
        every name, ``destination`` is the dict filled (and returned), ``keep_vars=True`` gives the parameters
        themselves (Tensors) and the buffers' own arrays, not copies.

        >>> model = nn.Linear(2, 1)
        >>> snapshot = model.state_dict()
        >>> model.weight.data += 1.0           # training moves the weights...
        >>> model.load_state_dict(snapshot)    # ...and the snapshot puts them back
        <All keys matched successfully>
        >>> bool((model.weight.data == snapshot["weight"]).all())
        True
        >>> list(model.state_dict(prefix="head."))
        ['head.weight', 'head.bias']
        """
        if args:  # torch's old positional form state_dict(destination, prefix, keep_vars)
            destination, prefix, keep_vars = (*args, *(destination, prefix, keep_vars)[len(args) :])[:3]
        if not isinstance(prefix, str):
            raise TypeError(f"state_dict: prefix must be a str (such as 'model.'), got {prefix!r}")
        state: dict[str, Any] = {} if destination is None else destination
        for name, p in self.named_parameters(prefix.rstrip("."), remove_duplicate=False):
            state[name] = p if keep_vars else np.array(p.data, copy=True)
        for name, b in self.named_buffers(prefix.rstrip("."), remove_duplicate=False, persistent_only=True):
            state[name] = b if keep_vars else np.array(b, copy=True)
        return state

    def _lazy_built(self, state_dict: Mapping[str, Any], params: dict[str, Any]) -> list[tuple[Any, Any]]:
        """Each lazy layer (``nn.LazyLinear``...) built aside for the input size the state's shapes give, as PyTorch
        loads into one: its parameters and buffers stand in ``params`` for the placeholders, checked and loaded as
        any; the layer becomes it once all is loaded."""
        built = []
        for prefix, module in self.named_modules():
            real = module.built_for(state_dict, prefix) if hasattr(module, "built_for") else None
            if real is not None:
                dotted = f"{prefix}." if prefix else ""
                own = [*real.named_parameters(), *real.named_buffers(persistent_only=True)]
                params.update((dotted + name, value) for name, value in own)
                built.append((module, real))
        return built

    def _merged_aliases(
        self, state_dict: Mapping[str, Any], params: Mapping[str, Any], problems: list[str]
    ) -> Mapping[str, Any]:
        """``state_dict`` with every other path to a shared tensor (a module used at several places, as the book's
        ``nn.Sequential(*(n_blocks * [ResBlock(...)]))``: PyTorch's state_dict lists each path) read as the name
        this model lists it under; paths holding different values for one tensor are a problem."""
        listed_as = {id(value): name for name, value in params.items()}
        merged: dict[str, Any] = dict(state_dict)
        stack: list[tuple[str, Any, frozenset[int]]] = [("", self, frozenset())]
        while stack:
            prefix, module, above = stack.pop()
            for name, value in [*module._parameters.items(), *module._buffers.items()]:
                path = f"{prefix}.{name}" if prefix else name
                primary = listed_as.get(id(value)) if value is not None else None
                if path in params or path not in merged or primary is None:
                    continue
                given = merged.pop(path)
                if primary not in merged:
                    merged[primary] = given
                elif not np.array_equal(_plain(given), _plain(merged[primary])):
                    problems.append(f"'{path}' and '{primary}' name one shared tensor but hold different values")
            above = above | {id(module)}  # (a module inside itself would never end)
            children = module._modules.items()
            stack.extend((f"{prefix}.{n}" if prefix else n, m, above) for n, m in children if id(m) not in above)
        return merged

    def load_state_dict(self, state_dict: Mapping[str, Tensor | ArrayLike], strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters. Every name, shape and dtype is checked first
        (values must be finite floating-point arrays of the parameter's shape; integers for an integer buffer); on any
        problem a ``ValueError`` lists them all and no parameter is changed. With
        ``strict=False`` missing and unexpected names are allowed, and returned, as PyTorch's
        ``(missing_keys, unexpected_keys)``. Values take each parameter's dtype, as PyTorch's
        (float32 values into a float64 model: float64); ``requires_grad`` is the model's, never the dict's.

        >>> model = nn.Linear(2, 1)
        >>> model.load_state_dict({"weight": np.zeros((1, 2)), "extra": np.zeros(1)}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])
        >>> model.weight.data
        array([[0., 0.]])
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(
                f"load_state_dict: expected a dict of name -> array, got {type(state_dict).__name__}"
                + (
                    "; nn.load(path) returns a model: load a file into this one with nn.load(model, path), "
                    "or take another model's values with model.load_state_dict(other.state_dict())"
                    if hasattr(state_dict, "state_dict")
                    else ""
                )
            )
        params: dict[str, Any] = dict(self.named_parameters())
        params.update(self.named_buffers(persistent_only=True))
        built = self._lazy_built(state_dict, params)
        problems: list[str] = []
        updates: list[tuple[Any, np.ndarray]] = []
        if any(name not in params for name in state_dict):
            state_dict = self._merged_aliases(state_dict, params, problems)
        missing = [n for n in params if n not in state_dict]
        unexpected = [str(n) for n in state_dict if n not in params]
        if strict and missing:
            problems.append(f"missing names: {', '.join(missing)}")
        if strict and unexpected:
            counter = any(name.rsplit(".", 1)[-1] == "num_batches_tracked" for name in unexpected)
            problems.append(
                f"unexpected names: {', '.join(unexpected)}"
                + (
                    " (PyTorch's BatchNorm counter, which nn saves only with momentum=None, the one rule that reads "
                    "it: pass strict=False)"
                    if counter
                    else ""
                )
            )
        for name, p in params.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if is_lazy(p):
                problems.append(f"'{name}' belongs to a lazy layer not built yet: call the model once on a batch first")
            elif value.shape != p.shape:
                problems.append(f"'{name}': shape {value.shape}, the parameter has shape {p.shape}")
            elif value.dtype.kind != "f" and not (_is_counter(p) and value.dtype.kind in "iu"):
                problems.append(f"'{name}': dtype {value.dtype} is not floating-point")
            elif not np.isfinite(value).all():
                problems.append(f"'{name}': {int(np.size(value) - np.isfinite(value).sum())} NaN/Inf values")
            else:
                with np.errstate(over="ignore"):  # checked just below: 1e300 is no float32
                    converted = np.array(value, dtype=p.dtype, copy=True)
                if not np.isfinite(converted).all():
                    problems.append(
                        f"'{name}': {int(np.size(value) - np.isfinite(converted).sum())} values "
                        f"overflow the parameter's dtype {p.dtype}"
                    )
                else:
                    updates.append((p, converted))
        if problems:
            raise ValueError(
                f"load_state_dict for {type(self).__name__}: nothing was changed because of " + "; ".join(problems)
            )
        for p, value in updates:
            if isinstance(p, Tensor):
                write_in_place(p, value)  # keeps the parameter's layout (Linear's column-major weight)
            else:
                np.copyto(p, value)  # a buffer: in place, so the module's attribute sees it
        for module, real in built:
            module.become(real)  # (with the values just loaded into real)
        structure_changed()  # a compiled step may hold a buffer's values (BatchNorm's, eval mode): traced again
        return IncompatibleKeys(missing, unexpected)
