"""Baydin, Pearlmutter, Radul & Siskind, "Automatic Differentiation in Machine Learning: a Survey" (JMLR 18,
2018), its running example y = f(x1, x2) = ln(x1) + x1·x2 − sin(x2) at (x1, x2) = (2, 5), table line by table
line: the forward primal trace (v₋₁ ... v₅, y = 11.652), the forward tangent trace (ẋ1 = 1 gives ∂y/∂x1 = 5.5),
the reverse adjoint trace (x̄1 = 5.5, x̄2 = 1.716, each share added in the survey's order), then the survey's
claim on cost, counted in sweeps of this engine (never timed).

a. The primal trace: the engine's recorded values, and ``viz.evaluation_trace``'s table of them
b. The tangent trace: ``ag.jvp`` of the whole trace at once (every v̇ᵢ), ``ag.jacfwd``, torch.func.jvp
c. The adjoint trace: ``viz.backward_all`` keeps every v̄ᵢ; the trace table's lines in backward's order;
   the picture of the graph with its gradients (what the rendered SVG shows on each node)
d. Cost: a gradient of f: R^n -> R is one reverse sweep, n forward (jvp) passes; a Jacobian column of
   g: R -> R^m is one jvp, m reverse sweeps. Counted as the engine's backward sweeps and calls of f.

Where this engine differs from the survey: it has no forward-mode primitives (a tangent rule per op); ``ag.jvp``
is the double-vjp trick (docs/tutorials/08), so a jvp here is two reverse sweeps (one recorded, one through the
recorded one) and the survey's "n forward sweeps" are 2n sweeps here (``ag.jacfwd`` shares the first: n + 1).
The values are the same; only the cost constant differs (the claim — forward mode's passes grow with n, reverse
mode's do not — is what d asserts).

What the port needed:
- ``viz.evaluation_trace(y, tangents={x1: 1.0})``: the survey's three tables (primal, tangent, adjoint) from a
  recorded graph, v-numbered as the survey numbers them (inputs v₋ₙ₊₁ ... v₀, ops v₁ ... in the order they ran),
  each adjoint share listed in the engine's backward order with its local derivative. Before, the adjoint lines
  existed only as ``viz.animate_backward``'s captions and the tangents only as the jvp of a hand-stacked function.
"""

import html
import math
import re
import shutil

import numpy as np
import pytest

import autograd_core as ag
import autograd_core.engine
import viz
from autograd_core import Tensor


def survey_trace(x1, x2):
    """The survey's Table 2, line by line: (v₋₁, v₀, v₁, ..., v₅)."""
    v_1, v0 = x1, x2
    v1 = ag.log(v_1)
    v2 = v_1 * v0
    v3 = ag.sin(v0)
    v4 = v1 + v2
    v5 = v4 - v3
    return v_1, v0, v1, v2, v3, v4, v5


def f(x1, x2):
    return survey_trace(x1, x2)[-1]


def _inputs():
    return Tensor(2.0, requires_grad=True, label="x1"), Tensor(5.0, requires_grad=True, label="x2")


PRIMAL = [2, 5, 0.693, 10, -0.959, 10.693, 11.652]  # the survey's primal column, to its 3 decimals
TANGENT_X1 = [1, 0, 0.5, 5, 0, 5.5, 5.5]  # ẋ1 = 1, ẋ2 = 0: v̇-1 ... v̇5 (Table 2, right)


# ------------------------------------------------------------------ a. the primal trace
def test_a_the_primal_trace_is_the_survey_table():
    values = [v.item() for v in survey_trace(*_inputs())]
    assert values == pytest.approx(PRIMAL, abs=5e-4)
    exact = [2, 5, math.log(2), 10, math.sin(5), math.log(2) + 10, math.log(2) + 10 - math.sin(5)]
    assert values == pytest.approx(exact, rel=1e-15)


