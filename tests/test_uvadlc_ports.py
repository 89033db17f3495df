"""The UvA Deep Learning Course (Phillip Lippe, uvadlc-notebooks), tutorials 2 and 3, ported: the reader's
``import torch`` is ``import autograd_core as ag`` (``torch.utils.data`` is ``nn.data``), and each cell is
checked against a closed form, the notebook's own printed numbers, or torch as an oracle. Tutorial 4
(optimization and initialization) is in test_uvadlc_ports_optimization.py, tutorials 5-6 (ResNet blocks,
attention) in test_uvadlc_ports_architectures.py.

Tutorial 2  Tensors (``torch.Tensor(2, 3, 4)``, ``view permute matmul``, indexing), the gradient of
            mean((x + 2)^2 + 3), a ``SimpleClassifier`` module, the ``XORDataset`` behind a ``DataLoader``,
            training with ``BCEWithLogitsLoss`` and SGD, ``state_dict`` saved and loaded, the decision map.
Tutorial 3  Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Swish written as ``nn.Module`` s; their gradients from
            ``get_grads``; ``BaseNetwork`` saved with a JSON config; the vanishing gradient of sigmoid networks;
            dead ReLU neurons counted as the notebook counts them.

What the port needed: ``ag.randint(..., dtype=ag.float32)`` (the XOR set's first line; numpy refused a float
dtype), ``ag.cuda.manual_seed``/``manual_seed_all`` and ``ag.backends.cudnn.deterministic``/``benchmark`` (every
notebook's seed cell), and a message for the first cell's ``torch.Tensor(2, 3, 4)`` that names ``ag.empty``.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.data as data
import nn.functional as F
from tests.uvadlc_helpers import (
    ActivationFunction,
    BaseNetwork,
    LeakyReLU,
    act_fn_by_name,
    digits_set,
    get_grads,
)


# ---------------------------------------------------------------------------------- tutorial 2
def test_2_the_first_cells_legacy_sizes_are_refused_naming_empty():
    with pytest.raises(TypeError, match=r"Tensor\(2, 3, 4\): .*requires_grad.*dtype.*ag\.empty\(2, 3, 4\)"):
        ag.Tensor(2, 3, 4)  # the notebook's first tensor: torch.Tensor(2, 3, 4), uninitialised
    assert ag.empty(2, 3, 4).shape == (2, 3, 4)
    x = ag.Tensor([[1, 2], [3, 4]])
    assert x.dtype == np.float64 and x.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_2_the_seed_cell_runs_and_the_gpu_seeds_leave_the_cpu_stream_alone():
    ag.manual_seed(42)
    expected = ag.randn(3).numpy()
    ag.manual_seed(42)
    ag.cuda.manual_seed(42)  # the notebook guards these with `if torch.cuda.is_available()`; torch ignores them
    ag.cuda.manual_seed_all(42)  # without a GPU, and so does this: the CPU stream is ag.manual_seed's
    ag.backends.cudnn.deterministic = True
    ag.backends.cudnn.benchmark = False
    np.testing.assert_array_equal(ag.randn(3).numpy(), expected)
    assert ag.backends.cudnn.deterministic is True and not ag.backends.cudnn.is_available()
    with pytest.raises(TypeError, match=r"cuda\.manual_seed: the seed must be an int, got '42'"):
        ag.cuda.manual_seed("42")


def test_2_tensor_basics_match_numpy():
    ag.manual_seed(0)
    x = ag.rand(2, 3, 4)
    dim1, dim2, dim3 = x.size()
    assert (dim1, dim2, dim3) == x.shape == (2, 3, 4)
    np_arr = np.array([[1, 2], [3, 4]])
    tensor = ag.from_numpy(np_arr)
    np_arr[0, 0] = 9  # torch.from_numpy shares the array's memory: the tensor sees the write
    assert tensor.tolist() == [[9, 2], [3, 4]] and np.shares_memory(tensor.numpy(), np_arr)
    x1, x2 = ag.rand(2, 3), ag.rand(2, 3)
    before = x2.numpy().copy()
    x2.add_(x1)
    np.testing.assert_array_equal(x2.numpy(), before + x1.numpy())
    x = ag.arange(6).view(2, 3)
    assert x.permute(1, 0).tolist() == [[0, 3], [1, 4], [2, 5]]
    W = ag.arange(9).view(3, 3)
    np.testing.assert_array_equal(ag.matmul(x, W).numpy(), np.arange(6).reshape(2, 3) @ np.arange(9).reshape(3, 3))
    x = ag.arange(12).view(3, 4)
    assert x[:, 1].tolist() == [1, 5, 9] and x[0].tolist() == [0, 1, 2, 3]  # the notebook's printed slices
    assert x[:2, -1].tolist() == [3, 7] and x[1:3, :].tolist() == [[4, 5, 6, 7], [8, 9, 10, 11]]


def test_2_the_dynamic_graph_example_gives_the_printed_gradient():
    x = ag.arange(3, dtype=ag.float32, requires_grad=True)
    a = x + 2
    b = a**2
    c = b + 3
    y = c.mean()
    y.backward()
    np.testing.assert_allclose(x.grad, [4 / 3, 2.0, 8 / 3], rtol=1e-6)  # dy/dx = 2 (x + 2) / 3: 1.3333, 2, 2.6667


class SimpleClassifier(nn.Module):
    def __init__(self, num_inputs: int, num_hidden: int, num_outputs: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(num_inputs, num_hidden)
        self.act_fn = nn.Tanh()
        self.linear2 = nn.Linear(num_hidden, num_outputs)

    def forward(self, x: ag.Tensor) -> ag.Tensor:
        x = self.linear1(x)
        x = self.act_fn(x)
        return self.linear2(x)


class XORDataset(data.Dataset):
    def __init__(self, size: int, std: float = 0.1) -> None:
        super().__init__()
        self.size, self.std = size, std
        self.generate_continuous_xor()

    def generate_continuous_xor(self) -> None:
        data = ag.randint(low=0, high=2, size=(self.size, 2), dtype=ag.float32)
        label = (data.sum(dim=1) == 1).to(ag.long)
        data += self.std * ag.randn(data.shape)
        self.data, self.label = data, label

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, idx: int) -> tuple[ag.Tensor, ag.Tensor]:
        return self.data[idx], self.label[idx]


def test_2_the_xor_set_draws_whole_float_corners_and_labels_them_by_xor():
    ag.manual_seed(42)
    corners = ag.randint(low=0, high=2, size=(500, 2), dtype=ag.float32)
    ag.manual_seed(42)
    as_integers = ag.randint(low=0, high=2, size=(500, 2))
    assert corners.dtype == np.float32 and as_integers.dtype == np.int64  # torch's dtype, the same draws
    np.testing.assert_array_equal(corners.numpy(), as_integers.numpy())
    ag.manual_seed(42)
    dataset = XORDataset(size=500)
    assert len(dataset) == 500 and dataset.data.dtype == np.float32 and dataset.label.dtype == np.int64
    noise = dataset.data.numpy() - corners.numpy()
    assert 0.08 < noise.std() < 0.12  # std=0.1 around the corners
    np.testing.assert_array_equal(dataset.label.numpy(), corners.numpy().sum(axis=1) == 1)
    inputs, labels = next(iter(data.DataLoader(dataset, batch_size=8, shuffle=True)))
    assert inputs.shape == (8, 2) and labels.shape == (8,)


def test_2_the_xor_classifier_trains_saves_and_reloads(tmp_path):
    ag.manual_seed(42)
    model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
    assert [(name, param.shape) for name, param in model.named_parameters()] == [
        ("linear1.weight", (4, 2)),
        ("linear1.bias", (4,)),
        ("linear2.weight", (1, 4)),
        ("linear2.bias", (1,)),
    ]
    train_loader = data.DataLoader(XORDataset(size=1000), batch_size=128, shuffle=True)
    loss_module = nn.BCEWithLogitsLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for _ in range(100):
        for data_inputs, data_labels in train_loader:
            preds = model(data_inputs).squeeze(dim=1)
            loss = loss_module(preds, data_labels.float())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    ag.save(model.state_dict(), os.fspath(tmp_path / "our_model.tar"))
    new_model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
    new_model.load_state_dict(ag.load(os.fspath(tmp_path / "our_model.tar")))

    test_loader = data.DataLoader(XORDataset(size=500), batch_size=128, shuffle=False, drop_last=False)
    model.eval()
    true_preds, num_preds = 0.0, 0.0
    with ag.no_grad():
        for data_inputs, data_labels in test_loader:
            preds = ag.sigmoid(model(data_inputs).squeeze(dim=1))
            np.testing.assert_array_equal(ag.sigmoid(new_model(data_inputs).squeeze(dim=1)).numpy(), preds.numpy())
            pred_labels = (preds >= 0.5).long()
            true_preds += (pred_labels == data_labels).sum()
            num_preds += data_labels.shape[0]
    acc = true_preds / num_preds
    assert acc.item() >= 0.99 and f"Accuracy of the model: {100.0 * acc:4.2f}%"  # the notebook's: 100.00%

    with ag.no_grad():  # visualize_classification's map: XOR's four quadrants
        x1 = ag.arange(-0.5, 1.5, step=0.01)
        xx1, xx2 = ag.meshgrid(x1, x1, indexing="ij")
        probs = ag.sigmoid(model(ag.stack([xx1, xx2], dim=-1))).numpy()[..., 0]
    assert probs.shape == (200, 200)
    corner = {(i, j): probs[50 + 100 * i, 50 + 100 * j] for i in (0, 1) for j in (0, 1)}  # at (i, j)
    assert corner[0, 1] > 0.9 and corner[1, 0] > 0.9 and corner[0, 0] < 0.1 and corner[1, 1] < 0.1


# ---------------------------------------------------------------------------------- tutorial 3
def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


CLOSED_FORM_DERIVATIVES = {  # the notebook's plots, as formulas
    "sigmoid": lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
    "tanh": lambda x: 1 - np.tanh(x) ** 2,
    "relu": lambda x: (x > 0).astype(float),
    "leakyrelu": lambda x: np.where(x > 0, 1.0, 0.1),
    "elu": lambda x: np.where(x > 0, 1.0, np.exp(x)),
    "swish": lambda x: _sigmoid(x) + x * _sigmoid(x) * (1 - _sigmoid(x)),
}


@pytest.mark.parametrize("name", sorted(act_fn_by_name))
def test_3_each_activations_gradient_is_its_closed_form(name):
    act_fn = act_fn_by_name[name]()
    x = ag.linspace(-5, 5, 1000)  # (1000 points: 0 itself is not among them)
    y, y_grads = act_fn(x), get_grads(act_fn, x)
    assert y.shape == y_grads.shape == (1000,)
    np.testing.assert_allclose(y_grads, CLOSED_FORM_DERIVATIVES[name](x.numpy()), rtol=1e-12, atol=1e-15)
    assert ag.gradcheck(lambda t: act_fn(t), (ag.tensor([-1.3, -0.2, 0.4, 2.2], requires_grad=True),))


def test_3_the_activations_equal_torchs():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    references = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": tf.relu, "elu": tf.elu, "swish": tf.silu}
    references["leakyrelu"] = lambda t: tf.leaky_relu(t, 0.1)
    x = np.linspace(-5, 5, 1000)
    for name, reference in references.items():
        ours, theirs = ag.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out = act_fn_by_name[name]()(ours)
        out.sum().backward()
        reference(theirs).sum().backward()
        np.testing.assert_allclose(out.numpy(), reference(theirs).detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_3_a_network_saved_with_its_json_config_loads_back_equal(tmp_path):
    ag.manual_seed(0)
    net = BaseNetwork(LeakyReLU(alpha=0.2), hidden_sizes=[32, 16])
    with open(tmp_path / "net.config", "w") as f:
        json.dump(net.config, f)  # the notebook's save_model
    ag.save(net.state_dict(), os.fspath(tmp_path / "net.tar"))

    with open(tmp_path / "net.config") as f:  # ... and load_model
        config_dict = json.load(f)
    act_fn_name = config_dict["act_fn"].pop("name").lower()
    act_fn = act_fn_by_name[act_fn_name](**config_dict.pop("act_fn"))
    loaded = BaseNetwork(act_fn=act_fn, **config_dict)
    loaded.load_state_dict(ag.load(os.fspath(tmp_path / "net.tar"), map_location=ag.device("cpu")))
    assert loaded.layers[1].config == {"name": "LeakyReLU", "alpha": 0.2}
    x = ag.randn(5, 64)
    np.testing.assert_array_equal(loaded(x).numpy(), net(x).numpy())


def _weight_gradient_variances(net: BaseNetwork, imgs: ag.Tensor, labels: ag.Tensor) -> list[float]:
    """visualize_gradients' numbers: the variance of each weight matrix's gradient on one batch."""
    net.zero_grad()
    F.cross_entropy(net(imgs), labels).backward()
    grads = {name: params.grad.reshape(-1) for name, params in net.named_parameters() if "weight" in name}
    return [float(np.var(grads[key])) for key in sorted(grads)]


def test_3_sigmoid_networks_vanish_the_first_layers_gradient_and_the_others_do_not():
    imgs, labels = next(iter(data.DataLoader(digits_set(), batch_size=256, shuffle=False)))
    ratios = {}
    for name, act_fn in act_fn_by_name.items():
        ag.manual_seed(42)
        variances = _weight_gradient_variances(BaseNetwork(act_fn()), imgs, labels)
        ratios[name] = variances[0] / variances[-1]  # first layer's against the output layer's
    # the notebook: "the input layer has the lowest gradient norm ... with only 1e-5" for sigmoid
    assert ratios["sigmoid"] < 1e-4
    assert all(ratio > 0.05 for name, ratio in ratios.items() if name != "sigmoid")


def test_3_dead_neurons_counted_as_the_notebook_does_match_the_pre_activations():
    loader = data.DataLoader(digits_set(), batch_size=256, shuffle=False)
    ag.manual_seed(42)
    net = BaseNetwork(act_fn_by_name["relu"](), hidden_sizes=[64, 64, 64, 16])
    neurons_dead = [
        ag.ones(layer.weight.shape[0], dtype=ag.bool) for layer in net.layers[:-1] if isinstance(layer, nn.Linear)
    ]
    pre_activation_max = [np.full(t.shape[0], -np.inf) for t in neurons_dead]  # the oracle, in numpy
    with ag.no_grad():
        for imgs, _ in loader:
            layer_index = 0
            imgs = imgs.view(imgs.size(0), -1)
            for layer in net.layers[:-1]:
                if isinstance(layer, nn.Linear):
                    pre = imgs.numpy() @ layer.weight.numpy().T + layer.bias.numpy()
                imgs = layer(imgs)
                if isinstance(layer, ActivationFunction):
                    neurons_dead[layer_index] = ag.logical_and(neurons_dead[layer_index], (imgs == 0).all(dim=0))
                    pre_activation_max[layer_index] = np.maximum(pre_activation_max[layer_index], pre.max(axis=0))
                    layer_index += 1
    number_neurons_dead = [t.sum().item() for t in neurons_dead]
    assert number_neurons_dead == [int((m <= 0).sum()) for m in pre_activation_max]  # dead: never above 0
    assert sum(number_neurons_dead) < 0.1 * sum(t.shape[0] for t in neurons_dead)  # "only a minor amount"
    printed = ", ".join(f"{(100.0 * n / t.shape[0]):4.2f}%" for t, n in zip(neurons_dead, number_neurons_dead))
    assert printed.count("%") == 4
