"""``isinstance(t, nn.Parameter)`` and ``register_parameter`` as PyTorch's: a tensor made by nn.Parameter or
registered by a module (frozen ones too) is a Parameter; one that merely requires grad, or a parameter's
detach()/clone()/result, is not; the checks hold through casts and deep copies."""

import copy

import numpy as np
import pytest

import autograd_core as ag
import nn


def custom_layer(base, lib):
    """A layer written as PyTorch's own source writes them (torch.nn.Linear: register_parameter('bias', None)),
    for ``base`` = nn.Module or torch.nn.Module and ``lib`` = this library or torch."""

    class Custom(base):
        def __init__(self, bias):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.ones(2, 3))
            self.frozen = lib.nn.Parameter(lib.zeros(3), requires_grad=False)
            if bias:
                self.bias = lib.nn.Parameter(lib.zeros(2))
            else:
                self.register_parameter("bias", None)

        def forward(self, x):
            y = x @ self.weight.T
            return y if self.bias is None else y + self.bias

    return Custom


class _Lib:  # the spelling the layer reads: lib.nn.Parameter, lib.ones
    nn, ones, zeros = nn, staticmethod(ag.ones), staticmethod(ag.zeros)


def test_isinstance_parameter_says_what_torch_says():
    model = nn.MLP([2, 4, 3], seed=0)
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())
    model.layers[0].weight.requires_grad_(False)  # frozen: still a parameter
    assert isinstance(model.layers[0].weight, nn.Parameter)
    w = model.layers[2].weight
    for not_one in (ag.Tensor([1.0], requires_grad=True), w.detach(), w.clone(), w * 2, w.data, 3.0, None):
        assert not isinstance(not_one, nn.Parameter), not_one
    assert all(isinstance(p, nn.Parameter) for p in copy.deepcopy(model).parameters())
    assert all(isinstance(p, nn.Parameter) for p in model.to(np.float32).parameters())
    made = nn.Parameter(np.ones(3))
    assert isinstance(made, ag.Tensor) and made.requires_grad and made.is_leaf and isinstance(made, nn.Parameter)
    assert nn.Parameter().shape == (0,) and nn.Parameter(ag.ones(2), requires_grad=False).requires_grad is False
    with pytest.raises(TypeError, match=r"nn.Parameter: requires_grad must be True or False, got 'yes'"):
        nn.Parameter(np.ones(2), requires_grad="yes")


def test_register_parameter_and_a_frozen_parameter_as_torch_layers_write_them():
    Custom = custom_layer(nn.Module, _Lib)
    with_bias, without = Custom(bias=True), Custom(bias=False)
    assert [n for n, _ in with_bias.named_parameters()] == ["weight", "frozen", "bias"]
    assert [n for n, _ in without.named_parameters()] == ["weight", "frozen"] and without.bias is None
    assert sorted(without.state_dict()) == ["frozen", "weight"]
    without.register_parameter("bias", nn.Parameter(np.ones(2)))  # None first, a parameter later: registered
    assert [n for n, _ in without.named_parameters()] == ["weight", "frozen", "bias"]
    assert without(ag.ones(1, 3)).tolist() == [[4.0, 4.0]]
    with pytest.raises(KeyError, match=r"register_parameter: the name must be a non-empty str without '.', got 'a.b'"):
        without.register_parameter("a.b", None)
    without.register_buffer("stats", np.zeros(2))
    with pytest.raises(KeyError, match=r"register_parameter: attribute 'stats' already exists in Custom"):
        without.register_parameter("stats", None)
    with pytest.raises(TypeError, match=r"cannot register a ndarray as parameter 'w2' of Custom: give nn.Parameter"):
        without.register_parameter("w2", np.ones(2))
    with pytest.raises(TypeError, match=r"cannot register a Tensor as parameter 'w3'"):
        without.register_parameter("w3", ag.ones(2, requires_grad=True) * 2)  # not a leaf


def test_the_same_layer_in_torch_agrees():
    torch = pytest.importorskip("torch")
    ours, theirs = custom_layer(nn.Module, _Lib)(bias=False), custom_layer(torch.nn.Module, torch)(bias=False)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()] == ["weight", "frozen"]
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict()) and theirs.bias is None is ours.bias
    for p in theirs.parameters():
        assert isinstance(p, torch.nn.Parameter) and not isinstance(p.detach(), torch.nn.Parameter)
