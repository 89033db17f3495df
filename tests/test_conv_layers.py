"""nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Unfold: PyTorch's initialisation, torch's outputs for the
same weights, nn.save / nn.load round trips, the printed model, ag.compile's replay of a CNN step, and
the layers' errors."""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor


def small_cnn(dtype=np.float64, seed=0):
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, seed=seed, dtype=dtype),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, (2, 3), stride=1, padding="same", groups=2, seed=seed + 1, dtype=dtype),
        nn.AvgPool2d(2, count_include_pad=False),
        nn.Flatten(),
        nn.Linear(24, 3, seed=seed, dtype=dtype),
    )


def test_the_initialisation_is_pytorchs_uniform_of_one_over_sqrt_fan_in():
    layer = nn.Conv2d(16, 32, 3, groups=2, seed=0, dtype=np.float32)
    bound = 1 / math.sqrt(8 * 3 * 3)  # fan_in = in_channels / groups * kh * kw
    assert layer.weight.shape == (32, 8, 3, 3) and layer.weight.dtype == np.float32
    assert layer.bias.shape == (32,) and layer.bias.dtype == np.float32
    for values in (layer.weight.data, layer.bias.data):
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound
    # uniform on (-b, b): standard deviation b / sqrt(3)
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    again = nn.Conv2d(16, 32, 3, groups=2, seed=0, dtype=np.float32)
    np.testing.assert_array_equal(again.weight.data, layer.weight.data)
    assert nn.Conv2d(2, 3, 1, bias=False).bias is None


def test_a_layer_gives_torchs_output_and_gradients_for_the_same_weights():
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2, seed=0)
    theirs = torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 6))
    out, expected = ours(x), theirs(torch.tensor(x))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    (out**2).sum().backward()
    (expected**2).sum().backward()
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_cnn_saves_loads_and_gives_the_same_outputs(tmp_path, dtype):
    model = small_cnn(dtype)
    x = np.random.default_rng(1).standard_normal((5, 1, 8, 8)).astype(dtype)
    path = nn.save(model, tmp_path / "cnn.npz")
    loaded = nn.load(path)
    assert repr(loaded) == repr(model)
    np.testing.assert_array_equal(loaded(x).data, model(x).data)
    assert loaded(x).dtype == dtype


def test_every_layer_rebuilds_from_its_description_with_its_settings(tmp_path):
    layers = nn.Sequential(
        nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        nn.Unflatten(1, (2, 6)),
        nn.MaxPool2d((1, 2), stride=1, padding=(0, 1), dilation=(1, 2)),
        nn.AvgPool2d(2, stride=(1, 1), padding=1, count_include_pad=False, divisor_override=3),
        nn.Conv2d(2, 4, 1, padding="valid", bias=False, seed=0),
    )
    x = np.random.default_rng(2).standard_normal((2, 2, 5, 6))
    loaded = nn.load(nn.save(layers, tmp_path / "layers.npz"))
    assert repr(loaded) == repr(layers)
    np.testing.assert_array_equal(loaded(x).data, layers(x).data)


def test_the_model_prints_each_layers_settings():
    assert repr(small_cnn()) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n"
        "  (3): Conv2d(4, 6, kernel_size=(2, 3), stride=(1, 1), padding='same', groups=2)\n"
        "  (4): AvgPool2d(kernel_size=2, stride=2, padding=0)\n"
        "  (5): Flatten(start_dim=1, end_dim=-1)\n"
        "  (6): Linear(in_features=24, out_features=3, bias=True)\n"
        ")"
    )
    assert repr(nn.Unfold(2)) == "Unfold(kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1))"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compile_replays_a_cnn_training_step_as_define_by_run_computes_it(dtype):
    """unfold has no lowering: the replay calls its own forward and vjp, and must equal the engine."""
    model, twin = small_cnn(dtype), small_cnn(dtype)
    step = ag.compile(lambda X, y: F.cross_entropy(model(X), y))
    rng = np.random.default_rng(3)
    for _ in range(4):
        X, y = Tensor(rng.standard_normal((6, 1, 8, 8)).astype(dtype)), rng.integers(0, 3, 6)
        loss = step(X, y)  # a Tensor batch, as nn.fit passes it: traced through (its unfold recorded)
        expected = F.cross_entropy(twin(X), y)
        expected.backward()
        tolerance = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(loss.item(), expected.item(), **tolerance)
        for p, q in zip(model.parameters(), twin.parameters()):
            np.testing.assert_allclose(p.grad, q.grad, **tolerance)
            assert p.grad.dtype == dtype
            for t in (p, q):  # the same SGD step on both
                t.data -= 0.1 * t.grad
                t.grad = None
    assert step.trace_count == 2 and step.replay_count == 2, (step.trace_count, step.replay_count)


