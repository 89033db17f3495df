"""nn.TransformerEncoderLayer / nn.TransformerEncoder: torch's outputs and every gradient from torch's weights
(state_dict); a reference written from the paper's equations; finite differences; dropout; save/load; compile;
errors."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

E, H, FF, S, N = 8, 2, 12, 5, 3


def draw(batch_first, dtype, seed=0):
    r = np.random.default_rng(seed)
    x = r.normal(size=(N, S, E) if batch_first else (S, N, E)).astype(dtype)
    causal = np.triu(np.ones((S, S), bool), 1)
    padding = np.zeros((N, S), bool)
    padding[1, -2:] = padding[2, -1] = True  # key 0 never padded: with the causal mask every query keeps a key
    return x, causal, padding


def torch_pair(torch, config, dtype, num_layers=None, seed=0):
    """(torch module in eval mode, our module with torch's weights loaded through load_state_dict)."""
    torch.manual_seed(seed)
    layer = torch.nn.TransformerEncoderLayer(E, H, FF, **config)
    ours = nn.TransformerEncoderLayer(E, H, FF, **config, dtype=dtype)
    if num_layers is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's note that norm_first disables its nested-tensor path
            layer = torch.nn.TransformerEncoder(layer, num_layers, norm=torch.nn.LayerNorm(E))
        ours = nn.TransformerEncoder(ours, num_layers, norm=nn.LayerNorm(E, dtype=dtype))
        with torch.no_grad():  # away from LayerNorm's ones and zeros, so a missed weight shows
            layer.norm.weight.uniform_(0.5, 1.5)
            layer.norm.bias.uniform_(-0.5, 0.5)
    layer = layer.to(torch.float64 if dtype == np.float64 else torch.float32).eval()
    ours.load_state_dict({k: v.detach().numpy() for k, v in layer.state_dict().items()})
    return layer, ours.eval()


CONFIGS = [
    {"norm_first": norm_first, "activation": activation, "batch_first": batch_first}
    for norm_first in (False, True)
    for activation in ("relu", "gelu")
    for batch_first in (False, True)
]


def compare_with_torch(config, dtype, num_layers=None, rtol=1e-10, atol=1e-12):
    torch = pytest.importorskip("torch")
    theirs, ours = torch_pair(torch, config, dtype, num_layers)
    x, causal, padding = draw(config["batch_first"], dtype)
    x_torch = torch.tensor(x, requires_grad=True)
    x_ours = Tensor(x, requires_grad=True)
    weights = np.random.default_rng(5).normal(size=x.shape).astype(dtype)  # a loss that weighs every output
    masks = {"src_key_padding_mask": padding}
    if num_layers is None:
        out_t = theirs(x_torch, src_mask=torch.tensor(causal), src_key_padding_mask=torch.tensor(padding))
        out = ours(x_ours, src_mask=causal, **masks)
    else:
        out_t = theirs(x_torch, mask=torch.tensor(causal), src_key_padding_mask=torch.tensor(padding))
        out = ours(x_ours, mask=causal, **masks)
    (out_t * torch.tensor(weights)).sum().backward()
    (out * weights).sum().backward()
    assert out.dtype == dtype
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(x_ours.grad, x_torch.grad.numpy(), rtol=rtol, atol=atol, err_msg="input")
    torch_params = dict(theirs.named_parameters())
    named = dict(ours.named_parameters())
    assert sorted(named) == sorted(torch_params)
    for name, p in named.items():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_layer_equals_torch_float64_outputs_and_every_gradient(config):
    compare_with_torch(config, np.float64)  # gelu too: the erfc primitive is torch's exact GELU to a few ulps


@pytest.mark.parametrize("config", CONFIGS[::3], ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_layer_equals_torch_float32(config):
    compare_with_torch(config, np.float32, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_encoder_of_two_layers_and_a_final_norm_equals_torch(norm_first, dtype):
    config = {"norm_first": norm_first, "activation": "relu", "batch_first": True}
    tight = dtype == np.float64
    compare_with_torch(config, dtype, num_layers=2, rtol=1e-10 if tight else 2e-4, atol=1e-12 if tight else 2e-5)


def test_encoder_state_dict_names_are_torchs_and_the_layers_are_independent_copies():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(E, H, FF), 3, enable_nested_tensor=False)
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, seed=0), 3)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    first, second = ours.layers[0].linear1.weight, ours.layers[1].linear1.weight
    assert first is not second
    np.testing.assert_array_equal(first.data, second.data)  # deep copies, as torch's: equal at the start


