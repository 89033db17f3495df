"""HIPS autograd's examples/fluidsim/fluidsim.py ported (``ag`` for ``autograd.numpy``): backpropagating
through a fluid simulation (Jos Stam's "Real-Time Fluid Dynamics for Games": semi-Lagrangian advection and
a Gauss-Seidel pressure projection) to find the initial velocities that carry a puff of smoke onto a
target, with scipy's conjugate gradients fed by ``ag.value_and_grad``. On a 12x12 grid over 8 steps (HIPS's:
an image, 100 steps), with made-up smoke and target blobs (no image files).

Where the spelling differs: ``vx -= ...`` in ``project`` is ``vx = vx - ...`` (ours refuses in-place ops on
a recorded tensor: see test_hips_autograd_ports.py); ``np.floor(x).astype(int)`` of a recorded value is
``np.floor(x.data).astype(int)`` (the indices carry no gradient in either); ``np.roll(a, s, axis=k)`` is
``ag.roll(a, s, k)``; scipy's ``minimize(value_and_grad(f), jac=True)`` gets ``(value.item(), grad.data)``: the
numpy functions scipy calls on the pair (``np.atleast_1d``) are refused for Tensors, which have no
differentiable spelling of them (HIPS's value_and_grad returns plain numbers and arrays).
"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

ROWS = COLS = 12
STEPS = 8


def project(vx, vy):
    """The velocity field made approximately mass-conserving by a few Gauss-Seidel iterations."""
    p = np.zeros(vx.shape)
    h = 1.0 / vx.shape[0]
    div = -0.5 * h * (ag.roll(vx, -1, 0) - ag.roll(vx, 1, 0) + ag.roll(vy, -1, 1) - ag.roll(vy, 1, 1))
    for _ in range(10):
        p = (div + ag.roll(p, 1, 0) + ag.roll(p, -1, 0) + ag.roll(p, 1, 1) + ag.roll(p, -1, 1)) / 4.0
    vx = vx - 0.5 * (ag.roll(p, -1, 0) - ag.roll(p, 1, 0)) / h
    vy = vy - 0.5 * (ag.roll(p, -1, 1) - ag.roll(p, 1, 1)) / h
    return vx, vy


def advect(f, vx, vy):
    """Field f moved along the velocities by an implicit Euler step: each cell reads the bilinear
    interpolation of f where its contents came from (wrapping around the edges)."""
    rows, cols = f.shape
    cell_ys, cell_xs = np.meshgrid(np.arange(rows), np.arange(cols))
    center_xs = (cell_xs - vx).reshape(-1)
    center_ys = (cell_ys - vy).reshape(-1)
    left_ix = np.floor(center_xs.data).astype(int)  # source cells: indices, no gradient
    top_ix = np.floor(center_ys.data).astype(int)
    rw = center_xs - left_ix  # relative weight of the right-hand cells
    bw = center_ys - top_ix  # and of the bottom ones
    left_ix, right_ix = np.mod(left_ix, rows), np.mod(left_ix + 1, rows)
    top_ix, bot_ix = np.mod(top_ix, cols), np.mod(top_ix + 1, cols)
    flat_f = (1 - rw) * ((1 - bw) * f[left_ix, top_ix] + bw * f[left_ix, bot_ix]) + rw * (
        (1 - bw) * f[right_ix, top_ix] + bw * f[right_ix, bot_ix]
    )
    return flat_f.reshape(rows, cols)


def simulate(vx, vy, smoke, num_time_steps):
    for _ in range(num_time_steps):
        vx_updated = advect(vx, vx, vy)
        vy_updated = advect(vy, vx, vy)
        vx, vy = project(vx_updated, vy_updated)
        smoke = advect(smoke, vx, vy)
    return smoke


def _blob(row, col, width=1.5):
    ys, xs = np.mgrid[:ROWS, :COLS]
    return np.exp(-((ys - row) ** 2 + (xs - col) ** 2) / (2 * width**2))


INIT_SMOKE, TARGET = _blob(4, 4), _blob(7, 6)


def objective(params):
    init_vx = params[: ROWS * COLS].reshape(ROWS, COLS)
    init_vy = params[ROWS * COLS :].reshape(ROWS, COLS)
    final_smoke = simulate(init_vx, init_vy, INIT_SMOKE, STEPS)
    return ag.mean((TARGET - final_smoke) ** 2)


def test_a1_gradient_through_the_simulation_matches_finite_differences():
    rng = np.random.default_rng(0)
    params = 0.3 * rng.normal(size=2 * ROWS * COLS)
    value, gradient = ag.value_and_grad(objective)(params)
    assert gradient.shape == params.shape and np.abs(gradient.data).max() > 0
    h = 1e-6  # (floor's kinks: a random point is a cell boundary's 1e-6 away with negligible probability)
    for _ in range(3):
        v = rng.normal(size=params.size)
        finite = (objective(Tensor(params + h * v)).item() - objective(Tensor(params - h * v)).item()) / (2 * h)
        assert gradient.data @ v == pytest.approx(finite, rel=1e-6, abs=1e-10)
    assert value.item() == pytest.approx(objective(Tensor(params)).item(), rel=1e-15)


def test_a2_conjugate_gradients_find_velocities_that_carry_the_smoke_to_the_target():
    minimize = pytest.importorskip("scipy.optimize").minimize
    with pytest.raises(TypeError, match=r"np\.atleast_1d is not implemented for Tensors"):  # HIPS's spelling
        minimize(ag.value_and_grad(objective), x0=np.zeros(2 * ROWS * COLS), jac=True, method="CG")

    def objective_with_grad(params):  # scipy's numbers: (float, ndarray)
        value, gradient = ag.value_and_grad(objective)(params)
        return value.item(), gradient.data

    init_dx_and_dy = np.zeros(2 * ROWS * COLS)
    start = objective(Tensor(init_dx_and_dy)).item()
    result = minimize(objective_with_grad, x0=init_dx_and_dy, jac=True, method="CG", options={"maxiter": 10})
    final = objective(Tensor(result.x)).item()
    assert final < 0.2 * start  # measured: 0.075 -> 0.0062 (41 evaluations)
    overlap = lambda smoke: (smoke * TARGET).sum() / np.linalg.norm(smoke) / np.linalg.norm(TARGET)  # noqa: E731
    velocities = Tensor(result.x.reshape(2, ROWS, COLS))
    final_smoke = simulate(velocities[0], velocities[1], INIT_SMOKE, STEPS)
    assert overlap(INIT_SMOKE) < 0.3 and overlap(final_smoke.data) > 0.85  # cosine with the target: 0.24 -> 0.95


def test_a3_gradient_equals_hips_autograds():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")

    def hips_project(vx, vy):
        p, h = anp.zeros(vx.shape), 1.0 / vx.shape[0]
        roll = anp.roll
        div = -0.5 * h * (roll(vx, -1, axis=0) - roll(vx, 1, axis=0) + roll(vy, -1, axis=1) - roll(vy, 1, axis=1))
        for _ in range(10):
            p = (div + roll(p, 1, axis=0) + roll(p, -1, axis=0) + roll(p, 1, axis=1) + roll(p, -1, axis=1)) / 4.0
        return (
            vx - 0.5 * (roll(p, -1, axis=0) - roll(p, 1, axis=0)) / h,
            vy - 0.5 * (roll(p, -1, axis=1) - roll(p, 1, axis=1)) / h,
        )

    def hips_advect(f, vx, vy):
        cell_ys, cell_xs = np.meshgrid(np.arange(ROWS), np.arange(COLS))
        center_xs, center_ys = anp.ravel(cell_xs - vx), anp.ravel(cell_ys - vy)
        left_ix, top_ix = anp.floor(center_xs).astype(int), anp.floor(center_ys).astype(int)
        rw, bw = center_xs - left_ix, center_ys - top_ix
        left_ix, right_ix = np.mod(left_ix, ROWS), np.mod(left_ix + 1, ROWS)
        top_ix, bot_ix = np.mod(top_ix, COLS), np.mod(top_ix + 1, COLS)
        flat_f = (1 - rw) * ((1 - bw) * f[left_ix, top_ix] + bw * f[left_ix, bot_ix]) + rw * (
            (1 - bw) * f[right_ix, top_ix] + bw * f[right_ix, bot_ix]
        )
        return anp.reshape(flat_f, (ROWS, COLS))

    def hips_objective(params):
        vx, vy = anp.reshape(params[: ROWS * COLS], (ROWS, COLS)), anp.reshape(params[ROWS * COLS :], (ROWS, COLS))
        smoke = INIT_SMOKE
        for _ in range(STEPS):
            vx, vy = hips_project(hips_advect(vx, vx, vy), hips_advect(vy, vx, vy))
            smoke = hips_advect(smoke, vx, vy)
        return anp.mean((TARGET - smoke) ** 2)

    params = 0.3 * np.random.default_rng(1).normal(size=2 * ROWS * COLS)
    value, gradient = ag.value_and_grad(objective)(params)
    theirs_value, theirs = autograd.value_and_grad(hips_objective)(params)
    assert value.item() == pytest.approx(theirs_value, rel=1e-13)
    np.testing.assert_allclose(gradient.data, theirs, rtol=1e-10, atol=1e-14)
