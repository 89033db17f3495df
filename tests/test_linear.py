"""The ``linear`` primitive (x @ w.T, PyTorch's F.linear) and nn.Linear on it: closed-form gradients,
batched and 1-d inputs, the weight's memory layout, errors, the graph it records and draws, and
ag.compile. (Finite differences, float32, second order and torch: the shared case table.)"""

import re

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from autograd_core.primitives import Linear, sum_to
from autograd_core.primitives.lowering import faithful


def raises(kind, *fragments):
    return pytest.raises(kind, match="(?s)" + "".join(f"(?=.*{re.escape(f)})" for f in fragments))


def column_major(array):
    return array.flags.f_contiguous and not array.flags.c_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4), (2, 1, 3, 4), (0, 4)])
@pytest.mark.parametrize("layout", ["column-major", "row-major"])
def test_gradients_are_the_closed_forms_dx_g_w_and_dw_g_transposed_x_over_all_rows(dtype, x_shape, layout):
    rng = np.random.default_rng(0)
    w_data = rng.standard_normal((3, 4)).astype(dtype)
    w = Tensor(np.asfortranarray(w_data) if layout == "column-major" else w_data, requires_grad=True)
    b = Tensor(rng.standard_normal(3).astype(dtype), requires_grad=True)
    x = Tensor(rng.standard_normal(x_shape).astype(dtype), requires_grad=True)
    out = ag.linear(x, w, b)
    assert out.shape == x_shape[:-1] + (3,) and out.dtype == dtype
    g = rng.standard_normal(out.shape).astype(dtype)  # a non-uniform dL/dout: a rule ignoring g fails
    (out * Tensor(g)).sum().backward()
    rows, grads = x.data.reshape(-1, 4), g.reshape(-1, 3)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(out.data.reshape(-1, 3), rows @ w_data.T + b.data, **tol)
    np.testing.assert_allclose(x.grad, (grads @ w_data).reshape(x_shape), **tol)  # dx = g @ W
    np.testing.assert_allclose(w.grad, grads.T @ rows, **tol)  # dW = g^T x, the delta rule's delta^T h
    np.testing.assert_allclose(b.grad, grads.sum(axis=0), **tol)  # db = sum over rows of g
    assert w.grad.dtype == x.grad.dtype == dtype
    assert column_major(w.grad) == column_major(w.data)  # the weight's own layout: no copy by the optimizer


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_nn_linear_gives_what_x_at_weight_T_plus_bias_gave(dtype, x_shape, bias):
    layer = nn.Linear(4, 3, bias=bias, seed=0, dtype=dtype)
    x_data = np.random.default_rng(1).standard_normal(x_shape).astype(dtype)
    x = Tensor(x_data, requires_grad=True)
    out = layer(x)
    out.sum().backward()
    got = [out.data, x.grad] + [p.grad for p in layer.parameters()]
    layer.zero_grad()
    x2 = Tensor(x_data, requires_grad=True)
    old = x2 @ layer.weight.T  # the formulation nn.Linear recorded before: transpose, matmul, add
    old = old + layer.bias if bias else old
    old.sum().backward()
    want = [old.data, x2.grad] + [p.grad for p in layer.parameters()]
    for a, b in zip(got, want):
        if len(x_shape) == 3:  # dW: one product over all rows, where matmul summed a product per batch
            np.testing.assert_allclose(a, b, rtol=1e-5 if dtype == np.float32 else 1e-13)
        else:  # the same BLAS calls as before
            np.testing.assert_array_equal(a, b)


def test_nn_linear_records_one_linear_node_with_its_bias_and_without_a_transpose():
    layer = nn.Linear(4, 3, seed=0)
    out = layer(np.ones((2, 4)))
    assert [t.op for t in ag.walk(out) if t.op] == ["linear"]  # x @ W.T + b: one node, as torch's addmm
    assert out.parents[1:] == (layer.weight, layer.bias)  # W itself, not W.T
    no_bias = nn.Linear(4, 3, bias=False, seed=0)(np.ones((2, 4)))
    assert [t.op for t in ag.walk(no_bias) if t.op] == ["linear"]


