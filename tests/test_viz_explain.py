"""viz.explain: the chain rule path by path. Its sum over paths must equal the engine's gradient
(and the closed forms), for scalar graphs and for tensors (vector-Jacobian products along each path)."""

import re

import numpy as np
import pytest

import autograd_core as ag
import viz
from viz.circuit import neuron

W, X = (2.0, -3.0, -3.0), (-1.0, -2.0)


@pytest.mark.parametrize("sigmoid_gate", [False, True])
@pytest.mark.parametrize("name", ["w0", "x0", "w1", "x1", "w2"])
def test_cs231n_sum_over_paths_equals_the_gradient(name, sigmoid_gate):
    f, leaves = neuron(sigmoid_gate=sigmoid_gate)  # backward already ran: leaves[name].grad is set
    explanation = viz.explain(f, leaves[name])
    assert explanation.path_count == len(explanation.paths) == 1
    assert explanation.total == pytest.approx(leaves[name].grad, rel=1e-12)
    z = W[0] * X[0] + W[1] * X[1] + W[2]
    s = 1 / (1 + np.exp(-z))
    other = {"w0": X[0], "x0": W[0], "w1": X[1], "x1": W[1], "w2": 1.0}[name]
    assert explanation.total == pytest.approx(s * (1 - s) * other, rel=1e-12)
    path = explanation.paths[0]
    assert np.prod(path.local_derivatives) == pytest.approx(float(path.contribution), rel=1e-12)
    assert path.tensors[0] is f and path.tensors[-1] is leaves[name]
    assert path.local_derivatives[-1] == pytest.approx(other)  # d(a*b)/da = b


def test_cs231n_local_derivatives_are_the_gates_derivatives():
    f, leaves = neuron(backward=False)  # explain needs no backward
    path = viz.explain(f, leaves["w0"]).paths[0]
    z = W[0] * X[0] + W[1] * X[1] + W[2]
    d = 1 + np.exp(-z)
    assert [t.op for t in path.tensors[:-1]] == ["div", "add", "exp", "neg", "add", "add", "mul"]
    expected = [-1 / d**2, 1.0, np.exp(-z), -1.0, 1.0, 1.0, X[0]]  # 1/x, +1, exp, *-1, +, +, *
    assert path.local_derivatives == pytest.approx(expected, rel=1e-12)


def test_text_spells_out_the_product_and_the_sum():
    f, leaves = neuron()
    text = str(viz.explain(f, leaves["x0"]))
    assert "∂f/∂x0 = ∂f/∂add₃ · ∂add₃/∂exp · ∂exp/∂neg" in text  # op names, numbered only when repeated
    assert "(-0.5344) · (1) · (0.3679) · (-1) · (1) · (1) · (2)" in text
    assert "sum over the 1 path: ∂f/∂x0 = 0.3932" in text
    assert repr(viz.explain(f, leaves["x0"])) == "Explanation(∂f/∂x0 = 0.3932 over 1 path)"


def test_several_paths_each_contribute_and_add_up():
    x = ag.Tensor(1.5, requires_grad=True, label="x")
    y = ag.Tensor(-0.5, requires_grad=True, label="y")
    f = x * x + x * y  # df/dx = 2x + y through three edges: x*x twice, x*y once
    f.backward()
    explanation = viz.explain(f, x)
    assert explanation.path_count == 3
    contributions = sorted(float(p.contribution) for p in explanation.paths)
    assert contributions == pytest.approx(sorted([1.5, 1.5, -0.5]))
    assert explanation.total == pytest.approx(2 * 1.5 - 0.5) == x.grad
    text = explanation.text()
    assert "[arg 0]" in text and "[arg 1]" in text  # the two uses of x in x*x are told apart


def test_a_diamond_matches_finite_differences():
    def fn(x):
        a = x * 2.0
        return (a.exp() * a.tanh()).sum()

    x = ag.Tensor(0.3, requires_grad=True, label="x")
    explanation = viz.explain(fn(x), x)
    assert explanation.path_count == 2
    eps = 1e-6
    numeric = (fn(ag.Tensor(0.3 + eps)).item() - fn(ag.Tensor(0.3 - eps)).item()) / (2 * eps)
    assert float(explanation.total) == pytest.approx(numeric, rel=1e-7)


