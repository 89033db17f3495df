"""How a Tensor is seen, which it inherits from ``TensorViews``: its axes rearranged (``view
flatten squeeze unsqueeze permute expand t split chunk``, composed from reshape and transpose, so
differentiable), its values converted (``item tolist numpy astype to float double half long int bool``, ``format``), its
place in the graph (``is_leaf op prim parents params version``, read by nn, viz and compile; ``detach_``) and
its text form.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

import numpy as np

import autograd_core.tensor as _tensor  # still loading when this one is imported: read at call time

from .display import tensor_repr
from .graph_nodes import Node
from .graph_state import MutationClock, op_numbers, watch, watched
from .primitives import Astype
from .tensor_base import normalize_axes, permutation, reduction_axes
from .tensor_inputs import require_cpu, require_float
from .tensor_torch import TensorTorch
from .types import Array, Axis, DTypeLike, Number, Shape

if TYPE_CHECKING:
    from .primitives import Primitive
    from .tensor import Tensor


class TensorViews(TensorTorch):
    """Views, conversions and graph attributes of ``Tensor`` (see the module docstring); PyTorch's
    spellings numpy lacks come from ``TensorTorch`` (tensor_torch.py)."""

    label: str | None
    _detached_at = 0  # the clock's count when detach_() took it out of a graph: older consumers refuse backward

    # ------------------------------------------------------------ the graph, read-only
    def __setstate__(self, state: tuple[dict[str, Any] | None, dict[str, Any]]) -> None:
        """Unpickling and ``copy``: the attributes restored, and an operation numbered anew (``op_numbers``).
        Its inputs were restored first, so the numbers still grow from inputs to outputs as backward's schedule
        needs, for a graph pickled by another process (numbered by its own count) too, and no two are equal."""
        attributes, slots = state
        for name, value in {**(attributes or {}), **slots}.items():
            setattr(self, name, value)
        self._seq = 0 if self._prim is None else next(op_numbers)

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user made (or made without recording)."""
        return self._prim is None

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward (a leaf keeps its own anyway)."""
        if not self.requires_grad and self._prim is None:  # (a recorded constant, max_shift's, stays allowed)
            raise RuntimeError(
                f"retain_grad: this tensor (shape {self.shape}) does not require grad, so no gradient will reach it; "
                "retain the gradient of a tensor computed from inputs made with requires_grad=True"
            )
        self._retains_grad = True
        watch(self)
        return cast("Tensor", self)

    @property
    def grad_fn(self) -> Node | None:
        """PyTorch's graph node that made this tensor (None for a leaf, or one that needs no gradient): its
        ``name()``, ``next_functions`` and ``grad_fn(g)``, one chain-rule step by hand (graph_nodes.py)."""
        return Node(cast("Tensor", self)) if self._prim is not None and self.requires_grad else None

    @property
    def op(self) -> str | None:
        """Name of the primitive that produced this tensor, None for leaves."""
        return self._prim.name if self._prim else None

    @property
    def prim(self) -> type[Primitive] | None:
        """The primitive class that produced this tensor (``ag.PRIMITIVES[t.op]``), None for leaves."""
        return self._prim

    @property
    def parents(self) -> tuple[Tensor, ...]:
        """The inputs of the op that produced it."""
        return self._parents

    @property
    def params(self) -> Mapping[str, Any]:
        """Non-tensor arguments of that op (axes, shapes, index), read-only."""
        return MappingProxyType(self._params)

    @property
    def op_params(self) -> dict[str, Any]:
        """A copy of ``params`` as a dict."""
        return dict(self._params or {})

    @property
    def op_number(self) -> int:
        """The number this operation got when it was recorded (0 for a leaf). Backward runs the operations
        from the highest number down: one made later never feeds one made earlier (PyTorch's sequence_nr).

        >>> x = Tensor(2.0, requires_grad=True)
        >>> y = x * x; z = y + x
        >>> z.op_number > y.op_number > x.op_number == 0
        True
        """
        return self._seq

    @property
    def retains_grad(self) -> bool:
        """True after ``retain_grad()``."""
        return self._retains_grad

    @property
    def has_hooks(self) -> bool:
        """True while a ``register_hook`` (or post-accumulate-grad) function is registered on this tensor."""
        return bool(self._hooks)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to None)."""
        self.grad = None

    @property
    def version(self) -> int:
        """Changes whenever the values change in place (``.data =``, ``+=``): compare two readings."""
        return self._version

    def item(self) -> Number | bool:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a number, this one has shape {self.shape}")
        value: Number | bool = self._data.item()
        return value

    def numpy(self) -> Array:
        """The values as a numpy array (the same memory as ``.data``)."""
        return self.data

    def __len__(self) -> int:
        if not self.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        """The rows ``t[0], t[1], ...`` (each recorded, as in PyTorch); a 0-d tensor is a TypeError."""
        if not self.ndim:  # without this, iteration falls back to t[0] and ends at once: [] for a number
            raise TypeError("iteration over a 0-d tensor; use .item() for its value, or .reshape(1) to iterate")
        return (cast("Tensor", self)[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"bool: the truth value of a tensor with {self.size} elements (shape {self.shape}) is "
                "ambiguous; reduce it first with .any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())  # truncates toward zero, as int(2.7) and PyTorch's int(t)

    def __index__(self) -> int:
        """A one-element integer tensor is an index, as in PyTorch: ``classes[predicted[j]]``, ``range(n)``."""
        if self.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError(
                f"only a one-element integer tensor can be used as an index, this one is {self.dtype} of shape "
                f"{self.shape}; take one element (t[j]), or int(t) to truncate a float"
            )
        return int(self._data.item())

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats as its number, as PyTorch: ``f"loss {loss:.4f}"``; no spec gives ``str(t)``.

        >>> f"{Tensor(0.25):.3f}"
        '0.250'
        """
        if self.ndim == 0:
            return format(self._data.item(), spec)
        if spec:
            raise TypeError(
                f"format: the spec {spec!r} needs a 0-d tensor (one number), this one has shape {self.shape}; "
                f"format t.item() for a one-element tensor, or t.tolist()"
            )
        return str(self)

    __repr__ = tensor_repr  # with ag.set_printoptions's options

    # ------------------------------------------------------------ shape, composed from reshape/transpose
    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim..end_dim`` into one (all of them by default): ``x.flatten(1)``.

        >>> Tensor(np.zeros((2, 3, 4))).flatten(1).shape
        (2, 12)
        """
        if self.ndim == 0:
            return self.reshape(1)
        start, end = (normalize_axes("flatten", d, self.ndim)[0] for d in (start_dim, end_dim))
        if start > end:
            raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim}) for shape {self.shape}")
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1 :])

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 axis at ``dim`` (-1 appends one): ``(3,) -> (1, 3)`` with dim=0."""
        axis = normalize_axes("unsqueeze", dim, self.ndim + 1)[0]
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def squeeze(self, dim: Axis = None) -> Tensor:
        """Drop size-1 axes (only ``dim``, an int or a tuple, if given; other sizes are left, as PyTorch)."""
        axes = reduction_axes("squeeze", dim, self.ndim)
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1)))

    def permute(self, *dims: int | Shape | list[int]) -> Tensor:
        """Reorder the axes: ``x.permute(2, 0, 1)`` (``transpose`` with all axes)."""
        # one tuple, never two ints: t.permute(0, 1) keeps the order (PyTorch), whatever transpose(a, b) means
        order = tuple(dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims)
        return self.transpose(permutation("permute", order, self.shape))

    def expand(self, *given: int | Shape | list[int]) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps an axis's size), PyTorch's name for ``broadcast_to``."""
        one_sequence = len(given) == 1 and isinstance(given[0], (tuple, list))
        sizes = cast("tuple[int, ...]", tuple(given[0]) if one_sequence else given)  # type: ignore[arg-type]
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ValueError(
                f"expand: {len(sizes)} sizes for a tensor with {self.ndim} axes {self.shape}; "
                "give at least one size per axis"
            )
        shape = tuple(self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
        return self.broadcast_to(shape)

    def split(self, split_size_or_sections: int | list[int] | tuple[int, ...], dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces along ``dim``, as PyTorch: an int gives pieces of that size (the last may be shorter), a
        list gives pieces of those sizes (they must add up to the axis). Each is a recorded slice.

        >>> [piece.shape for piece in Tensor(np.zeros((5, 2))).split(2)]
        [(2, 2), (2, 2), (1, 2)]
        """
        if self.ndim == 0:
            raise ValueError("split: a 0-d tensor has no axis to split; reshape it first")
        axis = normalize_axes("split", dim, self.ndim)[0]
        n = self.shape[axis]
        given = split_size_or_sections
        if isinstance(given, (int, np.integer)) and not isinstance(given, bool) and given > 0:
            sizes = [min(int(given), n - start) for start in range(0, n, int(given))] or [0]
        elif isinstance(given, (list, tuple)) and all(isinstance(k, (int, np.integer)) and k >= 0 for k in given):
            sizes = [int(k) for k in given]
            if sum(sizes) != n:
                raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, not to axis {dim}'s length {n}")
        else:
            raise ValueError(f"split: expects a size > 0 or a list of sizes >= 0, got {given!r}")
        ends = np.cumsum(sizes).tolist()
        lead = (slice(None),) * axis
        return tuple(cast("Tensor", self)[lead + (slice(end - k, end),)] for k, end in zip(sizes, ends))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most ``chunks`` pieces of equal size along ``dim`` (the last may be shorter), as PyTorch.

        >>> [piece.shape for piece in Tensor(np.zeros((5, 2))).chunk(3)]
        [(2, 2), (2, 2), (1, 2)]
        """
        if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
            raise ValueError(f"chunk: expects a number of chunks >= 1, got {chunks!r}")
        if self.ndim == 0:
            raise ValueError("chunk: a 0-d tensor has no axis to split; reshape it first")
        n = self.shape[normalize_axes("chunk", dim, self.ndim)[0]]
        if not n:  # an empty axis: `chunks` empty pieces, as PyTorch
            return self.split([0] * int(chunks), dim)
        return self.split(-(-n // int(chunks)), dim)

    def t(self) -> Tensor:
        """Transpose a matrix (0-d and 1-d tensors come back as they are), as PyTorch's ``t()``."""
        if self.ndim > 2:
            raise ValueError(
                f"t: expects a tensor with at most 2 axes, got shape {self.shape}; use transpose(...) or permute(...)"
            )
        return self.T if self.ndim == 2 else cast("Tensor", self)

    # ------------------------------------------------------------ conversions
    def tolist(self) -> Any:  # nested lists of numbers, or one number
        """The values as (nested) Python lists; a number for a 0-d tensor."""
        return self._data.tolist()

    def numel(self) -> int:
        """Number of elements (``size`` here, as numpy)."""
        return self._data.size

    def dim(self) -> int:
        """Number of axes (``ndim``)."""
        return self._data.ndim

    def astype(self, dtype: DTypeLike) -> Tensor:
        """Cast to another dtype. A float cast is differentiable (the gradient is cast back); an
        integer or bool cast gives a constant, as in PyTorch (integers carry no gradient).

        >>> Tensor([1.5, 2.5], requires_grad=True).astype(np.float32).dtype
        dtype('float32')
        """
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return cast("Tensor", self)
        if dtype.kind != "f":
            return _tensor.Tensor(self._data.astype(dtype))
        return self.apply(Astype, self, dtype=dtype)

    def to(self, *args: Any, dtype: DTypeLike | None = None, device: object = None, **flags: Any) -> Tensor:
        """PyTorch's forms: ``to(dtype)``, ``to("cpu")``, ``to("cpu", np.float32)``, ``to(other)`` (other's dtype),
        ``to(device=, dtype=, copy=)``. Everything lives in numpy on the CPU: a device is checked, nothing moves.

        >>> Tensor([1.5]).to("cpu", np.float32).dtype
        dtype('float32')
        """
        if len(args) > 2 or set(flags) - {"non_blocking", "copy"}:
            given = [type(a).__name__ for a in args] + sorted(flags)
            raise TypeError(
                f"to: takes (dtype), (device), (device, dtype), (other) or device=/dtype=/copy=, got {given}"
            )
        for a in args:
            if isinstance(a, _tensor.Tensor):
                dtype = a.dtype
            elif isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda", "mps"):
                device = a
            else:
                dtype = a
        require_cpu("to", device)
        try:
            result = cast("Tensor", self) if dtype is None else self.astype(dtype)
        except TypeError as error:
            raise TypeError(f"to: {dtype!r} is neither a device ('cpu') nor a dtype ({error})") from None
        return result.clone() if flags.get("copy") and result is self else result

    def float(self) -> Tensor:
        """Cast to float32."""
        return self.astype(np.float32)

    def double(self) -> Tensor:
        """Cast to float64."""
        return self.astype(np.float64)

    def long(self) -> Tensor:
        """Cast to int64 (a constant: integers carry no gradient)."""
        return self.astype(np.int64)

    def short(self) -> Tensor:
        """Cast to int16, as PyTorch's ``t.short()`` (a constant: integers carry no gradient)."""
        return self.astype(np.int16)

    def half(self) -> Tensor:
        """Cast to float16 (numpy's half precision; differentiable, as ``float()``)."""
        return self.astype(np.float16)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf; returns the tensor itself."""
        if self._prim is not None:
            raise RuntimeError(
                "requires_grad_: only leaf tensors can change requires_grad; use .detach() to "
                "get a leaf from this tensor, then call requires_grad_() on it"
            )
        if requires_grad:
            require_float("requires_grad_:", self.dtype, "cast first with .double() or .float()")
        self.requires_grad = bool(requires_grad)
        return cast("Tensor", self)

    def detach_(self) -> Tensor:
        """Take this tensor out of its graph in place, as PyTorch's: it becomes a leaf that does not require grad
        (its op and inputs are dropped, freeing the graph behind it unless others hold it); returns it.

        The graph here is made of the tensors themselves, so an operation that used this tensor before
        ``detach_()`` refuses to backward (PyTorch's graph keeps the old path): call ``detach_()`` after
        ``backward()`` (truncated backpropagation through time: ``h.detach_()`` between chunks), or use
        ``detach()``, a new tensor. Unlike PyTorch, a view (a reshape's, a slice's) may be detached in place
        too: nothing here tracks views; its memory stays shared, as ``detach()``'s does.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> h = x * 2
        >>> h.detach_() is h, h.is_leaf, h.requires_grad, h.grad_fn
        (True, True, False, None)
        """
        if self._prim is None and not self.requires_grad:
            return cast("Tensor", self)  # nothing to take it out of
        # Consumers made before now would lose the path through this tensor silently: they refuse instead
        # (graph_state.check_usable), found by the one comparison backward makes anyway (node._epoch < now).
        self._detached_at = MutationClock.tick()
        self.requires_grad = False
        self._prim, self._parents, self._params = None, (), _tensor._NO_PARAMS
        self._epoch = self._seq = 0
        if self._watched:  # retain_grad() or a hook made backward stop here: a leaf is never stopped at
            watched.pop(id(self), None)
            self._watched = False  # (retains_grad stays as it was, as in PyTorch)
        return cast("Tensor", self)

    # (last in the class: a method named int or bool would shadow the builtin in later annotations)
    def int(self) -> Tensor:
        """Cast to int32, as PyTorch's ``t.int()`` (a constant: integers carry no gradient)."""
        return self.astype(np.int32)

    def bool(self) -> Tensor:
        """Cast to bool (nonzero is True), as PyTorch's ``t.bool()``: a mask, no gradient."""
        return self.astype(np.bool_)
