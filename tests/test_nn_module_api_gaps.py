"""The nn.Module API a torch user meets, where it was missing: ``register_buffer(persistent=False)``,
``named_modules(remove_duplicate=)``, ``named_parameters(recurse=, remove_duplicate=)``, ``parameters(recurse=)``,
``get_submodule`` / ``get_parameter`` / ``get_buffer`` / ``set_submodule`` / ``register_module``,
``state_dict(prefix=, keep_vars=, destination=)``, ``ModuleDict.pop`` / ``clear``, ``Sequential.extend`` / ``pop`` /
``+`` / ``+=`` / ``*``, ``nn.Identity(any arguments)``; each checked by hand and against torch's own answers."""

import copy

import numpy as np
import pytest

import nn
from autograd_core import Tensor


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU())
        self.head = nn.Linear(3, 1, seed=1)
        self.register_buffer("mask", np.ones(3), persistent=False)  # made again from the sizes: not saved
        self.register_buffer("steps", np.zeros(1))

    def forward(self, x):
        return self.head(self.body(x) * self.mask)


def test_a_non_persistent_buffer_is_a_buffer_that_state_dict_leaves_out():
    net = Net()
    assert [n for n, _ in net.named_buffers()] == ["mask", "steps"]
    assert sorted(net.state_dict()) == ["body.0.bias", "body.0.weight", "head.bias", "head.weight", "steps"]
    twin = Net()
    twin.mask[...] = 0.0
    assert twin.load_state_dict(net.state_dict()).missing_keys == []  # strict: mask is not expected
    assert (twin.mask == 0).all()  # and not touched
    assert net.to(np.float32).mask.dtype == np.float32  # still cast with the model
    net.register_buffer("mask", np.ones(3))  # registered again, persistent: saved from now on
    assert "mask" in net.state_dict()
    del net.steps
    assert "steps" not in net.state_dict() and [n for n, _ in net.named_buffers()] == ["mask"]


def test_named_modules_and_parameters_with_remove_duplicate_and_recurse():
    shared = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1", "2"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_parameters(remove_duplicate=False)] == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
    ]
    net = Net()
    assert list(net.named_parameters(recurse=False)) == [] and len(list(net.parameters())) == 4
    assert [n for n, _ in net.head.named_parameters(prefix="head", recurse=False)] == ["head.weight", "head.bias"]
    assert [n for n, _ in net.named_buffers(prefix="net", recurse=False)] == ["net.mask", "net.steps"]
    assert list(net.body.parameters(recurse=False)) == [] and len(list(net.buffers(recurse=False))) == 2


def test_lookups_by_dotted_name_and_their_errors():
    net = Net()
    assert net.get_submodule("body.0") is net.body[0] and net.get_submodule("") is net
    assert net.get_parameter("head.weight") is net.head.weight
    assert net.get_buffer("steps") is net._buffers["steps"]
    with pytest.raises(AttributeError, match=r"get_submodule: body has no sub-module '5' \(of 'body.5'\); .*: 0, 1"):
        net.get_submodule("body.5")
    with pytest.raises(AttributeError, match=r"get_parameter: Linear has no parameter 'gamma' .*: weight, bias"):
        net.get_parameter("head.gamma")
    with pytest.raises(AttributeError, match=r"get_buffer: Net has no buffer 'nope' \(of 'nope'\); .*: mask, steps"):
        net.get_buffer("nope")
    net.set_submodule("body.1", nn.Tanh())
    net.register_module("extra", nn.Identity())
    assert isinstance(net.body[1], nn.Tanh) and [n for n, _ in net.named_children()] == ["body", "head", "extra"]


def test_state_dict_takes_prefix_keep_vars_and_destination():
    net = Net()
    assert sorted(net.state_dict(prefix="model.")) == [
        "model.body.0.bias",
        "model.body.0.weight",
        "model.head.bias",
        "model.head.weight",
        "model.steps",
    ]
    kept = net.state_dict(keep_vars=True)
    assert kept["head.weight"] is net.head.weight and isinstance(kept["head.weight"], Tensor)
    copied = net.state_dict()
    assert copied["head.weight"] is not net.head.weight.data and isinstance(copied["head.weight"], np.ndarray)
    into = {"already": 1}
    assert net.state_dict(destination=into, prefix="n.") is into and "n.head.bias" in into and into["already"] == 1
    with pytest.raises(TypeError, match=r"state_dict: prefix must be a str"):
        net.state_dict(prefix=3)


def test_container_methods():
    heads = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    assert isinstance(heads.pop("a"), nn.ReLU) and list(heads) == ["b"]
    heads.clear()
    assert len(heads) == 0 and list(heads.named_modules()) == [("", heads)]
    seq = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU())
    popped = seq.pop(0)
    assert isinstance(popped, nn.Linear) and [type(m).__name__ for m in seq] == ["ReLU"] and list(seq._modules) == ["0"]
    seq.extend([nn.Linear(2, 2, seed=1), nn.Tanh()])
    assert [type(m).__name__ for m in seq] == ["ReLU", "Linear", "Tanh"]
    both = seq + nn.Sequential(nn.Sigmoid())
    assert type(both) is nn.Sequential and len(both) == 4 and both[1] is seq[1] and len(seq) == 3
    seq += nn.Sequential(nn.Sigmoid())
    assert len(seq) == 4
    twice = nn.Sequential(nn.Linear(2, 2, seed=0)) * 2
    assert len(twice) == 2 and twice[0] is twice[1] and len(list(twice.parameters())) == 2  # shared weights
    blocks = nn.ModuleList([nn.ReLU()]) + nn.ModuleList([nn.Tanh()])
    assert type(blocks) is nn.ModuleList and len(blocks) == 2
    with pytest.raises(TypeError, match=r"Sequential \+ list: add another Sequential"):
        seq + [nn.ReLU()]