def test_a_evaluation_trace_prints_the_primal_table():
    x1, x2 = _inputs()
    trace = viz.evaluation_trace(f(x1, x2), number_format="%.3f")
    assert [line.text("%.3f") for line in trace.primal] == [
        "v₋₁ = x1 = 2.000",
        "v₀ = x2 = 5.000",
        "v₁ = log(v₋₁) = 0.693",
        "v₂ = v₋₁ × v₀ = 10.000",
        "v₃ = sin(v₀) = -0.959",
        "v₄ = v₁ + v₂ = 10.693",
        "v₅ = v₄ − v₃ = 11.652",
        "y = v₅ = 11.652",
    ]
    assert str(trace).startswith("Forward primal trace\nv₋₁ = x1 = 2.000\n")
    assert trace.tangent is None and x1.grad is None  # no tangents asked; the adjoints are replayed, not stored


# ------------------------------------------------------------------ b. the tangent trace
def test_b_one_jvp_of_the_trace_gives_every_tangent_line():
    every_line = lambda x1, x2: ag.stack(survey_trace(x1, x2))  # noqa: E731 (all seven v's as one output)
    primal, tangent = ag.jvp(every_line, (2.0, 5.0), (1.0, 0.0))
    assert primal.data.tolist() == pytest.approx(PRIMAL, abs=5e-4)
    assert tangent.data.tolist() == pytest.approx(TANGENT_X1, rel=1e-15, abs=1e-15)
    _, tangent_x2 = ag.jvp(every_line, (2.0, 5.0), (0.0, 1.0))  # ẋ2 = 1: ∂y/∂x2 needs a second pass
    expected = [0, 1, 0, 2, math.cos(5), 2, 2 - math.cos(5)]
    assert tangent_x2.data.tolist() == pytest.approx(expected, rel=1e-15, abs=1e-15)
    assert tangent_x2[-1].item() == pytest.approx(1.716, abs=5e-4)


def test_b_jacfwd_is_the_gradient_column_by_column_and_equals_reverse_mode():
    forward = ag.jacfwd(f, argnums=(0, 1))(Tensor(2.0), Tensor(5.0))
    reverse = ag.jacrev(f, argnums=(0, 1))(Tensor(2.0), Tensor(5.0))
    closed = (1 / 2 + 5, 2 - math.cos(5))  # ∂y/∂x1 = 1/x1 + x2, ∂y/∂x2 = x1 − cos x2
    assert [d.item() for d in forward] == pytest.approx(closed, rel=1e-15)
    assert [d.item() for d in reverse] == pytest.approx(closed, rel=1e-15)


def test_b_evaluation_trace_prints_the_tangent_table():
    x1, x2 = _inputs()
    trace = viz.evaluation_trace(f(x1, x2), tangents={x1: 1.0}, number_format="%.3g")
    assert [line.value.item() for line in trace.tangent] == pytest.approx(TANGENT_X1, rel=1e-15, abs=1e-15)
    text = [line.text("%.3g") for line in trace.tangent]
    assert text[0] == "v̇₋₁ = 1" and text[1] == "v̇₀ = 0"
    assert text[2] == "v̇₁ = ∂v₁/∂v₋₁ · v̇₋₁ = 0.5 · 1 = 0.5"  # the survey: v̇-1 / v-1 = 1/2
    assert text[3] == "v̇₂ = ∂v₂/∂v₋₁ · v̇₋₁ + ∂v₂/∂v₀ · v̇₀ = 5 · 1 + 2 · 0 = 5"  # v̇-1·v0 + v̇0·v-1 = 1×5 + 0×2
    assert text[6] == "v̇₅ = ∂v₅/∂v₄ · v̇₄ + ∂v₅/∂v₃ · v̇₃ = 1 · 5.5 + -1 · 0 = 5.5"


