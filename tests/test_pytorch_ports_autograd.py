"""PyTorch's autograd documentation, ported as tests/test_pytorch_ports.py ports the tutorials (``autograd_core
as ag`` for ``torch``, ``nn`` for ``torch.nn``), each step asserting the page's own outcome; where torch is
installed the same code runs in both and the values must agree.

a. A Gentle Introduction to torch.autograd (the Q = 3a^3 - b^2 example, the DAG, freezing for finetuning;
   a small two-layer net stands in for resnet18, which needs torchvision's weights)
b. Autograd mechanics (pytorch.org/docs/stable/notes/autograd.html)
c. torch.autograd.functional's API page: ``ag.autograd.functional`` (added for it; ``ag.jacobian(f)(x)`` is JAX's)

Where the spellings or the choices differ (each measured below):
- ``t.grad_fn`` is a view of the tensor's node, as torch's: ``name()``, ``next_functions``, callable.
- Non-differentiable points: ties split evenly (primitives/__init__.py's rule), so relu'(0) = 1/2 where torch
  takes 0, and ``max(dim)``/``min(dim)`` share a tied gradient where torch gives it all to the returned index;
  sqrt'(0) = inf, |x|'(0) = 0, norm'(0) = 0 and the full ``max()``/``amax`` tie split equal torch's.
- In-place: an in-place op on a tensor that is part of a recorded graph (torch's ``y.exp_()`` on an output) is
  refused when it runs, not at backward; a tensor saved for backward and changed in place afterwards (a constant
  operand) is caught at backward, as torch's version counter does. ``t._version`` reads a global mutation clock
  (it grows with every in-place change anywhere; compare two readings) where torch counts each tensor's changes.
- ``inference_mode`` tensors are plain no-grad tensors: no ``t.is_inference()``, and using one later in a
  recorded computation works (torch refuses to save them for backward).
- ``torch.autograd.graph`` (saved-tensor hooks) does not exist here. ``register_post_accumulate_grad_hook`` was
  added for the page (tensor_torch.py; run by the engine's delivery to the leaves, not by ``ag.compile``'s replays).
- Complex autograd (Wirtinger calculus) is out of scope: the engine is real-valued.
"""

import threading

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = ag  # the pages' own spelling, kept so each step reads as the page does


def _torch():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------- a. A Gentle Introduction to torch.autograd
def test_a_training_step_on_a_small_net_moves_every_parameter_against_its_gradient():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 5))
    data, labels = torch.rand(1, 12), torch.rand(1, 5)
    prediction = model(data)
    loss = (prediction - labels).sum()
    loss.backward()
    optim = nn.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    optim.step()  # the first momentum step is the plain gradient step
    for p, old in zip(model.parameters(), before):
        np.testing.assert_allclose(p.detach().numpy(), old - 1e-2 * p.grad, rtol=1e-6)


def _q(lib):
    a = lib.tensor([2.0, 3.0], requires_grad=True)
    b = lib.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2
    external_grad = lib.tensor([1.0, 1.0])
    Q.backward(gradient=external_grad)
    return a, b, Q


def test_a_q_backward_with_external_grad_gives_9a2_and_minus_2b():
    a, b, _ = _q(torch)
    assert (9 * a**2 == a.grad).all() and (-2 * b == b.grad).all()
    with pytest.raises(RuntimeError, match="backward"):  # a vector Q needs the external gradient
        (3 * torch.tensor([2.0, 3.0], requires_grad=True) ** 3).backward()
    ta, tb, _ = _q(_torch())
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())
    np.testing.assert_array_equal(b.grad, tb.grad.numpy())


def test_a_dag_records_only_what_touches_a_tensor_requiring_grad():
    x, y = torch.rand(5, 5), torch.rand(5, 5)
    z = torch.rand((5, 5), requires_grad=True)
    a, b = x + y, x + z
    assert not a.requires_grad and b.requires_grad
    assert a.grad_fn is None and b.grad_fn is not None and z.is_leaf and not b.is_leaf
    (x_in, _), (z_in, _) = b.grad_fn.next_functions  # torch's: x needs no gradient (None), z's accumulator
    assert x_in is None and z_in.variable is z and b.grad_fn.name() == "AddBackward0"


