"""Cases for the rest of torch.special (Airy, Bessel J Y K, spherical j0, gammainc, gammaincc, zeta, the orthogonal
polynomials): rows of ``primitive_cases.CASES``, so each primitive is gradchecked in float64, in float32 and to
second order. torch has no derivatives for most of them, so their rows have no torch twin: their values are
checked against torch in test_special_more.py, and ``NO_TORCH_DERIVATIVE`` says which primitives that covers.
Inputs stay inside each domain and span each method's ranges (the switches at 1e-3 and 25 for J and Y, 1 for K,
-10 and 1.5 for Ai, a + 1 for the incomplete gamma's series and continued fraction)."""

from case_kit import Case, _torch, each

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.primitives import AiryAiPrime, SphericalBesselJ1


def uniform(low, high):
    return each(lambda rng, shape: rng.uniform(low, high, shape))


# primitive -> why the torch oracle cannot check its gradient
NO_TORCH_DERIVATIVE = {
    name: "torch has no derivative for it (its values are checked against torch in test_special_more.py)"
    for name in [
        "airy_ai",
        "bessel_j0",
        "bessel_j1",
        "bessel_y0",
        "bessel_y1",
        "modified_bessel_k0",
        "modified_bessel_k1",
        "scaled_modified_bessel_k0",
        "scaled_modified_bessel_k1",
        "spherical_bessel_j0",
        "orthogonal_polynomial",
    ]
}
NO_TORCH_DERIVATIVE["airy_ai_prime"] = "torch has no Ai' (checked as Ai's derivative by finite differences)"
NO_TORCH_DERIVATIVE["spherical_bessel_j1"] = "torch has no spherical j1 (checked as -j0' by finite differences)"


def special_more_cases():
    s = ag.special
    t = _torch
    untwinned = {
        "airy_ai": (s.airy_ai, uniform(-12.0, 4.0)),
        "airy_ai_prime": (lambda x: Tensor.apply(AiryAiPrime, x), uniform(-12.0, 4.0)),
        "bessel_j0": (s.bessel_j0, uniform(-30.0, 30.0)),
        "bessel_j1": (s.bessel_j1, uniform(-30.0, 30.0)),
        "bessel_y0": (s.bessel_y0, uniform(0.5, 30.0)),
        "bessel_y1": (s.bessel_y1, uniform(0.5, 30.0)),
        "k0": (s.modified_bessel_k0, uniform(0.3, 4.0)),
        "k1": (s.modified_bessel_k1, uniform(0.3, 4.0)),
        "k0e": (s.scaled_modified_bessel_k0, uniform(0.3, 4.0)),
        "k1e": (s.scaled_modified_bessel_k1, uniform(0.3, 4.0)),
        "spherical_j0": (s.spherical_bessel_j0, uniform(-6.0, 6.0)),
        "spherical_j1": (lambda x: Tensor.apply(SphericalBesselJ1, x), uniform(-6.0, 6.0)),
        "legendre5": (lambda x: s.legendre_polynomial_p(x, 5), uniform(-1.5, 1.5)),
        "shifted_chebyshev_w4": (lambda x: s.shifted_chebyshev_polynomial_w(x, 4), uniform(-0.5, 1.5)),
    }
    twinned = {  # differentiable in torch in the argument that requires grad here
        "gammainc": (lambda x: s.gammainc(2.5, x), lambda x: t().special.gammainc(t().tensor(2.5), x), 0.5, 6.0),
        "gammaincc": (lambda x: s.gammaincc(2.5, x), lambda x: t().special.gammaincc(t().tensor(2.5), x), 0.5, 6.0),
        "zeta": (lambda q: s.zeta(3.0, q), lambda q: t().special.zeta(t().tensor(3.0), q), 0.5, 3.0),
    }
    shapes = [(), (2, 3)]
    return [
        Case(f"{name}{shape}", fn, (shape,), None, make) for name, (fn, make) in untwinned.items() for shape in shapes
    ] + [
        # torch's igamma is off by up to ~1e-9 (ours by 2e-13, against mpmath): compared at 1e-8
        Case(f"{name}{shape}", fn, (shape,), torch_fn, uniform(low, high), torch_rtol=1e-8)
        for name, (fn, torch_fn, low, high) in twinned.items()
        for shape in shapes
    ]
