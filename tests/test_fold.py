"""``fold`` (col2im, PyTorch's ``F.fold`` / ``nn.Fold``), the transpose of ``unfold``: torch's values and
gradients over fuzzed settings, and without torch the adjoint identity <fold(a), b> == <a, unfold(b)>,
gradcheck, second derivatives (fold's vjp records unfold, unfold's records fold), the errors, save/load,
``ag.compile``; and ``ag.is_inference_mode_enabled``."""

import threading

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


def fuzzed_settings(count=24, seed=0):
    """(columns shape, settings) pairs: random kernels, dilations, paddings, strides and output sizes,
    each holding at least one window."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(count):
        kernel, dilation = tuple(rng.integers(1, 4, 2)), tuple(rng.integers(1, 3, 2))
        padding, stride = tuple(rng.integers(0, 3, 2)), tuple(rng.integers(1, 4, 2))
        spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        size = tuple(max(1, s - 2 * p + int(rng.integers(0, 5))) for s, p in zip(spans, padding))
        windows = [(n + 2 * p - s) // st + 1 for n, p, s, st in zip(size, padding, spans, stride)]
        n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
        shape = (n, c * kernel[0] * kernel[1], windows[0] * windows[1])
        settings = dict(output_size=size, kernel_size=kernel, dilation=dilation, padding=padding, stride=stride)
        cases.append((shape, {k: tuple(int(v) for v in value) for k, value in settings.items()}))
    return cases


FUZZED = fuzzed_settings()
SETTINGS = FUZZED[:6]  # the torch-free tests: a few of the same


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_and_gradients_equal_torchs_over_fuzzed_settings(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    tolerance = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)
    for shape, settings in FUZZED:
        columns = rng.standard_normal(shape).astype(dtype)
        ours = Tensor(columns, requires_grad=True)
        theirs = torch.tensor(columns, requires_grad=True)
        out, expected = F.fold(ours, **settings), torch.nn.functional.fold(theirs, **settings)
        assert out.dtype == dtype and out.shape == tuple(expected.shape), settings
        np.testing.assert_allclose(out.data, expected.detach().numpy(), **tolerance)
        g = rng.standard_normal(out.shape).astype(dtype)
        out.backward(g)
        expected.backward(torch.tensor(g))
        assert ours.grad.dtype == dtype
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), **tolerance)


def test_an_unbatched_input_is_one_image_as_torchs():
    torch = pytest.importorskip("torch")
    columns = np.random.default_rng(2).standard_normal((12, 6))
    settings = dict(output_size=(3, 5), kernel_size=2, padding=(0, 1), stride=(1, 2))
    out = F.fold(columns, **settings)
    assert out.shape == (3, 3, 5)
    np.testing.assert_allclose(out.data, torch.nn.functional.fold(torch.tensor(columns), **settings).numpy())
    np.testing.assert_array_equal(out.data, F.fold(columns[None], **settings).data[0])


def window_counts(size, kernel_size, dilation, padding, stride):
    """How many windows read each pixel, counted one window and kernel offset at a time."""
    counts, kernel = np.zeros(size), kernel_size
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    windows = [(n + 2 * p - s) // st + 1 for n, p, s, st in zip(size, padding, spans, stride)]
    for y in range(windows[0]):
        for x in range(windows[1]):
            for a in range(kernel[0]):
                for b in range(kernel[1]):
                    i, j = y * stride[0] + a * dilation[0] - padding[0], x * stride[1] + b * dilation[1] - padding[1]
                    if 0 <= i < size[0] and 0 <= j < size[1]:
                        counts[i, j] += 1
    return counts


@pytest.mark.parametrize("shape, settings", SETTINGS)
def test_fold_of_unfold_is_the_input_times_the_window_count(shape, settings):
    """torch's documented identity: fold(unfold(x)) == x * fold(unfold(ones)), the count counted here by hand."""
    size, window = settings["output_size"], {k: v for k, v in settings.items() if k != "output_size"}
    x = np.random.default_rng(3).standard_normal((2, 3) + size)
    counts = window_counts(size, **window)
    np.testing.assert_allclose(F.fold(F.unfold(x, **window), size, **window).data, x * counts, rtol=1e-12)


