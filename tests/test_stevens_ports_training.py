"""Stevens, Antiga & Viehmann, *Deep Learning with PyTorch*, chapters 5-6 ported with ``torch = ag``: the
thermometer (t_c = w * t_u + b) fitted by the hand-written gradient, then by autograd (``requires_grad=True``,
``with torch.no_grad(): params -= lr * params.grad``), then by ``optim.SGD`` and ``optim.Adam``; the
train/validation split by ``torch.randperm`` and ``torch.set_grad_enabled(is_train)``; chapter 6's ``nn.Linear``
on batches, ``nn.Sequential`` with an ``OrderedDict`` of named modules, ``named_parameters()``, ``nn.MSELoss``
and the book's training loop. The oracles: the losses, parameters and gradients the book prints (float32, as
the book's tensors), the least-squares closed form, finite differences, and torch.

Where the spelling differs here: ``params.grad`` is a numpy array (README), so the book's
``params.grad.zero_()`` is ``params.grad.fill(0)`` (or ``params.grad = None``), as written below.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.optim as optim
from tests.stevens_helpers import T_C, T_U, loss_fn, model, thermometer

torch = ag


def _grad_fn(t_u, t_c, t_p, w, b):
    """The book's analytic gradient: dL/dw and dL/db by the chain rule through the mean square loss."""
    dloss_dtp = 2 * (t_p - t_c) / t_p.size(0)
    return torch.stack([(dloss_dtp * t_u).sum(), (dloss_dtp * 1.0).sum()])


def _hand_loop(n_epochs, learning_rate, params, t_u, t_c):
    """5.4.4's training_loop: (loss, params, grad) recorded after each epoch."""
    trace = []
    for _ in range(n_epochs):
        w, b = params
        t_p = model(t_u, w, b)
        loss = loss_fn(t_p, t_c)
        grad = _grad_fn(t_u, t_c, t_p, w, b)
        params = params - learning_rate * grad
        trace.append((float(loss), params.tolist(), grad.tolist()))
    return trace


# ------------------------------------------------------------------- 5.3-5.4 by hand
def test_5_3_the_first_loss_and_the_finite_difference_step():
    t_c, t_u = thermometer()
    w, b = torch.ones(()), torch.zeros(())
    t_p = model(t_u, w, b)
    assert t_p.tolist() == pytest.approx(T_U)
    assert loss_fn(t_p, t_c).item() == pytest.approx(1763.8846, rel=1e-7)
    delta = 0.1
    rate_w = (loss_fn(model(t_u, w + delta, b), t_c) - loss_fn(model(t_u, w - delta, b), t_c)) / (2.0 * delta)
    rate_b = (loss_fn(model(t_u, w, b + delta), t_c) - loss_fn(model(t_u, w, b - delta), t_c)) / (2.0 * delta)
    # the loss is quadratic in w and b, so the central difference is the exact derivative (to float32)
    grad = _grad_fn(t_u, t_c, t_p, w, b)
    assert [rate_w.item(), rate_b.item()] == pytest.approx(grad.tolist(), rel=1e-4)
    assert grad.tolist() == pytest.approx([4517.2969, 82.6], rel=1e-7)


def test_5_4_a_too_large_rate_diverges_as_the_book_prints():
    t_c, t_u = thermometer()
    with np.errstate(over="ignore", invalid="ignore"):
        trace = _hand_loop(11, 1e-2, torch.tensor([1.0, 0.0], dtype=torch.float32), t_u, t_c)
    (loss1, params1, grad1), (loss2, params2, _), (loss3, params3, _) = trace[:3]
    assert loss1 == pytest.approx(1763.884644, rel=1e-7) and grad1 == pytest.approx([4517.2969, 82.6], rel=1e-7)
    assert params1 == pytest.approx([-44.1730, -0.8260], abs=1e-4)
    assert loss2 == pytest.approx(5802485.5, rel=1e-6) and params2 == pytest.approx([2568.4014, 45.1637], rel=1e-6)
    assert loss3 == pytest.approx(19408035840.0, rel=1e-6) and params3 == pytest.approx([-148527.7344, -2616.3933])
    assert trace[9][0] == pytest.approx(90901154706620645225508955521810432.0, rel=1e-6)
    assert trace[10][0] == float("inf")  # epoch 11: float32 overflows, as the book's "Loss inf"


