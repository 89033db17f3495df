"""F.scaled_dot_product_attention: a plain numpy softmax(QKᵀ/√d)V, finite differences, masks (boolean,
float, causal, fully masked rows), dropout seeded by ag.manual_seed, errors, and torch's values and
gradients where torch is installed."""

import numpy as np
import pytest

import autograd_core as ag
import nn.functional as F
from autograd_core import Tensor


def numpy_attention(q, k, v, additive=None, scale=None):
    """The textbook formula in numpy: softmax(q kᵀ scale + additive) v."""
    scores = q @ np.swapaxes(k, -1, -2) * (1 / np.sqrt(q.shape[-1]) if scale is None else scale)
    if additive is not None:
        scores = scores + additive
    e = np.exp(scores - scores.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ v


def qkv(shape_q=(2, 3, 4, 5), shape_k=(2, 3, 6, 5), ev=7, dtype=np.float64, seed=0):
    r = np.random.default_rng(seed)
    q, k = r.normal(size=shape_q).astype(dtype), r.normal(size=shape_k).astype(dtype)
    return q, k, r.normal(size=shape_k[:-1] + (ev,)).astype(dtype)


@pytest.mark.parametrize("scale", [None, 0.3])
def test_equals_the_numpy_formula(scale):
    q, k, v = qkv()
    out = F.scaled_dot_product_attention(q, k, v, scale=scale)
    assert out.shape == (2, 3, 4, 7)
    np.testing.assert_allclose(out.data, numpy_attention(q, k, v, scale=scale), rtol=1e-12, atol=1e-12)


def test_boolean_mask_is_true_where_a_key_takes_part_and_broadcasts_over_batch_and_heads():
    q, k, v = qkv()
    keep = np.random.default_rng(1).random((4, 6)) > 0.3
    keep[:, 0] = True  # no fully masked row here
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    np.testing.assert_allclose(out.data, numpy_attention(q, k, v, np.where(keep, 0.0, -np.inf)), atol=1e-12)
    float_mask = np.random.default_rng(2).normal(size=(3, 1, 6))  # per head, broadcast over batch and queries
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=float_mask)
    np.testing.assert_allclose(out.data, numpy_attention(q, k, v, float_mask), atol=1e-12)


def test_causal_query_i_sees_keys_up_to_i_only():
    q, k, v = qkv(shape_k=(2, 3, 4, 5))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    causal = np.where(np.tril(np.ones((4, 4), bool)), 0.0, -np.inf)
    np.testing.assert_allclose(out.data, numpy_attention(q, k, v, causal), atol=1e-12)
    np.testing.assert_allclose(out.data[..., 0, :], v[..., 0, :], atol=1e-12)  # the first query sees one key


def test_a_fully_masked_row_gives_zeros_and_zero_gradients_not_nan():
    q, k, v = qkv()
    keep = np.ones((4, 6), bool)
    keep[2] = False
    Q, K, V = (Tensor(a, requires_grad=True) for a in (q, k, v))
    out = F.scaled_dot_product_attention(Q, K, V, attn_mask=keep)
    (out * out).sum().backward()
    assert np.all(out.data[..., 2, :] == 0) and np.isfinite(out.data).all()
    assert np.all(Q.grad[..., 2, :] == 0)
    assert all(np.isfinite(t.grad).all() for t in (Q, K, V))
    rows = [0, 1, 3]
    np.testing.assert_allclose(out.data[..., rows, :], numpy_attention(q[..., rows, :], k, v), atol=1e-12)


@pytest.mark.parametrize("mask", [None, "bool", "float", "causal"])
def test_gradcheck_float64(mask):
    q, k, v = qkv((2, 3, 4), (2, 4, 4), ev=3)
    kwargs = {"is_causal": True} if mask == "causal" else {}
    if mask == "bool":
        kwargs["attn_mask"] = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 0, 1]], bool)
    elif mask == "float":
        kwargs["attn_mask"] = np.random.default_rng(3).normal(size=(3, 4))
    weights = Tensor(np.random.default_rng(4).normal(size=(2, 3, 3)))  # a non-uniform loss
    inputs = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    assert ag.gradcheck(lambda a, b, c: (F.scaled_dot_product_attention(a, b, c, **kwargs) * weights).sum(), inputs)


