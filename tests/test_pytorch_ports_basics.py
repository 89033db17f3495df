"""PyTorch's "Learn the Basics" pages (pytorch.org/tutorials/beginner/basics/...), ported step by step as
tests/test_pytorch_ports.py ports the other canonical tutorials (``autograd_core as ag`` for ``torch``, ``nn``
for ``torch.nn``, ``F`` for ``torch.nn.functional``, ``nn.optim`` for ``torch.optim``, ``nn.data`` for
``torch.utils.data``), each asserting the tutorial's own outcome; where torch is installed the same code
runs in both and the values must agree.

FashionMNIST is not available offline: the bundled 8x8 digits stand in for it (``DigitsDataset``, a
map-style Dataset as torchvision's, images (1, 8, 8) in [0, 1] after ``ToTensor``, integer labels).
torchvision is not torch: its two transforms the pages use, ``ToTensor`` and ``Lambda``, are written here.

a. Quickstart                 b. Datasets & DataLoaders     c. Transforms
d. Build the Neural Network   e. Automatic Differentiation  f. Optimizing Model Parameters
g. Save and Load the Model
"""

import csv
import importlib
import itertools
import os

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from nn.data import DataLoader, Dataset

torch = ag  # the tutorials' own spelling, kept so each step reads as the tutorial does

classes = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


# ---------------------------------------------------------------- torchvision's pieces, for the digits
class ToTensor:
    """torchvision's ToTensor for the digits: an (H, W) image of 0..16 -> a float32 (1, H, W) Tensor in [0, 1]."""

    def __call__(self, image):
        return torch.tensor(np.asarray(image)[None] / 16.0, dtype=torch.float)


class Lambda:
    """torchvision's Lambda: any function as a transform."""

    def __init__(self, lambd):
        self.lambd = lambd

    def __call__(self, value):
        return self.lambd(value)


