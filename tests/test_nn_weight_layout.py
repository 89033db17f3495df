"""nn.Linear keeps its column-major weight (the faster matmul for x @ W.T) through nn.init, load_state_dict
and nn.load: values are written into the parameter's own array, counted as a change, never a row-major copy."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor

INITS = {
    "uniform_": lambda w: nn.init.uniform_(w, -0.5, 0.25, generator=1),
    "normal_": lambda w: nn.init.normal_(w, 3.0, 0.5, generator=1),
    "xavier_uniform_": lambda w: nn.init.xavier_uniform_(w, generator=1),
    "xavier_normal_": lambda w: nn.init.xavier_normal_(w, generator=1),
    "kaiming_uniform_": lambda w: nn.init.kaiming_uniform_(w, generator=1),
    "kaiming_normal_": lambda w: nn.init.kaiming_normal_(w, mode="fan_out", generator=1),
    "zeros_": nn.init.zeros_,
    "ones_": nn.init.ones_,
    "constant_": lambda w: nn.init.constant_(w, 0.3),
}


def is_column_major(array):
    return array.flags.f_contiguous and not array.flags.c_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", INITS)
def test_init_keeps_the_weights_array_and_layout_with_the_values_of_a_row_major_init(name, dtype):
    layer = nn.Linear(5, 3, seed=0, dtype=dtype)
    before = layer.weight.data
    assert is_column_major(before)
    INITS[name](layer.weight)
    assert layer.weight.data is before and is_column_major(layer.weight.data)
    row_major = Tensor(np.zeros((3, 5), dtype), requires_grad=True)  # the same draws, the plain layout
    INITS[name](row_major)
    np.testing.assert_array_equal(layer.weight.data, row_major.data)
    assert layer.weight.dtype == dtype


def test_init_in_place_counts_as_a_change_for_a_graph_that_saved_the_weight():
    layer = nn.Linear(3, 2, seed=0)
    loss = layer(np.ones((1, 3))).sum()
    nn.init.zeros_(layer.weight)
    with pytest.raises(RuntimeError, match="modified in place after the op ran"):
        loss.backward()


def test_init_of_a_read_only_array_gives_a_new_array_of_the_same_layout():
    frozen = np.asfortranarray(np.zeros((3, 4)))
    frozen.flags.writeable = False
    w = Tensor(frozen, requires_grad=True)
    nn.init.ones_(w)
    assert w.data is not frozen and is_column_major(w.data) and (w.data == 1).all()
    assert not frozen.any()


def test_load_state_dict_writes_row_major_values_into_the_column_major_weight():
    source = nn.MLP([6, 4, 3], seed=1, dtype=np.float32)
    state = {name: np.ascontiguousarray(value) for name, value in source.state_dict().items()}
    model = nn.MLP([6, 4, 3], seed=2, dtype=np.float32)
    weights = [model.layers[0].weight.data, model.layers[2].weight.data]
    model.load_state_dict(state)
    for layer, before in zip([model.layers[0], model.layers[2]], weights):
        assert layer.weight.data is before and is_column_major(layer.weight.data)
    x = np.random.default_rng(0).standard_normal((5, 6)).astype(np.float32)
    np.testing.assert_array_equal(model(x).data, source(x).data)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[name])


@pytest.mark.parametrize("saved_layout", ["column-major (as built)", "row-major"])
def test_nn_load_gives_column_major_weights_whatever_the_file_holds(tmp_path, saved_layout):
    source = nn.MLP([6, 4, 3], seed=1)
    if saved_layout == "row-major":  # e.g. a file written by an older version
        for p in source.parameters():
            p.data = np.ascontiguousarray(p.data)
    path = nn.save(source, tmp_path / "model.npz")
    for model in (nn.load(path), nn.load(nn.MLP([6, 4, 3], seed=2), path)):
        for name, p in model.named_parameters():
            np.testing.assert_array_equal(p.data, dict(source.named_parameters())[name].data)
            if p.ndim == 2:
                assert is_column_major(p.data), name