@pytest.mark.parametrize("shape, settings", SETTINGS)
def test_fold_is_unfolds_transpose(shape, settings):
    """<fold(a), b> == <a, unfold(b)> for random a, b: fold is unfold's adjoint, no oracle needed."""
    rng = np.random.default_rng(4)
    window = {k: v for k, v in settings.items() if k != "output_size"}
    a = rng.standard_normal(shape)
    b = rng.standard_normal((shape[0], shape[1] // np.prod(window["kernel_size"])) + settings["output_size"])
    left = (F.fold(a, **settings).data * b).sum()
    right = (a * F.unfold(b, **window).data).sum()
    np.testing.assert_allclose(left, right, rtol=1e-12)


@pytest.mark.parametrize("shape, settings", SETTINGS)
def test_gradcheck(shape, settings):
    columns = Tensor(np.random.default_rng(5).standard_normal(shape), requires_grad=True)
    assert ag.gradcheck(lambda c: (F.fold(c, **settings) ** 2).sum(axis=(0, 1)), columns)


@pytest.mark.parametrize("op", ["fold", "unfold"])
@pytest.mark.parametrize("shape, settings", SETTINGS[:3])
def test_second_derivatives_equal_finite_differences_of_the_first(op, shape, settings):
    """create_graph records fold's vjp as an unfold (and unfold's as a fold): the Hessian-vector product of
    a cubic through it equals central differences of the recorded first derivative."""
    rng = np.random.default_rng(6)
    window = {k: v for k, v in settings.items() if k != "output_size"}
    if op == "fold":
        fn, other = (lambda t: F.fold(t, **settings)), "unfold"
        x0 = rng.standard_normal(shape)
    else:
        fn, other = (lambda t: F.unfold(t, **window)), "fold"
        x0 = rng.standard_normal((shape[0], shape[1] // np.prod(window["kernel_size"])) + settings["output_size"])
    weights, v = rng.standard_normal(fn(x0).shape), rng.standard_normal(x0.shape)

    def first(x, create_graph=False):
        t = Tensor(x, requires_grad=True)
        (g,) = ag.grad((fn(t) ** 3 * weights).sum(), [t], create_graph=create_graph)
        return t, g

    x, g = first(x0, create_graph=True)
    assert other in {n.op for n in ag.walk(g)}
    (hv,) = ag.grad((g * v).sum(), [x])
    eps = 1e-6
    numeric = (first(x0 + eps * v)[1].data - first(x0 - eps * v)[1].data) / (2 * eps)
    np.testing.assert_allclose(hv.data, numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: F.fold(np.ones((1, 10, 9)), 4, 2),
            "fold: the input of shape (1, 10, 9) has 10 rows, not a multiple of the kernel's 2x2 = 4 (C*kh*kw rows "
            "for C channels); give the kernel_size the columns were unfolded with",
        ),
        (
            lambda: F.fold(np.ones((1, 8, 8)), 4, 2),
            "fold: the input of shape (1, 8, 8) has 8 columns, but output_size (4, 4) with kernel 2x2, dilation 1x1, "
            "padding ((0, 0), (0, 0)) and stride 1x1 holds 3x3 = 9 windows; give the settings the columns were "
            "unfolded with",
        ),
        (
            lambda: F.fold(np.ones((1, 9, 1)), (2, 5), 3),
            "fold: the kernel 3x3 (dilation 1x1) spans 3x3, more than the padded output's 2x5 (output_size (2, 5)); "
            "give a larger output_size or padding, or a smaller kernel_size or dilation",
        ),
        (
            lambda: F.fold(np.ones((1, 1, 4, 9)), 4, 2),
            "fold: expected a 3-d (N, C*kh*kw, L) input or a 2-d (C*kh*kw, L) one, got shape (1, 1, 4, 9); "
            "give the columns as unfold returns them",
        ),
        (lambda: F.fold(np.ones((1, 4, 9)), 0, 2), "fold: output_size must be >= 1, got 0"),
        (lambda: F.fold(np.ones((1, 4, 9)), (4, 4), 2, stride=0), "fold: stride must be >= 1, got 0"),
        (
            lambda: F.fold(np.ones((1, 4, 9)), 4.0, 2),
            "fold: output_size must be an int or a pair of ints (height, width), got 4.0",
        ),
        (lambda: nn.Fold(4, 2, padding=-1), "Fold: padding must be >= 0, got -1"),
    ],
)
def test_errors_name_fold_the_shapes_and_the_fix(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value) == message


def test_the_primitive_checks_its_own_input():
    with pytest.raises(ValueError, match=r"^fold: cannot apply to shapes \(1, 8, 8\): the input of shape"):
        Tensor.apply(
            ag.PRIMITIVES["fold"],
            np.ones((1, 8, 8)),
            output_size=(4, 4),
            kernel_size=(2, 2),
            dilation=(1, 1),
            padding=((0, 0), (0, 0)),
            stride=(1, 1),
        )


def test_nn_fold_prints_saves_and_loads_its_settings(tmp_path):
    layers = nn.Sequential(
        nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        nn.Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        nn.Conv2d(3, 2, 1, seed=0),  # (nn.save wants a parameter)
    )
    assert repr(layers[1]) == (
        "Fold(output_size=(5, 6), kernel_size=(2, 3), dilation=(1, 2), padding=(1, 1), stride=(2, 1))"
    )
    x = np.random.default_rng(7).standard_normal((2, 3, 5, 6))
    loaded = nn.load(nn.save(layers, tmp_path / "fold.npz"))
    assert repr(loaded) == repr(layers)
    np.testing.assert_array_equal(loaded(x).data, layers(x).data)
    folded = layers[:2](x).data
    np.testing.assert_allclose(folded, x * window_counts((5, 6), (2, 3), (1, 2), (1, 1), (2, 1)), rtol=1e-12)


def test_compile_replays_a_step_through_fold_with_the_same_gradients():
    rng = np.random.default_rng(8)
    w = Tensor(rng.standard_normal((12, 9)), requires_grad=True)
    twin = Tensor(w.data.copy(), requires_grad=True)  # the same weights, run define-by-run

    def loss(weights, columns):
        return (F.fold(columns * weights, (4, 4), 2).tanh() ** 2).sum()

    step = ag.compile(lambda columns: loss(w, columns))
    for _ in range(4):
        columns = Tensor(rng.standard_normal((2, 12, 9)))
        value = step(columns)
        expected = loss(twin, columns)
        expected.backward()
        np.testing.assert_allclose(value.item(), expected.item(), rtol=1e-12)
        np.testing.assert_allclose(w.grad, twin.grad, rtol=1e-12)
        w.grad = twin.grad = None
    assert step.replay_count >= 2 and step.fallback_reason is None, step


def test_fold_is_exported_as_unfold_is():
    assert "fold" in ag.__all__ and "fold" in F.__all__ and "Fold" in nn.__all__
    assert "is_inference_mode_enabled" in ag.__all__


# ------------------------------------------------------------------ ag.is_inference_mode_enabled
def test_is_inference_mode_enabled_inside_inference_mode_only():
    assert not ag.is_inference_mode_enabled()
    with ag.inference_mode():
        assert ag.is_inference_mode_enabled()
        with ag.enable_grad():  # grad mode apart: still inference mode, as torch's
            assert ag.is_grad_enabled() and ag.is_inference_mode_enabled()
        with ag.inference_mode(False):
            assert not ag.is_inference_mode_enabled() and ag.is_grad_enabled()
        assert ag.is_inference_mode_enabled() and not ag.is_grad_enabled()
    assert not ag.is_inference_mode_enabled() and ag.is_grad_enabled()
    with ag.no_grad():
        assert not ag.is_inference_mode_enabled()
    with ag.inference_mode(False):
        assert not ag.is_inference_mode_enabled()
    with pytest.raises(RuntimeError), ag.inference_mode():
        raise RuntimeError("left by an error")
    assert not ag.is_inference_mode_enabled()


def test_is_inference_mode_enabled_in_decorated_functions_generators_and_threads():
    @ag.inference_mode
    def bare():
        return ag.is_inference_mode_enabled()

    @ag.inference_mode()
    def steps():
        yield ag.is_inference_mode_enabled()
        yield ag.is_inference_mode_enabled()

    assert bare() and list(steps()) == [True, True] and not ag.is_inference_mode_enabled()
    seen = []
    with ag.inference_mode():
        generator = steps()
        next(generator)
        worker = threading.Thread(target=lambda: seen.append(ag.is_inference_mode_enabled()))
        worker.start()
        worker.join()
    assert seen == [False]  # another thread keeps its own switches
    assert not ag.is_inference_mode_enabled()  # the suspended generator does not leak its block


def test_is_inference_mode_enabled_agrees_with_torch():
    torch = pytest.importorskip("torch")
    states = []
    for lib in (ag, torch):  # the same blocks in each: what each reports at each point
        seen = [lib.is_inference_mode_enabled()]
        with lib.inference_mode():
            seen.append(lib.is_inference_mode_enabled())
            with lib.enable_grad():
                seen.append(lib.is_inference_mode_enabled())
            with lib.inference_mode(False):
                seen.append(lib.is_inference_mode_enabled())
            seen.append(lib.is_inference_mode_enabled())
        with lib.no_grad():
            seen.append(lib.is_inference_mode_enabled())
        states.append(seen)
    assert states[0] == states[1] == [False, True, True, False, True, False]
