"""Stanford cs231n, assignment 1 (the backprop parts), ported step by step: the assignment's own numpy
code with its hand-derived gradients (``softmax_loss_naive`` / ``softmax_loss_vectorized``,
``svm_loss_naive`` / ``svm_loss_vectorized``, ``TwoLayerNet.loss`` and ``.train``) is the ORACLE, and the
same losses written with Tensor ops are differentiated by the engine; they must agree to ~1e-12 (float64),
and the assignment's centered-difference checks (``grad_check_sparse``, ``eval_numerical_gradient``, in
tests/cs231n_helpers.py) agree with both. Where torch is installed the same Tensor code runs in both
libraries and the values must agree. Assignment 2 is in test_cs231n_ports_layers.py.

Ported: the linear classifier's softmax and multiclass SVM (hinge) losses with L2 regularisation (the
sanity check loss ~ log(10) / ~ C - 1 at tiny weights, naive = vectorized, gradient checks with and
without regularisation, minibatch SGD training); the two-layer net (affine-relu-affine-softmax) on the
notebook's toy data (its printed scores and loss 1.30378789133, its gradient check, training to a loss
below 0.02) and trained with SGD and per-epoch learning-rate decay on real data.

Where the assignment's setting differs here: CIFAR-10 is a download, so the bundled 8x8 digits
(``nn.datasets.load_digits``, 1,797 images) stand in, with the assignment's preprocessing (subtract the
mean image, append the bias column); the accuracies asserted are the digits' (well above chance), not
CIFAR's (measured: the two-layer net's validation accuracy 0.95, test 0.94). The assignment's per-epoch
decay ``learning_rate *= learning_rate_decay`` is ``nn.optim.lr_scheduler.ExponentialLR(optimizer,
gamma=decay)`` stepped once an epoch. The bias trick's ``np.hstack([X, np.ones((N, 1))])`` on a Tensor was a
TypeError; it is now a recorded concatenate (as ``np.vstack``), tested below.
"""

import functools

import numpy as np
import pytest
from cs231n_helpers import as_numpy, eval_numerical_gradient, grad_check_sparse, rel_error

import autograd_core as ag
import nn


# ---------------------------------------------------------------- the data (the notebooks' preprocessing)
@functools.cache
def digits_splits():
    """Train 1,000 / val 300 / test 497 / dev 100 (a sample of train for the gradient checks), mean image
    subtracted and a bias column of ones appended ("the bias trick"), as assignment 1's notebooks do."""
    X, y = nn.datasets.load_digits()
    order = np.random.default_rng(231).permutation(len(y))
    X, y = X[order] / 16.0, y[order]  # pixels 0..16 scaled to 0..1 (CIFAR's 0..255 needed no scaling there)
    X_train, y_train, X_val, y_val, X_test, y_test = X[:1000], y[:1000], X[1000:1300], y[1000:1300], X[1300:], y[1300:]
    mean_image = X_train.mean(axis=0)
    splits = [X_train - mean_image, X_val - mean_image, X_test - mean_image]
    splits = [np.hstack([part, np.ones((part.shape[0], 1))]) for part in splits]
    dev = np.random.default_rng(0).choice(1000, 100, replace=False)
    return splits[0], y_train, splits[1], y_val, splits[2], y_test, splits[0][dev], y_train[dev]


# ---------------------------------------------------------------- the assignment's losses, gradients by hand
def softmax_loss_naive(W, X, y, reg):
    """Softmax (cross-entropy) loss with explicit loops; W (D, C), X (N, D), y (N,)."""
    loss, dW = 0.0, np.zeros_like(W)
    num_train, num_classes = X.shape[0], W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)  # numeric stability
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(probs[y[i]])
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    return loss / num_train + reg * np.sum(W * W), dW / num_train + 2 * reg * W


def softmax_loss_vectorized(W, X, y, reg):
    """The same loss and gradient without loops: d loss / d scores = probs - one_hot(y), over N."""
    num_train = X.shape[0]
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(num_train), y]).sum() / num_train + reg * np.sum(W * W)
    dscores = probs
    dscores[np.arange(num_train), y] -= 1
    return loss, X.T.dot(dscores) / num_train + 2 * reg * W


