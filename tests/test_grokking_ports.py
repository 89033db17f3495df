"""Andrew Trask's "Grokking Deep Learning" (Manning; code at github.com/iamtrask/Grokking-Deep-Learning),
chapters 4-6, and his blog posts "A Neural Network in 11 lines of Python" (parts 1 and 2), ported step
by step: each of the book's printed numbers is re-derived with autograd_core, the book's hand-made
``delta`` and ``weight_delta`` read off as gradients of the error by the engine. The framework of
chapter 13 is in test_grokking_ports_framework.py, its recurrent nets (chapters 12-14, the binary-addition
RNN) in test_grokking_ports_rnn.py, chapters 8, 9 and 11 in test_grokking_ports_chapters.py.

The book's rule, measured here: ``delta = pred - goal_pred`` and ``weight_delta = delta * input`` are
HALF the derivative of its error ``(pred - goal_pred) ** 2`` (the engine gives 2 * delta * input): they
are the exact gradients of ``(pred - goal_pred) ** 2 / 2``, so ``weight -= alpha * weight_delta`` is
``nn.optim.SGD`` with lr = alpha on that halved error (or lr = alpha / 2 on the book's error).

What the port needed: nothing new in the library for these chapters. Two findings about the book:
chapter 5's multiple-input-multiple-output example computes ``weight_deltas = outer_prod(input,
delta)`` while its ``weights`` hold a row per OUTPUT, so its update subtracts the transpose of the
gradient (the engine's gradient is outer(delta, input)); the blog's and chapter 6's relu2deriv reads
the relu OUTPUT (0 where x <= 0), where ours splits the kink (relu'(0) = 1/2, the project's
convention); no pre-activation is exactly 0 in these runs, so every trajectory is the same.
"""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F


def sgd_step(weight, lr):
    with ag.no_grad():
        weight -= lr * weight.grad
    weight.grad = None


# ---------------------------------------------------------------- chapter 4: hot and cold, gradient descent
def test_chapter_4_the_first_errors_print_the_same_digits():
    def error_at(weight, input=8.5, goal=1.0):
        return (ag.tensor(input) * ag.tensor(weight) - goal) ** 2

    assert float((ag.tensor(0.5) * 0.5 - 0.8) ** 2) == 0.30250000000000005  # "print(error)": 0.30250000000000005
    assert float(error_at(0.1)) == 0.022499999999999975
    assert float(error_at(0.1 + 0.01)) == 0.004224999999999993  # "e_up"
    assert float(error_at(0.1 - 0.01)) == 0.05522499999999994  # "e_dn"


def test_chapter_4_hot_and_cold_moves_the_way_the_gradient_points_and_ends_at_the_printed_error():
    weight, input, goal, step = 0.5, 0.5, 0.8, 0.001
    for _ in range(1101):
        w = ag.tensor(weight, requires_grad=True)
        error = (input * w - goal) ** 2
        error.backward()
        up, down = (goal - input * (weight + step)) ** 2, (goal - input * (weight - step)) ** 2
        if down != up:  # hot and cold's two probes agree with the sign of the engine's derivative
            assert (down < up) == (w.grad > 0)
        weight = weight - step if down < up else weight + step if down > up else weight
    # the book's last two printed lines: Error:2.50000000033e-07 Prediction:0.7995, then 1.07995057925e-27, 0.8
    assert float(error) == pytest.approx(1.07995057925e-27, rel=1e-9)
    assert float(input * w) == pytest.approx(0.8, abs=1e-13)


def test_chapter_4_gradient_descent_prints_its_error_sequence_with_sgd_at_half_the_rate():
    w = ag.tensor(0.5, requires_grad=True)
    optimizer = nn.optim.SGD([w], lr=0.5)  # weight -= delta * input = (d error / d weight) / 2
    printed = []
    for _ in range(20):
        pred = 0.5 * w
        error = (pred - 0.8) ** 2
        printed.append((float(error), float(pred)))
        optimizer.zero_grad()
        error.backward()
        optimizer.step()
    # printed by Python 2's str (12 digits): Error:0.3025 Prediction:0.25, ...
    np.testing.assert_allclose(
        printed[:3], [(0.3025, 0.25), (0.17015625, 0.3875), (0.095712890625, 0.490625)], rtol=1e-12
    )
    last = [(1.7092608064e-05, 0.79586567925), (9.61459203602e-06, 0.796899259437), (5.40820802026e-06, 0.797674444578)]
    np.testing.assert_allclose(printed[-3:], last, rtol=1e-10)


