"""``ag.distributions``: torch.distributions' API for backprop through randomness, composed from Tensor ops.

A VAE's reparameterisation (``Normal(mu, sigma).rsample()``, differentiable in mu and sigma, and
``kl_divergence(q, p)``), REINFORCE (``Categorical(logits=...)``, ``.sample()``, ``.log_prob(a)``
differentiable in the logits, ``.entropy()``), Bernoulli decoders. Files by knowledge: ``distribution.py`` (the
base: shapes, sampling, validation), ``constraints.py``, ``continuous.py`` (Normal, Uniform, Exponential,
Laplace), ``location_scale.py`` (LogNormal, HalfNormal, Cauchy, HalfCauchy, Gumbel), ``gamma.py`` (Gamma, Chi2, Beta,
Dirichlet, StudentT), ``discrete.py`` (Bernoulli, Categorical, OneHotCategorical), ``counts.py`` (Poisson,
Binomial, Geometric, NegativeBinomial, Multinomial), ``multivariate.py`` (MultivariateNormal, Independent),
``transforms.py`` (ExpTransform, AffineTransform, SigmoidTransform) and ``transformed.py``
(TransformedDistribution), ``mixture.py`` (MixtureSameFamily), ``relaxed.py`` (RelaxedBernoulli,
RelaxedOneHotCategorical), ``kl.py`` (``kl_divergence``, ``register_kl``). torch's one-module-per-distribution
paths name the same classes:
``ag.distributions.normal.Normal``, ``from autograd_core.distributions.categorical import Categorical``.

>>> import autograd_core as ag
>>> logits = ag.zeros(2, requires_grad=True)
>>> pi = ag.distributions.Categorical(logits=logits)
>>> (-pi.log_prob(ag.tensor(1)) * 1.0).backward()  # REINFORCE with reward 1 for arm 1
>>> logits.grad.tolist()  # -(onehot(1) - softmax(logits))
[0.5, -0.5]
"""

import sys

from . import (
    constraint_registry,
    constraints,
    continuous,
    counts,
    discrete,
    gamma,
    location_scale,
    mixture,
    multivariate,
    relaxed,
    transformed,
    transforms,
    transforms_elementwise,
    transforms_structured,
)
from .constraint_registry import biject_to, transform_to
from .continuous import Exponential, Laplace, Normal, Uniform
from .counts import Binomial, Geometric, Multinomial, NegativeBinomial, Poisson
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .gamma import Beta, Chi2, Dirichlet, Gamma, StudentT
from .kl import kl_divergence, register_kl
from .location_scale import Cauchy, Gumbel, HalfCauchy, HalfNormal, LogNormal
from .mixture import MixtureSameFamily
from .multivariate import Independent, MultivariateNormal
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed import TransformedDistribution
from .transforms import AffineTransform, ComposeTransform, ExpTransform, SigmoidTransform, Transform, identity_transform
from .transforms_elementwise import (
    AbsTransform,
    CumulativeDistributionTransform,
    PowerTransform,
    SoftplusTransform,
    TanhTransform,
)
from .transforms_structured import (
    CatTransform,
    CorrCholeskyTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    ReshapeTransform,
    SoftmaxTransform,
    StackTransform,
    StickBreakingTransform,
)

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "CatTransform",
    "ComposeTransform",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "ExpTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "TanhTransform",
    "Transform",
    "biject_to",
    "identity_transform",
    "transform_to",
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "Laplace",
    "LogNormal",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "Poisson",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "StudentT",
    "TransformedDistribution",
    "Uniform",
    "constraint_registry",
    "constraints",
    "transforms",
    "kl_divergence",
    "register_kl",
]

# torch's module per distribution (torch.distributions.normal.Normal, ...): here the files group distributions by
# knowledge, so each torch name is an alias of the file that holds its class (importable as a submodule too)
TORCH_MODULES = {
    "normal": continuous,
    "uniform": continuous,
    "exponential": continuous,
    "laplace": continuous,
    "bernoulli": discrete,
    "categorical": discrete,
    "one_hot_categorical": discrete,
    "beta": gamma,
    "chi2": gamma,
    "studentT": gamma,
    "dirichlet": gamma,
    "transformed_distribution": transformed,
    "mixture_same_family": mixture,
    "relaxed_bernoulli": relaxed,
    "relaxed_categorical": relaxed,
    "multivariate_normal": multivariate,
    "independent": multivariate,
    "log_normal": location_scale,
    "half_normal": location_scale,
    "cauchy": location_scale,
    "gumbel": location_scale,
    "half_cauchy": location_scale,
    "poisson": counts,
    "binomial": counts,
    "geometric": counts,
    "negative_binomial": counts,
    "multinomial": counts,
}
# torch.distributions.transforms holds every transform: here three files do, so the first one names them all
for _module in (transforms_elementwise, transforms_structured):
    for _name in _module.__all__:
        setattr(transforms, _name, getattr(_module, _name))
for _name, _module in TORCH_MODULES.items():
    globals()[_name] = _module
    sys.modules[f"{__name__}.{_name}"] = _module
