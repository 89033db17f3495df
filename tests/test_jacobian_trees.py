"""Jacobians of functions with several outputs, and Hessians over dicts and tuples of arguments, as JAX's
``jacrev``/``jacfwd``/``hessian`` and torch.func's give them: the result has the outputs' structure outside
and the arguments' inside (``jac[out_key][arg_key]``). All outputs' rows come from one call of f (their
leaves raveled into one vector). Checked against closed forms, against the one-output Jacobians, and against
JAX and torch where they are installed."""

import numpy as np
import pytest

import autograd_core as ag
from autograd_core import Tensor


def _x():
    return Tensor(np.array([0.5, -1.0, 2.0]))


def _closed_form_of_several_outputs(x):
    """f(x) = (x ** 2, sum(sin x), {"outer": outer(x, x)}): each output's Jacobian written out."""
    d_square = np.diag(2 * x)
    d_sum_sin = np.cos(x)
    eye = np.eye(len(x))
    d_outer = eye[:, None, :] * x[None, :, None] + x[:, None, None] * eye[None, :, :]  # d(x_i x_j)/dx_k
    return d_square, d_sum_sin, d_outer


def several_outputs(x):
    return x**2, x.sin().sum(), {"outer": x[:, None] * x[None, :]}


@pytest.mark.parametrize("transform", [ag.jacrev, ag.jacfwd])
def test_a_jacobian_of_several_outputs_has_their_structure_and_each_ones_jacobian(transform):
    x = _x()
    square, sum_sin, rest = transform(several_outputs)(x)
    want = _closed_form_of_several_outputs(x.data)
    np.testing.assert_allclose(square.data, want[0], rtol=1e-15)
    np.testing.assert_allclose(sum_sin.data, want[1], rtol=1e-15)
    assert sum_sin.shape == (3,) and rest["outer"].shape == (3, 3, 3)
    np.testing.assert_allclose(rest["outer"].data, want[2], rtol=1e-15)
    # the same as one Jacobian per output
    alone = transform(lambda t: several_outputs(t)[2]["outer"])(x)
    np.testing.assert_array_equal(rest["outer"].data, alone.data)


def test_all_outputs_rows_come_from_one_call_of_f():
    calls = []

    def f(x):
        calls.append(1)
        return x * 2.0, x.sum()

    ag.jacrev(f)(_x())
    assert len(calls) == 1


def test_outputs_outside_arguments_inside_with_dicts_and_tuple_argnums():
    w, b = Tensor(np.array([1.0, 2.0])), Tensor(np.array(3.0))

    def f(p, scale):
        return {"y": p["w"] * p["b"] * scale, "n": (p["w"] ** 2).sum()}

    jac = ag.jacrev(f, argnums=(0, 1))({"w": w, "b": b}, Tensor(np.array(0.5)))
    d_params, d_scale = jac["y"]
    np.testing.assert_array_equal(d_params["w"].data, np.diag([1.5, 1.5]))
    np.testing.assert_array_equal(d_params["b"].data, [0.5, 1.0])
    np.testing.assert_array_equal(d_scale.data, [3.0, 6.0])
    np.testing.assert_array_equal(jac["n"][0]["w"].data, [2.0, 4.0])
    np.testing.assert_array_equal(jac["n"][0]["b"].data, 0.0)


