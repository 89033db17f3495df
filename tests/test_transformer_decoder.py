"""nn.TransformerDecoderLayer / TransformerDecoder / Transformer: torch's outputs and every gradient from torch's
weights (state_dict, float64, within 1e-10) with every mask; without torch: causality (no output depends on a
later target), memory padding (ignored memory changes nothing), finite differences, the causal mask's closed form,
save/load; and the errors."""

import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor

E, H, FF, S, T, N = 8, 2, 12, 5, 4, 3


def draw(batch_first, seed=0):
    r = np.random.default_rng(seed)
    src = r.normal(size=(N, S, E) if batch_first else (S, N, E))
    tgt = r.normal(size=(N, T, E) if batch_first else (T, N, E))
    memory_padding = np.zeros((N, S), bool)
    memory_padding[1, -2:] = memory_padding[2, -1] = True
    tgt_padding = np.zeros((N, T), bool)
    tgt_padding[2, -1] = True  # key 0 never padded: with the causal mask every query keeps a key
    return src, tgt, memory_padding, tgt_padding


def compare(ours, theirs, run_ours, run_theirs, inputs, torch):
    """Load torch's weights (LayerNorms moved off ones and zeros), compare the output and every gradient."""
    with torch.no_grad():
        for name, p in theirs.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    mine = [Tensor(a.copy(), requires_grad=True) for a in inputs]
    th = [torch.tensor(a.copy(), requires_grad=True) for a in inputs]
    out, out_q = run_ours(*mine), run_theirs(*th)
    np.testing.assert_allclose(out.data, out_q.detach().numpy(), rtol=1e-10, atol=1e-10)
    weights = np.random.default_rng(5).normal(size=out.shape)
    (out * weights).sum().backward()
    (out_q * torch.from_numpy(weights)).sum().backward()
    for a, b in zip(mine, th):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-10)
    torch_params = dict(theirs.named_parameters())
    assert sorted(dict(ours.named_parameters())) == sorted(torch_params)
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name].grad.numpy(), rtol=1e-10, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_equals_torch_with_every_mask(batch_first, norm_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    config = dict(dim_feedforward=FF, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on its nested-tensor fast path
        theirs = torch.nn.Transformer(E, H, 2, 2, **config).double()
    ours = nn.Transformer(E, H, 2, 2, **config, seed=0)
    src, tgt, memory_padding, tgt_padding = draw(batch_first)
    causal = nn.Transformer.generate_square_subsequent_mask(T)
    memory_mask = np.random.default_rng(1).normal(size=(T, S))  # a float mask, added to the scores
    masks = dict(tgt_mask=causal, memory_mask=memory_mask, src_key_padding_mask=memory_padding)
    masks.update(tgt_key_padding_mask=tgt_padding, memory_key_padding_mask=memory_padding)
    torch_masks = {k: torch.from_numpy(v) for k, v in masks.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on a float attn_mask beside a boolean padding mask
        compare(
            ours, theirs, lambda s, t: ours(s, t, **masks), lambda s, t: theirs(s, t, **torch_masks), [src, tgt], torch
        )


@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_decoder_stack_and_unbatched_layer_equal_torch(activation):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    layer_q = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0, activation=activation).double()
    theirs = torch.nn.TransformerDecoder(layer_q, 3, norm=torch.nn.LayerNorm(E).double())
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, FF, 0.0, activation), 3, norm=nn.LayerNorm(E))
    src, tgt, memory_padding, _ = draw(False)
    causal = np.triu(np.ones((T, T), bool), 1)  # a boolean mask: True where ignored
    run = dict(tgt_mask=causal, memory_key_padding_mask=memory_padding)
    run_q = {k: torch.from_numpy(v) for k, v in run.items()}
    compare(ours, theirs, lambda t, m: ours(t, m, **run), lambda t, m: theirs(t, m, **run_q), [tgt, src], torch)
    # one unbatched (T, E) target and (S, E) memory
    single = nn.TransformerDecoderLayer(E, H, FF, 0.0)
    single_q = torch.nn.TransformerDecoderLayer(E, H, FF, dropout=0.0).double()
    compare(single, single_q, single, single_q, [tgt[:, 0], src[:, 0]], torch)


