"""Simon J.D. Prince's "Understanding Deep Learning" (udlbook, MIT Press 2023), the chapter 7 notebooks
(udlbook/udlbook, Notebooks/Chap07) ported step by step: the notebooks' hand-written numpy derivatives are
the ORACLE that the engine's gradients (autograd_core ops, and ``nn.Linear``/``nn.ReLU``/``nn.init``) must
equal to ~1e-12 in float64; where torch is installed the same Tensor code runs there too and agrees.
Chapters 6, 9 and 11 (fitting, regularisation, residual networks and batch norm) are in
test_udl_ports_fitting.py.

Ported: 7.1 Backpropagation in a toy model (f = beta3 + omega3 cos[beta2 + omega2 exp[beta1 + omega1
sin[beta0 + omega0 x]]] with a least-squares loss: the forward pass's intermediate f_k, h_k the notebook
prints, the closed-form dl/domega0 and its finite difference, the backward pass's dl/df_k, dl/dh_k and the
eight parameter derivatives, each equal to the engine's); 7.2 Backpropagation (the K = 5, D = 6 ReLU
network drawn with ``np.random.seed(0)``, its output 1.907, the matrix backward pass of eqs. 7.21-7.24
against one-at-a-time finite differences and against the engine's gradients, also for a batch of inputs and
via ``nn.Linear`` layers); 7.3 Initialization (a 50-layer, 80-wide ReLU network: He's variance 2/D keeps the
activations' and the gradients' size across the layers, while 10x smaller or larger variances make them
vanish or explode, measured on the forward activations and on the engine's backward gradients; the
notebook's sigma_sq = 2/D equals ``nn.init.kaiming_normal_``'s std).

Where the notebook's spelling differs here: the notebooks keep a column per example (``W @ h + b`` with b of
shape (D, 1)); ``nn.Linear`` takes rows (x @ W.T + b) with the book's Omega as its ``weight`` and b of
shape (D,). The notebook's ReLU derivative is the indicator [f >= 0] (1 at 0); the engine's is 1/2 at exactly
0 (its one kink rule, ties split evenly: relu(x) = maximum(x, 0) = x.clip(0.0), README's kink table), torch's
relu'(0) is 0: all three agree wherever no pre-activation is exactly 0, as in every random network here
(asserted), and ``test_7_2_the_relu_kink_is_where_the_three_conventions_differ`` measures the difference.
The legacy ``np.random.seed(0)`` draws are reproduced with ``np.random.RandomState(0)`` (same stream).
"""

import numpy as np
import pytest

import autograd_core as ag
import nn

TOY = dict(beta0=1.0, beta1=2.0, beta2=-3.0, beta3=0.4, omega0=0.1, omega1=-0.4, omega2=2.0, omega3=3.0)
TOY_X, TOY_Y = 2.3, 2.0
NAMES = ("beta0", "beta1", "beta2", "beta3", "omega0", "omega1", "omega2", "omega3")


# ---------------------------------------------------------------- 7.1 backpropagation in a toy model
def toy_loss(lib, x, y, beta0, beta1, beta2, beta3, omega0, omega1, omega2, omega3):
    """The notebook's fn and loss, written once for numpy and for the engine (``lib`` is np or ag)."""
    f = beta3 + omega3 * lib.cos(beta2 + omega2 * lib.exp(beta1 + omega1 * lib.sin(beta0 + omega0 * x)))
    return (f - y) * (f - y)


def toy_forward(x, y, p):
    """Step 1, the forward pass: every intermediate f_k, h_k, and the loss."""
    f0 = p["beta0"] + p["omega0"] * x
    h1 = np.sin(f0)
    f1 = p["beta1"] + p["omega1"] * h1
    h2 = np.exp(f1)
    f2 = p["beta2"] + p["omega2"] * h2
    h3 = np.cos(f2)
    f3 = p["beta3"] + p["omega3"] * h3
    return dict(f0=f0, h1=h1, f1=f1, h2=h2, f2=f2, h3=h3, f3=f3, l=(f3 - y) ** 2)


