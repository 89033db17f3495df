"""F.affine_grid and F.grid_sample: torch as the oracle (values, and the gradients of the input, the grid and
theta, 1e-10 in float64), and without torch: the identity map reproduces the input exactly, whole-pixel shifts
are rolls, reflection mirrors, nearest rounds half to even, finite differences. Then a port of PyTorch's
spatial-transformer tutorial (its Net, as the tutorial writes it): identity at initialisation, gradients reach
the localisation network, the loss falls; and a lone theta trained to undo a known sub-pixel shift finds it."""

import itertools

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

rng = np.random.default_rng(0)
IDENTITY = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])


def _ours_and_torch(x, g, torch, **kwargs):
    """grid_sample's output and the gradients of input and grid, ours and torch's, under one random weighting."""
    xt, gt = Tensor(x, requires_grad=True), Tensor(g, requires_grad=True)
    xq, gq = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
    out, out_q = F.grid_sample(xt, gt, **kwargs), torch.nn.functional.grid_sample(xq, gq, **kwargs)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    grid_grad = np.zeros_like(g) if gt.grad is None else gt.grad
    return (out.data, xt.grad, grid_grad), (out_q.detach().numpy(), xq.grad.numpy(), gq.grad.numpy())


@pytest.mark.parametrize(
    "mode, padding_mode, align_corners",
    list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True])),
)
def test_grid_sample_2d_equals_torch_in_value_and_both_gradients(mode, padding_mode, align_corners):
    torch = pytest.importorskip("torch")
    x, g = rng.normal(size=(2, 3, 4, 5)), rng.uniform(-1.7, 1.7, size=(2, 6, 7, 2))  # many points outside
    ours, theirs = _ours_and_torch(x, g, torch, mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_3d_is_torchs_trilinear(padding_mode):
    torch = pytest.importorskip("torch")
    x, g = rng.normal(size=(2, 2, 3, 4, 5)), rng.uniform(-1.4, 1.4, size=(2, 2, 3, 4, 3))
    for a, b in zip(*_ours_and_torch(x, g, torch, padding_mode=padding_mode, align_corners=False)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore:Since version 1.3.0, affine_grid")  # torch's note on a size-1 axis
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 3, 2, 3, 4)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_equals_torch_with_thetas_gradient(size, align_corners):
    torch = pytest.importorskip("torch")
    d = len(size) - 2
    theta = rng.normal(size=(size[0], d, d + 1))
    tt, tq = Tensor(theta, requires_grad=True), torch.tensor(theta, requires_grad=True)
    out, out_q = F.affine_grid(tt, size, align_corners), torch.nn.functional.affine_grid(tq, size, align_corners)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-12, atol=1e-14)
    r = rng.normal(size=out.shape)
    (out * r).sum().backward()
    (out_q * torch.from_numpy(r)).sum().backward()
    np.testing.assert_allclose(tt.grad, tq.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_affine_grid_of_the_identity_is_the_pixel_centres():
    grid = F.affine_grid(Tensor(IDENTITY), (1, 1, 2, 4)).data[0]
    np.testing.assert_allclose(grid[..., 0], [[-0.75, -0.25, 0.25, 0.75]] * 2)  # (2 j + 1) / W - 1
    np.testing.assert_allclose(grid[..., 1], [[-0.5] * 4, [0.5] * 4])
    aligned = F.affine_grid(Tensor(IDENTITY), (1, 1, 2, 4), align_corners=True).data[0]
    np.testing.assert_allclose(aligned[0, :, 0], [-1, -1 / 3, 1 / 3, 1])  # the corner pixels at -1 and +1


@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_the_identity_theta_reproduces_the_input_exactly(mode, padding_mode, align_corners):
    x = rng.normal(size=(2, 3, 5, 6))
    grid = F.affine_grid(Tensor(np.repeat(IDENTITY, 2, axis=0)), x.shape, align_corners)
    out = F.grid_sample(Tensor(x), grid, mode, padding_mode, align_corners)
    np.testing.assert_allclose(out.data, x, rtol=0, atol=1e-14)


def test_a_shift_by_whole_pixels_is_a_roll_with_zeros_or_the_edge_repeated():
    x = rng.normal(size=(1, 2, 4, 6))
    theta = Tensor([[[1.0, 0.0, 2 * 2 / 6], [0.0, 1.0, -2 / 4]]])  # read 2 pixels right, 1 pixel up
    grid = F.affine_grid(theta, x.shape)
    zeros = F.grid_sample(Tensor(x), grid).data
    expected = np.zeros_like(x)
    expected[..., 1:, :4] = x[..., :3, 2:]
    np.testing.assert_allclose(zeros, expected, atol=1e-14)
    border = F.grid_sample(Tensor(x), grid, padding_mode="border").data
    rows, cols = np.clip(np.arange(4) - 1, 0, 3), np.clip(np.arange(6) + 2, 0, 5)
    np.testing.assert_allclose(border, x[..., rows[:, None], cols], atol=1e-14)


def test_reflection_mirrors_at_the_edge_and_nearest_rounds_half_to_even():
    row = Tensor([[[[10.0, 20.0, 30.0, 40.0]]]])
    # aligned corners: x = 1 is pixel 3; x = 1 + 1/3 is half a pixel beyond it, mirrored to 2.5
    beyond = Tensor([[[[1 + 1 / 3, 0.0]]]])
    out = F.grid_sample(row, beyond, padding_mode="reflection", align_corners=True)
    np.testing.assert_allclose(out.data.ravel(), [35.0])
    # pixel coordinate 0.5 (x = -2/3 aligned) and 1.5 (x = 0): nearbyint gives 0 and 2
    halves = Tensor([[[[-2 / 3, 0.0], [0.0, 0.0]]]])
    np.testing.assert_allclose(F.grid_sample(row, halves, "nearest", align_corners=True).data.ravel(), [10, 30])


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_gradients_match_finite_differences(padding_mode):
    x = rng.normal(size=(1, 2, 3, 4))
    # points off the integer pixel coordinates and the edges (the bilinear weights' kinks), some outside
    grid = (np.array([[0.13, -0.41], [0.77, 0.29], [-1.21, 0.58], [1.34, -1.12], [0.02, 0.9]]) * 0.97)[None, None]

    def sample(image: Tensor, points: Tensor) -> Tensor:
        return F.grid_sample(image, points, padding_mode=padding_mode)

    inputs = [Tensor(x, requires_grad=True), Tensor(grid, requires_grad=True)]
    assert ag.gradcheck(sample, inputs, atol=1e-7, rtol=1e-6)


def test_second_derivatives_match_finite_differences_of_the_first():
    # composed from Tensor ops, so create_graph differentiates the backward again (a Hessian-vector product)
    x = Tensor(rng.normal(size=(1, 2, 3, 4)), requires_grad=True)
    grid = Tensor((np.array([[0.13, -0.41], [0.77, 0.29], [-1.21, 0.58]]) * 0.97)[None, None], requires_grad=True)
    assert ag.gradgradcheck(lambda a, b: F.grid_sample(a, b, padding_mode="reflection"), [x, grid], atol=1e-6)


def test_a_learned_theta_finds_the_shift_that_made_the_target():
    # a smooth blob, shifted by a known sub-pixel translation; gradient descent on theta alone recovers it
    ys, xs = np.mgrid[0:12, 0:12]
    blob = np.exp(-((xs - 6.0) ** 2 + (ys - 5.0) ** 2) / 8.0)[None, None]
    true_theta = np.array([[[1.0, 0.0, 0.23], [0.0, 1.0, -0.17]]])
    target = F.grid_sample(Tensor(blob), F.affine_grid(Tensor(true_theta), blob.shape)).data
    translation = Tensor(np.zeros((1, 2, 1)), requires_grad=True)
    optimizer = nn.optim.Adam([translation], lr=0.02)
    for _ in range(150):
        theta = ag.concatenate([Tensor(IDENTITY[:, :, :2]), translation], axis=2)
        loss = F.mse_loss(F.grid_sample(Tensor(blob), F.affine_grid(theta, blob.shape)), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    np.testing.assert_allclose(translation.data.ravel(), [0.23, -0.17], atol=2e-3)


# ---------------------------------------------------------------------------------- the tutorial's network
class Net(nn.Module):
    """PyTorch's spatial-transformer tutorial network, as the tutorial writes it (for 28 x 28 MNIST digits)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.localization = nn.Sequential(  # the localisation network: it regresses theta
            nn.Conv2d(1, 8, kernel_size=7),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
        )
        self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2))
        # the tutorial starts from the identity transform (its .data.zero_() is the same under no_grad)
        with ag.no_grad():
            self.fc_loc[2].weight.zero_()
            self.fc_loc[2].bias.copy_(ag.tensor([1, 0, 0, 0, 1, 0], dtype=ag.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size())
        return F.grid_sample(x, grid)

    def forward(self, x):
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def _digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten 'digits' (a bar at a class-given angle), randomly shifted: something a transformer can straighten."""
    generator = np.random.default_rng(seed)
    labels = generator.integers(0, 10, n)
    ys, xs = np.mgrid[0:28, 0:28] - 13.5
    images = np.empty((n, 1, 28, 28), np.float32)
    for i, label in enumerate(labels):
        angle, (dy, dx) = np.pi * label / 10, generator.uniform(-4, 4, 2)
        distance = np.abs(-(xs - dx) * np.sin(angle) + (ys - dy) * np.cos(angle))
        images[i, 0] = np.exp(-(distance**2) / 4) * (np.hypot(xs - dx, ys - dy) < 9)
    return images, labels


def test_the_spatial_transformer_tutorial_starts_at_the_identity_and_learns():
    ag.manual_seed(0)
    model = Net()
    data, target = _digits(16, seed=1)
    model.eval()
    # identity theta: the input (up to float32's rounding of the pixel centres, as torch's 7e-6 on this input;
    # exact in float64: test_the_identity_theta_reproduces_the_input_exactly)
    np.testing.assert_allclose(model.stn(ag.tensor(data)).data, data, rtol=0, atol=1e-5)

    def loss_now() -> float:
        model.eval()
        with ag.no_grad():
            return F.nll_loss(model(ag.tensor(data)), ag.tensor(target)).item()

    before = loss_now()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(20):
        model.train()
        optimizer.zero_grad()
        loss = F.nll_loss(model(ag.tensor(data)), ag.tensor(target))
        loss.backward()
        if step == 0:  # through grid_sample's grid and affine_grid's theta, into the localisation network
            assert np.abs(model.fc_loc[2].weight.grad).max() > 0
            assert np.abs(model.localization[0].weight.grad).max() == 0  # its hidden units feed a zero layer
        optimizer.step()
    assert loss_now() < 0.8 * before
    assert np.abs(model.localization[0].weight.grad).max() > 0  # once fc_loc[2] moved, the signal reaches in


# ---------------------------------------------------------------------------------- errors
def test_errors_name_the_function_the_shapes_and_the_fix():
    x, grid = ag.ones(1, 2, 3, 3), ag.zeros(1, 3, 3, 2)
    with pytest.raises(ValueError, match=r"grid_sample: mode must be one of \['bilinear', 'nearest'\], got 'cubic'"):
        F.grid_sample(x, grid, mode="cubic")
    with pytest.raises(ValueError, match=r"grid_sample: padding_mode must be one of .* got 'wrap'"):
        F.grid_sample(x, grid, padding_mode="wrap")
    with pytest.raises(
        ValueError, match=r"grid_sample: input must be \(N, C, H, W\) .* got shape \(2, 3, 3\).*x\[None\]"
    ):
        F.grid_sample(ag.ones(2, 3, 3), grid)
    with pytest.raises(
        ValueError, match=r"grid_sample: grid of shape \(1, 3, 3, 3\) does not fit input .* affine_grid"
    ):
        F.grid_sample(x, ag.zeros(1, 3, 3, 3))
    with pytest.raises(ValueError, match=r"grid_sample: grid of shape \(2, 3, 3, 2\) does not fit .* N = 1"):
        F.grid_sample(x, ag.zeros(2, 3, 3, 2))
    with pytest.raises(
        ValueError, match=r"affine_grid: theta of shape \(1, 2, 3\) does not fit size \(1, 1, 2, 3, 4\)"
    ):
        F.affine_grid(Tensor(IDENTITY), (1, 1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"affine_grid: theta of shape \(1, 2, 3\) does not fit size \(2, 1, 4, 4\)"):
        F.affine_grid(Tensor(IDENTITY), (2, 1, 4, 4))
    with pytest.raises(
        ValueError, match=r"affine_grid: size must be \(N, C, H, W\) or \(N, C, D, H, W\), got \(4, 4\)"
    ):
        F.affine_grid(Tensor(IDENTITY), (4, 4))
    with pytest.raises(TypeError, match=r"affine_grid: theta must be floating point, got int64"):
        F.affine_grid(Tensor(np.zeros((1, 2, 3), np.int64)), (1, 1, 2, 2))
