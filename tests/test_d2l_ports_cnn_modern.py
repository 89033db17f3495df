""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) chapter 8, modern convolutional networks, ported as
``tests/test_d2l_ports.py`` does (``torch = ag``, ``nn`` for ``torch.nn``; the d2l helpers written as the book
defines them, in its second edition's spelling with input sizes; each step asserting the book's outcome;
where torch is installed the same weights give torch's values and gradients, in float64).

8.2 VGG block and 8.3 NiN block shapes; 8.5 batch normalization from scratch (the book's ``batch_norm``
with moving averages) against ``nn.BatchNorm2d`` / ``nn.BatchNorm1d``, and the book's LeNet with it trained
by SGD at lr 1.0 (without it, at chance); 8.6 ResNet's Residual block shapes with ``use_1x1conv`` and
``strides``, and a narrowed ResNet-18's shapes, forward and backward.

Where the book's spelling differs here: Residual's ``Y += X`` on a recorded tensor is ``Y = Y + X`` (no
in-place autograd, by design; the error says so); layers take their input size (``nn.BatchNorm2d(c)`` for
``nn.LazyBatchNorm2d()``); ``batch_norm`` returns ``moving_mean.detach()`` for the book's
``moving_mean.data``: ``.data`` is a numpy array here (README), and an array's own ``.data`` is a memoryview,
so the book's spelling breaks at the second prediction call (``'memoryview' object has no attribute
'device'``), numpy's behaviour, not ours to change. The book's moving variance averages the batch's biased
variance, ``nn.BatchNorm2d``'s (as torch's) the unbiased one: asserted below, not papered over.
"""

import inspect

import numpy as np
import pytest
from test_d2l_ports_cnn import _forward_backward, _to_torch, load_data_digits_16, train_ch6

import autograd_core as ag
import nn
import nn.functional as F

torch = ag  # the book's own spelling, kept so each step reads as the book does


# ---------------------------------------------------------------- 8.2 VGG and 8.3 NiN blocks
def vgg_block(num_convs, in_channels, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
        in_channels = out_channels
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def nin_block(in_channels, out_channels, kernel_size, strides, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
    )  # fmt: skip


def test_8_2_8_3_vgg_halves_the_side_and_nin_ends_in_global_average_pooling():
    torch.manual_seed(0)
    conv_arch = ((1, 4), (1, 8), (2, 16))  # the book's (1, 64), (1, 128), (2, 256) ... narrowed
    blocks, in_channels = [], 1
    for num_convs, out_channels in conv_arch:
        blocks.append(vgg_block(num_convs, in_channels, out_channels))
        in_channels = out_channels
    X = torch.randn(size=(1, 1, 32, 32))
    for blk, side in zip(blocks, (16, 8, 4)):
        X = blk(X)
        assert tuple(X.shape) == (1, blk[-3].out_channels, side, side)  # each block halves height and width
    net = nn.Sequential(
        nin_block(1, 8, kernel_size=11, strides=4, padding=0), nn.MaxPool2d(3, stride=2),
        nin_block(8, 10, kernel_size=5, strides=1, padding=2),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
    )  # fmt: skip
    shapes = [tuple(X.shape) for X in [torch.randn(size=(2, 1, 64, 64))] for X in [net[0](X), net[1](net[0](X))]]
    assert shapes == [(2, 8, 14, 14), (2, 8, 6, 6)]  # (64 - 11) // 4 + 1 = 14; (14 - 3) // 2 + 1 = 6
    Y = net(torch.randn(size=(2, 1, 64, 64)))
    assert tuple(Y.shape) == (2, 10)  # one logit per class, with no fully connected layer


# ---------------------------------------------------------------- 8.5 Batch normalization
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    # torch.is_grad_enabled tells training (grad on) from prediction (grad off)
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:  # a fully connected layer: mean and variance over the feature dimension
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:  # a convolutional layer: over the channel dimension (axis=1), keeping X's shape to broadcast
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)  # standardised with the current mean and variance
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean  # update the moving averages
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta  # scale and shift
    return Y, moving_mean.detach(), moving_var.detach()  # the book: .data (a Tensor in torch, an array here)


class BatchNorm(nn.Module):
    # num_features: outputs of a fully connected layer or output channels of a convolution; num_dims: 2 or 4
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))  # the scale and shift, learned
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)  # not model parameters: 0 and 1 to start
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1
        )
        return Y


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (8, 4)])
def test_8_5_batch_norm_from_scratch_is_nn_batchnorm_but_for_the_variance_estimator(shape):
    rng = np.random.default_rng(0)
    bn, ref = BatchNorm(shape[1], len(shape)), (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(shape[1])
    axes = (0, 2, 3) if len(shape) == 4 else (0,)
    n = int(np.prod([shape[a] for a in axes]))
    for _step in range(3):
        x, w = rng.normal(2.0, 3.0, shape), rng.normal(size=shape)
        X1, X2 = torch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        Y1, Y2 = bn(X1), ref(X2)
        np.testing.assert_allclose(Y1.data, Y2.data, rtol=1e-12, atol=1e-13)
        (Y1 * w).sum().backward()
        (Y2 * w).sum().backward()
        np.testing.assert_allclose(X1.grad, X2.grad, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(bn.gamma.grad.reshape(-1), ref.weight.grad, rtol=1e-10)
        np.testing.assert_allclose(bn.beta.grad.reshape(-1), ref.bias.grad, rtol=1e-12)
        bn.zero_grad(), ref.zero_grad()
        assert np.abs(Y1.data.mean(axis=axes)).max() < 1e-12  # gamma 1, beta 0: each channel standardised
        np.testing.assert_allclose(Y1.data.var(axis=axes), 1 - 1e-5 / (x.var(axis=axes) + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(bn.moving_mean.reshape(-1), np.asarray(ref.running_mean), rtol=1e-12)
    # the book averages the batch's biased variance, torch (and nn) its unbiased one, n / (n - 1) larger,
    # and each starts from 1, so the two part by 1 - 0.9**3 of the factor after three batches
    np.testing.assert_allclose(
        (np.asarray(ref.running_var) - 0.9**3) / (bn.moving_var.reshape(-1) - 0.9**3), n / (n - 1), rtol=1e-10
    )
    with torch.no_grad():  # prediction: the moving averages, as the book's is_grad_enabled switch
        for x in (rng.normal(size=shape), rng.normal(size=shape)):  # twice: the moving averages stay put
            want = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_var.numpy() + 1e-5)
            np.testing.assert_allclose(bn(torch.tensor(x)).data, want, rtol=1e-12)


def bn_lenet(norm):
    """The book's LeNet with batch normalization after each layer but the last (on 16x16 digits: one pixel
    left after the second pooling); ``norm(features, num_dims)`` the normalisation (the book's BatchNorm)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), norm(6, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), norm(16, 4), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16, 120), norm(120, 2), nn.Sigmoid(),
        nn.Linear(120, 84), norm(84, 2), nn.Sigmoid(), nn.Linear(84, 10),
    )  # fmt: skip