def toy_backward(y, p, v):
    """Steps 2 and 3, by hand: dl/d(intermediate) in reverse order, then dl/d(parameter)."""
    d = {"f3": 2 * (v["f3"] - y)}
    d["h3"] = p["omega3"] * d["f3"]
    d["f2"] = -np.sin(v["f2"]) * d["h3"]
    d["h2"] = p["omega2"] * d["f2"]
    d["f1"] = np.exp(v["f1"]) * d["h2"]
    d["h1"] = p["omega1"] * d["f1"]
    d["f0"] = np.cos(v["f0"]) * d["h1"]
    params = {f"beta{k}": d[f"f{k}"] for k in range(4)}  # df_k/dbeta_k = 1
    params.update({f"omega{k}": d[f"f{k}"] * (v[f"h{k}"] if k else TOY_X) for k in range(4)})  # df_k/domega_k
    return d, params


def test_7_1_forward_pass_prints_the_notebook_s_values():
    v = toy_forward(TOY_X, TOY_Y, TOY)
    printed = dict(f0=1.230, h1=0.942, f1=1.623, h2=5.068, f2=7.137, h3=0.657, f3=2.372, l=0.139)
    for name, want in printed.items():
        assert round(float(v[name]), 3) == want, name
    assert v["l"] == pytest.approx(toy_loss(np, TOY_X, TOY_Y, **TOY), rel=1e-15)


def test_7_1_closed_form_domega0_equals_finite_differences_and_the_engine():
    p = TOY
    inner = p["beta1"] + p["omega1"] * np.sin(p["beta0"] + p["omega0"] * TOY_X)
    f = p["beta3"] + p["omega3"] * np.cos(p["beta2"] + p["omega2"] * np.exp(inner))
    closed = (
        -2 * (f - TOY_Y) * p["omega1"] * p["omega2"] * p["omega3"] * TOY_X
        * np.cos(p["beta0"] + p["omega0"] * TOY_X) * np.exp(inner) * np.sin(p["beta2"] + p["omega2"] * np.exp(inner))
    )  # fmt: skip
    shifted = dict(p, omega0=p["omega0"] + 1e-5)
    finite = (toy_loss(np, TOY_X, TOY_Y, **shifted) - toy_loss(np, TOY_X, TOY_Y, **p)) / 1e-5
    assert round(closed, 3) == 5.246 and finite == pytest.approx(closed, rel=1e-4)
    omega0 = ag.tensor(p["omega0"], requires_grad=True)
    toy_loss(ag, TOY_X, TOY_Y, **dict(p, omega0=omega0)).backward()
    assert omega0.grad == pytest.approx(closed, rel=1e-13)


@pytest.mark.parametrize("lib_name", ["autograd_core", "torch"])
def test_7_1_backward_pass_equals_the_engine_s_at_every_intermediate(lib_name):
    lib = ag if lib_name == "autograd_core" else pytest.importorskip("torch")
    p = {k: lib.tensor(value, dtype=lib.float64, requires_grad=True) for k, value in TOY.items()}
    x = lib.tensor(TOY_X, dtype=lib.float64)
    f0 = p["beta0"] + p["omega0"] * x
    h1 = lib.sin(f0)
    f1 = p["beta1"] + p["omega1"] * h1
    h2 = lib.exp(f1)
    f2 = p["beta2"] + p["omega2"] * h2
    h3 = lib.cos(f2)
    f3 = p["beta3"] + p["omega3"] * h3
    inter = dict(f0=f0, h1=h1, f1=f1, h2=h2, f2=f2, h3=h3, f3=f3)
    for t in inter.values():
        t.retain_grad()
    ((f3 - TOY_Y) ** 2).backward()
    by_hand, params = toy_backward(TOY_Y, TOY, toy_forward(TOY_X, TOY_Y, TOY))
    for name, t in inter.items():
        assert float(t.grad) == pytest.approx(by_hand[name], rel=1e-13, abs=1e-15), name
    for name in NAMES:
        assert float(p[name].grad) == pytest.approx(params[name], rel=1e-13, abs=1e-15), name
    assert params["omega0"] == pytest.approx(5.246, abs=5e-4)  # the notebook's printed check


