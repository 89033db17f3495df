"""ag.Function's errors, its in-place check, ag.compile's replay of it and once_differentiable (test_function.py:
values and gradients against torch)."""

import warnings

import numpy as np
import pytest
from test_function import LegendrePolynomial3, ProductAndSum, SortedWithIndex

import autograd_core as ag
from autograd_core import Tensor


def test_errors_name_the_function_the_argument_the_shapes_and_the_fix():
    x, y = Tensor([1.0, 2.0, 3.0], requires_grad=True), Tensor([3.0, 4.0, 5.0], requires_grad=True)

    class TooFew(ag.Function):
        forward = staticmethod(lambda ctx, x, y: x * y)
        backward = staticmethod(lambda ctx, g: g)

    with pytest.raises(RuntimeError, match=r"TooFew.backward returned 1 gradient, but forward took 2 arguments: "):
        TooFew.apply(x, y).sum().backward()

    class BadShape(ag.Function):
        forward = staticmethod(lambda ctx, x: x * 2)
        backward = staticmethod(lambda ctx, g: g[:2])

    with pytest.raises(RuntimeError, match=r"BadShape.backward returned a gradient of shape \(2,\) for argument 0, "):
        BadShape.apply(x).sum().backward()

    class Broadcast(ag.Function):  # a gradient of the broadcast shape is summed back, as in torch
        forward = staticmethod(lambda ctx, x: x * 2)
        backward = staticmethod(lambda ctx, g: g * Tensor(np.ones((4, 3))))

    Broadcast.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0, 4.0])

    class Text(ag.Function):
        forward = staticmethod(lambda ctx, x: "done")
        backward = staticmethod(lambda ctx, g: g)

    with pytest.raises(TypeError, match=r"Text.forward returned a str, not a Tensor; return a Tensor"):
        Text.apply(x)

    class NumberGrad(ag.Function):
        forward = staticmethod(lambda ctx, x, k: x * k)
        backward = staticmethod(lambda ctx, g: (g, g))

    with pytest.raises(RuntimeError, match=r"NumberGrad.backward returned a gradient for argument 1, a float"):
        NumberGrad.apply(x, 2.0).sum().backward()
    with pytest.raises(TypeError, match=r"NumberGrad.apply: too many positional arguments \(forward\(ctx, x, k\)\)"):
        NumberGrad.apply(x, 2.0, 3.0)

    class NoBackward(ag.Function):
        forward = staticmethod(lambda ctx, x: x * 2)

    with pytest.raises(NotImplementedError, match="NoBackward has no backward: define backward"):
        NoBackward.apply(x).sum().backward()

    class Mixed(ag.Function):
        forward = staticmethod(lambda ctx, x: (x, x.astype(np.float32)))
        backward = staticmethod(lambda ctx, a, b: a)

    with pytest.raises(TypeError, match=r"Mixed.forward returned outputs of dtypes float64 and float32"):
        Mixed.apply(x)


def test_a_saved_tensor_changed_in_place_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = LegendrePolynomial3.apply(x)
    x.data += 1  # a saved input: the engine's own check names the op
    with pytest.raises(RuntimeError, match=r"LegendrePolynomial3: a tensor of shape \(2,\) that it saved for backward"):
        out.sum().backward()
    scale = Tensor([1.0, 1.0])

    class ScaleBy(ag.Function):  # saves a tensor that is not its input
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(scale)
            return x * scale

        @staticmethod
        def backward(ctx, g):
            (s,) = ctx.saved_tensors
            return g * s

    out = ScaleBy.apply(x)
    scale += 1
    with pytest.raises(RuntimeError, match=r"ScaleBy: saved tensor 0 \(shape \(2,\)\) was modified in place after"):
        out.sum().backward()
    ScaleBy.apply(x).sum().backward()  # unchanged since: fine
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_compile_replays_a_function_running_forward_and_backward_afresh_each_call():
    calls = {"forward": 0, "backward": 0}
    state = {"scale": 1.0}  # read by forward each call: the replay must not freeze it

    class Scaled(LegendrePolynomial3):
        @staticmethod
        def forward(ctx, input):
            calls["forward"] += 1
            ctx.scale = state["scale"]
            return LegendrePolynomial3.forward(ctx, input) * ctx.scale

        @staticmethod
        def backward(ctx, grad_output):
            calls["backward"] += 1
            return LegendrePolynomial3.backward(ctx, grad_output) * ctx.scale

    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    step = ag.compile(lambda x: Scaled.apply(x * w).sum())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no CompileWarning: a replay
        for k in range(5):
            state["scale"] = 1.0 + k
            x = Tensor(np.array([1.0, 2.0, -3.0]) * (k + 1) / 5)
            w.grad = None
            loss = step(x)
            got, w.grad = w.grad, None
            before = dict(calls)
            want = Scaled.apply(x * w).sum()
            want.backward()
            np.testing.assert_allclose(loss.data, want.data, rtol=1e-15)
            np.testing.assert_allclose(got, w.grad, rtol=1e-15)
    assert step.replay_count == 3 and step.fallback_reason is None
    assert calls["forward"] - before["forward"] == 1  # (the last call: one replay forward, one define-by-run)
    assert "call=" in step.source


