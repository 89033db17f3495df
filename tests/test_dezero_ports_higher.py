"""DeZero ("Deep Learning from Scratch 3"), stage 3 (steps 23-36) ported: the optimisation test functions
(sphere, matyas, Goldstein-Price), the Goldstein-Price graph drawn with ``viz`` (step 26), the Taylor series
of sin (27), Rosenbrock by gradient descent (28), Newton's method with a hand-written and then a
backpropagated second derivative (29, 33), higher-order derivatives of sin and tanh and the graph of the
n-th derivative of tanh (34-35), double backprop (36). Steps 1-22: test_dezero_ports.py.

The book's numbers, asserted: sphere at (1, 1): (2, 2); matyas: (0.040000000000000036, same); Goldstein-Price
at (1, 1): (-5376, 8064); my_sin(pi/4) = 0.7071064695751781 with slope 0.7071032148228457; Rosenbrock at
(0, 2): (-2, 400); Newton on y = x^4 - 2x^2 from 2.0: 1.4545454545454546, 1.1510467893775467, ... 1.0 after
7 steps; sin's 2nd-4th derivatives at 1; z = gx^3 + y at x = 2: dz/dx = 100.

Where the book's spelling differs here (deliberate designs, kept):
- ``y.backward(create_graph=True); gx = x.grad; gx.backward()`` — here ``.grad`` is always a plain array of
  values (README: "after loss.backward(create_graph=True) the .grad arrays are values only"), so a gradient to
  differentiate again is taken with ``(gx,) = ag.grad(y, x, create_graph=True)``, as JAX's ``grad(grad(f))``.
  The book's ``x.cleargrad()`` between the passes is then not needed.
- DeZero's ``plot_dot_graph(y, verbose=False, to_file=...)`` is ``viz.render_graph(y, path)``; the default
  picture stops at 200 boxes with a note of what is hidden, ``full=True`` draws the whole graph as the book does.

What the port needed:
- ``viz.render_graph(g, full=True)`` on the 6th derivative of tanh (348 tensors, ~700 boxes) spent 47 s of
  dot's time placing x coordinates (network simplex over 23,404 virtual nodes of the long edges out of tanh;
  44.5 s of CPU in all); past 300 boxes viz now bounds that search (``nslimit=2``): 2.2 s there, 10.3 s in all.
"""

import math

import numpy as np
import pytest
from dezero_helpers import goldstein, matyas, numerical_diff, rosenbrock, sphere

import autograd_core as ag
import viz
from viz.drawing import BOUNDED_PLACEMENT_UNITS


def leaf(value, label=None):
    return ag.Tensor(float(value), requires_grad=True, label=label)


# ---------------------------------------------------------------- step 24: optimisation test functions
@pytest.mark.parametrize(
    "f, value, grads",
    [
        (sphere, 2.0, (2.0, 2.0)),
        (matyas, 0.04000000000000001, (0.040000000000000036, 0.040000000000000036)),
        (goldstein, 1876.0, (-5376.0, 8064.0)),
    ],
)
def test_step_24_sphere_matyas_goldstein_price_at_1_1(f, value, grads):
    x, y = leaf(1.0), leaf(1.0)
    z = f(x, y)
    z.backward()
    assert z.item() == pytest.approx(value, rel=1e-12)
    assert (x.grad, y.grad) == (pytest.approx(grads[0], rel=1e-12), pytest.approx(grads[1], rel=1e-12))
    assert x.grad == pytest.approx(numerical_diff(lambda t: f(t, ag.Tensor(1.0)), x), rel=1e-6)
    assert ag.gradcheck(f, [leaf(0.3), leaf(-0.7)])
    torch = pytest.importorskip("torch")
    tx, ty = (torch.tensor(1.0, dtype=torch.float64, requires_grad=True) for _ in range(2))
    f(tx, ty).backward()
    assert (tx.grad.item(), ty.grad.item()) == (x.grad, y.grad)


def test_step_26_the_goldstein_price_graph_renders_with_dot(tmp_path):
    x, y = leaf(1.0, "x"), leaf(1.0, "y")
    z = goldstein(x, y)
    z.label = "z"
    viz.backward_all(z)
    source = viz.draw_graph(z).source
    assert "<b>x</b>" in source and "<b>y</b>" in source and "<b>z</b>" in source
    assert "grad -5376<" in source and "grad 8064<" in source  # the book's dx and dy, on their nodes
    ops = [t.op for t in ag.walk(z) if t.op]
    assert len(ops) > 30 and {"add", "sub", "mul", "pow"} <= set(ops)  # measured: 38 ops
    svg = viz.render_graph(z, tmp_path / "goldstein.svg").read_text()
    assert svg.count('class="node"') >= len(ops) and "5376" in svg


