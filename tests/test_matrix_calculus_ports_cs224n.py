"""Kevin Clark's CS224n notes "Computing Neural Network Gradients" ported identity by identity: each of the
notes' useful identities checked with ``ag.jacrev``/``ag.jacfwd`` (the notes' Jacobians) and ``ag.value_and_grad``
(the notes' shape convention) against the closed form and finite differences, then the notes' worked
one-hidden-layer network (z = Wx + b1, h = ReLU(z), θ = Uh + b2, ŷ = softmax(θ), J = CE(y, ŷ)) on a window of
word vectors (the lecture's window classifier: x is the concatenation of five rows of an embedding matrix L), its
hand-derived gradients δ1, δ2, ∂J/∂U, ∂J/∂b2, ∂J/∂W, ∂J/∂b1, ∂J/∂x and ∂J/∂L equal to the engine's and torch's.

a. Identities: z = Wx, z = xW, z = x, z = f(x) element-wise, ∂J/∂W for z = Wx and z = xW, softmax-CE's ŷ − y
b. The shape convention: a gradient has its parameter's shape (the Jacobian formulation's transpose)
c. The worked example: one hidden layer, one window, the embedding rows' gradients (a repeated word's add up)

Where this engine deliberately differs: ReLU's derivative at z = 0 is 1/2 here (the notes: 1(z > 0)); the
port's data keeps every z away from 0.

What the port needed:
- ``F.cross_entropy(theta, y)`` and ``F.nll_loss`` of ONE example's scores θ of shape (K,) (the notes' single
  example, PyTorch's unbatched input) with a class index of shape () or a one-hot y of shape (K,): refused before
  ("input must be logits of shape (N, K)"), now the loss of that one row, a 0-d tensor, as torch's.
"""

import numpy as np
import pytest
from matrix_calculus_helpers import assert_jacobian, numeric_jacobian

import autograd_core as ag
import nn.functional as F
from autograd_core import Tensor

RNG = np.random.default_rng(224)
W_3x4 = RNG.normal(size=(3, 4))
X_4 = RNG.normal(size=4)


def grad(f, *args, argnums=0):
    return ag.value_and_grad(f, argnums=argnums)(*args)[1]


# ------------------------------------------------------------------ a. identities
def test_a1_matrix_times_column_vector_with_respect_to_the_vector_is_W():
    assert_jacobian(lambda x: W_3x4 @ x, [X_4], W_3x4)


def test_a2_row_vector_times_matrix_with_respect_to_the_row_vector_is_W_transposed():
    x_row = RNG.normal(size=3)
    assert_jacobian(lambda x: x @ W_3x4, [x_row], W_3x4.T)


def test_a3_a_vector_with_respect_to_itself_is_the_identity():
    assert_jacobian(lambda x: x + 0, [X_4], np.eye(4))


@pytest.mark.parametrize(
    ("f", "f_prime"),
    [
        (ag.sigmoid, lambda x: 1 / (1 + np.exp(-x)) * (1 - 1 / (1 + np.exp(-x)))),
        (ag.tanh, lambda x: 1 - np.tanh(x) ** 2),
        (ag.relu, lambda x: (x > 0).astype(float)),  # no x is 0 here (our relu'(0) is 1/2)
    ],
)
def test_a4_an_elementwise_function_has_the_diagonal_jacobian_diag_f_prime(f, f_prime):
    assert np.all(X_4 != 0)
    assert_jacobian(f, [X_4], np.diag(f_prime(X_4)))


def test_a5_matrix_times_column_vector_with_respect_to_the_matrix():
    """z = Wx: ∂z/∂W is a 3-tensor with ∂z_i/∂W_ij = x_j (zero for k != i); with δ = ∂J/∂z (a row),
    ∂J/∂W = δᵀxᵀ, the outer product, W's shape. J = u·z stands for any J: its δ is uᵀ."""
    expected = np.zeros((3, 3, 4))
    for i in range(3):
        expected[i, i, :] = X_4
    assert_jacobian(lambda W: W @ X_4, [W_3x4], expected)
    u = RNG.normal(size=3)
    dJ_dW = grad(lambda W: u @ (W @ X_4), Tensor(W_3x4))
    np.testing.assert_allclose(dJ_dW.data, np.outer(u, X_4), rtol=1e-14)  # δᵀ xᵀ
    assert dJ_dW.shape == W_3x4.shape


def test_a6_row_vector_times_matrix_with_respect_to_the_matrix_is_x_transposed_delta():
    x_row = RNG.normal(size=3)
    u = RNG.normal(size=4)  # δ = ∂J/∂z for J = z·u
    dJ_dW = grad(lambda W: (x_row @ W) @ u, Tensor(W_3x4))
    np.testing.assert_allclose(dJ_dW.data, np.outer(x_row, u), rtol=1e-14)  # xᵀ δ


