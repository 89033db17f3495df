"""Stevens, Antiga & Viehmann, *Deep Learning with PyTorch*, chapters 7-8 ported with ``torch = ag``: the
birds-vs-airplanes classifier on synthetic 32x32 images (no CIFAR download): softmax, the fully connected model's
parameter count, ``nn.CrossEntropyLoss`` = ``nn.LogSoftmax`` + ``nn.NLLLoss``; ``nn.Conv2d``'s shapes, the box
blur and edge kernels set by hand, ``nn.MaxPool2d``; the ``nn.Sequential`` convnet and its ``nn.Module`` subclass
(``F.max_pool2d(torch.tanh(self.conv1(x)), 2)``, ``view(-1, 8 * 8 * 8)``), trained and validated, saved and
loaded; 8.5's width, L2 by hand, ``nn.Dropout2d``, ``nn.BatchNorm2d`` and the deep residual net (``ResBlock``
with ``kaiming_normal_`` and ``constant_``). The oracles: the book's printed shapes and parameter counts, closed
forms (the blur is a mean, the weight decay's gradient 2 lambda p) and torch, weights copied.

Where the spelling differs here: ``_, predicted = torch.max(outputs, dim=1)`` is ``predicted =
outputs.argmax(dim=1)`` (README: ``max(dim)`` gives the values). The gaps filled: ``model.to(device=device)``
(8.4's keyword form) raised TypeError; a torch state dict of ``NetResDeep`` (one block at every position, each
position listed) was refused by ``load_state_dict`` as unexpected names.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
import nn.optim as optim
from nn.data import DataLoader, TensorDataset
from tests.stevens_helpers import Net, NetResDeep, NetWidth, birds_and_airplanes

torch = ag


# ------------------------------------------------------------------- 7.2 a fully connected classifier
def test_7_2_softmax_and_the_fully_connected_models_parameter_counts():
    x = torch.tensor([1.0, 2.0, 3.0])
    softmax = torch.exp(x) / torch.exp(x).sum()
    assert softmax.tolist() == pytest.approx([0.0900, 0.2447, 0.6652], abs=1e-4) and softmax.sum().item() == 1.0
    batch = torch.tensor([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(nn.Softmax(dim=1)(batch).data, np.stack([softmax.data] * 2), rtol=1e-15)
    model = nn.Sequential(nn.Linear(3072, 512), nn.Tanh(), nn.Linear(512, 2), nn.LogSoftmax(dim=1))
    numel_list = [p.numel() for p in model.parameters() if p.requires_grad]
    assert (sum(numel_list), numel_list) == (1574402, [1572864, 512, 1024, 2])
    first_model = nn.Sequential(
        nn.Linear(3072, 1024), nn.Tanh(), nn.Linear(1024, 512), nn.Tanh(), nn.Linear(512, 128), nn.Tanh()
    )
    first_model.append(nn.Linear(128, 2))
    assert sum(p.numel() for p in first_model.parameters()) == 3737474
    linear = nn.Linear(3072, 1024)
    assert (linear.weight.shape, linear.bias.shape) == ((1024, 3072), (1024,))
    img, _ = birds_and_airplanes(1)
    out = model(img[0].view(-1).unsqueeze(0))
    assert out.shape == (1, 2) and np.exp(out.data).sum() == pytest.approx(1.0, rel=1e-12)


def test_7_2_cross_entropy_is_log_softmax_then_nll_and_minus_the_log_probability():
    rng = np.random.default_rng(0)
    logits, labels = torch.tensor(rng.standard_normal((6, 2)), requires_grad=True), torch.tensor([0, 1, 1, 0, 1, 0])
    ce = nn.CrossEntropyLoss()(logits, labels)
    nll = nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels)
    z = logits.data
    by_hand = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(6), labels.data])
    assert ce.item() == pytest.approx(by_hand, rel=1e-14) and nll.item() == pytest.approx(by_hand, rel=1e-14)
    ce.backward()
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (p - np.eye(2)[labels.data]) / 6, rtol=1e-12)  # (softmax - one-hot)/N


# ------------------------------------------------------------------- 8.2 convolutions by hand
def test_8_2_conv2d_shapes_padding_and_pooling_as_printed():
    img = birds_and_airplanes(1)[0][0]
    conv = nn.Conv2d(3, 16, kernel_size=3)
    assert (conv.weight.shape, conv.bias.shape) == ((16, 3, 3, 3), (16,))
    assert conv(img.unsqueeze(0)).shape == (1, 16, 30, 30)
    assert nn.Conv2d(3, 1, kernel_size=3, padding=1)(img.unsqueeze(0)).shape == (1, 1, 32, 32)
    pool = nn.MaxPool2d(2)
    output = pool(img.unsqueeze(0))
    assert output.shape == (1, 3, 16, 16)
    np.testing.assert_array_equal(output.data[0], img.data.reshape(3, 16, 2, 16, 2).max(axis=(2, 4)))


def test_8_2_the_books_blur_and_edge_kernels_set_under_no_grad():
    img = birds_and_airplanes(1)[0][0]
    conv = nn.Conv2d(3, 1, kernel_size=3, padding=1)
    with torch.no_grad():
        conv.bias.zero_()
    with torch.no_grad():
        conv.weight.fill_(1.0 / 9.0)
    output = conv(img.unsqueeze(0))
    padded = np.pad(img.data.astype(np.float64), ((0, 0), (1, 1), (1, 1)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))  # (3, 32, 32, 3, 3)
    np.testing.assert_allclose(output.data[0, 0], windows.sum(axis=(0, 3, 4)) / 9.0, rtol=1e-6)
    with torch.no_grad():
        conv.weight[:] = torch.tensor([[-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]])
        conv.bias.zero_()
    edges = conv(img.unsqueeze(0)).data[0, 0]
    np.testing.assert_allclose(edges, (windows[..., 2] - windows[..., 0]).sum(axis=(0, 3)), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------- 8.3 the convnet, two ways
def _sequential_net():
    return nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, padding=1),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 8, kernel_size=3, padding=1),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 8 * 8, 32),
        nn.Tanh(),
        nn.Linear(32, 2),
    )


def test_8_3_the_convnets_parameter_count_and_the_missing_flatten():
    model = _sequential_net()
    numel_list = [p.numel() for p in model.parameters()]
    assert (sum(numel_list), numel_list) == (18090, [432, 16, 1152, 8, 16384, 32, 64, 2])
    assert sum(p.numel() for p in Net().parameters()) == 18090
    img = birds_and_airplanes(1)[0]
    assert model(img).shape == (1, 2)
    del model[6]  # the book's first try had no flatten: the linear layer gets (1, 8, 8, 8)
    with pytest.raises(ValueError, match=r"Linear\(in_features=512.*shape \(1, 8, 8, 8\).*expected 512"):
        model(img)


def _torch_net(torch_):
    """The book's Net in torch (the oracle), its layers named as ours so the state dicts map one to one."""

    class TorchNet(torch_.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch_.nn.Conv2d(3, 16, kernel_size=3, padding=1)
            self.conv2 = torch_.nn.Conv2d(16, 8, kernel_size=3, padding=1)
            self.fc1 = torch_.nn.Linear(8 * 8 * 8, 32)
            self.fc2 = torch_.nn.Linear(32, 2)

        def forward(self, x):
            out = torch_.nn.functional.max_pool2d(torch_.tanh(self.conv1(x)), 2)
            out = torch_.nn.functional.max_pool2d(torch_.tanh(self.conv2(out)), 2)
            out = out.view(-1, 8 * 8 * 8)
            return self.fc2(torch_.tanh(self.fc1(out)))

    return TorchNet().double()


def test_8_3_the_subclassed_net_equals_torchs_forward_and_gradients():
    torch_ = pytest.importorskip("torch")
    images, labels = birds_and_airplanes(8)
    ours, theirs = Net(seed=3), _torch_net(torch_)
    theirs.load_state_dict({k: torch_.tensor(v) for k, v in ours.state_dict().items()})
    x = images.double()
    loss = nn.CrossEntropyLoss()(ours(x), labels)
    loss.backward()
    their_loss = torch_.nn.CrossEntropyLoss()(theirs(torch_.tensor(x.data)), torch_.tensor(labels.data))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-12)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, dict(theirs.named_parameters())[name].grad.numpy(), rtol=1e-9, atol=1e-13)