@pytest.mark.parametrize(
    "bias,fused",
    [
        (np.arange(3.0), True),  # (out,), the layer's dtype: added into the product's array
        (np.arange(3, dtype=np.float32), False),  # another dtype: promoted by numpy, as x @ w.T + b
        (np.ones(1), False),  # (1,): broadcast by an add
        (np.ones((2, 1, 3)), False),  # widens the output: an add
    ],
)
def test_a_bias_is_linears_third_input_only_where_adding_it_in_place_gives_x_at_w_t_plus_b(bias, fused):
    rng = np.random.default_rng(6)
    x, w = (
        Tensor(rng.standard_normal((5, 4)), requires_grad=True),
        Tensor(rng.standard_normal((3, 4)), requires_grad=True),
    )
    b = Tensor(bias, requires_grad=True)
    out = F.linear(x, w, b)
    assert [t.op for t in ag.walk(out) if t.op] == (["linear"] if fused else ["linear", "add"])
    want = x.data @ w.data.T + bias
    assert out.dtype == want.dtype and out.shape == want.shape
    np.testing.assert_array_equal(out.data, want)
    (out * out).sum().backward()  # the engine's rule: summed to b's shape, cast to its dtype
    np.testing.assert_array_equal(b.grad, sum_to(2 * want, bias.shape).astype(bias.dtype))


def test_the_primitive_adds_a_bias_that_broadcasts_and_refuses_one_that_widens_the_product():
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    for b in (rng.standard_normal((1, 3)), rng.standard_normal((5, 1)), rng.standard_normal(3).astype(np.float32)):
        np.testing.assert_array_equal(Linear.forward(x, w, b), x @ w.T + b)
        xs = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        Tensor.apply(Linear, *xs).sum().backward()
        np.testing.assert_array_equal(xs[2].grad, sum_to(np.ones((5, 3)), b.shape).astype(b.dtype))
    np.testing.assert_array_equal(Linear.forward(x[0], w[0], np.float64(1.0)), x[0] @ w[0] + 1.0)  # a 0-d product
    with raises(ValueError, "linear", "bias (2, 1, 3)", "(5, 3)"):
        Tensor.apply(Linear, Tensor(x), Tensor(w), Tensor(np.ones((2, 1, 3))))


def test_a_bias_hessian_vector_product_is_the_closed_form():
    # L(b) = sum((x @ W.T + b)^2): d2L/db2 = 2 N I, so H v = 2 N v
    rng = np.random.default_rng(8)
    x, w = Tensor(rng.standard_normal((6, 4))), Tensor(rng.standard_normal((3, 4)))
    v = rng.standard_normal(3)
    _, hv = ag.hvp(lambda b: (F.linear(x, w, b) ** 2).sum(), Tensor(rng.standard_normal(3)), Tensor(v))
    np.testing.assert_allclose(hv.data, 2 * 6 * v, rtol=1e-12)


def test_f_linear_and_ag_linear_agree_with_numpy_on_arrays_and_a_1d_weight():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((5, 4)), rng.standard_normal((3, 4)), rng.standard_normal(3)
    np.testing.assert_array_equal(F.linear(x, w, b).data, x @ w.T + b)
    np.testing.assert_array_equal(ag.linear(x, Tensor(w)).data, x @ w.T)
    v = Tensor(rng.standard_normal(4), requires_grad=True)  # torch: a 1-d weight is a dot product per row
    out = F.linear(Tensor(x), v, 0.5)
    assert out.shape == (5,)
    out.sum().backward()
    np.testing.assert_allclose(v.grad, x.sum(axis=0), rtol=1e-12)


