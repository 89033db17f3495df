"""nn.optim.Muon. Oracles: torch's Muon step by step, with its bfloat16 cast made a no-op (its own algorithm then
runs in float64, as ours) and as shipped (bfloat16: agreement to bfloat16's precision); the Newton-Schulz map's
closed form on singular values (U f(S) V^T, f applied ns_steps times to the normalised singular values); the
first step's closed form; a resumed run; every error message."""

import numpy as np
import pytest
from test_nn_more_optim import assert_same_path, random_run, run_ours, run_torch

import nn
from autograd_core import Tensor
from nn.optim.muon import NS_COEFFICIENTS, adjusted_lr, zeropower_via_newtonschulz

SHAPES = [(4, 6), (6, 4), (5, 5)]
SETTINGS = {
    "defaults": dict(),
    "plain momentum, lr": dict(lr=0.02, nesterov=False, momentum=0.9),
    "match_rms_adamw, no decay": dict(lr=0.01, weight_decay=0.0, adjust_lr_fn="match_rms_adamw"),
    "original, more steps": dict(lr=0.05, ns_steps=8, adjust_lr_fn="original", eps=1e-5),
}


@pytest.mark.parametrize("setting", list(SETTINGS))
def test_equal_to_torch_with_its_bfloat16_cast_removed(setting, monkeypatch):
    torch = pytest.importorskip("torch")
    kwargs = SETTINGS[setting]
    start, grads = random_run(SHAPES, 12)
    _, ours = run_ours(lambda p: nn.optim.Muon(p, **kwargs), start, grads)
    monkeypatch.setattr(torch.Tensor, "bfloat16", lambda self: self.clone())  # torch's algorithm in float64
    theirs = run_torch(torch, lambda p: torch.optim.Muon(p, **kwargs), start, grads)
    assert_same_path(ours, theirs, 1e-12)


def test_close_to_torch_as_shipped_in_bfloat16():
    torch = pytest.importorskip("torch")
    start, grads = random_run(SHAPES, 12, seed=5)
    _, ours = run_ours(lambda p: nn.optim.Muon(p, lr=0.02), start, grads)
    theirs = run_torch(torch, lambda p: torch.optim.Muon(p, lr=0.02), start, grads)
    for a, b, s in zip(ours[-1][0], theirs[-1][0], start):
        moved_ours, moved_theirs = a - s, b - s
        relative = np.linalg.norm(moved_ours - moved_theirs) / np.linalg.norm(moved_theirs)
        assert relative < 0.02  # bfloat16 keeps 8 bits: ~0.4% per rounding, through 5 iterations


def test_newton_schulz_acts_on_the_singular_values_alone():
    rng = np.random.default_rng(0)
    u, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    v, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    singular = np.array([4.0, 1.0, 0.05])
    matrix = u[:, :3] @ np.diag(singular) @ v.T  # tall: the iteration runs on its transpose
    a, b, c = NS_COEFFICIENTS
    s = singular / np.linalg.norm(singular)
    for _ in range(5):
        s = a * s + b * s**3 + c * s**5
    np.testing.assert_allclose(zeropower_via_newtonschulz(matrix), u[:, :3] @ np.diag(s) @ v.T, atol=1e-13)
    assert np.all((s > 0.6) & (s < 1.25))  # pushed towards 1 from 0.24, 0.97 and 0.012 of the norm


def test_the_first_step_is_the_orthogonalised_gradient_scaled_by_the_adjusted_lr():
    rng = np.random.default_rng(2)
    start, grad = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    for nesterov in (True, False):  # the first direction is a multiple of g either way, and the map is scale-free
        w = Tensor(start.copy(), requires_grad=True)
        opt = nn.optim.Muon([w], lr=0.1, weight_decay=0.2, nesterov=nesterov)
        w.grad = grad
        opt.step()
        expected = start * (1 - 0.1 * 0.2) - 0.1 * np.sqrt(6 / 3) * zeropower_via_newtonschulz(grad)
        np.testing.assert_allclose(w.data, expected, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(opt.state[0]["momentum_buffer"], 0.05 * grad, rtol=1e-14)
    assert adjusted_lr(1.0, None, (3, 6)) == 1.0 and adjusted_lr(1.0, "match_rms_adamw", (3, 100)) == 2.0


def test_state_dict_round_trip_resumes_exactly():
    start, grads = random_run(SHAPES, 8, seed=1)
    _, path = run_ours(lambda p: nn.optim.Muon(p, lr=0.02), start, grads)
    params = [Tensor(a.copy(), requires_grad=True) for a in start]
    first = nn.optim.Muon(params, lr=0.02)
    for step_grads in grads[:3]:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        first.step()
    resumed = nn.optim.Muon(params, lr=0.02)
    resumed.load_state_dict(first.state_dict())
    for step_grads in grads[3:]:
        for p, g in zip(params, step_grads):
            p.grad = g.copy()
        resumed.step()
    for p, final in zip(params, path[-1][0]):
        np.testing.assert_array_equal(p.data, final)


def test_trains_the_hidden_layer_of_an_mlp_with_adamw_for_the_rest():
    X, y = nn.datasets.make_moons(120, noise=0.1, seed=0)
    model = nn.MLP([2, 32, 2], seed=0)
    matrices = [p for p in model.parameters() if p.ndim == 2]
    muon = nn.optim.Muon(matrices, lr=0.05)
    adamw = nn.optim.AdamW([p for p in model.parameters() if p.ndim != 2], lr=0.01)
    losses = []
    for _ in range(60):
        muon.zero_grad(), adamw.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        loss.backward()
        muon.step(), adamw.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(lr=-1.0), r"Muon: lr must be >= 0.0, got -1.0"),
        (dict(momentum=-0.5), r"Muon: momentum must be >= 0.0, got -0.5"),
        (dict(weight_decay=-0.1), r"Muon: weight_decay must be >= 0.0, got -0.1"),
        (dict(ns_steps=100), r"Muon: ns_steps must be a whole number from 0 to 99 \(torch's limit\), got 100"),
        (dict(ns_coefficients=(1.0, 2.0)), r"Muon: ns_coefficients must be three numbers \(a, b, c\), got \(1.0, 2."),
        (dict(adjust_lr_fn="cubic"), r"Muon: adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got 'cubic'"),
    ],
)
def test_refuses_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.optim.Muon([Tensor(np.ones((2, 2)), requires_grad=True)], **kwargs)


def test_refuses_a_parameter_that_is_not_a_matrix_and_says_what_to_use():
    bias = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(
        ValueError,
        match=r"Muon: parameter 1 of group 0 has shape \(3,\); Muon updates 2-d weights only: give biases, .*"
        r"nn.optim.AdamW\(\[p for p in model.parameters\(\) if p.ndim != 2\]\)",
    ):
        nn.optim.Muon([Tensor(np.ones((2, 2)), requires_grad=True), bias])
    opt = nn.optim.Muon([Tensor(np.ones((2, 2)), requires_grad=True)])
    with pytest.raises(ValueError, match=r"parameter 0 of group 1 has shape \(3,\)"):
        opt.add_param_group({"params": [bias]})
    assert len(opt.param_groups) == 1 and len(opt.state) == 1  # left as it was
