"""deeplearning.ai's Deep Learning Specialization, course 2 week 1, ported step by step: "Initialization"
(zeros never break symmetry and leave the cost at ln 2; x10 random weights start at a cost of inf; He's
sqrt(2 / n_{l-1}) trains the circles), "Regularization" (the L2 cost term lambd/(2m) sum ||W||^2 printed
as 1.78648594516 and its gradient lambd/m W, printed dW1..dW3; inverted dropout with keep_prob, in
training and at test time) and "Gradient Checking" (the 1-d check's 2.9e-10; gradient_check_n's relative
difference ||grad - gradapprox|| / (||grad|| + ||gradapprox||) under 2e-7 for the engine's gradients and
0.285 for the assignment's planted bug, which ``ag.gradcheck`` catches too, in a custom ``ag.Function``).
The assignments' numpy code (tests/deeplearning_ai_helpers.py) is the ORACLE. Course 2's optimization
methods are in test_deeplearning_ai_ports_optim.py.

Where the port differs from the notebooks: sklearn's make_circles is written in the helpers (same
recipe: factor 0.8, noise .05); the football positions of "Regularization" (a .mat download) are
``nn.datasets.make_moons``; the networks train on the logits with ``F.binary_cross_entropy_with_logits``,
whose gradient is the notebooks' hand-written dZ3 = (A3 - Y) / m, finite even where sigmoid rounds to 1
(the cost's own log(0) there is why the notebook prints inf, and why differentiating that spelling would
give NaN); our dropout keeps an element where its uniform draw is >= 1 - keep_prob (the notebook: < keep_prob),
so masks from the same numbers differ while their law is the same.

What the port needed (fixed): ``np.nansum`` on a Tensor raised TypeError (the notebooks' ``compute_loss`` is
``1./m * np.nansum(logprobs)``): now ``ag.nansum`` (torch.nansum's), NaN counted as zero with gradient 0.
"""

import numpy as np
import pytest
from deeplearning_ai_helpers import (
    backward_propagation_n,
    forward_propagation_n,
    gradient_check_n,
    gradient_check_n_test_case,
    make_circles,
)

import autograd_core as ag
import nn
import nn.functional as F

SHAPES = ("W1", "b1", "W2", "b2", "W3", "b3")


def engine_logits(X, P):
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR, the three-layer model of course 2's notebooks."""
    A1 = (P["W1"] @ X + P["b1"]).relu()
    A2 = (P["W2"] @ A1 + P["b2"]).relu()
    return P["W3"] @ A2 + P["b3"]


def notebook_loss(a3, Y):
    """init_utils.compute_loss as the notebook writes it, run on Tensors."""
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return 1.0 / Y.shape[1] * np.nansum(logprobs)


def initialize(kind, dims=(2, 10, 5, 1)):
    """initialize_parameters_zeros / _random (randn * 10) / _he (randn * sqrt(2 / n_{l-1})), seed 3."""
    rng = np.random.RandomState(3)
    parameters = {}
    for layer in range(1, len(dims)):
        scale = {"zeros": 0.0, "random": 10.0, "he": np.sqrt(2 / dims[layer - 1])}[kind]
        parameters[f"W{layer}"] = rng.randn(dims[layer], dims[layer - 1]) * scale
        parameters[f"b{layer}"] = np.zeros((dims[layer], 1))
    return {k: ag.tensor(v, requires_grad=True) for k, v in parameters.items()}


def fit(P, X, Y, iterations, learning_rate=0.01, lambd=0.0):
    opt = nn.optim.SGD(P.values(), lr=learning_rate)
    costs = []
    for _ in range(iterations):
        opt.zero_grad()
        cost = F.binary_cross_entropy_with_logits(engine_logits(X, P), Y)
        if lambd:  # compute_cost_with_regularization: + lambd/(2m) (||W1||^2 + ||W2||^2 + ||W3||^2)
            cost = cost + lambd / (2 * Y.shape[1]) * F.l2_penalty([P["W1"], P["W2"], P["W3"]])
        cost.backward()
        opt.step()
        costs.append(cost.item())
    return costs


def accuracy(P, X, Y):
    return np.mean((engine_logits(X, P).data > 0) == Y)


