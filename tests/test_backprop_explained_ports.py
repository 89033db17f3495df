"""Two classic explanations of backpropagation, ported as tests of the engine's numbers AND of what viz shows.

1. Christopher Olah, "Calculus on Computational Graphs: Backpropagation" (colah.github.io, 2015):
   e = (a + b) * (b + 1) at a = 2, b = 1, a derivative on every edge, ∂e/∂b as a sum over paths
   (1·2 + 1·3 = 5), the factoring of paths, forward- vs reverse-mode, and one reverse pass for
   "a million inputs".
2. cs231n, "Backpropagation, Intuitions" (cs231n.github.io/optimization-2): f = (x + y) z, the sigmoid
   neuron's local gradient (1 - s) s, the staged computation of (x + σ(y)) / (σ(x) + (x + y)²) with its
   hand-written staged backward as the oracle, the patterns in backward flow, gradients adding at forks
   and dW = dD Xᵀ by dimension analysis.

What viz shows is read from its public output: ``draw_graph(...).source`` (DOT: a node's label carries
its gradient, an edge label ``×(d)`` the local derivative that ``Explanation.highlight()`` puts on it) and
``str(viz.explain(root, leaf))`` (each path's product and the sum over paths, term by term).

Gap filled in viz: ``explain`` wrote only the total of the sum over paths (``∂e/∂b = 5``); it now writes
the terms (``∂e/∂b = 2 + 3 = 5``) when every path is listed and the gradient is one number
(``viz.format.format_sum``); and ``animate_backward``'s captions name the pattern a gate followed, read
from the numbers (``viz.gradients.flow_pattern``: "add distributes", "maximum routes", "mul swaps").
Gaps left (documented, not fixed here): viz draws no forward-mode picture (d/db on every node), only
reverse mode's gradients; the static picture (``draw_graph``) does not name the patterns, only the
animation does; and a path's factors between tensors (not scalars) are named by shape,
``J(5×3 ← 5×10)``, not as cs231n's ``dD Xᵀ``.
"""

import re

import numpy as np
import pytest

import autograd_core as ag
import viz
from viz.gradients import edge_vjp, flow_pattern


def scalar(value, label):
    return ag.Tensor(float(value), requires_grad=True, label=label)


def labelled(t, label):
    t.label = label
    return t


def grads_in_drawing(root):
    """{tensor name: the gradient text in its record box} of draw_graph(root)'s DOT source."""
    return dict(re.findall(r"<b>([^<]+)</b>.*?grad ([^<]+)</font>", viz.draw_graph(root).source))


def edge_labels(root, leaves):
    """{(parent name, child name): '×(d)'} for every edge on a path from root to one of ``leaves``,
    read from the DOT of draw_graph(root, highlight=...) with explain's labels."""
    highlight = {}
    for leaf in leaves:
        highlight.update(viz.explain(root, leaf).highlight())
    source = viz.draw_graph(root, highlight=highlight).source
    names = {f"t{i}": t.label or t.op for i, t in enumerate(ag.walk(root))}
    found = re.findall(r"^\t(t\d+) -> op(\d+) \[label=\"(×\([^)]*\))\"", source, flags=re.M)
    return {(names[parent], names[f"t{child}"]): label for parent, child, label in found}


def sum_line(explanation):
    return str(explanation).splitlines()[-1]


# ------------------------------------------------------------------------------------------- Olah
def olah_graph():
    a, b = scalar(2, "a"), scalar(1, "b")
    c = labelled(a + b, "c")
    d = labelled(b + 1, "d")
    return labelled(c * d, "e"), {"a": a, "b": b, "c": c, "d": d}


def test_olah_values_and_a_derivative_on_every_edge():
    e, n = olah_graph()
    assert (n["c"].item(), n["d"].item(), e.item()) == (3.0, 2.0, 6.0)
    labels = edge_labels(e, [n["a"], n["b"]])
    edges = {("c", "e"): 2, ("d", "e"): 3, ("a", "c"): 1, ("b", "c"): 1, ("b", "d"): 1}  # ∂e/∂c, ..., ∂d/∂b
    assert labels == {edge: f"×({d})" for edge, d in edges.items()}


