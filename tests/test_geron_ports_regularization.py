"""Géron, *Hands-On Machine Learning*, chapter 11's regularisation, as a PyTorch reader writes it (the notebook's
own cells where it has them): l1/l2 penalties and weight decay (L2 in SGD, decoupled in AdamW, per parameter
group), dropout, alpha dropout for SELU nets, MC dropout (dropout kept on at inference, N predictions averaged)
against its closed-form mean and variance, and max-norm regularisation written the book's way (norm, clamp,
rescale) and as ``renorm_``. Gradient clipping: test_geron_ports_clipping.py.
"""

import copy
import math

import numpy as np
import pytest
from geron_helpers import deep_activations

import autograd_core as torch
import nn
import nn.functional as F


# ------------------------------------------------------------------------------- l1 / l2 and weight decay
def test_sgd_weight_decay_is_an_l2_penalty_of_half_lambda():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 1))
    lam = 0.1
    steps = []
    for decay in (True, False):
        torch.manual_seed(0)
        model = nn.Linear(3, 1, bias=False)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.05, weight_decay=lam if decay else 0.0)
        for _ in range(5):
            loss = F.mse_loss(model(X), y)
            if not decay:
                loss = loss + lam / 2 * F.l2_penalty(model)  # sum of squares: its gradient lam * w
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        steps.append(model.weight.data.copy())
    np.testing.assert_allclose(steps[0], steps[1], rtol=1e-14)


def test_l1_penalty_adds_lambda_sign_w_to_the_gradient():
    w = torch.tensor([0.5, -2.0, 0.0, 3.0], requires_grad=True)
    (0.01 * F.l1_penalty([w])).backward()
    assert w.grad.tolist() == [0.01, -0.01, 0.0, 0.01]


def test_adamw_decouples_the_decay_from_adams_rescaling():
    # AdamW: w <- w - lr * (m_hat / (sqrt(v_hat) + eps) + lambda w); Adam with weight_decay rescales lambda w too
    g, w0, lr, lam = np.array([1e-3, -2.0]), np.array([1.0, 1.0]), 0.1, 0.5
    results = {}
    for name in ("AdamW", "Adam"):
        w = torch.tensor(w0.copy(), requires_grad=True)
        optimizer = getattr(nn.optim, name)([w], lr=lr, weight_decay=lam)
        w.grad = g.copy()
        optimizer.step()
        results[name] = w.data
    # one step: m_hat = g, v_hat = g^2, so Adam's part is sign(g) (eps aside)
    np.testing.assert_allclose(results["AdamW"], w0 - lr * (g / (np.abs(g) + 1e-8) + lam * w0), rtol=1e-12)
    g_l2 = g + lam * w0
    np.testing.assert_allclose(results["Adam"], w0 - lr * g_l2 / (np.abs(g_l2) + 1e-8), rtol=1e-12)


# ------------------------------------------------------------------------------- dropout and alpha dropout
def test_dropout_scales_kept_inputs_by_one_over_the_keep_probability_and_is_off_in_eval():
    drop = nn.Dropout(p=0.2)
    torch.manual_seed(42)
    out = drop(np.ones(100_000)).data
    assert set(np.unique(out)) == {0.0, 1.25} and out.mean() == pytest.approx(1.0, abs=0.01)
    drop.eval()
    assert drop(np.ones(5)).tolist() == [1.0] * 5


def test_alpha_dropout_keeps_a_standard_normal_input_at_mean_0_and_variance_1():
    x = np.random.default_rng(0).standard_normal(400_000)
    for p in (0.1, 0.2, 0.5):
        y = F.alpha_dropout(x, p, training=True, generator=1).data
        assert abs(y.mean()) < 0.01 and y.var() == pytest.approx(1.0, abs=0.01), p
        dropped_value = -1.0507009873554805 * 1.6732632423543772  # SELU's negative saturation alpha'
        a = ((1 - p) * (1 + p * dropped_value**2)) ** -0.5
        b = -a * dropped_value * p
        kept = ~np.isclose(y, a * dropped_value + b, rtol=0, atol=1e-12)
        assert (1 - kept.mean()) == pytest.approx(p, abs=0.005)
        np.testing.assert_allclose(y[kept], a * x[kept] + b, rtol=1e-12, atol=1e-15)
    assert F.alpha_dropout(x[:5], 0.5).tolist() == x[:5].tolist()  # training=False by default, as torch's


