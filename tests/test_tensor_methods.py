"""The everyday methods a PyTorch user types: comparisons, argmax/argmin, min, var/std, clamp, pow,
clone, the shape helpers, conversions, dim=/keepdim=.

Values and gradients are compared with PyTorch (float64) where installed; without it with
closed forms, numpy and finite differences (gradcheck). Kinks are avoided except where
the kink rule itself is tested.
"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(0)
X = RNG.uniform(-2, 2, size=(3, 4))

# (name, ours, torch's) on one (3, 4) input; the torch lambdas are only called when torch is installed
CASES = [
    ("min", lambda x: x.min(), lambda x: x.min()),
    ("min dim", lambda x: x.min(dim=1).values, lambda x: x.min(dim=1).values),
    ("min keepdim", lambda x: x.min(0, keepdims=True), lambda x: x.amin(0, keepdim=True)),
    ("var", lambda x: x.var(), lambda x: x.var()),
    ("var dim unbiased=False", lambda x: x.var(dim=0, unbiased=False), lambda x: x.var(dim=0, unbiased=False)),
    (
        "var correction=0 keepdim",
        lambda x: x.var(1, correction=0, keepdim=True),
        lambda x: x.var(1, correction=0, keepdim=True),
    ),
    ("std", lambda x: x.std(), lambda x: x.std()),
    ("std dim", lambda x: x.std(dim=1, keepdim=True), lambda x: x.std(dim=1, keepdim=True)),
    ("clamp", lambda x: x.clamp(-1.0, 0.5), lambda x: x.clamp(-1.0, 0.5)),
    ("clamp min", lambda x: x.clamp(min=0.1), lambda x: x.clamp(min=0.1)),
    ("clip max", lambda x: x.clip(max=0.3), lambda x: x.clip(max=0.3)),
    ("pow", lambda x: x.abs().pow(1.5), lambda x: x.abs().pow(1.5)),
    ("clone", lambda x: x.clone() * x, lambda x: x.clone() * x),
    ("t", lambda x: x.t() @ x, lambda x: x.t() @ x),
    ("abs builtin", lambda x: abs(x), lambda x: abs(x)),
    (
        "unsqueeze squeeze",
        lambda x: x.unsqueeze(1).squeeze(1) * x.unsqueeze(-1).squeeze(),
        lambda x: x.unsqueeze(1).squeeze(1) * x.unsqueeze(-1).squeeze(),
    ),
    ("view flatten", lambda x: x.view(2, 6).flatten(), lambda x: x.view(2, 6).flatten()),
    ("flatten dims", lambda x: x.reshape(3, 2, 2).flatten(1), lambda x: x.reshape(3, 2, 2).flatten(1)),
    ("permute", lambda x: x.reshape(3, 2, 2).permute(2, 0, 1), lambda x: x.reshape(3, 2, 2).permute(2, 0, 1)),
    ("expand", lambda x: x[0].expand(5, -1) * 2.0, lambda x: x[0].expand(5, -1) * 2.0),
    ("sum dim", lambda x: x.sum(dim=1, keepdim=True), lambda x: x.sum(dim=1, keepdim=True)),
    ("mean dim", lambda x: x.mean(dim=(0, 1)), lambda x: x.mean(dim=(0, 1))),
    ("max dim", lambda x: x.max(dim=0).values, lambda x: x.max(dim=0).values),
    ("where on a comparison", lambda x: ag.where(x > 0, x, 0.1 * x), lambda x: x.where(x > 0, 0.1 * x)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=IDS)
def test_values_and_gradients_equal_pytorch(name, ours, theirs):
    torch = pytest.importorskip("torch")
    x, tx = Tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    ((out + 1) ** 2).mean().backward()
    ((tout + 1) ** 2).mean().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=IDS)
def test_gradients_equal_finite_differences(name, ours, theirs):
    assert ag.gradcheck(lambda x: ours(x), Tensor(X, requires_grad=True))


@pytest.mark.parametrize("name, ours, theirs", CASES, ids=IDS)
def test_float32_stays_float32(name, ours, theirs):
    x = Tensor(X.astype(np.float32), requires_grad=True)
    out = ours(x)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_var_and_std_closed_forms():
    x = Tensor([1.0, 2.0, 3.0, 4.0])
    assert x.var().item() == pytest.approx(5 / 3) and x.var(unbiased=False).item() == pytest.approx(1.25)
    assert x.std(correction=0).item() == pytest.approx(np.sqrt(1.25))
    np.testing.assert_allclose(Tensor(X).var(axis=0, correction=2).data, np.var(X, axis=0, ddof=2))


def test_std_of_equal_values_has_gradient_zero_not_nan():
    """sqrt's slope is infinite at 0 and (x - mean) is 0 there: the product was NaN; PyTorch's subgradient is 0.
    Rows that are not constant keep var(...).sqrt()'s value and gradient bit for bit."""
    data = np.vstack([np.full(4, 1.5), X[:2]])
    x = Tensor(data, requires_grad=True)
    with np.errstate(all="raise"):  # no 0 * inf computed anywhere
        std = x.std(dim=1)
        std.sum().backward()
    assert std.data[0] == 0.0 and not np.isnan(x.grad).any()
    np.testing.assert_array_equal(x.grad[0], np.zeros(4))
    plain = Tensor(data[1:], requires_grad=True)
    reference = plain.var(dim=1).sqrt()
    reference.sum().backward()
    np.testing.assert_array_equal(std.data[1:], reference.data)
    np.testing.assert_array_equal(x.grad[1:], plain.grad)
    torch = pytest.importorskip("torch")
    t = torch.tensor(data, requires_grad=True)
    t.std(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clamp_follows_the_kink_rule_at_its_bounds():
    x = Tensor([0.0, 0.5, 1.0, -3.0, 3.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 1.0, 0.5, 0.0, 0.0])  # ties split evenly, as maximum


def test_min_shares_the_gradient_among_ties_like_max():
    x = Tensor([2.0, 1.0, 1.0], requires_grad=True)
    x.min().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])


