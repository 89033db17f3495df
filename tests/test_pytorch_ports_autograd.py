"""PyTorch's autograd documentation, ported as tests/test_pytorch_ports.py ports the tutorials (``autograd_core
as ag`` for ``torch``, ``nn`` for ``torch.nn``), each step asserting the page's own outcome; where torch is
installed the same code runs in both and the values must agree.

a. A Gentle Introduction to torch.autograd (the Q = 3a^3 - b^2 example, the DAG, freezing for finetuning;
   a small two-layer net stands in for resnet18, which needs torchvision's weights)
b. Autograd mechanics (pytorch.org/docs/stable/notes/autograd.html)
c. torch.autograd.functional's API page: ``ag.autograd.functional`` (added for it; ``ag.jacobian(f)(x)`` is JAX's)

Where the spellings or the choices differ (each measured below):
- ``t.grad_fn`` is the op's primitive class, shared by every node, not a graph node: torch's
  ``grad_fn.next_functions[i][0]`` is ``t.parents[i].grad_fn`` here (the error says so).
- Non-differentiable points: ties split evenly (primitives/__init__.py's rule), so relu'(0) = 1/2 where torch
  takes 0, and ``max(dim)``/``min(dim)`` share a tied gradient where torch gives it all to the returned index;
  sqrt'(0) = inf, |x|'(0) = 0, norm'(0) = 0 and the full ``max()``/``amax`` tie split equal torch's.
  ``t.max(dim)`` returns the values themselves (no ``.values``).
- In-place: an in-place op on a tensor that is part of a recorded graph (torch's ``y.exp_()`` on an output) is
  refused when it runs, not at backward; a tensor saved for backward and changed in place afterwards (a constant
  operand) is caught at backward, as torch's version counter does. ``t._version`` reads a global mutation clock
  (it grows with every in-place change anywhere; compare two readings) where torch counts each tensor's changes.
- ``inference_mode`` tensors are plain no-grad tensors: no ``t.is_inference()``, and using one later in a
  recorded computation works (torch refuses to save them for backward).
- ``register_post_accumulate_grad_hook`` and ``torch.autograd.graph`` (saved-tensor hooks) do not exist here.
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
    with pytest.raises(AttributeError, match=r"parents\[i\]"):  # the spelling that differs (see the docstring)
        _ = b.grad_fn.next_functions


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
        lambda lib, x: x.max(dim=0) if lib is ag else x.max(dim=0).values,
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
    assert not hasattr(torch.ones(1), "register_post_accumulate_grad_hook")  # a difference (see the docstring)
    t_order, t_y, t_x, t_w = _hook_order(_torch())
    assert t_order == order and t_w is None
    np.testing.assert_array_equal(t_y.numpy(), y_grad)
    np.testing.assert_array_equal(t_x.numpy(), x_grad)
