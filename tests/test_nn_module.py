"""nn.Module and layers: registration, names, labels, scopes, state dicts, repr, errors."""

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


class Doubler(nn.Module):
    """A root with an op of its own around a child model."""

    def __init__(self):
        super().__init__()
        self.mlp = nn.MLP([3, 4, 2], seed=0)
        self.scale = Tensor(np.ones(2), requires_grad=True)

    def forward(self, x):
        return self.mlp(x) * self.scale


def scopes_by_op(root):
    found = {}
    for t in ag.walk(root):
        if t.op is not None:
            found.setdefault(t.op, set()).add(t.scope)
    return found


# ---------------------------------------------------------------------------------- names and labels
def test_named_parameters_are_dotted_paths_in_order():
    model = nn.MLP([3, 5, 4, 2], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.weight",
        "layers.2.bias",
        "layers.4.weight",
        "layers.4.bias",
    ]
    assert [p.shape for p in model.parameters()] == [(5, 3), (5,), (4, 5), (4,), (2, 4), (2,)]


def test_labels_are_dotted_names_after_construction_and_after_nesting():
    model = nn.MLP([3, 4, 2], seed=0)
    assert [p.label for p in model.parameters()] == [n for n, _ in model.named_parameters()]
    outer = Doubler()  # the MLP constructed inside gets relabelled under "mlp."
    assert {n: p.label for n, p in outer.named_parameters()} == {n: n for n, _ in outer.named_parameters()}
    assert outer.mlp.layers[0].weight.label == "mlp.layers.0.weight"


def test_labels_are_refreshed_by_calling_the_root():
    model = Doubler()
    model.mlp.layers[0].weight = Tensor(np.zeros((4, 3)), requires_grad=True)  # replaced deep inside
    model.scale.label = "something else"
    model(np.ones((1, 3)))
    assert model.mlp.layers[0].weight.label == "mlp.layers.0.weight"
    assert model.scale.label == "scale"


def test_calling_a_child_directly_keeps_the_full_labels():
    model = nn.MLP([3, 4, 2], seed=0)
    out = model.layers[0](np.ones((1, 3)))
    assert model.layers[0].weight.label == "layers.0.weight"
    assert {t.scope for t in ag.walk(out) if t.op} == {None}


def test_shared_parameters_are_listed_once():
    layer = nn.Linear(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in model.named_modules()] == ["", "0", "1"]


def test_parameters_and_modules_can_be_replaced_and_deleted():
    model = Doubler()
    model.scale = Tensor(np.ones(2))  # no requires_grad: a plain constant, not a parameter
    assert "scale" not in dict(model.named_parameters())
    mlp = model.mlp
    del model.mlp
    assert list(model.named_parameters()) == [] and list(model.children()) == []
    mlp(np.ones((1, 3)))  # on its own again: the root of its own names
    assert mlp.layers[0].weight.label == "layers.0.weight"


# ---------------------------------------------------------------------------------- scopes
def test_module_calls_stamp_scopes_with_the_dotted_module_path():
    model = nn.MLP([3, 4, 2], seed=0)
    scopes = scopes_by_op(model(np.ones((2, 3))))
    assert scopes["linear"] == {"layers.0", "layers.2"}
    assert scopes["relu"] == {"layers.1"}
    assert "add" not in scopes  # the bias is the linear op's third input


def test_mlp_runs_its_layers_with_the_same_scopes_and_hooks_whether_or_not_it_calls_its_sequential():
    """MLP skips its Sequential's own call (no op of it carries "layers"), unless a hook needs it."""
    model = nn.MLP([3, 4, 2], seed=0)
    seen = []
    handle = model.layers.register_forward_hook(lambda module, inputs, out: seen.append(out.shape))
    hooked = scopes_by_op(model(np.ones((2, 3))))
    assert seen == [(2, 2)]
    handle.remove()
    assert scopes_by_op(model(np.ones((2, 3)))) == hooked
    assert seen == [(2, 2)] and hooked["relu"] == {"layers.1"} and hooked["linear"] == {"layers.0", "layers.2"}


def test_the_root_enters_no_scope_and_nesting_joins_names():
    """The outermost module's own ops keep the caller's scope (None at top level); its
    children's scopes are their dotted paths, the prefix of their parameters' labels."""
    model = Doubler()
    out = model(np.ones((2, 3)))
    assert out.op == "mul" and out.scope is None
    scopes = scopes_by_op(out)
    assert scopes["linear"] == {"mlp.layers.0", "mlp.layers.2"}
    layer = model.mlp.layers[2]
    linear = next(t for t in ag.walk(out) if t.op == "linear" and t.scope == "mlp.layers.2")
    assert layer.weight.label.startswith(linear.scope + ".")
    with ag.scope("outer"):
        assert model(np.ones((1, 3))).parents[0].scope == "outer.mlp.layers.2"