# ------------------------------------------------------------------ no-gradient results
@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
def test_comparisons_are_boolean_tensors_without_gradient(op):
    x = Tensor(X, requires_grad=True)  # noqa: F841 (read by the eval strings below)
    expected = eval(f"X {op} 0.5")
    for result in (eval(f"x {op} 0.5"), eval(f"x {op} Tensor(np.full(4, 0.5))"), eval(f"x {op} np.full(4, 0.5)")):
        assert result.dtype == np.bool_ and not result.requires_grad and result.op is None
        np.testing.assert_array_equal(result.data, expected)
    reflected = eval(f"0.5 {op} x")
    np.testing.assert_array_equal(reflected.data, eval(f"0.5 {op} X"))


def test_equality_is_elementwise_but_hashing_stays_identity():
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    assert (a == b).data.all() and not (a != b).data.any()
    assert len({a: 1, b: 2}) == 2 and hash(a) != hash(b) and {a: 1}[a] == 1  # dict keys by identity
    assert (a == None) is False and (a != None) is True  # noqa: E711 (what a user may type)
    with pytest.raises(TypeError):
        a < "text"  # noqa: B015


def test_argmax_argmin_are_int64_without_gradient_and_match_numpy():
    x = Tensor(X, requires_grad=True)
    assert x.argmax().item() == X.argmax() and x.argmin().item() == X.argmin()
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(x.argmax(axis).data, X.argmax(axis))
        np.testing.assert_array_equal(x.argmin(dim=axis, keepdim=True).data, X.argmin(axis, keepdims=True))
    assert x.argmax(1).dtype == np.int64 and not x.argmax(1).requires_grad
    np.testing.assert_array_equal(ag.argmax(X, dim=1).data, X.argmax(1))


def test_conversions():
    x = Tensor(X, requires_grad=True)
    assert x.tolist() == X.tolist() and Tensor(2.5).tolist() == 2.5
    assert x.float().dtype == np.float32 and x.float().double().dtype == np.float64
    assert x.to(np.float32).dtype == np.float32 and x.to("cpu") is x and x.to(ag.float64) is x
    assert x.long().dtype == np.int64 and not x.long().requires_grad
    assert x.numel() == 12 and x.dim() == 2
    x.float().sum().backward()
    assert x.grad.dtype == np.float64 and (x.grad == 1).all()  # the gradient is cast back


def test_requires_grad_underscore_and_clone():
    leaf = Tensor([1.0, 2.0])
    assert leaf.requires_grad_() is leaf and leaf.requires_grad
    copy = leaf.clone()
    assert copy.requires_grad and not np.shares_memory(copy.data, leaf.data)
    assert leaf.requires_grad_(False).requires_grad is False
    ints = Tensor(np.arange(3))
    assert ints.clone().dtype == np.int64


