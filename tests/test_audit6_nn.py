"""The sixth everyday-use audit, nn side: the fifth audit's activations, F.pad, nn.init.orthogonal_ and
CosineAnnealingWarmRestarts as PyTorch code calls them. Oracles: torch where installed, closed forms."""

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor


# ------------------------------------------------------------------ F.pad
def test_pad_value_none_is_zero_as_pytorch():
    # torch's signature is value: Optional[float] = None, meaning 0; the fill was NaN here
    out = F.pad(Tensor([[1.0, 2.0]]), (1, 1), value=None)
    assert out.tolist() == [[0.0, 1.0, 2.0, 0.0]]


@pytest.mark.parametrize(
    ("pad", "value", "words"),
    [(1, 0.0, ["pad", "pairs of ints", "1"]), ((1, 1), "a", ["pad", "value", "'a'"]), ((1, 1), [0.0], ["value"])],
)
def test_pad_refuses_a_bad_amount_or_value_in_one_line(pad, value, words):
    with pytest.raises(ValueError) as caught:
        F.pad(Tensor(np.ones((2, 3))), pad, value=value)
    assert all(w in str(caught.value) for w in words), caught.value
    assert caught.traceback[-1].path.name == "padding.py"  # ours (F.pad lives there), not numpy's "could not convert"


# ------------------------------------------------------------------ prelu, the hard activations
def test_prelu_keeps_a_0d_input_0d():
    torch = pytest.importorskip("torch")
    x, w = Tensor(np.array(-0.5), requires_grad=True), Tensor([0.2], requires_grad=True)
    out = F.prelu(x, w)
    tx, tw = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True), torch.tensor([0.2], dtype=torch.float64)
    tw.requires_grad_()
    expected = torch.nn.functional.prelu(tx, tw)
    assert out.shape == tuple(expected.shape) == ()
    out.backward()
    expected.backward()
    assert np.allclose(x.grad, tx.grad.numpy()) and np.allclose(w.grad, tw.grad.numpy())


def test_prelu_on_a_1d_input_names_its_one_channel():
    with pytest.raises(ValueError, match=r"prelu: weight of shape \(3,\) .* shape \(3,\) .* 1-D weight of 1 element$"):
        F.prelu(Tensor([1.0, -1.0, 2.0]), Tensor([0.1, 0.2, 0.3]))


@pytest.mark.parametrize("name", ["relu6", "hardtanh", "hardswish", "hardsigmoid", "mish"])
def test_functional_forms_accept_inplace_as_pytorch(name):
    torch = pytest.importorskip("torch")
    x = np.linspace(-7.3, 7.1, 9)
    out = getattr(F, name)(Tensor(x), inplace=True)
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), inplace=False)
    assert np.allclose(out.data, expected.numpy())


@pytest.mark.parametrize("layer", [nn.Mish, nn.Hardswish, nn.Hardsigmoid, nn.ReLU6])
def test_layers_accept_inplace_and_still_save(layer, tmp_path):
    model = nn.Sequential(nn.Linear(2, 3), layer(inplace=True))
    x = Tensor(np.array([[0.5, -2.0]]))
    back = nn.load(nn.save(model, tmp_path / "m.npz"))
    assert np.allclose(back(x).data, model(x).data)


@pytest.mark.parametrize("layer", [nn.Softmin, nn.Softmax, nn.LogSoftmax])
@pytest.mark.parametrize("dim", [1.5, True, "1"])
def test_softmax_layers_refuse_a_dim_that_is_not_an_int(layer, dim):
    # int(1.5) silently took axis 1
    name = layer.__name__
    with pytest.raises(TypeError, match=name + r": dim must be an int .* got " + repr(dim).replace(".", r"\.")):
        layer(dim=dim)


@pytest.mark.parametrize("layer", [nn.Softmin, nn.Softmax, nn.LogSoftmax])
def test_softmax_layers_take_dim_none_as_the_last_axis_never_the_whole_tensor(layer, tmp_path):
    # torch's dim=None (its deprecated implicit choice) is axis 1 of a matrix; Softmax(None) normalised the
    # whole matrix here (rows summing to less than 1, silently); now the last axis, as F.softmax's default
    x = Tensor(np.arange(6.0).reshape(2, 3))
    got, want = layer(dim=None)(x), layer(dim=1)(x)
    assert np.array_equal(got.data, want.data)
    model = nn.Sequential(nn.Linear(3, 3), layer(dim=None))
    back = nn.load(nn.save(model, tmp_path / "m.npz"))
    assert np.array_equal(back(x).data, model(x).data) and back[1].dim == -1