def test_5_4_a_small_rate_crawls_and_normalising_the_input_converges_to_the_books_parameters():
    t_c, t_u = thermometer()
    slow = _hand_loop(100, 1e-4, torch.tensor([1.0, 0.0], dtype=torch.float32), t_u, t_c)
    book = {1: (1763.884644, [0.5483, -0.0083]), 2: (323.090546, [0.3623, -0.0118]), 3: (78.929634, [0.2858, -0.0135])}
    book |= {10: (29.105242, [0.2324, -0.0166]), 11: (29.104168, [0.2323, -0.0169])}
    book |= {99: (29.023582, [0.2327, -0.0435]), 100: (29.022669, [0.2327, -0.0438])}
    for epoch, (loss, params) in book.items():
        assert slow[epoch - 1][0] == pytest.approx(loss, rel=1e-6), epoch
        assert slow[epoch - 1][1] == pytest.approx(params, abs=1e-4), epoch
    t_un = 0.1 * t_u
    fast = _hand_loop(5000, 1e-2, torch.tensor([1.0, 0.0], dtype=torch.float32), t_un, t_c)
    book = {1: 80.364342, 2: 37.574917, 3: 30.871077, 10: 29.030487, 11: 28.941875, 4000: 2.927680, 5000: 2.927648}
    for epoch, loss in book.items():
        assert fast[epoch - 1][0] == pytest.approx(loss, rel=1e-5), epoch
    assert fast[-1][1] == pytest.approx([5.3671, -17.3012], abs=2e-4)
    w, b = np.polyfit(0.1 * np.array(T_U), np.array(T_C), 1)  # the least-squares line: where descent heads
    least = np.mean((w * 0.1 * np.array(T_U) + b - np.array(T_C)) ** 2)
    assert least <= fast[-1][0] <= least * (1 + 1e-5) and fast[-1][1] == pytest.approx([w, b], abs=5e-3)


# ------------------------------------------------------------------- 5.5 autograd
def test_5_5_autograd_gives_the_hand_written_gradient():
    t_c, t_u = thermometer()
    params = torch.tensor([1.0, 0.0], dtype=torch.float32, requires_grad=True)
    assert params.grad is None
    loss = loss_fn(model(t_u, *params), t_c)
    loss.backward()
    assert params.grad.tolist() == pytest.approx([4517.2969, 82.6], rel=1e-7)
    loss_fn(model(t_u, *params), t_c).backward()  # a second backward accumulates: the book's reason to zero
    assert params.grad.tolist() == pytest.approx([2 * 4517.2969, 2 * 82.6], rel=1e-7)


def _autograd_loop(n_epochs, learning_rate, params, t_u, t_c):
    """5.5.1's training_loop, as the book writes it (its grad.zero_() is numpy's fill(0) here)."""
    losses = []
    for _ in range(n_epochs):
        if params.grad is not None:
            params.grad.fill(0)  # the book: params.grad.zero_()
        loss = loss_fn(model(t_u, *params), t_c)
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
        losses.append(float(loss))
    return params, losses


def test_5_5_the_autograd_loop_prints_the_books_losses_and_matches_the_hand_loop():
    t_c, t_u = thermometer()
    t_un = 0.1 * t_u
    params, losses = _autograd_loop(
        5000, 1e-2, torch.tensor([1.0, 0.0], dtype=torch.float32, requires_grad=True), t_un, t_c
    )
    book = {500: 7.860116, 1000: 3.828538, 1500: 3.092191, 2000: 2.957697, 2500: 2.933134, 3000: 2.928648}
    book |= {3500: 2.927830, 4000: 2.927679, 4500: 2.927652, 5000: 2.927647}
    for epoch, loss in book.items():
        assert losses[epoch - 1] == pytest.approx(loss, rel=2e-6), epoch
    assert params.tolist() == pytest.approx([5.3671, -17.3012], abs=2e-4) and params.requires_grad
    hand = _hand_loop(5000, 1e-2, torch.tensor([1.0, 0.0], dtype=torch.float32), t_un, t_c)
    assert [loss for loss, _, _ in hand] == pytest.approx(losses, rel=1e-5)


