"""*Build a Large Language Model (From Scratch)* (Raschka, 2024), chapters 4-5, ported as a PyTorch reader
writes them (the book's classes in tests/raschka_helpers.py, written once for either library): LayerNorm, GELU
(the tanh approximation), FeedForward, shortcut connections and the mean |grad| per layer the book prints with
and without them, the GPT model (its parameter count, weight tying), generate_text_simple, the cross-entropy and
perplexity of flattened logits, the training loop with AdamW, temperature scaling and top-k sampling.

Spelling that differs: ``.grad`` is a numpy array here, so the book's ``param.grad.abs().mean()`` is
``np.abs(param.grad).mean()``; ``torch.nn.functional`` is ``nn.functional``. Sizes are tiny (emb_dim 8).
"""

import math

import numpy as np
import pytest
from raschka_helpers import book_llm
from test_raschka_ports_attention import token_ids

import autograd_core as torch
import nn

book = book_llm(torch, nn)
CFG = {"vocab_size": 50, "context_length": 6, "emb_dim": 8, "n_heads": 2, "n_layers": 2, "drop_rate": 0.0}
CFG["qkv_bias"] = False

# the book's printed mean |grad| of each layer's weight (torch.manual_seed(123), sample [[1., 0., -1.]])
BOOK_WITHOUT_SHORTCUT = [0.00020173587836325169, 0.0001201116101583466, 0.0007152041653171182, 0.001398873864673078]
BOOK_WITHOUT_SHORTCUT += [0.005049646366387606]
BOOK_WITH_SHORTCUT = [0.22169792652130127, 0.20694105327129364, 0.32896995544433594, 0.2665732502937317]
BOOK_WITH_SHORTCUT += [1.3258541822433472]


# ---------------------------------------------------------------- chapter 4: the pieces
def test_4_layer_norm_by_hand_then_as_the_books_module_equals_nn_layer_norm():
    torch.manual_seed(123)
    batch_example = torch.randn(2, 5)
    layer = nn.Sequential(nn.Linear(5, 6), nn.ReLU())
    out = layer(batch_example)
    mean = out.mean(dim=-1, keepdim=True)
    var = out.var(dim=-1, keepdim=True)
    out_norm = (out - mean) / torch.sqrt(var)
    np.testing.assert_allclose(out_norm.mean(dim=-1).detach().numpy(), 0, atol=1e-15)
    np.testing.assert_allclose(out_norm.var(dim=-1).detach().numpy(), 1, rtol=1e-14)  # unbiased by default
    ln = book.LayerNorm(emb_dim=6)
    out_ln = ln(out)
    population_var = out.var(dim=-1, unbiased=False).detach().numpy()
    expected = population_var / (population_var + 1e-5)  # 1, but for eps
    np.testing.assert_allclose(out_ln.var(dim=-1, unbiased=False).detach().numpy(), expected, rtol=1e-12)
    ref = nn.LayerNorm(6, eps=1e-5)
    np.testing.assert_allclose(out_ln.detach().numpy(), ref(out).detach().numpy(), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        (out_norm * math.sqrt(6 / 5)).detach().numpy(),  # unbiased var is n/(n-1) of the population one
        (out - mean).detach().numpy() / np.sqrt(out.var(dim=-1, keepdim=True, unbiased=False).detach().numpy()),
        rtol=1e-13,
    )