def test_8_5_batch_norm_lifts_sigmoid_lenet_off_its_plateau_under_the_book_s_sgd():
    train_iter, test_iter = load_data_digits_16(batch_size=128)  # the book: 256 of 60,000, lr 1.0, 10 epochs
    accuracies = []
    for norm in (BatchNorm, lambda num_features, num_dims: nn.Identity()):
        torch.manual_seed(0)
        net = bn_lenet(norm)
        accuracies.append(train_ch6(net, train_iter, test_iter, num_epochs=8, lr=1.0)[-1][1])
    assert accuracies[0] > 0.85  # the book: ~0.8 on Fashion-MNIST, faster than LeNet without
    assert accuracies[1] < 0.2  # the same net and steps without it: chance (sigmoid's plateau)


# ---------------------------------------------------------------- 8.6 ResNet
class Residual(nn.Module):
    """The Residual block of ResNet models."""

    def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.BatchNorm2d(num_channels)
        self.bn2 = nn.BatchNorm2d(num_channels)

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y = Y + X  # the book: Y += X
        return F.relu(Y)


def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels, num_channels))
    return blk


def resnet18_narrow(layers, resnet_block, width=8):
    """The book's ResNet-18 (b1 to b5, global average pooling, a linear layer) with ``width`` channels for
    its 64 (8, 16, 32, 64 for 64 ... 512), built in ``layers`` (nn or torch.nn) with that ``resnet_block``."""
    b1 = layers.Sequential(
        layers.Conv2d(1, width, kernel_size=7, stride=2, padding=3), layers.BatchNorm2d(width), layers.ReLU(),
        layers.MaxPool2d(kernel_size=3, stride=2, padding=1),
    )  # fmt: skip
    b2 = layers.Sequential(*resnet_block(width, width, 2, first_block=True))
    b3 = layers.Sequential(*resnet_block(width, 2 * width, 2))
    b4 = layers.Sequential(*resnet_block(2 * width, 4 * width, 2))
    b5 = layers.Sequential(*resnet_block(4 * width, 8 * width, 2))
    head = [layers.AdaptiveAvgPool2d((1, 1)), layers.Flatten(), layers.Linear(8 * width, 10)]
    return layers.Sequential(b1, b2, b3, b4, b5, *head)