def test_alpha_dropout_equals_torchs_affine_map():
    torch_ = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(2000)
    theirs = torch_.nn.functional.alpha_dropout(torch_.tensor(x), 0.3, training=True).numpy()
    ours = F.alpha_dropout(x, 0.3, training=True, generator=0).data

    def most_common(out):  # the dropped value, shared by ~30% of the outputs
        values, counts = np.unique(out, return_counts=True)
        return values[counts.argmax()]

    assert most_common(ours) == pytest.approx(most_common(theirs), rel=1e-12)
    for out in (theirs, ours):  # the same affine map on the kept elements
        kept = out != most_common(out)
        a, b = np.polyfit(x[kept], out[kept], 1)
        a_paper = ((1 - 0.3) * (1 + 0.3 * 1.7580993408473766**2)) ** -0.5  # Klambauer et al.'s a and b
        assert (a, b) == pytest.approx((a_paper, a_paper * 1.7580993408473766 * 0.3), rel=1e-12)
    feature = torch_.nn.functional.feature_alpha_dropout(torch_.ones(4, 50, 3), 0.5, training=True).numpy()
    ours_feature = F.feature_alpha_dropout(np.ones((4, 50, 3)), 0.5, training=True, generator=0).data
    assert sorted(np.unique(feature.round(10))) == pytest.approx(sorted(np.unique(ours_feature.round(10))))
    assert (ours_feature == ours_feature[:, :, :1]).all()  # one draw per (n, c)


def test_alpha_dropout_keeps_a_deep_selu_net_normalised_where_dropout_does_not():
    _, alpha_stds = deep_activations(torch, nn, nn.Sequential(nn.SELU(), nn.AlphaDropout(0.1, seed=0)), depth=30)
    assert all(0.85 < s < 1.15 for s in alpha_stds)
    _, plain_stds = deep_activations(torch, nn, nn.Sequential(nn.SELU(), nn.Dropout(0.1, seed=0)), depth=30)
    assert plain_stds[-1] > 1.2  # plain dropout's 1/(1-p) scaling pushes the variance off the fixed point


def test_alpha_dropout_modules_train_eval_repr_and_errors():
    layer = nn.AlphaDropout(p=0.2)
    assert repr(layer) == "AlphaDropout(p=0.2, inplace=False)" and layer.eval()(np.ones(3)).tolist() == [1.0] * 3
    assert F.alpha_dropout(np.ones(3), 1.0, training=True).tolist() == [0.0] * 3  # nothing kept: zeros, as torch
    with pytest.raises(ValueError, match=r"AlphaDropout: p must be a probability in \[0, 1\], got 1.5"):
        nn.AlphaDropout(1.5)
    with pytest.raises(ValueError, match=r"feature_alpha_dropout: expected an input of shape \(N, C, \.\.\.\), got"):
        nn.FeatureAlphaDropout(0.2)(np.ones(3))


# ------------------------------------------------------------------------------- MC dropout
class MCDropout(nn.Dropout):
    """The book's subclass: dropout that stays on at inference."""

    def forward(self, x):
        return F.dropout(x, self.p, training=True)


def test_mc_dropout_average_converges_to_the_closed_form_mean_and_variance():
    # y = w . dropout(x): inverted dropout makes E[y] = w . x, Var[y] = sum (w_i x_i)^2 p / (1 - p)
    p, n = 0.3, 20_000
    torch.manual_seed(0)
    model = nn.Sequential(MCDropout(p), nn.Linear(5, 1, bias=False))
    model.eval()
    x = np.array([[1.0, -2.0, 0.5, 3.0, 1.5]])
    w = model[1].weight.data[0]
    with torch.no_grad():
        samples = model(x.repeat(n, axis=0)).data[:, 0]
    mean, var = (w * x[0]).sum(), ((w * x[0]) ** 2).sum() * p / (1 - p)
    assert samples.mean() == pytest.approx(mean, abs=4 * math.sqrt(var / n))
    assert samples.var() == pytest.approx(var, rel=0.05)


