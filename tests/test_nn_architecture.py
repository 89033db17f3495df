"""nn.architecture: describe(model) is plain JSON, and build(describe(model)) is the same architecture."""

import json

import numpy as np
import pytest

import nn
from nn.architecture import build, describe


@pytest.mark.parametrize(
    "model",
    [
        nn.MLP([4, 8, 3], activation="tanh", seed=0),
        nn.MLP([4, 3], activation="sigmoid", output_activation="sigmoid", bias=False, dtype=np.float32, seed=0),
        nn.Sequential(nn.Linear(4, 6, seed=0), nn.ReLU(), nn.Linear(6, 2, bias=False, seed=0), nn.Sigmoid()),
        nn.Sequential(
            nn.Flatten(),
            nn.Linear(4, 6, seed=0),
            nn.BatchNorm1d(6, momentum=0.3, eps=1e-3),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.25),
            nn.Linear(6, 5, seed=1),
            nn.LayerNorm(5, eps=1e-4),
            nn.GELU("tanh"),
            nn.Linear(5, 3, seed=2),
            nn.LogSoftmax(dim=1),
        ),
    ],
)
def test_a_rebuilt_model_has_the_same_structure_and_takes_the_weights(model):
    description = json.loads(json.dumps(describe(model)))  # survives JSON unchanged
    rebuilt = build(description)
    assert repr(rebuilt) == repr(model)
    assert [(n, p.shape, p.dtype) for n, p in rebuilt.named_parameters()] == [
        (n, p.shape, p.dtype) for n, p in model.named_parameters()
    ]
    rebuilt.load_state_dict(model.state_dict())
    model.eval()
    rebuilt.eval()
    X = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(rebuilt(X).data, model(X).data)
    assert describe(rebuilt) == description


def test_describe_records_what_a_picture_needs():
    description = describe(nn.MLP([64, 32, 10], activation="tanh"))
    assert description == {
        "type": "MLP",
        "config": {
            "sizes": [64, 32, 10],
            "activation": "tanh",
            "output_activation": None,
            "bias": True,
            "dtype": "float64",
        },
    }


def test_every_nn_layer_with_arguments_describes_itself():
    import inspect

    from nn.architecture import _CONTAINERS, layer_types

    for name, cls in layer_types().items():
        arguments = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
        if arguments and name not in _CONTAINERS and not name.endswith("Loss"):  # losses: no layers
            assert callable(getattr(cls, "config", None)), f"{name} takes {arguments} but has no config()"


def test_modules_that_cannot_be_rebuilt_say_what_to_do():
    class Custom(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(
        TypeError,
        match=r"describe: .*Custom is not an nn layer, so a file cannot rebuild it; "
        r"save its weights with nn.save and load them with nn.load\(model, path\)",
    ):
        describe(nn.Sequential(nn.Linear(2, 2), Custom()))
    with pytest.raises(ValueError, match=r"build: unknown layer type 'Conv9d'; known: .*Linear"):
        build({"type": "Conv9d"})
    with pytest.raises(ValueError, match=r"build: cannot make Linear from \{'in_features': -1"):
        build({"type": "Linear", "config": {"in_features": -1, "out_features": 2}})
    with pytest.raises(ValueError, match=r"build: expected a dict with a 'type'"):
        build(["MLP"])