def _softmax(theta):
    e = np.exp(theta - theta.max())
    return e / e.sum()


def test_a7_cross_entropy_with_softmax_has_gradient_y_hat_minus_y():
    """ŷ = softmax(θ), J = CE(y, ŷ) = -Σ y_i log ŷ_i: ∂J/∂θ = ŷ − y, for a one-hot y (the notes' case)."""
    theta = RNG.normal(size=5)
    y = np.eye(5)[2]
    by_hand = lambda t: -(Tensor(y) * ag.log(ag.softmax(t, axis=0))).sum()  # noqa: E731 (the notes' formula)
    for J in (by_hand, lambda t: F.cross_entropy(t, Tensor(y)), lambda t: F.cross_entropy(t, ag.tensor(2))):
        np.testing.assert_allclose(grad(J, Tensor(theta)).data, _softmax(theta) - y, rtol=1e-13, atol=1e-16)
        assert J(Tensor(theta)).item() == pytest.approx(-np.log(_softmax(theta)[2]), rel=1e-14)


def test_a7_the_one_example_cross_entropy_equals_torch():
    torch = pytest.importorskip("torch")
    theta = RNG.normal(size=5)
    for target_ours, target_torch in ((ag.tensor(3), torch.tensor(3)), (Tensor(np.eye(5)[3]), torch.eye(5)[3])):
        t = torch.tensor(theta, requires_grad=True)
        theirs = torch.nn.functional.cross_entropy(
            t, target_torch.double() if target_torch.is_floating_point() else target_torch, reduction="none"
        )
        theirs.backward()
        ours = F.cross_entropy(Tensor(theta, requires_grad=True), target_ours, reduction="none")
        assert ours.shape == tuple(theirs.shape) == ()
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-14)
        np.testing.assert_allclose(
            grad(lambda x, y=target_ours: F.cross_entropy(x, y), Tensor(theta)).data,
            t.grad.numpy(),
            rtol=1e-14,
            atol=1e-16,
        )


def test_what_the_port_needed_one_example_in_cross_entropy_and_nll_loss():
    """Failed before: "input must be logits of shape (N, K), got shape (5,)"."""
    theta = Tensor(RNG.normal(size=5))
    row = theta.reshape(1, 5)
    assert F.cross_entropy(theta, np.array(1)).item() == F.cross_entropy(row, np.array([1])).item()
    assert F.cross_entropy(theta, np.array([1])).item() == F.cross_entropy(row, np.array([1])).item()  # torch's too
    assert F.nll_loss(theta.log_softmax(0), np.array(4)).item() == F.nll_loss(row.log_softmax(1), np.array([4])).item()
    assert F.cross_entropy(theta, np.array(1), reduction="none").shape == ()
    assert F.cross_entropy(theta, np.array(1), reduction="sum").item() == F.cross_entropy(row, np.array([1])).item()
    with pytest.raises(
        ValueError,
        match=r"one example's 5 class scores.*one class index \(shape \(\)\) or 5 "
        r"probabilities \(shape \(5,\)\), got shape \(2,\); for a batch",
    ):
        F.cross_entropy(theta, np.array([1, 2]))
    with pytest.raises(ValueError, match=r"labels must be in 0..4"):
        F.nll_loss(theta, np.array(5))
    with pytest.raises(ValueError, match=r"got shape \(\); one example's scores are \(K,\)"):
        F.cross_entropy(Tensor(1.0), np.array(0))


# ------------------------------------------------------------------ b. the shape convention
def test_b_the_shape_convention_is_the_transpose_of_the_jacobian_formulation():
    """For a scalar J of a column vector x, the Jacobian ∂J/∂x is a 1 x n row; the shape convention (what
    .grad and value_and_grad give) has x's shape: the same numbers, transposed."""
    x = RNG.normal(size=(4, 1))
    J = lambda x: (W_3x4 @ x).tanh().sum().reshape(1)  # noqa: E731 (a 1-element output: a 1 x (4 x 1) Jacobian)
    jacobian = ag.jacrev(J)(Tensor(x))
    gradient = grad(lambda x: J(x).sum(), Tensor(x))
    assert jacobian.shape == (1, 4, 1) and gradient.shape == x.shape
    np.testing.assert_allclose(jacobian.data.reshape(1, 4).T, gradient.data, rtol=1e-15)
    np.testing.assert_allclose(numeric_jacobian(J, x).reshape(4, 1), gradient.data, rtol=1e-7)


