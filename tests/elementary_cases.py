"""Cases for the elementary functions (tan, the hyperbolic and inverse functions, exp2, cbrt: primitives/trig.py)
and the Bessel and error-function relatives of torch.special (i0 i0e i1 i1e erfcx ndtri): rows of
``primitive_cases.CASES``, so each is gradchecked in float64, in float32, to second order and against torch.
Inputs stay inside each domain and away from its edges (+-1 for arcsin, 1 for arccosh, 0 for cbrt and the kink
of i0e) and from tan's poles."""

from case_kit import SAME, Case, _torch, away_from_zero, each, normal

import autograd_core as ag


def uniform(low, high):
    return each(lambda rng, shape: rng.uniform(low, high, shape))


def _torch_cbrt(x):  # torch has no cbrt: the sign times |x|**(1/3), away from 0
    return x.sign() * x.abs() ** (1 / 3)


def elementary_cases():
    t = _torch
    ops = {
        "tan": (lambda x: x.tan(), SAME, uniform(-1.3, 1.3)),
        "sinh": (lambda x: x.sinh(), SAME, each(normal)),
        "cosh": (lambda x: x.cosh(), SAME, each(normal)),
        "arcsin": (lambda x: x.arcsin(), SAME, uniform(-0.9, 0.9)),
        "arccos": (lambda x: x.acos(), SAME, uniform(-0.9, 0.9)),
        "arctan": (ag.atan, lambda x: x.atan(), each(normal)),
        "arcsinh": (lambda x: x.asinh(), SAME, each(normal)),
        "arccosh": (lambda x: ag.arccosh(x), lambda x: x.arccosh(), uniform(1.2, 4.0)),
        "arctanh": (lambda x: x.arctanh(), SAME, uniform(-0.9, 0.9)),
        "exp2": (lambda x: x.exp2(), SAME, each(normal)),
        "cbrt": (lambda x: x.cbrt(), _torch_cbrt, each(away_from_zero)),
        "i0": (lambda x: x.i0(), SAME, uniform(-10.0, 10.0)),  # both sides of 8, where the expansions change
        "i0e": (ag.special.i0e, lambda x: t().special.i0e(x), each(away_from_zero)),
        "i1": (ag.special.i1, lambda x: t().special.i1(x), uniform(-10.0, 10.0)),
        "i1e": (ag.special.i1e, lambda x: t().special.i1e(x), uniform(-10.0, 10.0)),
        "erfcx": (ag.special.erfcx, lambda x: t().special.erfcx(x), uniform(-3.0, 6.0)),
        "ndtri": (ag.special.ndtri, lambda x: t().special.ndtri(x), uniform(0.02, 0.98)),
    }
    return [
        Case(f"{name}{shape}", fn, (shape,), torch_fn, make)
        for name, (fn, torch_fn, make) in ops.items()
        for shape in [(), (2, 3)]
    ]