def test_dropout_follows_ag_manual_seed_and_keeps_the_expectation():
    q, k, v = qkv((1, 50, 4), (1, 60, 4), ev=3)
    ag.manual_seed(0)
    first = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    ag.manual_seed(0)
    again = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert np.array_equal(first.data, again.data)
    plain = F.scaled_dot_product_attention(q, k, v)
    assert not np.allclose(first.data, plain.data)
    # weights of ones: each output is the sum of the kept weights / (1 - p) over v = 1: near 1 on average
    ones = F.scaled_dot_product_attention(q, k, np.ones((1, 60, 1)), dropout_p=0.5)
    assert abs(ones.data.mean() - 1.0) < 0.1
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert np.all(zero.data == 0)


def test_float32_stays_float32():
    q, k, v = qkv(dtype=np.float32)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=np.zeros((4, 6)))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, numpy_attention(q, k, v), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "shapes, kwargs, message",
    [
        (((4,), (6, 4), (6, 2)), {}, "at least 2 axes"),
        (((3, 4), (6, 5), (6, 2)), {}, "share the last axis E"),
        (((3, 4), (6, 4), (5, 2)), {}, "sequence axis S"),
        (((2, 3, 4), (3, 6, 4), (3, 6, 2)), {}, "do not broadcast"),
        (((3, 4), (6, 4), (6, 2)), {"attn_mask": np.ones((3, 5), bool)}, r"attn_mask of shape \(3, 5\)"),
        (((3, 4), (6, 4), (6, 2)), {"attn_mask": np.ones((3, 6), bool), "is_causal": True}, "not both"),
        (((3, 4), (6, 4), (6, 2)), {"attn_mask": np.ones((3, 6), int)}, "boolean or floating-point"),
        (((3, 4), (6, 4), (6, 2)), {"dropout_p": 1.5}, "dropout_p"),
    ],
)
def test_errors_name_the_op_and_the_shapes(shapes, kwargs, message):
    arrays = [np.ones(s) for s in shapes]
    with pytest.raises((ValueError, TypeError), match=message) as error:
        F.scaled_dot_product_attention(*arrays, **kwargs)
    assert "scaled_dot_product_attention" in str(error.value)


CASES = {
    "plain": {},
    "bool mask": {"attn_mask": "bool"},
    "float mask": {"attn_mask": "float"},
    "causal": {"is_causal": True},
    "scale": {"scale": 0.2},
    "fully masked row": {"attn_mask": "dead row"},
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_values_and_gradients_equal_torch(case, dtype):
    torch = pytest.importorskip("torch")
    q, k, v = qkv(dtype=dtype)
    r = np.random.default_rng(5)
    kwargs = dict(CASES[case])
    if kwargs.get("attn_mask") == "bool":
        kwargs["attn_mask"] = r.random((4, 6)) > 0.3
    elif kwargs.get("attn_mask") == "float":
        kwargs["attn_mask"] = r.normal(size=(3, 4, 6)).astype(dtype)
    elif kwargs.get("attn_mask") == "dead row":
        kwargs["attn_mask"] = np.ones((4, 6), bool)
        kwargs["attn_mask"][1] = False
    ours = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    out = F.scaled_dot_product_attention(*ours, **kwargs)
    t_kwargs = {n: torch.tensor(a) if isinstance(a, np.ndarray) else a for n, a in kwargs.items()}
    t_out = torch.nn.functional.scaled_dot_product_attention(*theirs, **t_kwargs)
    R = r.normal(size=out.shape).astype(dtype)
    ((out + 1) ** 2 * R).sum().backward()
    ((t_out + 1) ** 2 * torch.tensor(R)).sum().backward()
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=tol, atol=tol)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=tol * 10, atol=tol * 10)


def test_a_float_mask_tensor_gets_its_gradient_as_torchs_a_learned_bias():
    torch = pytest.importorskip("torch")
    q, k, v = qkv()
    bias = np.random.default_rng(6).normal(size=(3, 4, 6))
    ours = Tensor(bias, requires_grad=True)
    theirs = torch.tensor(bias, requires_grad=True)
    R = np.random.default_rng(7).normal(size=(2, 3, 4, 7))
    (F.scaled_dot_product_attention(q, k, v, attn_mask=ours) * R).sum().backward()
    t_out = torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, (q, k, v)), attn_mask=theirs)
    (t_out * torch.tensor(R)).sum().backward()
    assert np.abs(ours.grad).max() > 0.01
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
