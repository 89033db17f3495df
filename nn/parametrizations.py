"""``nn.utils.parametrizations.weight_norm`` and ``spectral_norm`` (torch's current forms, on ``nn.utils.parametrize``)
and the older ``nn.utils.weight_norm`` / ``spectral_norm`` (a forward pre-hook recomputing the weight), with
torch's names: ``parametrizations.weight.original0`` (g) / ``original1`` (v), ``parametrizations.weight.0._u``;
``weight_g`` / ``weight_v``, ``weight_orig`` / ``weight_u`` / ``weight_v``.

Weight normalisation: w = g v / ||v|| (the norm over every axis but ``dim``), so the length g and the direction v
train separately (Salimans & Kingma, 2016). Spectral normalisation: w / σ(w), σ the largest singular value of w
as a matrix, estimated by power iteration on two vectors u, v kept between calls (Miyato et al., 2018):
u <- normalize(W v), v <- normalize(Wᵀ u), σ = uᵀ W v. Both are Tensor expressions of the parameters, so the
engine differentiates them (the power iteration runs outside the graph, as torch's under no_grad).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd_core import Tensor

from . import init as nn_init
from .checks import non_negative_int
from .conv_transpose import ConvTransposeNd
from .module import Module
from .parameter import Parameter
from .parametrize import register_parametrization


def _norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """sqrt of the sum of squares over every axis but ``dim`` (kept, size 1), or over all for dim = -1."""
    if dim == -1:
        return (v * v).sum().sqrt()
    axes = tuple(a for a in range(v.ndim) if a != dim)
    return (v * v).sum(axis=axes, keepdims=True).sqrt()


def _weight_dim(owner: str, weight: Tensor, dim: int | None) -> int:
    if dim is None:
        return -1
    if isinstance(dim, bool) or not isinstance(dim, int) or not -weight.ndim <= dim < weight.ndim:
        raise ValueError(f"{owner}: dim must be an axis of the weight of shape {weight.shape} or None, got {dim!r}")
    return dim % weight.ndim


class _WeightNorm(Module):
    """g v / ||v||, the norm over every axis but ``dim``: torch's ``_WeightNorm`` parametrization."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return _norm_except_dim(weight, self.dim).detach(), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as g v / ||v|| (torch's ``nn.utils.parametrizations.weight_norm``): g is
    ``parametrizations.<name>.original0``, v ``original1``; ``dim=None`` takes one norm of the whole tensor.

    >>> layer = weight_norm(nn.Linear(3, 2, seed=0))
    >>> [n for n, _ in layer.named_parameters()]
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
    """
    weight = _parameter("weight_norm", module, name)
    return register_parametrization(module, name, _WeightNorm(_weight_dim("weight_norm", weight, dim)), unsafe=True)


def _normalize(x: np.ndarray, eps: float) -> np.ndarray:
    return x / max(float(np.linalg.norm(x)), eps)


def _as_matrix(weight: np.ndarray, dim: int) -> np.ndarray:
    """``weight`` with axis ``dim`` first and the others flattened: the matrix whose top singular value is taken."""
    return np.moveaxis(weight, dim, 0).reshape(weight.shape[dim], -1)


class _SpectralNorm(Module):
    """weight / σ, σ estimated by power iteration on the buffers ``_u``, ``_v`` (in training): torch's
    ``_SpectralNorm`` parametrization."""

    _u: np.ndarray
    _v: np.ndarray

    def __init__(self, weight: Tensor, n_power_iterations: int, dim: int, eps: float) -> None:
        super().__init__()
        self.dim, self.eps = dim, float(eps)
        self.n_power_iterations = non_negative_int("spectral_norm", "n_power_iterations", n_power_iterations)
        if weight.ndim > 1:
            matrix = _as_matrix(weight.data, dim)
            rng = nn_init.as_generator(None)
            self.register_buffer(
                "_u", _normalize(rng.standard_normal((matrix.shape[0],)).astype(weight.dtype), self.eps)
            )
            self.register_buffer(
                "_v", _normalize(rng.standard_normal((matrix.shape[1],)).astype(weight.dtype), self.eps)
            )
            self._power_method(matrix, 15)  # start near the top singular vectors, as torch's

    def _power_method(self, matrix: np.ndarray, iterations: int) -> None:
        for _ in range(iterations):  # on arrays: outside the graph, as torch's under no_grad
            self._u[...] = _normalize(matrix @ self._v, self.eps)
            self._v[...] = _normalize(matrix.T @ self._u, self.eps)

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return weight / max(float(np.linalg.norm(weight.data)), self.eps)  # (torch's F.normalize)
        if self.training:
            self._power_method(_as_matrix(weight.data, self.dim), self.n_power_iterations)
        u, v = np.array(self._u), np.array(self._v)
        matrix = weight.movedim(self.dim, 0).reshape(weight.shape[self.dim], -1)
        return weight / (Tensor(u) @ (matrix @ Tensor(v)))

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim: int | None = None
) -> Module:
    """Divide ``module.<name>`` by its largest singular value (torch's ``nn.utils.parametrizations.spectral_norm``):
    one power iteration per training call (``n_power_iterations``) refines u and v, kept as the buffers
    ``parametrizations.<name>.0._u`` / ``_v``; ``dim`` (default 0, 1 for a transposed convolution) is the axis
    taken as the matrix's rows.

    >>> layer = spectral_norm(nn.Linear(4, 4, seed=0), n_power_iterations=50)
    >>> round(float(np.linalg.norm(layer.weight.data, 2)), 6)
    1.0
    """
    weight = _parameter("spectral_norm", module, name)
    axis = (
        (1 if isinstance(module, ConvTransposeNd) else 0) if dim is None else _weight_dim("spectral_norm", weight, dim)
    )
    return register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, axis, eps))


def _parameter(owner: str, module: Module, name: str) -> Tensor:
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(
            f"{owner}: {type(module).__name__} has no parameter {name!r}; its parameters are {list(module._parameters)}"
        )
    return weight


# ------------------------------------------------------------------ the older forms, on a forward pre-hook
def _old_weight_norm_value(module: Module, name: str, dim: int) -> Tensor:
    g, v = getattr(module, name + "_g"), getattr(module, name + "_v")
    return v * (g / _norm_except_dim(v, dim))


def old_weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """torch's older ``nn.utils.weight_norm``: parameters ``<name>_g`` and ``<name>_v``, and ``<name>`` recomputed
    as g v / ||v|| before every forward; ``nn.utils.remove_weight_norm`` undoes it.

    >>> layer = nn.utils.weight_norm(nn.Linear(3, 2, seed=0))
    >>> [n for n, _ in layer.named_parameters()]
    ['bias', 'weight_g', 'weight_v']
    """
    weight = _parameter("weight_norm", module, name)
    axis = _weight_dim("weight_norm", weight, dim)
    delattr(module, name)
    setattr(module, name + "_g", Parameter(_norm_except_dim(weight.detach(), axis).data))
    setattr(module, name + "_v", Parameter(weight.data))
    _hook_recomputing(
        module, name, lambda m: _old_weight_norm_value(m, name, axis), _old_weight_norm_value(module, name, axis)
    )
    return module


def old_spectral_norm(
    module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12, dim: int | None = None
) -> Module:
    """torch's older ``nn.utils.spectral_norm``: the parameter ``<name>_orig``, the buffers ``<name>_u`` and
    ``<name>_v``, and ``<name>`` recomputed before every forward (after n_power_iterations in training: v then u).

    >>> layer = nn.utils.spectral_norm(nn.Linear(3, 2, seed=0))
    >>> [n for n, _ in layer.named_parameters()], sorted(layer.state_dict())
    (['bias', 'weight_orig'], ['bias', 'weight_orig', 'weight_u', 'weight_v'])
    """
    weight = _parameter("spectral_norm", module, name)
    axis = (
        (1 if isinstance(module, ConvTransposeNd) else 0) if dim is None else _weight_dim("spectral_norm", weight, dim)
    )
    iterations = non_negative_int("spectral_norm", "n_power_iterations", n_power_iterations)
    rows, columns = _as_matrix(weight.data, axis).shape
    rng = nn_init.as_generator(None)
    delattr(module, name)
    setattr(module, name + "_orig", weight)
    module.register_buffer(name + "_u", _normalize(rng.standard_normal((rows,)).astype(weight.dtype), eps))
    module.register_buffer(name + "_v", _normalize(rng.standard_normal((columns,)).astype(weight.dtype), eps))

    def compute(m: Module) -> Tensor:
        w, u, v = getattr(m, name + "_orig"), getattr(m, name + "_u"), getattr(m, name + "_v")
        if m.training:
            matrix = _as_matrix(w.data, axis)
            for _ in range(iterations):
                v[...] = _normalize(matrix.T @ u, eps)
                u[...] = _normalize(matrix @ v, eps)
        matrix_t = w.movedim(axis, 0).reshape(w.shape[axis], -1)
        return w / (Tensor(np.array(u)) @ (matrix_t @ Tensor(np.array(v))))

    _hook_recomputing(module, name, compute, weight.detach())  # computed first by the first forward, as torch's
    return module


def _hook_recomputing(module: Module, name: str, compute: Any, initial: Tensor) -> None:
    """Set ``module.<name>`` to ``initial``, then to ``compute(module)`` before every forward (a plain attribute:
    the parameters are the others)."""
    object.__setattr__(module, name, initial)
    handle = module.register_forward_pre_hook(lambda m, args: object.__setattr__(m, name, compute(m)))
    object.__setattr__(module, f"_{name}_reparametrization", (handle, compute))


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``nn.utils.weight_norm``: ``<name>`` a plain parameter again, holding g v / ||v||."""
    return _remove("remove_weight_norm", module, name, (name + "_g", name + "_v"))


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``nn.utils.spectral_norm``: ``<name>`` a plain parameter again, holding the normalised weight."""
    return _remove("remove_spectral_norm", module, name, (name + "_orig", name + "_u", name + "_v"))


def _remove(owner: str, module: Module, name: str, parts: tuple[str, ...]) -> Module:
    found = vars(module).get(f"_{name}_reparametrization")
    if found is None or not all(hasattr(module, part) for part in parts):
        raise ValueError(f"{owner}: {type(module).__name__} has no such reparametrization of {name!r}")
    handle, compute = found
    value = compute(module).data
    handle.remove()
    for part in parts:
        if part in module._buffers:
            del module._buffers[part]
            object.__delattr__(module, part)
        else:
            delattr(module, part)
    object.__delattr__(module, f"_{name}_reparametrization")
    object.__delattr__(module, name)
    setattr(module, name, Parameter(value))
    return module


__all__ = ["weight_norm", "spectral_norm"]