class DigitsDataset(Dataset):
    """``datasets.FashionMNIST(root, train, transform, target_transform)`` for the bundled digits: the first
    1,500 images train, the other 297 test; labels are Python ints, as torchvision's."""

    def __init__(self, train=True, transform=None, target_transform=None):
        X, y = nn.datasets.load_digits()
        rows = slice(0, 1500) if train else slice(1500, None)
        self.images, self.targets = X[rows].reshape(-1, 8, 8), y[rows]
        self.transform, self.target_transform = transform, target_transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, idx):
        image, label = self.images[idx], int(self.targets[idx])
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def NeuralNetwork_of(nn):  # the tutorial's class (28*28 -> 512 -> 512 -> 10 as 8*8 -> 128 -> 128 -> 10), any nn
    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(8 * 8, 128),
                nn.ReLU(),
                nn.Linear(128, 128),
                nn.ReLU(),
                nn.Linear(128, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    return NeuralNetwork


NeuralNetwork = NeuralNetwork_of(nn)


def quickstart_loops(torch, device, printed):
    """The quickstart's ``train`` and ``test``, as written, for ``torch`` = ag or torch; ``print`` collects."""
    print = printed.append  # noqa: A001 (the tutorial prints; the test reads the lines)

    def train(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            X, y = X.to(device), y.to(device)

            # Compute prediction error
            pred = model(X)
            loss = loss_fn(pred, y)

            # Backpropagation
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

            if batch % 10 == 0:  # the tutorial's 100: 24 batches an epoch here
                loss, current = loss.item(), (batch + 1) * len(X)
                print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

    def test(dataloader, model, loss_fn):
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        model.eval()
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        test_loss /= num_batches
        correct /= size
        print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
        return correct, test_loss

    return train, test


# ---------------------------------------------------------------- a. Quickstart
def test_a_quickstart_data_model_training_saving_loading_and_a_prediction(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the tutorial writes model.pth where it runs
    training_data = DigitsDataset(train=True, transform=ToTensor())
    test_data = DigitsDataset(train=False, transform=ToTensor())
    batch_size = 64
    train_dataloader = DataLoader(training_data, batch_size=batch_size)
    test_dataloader = DataLoader(test_data, batch_size=batch_size)
    for X, y in test_dataloader:
        assert f"Shape of X [N, C, H, W]: {X.shape}" == "Shape of X [N, C, H, W]: (64, 1, 8, 8)"
        assert f"Shape of y: {y.shape} {y.dtype}" == "Shape of y: (64,) int64"  # torch: torch.Size([64]) torch.int64
        break

    device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert f"Using {device} device" == "Using cpu device"
    torch.manual_seed(0)
    model = NeuralNetwork().to(device)
    assert "(0): Linear(in_features=64, out_features=128, bias=True)" in str(model)  # print(model) as torch's
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-1)  # the tutorial's 1e-3 takes 4,690 steps; 5 epochs here, 120

    printed = []
    train, test = quickstart_loops(torch, device, printed)
    epochs, results = 5, []
    for t in range(epochs):
        printed.append(f"Epoch {t + 1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        results.append(test(test_dataloader, model, loss_fn))
    printed.append("Done!")
    accuracy, avg_loss = zip(*results)
    # the tutorial's outcome: the loss falls with every epoch and the accuracy rises (the digits' last 297, other
    # writers than the first 1,500: 84% after 5 epochs)
    assert all(before > after for before, after in itertools.pairwise(avg_loss)) and avg_loss[-1] < avg_loss[0] / 2
    assert accuracy[-1] > max(0.75, accuracy[0])
    assert printed[1].startswith("loss: ") and printed[1].endswith("[   64/ 1500]")
    assert printed[-2] == f"Test Error: \n Accuracy: {100 * accuracy[-1]:>0.1f}%, Avg loss: {avg_loss[-1]:>8f} \n"

    torch.save(model.state_dict(), "model.pth")
    trained = model
    model = NeuralNetwork().to(device)
    model.load_state_dict(torch.load("model.pth", weights_only=True))
    model.eval()
    x, y = test_data[0][0], test_data[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model(x)
        predicted, actual = classes[pred[0].argmax(0)], classes[y]
    assert f'Predicted: "{predicted}", Actual: "{actual}"' == 'Predicted: "one", Actual: "one"'
    images = torch.stack([test_data[i][0] for i in range(len(test_data))])
    np.testing.assert_array_equal(model(images).data, trained(images).data)  # the loaded weights are the trained


def test_a_quickstart_training_equals_torch():
    real = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours = NeuralNetwork()
    theirs = NeuralNetwork_of(real.nn)().double()
    theirs.load_state_dict({name: real.from_numpy(value) for name, value in ours.state_dict().items()})
    training_data, test_data = DigitsDataset(True, ToTensor()), DigitsDataset(False, ToTensor())
    tensors = [
        real.from_numpy(np.stack([d[i][0].data for i in range(len(d))])).double() for d in (training_data, test_data)
    ]
    labels = [real.tensor(d.targets) for d in (training_data, test_data)]
    runs = []
    for lib, model, sets, Loader, SGD in (
        (torch, ours, (training_data, test_data), DataLoader, nn.optim.SGD),
        (
            real,
            theirs,
            [real.utils.data.TensorDataset(*p) for p in zip(tensors, labels)],
            real.utils.data.DataLoader,
            None,
        ),
    ):
        if SGD is None:
            SGD = importlib.import_module("torch.optim").SGD  # imported only here: it takes a second
        printed = []
        train, test = quickstart_loops(lib, "cpu", printed)
        loss_fn = (nn if lib is torch else real.nn).CrossEntropyLoss()
        optimizer = SGD(model.parameters(), lr=1e-1)
        loaders = [Loader(s, batch_size=64) for s in sets]
        results = []
        train(loaders[0], model, loss_fn, optimizer)  # one epoch: 24 steps
        results.append(test(loaders[1], model, loss_fn))
        runs.append((printed, results))
    (our_lines, our_results), (their_lines, their_results) = runs
    np.testing.assert_allclose(our_results, their_results, rtol=1e-9)
    assert len(our_lines) == len(their_lines) == 4 and our_lines[-1] == their_lines[-1]  # 3 losses, the test
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs.get_parameter(name).detach().numpy(), rtol=1e-8, atol=1e-12)


# ---------------------------------------------------------------- b. Datasets & DataLoaders
class CustomImageDataset(Dataset):
    """The tutorial's own Dataset of image files and a CSV of labels (csv for pandas, np.load for read_image)."""

    def __init__(self, annotations_file, img_dir, transform=None, target_transform=None):
        with open(annotations_file, newline="") as f:
            self.img_labels = [(name, int(label)) for name, label in csv.reader(f)]
        self.img_dir = img_dir
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.img_labels)

    def __getitem__(self, idx):
        img_path = os.path.join(self.img_dir, self.img_labels[idx][0])
        image = read_image(img_path)
        label = self.img_labels[idx][1]
        if self.transform:
            image = self.transform(image)
        if self.target_transform:
            label = self.target_transform(label)
        return image, label


def read_image(path):
    """torchvision.io.read_image: a (C, H, W) uint8 Tensor (here from a .npy file)."""
    return torch.from_numpy(np.load(path)[None].astype(np.uint8))


def test_b_datasets_indexing_a_custom_dataset_of_files_and_iterating_a_shuffled_loader(tmp_path):
    training_data = DigitsDataset(train=True, transform=ToTensor())
    labels_map = dict(enumerate(classes))
    from matplotlib.figure import Figure  # plt.figure's Figure, without pyplot's global backend

    torch.manual_seed(0)
    figure = Figure(figsize=(8, 8))
    cols, rows = 3, 3
    for i in range(1, cols * rows + 1):
        sample_idx = torch.randint(len(training_data), size=(1,)).item()
        img, label = training_data[sample_idx]
        axes = figure.add_subplot(rows, cols, i)
        axes.set_title(labels_map[label])
        axes.axis("off")
        axes.imshow(img.squeeze(), cmap="gray")
        assert isinstance(sample_idx, int) and 0 <= sample_idx < 1500 and img.dtype == np.float32
        np.testing.assert_array_equal(axes.images[0].get_array(), img.data[0])  # a Tensor draws as its values
    assert len(figure.axes) == 9 and all(axes.get_title() in classes for axes in figure.axes)

    X, y = nn.datasets.load_digits()
    img_dir = tmp_path / "images"
    img_dir.mkdir()
    with open(tmp_path / "labels.csv", "w", newline="") as f:
        for i in range(100):
            np.save(img_dir / f"digit{i}.npy", X[i].reshape(8, 8).astype(np.uint8))
            f.write(f"digit{i}.npy,{y[i]}\n")
    files = CustomImageDataset(tmp_path / "labels.csv", img_dir, transform=lambda image: image.float() / 16)
    assert len(files) == 100
    image, label = files[7]
    assert image.shape == (1, 8, 8) and label == y[7] and np.array_equal(image.data[0] * 16, X[7].reshape(8, 8))

    train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)
    train_features, train_labels = next(iter(train_dataloader))
    assert f"Feature batch shape: {train_features.size()}" == "Feature batch shape: (64, 1, 8, 8)"
    assert f"Labels batch shape: {train_labels.size()}" == "Labels batch shape: (64,)"  # a Tensor, as torch's
    img = train_features[0].squeeze()
    label = train_labels[0]
    assert img.shape == (8, 8) and f"Label: {label}" == f"Label: {label.item()}" and label.dtype == np.int64
    first_epoch = np.concatenate([labels.data for _, labels in train_dataloader])
    second_epoch = np.concatenate([labels.data for _, labels in train_dataloader])
    assert not np.array_equal(first_epoch, second_epoch)  # reshuffled every epoch
    assert np.array_equal(np.sort(first_epoch), np.sort(training_data.targets))  # every sample once
    files_loader = DataLoader(files, batch_size=64, shuffle=True)
    assert [len(labels) for _, labels in files_loader] == [64, 36]


def test_b_a_loader_gives_tensors_for_a_dataset_of_tensors_and_arrays_for_one_of_arrays():
    class Pairs(Dataset):
        def __init__(self, as_tensor):
            self.as_tensor = as_tensor

        def __len__(self):
            return 4

        def __getitem__(self, i):
            features = np.full(2, i, dtype=np.float32)
            return (torch.tensor(features) if self.as_tensor else features), {"label": i, "name": f"n{i}"}

    xb, extra = next(iter(DataLoader(Pairs(True), batch_size=4)))
    assert isinstance(xb, ag.Tensor) and isinstance(extra["label"], ag.Tensor) and extra["name"][3] == "n3"
    assert extra["label"].to("cpu").tolist() == [0, 1, 2, 3] and extra["label"].dtype == np.int64
    xb, extra = next(iter(DataLoader(Pairs(False), batch_size=4)))
    assert isinstance(xb, np.ndarray) and isinstance(extra["label"], np.ndarray)
    real = pytest.importorskip("torch")
    theirs = next(iter(real.utils.data.DataLoader([(real.ones(2), i) for i in range(4)], batch_size=4)))
    ours = next(iter(DataLoader([(torch.ones(2), i) for i in range(4)], batch_size=4)))
    assert type(ours[1]).__name__ == "Tensor" == type(theirs[1]).__name__
    assert ours[1].tolist() == theirs[1].tolist() and str(theirs[1].dtype) == f"torch.{ours[1].dtype}"


# ---------------------------------------------------------------- c. Transforms
def test_c_transforms_to_tensor_and_a_lambda_one_hot_target():
    ds = DigitsDataset(
        train=True,
        transform=ToTensor(),
        target_transform=Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1)),
    )
    image, target = ds[3]
    label = int(ds.targets[3])
    assert image.dtype == np.float32 and image.shape == (1, 8, 8) and 0 <= image.min().item() <= image.max().item() <= 1
    assert target.dtype == np.float32 and target.tolist() == [float(k == label) for k in range(10)]
    target_transform = Lambda(
        lambda y: torch.zeros(10, dtype=torch.float).scatter_(dim=0, index=torch.tensor(y), value=1)
    )
    assert target_transform(label).tolist() == target.tolist()
    # a batch of one-hot targets is what CrossEntropyLoss takes as class probabilities
    images, targets = next(iter(DataLoader(ds, batch_size=32)))
    assert targets.shape == (32, 10) and (targets.sum(1) == 1).all()
    torch.manual_seed(0)
    logits = NeuralNetwork()(images)
    loss = nn.CrossEntropyLoss()(logits, targets)
    expected = -(targets.data * F.log_softmax(logits, dim=1).data).sum(1).mean()  # -sum p log q, batch-averaged
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    assert loss.item() == pytest.approx(F.cross_entropy(logits, targets.argmax(1)).item(), rel=1e-6)
    real = pytest.importorskip("torch")
    theirs = real.zeros(10, dtype=real.float).scatter_(dim=0, index=real.tensor(label), value=1)
    assert theirs.tolist() == target.tolist() and theirs.dtype == real.float32