# ------------------------------------------------------------------- 8.4 training, validation, saving
def _train(model, loader, n_epochs, lr=1e-2, l2_lambda=0.0):
    optimizer = optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(n_epochs):
        loss_train = 0.0
        for imgs, labels in loader:
            outputs = model(imgs)
            loss = loss_fn(outputs, labels)
            if l2_lambda:
                loss = loss + l2_lambda * sum(p.pow(2.0).sum() for p in model.parameters())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_train += loss.item()
        losses.append(loss_train / len(loader))
    return losses


def _accuracy(model, loader):
    correct = total = 0
    with torch.no_grad():
        for imgs, labels in loader:
            predicted = model(imgs).argmax(dim=1)  # the book: _, predicted = torch.max(outputs, dim=1)
            total += labels.shape[0]
            correct += int((predicted == labels).sum())
    return correct / total


def test_8_4_the_books_loop_learns_the_birds_and_survives_save_and_load(tmp_path):
    images, labels = birds_and_airplanes(128, seed=1)
    train_loader = DataLoader(TensorDataset(images[:96], labels[:96]), batch_size=16, shuffle=True, seed=0)
    val_loader = DataLoader(TensorDataset(images[96:], labels[96:]), batch_size=16, shuffle=False)
    device = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    model = Net().to(device=device)
    assert _accuracy(model, val_loader) < 0.8
    losses = _train(model, train_loader, n_epochs=8, lr=5e-2)
    assert losses[-1] < 0.5 * losses[0] and _accuracy(model, val_loader) >= 0.9
    torch.save(model.state_dict(), tmp_path / "birds_vs_airplanes.pt")
    loaded_model = Net(seed=9)
    loaded_model.load_state_dict(torch.load(tmp_path / "birds_vs_airplanes.pt", map_location=device))
    np.testing.assert_array_equal(loaded_model(images[96:]).data, model(images[96:]).data)
    with pytest.raises(ValueError, match=r"Module\.to: device 'cuda' is not available"):
        Net().to(device="cuda")


