"""Karpathy's nanoGPT ``model.py``, ported as its reader writes it (tests/transformer_helpers.py's ``nanogpt``, the
same code over either library): LayerNorm with an optional bias, CausalSelfAttention in both branches (the flash
``scaled_dot_product_attention(is_causal=True)`` and the masked softmax over the ``bias`` buffer), MLP with GELU,
Block, GPT with weight tying, ``_init_weights`` and the scaled residual init, get_num_params, crop_block_size,
from_pretrained's copy of transposed Conv1D weights, and generate (temperature, top-k, torch.multinomial).

Spellings that differ: ``torch.nn.functional`` / ``torch.nn.init`` / ``torch.optim`` are ``nn.functional`` /
``nn.init`` / ``nn.optim`` (autograd_core does not import nn). from_pretrained's ``sd[k].copy_(sd_hf[k].t())``
writes through torch's state_dict, whose tensors share the parameters' memory; ours are copies, so the values are
gathered in a dict and loaded with ``load_state_dict``.
"""

import math

import numpy as np
import pytest
from transformer_helpers_nanogpt import GPTConfig, nanogpt

import autograd_core as torch
import nn

src = nanogpt(torch, nn, nn.optim)
masked = nanogpt(torch, nn, nn.optim, flash=False)
TOY = dict(block_size=8, vocab_size=13, n_layer=2, n_head=2, n_embd=16)


def toy_gpt(module=src, seed=0, **changes):
    torch.manual_seed(seed)
    return module.GPT(GPTConfig(**{**TOY, **changes}))


def token_batch(seed=0, shape=(2, 8), vocab=13):
    return np.random.RandomState(seed).randint(0, vocab, shape)


# ---------------------------------------------------------------- the model's shape
def test_gpt_counts_the_tied_head_once_and_splits_decay_from_no_decay():
    model = toy_gpt()
    V, T, C, L = 13, 8, 16, 2
    block = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C)
    total = V * C + T * C + L * block + 2 * C  # wte (= lm_head), wpe, the blocks, ln_f
    assert sum(p.numel() for p in model.parameters()) == total
    assert model.get_num_params() == total - T * C and model.get_num_params(non_embedding=False) == total
    assert model.lm_head.weight is model.transformer.wte.weight
    model.configure_optimizers(0.1, 6e-4, (0.9, 0.95), "cpu")
    assert model.num_decay_params == V * C + T * C + L * (3 * C * C + C * C + 8 * C * C)
    assert model.num_nodecay_params == total - model.num_decay_params


def test_init_weights_gives_std_002_and_the_residual_projections_002_over_sqrt_2l():
    model = toy_gpt(n_embd=64, n_layer=4, vocab_size=200, block_size=64)
    stds = {name: p.numpy().std() for name, p in model.named_parameters() if p.dim() == 2}
    for name, std in stds.items():
        expected = 0.02 / math.sqrt(2 * 4) if name.endswith("c_proj.weight") else 0.02
        assert std == pytest.approx(expected, rel=0.1), name
    assert all(np.all(p.numpy() == 0) for name, p in model.named_parameters() if name.endswith(".bias"))


def test_the_loss_at_init_is_about_log_vocab_and_both_attention_branches_agree():
    flash_model, masked_model = toy_gpt(), toy_gpt(masked)
    masked_model.load_state_dict(flash_model.state_dict(), strict=False)  # the masked one has bias buffers too
    idx, targets = torch.tensor(token_batch()), torch.tensor(token_batch(1))
    logits, loss = flash_model(idx, targets)
    masked_logits, masked_loss = masked_model(idx, targets)
    assert logits.shape == (2, 8, 13) and loss.item() == pytest.approx(math.log(13), abs=0.05)
    assert masked_loss.item() == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(masked_logits.detach().numpy(), logits.detach().numpy(), rtol=1e-12, atol=1e-15)
    last, none = flash_model(idx)
    assert none is None and last.shape == (2, 1, 13)  # inference: the head on the last position only
    np.testing.assert_allclose(last.detach().numpy()[:, 0], logits.detach().numpy()[:, -1], rtol=1e-12)


def test_causality_a_later_token_never_changes_an_earlier_logit():
    model = toy_gpt()
    idx = token_batch(1)
    changed = idx.copy()
    changed[:, 5] = (changed[:, 5] + 1) % 13
    a, _ = model(torch.tensor(idx), torch.tensor(idx))
    b, _ = model(torch.tensor(changed), torch.tensor(changed))
    np.testing.assert_array_equal(a.detach().numpy()[:, :5], b.detach().numpy()[:, :5])
    assert np.abs(a.detach().numpy()[:, 5:] - b.detach().numpy()[:, 5:]).min() > 0