def test_4_the_books_gelu_is_the_tanh_approximation_with_its_finite_difference_gradient():
    x = torch.linspace(-3, 3, 61)
    gelu, ref = book.GELU(), nn.GELU(approximate="tanh")
    np.testing.assert_allclose(gelu(x).numpy(), ref(x).numpy(), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(gelu(x).numpy(), nn.functional.gelu(x, approximate="tanh").numpy(), rtol=1e-14)
    assert np.abs(gelu(x).numpy() - nn.GELU()(x).numpy()).max() < 1e-3  # close to the exact x * Phi(x)
    assert gelu(x).numpy().min() == pytest.approx(-0.17, abs=0.005)  # negative inputs pass a little, unlike relu
    assert torch.gradcheck(lambda t: book.GELU()(t), (torch.tensor([-2.0, -0.5, 0.3, 1.7], requires_grad=True),))


def test_4_feed_forward_expands_four_times_and_keeps_the_shape():
    ffn = book.FeedForward(CFG)
    assert ffn(torch.rand(2, 3, 8)).shape == (2, 3, 8)
    assert [p.shape for p in ffn.parameters()] == [(32, 8), (32,), (8, 32), (8,)]


def mean_abs_grads(model, x):
    """The book's print_gradients, returning the numbers it prints."""
    output = model(x)
    target = torch.tensor([[0.0]])
    loss = nn.MSELoss()
    loss = loss(output, target)
    loss.backward()
    return [np.abs(param.grad).mean().item() for name, param in model.named_parameters() if "weight" in name]


def test_4_shortcuts_keep_the_first_layers_gradients_from_vanishing():
    """The book shows one seed; over ten, the first layer's mean |grad| is typically hundreds of times larger
    with the shortcuts (a single draw can saturate a GELU either way, so the median is asserted)."""
    layer_sizes = [3, 3, 3, 3, 3, 1]
    sample_input = torch.tensor([[1.0, 0.0, -1.0]])
    gains = []
    for seed in range(10):
        torch.manual_seed(seed)
        without = mean_abs_grads(book.ExampleDeepNeuralNetwork(layer_sizes, use_shortcut=False), sample_input)
        torch.manual_seed(seed)  # the same weights, with the identity paths added
        with_shortcut = mean_abs_grads(book.ExampleDeepNeuralNetwork(layer_sizes, use_shortcut=True), sample_input)
        gains.append(with_shortcut[0] / without[0])
    assert np.median(gains) > 100


def test_4_shortcut_gradients_are_the_books_printed_numbers_from_torchs_initial_weights():
    real = pytest.importorskip("torch")
    theirs_book = book_llm(real, real.nn)
    for use_shortcut, printed in ((False, BOOK_WITHOUT_SHORTCUT), (True, BOOK_WITH_SHORTCUT)):
        real.manual_seed(123)
        theirs = theirs_book.ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=use_shortcut)
        ours = book.ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=use_shortcut)
        ours.load_state_dict({k: np.float64(v.numpy()) for k, v in theirs.state_dict().items()})
        got = mean_abs_grads(ours, torch.tensor([[1.0, 0.0, -1.0]]))
        np.testing.assert_allclose(got, printed, rtol=2e-6)  # float32 in the book, float64 here


# ---------------------------------------------------------------- chapter 4: the GPT model
def test_4_gpt_parameter_count_in_closed_form_and_weight_tying_counts_the_shared_matrix_once():
    torch.manual_seed(123)
    model = book.GPTModel(CFG)
    V, C, E = CFG["vocab_size"], CFG["context_length"], CFG["emb_dim"]
    block = 3 * E * E + (E * E + E) + (E * 4 * E + 4 * E) + (4 * E * E + E) + 2 * 2 * E
    total_params = sum(p.numel() for p in model.parameters())
    assert total_params == V * E + C * E + CFG["n_layers"] * block + 2 * E + V * E
    total_params_gpt2 = total_params - sum(p.numel() for p in model.out_head.parameters())
    assert total_params_gpt2 == total_params - V * E
    assert model.tok_emb.weight.shape == model.out_head.weight.shape == (V, E)
    model.out_head.weight = model.tok_emb.weight  # GPT-2's weight tying
    assert sum(p.numel() for p in model.parameters()) == total_params_gpt2
    batch = torch.tensor([token_ids[:4], token_ids[4:8]]) % V
    logits = model(batch)
    assert logits.shape == (2, 4, V)
    nn.functional.cross_entropy(logits.flatten(0, 1), (batch + 1).flatten() % V).backward()
    grad = model.tok_emb.weight.grad  # both uses, added: as input embedding and as output projection
    assert grad is not None and grad[np.setdiff1d(np.arange(V), batch.numpy())].any()  # output side reaches all rows


def test_4_gpt_outputs_and_tied_gradients_equal_torch():
    real = pytest.importorskip("torch")
    theirs_book = book_llm(real, real.nn)
    torch.manual_seed(123)
    ours = book.GPTModel(CFG)
    real.set_default_dtype(real.float64)  # the GELU's torch.tensor(2.0 / torch.pi) is float32 in torch otherwise
    try:
        gpt_equals_torch(real, theirs_book, ours)
    finally:
        real.set_default_dtype(real.float32)


def gpt_equals_torch(real, theirs_book, ours):
    theirs = theirs_book.GPTModel(CFG)
    theirs.load_state_dict({k: real.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    ours.out_head.weight = ours.tok_emb.weight
    theirs.out_head.weight = theirs.tok_emb.weight
    batch = torch.tensor([token_ids[:6], token_ids[6:12]]) % CFG["vocab_size"]
    targets = torch.tensor([token_ids[1:7], token_ids[7:13]]) % CFG["vocab_size"]
    loss = book.calc_loss_batch(batch, targets, ours, "cpu")
    tloss = theirs_book.calc_loss_batch(real.from_numpy(batch.numpy()), real.from_numpy(targets.numpy()), theirs, "cpu")
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-13)
    loss.backward()
    tloss.backward()
    tgrads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, tgrads[name].grad.numpy(), rtol=1e-9, atol=1e-13, err_msg=name)
    start = torch.tensor([[3, 1, 4]])
    ours.eval()
    theirs.eval()
    out = book.generate_text_simple(ours, start, max_new_tokens=5, context_size=CFG["context_length"])
    tout = theirs_book.generate_text_simple(theirs, real.tensor([[3, 1, 4]]), 5, CFG["context_length"])
    assert out.tolist() == tout.tolist()
