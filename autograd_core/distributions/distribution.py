"""``Distribution``, the base of ``ag.distributions`` (torch.distributions' API): shapes, sampling, validation.

Shapes, as torch's: a sample has shape ``sample_shape + batch_shape + event_shape``; ``batch_shape`` counts
independent distributions (one per parameter element), ``event_shape`` is one draw's own shape (``()`` for a
scalar distribution, ``(n,)`` for a MultivariateNormal over R^n). ``log_prob(value)`` has shape
``sample_shape + batch_shape``.

Gradients: every formula is composed from Tensor ops, so ``log_prob``, ``entropy``, ``kl_divergence`` and
``rsample`` (the reparameterisation trick: loc + scale * eps) differentiate in the parameters through the
engine. ``sample()`` is a value (no gradient), as torch's; for a gradient through a discrete sample use the
score function, ``(reward * d.log_prob(a)).mean()`` (REINFORCE).

Random numbers come from ``ag.manual_seed``'s generator, or the ``generator=`` given to ``sample``/``rsample``.

>>> import autograd_core as ag
>>> d = ag.distributions.Normal(ag.zeros(3), ag.ones(3))
>>> d.batch_shape, d.event_shape, d.sample((2,)).shape
((3,), (), (2, 3))
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from ..functions import as_tensor
from ..grad_mode import no_grad
from ..sampling import Generator, _rng
from ..tensor import Tensor
from . import constraints
from .constraints import Constraint

__all__ = ["Distribution", "broadcast_all"]

Shape = tuple[int, ...]


class Distribution:
    """The base class: subclasses set ``arg_constraints``, ``support``, ``has_rsample`` and define the methods
    they have in closed form; the others raise NotImplementedError naming the distribution and the method.

    ``validate_args`` (default True, as torch's outside ``python -O``) checks the parameters at construction
    and each value given to ``log_prob``/``cdf``: a bad one is a ValueError naming the value and the set it
    must lie in. ``Distribution.set_default_validate_args(False)`` turns it off everywhere.
    """

    has_rsample: bool = False
    has_enumerate_support: ClassVar[bool] = False
    arg_constraints: ClassVar[dict[str, Constraint]] = {}
    _validate_default: ClassVar[bool] = True

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Check parameters and values by default (True) or not, as torch's."""
        if value not in (True, False):
            raise TypeError(f"Distribution.set_default_validate_args: expects True or False, got {value!r}")
        Distribution._validate_default = value

    def __init__(self, batch_shape: Shape = (), event_shape: Shape = (), validate_args: bool | None = None) -> None:
        self._batch_shape, self._event_shape = tuple(batch_shape), tuple(event_shape)
        self._validate_args = Distribution._validate_default if validate_args is None else bool(validate_args)
        if self._validate_args:
            for name, value in self._given_params().items():
                if name in self.arg_constraints:
                    _check(self.arg_constraints[name], value, f"{type(self).__name__}: parameter {name}")

    @property
    def batch_shape(self) -> Shape:
        """The shape of the batch of independent distributions (one per parameter element)."""
        return self._batch_shape

    @property
    def event_shape(self) -> Shape:
        """The shape of one draw (``()`` for a scalar distribution)."""
        return self._event_shape

    @property
    def support(self) -> Constraint:
        """The set the values lie in."""
        raise NotImplementedError(f"{type(self).__name__}.support is not defined")

    def _given_params(self) -> dict[str, Tensor]:
        """The parameters as the constructor took them (the keywords ``expand`` rebuilds from)."""
        return {name: getattr(self, name) for name in self.arg_constraints}

    def expand(self, batch_shape: Shape | list[int], _instance: Any = None) -> Distribution:
        """The same distribution repeated over a larger ``batch_shape`` (its parameters broadcast, not copied;
        gradients flow back to the originals).

        >>> import autograd_core as ag
        >>> ag.distributions.Normal(0.0, 1.0).expand((2, 3)).batch_shape
        (2, 3)
        """
        batch = tuple(batch_shape)
        try:
            np.broadcast_shapes(self.batch_shape, batch)
        except ValueError:
            raise ValueError(
                f"{type(self).__name__}.expand: batch_shape {self.batch_shape} cannot be expanded to {batch}"
            ) from None
        old = len(self.batch_shape)
        params = {name: p.expand(*(batch + p.shape[old:])) for name, p in self._given_params().items()}
        rebuild: Any = type(self)  # (a subclass's own keywords)
        return rebuild(**params, validate_args=False)

    def _extended_shape(self, sample_shape: Shape | list[int] = ()) -> Shape:
        """``sample_shape + batch_shape + event_shape``."""
        if isinstance(sample_shape, (int, np.integer)):
            sample_shape = (int(sample_shape),)
        if not all(isinstance(n, (int, np.integer)) and n >= 0 for n in sample_shape):
            raise TypeError(
                f"{type(self).__name__}.sample: sample_shape must be a tuple of ints >= 0, got {sample_shape!r}"
            )
        return tuple(int(n) for n in sample_shape) + self.batch_shape + self.event_shape

    def sample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        """Draws of shape ``sample_shape + batch_shape + event_shape``: values, no gradient (see ``rsample``)."""
        if not self.has_rsample:
            raise NotImplementedError(f"{type(self).__name__}.sample is not implemented")
        with no_grad():
            return self.rsample(sample_shape, generator=generator).detach()

    def rsample(self, sample_shape: Shape | list[int] = (), *, generator: Generator | None = None) -> Tensor:
        """Reparameterised draws: differentiable in the parameters (the VAE's trick)."""
        raise NotImplementedError(
            f"{type(self).__name__}.rsample: this distribution has no reparameterised sampler (has_rsample is "
            "False); draw with sample() and estimate gradients with the score function, "
            "(f(x).detach() * d.log_prob(x)).mean()"
        )

    def sample_n(self, n: int) -> Tensor:
        """``sample((n,))``, torch's old spelling."""
        return self.sample((n,))

    def _draw(self, generator: Generator | None) -> np.random.Generator:
        return _rng(f"{type(self).__name__}.sample", generator)

    def log_prob(self, value: Any) -> Tensor:
        """The log density (or log mass) of ``value``, shape ``sample_shape + batch_shape``."""
        raise NotImplementedError(f"{type(self).__name__}.log_prob is not implemented")

    def cdf(self, value: Any) -> Tensor:
        """P(X <= value)."""
        raise NotImplementedError(f"{type(self).__name__}.cdf has no closed form here")

    def icdf(self, value: Any) -> Tensor:
        """The inverse of ``cdf``: the quantile of probability ``value``."""
        raise NotImplementedError(f"{type(self).__name__}.icdf has no closed form here")

    def entropy(self) -> Tensor:
        """The (differential) entropy in nats, shape ``batch_shape``."""
        raise NotImplementedError(f"{type(self).__name__}.entropy is not implemented")

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mean is not implemented")

    @property
    def mode(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.mode is not implemented")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__}.variance is not implemented")

    @property
    def stddev(self) -> Tensor:
        """The standard deviation, sqrt(variance)."""
        return self.variance.sqrt()

    def _validate_sample(self, value: Any, method: str = "log_prob", support: Constraint | None = None) -> Tensor:
        """``value`` as a Tensor; with validation on, a shape that does not broadcast with ``batch_shape +
        event_shape``, or a value outside the support (or the ``support`` given), is a ValueError naming both."""
        name = f"{type(self).__name__}.{method}"
        if not isinstance(value, Tensor):
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{name}: value must be a number or a numeric Tensor, got {value!r}")
            value = Tensor(array if array.dtype.kind in "iu" or array.dtype == np.float32 else array.astype(float))
        if not self._validate_args:
            return value
        event = self.event_shape
        if value.shape[value.ndim - len(event) :] != event or value.ndim < len(event):
            raise ValueError(f"{name}: value of shape {value.shape} must end in the event_shape {event}")
        try:
            np.broadcast_shapes(value.shape, self.batch_shape + event)
        except ValueError:
            raise ValueError(
                f"{name}: value of shape {value.shape} does not broadcast with batch_shape {self.batch_shape} "
                f"+ event_shape {event}"
            ) from None
        _check(support or self.support, value, f"{name}: value", what="" if support else "the support")
        return value

    def _validate_probability(self, value: Any) -> Tensor:
        """``icdf``'s argument: a probability, checked against [0, 1] rather than the support."""
        return self._validate_sample(value, "icdf", constraints.unit_interval)

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}: {_summary(p)}" for n, p in self._given_params().items())
        return f"{type(self).__name__}({shown})"