# ------------------------------------------------------------------- 8.5 width, regularisation, depth
def test_8_5_1_width_counts_the_books_parameters():
    assert sum(p.numel() for p in NetWidth(n_chans1=32).parameters()) == 38386
    assert sum(p.numel() for p in NetWidth(n_chans1=16).parameters()) == 18090  # 16 channels: the first Net


def test_8_5_2_l2_by_hand_adds_two_lambda_p_and_equals_sgds_weight_decay():
    images, labels = birds_and_airplanes(8)
    by_hand, decayed, plain = Net(seed=1), Net(seed=1), Net(seed=1)
    l2_lambda = 0.001
    loss = nn.CrossEntropyLoss()(by_hand(images), labels)
    (loss + l2_lambda * sum(p.pow(2.0).sum() for p in by_hand.parameters())).backward()
    nn.CrossEntropyLoss()(plain(images), labels).backward()
    for p, q in zip(by_hand.parameters(), plain.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, q.grad + 2 * l2_lambda * q.data, rtol=1e-10, atol=1e-15)
    optimizer = optim.SGD(by_hand.parameters(), lr=1e-2)
    optimizer.step()
    nn.CrossEntropyLoss()(decayed(images), labels).backward()
    optim.SGD(decayed.parameters(), lr=1e-2, weight_decay=2 * l2_lambda).step()  # torch's weight_decay = 2 lambda
    for p, q in zip(by_hand.parameters(), decayed.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-15)


