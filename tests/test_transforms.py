"""Function transforms: value_and_grad, jacobian (reverse and forward), hessian, hvp, jvp.

Checked against torch.func where installed, and always against central finite differences
of the forward pass alone (float64), which share no code with the vjps.
"""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor

RNG = np.random.default_rng(3)
X = RNG.standard_normal(3)
W = RNG.standard_normal((4, 3))


def f_vector(x, w):  # R^3 x R^(4x3) -> R^4
    return (w @ x).tanh() * x.sum() + ag.sqrt(ag.sum(w * w, axis=1))  # w may come as an array


def f_scalar(x):  # R^3 -> R, with a non-diagonal Hessian
    return ((x.exp() * x).sum() * x.sigmoid().sum()).log() + (x * x).sum()


def numeric_jacobian(f, args, k, eps=1e-6):
    """d f / d args[k] by central differences: shape out.shape + args[k].shape."""
    base = np.asarray(f(*[Tensor(a) for a in args]).data)
    jac = np.zeros(base.shape + args[k].shape)
    for index in np.ndindex(args[k].shape):
        shifted = []
        for sign in (1, -1):
            moved = [a.copy() for a in args]
            moved[k][index] += sign * eps
            shifted.append(np.asarray(f(*[Tensor(a) for a in moved]).data))
        jac[(...,) + index] = (shifted[0] - shifted[1]) / (2 * eps)
    return jac


def test_value_and_grad_equals_finite_differences_for_each_argnum():
    value, (dx, dw) = ag.value_and_grad(lambda x, w: f_vector(x, w).sum(), argnums=(0, 1))(X, W)
    assert value.item() == pytest.approx(f_vector(Tensor(X), Tensor(W)).sum().item())
    assert not value.requires_grad and not dx.requires_grad
    np.testing.assert_allclose(dx.data, numeric_jacobian(lambda x, w: f_vector(x, w).sum(), [X, W], 0), rtol=1e-6)
    np.testing.assert_allclose(dw.data, numeric_jacobian(lambda x, w: f_vector(x, w).sum(), [X, W], 1), rtol=1e-6)


@pytest.mark.parametrize("mode", ["reverse", "forward", "auto"])
@pytest.mark.parametrize("k", [0, 1])
def test_jacobian_equals_finite_differences_in_both_modes(mode, k):
    jac = ag.jacobian(f_vector, argnums=k, mode=mode)(X, W)
    assert jac.shape == (4,) + (X, W)[k].shape
    np.testing.assert_allclose(jac.data, numeric_jacobian(f_vector, [X, W], k), rtol=1e-6, atol=1e-9)


def test_forward_and_reverse_jacobians_agree_to_rounding():
    rev = ag.jacobian(f_vector, argnums=(0, 1), mode="reverse")(X, W)
    fwd = ag.jacobian(f_vector, argnums=(0, 1), mode="forward")(X, W)
    for a, b in zip(rev, fwd):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-13, atol=1e-15)


def test_hessian_is_symmetric_and_equals_finite_differences_of_the_gradient():
    hess = ag.hessian(f_scalar)(X).data
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12)
    gradient = lambda x: ag.value_and_grad(f_scalar)(x)[1]  # noqa: E731
    np.testing.assert_allclose(hess, numeric_jacobian(gradient, [X], 0), rtol=1e-6, atol=1e-8)
    assert abs(hess[0, 1]) > 1e-3  # a real cross term


def test_hvp_and_jvp_are_the_hessian_and_jacobian_times_a_vector():
    v = RNG.standard_normal(3)
    value, hv = ag.hvp(f_scalar, Tensor(X), v)
    assert value.item() == pytest.approx(f_scalar(Tensor(X)).item())
    np.testing.assert_allclose(hv.data, ag.hessian(f_scalar)(X).data @ v, rtol=1e-12)
    tangent_w = RNG.standard_normal(W.shape)
    out, jv = ag.jvp(f_vector, (X, W), (v, tangent_w))
    jx, jw = ag.jacobian(f_vector, argnums=(0, 1))(X, W)
    np.testing.assert_allclose(out.data, f_vector(Tensor(X), Tensor(W)).data)
    np.testing.assert_allclose(jv.data, jx.data @ v + np.einsum("ijk,jk->i", jw.data, tangent_w), rtol=1e-12)