def _summary(p: Any) -> str:
    if isinstance(p, Tensor):
        return f"{p.item():g}" if p.ndim == 0 else f"Tensor of shape {p.shape}"
    return repr(p)


def _check(constraint: Constraint, value: Tensor, what_value: str, what: str = "") -> None:
    array = value.detach().numpy() if isinstance(value, Tensor) else np.asarray(value)
    with np.errstate(invalid="ignore"):
        ok = np.asarray(constraint.check(array), dtype=bool)
    if not ok.all():
        bad = array[~np.broadcast_to(ok, array.shape[: ok.ndim])] if ok.ndim else array
        shown = np.array2string(np.asarray(bad).ravel()[:4], precision=4, separator=", ")
        where = f" ({what})" if what else ""
        raise ValueError(
            f"{what_value} must be {constraint}{where}, got {shown}{' ...' if np.size(bad) > 4 else ''}"
            f"{_HINTS.get(id(constraint), '')}; pass validate_args=False to skip this check"
        )


_HINTS = {
    id(constraints.positive): " (keep a learned scale positive with exp(raw) or softplus(raw))",
    id(constraints.unit_interval): " (for unnormalised scores pass logits= instead of probs=)",
    id(constraints.simplex): " (normalise with softmax, or pass logits=)",
}


def broadcast_all(owner: str, **values: Any) -> list[Tensor]:
    """The parameters as Tensors of one float dtype (the Tensors' own, else float64) broadcast to one shape,
    as torch's ``broadcast_all``; numbers become constants, Tensors keep their graph (``expand``)."""
    dtypes = [v.dtype for v in values.values() if isinstance(v, Tensor) and v.dtype.kind == "f"]
    dtype = np.result_type(*dtypes) if dtypes else np.dtype(np.float64)
    tensors = []
    for name, v in values.items():
        if not isinstance(v, Tensor):
            array = np.asarray(v)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{owner}: {name} must be a number or a float Tensor, got {v!r}")
            v = Tensor(array.astype(dtype))
        tensors.append(as_tensor(v, dtype=dtype))
    try:
        shape = np.broadcast_shapes(*(t.shape for t in tensors))
    except ValueError:
        shapes = ", ".join(f"{n} of shape {t.shape}" for n, t in zip(values, tensors, strict=True))
        raise ValueError(f"{owner}: the parameters do not broadcast: {shapes}") from None
    return [t if t.shape == shape else t.expand(*shape) for t in tensors]
