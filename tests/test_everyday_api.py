"""What a PyTorch / numpy user types one step outside the README: iteration, int(), truth values,
mask logic (``& | ^ ~ any all``), ``ag.cat`` and ``dim=``, ``zero_grad(set_to_none=)``, saving
into a folder that does not exist. Each case once failed (a silent wrong result, an unclear
error, or a missing name); values are checked against PyTorch where installed, else numpy.
"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

X = np.array([[-1.0, 0.5, 2.0], [3.0, -0.25, 0.0]])


# ---------------------------------------------------------------- iteration, int(), bool()
def test_iterating_a_0d_tensor_is_a_type_error_not_an_empty_list():
    # it used to fall back to t[0], fail, and end: list(Tensor(3.0)) == [] (torch: TypeError)
    with pytest.raises(TypeError, match=r"iteration over a 0-d tensor.*item"):
        list(Tensor(3.0))


def test_iterating_gives_the_rows_with_their_gradient():
    t = Tensor(X, requires_grad=True)
    rows = list(t)
    assert [r.tolist() for r in rows] == X.tolist()
    (rows[0] * 2 + rows[1] * 3).sum().backward()
    assert t.grad.tolist() == [[2.0] * 3, [3.0] * 3]


def test_int_of_a_one_element_tensor_truncates_as_python_and_torch():
    assert int(Tensor(2.7)) == 2 and int(Tensor([-2.7])) == -2
    with pytest.raises(ValueError, match=r"item: only a one-element tensor.*shape \(2,\)"):
        int(Tensor([1.0, 2.0]))


@pytest.mark.parametrize("values", [[1.0, 2.0], []])
def test_truth_value_of_many_or_no_elements_names_the_shape_and_the_fix(values):
    with pytest.raises(ValueError, match=r"bool: .* with \d elements \(shape .*\) is ambiguous.*any\(\).*all\(\)"):
        bool(Tensor(values))
    assert bool(Tensor([1.0])) and not Tensor(0.0)


# ---------------------------------------------------------------- masks
def test_mask_operators_match_numpy_and_torch():
    t = Tensor(X)
    low, high = t > 0, t < 1
    assert ((low & high).data == ((X > 0) & (X < 1))).all()
    assert ((low | high).data == ((X > 0) | (X < 1))).all()
    assert ((low ^ high).data == ((X > 0) ^ (X < 1))).all()
    assert ((~low).data == ~(X > 0)).all()
    assert ((low & True).data == (X > 0)).all() and ((True & low).data == (X > 0)).all()
    assert ((np.ones(3, bool) & low).data == (X > 0)).all()  # numpy on the left: a Tensor too
    assert (~Tensor(np.array([1, 2]))).tolist() == [-2, -3]  # integers: bitwise, as numpy and torch
    assert (low & high).dtype == np.bool_ and not (low & high).requires_grad
    torch = pytest.importorskip("torch")
    tt = torch.tensor(X)
    assert (~((tt > 0) & (tt < 1))).tolist() == (~(low & high)).tolist()


def test_mask_operators_on_floats_say_to_compare_first():
    t = Tensor(X, requires_grad=True)
    with pytest.raises(TypeError, match=r"'&' needs boolean or integer tensors, got float64.*\(x > 0\) & \(x < 1\)"):
        t & t
    with pytest.raises(TypeError, match=r"'\|' needs boolean or integer"):
        t > 0 | t < 1  # noqa: B015  # the precedence slip: 0 | t runs first
    with pytest.raises(TypeError, match=r"'~' needs a boolean or integer tensor, got float64"):
        ~t  # noqa: B018


@pytest.mark.parametrize("name", ["any", "all"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_any_all_match_numpy(name, axis, keepdims):
    mask = X > 0
    got = getattr(Tensor(mask), name)(axis, keepdims)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got.data, getattr(np, name)(mask, axis=axis, keepdims=keepdims))
    if axis is not None and not isinstance(axis, tuple):
        same = getattr(Tensor(mask), name)(dim=axis, keepdim=keepdims)
        np.testing.assert_array_equal(same.data, got.data)


def test_any_all_with_a_bad_axis_name_the_op():
    with pytest.raises(np.exceptions.AxisError, match="any: axis 2 is out of range"):
        Tensor(X).any(2)


# ---------------------------------------------------------------- cat / stack with dim=
def test_cat_and_stack_take_pytorchs_names_and_dim():
    a, b = np.arange(6.0).reshape(2, 3), -np.arange(6.0).reshape(2, 3)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    assert ag.cat is ag.concatenate
    np.testing.assert_array_equal(ag.cat([x, y], dim=1).data, np.concatenate([a, b], axis=1))
    np.testing.assert_array_equal(ag.stack([x, y], dim=-1).data, np.stack([a, b], axis=-1))
    (ag.cat([x, y], dim=-1) * np.arange(6.0)).sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 2.0]] * 2 and y.grad.tolist() == [[3.0, 4.0, 5.0]] * 2
    torch = pytest.importorskip("torch")
    ta, tb = torch.tensor(a), torch.tensor(b)
    assert ag.cat([a, b], dim=0).tolist() == torch.cat([ta, tb], dim=0).tolist()
    assert ag.stack([a, b], dim=2).tolist() == torch.stack([ta, tb], dim=2).tolist()


def test_cat_with_both_axis_and_dim_or_a_bad_dim_says_so():
    with pytest.raises(TypeError, match=r"concatenate: give axis= or dim= \(the same thing\), not both"):
        ag.cat([X, X], axis=1, dim=1)
    with pytest.raises(np.exceptions.AxisError, match="stack: axis 3 is out of range"):
        ag.stack([X, X], dim=3)


# ---------------------------------------------------------------- nn: zero_grad(set_to_none=)
@pytest.mark.parametrize("owner", ["optimizer", "module"])
def test_zero_grad_set_to_none_false_leaves_zeros_then_accumulates_as_torch(owner):
    import nn
    import nn.functional as F

    model = nn.MLP([3, 4, 2], seed=0)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    zero_grad = optimizer.zero_grad if owner == "optimizer" else model.zero_grad
    rows, labels = np.ones((2, 3)), np.array([0, 1])
    F.cross_entropy(model(rows), labels).backward()
    first = [p.grad.copy() for p in model.parameters()]
    zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.shape == p.shape and not p.grad.any() for p in model.parameters())
    F.cross_entropy(model(rows), labels).backward()
    for p, g in zip(model.parameters(), first, strict=True):
        np.testing.assert_array_equal(p.grad, g)  # zeros + the same gradient: exactly it
    zero_grad()  # the default, as PyTorch 2: None
    assert all(p.grad is None for p in model.parameters())
    zero_grad(set_to_none=False)  # a gradient that is None stays None, as in PyTorch
    assert all(p.grad is None for p in model.parameters())


# ---------------------------------------------------------------- indexing with tensors
def test_indexing_with_a_float_tensor_says_why_and_what_to_write():
    t = Tensor(np.arange(5.0), requires_grad=True)
    # Tensor([0, 2]) is float64 (Python lists are): numpy's own message did not say so
    with pytest.raises(
        IndexError,
        match=r"getitem: an index tensor must hold integers or booleans, got a float64 "
        r"tensor of shape \(2,\); .*ag.tensor\(\[0, 2\]\) or idx.long\(\)",
    ):
        t[Tensor([0, 2])]
    with pytest.raises(IndexError, match=r"float64 tensor of shape \(\)"):
        t[(Tensor(1.0),)]
    for index in (ag.tensor([0, 2]), Tensor([0, 2]).long(), [0, 2], np.array([0, 2])):
        assert t[index].tolist() == [0.0, 2.0]
    assert t[t > 2].tolist() == [3.0, 4.0]


# ---------------------------------------------------------------- nn.ModuleList
def _tower(nn, lists):
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = lists([nn.Linear(3, 3, seed=i) for i in range(2)])
            self.head = nn.Linear(3, 1, seed=9)

        def forward(self, x):
            for block in self.blocks:
                x = block(x).tanh()
            return self.head(x)

    return Tower()


def test_module_list_registers_what_a_plain_list_hides(tmp_path):
    import nn

    hidden = _tower(nn, list)  # the trap: a plain list's layers are no parameters (in PyTorch too)
    assert [n for n, _ in hidden.named_parameters()] == ["head.weight", "head.bias"]
    model = _tower(nn, nn.ModuleList)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias", "head.weight", "head.bias"]
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    before = model.blocks[0].weight.data.copy()
    (model(np.ones((4, 3))) ** 2).mean().backward()
    optimizer.step()
    assert not np.array_equal(model.blocks[0].weight.data, before)  # the listed layers train
    nn.save(model, tmp_path / "tower.npz")
    again = _tower(nn, nn.ModuleList)
    nn.load(again, tmp_path / "tower.npz")
    np.testing.assert_array_equal(again(np.ones((2, 3))).data, model(np.ones((2, 3))).data)
    torch = pytest.importorskip("torch")

    class TorchTower(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(3, 3) for _ in range(2)])
            self.head = torch.nn.Linear(3, 1)

    assert names == [n for n, _ in TorchTower().named_parameters()]


def test_module_list_behaves_as_a_list_and_has_no_forward():
    import nn
    from nn.architecture import build, describe

    blocks = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()]).extend([nn.Tanh()])
    blocks.append(nn.Identity())
    assert [type(m).__name__ for m in blocks] == ["Linear", "ReLU", "Tanh", "Identity"] and len(blocks) == 4
    assert type(blocks[1:3]) is nn.ModuleList and type(blocks[-1]) is nn.Identity
    assert type(build(describe(blocks))) is nn.ModuleList and describe(build(describe(blocks))) == describe(blocks)
    with pytest.raises(NotImplementedError, match=r"ModuleList has no forward\(\): call its modules in your own"):
        blocks(np.ones((1, 2)))
    with pytest.raises(TypeError, match="every item must be a Module, got function"):
        nn.ModuleList([lambda x: x])


# ---------------------------------------------------------------- t[index] = value
def test_item_assignment_writes_in_place_as_torch_and_numpy():
    a = X.copy()
    t = Tensor(a.copy())
    t[t < 0] = 0.0
    t[0, 1] = Tensor(9.0)
    t[1, [0, 2]] = np.array([7.0, 8.0])
    t[:, -1] = 5
    a[a < 0] = 0.0
    a[0, 1], a[1, [0, 2]], a[:, -1] = 9.0, [7.0, 8.0], 5
    np.testing.assert_array_equal(t.data, a)
    torch = pytest.importorskip("torch")
    tt = torch.tensor(X.copy())
    tt[tt < 0] = 0.0
    tt[0, 1], tt[1, [0, 2]], tt[:, -1] = 9.0, torch.tensor([7.0, 8.0], dtype=tt.dtype), 5
    assert tt.tolist() == t.tolist()


def test_item_assignment_in_a_graph_or_on_a_parameter_is_refused_or_caught():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"item assignment t\[...\] = v on a leaf tensor that requires grad "
        r"would change it outside the graph.*`w.data\[...\] = v`.*no_grad",
    ):
        w[0] = 0.0
    with pytest.raises(RuntimeError, match=r"item assignment .* part of a recorded graph; make a new tensor"):
        (w * 2)[0] = 0.0
    with ag.no_grad():
        w[0] = 10.0  # as PyTorch: a parameter changed by hand under no_grad
    assert w.tolist() == [10.0, 2.0] and w.requires_grad
    x = Tensor([1.0, 2.0])
    y = (w * x).sum()
    x[0] = 3.0  # x was saved by mul: backward must refuse, not use the new value
    with pytest.raises(RuntimeError, match=r"mul: .* modified in place"):
        y.backward()


@pytest.mark.parametrize("dims", [(0, 1), ((0, 1),), ([1, 0],), (1, 0)])
def test_permute_of_a_matrix_means_what_torch_means(dims):
    t = Tensor(X)
    expected = X.transpose(dims[0] if len(dims) == 1 else dims)
    np.testing.assert_array_equal(t.permute(*dims).data, expected)
    torch = pytest.importorskip("torch")
    assert torch.tensor(X).permute(*dims).tolist() == expected.tolist()


def test_grad_of_a_function_jax_style_says_what_to_call_instead():
    def f(x):
        return (x * x).sum()

    with pytest.raises(TypeError, match=r"value_and_grad\(f\)\(x\)\[1\]"):
        ag.grad(f)
    x = Tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(ag.value_and_grad(f)(x)[1].data, [2.0, 4.0])  # what the message offers works