def test_mc_dropout_the_books_way_dropout_modules_back_in_train_mode():
    torch.manual_seed(42)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    model.eval()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.train()
    X_new = torch.tensor(np.random.default_rng(0).normal(size=(2, 4)))
    with torch.no_grad():
        X_new_repeated = X_new.repeat_interleave(100, dim=0)
        y_logits_all = model(X_new_repeated).reshape(2, 100, 3)
        y_probas_all = F.softmax(y_logits_all, dim=-1)
        y_probas = y_probas_all.mean(dim=1)
    assert y_probas.shape == (2, 3) and np.allclose(y_probas.data.sum(axis=1), 1.0, rtol=1e-14)
    assert y_probas_all.std(dim=1).data.min() > 0  # the samples differ: dropout ran at inference
    model.eval()
    with torch.no_grad():
        deterministic = F.softmax(model(X_new), dim=-1)
    assert np.abs(y_probas.data - deterministic.data).max() < 0.2  # the average is near the plain prediction


def test_the_notebooks_mc_dropout_cell_as_printed():
    # torch.FloatTensor(images / 255), repeat_interleave, reshape(3, 100, 10), softmax, mean, std, round(decimals=2)
    torch.manual_seed(42)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Dropout(p=0.2), nn.Linear(8 * 8, 100), nn.ReLU(),
        nn.Dropout(p=0.2), nn.Linear(100, 10),
    )  # fmt: skip
    model.eval()
    for module in model.modules():
        if isinstance(module, nn.Dropout):
            module.train()
    images, _ = nn.datasets.load_digits()
    X_new = torch.FloatTensor(images[:3].reshape(3, 1, 8, 8) / 16)
    assert X_new.dtype == np.float32 and X_new.shape == (3, 1, 8, 8)
    with torch.no_grad():
        X_new_repeated = X_new.repeat_interleave(100, dim=0)
        y_logits_all = model(X_new_repeated).reshape(3, 100, 10)
        y_probas_all = F.softmax(y_logits_all, dim=-1)
        y_probas = y_probas_all.mean(dim=1)
    y_std = y_probas_all.std(dim=1)
    rounded = y_probas.round(decimals=2)
    assert np.array_equal(rounded.data, np.round(y_probas.data, 2)) and rounded.dtype == y_probas.dtype
    assert (y_std.data > 0).all()  # a hundred different dropout masks per image
    assert torch.LongTensor([1.7, -1.7]).tolist() == [1, -1] and torch.FloatTensor(2, 3).shape == (2, 3)
    with pytest.raises(TypeError, match=r"FloatTensor: give one array of data, or the sizes as ints"):
        torch.FloatTensor([1.0], [2.0])