def test_compile_replays_several_outputs_and_inputs_as_define_by_run_does():
    w = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    v = Tensor(np.array([1.5, 1.0, -2.0]), requires_grad=True)

    def fn(x):
        product, total = ProductAndSum.apply(x * w, v)
        values, _, _ = SortedWithIndex.apply(product + total)  # its order changes with x: forward runs each call
        return (values * ag.arange(3.0)).sum() + (product * total).sum()

    step = ag.compile(fn, check=True)  # check: each replay is compared with define-by-run (CompileError if not)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(5):
            x = Tensor(np.array([1.0, 2.0, -3.0]) * (k + 1) * (-1) ** k)
            w.grad = v.grad = None
            loss = step(x)
            got, w.grad, v.grad = (w.grad, v.grad), None, None
            want = fn(x)
            want.backward()
            np.testing.assert_allclose(loss.data, want.data, rtol=1e-15)
            np.testing.assert_allclose(got[0], w.grad, rtol=1e-15)
            np.testing.assert_allclose(got[1], v.grad, rtol=1e-15)
    assert step.fallback_reason is None and step.trace_count == 2


def test_a_function_in_an_nn_style_loop_with_an_optimizer_step_in_between():
    # saved inputs are parameters changed by the optimizer after backward: a fresh forward each step is fine
    w = Tensor(np.array([0.2, -0.4]), requires_grad=True)
    x = Tensor(np.array([1.0, 2.0]))
    losses = []
    for _ in range(20):
        loss = (LegendrePolynomial3.apply(x * w) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        w.data -= 0.05 * w.grad
        w.grad = None
    assert losses[-1] < losses[0] / 2


def test_once_differentiable_gives_first_derivatives_and_refuses_a_second_as_torch():
    class Clip(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mask = x.data > 0
            return x.clamp(min=0)

        @staticmethod
        @ag.once_differentiable
        def backward(ctx, g):
            assert not ag.is_grad_enabled()  # runs without recording, even under create_graph
            return g * Tensor(ctx.mask.astype(float))

    x = Tensor([-1.0, 2.0, 3.0], requires_grad=True)
    (g,) = ag.grad((Clip.apply(x) ** 2).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g.data, [0.0, 4.0, 6.0])
    with pytest.raises(RuntimeError, match=r"Clip.backward is decorated with once_differentiable, so its result has"):
        g.sum().backward()
    torch = pytest.importorskip("torch")
    import torch.autograd.function as torch_function

    class TorchClip(torch.autograd.Function):
        forward = staticmethod(lambda ctx, x: (setattr(ctx, "mask", x > 0), x.clamp(min=0))[1])
        backward = staticmethod(torch_function.once_differentiable(lambda ctx, g: g * ctx.mask))

    tx = torch.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    (tg,) = torch.autograd.grad((TorchClip.apply(tx) ** 2).sum(), tx, create_graph=True)
    np.testing.assert_array_equal(tg.detach().numpy(), g.data)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        tg.sum().backward()


def test_mark_dirty_says_in_place_functions_are_not_supported():
    class AddOneInPlace(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x

        backward = staticmethod(lambda ctx, g: g)

    with pytest.raises(NotImplementedError, match=r"AddOneInPlace: mark_dirty \(an input changed in place\) is not"):
        AddOneInPlace.apply(Tensor([1.0], requires_grad=True))