def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM (hinge, delta = 1) loss with loops; the gradient accumulated where a margin is > 0."""
    dW, loss = np.zeros(W.shape), 0.0
    num_classes, num_train = W.shape[1], X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / num_train + reg * np.sum(W * W), dW / num_train + 2 * reg * W


def svm_loss_vectorized(W, X, y, reg):
    """The hinge loss without loops: each positive margin adds +x to its class and -x to the correct one."""
    num_train = X.shape[0]
    scores = X.dot(W)
    correct = scores[np.arange(num_train), y][:, None]
    margins = np.maximum(0, scores - correct + 1)
    margins[np.arange(num_train), y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    binary = (margins > 0).astype(W.dtype)
    binary[np.arange(num_train), y] = -binary.sum(axis=1)
    return loss, X.T.dot(binary) / num_train + 2 * reg * W


# ---------------------------------------------------------------- the same losses in Tensor ops, for the engine
def softmax_data_loss(lib, scores, y):
    """The mean of -log softmax(scores)[y], shifted by each row's max as the assignment does."""
    shifted = scores - scores.amax(1, keepdim=True)
    log_probs = shifted - shifted.exp().sum(1, keepdim=True).log()
    return -log_probs[lib.arange(scores.shape[0]), y].mean()


def softmax_loss_tensors(lib, W, X, y, reg):
    return softmax_data_loss(lib, X @ W, y) + reg * (W * W).sum()


def svm_loss_tensors(lib, W, X, y, reg):
    scores = X @ W
    correct = scores[lib.arange(X.shape[0]), y].reshape(-1, 1)
    margins = (scores - correct + 1).clamp(min=0)
    margins = lib.where(lib.arange(W.shape[1]) == y.reshape(-1, 1), 0.0, margins)  # the correct class adds none
    return margins.sum() / X.shape[0] + reg * (W * W).sum()


def engine_loss_and_grad(lib, loss_tensors, W, X, y, reg):
    """(loss, dW) of ``loss_tensors`` by ``lib``'s backward: ag (the engine under test) or torch."""
    w = lib.tensor(W.copy(), requires_grad=True)
    loss = loss_tensors(lib, w, lib.tensor(X), lib.tensor(y), reg)
    loss.backward()
    return loss.item(), as_numpy(w.grad)


LOSSES = {
    "softmax": (softmax_loss_naive, softmax_loss_vectorized, softmax_loss_tensors),
    "svm": (svm_loss_naive, svm_loss_vectorized, svm_loss_tensors),
}


@pytest.mark.parametrize("name", LOSSES)
def test_linear_classifier_loss_sanity_and_naive_equals_vectorized(name):
    *_, X_dev, y_dev = digits_splits()
    naive, vectorized, _ = LOSSES[name]
    np.random.seed(0)
    W = np.random.randn(X_dev.shape[1], 10) * 0.0001
    loss, grad = naive(W, X_dev, y_dev, 0.000005)
    # the notebooks' sanity checks: tiny weights give every class the same score, so softmax's loss is
    # -log(1/10) and every one of the 9 wrong classes' hinge margins is ~delta = 1
    assert loss == pytest.approx(np.log(10) if name == "softmax" else 9.0, abs=0.01)
    loss_vectorized, grad_vectorized = vectorized(W, X_dev, y_dev, 0.000005)
    assert abs(loss - loss_vectorized) < 1e-12
    assert np.linalg.norm(grad - grad_vectorized, ord="fro") < 1e-12