# ------------------------------------------------------------------ torch-free


def reference(layer, x, mask):
    """Post- or pre-norm encoder block from the paper's equations, Tensor ops only; x (N, S, E), mask additive."""
    e, h = layer.d_model, layer.nhead
    d = e // h
    w, b = layer.self_attn.in_proj_weight, layer.self_attn.in_proj_bias

    def norm(z, ln):
        mu = z.mean(-1, keepdims=True)
        var = ((z - mu) * (z - mu)).mean(-1, keepdims=True)
        return (z - mu) / (var + ln.eps).sqrt() * ln.weight + ln.bias

    def attention(z):
        heads = []
        for i in range(h):
            rows = slice(i * d, (i + 1) * d)
            q = z @ w[rows].T + b[rows]
            k = z @ w[e:][rows].T + b[e:][rows]
            v = z @ w[2 * e :][rows].T + b[2 * e :][rows]
            scores = q @ k.swapaxes(-1, -2) / np.sqrt(d) + mask
            scores = (scores - scores.data.max(-1, keepdims=True)).exp()
            heads.append(scores / scores.sum(-1, keepdims=True) @ v)
        out = ag.concatenate(heads, -1)
        return out @ layer.self_attn.out_proj.weight.T + layer.self_attn.out_proj.bias

    def feed_forward(z):
        hidden = (z @ layer.linear1.weight.T + layer.linear1.bias).maximum(0.0)
        return hidden @ layer.linear2.weight.T + layer.linear2.bias

    if layer.norm_first:
        x = x + attention(norm(x, layer.norm1))
        return x + feed_forward(norm(x, layer.norm2))
    x = norm(x + attention(x), layer.norm1)
    return norm(x + feed_forward(x), layer.norm2)


@pytest.mark.parametrize("norm_first", [False, True])
def test_layer_equals_the_papers_equations_written_with_tensor_ops(norm_first):
    layer = nn.TransformerEncoderLayer(E, H, FF, batch_first=True, norm_first=norm_first, seed=3).eval()
    for p in (layer.norm1.weight, layer.norm2.bias, layer.self_attn.in_proj_bias):  # not the trivial init values
        p.data[...] = np.random.default_rng(1).normal(size=p.shape)
    x, causal, padding = draw(True, np.float64)
    mask = np.where(causal, -np.inf, 0.0)[None] + np.where(padding, -np.inf, 0.0)[:, None, :]
    ours = layer(x, src_mask=causal, src_key_padding_mask=padding)
    np.testing.assert_allclose(ours.data, reference(layer, Tensor(x), mask).data, rtol=1e-12, atol=1e-12)


def test_gradcheck_of_a_tiny_layer():
    layer = nn.TransformerEncoderLayer(4, 2, 6, activation="gelu", norm_first=True, seed=0).eval()
    x = Tensor(np.random.default_rng(0).normal(size=(3, 2, 4)), requires_grad=True)
    causal = np.triu(np.ones((3, 3), bool), 1)
    assert ag.gradcheck(lambda x, *params: (layer(x, src_mask=causal) ** 2).sum(), [x, *layer.parameters()])


def test_dropout_is_drawn_in_training_and_off_in_eval():
    layer = nn.TransformerEncoderLayer(E, H, FF, dropout=0.3, seed=0)
    x, _, _ = draw(False, np.float64)
    ag.manual_seed(0)
    first, second = layer(x).data, layer(x).data
    assert np.abs(first - second).max() > 1e-3
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, layer(x).data)
    plain = nn.TransformerEncoderLayer(E, H, FF, dropout=0.0, seed=0)
    np.testing.assert_allclose(layer(x).data, plain(x).data, rtol=1e-12)  # eval == no dropout, same weights


def test_seed_makes_the_weights_reproducible_and_unbatched_input_works():
    a, b = nn.TransformerEncoderLayer(E, H, FF, seed=7), nn.TransformerEncoderLayer(E, H, FF, seed=7)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    x, _, _ = draw(False, np.float64)
    a.eval()
    np.testing.assert_allclose(a(x[:, 1]).data, a(x).data[:, 1], rtol=1e-12, atol=1e-14)


