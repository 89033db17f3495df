"""*Machine Learning with PyTorch and Scikit-Learn* (Raschka, Liu, Mirjalili, 2022), chapters 11-13, ported as a
PyTorch reader writes them (``autograd_core as torch``, ``nn`` for ``torch.nn``, ``nn.optim`` for ``torch.optim``,
``nn.data`` for ``torch.utils.data``). The book's own numbers are the oracles: chapter 11's hand-derived
backward of ``NeuralNetMLP`` (tests/raschka_helpers.py) must equal our autograd, its training loop our SGD.

MNIST is not available offline: the bundled 8x8 digits stand in for it (scaled to [-1, 1] as the book scales
MNIST's pixels). Iris (scikit-learn's) is not installed: three Gaussian blobs of four features stand in.
The LLM book: test_raschka_ports_attention.py and test_raschka_ports_gpt.py.
"""

import numpy as np
import pytest
from raschka_helpers import NeuralNetMLP, int_to_onehot, minibatch_generator, mse_loss, train

import autograd_core as torch
import nn
from nn.data import DataLoader, Dataset, TensorDataset


def digits(n=400):
    X, y = nn.datasets.load_digits()
    return ((X[:n] / 16.0) - 0.5) * 2, y[:n]  # the book's ((X / 255.) - .5) * 2 for MNIST's pixels


class TorchMLP(nn.Module):
    """NeuralNetMLP as a PyTorch reader writes it: two Linear layers, sigmoid after each."""

    def __init__(self, num_features, num_hidden, num_classes):
        super().__init__()
        self.hidden = nn.Linear(num_features, num_hidden)
        self.out = nn.Linear(num_hidden, num_classes)

    def forward(self, x):
        return torch.sigmoid(self.out(torch.sigmoid(self.hidden(x))))


def copied(book):
    """A TorchMLP holding the book model's weights (the same (out, in) layout as nn.Linear's)."""
    model = TorchMLP(book.weight_h.shape[1], book.weight_h.shape[0], book.num_classes)
    with torch.no_grad():
        for layer, w, b in ((model.hidden, book.weight_h, book.bias_h), (model.out, book.weight_out, book.bias_out)):
            layer.weight.copy_(w)
            layer.bias.copy_(b)
    return model


# ---------------------------------------------------------------- chapter 11: the hand-derived backward as oracle
def test_11_autograd_equals_the_books_hand_derived_backward_of_its_squared_error():
    X, y = digits(50)
    book = NeuralNetMLP(num_features=64, num_hidden=12, num_classes=10)
    book.bias_h += 0.1  # non-zero biases, so their gradients are not the trivial ones of a fresh model
    a_h, a_out = book.forward(X)
    d_w_out, d_b_out, d_w_h, d_b_h = book.backward(X, a_h, a_out, y)
    model = copied(book)
    probas = model(torch.tensor(X))
    np.testing.assert_allclose(probas.numpy(), a_out, rtol=1e-14)
    onehot = torch.tensor(int_to_onehot(y, 10))
    ((probas - onehot) ** 2).sum(dim=1).mean().backward()  # the loss the backward derives: per example summed
    for ours, theirs in ((model.out.weight, d_w_out), (model.out.bias, d_b_out)):
        np.testing.assert_allclose(ours.grad, theirs, rtol=1e-12, atol=1e-16)
    for ours, theirs in ((model.hidden.weight, d_w_h), (model.hidden.bias, d_b_h)):
        np.testing.assert_allclose(ours.grad, theirs, rtol=1e-12, atol=1e-16)