def test_5_5_sgd_is_the_hand_update_and_adam_ends_at_the_books_parameters():
    t_c, t_u = thermometer()
    params = torch.tensor([1.0, 0.0], dtype=torch.float32, requires_grad=True)
    optimizer = optim.SGD([params], lr=1e-5)
    loss_fn(model(t_u, *params), t_c).backward()
    optimizer.step()
    assert params.tolist() == pytest.approx([9.5483e-01, -8.2600e-04], rel=1e-4)

    def optimizer_loop(n_epochs, optimizer, params, t_u):
        losses = []
        for _ in range(n_epochs):
            loss = loss_fn(model(t_u, *params), t_c)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss))
        return losses

    params = torch.tensor([1.0, 0.0], dtype=torch.float32, requires_grad=True)
    sgd = optimizer_loop(5000, optim.SGD([params], lr=1e-2), params, 0.1 * t_u)
    by_hand = _autograd_loop(
        5000, 1e-2, torch.tensor([1.0, 0.0], dtype=torch.float32, requires_grad=True), 0.1 * t_u, t_c
    )
    assert sgd == by_hand[1] and params.tolist() == by_hand[0].tolist()  # the same arithmetic, bit for bit
    params = torch.tensor([1.0, 0.0], dtype=torch.float32, requires_grad=True)
    adam = optimizer_loop(2000, optim.Adam([params], lr=1e-1), params, t_u)  # unnormalised t_u: Adam copes
    for epoch, loss in {500: 7.612903, 1000: 3.086700, 1500: 2.928578, 2000: 2.927646}.items():
        assert adam[epoch - 1] == pytest.approx(loss, rel=1e-5), epoch
    assert params.tolist() == pytest.approx([0.5367, -17.3021], abs=2e-4)


def test_5_5_adam_on_the_thermometer_equals_torch_epoch_by_epoch():
    torch_ = pytest.importorskip("torch")
    t_c, t_u = np.array(T_C), np.array(T_U)
    ours = torch.tensor([1.0, 0.0], requires_grad=True)
    theirs = torch_.tensor([1.0, 0.0], dtype=torch_.float64, requires_grad=True)
    opt_ours, opt_theirs = optim.Adam([ours], lr=1e-1), torch_.optim.Adam([theirs], lr=1e-1)
    for _ in range(300):
        for p, opt, lib in ((ours, opt_ours, torch), (theirs, opt_theirs, torch_)):
            loss = ((p[0] * lib.tensor(t_u) + p[1] - lib.tensor(t_c)) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10)


# ------------------------------------------------------------------- 5.5.3 train / validation
def test_5_5_3_randperm_split_and_set_grad_enabled():
    t_c, t_u = thermometer()
    torch.manual_seed(0)
    n_samples = t_u.shape[0]
    n_val = int(0.2 * n_samples)
    shuffled_indices = torch.randperm(n_samples)
    train_indices, val_indices = shuffled_indices[:-n_val], shuffled_indices[-n_val:]
    assert sorted(train_indices.tolist() + val_indices.tolist()) == list(range(11)) and len(val_indices) == 2
    train_t_un, val_t_un = 0.1 * t_u[train_indices], 0.1 * t_u[val_indices]
    train_t_c, val_t_c = t_c[train_indices], t_c[val_indices]
    params = torch.tensor([1.0, 0.0], dtype=torch.float32, requires_grad=True)
    optimizer = optim.SGD([params], lr=1e-2)
    for _ in range(3000):
        train_loss = loss_fn(model(train_t_un, *params), train_t_c)
        with torch.no_grad():
            val_loss = loss_fn(model(val_t_un, *params), val_t_c)
            assert val_loss.requires_grad is False
        optimizer.zero_grad()
        train_loss.backward()
        optimizer.step()
    w, b = np.polyfit(train_t_un.data, train_t_c.data, 1)  # training fits the training points alone
    least = np.mean((w * train_t_un.data + b - train_t_c.data) ** 2)
    assert least <= train_loss.item() <= least * (1 + 1e-3) and params.tolist() == pytest.approx([w, b], abs=5e-2)

    def calc_forward(t_u, t_c, is_train):
        with torch.set_grad_enabled(is_train):
            return loss_fn(model(t_u, *params), t_c)

    assert calc_forward(train_t_un, train_t_c, True).requires_grad
    assert not calc_forward(val_t_un, val_t_c, False).requires_grad and torch.is_grad_enabled()