@pytest.mark.parametrize("reg", [0.0, 5e1])
@pytest.mark.parametrize("name", LOSSES)
def test_linear_classifier_engine_gradient_equals_the_hand_derived_one(name, reg):
    *_, X_dev, y_dev = digits_splits()
    _, vectorized, tensors = LOSSES[name]
    np.random.seed(1)
    W = np.random.randn(X_dev.shape[1], 10) * 0.01
    loss, grad = vectorized(W, X_dev, y_dev, reg)
    engine_loss, engine_grad = engine_loss_and_grad(ag, tensors, W, X_dev, y_dev, reg)
    assert engine_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(engine_grad, grad, rtol=1e-12, atol=1e-15)
    # the assignment's own check: centered differences at 10 random coordinates (f: the engine's loss value)
    f = lambda w: engine_loss_and_grad(ag, tensors, w, X_dev, y_dev, reg)[0]  # noqa: E731
    np.random.seed(2)
    checks = grad_check_sparse(f, W, engine_grad, num_checks=10)
    # absolute: the relative error of a rarely-inked pixel's tiny gradient (~1e-6) is the rounding of
    # the differences, ~1e-16 * loss / h ~ 1e-11, over it (~1e-5); the gradients here are ~1e-3 .. 1
    assert max(abs(numerical - analytic) for numerical, analytic, _ in checks) < 1e-9
    assert np.median([error for *_, error in checks]) < 1e-7
    torch = pytest.importorskip("torch")
    torch_loss, torch_grad = engine_loss_and_grad(torch, tensors, W, X_dev, y_dev, reg)
    assert torch_loss == pytest.approx(engine_loss, rel=1e-12)
    np.testing.assert_allclose(torch_grad, engine_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", LOSSES)
def test_linear_classifier_trained_by_minibatch_sgd_on_the_engine_gradient(name):
    """LinearClassifier.train: minibatches of 200 drawn with replacement, W -= lr * dW; then predict."""
    X_train, y_train, X_val, y_val, *_ = digits_splits()
    _, _, tensors = LOSSES[name]
    rng = np.random.default_rng(0)
    W = ag.tensor(0.001 * rng.standard_normal((X_train.shape[1], 10)), requires_grad=True)
    losses = []
    for _ in range(150):
        batch = rng.choice(len(y_train), 200, replace=True)
        loss = tensors(ag, W, ag.tensor(X_train[batch]), ag.tensor(y_train[batch]), 1e-4)
        W.grad = None
        loss.backward()
        with ag.no_grad():
            W -= 0.5 * W.grad
        losses.append(loss.item())
    val_accuracy = np.mean(np.argmax(X_val @ W.data, axis=1) == y_val)
    assert np.mean(losses[-10:]) < 0.3 * losses[0]
    assert val_accuracy > 0.9  # chance is 0.1 (CIFAR's linear classifiers reach ~0.4)


# ---------------------------------------------------------------- the two-layer net (classifiers/neural_net.py)
class TwoLayerNet:
    """input - fully connected - ReLU - fully connected - softmax, with the assignment's backward by hand.
    Parameters W1 (D, H), b1 (H,), W2 (H, C), b2 (C,): weights std * randn, biases zero."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {
            "W1": std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def loss(self, X, y=None, reg=0.0):
        """The scores (N, C) without y; with y, (loss, grads) with L2 reg * (|W1|^2 + |W2|^2)."""
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        N = X.shape[0]
        hidden = np.maximum(0, X.dot(W1) + b1)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(N), y]).mean() + reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dscores = probs.copy()
        dscores[np.arange(N), y] -= 1
        dscores /= N
        dhidden = dscores.dot(W2.T) * (hidden > 0)  # the ReLU passes the gradient where it was on
        grads = {
            "W2": hidden.T.dot(dscores) + 2 * reg * W2,
            "b2": dscores.sum(axis=0),
            "W1": X.T.dot(dhidden) + 2 * reg * W1,
            "b1": dhidden.sum(axis=0),
        }
        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95, reg=5e-6, num_iters=100,
              batch_size=200):  # fmt: skip
        """Minibatch SGD (batches drawn with replacement) on the hand-derived gradients, the learning rate
        decayed once an epoch; returns the loss history and the per-epoch train / val accuracies."""
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)
        history = {"loss": [], "train_acc": [], "val_acc": []}
        for it in range(num_iters):
            batch = np.random.choice(num_train, batch_size)
            loss, grads = self.loss(X[batch], y=y[batch], reg=reg)
            history["loss"].append(loss)
            for name, grad in grads.items():
                self.params[name] -= learning_rate * grad
            if (it + 1) % iterations_per_epoch == 0:
                history["train_acc"].append(np.mean(self.predict(X[batch]) == y[batch]))
                history["val_acc"].append(np.mean(self.predict(X_val) == y_val))
                learning_rate *= learning_rate_decay
        return history

    def predict(self, X):
        return np.argmax(self.loss(X), axis=1)


def two_layer_loss_tensors(lib, params, X, y, reg):
    """TwoLayerNet.loss's forward in Tensor ops: the engine derives the backward."""
    hidden = (X @ params["W1"] + params["b1"]).relu()
    scores = hidden @ params["W2"] + params["b2"]
    return softmax_data_loss(lib, scores, y) + reg * ((params["W1"] ** 2).sum() + (params["W2"] ** 2).sum())


def engine_two_layer(lib, params, X, y, reg):
    """(loss, grads) of the two-layer net by ``lib``'s backward."""
    tensors = {name: lib.tensor(value.copy(), requires_grad=True) for name, value in params.items()}
    loss = two_layer_loss_tensors(lib, tensors, lib.tensor(X), lib.tensor(y), reg)
    loss.backward()
    return loss.item(), {name: as_numpy(t.grad) for name, t in tensors.items()}


def toy_model_and_data():
    """The notebook's toy problem: 5 inputs of size 4, 10 hidden units, 3 classes."""
    np.random.seed(0)
    net = TwoLayerNet(4, 10, 3, std=1e-1)
    np.random.seed(1)
    return net, 10 * np.random.randn(5, 4), np.array([0, 1, 2, 2, 1])


def test_two_layer_net_toy_scores_and_loss_are_the_notebooks():
    net, X, y = toy_model_and_data()
    correct_scores = np.array([
        [-0.81233741, -1.27654624, -0.70335995],
        [-0.17129677, -1.18803311, -0.47310444],
        [-0.51590475, -1.01354314, -0.8504215],
        [-0.15419291, -0.48629638, -0.52901952],
        [-0.00618733, -0.12435261, -0.15226949],
    ])  # fmt: skip
    assert np.sum(np.abs(net.loss(X) - correct_scores)) < 1e-7  # the notebook's bound
    loss, _ = net.loss(X, y, reg=0.05)
    assert abs(loss - 1.30378789133) < 1e-12
    engine_loss, _ = engine_two_layer(ag, net.params, X, y, 0.05)
    assert abs(engine_loss - 1.30378789133) < 1e-12


@pytest.mark.parametrize("reg", [0.0, 0.05])
def test_two_layer_net_engine_gradients_equal_the_hand_derived_and_numerical_ones(reg):
    net, X, y = toy_model_and_data()
    loss, grads = net.loss(X, y, reg=reg)
    engine_loss, engine_grads = engine_two_layer(ag, net.params, X, y, reg)
    assert engine_loss == pytest.approx(loss, rel=1e-14)
    for name, grad in grads.items():
        np.testing.assert_allclose(engine_grads[name], grad, rtol=1e-12, atol=1e-15, err_msg=name)
        # the notebook's check: "relative errors should be less than 1e-8 for each of W1, W2, b1, and b2"
        f = lambda _: net.loss(X, y, reg=reg)[0]  # noqa: E731 (reads net.params, which the check perturbs)
        assert rel_error(eval_numerical_gradient(f, net.params[name]), engine_grads[name]) < 1e-8, name
    torch = pytest.importorskip("torch")
    torch_loss, torch_grads = engine_two_layer(torch, net.params, X, y, reg)
    assert torch_loss == pytest.approx(engine_loss, rel=1e-14)
    for name, grad in engine_grads.items():
        np.testing.assert_allclose(torch_grads[name], grad, rtol=1e-12, atol=1e-15, err_msg=name)


def test_two_layer_net_toy_training_reaches_the_notebooks_loss():
    net, X, y = toy_model_and_data()
    history = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100)
    assert history["loss"][-1] < 0.02  # "you should achieve a training loss less than 0.02"
    assert history["loss"][0] > 1.0