# ---------------------------------------------------------------- Initialization
def test_zeros_keep_the_cost_at_ln_2_and_every_unit_of_a_layer_equal():
    X, Y = make_circles(300, noise=0.05, seed=1)
    P = initialize("zeros")
    costs = fit(P, X, Y, 200)
    assert costs == [pytest.approx(np.log(2), rel=1e-15)] * 200  # "Cost after iteration 1000: 0.6931471805599453"
    assert accuracy(P, X, Y) == 0.5 and not any(P[k].data.any() for k in SHAPES if k != "b3")  # nothing moved
    assert abs(P["b3"].item()) < 1e-15  # but b3, by the rounding of mean(sigmoid(0) - Y) = 0.5 - 0.5
    # Not only zero: any constant start keeps a layer's units identical (their gradients are equal)
    P = {k: ag.tensor(np.full(v.shape, 0.3), requires_grad=True) for k, v in P.items()}
    fit(P, X, Y, 200, learning_rate=0.1)
    for name in ("W1", "W2"):
        rows = P[name].data
        assert np.ptp(rows[:, 0]) == 0 and np.abs(rows - 0.3).max() > 1e-2  # trained, yet all rows alike


def test_ag_nansum_counts_nan_as_zero_with_gradient_zero():
    x = ag.tensor([[1.0, np.nan], [2.0, 3.0]], requires_grad=True)
    total = np.nansum(x, axis=1, keepdims=True)  # was: TypeError "np.nansum is not implemented for Tensors"
    np.testing.assert_array_equal(total.data, [[1.0], [5.0]])
    (total * ag.tensor([[1.0], [2.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0], [2.0, 2.0]])
    assert ag.nansum(x).item() == 6.0 and ag.nansum(x, 0).tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match=r"np.nansum\(\.\.\., where=\) on a Tensor is not supported.*drop where"):
        np.nansum(x, where=np.ones((2, 2), bool))


def test_nansum_matches_torch():
    torch = pytest.importorskip("torch")
    values = np.array([[1.0, np.nan, -2.0], [np.nan, 3.0, 4.0]])
    theirs = torch.tensor(values, requires_grad=True)
    torch.nansum(theirs, dim=0).pow(2).sum().backward()
    ours = ag.tensor(values, requires_grad=True)
    (ag.nansum(ours, 0) ** 2).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_large_random_weights_start_at_a_cost_of_inf_and_train_slowly():
    X, Y = make_circles(300, noise=0.05, seed=1)
    P = initialize("random")
    with np.errstate(divide="ignore", invalid="ignore"):
        first = notebook_loss(ag.sigmoid(engine_logits(X, P)), Y)
    assert first.item() == np.inf  # "Cost after iteration 0: inf": sigmoid rounds to exactly 1 where Y = 0
    logits_cost = F.binary_cross_entropy_with_logits(engine_logits(X, P), Y)
    logits_cost.backward()  # finite, and its gradients are the notebook's hand-written ones
    with np.errstate(divide="ignore", invalid="ignore"):  # (its cost is inf too; only the cache is used)
        _, cache = forward_propagation_n(X, Y, {k: v.data for k, v in P.items()})
    want = backward_propagation_n(X, Y, {k: v.data for k, v in P.items()}, cache)
    for k in SHAPES:
        np.testing.assert_allclose(P[k].grad, want["d" + k], rtol=1e-10, atol=1e-12)
    he = initialize("he")
    he_cost = F.binary_cross_entropy_with_logits(engine_logits(X, he), Y).item()
    assert logits_cost.item() > 100 * he_cost  # measured: 1774 against 0.88


def test_he_initialization_draws_std_sqrt_2_over_fan_in_and_fits_the_circles():
    w = nn.init.kaiming_normal_(ag.empty(400, 300), nonlinearity="relu", generator=0)
    assert w.data.std() == pytest.approx(np.sqrt(2 / 300), rel=0.01)  # W (n_l, n_{l-1}): fan_in is n_{l-1}
    X, Y = make_circles(300, noise=0.05, seed=1)
    X_test, Y_test = make_circles(100, noise=0.05, seed=2)
    results = {}
    for kind in ("random", "he"):
        P = initialize(kind)
        fit(P, X, Y, 3000, learning_rate=0.05)  # the notebook: 15,000 iterations at 0.01
        results[kind] = accuracy(P, X, Y), accuracy(P, X_test, Y_test)
    # the notebook: random 83% / 86%, He 99.3% / 96%; measured here: random 68% / 68%, He 99.7% / 96%
    assert results["he"][0] > 0.97 and results["he"][1] > 0.9
    assert results["random"][0] < 0.8 and results["random"][1] < 0.8