class _Pretrained(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Linear(6, 4)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(self.features(x).relu())


def test_a_freezing_all_but_a_new_classifier_trains_only_the_classifier():
    torch.manual_seed(1)
    model = _Pretrained()
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(4, 10)  # the new head: its parameters require grad by default
    optimizer = nn.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    frozen = model.features.weight.detach().numpy().copy()
    model(torch.rand(2, 6)).sum().backward()
    optimizer.step()
    assert model.features.weight.grad is None and model.features.bias.grad is None
    assert model.fc.weight.grad is not None and np.abs(model.fc.weight.grad).sum() > 0
    np.testing.assert_array_equal(model.features.weight.detach().numpy(), frozen)


# ---------------------------------------------------------------- b. Autograd mechanics
_KINKS = {  # the non-differentiable points the page lists: ours, and torch's documented choice where it differs
    "relu": (lambda lib, x: x.relu(), [0.0, 0.0], [0.5, 0.5], [0.0, 0.0]),
    "sqrt": (lambda lib, x: x.sqrt(), [0.0, 4.0], [np.inf, 0.25], None),
    "abs": (lambda lib, x: x.abs(), [0.0, -2.0], [0.0, -1.0], None),
    "norm": (lambda lib, x: lib.norm(x), [0.0, 0.0], [0.0, 0.0], None),
    "max": (lambda lib, x: x.max(), [1.0, 3.0, 3.0], [0.0, 0.5, 0.5], None),
    "amax": (lambda lib, x: x.amax(), [1.0, 1.0, 0.0], [0.5, 0.5, 0.0], None),
    "min": (lambda lib, x: x.min(), [1.0, 1.0, 3.0], [0.5, 0.5, 0.0], None),
    "max(dim)": (
        lambda lib, x: x.max(dim=0).values,
        [1.0, 3.0, 3.0],
        [0, 0.5, 0.5],
        [0, 1, 0],
    ),
}


@pytest.mark.parametrize("name", list(_KINKS))
def test_b_gradients_at_non_differentiable_points(name):
    f, point, ours, torch_choice = _KINKS[name]
    x = torch.tensor(point, requires_grad=True)
    with np.errstate(divide="ignore"):
        f(ag, x).sum().backward()
    np.testing.assert_array_equal(x.grad, ours)
    t = _torch()
    tx = t.tensor(point, requires_grad=True)
    f(t, tx).sum().backward()
    np.testing.assert_array_equal(tx.grad.numpy(), ours if torch_choice is None else torch_choice)


def test_b_saved_tensors_are_checked_by_version_and_in_place_on_graph_tensors_is_refused():
    c = torch.ones(2)
    x = torch.ones(2, requires_grad=True)
    y = x * c  # saves c for x's gradient
    before = c._version
    c.mul_(2)
    assert c._version > before  # a reading of the global mutation clock (see the docstring)
    with pytest.raises(RuntimeError, match="saved for backward was modified in place"):
        y.sum().backward()
    x = torch.ones(2, requires_grad=True)
    out = x.exp()  # exp saves its output
    with pytest.raises(RuntimeError, match=r"add_\(\) on a tensor that is part of a recorded graph"):
        out.add_(1)  # torch allows this and raises at backward; here it never runs
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        w.add_(1)  # torch: "a leaf Variable that requires grad is being used in an in-place operation"
    with torch.no_grad():
        w.add_(1)  # an optimizer's update
    assert (w.detach().numpy() == 2).all() and w.requires_grad


def test_b_locally_disabling_gradient_computation():
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        assert not (x * 2).requires_grad
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad and not torch.is_grad_enabled()
    with torch.inference_mode():
        made = x * 2
        assert torch.is_inference_mode_enabled() and not made.requires_grad
    assert torch.is_grad_enabled() and (x * 2).requires_grad
    (made * x).sum().backward()  # torch refuses: inference tensors cannot be saved for backward
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5))
    model.eval()  # eval mode is not no_grad: the output still requires grad, dropout is off
    inp = torch.ones(1, 3)
    out = model(inp)
    assert out.requires_grad and (out.detach().numpy() == model(inp).detach().numpy()).all()


def test_b_backward_in_several_threads_on_separate_graphs():
    results = {}

    def train_fn(i):  # (a thread that raises leaves its entry out, failing the count below)
        x = torch.full((5, 5), float(i + 1), requires_grad=True)
        y = (x + 3) * (x + 4) * 0.5
        y.sum().backward()
        results[i] = x.grad

    threads = [threading.Thread(target=train_fn, args=(i,)) for i in range(8)]
    for p in threads:
        p.start()
    for p in threads:
        p.join()
    assert len(results) == 8
    for i, g in results.items():  # d/dx (x+3)(x+4)/2 = x + 3.5, each thread its own x
        np.testing.assert_allclose(g, np.full((5, 5), i + 1 + 3.5))