def test_two_layer_net_trained_with_sgd_and_decay_by_the_engine_matches_the_hand_derived_run():
    """The same run twice: the assignment's ``train`` (hand-derived gradients, its own decay) and nn.optim.SGD
    with ExponentialLR stepped once an epoch on the engine's gradients, the same minibatches: the losses agree
    at every one of 250 steps (1e-9), the final weights to 1e-9 of their size, and the net learns the digits."""
    X_train, y_train, X_val, y_val, X_test, y_test, *_ = digits_splits()
    np.random.seed(0)
    net = TwoLayerNet(X_train.shape[1], 50, 10, std=1e-1)
    params = {name: ag.tensor(value.copy(), requires_grad=True) for name, value in net.params.items()}
    optimizer = nn.optim.SGD(list(params.values()), lr=0.5)
    decay = nn.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    np.random.seed(1)
    history = net.train(X_train, y_train, X_val, y_val, learning_rate=0.5, reg=1e-4, num_iters=250)
    np.random.seed(1)  # the same batches again
    for it in range(250):
        batch = np.random.choice(len(y_train), 200)
        loss = two_layer_loss_tensors(ag, params, ag.tensor(X_train[batch]), ag.tensor(y_train[batch]), 1e-4)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        assert loss.item() == pytest.approx(history["loss"][it], rel=1e-9, abs=1e-12)
        if (it + 1) % 5 == 0:  # 1,000 rows / 200 a batch
            decay.step()
    for name, value in net.params.items():
        np.testing.assert_allclose(params[name].data, value, rtol=0, atol=1e-9 * np.abs(value).max(), err_msg=name)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5 * 0.95**50)
    assert history["loss"][-1] < 0.25 * history["loss"][0]
    assert history["val_acc"][-1] > 0.9  # chance: 0.1 (CIFAR's first try reaches ~0.29)
    assert np.mean(net.predict(X_test) == y_test) > 0.9