def test_a_hessian_vector_product_through_linear_is_the_closed_form():
    # L(W) = sum((x @ W.T)^2) = sum_i |W x_i|^2: its Hessian-vector product is H v = 2 v x^T x
    rng = np.random.default_rng(3)
    x, w = Tensor(rng.standard_normal((5, 4))), Tensor(np.asfortranarray(rng.standard_normal((3, 4))))
    v = rng.standard_normal((3, 4))
    _, hv = ag.hvp(lambda w: (ag.linear(x, w) ** 2).sum(), w, Tensor(v))
    np.testing.assert_allclose(hv.data, 2 * v @ x.data.T @ x.data, rtol=1e-10)


def test_wrong_shapes_name_the_op_the_shapes_and_the_fix():
    x = Tensor(np.ones((5, 4)))
    with raises(ValueError, "linear", "(5, 4), (4, 3)", "in_features", "weight.T"):
        ag.linear(x, Tensor(np.ones((4, 3))))
    with raises(ValueError, "linear", "(5, 4), (2, 3, 4)", "2-d"):
        F.linear(x, np.ones((2, 3, 4)))
    with raises(ValueError, "linear", "(), (3, 4)"):
        ag.linear(Tensor(1.0), Tensor(np.ones((3, 4))))
    with raises(ValueError, "Linear(in_features=4, out_features=3)", "(5, 2)", "(N, 4)"):
        nn.Linear(4, 3, seed=0)(np.ones((5, 2)))  # the layer's own message, before the op runs


def test_the_compiled_nn_idiom_lowers_linear_to_one_matmul_per_layer_and_direction():
    model = nn.MLP([6, 5, 3], seed=0)
    step = ag.compile(lambda X, y: F.cross_entropy(model(X), y), strict=True)
    assert faithful(Linear) and faithful(Linear, 0) and faithful(Linear, 1)  # the lowering is in use
    X, y = Tensor(np.random.default_rng(4).standard_normal((4, 6))), np.array([0, 1, 2, 0])
    for _ in range(3):
        step(X, y)
    assert step.replay_count == 1
    assert "transpose" not in step.source and step.source.count("matmul(") == 5  # 2 forward, dW twice, dx once
    assert re.search(r"matmul\(a0, l0\.T, buf\w*\)", step.source)  # x @ W.T: W's transposed view, no copy
    assert re.search(r"(t\d+) = matmul\(a0, l0\.T, buf\w*\)\n\s*add\(\1, l1, \1\)\n", step.source)  # + b in place


@pytest.mark.parametrize("x_shape,w_shape", [((2, 3, 4), (5, 4)), ((4,), (5, 4)), ((3, 4), (4,))])
def test_compile_replays_batched_and_1d_linear_as_define_by_run(x_shape, w_shape):
    rng = np.random.default_rng(5)
    w = Tensor(rng.standard_normal(w_shape), requires_grad=True)
    step = ag.compile(lambda x: (ag.linear(x, w).tanh() * 2).sum(), strict=True)
    for _ in range(4):
        x = Tensor(rng.standard_normal(x_shape))
        w.grad = None
        loss = step(x)
        got = w.grad.copy()
        w.grad = None
        want = (ag.linear(x, w).tanh() * 2).sum()
        want.backward()
        np.testing.assert_array_equal(loss.data, want.data)
        np.testing.assert_array_equal(got, w.grad)
    assert step.replay_count == 2


def test_the_graph_draws_one_linear_node_with_its_operands_named():
    viz = pytest.importorskip("viz")
    model = nn.MLP([3, 4, 2], seed=0)
    loss = F.cross_entropy(model(ag.Tensor(np.ones((5, 3)), label="x")), np.array([0, 1, 0, 1, 1]))
    source = viz.draw_graph(loss, collapse_modules=False).source
    assert len(re.findall(r'\[label="linear\\na @ bᵀ \+ c"', source)) == 2
    assert "layers.0: Linear(3→4)" in source and "layers.2: Linear(4→2)" in source
    assert '[label="b: 4×3"]' in source  # the weight enters in its own (out, in) shape
    assert "transpose" not in source