def test_gpt_gradients_pass_finite_differences_on_the_tied_and_the_attention_weights():
    model = toy_gpt(masked, n_layer=1, n_embd=8, vocab_size=7, block_size=4)
    idx, targets = torch.tensor(token_batch(2, (2, 4), 7)), torch.tensor(token_batch(3, (2, 4), 7))
    targets[0, 1] = -1  # nanoGPT's ignore_index
    model(idx, targets)[1].backward()
    rng = np.random.RandomState(0)
    for name in ["lm_head.weight", "transformer.h.0.attn.c_attn.weight", "transformer.h.0.ln_1.bias"]:
        p = model.get_parameter(name)
        for index in [tuple(rng.randint(0, n) for n in p.shape) for _ in range(3)]:
            saved, h = p.data[index], 1e-6
            p.data[index] = saved + h
            plus = model(idx, targets)[1].item()
            p.data[index] = saved - h
            minus = model(idx, targets)[1].item()
            p.data[index] = saved
            assert p.grad[index] == pytest.approx((plus - minus) / (2 * h), rel=1e-5, abs=1e-9), (name, index)


# ---------------------------------------------------------------- state dicts: tying, torch, from_pretrained
def test_state_dict_lists_the_tied_head_under_both_names_as_torch_and_reloads():
    model = toy_gpt()
    state = model.state_dict()
    assert "lm_head.weight" in state and "transformer.wte.weight" in state  # old code listed wte only
    assert len(state) == len(dict(model.named_parameters())) + 1
    np.testing.assert_array_equal(state["lm_head.weight"], state["transformer.wte.weight"])
    fresh = toy_gpt(seed=1)
    assert str(fresh.load_state_dict(state)) == "<All keys matched successfully>"
    assert fresh.lm_head.weight is fresh.transformer.wte.weight
    np.testing.assert_array_equal(fresh.lm_head.weight.numpy(), model.lm_head.weight.numpy())
    state["lm_head.weight"] = state["lm_head.weight"] + 1
    with pytest.raises(ValueError, match=r"'lm_head\.weight' and 'transformer\.wte\.weight' name one shared tensor"):
        fresh.load_state_dict(state)


@pytest.mark.parametrize("flash", [True, False])
def test_state_dicts_cross_to_torch_strictly_and_back(flash):
    real = pytest.importorskip("torch")
    ours = toy_gpt(src if flash else masked)
    real.manual_seed(0)
    theirs = nanogpt(real, real.nn, real.optim, flash=flash).GPT(GPTConfig(**TOY)).double()
    assert set(ours.state_dict()) == set(theirs.state_dict())
    theirs.load_state_dict({k: real.tensor(v) for k, v in ours.state_dict().items()})  # strict: no key missing
    back = toy_gpt(src if flash else masked, seed=5)
    back.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(back.lm_head.weight.numpy(), ours.lm_head.weight.numpy())


def test_from_pretrained_copies_the_transposed_conv1d_weights_of_a_hugging_face_state_dict():
    original = toy_gpt(bias=True)
    transposed = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
    # what HF's GPT2LMHeadModel saves: Conv1D weights as (in, out), masked_bias buffers, the tied head listed
    sd_hf = {k: (v.T.copy() if any(k.endswith(w) for w in transposed) else v) for k, v in original.state_dict().items()}
    sd_hf.update({f"transformer.h.{i}.attn.masked_bias": np.array(-1e4) for i in range(2)})
    sd_hf["lm_head.weight"] = original.transformer.wte.weight.numpy().copy()  # HF lists the tied head too
    model = toy_gpt(seed=9)
    sd = model.state_dict()
    sd_keys = [k for k in sd if not k.endswith(".attn.bias")]
    sd_keys_hf = [k for k in sd_hf if not k.endswith(".attn.masked_bias")]
    assert len(sd_keys_hf) == len(sd_keys), f"mismatched keys: {len(sd_keys_hf)} != {len(sd_keys)}"
    loaded = {}
    for k in sd_keys_hf:
        if any(k.endswith(w) for w in transposed):
            assert sd_hf[k].shape[::-1] == sd[k].shape
            loaded[k] = sd_hf[k].T
        else:
            assert sd_hf[k].shape == sd[k].shape
            loaded[k] = sd_hf[k]
    model.load_state_dict(loaded)
    idx = torch.tensor(token_batch(4))
    np.testing.assert_array_equal(model(idx)[0].numpy(), original(idx)[0].numpy())