# ---------------------------------------------------------------- step 27: Taylor series of sin
def my_sin(x, threshold=0.0001):
    y = 0
    for i in range(100000):
        c = (-1) ** i / math.factorial(2 * i + 1)
        t = c * x ** (2 * i + 1)
        y = y + t
        if abs(t.data) < threshold:
            break
    return y


def test_step_27_taylor_sin_prints_the_book_s_value_and_slope():
    x = leaf(np.pi / 4)
    y = my_sin(x)
    y.backward()
    assert y.item() == 0.7071064695751781 and x.grad == pytest.approx(0.7071032148228457, rel=1e-15)
    x = leaf(np.pi / 4)
    y = my_sin(x, threshold=1e-150)  # more terms: the exact sin and cos, and a bigger graph
    y.backward()
    assert y.item() == pytest.approx(np.sin(np.pi / 4), rel=1e-15) and x.grad == pytest.approx(np.cos(np.pi / 4))
    assert len(list(ag.walk(y))) > 200  # measured: 237 tensors


# ---------------------------------------------------------------- step 28: Rosenbrock by gradient descent
def rosenbrock_descent_by_hand(iters, lr=0.001):
    x0, x1 = 0.0, 2.0
    for _ in range(iters):
        g0, g1 = -400 * x0 * (x1 - x0**2) + 2 * (x0 - 1), 200 * (x1 - x0**2)  # the closed-form gradient
        x0, x1 = x0 - lr * g0, x1 - lr * g1
    return x0, x1


def test_step_28_rosenbrock_gradient_and_gradient_descent_towards_1_1():
    x0, x1 = leaf(0.0), leaf(2.0)
    rosenbrock(x0, x1).backward()
    assert (x0.grad, x1.grad) == (-2.0, 400.0)
    path = []
    for i in range(10000):
        x0.grad = x1.grad = None  # the book's cleargrad
        rosenbrock(x0, x1).backward()
        with ag.no_grad():
            x0 -= 0.001 * x0.grad
            x1 -= 0.001 * x1.grad
        if i + 1 in (1000, 10000):
            path.append((x0.item(), x1.item()))
    for iters, got in zip((1000, 10000), path):
        np.testing.assert_allclose(got, rosenbrock_descent_by_hand(iters), rtol=1e-12)
    assert path[0] == pytest.approx((0.6837, 0.4660), abs=1e-4)  # measured: still far from (1, 1)
    assert path[1] == pytest.approx((0.9945, 0.9890), abs=1e-4)  # measured: 0.99450, 0.98901


# ---------------------------------------------------------------- steps 29, 33: Newton's method
NEWTON_FROM_2 = [
    2.0,
    1.4545454545454546,
    1.1510467893775467,
    1.0253259289766978,
    1.0009084519430513,
    1.0000012353089454,
    1.000000000002289,
    1.0,
]


def test_step_29_newton_with_the_hand_written_second_derivative():
    x = leaf(2.0)
    seen = []
    for _ in range(8):
        seen.append(x.item())
        y = x**4 - 2 * x**2
        x.grad = None
        y.backward()
        with ag.no_grad():
            x -= x.grad / (12 * x.item() ** 2 - 4)  # the book's gx2 by hand
    assert seen == pytest.approx(NEWTON_FROM_2, rel=1e-15, abs=0)


def test_step_33_newton_with_the_second_derivative_by_backprop_converges_in_7_steps():
    x = leaf(2.0)
    seen = []
    for _ in range(10):
        seen.append(x.item())
        y = x**4 - 2 * x**2
        (gx,) = ag.grad(y, x, create_graph=True)
        (gx2,) = ag.grad(gx, x)
        with ag.no_grad():
            x -= gx / gx2
    assert seen[:8] == pytest.approx(NEWTON_FROM_2, rel=1e-15, abs=0)
    assert seen[7:] == [1.0, 1.0, 1.0]  # step 7 reaches the minimum and stays
    assert gx2.item() == pytest.approx(12 - 4)
    torch = pytest.importorskip("torch")
    t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(t**4 - 2 * t**2, t, create_graph=True)
    (tg2,) = torch.autograd.grad(tg, t)
    assert (tg.item(), tg2.item()) == (24.0, 44.0)
    x = leaf(2.0)
    (g,) = ag.grad(x**4 - 2 * x**2, x, create_graph=True)
    assert (g.item(), ag.grad(g, x)[0].item()) == (24.0, 44.0)


