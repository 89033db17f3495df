"""The language of a primitive's lowering (its ``forward_code`` / ``vjp_code``, see ``Primitive``): the names
lowered code may call, how a template becomes code, and the check that a template gives exactly what the
primitive's own ``forward`` / ``vjp`` give. ``ag.compile`` (replay.py) writes its plans in it.
"""

import functools
import inspect
import string

import numpy as np

# What lowered code may call: numpy's names (add, matmul, maximum.reduce, inf...).
NAMESPACE = {name: value for name, value in vars(np).items() if not name.startswith("_")}
_EDGES = np.array([-np.inf, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan])


def template_fields(template):
    """The fields a template fills.

    >>> sorted(template_fields("multiply({g}, {x0}{into})"))
    ['g', 'into', 'x0']
    """
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def as_code(template, name, values):
    """A template as code that sets ``name``: an expression assigned to it, or lines that set {y}.

    >>> as_code("exp({x0}{into})", "t1", dict(x0="a0", into=""))
    't1 = exp(a0)'
    """
    code = template.format(y=name, **values)
    return code if "{y}" in template else f"{name} = {code}"


def faithful(prim, i=None):
    """Does prim's lowered forward (i None) or vjp for input i give exactly the primitive's results, NaN,
    +-0 and +-inf included? Checked once per version of its code, for lowerings without params.

    >>> from autograd_core.primitives import Exp
    >>> faithful(Exp), faithful(Exp, 0)
    (True, True)
    """
    return _faithful(prim, i, prim.forward, prim.vjp, prim.forward_code, prim.vjp_code)


@functools.cache
def _faithful(prim, i, *code):
    # the inputs counted on vjp(i, g, out, *inputs), always a Python function (a forward may be a ufunc)
    xs = [f"x{k}" for k in range(len(inspect.signature(prim.vjp).parameters) - 3)]
    code = prim.forward_code
    if code is None or callable(code) or not template_fields(code) <= {"into", "dest", "y", *xs}:  # a chooser: params
        return code is not None
    for edges in (_EDGES, _EDGES[_EDGES != 0]):  # without zeros too: a kink's fast path
        values = {x: np.roll(edges, 3 * k) for k, x in enumerate(xs)}
        with np.errstate(all="ignore"):
            out = prim.forward(*values.values())
            template = code if i is None else prim.lowered_vjp(i, out, *values.values())
            if template is None:
                return True  # nothing lowered for these inputs: nothing to check
            names = dict(NAMESPACE, g=np.roll(edges, 5), out=out, vjp=functools.partial(prim.vjp, i), **values)
            names["dest"] = np.full_like(out, np.nan)  # a buffer holding another result's values
            filled = dict(zip(xs, xs), g="g", out="out", into="", dest="dest", vjp=f"vjp(g, out, {', '.join(xs)})")
            exec(compile(as_code(template, "y", filled), "<lowering>", "exec"), names)  # noqa: S102
            got, want = names["y"], out if i is None else prim.vjp(i, names["g"], out, *values.values())
        if not (np.array_equal(got, want, equal_nan=True) and (np.signbit(got) == np.signbit(want)).all()):
            return False
    return True


faithful.cache_clear = _faithful.cache_clear  # type: ignore[attr-defined]  # tests reset the check