def _hook_order(lib):
    order = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: order.append("y") or g * 10)  # registered after retain_grad: .grad still sees it
    x.register_hook(lambda g: order.append("x"))
    w = lib.tensor([3.0], requires_grad=True)
    w.register_hook(lambda g: order.append("w"))
    (y.sum() + (w * 0).sum()).backward(inputs=[x])  # only x's path runs: w's hook does not fire
    return order, y.grad, x.grad, w.grad


def test_b_hooks_fire_output_side_first_retain_grad_sees_the_hooked_gradient_and_inputs_prunes():
    order, y_grad, x_grad, w_grad = _hook_order(torch)
    assert order == ["y", "x"] and w_grad is None
    np.testing.assert_array_equal(y_grad, [10.0, 10.0])
    np.testing.assert_array_equal(x_grad, [20.0, 20.0])
    t_order, t_y, t_x, t_w = _hook_order(_torch())
    assert t_order == order and t_w is None
    np.testing.assert_array_equal(t_y.numpy(), y_grad)
    np.testing.assert_array_equal(t_x.numpy(), x_grad)


def _post_accumulate_order(lib):
    order = []
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    w.register_hook(lambda g: order.append(("tensor hook", None if w.grad is None else w.grad.tolist())) or g * 2)
    handle = w.register_post_accumulate_grad_hook(lambda p: order.append(("post", p.grad.tolist())))
    (w * w).sum().backward()
    (w * w).sum().backward()  # accumulates: the post hook sees the sum
    handle.remove()
    (w * w).sum().backward()
    return order


def test_b_post_accumulate_grad_hooks_run_after_the_tensor_hooks_and_the_accumulation():
    order = _post_accumulate_order(torch)
    assert order == [
        ("tensor hook", None),
        ("post", [4.0, 8.0]),
        ("tensor hook", [4.0, 8.0]),
        ("post", [8.0, 16.0]),
        ("tensor hook", [8.0, 16.0]),
    ]
    w = torch.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only a leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    w.register_post_accumulate_grad_hook(lambda p: p.grad)
    with pytest.raises(TypeError, match="must return None"):
        (w * 3).sum().backward()
    assert _post_accumulate_order(_torch()) == order


# ---------------------------------------------------------------- c. torch.autograd.functional
def _exp_reducer(x):
    return x.exp().sum(dim=1)


def _exp_adder(x, y):
    return 2 * x.exp() + 3 * y


def _pow_reducer(x):
    return x.pow(3).sum()


def _pow_adder_reducer(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2)).sum()


def _two_outputs(x, y):
    return x.sin() * y, (x**2).sum() * y


def _page_calls(lib, inputs, pair):
    """The page's calls, written once for torch and for ag (``lib.autograd.functional``)."""
    F = lib.autograd.functional
    v4, v2 = lib.ones(4, dtype=lib.float64), lib.ones(2, dtype=lib.float64)
    return {
        "jacobian": F.jacobian(_exp_reducer, inputs),
        "jacobian tuple inputs": F.jacobian(_exp_adder, pair),
        "jacobian tuple both": F.jacobian(_two_outputs, (pair[0][0], pair[1][0, 0])),
        "hessian": F.hessian(_pow_reducer, inputs),
        "hessian tuple": F.hessian(_pow_adder_reducer, pair),
        "vjp": F.vjp(_exp_reducer, inputs, v4),
        "vjp scalar, v=None": F.vjp(_pow_reducer, inputs),
        "jvp": F.jvp(_exp_adder, pair, (pair[0] * 0 + 1, pair[1] * 2)),
        "jvp tuple out": F.jvp(_two_outputs, (pair[0][0], pair[1][0, 0]), (v2, lib.tensor(1.0, dtype=lib.float64))),
        "hvp": F.hvp(_pow_adder_reducer, pair, (pair[0] * 0 + 1, pair[1])),
        "vhp": F.vhp(_pow_reducer, inputs, inputs * 0 + 1),
    }


def _flat(value):
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in _flat(v)]
    return [np.asarray(value.detach().numpy())]