def test_11_the_books_printed_mse_is_a_mean_over_classes_too_so_its_gradient_is_ten_times_the_backwards():
    """The book reports ``np.mean((onehot - probas)**2)`` (over examples and classes) but derives the gradient
    of the per-example sum: autograd of the printed loss is the hand-derived gradient / num_classes."""
    X, y = digits(30)
    book = NeuralNetMLP(num_features=64, num_hidden=8, num_classes=10)
    a_h, a_out = book.forward(X)
    d_w_out = book.backward(X, a_h, a_out, y)[0]
    model = copied(book)
    loss = nn.functional.mse_loss(model(torch.tensor(X)), torch.tensor(int_to_onehot(y, 10)))
    assert loss.item() == pytest.approx(mse_loss(y, a_out), rel=1e-14)
    loss.backward()
    np.testing.assert_allclose(model.out.weight.grad * 10, d_w_out, rtol=1e-12)


def test_11_the_books_minibatch_training_equals_sgd_on_autograd_gradients():
    X, y = digits(400)
    book = NeuralNetMLP(num_features=64, num_hidden=20, num_classes=10)
    model = copied(book)
    np.random.seed(123)  # the book's generator shuffles with np.random
    train(book, X, y, num_epochs=10, learning_rate=2.0, minibatch_size=50)
    optimizer = nn.optim.SGD(model.parameters(), lr=2.0)
    np.random.seed(123)
    for _ in range(10):
        for X_mini, y_mini in minibatch_generator(X, y, 50):
            optimizer.zero_grad()
            probas = model(torch.from_numpy(X_mini))
            ((probas - torch.tensor(int_to_onehot(y_mini, 10))) ** 2).sum(dim=1).mean().backward()
            optimizer.step()
    np.testing.assert_allclose(model.hidden.weight.detach().numpy(), book.weight_h, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(model.out.bias.detach().numpy(), book.bias_out, rtol=1e-10, atol=1e-13)
    accuracy = (torch.argmax(model(torch.tensor(X)), dim=1).numpy() == y).mean()
    assert accuracy > 0.5  # from 0.1 (chance): the sigmoid MLP learns the digits


# ---------------------------------------------------------------- chapter 12: tensors and data
def test_12_multiply_and_the_linalg_norm_of_rows_equal_numpys():
    torch.manual_seed(1)
    t1 = 2 * torch.rand(5, 2) - 1
    t2 = torch.normal(mean=0, std=1, size=(5, 2))
    t3 = torch.multiply(t1, t2)  # the book's spelling of t1 * t2 (torch.mul's alias)
    np.testing.assert_array_equal(t3.numpy(), t1.numpy() * t2.numpy())
    assert torch.subtract(t1, t2).tolist() == (t1 - t2).tolist() and torch.divide(t1, 2).tolist() == (t1 / 2).tolist()
    norm_t1 = torch.linalg.norm(t1, ord=2, dim=1)
    np.testing.assert_allclose(norm_t1.numpy(), np.sqrt(np.sum(np.square(t1.numpy()), axis=1)), rtol=1e-15)
    assert torch.linalg.norm(t1).item() == pytest.approx(np.linalg.norm(t1.numpy()), rel=1e-15)  # Frobenius
    assert torch.linalg.vector_norm(t1, ord=1).item() == pytest.approx(np.abs(t1.numpy()).sum(), rel=1e-15)
    w = torch.tensor([[3.0, 4.0]], requires_grad=True)
    torch.linalg.norm(w, dim=1).sum().backward()
    np.testing.assert_allclose(w.grad, [[0.6, 0.8]])  # x / |x|
    # a matrix's spectral norm (refused before ag.linalg.matrix_norm): numpy's value
    assert torch.linalg.norm(t1, ord=2).item() == pytest.approx(np.linalg.norm(t1.numpy(), ord=2), rel=1e-13)


def test_12_multiply_and_linalg_norm_equal_torch():
    real = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(4, 3))
    for ord, dim in ((2, 1), (1, 0), (np.inf, 1), (3, None), (None, None), ("fro", (0, 1))):
        if dim is None and ord not in (None, "fro"):
            x1 = x[0]
            ours, theirs = torch.linalg.norm(torch.tensor(x1), ord=ord), real.linalg.norm(real.tensor(x1), ord=ord)
        else:
            ours = torch.linalg.norm(torch.tensor(x), ord=ord, dim=dim)
            theirs = real.linalg.norm(real.tensor(x), ord=ord, dim=dim)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-13)
    np.testing.assert_array_equal(torch.multiply(torch.tensor(x), 3).numpy(), real.multiply(real.tensor(x), 3))