# ---------------------------------------------------------------- d. Build the Neural Network
def test_d_build_model_layers_softmax_and_named_parameters():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    assert f"Using {device} device" == "Using cpu device"
    torch.manual_seed(0)
    model = NeuralNetwork().to(device)
    X = torch.rand(1, 8, 8, device=device)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    assert logits.shape == (1, 10) and y_pred.shape == (1,) and y_pred.item() == logits.data.argmax()
    assert f"Predicted class: {y_pred}" == f"Predicted class: Tensor([{y_pred.item()}], dtype=int64)"

    input_image = torch.rand(3, 8, 8)
    assert input_image.size() == (3, 8, 8)
    flatten = nn.Flatten()
    flat_image = flatten(input_image)
    assert flat_image.size() == (3, 64)
    layer1 = nn.Linear(in_features=8 * 8, out_features=20)
    hidden1 = layer1(flat_image)
    assert hidden1.size() == (3, 20)
    before = f"Before ReLU: {hidden1}\n\n"
    hidden1 = nn.ReLU()(hidden1)
    assert before.startswith("Before ReLU: Tensor([[") and (hidden1.data >= 0).all() and (hidden1.data == 0).any()
    seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
    input_image = torch.rand(3, 8, 8)
    logits = seq_modules(input_image)
    softmax = nn.Softmax(dim=1)
    pred_probab = softmax(logits)
    np.testing.assert_allclose(pred_probab.sum(1).data, 1.0)

    assert str(model).startswith("NeuralNetwork(\n  (flatten): Flatten(start_dim=1, end_dim=-1)")
    lines = [
        f"Layer: {name} | Size: {param.size()} | Values : {param[:2]} \n" for name, param in model.named_parameters()
    ]
    assert lines[0].startswith("Layer: linear_relu_stack.0.weight | Size: (128, 64) | Values : Tensor([[")
    assert lines[-1].startswith("Layer: linear_relu_stack.4.bias | Size: (10,) | Values : Tensor([")

    real = pytest.importorskip("torch")
    theirs = NeuralNetwork_of(real.nn)().double()
    assert [(n, tuple(p.shape)) for n, p in theirs.named_parameters()] == [
        (n, p.shape) for n, p in model.named_parameters()
    ]
    theirs.load_state_dict({name: real.from_numpy(value) for name, value in model.state_dict().items()})
    x = torch.rand(4, 8, 8)
    probabilities = real.nn.Softmax(dim=1)(theirs(real.from_numpy(x.data)))
    np.testing.assert_allclose(nn.Softmax(dim=1)(model(x)).data, probabilities.detach().numpy(), rtol=1e-12)
    assert nn.Softmax(dim=1)(model(x)).argmax(1).tolist() == probabilities.argmax(1).tolist()


