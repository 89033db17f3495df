"""Found by the fourth everyday-use audit, the training loop around the model: data splits and loaders,
optimizers' parameter groups, OneCycleLR, and viz on what a loop of your own produces."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


@pytest.mark.parametrize(("n", "lengths"), [(10, [0.8, 0.2]), (10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (5, [3, 2])])
def test_random_split_partitions_every_row_once_in_pytorchs_sizes(n, lengths):
    from nn.data import DataLoader, TensorDataset, random_split

    dataset = TensorDataset(np.arange(n * 2.0).reshape(n, 2), np.arange(n))
    parts = random_split(dataset, lengths, seed=0)
    rows = [int(part[i][1]) for part in parts for i in range(len(part))]
    assert sorted(rows) == list(range(n))
    assert rows == [int(p[i][1]) for p in random_split(dataset, lengths, seed=0) for i in range(len(p))]
    assert rows != list(range(n))  # shuffled
    assert sum(len(xb) for xb, _ in DataLoader(parts[0], batch_size=3)) == len(parts[0])
    pytest.importorskip("torch")
    from torch.utils.data import random_split as torch_split

    assert [len(p) for p in parts] == [len(p) for p in torch_split(range(n), lengths)]


def test_random_split_takes_pytorchs_generator_and_its_subsets_take_a_list_of_positions():
    from nn.data import TensorDataset, random_split

    dataset = TensorDataset(np.arange(20.0).reshape(10, 2), np.arange(10))
    by_generator = random_split(dataset, [0.7, 0.3], generator=ag.Generator().manual_seed(42))
    again = random_split(dataset, [0.7, 0.3], generator=ag.Generator().manual_seed(42))
    assert by_generator[1].indices.tolist() == again[1].indices.tolist()  # reproducible, as torch's generator=
    assert by_generator[1].indices.tolist() != random_split(dataset, [0.7, 0.3], seed=1)[1].indices.tolist()
    xb, yb = by_generator[0][[2, 0]]  # a batch of positions, as torch's Subset
    assert yb.tolist() == [int(by_generator[0].indices[2]), int(by_generator[0].indices[0])]
    assert xb.shape == (2, 2) and np.array_equal(xb[:, 0], 2.0 * yb)
    assert [len(p) for p in random_split(dataset[:1], [0.5, 0.5], seed=0)] == [1, 0]  # one row: torch's [1, 0]
    with pytest.raises(ValueError, match="seed or generator, not both"):
        random_split(dataset, [5, 5], seed=0, generator=ag.Generator(0))


@pytest.mark.parametrize(
    ("lengths", "words"),
    [
        (
            [0.5, 0.4],
            r"lengths \[0\.5, 0\.4\] must be counts summing to the dataset's 10 rows or fractions summing to 1",
        ),
        ([4, 4], r"lengths \[4, 4\] must be counts summing to the dataset's 10 rows .*\(e\.g\. \[0\.8, 0\.2\]\)"),
        ([-1, 11], r"lengths must be non-negative counts or fractions, got \[-1, 11\]"),
        ([0.5, "half"], r"lengths must be non-negative counts or fractions, got \[0\.5, 'half'\]"),
    ],
)
def test_random_split_refuses_lengths_that_do_not_cover_the_dataset(lengths, words):
    from nn.data import random_split

    with pytest.raises(ValueError, match=r"^random_split: " + words):  # the lengths given and what they must be
        random_split((np.zeros((10, 2)), np.arange(10)), lengths)


def test_a_parameter_group_may_hold_one_tensor_as_in_pytorch():
    import nn

    model = nn.Linear(3, 2, seed=0)
    opt = nn.optim.Adam([{"params": model.weight}, {"params": model.bias, "lr": 0.5}], lr=0.1)
    assert [len(g["params"]) for g in opt.param_groups] == [1, 1]
    assert opt.param_groups[0]["params"][0] is model.weight and opt.param_groups[1]["params"][0] is model.bias
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]  # the default fills the group that gave none
    (model(np.ones((4, 3))) ** 2).mean().backward()
    weight, bias = model.weight.data.copy(), model.bias.data.copy()
    grad_w, grad_b = model.weight.grad.copy(), model.bias.grad.copy()
    opt.step()
    # Adam's first step moves each entry by its group's lr against the sign of its gradient
    np.testing.assert_allclose(model.bias.data, bias - 0.5 * np.sign(grad_b), rtol=1e-6)
    np.testing.assert_allclose(model.weight.data, weight - 0.1 * np.sign(grad_w), rtol=1e-6)
    with pytest.raises(TypeError, match="got a single Tensor; wrap it in a list"):
        nn.optim.SGD(model.weight, lr=0.1)  # at the top level PyTorch refuses it too


def test_named_parameters_given_to_an_optimizer_say_what_to_pass():
    import nn

    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"\(name, tensor\) pair.*pass model.parameters\(\)"):
        nn.optim.SGD(model.named_parameters(), lr=0.1)


def test_python_m_viz_expr_knows_sin_and_cos(tmp_path, capsys):
    from viz.__main__ import main
    from viz.expression import evaluate

    x = Tensor(0.5, requires_grad=True)
    value = evaluate("sin(x) * cos(x)", {"x": x})
    np.testing.assert_allclose(value.data, np.sin(1.0) / 2)  # sin x cos x = sin(2x) / 2
    assert value.op == "mul" and sorted(p.op for p in value.parents) == ["cos", "sin"]
    value.backward()
    np.testing.assert_allclose(x.grad, np.cos(1.0))  # d/dx sin x cos x = cos 2x
    # the command itself, as the shell runs it: value, gradient and both chain-rule paths printed
    assert main(["expr", "sin(x) * cos(x)", "--set", "x=0.5", "--explain", "x", "--out", str(tmp_path / "f.svg")]) == 0
    printed = capsys.readouterr().out
    assert f"f = {np.sin(1.0) / 2:.4f}" in printed and f"∂f/∂x = {np.cos(1.0):.4f}" in printed
    assert "f ← sin ← x" in printed and "f ← cos ← x" in printed and (tmp_path / "f.svg").stat().st_size > 0


def test_plot_history_draws_the_list_of_losses_of_your_own_loop(tmp_path):
    import viz

    w = Tensor([3.0], requires_grad=True)
    losses = []
    for _ in range(5):  # a PyTorch-style loop keeps its own losses (here as 0-d tensors, a common habit)
        loss = (w * w).sum()
        loss.backward()
        with ag.no_grad():
            w.sub_(0.2 * w.grad)
        w.grad = None
        losses.append(loss)
    figure = viz.plot_history(losses)
    (line,) = figure.axes[0].get_lines()
    np.testing.assert_allclose(line.get_ydata(), [9.0 * 0.6 ** (2 * k) for k in range(5)])
    written = viz.plot_history(np.array([1.0, 0.5]), tmp_path / "curve.png")
    assert written.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and written.stat().st_size > 1000  # a real PNG
    with pytest.raises(TypeError, match="plot_history: train_loss\\[1\\] is 'x', not a number"):
        viz.plot_history([1.0, "x"])


def test_dataloader_accepts_pytorchs_num_workers_and_pin_memory_and_gives_the_same_batches():
    from nn.data import DataLoader

    data = (np.arange(20.0).reshape(10, 2), np.arange(10))
    plain = [yb.tolist() for _, yb in DataLoader(data, batch_size=4, shuffle=True, seed=0)]
    tutorial = DataLoader(data, batch_size=4, shuffle=True, seed=0, num_workers=2, pin_memory=True)
    assert [yb.tolist() for _, yb in tutorial] == plain
    with pytest.raises(ValueError, match="DataLoader: num_workers must be an int >= 0, got -1"):
        DataLoader(data, num_workers=-1)


@pytest.mark.parametrize(
    ("optimizer", "options"),
    [
        ("SGD", {"anneal_strategy": "cos"}),
        ("Adam", {"anneal_strategy": "linear", "pct_start": 0.25}),
        ("SGD", {"three_phase": True, "div_factor": 10.0}),
        ("RMSprop", {"cycle_momentum": False, "final_div_factor": 100.0}),
    ],
)
def test_one_cycle_lr_moves_lr_and_momentum_as_torchs_and_trains_the_same(optimizer, options):
    import nn

    torch = pytest.importorskip("torch")
    start = np.random.default_rng(3).normal(size=(3, 2))
    x = np.random.default_rng(4).normal(size=(5, 3))
    ours, theirs = Tensor(start.copy(), requires_grad=True), torch.tensor(start.copy(), requires_grad=True)
    kwargs = {"lr": 0.1, **({"momentum": 0.9} if optimizer == "SGD" else {})}
    opt_a, opt_b = getattr(nn.optim, optimizer)([ours], **kwargs), getattr(torch.optim, optimizer)([theirs], **kwargs)
    sched_a = nn.optim.lr_scheduler.OneCycleLR(opt_a, max_lr=0.5, epochs=4, steps_per_epoch=5, **options)
    sched_b = torch.optim.lr_scheduler.OneCycleLR(opt_b, max_lr=0.5, epochs=4, steps_per_epoch=5, **options)
    for _ in range(20):
        opt_a.zero_grad()
        ((Tensor(x) @ ours).tanh() ** 2).sum().backward()
        opt_a.step()
        opt_b.zero_grad()
        ((torch.tensor(x) @ theirs).tanh() ** 2).sum().backward()
        opt_b.step()
        sched_a.step()
        sched_b.step()
        group_a, group_b = opt_a.param_groups[0], opt_b.param_groups[0]
        assert group_a["lr"] == pytest.approx(group_b["lr"], rel=1e-12, abs=1e-15)
        for key in ("momentum", "betas"):
            if key in group_b:
                assert np.allclose(group_a[key], group_b[key], rtol=1e-12)
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-8)  # (RMSprop rounds differently)
    with pytest.raises(ValueError, match="OneCycleLR: stepped 21 times, more than total_steps=20"):
        sched_a.step()


def test_one_cycle_lr_refuses_an_optimizer_without_momentum_unless_told_not_to_cycle_it():
    import nn

    opt = nn.optim.Adagrad([Tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum needs an optimizer with momentum or betas"):
        nn.optim.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    assert nn.optim.OneCycleLR(opt, max_lr=1.0, total_steps=10, cycle_momentum=False).lr_at(0) == 0.04
    with pytest.raises(ValueError, match="give total_steps, or epochs and steps_per_epoch"):
        nn.optim.OneCycleLR(opt, max_lr=1.0, cycle_momentum=False)


def test_drawing_a_model_instead_of_its_output_says_to_draw_what_it_computes():
    import nn
    import viz

    with pytest.raises(
        TypeError, match=r"got nn\.containers\.Sequential; draw what the model computes: draw_graph\(model\(x\)\)"
    ):
        viz.draw_graph(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(TypeError, match=r"wrap arrays with autograd_core\.Tensor"):
        viz.draw_graph(np.ones(2))


def test_a_dataset_of_tensors_gives_tensor_batches_so_the_tutorials_loop_runs_as_written():
    import nn
    from nn.data import DataLoader, TensorDataset, random_split

    X, y = ag.tensor(np.arange(20.0).reshape(10, 2)), ag.tensor(np.arange(10) % 2)
    model, device = nn.Linear(2, 2, seed=0), "cpu"
    train, _ = random_split(TensorDataset(X, y), [8, 2], seed=0)
    for loader, rows in (
        (DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=0), list(range(10))),
        (DataLoader(train, batch_size=4), sorted(train.indices.tolist())),
    ):
        seen, expected_grad = [], np.zeros((2, 2))
        model.weight.grad = None
        for inputs, labels in loader:
            inputs, labels = inputs.to(device).float(), labels.to(device)  # AttributeErrors on numpy batches
            assert isinstance(inputs, Tensor) and isinstance(labels, Tensor) and labels.dtype == np.int64
            assert np.array_equal(labels.data, (inputs.data[:, 0] / 2).astype(int) % 2)  # rows stay paired
            seen += (inputs.data[:, 0] / 2).astype(int).tolist()
            nn.CrossEntropyLoss()(model(inputs), labels).backward()
            # cross-entropy's gradient wrt the weight: (softmax - one_hot)^T inputs / batch, summed over batches
            logits = inputs.data @ model.weight.data.T + model.bias.data
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            expected_grad += (p - np.eye(2)[labels.data]).T @ inputs.data / len(labels)
        assert sorted(seen) == rows  # every row of the dataset (or the split) once an epoch
        np.testing.assert_allclose(model.weight.grad, expected_grad, rtol=1e-5)
    xb, yb = next(iter(DataLoader((X.data, y.data), batch_size=4)))  # arrays in, arrays out, as before
    assert type(xb) is np.ndarray and type(yb) is np.ndarray
    assert isinstance(next(iter(DataLoader(X, batch_size=3))), Tensor)