# ---------------------------------------------------------------- steps 34-36: higher order, double backprop
def test_step_34_derivatives_of_sin_at_1():
    x = leaf(1.0)
    g = ag.sin(x)
    seen = []
    for _ in range(4):
        (g,) = ag.grad(g, x, create_graph=True)
        seen.append(g.item())
    assert seen == pytest.approx([np.cos(1.0), -0.8414709848078965, -0.5403023058681398, 0.8414709848078965])
    xs = ag.Tensor(np.linspace(-7, 7, 200), requires_grad=True)  # the book's plot of sin and 3 derivatives
    curves, g = [ag.sin(xs).data], ag.sin(xs).sum()
    for _ in range(3):
        (g,) = ag.grad(g, xs, create_graph=True)
        curves.append(g.data)
        g = g.sum()
    want = [np.sin(xs.data), np.cos(xs.data), -np.sin(xs.data), -np.cos(xs.data)]
    np.testing.assert_allclose(np.array(curves), np.array(want), atol=1e-12)


def tanh_derivatives(n):
    x = leaf(1.0, "x")
    g, graphs = ag.tanh(x), []
    for i in range(n):
        (g,) = ag.grad(g, x, create_graph=True)
        g.label = f"gx{i + 1}"
        graphs.append(g)
    return graphs


def test_step_35_the_nth_derivative_of_tanh_is_right_and_its_graph_grows():
    graphs = tanh_derivatives(6)
    t = np.tanh(1.0)
    closed = [1 - t**2, -2 * t * (1 - t**2), (1 - t**2) * (6 * t**2 - 2)]  # d/dx tanh = 1 - tanh^2, ...
    assert [g.item() for g in graphs[:3]] == pytest.approx(closed, rel=1e-12)
    sizes = [len(list(ag.walk(g))) for g in graphs]
    assert sizes == sorted(sizes) and sizes[-1] > 40 * sizes[0]  # measured: 7, 10, 24, 56, 136, 348
    torch = pytest.importorskip("torch")
    tx = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    tg = torch.tanh(tx)
    for g in graphs:
        (tg,) = torch.autograd.grad(tg, tx, create_graph=True)
        assert g.item() == pytest.approx(tg.item(), rel=1e-12)


def test_step_35_viz_draws_the_6th_derivative_legibly_and_bounds_dot_s_search_on_the_full_graph(tmp_path):
    gx6 = tanh_derivatives(6)[-1]
    source = viz.draw_graph(gx6).source  # the default: 200 boxes and a note of what is hidden
    assert "more tensors hidden" in source and "full=True" in source and "nslimit" not in source
    assert "<b>x</b>" in source and "<b>gx6</b>" in source
    svg = viz.render_graph(gx6, tmp_path / "tanh6.svg").read_text()
    assert "gx6" in svg and "more tensors hidden" in svg
    full = viz.draw_graph(gx6, full=True).source
    boxes = full.count("[label")
    assert boxes > BOUNDED_PLACEMENT_UNITS and "nslimit=2" in full and "hidden" not in full
    small = viz.draw_graph(tanh_derivatives(2)[-1], full=True).source
    assert "nslimit" not in small  # small pictures are laid out exactly as before


def test_step_36_double_backprop_z_equals_gx_cubed_plus_y_gives_100():
    x = leaf(2.0)
    y = x**2
    (gx,) = ag.grad(y, x, create_graph=True)
    z = gx**3 + y
    z.backward()
    assert (gx.item(), z.item(), x.grad) == (4.0, 68.0, 100.0)  # dz/dx = 3 (2x)^2 2 + 2x = 24x^2 + 2x
    assert ag.gradcheck(lambda t: ag.grad(t**2, t, create_graph=True)[0] ** 3 + t**2, leaf(2.0))


def test_step_36_the_hessian_vector_product_by_double_backprop():
    # The book's application: H v = grad(grad(f) . v), without forming H.
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    x, v = ag.Tensor([1.0, 2.0], requires_grad=True), np.array([4.0, 5.0])

    def f(t):
        return (t * (ag.Tensor(A) @ t)).sum() + (t**3).sum()  # Hessian 2A + diag(6x)

    (g,) = ag.grad(f(x), x, create_graph=True)
    (hv,) = ag.grad((g * ag.Tensor(v)).sum(), x)
    want = (2 * A + np.diag(6 * x.data)) @ v
    np.testing.assert_allclose(hv.data, want, rtol=1e-14)
    np.testing.assert_allclose(ag.hvp(f, ag.Tensor(x.data), ag.Tensor(v))[1].data, want, rtol=1e-14)
