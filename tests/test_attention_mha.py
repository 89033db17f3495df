"""nn.MultiheadAttention: torch's outputs, attention weights and every gradient (inputs and parameters) over a
table of cases; torch's parameter names, shapes and init; finite differences; masks; dropout; errors; save/load."""

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor

E, H, L, S, N = 8, 2, 4, 5, 3

# name: (constructor keywords, forward keywords, how the inputs are drawn)
CASES = {
    "self-attention": ({}, {}, "self"),
    "cross-attention": ({}, {}, "cross"),
    "kdim vdim": ({"kdim": 3, "vdim": 6}, {}, "cross"),
    "batch_first": ({"batch_first": True}, {}, "cross"),
    "unbatched": ({}, {}, "unbatched"),
    "unbatched kdim, 3-d mask": ({"kdim": 3, "vdim": 6}, {"attn_mask": "float heads"}, "unbatched"),
    "causal": ({"batch_first": True}, {"attn_mask": "causal", "is_causal": True}, "self"),
    "bool attn_mask": ({}, {"attn_mask": "bool"}, "cross"),
    "float attn_mask 3-d": ({}, {"attn_mask": "float heads"}, "cross"),
    "bool key_padding_mask": ({"batch_first": True}, {"key_padding_mask": "bool"}, "cross"),
    "float key_padding_mask": ({}, {"key_padding_mask": "float"}, "cross"),
    "both masks": ({}, {"key_padding_mask": "float", "attn_mask": "float"}, "cross"),
    "need_weights False": ({}, {"need_weights": False, "key_padding_mask": "bool"}, "cross"),
    "per-head weights": ({"batch_first": True}, {"average_attn_weights": False}, "cross"),
    "no bias": ({"bias": False}, {}, "cross"),
    "no bias kdim": ({"bias": False, "kdim": 3, "vdim": 6}, {}, "cross"),
}


def draw(kind, config, dtype, seed=0):
    r = np.random.default_rng(seed)
    kdim, vdim = config.get("kdim", E), config.get("vdim", E)
    if kind == "unbatched":
        shapes = (L, E), (S, kdim), (S, vdim)
    elif config.get("batch_first"):
        shapes = (N, L, E), (N, S, kdim), (N, S, vdim)
    else:
        shapes = (L, N, E), (S, N, kdim), (S, N, vdim)
    if kind == "self":
        shapes = (shapes[0],) * 3
    return [r.normal(size=s).astype(dtype) for s in shapes]


def masks(forward, batched, length, source, dtype, seed=1):
    r = np.random.default_rng(seed)
    made = dict(forward)
    spelled = {
        "bool": lambda shape: r.random(shape) < 0.3,
        "float": lambda shape: r.normal(size=shape).astype(dtype),
        "causal": lambda shape: np.triu(np.ones(shape, bool), 1),
    }
    if made.get("attn_mask") == "float heads":
        made["attn_mask"] = r.normal(size=((N * H) if batched else H, length, source)).astype(dtype)
    elif "attn_mask" in made:
        made["attn_mask"] = spelled[made["attn_mask"]]((length, source))
    if "key_padding_mask" in made:
        made["key_padding_mask"] = spelled[made["key_padding_mask"]]((N, source) if batched else (source,))
    for name in ("attn_mask", "key_padding_mask"):  # keep the first key of every row visible: no NaN rows
        if name in made and made[name].dtype == bool:
            made[name][..., 0] = False
    return made