def test_olah_sum_over_paths_for_de_db_is_1x2_plus_1x3():
    e, n = olah_graph()
    viz.backward_all(e)
    assert (float(n["a"].grad), float(n["b"].grad)) == (2.0, 5.0)
    explanation = viz.explain(e, n["b"])
    assert explanation.path_count == 2
    assert [p.local_derivatives for p in explanation.paths] == [[2.0, 1.0], [3.0, 1.0]]
    text = str(explanation)
    assert "∂e/∂b = ∂e/∂c · ∂c/∂b" in text and "= (2) · (1)" in text
    assert "∂e/∂b = ∂e/∂d · ∂d/∂b" in text and "= (3) · (1)" in text
    assert sum_line(explanation) == "sum over the 2 paths: ∂e/∂b = 2 + 3 = 5"
    assert sum_line(viz.explain(e, n["a"])) == "sum over the 1 path: ∂e/∂a = 2"  # one path: nothing to add
    shown = grads_in_drawing(e)  # reverse mode's ∂e/∂(every node), in the drawn boxes
    assert {k: shown[k] for k in "abcde"} == {"a": "2", "b": "5", "c": "2", "d": "3", "e": "1"}


def test_olah_factoring_paths_three_edges_then_three_edges_is_nine_paths():
    x = scalar(1.5, "X")
    alpha, beta, gamma, delta, epsilon, zeta = 1.0, 2.0, 3.0, 4.0, 5.0, 6.0
    y = labelled(x * alpha + x * beta + x * gamma, "Y")
    z = labelled(y * delta + y * epsilon + y * zeta, "Z")
    explanation = viz.explain(z, x)
    assert explanation.path_count == len(explanation.paths) == 9
    products = sorted(p * q for p in (alpha, beta, gamma) for q in (delta, epsilon, zeta))
    assert sorted(float(p.contribution) for p in explanation.paths) == products
    factored = (alpha + beta + gamma) * (delta + epsilon + zeta)  # the nine-term sum, factored: 6 · 15
    assert float(explanation.total) == sum(products) == factored == 90.0
    assert float(viz.explain(z, y).total) * float(viz.explain(y, x).total) == factored  # Z←Y times Y←X
    z.backward()
    assert float(x.grad) == factored
    terms = sum_line(explanation).split(" = ")[1].split(" + ")
    assert sorted(float(t) for t in terms) == products and sum_line(explanation).endswith(" = 90")


def test_olah_forward_mode_is_one_pass_per_input_reverse_mode_one_pass_for_all():
    def every_node(a, b):  # forward mode gives d(node)/d(input) for every node at once
        calls.append(1)
        c, d = a + b, b + 1
        return ag.stack([a, b, c, d, c * d])

    primals = (ag.Tensor(2.0), ag.Tensor(1.0))
    calls = []
    _, d_db = ag.jvp(every_node, primals, (ag.Tensor(0.0), ag.Tensor(1.0)))
    _, d_da = ag.jvp(every_node, primals, (ag.Tensor(1.0), ag.Tensor(0.0)))
    np.testing.assert_array_equal(d_db.numpy(), [0, 1, 1, 1, 5])  # ∂a/∂b, ∂b/∂b, ∂c/∂b, ∂d/∂b, ∂e/∂b
    np.testing.assert_array_equal(d_da.numpy(), [1, 0, 1, 0, 2])
    assert len(calls) == 2  # one forward-mode pass per input
    e, n = olah_graph()
    passes = []
    e.register_hook(lambda g: passes.append(1))
    viz.backward_all(e)  # reverse mode: ∂e/∂(every node) in one backward pass
    assert len(passes) == 1
    assert [float(n[k].grad) for k in "abcd"] == [2.0, 5.0, 2.0, 3.0]
    assert ag.jacfwd(lambda a: every_node(a, primals[1]))(primals[0]).numpy()[-1] == 2.0  # ∂e/∂a by jacfwd


def test_olah_a_million_inputs_one_backward_pass_gives_every_derivative():
    n = 1_000_000
    x = ag.Tensor(np.linspace(-1.0, 1.0, n), requires_grad=True, label="x")
    passes = []
    x.register_hook(lambda g: passes.append(g.shape))
    loss = (x * x).sum() * 0.5
    loss.register_hook(lambda g: passes.append(np.shape(g)))
    loss.backward()
    assert passes == [(), (n,)]  # the loss's gradient once, then x's: one backward pass
    np.testing.assert_array_equal(x.grad, x.numpy())  # ∂(½Σx²)/∂x_i = x_i, all n of them
    small = ag.Tensor(np.arange(6.0))  # forward mode: one jvp per input to assemble the same gradient
    calls = []

    def f(v):
        calls.append(1)
        return (v * v).sum() * 0.5

    columns = [ag.jvp(f, (small,), (ag.Tensor(np.eye(6)[i]),))[1].item() for i in range(6)]
    assert columns == list(np.arange(6.0)) and len(calls) == small.size


