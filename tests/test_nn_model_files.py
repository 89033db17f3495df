"""Self-describing model files: nn.save stores the architecture, preprocessing, task, class names and
version as JSON beside the weights; nn.load(path) rebuilds the model; hostile descriptions are refused."""

import json
import zipfile

import numpy as np
import pytest

import nn
from nn.datasets import Standardizer
from nn.serialization import write_npz


def test_load_with_one_argument_rebuilds_what_was_saved(tmp_path):
    model = nn.MLP([3, 5, 4], activation="tanh", output_activation="sigmoid", dtype=np.float32, seed=1)
    X = np.random.default_rng(0).standard_normal((6, 3)).astype(np.float32)
    scaler = Standardizer().fit(X * 3 + 1)
    path = nn.save(
        model,
        str(tmp_path / "m.npz"),
        preprocessing=scaler,
        task="classification",
        class_names=["a", "b", "c", "d"],
        feature_names=["x", "y", "z"],
    )
    loaded = nn.load(path)
    assert repr(loaded) == repr(model) and loaded.activation == "tanh"
    np.testing.assert_array_equal(loaded(X).data, model(X).data)
    assert loaded(X).dtype == np.float32
    info = nn.read_info(path)
    assert info.task == "classification" and info.class_names == ["a", "b", "c", "d"]
    assert info.feature_names == ["x", "y", "z"] and info.library_version
    np.testing.assert_array_equal(info.preprocessing.mean, scaler.mean)  # exact through JSON
    np.testing.assert_array_equal(info.preprocessing.std, scaler.std)
    with np.load(path, allow_pickle=False) as archive:  # still a plain .npz, no pickle anywhere
        description = json.loads(archive["__model__"].tobytes().decode())
    assert description["architecture"]["config"]["activation"] == "tanh"


def test_loading_into_a_model_ignores_the_description(tmp_path):
    model = nn.MLP([2, 3, 2], seed=0)
    path = nn.save(model, str(tmp_path / "m.npz"))
    other = nn.load(nn.MLP([2, 3, 2], seed=5), path)
    for a, b in zip(other.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_custom_layers_save_weights_and_say_how_to_load(tmp_path):
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Linear(2, 2, seed=0)

        def forward(self, x):
            return self.inner(x) * 2

    path = nn.save(Scale(), str(tmp_path / "s.npz"))
    with pytest.raises(ValueError, match=r"holds weights without an architecture .* nn.load\(model, path\)"):
        nn.load(path)
    assert nn.load(Scale(), path) is not None


def test_weights_only_files_and_wrong_calls(tmp_path):
    np.savez(tmp_path / "plain.npz", **{"layers.0.weight": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"holds weights only .* nn.load\(model, path\)"):
        nn.load(str(tmp_path / "plain.npz"))
    with pytest.raises(TypeError, match=r"expected nn.load\(path\) or nn.load\(model, path\), got a MLP alone"):
        nn.load(nn.MLP([2, 2]))


def forge(tmp_path, description, raw=None):
    """A model file whose description is ``description`` (JSON) or ``raw`` bytes."""
    model = nn.MLP([2, 2], seed=0)
    data = raw if raw is not None else json.dumps(description).encode()
    path = tmp_path / "forged.npz"
    with open(path, "wb") as f:
        write_npz(f, dict(model.state_dict(), __model__=np.frombuffer(data, dtype=np.uint8)))
    return str(path)


@pytest.mark.parametrize(
    "description, raw, message",
    [
        (None, b"\xff\xfe", r"its description is not UTF-8 text"),
        (None, b"{" * 100000, r"its description is not valid JSON"),
        ({"format": "pickle"}, None, r"is not an autograd_core.model record"),
        ({"format": "autograd_core.model", "task": "clustering"}, None, r"unknown task 'clustering'"),
        ({"format": "autograd_core.model", "class_names": [1, 2]}, None, r"class_names must be a list of strings"),
        ({"format": "autograd_core.model", "preprocessing": {"mean": [0], "std": [0]}}, None, r"positive 'std'"),
        ({"format": "autograd_core.model", "architecture": {"type": "os.system"}}, None, r"unknown layer type"),
        (
            {"format": "autograd_core.model", "architecture": {"type": "MLP", "config": {"sizes": [2, 3]}}},
            None,
            r"does not fit this MLP",
        ),
    ],
)
def test_hostile_or_broken_descriptions_are_one_error(tmp_path, description, raw, message):
    path = forge(tmp_path, description, raw)
    with pytest.raises(ValueError, match=message):
        nn.load(path)


def test_a_description_member_of_the_wrong_kind_is_refused_before_reading(tmp_path):
    model = nn.MLP([2, 2], seed=0)
    path = tmp_path / "big.npz"
    with open(path, "wb") as f:
        write_npz(f, dict(model.state_dict(), __model__=np.zeros(4, dtype=np.float64)))
    with pytest.raises(ValueError, match=r"member '__model__' is not a description"):
        nn.load(str(path))
    with zipfile.ZipFile(path) as archive:
        assert "__model__.npy" in archive.namelist()
