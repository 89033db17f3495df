"""What the ports of Stevens, Antiga & Viehmann's "Deep Learning with PyTorch" (part 1) share: the thermometer
readings of chapter 5, the book's model and loss for them, and chapter 8's convolutional nets as the book writes
them (``Net`` with ``F.max_pool2d(torch.tanh(self.conv1(x)), 2)``, ``NetWidth``, ``NetDropout``,
``NetBatchNorm``, ``ResBlock`` / ``NetResDeep``), built with ``torch = ag`` spellings, and a synthetic
birds-vs-airplanes set of 32x32 images (no download)."""

from __future__ import annotations

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

torch = ag  # the book's spellings, run on this engine

# Chapter 5's readings: t_c in Celsius, t_u in the unknown units of the new thermometer
T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]


def thermometer(dtype: type = np.float32) -> tuple[Tensor, Tensor]:
    """(t_c, t_u) as the book's tensors (float32, PyTorch's default: the book's printed numbers are float32's)."""
    return torch.tensor(T_C, dtype=dtype), torch.tensor(T_U, dtype=dtype)


def model(t_u: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """The book's linear model, t_p = w * t_u + b."""
    return w * t_u + b


def loss_fn(t_p: Tensor, t_c: Tensor) -> Tensor:
    """The book's mean square loss."""
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean()


def birds_and_airplanes(n: int = 64, seed: int = 0) -> tuple[Tensor, Tensor]:
    """n synthetic CIFAR-2 images (N, 3, 32, 32), float32 in [0, 1], and labels 0 (airplane) / 1 (bird): the
    airplanes bluer in their upper half (sky), the birds greener in their lower half, plus noise, so a small
    convnet can learn them in a few epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.uniform(0.0, 0.6, (n, 3, 32, 32)).astype(np.float32)
    images[labels == 0, 2, :16] += 0.4
    images[labels == 1, 1, 16:] += 0.4
    return torch.tensor(images), torch.tensor(labels)


class Net(nn.Module):
    """Chapter 8.3's net, written with the functional API: two conv + tanh + max-pool stages, then two linear layers."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1, seed=seed)
        self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1, seed=seed + 1)
        self.fc1 = nn.Linear(8 * 8 * 8, 32, seed=seed + 2)
        self.fc2 = nn.Linear(32, 2, seed=seed + 3)

    def forward(self, x: Tensor) -> Tensor:
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * 8)
        out = torch.tanh(self.fc1(out))
        return self.fc2(out)


class NetWidth(nn.Module):
    """Chapter 8.5.1: the same net with ``n_chans1`` channels in the first convolution; ``dropout``: 8.5.2's
    ``nn.Dropout2d`` after each pooling stage; ``batchnorm``: 8.5.2's ``nn.BatchNorm2d`` after each convolution."""

    def __init__(self, n_chans1: int = 32, dropout: float = 0.0, batchnorm: bool = False, seed: int = 0) -> None:
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1, seed=seed)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3, padding=1, seed=seed + 1)
        self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32, seed=seed + 2)
        self.fc2 = nn.Linear(32, 2, seed=seed + 3)
        self.conv1_dropout = nn.Dropout2d(p=dropout) if dropout else nn.Identity()
        self.conv2_dropout = nn.Dropout2d(p=dropout) if dropout else nn.Identity()
        self.conv1_batchnorm = nn.BatchNorm2d(num_features=n_chans1) if batchnorm else nn.Identity()
        self.conv2_batchnorm = nn.BatchNorm2d(num_features=n_chans1 // 2) if batchnorm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out = F.max_pool2d(torch.tanh(self.conv1_batchnorm(self.conv1(x))), 2)
        out = self.conv1_dropout(out)
        out = F.max_pool2d(torch.tanh(self.conv2_batchnorm(self.conv2(out))), 2)
        out = self.conv2_dropout(out)
        out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
        out = torch.tanh(self.fc1(out))
        return self.fc2(out)


class ResBlock(nn.Module):
    """Chapter 8.5.3's residual block: conv (no bias) -> batch norm -> relu, plus the input; the convolution
    initialised by ``kaiming_normal_(nonlinearity='relu')``, the batch norm's scale 0.5 and shift 0."""

    def __init__(self, n_chans: int, seed: int = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False, seed=seed)
        self.batch_norm = nn.BatchNorm2d(num_features=n_chans)
        nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu", generator=ag.Generator().manual_seed(seed))
        nn.init.constant_(self.batch_norm.weight, 0.5)
        nn.init.zeros_(self.batch_norm.bias)

    def forward(self, x: Tensor) -> Tensor:
        out = self.conv(x)
        out = self.batch_norm(out)
        out = torch.relu(out)
        return out + x


class NetResDeep(nn.Module):
    """Chapter 8.5.3's deep residual net: ``nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1)]))``, as the
    book writes it (one block repeated: its parameters are shared by every position)."""

    def __init__(self, n_chans1: int = 32, n_blocks: int = 10, seed: int = 0) -> None:
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1, seed=seed)
        self.resblocks = nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1, seed=seed + 1)]))
        self.fc1 = nn.Linear(8 * 8 * n_chans1, 32, seed=seed + 2)
        self.fc2 = nn.Linear(32, 2, seed=seed + 3)

    def forward(self, x: Tensor) -> Tensor:
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = self.resblocks(out)
        out = F.max_pool2d(out, 2)
        out = out.view(-1, 8 * 8 * self.n_chans1)
        out = torch.relu(self.fc1(out))
        return self.fc2(out)