# ---------------------------------------------------------------- e. Automatic Differentiation with torch.autograd
def _one_layer(lib, w_start, b_start):
    x = lib.ones(5, dtype=lib.float64)  # input tensor
    y = lib.zeros(3, dtype=lib.float64)  # expected output
    w = lib.tensor(w_start, requires_grad=True)
    b = lib.tensor(b_start, requires_grad=True)
    z = lib.matmul(x, w) + b
    functional = F if lib is torch else lib.nn.functional
    loss = functional.binary_cross_entropy_with_logits(z, y)
    return x, y, w, b, z, loss


def test_e_autograd_one_layer_gradients_no_grad_detach_and_jacobian_products():
    torch.manual_seed(0)
    w_start, b_start = torch.randn(5, 3).data, torch.randn(3).data
    x, y, w, b, z, loss = _one_layer(torch, w_start, b_start)
    # torch prints <AddBackward0 object at ...> and <BinaryCrossEntropyWithLogitsBackward0 ...>; here the loss is
    # composed, so its node is its last primitive's and its scope names the function that made it
    assert f"Gradient function for z = {z.grad_fn}".endswith("<AddBackward0 object>") and z.op == "add"
    assert loss.grad_fn is not None and loss.scope == "binary_cross_entropy_with_logits"
    loss.backward()
    dz = (1 / (1 + np.exp(-z.data)) - y.data) / 3  # d mean(BCE(sigmoid z, y)) / dz = (sigmoid(z) - y) / 3
    np.testing.assert_allclose(w.grad, np.outer(x.data, dz), rtol=1e-12)
    np.testing.assert_allclose(b.grad, dz, rtol=1e-12)
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()  # a graph is spent after one backward unless retain_graph=True, as the tutorial notes

    z = torch.matmul(x, w) + b
    assert z.requires_grad is True
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    assert z.requires_grad is False
    z = torch.matmul(x, w) + b
    z_det = z.detach()
    assert z_det.requires_grad is False and np.shares_memory(z_det.data, z.data)

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.copy()
    out.backward(torch.ones_like(out), retain_graph=True)
    second = inp.grad.copy()
    inp.grad.fill(0)  # torch: inp.grad.zero_() (.grad is a numpy array here: numpy's in-place fill)
    out.backward(torch.ones_like(out), retain_graph=True)
    np.testing.assert_array_equal(first, 2 * (np.eye(4, 5) + 1))  # v^T J of (x+1)^2 with v = 1: 2(x+1)
    np.testing.assert_array_equal(second, 2 * first)  # gradients accumulate
    np.testing.assert_array_equal(inp.grad, first)  # zeroed, then once again

    real = pytest.importorskip("torch")
    *_, tw, tb, _, tloss = _one_layer(real, w_start, b_start)
    tloss.backward()
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-12) and "BinaryCrossEntropyWithLogits" in str(
        tloss.grad_fn
    )
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-12)
    tinp = real.eye(4, 5, dtype=real.float64, requires_grad=True)
    tout = (tinp + 1).pow(2).t()
    for _ in range(2):
        tout.backward(real.ones_like(tout), retain_graph=True)
    np.testing.assert_array_equal(second, tinp.grad.numpy())