# ------------------------------------------------------------------------------------------ cs231n
def test_cs231n_x_plus_y_times_z():
    x, y, z = scalar(-2, "x"), scalar(5, "y"), scalar(-4, "z")
    q = labelled(x + y, "q")
    f = labelled(q * z, "f")
    viz.backward_all(f)
    assert (q.item(), f.item()) == (3.0, -12.0)
    assert [float(t.grad) for t in (x, y, z, q)] == [-4.0, -4.0, 3.0, -4.0]
    shown = grads_in_drawing(f)
    assert {k: shown[k] for k in "xyzqf"} == {"x": "-4", "y": "-4", "z": "3", "q": "-4", "f": "1"}
    assert "= (-4) · (1)" in str(viz.explain(f, x))  # ∂f/∂q = z, then the add gate's 1
    circuit = viz.draw_graph(f, style="circuit").source  # value above the wire, gradient below
    assert '<font color="#1a7f37">3</font></td></tr><tr><td port="g"><font color="#c62828">-4</font>' in circuit


def test_cs231n_sigmoid_local_gradient_is_one_minus_s_times_s():
    w = [scalar(v, f"w{i}") for i, v in enumerate((2.0, -3.0, -3.0))]
    x = [scalar(v, f"x{i}") for i, v in enumerate((-1.0, -2.0))]
    dot = labelled(w[0] * x[0] + w[1] * x[1] + w[2], "dot")
    s = labelled(dot.sigmoid(), "f")
    viz.backward_all(s)
    local = (1 - s.item()) * s.item()
    assert float(dot.grad) == pytest.approx(local, rel=1e-15) and round(local, 2) == 0.20
    path = viz.explain(s, w[0]).paths[0]
    assert path.local_derivatives[0] == pytest.approx(local, rel=1e-12)
    assert edge_labels(s, [w[0]])[("dot", "f")] == f"×({local:.4g})"
    assert [round(float(t.grad), 2) for t in (w[0], x[0], w[1], x[1], w[2])] == [-0.20, 0.39, -0.39, -0.59, 0.20]


def staged_oracle(x, y):
    """The page's staged forward and backward, written out by hand with Python floats (the oracle)."""
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    sigy, sigx = sig(y), sig(x)
    num, xpy = x + sigy, x + y
    xpysqr = xpy**2
    den = sigx + xpysqr
    invden = 1.0 / den
    g = {"f": 1.0, "num": invden, "invden": num}
    g["den"] = -1.0 / den**2 * g["invden"]
    g["sigx"] = g["xpysqr"] = g["den"]
    g["xpy"] = 2 * xpy * g["xpysqr"]
    dx_terms = [g["xpy"], (1 - sigx) * sigx * g["sigx"], g["num"]]  # dx += three times
    g["sigy"] = g["num"]
    g["y"] = g["xpy"] + (1 - sigy) * sigy * g["sigy"]
    g["x"] = sum(dx_terms)
    return num * invden, g, dx_terms


def staged_graph(x0, y0):
    x, y = scalar(x0, "x"), scalar(y0, "y")
    sigy = labelled(y.sigmoid(), "sigy")
    num = labelled(x + sigy, "num")
    sigx = labelled(x.sigmoid(), "sigx")
    xpy = labelled(x + y, "xpy")
    xpysqr = labelled(xpy**2, "xpysqr")
    den = labelled(sigx + xpysqr, "den")
    invden = labelled(1.0 / den, "invden")
    f = labelled(num * invden, "f")
    return f, {t.label: t for t in (x, y, sigy, num, sigx, xpy, xpysqr, den, invden, f)}


def test_cs231n_staged_computation_every_intermediate_gradient_equals_the_staged_backward():
    f, nodes = staged_graph(3.0, -4.0)
    viz.backward_all(f)
    value, oracle, dx_terms = staged_oracle(3.0, -4.0)
    assert f.item() == pytest.approx(value, rel=1e-14)
    assert set(oracle) == set(nodes)
    for name, expected in oracle.items():
        assert float(nodes[name].grad) == pytest.approx(expected, rel=1e-12, abs=1e-15), name
    shown = grads_in_drawing(f)
    for name, expected in oracle.items():
        assert shown[name] == f"{expected:.4g}", name
    explanation = viz.explain(f, nodes["x"])  # dx += three times: three paths, their terms added
    assert explanation.path_count == 3
    assert sorted(float(p.contribution) for p in explanation.paths) == pytest.approx(sorted(dx_terms), rel=1e-12)
    terms = sum_line(explanation).split(" = ")[1]
    assert len(re.findall(r" [+-] ", terms)) == 2 and sum_line(explanation).endswith(f" = {oracle['x']:.4g}")