# ------------------------------------------------------------------- 6.2-6.3 nn
def test_6_2_linear_on_a_batch_and_unbatched_and_trained_as_the_hand_loop():
    t_c, t_u = (t.unsqueeze(1) for t in thermometer(np.float64))
    linear_model = nn.Linear(1, 1)
    assert linear_model(torch.ones(10, 1)).shape == (10, 1) and linear_model(torch.ones(1)).shape == (1,)
    assert [p.shape for p in linear_model.parameters()] == [(1, 1), (1,)]
    with pytest.raises(ValueError, match=r"input of shape \(11,\) has 11 features .* give an input of shape \(N, 1\)"):
        linear_model(thermometer()[1])  # the book's reason to unsqueeze(1)
    with torch.no_grad():  # start where chapter 5 started, w = 1, b = 0
        linear_model.weight.fill_(1.0)
        linear_model.bias.zero_()
    optimizer = optim.SGD(linear_model.parameters(), lr=1e-2)
    for _ in range(3000):
        loss = nn.MSELoss()(linear_model(0.1 * t_u), t_c)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    hand = _hand_loop(3000, 1e-2, torch.tensor([1.0, 0.0]), 0.1 * t_u[:, 0], t_c[:, 0])
    assert loss.item() == pytest.approx(hand[-1][0], rel=1e-12)
    assert [linear_model.weight.item(), linear_model.bias.item()] == pytest.approx(hand[-1][1], rel=1e-12)


def test_6_3_sequential_names_shapes_and_ordered_dict_access():
    seq_model = nn.Sequential(nn.Linear(1, 13), nn.Tanh(), nn.Linear(13, 1))
    assert [p.shape for p in seq_model.parameters()] == [(13, 1), (13,), (1, 13), (1,)]
    assert [name for name, _ in seq_model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    seq_model = nn.Sequential(
        OrderedDict(
            [("hidden_linear", nn.Linear(1, 8)), ("hidden_activation", nn.Tanh()), ("output_linear", nn.Linear(8, 1))]
        )
    )
    named = dict(seq_model.named_parameters())
    assert {name: p.shape for name, p in named.items()} == {
        "hidden_linear.weight": (8, 1),
        "hidden_linear.bias": (8,),
        "output_linear.weight": (1, 8),
        "output_linear.bias": (1,),
    }
    assert seq_model.output_linear.bias is named["output_linear.bias"] and seq_model[2] is seq_model.output_linear
    assert sum(p.numel() for p in seq_model.parameters()) == 8 + 8 + 8 + 1


def test_6_3_sequential_repr_and_training_match_torch():
    torch_ = pytest.importorskip("torch")
    layers = [("hidden_linear", (1, 8)), ("hidden_activation", None), ("output_linear", (8, 1))]
    ours = nn.Sequential(OrderedDict((n, nn.Linear(*s) if s else nn.Tanh()) for n, s in layers))
    theirs = torch_.nn.Sequential(OrderedDict((n, torch_.nn.Linear(*s) if s else torch_.nn.Tanh()) for n, s in layers))
    assert repr(ours) == repr(theirs)
    theirs.double().load_state_dict({k: torch_.tensor(v) for k, v in ours.state_dict().items()})
    t_c, t_u = np.array(T_C)[:, None], 0.1 * np.array(T_U)[:, None]
    opt_ours, opt_theirs = optim.SGD(ours.parameters(), lr=1e-3), torch_.optim.SGD(theirs.parameters(), lr=1e-3)
    for _ in range(200):
        for net, opt, lib in ((ours, opt_ours, nn), (theirs, opt_theirs, torch_.nn)):
            loss = lib.MSELoss()(
                net(torch.tensor(t_u) if net is ours else torch_.tensor(t_u)),
                t_c if net is ours else torch_.tensor(t_c),
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    np.testing.assert_allclose(ours.hidden_linear.weight.grad, theirs.hidden_linear.weight.grad.numpy(), rtol=1e-9)
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value, theirs.state_dict()[name].numpy(), rtol=1e-9, atol=1e-12)