def test_compile_of_a_cnn_fed_numpy_batches_falls_back_saying_to_pass_tensors():
    # unfold of a numpy batch meets no tensor requiring grad, so it is a constant that changes every call
    model = small_cnn(np.float64)
    step = ag.compile(lambda X, y: F.cross_entropy(model(X), y))
    rng = np.random.default_rng(4)
    with pytest.warns(ag.CompileWarning, match=r"numpy argument.*pass the batch as Tensor\(X\)"):
        for _ in range(3):
            step(rng.standard_normal((6, 1, 8, 8)), rng.integers(0, 3, 6))
    assert step.replay_count == 0 and "numpy argument" in step.fallback_reason


def test_the_layers_record_no_backward_of_their_own():
    loss = F.cross_entropy(small_cnn()(np.ones((2, 1, 8, 8))), np.array([0, 2]))
    ops = {t.op for t in ag.walk(loss)} - {None}
    assert ops <= set(ag.PRIMITIVES) and "unfold" in ops


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: nn.Conv2d(1, 4, 3)(np.ones((10, 8, 8))),
            "Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1)): input of shape (10, 8, 8) has 10 channels (axis -3), "
            "expected 1; give (N, 1, H, W) (an (N, H, W) batch of one-channel images needs x[:, None])",
        ),
        (
            lambda: nn.Conv2d(3, 4, 3)(np.ones((2, 2, 8, 8))),
            "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1)): input of shape (2, 2, 8, 8) has 2 channels (axis -3), "
            "expected 3; give (N, 3, H, W)",
        ),
        (lambda: nn.Conv2d(3, 4, 3, groups=2), "Conv2d: in_channels (3) and out_channels (4) must both be divisible"),
        (lambda: nn.Conv2d(0, 4, 3), "Conv2d: in_channels must be a positive int, got 0"),
        (lambda: nn.Conv2d(1, 4, 3, padding_mode="zero"), "Conv2d: padding_mode must be one of 'zeros', 'reflect'"),
        (lambda: nn.Conv2d(1, 4, 3, stride=2, padding="same"), "conv2d: padding='same' needs stride 1"),
        (lambda: nn.Conv2d(1, 4, (3, 0)), "Conv2d: kernel_size must be >= 1, got (3, 0)"),
        (lambda: nn.MaxPool2d(2, stride=0), "MaxPool2d: stride must be >= 1, got 0"),
        (lambda: nn.AvgPool2d(2, divisor_override=0), "AvgPool2d: divisor_override must be a positive int or None"),
        (lambda: nn.Unfold(2, padding=-1), "Unfold: padding must be >= 0, got -1"),
        (
            lambda: nn.MaxPool2d(3)(np.ones((1, 1, 2, 2))),
            "max_pool2d: the kernel 3x3 (dilation 1x1) spans 3x3, larger than the padded input's 2x2",
        ),
    ],
)
def test_layer_errors_name_the_layer_the_shapes_and_the_fix(call, message):
    with pytest.raises(ValueError) as caught:
        call()
    assert str(caught.value).startswith(message)


def test_dtype_must_be_floating_point():
    with pytest.raises(TypeError, match="Conv2d: dtype must be floating-point"):
        nn.Conv2d(1, 2, 3, dtype=np.int64)


def test_an_unbatched_image_goes_through_as_in_pytorch():
    layer = nn.Conv2d(2, 3, 3, padding=1, seed=0)
    x = Tensor(np.random.default_rng(4).standard_normal((2, 5, 5)))
    np.testing.assert_array_equal(layer(x).data, layer(x[None]).data[0])


def test_viz_model_refuses_a_saved_cnn_in_one_line(tmp_path):
    """python -m viz model feeds a saved model rows of features: a CNN's file does not say its image size."""
    import subprocess
    import sys

    path = nn.save(small_cnn(), tmp_path / "cnn.npz")
    command = [sys.executable, "-m", "viz", "model", str(path), "--out", str(tmp_path / "m.dot")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == (
        f"error: {path} holds a model over images (0.weight is a convolution's kernel); this command feeds rows of "
        "features: draw it from Python, viz.draw_graph(model(x)) for a batch of images x\n"
    )