def test_save_load_round_trip(tmp_path):
    encoder = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(E, H, FF, activation="gelu", norm_first=True, batch_first=True, seed=1),
        2,
        norm=nn.LayerNorm(E),
    ).eval()
    path = nn.save(encoder, tmp_path / "encoder.npz")
    loaded = nn.load(path).eval()
    assert repr(loaded) == repr(encoder)
    assert loaded.layers[1].activation is F.gelu and loaded.layers[0].norm_first
    x, causal, padding = draw(True, np.float64)
    np.testing.assert_array_equal(
        loaded(x, mask=causal, src_key_padding_mask=padding).data,
        encoder(x, mask=causal, src_key_padding_mask=padding).data,
    )


def test_a_function_activation_is_used_and_saved_as_weights_only(tmp_path):
    layer = nn.TransformerEncoderLayer(E, H, FF, activation=F.silu, seed=0).eval()
    relu = nn.TransformerEncoderLayer(E, H, FF, seed=0).eval()
    x, _, _ = draw(False, np.float64)
    assert np.abs(layer(x).data - relu(x).data).max() > 1e-3  # same weights: the activation is silu's
    with pytest.raises(TypeError, match=r"activation=.* is a function, which a file cannot store"):
        nn.architecture.describe(layer)
    path = nn.save(layer, tmp_path / "layer.npz")  # as other custom layers: the weights, no architecture
    fresh = nn.load(nn.TransformerEncoderLayer(E, H, FF, activation=F.silu, seed=9), path).eval()
    np.testing.assert_array_equal(fresh(x).data, layer(x).data)


def test_compile_replays_an_eval_mode_training_step():
    def model(seed):
        return nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, batch_first=True, seed=seed), 2).eval()

    eager, compiled = model(2), model(2)
    head_e, head_c = nn.Linear(E, 2, seed=0), nn.Linear(E, 2, seed=0)
    opt_e = nn.optim.Adam([*eager.parameters(), *head_e.parameters()], lr=0.01)
    opt_c = nn.optim.Adam([*compiled.parameters(), *head_c.parameters()], lr=0.01)
    causal = np.triu(np.ones((S, S), bool), 1)
    step = ag.compile(lambda x, y: F.cross_entropy(head_c(compiled(x, mask=causal).mean(1)), y))
    for seed in range(4):
        x, _, _ = draw(True, np.float64, seed=seed)
        y = np.arange(N) % 2
        opt_e.zero_grad()
        loss_e = F.cross_entropy(head_e(eager(x, mask=causal).mean(1)), y)
        loss_e.backward()
        opt_c.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error", ag.CompileWarning)  # a fall-back to define-by-run fails the test
            loss = step(x, y)
        np.testing.assert_allclose(loss.item(), loss_e.item(), rtol=1e-12)
        for (name, a), b in zip(eager.named_parameters(), compiled.parameters()):
            np.testing.assert_allclose(b.grad, a.grad, rtol=1e-10, atol=1e-12, err_msg=name)
        opt_e.step()
        opt_c.step()
    assert step.trace_count == 2 and step.replay_count == 2, (step.trace_count, step.replay_count)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: nn.TransformerEncoderLayer(10, 3), "d_model=10 is not divisible by nhead=3"),
        (lambda: nn.TransformerEncoderLayer(8, 2, activation="swish"), "unknown activation 'swish'"),
        (lambda: nn.TransformerEncoderLayer(8, 2, dropout=1.5), "dropout must be a probability"),
        (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 0), "num_layers"),
        (lambda: nn.TransformerEncoder("layer", 2), "encoder_layer must be a module"),
    ],
)
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("shape", [(5,), (2, 3, 5, 8), (5, 3, 6)])
def test_src_of_the_wrong_rank_or_feature_size_is_refused(shape):
    layer = nn.TransformerEncoderLayer(E, H, FF, seed=0)
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer\(d_model=8, nhead=2\): src of shape .* should be"):
        layer(np.ones(shape))


def test_is_causal_without_a_mask_applies_the_causal_mask():
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, FF, seed=4), 2).eval()
    x, causal, _ = draw(False, np.float64)
    masked = encoder(x, mask=causal).data
    np.testing.assert_array_equal(encoder(x, is_causal=True).data, masked)
    assert np.abs(encoder(x).data - masked).max() > 1e-3  # the mask changes the output
    np.testing.assert_allclose(encoder(x[:2], is_causal=True).data, masked[:2], rtol=1e-12)  # no look-ahead
