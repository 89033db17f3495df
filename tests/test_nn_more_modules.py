"""torch's module-level names added to nn: nn.Buffer (registered when assigned), nn.UninitializedParameter /
UninitializedBuffer (the lazy placeholders), nn.Container (deprecated), nn.RNNBase / RNNCellBase (the bases of the
recurrent layers and cells), nn.DataParallel and nn.SyncBatchNorm as torch runs them on CPU. Oracles: torch's own
behaviour where it is installed (the same state_dict keys, the same outputs), and the definitions."""

import copy
import warnings

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn.architecture import build, describe


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.mask = nn.Buffer(np.tril(np.ones((2, 2))))
        self.scratch = nn.Buffer(Tensor([1.0, 2.0]), persistent=False)
        self.scale = nn.Parameter(np.ones(2))


def test_a_buffer_assigned_is_registered_with_its_persistence_as_torch_s():
    module = WithBuffers()
    assert [name for name, _ in module.named_buffers()] == ["mask", "scratch"]
    assert list(module.state_dict()) == ["scale", "mask"]  # parameters first, then persistent buffers
    assert not isinstance(module.mask, nn.Buffer) and isinstance(module.mask, np.ndarray)
    module.mask[0, 1] = 5.0  # the module holds the array: in-place changes stay
    assert module.state_dict()["mask"][0, 1] == 5.0
    torch = pytest.importorskip("torch")

    class TorchWithBuffers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mask = torch.nn.Buffer(torch.tril(torch.ones(2, 2)))
            self.scratch = torch.nn.Buffer(torch.tensor([1.0, 2.0]), persistent=False)
            self.scale = torch.nn.Parameter(torch.ones(2))

    theirs = TorchWithBuffers()
    assert [n for n, _ in theirs.named_buffers()] == ["mask", "scratch"]
    assert list(theirs.state_dict()) == list(WithBuffers().state_dict())


def test_buffer_shares_a_tensor_s_memory_and_refuses_what_is_not_numbers():
    t = Tensor([1.0, 2.0])
    b = nn.Buffer(t)
    b[0] = 7.0
    assert t.data[0] == 7.0 and b.persistent and nn.Buffer().shape == (0,)
    with pytest.raises(TypeError, match=r"nn.Buffer: persistent must be True or False, got 'no'"):
        nn.Buffer(np.ones(2), persistent="no")
    with pytest.raises(TypeError, match=r"nn.Buffer: data must be an array or a Tensor of numbers, got dict"):
        nn.Buffer({"a": 1})


def test_uninitialized_parameter_materializes_in_place_and_answers_isinstance_as_torch_s():
    module = nn.Module()
    module.weight = nn.UninitializedParameter()
    opt = nn.optim.SGD(module.parameters(), lr=0.1)  # made before the shape is known
    weight = module.weight
    assert isinstance(weight, nn.UninitializedParameter) and isinstance(weight, nn.Parameter)
    weight.materialize((2, 3))
    assert module.weight is weight and weight.shape == (2, 3) and not weight.data.any()
    assert not isinstance(weight, nn.UninitializedParameter) and type(weight) is Tensor
    weight.grad = np.ones((2, 3))
    opt.step()
    np.testing.assert_array_equal(weight.data, -0.1 * np.ones((2, 3)))
    assert isinstance(nn.LazyLinear(4).weight, nn.UninitializedParameter)  # the lazy layers' placeholders
    frozen = nn.UninitializedParameter(requires_grad=False, dtype=np.float32)
    assert not frozen.requires_grad and frozen.dtype == np.float32
    clone = copy.deepcopy(nn.UninitializedParameter())
    clone.materialize(3)
    assert clone.shape == (3,)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.UninitializedParameter()
    assert isinstance(theirs, torch.nn.Parameter)
    theirs.materialize((2, 3))
    assert type(theirs) is torch.nn.Parameter and tuple(theirs.shape) == weight.shape