def test_module_level_spellings():
    x = Tensor(X)
    for name in ("amin", "var", "std", "argmax", "argmin"):
        np.testing.assert_allclose(getattr(ag, name)(x, dim=1).data, getattr(x, name)(dim=1).data)
    np.testing.assert_array_equal(ag.min(x, dim=1).indices.data, x.argmin(1).data)
    np.testing.assert_allclose(ag.clamp(x, 0, 1).data, np.clip(X, 0, 1))
    np.testing.assert_allclose(ag.clip(x, max=0).data, np.minimum(X, 0))
    np.testing.assert_allclose(ag.pow(x, 2).data, X**2)
    assert ag.unsqueeze(x, 0).shape == (1, 3, 4) and ag.squeeze(ag.unsqueeze(x, 0)).shape == (3, 4)
    assert ag.flatten(x).shape == (12,) and ag.permute(x, 1, 0).shape == (4, 3)
    assert ag.sum(x, dim=0, keepdim=True).shape == (1, 4) and ag.clone(x).shape == (3, 4)
    for name in ("softmax", "log_softmax", "logsumexp"):  # dim= on the module-level spellings
        np.testing.assert_allclose(getattr(ag, name)(x, dim=0).data, getattr(ag, name)(x, axis=0).data)
    assert ag.logsumexp(x, dim=1, keepdim=True).shape == (3, 1)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda x: x.argmax(axis=(0, 1)), TypeError, r"argmax: axis must be one int or None"),
        (lambda x: x.argmin(5), np.exceptions.AxisError, r"argmin: axis 5 is out of range"),
        (lambda x: x.sum(axis=0, dim=1), TypeError, r"sum: give axis= or dim= \(the same thing\), not both"),
        (lambda x: x.flatten(1, 0), ValueError, r"flatten: start_dim \(1\) comes after end_dim \(0\)"),
        (lambda x: x.unsqueeze(4), np.exceptions.AxisError, r"unsqueeze: axis 4 is out of range"),
        (lambda x: x.expand(4), ValueError, r"expand: 1 sizes for a tensor with 2 axes"),
        (lambda x: x.expand(2, 4), ValueError, r"broadcast_to: cannot apply to shapes \(3, 4\)"),
        (lambda x: x.reshape(3, 2, 2).t(), ValueError, r"t: expects a tensor with at most 2 axes"),
        (lambda x: x.clamp(), ValueError, r"clamp: give min=, max= or both"),
        (lambda x: (x * 2).requires_grad_(), RuntimeError, r"requires_grad_: only leaf tensors"),
        (lambda x: Tensor(np.arange(3)).requires_grad_(), TypeError, r"requires_grad_: needs floating-point"),
        (lambda x: x.to("cuda"), ValueError, r"to: this engine runs on numpy \(the CPU\) only"),
    ],
)
def test_bad_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(X, requires_grad=True))


def test_engine_nn_viz_and_compile_never_compare_tensors_with_eq(monkeypatch):
    """== is elementwise now: a graph walk that used `in` on a list or `==` between tensors would
    silently compare values. Make == fail loudly and run every client of the graph."""
    import nn
    import viz

    def refuse(self, other):
        raise AssertionError("a tensor was compared with ==")

    monkeypatch.setattr(ag.Tensor, "__eq__", refuse)
    monkeypatch.setattr(ag.Tensor, "__ne__", refuse)
    a, b = Tensor(1.0, requires_grad=True), Tensor(1.0, requires_grad=True)  # equal values, distinct tensors
    y = a * b + a * a + b
    (ga, gb) = ag.grad(y, (a, b), retain_graph=True, create_graph=True)
    assert (ga.item(), gb.item()) == (3.0, 2.0)
    viz.backward_all(y)
    assert "digraph" in viz.draw_graph(y).source
    assert viz.explain(y, a).total is not None and len(ag.walk(y)) > 3
    model = nn.MLP([2, 4, 2], seed=0)
    data = Tensor(np.ones((3, 2)))
    step = ag.compile(lambda X: model(X).sum())
    for _ in range(3):
        step(data)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    model(data).sum().backward()
    optimizer.step()
    X, y = nn.datasets.make_moons(64, seed=0)  # fit, BatchNorm1d, Dropout, AdamW, a scheduler
    net = nn.Sequential(
        nn.Linear(2, 8, seed=0), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.1, seed=0), nn.Linear(8, 2, seed=1)
    )
    adamw = nn.optim.AdamW(net.parameters(), lr=0.01)
    history = nn.fit(
        net,
        nn.CrossEntropyLoss(),
        adamw,
        X,
        y,
        epochs=2,
        batch_size=16,
        validation=(X, y),
        progress=False,
        scheduler=nn.optim.lr_scheduler.StepLR(adamw, step_size=1),
    )
    assert len(history.val_acc) == 2
