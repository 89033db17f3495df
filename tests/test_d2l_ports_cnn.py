""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) chapters 7 and 8, convolutional networks, ported as
``tests/test_d2l_ports.py`` does (``torch = ag``, ``nn`` for ``torch.nn``; the d2l helpers written as the book
defines them; each step asserting the book's outcome; where torch is installed the same code agrees with
torch's values and gradients, in float64). Chapter 8 is in ``test_d2l_ports_cnn_modern.py``.

7.2 corr2d from scratch, edge detection, learning a kernel by gradient descent; 7.3 padding and stride
output shapes; 7.4 multiple input and output channels, 1x1 convolution as a matrix product; 7.5 max and
average pooling with padding, stride and channels; 7.6 LeNet's layer shapes and a short training on the
bundled 8x8 digits (upsampled to 16x16, so both pooling stages keep a pixel).

Where the book's spelling differs here, by design: a write ``Y[i, j] = v`` copies values only and refuses a
``v`` that requires grad (no in-place autograd), so the book's ``Conv2D`` layer built on ``corr2d`` runs
under ``no_grad`` only (the book trains ``nn.LazyConv2d`` instead, as LeNet here does). Sigmoid LeNet under
the book's SGD (lr 0.9) stays at chance for 1,700 steps on 1,347 digits, in torch as here (the sigmoid
plateau; the book takes 2,350 steps on Fashion-MNIST), so the short training uses Adam (12.10); 8.5 shows
batch normalization lifting it off.
"""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn import data

torch = ag  # the book's own spelling, kept so each step reads as the book does


# ---------------------------------------------------------------- 7.2 Convolutions for images
def corr2d(X, K):
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def test_7_2_corr2d_and_edge_detection():
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
    assert corr2d(X, K).tolist() == [[19.0, 25.0], [37.0, 43.0]]
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    K = torch.tensor([[1.0, -1.0]])
    Y = corr2d(X, K)
    assert Y.tolist() == [[0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0]] * 6  # 1: white to black, -1: black to white
    assert (corr2d(X.t(), K) == 0).all()  # the kernel detects vertical edges only


def test_7_2_the_book_s_conv2d_layer_runs_under_no_grad_as_its_item_writes_refuse_a_gradient():
    torch.manual_seed(0)
    layer = Conv2D(kernel_size=(1, 2))
    X = torch.rand(size=(6, 8))
    with torch.no_grad():
        np.testing.assert_allclose(layer(X).data, F.conv2d(X[None, None], layer.weight[None, None]).data[0, 0])
    with pytest.raises(RuntimeError, match=r"item assignment .* requires grad.*\(ag\.stack"):
        layer(X)  # torch records Y[i, j] = v; here the write is values only, and says so


def _learn_kernel(lib, layers, X, Y, w0):
    """The book's loop: a 1x2 kernel from X to Y by gradient descent on the squared error."""
    conv2d = layers.Conv2d(1, 1, kernel_size=(1, 2), bias=False).double()  # the book: nn.LazyConv2d(1, ...)
    with lib.no_grad():
        conv2d.weight.copy_(lib.tensor(w0))
    X, Y = lib.tensor(X).reshape((1, 1, 6, 8)), lib.tensor(Y).reshape((1, 1, 6, 7))
    lr, losses = 3e-2, []
    for _i in range(10):
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2  # noqa: E741 (the book's name)
        conv2d.zero_grad()
        l.sum().backward()
        with lib.no_grad():  # the book: conv2d.weight.data[:] -= lr * conv2d.weight.grad
            conv2d.weight -= lr * lib.as_tensor(conv2d.weight.grad)
        losses.append(float(l.sum().detach()))
    return losses, np.array(conv2d.weight.tolist()).reshape((1, 2))


def test_7_2_learning_the_edge_kernel_by_gradient_descent():
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    Y = corr2d(torch.tensor(X), torch.tensor([[1.0, -1.0]])).numpy()
    w0 = np.random.default_rng(0).uniform(-0.7, 0.7, (1, 1, 1, 2))
    losses, weight = _learn_kernel(ag, nn, X, Y, w0)
    assert losses[-1] < 0.05 * losses[0] and losses[-1] < 0.5  # the book: epoch 10, loss 0.0xx
    np.testing.assert_allclose(weight, [[1.0, -1.0]], atol=0.05)  # the book: [[1.0, -0.97]] or so
    real = pytest.importorskip("torch")
    theirs = _learn_kernel(real, real.nn, X, Y, w0)
    np.testing.assert_allclose(losses, theirs[0], rtol=1e-12)
    np.testing.assert_allclose(weight, theirs[1], rtol=1e-12)


# ---------------------------------------------------------------- 7.3 Padding and stride
def comp_conv2d(conv2d, X):
    X = X.reshape((1, 1) + X.shape)  # (1, 1): batch size and number of channels
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])  # strip the first two dimensions: examples and channels