def test_7_1_every_parameter_derivative_equals_finite_differences():
    _, params = toy_backward(TOY_Y, TOY, toy_forward(TOY_X, TOY_Y, TOY))
    for name in NAMES:
        up, down = dict(TOY, **{name: TOY[name] + 1e-6}), dict(TOY, **{name: TOY[name] - 1e-6})
        central = (toy_loss(np, TOY_X, TOY_Y, **up) - toy_loss(np, TOY_X, TOY_Y, **down)) / 2e-6
        assert central == pytest.approx(params[name], rel=1e-6, abs=1e-8), name


# ---------------------------------------------------------------- 7.2 backpropagation (a deep ReLU network)
def book_network(K=5, D=6, D_i=1, D_o=1, seed=0):
    """The notebook's weights and biases, drawn in its order from ``np.random.seed(seed)``."""
    rng = np.random.RandomState(seed)
    weights, biases = [None] * (K + 1), [None] * (K + 1)
    weights[0], weights[-1] = rng.normal(size=(D, D_i)), rng.normal(size=(D_o, D))
    biases[0], biases[-1] = rng.normal(size=(D, 1)), rng.normal(size=(D_o, 1))
    for layer in range(1, K):
        weights[layer], biases[layer] = rng.normal(size=(D, D)), rng.normal(size=(D, 1))
    return weights, biases


def network_output(net_input, weights, biases):
    """Eq. 7.16, a column per example: f_k = beta_k + Omega_k h_k, h_{k+1} = ReLU[f_k]; h_0 the input."""
    K = len(weights) - 1
    all_f, all_h = [None] * (K + 1), [net_input] + [None] * K
    for layer in range(K):
        all_f[layer] = biases[layer] + weights[layer] @ all_h[layer]
        all_h[layer + 1] = all_f[layer].clip(0.0)
    all_f[K] = biases[K] + weights[K] @ all_h[K]
    return all_f[K], all_f, all_h


def least_squares(net_output, y):
    return np.sum((net_output - y) * (net_output - y))


def backward_pass(weights, all_f, all_h, y):
    """Eqs. 7.21-7.24 by hand: dl/dbeta_k = dl/df_k (summed over the columns), dl/dOmega_k = dl/df_k h_k^T,
    dl/dh_k = Omega_k^T dl/df_k, dl/df_{k-1} = [f_{k-1} >= 0] * dl/dh_k."""
    K = len(weights) - 1
    dl_dweights, dl_dbiases = [None] * (K + 1), [None] * (K + 1)
    dl_df = 2 * (all_f[K] - y)
    for layer in range(K, -1, -1):
        dl_dbiases[layer] = dl_df.sum(axis=1, keepdims=True)
        dl_dweights[layer] = dl_df @ all_h[layer].T
        dl_dh = weights[layer].T @ dl_df
        if layer > 0:
            dl_df = (all_f[layer - 1] >= 0) * dl_dh
    return dl_dweights, dl_dbiases


def engine_gradients(lib, net_input, weights, biases, y):
    """The same network as Tensors (the notebook's column layout), differentiated by ``lib``'s backward."""
    W = [lib.tensor(w, dtype=lib.float64, requires_grad=True) for w in weights]
    B = [lib.tensor(b, dtype=lib.float64, requires_grad=True) for b in biases]
    h = lib.tensor(net_input, dtype=lib.float64)
    for w, b in zip(W[:-1], B[:-1]):
        h = lib.relu(b + w @ h)
    out = B[-1] + W[-1] @ h
    ((out - lib.tensor(y, dtype=lib.float64)) ** 2).sum().backward()
    grad = lambda t: t.grad.detach().numpy() if hasattr(t.grad, "detach") else np.asarray(t.grad)  # noqa: E731
    return [grad(w) for w in W], [grad(b) for b in B]


