"""Cases for the torch.linalg decompositions (det, slogdet, inv, solve, cholesky, qr, eigh, svd), matrix_exp, pinv, lu,
and the gamma-family special functions (lgamma, digamma, polygamma, erfinv): rows of ``primitive_cases.CASES``, so
each is gradchecked in float64, in float32, to second order and against torch.

Inputs stay where the functions are smooth: well-conditioned matrices (a random one plus n I), symmetric
positive-definite ones built inside the case (A A^T + n I, so the finite differences stay symmetric, as the
primitive reads one triangle), symmetric matrices with distinct eigenvalues, and losses that do not depend on an
eigenvector's (singular vector's) arbitrary sign (its square, or U diag V^T).
"""

import numpy as np
from case_kit import Case, _torch, each, generators, normal

import autograd_core as ag


def well_conditioned(rng, shape):
    """Random (..., n, n) matrices plus n I: far from singular."""
    return rng.standard_normal(shape) + shape[-1] * np.eye(shape[-1])


def positive_or_fractional_negative(rng, shape):
    """Values in (0.2, 6), or in (-3, 0) at least 0.2 from an integer (lgamma's and digamma's poles)."""
    positive = rng.uniform(0.2, 6.0, shape)
    negative = -rng.integers(0, 3, shape) - rng.uniform(0.2, 0.8, shape)
    return np.where(rng.random(shape) < 0.7, positive, negative)


def _spd(a):
    """A A^T + n I, in a's own dtype (float32 stays float32) and library (ag or torch)."""
    n = a.shape[-1]
    eye = np.eye(n, dtype=a.dtype) if isinstance(a, ag.Tensor) else _torch().eye(n, dtype=a.dtype)
    return a @ a.mT + n * eye


def _symmetric(a):
    return a + a.mT


def _weights(a):
    """1, 2, ..., n for a's n columns, in a's dtype and library: a loss that tells the columns apart."""
    n = a.shape[-1]
    return (
        np.arange(1.0, n + 1.0, dtype=a.dtype)
        if isinstance(a, ag.Tensor)
        else _torch().arange(1.0, n + 1.0, dtype=a.dtype)
    )


def _eigh_loss(a, linalg):
    values, vectors = linalg.eigh(_symmetric(a))
    return (vectors * vectors) * _weights(vectors) + values[..., None, :]


def _svd_loss(a, linalg):
    u, s, vh = linalg.svd(a, full_matrices=False)
    return ((u * u) * s[..., None, :]).sum(-2) + ((vh * vh) * _weights(vh)).sum(-1) + s


def _qr_loss(a, linalg):
    q, r = linalg.qr(a)
    return (q * _weights(q)).sum(-2) + (r * r).sum(-1)[..., :1]