def test_scopes_recover_after_an_exception_in_forward():
    model = nn.MLP([3, 4, 2], seed=0)
    with pytest.raises(ValueError):
        model(np.ones((2, 5)))
    assert scopes_by_op(model(np.ones((2, 3))))["relu"] == {"layers.1"}
    assert Tensor(1.0).scope is None


# ---------------------------------------------------------------------------------- state
def test_state_dict_is_a_copy_and_load_state_dict_restores():
    model = nn.MLP([3, 4, 2], seed=0)
    state = model.state_dict()
    assert list(state) == [n for n, _ in model.named_parameters()]
    model.layers[0].weight.data += 1.0
    assert not np.array_equal(state["layers.0.weight"], model.layers[0].weight.data)
    weight = model.layers[0].weight
    model.load_state_dict(state)
    assert model.layers[0].weight is weight  # values copied into the same parameter
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, state[name])
        assert p.data is not state[name]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda s: s.pop("layers.2.bias"), r"missing names: layers.2.bias"),
        (lambda s: s.update(extra=np.ones(1)), r"unexpected names: extra"),
        (
            lambda s: s.update({"layers.0.weight": np.ones((3, 4))}),
            r"'layers.0.weight': shape \(3, 4\), the parameter has shape \(4, 3\)",
        ),
        (lambda s: s.update({"layers.0.bias": np.ones(4, int)}), r"'layers.0.bias': dtype int64 is not floating-point"),
        (lambda s: s.update({"layers.2.bias": np.array([np.nan, 1.0])}), r"'layers.2.bias': 1 NaN/Inf values"),
    ],
)
def test_load_state_dict_checks_everything_first_and_changes_nothing(edit, message):
    model = nn.MLP([3, 4, 2], seed=0)
    other = nn.MLP([3, 4, 2], seed=1).state_dict()
    edit(other)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"load_state_dict for MLP: nothing was changed because of .*" + message):
        model.load_state_dict(other)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])


def test_values_that_overflow_a_float32_parameter_are_refused_before_any_change():
    """1e300 is finite in the float64 file but inf once cast to float32: it must not load as inf."""
    model = nn.MLP([3, 4, 2], seed=0, dtype=np.float32)
    state = {name: value.astype(np.float64) for name, value in nn.MLP([3, 4, 2], seed=1).state_dict().items()}
    state["layers.2.bias"] = np.array([1e300, 0.5])
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"'layers.2.bias': 1 values overflow the parameter's dtype float32"):
        model.load_state_dict(state)
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])
    del state["layers.2.bias"]
    model.load_state_dict(state, strict=False)  # float64 values that fit load as float32
    assert model.layers[0].weight.dtype == np.float32
    np.testing.assert_array_equal(model.layers[0].weight.data, state["layers.0.weight"].astype(np.float32))


def test_load_state_dict_non_strict_and_tensor_values():
    model = nn.MLP([3, 4, 2], seed=0)
    model.load_state_dict({"layers.0.bias": Tensor(np.full(4, 7.0)), "ignored": np.ones(1)}, strict=False)
    np.testing.assert_array_equal(model.layers[0].bias.data, np.full(4, 7.0))
    with pytest.raises(TypeError, match=r"load_state_dict: expected a dict of name -> array, got list"):
        model.load_state_dict([1, 2])


def test_zero_grad_train_eval_and_hooks():
    model = nn.MLP([3, 4, 2], seed=0)
    F.cross_entropy(model(np.ones((2, 3))), np.array([0, 1])).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    seen = []
    handle = model.layers[1].register_forward_hook(lambda m, inputs, out: seen.append((m, inputs[0].shape, out.shape)))
    model(np.ones((5, 3)))
    assert seen == [(model.layers[1], (5, 4), (5, 4))]
    handle.remove()
    model(np.ones((5, 3)))
    assert len(seen) == 1
    model.layers[2].register_forward_hook(lambda m, inputs, out: out * 0)
    assert not model(np.ones((1, 3))).data.any()


# ---------------------------------------------------------------------------------- layers
def test_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(
        nn.Linear(4, 8),
        nn.ReLU(),
        nn.Linear(8, 3, bias=False),
        nn.Sigmoid(),
        nn.Tanh(),
        nn.Identity(),
        nn.Sequential(nn.Linear(3, 3)),
    )
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 3, bias=False),
        torch.nn.Sigmoid(),
        torch.nn.Tanh(),
        torch.nn.Identity(),
        torch.nn.Sequential(torch.nn.Linear(3, 3)),
    )
    assert repr(ours) == repr(theirs)