def test_c_functional_calls_equal_torch_in_values_and_structure():
    rng = np.random.default_rng(0)
    x, a, b = rng.standard_normal((4, 4)), rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    ours = _page_calls(ag, ag.tensor(x), (ag.tensor(a), ag.tensor(b)))
    assert ours["jacobian"].shape == (4, 4, 4)  # out.shape + x.shape
    np.testing.assert_allclose(ours["jacobian"].numpy()[1, 1], np.exp(x[1]))  # row 1 sums x[1]'s exps
    np.testing.assert_allclose(ours["hessian"].numpy().reshape(16, 16), np.diag(6 * x.ravel()))
    assert len(ours["hessian tuple"]) == 2 and len(ours["hessian tuple"][0]) == 2
    np.testing.assert_allclose(ours["vjp"][1].numpy(), np.exp(x))
    np.testing.assert_allclose(ours["vhp"][1].numpy(), 6 * x)
    assert not any(t.requires_grad for t in _flat(list(ours.values())) if isinstance(t, ag.Tensor))
    t = _torch()
    theirs = _page_calls(t, t.tensor(x), (t.tensor(a), t.tensor(b)))
    for name, value in ours.items():
        expected = theirs[name]
        assert type(value) is tuple if isinstance(expected, tuple) else isinstance(value, ag.Tensor), name
        for got, want in zip(_flat(value), _flat(expected), strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)


def test_c_create_graph_keeps_the_result_differentiable_and_strict_refuses_independent_inputs():
    F = torch.autograd.functional
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    jac = F.jacobian(lambda x: x**3, w * 1, create_graph=True)  # diag(3 x^2)
    assert jac.requires_grad and not F.jacobian(lambda x: x**3, w).requires_grad
    jac.sum().backward()
    np.testing.assert_array_equal(w.grad, [6.0, 12.0])
    _, hv = F.hvp(_pow_reducer, w, torch.ones(2), create_graph=True)  # 6 x: its gradient is 6
    (grad_hv,) = torch.autograd.grad(hv.sum(), [w])
    np.testing.assert_array_equal(grad_hv, [6.0, 6.0])
    x, y = torch.ones(2), torch.tensor(3.0)
    zeros = F.jacobian(lambda a, b: a * 2, (x, y))[1]
    np.testing.assert_array_equal(zeros, [0.0, 0.0])
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        F.vjp(lambda a: torch.ones(2), x, torch.ones(2), strict=True)
    same = F.jacobian(_exp_reducer, torch.ones((2, 2)), vectorize=True, strategy="forward-mode")
    np.testing.assert_allclose(same, F.jacobian(_exp_reducer, torch.ones((2, 2))))


def test_c_bad_calls_say_what_to_pass():
    F = torch.autograd.functional
    x = torch.ones(3)
    with pytest.raises(ValueError, match="v can be None only when"):
        F.vjp(lambda a: a * 2, x)
    with pytest.raises(ValueError, match=r"v must be shaped like inputs: \[\(3,\)\], got \[\(2,\)\]"):
        F.jvp(lambda a: a * 2, x, torch.ones(2))
    with pytest.raises(TypeError, match="the value at index 1 is a list"):
        F.jacobian(lambda a, b: a, (x, [1.0]))
    with pytest.raises(ValueError, match="one element, got shape"):
        F.hessian(lambda a: a * 2, x)
    with pytest.raises(ValueError, match="needs vectorize=True"):
        F.jacobian(lambda a: a, x, strategy="forward-mode")  # torch refuses the same


def test_c_torch_autograd_grad_backward_and_import_spellings():
    from autograd_core.autograd.functional import jacobian  # torch.autograd.functional's import

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(jacobian(lambda t: t * 3, x), 3 * np.eye(2))
    (g,) = torch.autograd.grad((x**2).sum(), [x])
    np.testing.assert_array_equal(g, [2.0, 4.0])
    torch.autograd.backward([x.sum(), x * x], [None, torch.tensor([1.0, 10.0])])
    np.testing.assert_array_equal(x.grad, [3.0, 41.0])  # 1 + 2x * v, summed over both roots
    with pytest.raises(ValueError, match="2 tensors but 1 grad_tensors"):
        torch.autograd.backward([x.sum(), x.sum()], [None])
    assert torch.autograd.Function is ag.Function and torch.autograd.gradcheck is ag.gradcheck
    with pytest.raises(TypeError, match=r"is ag\.autograd\.functional\.jacobian\(f, x\)"):
        torch.jacobian(lambda t: t * 3, x)  # JAX's ag.jacobian(f)(x): the error names torch's spelling here