def test_12_split_chunk_stack_cat_and_a_loader_of_a_bare_tensor():
    torch.manual_seed(1)
    t = torch.rand(6)
    assert [c.shape for c in torch.chunk(t, 3)] == [(2,)] * 3
    t5 = torch.rand(5)
    first, second = torch.split(t5, split_size_or_sections=[3, 2])
    assert first.tolist() == t5[:3].tolist() and second.tolist() == t5[3:].tolist()
    A, B = torch.ones(3), torch.zeros(2)
    assert torch.cat([A, B], axis=0).tolist() == [1, 1, 1, 0, 0]
    assert torch.stack([A, torch.zeros(3)], axis=1).tolist() == [[1, 0]] * 3
    data_loader = DataLoader(torch.arange(6, dtype=torch.float32))
    assert [item.tolist() for item in data_loader] == [[float(i)] for i in range(6)]  # batches of one
    data_loader = DataLoader(torch.arange(6, dtype=torch.float32), batch_size=4, drop_last=True)
    assert [batch.tolist() for i, batch in enumerate(data_loader, 1)] == [[0.0, 1.0, 2.0, 3.0]]


class JointDataset(Dataset):
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return self.x[idx], self.y[idx]


def test_12_joint_dataset_is_tensor_dataset_and_a_shuffled_loader_visits_each_pair_once():
    torch.manual_seed(1)
    t_x = torch.rand([4, 3], dtype=torch.float32)
    t_y = torch.arange(4)
    joint, tensors = JointDataset(t_x, t_y), TensorDataset(t_x, t_y)
    assert len(joint) == len(tensors) == 4
    for (x1, y1), (x2, y2) in zip(joint, tensors, strict=True):
        assert x1.tolist() == x2.tolist() and y1.item() == y2.item()
    torch.manual_seed(1)
    seen = []
    for batch_x, batch_y in DataLoader(dataset=joint, batch_size=2, shuffle=True):
        assert batch_x.shape == (2, 3) and batch_x.dtype == torch.float32
        for row, label in zip(batch_x.tolist(), batch_y.tolist(), strict=True):
            assert row == t_x[label].tolist()  # each x stays with its y
        seen += batch_y.tolist()
    assert sorted(seen) == [0, 1, 2, 3]