def test_the_bias_trick_spelled_with_np_hstack_on_tensors_is_recorded():
    """The notebooks append the bias column with ``np.hstack([X, np.ones((N, 1))])`` (and join splits with
    ``np.vstack``); on Tensors these were TypeErrors, now one recorded concatenate as numpy's rules say."""
    *_, X_dev, y_dev = digits_splits()
    np.random.seed(3)
    W = np.random.randn(X_dev.shape[1], 10) * 0.01
    X = ag.tensor(X_dev[:, :-1].copy(), requires_grad=True)  # the pixels, bias column not yet appended
    X_bias = np.hstack([X, np.ones((X.shape[0], 1))])
    assert isinstance(X_bias, ag.Tensor) and X_bias.shape == (100, 65)
    np.testing.assert_array_equal(X_bias.data, X_dev)
    softmax_loss_tensors(ag, ag.tensor(W), X_bias, ag.tensor(y_dev), 0.0).backward()
    # d loss / d X = (probs - one_hot(y)) / N @ W.T, the bias column's share dropped
    scores = X_dev @ W
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(100), y_dev] -= 1
    np.testing.assert_allclose(X.grad, (probs / 100) @ W[:-1].T, rtol=1e-12, atol=1e-16)
    rows = np.vstack([X[:2], X[2:5]])
    assert isinstance(rows, ag.Tensor) and rows.requires_grad
    np.testing.assert_array_equal(rows.data, np.vstack([X_dev[:2, :-1], X_dev[2:5, :-1]]))
    np.testing.assert_array_equal(np.vstack([X[0], X[1]]).data, X_dev[:2, :-1])  # 1-d rows, as numpy's
    np.testing.assert_array_equal(np.hstack([X[0], X[1]]).data, np.hstack([X_dev[0, :-1], X_dev[1, :-1]]))
