"""``ag.distributions``: torch.distributions' API for backprop through randomness, composed from Tensor ops.

A VAE's reparameterisation (``Normal(mu, sigma).rsample()``, differentiable in mu and sigma, and
``kl_divergence(q, p)``), REINFORCE (``Categorical(logits=...)``, ``.sample()``, ``.log_prob(a)``
differentiable in the logits, ``.entropy()``), Bernoulli decoders. Files by knowledge: ``distribution.py`` (the
base: shapes, sampling, validation), ``constraints.py`` and ``constraint_registry.py`` (``biject_to``,
``transform_to``), ``continuous.py`` (Normal, Uniform, Exponential, Laplace), ``location_scale.py`` (LogNormal,
HalfNormal, Cauchy, HalfCauchy, Gumbel), ``gamma.py`` (Gamma, Chi2, Beta, Dirichlet, StudentT, reparameterised
through ``incomplete.py``'s implicit gradient), ``gamma_relatives.py`` (InverseGamma, FisherSnedecor), ``tails.py``
(Pareto, GeneralizedPareto, Weibull, Kumaraswamy), ``exp_family.py`` (ExponentialFamily, ContinuousBernoulli),
``von_mises.py``, ``discrete.py`` (Bernoulli, Categorical, OneHotCategorical, OneHotCategoricalStraightThrough),
``counts.py`` (Poisson, Binomial, Geometric, NegativeBinomial, Multinomial), ``multivariate.py``
(MultivariateNormal, Independent), ``lowrank.py`` (LowRankMultivariateNormal, LogisticNormal), ``matrices.py``
(Wishart, LKJCholesky), ``transforms.py``, ``transforms_elementwise.py`` and ``transforms_structured.py`` (torch's
transforms, all importable from ``transforms``) and ``transformed.py`` (TransformedDistribution), ``mixture.py``
(MixtureSameFamily), ``relaxed.py`` (RelaxedBernoulli, RelaxedOneHotCategorical), ``kl.py`` (``kl_divergence``,
``register_kl``). torch's one-module-per-distribution
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
    exp_family,
    gamma,
    gamma_relatives,
    location_scale,
    lowrank,
    matrices,
    mixture,
    multivariate,
    relaxed,
    tails,
    transformed,
    transforms,
    transforms_elementwise,
    transforms_structured,
    von_mises,
)
from .constraint_registry import biject_to, transform_to
from .continuous import Exponential, Laplace, Normal, Uniform
from .counts import Binomial, Geometric, Multinomial, NegativeBinomial, Poisson
from .discrete import Bernoulli, Categorical, OneHotCategorical, OneHotCategoricalStraightThrough
from .distribution import Distribution
from .exp_family import ContinuousBernoulli, ExponentialFamily
from .gamma import Beta, Chi2, Dirichlet, Gamma, StudentT
from .gamma_relatives import FisherSnedecor, InverseGamma
from .kl import kl_divergence, register_kl
from .location_scale import Cauchy, Gumbel, HalfCauchy, HalfNormal, LogNormal
from .lowrank import LogisticNormal, LowRankMultivariateNormal
from .matrices import LKJCholesky, Wishart
from .mixture import MixtureSameFamily
from .multivariate import Independent, MultivariateNormal
from .relaxed import RelaxedBernoulli, RelaxedOneHotCategorical
from .tails import GeneralizedPareto, Kumaraswamy, Pareto, Weibull
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
from .von_mises import VonMises

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "CatTransform",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ComposeTransform",
    "ContinuousBernoulli",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "ExponentialFamily",
    "FisherSnedecor",
    "Gamma",
    "GeneralizedPareto",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "IndependentTransform",
    "InverseGamma",
    "Kumaraswamy",
    "LKJCholesky",
    "Laplace",
    "LogNormal",
    "LogisticNormal",
    "LowRankMultivariateNormal",
    "LowerCholeskyTransform",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Pareto",
    "Poisson",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "StudentT",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "VonMises",
    "Weibull",
    "Wishart",
    "biject_to",
    "identity_transform",
    "transform_to",
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
    "continuous_bernoulli": exp_family,
    "exp_family": exp_family,
    "fishersnedecor": gamma_relatives,
    "inverse_gamma": gamma_relatives,
    "generalized_pareto": tails,
    "kumaraswamy": tails,
    "pareto": tails,
    "weibull": tails,
    "lkj_cholesky": matrices,
    "wishart": matrices,
    "logistic_normal": lowrank,
    "lowrank_multivariate_normal": lowrank,
    "von_mises": von_mises,
}
# torch.distributions.transforms holds every transform: here three files do, so the first one names them all
for _module in (transforms_elementwise, transforms_structured):
    for _name in _module.__all__:
        setattr(transforms, _name, getattr(_module, _name))
for _name, _module in TORCH_MODULES.items():
    globals()[_name] = _module
    sys.modules[f"{__name__}.{_name}"] = _module