def test_chapter_4_delta_and_weight_delta_are_the_engine_s_gradients_of_half_the_error():
    weight, input, goal = 0.0, 1.1, 0.8
    rows = []
    for _ in range(4):
        w = ag.tensor(weight, requires_grad=True)
        pred = input * w
        pred.retain_grad()
        ((pred - goal) ** 2 / 2).backward()
        rows.append((weight, float((pred - goal) ** 2), float(pred), float(pred.grad), float(w.grad)))
        weight -= float(w.grad)
    book = [  # Weight, Error, Prediction, Delta, Weight Delta, as printed
        (0.0, 0.64, 0.0, -0.8, -0.88),
        (0.88, 0.028224, 0.968, 0.168, 0.1848),
        (0.6952, 0.0012446784, 0.76472, -0.03528, -0.038808),
        (0.734008, 5.489031744e-05, 0.8074088, 0.0074088, 0.00814968),
    ]
    np.testing.assert_allclose(rows, book, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(
    "alpha, first, last",
    [
        (1.0, [0.04, 0.36, 3.24, 29.16], None),  # "Breaking gradient descent": input 2 overcorrects, x9 a step
        (0.1, [0.04, 0.0144, 0.005184], 1.48527717099e-10),  # alpha = 0.1 tames it
    ],
)
def test_chapter_4_a_large_input_diverges_and_alpha_fixes_it(alpha, first, last):
    w = ag.tensor(0.5, requires_grad=True)
    errors = []
    for _ in range(20):
        error = (2 * w - 0.8) ** 2
        errors.append(float(error))
        (error / 2).backward()
        sgd_step(w, alpha)
    np.testing.assert_allclose(errors[: len(first)], first, rtol=1e-12)
    if last is None:
        assert errors[-1] == pytest.approx(0.04 * 9**19, rel=1e-9)  # 9-fold a step
    else:
        assert errors[-1] == pytest.approx(last, rel=1e-9)


# ---------------------------------------------------------------- chapter 5: several weights at once
TOES, WLREC, NFANS = [8.5, 9.5, 9.9, 9.0], [0.65, 0.8, 0.8, 0.9], [1.2, 1.3, 0.5, 1.0]
HURT, WIN, SAD = [0.1, 0.0, 0.0, 0.1], [1, 1, 0, 1], [0.1, 0.0, 0.1, 0.2]


def test_chapter_5_multiple_inputs_weight_deltas_are_the_gradient_and_the_printed_steps_follow():
    w = ag.tensor([0.1, 0.2, -0.1], requires_grad=True)
    x = ag.tensor([TOES[0], WLREC[0], NFANS[0]])
    pred = (x * w).sum()  # w_sum(input, weights)
    error = (pred - 1) ** 2
    (error / 2).backward()
    assert float(pred) == pytest.approx(0.8600000000000001, abs=1e-15)
    assert float(error) == pytest.approx(0.01959999999999997, abs=1e-15)
    np.testing.assert_allclose(w.grad, [-1.189999999999999, -0.09099999999999994, -0.16799999999999987], atol=1e-14)
    sgd_step(w, 0.01)
    np.testing.assert_allclose(w.data, [0.1119, 0.20091, -0.09832], atol=1e-15)
    pred = (x * w).sum()
    assert float(pred) == pytest.approx(0.9637574999999999, abs=1e-14)
    assert float((pred - 1) ** 2) == pytest.approx(0.0013135188062500048, abs=1e-15)


def test_chapter_5_one_input_several_outputs():
    w = ag.tensor([0.3, 0.2, 0.9], requires_grad=True)
    pred = WLREC[0] * w  # ele_mul(input, weights)
    (((pred - ag.tensor([HURT[0], WIN[0], SAD[0]])) ** 2).sum() / 2).backward()
    np.testing.assert_allclose(w.grad, [0.061750000000000006, -0.5655, 0.3152500000000001], atol=1e-15)
    sgd_step(w, 0.1)
    np.testing.assert_allclose(w.data, [0.293825, 0.25655, 0.868475], atol=1e-15)  # the printed weights


def test_chapter_5_many_inputs_many_outputs_the_gradient_is_the_transpose_of_the_book_s_outer_product():
    weights = [[0.1, 0.1, -0.3], [0.1, 0.2, 0.0], [0.0, 1.3, 0.1]]  # a row per output: hurt?, win?, sad?
    W = ag.tensor(weights, requires_grad=True)
    x, goal = np.array([TOES[0], WLREC[0], NFANS[0]]), np.array([HURT[0], WIN[0], SAD[0]])
    pred = W @ x  # vect_mat_mul
    np.testing.assert_allclose(pred.data, [0.555, 0.98, 0.965], atol=1e-15)
    (((pred - goal) ** 2).sum() / 2).backward()
    book_weight_deltas = np.outer(x, pred.data - goal)  # the printed [[3.8675, -0.17, 7.3525], ...]
    np.testing.assert_allclose(book_weight_deltas[0], [3.8675, -0.17, 7.3525], atol=1e-12)
    np.testing.assert_allclose(W.grad, book_weight_deltas.T, atol=1e-12)  # outer(delta, input)
    assert not np.allclose(W.grad, book_weight_deltas)  # the book subtracts the transpose


# ---------------------------------------------------------------- chapter 6: the streetlight problem
STREETLIGHTS = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1], [1, 1, 1]], float)
WALK_VS_STOP = np.array([[1, 1, 0, 0]], float).T