def test_b_the_tangents_equal_torch_func_jvp():
    torch = pytest.importorskip("torch")

    def f_torch(x1, x2):
        return torch.log(x1) + x1 * x2 - torch.sin(x2)

    primals = (torch.tensor(2.0, dtype=torch.float64), torch.tensor(5.0, dtype=torch.float64))
    for seed in ((1.0, 0.0), (0.0, 1.0), (0.3, -2.0)):
        tangents = tuple(torch.tensor(s, dtype=torch.float64) for s in seed)
        value, theirs = torch.func.jvp(f_torch, primals, tangents)
        ours_value, ours = ag.jvp(f, (2.0, 5.0), seed)
        assert ours_value.item() == value.item() and ours.item() == pytest.approx(theirs.item(), rel=1e-15)


# ------------------------------------------------------------------ c. the adjoint trace
SURVEY_ADJOINT = [  # Table 3, right, read from the bottom: (v̄ᵢ, its value after this line)
    ("v̄₅", 1),
    ("v̄₄", 1),
    ("v̄₃", -1),
    ("v̄₁", 1),
    ("v̄₂", 1),
    ("v̄₀", -0.284),
    ("v̄₋₁", 5),
    ("v̄₀", 1.716),
    ("v̄₋₁", 5.5),
    ("x̄1", 5.5),
    ("x̄2", 1.716),
]


def test_c_backward_keeps_every_adjoint_of_the_survey():
    x1, x2 = _inputs()
    vs = survey_trace(x1, x2)
    viz.backward_all(vs[-1])
    adjoints = [v.grad.item() for v in vs]  # v̄ᵢ = ∂y/∂vᵢ, the complete ones
    assert adjoints == pytest.approx([5.5, 2 - math.cos(5), 1, 1, -1, 1, 1], rel=1e-15)
    assert x1.grad.item() == 5.5 and round(x2.grad.item(), 3) == 1.716


def test_c_evaluation_trace_lists_the_adjoint_shares_in_the_survey_order():
    x1, x2 = _inputs()
    trace = viz.evaluation_trace(f(x1, x2), number_format="%.3f")
    assert [line.name for line in trace.adjoint] == [name for name, _ in SURVEY_ADJOINT]
    values = [line.value.item() for line in trace.adjoint]
    assert values == pytest.approx([v for _, v in SURVEY_ADJOINT], abs=5e-4)
    text = str(trace)
    assert "v̄₀ = v̄₃ · ∂v₃/∂v₀ = -1.000 · 0.284 = -0.284" in text  # the survey: v̄3 cos v0
    assert "v̄₀ = v̄₀ + v̄₂ · ∂v₂/∂v₀ = -0.284 + 1.000 · 2.000 = 1.716" in text  # v̄0 + v̄2 × v-1
    assert "v̄₋₁ = v̄₋₁ + v̄₁ · ∂v₁/∂v₋₁ = 5.000 + 1.000 · 0.500 = 5.500" in text  # v̄-1 + v̄1 / v-1
    assert x1.grad is None and x2.grad is None  # replayed: the caller's .grad untouched
    y = f(x1, x2)
    y.backward()
    assert (x1.grad.item(), x2.grad.item()) == (values[-2], values[-1])  # the engine's own backward agrees


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed (make graphviz installs it)")
def test_c_the_rendered_graph_shows_each_adjoint_on_its_node(tmp_path):
    x1, x2 = _inputs()
    names = ["v1", "v2", "v3", "v4", "v5"]
    vs = survey_trace(x1, x2)
    for v, name in zip(vs[2:], names):
        v.label = name
    viz.backward_all(vs[-1])
    svg = viz.render_graph(vs[-1], tmp_path / "survey.svg").read_text()
    shown = {}
    for node in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', svg, re.S):
        texts = [html.unescape(t) for t in re.findall(r">([^<>]+)</text>", node)]
        if len(texts) == 4:  # a tensor: its name, shape, data and grad
            shown[texts[0]] = (texts[2], texts[3])
    assert shown == {
        "x1": ("data 2", "grad 5.5"),
        "x2": ("data 5", "grad 1.716"),
        "v1": ("data 0.6931", "grad 1"),
        "v2": ("data 10", "grad 1"),
        "v3": ("data -0.9589", "grad -1"),
        "v4": ("data 10.69", "grad 1"),
        "v5": ("data 11.65", "grad 1"),
    }