def test_vector_paths_use_vector_jacobian_products_and_sum_to_the_gradient():
    rng = np.random.default_rng(1)
    w = ag.Tensor(rng.standard_normal(3), requires_grad=True, label="w")
    b = ag.Tensor(0.2, requires_grad=True, label="b")
    X_data = ag.Tensor(rng.standard_normal((4, 3)), label="X")
    loss = ((X_data @ w + b).sigmoid().sum() + (w * w).sum()) / 4.0  # b broadcasts over 4 rows
    loss.backward()
    for param in (w, b):
        explanation = viz.explain(loss, param)
        assert explanation.total.shape == param.shape
        np.testing.assert_allclose(explanation.total, param.grad, rtol=1e-12)
        np.testing.assert_allclose(sum(p.contribution for p in explanation.paths), param.grad, rtol=1e-12)
    w_paths = viz.explain(loss, w)
    assert w_paths.path_count == 3
    assert any(d is None for d in w_paths.paths[0].local_derivatives)  # Jacobian edges are not numbers
    assert "J" in w_paths.text() and "vector-Jacobian" in w_paths.text()
    s = 1 / (1 + np.exp(-(X_data.data @ w.data + b.data)))
    np.testing.assert_allclose(viz.explain(loss, b).total, (s * (1 - s)).sum() / 4, rtol=1e-12)


def test_many_paths_are_listed_up_to_max_paths_and_the_rest_summed():
    x = ag.Tensor(1.1, requires_grad=True, label="x")
    y = x
    for _ in range(8):
        y = y * y  # 2^8 = 256 paths, y = x^256
    y.backward()
    explanation = viz.explain(y, x, max_paths=5)
    assert explanation.path_count == 256 and len(explanation.paths) == 5
    assert float(explanation.total) == pytest.approx(256 * 1.1**255, rel=1e-10)
    assert float(explanation.total) == pytest.approx(float(x.grad), rel=1e-12)
    listed = sum(float(p.contribution) for p in explanation.paths)
    assert listed + float(explanation.unlisted) == pytest.approx(float(explanation.total), rel=1e-12)
    assert "and 251 more paths" in explanation.text()


def test_the_root_itself_and_an_intermediate_tensor():
    f, _leaves = neuron()
    assert viz.explain(f, f).total == 1.0
    z_sum = f.parents[1].parents[1].parents[0].parents[0]  # w0*x0 + w1*x1 + w2
    assert z_sum.op == "add"
    assert viz.explain(f, z_sum).total == pytest.approx(z_sum.grad, rel=1e-12)  # backward_all kept it


def test_errors_name_the_problem():
    f, leaves = neuron()
    stranger = ag.Tensor(1.0, requires_grad=True, label="stranger")
    with pytest.raises(ValueError, match=r"stranger.*not in the graph"):
        viz.explain(f, stranger)
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        viz.explain(np.ones(2), leaves["w0"])
    with pytest.raises(TypeError, match="param must be a Tensor"):
        viz.explain(f, 1.0)
    v = ag.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(2,\).*root.sum\(\)"):
        viz.explain(v * 2.0, v)
    with pytest.raises(ValueError, match="max_paths"):
        viz.explain(f, leaves["w0"], max_paths=0)


@pytest.mark.parametrize("style", ["record", "circuit"])
def test_the_picture_highlights_exactly_the_path_edges_with_their_local_derivatives(style):
    f, leaves = neuron()
    explanation = viz.explain(f, leaves["w0"])
    source = explanation.draw(style=style).source
    labelled = re.findall(r"-> op\d+ \[[^\]\n]*label=\"(?:[^\"]*\\n)?×\(([^)]*)\)\"", source)
    assert len(labelled) == 7
    assert labelled == ["-1", "1", "1", "-1", "0.3679", "1", "-0.5344"]  # walk order: w0's mul first
    assert "∂f/∂w0 = -0.1966" in source
    plain = viz.draw_graph(f, style=style).source
    assert "#e8590c" not in plain