def test_nn_save_and_load_keep_the_tying_and_read_files_that_list_it_once(tmp_path):
    model = toy_gpt()
    nn.save(model, tmp_path / "ckpt.npz")
    fresh = nn.load(toy_gpt(seed=3), tmp_path / "ckpt.npz")
    assert fresh.lm_head.weight is fresh.transformer.wte.weight
    np.testing.assert_array_equal(fresh.lm_head.weight.numpy(), model.lm_head.weight.numpy())
    for left_out in ["lm_head.weight", "transformer.wte.weight"]:  # files saved before: one name only
        np.savez(tmp_path / "once.npz", **{k: v for k, v in model.state_dict().items() if k != left_out})
        again = nn.load(toy_gpt(seed=4), tmp_path / "once.npz")
        np.testing.assert_array_equal(again.lm_head.weight.numpy(), model.lm_head.weight.numpy())
    np.savez(tmp_path / "short.npz", **{k: v for k, v in model.state_dict().items() if k != "transformer.wpe.weight"})
    with pytest.raises(ValueError, match=r"missing names: transformer\.wpe\.weight"):
        nn.load(toy_gpt(), tmp_path / "short.npz")


@pytest.mark.parametrize("flash", [True, False])
def test_logits_loss_and_every_gradient_equal_torch_with_the_same_weights(flash):
    real = pytest.importorskip("torch")
    ours = toy_gpt(src if flash else masked, bias=False)
    theirs = nanogpt(real, real.nn, real.optim, flash=flash).GPT(GPTConfig(**{**TOY, "bias": False})).double()
    theirs.load_state_dict({k: real.tensor(v) for k, v in ours.state_dict().items()})
    idx, targets = token_batch(5), token_batch(6)
    targets[1, :3] = -1
    logits, loss = ours(torch.tensor(idx), torch.tensor(targets))
    their_logits, their_loss = theirs(real.tensor(idx), real.tensor(targets))
    np.testing.assert_allclose(logits.detach().numpy(), their_logits.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-13)
    loss.backward()
    their_loss.backward()
    theirs_by_name = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_by_name[name].grad.numpy(), rtol=1e-9, atol=1e-14, err_msg=name)


def test_crop_block_size_shrinks_the_position_table_and_the_mask():
    model = toy_gpt(masked)
    idx = torch.tensor(token_batch(7, (2, 4)))
    before = model(idx)[0].numpy()
    model.crop_block_size(4)
    assert model.transformer.wpe.weight.shape == (4, 16) and model.transformer.h[0].attn.bias.shape == (1, 1, 4, 4)
    np.testing.assert_allclose(model(idx)[0].numpy(), before, rtol=1e-13)
    with pytest.raises(AssertionError, match="Cannot forward sequence of length 5"):
        model(torch.tensor(token_batch(7, (1, 5))))


# ---------------------------------------------------------------- generate
def test_generate_with_top_k_1_is_the_greedy_argmax_and_crops_a_long_context():
    model = toy_gpt()
    start = torch.tensor(token_batch(8, (2, 3)))
    out = model.generate(start, max_new_tokens=9, top_k=1)
    assert out.shape == (2, 12) and not out.requires_grad
    np.testing.assert_array_equal(out.numpy()[:, :3], start.numpy())
    idx = start.numpy()
    for _ in range(9):  # greedy by hand: the last block_size tokens, argmax of the last logits
        logits = model(torch.tensor(idx[:, -8:]))[0].numpy()[:, -1]
        idx = np.concatenate([idx, logits.argmax(-1)[:, None]], axis=1)
    np.testing.assert_array_equal(out.numpy(), idx)


def test_generate_samples_only_from_the_top_k_and_a_low_temperature_is_nearly_greedy():
    model = toy_gpt()  # untrained: a nearly flat next-token distribution, so the top 3 share the draws
    n = 600
    start = torch.tensor(np.full((n, 1), 4, dtype=np.int64))
    logits = model(start[:1])[0].numpy()[0, -1]
    top3 = set(np.argsort(logits)[-3:].tolist())
    torch.manual_seed(0)
    first = model.generate(start, max_new_tokens=1, top_k=3).numpy()[:, 1]
    assert set(first.tolist()) == top3
    probs = np.exp(logits - logits.max())
    kept = np.array(sorted(top3))
    expected = probs[kept] / probs[kept].sum()
    counts = np.array([(first == k).sum() for k in kept])
    assert np.abs(counts / n - expected).max() < 4 * np.sqrt(0.25 / n)  # within 4 standard errors
    cold = model.generate(start[:20], max_new_tokens=1, temperature=1e-3).numpy()[:, 1]
    assert np.all(cold == logits.argmax())
