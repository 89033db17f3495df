"""nn.optim.Adafactor and nn.optim.SparseAdam. Oracles: torch's own in float64, step by step (the same start, the same
gradients, every state compared by torch's key); closed forms (Adafactor's first step is alpha * sign(g) when the
squared gradient is rank one, its clipping caps the step's RMS at alpha * d; SparseAdam leaves the rows a
gradient does not touch, moments included); a resumed run against the uninterrupted one; every error message."""

import warnings

import numpy as np
import pytest

import nn
from autograd_core import Tensor
from nn.parameter import mark_sparse_grad

SHAPES = [(3, 4), (5,), (2, 3, 4), (4, 1)]


def random_run(shapes, steps, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal(shape) for shape in shapes]
    grads = [[scale * rng.standard_normal(shape) * rng.uniform(0.1, 3.0) for shape in shapes] for _ in range(steps)]
    return start, grads


def run_ours(make, start, grads, states=None):
    params = [Tensor(a.copy(), requires_grad=True) for a in start]
    opt = make(params)
    path = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        opt.step()
        states = [{k: np.copy(v) for k, v in opt.state[i].items()} for i in range(len(params))]
        path.append(([p.data.copy() for p in params], states))
    return opt, path


def run_torch(torch, make, start, grads, sparse_rows=False):
    params = [torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True) for a in start]
    opt = make(params)
    path = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            dense = torch.tensor(g)
            if sparse_rows:  # the nonzero rows as a sparse gradient, as torch's Embedding(sparse=True) gives
                rows = np.flatnonzero(np.abs(g).sum(axis=1))
                dense = torch.sparse_coo_tensor(torch.tensor(rows[None]), torch.tensor(g[rows]), g.shape)
            p.grad = dense
        opt.step()
        states = [{k: v.clone() if torch.is_tensor(v) else v for k, v in opt.state[p].items()} for p in params]
        path.append(([p.detach().numpy().copy() for p in params], states))
    return path


def assert_same_path(ours, theirs, tolerance):
    worst = 0.0
    for (our_params, our_states), (their_params, their_states) in zip(ours, theirs, strict=True):
        for a, b in zip(our_params, their_params):
            worst = max(worst, float(np.abs(a - b).max()))
        for mine, torch_state in zip(our_states, their_states):
            assert sorted(mine) == sorted(torch_state)
            for key, value in torch_state.items():
                value = value.item() if key == "step" and hasattr(value, "item") else value
                if key == "step":
                    assert int(mine[key]) == value
                else:
                    assert mine[key].shape == tuple(value.shape), key
                    worst = max(worst, float(np.abs(mine[key] - value.numpy()).max()))
    assert worst < tolerance
    return worst


ADAFACTOR = {
    "defaults": dict(),
    "lr, weight decay, beta2_decay": dict(lr=0.05, weight_decay=0.1, beta2_decay=-0.5),
    "eps1 given, clipping at 2": dict(eps=(1e-20, 1e-2), d=2.0),
    "maximize": dict(lr=0.3, maximize=True),
}


@pytest.mark.parametrize("setting", list(ADAFACTOR))
def test_adafactor_equals_torch_step_by_step(setting):
    torch = pytest.importorskip("torch")
    kwargs = ADAFACTOR[setting]
    start, grads = random_run(SHAPES, 12)
    _, ours = run_ours(lambda p: nn.optim.Adafactor(p, **kwargs), start, grads)
    theirs = run_torch(torch, lambda p: torch.optim.Adafactor(p, **kwargs), start, grads)
    assert_same_path(ours, theirs, 1e-12)