def pair(config, dtype):
    """Ours and torch's, holding the same (torch-initialised) values."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, H, dtype=getattr(torch, np.dtype(dtype).name), **config)
    ours = nn.MultiheadAttention(E, H, seed=0, dtype=dtype, **config)
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(CASES))
def test_outputs_weights_and_every_gradient_equal_torch(case, dtype):
    torch = pytest.importorskip("torch")
    config, forward, kind = CASES[case]
    ours, theirs = pair(config, dtype)
    arrays = draw(kind, config, dtype)
    batched = kind != "unbatched"
    seq_axis = 1 if batched and config.get("batch_first") else 0
    forward = masks(forward, batched, arrays[0].shape[seq_axis], arrays[1].shape[seq_axis], dtype)
    inputs = [Tensor(a, requires_grad=True) for a in arrays]
    t_inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    if kind == "self":
        inputs, t_inputs = [inputs[0]] * 3, [t_inputs[0]] * 3
    out, weights = ours(*inputs, **forward)
    t_out, t_weights = theirs(
        *t_inputs, **{n: torch.tensor(m) if isinstance(m, np.ndarray) else m for n, m in forward.items()}
    )
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert out.dtype == dtype and out.shape == tuple(t_out.shape)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=tol, atol=tol)
    assert (weights is None) == (t_weights is None)
    R = np.random.default_rng(2).normal(size=out.shape).astype(dtype)
    loss, t_loss = ((out + 1) ** 2 * R).sum(), ((t_out + 1) ** 2 * torch.tensor(R)).sum()
    if weights is not None:
        assert weights.shape == tuple(t_weights.shape) and weights.dtype == dtype
        np.testing.assert_allclose(weights.data, t_weights.detach().numpy(), rtol=tol, atol=tol)
        W = np.random.default_rng(3).normal(size=weights.shape).astype(dtype)
        loss, t_loss = loss + (weights * W).sum(), t_loss + (t_weights * torch.tensor(W)).sum()
    loss.backward()
    t_loss.backward()
    grad_tol = 1e-10 if dtype == np.float64 else 2e-4
    for ours_input, t_input in zip(inputs[: 1 if kind == "self" else 3], t_inputs):
        np.testing.assert_allclose(ours_input.grad, t_input.grad.numpy(), rtol=grad_tol, atol=grad_tol)
    t_params = dict(theirs.named_parameters())
    assert sorted(name for name, _ in ours.named_parameters()) == sorted(t_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), rtol=grad_tol, atol=grad_tol, err_msg=name)


@pytest.mark.parametrize("config", [{}, {"kdim": 3, "vdim": 6}, {"bias": False}, {"bias": False, "kdim": 3}])
def test_state_dict_names_and_shapes_equal_torchs(config):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.MultiheadAttention(E, H, **config).state_dict()
    ours = nn.MultiheadAttention(E, H, seed=0, **config).state_dict()
    assert list(ours) == list(theirs)
    assert {n: a.shape for n, a in ours.items()} == {n: tuple(t.shape) for n, t in theirs.items()}


def test_a_fully_ignored_query_gives_nan_with_weights_and_the_out_bias_without_as_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = pair({"batch_first": True}, np.float64)
    q, k, v = draw("cross", {"batch_first": True}, np.float64)
    padding = np.zeros((N, S), bool)
    padding[0] = True  # batch 0 ignores every key
    for need_weights in (True, False):
        with np.errstate(invalid="ignore"):  # softmax of a row of -inf: 0/0, as torch's
            out, _ = ours(q, k, v, key_padding_mask=padding, need_weights=need_weights)
        t_out, _ = theirs(
            *map(torch.tensor, (q, k, v)), key_padding_mask=torch.tensor(padding), need_weights=need_weights
        )
        np.testing.assert_allclose(out.data, t_out.detach().numpy(), atol=1e-12, equal_nan=True)
        assert np.isnan(out.data[0]).all() == need_weights and np.isfinite(out.data[1:]).all()


def test_init_is_torchs_xavier_projections_and_zero_biases():
    layer = nn.MultiheadAttention(64, 4, seed=0)
    w = layer.in_proj_weight.data
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ on (3E, E)
    assert w.shape == (192, 64) and np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    out = layer.out_proj.weight.data
    assert np.abs(out).max() <= 1 / 8 and np.abs(out).max() > 0.95 / 8  # torch's Linear default: 1/sqrt(E)
    assert np.all(layer.in_proj_bias.data == 0) and np.all(layer.out_proj.bias.data == 0)
    again = nn.MultiheadAttention(64, 4, seed=0)
    assert np.array_equal(again.in_proj_weight.data, w)
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, seed=0)
    assert separate.in_proj_weight is None and separate.k_proj_weight.shape == (8, 3)
    assert separate.v_proj_weight.shape == (8, 5)


@pytest.mark.parametrize("config", [{}, {"kdim": 3, "vdim": 2, "batch_first": True}])
def test_gradcheck_float64_of_a_small_layer(config):
    layer = nn.MultiheadAttention(4, 2, seed=0, **config)
    layer.in_proj_bias.data = np.random.default_rng(0).normal(size=12)  # non-zero biases take part too
    q = Tensor(np.random.default_rng(1).normal(size=(2, 3, 4) if config else (3, 2, 4)), requires_grad=True)
    k = Tensor(np.random.default_rng(2).normal(size=(2, 4, 3) if config else (4, 2, 4)), requires_grad=True)
    v = Tensor(np.random.default_rng(3).normal(size=(2, 4, 2) if config else (4, 2, 4)), requires_grad=True)
    mask = np.array([[False, True, False, False], [False, False, False, True]])
    R = Tensor(np.random.default_rng(4).normal(size=(2, 3, 4) if config else (3, 2, 4)))
    params = list(layer.parameters())

    def loss(*tensors):
        out, weights = layer(*tensors[:3], key_padding_mask=mask)
        return (out * R).sum() + (weights**2).sum()

    assert ag.gradcheck(loss, [q, k, v, *params])


def test_dropout_acts_in_training_only_and_follows_ag_manual_seed():
    layer = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True, seed=0)
    q, k, v = draw("cross", {"batch_first": True}, np.float64)
    ag.manual_seed(3)
    first, w1 = layer(q, k, v)
    ag.manual_seed(3)
    again, _ = layer(q, k, v)
    assert np.array_equal(first.data, again.data)
    assert np.any(w1.data == 0)  # dropped weights (returned after dropout, as torch's)
    layer.eval()
    plain, w = layer(q, k, v)
    assert not np.allclose(plain.data, first.data)
    np.testing.assert_allclose(w.data.sum(-1), 1.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nn.MultiheadAttention(10, 3), "not divisible by num_heads=3"),
        (lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True), "add_bias_kv"),
        (lambda: nn.MultiheadAttention(8, 0), "num_heads must be a positive int"),
        (lambda: nn.MultiheadAttention(8, 2, dropout=2.0), "dropout must be a probability"),
        (lambda: nn.MultiheadAttention(8, 2, dtype=np.int64), "floating-point"),
    ],
)
def test_constructor_errors(make, message):
    with pytest.raises((ValueError, TypeError), match=message) as error:
        make()
    assert "MultiheadAttention" in str(error.value)


@pytest.mark.parametrize(
    "shapes, kwargs, message",
    [
        (((2, 3, 4, 8),) * 3, {}, "all be 3-d"),
        (((4, 3, 8), (5, 8), (5, 8)), {}, "all be 3-d"),
        (((4, 3, 7), (5, 3, 8), (5, 3, 8)), {}, "query of shape .* expected 8 .embed_dim"),
        (((4, 3, 8), (5, 2, 8), (5, 2, 8)), {}, "different batch sizes"),
        (((4, 3, 8), (5, 3, 8), (6, 3, 8)), {}, "same sequence length"),
        (((4, 3, 8), (5, 3, 8), (5, 3, 8)), {"key_padding_mask": np.zeros((3, 4), bool)}, r"should be \(N, S\)"),
        (((4, 3, 8), (5, 3, 8), (5, 3, 8)), {"attn_mask": np.zeros((5, 4))}, r"\(L, S\) = \(4, 5\)"),
        (((4, 3, 8), (5, 3, 8), (5, 3, 8)), {"attn_mask": np.zeros((2, 4, 5))}, r"\(6, 4, 5\)"),
    ],
)
def test_forward_errors_name_the_layer_the_shapes_and_the_fix(shapes, kwargs, message):
    layer = nn.MultiheadAttention(8, 2, seed=0)
    with pytest.raises(ValueError, match=message) as error:
        layer(*[np.ones(s) for s in shapes], **kwargs)
    assert "MultiheadAttention(embed_dim=8, num_heads=2)" in str(error.value)


def test_is_causal_without_a_mask_applies_the_causal_mask():
    layer = nn.MultiheadAttention(8, 2, batch_first=True, seed=0)
    x = draw("self", {"batch_first": True}, np.float64)[0]
    hinted, w = layer(x, x, x, is_causal=True)
    masked, _ = layer(x, x, x, attn_mask=np.triu(np.ones((L, L), bool), 1))
    np.testing.assert_array_equal(hinted.data, masked.data)
    assert np.all(np.triu(w.data[0], 1) == 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_save_and_load_round_trip(tmp_path, dtype):
    model = nn.Sequential(nn.MultiheadAttention(8, 2, kdim=3, vdim=6, batch_first=True, seed=0, dtype=dtype))
    path = nn.save(model, tmp_path / "attention.npz")
    loaded = nn.load(path)
    assert loaded[0].config() == model[0].config()
    q, k, v = draw("cross", {"kdim": 3, "vdim": 6, "batch_first": True}, dtype)
    out, weights = model[0](q, k, v)
    out_loaded, weights_loaded = loaded[0](q, k, v)
    assert out_loaded.dtype == dtype
    np.testing.assert_array_equal(out_loaded.data, out.data)
    np.testing.assert_array_equal(weights_loaded.data, weights.data)