def test_uninitialized_buffer_materializes_where_the_module_holds_it():
    module = nn.Module()
    module.running_mean = nn.UninitializedBuffer(persistent=False)
    held = module.running_mean
    assert isinstance(held, nn.UninitializedBuffer) and held.shape == (0,)
    held.materialize((4,))
    assert module.running_mean.shape == (4,) and module._buffers["running_mean"].shape == (4,)
    assert not isinstance(module.running_mean, nn.UninitializedBuffer)
    assert list(module.state_dict()) == [] and [n for n, _ in module.named_buffers()] == ["running_mean"]


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.UninitializedParameter(device="cuda"), ValueError, r"device must be None or 'cpu' .*got 'cuda'"),
        (lambda: nn.UninitializedParameter(requires_grad=1), TypeError, r"requires_grad must be True or False, got 1"),
        (lambda: nn.UninitializedBuffer(requires_grad=True), ValueError, r"a buffer is never trained here; use nn.Un"),
        (lambda: nn.UninitializedBuffer(device="mps"), ValueError, r"device must be None or 'cpu' .*got 'mps'"),
        (
            lambda: nn.UninitializedBuffer().materialize(3, dtype=np.float32),
            ValueError,
            r"dtype float32 differs from the buffer's float64.*nn.UninitializedBuffer\(dtype='float32'\)",
        ),
    ],
)
def test_uninitialized_refusals(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_container_holds_its_keyword_modules_warns_as_torch_and_rebuilds():
    with pytest.warns(FutureWarning, match=r"`nn.Container` is deprecated. All of its functionality"):
        box = nn.Container(encoder=nn.Linear(2, 3), head=nn.Linear(3, 1))
    assert [name for name, _ in box.named_children()] == ["encoder", "head"]
    assert list(box.state_dict()) == ["encoder.weight", "encoder.bias", "head.weight", "head.bias"]
    with pytest.warns(FutureWarning):
        rebuilt = build(describe(box))
    assert repr(rebuilt) == repr(box)
    with pytest.warns(FutureWarning), pytest.raises(TypeError, match=r"Container: 'head' must be a Module, got int"):
        nn.Container(head=3)
    torch = pytest.importorskip("torch")
    with pytest.warns(FutureWarning):
        theirs = torch.nn.Container(encoder=torch.nn.Linear(2, 3), head=torch.nn.Linear(3, 1))
    assert list(theirs.state_dict()) == list(box.state_dict())


def test_the_recurrent_layers_and_cells_are_rnnbase_and_rnncellbase():
    for layer in (nn.RNN(3, 4), nn.LSTM(3, 4), nn.GRU(3, 4)):
        assert isinstance(layer, nn.RNNBase) and isinstance(layer, nn.Module)
    for cell in (nn.RNNCell(3, 4), nn.LSTMCell(3, 4), nn.GRUCell(3, 4)):
        assert isinstance(cell, nn.RNNCellBase) and not isinstance(cell, nn.RNNBase)
    assert nn.RNN(3, 4, nonlinearity="relu").mode == "RNN_RELU" and nn.LSTM(3, 4).mode == "LSTM"
    torch = pytest.importorskip("torch")
    for mode in ("RNN_TANH", "RNN_RELU", "LSTM", "GRU"):
        ours, theirs = nn.RNNBase(mode, 3, 4, num_layers=2), torch.nn.RNNBase(mode, 3, 4, num_layers=2)
        assert [(n, p.shape) for n, p in ours.named_parameters()] == [
            (n, tuple(p.shape)) for n, p in theirs.named_parameters()
        ]
    ours, theirs = nn.RNNCellBase(3, 4, True, 3), torch.nn.RNNCellBase(3, 4, True, 3)
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert nn.LSTM(3, 4).mode == torch.nn.LSTM(3, 4).mode and nn.RNN(3, 4).mode == torch.nn.RNN(3, 4).mode


def test_rnnbase_refuses_an_unknown_mode_and_has_no_forward_as_torch_s():
    with pytest.raises(ValueError, match=r"RNNBase: mode must be 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU' \(torch's\)"):
        nn.RNNBase("ELMAN", 3, 4)
    with pytest.raises(ValueError, match=r"RNNCellBase: num_chunks must be"):
        nn.RNNCellBase(3, 4, True, 0)
    with pytest.raises(NotImplementedError):
        nn.RNNBase("GRU", 3, 4)(np.ones((5, 3)))


def test_data_parallel_calls_the_module_as_torch_s_does_on_cpu():
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.ReLU(), nn.Linear(4, 2, seed=1))
    wrapped = nn.DataParallel(model, device_ids=[0, 1], output_device=0)
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_array_equal(wrapped(x).data, model(x).data)
    wrapped(x).sum().backward()
    assert model[0].weight.grad is not None and wrapped.device_ids == [] and wrapped.module is model
    assert next(iter(wrapped.state_dict())) == "module.0.weight"
    assert nn.parallel.DataParallel is nn.DataParallel
    with pytest.raises(TypeError, match=r"DataParallel: module must be an nn.Module .*got function"):
        nn.DataParallel(lambda x: x)
    with pytest.raises(TypeError, match=r"DataParallel is not an nn layer, so a file cannot rebuild it"):
        describe(wrapped)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    assert theirs.device_ids == [] and list(theirs.state_dict()) == ["module.weight", "module.bias"]


def test_sync_batch_norm_is_batch_norm_in_one_process_and_converts_as_torch_s():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3, 4, 4))
    ours = nn.SyncBatchNorm(3, momentum=0.2)
    theirs = torch.nn.SyncBatchNorm(3, momentum=0.2).double()
    for _ in range(3):
        out = ours(x)
        expected = theirs(torch.tensor(x))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), rtol=1e-13)
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match=r"SyncBatchNorm\(3\): expected an input of shape \(N, 3\) or"):
        ours(np.ones(3))


def test_convert_sync_batchnorm_shares_parameters_buffers_and_mode():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2, momentum=None), nn.Sequential(nn.BatchNorm1d(4)))
    model[1](np.random.default_rng(0).standard_normal((4, 2, 3, 3)))
    model[2][0].eval()
    weight, running_mean = model[1].weight, model[1].running_mean
    keys = list(model.state_dict())
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and type(model[1]) is nn.SyncBatchNorm and type(model[2][0]) is nn.SyncBatchNorm
    assert model[1].weight is weight and np.shares_memory(model[1].running_mean, running_mean)
    assert model[1].momentum is None and int(model[1].num_batches_tracked) == 1 and not model[2][0].training
    assert list(model.state_dict()) == keys and "1.num_batches_tracked" in keys  # (a buffer with momentum=None)
    assert type(nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(3))) is nn.SyncBatchNorm
    with pytest.raises(TypeError, match=r"convert_sync_batchnorm: expected an nn.Module, got list"):
        nn.SyncBatchNorm.convert_sync_batchnorm([])


def test_new_layers_describe_themselves_and_rebuild():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        layers = [
            nn.SyncBatchNorm(3, eps=1e-3),
            nn.CrossMapLRN2d(3, alpha=1e-3),
            nn.FractionalMaxPool2d(2, output_ratio=0.5),
            nn.FractionalMaxPool3d((1, 2, 2), output_size=3),
            nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 8], div_value=2.0),
            nn.NLLLoss2d(weight=np.array([1.0, 2.0]), ignore_index=1),
        ]
        for layer in layers:
            rebuilt = build(describe(layer))
            assert repr(rebuilt) == repr(layer) and type(rebuilt) is type(layer)