def _the_book_s_code_in_torch(real, *objects):
    """The source of the book's classes and functions above, run again with ``nn`` = torch.nn: the same code."""
    namespace = {"nn": real.nn, "F": real.nn.functional, "torch": real}
    for obj in objects:
        exec(inspect.getsource(obj), namespace)
    return namespace


def test_8_6_residual_block_shapes_with_and_without_the_1x1_convolution():
    torch.manual_seed(0)
    blk = Residual(3, 3)
    X = torch.rand(4, 3, 6, 6)
    assert tuple(blk(X).shape) == (4, 3, 6, 6)  # same channels, same side: X adds on as it is
    blk = Residual(3, 6, use_1x1conv=True, strides=2)
    assert tuple(blk(X).shape) == (4, 6, 3, 3)  # the 1x1 convolution matches channels and stride
    with pytest.raises(RuntimeError, match="in-place '\\+=' on a tensor that is part of a recorded graph"):
        Y = blk.bn2(blk.conv2(F.relu(blk.bn1(blk.conv1(X)))))
        Y += blk.conv3(X)  # the book's spelling: refused with the fix, as no in-place autograd exists


def test_8_6_tiny_resnet_shapes_forward_and_backward_match_torch():
    torch.manual_seed(0)
    net = resnet18_narrow(nn, resnet_block)
    X = torch.rand(size=(1, 1, 64, 64))
    shapes = []
    for layer in net:
        X = layer(X)
        shapes.append(tuple(X.shape))
    # the book's table at 224x224 with 64 channels: 56, 56, 28, 14, 7, then 1x1; here 64 and 8 channels
    assert shapes == [(1, 8, 16, 16), (1, 8, 16, 16), (1, 16, 8, 8), (1, 32, 4, 4), (1, 64, 2, 2)] + [
        (1, 64, 1, 1), (1, 64), (1, 10),
    ]  # fmt: skip
    x = np.random.default_rng(0).normal(size=(2, 1, 32, 32))
    ours = _forward_backward(ag, net, x)
    assert all(np.abs(g).sum() > 0 for g in ours[1:])  # every parameter is reached by the backward pass
    real = pytest.importorskip("torch")
    book_in_torch = _the_book_s_code_in_torch(real, Residual, resnet_block)
    theirs = _forward_backward(real, _to_torch(net, real, resnet18_narrow(real.nn, book_in_torch["resnet_block"])), x)
    assert len(ours) == len(theirs)
    for mine, torch_s in zip(ours, theirs):
        np.testing.assert_allclose(mine, torch_s, rtol=1e-8, atol=1e-10)
