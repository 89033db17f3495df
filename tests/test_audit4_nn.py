"""Found by the fourth everyday-use audit, the nn part: containers (OrderedDict, ModuleDict, item assignment),
layers, buffers, losses and init as PyTorch code writes them, each checked against torch where it is installed."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor
from nn import functional as F


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
    [
        ({"a.b": "Linear"}, r"^Sequential: module names \(keys\) must be non-empty strings without dots, got 'a\.b'$"),
        ({"train": "ReLU"}, r"^Sequential: the name 'train' is taken by an attribute of Sequential$"),
        ({"x": "not a module"}, r"^Sequential: 'x' must be a Module, got str$"),
    ],
)
def test_sequential_of_a_dict_refuses_names_and_items_it_cannot_register(modules, words):
    import nn

    made = {k: (getattr(nn, v)(2, 2) if v == "Linear" else nn.ReLU() if v == "ReLU" else v) for k, v in modules.items()}
    with pytest.raises((ValueError, TypeError), match=words):
        nn.Sequential(made)


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
    # the closed form, torch or not: -w (pos_weight t log s(x) + (1 - t) log(1 - s(x))), then the reduction
    s = 1 / (1 + np.exp(-logits))
    terms = -weight * (pos_weight * target * np.log(s) + (1 - target) * np.log(1 - s))
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    np.testing.assert_allclose(ours.data, reduce(terms), rtol=1e-10)
    np.testing.assert_allclose(
        bce.data, reduce(-weight * (target * np.log(s) + (1 - target) * np.log(1 - s))), rtol=1e-10
    )
    assert ag.gradcheck(
        lambda t: F.binary_cross_entropy_with_logits(t, target, reduction, weight=weight, pos_weight=pos_weight), x
    )
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


def test_relu_and_leaky_relu_accept_pytorchs_inplace_and_leave_the_input_alone(tmp_path):
    import nn

    x = Tensor([-1.0, 2.0])
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.ReLU(inplace=True), nn.LeakyReLU(0.1, inplace=True))
    assert model[1:](x).tolist() == [0.0, 2.0] and x.tolist() == [-1.0, 2.0]
    leaky_input = Tensor([-1.0, 2.0], requires_grad=True)
    leaky = model[2](leaky_input)
    assert leaky.tolist() == [-0.1, 2.0] and leaky_input.tolist() == [-1.0, 2.0]  # the slope, the input kept
    (leaky * Tensor([3.0, 5.0])).sum().backward()
    np.testing.assert_allclose(leaky_input.grad, [0.1 * 3.0, 5.0])  # the slope * 3 below zero, 1 * 5 above
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
    np.testing.assert_allclose(unit.data, a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-12)
    cosine = F.cosine_similarity(x, y)
    closed_form = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(cosine.data, closed_form, rtol=1e-12)
    assert ag.gradcheck(lambda t: F.cosine_similarity(t, b, dim=1), Tensor(a, requires_grad=True))
    assert ag.gradcheck(lambda t: F.normalize(t, dim=1) * np.arange(12.0).reshape(4, 3), Tensor(a, requires_grad=True))
    assert ag.gradcheck(lambda t: F.normalize(t, p=1, dim=0), Tensor(a, requires_grad=True))
    torch = pytest.importorskip("torch")
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    expected = torch.nn.functional.cosine_similarity(tx, ty)
    np.testing.assert_allclose(cosine.data, expected.detach().numpy(), rtol=1e-12)
    weights = np.arange(1.0, 5.0)
    (cosine * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-10)
    for p, dim in [(2.0, 1), (1.0, 0)]:
        ours_x, theirs_x = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        ours_unit = F.normalize(ours_x, p=p, dim=dim)
        theirs_unit = torch.nn.functional.normalize(theirs_x, p=p, dim=dim)
        np.testing.assert_allclose(ours_unit.data, theirs_unit.detach().numpy(), rtol=1e-12)
        grid = np.arange(12.0).reshape(4, 3)
        (ours_unit * grid).sum().backward()
        (theirs_unit * torch.tensor(grid)).sum().backward()
        np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-10, atol=1e-14)


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
    assert model(np.full((2, 2), 2.0)).tolist() == [[6.0, 6.0], [6.0, 6.0]]  # x * 3 * the mask of ones
    assert [name for name, _ in model.named_parameters()] == ["weight"]  # a buffer is not trained
    assert [b.shape for b in model.buffers()] == [(2, 2)]
    model.mask = ag.zeros(2, 2)  # assigning a tensor to a buffer's name keeps it a buffer
    assert not model(np.ones((2, 2))).data.any() and isinstance(model.mask, np.ndarray)
    with pytest.raises(TypeError, match=r"buffer 'w' is a tensor that requires grad.*nn\.Parameter"):
        model.register_buffer("w", ag.ones(2, requires_grad=True))


def test_nll_loss_of_n_k_d_log_probabilities_is_taken_as_cross_entropy_does():
    import nn.functional as F

    log_probs = Tensor(np.random.default_rng(0).normal(size=(2, 3, 4))).log_softmax(1)
    target = np.array([[0, 1, 2, 1], [2, 2, 0, 1]])
    flat = F.nll_loss(log_probs, target)  # PyTorch's (N, K, d): the classes in dim 1
    assert flat.item() == F.nll_loss(log_probs.permute(0, 2, 1).reshape(-1, 3), target.reshape(-1)).item()
    picked = log_probs.data[np.arange(2)[:, None], target, np.arange(4)[None, :]]  # log p of each target class
    np.testing.assert_allclose(flat.data, -picked.mean(), rtol=1e-12)
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
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]
    assert [type(m).__name__ for m in model] == ["Linear", "Linear", "Sigmoid"]
    x = np.array([[1.0, -2.0, 0.5, 3.0]])
    hidden = x @ model[0].weight.data.T + model[0].bias.data  # the modules run in their new order
    np.testing.assert_allclose(model(x).data, 1 / (1 + np.exp(-(hidden @ model[1].weight.data.T + model[1].bias.data))))
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
    assert len(opt.param_groups[0]["params"]) == 6  # body, mean and scale: a weight and a bias each
    before = model.heads["scale"].weight.data.copy()
    model(np.ones((2, 3))).sum().backward()
    grad = model.heads["scale"].weight.grad.copy()
    assert np.abs(grad).sum() > 0
    opt.step()
    np.testing.assert_allclose(model.heads["scale"].weight.data, before - 0.1 * grad)  # trained by the owner's SGD
    nn.save(model.heads, tmp_path / "heads.npz")  # saved and rebuilt: the same keys, the same weights
    loaded = nn.load(tmp_path / "heads.npz")
    assert isinstance(loaded, nn.ModuleDict) and loaded.keys() == ["mean", "scale"]
    for key in ("mean", "scale"):
        assert np.array_equal(loaded[key].weight.data, model.heads[key].weight.data)
        assert np.array_equal(loaded[key].bias.data, model.heads[key].bias.data)
    heads = nn.ModuleDict([("a", nn.Linear(2, 2)), ("0", nn.ReLU())])
    with pytest.raises(KeyError, match=r"ModuleDict: no module 'b'; keys: \['a', '0'\]"):
        heads["b"]
    with pytest.raises(ValueError, match="ModuleDict: the name 'forward' is taken by an attribute"):
        heads["forward"] = nn.ReLU()
    del heads["0"]
    assert heads.keys() == ["a"]
    from nn.architecture import build, describe

    rebuilt = build(describe(nn.ModuleDict({"0": nn.Linear(2, 2), "x": nn.Tanh()})))
    assert rebuilt.keys() == ["0", "x"]
    tampered = {**describe(rebuilt), "names": ["x", "x"]}  # a file's repeated name once kept one module of two
    with pytest.raises(ValueError, match=r"build: the ModuleDict's 'names' repeat a name: \['x', 'x'\]"):
        build(tampered)


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
    # the closed form: target (log target - input), 0 where the target probability is 0
    log_q = student - np.log(np.exp(student).sum(1, keepdims=True))
    pointwise = np.where(target > 0, target * (np.log(np.where(target > 0, target, 1.0)) - log_q), 0.0)
    reduce = {"batchmean": lambda v: v.sum() / 4, "mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    np.testing.assert_allclose(loss.data, reduce(pointwise), rtol=1e-10, atol=1e-15)
    assert ag.gradcheck(
        lambda t: F.kl_div(t.log_softmax(1), given, reduction, log_target), Tensor(student, requires_grad=True)
    )
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
    assert abs(w.data.mean()) < 5 * 0.02 / np.sqrt(w.size)  # symmetric bounds around mean 0: 5 standard errors
    with pytest.raises(ValueError, match="trunc_normal_: need std > 0 and a < b keeping some"):
        nn.init.trunc_normal_(w, mean=0.0, std=0.01, a=5.0, b=6.0)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (
            lambda x, t: F.binary_cross_entropy_with_logits(x, t, pos_weight=np.ones((2, 3))),
            r"pos_weight of shape \(2, 3\)",
        ),
        (lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight=np.ones((2, 1))), r"weight of shape \(2, 1\)"),
        (lambda x, t: F.binary_cross_entropy(x.sigmoid(), t, weight=np.ones(4)), r"weight of shape \(4,\)"),
        (lambda x, t: nn.BCEWithLogitsLoss(pos_weight=np.ones((2, 3)))(x, t), r"pos_weight of shape \(2, 3\)"),
    ],
)
def test_binary_loss_weights_that_would_widen_the_loss_are_refused_as_torch_does(call, words):
    # a (2, 3) pos_weight on 3 logits once broadcast the loss to 6 terms: a mean over twice the terms
    x, t = Tensor([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=words + ".*does not broadcast to the input's shape \\(3,\\)"):
        call(x, t)
    per_class = F.binary_cross_entropy_with_logits(x, t, "none", pos_weight=np.array([2.0, 1.0, 1.0]))
    plain = F.binary_cross_entropy_with_logits(x, t, "none")
    np.testing.assert_allclose(per_class.data, plain.data * [2.0, 1.0, 1.0])  # t = 1 there: the term doubles
