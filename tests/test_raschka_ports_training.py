"""*Build a Large Language Model (From Scratch)* (Raschka, 2024), chapter 5, ported as a PyTorch reader writes it
(the book's functions in tests/raschka_helpers.py): the loss of flattened logits as the mean negative log of the
target probabilities, perplexity, ``train_model_simple`` with AdamW, temperature scaling and top-k on the book's
nine-word example (``torch.multinomial``, ``torch.bincount``, ``torch.topk``, ``torch.where(condition=, input=,
other=)``), ``generate`` with temperature, top-k and an end token, and loading GPT-2-laid-out weights with the
book's ``assign``. Chapters 2-4: test_raschka_ports_attention.py and test_raschka_ports_gpt.py.
"""

import math

import numpy as np
import pytest
from raschka_helpers import book_llm
from test_raschka_ports_attention import token_ids, vocab
from test_raschka_ports_gpt import CFG

import autograd_core as torch
import nn
from nn.data import DataLoader

book = book_llm(torch, nn)
words = {"closer": 0, "every": 1, "effort": 2, "forward": 3, "inches": 4, "moves": 5, "pizza": 6, "toward": 7, "you": 8}
next_token_logits = torch.tensor([4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79])


def loaders(context_length=6, batch_size=2):
    train_ratio = 0.80
    split_idx = int(train_ratio * len(token_ids))
    train_data, val_data = token_ids[:split_idx], token_ids[split_idx:]
    train_dataset = book.GPTDatasetV1(train_data, max_length=context_length, stride=context_length)
    val_dataset = book.GPTDatasetV1(val_data, max_length=context_length, stride=context_length)
    train_loader = DataLoader(train_dataset, batch_size=batch_size, shuffle=True, drop_last=True)
    val_loader = DataLoader(val_dataset, batch_size=batch_size, shuffle=False, drop_last=False)
    return train_loader, val_loader


def test_5_cross_entropy_of_flattened_logits_is_the_mean_negative_log_target_probability():
    assert len(vocab) <= CFG["vocab_size"]
    torch.manual_seed(123)
    model = book.GPTModel(CFG)
    model.eval()
    inputs = torch.tensor([token_ids[0:3], token_ids[10:13]])
    targets = torch.tensor([token_ids[1:4], token_ids[11:14]])
    with torch.no_grad():
        logits = model(inputs)
    probas = torch.softmax(logits, dim=-1)
    assert torch.argmax(probas, dim=-1, keepdim=True).shape == (2, 3, 1)
    text_idx = 0
    target_probas_1 = probas[text_idx, [0, 1, 2], targets[text_idx]]
    text_idx = 1
    target_probas_2 = probas[text_idx, [0, 1, 2], targets[text_idx]]
    log_probas = torch.log(torch.cat((target_probas_1, target_probas_2)))
    avg_log_probas = torch.mean(log_probas)
    neg_avg_log_probas = avg_log_probas * -1
    logits_flat, targets_flat = logits.flatten(0, 1), targets.flatten()
    assert logits_flat.shape == (6, CFG["vocab_size"]) and targets_flat.shape == (6,)
    loss = nn.functional.cross_entropy(logits_flat, targets_flat)
    assert loss.item() == pytest.approx(neg_avg_log_probas.item(), rel=1e-14)
    perplexity = torch.exp(loss)
    assert perplexity.item() == pytest.approx(math.prod(1 / p for p in log_probas.exp().tolist()) ** (1 / 6))
    assert abs(loss.item() - math.log(CFG["vocab_size"])) < 1.0  # untrained: near a uniform guess, as the book's


def test_5_train_model_simple_overfits_the_short_text_as_the_book_observes():
    train_loader, val_loader = loaders()
    torch.manual_seed(123)
    model = book.GPTModel(CFG)
    optimizer = nn.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.1)  # the book: lr=0.0004 for 124M
    num_epochs = 10
    train_losses, val_losses, tokens_seen = book.train_model_simple(
        model, train_loader, val_loader, optimizer, "cpu", num_epochs=num_epochs, eval_freq=5, eval_iter=5
    )
    steps = num_epochs * len(train_loader)
    assert len(train_losses) == len(val_losses) == len(tokens_seen) == (steps + 4) // 5
    assert tokens_seen[:2] == [1 * 2 * 6, 6 * 2 * 6]  # a batch of two 6-token windows a step
    assert train_losses[-1] < 0.5 * train_losses[0]  # memorising the training text
    assert val_losses[-1] > val_losses[0]  # and the held-out 20% gets worse: the book's overfitting
    assert model.training  # evaluate_model put it back in training mode