def test_7_2_forward_pass_gives_the_notebook_s_output_and_loss():
    weights, biases = book_network()
    net_input, y = np.ones((1, 1)) * 1.2, np.ones((1, 1)) * 20.0
    out, all_f, all_h = network_output(net_input, weights, biases)
    assert round(float(out[0, 0]), 3) == 1.907  # "True output = 1.907"
    assert least_squares(out, y) == pytest.approx((20.0 - out[0, 0]) ** 2) and least_squares(out, y) > 300
    assert len(all_f) == len(all_h) == 6 and all((h >= 0).all() for h in all_h[1:])


def test_7_2_backward_pass_equals_finite_differences_for_every_weight_and_bias():
    weights, biases = book_network()
    net_input, y = np.ones((1, 1)) * 1.2, np.ones((1, 1)) * 20.0
    _, all_f, all_h = network_output(net_input, weights, biases)
    dl_dweights, dl_dbiases = backward_pass(weights, all_f, all_h, y)
    step = 1e-6

    def central(params, layer, index):  # the notebook's one-element nudge, made central
        up, down = [np.array(p) for p in params], [np.array(p) for p in params]
        up[layer][index] += step
        down[layer][index] -= step
        use = (lambda q: (weights, q)) if params is biases else (lambda q: (q, biases))
        return (least_squares(network_output(net_input, *use(up))[0], y)
                - least_squares(network_output(net_input, *use(down))[0], y)) / (2 * step)  # fmt: skip

    for layer in range(6):
        for index in np.ndindex(weights[layer].shape):
            assert central(weights, layer, index) == pytest.approx(dl_dweights[layer][index], rel=1e-5, abs=1e-5)
        for index in np.ndindex(biases[layer].shape):
            assert central(biases, layer, index) == pytest.approx(dl_dbiases[layer][index], rel=1e-5, abs=1e-5)
    assert max(np.abs(g).max() for g in dl_dweights) > 1  # a real gradient, not all zeros (dead net)