def test_torch_spellings_and_the_causal_mask_closed_form():
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    np.testing.assert_array_equal(mask, [[0, -np.inf, -np.inf], [0, 0, -np.inf], [0, 0, 0]])
    model = nn.Transformer(E, H, 1, 2, FF, seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert "decoder.layers.1.multihead_attn.in_proj_weight" in names and "decoder.norm.weight" in names
    assert "encoder.layers.0.self_attn.out_proj.weight" in names and "decoder.layers.0.norm3.bias" in names
    assert len([n for n in names if n.startswith("decoder.layers.")]) == 2 * 18
    for name in ("TransformerDecoderLayer", "TransformerDecoder", "Transformer"):
        assert name in nn.__all__


def test_no_output_depends_on_a_later_target_or_on_padded_memory():
    model = nn.Transformer(E, H, 1, 2, FF, dropout=0.0, batch_first=True, seed=3).eval()
    src, tgt, memory_padding, _ = draw(True)
    causal = nn.Transformer.generate_square_subsequent_mask(T)
    base = model(src, tgt, tgt_mask=causal, src_key_padding_mask=memory_padding, memory_key_padding_mask=memory_padding)
    later, padded = tgt.copy(), src.copy()
    later[:, 2:] += 5.0  # change targets 2 and 3: outputs 0 and 1 must not move
    padded[memory_padding] = 100.0  # change only the padded source positions: nothing may move
    moved = model(
        src, later, tgt_mask=causal, src_key_padding_mask=memory_padding, memory_key_padding_mask=memory_padding
    )
    np.testing.assert_allclose(moved.data[:, :2], base.data[:, :2], rtol=1e-12, atol=1e-12)
    assert np.abs(moved.data[:, 2:] - base.data[:, 2:]).max() > 1e-3  # (and later ones do move: the test can fail)
    same = model(
        padded, tgt, tgt_mask=causal, src_key_padding_mask=memory_padding, memory_key_padding_mask=memory_padding
    )
    np.testing.assert_allclose(same.data, base.data, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_of_a_tiny_decoder_layer(norm_first):
    layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=norm_first, seed=0)
    r = np.random.default_rng(2)
    tgt, memory = (
        Tensor(r.normal(size=(3, 1, 4)), requires_grad=True),
        Tensor(r.normal(size=(2, 1, 4)), requires_grad=True),
    )
    causal = nn.Transformer.generate_square_subsequent_mask(3)
    assert ag.gradcheck(lambda t, m: layer(t, m, tgt_mask=causal), [tgt, memory])


def test_dropout_is_on_in_training_and_off_in_eval():
    layer = nn.TransformerDecoderLayer(E, H, FF, dropout=0.5, seed=0)
    _, tgt, _, _ = draw(False)
    ag.manual_seed(0)
    a, b = layer(tgt, tgt), layer(tgt, tgt)
    assert np.abs(a.data - b.data).max() > 1e-3
    layer.eval()
    np.testing.assert_array_equal(layer(tgt, tgt).data, layer(tgt, tgt).data)


def test_save_and_load_rebuild_the_model(tmp_path):
    model = nn.Transformer(E, H, 1, 1, FF, batch_first=True, norm_first=True, seed=0).eval()
    src, tgt, _, _ = draw(True)
    path = nn.save(model, tmp_path / "transformer.npz")
    again = nn.load(path).eval()
    assert type(again) is nn.Transformer and again.batch_first
    np.testing.assert_array_equal(again(src, tgt).data, model(src, tgt).data)


def test_errors_name_the_layer_the_shapes_and_the_fix():
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: d_model=8 is not divisible by nhead=3"):
        nn.TransformerDecoderLayer(8, 3)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: unknown activation 'tanh'"):
        nn.TransformerDecoderLayer(8, 2, activation="tanh")
    layer = nn.TransformerDecoderLayer(E, H, FF)
    with pytest.raises(ValueError, match=r"memory of shape \(5, 3, 6\) \(tgt \(4, 3, 8\)\) should be \(T, N, E\)"):
        layer(np.ones((4, 3, 8)), np.ones((5, 3, 6)))
    model = nn.Transformer(E, H, 1, 1, FF, seed=0)
    with pytest.raises(
        ValueError,
        match=r"Transformer: src \(5, 3, 8\) and tgt \(4, 2, 8\) must both be batched with the same batch size",
    ):
        model(np.ones((5, 3, 8)), np.ones((4, 2, 8)))
    with pytest.raises(
        ValueError, match=r"Transformer: the feature number of src \(5, 3, 6\) .* must equal d_model = 8"
    ):
        model(np.ones((5, 3, 6)), np.ones((4, 3, 6)))
    with pytest.raises(
        TypeError,
        match=r"Transformer: a custom encoder or decoder, or an activation function, cannot be stored in a file",
    ):
        nn.Transformer(E, H, custom_encoder=nn.Identity(), custom_decoder=nn.Identity()).config()