def test_identity_ignores_any_arguments_and_deepcopy_is_independent():
    identity = nn.Identity(54, unused_argument1=0.1, unused_argument2=False)
    x = np.arange(3.0)
    assert identity(x) is x and nn.architecture.describe(identity) == {"type": "Identity"}
    net = Net()
    twin = copy.deepcopy(net)
    twin.head.weight.data[...] = 7.0
    twin.mask[...] = 0.0
    assert not (net.head.weight.data == 7.0).any() and (net.mask == 1).all()
    twin(np.ones((1, 2))).sum().backward()
    assert twin.head.weight.grad is not None and net.head.weight.grad is None


def test_the_same_answers_as_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn

    class TorchNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.body = tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU())
            self.head = tnn.Linear(3, 1)
            self.register_buffer("mask", torch.ones(3), persistent=False)
            self.register_buffer("steps", torch.zeros(1))

    ours, theirs = Net(), TorchNet()
    assert sorted(ours.state_dict(prefix="m.")) == sorted(theirs.state_dict(prefix="m."))  # (the order: ours all
    # parameters, then the buffers; torch module by module)
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules(prefix="x")] == [n for n, _ in theirs.named_modules(prefix="x")]
    shared, tshared = nn.Linear(2, 2), tnn.Linear(2, 2)
    ours_seq, their_seq = nn.Sequential(shared, nn.ReLU(), shared), tnn.Sequential(tshared, tnn.ReLU(), tshared)
    for kwargs in ({}, {"remove_duplicate": False}):
        assert [n for n, _ in ours_seq.named_modules(**kwargs)] == [n for n, _ in their_seq.named_modules(**kwargs)]
        assert [n for n, _ in ours_seq.named_parameters(**kwargs)] == [
            n for n, _ in their_seq.named_parameters(**kwargs)
        ]
    result = ours.load_state_dict({"head.weight": np.zeros((1, 3)), "zzz": np.ones(1)}, strict=False)
    expected = theirs.load_state_dict({"head.weight": torch.zeros(1, 3), "zzz": torch.ones(1)}, strict=False)
    assert (sorted(result.missing_keys), result.unexpected_keys) == (sorted(expected.missing_keys), ["zzz"])
    assert type(nn.Sequential(nn.ReLU(), nn.Tanh()).pop(0)).__name__ == type(tnn.Sequential(tnn.ReLU()).pop(0)).__name__
    assert repr(nn.Identity(3, a=1)) == repr(tnn.Identity(3, a=1))
    assert repr(nn.Flatten(0, -1)) == repr(tnn.Flatten(0, -1)) and repr(nn.Unflatten(1, (2, 5))) == repr(
        tnn.Unflatten(1, (2, 5))
    )


def test_print_model_shows_pytorch_s_lines_for_pools_dropout_and_relu():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(inplace=True), nn.MaxPool2d(2), nn.Dropout(0.25), nn.AvgPool2d(2))
    assert repr(model[1]) == "ReLU(inplace=True)" and repr(model[3]) == "Dropout(p=0.25, inplace=False)"
    assert repr(model[2]) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(model[4]) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    rebuilt = nn.architecture.build(nn.architecture.describe(model))
    assert repr(rebuilt) == repr(model)  # the sizes as given survive a save
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 4, 3), tnn.ReLU(inplace=True), tnn.MaxPool2d(2), tnn.Dropout(0.25), tnn.AvgPool2d(2)
    )
    assert repr(model) == repr(theirs)
    for kwargs in ({"kernel_size": (2, 3)}, {"kernel_size": 3, "stride": (1, 2), "padding": 1}):
        assert repr(nn.MaxPool2d(**kwargs)) == repr(tnn.MaxPool2d(**kwargs))
        assert repr(nn.AvgPool2d(**kwargs)) == repr(tnn.AvgPool2d(**kwargs))
    assert repr(nn.Dropout2d(0.1)) == repr(tnn.Dropout2d(0.1)) and repr(nn.MaxPool1d(3)) == repr(tnn.MaxPool1d(3))


def test_parameters_are_named_parameters_tensors_in_the_same_order_shared_ones_once():
    # parameters() walks without building names (zero_grad reads it every step): the same list, by identity
    shared = nn.Linear(3, 3)
    inner = nn.Sequential(shared, nn.ReLU(), nn.Linear(3, 2))
    model = nn.Sequential(nn.Linear(4, 3), inner, shared, nn.Sequential(inner, nn.LayerNorm(2)))
    model[0].weight = shared.weight  # a parameter shared between two modules
    named = [p for _, p in model.named_parameters()]
    assert [id(p) for p in model.parameters()] == [id(p) for p in named] and len(named) == 7
    assert [id(p) for p in inner.parameters(recurse=False)] == []
    assert [id(p) for p in shared.parameters(recurse=False)] == [id(shared.weight), id(shared.bias)]