def test_adafactor_first_step_is_alpha_times_the_sign_when_the_squares_are_rank_one():
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 4))
    signs = np.sign(rng.standard_normal((3, 4)))
    grad = signs * np.outer(rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 4))  # g**2 = a b^T: the factors are exact
    w = Tensor(start.copy(), requires_grad=True)
    opt = nn.optim.Adafactor([w], lr=0.2)
    w.grad = grad
    opt.step()
    alpha = max(1e-3, np.sqrt(np.mean(start**2))) * 0.2
    np.testing.assert_allclose(w.data, start - alpha * signs, rtol=1e-13)
    np.testing.assert_allclose(opt.state[0]["row_var"][:, 0], np.mean(grad**2, axis=1), rtol=1e-14)
    np.testing.assert_allclose(opt.state[0]["col_var"][0], np.mean(grad**2, axis=0), rtol=1e-14)


def test_adafactor_vector_by_hand_and_the_clipping_caps_the_step_rms():
    w = Tensor([3.0, -4.0], requires_grad=True)
    opt = nn.optim.Adafactor([w], lr=0.1, weight_decay=0.5)
    w.grad = np.array([6.0, -8.0])
    opt.step()  # alpha from the weights before decay: 0.1 * sqrt(12.5); then decay by 1 - 0.1 * 0.5
    alpha = 0.1 * np.sqrt(12.5)
    np.testing.assert_allclose(w.data, np.array([3.0, -4.0]) * 0.95 - alpha * np.array([1.0, -1.0]), rtol=1e-14)
    before = w.data.copy()
    w.grad = np.array([100.0, 100.0])  # far above the running variance: RMS(U) > d = 1, so clipped
    opt.step()
    weight = 2.0**-0.8
    variance = (1 - weight) * np.array([36.0, 64.0]) + weight * np.array([100.0, 100.0]) ** 2
    update = np.array([100.0, 100.0]) / np.sqrt(variance)
    rms = np.sqrt(np.mean(update**2))
    assert rms > 1
    alpha = np.sqrt(np.mean(before**2)) * 0.1
    np.testing.assert_allclose(w.data, before * 0.95 - alpha * update / rms, rtol=1e-13)
    step = w.data - before * 0.95
    assert np.sqrt(np.mean(step**2)) == pytest.approx(alpha * 1.0, rel=1e-13)  # the step's RMS is alpha * d


def test_adafactor_state_dict_round_trip_resumes_exactly():
    start, grads = random_run(SHAPES, 10, seed=3)
    uninterrupted, path = run_ours(lambda p: nn.optim.Adafactor(p, lr=0.05), start, grads)
    params = [Tensor(a.copy(), requires_grad=True) for a in start]
    first = nn.optim.Adafactor(params, lr=0.05)
    for step_grads in grads[:4]:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        first.step()
    saved = first.state_dict()
    assert sorted(saved["state"][0]) == ["col_var", "row_var", "step"] and sorted(saved["state"][1]) == [
        "step",
        "variance",
    ]
    resumed = nn.optim.Adafactor(params, lr=0.05)
    resumed.load_state_dict(saved)
    for step_grads in grads[4:]:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        resumed.step()
    for p, final in zip(params, path[-1][0]):
        np.testing.assert_array_equal(p.data, final)
    assert resumed.state_dict()["state"][2]["step"] == uninterrupted.state_dict()["state"][2]["step"] == 10


