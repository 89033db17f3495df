"""Found by the fourth everyday-use audit, the tensor part: PyTorch idioms from common tutorials (grad mode,
the tensor methods and functions numpy lacks, sin/cos, integer tensors, sampling), each checked against what
PyTorch does (with torch itself where it is installed)."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


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


def test_set_grad_enabled_called_in_a_thread_or_an_asyncio_task_switches_that_one_only():
    import asyncio
    import threading

    seen = {}

    def worker():
        ag.set_grad_enabled(False)  # PyTorch's grad mode is per thread: this one's only
        seen["thread"] = ag.is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()

    async def task():
        ag.set_grad_enabled(False)
        return ag.is_grad_enabled()

    async def main():
        return await asyncio.create_task(task()), ag.is_grad_enabled()

    assert seen == {"thread": False} and asyncio.run(main()) == (False, True)  # the task's mode stays its own
    assert ag.is_grad_enabled()


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
    ("tile", lambda x, m: x.tile((2,)), None),
    ("tile more dims", lambda x, m: x.tile((2, 1, 2)), None),
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


def test_cumsum_is_one_node_with_numpys_sums_and_the_running_sum_from_the_end_as_gradient():
    values = np.random.default_rng(0).standard_normal(1024).astype(np.float32)
    x = Tensor(values, requires_grad=True)
    out = x.cumsum(0)
    assert out.op == "cumsum" and out.parents == (x,)  # one node, not a scan of adds
    assert np.array_equal(out.data, np.cumsum(values))  # bit for bit: float32 sums in numpy's order
    out.sum().backward()
    assert x.grad.dtype == np.float32
    assert np.array_equal(x.grad, np.arange(1024.0, 0.0, -1.0))  # element i feeds n - i running sums
    assert Tensor([True, True, False]).cumsum(0).tolist() == [1, 2, 2]  # booleans count, as in PyTorch
    assert Tensor(np.array([250, 10], np.uint8)).cumsum(0).tolist() == [250, 260]  # int64, not uint8's wrap


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
        (lambda x: x.cumsum(2), r"cumsum: axis 2 is out of range for a tensor with ndim 2 \(valid axes: -2..1\)"),
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


def test_randperm_rand_like_randn_like_and_from_numpy_as_in_pytorch():
    ag.manual_seed(0)
    order = ag.randperm(10)
    assert order.dtype == np.int64 and sorted(order.tolist()) == list(range(10)) and order.tolist() != list(range(10))
    assert ag.randperm(5, generator=ag.Generator(3)).tolist() == ag.randperm(5, generator=ag.Generator(3)).tolist()
    ag.manual_seed(7)
    order = ag.randperm(10)
    ag.manual_seed(7)
    assert ag.randperm(10).tolist() == order.tolist()  # manual_seed replays the global sequence
    x = ag.zeros(3, 2, dtype=ag.float32)
    noise = ag.randn_like(x)
    assert noise.shape == (3, 2) and noise.dtype == np.float32 and noise.data.std() > 0
    many = ag.randn_like(ag.zeros(20_000, dtype=ag.float32)).data  # standard normal: mean 0, std 1 (5 sigma)
    assert abs(many.mean()) < 5 / np.sqrt(20_000) and abs(many.std() - 1) < 5 / np.sqrt(2 * 20_000)
    uniform = ag.rand_like(np.ones(1000), requires_grad=True)
    assert uniform.shape == (1000,) and uniform.dtype == np.float64 and uniform.requires_grad and uniform.is_leaf
    assert uniform.data.min() >= 0 and uniform.data.max() < 1
    # U[0, 1): mean 1/2 and std 1/sqrt(12), each within 5 standard errors
    assert abs(uniform.data.mean() - 0.5) < 5 * np.sqrt(1 / 12 / 1000) and abs(uniform.data.std() - 12**-0.5) < 0.02
    assert ag.randn_like(ag.arange(3), dtype=ag.float64).dtype == np.float64
    with pytest.raises(TypeError, match="randn_like: int64 is not a floating-point dtype; pass dtype="):
        ag.randn_like(ag.arange(3))
    array = np.zeros(3)
    shared = ag.from_numpy(array)
    array[0] = 5.0
    assert shared.tolist() == [5.0, 0.0, 0.0]  # the same memory, as torch.from_numpy
    with pytest.raises(TypeError, match="from_numpy: expected a numpy array, got list"):
        ag.from_numpy([1.0])


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


def test_ag_split_and_chunk_as_torch_split_and_chunk():
    x = Tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    first, rest = ag.split(x, [1, 3], dim=1)
    assert first.tolist() == [[0.0], [4.0], [8.0]] and rest.tolist() == x.data[:, 1:].tolist()
    pieces = ag.chunk(x, 2, dim=0)
    assert [p.tolist() for p in pieces] == [x.data[:2].tolist(), [[8.0, 9.0, 10.0, 11.0]]]
    assert [p.shape for p in ag.split(x, 2, dim=1)] == [(3, 2), (3, 2)]  # an int: pieces of that size
    (first.sum() + 2 * pieces[1].sum()).backward()
    assert x.grad.tolist() == [[1, 0, 0, 0], [1, 0, 0, 0], [3, 2, 2, 2]]
    torch = pytest.importorskip("torch")
    tx = torch.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    t_first, _ = torch.split(tx, [1, 3], dim=1)
    t_pieces = torch.chunk(tx, 2, dim=0)
    assert [p.tolist() for p in t_pieces] == [p.tolist() for p in pieces]
    (t_first.sum() + 2 * t_pieces[1].sum()).backward()
    assert tx.grad.tolist() == x.grad.tolist()


def test_the_device_idioms_of_pytorch_code_run_on_the_cpu():
    import nn

    model = nn.Linear(2, 1, seed=0)
    device = "cpu"
    weight = model.weight.data.copy()
    assert model.cpu() is model and model.to(device) is model and np.array_equal(model.weight.data, weight)
    assert model.weight.device == device  # what PyTorch code reads to place its inputs
    given = Tensor([[1.0, 2.0]])
    x = given.to(model.weight.device)
    assert x is given and x.cpu() is given  # already there: the same tensor, as in PyTorch
    out = model(x)
    predictions = out.detach().cpu().numpy()  # the tutorials' way back to numpy
    assert isinstance(predictions, np.ndarray) and predictions.shape == (1, 1)
    np.testing.assert_allclose(predictions, [[1.0, 2.0]] @ weight.T + model.bias.data, rtol=1e-12)  # x W^T + b
    assert out.requires_grad and not Tensor(predictions).requires_grad  # detached: no graph behind the numbers
    with pytest.raises(ValueError, match="numpy \\(the CPU\\) only, not on 'cuda'"):
        x.to("cuda")


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


def test_floor_division_and_remainder_give_values_for_index_arithmetic():
    i = ag.arange(7)
    assert (i // 3).tolist() == [0, 0, 0, 1, 1, 1, 2] and (i % 3).tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert (i // 3).dtype == np.int64 and (10 // ag.tensor([3, 4])).tolist() == [3, 2]
    assert (7 % ag.tensor([4, 5])).tolist() == [3, 2] and (ag.tensor([7.5]) % 2).tolist() == [1.5]
    w = Tensor([7.5], requires_grad=True)
    for make in (lambda: w % 2, lambda: 2 // w, lambda: ag.arange(2) // w):  # never a silently detached result
        with pytest.raises(TypeError, match="of a tensor that requires grad: it has no gradient here"):
            make()
    with ag.no_grad():
        assert (w // 2).tolist() == [3.0]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
def test_sort_is_stable_and_orders_nan_and_the_smallest_integer_as_torch(descending, dtype):
    torch = pytest.importorskip("torch")
    values = np.array([[2, 0, 2, 1, 2], [-128, 5, 5, -128, 0], [1, 0, 0, 1, 1]])
    if dtype == "float64":
        values = values.astype(np.float64)
        values[0, [1, 3]] = np.nan  # PyTorch: NaN is the largest (first when descending)
    data = values.astype(dtype)
    for dim in (1, 0, -1):
        ours = Tensor(data).sort(dim, descending)
        theirs = torch.from_numpy(data).sort(dim=dim, descending=descending, stable=True)
        assert ours.indices.tolist() == theirs.indices.tolist()
        np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
    top = Tensor(data).topk(2, dim=1, largest=descending)
    assert top.indices.tolist() == ag.sort(Tensor(data), 1, descending).indices.data[:, :2].tolist()


def test_sort_topk_and_gather_of_a_0_d_tensor_as_torch():
    x = Tensor(3.0, requires_grad=True)
    values, indices = x.sort(descending=True)
    assert values.shape == () and values.item() == 3.0 and indices.item() == 0
    assert x.topk(1).values.item() == 3.0 and x.topk(1).indices.shape == ()
    picked = x.gather(0, np.array([0, 0]))
    assert picked.tolist() == [3.0, 3.0]
    picked.sum().backward()
    assert x.grad == 2.0  # both picks flow back


def test_flip_refuses_a_dimension_named_twice_and_integer_division_by_zero():
    with pytest.raises(ValueError, match=r"flip: repeated axis in \(0, -2\)"):
        Tensor([[1.0, 2.0]]).flip((0, -2))
    for divide in (
        lambda: ag.tensor([7, 8]) // 0,
        lambda: ag.tensor([7]) % ag.tensor([0]),
        lambda: 7 // ag.tensor([0]),
    ):
        with pytest.raises(ZeroDivisionError, match=r"integer (//|%) by zero"):
            divide()
    assert (ag.tensor([7.0]) // 0).tolist() == [float("inf")]  # floats divide by zero as IEEE says


@pytest.mark.parametrize(
    "method",
    [("add_", 1.0), ("sub_", 1.0), ("mul_", 2.0), ("div_", 2.0), ("fill_", 0.0), ("zero_",), ("copy_", [3.0, 4.0])],
    ids=lambda m: m[0],
)
def test_an_in_place_method_on_a_recorded_tensor_is_refused_in_its_own_name(method):
    # (it said "in-place '+='" or "item assignment t[...] = v", calls the user never wrote)
    name, *args = method
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=rf"^{name}\(\) on a leaf tensor that requires grad"):
        getattr(w, name)(*args)
    with pytest.raises(RuntimeError, match=rf"^{name}\(\) on a tensor that is part of a recorded graph"):
        getattr(w * 1.0, name)(*args)
    before = w.version
    assert w.tolist() == [1.0, 2.0]
    with ag.no_grad():
        assert getattr(w, name)(*args) is w
    assert w.version > before  # counted as a change: a graph that saved w refuses to backward