def test_hessian_of_a_dict_nests_its_blocks_and_a_tuple_argnums_too():
    p = {"w": Tensor(np.array([1.0, 2.0])), "b": Tensor(np.array(3.0))}

    def f(q):
        return (q["w"] ** 3).sum() * q["b"]

    h = ag.hessian(f)(p)
    np.testing.assert_array_equal(h["w"]["w"].data, np.diag(6 * p["w"].data * 3.0))
    np.testing.assert_array_equal(h["w"]["b"].data, 3 * p["w"].data ** 2)
    np.testing.assert_array_equal(h["b"]["w"].data, 3 * p["w"].data ** 2)
    np.testing.assert_array_equal(h["b"]["b"].data, 0.0)
    a, c = Tensor(np.array([1.0, 2.0])), Tensor(np.array([3.0, 4.0]))
    (haa, hac), (hca, hcc) = ag.hessian(lambda u, v: (u**2 * v).sum(), (0, 1))(a, c)
    np.testing.assert_array_equal(haa.data, np.diag(2 * c.data))
    np.testing.assert_array_equal(hac.data, np.diag(2 * a.data))
    np.testing.assert_array_equal(hca.data, np.diag(2 * a.data))
    np.testing.assert_array_equal(hcc.data, np.zeros((2, 2)))
    # one Tensor argument: the matrix, as before
    np.testing.assert_array_equal(ag.hessian(lambda u: (u**3).sum())(a).data, np.diag(6 * a.data))


def test_torch_funcs_hessian_takes_a_dict_and_a_tuple_argnums():
    p = {"w": Tensor(np.array([1.0, 2.0])), "b": Tensor(np.array(3.0))}
    h = ag.func.hessian(lambda q: (q["w"] ** 3).sum() * q["b"])(p)
    np.testing.assert_array_equal(h["w"]["b"].data, 3 * p["w"].data ** 2)
    (haa, hac), _ = ag.func.hessian(lambda u, v: (u**2 * v).sum(), (0, 1))(p["w"], Tensor(np.array([3.0, 4.0])))
    np.testing.assert_array_equal(haa.data, np.diag([6.0, 8.0]))
    np.testing.assert_array_equal(hac.data, np.diag(2 * p["w"].data))


def test_a_result_holding_something_other_than_tensors_is_refused_by_name():
    with pytest.raises(TypeError, match=r"jacrev: f returned a tuple holding float; its leaves must be Tensors"):
        ag.jacrev(lambda x: (x, 2.0))(_x())
    with pytest.raises(TypeError, match=r"jacfwd: f must return a Tensor or a tuple/list/dict of them, got str"):
        ag.jacfwd(lambda x: "x")(_x())


def test_agrees_with_jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    x = _x()
    for ours, theirs in ((ag.jacrev, jax.jacrev), (ag.jacfwd, jax.jacfwd)):
        got = ours(several_outputs)(x)
        want = theirs(lambda t: (t**2, jnp.sin(t).sum(), {"outer": t[:, None] * t[None, :]}))(jnp.asarray(x.data))
        np.testing.assert_allclose(got[0].data, want[0], rtol=1e-14)
        np.testing.assert_allclose(got[1].data, want[1], rtol=1e-14)
        np.testing.assert_allclose(got[2]["outer"].data, want[2]["outer"], rtol=1e-14)
    p = {"w": np.array([1.0, 2.0]), "b": np.array(3.0)}
    got = ag.hessian(lambda q: (q["w"] ** 3).sum() * q["b"])({k: Tensor(v) for k, v in p.items()})
    want = jax.hessian(lambda q: (q["w"] ** 3).sum() * q["b"])({k: jnp.asarray(v) for k, v in p.items()})
    for k in p:
        for j in p:
            np.testing.assert_allclose(got[k][j].data, want[k][j], rtol=1e-14)


def test_agrees_with_torch_func():
    torch = pytest.importorskip("torch")
    x = _x()
    got = ag.func.jacrev(lambda t: (t**2, t.sin().sum()))(x)
    want = torch.func.jacrev(lambda t: (t**2, t.sin().sum()))(torch.tensor(x.data))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.data, w.numpy(), rtol=1e-14)
    a, c = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    got = ag.func.hessian(lambda u, v: (u**2 * v.sin()).sum(), (0, 1))(Tensor(a), Tensor(c))
    want = torch.func.hessian(lambda u, v: (u**2 * v.sin()).sum(), (0, 1))(torch.tensor(a), torch.tensor(c))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(got[i][j].data, want[i][j].numpy(), rtol=1e-14)