def test_the_notebooks_l2_loss_by_hand_equals_weight_decay_in_a_parameter_group():
    # the book: loss = main_loss + 1e-4 * sum(param.pow(2.0).sum() ...) over weights only, versus SGD param groups
    # {"params": weights, "weight_decay": 2e-4}, {"params": biases, "weight_decay": 0}: the same steps
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 5)), rng.integers(0, 3, 64)
    torch.manual_seed(0)
    by_hand = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    grouped = copy.deepcopy(by_hand)
    params_to_regularize = [param for name, param in by_hand.named_parameters() if "bias" not in name]
    optimizer = nn.optim.SGD(by_hand.parameters(), lr=0.05)
    optimizer_groups = nn.optim.SGD(
        [
            {"params": [p for n, p in grouped.named_parameters() if "bias" not in n], "weight_decay": 2e-4},
            {"params": [p for n, p in grouped.named_parameters() if "bias" in n], "weight_decay": 0},
        ],
        lr=0.05,
    )
    for start in range(0, 64, 16):
        X_batch, y_batch = X[start : start + 16], y[start : start + 16]
        main_loss = F.cross_entropy(by_hand(X_batch), y_batch)
        l2_loss = sum(param.pow(2.0).sum() for param in params_to_regularize)
        loss = main_loss + 1e-4 * l2_loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        F.cross_entropy(grouped(X_batch), y_batch).backward()
        optimizer_groups.step()
        optimizer_groups.zero_grad()
    for a, b in zip(by_hand.parameters(), grouped.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------------------- max-norm
def apply_max_norm(model, max_norm=2, epsilon=1e-8, dim=1):
    """The book's max-norm: each unit's incoming weights (a row of an (out, in) weight) kept to norm <= max_norm."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "bias" not in name:
                actual_norm = param.norm(p=2, dim=dim, keepdim=True)
                target_norm = torch.clamp(actual_norm, 0, max_norm)
                param *= target_norm / (epsilon + actual_norm)


def test_max_norm_the_books_way_equals_renorm_and_torchs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 3))
    with torch.no_grad():
        for p in model.parameters():
            p *= 10  # some rows above the max norm, biases too
    twin = nn.Sequential(nn.Linear(20, 10), nn.ReLU(), nn.Linear(10, 3))
    twin.load_state_dict(model.state_dict())
    apply_max_norm(model, max_norm=2)
    with torch.no_grad():
        for name, param in twin.named_parameters():
            if "bias" not in name:
                param.renorm_(2, 0, 2.0)  # torch's spelling: the slices along dim 0 are the rows
    for (name, mine), theirs in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(mine.data, theirs.data, rtol=1e-7, err_msg=name)
        if "bias" not in name:
            assert np.linalg.norm(mine.data, axis=1).max() <= 2.0
    torch_ = pytest.importorskip("torch")
    w = model[0].weight.data * 3
    np.testing.assert_allclose(torch.renorm(w, 2, 0, 2.0).data, torch_.renorm(torch_.tensor(w), 2, 0, 2.0).numpy())


def test_renorm_gradient_and_errors_against_torch():
    torch_ = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(3, 4, 2)) * 2, rng.normal(size=(3, 4, 2))
    for p, dim, maxnorm in [(2, 0, 1.5), (1, 1, 2.0), (math.inf, -1, 1.0), (3, 2, 0.5)]:
        ours = torch.tensor(x, requires_grad=True)
        (torch.renorm(ours, p, dim, maxnorm) * g).sum().backward()
        theirs = torch_.tensor(x, requires_grad=True)
        out = torch_.renorm(theirs, p, dim, maxnorm)
        (out * torch_.tensor(g)).sum().backward()
        np.testing.assert_allclose(ours.renorm(p, dim, maxnorm).data, out.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert torch.gradcheck(lambda t: torch.renorm(t, 2, 1, 1.0), (torch.tensor(x, requires_grad=True),))
    with pytest.raises(ValueError, match=r"renorm: needs a tensor of at least 2 axes .* got shape \(3,\)"):
        torch.renorm(torch.ones(3), 2, 0, 1.0)
    with pytest.raises(ValueError, match=r"renorm: maxnorm must be a number >= 0 \(finite\), got -1"):
        torch.renorm(torch.ones(3, 2), 2, 0, -1)
    with pytest.raises(ValueError, match=r"renorm: dim must be an int in \[-2, 1\] for shape \(3, 2\), got 2"):
        torch.renorm(torch.ones(3, 2), 2, 2, 1.0)


def test_dropout_takes_torchs_inplace_and_refuses_a_seed_in_its_place():
    torch.manual_seed(0)
    assert nn.Dropout(p=0.2, inplace=True).inplace and nn.Dropout(0.5, True).eval()(np.ones(2)).tolist() == [1.0, 1.0]
    assert (
        F.dropout(np.ones(4), 0.5, True, False, generator=0).tolist()
        == F.dropout(np.ones(4), 0.5, generator=0).tolist()
    )
    assert nn.Dropout2d(0.3, inplace=True).p == 0.3 and nn.RReLU(0.1, 0.3, True).inplace
    with pytest.raises(
        TypeError,
        match=r"Dropout: inplace \(torch's second argument\) must be True or False, got 0; "
        r"give the seed by name: seed=0$",
    ):
        nn.Dropout(0.5, 0)
    with pytest.raises(TypeError, match=r"F.dropout: inplace \(torch's 4th argument\) .* generator=1"):
        F.dropout(np.ones(3), 0.5, True, 1)