def test_8_5_2_dropout2d_drops_whole_channels_and_is_off_in_eval():
    x = torch.ones(64, 32, 4, 4)
    dropout = nn.Dropout2d(p=0.4)
    out = dropout(x).data
    per_channel = out.reshape(64, 32, 16)
    assert (per_channel.min(-1) == per_channel.max(-1)).all()  # a channel is kept or dropped whole
    assert set(np.unique(out)) <= {0.0, 1.0 / 0.6}
    assert (per_channel[..., 0] == 0).mean() == pytest.approx(0.4, abs=0.04)  # 2048 channels
    dropout.eval()
    assert dropout(x).data is x.data or np.array_equal(dropout(x).data, x.data)
    model = NetWidth(dropout=0.4).eval()
    images = birds_and_airplanes(4)[0]
    np.testing.assert_array_equal(model(images).data, model(images).data)


def test_8_5_2_batchnorm_net_normalises_per_channel_and_equals_torchs_layer():
    torch_ = pytest.importorskip("torch")
    images = birds_and_airplanes(8)[0].double()
    model = NetWidth(batchnorm=True)
    conv_out = model.conv1(images)
    normalised = model.conv1_batchnorm(conv_out).data
    np.testing.assert_allclose(normalised.mean(axis=(0, 2, 3)), 0.0, atol=1e-10)
    batch_var = conv_out.data.var(axis=(0, 2, 3))  # biased, over the batch and the pixels
    np.testing.assert_allclose(normalised.var(axis=(0, 2, 3)), batch_var / (batch_var + 1e-5), rtol=1e-10)
    theirs = torch_.nn.BatchNorm2d(32).double()
    np.testing.assert_allclose(normalised, theirs(torch_.tensor(conv_out.data)).detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(model.conv1_batchnorm.running_var, theirs.running_var.numpy(), rtol=1e-12)
    assert model(images).shape == (8, 2)


def test_8_5_3_the_resblocks_init_and_the_shared_blocks_parameter_count():
    model = NetResDeep(n_chans1=32, n_blocks=10)
    block = model.resblocks[0]
    assert all(b is block for b in model.resblocks)  # n_blocks * [ResBlock(...)]: one block, ten times
    assert np.all(block.batch_norm.weight.data == 0.5) and not block.batch_norm.bias.data.any()
    assert block.conv.bias is None
    weights = block.conv.weight.data
    assert weights.std() == pytest.approx(np.sqrt(2.0 / (32 * 9)), rel=0.03)  # kaiming: gain sqrt(2) / sqrt(fan_in)
    conv1, block_params, fc1, fc2 = 3 * 32 * 9 + 32, 32 * 32 * 9 + 2 * 32, 8 * 8 * 32 * 32 + 32, 32 * 2 + 2
    assert sum(p.numel() for p in model.parameters()) == conv1 + block_params + fc1 + fc2 == 75810


def test_8_5_3_the_shared_blocks_gradient_is_the_finite_difference_through_every_position():
    model = NetResDeep(n_chans1=8, n_blocks=4)
    images, labels = birds_and_airplanes(4)
    images = images.double()

    def loss():
        return nn.CrossEntropyLoss()(model(images), labels)

    loss().backward()
    weight = model.resblocks[0].conv.weight
    h = 1e-6
    for index in [(0, 0, 1, 1), (3, 5, 0, 2), (7, 7, 2, 0)]:
        saved = weight.data[index]
        weight.data[index] = saved + h
        up = loss().item()
        weight.data[index] = saved - h
        down = loss().item()
        weight.data[index] = saved
        assert weight.grad[index] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-9), index


