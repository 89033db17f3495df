"""torch's transforms in ag.distributions, without torch: t.inv(t(x)) = x, log_abs_det_jacobian against the log
|det| of a finite-difference Jacobian (on the free coordinates of a simplex or a correlation Cholesky factor),
the codomain holding every t(x), biject_to/transform_to onto their constraints, TransformedDistribution's event
shapes with vector maps, the torch import paths, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import distributions as D
from autograd_core.distributions import constraints
from autograd_core.distributions import transforms as T
from autograd_core.distributions.transforms_structured import tril_matrix_to_vec

RNG = np.random.default_rng(0)
# name: (transform, an x, the coordinates of y the Jacobian is taken on)
BIJECTIONS = {
    "Tanh": (T.TanhTransform(), RNG.normal(size=3), lambda y: y),
    "Softplus": (T.SoftplusTransform(), RNG.normal(size=3), lambda y: y),
    "Power": (T.PowerTransform(2.5), RNG.uniform(0.5, 2.0, 3), lambda y: y),
    "Power-negative": (T.PowerTransform(-0.5), RNG.uniform(0.5, 2.0, 3), lambda y: y),
    "Compose": (T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, -2.0)]), RNG.normal(size=3), lambda y: y),
    "Affine-inverse": (T.AffineTransform(0.5, 3.0).inv, RNG.normal(size=3), lambda y: y),
    "CDF": (T.CumulativeDistributionTransform(D.Normal(0.3, 2.0)), RNG.normal(size=3), lambda y: y),
    "StickBreaking": (T.StickBreakingTransform(), RNG.normal(size=4), lambda y: y[:-1]),
    "CorrCholesky": (
        T.CorrCholeskyTransform(),
        RNG.normal(size=6),
        lambda y: tril_matrix_to_vec(ag.Tensor(y), -1).numpy(),
    ),
    "Cat": (T.CatTransform([T.ExpTransform(), T.TanhTransform()], 0, [1, 2]), RNG.normal(size=3), lambda y: y),
    "Stack": (
        T.StackTransform([T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform()]),
        RNG.normal(size=3),
        lambda y: y,
    ),
}


@pytest.mark.parametrize("name", list(BIJECTIONS))
def test_inverse_and_log_det_jacobian_against_finite_differences(name: str) -> None:
    t, x, free = BIJECTIONS[name]
    y = t(ag.Tensor(x))
    np.testing.assert_allclose(t.inv(y).numpy(), x, rtol=1e-10, atol=1e-12)
    assert np.all(np.asarray(t.codomain.check(y.numpy())))
    h = 1e-6
    columns = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e[i] = h
        columns.append((free(t(ag.Tensor(x + e)).numpy()) - free(t(ag.Tensor(x - e)).numpy())).ravel() / (2 * h))
    jacobian = np.stack(columns, -1)
    ladj = t.log_abs_det_jacobian(ag.Tensor(x), y).numpy()
    if t.domain.event_dim == 0:  # elementwise: one log|dy_i/dx_i| per coordinate
        np.testing.assert_allclose(ladj, np.log(np.abs(np.diag(jacobian))), rtol=1e-7, atol=1e-8)
        np.testing.assert_allclose(jacobian, np.diag(np.diag(jacobian)), atol=1e-8)
    else:
        assert float(ladj) == pytest.approx(np.linalg.slogdet(jacobian)[1], rel=1e-7, abs=1e-8)


def test_not_bijective_maps_invert_to_one_preimage() -> None:
    x = ag.Tensor([0.3, -1.0, 2.0])
    y = T.SoftmaxTransform()(x)
    np.testing.assert_allclose(T.SoftmaxTransform()(T.SoftmaxTransform().inv(y)).numpy(), y.numpy(), rtol=1e-14)
    assert T.AbsTransform()(x).tolist() == [0.3, 1.0, 2.0] and not T.AbsTransform().bijective
    lower = T.LowerCholeskyTransform()(ag.Tensor(RNG.normal(size=(2, 3, 3))))
    assert np.all(np.asarray(constraints.lower_cholesky.check(lower.numpy())))
    pd = T.PositiveDefiniteTransform()(ag.Tensor(RNG.normal(size=(3, 3))))
    assert bool(constraints.positive_definite.check(pd.numpy()))
    np.testing.assert_allclose(T.PositiveDefiniteTransform()(T.PositiveDefiniteTransform().inv(pd)).numpy(), pd.numpy())


@pytest.mark.parametrize(
    "constraint",
    [
        constraints.real,
        constraints.positive,
        constraints.greater_than(2.0),
        constraints.unit_interval,
        constraints.interval(-1.0, 3.0),
        constraints.simplex,
        constraints.lower_cholesky,
        constraints.positive_definite,
        constraints.corr_cholesky,
        constraints.independent(constraints.positive, 1),
    ],
)
def test_biject_to_and_transform_to_land_in_their_constraint(constraint: constraints.Constraint) -> None:
    shape = {2: (4, 3, 3), 1: (4, 3)}.get(constraint.event_dim, (4, 3))
    if constraint is constraints.corr_cholesky:
        shape = (4, 3)  # three free coordinates: a 3 x 3 factor
    for registry in (D.biject_to, D.transform_to):
        t = registry(constraint)
        y = t(ag.Tensor(RNG.normal(size=shape)))
        assert np.all(np.asarray(constraint.check(y.numpy()))), (registry.name, constraint)
    assert type(D.biject_to(constraints.simplex)).__name__ == "StickBreakingTransform"
    assert type(D.transform_to(constraints.simplex)).__name__ == "SoftmaxTransform"


def test_optimising_a_constrained_parameter_through_transform_to() -> None:
    """The everyday use: a raw tensor, its constrained value through transform_to, gradients by the chain rule."""
    raw = ag.zeros(3, requires_grad=True)
    probs = D.transform_to(constraints.simplex)(raw)
    (probs * ag.Tensor([1.0, 0.0, 0.0])).sum().backward()
    np.testing.assert_allclose(np.asarray(raw.grad), [2 / 9, -1 / 9, -1 / 9], rtol=1e-12)


def test_a_vector_map_makes_the_base_batch_an_event() -> None:
    """Normal of batch (5, 3) through StickBreaking: batch (5,), event (4,), one log_prob per vector."""
    base = D.Normal(ag.zeros(5, 3), ag.ones(5, 3))
    d = D.TransformedDistribution(base, D.StickBreakingTransform())
    assert d.batch_shape == (5,) and d.event_shape == (4,)
    y = d.sample(generator=ag.Generator(0))
    assert y.shape == (5, 4) and np.allclose(y.numpy().sum(-1), 1.0)
    x = D.StickBreakingTransform().inv(y)
    expected = base.log_prob(x).sum(-1) - D.StickBreakingTransform().log_abs_det_jacobian(x, y)
    np.testing.assert_allclose(d.log_prob(y).numpy(), expected.numpy(), rtol=1e-12)
    # an elementwise map of a vector event still gives one number per event
    mvn = D.MultivariateNormal(ag.zeros(2), covariance_matrix=ag.eye(2))
    lognormal = D.TransformedDistribution(mvn, D.ExpTransform())
    assert lognormal.log_prob(ag.Tensor([[1.0, 2.0]])).shape == (1,)


def test_torch_import_paths() -> None:
    from autograd_core.distributions.constraint_registry import biject_to
    from autograd_core.distributions.lkj_cholesky import LKJCholesky
    from autograd_core.distributions.transforms import CorrCholeskyTransform, StickBreakingTransform, identity_transform

    assert biject_to is D.biject_to and LKJCholesky is D.LKJCholesky
    assert StickBreakingTransform is D.StickBreakingTransform and CorrCholeskyTransform is D.CorrCholeskyTransform
    assert identity_transform(ag.Tensor(2.0)).item() == 2.0 and T.ExpTransform().inv.inv.__class__ is T.ExpTransform


def test_transform_errors_name_the_transform_and_the_shapes() -> None:
    with pytest.raises(ValueError, match=r"ReshapeTransform: in_shape \(4,\) and out_shape \(3,\) must hold the same"):
        T.ReshapeTransform((4,), (3,))
    with pytest.raises(ValueError, match=r"CatTransform: 2 transforms need 2 lengths, got \[1\]"):
        T.CatTransform([T.ExpTransform(), T.ExpTransform()], lengths=[1])
    with pytest.raises(
        ValueError, match=r"CatTransform: axis 0 of the value \(shape \(4,\)\) must hold sum\(lengths\) = 3"
    ):
        T.CatTransform([T.ExpTransform(), T.ExpTransform()], lengths=[1, 2])(ag.zeros(4))
    with pytest.raises(ValueError, match=r"StackTransform: axis 0 .* one slice per transform, 2"):
        T.StackTransform([T.ExpTransform(), T.ExpTransform()])(ag.zeros(3))
    with pytest.raises(ValueError, match=r"CorrCholeskyTransform: the last axis must hold n\(n-1\)/2 entries"):
        T.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(NotImplementedError, match=r"biject_to: no transform registered for .*biject_to.register"):
        D.biject_to(constraints.one_hot)
    with pytest.raises(TypeError, match=r"ComposeTransform: parts must be Transforms, got 3"):
        T.ComposeTransform([3])  # type: ignore[list-item]
    with pytest.raises(NotImplementedError, match=r"SoftmaxTransform.log_abs_det_jacobian is not implemented"):
        T.SoftmaxTransform().log_abs_det_jacobian(ag.zeros(3), ag.zeros(3))