def linalg_cases():
    t = _torch
    well = each(well_conditioned)
    return [
        Case("det(4,4)", ag.linalg.det, ((4, 4),), lambda a: t().linalg.det(a), well),
        Case("det(2,3,3)", ag.linalg.det, ((2, 3, 3),), lambda a: t().linalg.det(a)),
        Case(
            "slogdet(2,3,3)",
            lambda a: ag.linalg.slogdet(a).logabsdet,
            ((2, 3, 3),),
            lambda a: t().linalg.slogdet(a).logabsdet,
        ),
        Case("inv(3,3)", ag.linalg.inv, ((3, 3),), lambda a: t().linalg.inv(a), well),
        Case("inv(2,4,4)", ag.linalg.inv, ((2, 4, 4),), lambda a: t().linalg.inv(a), well),
        Case(
            "solve(3,3)(3,2)",
            ag.linalg.solve,
            ((3, 3), (3, 2)),
            lambda a, b: t().linalg.solve(a, b),
            generators(well_conditioned, normal),
        ),
        Case(
            "solve_vector(2,3,3)(2,3)",
            ag.linalg.solve,
            ((2, 3, 3), (2, 3)),
            lambda a, b: t().linalg.solve(a, b),
            generators(well_conditioned, normal),
        ),
        Case(
            "solve_broadcast(3,3)(2,3,2)",
            ag.linalg.solve,
            ((3, 3), (2, 3, 2)),
            lambda a, b: t().linalg.solve(a, b),
            generators(well_conditioned, normal),
        ),
        Case("cholesky(3,3)", lambda a: ag.linalg.cholesky(_spd(a)), ((3, 3),), lambda a: t().linalg.cholesky(_spd(a))),
        Case(
            "cholesky(2,4,4)",
            lambda a: ag.linalg.cholesky(_spd(a)),
            ((2, 4, 4),),
            lambda a: t().linalg.cholesky(_spd(a)),
        ),
        Case("eigh(3,3)", lambda a: _eigh_loss(a, ag.linalg), ((3, 3),), lambda a: _eigh_loss(a, t().linalg)),
        Case("eigh(2,4,4)", lambda a: _eigh_loss(a, ag.linalg), ((2, 4, 4),), lambda a: _eigh_loss(a, t().linalg)),
        Case(
            "eigvalsh(3,3)",
            lambda a: ag.linalg.eigvalsh(_symmetric(a)),
            ((3, 3),),
            lambda a: t().linalg.eigvalsh(_symmetric(a)),
        ),
        Case("svd(3,3)", lambda a: _svd_loss(a, ag.linalg), ((3, 3),), lambda a: _svd_loss(a, t().linalg)),
        Case("svd_tall(2,4,3)", lambda a: _svd_loss(a, ag.linalg), ((2, 4, 3),), lambda a: _svd_loss(a, t().linalg)),
        Case("svd_wide(3,5)", lambda a: _svd_loss(a, ag.linalg), ((3, 5),), lambda a: _svd_loss(a, t().linalg)),
        Case("qr(3,3)", lambda a: _qr_loss(a, ag.linalg), ((3, 3),), lambda a: _qr_loss(a, t().linalg)),
        Case("qr_tall(2,4,3)", lambda a: _qr_loss(a, ag.linalg), ((2, 4, 3),), lambda a: _qr_loss(a, t().linalg)),
        Case("qr_wide(3,5)", lambda a: _qr_loss(a, ag.linalg), ((3, 5),), lambda a: _qr_loss(a, t().linalg)),
        Case("svdvals(4,2)", ag.linalg.svdvals, ((4, 2),), lambda a: t().linalg.svdvals(a)),
        # matrix_exp and pinv (primitives/matrix_functions.py); pinv away from rank changes (random full rank)
        Case("matrix_exp(3,3)", ag.linalg.matrix_exp, ((3, 3),), lambda a: t().linalg.matrix_exp(a)),
        Case("matrix_exp(2,4,4)", ag.linalg.matrix_exp, ((2, 4, 4),), lambda a: t().linalg.matrix_exp(a)),
        Case(
            "lu_factor(2,3,3)", lambda a: ag.linalg.lu_factor(a).LU, ((2, 3, 3),), lambda a: t().linalg.lu_factor(a).LU
        ),
        Case("pinv_tall(2,4,3)", ag.linalg.pinv, ((2, 4, 3),), lambda a: t().linalg.pinv(a)),
        Case("pinv_wide(3,5)", ag.linalg.pinv, ((3, 5),), lambda a: t().linalg.pinv(a)),
        Case(
            "pinv_hermitian(3,3)",
            lambda a: ag.linalg.pinv(_symmetric(a), hermitian=True),
            ((3, 3),),
            lambda a: t().linalg.pinv(_symmetric(a), hermitian=True),
        ),
    ]


def special_cases():
    t = _torch
    return [
        # torch's trigamma and higher polygammas (our digamma's and polygamma's gradients) are off by up to 4e-10
        # (against mpmath; ours by 2e-16): their rows compare at 1e-8, test_special_gamma.py checks ours exactly
        Case(f"{name}{shape}", fn, (shape,), torch_fn, make, torch_rtol=None if name in ("lgamma", "erfinv") else 1e-8)
        for name, fn, torch_fn, make in [
            ("lgamma", ag.lgamma, lambda x: t().lgamma(x), each(positive_or_fractional_negative)),
            ("digamma", ag.digamma, lambda x: t().digamma(x), each(positive_or_fractional_negative)),
            (
                "trigamma",
                lambda x: ag.polygamma(1, x),
                lambda x: t().polygamma(1, x),
                each(positive_or_fractional_negative),
            ),
            (
                "polygamma3",
                lambda x: ag.polygamma(3, x),
                lambda x: t().polygamma(3, x),
                each(lambda rng, s: rng.uniform(0.3, 4.0, s)),
            ),
            ("erfinv", ag.erfinv, lambda x: t().erfinv(x), each(lambda rng, s: rng.uniform(-0.95, 0.95, s))),
        ]
        for shape in [(), (2, 3)]
    ]