# ---------------------------------------------------------------- Regularization
def regularization_case():
    rng = np.random.RandomState(1)
    X, Y = rng.randn(3, 5), np.array([[1, 1, 0, 1, 0]])
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (3, 2), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
    return X, Y, {k: ag.tensor(rng.randn(*s), requires_grad=True) for k, s in shapes.items()}


def test_compute_cost_with_regularization_prints_1_78648594516():
    rng = np.random.RandomState(1)  # compute_cost_with_regularization_test_case: no X drawn first
    Y = np.array([[1, 1, 0, 1, 0]])
    P = {
        k: ag.tensor(rng.randn(*s))
        for k, s in (("W1", (2, 3)), ("b1", (2, 1)), ("W2", (3, 2)), ("b2", (3, 1)), ("W3", (1, 3)))
    }
    a3 = np.array([[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    cost = F.binary_cross_entropy(a3, Y.astype(float)) + 0.1 / (2 * 5) * F.l2_penalty([P["W1"], P["W2"], P["W3"]])
    assert cost.item() == pytest.approx(1.78648594516, abs=5e-12)


def test_backward_propagation_with_regularization_prints_dw_and_adds_lambd_over_m_w():
    X, Y, P = regularization_case()
    lambd, m = 0.7, 5
    cost = F.binary_cross_entropy_with_logits(engine_logits(X, P), Y)
    plain = dict(zip(SHAPES, ag.grad(cost, [P[k] for k in SHAPES], retain_graph=True)))
    (cost + lambd / (2 * m) * F.l2_penalty([P["W1"], P["W2"], P["W3"]])).backward()
    np.testing.assert_allclose(
        P["W1"].grad, [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]], atol=5e-9
    )
    np.testing.assert_allclose(
        P["W2"].grad, [[0.79276486, 0.85133918], [-0.0957219, -0.01720463], [-0.13100772, -0.03750433]], atol=5e-9
    )
    np.testing.assert_allclose(P["W3"].grad, [[-1.77691347, -0.11832879, -0.09397446]], atol=5e-9)
    for k in SHAPES:  # the penalty's gradient is lambd/m W on the weights, nothing on the biases
        extra = lambd / m * P[k].data if k[0] == "W" else 0.0
        np.testing.assert_allclose(P[k].grad, plain[k].data + extra, rtol=1e-13, atol=1e-15)


def test_l2_regularization_is_sgd_weight_decay_lambd_over_m_on_the_weights_only():
    X, y = nn.datasets.make_moons(60, noise=0.3, seed=0)
    X, Y = X.T, y.reshape(1, -1).astype(float)
    lambd, m = 0.7, X.shape[1]
    P, Q = initialize("he", (2, 20, 3, 1)), initialize("he", (2, 20, 3, 1))
    fit(P, X, Y, 300, learning_rate=0.3, lambd=lambd)
    weights, biases = [Q[k] for k in SHAPES if k[0] == "W"], [Q[k] for k in SHAPES if k[0] == "b"]
    opt = nn.optim.SGD([{"params": weights, "weight_decay": lambd / m}, {"params": biases}], lr=0.3)
    for _ in range(300):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(engine_logits(X, Q), Y).backward()
        opt.step()
    for k in SHAPES:
        np.testing.assert_allclose(P[k].data, Q[k].data, rtol=1e-9, atol=1e-12)
    plain = initialize("he", (2, 20, 3, 1))
    fit(plain, X, Y, 300, learning_rate=0.3)
    # "weight decay": the regularized weights end up smaller
    assert (
        F.l2_penalty([P["W1"], P["W2"], P["W3"]]).item()
        < 0.7 * F.l2_penalty([plain["W1"], plain["W2"], plain["W3"]]).item()
    )


def test_inverted_dropout_zeroes_one_minus_keep_prob_and_scales_by_one_over_keep_prob():
    keep_prob = 0.86
    A = ag.tensor(np.random.RandomState(0).rand(200, 500) + 0.1, requires_grad=True)
    out = F.dropout(A, p=1 - keep_prob, training=True, generator=1)
    D = out.data != 0  # the mask it drew
    assert D.mean() == pytest.approx(keep_prob, abs=0.005)
    np.testing.assert_allclose(out.data, A.data * D / keep_prob, rtol=1e-15)  # A = A * D / keep_prob
    assert out.data.mean() == pytest.approx(A.data.mean(), rel=0.01)  # the expected value is kept
    upstream = np.random.RandomState(2).randn(200, 500)
    out.backward(upstream)
    np.testing.assert_allclose(A.grad, upstream * D / keep_prob, rtol=1e-15)  # dA = dA * D / keep_prob
    assert F.dropout(A, p=1 - keep_prob, training=False) is A  # at test time: no dropout, no scaling


def test_a_model_with_dropout_is_random_in_training_and_deterministic_in_eval():
    model = nn.Sequential(
        nn.Linear(2, 20), nn.ReLU(), nn.Dropout(0.14), nn.Linear(20, 3), nn.ReLU(), nn.Dropout(0.14), nn.Linear(3, 1)
    )
    X = np.random.RandomState(0).randn(50, 2)
    assert not np.array_equal(model(X).data, model(X).data)
    model.eval()
    np.testing.assert_array_equal(model(X).data, model(X).data)


# ---------------------------------------------------------------- Gradient Checking
def test_one_dimensional_gradient_check_prints_2_9e_10():
    x, theta, epsilon = 2.0, ag.tensor(4.0, requires_grad=True), 1e-7
    (theta * x).backward()  # J(theta) = theta x
    grad = theta.grad.item()
    gradapprox = ((4.0 + epsilon) * x - (4.0 - epsilon) * x) / (2 * epsilon)
    difference = abs(grad - gradapprox) / (abs(grad) + abs(gradapprox))
    assert grad == 2.0 and difference == pytest.approx(2.919335883291695e-10, rel=1e-9)


def test_gradient_check_n_passes_the_engine_and_catches_the_planted_bug():
    X, Y, parameters = gradient_check_n_test_case()
    P = {k: ag.tensor(v, requires_grad=True) for k, v in parameters.items()}
    F.binary_cross_entropy_with_logits(engine_logits(X, P), Y.reshape(1, -1).astype(float)).backward()
    cost_of = lambda p: forward_propagation_n(X, Y, p)[0]  # noqa: E731
    ours = gradient_check_n(cost_of, parameters, {"d" + k: P[k].grad for k in SHAPES})
    assert ours < 2e-7  # "Your backward propagation works perfectly fine!" (the notebook: 1.19e-07)
    _, cache = forward_propagation_n(X, Y, parameters)
    buggy = gradient_check_n(cost_of, parameters, backward_propagation_n(X, Y, parameters, cache, planted_bug=True))
    assert buggy == pytest.approx(0.2850931567761624, rel=1e-9)  # "There is a mistake in the backward propagation!"


class ThreeLayerCost(ag.Function):
    """forward_propagation_n's cost with a hand-written backward: the assignment's, optionally with its bug."""

    @staticmethod
    def forward(ctx, X, Y, planted_bug, *params):
        parameters = dict(zip(SHAPES, (p.data for p in params)))
        cost, cache = forward_propagation_n(X, Y, parameters)
        ctx.grads = backward_propagation_n(X, Y, parameters, cache, planted_bug)
        return ag.tensor(cost)

    @staticmethod
    def backward(ctx, grad_output):
        return (None, None, None, *(grad_output * ctx.grads["d" + k] for k in SHAPES))


@pytest.mark.parametrize("planted_bug", [False, True])
def test_ag_gradcheck_catches_the_planted_bug_in_a_custom_function(planted_bug):
    X, Y, parameters = gradient_check_n_test_case()
    params = [ag.tensor(parameters[k], requires_grad=True) for k in SHAPES]
    check = lambda *p: ThreeLayerCost.apply(X, Y, planted_bug, *p)  # noqa: E731
    if not planted_bug:
        assert ag.gradcheck(check, params)
    else:
        with pytest.raises(AssertionError, match=r"input 1") as caught:  # b1 (index 1) is the first one wrong
            ag.gradcheck(check, params)
        assert "analytic" in str(caught.value) and "numeric" in str(caught.value)
