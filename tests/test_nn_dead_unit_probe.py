"""nn.fit's dead-unit probe goes through the rows in chunks and stops once every unit has fired: the
same answer as one pass over every row (a unit that fires on one late row only is alive), fewer passes."""

import numpy as np

import nn
from nn.evaluation import dead_unit_fraction


def one_pass(model, X):
    """The definition, in numpy: the share of hidden units whose pre-activation is <= 0 on every row."""
    W, b = model.layers[0].weight.data, model.layers[0].bias.data
    return float(((X @ W.T + b) <= 0).all(axis=0).mean())


def counting_forwards(model):
    calls = []
    model.register_forward_hook(lambda module, inputs, output: calls.append(len(inputs[0])))
    return calls


def test_a_unit_firing_on_one_late_row_only_is_alive_and_every_chunk_is_read_until_then():
    model = nn.MLP([3, 4, 2], seed=0)
    X = np.random.default_rng(0).normal(size=(1000, 3))
    X[700, 2] = 50.0  # the one row that can wake unit 3 up
    model.layers[0].weight.data[3] = [0.0, 0.0, 1.0]
    model.layers[0].bias.data[3] = -40.0
    calls = counting_forwards(model)
    assert dead_unit_fraction(model, X) == one_pass(model, X) == 0.0
    assert calls == [256, 256, 256]  # row 700 is in the third chunk: the fourth is not needed
    X[700, 2] = 0.0
    calls.clear()
    assert dead_unit_fraction(model, X) == one_pass(model, X) == 0.25  # now it never fires
    assert calls == [256, 256, 256, 232]  # every row read before calling it dead


def test_a_healthy_network_is_probed_on_its_first_chunk_only():
    model = nn.MLP([2, 8, 8, 2], seed=0)
    X, _ = nn.datasets.make_moons(2000, noise=0.1, seed=0)
    calls = counting_forwards(model)
    assert dead_unit_fraction(model, X) == 0.0 and calls == [256]
    assert dead_unit_fraction(model, X, chunk=4096) == 0.0 and calls == [256, 2000]  # one pass: the same