def _output_shapes(lib, layers):
    X = lib.rand(size=(8, 8), dtype=lib.float64)
    shapes = []
    for kwargs in [
        dict(kernel_size=3, padding=1),
        dict(kernel_size=(5, 3), padding=(2, 1)),
        dict(kernel_size=3, padding=1, stride=2),
        dict(kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)),
    ]:
        shapes.append(tuple(comp_conv2d(layers.Conv2d(1, 1, **kwargs).double(), X).shape))
    return shapes


def test_7_3_padding_and_stride_give_the_book_s_output_shapes():
    shapes = _output_shapes(ag, nn)
    assert shapes == [(8, 8), (8, 8), (4, 4), (2, 2)]
    # the book's formula: floor((n - k + p + s) / s), p the total padding of a side pair
    assert shapes[3] == ((8 - 3 + 0 + 3) // 3, (8 - 5 + 2 + 4) // 4)
    real = pytest.importorskip("torch")
    assert _output_shapes(real, real.nn) == shapes


# ---------------------------------------------------------------- 7.4 Multiple input and output channels
def corr2d_multi_in(X, K):
    # iterate through the 0th dimension (channel) of K first, then add them up
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    # iterate through the 0th dimension of K, each time a cross-correlation with input X; stack the results
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    Y = torch.matmul(K, X)  # matrix multiplication in the fully connected layer
    return Y.reshape((c_o, h, w))


def test_7_4_multiple_input_and_output_channels():
    X = torch.tensor(
        [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]
    )
    K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    assert corr2d_multi_in(X, K).tolist() == [[56.0, 72.0], [104.0, 120.0]]
    K = torch.stack((K, K + 1, K + 2), 0)
    assert K.shape == (3, 2, 2, 2)
    Y = corr2d_multi_in_out(X, K)
    assert Y.tolist() == [
        [[56.0, 72.0], [104.0, 120.0]],
        [[76.0, 100.0], [148.0, 172.0]],
        [[96.0, 128.0], [192.0, 224.0]],
    ]
    assert F.conv2d(X[None], K).tolist() == [Y.tolist()]  # the library's layer, on a batch of one


def test_7_4_a_1x1_convolution_is_a_matrix_product():
    torch.manual_seed(0)
    X = torch.normal(0, 1, (3, 3, 3))
    K = torch.normal(0, 1, (2, 3, 1, 1))
    Y1 = corr2d_multi_in_out_1x1(X, K)
    Y2 = corr2d_multi_in_out(X, K)
    assert float(torch.abs(Y1 - Y2).sum()) < 1e-6
    np.testing.assert_allclose(F.conv2d(X[None], K).data[0], Y1.data, rtol=1e-13)


# ---------------------------------------------------------------- 7.5 Pooling
def pool2d(X, pool_size, mode="max"):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == "max":
                Y[i, j] = X[i : i + p_h, j : j + p_w].max()
            elif mode == "avg":
                Y[i, j] = X[i : i + p_h, j : j + p_w].mean()
    return Y


def test_7_5_pooling_from_scratch_and_with_padding_stride_and_channels():
    X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    assert pool2d(X, (2, 2)).tolist() == [[4.0, 5.0], [7.0, 8.0]]
    assert pool2d(X, (2, 2), "avg").tolist() == [[2.0, 3.0], [5.0, 6.0]]
    X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
    assert nn.MaxPool2d(3)(X).tolist() == [[[[10.0]]]]  # the stride defaults to the window: one window fits
    assert nn.MaxPool2d(3, padding=1, stride=2)(X).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))(X).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    X = torch.cat((X, X + 1), 1)
    Y = nn.MaxPool2d(3, padding=1, stride=2)(X)
    assert Y.tolist() == [[[[5.0, 7.0], [13.0, 15.0]], [[6.0, 8.0], [14.0, 16.0]]]]  # channels pooled apart


@pytest.mark.parametrize("kind", ["MaxPool2d", "AvgPool2d"])
def test_7_5_pooling_layers_agree_with_torch_in_values_and_gradients(kind):
    real = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(2, 3, 7, 6))
    results = []
    for lib, layers in [(ag, nn), (real, real.nn)]:
        X = lib.tensor(x, requires_grad=True)
        Y = getattr(layers, kind)((3, 2), stride=(2, 1), padding=1)(X)
        (Y * lib.tensor(np.arange(Y.numel()).reshape(Y.shape) % 5)).sum().backward()
        results.append((Y.detach().numpy(), np.asarray(X.grad)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-14)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-14)


# ---------------------------------------------------------------- 7.6 LeNet
def init_cnn(module):
    """Initialize weights for CNNs (the book's: Xavier for every Linear and Conv2d)."""
    if type(module) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)