def test_5_train_model_simple_equals_torch_step_by_step():
    real = pytest.importorskip("torch")
    theirs_book = book_llm(real, real.nn)
    torch.manual_seed(123)
    ours = book.GPTModel(CFG)
    batches = [(torch.tensor([token_ids[i : i + 6]]), torch.tensor([token_ids[i + 1 : i + 7]])) for i in (0, 9, 20)]
    real.set_default_dtype(real.float64)  # the GELU's torch.tensor(2.0 / torch.pi): float64 as ours
    try:
        theirs = theirs_book.GPTModel(CFG)
        theirs.load_state_dict({k: real.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
        their_batches = [(real.from_numpy(x.numpy()), real.from_numpy(y.numpy())) for x, y in batches]
        args = {"device": "cpu", "num_epochs": 2, "eval_freq": 1, "eval_iter": 2}
        kwargs = {"lr": 0.01, "weight_decay": 0.1}
        ours_out = book.train_model_simple(ours, batches, batches, nn.optim.AdamW(ours.parameters(), **kwargs), **args)
        opt = real.optim.AdamW(theirs.parameters(), **kwargs)
        theirs_out = theirs_book.train_model_simple(theirs, their_batches, their_batches, opt, **args)
    finally:
        real.set_default_dtype(real.float32)
    np.testing.assert_allclose(ours_out[0], theirs_out[0], rtol=1e-11)
    assert ours_out[2] == theirs_out[2] == [6, 12, 18, 24, 30, 36]
    w, tw = ours.trf_blocks[1].ff.layers[2].weight, theirs.trf_blocks[1].ff.layers[2].weight
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- decoding strategies
def softmax_with_temperature(logits, temperature):
    scaled_logits = logits / temperature
    return torch.softmax(scaled_logits, dim=0)


def test_5_temperature_scaling_sharpens_or_flattens_and_multinomial_samples_the_probabilities():
    probas = torch.softmax(next_token_logits, dim=0)
    inverse_vocab = {v: k for k, v in words.items()}
    assert inverse_vocab[torch.argmax(probas).item()] == "forward"
    torch.manual_seed(123)
    sample = [torch.multinomial(probas, num_samples=1).item() for i in range(1_000)]
    sampled_ids = torch.bincount(torch.tensor(sample), minlength=9)
    p = probas.numpy()
    assert (np.abs(sampled_ids.numpy() - 1000 * p) <= 5 * np.sqrt(1000 * p * (1 - p)) + 1).all()  # 5 sigma
    scaled = [softmax_with_temperature(next_token_logits, T).numpy() for T in (1, 0.1, 5)]
    np.testing.assert_allclose(scaled[0], p, rtol=1e-15)
    assert scaled[1][words["forward"]] > 0.99  # 0.1: nearly greedy
    e = np.exp(np.array(next_token_logits.tolist()) / 5)
    assert scaled[2][words["pizza"]] == pytest.approx(e[6] / e.sum(), rel=1e-14)  # 5: "pizza" about 4% of the time
    entropy = [-(q * np.log(q)).sum() for q in scaled]
    assert entropy[1] < entropy[0] < entropy[2]


def test_5_top_k_keeps_the_k_largest_logits_with_where_s_keywords():
    top_k = 3
    top_logits, top_pos = torch.topk(next_token_logits, top_k)
    assert top_logits.tolist() == [6.75, 6.28, 4.51] and top_pos.tolist() == [3, 7, 0]  # the book's printout
    new_logits = torch.where(
        condition=next_token_logits < top_logits[-1], input=torch.tensor(float("-inf")), other=next_token_logits
    )
    inf = float("-inf")
    assert new_logits.tolist() == [4.51, inf, inf, 6.75, inf, inf, inf, 6.28, inf]
    topk_probas = torch.softmax(new_logits, dim=0)
    np.testing.assert_allclose(topk_probas.numpy(), [0.0615, 0, 0, 0.5775, 0, 0, 0, 0.3610, 0], atol=5e-5)
    positional = torch.where(next_token_logits < top_logits[-1], torch.tensor(float("-inf")), next_token_logits)
    assert positional.tolist() == new_logits.tolist()


def test_5_generate_greedy_top_k_sampling_and_the_end_token():
    torch.manual_seed(123)
    model = book.GPTModel(CFG)
    model.eval()
    start = torch.tensor([token_ids[:3]])
    greedy = book.generate_text_simple(model, start, max_new_tokens=6, context_size=CFG["context_length"])
    assert greedy.shape == (1, 9) and greedy[:, :3].tolist() == start.tolist()
    assert book.generate(model, start, 6, CFG["context_length"]).tolist() == greedy.tolist()  # temperature 0
    one = book.generate(model, start, 6, CFG["context_length"], temperature=1.4, top_k=1)
    assert one.tolist() == greedy.tolist()  # sampling among one candidate
    stopped = book.generate(model, start, 6, CFG["context_length"], eos_id=greedy[0, 3].item())
    assert stopped.tolist() == start.tolist()  # the first new token is the end token: nothing appended
    torch.manual_seed(5)
    sampled = book.generate(model, start, 6, CFG["context_length"], temperature=1.4, top_k=3)
    torch.manual_seed(5)
    assert book.generate(model, start, 6, CFG["context_length"], temperature=1.4, top_k=3).tolist() == sampled.tolist()
    for t in range(3, 9):  # each sampled token is among the three likeliest after its context
        with torch.no_grad():
            last = model(sampled[:, max(0, t - CFG["context_length"]) : t])[0, -1]
        assert sampled[0, t].item() in torch.topk(last, 3).indices.tolist()


def gpt2_params(cfg, rng):
    """Random weights in the layout of OpenAI's GPT-2 checkpoint (what the book's download gives)."""
    E, V, C = cfg["emb_dim"], cfg["vocab_size"], cfg["context_length"]

    def normal(*shape):
        return rng.normal(scale=0.2, size=shape)

    def block():
        return {
            "attn": {
                "c_attn": {"w": normal(E, 3 * E), "b": normal(3 * E)},
                "c_proj": {"w": normal(E, E), "b": normal(E)},
            },
            "mlp": {
                "c_fc": {"w": normal(E, 4 * E), "b": normal(4 * E)},
                "c_proj": {"w": normal(4 * E, E), "b": normal(E)},
            },
            "ln_1": {"g": 1 + normal(E), "b": normal(E)},
            "ln_2": {"g": 1 + normal(E), "b": normal(E)},
        }

    blocks = [block() for _ in range(cfg["n_layers"])]
    return {"wte": normal(V, E), "wpe": normal(C, E), "blocks": blocks, "g": 1 + normal(E), "b": normal(E)}


def test_5_loading_gpt2_laid_out_weights_with_assign_splits_qkv_and_ties_the_head():
    cfg = {**CFG, "qkv_bias": True}  # GPT-2's attention has biases
    params = gpt2_params(cfg, np.random.default_rng(0))
    gpt = book.GPTModel(cfg)
    book.load_weights_into_gpt(gpt, params)
    E = cfg["emb_dim"]
    att = gpt.trf_blocks[1].att
    np.testing.assert_array_equal(att.W_key.weight.data, params["blocks"][1]["attn"]["c_attn"]["w"][:, E : 2 * E].T)
    np.testing.assert_array_equal(att.W_value.bias.data, params["blocks"][1]["attn"]["c_attn"]["b"][2 * E :])
    names = [name for name, _ in gpt.named_parameters()]
    assert "trf_blocks.1.att.W_key.weight" in names and len(names) == len(set(names))
    np.testing.assert_array_equal(gpt.out_head.weight.data, gpt.tok_emb.weight.data)  # the same values, loaded twice
    with pytest.raises(ValueError, match=r"Shape mismatch. Left: \(8,\), Right: \(3,\)"):
        book.assign(gpt.final_norm.scale, np.ones(3))
    x = torch.tensor([token_ids[:6]])
    logits = gpt(x)
    nn.functional.cross_entropy(logits.flatten(0, 1), torch.tensor(token_ids[1:7])).backward()
    assert att.W_key.weight.grad is not None and att.W_key.weight.grad.shape == (E, E)  # assigned ones train
    real = pytest.importorskip("torch")
    theirs_book = book_llm(real, real.nn)
    real.set_default_dtype(real.float64)
    try:
        theirs = theirs_book.GPTModel(cfg)
        theirs_book.load_weights_into_gpt(theirs, params)
        tlogits = theirs(real.tensor([token_ids[:6]]))
    finally:
        real.set_default_dtype(real.float32)
    np.testing.assert_allclose(logits.detach().numpy(), tlogits.detach().numpy(), rtol=1e-12, atol=1e-13)
