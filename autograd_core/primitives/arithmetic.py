"""Arithmetic: + - * / and **, the operators of every expression."""
from . import _BROADCAST_HINT, Primitive, call


class Add(Primitive):
    """x + y. d/dx = 1, d/dy = 1: the gradient passes through unchanged."""
    hint = _BROADCAST_HINT

    forward_code = "add({x0}, {x1}{into})"
    vjp_code = ("{g}", "{g}")

    @staticmethod
    def forward(x, y):
        return x + y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g


class Sub(Primitive):
    """x - y. A primitive (not add(neg)) to halve the per-op overhead."""
    hint = _BROADCAST_HINT

    forward_code = "subtract({x0}, {x1}{into})"
    vjp_code = ("{g}", "negative({g}{into})")

    @staticmethod
    def forward(x, y):
        return x - y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g if i == 0 else -g


class Mul(Primitive):
    """x * y. d/dx = y, d/dy = x."""
    hint = _BROADCAST_HINT

    forward_code = "multiply({x0}, {x1}{into})"
    vjp_code = ("multiply({g}, {x1}{into})", "multiply({g}, {x0}{into})")

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g * y if i == 0 else g * x


class Div(Primitive):
    """x / y. d/dx = 1/y, d/dy = -x/y**2 = -out/y. A primitive for per-op overhead."""
    hint = _BROADCAST_HINT

    forward_code = "true_divide({x0}, {x1}{into})"
    vjp_code = ("true_divide({g}, {x1}{into})", None)

    @staticmethod
    def forward(x, y):
        return x / y

    @staticmethod
    def vjp(i, g, out, x, y):
        return g / y if i == 0 else -g * out / y


class Neg(Primitive):
    """-x."""

    forward_code = "negative({x0}{into})"
    vjp_code = ("negative({g}{into})",)

    @staticmethod
    def forward(x):
        return -x

    @staticmethod
    def vjp(i, g, out, x):
        return -g


class Pow(Primitive):
    """x ** y. d/dx = y x**(y-1), d/dy = out log x (only computed when y needs a gradient)."""
    hint = _BROADCAST_HINT

    @staticmethod
    def forward(x, y):
        return x ** y

    @staticmethod
    def vjp(i, g, out, x, y):
        if i == 0:
            return g * y * x ** (y - 1)
        return g * out * call(Log, x)


from .elementwise import Log  # Pow's vjp; imported last, so registration follows the files' order
