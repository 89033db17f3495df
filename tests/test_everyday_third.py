"""The third everyday-use audit's findings (tensors, transforms, the train CLI's help, a picture):
each test failed before its fix."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor


def test_a_0d_tensor_formats_as_its_number():
    # f"loss {loss:.4f}", every training loop's print, was "unsupported format string passed to Tensor.__format__"
    loss = (Tensor([0.5, 2.0], requires_grad=True) ** 2).mean()
    assert f"{loss:.4f}" == "2.1250" and f"{loss:>8.2e}" == "2.12e+00" and f"{loss}" == "2.125"
    assert f"{Tensor(3, dtype=np.int64):03d}" == "003"
    assert f"{Tensor([1.0, 2.0])}" == str(Tensor([1.0, 2.0]))  # no spec: the tensor's text
    with pytest.raises(TypeError, match=r"format: the spec '.2f' needs a 0-d tensor.*shape \(2,\).*t\.item\(\)"):
        f"{Tensor([1.0, 2.0]):.2f}"


def test_format_matches_torch():
    torch = pytest.importorskip("torch")
    for value in (0.1, -2.5, 1e-9):
        for spec in (".3f", "", "10.2e", "g"):
            assert format(Tensor(value), spec) == format(torch.tensor(value, dtype=torch.float64), spec)


def test_int_bool_half_casts_as_pytorch():
    t = Tensor([1.7, -1.7, 0.0])
    assert t.int().dtype == np.int32 and t.int().tolist() == [1, -1, 0]
    assert t.bool().dtype == np.bool_ and t.bool().tolist() == [True, True, False]
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.half()
    assert y.dtype == np.float16
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [3.0, 3.0]  # differentiable, cast back
    torch = pytest.importorskip("torch")
    theirs = torch.tensor([1.7, -1.7, 0.0])
    assert t.int().tolist() == theirs.int().tolist() and t.bool().tolist() == theirs.bool().tolist()


def test_value_and_grad_has_aux_as_jax():
    import autograd_core as ag

    def loss_and_predictions(w, x):
        predictions = x @ w
        return (predictions**2).mean(), predictions

    w, x = Tensor([1.0, -2.0]), Tensor([[1.0, 2.0], [3.0, 4.0]])
    (loss, predictions), dw = ag.value_and_grad(loss_and_predictions, has_aux=True)(w, x)
    assert loss.item() == pytest.approx((9 + 25) / 2) and predictions.tolist() == [-3.0, -5.0]
    assert dw.tolist() == pytest.approx((x.data.T @ (2 * np.array([-3.0, -5.0]) / 2)).tolist())
    assert not loss.requires_grad and w.grad is None  # a value, and the caller's tensors untouched
    assert not predictions.requires_grad  # aux comes back without a gradient too, as the docstring says
    (_, aux), _ = ag.value_and_grad(lambda w: ((w**2).sum(), {"w2": w * 2, "n": 3}), has_aux=True)(w)
    assert not aux["w2"].requires_grad and aux["n"] == 3  # a dict's tensors detached, its other values kept
    # inside an outer transform aux keeps its graph: the outer derivative goes through it
    outer = ag.value_and_grad(lambda v: ag.value_and_grad(lambda u: ((u**2).sum(), u**3), has_aux=True)(v)[0][1].sum())
    assert outer(Tensor([2.0]))[1].tolist() == [12.0]  # d/dv v**3 = 3 v**2
    with pytest.raises(TypeError, match=r"f returned a tuple of 2; for \(loss, aux\) pass has_aux=True"):
        ag.value_and_grad(loss_and_predictions)(w, x)
    with pytest.raises(TypeError, match=r"has_aux=True, f must return a pair \(loss, aux\), got Tensor"):
        ag.value_and_grad(lambda v: v.sum(), has_aux=True)(w)
    torch = pytest.importorskip("torch")
    tw = torch.tensor(w.data, requires_grad=True)
    tloss = (torch.tensor(x.data) @ tw).pow(2).mean()
    tloss.backward()
    assert np.allclose(dw.data, tw.grad.numpy())


def test_split_and_chunk_as_pytorch():
    x = Tensor(np.arange(30.0).reshape(5, 6), requires_grad=True)
    gates = x.chunk(3, dim=1)  # an LSTM's i, f, g gates from one matrix
    assert [g.shape for g in gates] == [(5, 2)] * 3 and np.array_equal(gates[1].data, x.data[:, 2:4])
    assert [p.shape for p in x.split(2)] == [(2, 6), (2, 6), (1, 6)]
    pieces = x.split([1, 0, 4])
    assert [p.shape for p in pieces] == [(1, 6), (0, 6), (4, 6)]
    sum(((i + 1) * p).sum() for i, p in enumerate(pieces)).backward()
    assert x.grad[:, 0].tolist() == [1.0, 3.0, 3.0, 3.0, 3.0]  # each row's gradient from its own piece
    with pytest.raises(ValueError, match=r"split: sizes \[1, 2\] add up to 3, not to axis 0's length 5"):
        x.split([1, 2])
    with pytest.raises(ValueError, match=r"chunk: expects a number of chunks >= 1, got 0"):
        x.chunk(0)
    torch = pytest.importorskip("torch")
    t = torch.arange(30.0).reshape(5, 6)
    for args in [(2,), (4, 1), (10, 0), ([2, 3], 0), ([6], 1)]:
        assert [p.shape for p in x.split(*args)] == [tuple(p.shape) for p in t.split(*args)]
    for args in [(2,), (4, 1), (7, 0), (6, -1)]:
        ours, theirs = x.chunk(*args), t.chunk(*args)
        assert [p.data.tolist() for p in ours] == [p.tolist() for p in theirs]


def test_train_help_states_each_default_once(capsys):
    # "--epochs ... (default: 40; with --resume: the run's own) (default: None)"; --batch-size showed no default
    import re

    from nn.train import parse_args

    with pytest.raises(SystemExit):
        parse_args(["--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines: one line of words
    assert "(default: None)" not in text
    entries = re.split(r" (?=--[a-z])", text.split("options:")[1])
    assert all(entry.count("(default:") <= 1 for entry in entries), [e for e in entries if e.count("(default:") > 1]
    for flag, default in (("--batch-size", "32"), ("--seed", "0"), ("--optimizer", "adam"), ("--epochs", "40;")):
        entry = next(e for e in entries if e.startswith(flag + " "))
        assert f"(default: {default}" in entry, entry


def test_a_collapsed_module_box_lists_its_ops_once():
    # LayerNorm's box read "3: 11 ops: add, div, mul, pow, sub, sum<br/>17 tensors; ops: add, div, mul, pow, sub, sum"
    import nn
    import nn.functional as F
    import viz

    model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.LayerNorm(8), nn.Linear(8, 3, seed=1))
    loss = F.cross_entropy(model(np.ones((2, 4))), np.array([0, 2]))
    boxes = [line for line in viz.draw_graph(loss, collapse_modules=True).source.splitlines() if " ops: " in line]
    assert boxes and all(line.count("add, div") <= 1 for line in boxes), boxes
    assert any("11 ops: add, div, mul, pow, sub, sum<br/>17 tensors<br/>" in line for line in boxes), boxes


def test_norm_by_hand_and_finite_at_zero():
    import math

    import autograd_core as ag

    x = Tensor([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0]], requires_grad=True)
    assert x.norm().item() == 5.0 and x.norm(dim=1).tolist() == [5.0, 0.0] and x.norm(p=1).item() == 7.0
    assert x.norm(p=math.inf, dim=1, keepdim=True).tolist() == [[4.0], [0.0]]
    assert ag.norm(x, p=3, dim=1).data[0] == pytest.approx((27 + 64) ** (1 / 3))
    x.norm(dim=1).sum().backward()
    assert np.allclose(x.grad, [[0.6, -0.8, 0.0], [0.0, 0.0, 0.0]])  # the zero row: 0, not NaN (sqrt's slope at 0)
    y = Tensor([[0.25, 0.0]], requires_grad=True)
    y.norm(p=0.5).backward()  # |x|^0.5's slope is infinite at 0 too
    assert np.isfinite(y.grad).all() and y.grad[0, 1] == 0.0
    assert Tensor(np.ones(4, np.float32)).norm().dtype == np.float32
    with pytest.raises(ValueError, match=r"norm: p must be a number > 0, math.inf, 'fro' or 'nuc', got 0"):
        x.norm(p=0)


def test_masked_fill_as_pytorch():
    scores = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    filled = scores.masked_fill(scores > 2, -1e9)
    assert filled.tolist() == [[0.0, 1.0, 2.0], [-1e9, -1e9, -1e9]]
    filled.sum().backward()
    assert scores.grad.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]  # no gradient where filled
    assert Tensor(np.array([1, 2, 3])).masked_fill(np.array([True, False, True]), 7).tolist() == [7, 2, 7]
    with pytest.raises(TypeError, match=r"masked_fill: mask must be boolean, got float64"):
        scores.masked_fill(scores.data, 0.0)


@pytest.mark.parametrize(
    "kwargs", [{}, {"dim": 1}, {"p": 1, "dim": 0}, {"p": 3.0, "dim": 1, "keepdim": True}, {"p": 0.5}]
)
def test_norm_and_masked_fill_equal_torch(kwargs):
    torch = pytest.importorskip("torch")
    data = np.array([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.5, 2.0, -0.5]])
    ours = Tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    out, expected = ours.norm(**kwargs), theirs.norm(**kwargs)
    weights = np.arange(1.0, out.size + 1).reshape(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    assert np.allclose(out.data, expected.detach().numpy()) and np.allclose(ours.grad, theirs.grad.numpy())
    mask = data > 0
    assert np.array_equal(
        ours.masked_fill(mask, -1.0).data, theirs.masked_fill(torch.tensor(mask), -1.0).detach().numpy()
    )


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "AdaGrad"])
def test_optimizer_step_takes_a_closure_as_pytorch(name):
    import nn

    def run(closure_form):
        w = Tensor([1.0, -2.0], requires_grad=True)
        kwargs = {"momentum": 0.9} if name == "SGD" else {}
        opt = getattr(nn.optim, name)([w], lr=0.1, **kwargs)
        losses = []
        for _ in range(3):

            def closure():
                opt.zero_grad()
                loss = (w**2).sum()
                loss.backward()
                return loss

            if closure_form:
                losses.append(opt.step(closure).item())
            else:
                losses.append(closure().item())
                assert opt.step() is None
        return w.data, losses

    (with_closure, losses), (plain, plain_losses) = run(True), run(False)
    assert np.array_equal(with_closure, plain) and losses == plain_losses
    with pytest.raises(TypeError, match=rf"{name}.step: closure must be a function .*got float"):
        getattr(nn.optim, name)([Tensor([1.0], requires_grad=True)], lr=0.1).step(0.5)


def test_nn_parameter_as_pytorch_code_writes_it():
    import nn

    class Affine(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.scale = nn.Parameter(np.ones(n))
            self.shift = nn.Parameter(Tensor(np.zeros(n)) * 2)  # a computed Tensor: detached into a leaf
            self.fixed = nn.Parameter(np.full(n, 3.0), requires_grad=False)

        def forward(self, x):
            return x * self.scale + self.shift + self.fixed

    model = Affine(2)
    # a frozen nn.Parameter is a parameter too, as torch's (named_parameters and state_dict list it)
    assert [name for name, _ in model.named_parameters()] == ["scale", "shift", "fixed"]
    assert all(p.is_leaf for p in model.parameters()) and not model.fixed.requires_grad
    loss = (model(np.array([[1.0, 2.0]])) ** 2).sum()
    loss.backward()
    assert model.scale.grad.tolist() == [8.0, 20.0] and model.shift.grad.tolist() == [8.0, 10.0]
    assert model.fixed.grad is None
    weights = np.ones(3)
    assert np.shares_memory(nn.Parameter(weights).data, weights)  # as torch.nn.Parameter: no copy
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    ((torch.tensor([[1.0, 2.0]], dtype=torch.float64) * theirs + 3.0) ** 2).sum().backward()
    assert model.scale.grad.tolist() == theirs.grad.tolist()


def test_np_linalg_norm_of_a_tensor_is_recorded():
    # np.linalg.norm(t) said "np.norm is not implemented for Tensors"; where it means ag.norm, it now is ag.norm
    data = np.array([[3.0, -4.0], [0.0, 1.0]])
    for kwargs in (
        {},
        {"axis": 1},
        {"ord": 1, "axis": 0},
        {"ord": np.inf, "axis": 1, "keepdims": True},
        {"ord": "fro"},
    ):
        t = Tensor(data, requires_grad=True)
        out = np.linalg.norm(t, **kwargs)
        assert isinstance(out, Tensor) and out.requires_grad and np.allclose(out.data, np.linalg.norm(data, **kwargs))
    # the spectral norm (not a p-norm of the elements), refused before ag.linalg.matrix_norm: now numpy's value
    spectral = np.linalg.norm(Tensor(data, requires_grad=True), ord=2)
    assert spectral.requires_grad and spectral.item() == pytest.approx(np.linalg.norm(data, ord=2), rel=1e-14)
    with pytest.raises(TypeError, match=r"^np.linalg.eig is not implemented for Tensors.*ag.linalg.eigh\(A\)"):
        np.linalg.eig(Tensor(data))  # named where it lives (it said np.eig), with what to write


def test_max_of_two_tensors_points_to_maximum():
    # torch.max(a, b) is the elementwise maximum, and so is ag.max(a, b) (d2l's relu); the method's second
    # argument is the axis here: say so (and min says min)
    import autograd_core as ag

    a, b = Tensor([1.0, 5.0]), Tensor([3.0, 2.0])
    assert ag.max(a, b).tolist() == [3.0, 5.0] and ag.min(a, b).tolist() == [1.0, 2.0]
    for call, name in ((lambda: a.max(b), "max"), (lambda: a.min(b), "min")):
        with pytest.raises(
            TypeError, match=rf"^{name}: axis must be .*elementwise {name}imum .* ag\.{name}imum\(a, b\)"
        ):
            call()
    assert ag.maximum(a, b).tolist() == [3.0, 5.0]
    assert a.min(np.int64(0)).values.item() == 1.0 and a.min(np.int64(0)).indices.item() == 0
    with pytest.raises(ValueError, match=r"^min: repeated axis in \(0, 0\)"):
        Tensor(np.ones((2, 2))).min(dim=(0, 0))


def test_train_says_one_epoch_in_the_singular(tmp_path):
    import subprocess
    import sys

    command = [sys.executable, "-m", "nn.train", "--dataset", "moons", "--epochs", "1", "--hidden", "4"]
    result = subprocess.run([*command, "--no-progress", "--out", str(tmp_path / "run")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "\n1 epoch in " in result.stdout and "1 epochs" not in result.stdout, result.stdout


def test_integer_values_assigned_to_a_trainable_tensors_data_are_refused():
    # They were kept, and an optimizer's update into integers then left the weight unchanged for good
    w = Tensor(np.ones((2, 3)), requires_grad=True)
    refused = r"Tensor.data of a tensor that requires grad needs floating-point data, got int"
    with pytest.raises(TypeError, match=refused):
        w.data = np.ones((2, 3), dtype=int)
    assert w.dtype == np.float64 and w.version == 0  # untouched: nothing changed, no in-place tick
    w.data = np.full((2, 3), 2.0)  # floats go in, and training moves them
    (w * w).sum().backward()
    nn.optim.SGD([w], lr=0.25).step()
    np.testing.assert_array_equal(w.data, np.full((2, 3), 1.0))
    labels = Tensor([1, 2])  # no gradient: integers stay welcome
    labels.data = np.array([3, 4])
    assert labels.tolist() == [3, 4]


def test_chunk_of_an_empty_axis_gives_that_many_empty_pieces_as_pytorch():
    x = Tensor(np.zeros((0, 4)))
    assert [p.shape for p in x.chunk(3)] == [(0, 4)] * 3  # PyTorch: 3 pieces (it gave 1)
    assert [p.shape for p in x.chunk(2, dim=1)] == [(0, 2)] * 2  # a non-empty axis splits as before
    torch = pytest.importorskip("torch")
    assert [tuple(p.shape) for p in torch.zeros(0, 4).chunk(3)] == [p.shape for p in x.chunk(3)]