def test_linear_matches_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    ours = nn.Linear(5, 3, seed=0)
    theirs = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        theirs.bias.copy_(torch.from_numpy(ours.bias.data + 0.5))
    ours.bias.data += 0.5
    x = np.random.default_rng(0).normal(size=(4, 5))
    out, ref = ours(x), theirs(torch.from_numpy(x))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12)
    ((out + 1) ** 2).mean().backward()
    ((ref + 1) ** 2).mean().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-10)


def test_linear_float32_end_to_end_and_without_bias():
    layer = nn.Linear(3, 2, bias=False, dtype=np.float32, seed=0)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    out = layer(np.ones((4, 3), np.float32))
    assert out.dtype == np.float32
    out.sum().backward()
    assert layer.weight.grad.dtype == np.float32


def test_linear_keeps_its_weight_column_major_and_its_gradient_in_that_layout():
    # weight.T is then a row-major matrix for the forward matmul (OpenBLAS's fast kernel), and
    # backward hands the weight a gradient of the weight's own layout (no transposing copy)
    layer = nn.Linear(4, 3, seed=0, dtype=np.float32)
    assert layer.weight.shape == (3, 4) and layer.weight.data.flags.f_contiguous
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    out = layer(x)
    want = x @ np.ascontiguousarray(layer.weight.data).T + layer.bias.data
    np.testing.assert_allclose(out.data, want, rtol=1e-5, atol=1e-6)
    (out * out).sum().backward()
    assert layer.weight.grad.flags.f_contiguous and not layer.weight.grad.flags.c_contiguous
    np.testing.assert_allclose(layer.weight.grad, 2 * out.data.T @ x, rtol=1e-5, atol=1e-6)
    nn.optim.SGD(layer.parameters(), lr=0.1).step()  # an in-place update keeps the layout
    assert layer.weight.data.flags.f_contiguous and not layer.weight.data.flags.c_contiguous


def test_layer_errors():
    with pytest.raises(
        ValueError,
        match=r"Linear\(in_features=3, out_features=2\): input of shape \(4, 5\) has 5 "
        r"features in its last axis, expected 3; give an input of shape \(N, 3\)",
    ):
        nn.Linear(3, 2)(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"input of shape \(\) has no features"):
        nn.Linear(3, 2)(Tensor(1.0))
    with pytest.raises(ValueError, match=r"Linear: in_features must be a positive int, got 0"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match=r"Linear: unknown init 'he'; choose one of"):
        nn.Linear(2, 2, init="he")
    with pytest.raises(TypeError, match=r"Linear: dtype must be floating-point"):
        nn.Linear(2, 2, dtype=np.int32)
    with pytest.raises(
        TypeError,
        match=r"Sequential: every item must be a Module, got ufunc at position 1; "
        r"wrap functions in a Module",
    ):
        nn.Sequential(nn.ReLU(), np.tanh)
    with pytest.raises(IndexError, match=r"Sequential: index 3 out of range for 2 modules"):
        nn.Sequential(nn.ReLU(), nn.ReLU())[3]
    with pytest.raises(ValueError, match=r"MLP: sizes must be a list \[in, hidden..., out\] of at least 2 ints"):
        nn.MLP([3])
    with pytest.raises(ValueError, match=r"MLP: sizes\[1\] must be a positive int, got -4"):
        nn.MLP([3, -4, 2])
    with pytest.raises(ValueError, match=r"MLP: unknown activation 'gelu'; choose one of"):
        nn.MLP([3, 2], activation="gelu")
    with pytest.raises(ValueError, match=r"MLP \(output_activation\): unknown activation 'softmax'.* or None"):
        nn.MLP([3, 2], output_activation="softmax")


def test_module_errors():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = Tensor([1.0], requires_grad=True)

    with pytest.raises(
        AttributeError,
        match=r"Forgetful: cannot assign 'w' before Module.__init__\(\) ran; "
        r"call super\(\).__init__\(\) first",
    ):
        Forgetful()
    with pytest.raises(NotImplementedError, match=r"Module has no forward\(\)"):
        nn.Module()(1.0)
    with pytest.raises(TypeError, match=r"add_module: 'x' must be a Module, got int"):
        nn.Module().add_module("x", 3)


def test_sequential_indexing_slicing_iteration():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers and model[-1] is layers[2]
    assert list(model[1:]) == layers[1:]
    assert model(np.ones((4, 2))).shape == (4, 1)


def test_mlp_structure_and_output_activation():
    model = nn.MLP([2, 3, 1], activation="tanh", output_activation="sigmoid", seed=0)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Tanh", "Linear", "Sigmoid"]
    out = model(np.random.default_rng(0).normal(size=(50, 2)) * 10).data
    assert ((out > 0) & (out < 1)).all()