class IrisModel(nn.Module):
    """The book's Iris ``Model``: sigmoid hidden layer, a Softmax output, fed to CrossEntropyLoss."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.layer1 = nn.Linear(input_size, hidden_size)
        self.layer2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = self.layer1(x)
        x = nn.Sigmoid()(x)
        x = self.layer2(x)
        return nn.Softmax(dim=1)(x)


def blobs():
    """Iris's shape: 150 flowers, 4 features, 3 classes, 100 to train; the book's global standardisation."""
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(3), 50)
    X = rng.normal(size=(150, 4)) * 0.5 + np.array([[0, 0, 0, 0], [2, 1, 1, 0], [4, 2, 3, 1]])[y]
    order = rng.permutation(150)
    X_train, y_train = X[order[:100]], y[order[:100]]
    X_train_norm = (X_train - np.mean(X_train)) / np.std(X_train)
    return torch.from_numpy(X_train_norm).float(), torch.from_numpy(y_train)


def test_12_iris_model_trains_with_adam_and_reloads_its_state_dict(tmp_path):
    X_train_norm, y_train = blobs()
    train_dl = DataLoader(TensorDataset(X_train_norm, y_train), batch_size=2, shuffle=True)
    torch.manual_seed(1)
    model = IrisModel(X_train_norm.shape[1], 16, 3)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.001)
    num_epochs = 20
    loss_hist, accuracy_hist = [0] * num_epochs, [0] * num_epochs
    for epoch in range(num_epochs):
        for x_batch, y_batch in train_dl:
            pred = model(x_batch)
            loss = loss_fn(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            loss_hist[epoch] += loss.item() * y_batch.size(0)
            is_correct = (torch.argmax(pred, dim=1) == y_batch).float()
            accuracy_hist[epoch] += is_correct.sum()
        loss_hist[epoch] /= len(train_dl.dataset)
        accuracy_hist[epoch] /= len(train_dl.dataset)
    assert loss_hist[-1] < loss_hist[0] and accuracy_hist[-1].item() > 0.9
    path = tmp_path / "iris_classifier.pt"
    torch.save(model.state_dict(), path)
    model_new = IrisModel(4, 16, 3)
    model_new.load_state_dict(torch.load(path))
    assert torch.equal(model_new(X_train_norm), model(X_train_norm))


# ---------------------------------------------------------------- chapter 13: graphs, XOR, custom layers, features
def test_13_autograd_grad_of_the_books_loss_is_its_printed_derivatives():
    w = torch.tensor(1.0, requires_grad=True)
    b = torch.tensor(0.5, requires_grad=True)
    x, y = torch.tensor([1.4]), torch.tensor([2.1])
    z = torch.add(torch.mul(w, x), b)
    loss = (y - z).pow(2).sum()
    grad_w, grad_b = torch.autograd.grad(loss, [w, b])
    assert grad_w.item() == pytest.approx(-0.56) and grad_b.item() == pytest.approx(-0.4)  # the book's printout
    assert grad_w.item() == pytest.approx((2 * x * ((w * x + b) - y)).item(), rel=1e-15)  # its verification


def xor_data(n=200):
    np.random.seed(1)
    x = np.random.uniform(low=-1, high=1, size=(n, 2))
    y = np.ones(len(x))
    y[x[:, 0] * x[:, 1] < 0] = 0
    n_train = 100
    x_train = torch.tensor(x[:n_train, :], dtype=torch.float32)
    y_train = torch.tensor(y[:n_train], dtype=torch.float32)
    x_valid = torch.tensor(x[n_train:, :], dtype=torch.float32)
    y_valid = torch.tensor(y[n_train:], dtype=torch.float32)
    return x_train, y_train, x_valid, y_valid


def train_xor(model, num_epochs, lr):
    x_train, y_train, x_valid, y_valid = xor_data()
    train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=10, shuffle=True)  # the book's: 2
    loss_fn = nn.BCELoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    for _ in range(num_epochs):
        for x_batch, y_batch in train_dl:
            pred = model(x_batch)[:, 0]
            loss = loss_fn(pred, y_batch)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
    pred = model(x_valid)[:, 0]
    return ((pred >= 0.5).float() == y_valid).float().mean().item()


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def test_13_xor_needs_the_hidden_layers_a_logistic_regression_lacks():
    torch.manual_seed(1)
    logistic = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    assert train_xor(logistic, num_epochs=10, lr=0.05) < 0.8  # a line cannot split XOR's quadrants
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())
    assert model.apply(init_weights) is model
    bound = np.sqrt(6 / (2 + 4))  # xavier_uniform_'s a for fan_in 2, fan_out 4
    assert np.abs(model[0].weight.data).max() <= bound and not model[2].bias.data.any()
    assert train_xor(model, num_epochs=60, lr=0.03) > 0.9


class NoisyLinear(nn.Module):
    def __init__(self, input_size, output_size, noise_stddev=0.1):
        super().__init__()
        w = torch.empty(input_size, output_size)  # the book: torch.Tensor(input_size, output_size)
        self.w = nn.Parameter(w)
        nn.init.xavier_uniform_(self.w)
        b = torch.zeros(output_size)  # the book: torch.Tensor(output_size).fill_(0)
        self.b = nn.Parameter(b)
        self.noise_stddev = noise_stddev

    def forward(self, x, training=False):
        if training:
            noise = torch.normal(0.0, self.noise_stddev, x.shape)
            x_new = torch.add(x, noise)
        else:
            x_new = x
        return torch.add(torch.mm(x_new, self.w), self.b)


def test_13_the_books_legacy_tensor_sizes_are_refused_naming_empty():
    with pytest.raises(TypeError, match=r"Tensor\(2, 4\): .*requires_grad .*Tensor\(\*sizes\).*ag\.empty\(2, 4\)"):
        torch.Tensor(2, 4)  # what the book's NoisyLinear writes first


def test_13_noisy_linear_adds_noise_only_in_training_and_its_gradient_is_the_inputs():
    torch.manual_seed(1)
    layer = NoisyLinear(4, 2, noise_stddev=0.1)
    assert [p.shape for p in layer.parameters()] == [(4, 2), (2,)]
    x = torch.rand(3, 4)
    assert torch.equal(layer(x), layer(x)) and not torch.equal(layer(x, training=True), layer(x, training=True))
    torch.manual_seed(7)
    out = layer(x, training=True)
    torch.manual_seed(7)
    x_new = x + torch.normal(0.0, 0.1, x.shape)  # the same draw
    np.testing.assert_allclose(out.numpy(), (x_new.numpy() @ layer.w.data) + layer.b.data, rtol=1e-14)
    out.sum().backward()
    np.testing.assert_allclose(layer.w.grad, x_new.numpy().T @ np.ones((3, 2)), rtol=1e-14)  # d/dw of sum(x w)
    np.testing.assert_allclose(layer.b.grad, [3.0, 3.0])


def test_13_auto_mpg_bucketizes_model_years_and_one_hot_encodes_origins():
    model_year = torch.tensor(np.array([70, 72, 73, 75, 76, 79, 82]))
    boundaries = torch.tensor([73, 76, 79])
    buckets = torch.bucketize(model_year, boundaries, right=True)
    assert buckets.tolist() == [0, 0, 1, 1, 2, 3, 3] and buckets.dtype == torch.int64  # b[i-1] <= x < b[i]
    assert torch.bucketize(model_year, boundaries).tolist() == [0, 0, 0, 1, 1, 2, 3]  # b[i-1] < x <= b[i]
    origin = torch.from_numpy(np.array([1, 3, 2, 1])) % 3  # the book's origins are 1, 2, 3
    assert nn.functional.one_hot(origin).float().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert torch.bincount(buckets).tolist() == [2, 2, 1, 2]  # cars per bucket
    with pytest.raises(ValueError, match=r"bucketize: boundaries must be 1-d and sorted increasing, got \[3, 1\]"):
        torch.bucketize(model_year, torch.tensor([3, 1]))
    with pytest.raises(ValueError, match=r"bincount: .*1-d tensor of non-negative integers, got shape \(2, 2\)"):
        torch.bincount(torch.tensor([[1, 2], [3, 4]]))


def test_13_bucketize_and_bincount_equal_torch():
    real = pytest.importorskip("torch")
    values = np.random.default_rng(0).integers(0, 12, size=40)
    edges = np.array([2, 5, 5, 9])
    for right in (False, True):
        ours = torch.bucketize(torch.tensor(values), torch.tensor(edges), right=right)
        assert ours.tolist() == real.bucketize(real.tensor(values), real.tensor(edges), right=right).tolist()
    weights = np.linspace(0, 1, 40)
    assert (
        torch.bincount(torch.tensor(values), minlength=15).tolist()
        == real.bincount(real.tensor(values), minlength=15).tolist()
    )
    np.testing.assert_allclose(
        torch.bincount(torch.tensor(values), weights=torch.tensor(weights)).numpy(),
        real.bincount(real.tensor(values), weights=real.tensor(weights)).numpy(),
        rtol=1e-15,
    )