def test_8_5_3_netresdeep_equals_torch_with_the_same_weights():
    torch_ = pytest.importorskip("torch")
    tnn, tF = torch_.nn, torch_.nn.functional

    class TorchResBlock(tnn.Module):
        def __init__(self, n_chans):
            super().__init__()
            self.conv = tnn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
            self.batch_norm = tnn.BatchNorm2d(num_features=n_chans)

        def forward(self, x):
            return torch_.relu(self.batch_norm(self.conv(x))) + x

    class TorchNetResDeep(tnn.Module):
        def __init__(self, n_chans1=8, n_blocks=4):
            super().__init__()
            self.n_chans1 = n_chans1
            self.conv1 = tnn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
            self.resblocks = tnn.Sequential(*(n_blocks * [TorchResBlock(n_chans=n_chans1)]))
            self.fc1 = tnn.Linear(8 * 8 * n_chans1, 32)
            self.fc2 = tnn.Linear(32, 2)

        def forward(self, x):
            out = tF.max_pool2d(self.resblocks(tF.max_pool2d(torch_.relu(self.conv1(x)), 2)), 2)
            return self.fc2(torch_.relu(self.fc1(out.view(-1, 8 * 8 * self.n_chans1))))

    ours, theirs = NetResDeep(n_chans1=8, n_blocks=4), TorchNetResDeep().double()
    state = ours.state_dict()
    # a block shared by four positions is listed at each, as torch's state_dict does (both list a shared parameter
    # once in named_parameters); nn keeps no BatchNorm num_batches_tracked counter
    assert set(state) == {name for name in theirs.state_dict() if not name.endswith("num_batches_tracked")}
    assert len(state) > len(dict(ours.named_parameters())) + len(dict(ours.named_buffers()))
    theirs.load_state_dict({k: torch_.tensor(v) for k, v in state.items()}, strict=False)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    images, labels = birds_and_airplanes(4)
    loss = nn.CrossEntropyLoss()(ours(images.double()), labels)
    loss.backward()
    their_loss = tnn.CrossEntropyLoss()(theirs(torch_.tensor(images.data).double()), torch_.tensor(labels.data))
    their_loss.backward()
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-10)
    shared = ours.resblocks[0].conv.weight.grad  # the sum over the four positions the block sits in
    np.testing.assert_allclose(shared, theirs.resblocks[0].conv.weight.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(ours.conv1.weight.grad, theirs.conv1.weight.grad.numpy(), rtol=1e-8, atol=1e-12)


def test_8_5_3_a_torch_state_dict_listing_every_position_of_a_shared_block_loads():
    torch_ = pytest.importorskip("torch")
    theirs = torch_.nn.Sequential(*(3 * [torch_.nn.Linear(4, 4)]), torch_.nn.Tanh()).double()
    state = {k: v.numpy() for k, v in theirs.state_dict().items()}
    assert sorted(state) == ["0.bias", "0.weight", "1.bias", "1.weight", "2.bias", "2.weight"]  # aliases, listed
    ours = nn.Sequential(*(3 * [nn.Linear(4, 4, seed=5)]), nn.Tanh())
    assert ours.load_state_dict(state) == ([], [])  # strict: the other positions name the same tensors
    x = np.random.default_rng(0).standard_normal((2, 4))
    np.testing.assert_allclose(ours(x).data, theirs(torch_.tensor(x)).detach().numpy(), rtol=1e-12)
    state["2.weight"] = state["2.weight"] + 1.0
    with pytest.raises(
        ValueError, match=r"'2\.weight' and '0\.weight' name one shared tensor but hold different values"
    ):
        ours.load_state_dict(state)
    deep = NetResDeep(n_chans1=8, n_blocks=3, seed=4)
    torch_deep = {k: v for k, v in NetResDeep(n_chans1=8, n_blocks=3, seed=8).state_dict().items()}
    for k in [k for k in torch_deep if k.startswith("resblocks.0.")]:  # as torch.save(model.state_dict()) lists them
        for i in (1, 2):
            torch_deep[k.replace("resblocks.0.", f"resblocks.{i}.")] = torch_deep[k]
    assert deep.load_state_dict(torch_deep) == ([], [])
    np.testing.assert_array_equal(deep.resblocks[2].conv.weight.data, torch_deep["resblocks.2.conv.weight"])


def test_8_5_3_functional_spellings_the_chapter_uses():
    x = torch.tensor([[-1.0, 2.0]])
    assert torch.relu(x).tolist() == F.relu(x).tolist() == [[0.0, 2.0]]
    np.testing.assert_allclose(torch.tanh(x).data, np.tanh([[-1.0, 2.0]]), rtol=1e-15)
    with pytest.raises(ValueError, match="calculate_gain: unknown nonlinearity 'rellu'"):
        nn.init.kaiming_normal_(nn.Conv2d(3, 3, 3).weight, nonlinearity="rellu")