# ---------------------------------------------------------------- f. Optimizing Model Parameters
def test_f_optimization_hyperparameters_train_loop_and_test_loop():
    training_data, test_data = DigitsDataset(True, ToTensor()), DigitsDataset(False, ToTensor())
    train_dataloader = DataLoader(training_data, batch_size=64)
    test_dataloader = DataLoader(test_data, batch_size=64)
    torch.manual_seed(1)
    model = NeuralNetwork()

    learning_rate = 1e-1  # the tutorial's 1e-3 over 9,380 steps; 4 epochs of the digits are 96
    batch_size = 64
    epochs = 4
    printed = []

    def train_loop(dataloader, model, loss_fn, optimizer):
        size = len(dataloader.dataset)
        model.train()
        for batch, (X, y) in enumerate(dataloader):
            pred = model(X)
            loss = loss_fn(pred, y)

            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

            if batch % 10 == 0:
                loss, current = loss.item(), batch * batch_size + len(X)
                printed.append(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")

    def test_loop(dataloader, model, loss_fn):
        model.eval()
        size = len(dataloader.dataset)
        num_batches = len(dataloader)
        test_loss, correct = 0, 0
        with torch.no_grad():
            for X, y in dataloader:
                pred = model(X)
                test_loss += loss_fn(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        test_loss /= num_batches
        correct /= size
        printed.append(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
        return correct, test_loss

    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=learning_rate)
    results = []
    for t in range(epochs):
        printed.append(f"Epoch {t + 1}\n-------------------------------")
        train_loop(train_dataloader, model, loss_fn, optimizer)
        results.append(test_loop(test_dataloader, model, loss_fn))
    printed.append("Done!")
    accuracy, avg_loss = zip(*results)
    assert accuracy[-1] > max(0.8, accuracy[0]) and avg_loss[-1] < avg_loss[0]
    assert printed[1].startswith("loss: ") and printed[1].endswith("[   64/ 1500]") and len(printed) == 4 * 5 + 1
    assert all(p.grad is None for p in model.parameters())  # zero_grad after the last step: set to None


# ---------------------------------------------------------------- g. Save and Load the Model
def test_g_save_and_load_weights_and_whole_models(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    model = NeuralNetwork()  # the tutorial's pretrained vgg16, in small
    torch.save(model.state_dict(), "model_weights.pth")
    saved = model

    model = NeuralNetwork()  # untrained: other weights
    x = torch.rand(2, 8, 8)
    assert not np.array_equal(model(x).data, saved(x).data)
    model.load_state_dict(torch.load("model_weights.pth", weights_only=True))
    model.eval()
    np.testing.assert_array_equal(model(x).data, saved(x).data)
    assert np.load("model_weights.pth")["linear_relu_stack.0.weight"].shape == (128, 64)  # plain .npz, no pickle

    # torch.save(model, 'model.pth') pickles the whole model; no pickle here: it says what to write instead
    with pytest.raises(TypeError, match=r"ag.save: a whole model \(NeuralNetwork\) is not pickled here") as error:
        torch.save(model, "model.pth")
    assert "ag.save(model.state_dict(), path)" in str(error.value) and "nn.save(model, path)" in str(error.value)
    assert not os.path.exists("model.pth")
    # what it says: nn.save records the architecture, and nn.load(path) rebuilds a model of nn's layers
    whole = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    nn.save(whole, "model.pth")
    model = nn.load("model.pth")
    model.eval()
    np.testing.assert_array_equal(model(x).data, whole(x).data)
    fresh = NeuralNetwork()
    nn.save(saved, "weights.npz")
    nn.load(fresh, "weights.npz")  # your own class: build it, then load into it
    np.testing.assert_array_equal(fresh(x).data, saved(x).data)


def test_g_a_torch_file_and_other_objects_are_refused_saying_what_to_do(tmp_path):
    with pytest.raises(TypeError, match=r"ag.save: an optimizer's state holds more than arrays; .*save_checkpoint"):
        torch.save(nn.optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1), tmp_path / "opt.pth")
    checkpoint = {"epoch": 2, "model_state_dict": nn.Linear(2, 1).state_dict()}
    with pytest.raises(TypeError, match=r"ag.save: entry 'epoch' is a int; only tensors and numeric arrays"):
        torch.save(checkpoint, tmp_path / "checkpoint.pth")
    with pytest.raises(ValueError, match=r"ag.save: a key must be a non-empty str"):
        torch.save({1: torch.ones(2)}, tmp_path / "bad.pth")
    with pytest.raises(FileNotFoundError, match=r"ag.load: no such file"):
        torch.load(tmp_path / "missing.pth")
    with pytest.raises(ValueError, match=r"ag.load: map_location: this engine runs on numpy \(the CPU\) only"):
        torch.load(tmp_path / "missing.pth", map_location="cuda:0")
    (tmp_path / "junk.pth").write_bytes(b"not a zip")
    with pytest.raises(
        ValueError, match=r"ag.load: cannot read .*junk.pth' as a file of arrays \(.npz written by ag.save\)"
    ):
        torch.load(tmp_path / "junk.pth")
    assert not list(tmp_path.glob("*.pth.*"))  # no temporary file left behind by a refused save
    # a Tensor, and a dict of Tensors, come back as they went in
    torch.save(torch.arange(3.0), tmp_path / "t.pth")
    assert torch.load(tmp_path / "t.pth").tolist() == [0.0, 1.0, 2.0]
    torch.save({"w": torch.ones(2, dtype=torch.float32), "n": np.arange(2)}, tmp_path / "d.pth")
    loaded = torch.load(tmp_path / "d.pth", map_location=torch.device("cpu"))
    assert (
        isinstance(loaded["w"], ag.Tensor) and loaded["w"].dtype == np.float32 and isinstance(loaded["n"], np.ndarray)
    )
    real = pytest.importorskip("torch")
    real.save(real.nn.Linear(2, 1).state_dict(), tmp_path / "torch.pth")
    with pytest.raises(ValueError, match=r"a PyTorch .pth \(a pickle\) is read by torch: torch.load\(path\)"):
        torch.load(tmp_path / "torch.pth")


# ---------------------------------------------------------------- PyTorch spellings added for these ports
def test_scatter_and_scatter_in_place_equal_torch_and_refuse_bad_indices():
    assert torch.zeros(5).scatter_(0, torch.tensor([4, 1]), torch.tensor([7.0, 8.0])).tolist() == [0, 8, 0, 0, 7]
    assert torch.zeros(2, 3).scatter_(1, torch.tensor([[2], [0]]), 5.0).tolist() == [[0, 0, 5], [5, 0, 0]]
    index = torch.tensor([[2, 0], [1, 2], [0, 1]])
    base, src = torch.randn(3, 4, dtype=torch.float64), torch.randn(3, 3, dtype=torch.float64)
    assert ag.gradcheck(lambda a, b: a.scatter(1, index, b), [base.requires_grad_(), src.requires_grad_()])
    assert ag.gradcheck(lambda a: a.scatter(0, index, value=2.0), [base])
    rng = np.random.default_rng(0)
    real = pytest.importorskip("torch")
    for _ in range(40):
        shape = tuple(int(s) for s in rng.integers(1, 4, size=rng.integers(1, 4)))
        dim = int(rng.integers(len(shape)))
        index_shape = tuple(int(rng.integers(1, s + 1)) for s in shape)
        # distinct indices along dim, so torch's unspecified order of duplicate writes plays no part
        keys = rng.random(index_shape[:dim] + (shape[dim],) + index_shape[dim + 1 :])
        index = np.argsort(keys, axis=dim).take(range(index_shape[dim]), axis=dim)
        base, src, g = rng.standard_normal(shape), rng.standard_normal(index_shape), rng.standard_normal(shape)
        ours = torch.tensor(base).scatter_(dim, torch.tensor(index), torch.tensor(src))
        theirs = real.tensor(base).scatter_(dim, real.tensor(index), real.tensor(src))
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        a, b = torch.tensor(base, requires_grad=True), torch.tensor(src, requires_grad=True)
        (torch.scatter(a, dim, torch.tensor(index), b) * g).sum().backward()
        ta, tb = real.tensor(base, requires_grad=True), real.tensor(src, requires_grad=True)
        (ta.scatter(dim, real.tensor(index), tb) * real.tensor(g)).sum().backward()
        np.testing.assert_array_equal(a.grad, ta.grad.numpy())
        np.testing.assert_array_equal(b.grad, tb.grad.numpy())
    x = torch.zeros(3, requires_grad=True)
    written = x.scatter(0, torch.tensor([2]), value=4.0)
    (written * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert written.tolist() == [0, 0, 4] and x.grad.tolist() == [1, 2, 0]  # nothing reaches a position written over


def test_scatter_errors_name_the_shapes_and_what_to_give():
    with pytest.raises(
        ValueError, match=r"scatter_: index of shape \(2,\) does not fit self of shape \(3, 4\) along dim 1"
    ):
        torch.zeros(3, 4).scatter_(1, torch.tensor([1, 2]), 5.0)
    with pytest.raises(IndexError, match=r"scatter_: index 5 is out of range for dim 1 of size 4"):
        torch.zeros(3, 4).scatter_(1, torch.tensor([[5]]), 5.0)
    with pytest.raises(IndexError, match=r"scatter: index -1 is out of range for dim 0 of size 3"):
        torch.zeros(3).scatter(0, torch.tensor([-1]), value=1.0)
    with pytest.raises(TypeError, match=r"scatter_: index must hold integers, got float64"):
        torch.zeros(3, 4).scatter_(1, torch.tensor([[1.0]]), 5.0)
    with pytest.raises(ValueError, match=r"scatter_: src of shape \(1, 1\) is smaller than index \(1, 2\)"):
        torch.zeros(3, 4).scatter_(1, torch.tensor([[1, 1]]), torch.ones(1, 1))
    with pytest.raises(TypeError, match=r"scatter_: give src \(a tensor\) or value \(a number\), one of them"):
        torch.zeros(3).scatter_(0, torch.tensor([1]))
    with pytest.raises(TypeError, match=r"scatter_: value must be a number, got 'a'"):
        torch.zeros(3).scatter_(0, torch.tensor([1]), value="a")
    with pytest.raises(RuntimeError, match=r"scatter_\(\) on a leaf tensor that requires grad"):
        torch.zeros(3, requires_grad=True).scatter_(0, torch.tensor([1]), 1.0)
    src = torch.ones(1, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scatter_: src requires grad, .* write out = t.scatter\(dim, index, src\)"):
        torch.zeros(3).scatter_(0, torch.tensor([1]), src)
    with torch.no_grad():
        assert torch.zeros(3).scatter_(0, torch.tensor([1]), src).tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match=r"scatter_: a 0-d tensor has no dim to scatter along"):
        torch.tensor(1.0).scatter_(0, torch.tensor(0), value=2.0)


def test_randint_takes_high_and_size_by_keyword_and_backends_mps_is_unavailable():
    torch.manual_seed(0)
    draws = torch.randint(10, size=(1000,))
    assert draws.shape == (1000,) and draws.dtype == np.int64 and set(draws.tolist()) == set(range(10))
    assert torch.randint(3, 5, (4,)).min().item() >= 3 and torch.randint(10, (2,)).shape == (2,)
    with pytest.raises(TypeError, match=r"randint: give the size"):
        torch.randint(10)
    assert torch.backends.mps.is_available() is False and torch.backends.mps.is_built() is False
    assert torch.backends.cuda.is_built() is False


def test_a_dataset_subclass_missing_len_or_getitem_says_which():
    class NoLength(Dataset):
        def __getitem__(self, idx):
            return torch.ones(2), idx

    class NoItems(Dataset):
        def __len__(self):
            return 3

    with pytest.raises(NotImplementedError, match=r"NoLength: a Dataset subclass must define __len__"):
        DataLoader(NoLength(), batch_size=2)
    with pytest.raises(
        NotImplementedError, match=r"NoItems: a Dataset subclass must define __getitem__\(self, index\)"
    ):
        next(iter(DataLoader(NoItems(), batch_size=2)))  # it yielded an array of None