def test_c_evaluation_trace_refuses_what_it_cannot_trace():
    x1, x2 = _inputs()
    y = f(x1, x2)
    with pytest.raises(ValueError, match=r"tangents names 'x3', which is not an input \(leaf\) of root's graph"):
        viz.evaluation_trace(y, tangents={Tensor(1.0, requires_grad=True, label="x3"): 1.0})
    with pytest.raises(ValueError, match=r"tangent of 'x1' has shape \(2,\); give it the input's shape \(\)"):
        viz.evaluation_trace(y, tangents={x1: [1.0, 0.0]})
    with pytest.raises(TypeError, match=r"tangents must be a dict \{input: tangent\}, got list"):
        viz.evaluation_trace(y, tangents=[1.0, 0.0])
    with pytest.raises(TypeError, match=r"pass one Tensor"):
        viz.evaluation_trace([y, y])
    with pytest.raises(ValueError, match=r"evaluation_trace: root has shape \(2,\).*Reduce it first"):
        viz.evaluation_trace(ag.stack([y, y]))
    data = Tensor(3.0, label="c")
    with pytest.raises(ValueError, match=r"'c' does not require grad"):
        viz.evaluation_trace(x1 * data, tangents={data: 1.0})
    with pytest.raises(ValueError, match=r"evaluation_trace: .*does not require grad"):
        viz.evaluation_trace(Tensor(1.0) * 2)


def test_c_evaluation_trace_of_vectors_equals_jvp_and_backward():
    """Not only scalars: each line is the array (v̇ by each op's jvp, v̄ by its vjp), equal to the engine's."""
    rng = np.random.default_rng(0)
    W, x = Tensor(rng.normal(size=(3, 4)), requires_grad=True), Tensor(rng.normal(size=4), requires_grad=True)
    dW, dx = rng.normal(size=(3, 4)), rng.normal(size=4)
    y = (W @ x).tanh().sum()
    trace = viz.evaluation_trace(y, tangents={W: dW, x: dx})
    _, expected = ag.jvp(lambda W, x: (W @ x).tanh().sum(), (W.data, x.data), (dW, dx))
    assert trace.tangent[-1].value.item() == pytest.approx(expected.item(), rel=1e-13)
    y.backward()
    finals = {line.name: line.value for line in trace.adjoint}  # the last line of each v̄ is its total
    bar = lambda t: trace.name(t)[:1] + "\u0304" + trace.name(t)[1:]  # noqa: E731 (v₋₁ -> v̄₋₁)
    np.testing.assert_allclose(finals[bar(W)], W.grad, rtol=1e-14)
    np.testing.assert_allclose(finals[bar(x)], x.grad, rtol=1e-14)
    assert [line.name for line in trace.primal].count("y") == 1 and len(trace.primal) == 2 + 3 + 1  # W, x; 3 ops; y
    assert "v₂ = tanh(v₁) = [" in str(trace) and "\n v" not in str(trace)  # arrays on one line
    by_seed = viz.evaluation_trace((W @ x).tanh(), grad=np.ones(3))  # a vector root starts from grad=
    last = {line.name: line.value for line in by_seed.adjoint}  # matmul's shares, W's then x's
    np.testing.assert_allclose(last[bar(W)], W.grad, rtol=1e-14)
    np.testing.assert_allclose(last[bar(x)], x.grad, rtol=1e-14)
    assert by_seed._repr_html_().startswith("<pre>Forward primal trace")
    with pytest.raises(KeyError, match=r"'c' has no line in this trace"):
        trace.name(Tensor(1.0, label="c"))
    W.label = "0.weight"  # an nn parameter's name has no letter to put a bar over: ∂y/∂0.weight
    assert f"∂y/∂0.weight = {bar(W)} = " in str(viz.evaluation_trace((W @ x).sum()))