def test_adafactor_load_state_dict_checks_the_factors():
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    opt = nn.optim.Adafactor([w])
    w.grad = np.ones((3, 4))
    opt.step()
    saved = opt.state_dict()
    wrong = {**saved, "state": {0: {**saved["state"][0], "row_var": np.zeros((3, 4))}}}
    with pytest.raises(ValueError, match=r"state 'row_var' of parameter 0 has shape \(3, 4\).*expected finite "
                       r"values of shape \(3, 1\) \(parameter shape \(3, 4\)\)"):  # fmt: skip
        opt.load_state_dict(wrong)
    missing = {**saved, "state": {0: {"step": 1, "row_var": np.zeros((3, 1))}}}
    with pytest.raises(ValueError, match=r"holds \['row_var', 'step'\]; a parameter of 2 or more axes holds both"):
        opt.load_state_dict(missing)
    np.testing.assert_array_equal(opt.state[0]["row_var"], saved["state"][0]["row_var"])  # unchanged


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1.0), r"Adafactor: lr must be >= 0.0, got -1.0"),
        (dict(beta2_decay=0.5), r"Adafactor: beta2_decay must be <= 0 \(beta2_t = 1 - t\*\*beta2_decay\), got 0.5"),
        (dict(eps=1e-3), r"Adafactor: eps must be a pair \(eps1 or None, eps2\), got 0.001"),
        (dict(eps=(None, -1.0)), r"Adafactor: eps\[1\] must be >= 0.0, got -1.0"),
        (dict(d=0.5), r"Adafactor: d must be >= 1.0, got 0.5"),
        (dict(weight_decay=-0.1), r"Adafactor: weight_decay must be >= 0.0, got -0.1"),
    ],
)
def test_adafactor_refuses_what_torch_refuses(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.optim.Adafactor([Tensor(np.ones(2), requires_grad=True)], **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises((ValueError, TypeError)):
        torch.optim.Adafactor([torch.zeros(2, requires_grad=True)], **kwargs)


def test_adafactor_and_sparse_adam_have_torch_s_defaults_and_argument_names():
    import inspect

    torch = pytest.importorskip("torch")
    for name in ("Adafactor", "SparseAdam", "Muon"):
        ours = getattr(nn.optim, name)([Tensor(np.ones((2, 2)), requires_grad=True)])
        theirs = getattr(torch.optim, name)([torch.ones(2, 2, requires_grad=True)])
        assert ours.defaults == {k: v for k, v in theirs.defaults.items() if k != "foreach"}, name
        assert list(inspect.signature(type(ours)).parameters) == [
            a for a in inspect.signature(type(theirs)).parameters if a != "foreach"
        ]
        assert name in nn.optim.__all__


# ---------------------------------------------------------------- SparseAdam


def sparse_rows_run(steps, seed=0):
    rng = np.random.default_rng(seed)
    start = [rng.standard_normal((6, 3))]
    grads = []
    for _ in range(steps):
        g = rng.standard_normal((6, 3))
        g[rng.choice(6, size=rng.integers(0, 6), replace=False)] = 0.0  # some rows untouched (sometimes all)
        grads.append([g])
    return start, grads


def sparse_table(params):
    for p in params:
        mark_sparse_grad(p)
    return params


@pytest.mark.parametrize("kwargs", [dict(), dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.1, maximize=True)])
def test_sparse_adam_equals_torch_on_sparse_gradients_step_by_step(kwargs):
    torch = pytest.importorskip("torch")
    start, grads = sparse_rows_run(15)
    _, ours = run_ours(lambda p: nn.optim.SparseAdam(sparse_table(p), **kwargs), start, grads)
    theirs = run_torch(torch, lambda p: torch.optim.SparseAdam(p, **kwargs), start, grads, sparse_rows=True)
    assert_same_path(ours, theirs, 1e-13)


def test_sparse_adam_with_embeddings_equals_torch_s_embedding_sparse_true():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = nn.Embedding(10, 4, sparse=True, padding_idx=0, seed=0)
    theirs = torch.nn.Embedding(10, 4, sparse=True, padding_idx=0).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
    our_opt, their_opt = (
        nn.optim.SparseAdam(ours.parameters(), lr=0.05),
        torch.optim.SparseAdam(list(theirs.parameters()), lr=0.05),
    )
    for _ in range(12):
        indices, targets = rng.integers(0, 6, size=(5, 2)), rng.standard_normal((5, 2, 4))
        our_opt.zero_grad()
        ((ours(indices) - targets) ** 2).sum().backward()
        our_opt.step()
        their_opt.zero_grad()
        ((theirs(torch.tensor(indices)) - torch.tensor(targets)) ** 2).sum().backward()
        their_opt.step()
        np.testing.assert_allclose(ours.weight.data, theirs.weight.detach().numpy(), rtol=1e-12, atol=1e-14)
    state = their_opt.state[theirs.weight]
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(our_opt.state[0][key], state[key].numpy(), rtol=1e-12, atol=1e-14)
    assert our_opt.state[0]["step"] == state["step"] == 12
    assert not our_opt.state[0]["exp_avg"][6:].any()  # rows never looked up: no moments, no change


def test_sparse_adam_leaves_untouched_rows_and_is_adam_like_on_the_rows_used():
    start = np.array([[1.0, -2.0], [0.5, 0.5], [3.0, 1.0]])
    w = mark_sparse_grad(Tensor(start.copy(), requires_grad=True))
    opt = nn.optim.SparseAdam([w], lr=0.1, eps=1e-12)
    w.grad = np.array([[2.0, -4.0], [0.0, 0.0], [0.0, 0.0]])
    opt.step()  # the first step: lr * sign(g) on row 0 only
    np.testing.assert_allclose(w.data, [[0.9, -1.9], [0.5, 0.5], [3.0, 1.0]], rtol=1e-10)
    row_0 = w.data[0].copy()
    w.grad = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    opt.step()  # row 2 at step t = 2 with m = 0.1 g, v = 0.001 g**2: lr sqrt(1 - b2**2) / (1 - b1**2) * 0.1/sqrt(.001)
    expected = 0.1 * np.sqrt(1 - 0.999**2) / (1 - 0.9**2) * 0.1 / np.sqrt(0.001)
    np.testing.assert_allclose(w.data[2], [3.0 - expected, 1.0 - expected], rtol=1e-10)
    np.testing.assert_array_equal(w.data[0], row_0)  # untouched this step: not moved by its momentum
    np.testing.assert_array_equal(opt.state[0]["exp_avg"][1], [0.0, 0.0])
    assert opt.state[0]["step"] == 2


def test_sparse_adam_state_dict_round_trip():
    start, grads = sparse_rows_run(8, seed=2)
    _, path = run_ours(lambda p: nn.optim.SparseAdam(sparse_table(p), lr=0.05), start, grads)
    params = sparse_table([Tensor(a.copy(), requires_grad=True) for a in start])
    first = nn.optim.SparseAdam(params, lr=0.05)
    for (g,) in grads[:3]:
        params[0].grad = g.copy()
        first.step()
    resumed = nn.optim.SparseAdam(params, lr=0.05)
    resumed.load_state_dict(first.state_dict())
    for (g,) in grads[3:]:
        params[0].grad = g.copy()
        resumed.step()
    np.testing.assert_array_equal(params[0].data, path[-1][0][0])


def test_sparse_adam_refuses_dense_gradients_as_torch_does_and_says_to_use_adam():
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    opt = nn.optim.SparseAdam([w])
    w.grad = np.ones((3, 2))
    with pytest.raises(
        RuntimeError,
        match=r"SparseAdam does not support dense gradients, please consider Adam instead: parameter 0 \(shape "
        r"\(3, 2\)\) has a dense gradient\. .*only an nn.Embedding\(sparse=True\) .*use nn.optim.Adam",
    ):
        opt.step()
    torch = pytest.importorskip("torch")
    p = torch.ones(3, 2, requires_grad=True)
    p.grad = torch.ones(3, 2)
    with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please consider Adam"):
        torch.optim.SparseAdam([p]).step()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=0.0), r"SparseAdam: lr must be > 0 \(torch's check\), got 0.0"),
        (dict(eps=0.0), r"SparseAdam: eps must be > 0 \(torch's check\), got 0.0"),
        (dict(betas=(1.0, 0.9)), r"SparseAdam: betas\[0\] must be >= 0.0 and < 1.0, got 1.0"),
    ],
)
def test_sparse_adam_refuses_what_torch_refuses(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.optim.SparseAdam([Tensor(np.ones(2), requires_grad=True)], **kwargs)
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError):
        torch.optim.SparseAdam([torch.zeros(2, requires_grad=True)], **kwargs)