# ------------------------------------------------------------------ nn.init.orthogonal_
def test_orthogonal_of_an_empty_weight_returns_it():
    w = Tensor(np.zeros((0, 3)))
    assert nn.init.orthogonal_(w) is w  # was a ZeroDivisionError (torch returns the tensor)


# ------------------------------------------------------------------ CosineAnnealingWarmRestarts.step(epoch)
@pytest.mark.parametrize(("T_0", "T_mult", "eta_min"), [(3, 1, 0.0), (3, 2, 0.01), (1, 3, 0.0)])
def test_warm_restarts_step_with_a_fractional_epoch_equals_torch(T_0, T_mult, eta_min):
    torch = pytest.importorskip("torch")
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.1)
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    ours = nn.optim.CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min)
    theirs = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0, T_mult, eta_min)
    iters = 4
    for epoch in range(12):  # the idiom of torch's docstring: a step after every batch
        for i in range(iters):
            topt.step()
            got = ours.step(epoch + i / iters)
            theirs.step(epoch + i / iters)
            assert math.isclose(got, topt.param_groups[0]["lr"], rel_tol=1e-12, abs_tol=1e-15), (epoch, i)
    for _ in range(5):  # plain steps go on from the fraction, as torch's T_cur + 1
        topt.step()
        assert math.isclose(ours.step(), (theirs.step(), topt.param_groups[0]["lr"])[1], rel_tol=1e-12)
    assert ours.last_epoch == theirs.last_epoch


def test_warm_restarts_fraction_survives_state_dict():
    def make():
        return nn.optim.CosineAnnealingWarmRestarts(nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0), 4)

    a, b = make(), make()
    a.step(2.5)
    b.load_state_dict(a.state_dict())
    assert b.step() == a.step() == pytest.approx(0.5 + 0.5 * math.cos(math.pi * 3.5 / 4))


def test_warm_restarts_loads_a_state_saved_before_fractions_were_kept():
    def make():
        return nn.optim.CosineAnnealingWarmRestarts(nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0), 4)

    a, b = make(), make()
    for _ in range(3):
        a.step()
    saved = a.state_dict()
    del saved["epoch_fraction"]  # the previous release's state_dict
    b.load_state_dict(saved)
    assert b.step() == a.step() == pytest.approx(0.5 + 0.5 * math.cos(math.pi * 0 / 4))
    with pytest.raises(ValueError, match="expected the keys"):
        b.load_state_dict({"last_epoch": 3})


@pytest.mark.parametrize("epoch", [-1, float("nan"), "2", True])
def test_warm_restarts_step_refuses_a_bad_epoch(epoch):
    scheduler = nn.optim.CosineAnnealingWarmRestarts(nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0), 4)
    with pytest.raises(ValueError, match=r"CosineAnnealingWarmRestarts\.step: epoch must be a number >= 0"):
        scheduler.step(epoch)


# ------------------------------------------------------------------ ConstantLR (torch's SequentialLR example)
def _lrs(make, lib_optimizer, steps=12):
    opt = lib_optimizer()
    schedulers = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        if not isinstance(opt, nn.optim.Optimizer):
            opt.step()  # (torch warns when a scheduler steps before its optimizer)
        for s in schedulers:
            s.step()
    return lrs


@pytest.mark.parametrize("case", ["alone", "sequential", "chained"])
def test_constant_lr_equals_torch(case):
    torch = pytest.importorskip("torch")

    def make(lib):
        def build(opt):
            first = lib.ConstantLR(opt, factor=0.1, total_iters=2)
            if case == "alone":
                return [first]
            second = lib.ExponentialLR(opt, gamma=0.9)
            return [lib.SequentialLR(opt, [first, second], milestones=[2])] if case == "sequential" else [first, second]

        return build

    ours = _lrs(make(nn.optim.lr_scheduler), lambda: nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.5))
    theirs = _lrs(make(torch.optim.lr_scheduler), lambda: torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5))
    assert np.allclose(ours, theirs, rtol=1e-12), (ours, theirs)


def test_constant_lr_checks_its_arguments_and_saves():
    opt = nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0)
    with pytest.raises(ValueError, match=r"ConstantLR: factor must be >= 0\.0 and <= 1\.0, got 2"):
        nn.optim.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match=r"ConstantLR: total_iters must be a positive int, got 0"):
        nn.optim.ConstantLR(opt, total_iters=0)
    a = nn.optim.ConstantLR(opt, factor=0.5, total_iters=3)
    b = nn.optim.ConstantLR(nn.optim.SGD([Tensor([0.0], requires_grad=True)], lr=1.0), factor=0.5, total_iters=3)
    a.step()
    b.load_state_dict(a.state_dict())
    assert [b.step() for _ in range(3)] == [a.step() for _ in range(3)] == [0.5, 1.0, 1.0]