def test_cs231n_patterns_in_backward_flow_add_distributes_max_routes_mul_swaps():
    x, y, z, w = scalar(3, "x"), scalar(-4, "y"), scalar(2, "z"), scalar(-1, "w")
    xy = labelled(x * y, "xy")
    m = labelled(ag.maximum(z, w), "max")
    s = labelled(xy + m, "s")
    f = labelled(s * 2.0, "f")
    viz.backward_all(f)
    upstream = float(s.grad)
    assert float(xy.grad) == float(m.grad) == upstream == 2.0  # add: the same gradient to every input
    assert (float(z.grad), float(w.grad)) == (upstream, 0.0)  # max: all to the larger input, none to the other
    assert (float(x.grad), float(y.grad)) == (y.item() * upstream, x.item() * upstream) == (-8.0, 6.0)  # mul: swapped
    labels = edge_labels(f, [x, y, z, w])
    assert labels[("xy", "s")] == labels[("max", "s")] == "×(1)"  # the add gate's local derivatives
    assert (labels[("z", "max")], labels[("w", "max")]) == ("×(1)", "×(0)")  # the max gate's switch
    assert (labels[("x", "xy")], labels[("y", "xy")]) == ("×(-4)", "×(3)")  # each input gets the other's value
    shown = grads_in_drawing(f)
    assert [shown[k] for k in ("xy", "max", "z", "w", "x", "y")] == ["2", "2", "2", "0", "-8", "6"]
    captions = [frame.caption for frame in viz.animate_backward(f)]  # the backward pass, each gate's pattern named
    assert captions[2].endswith("∂f/∂xy += 2; ∂f/∂max += 2 (add distributes: every input gets the same gradient)")
    assert captions[3].endswith(
        "∂f/∂z += 2; ∂f/∂w += 0 (maximum routes: each element's gradient goes to one input, none to the others)"
    )
    assert captions[4].endswith(
        "∂f/∂x += -8; ∂f/∂y += 6 (mul swaps: each input gets the gradient times the other input's value)"
    )
    assert "(mul" not in captions[1]  # s * 2.0: one input takes a gradient, no pattern to name


def test_flow_patterns_are_read_from_the_numbers_elementwise_and_refused_when_none_fits():
    a = ag.Tensor([1.0, 5.0, -2.0], requires_grad=True)
    b = ag.Tensor([4.0, 0.5, -3.0], requires_grad=True)
    g = np.array([0.5, -1.0, 2.0])

    def pattern(t):
        return flow_pattern(t, g, [edge_vjp(t, k, g) for k in range(len(t.parents))])

    assert [pattern(a + b), pattern(a.maximum(b)), pattern(a * b)] == ["distributes", "routes", "swaps"]
    assert pattern(a - b) is None and pattern(a / b) is None  # sub negates one share, div scales: neither
    assert pattern(a.sigmoid()) is None  # one input: nothing to distribute, route or swap
    assert flow_pattern(a + b, np.zeros(3), [np.zeros(3)] * 2) is None  # no gradient: no pattern shown


def test_cs231n_gradients_add_at_forks():
    x = scalar(3, "x")
    f = labelled(x * 2.0 + x.exp() + x * x, "f")  # x feeds four edges: the gradients add (+=)
    viz.backward_all(f)
    expected = 2.0 + np.exp(3.0) + 2 * 3.0
    assert float(x.grad) == pytest.approx(expected, rel=1e-14)
    explanation = viz.explain(f, x)
    assert explanation.path_count == 4
    assert sorted(float(p.contribution) for p in explanation.paths) == pytest.approx(sorted([2.0, np.exp(3.0), 3, 3]))
    assert sum_line(explanation) == f"sum over the 4 paths: ∂f/∂x = 2 + {np.exp(3.0):.4g} + 3 + 3 = {expected:.4g}"


def test_cs231n_matrix_multiply_gradient_by_dimension_analysis():
    rng = np.random.default_rng(0)
    W = ag.Tensor(rng.standard_normal((5, 10)), requires_grad=True, label="W")
    X = ag.Tensor(rng.standard_normal((10, 3)), requires_grad=True, label="X")
    D = labelled(W @ X, "D")
    dD = rng.standard_normal(D.shape)  # some gradient arriving from above
    D.backward(dD)
    np.testing.assert_allclose(W.grad, dD @ X.numpy().T, rtol=1e-13)  # (5,3)(3,10): the only product of W's shape
    np.testing.assert_allclose(X.grad, W.numpy().T @ dD, rtol=1e-13)  # (10,5)(5,3): X's shape
    assert W.grad.shape == W.shape and X.grad.shape == X.shape
    loss = labelled((labelled(W @ X, "D") * dD).sum(), "L")
    explanation = viz.explain(loss, W)
    np.testing.assert_allclose(explanation.total, dD @ X.numpy().T, rtol=1e-13)
    assert "J(5×3 ← 5×10)" in str(explanation)  # the matmul edge, named by its shapes
    source = viz.draw_graph(loss).source
    assert 'label="a: 5×10"' in source and 'label="b: 10×3"' in source  # what flows into the matmul