# ------------------------------------------------------------------ c. the worked example on a window
V, D, WINDOW, HIDDEN, CLASSES = 7, 3, np.array([2, 5, 2, 0, 6]), 6, 4  # word 2 twice in the window
LABEL = 1  # the centre word's class (the lecture's NER: e.g. LOCATION)


def _window_parameters(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "L": rng.normal(size=(V, D)),  # one word vector per row
        "W": rng.normal(size=(HIDDEN, D * len(WINDOW))) / 2,
        "b1": rng.normal(size=HIDDEN) / 2,
        "U": rng.normal(size=(CLASSES, HIDDEN)),
        "b2": rng.normal(size=CLASSES) / 2,
    }


def window_loss(p, window=WINDOW, label=LABEL):
    """The notes' network on the window's concatenated word vectors: J = CE(y, softmax(U relu(Wx + b1) + b2))."""
    x = p["L"][window].reshape(-1)
    return window_loss_of_x(p, x, label)


def window_loss_of_x(p, x, label=LABEL):
    z = p["W"] @ x + p["b1"]
    h = ag.relu(z)
    theta = p["U"] @ h + p["b2"]
    return F.cross_entropy(theta, np.array(label))  # one example: ŷ = softmax(θ), J = -log ŷ[label]


def _by_hand(p, window=WINDOW, label=LABEL):
    """The notes' derivation, in numpy: δ1 = ŷ − y, δ2 = Uᵀδ1 ∘ 1(z > 0), and the five gradients, then ∂J/∂L."""
    x = p["L"][window].reshape(-1)
    z = p["W"] @ x + p["b1"]
    assert np.abs(z).min() > 1e-3  # away from ReLU's kink
    h = np.maximum(z, 0)
    y = np.eye(CLASSES)[label]
    delta1 = _softmax(p["U"] @ h + p["b2"]) - y
    delta2 = (p["U"].T @ delta1) * (z > 0)
    dx = p["W"].T @ delta2
    dL = np.zeros_like(p["L"])
    for k, word in enumerate(window):  # each window position's slice of ∂J/∂x goes to its word's row
        dL[word] += dx[k * D : (k + 1) * D]
    grads = {"U": np.outer(delta1, h), "b2": delta1, "W": np.outer(delta2, x), "b1": delta2, "L": dL}
    return grads, dx


def test_c_the_one_hidden_layer_gradients_equal_the_notes_derivation():
    p = _window_parameters()
    by_hand, dx_by_hand = _by_hand(p)
    params = {k: Tensor(v) for k, v in p.items()}
    _, grads = ag.value_and_grad(window_loss)(params)
    for name, g in by_hand.items():
        assert grads[name].shape == p[name].shape  # the shape convention
        np.testing.assert_allclose(grads[name].data, g, rtol=1e-12, atol=1e-15, err_msg=name)
    x = Tensor(p["L"][WINDOW].reshape(-1))
    dx = ag.value_and_grad(lambda x: window_loss_of_x(params, x))(x)[1]
    np.testing.assert_allclose(dx.data, dx_by_hand, rtol=1e-12, atol=1e-15)  # ∂J/∂x = Wᵀδ2


def test_c_a_repeated_word_gets_the_sum_of_its_positions_and_absent_words_get_zero():
    p = _window_parameters(1)
    grads = ag.value_and_grad(window_loss)({k: Tensor(v) for k, v in p.items()})[1]
    _, dx = _by_hand(p)
    np.testing.assert_allclose(grads["L"].data[2], dx[0:3] + dx[6:9], rtol=1e-12, atol=1e-15)  # positions 0 and 2
    absent = sorted(set(range(V)) - set(WINDOW.tolist()))
    assert absent == [1, 3, 4] and not grads["L"].data[absent].any()


def test_c_the_window_gradients_pass_gradcheck():
    p = _window_parameters(2)
    _by_hand(p)  # asserts no z sits at the kink
    names = list(p)
    tensors = [Tensor(p[k], requires_grad=True) for k in names]
    assert ag.gradcheck(lambda *ts: window_loss(dict(zip(names, ts))), tensors)


def test_c_the_window_gradients_equal_torch():
    torch = pytest.importorskip("torch")
    p = _window_parameters(3)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    x = t["L"][torch.tensor(WINDOW)].reshape(-1)
    theta = t["U"] @ torch.relu(t["W"] @ x + t["b1"]) + t["b2"]
    torch.nn.functional.cross_entropy(theta, torch.tensor(LABEL)).backward()  # torch's unbatched input too
    ours = ag.value_and_grad(window_loss)({k: Tensor(v) for k, v in p.items()})[1]
    for name in p:
        np.testing.assert_allclose(ours[name].data, t[name].grad.numpy(), rtol=1e-13, atol=1e-15, err_msg=name)