@pytest.mark.parametrize("lib_name", ["autograd_core", "torch"])
@pytest.mark.parametrize("columns", [1, 7])
def test_7_2_hand_backward_pass_equals_the_engine_s_gradients(lib_name, columns):
    lib = ag if lib_name == "autograd_core" else pytest.importorskip("torch")
    weights, biases = book_network()
    rng = np.random.default_rng(columns)
    net_input = np.ones((1, 1)) * 1.2 if columns == 1 else rng.normal(size=(1, columns))
    y = np.ones((1, columns)) * 20.0
    _, all_f, all_h = network_output(net_input, weights, biases)
    assert all(np.abs(f).min() > 1e-9 for f in all_f[:-1])  # no kink hit: [f >= 0] and [f > 0] agree
    want_w, want_b = backward_pass(weights, all_f, all_h, y)
    got_w, got_b = engine_gradients(lib, net_input, weights, biases, y)
    for got, want in zip(got_w + got_b, want_w + want_b):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_7_2_the_same_network_as_nn_linear_layers_has_the_hand_derived_gradients():
    weights, biases = book_network()
    layers = []
    for w, b in zip(weights, biases):
        linear = nn.Linear(w.shape[1], w.shape[0])
        linear.weight.data[...], linear.bias.data[...] = w, b[:, 0]  # the book's Omega is Linear's weight
        layers += [linear, nn.ReLU()]
    model = nn.Sequential(*layers[:-1])
    X = np.random.default_rng(3).normal(size=(9, 1))  # rows for nn: the notebook's columns transposed
    out = model(ag.tensor(X))
    ((out - 20.0) ** 2).sum().backward()
    _, all_f, all_h = network_output(X.T, weights, biases)
    want_w, want_b = backward_pass(weights, all_f, all_h, np.full((1, 9), 20.0))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    for linear, gw, gb in zip(linears, want_w, want_b):
        np.testing.assert_allclose(linear.weight.grad, gw, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(linear.bias.grad, gb[:, 0], rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------- 7.3 initialization
K_DEEP, D_WIDE = 50, 80


def deep_parameters(sigma_sq_omega, seed=0, K=K_DEEP, D=D_WIDE):
    """The notebook's init_params: Omega_k ~ N(0, sigma_sq_omega), beta_k = 0."""
    rng = np.random.default_rng(seed)
    shapes = [(D, 1)] + [(D, D)] * (K - 1) + [(1, D)]
    return [rng.normal(size=s) * np.sqrt(sigma_sq_omega) for s in shapes], [np.zeros((s[0], 1)) for s in shapes]


def deep_run(sigma_sq_omega, n_data=1000):
    """Forward and backward through the 50-layer network with the engine, a column per example; returns the
    std of the activations h_k and of the engine's dl/df_k at every layer (the notebook's two print-outs)."""
    weights, biases = deep_parameters(sigma_sq_omega)
    x = np.random.default_rng(1).normal(size=(1, n_data))
    h, fs, hs = ag.tensor(x), [], []
    for w, b in zip(weights[:-1], biases[:-1]):
        f = b + ag.tensor(w, requires_grad=True) @ h  # parameters: the gradients flow back through them
        f.retain_grad()
        h = ag.relu(f)
        fs.append(f)
        hs.append(h.data.std())
    out = biases[-1] + ag.tensor(weights[-1]) @ h
    ((out - 0.5) ** 2).sum().backward()  # any least-squares target: it only scales dl/df
    return np.array(hs), np.array([f.grad.std() for f in fs])


@pytest.fixture(scope="module")
def deep_runs():
    he = 2.0 / D_WIDE
    return {name: deep_run(s) for name, s in {"small": he / 10, "he": he, "large": he * 10}.items()}


def test_7_3_he_initialisation_keeps_the_activations_size_across_50_layers(deep_runs):
    (small, _), (he, _), (large, _) = deep_runs["small"], deep_runs["he"], deep_runs["large"]
    he_ratio, small_ratio, large_ratio = he[-1] / he[4], small[-1] / small[4], large[-1] / large[4]
    assert 0.1 < he_ratio < 10  # measured 1.9: each layer keeps E[h^2] (var 2/D times D/2 live units)
    # measured 6e-23 and 6e22: the variance changes 10x a layer, so the std sqrt(10)x over 45 layers
    assert small_ratio < 1e-20 < 1e20 < large_ratio
    assert small[-1] < he[-1] < large[-1]


def test_7_3_he_initialisation_keeps_the_engine_s_gradients_size_backwards(deep_runs):
    (_, small), (_, he), (_, large) = deep_runs["small"], deep_runs["he"], deep_runs["large"]
    # read from the output back to the input: dl/df_1 relative to dl/df_45
    he_ratio, small_ratio, large_ratio = he[0] / he[-5], small[0] / small[-5], large[0] / large[-5]
    assert 0.1 < he_ratio < 10  # measured 2.7
    assert small_ratio < 1e-20 and large_ratio > 1e20  # measured 8e-23 and 8e22: vanishing and exploding
    assert np.all(np.isfinite(large)) and np.all(he > 0)


def test_7_3_the_notebook_s_he_variance_is_nn_init_kaiming_normal():
    linear = nn.Linear(D_WIDE, D_WIDE)
    nn.init.kaiming_normal_(linear.weight, generator=5)  # fan_in, gain sqrt(2) for ReLU
    want = np.random.default_rng(5).normal(size=(D_WIDE, D_WIDE)) * np.sqrt(2.0 / D_WIDE)
    np.testing.assert_allclose(linear.weight.data, want, rtol=1e-15)
    assert nn.init.calculate_gain("relu") ** 2 / D_WIDE == pytest.approx(2.0 / D_WIDE)


def test_7_2_the_relu_kink_is_where_the_three_conventions_differ():
    f = ag.tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    f.clip(0.0).sum().backward()  # the notebook's ReLU spelling, preactivation.clip(0.0)
    indicator = (f.data >= 0).astype(float)  # the notebook's indicator_function
    np.testing.assert_array_equal(f.grad, [0.0, 0.5, 1.0])  # ties split: the mean of the two one-sided slopes
    np.testing.assert_array_equal(indicator, [0.0, 1.0, 1.0])
    assert f.grad[0] == indicator[0] and f.grad[2] == indicator[2] and f.grad[1] != indicator[1]
