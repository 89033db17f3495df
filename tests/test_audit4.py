"""Found by the fourth everyday-use audit: PyTorch idioms from common tutorials, each checked
against what PyTorch does (with torch itself where it is installed)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

# ---- grad mode ----------------------------------------------------------------------------------


def test_set_grad_enabled_called_on_its_own_line_switches_recording_until_switched_back():
    w = Tensor([1.0, 2.0], requires_grad=True)
    ag.set_grad_enabled(False)  # PyTorch's plain-call form: was a no-op, so y silently recorded
    try:
        assert not ag.is_grad_enabled()
        assert not (w * 2).requires_grad
    finally:
        ag.set_grad_enabled(True)
    assert ag.is_grad_enabled() and (w * 2).requires_grad


def test_set_grad_enabled_as_a_block_or_decorator_still_restores_what_came_before():
    w = Tensor([1.0], requires_grad=True)
    with ag.no_grad():
        with ag.set_grad_enabled(True):
            assert (w * 2).requires_grad
        assert not ag.is_grad_enabled()

    @ag.set_grad_enabled(False)
    def double(x):
        return x * 2

    assert ag.is_grad_enabled()  # making the decorator changed nothing yet
    assert not double(w).requires_grad and ag.is_grad_enabled()
    block = ag.set_grad_enabled(False)
    assert not ag.is_grad_enabled()
    with block:
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()  # the block gives back what the call replaced


# ---- nn containers ------------------------------------------------------------------------------


def test_sequential_of_an_ordered_dict_names_its_modules_by_the_keys(tmp_path):
    from collections import OrderedDict

    import nn

    model = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 8, seed=0)), ("act", nn.ReLU()), ("fc2", nn.Linear(8, 3))]))
    assert [name for name, _ in model.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.fc1 is model[0] and len(model) == 3
    assert [name for name, _ in model[1:].named_children()] == ["act", "fc2"]  # a slice keeps the names
    x = np.ones((2, 4))
    assert np.array_equal(model(x).data, model.fc2(model.act(model.fc1(x))).data)
    nn.save(model, tmp_path / "named.npz")  # the file rebuilds the same names, so the weights load back
    again = nn.load(tmp_path / "named.npz")
    assert list(again.state_dict()) == list(model.state_dict())
    assert np.array_equal(again(x).data, model(x).data)


@pytest.mark.parametrize(
    ("modules", "words"),
    [({"a.b": "Linear"}, "without dots"), ({"train": "ReLU"}, "taken"), ({"x": "not a module"}, "must be a Module")],
)
def test_sequential_of_a_dict_refuses_names_and_items_it_cannot_register(modules, words):
    import nn

    made = {k: (getattr(nn, v)(2, 2) if v == "Linear" else nn.ReLU() if v == "ReLU" else v) for k, v in modules.items()}
    with pytest.raises((ValueError, TypeError), match=words):
        nn.Sequential(made)


# ---- data ---------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("lengths", [[0.5, 0.4], [4, 4], [-1, 11], [0.5, "half"]])
def test_random_split_refuses_lengths_that_do_not_cover_the_dataset(lengths):
    from nn.data import random_split

    with pytest.raises(ValueError, match="random_split: lengths"):
        random_split((np.zeros((10, 2)), np.arange(10)), lengths)


# ---- PyTorch's tensor spellings numpy lacks (tensor_torch.py) -----------------------------------

X = [[1.0, -2.0, 3.0, 0.5], [4.0, 5.0, -6.0, 2.5], [0.0, 7.0, 1.5, -1.0]]

# (name, our call, torch's call), each on x: a (3, 4) float64 tensor that requires grad
SPELLINGS = [
    ("gather", lambda x, m: x.gather(1, m.tensor([[0, 0], [3, 1], [2, 2]])), None),
    ("gather dim 0", lambda x, m: m.gather(x, 0, m.tensor([[2, 0, 1, 1]])), None),
    ("cumsum", lambda x, m: x.cumsum(1), None),
    ("cumsum dim 0", lambda x, m: m.cumsum(x, dim=0), None),
    ("flip", lambda x, m: x.flip(1), lambda x, m: x.flip([1])),
    ("flip both", lambda x, m: m.flip(x, [0, 1]), None),
    ("repeat", lambda x, m: x.repeat(2, 1), None),
    ("repeat more dims", lambda x, m: x.repeat(2, 1, 3), None),
    ("sort values", lambda x, m: x.sort(dim=1).values, None),
    ("sort descending", lambda x, m: m.sort(x, dim=0, descending=True)[0], None),
    ("topk", lambda x, m: x.topk(2, dim=1).values, None),
    ("topk smallest", lambda x, m: x.topk(3, dim=0, largest=False)[0], None),
    ("amax", lambda x, m: x.amax(dim=1), None),
    ("amin keepdim", lambda x, m: x.amin(0, keepdim=True), None),
    ("add alpha", lambda x, m: x.add(x * x, alpha=0.5), None),
    ("sub", lambda x, m: x.sub(1.5), None),
    ("mul div", lambda x, m: x.mul(3).div(x.abs() + 1), None),
    ("neg square", lambda x, m: x.neg().square(), None),
    ("mm", lambda x, m: x.mm(x.t()), None),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_pytorch_spellings_match_torch_in_value_and_gradient(name, ours, theirs):
    torch = pytest.importorskip("torch")
    x = Tensor(X, requires_grad=True)
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    out, expected = ours(x, ag), (theirs or ours)(tx, torch)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12)
    weights = np.arange(1.0, out.size + 1).reshape(out.shape)  # a different weight on every output
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize(("name", "ours"), [(s[0], s[1]) for s in SPELLINGS if "sort" not in s[0]])
def test_pytorch_spellings_pass_gradcheck(name, ours):
    # finite differences, torch or not (sort/topk at distinct values: their gather is what is checked)
    x = Tensor(np.array(X) + np.linspace(0, 0.01, 12).reshape(3, 4), requires_grad=True)
    assert ag.gradcheck(lambda t: ours(t, ag), x)


def test_cumsum_is_a_scan_whose_graph_grows_as_n_log_n():
    x = Tensor(np.ones(1024), requires_grad=True)
    out = x.cumsum(0)
    assert np.array_equal(out.data, np.arange(1.0, 1025.0))
    assert sum(1 for _ in ag.walk(out)) < 60  # 10 levels of a few ops, not 1,024 sums
    out.sum().backward()
    assert np.array_equal(x.grad, np.arange(1024.0, 0.0, -1.0))  # element i feeds n - i running sums
    assert Tensor([True, True, False]).cumsum(0).tolist() == [1, 2, 2]  # booleans count, as in PyTorch


def test_sort_and_topk_return_values_and_indices_as_pytorch():
    x = Tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    values, indices = x.sort(dim=1, descending=True)
    assert values.tolist() == [[3.0, 2.0, 1.0], [5.0, 4.0, 0.0]] and indices.tolist() == [[0, 2, 1], [1, 2, 0]]
    top = ag.topk(x, 1)
    assert top.values.tolist() == [[3.0], [5.0]] and top.indices.tolist() == [[0], [1]]
    assert x.argsort(dim=0).tolist() == [[1, 0, 0], [0, 1, 1]]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda x: x.gather(1, [[0, 4]]), r"gather: index of shape \(1, 2\).*\[0, 3\)"),
        (lambda x: x.gather(1, [0, 1]), "gather: index must be an integer array with the input's 2 dimensions"),
        (lambda x: x.gather(1, [[0.5]]), "gather: index must be an integer array"),
        (lambda x: x.cumsum(2), "cumsum: dim 2 is out of range for a tensor with 2 dimension"),
        (lambda x: x.topk(4), r"topk: k=4 must be an int in \[0, 3\]"),
        (lambda x: x.repeat(2), r"repeat: give one non-negative count per dimension \(at least 2\)"),
        (lambda x: x.mm(Tensor([1.0, 2.0, 3.0])), r"mm: needs two 2-d tensors, got shapes \(2, 3\) and \(3,\)"),
    ],
)
def test_pytorch_spellings_name_the_op_and_the_shapes_on_bad_input(call, words):
    with pytest.raises(ValueError, match=words):
        call(Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))


def test_in_place_updates_by_pytorchs_names_under_no_grad():
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with ag.no_grad():
        assert w.sub_(w.grad, alpha=0.1) is w  # the manual SGD step of PyTorch's tutorials
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    with ag.no_grad():
        w.mul_(2).add_(1.0)
        np.testing.assert_allclose(w.data, [2.6, 4.2])
        w.copy_([5.0, 6.0])
        assert w.tolist() == [5.0, 6.0]
        w.zero_()
    assert w.tolist() == [0.0, 0.0] and w.is_leaf and w.requires_grad
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.fill_(1.0)  # recording: refused, as `w -= ...` is
    assert Tensor([1.0, float("nan")]).isnan().tolist() == [False, True]
    assert ag.isfinite(Tensor([1.0, float("inf")])).tolist() == [True, False]
    assert Tensor([1, 2]).type_as(Tensor([0.5])).dtype == np.float64 and Tensor([1.0, 2.0]).nelement() == 2


# ---- losses -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_functional_binary_losses_take_weight_and_pos_weight_as_their_modules_do(reduction):
    import nn
    import nn.functional as F

    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(5, 3)) * 3, (rng.random((5, 3)) > 0.5).astype(float)
    weight, pos_weight = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.25])
    x = Tensor(logits, requires_grad=True)
    ours = F.binary_cross_entropy_with_logits(x, target, reduction, weight=weight, pos_weight=pos_weight)
    module = nn.BCEWithLogitsLoss(weight=weight, reduction=reduction, pos_weight=pos_weight)(Tensor(logits), target)
    np.testing.assert_array_equal(ours.data, module.data)
    probabilities = Tensor(1 / (1 + np.exp(-logits)))
    bce = F.binary_cross_entropy(probabilities, target, reduction, weight=weight)
    np.testing.assert_array_equal(bce.data, nn.BCELoss(weight, reduction)(probabilities, target).data)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        tx, torch.tensor(target), weight=torch.tensor(weight), pos_weight=torch.tensor(pos_weight), reduction=reduction
    )
    np.testing.assert_allclose(ours.data, expected.detach().numpy(), rtol=1e-12)
    ours.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    expected_bce = torch.nn.functional.binary_cross_entropy(
        torch.tensor(probabilities.data), torch.tensor(target), weight=torch.tensor(weight), reduction=reduction
    )
    np.testing.assert_allclose(bce.data, expected_bce.numpy(), rtol=1e-12)


# ---- optimizers ---------------------------------------------------------------------------------


def test_a_parameter_group_may_hold_one_tensor_as_in_pytorch():
    import nn

    model = nn.Linear(3, 2, seed=0)
    opt = nn.optim.Adam([{"params": model.weight}, {"params": model.bias, "lr": 0.5}], lr=0.1)
    assert [len(g["params"]) for g in opt.param_groups] == [1, 1]
    (model(np.ones((4, 3))) ** 2).mean().backward()
    before = model.bias.data.copy()
    opt.step()
    np.testing.assert_allclose(np.abs(model.bias.data - before), 0.5)  # Adam's first step moves by lr
    with pytest.raises(TypeError, match="got a single Tensor; wrap it in a list"):
        nn.optim.SGD(model.weight, lr=0.1)  # at the top level PyTorch refuses it too


def test_named_parameters_given_to_an_optimizer_say_what_to_pass():
    import nn

    model = nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"\(name, tensor\) pair.*pass model.parameters\(\)"):
        nn.optim.SGD(model.named_parameters(), lr=0.1)


# ---- layers -------------------------------------------------------------------------------------


def test_relu_and_leaky_relu_accept_pytorchs_inplace_and_leave_the_input_alone(tmp_path):
    import nn

    x = Tensor([-1.0, 2.0])
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True))
    assert model[1:](x).tolist() == [0.0, 2.0] and x.tolist() == [-1.0, 2.0]
    nn.save(model, tmp_path / "m.npz")  # still describable: the file rebuilds it
    assert np.array_equal(nn.load(tmp_path / "m.npz")(x).data, model(x).data)


def test_embedding_padding_idx_row_starts_at_zero_and_is_never_trained():
    import nn

    emb = nn.Embedding(5, 3, seed=0, padding_idx=-1)
    assert emb.padding_idx == 4 and emb.weight.data[4].tolist() == [0.0, 0.0, 0.0]
    emb.weight.data[4] = 7.0  # a value set by hand is what the padding positions read
    tokens = np.array([[1, 4, 4], [2, 1, 0]])
    out = emb(tokens)
    np.testing.assert_array_equal(out.data, emb.weight.data[tokens])
    (out * np.arange(18.0).reshape(2, 3, 3)).sum().backward()
    assert not emb.weight.grad[4].any() and emb.weight.grad[1].any()
    with pytest.raises(ValueError, match=r"padding_idx must be an int in \[-5, 5\), got 5"):
        nn.Embedding(5, 3, padding_idx=5)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding(5, 3, padding_idx=4).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(emb.weight.data))
    (theirs(torch.tensor(tokens)) * torch.arange(18.0).reshape(2, 3, 3)).sum().backward()
    np.testing.assert_allclose(emb.weight.grad, theirs.weight.grad.numpy())


def test_normalize_and_cosine_similarity_match_torch_in_value_and_gradient():
    import nn.functional as F

    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    unit = F.normalize(x, dim=1)
    np.testing.assert_allclose(np.linalg.norm(unit.data, axis=1), 1.0)
    assert F.normalize(Tensor([[0.0, 0.0]])).tolist() == [[0.0, 0.0]]  # eps: no 0/0
    cosine = F.cosine_similarity(x, y)
    assert ag.gradcheck(lambda t: F.cosine_similarity(t, b, dim=1), Tensor(a, requires_grad=True))
    torch = pytest.importorskip("torch")
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    expected = torch.nn.functional.cosine_similarity(tx, ty)
    np.testing.assert_allclose(cosine.data, expected.detach().numpy(), rtol=1e-12)
    weights = np.arange(1.0, 5.0)
    (cosine * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-10)
    expected_unit = torch.nn.functional.normalize(torch.tensor(a), p=1.0, dim=0)
    np.testing.assert_allclose(F.normalize(x, p=1, dim=0).data, expected_unit.numpy(), rtol=1e-12)


# ---- creation -----------------------------------------------------------------------------------


def test_randperm_rand_like_randn_like_and_from_numpy_as_in_pytorch():
    ag.manual_seed(0)
    order = ag.randperm(10)
    assert order.dtype == np.int64 and sorted(order.tolist()) == list(range(10)) and order.tolist() != list(range(10))
    assert ag.randperm(5, generator=ag.Generator(3)).tolist() == ag.randperm(5, generator=ag.Generator(3)).tolist()
    x = ag.zeros(3, 2, dtype=ag.float32)
    noise = ag.randn_like(x)
    assert noise.shape == (3, 2) and noise.dtype == np.float32 and noise.data.std() > 0
    uniform = ag.rand_like(np.ones(1000), requires_grad=True)
    assert uniform.requires_grad and uniform.data.min() >= 0 and uniform.data.max() < 1
    assert ag.randn_like(ag.arange(3), dtype=ag.float64).dtype == np.float64
    with pytest.raises(TypeError, match="randn_like: int64 is not a floating-point dtype; pass dtype="):
        ag.randn_like(ag.arange(3))
    array = np.zeros(3)
    shared = ag.from_numpy(array)
    array[0] = 5.0
    assert shared.tolist() == [5.0, 0.0, 0.0]  # the same memory, as torch.from_numpy
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array, got list"):
        ag.from_numpy([1.0])


# ---- sin and cos: the two primitives this audit adds --------------------------------------------


def test_sin_and_cos_differentiate_to_each_other_to_any_order():
    # PyTorch's autograd tutorial: x = linspace(-pi, pi); sin(x).sum().backward() gives cos(x)
    x = ag.linspace(-np.pi, np.pi, 9, requires_grad=True)
    ag.sin(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.cos(x.data), atol=1e-15)
    (d1,) = ag.grad(x.cos().sum(), x, create_graph=True)
    (d2,) = ag.grad(d1.sum(), x, create_graph=True)
    (d3,) = ag.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.data, -np.sin(x.data), atol=1e-15)
    np.testing.assert_allclose(d2.data, -np.cos(x.data), atol=1e-15)
    np.testing.assert_allclose(d3.data, np.sin(x.data), atol=1e-15)
    assert isinstance(np.sin(x), Tensor) and np.sin(x).op == "sin"  # numpy's spelling records it too
    f32 = Tensor(np.ones(3, np.float32), requires_grad=True)
    f32.cos().sum().backward()
    assert f32.grad.dtype == np.float32


def test_python_m_viz_expr_knows_sin_and_cos():
    from viz.expression import evaluate

    x = Tensor(0.5, requires_grad=True)
    evaluate("sin(x) * cos(x)", {"x": x}).backward()
    np.testing.assert_allclose(x.grad, np.cos(1.0))  # d/dx sin x cos x = cos 2x


# ---- viz ----------------------------------------------------------------------------------------


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
    assert viz.plot_history(np.array([1.0, 0.5]), tmp_path / "curve.png").stat().st_size > 1000
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


def test_register_buffer_takes_a_tensor_as_pytorch_code_gives_it():
    import nn

    class Masked(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mask", ag.ones(2, 2))  # PyTorch code registers tensors
            self.weight = nn.Parameter(np.full((2, 2), 3.0))

        def forward(self, x):
            return x * self.weight * self.mask

    model = Masked()
    assert isinstance(model.mask, np.ndarray) and sorted(model.state_dict()) == ["mask", "weight"]
    assert [b.shape for b in model.buffers()] == [(2, 2)]
    model.mask = ag.zeros(2, 2)  # assigning a tensor to a buffer's name keeps it a buffer
    assert not model(np.ones((2, 2))).data.any() and isinstance(model.mask, np.ndarray)
    with pytest.raises(TypeError, match=r"buffer 'w' is a tensor that requires grad.*nn\.Parameter"):
        model.register_buffer("w", ag.ones(2, requires_grad=True))


def test_nll_loss_of_n_k_d_log_probabilities_says_how_to_flatten_them_as_cross_entropy_does():
    import nn.functional as F

    log_probs = Tensor(np.random.default_rng(0).normal(size=(2, 3, 4))).log_softmax(1)
    target = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    with pytest.raises(ValueError, match=r"nll_loss: .* got shape \(2, 3, 4\); .*permute\(0, 2, 1\)"):
        F.nll_loss(log_probs, target)
    flat = F.nll_loss(log_probs.permute(0, 2, 1).reshape(-1, 3), target.reshape(-1))  # the hint, followed
    torch = pytest.importorskip("torch")
    expected = torch.nn.functional.nll_loss(torch.tensor(log_probs.data), torch.tensor(target))
    np.testing.assert_allclose(flat.data, expected.numpy(), rtol=1e-12)


def test_a_module_replaced_by_assignment_keeps_its_place_so_a_sequential_still_runs_in_order():
    from collections import OrderedDict

    import nn

    model = nn.Sequential(
        OrderedDict([("first", nn.Linear(3, 3, seed=0)), ("act", nn.Tanh()), ("last", nn.Linear(3, 3))])
    )
    new_first = nn.Linear(3, 3, seed=5)
    model.first = new_first  # was moved to the end: last(act(x)) then first, silently (same shapes)
    assert [name for name, _ in model.named_children()] == ["first", "act", "last"]
    x = np.ones((2, 3))
    np.testing.assert_array_equal(model(x).data, model.last(model.act(new_first(x))).data)


def test_sequential_item_assignment_deletion_and_insert_as_in_pytorch():
    import nn

    act = nn.ReLU()
    model = nn.Sequential(nn.Linear(4, 3), act, nn.Linear(3, 3), act)
    model[2] = nn.Linear(3, 2)
    assert model[2].out_features == 2 and [name for name, _ in model.named_children()] == ["0", "1", "2", "3"]
    del model[-1]  # by position: the same ReLU also at 1 stays
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    model.insert(1, nn.Tanh())
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "ReLU", "Linear"]
    assert [name for name, _ in model.named_children()] == ["0", "1", "2", "3"]  # renumbered, as PyTorch
    del model[1:3]
    model.append(nn.Sigmoid())  # numbering stays dense, so append never reuses a name
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"] and model(np.ones((1, 4))).shape == (1, 2)
    with pytest.raises(IndexError, match="Sequential: index 9 out of range for 3 modules"):
        del model[9]
    with pytest.raises(TypeError, match="Sequential: item 0 must be a Module, got function"):
        model[0] = lambda x: x


def test_module_dict_registers_its_modules_by_key_and_saves_them(tmp_path):
    import nn

    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(3, 4, seed=0)
            self.heads = nn.ModuleDict({"mean": nn.Linear(4, 1, seed=1), "scale": nn.Linear(4, 1, seed=2)})

        def forward(self, x):
            h = self.body(x).relu()
            return self.heads["mean"](h) + self.heads["scale"](h).exp()

    model = TwoHeads()
    assert [n for n, _ in model.named_parameters()][2:4] == ["heads.mean.weight", "heads.mean.bias"]
    assert list(model.heads) == ["mean", "scale"] and "scale" in model.heads and len(model.heads) == 2
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    before = model.heads["scale"].weight.data.copy()
    model(np.ones((2, 3))).sum().backward()
    opt.step()
    assert not np.array_equal(model.heads["scale"].weight.data, before)  # trained: its parameters are the owner's
    heads = nn.ModuleDict([("a", nn.Linear(2, 2)), ("0", nn.ReLU())])
    with pytest.raises(KeyError, match=r"ModuleDict: no module 'b'; keys: \['a', '0'\]"):
        heads["b"]
    with pytest.raises(ValueError, match="the key 'forward' is taken"):
        heads["forward"] = nn.ReLU()
    del heads["0"]
    assert heads.keys() == ["a"]
    from nn.architecture import build, describe

    rebuilt = build(describe(nn.ModuleDict({"0": nn.Linear(2, 2), "x": nn.Tanh()})))
    assert rebuilt.keys() == ["0", "x"]


@pytest.mark.parametrize("reduction", ["batchmean", "mean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch_with_zero_probabilities_in_the_target(reduction, log_target):
    import nn
    import nn.functional as F

    rng = np.random.default_rng(2)
    student = rng.normal(size=(4, 3))
    target = np.array([[0.2, 0.8, 0.0], [0.3, 0.3, 0.4], [1.0, 0.0, 0.0], [0.1, 0.6, 0.3]])
    given = np.log(target + 1e-300) if log_target else target  # (log 0 as a very negative number)
    x = Tensor(student, requires_grad=True)
    loss = nn.KLDivLoss(reduction, log_target=log_target)(x.log_softmax(1), given)
    assert np.isfinite(loss.data).all()
    weights = np.arange(1.0, loss.size + 1).reshape(loss.shape)
    (loss * weights).sum().backward()
    assert np.array_equal(F.kl_div(Tensor(student).log_softmax(1), given, reduction, log_target).data, loss.data)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(student, requires_grad=True)
    expected = torch.nn.functional.kl_div(
        tx.log_softmax(1), torch.tensor(given), reduction=reduction, log_target=log_target
    )
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(loss.data, expected.detach().numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_kl_div_of_a_log_probability_target_without_log_target_says_to_pass_it():
    import nn.functional as F

    log_p = Tensor([[0.2, 0.8]]).log()
    with pytest.raises(ValueError, match=r"kl_div: target probabilities must be >= 0, .*pass log_target=True"):
        F.kl_div(log_p, log_p, reduction="batchmean")  # PyTorch: NaN
    assert F.kl_div(log_p, log_p, reduction="batchmean", log_target=True).item() == 0.0


def test_trunc_normal_keeps_samples_within_the_bounds_with_the_truncated_spread():
    import nn

    w = Tensor(np.zeros((200, 100)), requires_grad=True)
    assert nn.init.trunc_normal_(w, std=0.02, a=-0.04, b=0.04, generator=0) is w
    assert w.data.min() >= -0.04 and w.data.max() <= 0.04 and w.requires_grad
    # a normal truncated at two standard deviations keeps 0.7737 of its variance
    np.testing.assert_allclose(w.data.std(), 0.02 * np.sqrt(0.7737), rtol=0.02)
    with pytest.raises(ValueError, match="trunc_normal_: need std > 0 and a < b keeping some"):
        nn.init.trunc_normal_(w, mean=0.0, std=0.01, a=5.0, b=6.0)


# ---- schedulers ---------------------------------------------------------------------------------


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


def test_ag_split_and_chunk_as_torch_split_and_chunk():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    first, rest = ag.split(x, [1, 3], dim=1)
    assert first.shape == (3, 1) and rest.shape == (3, 3)
    pieces = ag.chunk(x, 2, dim=0)
    assert [p.shape for p in pieces] == [(2, 4), (1, 4)]
    (first.sum() + 2 * pieces[1].sum()).backward()
    assert x.grad.tolist() == [[1, 0, 0, 0], [1, 0, 0, 0], [3, 2, 2, 2]]


def test_the_device_idioms_of_pytorch_code_run_on_the_cpu():
    import nn

    model = nn.Linear(2, 1, seed=0)
    device = "cpu"
    assert model.cpu() is model and model.to(device) is model
    x = Tensor([[1.0, 2.0]]).to(model.weight.device)
    predictions = model(x).detach().cpu().numpy()  # the tutorials' way back to numpy
    assert isinstance(predictions, np.ndarray) and predictions.shape == (1, 1)
    with pytest.raises(ValueError, match="numpy \\(the CPU\\) only, not on 'cuda'"):
        x.to("cuda")


# ---- integer tensors meet Python numbers as in PyTorch (numpy's weak-scalar rule) -------------


def test_an_integer_tensor_plus_a_python_int_stays_integer_and_counts_in_place():
    # makemore's bigram counts: N[i, j] += 1 on an int32 table was a TypeError (1 became float64)
    counts = ag.zeros((3, 3), dtype=ag.int32)
    for i, j in [(0, 1), (0, 1), (2, 0)]:
        counts[i, j] += 1
    assert counts.dtype == np.int32 and counts.tolist() == [[0, 2, 0], [0, 0, 0], [1, 0, 0]]
    assert (counts + 1).dtype == np.int32 and (2 * ag.arange(3)).dtype == np.int64  # as torch's
    assert (ag.arange(4) / 2).dtype == np.float64 and (ag.arange(4) * 0.5).tolist() == [0.0, 0.5, 1.0, 1.5]
    assert ((ag.arange(3) > 0) * 1).tolist() == [0, 1, 1] and (ag.tensor([True]) & True).dtype == np.bool_
    torch = pytest.importorskip("torch")
    for ours, theirs in [
        (counts + 1, torch.zeros(1, dtype=torch.int32) + 1),
        (ag.arange(3) - 1, torch.arange(3) - 1),
        ((ag.arange(3) > 0) + 1, (torch.arange(3) > 0) + 1),
    ]:
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")


def test_multinomial_draws_indices_in_proportion_to_the_weights():
    counts = ag.tensor([1.0, 3.0, 0.0, 6.0])  # weights, not yet probabilities: PyTorch normalises them
    draws = ag.multinomial(counts, 20_000, replacement=True, generator=ag.Generator(1))
    assert draws.dtype == np.int64 and draws.shape == (20_000,)
    np.testing.assert_allclose(np.bincount(draws.data, minlength=4) / 20_000, [0.1, 0.3, 0.0, 0.6], atol=0.015)
    again = ag.multinomial(counts, 5, replacement=True, generator=ag.Generator(1))
    assert again.tolist() == draws.tolist()[:5]  # one generator, one sequence
    rows = ag.multinomial(ag.tensor([[0.0, 1.0], [1.0, 0.0]]), 1)
    assert rows.tolist() == [[1], [0]]
    assert sorted(ag.multinomial(counts, 3).tolist()) == [0, 1, 3]  # without replacement: each once
    with pytest.raises(ValueError, match="multinomial: 4 samples without replacement, but a row has only 3"):
        ag.multinomial(counts, 4)
    with pytest.raises(ValueError, match="weights must be finite, >= 0"):
        ag.multinomial(ag.tensor([0.5, -0.1]), 1)