def test_chapter_6_streetlight_relu_net_prints_the_book_s_errors():
    np.random.seed(1)  # the book's seed and draws: weights_0_1 (3, 4), then weights_1_2 (4, 1)
    weights_0_1, weights_1_2 = 2 * np.random.random((3, 4)) - 1, 2 * np.random.random((4, 1)) - 1
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=False))
    model[0].weight.data[...], model[2].weight.data[...] = weights_0_1.T, weights_1_2.T  # nn stores (out, in)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.2)
    printed = []
    for iteration in range(60):
        layer_2_error = 0.0
        for i in range(4):  # one example at a time, as the book
            layer_2 = model(STREETLIGHTS[i : i + 1])
            error = F.mse_loss(layer_2, WALK_VS_STOP[i : i + 1], reduction="sum")
            layer_2_error += float(error)
            optimizer.zero_grad()
            (error / 2).backward()  # layer_2_delta = layer_2 - goal: the gradient of half the squared error
            optimizer.step()
        if iteration % 10 == 9:
            printed.append(layer_2_error)
    book = [0.634231159844, 0.358384076763, 0.0830183113303, 0.0064670549571, 0.000329266900075, 1.50556226651e-05]
    np.testing.assert_allclose(printed, book, rtol=1e-9)


# ---------------------------------------------------------------- "A Neural Network in 11 lines of Python"
XOR_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], float)


def test_part_1_two_layer_net_prints_output_after_training():
    np.random.seed(1)
    syn0 = ag.tensor(2 * np.random.random((3, 1)) - 1, requires_grad=True)
    y = np.array([[0, 0, 1, 1]], float).T
    for _ in range(10000):
        l1 = (ag.tensor(XOR_X) @ syn0).sigmoid()
        # l1_delta = (y - l1) * l1 (1 - l1) is minus the gradient of sum (y - l1)^2 / 2 at X @ syn0
        (((y - l1) ** 2).sum() / 2).backward()
        sgd_step(syn0, 1.0)
    np.testing.assert_allclose(l1.data.ravel(), [0.00966449, 0.00786506, 0.99358898, 0.99211957], atol=5e-9)


def test_part_1_three_layer_net_prints_the_blog_s_errors_and_outputs():
    np.random.seed(1)
    syn0 = ag.tensor(2 * np.random.random((3, 4)) - 1, requires_grad=True)
    syn1 = ag.tensor(2 * np.random.random((4, 1)) - 1, requires_grad=True)
    y = np.array([[0, 1, 1, 0]], float).T

    def half_squared_error():
        l2 = ((ag.tensor(XOR_X) @ syn0).sigmoid() @ syn1).sigmoid()
        return ((y - l2) ** 2).sum() / 2, l2

    step = ag.compile(half_squared_error, has_aux=True)  # 60,000 steps: replayed, 2 s instead of 3
    printed = []
    for j in range(60000):
        _, l2 = step()
        if j % 10000 == 0:
            printed.append(float(np.mean(np.abs(y - l2.data))))
        sgd_step(syn0, 1.0)
        sgd_step(syn1, 1.0)
    book = [0.496410031903, 0.00858452565325, 0.00578945986251, 0.00462917677677, 0.00395876528027, 0.00351012256786]
    np.testing.assert_allclose(printed, book, rtol=1e-9)
    np.testing.assert_allclose(l2.data.ravel(), [0.00260572, 0.99672209, 0.99701711, 0.00386759], atol=5e-9)


@pytest.mark.parametrize(
    "alpha, errors",
    [
        (0.1, [0.496410031903, 0.0428880170001]),  # slower than alpha = 1's 0.00858452565325
        (10, [0.496410031903, 0.00312938876301]),  # faster
    ],
)
def test_part_2_alpha_scales_the_update(alpha, errors):
    # part 2 (gradient descent) trains the same net at alpha in 0.001..1000; its printed error every 10,000
    np.random.seed(1)
    syn0 = ag.tensor(2 * np.random.random((3, 4)) - 1, requires_grad=True)
    syn1 = ag.tensor(2 * np.random.random((4, 1)) - 1, requires_grad=True)
    y = np.array([[0, 1, 1, 0]], float).T

    def half_squared_error():
        l2 = ((ag.tensor(XOR_X) @ syn0).sigmoid() @ syn1).sigmoid()
        return ((y - l2) ** 2).sum() / 2, l2

    step = ag.compile(half_squared_error, has_aux=True)
    printed = []
    for j in range(10001):
        _, l2 = step()
        if j % 10000 == 0:
            printed.append(float(np.mean(np.abs(y - l2.data))))
        sgd_step(syn0, alpha)
        sgd_step(syn1, alpha)
    np.testing.assert_allclose(printed, errors, rtol=1e-9)