def test_against_torch_func():
    torch = pytest.importorskip("torch")
    from torch import func

    def torch_vector(x, w):
        return torch.tanh(w @ x) * x.sum() + (w * w).sum(dim=1).sqrt()

    def torch_scalar(x):
        return torch.log((torch.exp(x) * x).sum() * torch.sigmoid(x).sum()) + (x * x).sum()

    tx, tw, v = torch.tensor(X), torch.tensor(W), RNG.standard_normal(3)
    pairs = [
        (ag.jacobian(f_vector, argnums=(0, 1))(X, W), func.jacrev(torch_vector, argnums=(0, 1))(tx, tw)),
        (ag.jacobian(f_vector, mode="forward")(X, W), func.jacfwd(torch_vector)(tx, tw)),
        (ag.hessian(f_scalar)(X), func.hessian(torch_scalar)(tx)),
        (ag.value_and_grad(f_scalar)(X), func.grad_and_value(torch_scalar)(tx)[::-1]),
        (
            ag.jvp(f_vector, (X, W), (v, np.zeros_like(W))),
            func.jvp(torch_vector, (tx, tw), (torch.tensor(v), torch.zeros_like(tw))),
        ),
        (ag.hvp(f_scalar, X, v)[1], torch.autograd.functional.hvp(torch_scalar, tx, torch.tensor(v))[1]),
    ]
    for ours, theirs in pairs:
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_transforms_nest_and_keep_float32():
    third = ag.jacobian(ag.hessian(lambda x: (x**4).sum()))(np.array([1.0, 2.0]))  # 24x on the diagonal
    np.testing.assert_allclose(third.data[[0, 1], [0, 1], [0, 1]], [24.0, 48.0])
    assert np.count_nonzero(third.data) == 2
    x32 = np.array([0.5, -1.0], np.float32)
    for result in (
        ag.jacobian(lambda x: x.tanh())(x32),
        ag.hessian(lambda x: (x**3).sum())(x32),
        ag.jvp(lambda x: x.exp(), x32, np.ones(2, np.float32))[1],
        ag.value_and_grad(f_scalar)(x32)[1],
    ):
        assert result.dtype == np.float32


def test_outside_graph_dependencies_give_zeros_and_no_grad_does_not_matter():
    with ag.no_grad():
        jac = ag.jacobian(lambda x, y: x * 2.0, argnums=(0, 1))(np.ones(2), np.ones(3))
        _, tangent = ag.jvp(lambda x: Tensor(np.ones(2)), (np.ones(2),), (np.ones(2),))
    np.testing.assert_array_equal(jac[0].data, 2 * np.eye(2))
    assert jac[1].shape == (2, 3) and not jac[1].data.any() and not tangent.data.any()


def test_a_closure_over_parameters_differentiates_only_the_argument():
    w = Tensor(W, requires_grad=True)
    _value, dx = ag.value_and_grad(lambda x: (w @ x).sum())(X)
    np.testing.assert_allclose(dx.data, W.sum(axis=0))
    assert w.grad is None  # transforms return gradients, they never write .grad


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: ag.value_and_grad(lambda x: x * 2)(X), ValueError, r"value_and_grad: f must return one number"),
        (lambda: ag.jacobian(lambda x: 3.0)(X), TypeError, r"jacobian: f must return a Tensor, got float"),
        (lambda: ag.jacobian(f_vector, mode="sideways"), ValueError, r"jacobian: mode must be 'auto', 'reverse'"),
        (lambda: ag.jacobian(f_vector, argnums=2)(X, W), ValueError, r"jacobian: argnums 2 does not pick arguments"),
        (lambda: ag.value_and_grad(lambda x: x.sum())(np.arange(3)), TypeError, r"argument 0 has dtype int64"),
        (lambda: ag.jvp(f_vector, (X, W), (X,)), ValueError, r"jvp: 2 primals but 1 tangents"),
        (lambda: ag.jvp(f_vector, (X, W), (X, X)), ValueError, r"jvp: tangent 1 has shape \(3,\) but its primal"),
        (lambda: ag.hessian(f_scalar, argnums="0"), TypeError, r"hessian\(f, x\): hessian takes the function alone"),
    ],
)
def test_errors_name_the_transform(call, error, message):
    with pytest.raises(error, match=message):
        call()