def lenet(layers, size=28, num_classes=10, lib=ag):
    """The book's LeNet (lazy layers: each reads its input size from the first call) after the book's
    ``apply_init`` dry run on one image; ``size`` the input's side, ``lib`` ag or torch (for that image)."""
    net = layers.Sequential(
        layers.LazyConv2d(6, kernel_size=5, padding=2), layers.Sigmoid(), layers.AvgPool2d(kernel_size=2, stride=2),
        layers.LazyConv2d(16, kernel_size=5), layers.Sigmoid(), layers.AvgPool2d(kernel_size=2, stride=2),
        layers.Flatten(), layers.LazyLinear(120), layers.Sigmoid(),
        layers.LazyLinear(84), layers.Sigmoid(), layers.LazyLinear(num_classes),
    )  # fmt: skip
    net(lib.zeros((1, 1, size, size)))
    return net


def layer_summary(net, X_shape):
    """The book's layer_summary, returning the (layer name, output shape) it prints."""
    X = torch.randn(*X_shape)
    rows = []
    for layer in net:
        X = layer(X)
        rows.append((layer.__class__.__name__, tuple(X.shape)))
    return rows


LENET_SHAPES = [
    ("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
    ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
    ("Flatten", (1, 400)), ("Linear", (1, 120)), ("Sigmoid", (1, 120)), ("Linear", (1, 84)),
    ("Sigmoid", (1, 84)), ("Linear", (1, 10)),
]  # fmt: skip


def _to_torch(model, real, theirs):
    """``theirs`` (a torch module of the same layout) in float64 with ``model``'s parameters and buffers."""
    theirs = theirs.double()
    theirs.load_state_dict({k: real.tensor(v) for k, v in model.state_dict().items()}, strict=False)
    return theirs


def _forward_backward(lib, model, x):
    X = lib.tensor(x, requires_grad=True)
    Y = model(X)
    (Y * lib.tensor(np.cos(np.arange(Y.numel())).reshape(tuple(Y.shape)))).sum().backward()
    return [Y.detach().numpy(), np.asarray(X.grad)] + [np.asarray(p.grad) for p in model.parameters()]


def test_7_6_lenet_layer_shapes_and_torch_s_values_and_gradients():
    torch.manual_seed(0)
    net = lenet(nn)
    net.apply(init_cnn)
    assert layer_summary(net, (1, 1, 28, 28)) == LENET_SHAPES
    real = pytest.importorskip("torch")
    theirs = _to_torch(net, real, lenet(real.nn, lib=real))
    x = np.random.default_rng(0).normal(size=(3, 1, 28, 28))
    for ours, torch_s in zip(_forward_backward(ag, net, x), _forward_backward(real, theirs, x)):
        np.testing.assert_allclose(ours, torch_s, rtol=1e-10, atol=1e-13)


def load_data_digits_16(batch_size):
    """The bundled 8x8 digits as 1x16x16 images (each pixel doubled, values / 16) for Fashion-MNIST."""
    X, y = nn.datasets.load_digits()
    X = np.kron(X.reshape(-1, 1, 8, 8) / 16, np.ones((2, 2)))
    X_train, X_test, y_train, y_test = nn.datasets.train_test_split(X, y, test_size=0.25, seed=0)
    train = data.TensorDataset(torch.tensor(X_train), torch.tensor(y_train))
    test = data.TensorDataset(torch.tensor(X_test), torch.tensor(y_test))
    return data.DataLoader(train, batch_size, shuffle=True, seed=0), data.DataLoader(test, 256)


def evaluate_accuracy(net, data_iter):
    net.eval()
    correct, total = 0, 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += int((net(X).argmax(axis=1) == y).sum())
            total += y.numel()
    return correct / total


def train_ch6(net, train_iter, test_iter, num_epochs, lr, optimizer=nn.optim.SGD):
    """The book's train_ch6 (no Animator, no GPU); ``optimizer`` the class, the book's SGD by default."""
    net.apply(init_cnn)
    optimizer = optimizer(net.parameters(), lr=lr)
    loss = nn.CrossEntropyLoss()
    history = []
    for _epoch in range(num_epochs):
        net.train()
        total, count = 0.0, 0
        for X, y in train_iter:
            optimizer.zero_grad()
            l = loss(net(X), y)  # noqa: E741 (the book's name)
            l.backward()
            optimizer.step()
            total, count = total + float(l) * len(y), count + len(y)
        history.append((total / count, evaluate_accuracy(net, test_iter)))
    return history


def test_7_6_lenet_trains_on_the_digits():
    train_iter, test_iter = load_data_digits_16(batch_size=32)
    torch.manual_seed(0)
    net = lenet(nn, size=16)
    assert evaluate_accuracy(net, test_iter) < 0.3  # untrained: about chance
    history = train_ch6(net, train_iter, test_iter, num_epochs=8, lr=0.01, optimizer=nn.optim.Adam)
    assert history[-1][0] < 0.5 * history[0][0]
    assert history[-1][1] > 0.85  # the book: test acc ~0.8 on Fashion-MNIST