# ------------------------------------------------------------------ d. the cost, in sweeps
@pytest.fixture
def sweeps(monkeypatch):
    """Counts the engine's backward sweeps (every backward() and ag.grad runs engine._run once)."""
    count = {"sweeps": 0}
    run = autograd_core.engine._run

    def counted(*args, **kwargs):
        count["sweeps"] += 1
        return run(*args, **kwargs)

    monkeypatch.setattr(autograd_core.engine, "_run", counted)
    return count


def counted(fn, calls):
    def wrapper(*args):
        calls["f"] += 1
        return fn(*args)

    return wrapper


def wide(x):
    """The survey's f generalised to R^n -> R: sum of ln(x_i) + x_i x_(i+1) - sin(x_(i+1))."""
    return (ag.log(x[:-1]) + x[:-1] * x[1:] - ag.sin(x[1:])).sum()


def tall(t):
    """g: R -> R^m: m outputs of one input."""
    return ag.stack([ag.sin(t * k) + t**k for k in range(1, 6)])


@pytest.mark.parametrize("n", [4, 8])
def test_d_a_gradient_of_f_rn_to_r_is_one_reverse_sweep_and_n_forward_passes(n, sweeps):
    x = np.linspace(1.0, 2.0, n)
    calls = {"f": 0}
    _, reverse = ag.value_and_grad(counted(wide, calls))(Tensor(x))
    assert (calls["f"], sweeps["sweeps"]) == (1, 1)  # one evaluation, one backward: all n partials
    calls["f"] = sweeps["sweeps"] = 0
    columns = []
    for j in range(n):  # forward mode: one directional derivative per jvp, ẋ = e_j
        _, dy = ag.jvp(counted(wide, calls), (Tensor(x),), (Tensor(np.eye(n)[j]),))
        assert dy.shape == ()  # one number per pass: the gradient needs all n of them
        columns.append(dy.item())
    assert calls["f"] == n and sweeps["sweeps"] == 2 * n  # n evaluations; a jvp is 2 sweeps here (double vjp)
    np.testing.assert_allclose(columns, reverse.data, rtol=1e-14)
    calls["f"] = sweeps["sweeps"] = 0
    np.testing.assert_allclose(ag.jacfwd(counted(wide, calls))(Tensor(x)).data, reverse.data, rtol=1e-14)
    assert (calls["f"], sweeps["sweeps"]) == (1, n + 1)  # jacfwd records one vjp, then one sweep per column
    calls["f"] = sweeps["sweeps"] = 0
    ag.jacrev(counted(wide, calls))(Tensor(x))
    assert (calls["f"], sweeps["sweeps"]) == (1, 1)  # m = 1 row: one sweep


def test_d_a_jacobian_column_of_g_r_to_rm_is_one_jvp_and_m_reverse_sweeps(sweeps):
    """The other side of the survey's claim: forward mode wins when n < m."""
    calls = {"f": 0}
    _, column = ag.jvp(counted(tall, calls), (Tensor(0.7),), (Tensor(1.0),))
    assert (calls["f"], sweeps["sweeps"]) == (1, 2) and column.shape == (5,)  # all m entries in one jvp
    calls["f"] = sweeps["sweeps"] = 0
    rows = ag.jacrev(counted(tall, calls))(Tensor(0.7))
    assert (calls["f"], sweeps["sweeps"]) == (1, 5)  # one vjp (reverse sweep) per output
    np.testing.assert_allclose(rows.data, column.data, rtol=1e-14)
    expected = [k * math.cos(0.7 * k) + k * 0.7 ** (k - 1) for k in range(1, 6)]
    np.testing.assert_allclose(column.data, expected, rtol=1e-14)