def test_a_deep_net_is_explained_module_by_module_on_one_screen():
    nn = pytest.importorskip("nn")
    F = pytest.importorskip("nn.functional")
    model = nn.MLP([2, 32, 32, 32, 32, 32, 2], seed=0)
    X = np.random.default_rng(0).standard_normal((16, 2))
    loss = F.cross_entropy(model(ag.Tensor(X, label="X")), np.arange(16) % 2)
    weight = dict(model.named_parameters())["layers.0.weight"]
    explanation = viz.explain(loss, weight)
    text = str(explanation)
    assert "∂layers.1/∂layers.0 · ∂layers.0/∂layers.0.weight" in text  # a module is one factor
    assert "J(16×32 ← 32×2)" in text and "linear" not in text
    assert len(text) < 3000 and max(len(line) for line in text.splitlines()) < 320  # about one screen
    op_by_op = str(viz.explain(loss, weight, group_modules=False))
    assert "∂relu₁/∂linear₁" in op_by_op
    loss.backward()
    assert np.allclose(explanation.total, weight.grad)  # the grouping is display only


def test_paths_that_read_the_same_module_by_module_say_they_differ_inside_a_module():
    # Cross-entropy reaches its logits twice (through the log-sum-exp and through the picked logit):
    # module by module both paths printed the same route, with different numbers and no word why.
    nn = pytest.importorskip("nn")
    F = pytest.importorskip("nn.functional")
    model = nn.MLP([4, 16, 3], seed=0)
    loss = F.cross_entropy(model(np.random.default_rng(0).standard_normal((8, 4))), np.arange(8) % 3)
    explanation = viz.explain(loss, dict(model.named_parameters())["layers.0.weight"])
    routes = re.findall(r"^path \d of 2: (.*)$", str(explanation), re.M)
    assert len(routes) == 2 and routes[0] == routes[1]
    assert str(explanation).count("through other ops inside them") == 1  # the second path only
    assert explanation._repr_html_().count("through other ops inside them") == 1
    squares = (model(np.ones((2, 4))) ** 2).sum()  # one path per parameter: nothing to say
    assert "through other ops" not in str(viz.explain(squares, dict(model.named_parameters())["layers.0.weight"]))


@pytest.mark.parametrize("loss_name", ["cross_entropy", "mse_loss"])
def test_a_loss_from_nn_functional_is_named_by_its_function_not_its_last_op(loss_name):
    # F.cross_entropy's result is a div (the mean's / N): "∂div/∂layers.0.weight" told a learner nothing
    nn = pytest.importorskip("nn")
    F = pytest.importorskip("nn.functional")
    model, rng = nn.MLP([4, 5, 3], seed=0), np.random.default_rng(0)
    target = np.arange(6) % 3 if loss_name == "cross_entropy" else rng.standard_normal((6, 3))
    loss = getattr(F, loss_name)(model(rng.standard_normal((6, 4))), target)
    assert (loss.op, loss.scope, loss.label) == ("div", loss_name, None)
    weight = dict(model.named_parameters())["layers.0.weight"]
    explanation = viz.explain(loss, weight)
    text = str(explanation)
    assert text.startswith(f"∂{loss_name}/∂layers.0.weight by the chain rule: ")
    routes = re.findall(r"^path \d of \d: (.*)$", text, re.M)
    assert routes and set(routes) == {f"{loss_name} ← layers.2 ← layers.1 ← layers.0 ← layers.0.weight"}
    assert f"  ∂{loss_name}/∂layers.0.weight = ∂{loss_name}/∂layers.2 · " in text and "div" not in text
    assert re.search(f"^sum over the \\d paths?: ∂{loss_name}/∂layers.0.weight = ", text, re.M)
    assert repr(explanation).startswith(f"Explanation(∂{loss_name}/∂layers.0.weight = ")
    op_by_op = str(viz.explain(loss, weight, group_modules=False))  # the loss keeps its name, ops are shown
    assert op_by_op.startswith(f"∂{loss_name}/∂layers.0.weight")
    assert re.search(f"^path 1 of \\d: {loss_name} ← ", op_by_op, re.M)
    loss.label = "L"  # a label the learner gave wins
    assert str(viz.explain(loss, weight)).startswith("∂L/∂layers.0.weight by the chain rule")
