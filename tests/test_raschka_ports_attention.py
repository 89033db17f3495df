"""*Build a Large Language Model (From Scratch)* (Raschka, 2024), chapters 2-3, ported as a PyTorch reader
writes them (``autograd_core as torch``; the book's classes in tests/raschka_helpers.py, written once for either
library): the sliding-window dataset, token and positional embeddings, simplified self-attention by loops and by
matrices, self-attention with trainable weights (v1 and v2), the causal mask (renormalised, and by
``masked_fill`` with ``-torch.inf``), dropout on the attention weights, the multi-head wrapper and the
weight-split multi-head attention (``view``/``transpose``/``contiguous``). The book's GPT: test_raschka_ports_gpt.py.

tiktoken is not installed: the token ids are made by a word-level tokenizer (the book's chapter-2 one) over the
first sentence of "The Verdict" (Edith Wharton, 1908, public domain), the book's training text.
"""

import re

import numpy as np
import pytest
from raschka_helpers import book_llm

import autograd_core as torch
import nn
from nn.data import DataLoader

book = book_llm(torch, nn)
verdict = (
    "I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough--so it was no great "
    "surprise to me to hear that, in the height of his glory, he had dropped his painting, married a rich widow, "
    "and established himself in a villa on the Riviera."
)
preprocessed = [item for item in re.split(r'([,.:;?_!"()\']|--|\s)', verdict) if item.strip()]
vocab = {token: integer for integer, token in enumerate(sorted(set(preprocessed)))}
token_ids = [vocab[s] for s in preprocessed]

# "Your journey starts with one step": the book's six 3-d embeddings of chapter 3
inputs = torch.tensor(
    [
        [0.43, 0.15, 0.89],  # Your
        [0.55, 0.87, 0.66],  # journey
        [0.57, 0.85, 0.64],  # starts
        [0.22, 0.58, 0.33],  # with
        [0.77, 0.25, 0.10],  # one
        [0.05, 0.80, 0.55],  # step
    ]
)


# ---------------------------------------------------------------- chapter 2: data and embeddings
def test_2_sliding_window_targets_are_the_inputs_shifted_by_one_token():
    assert preprocessed[:6] == ["I", "HAD", "always", "thought", "Jack", "Gisburn"] and len(token_ids) == 57
    dataset = book.GPTDatasetV1(token_ids, max_length=4, stride=1)
    assert len(dataset) == len(token_ids) - 4
    x, y = dataset[0]
    assert x.tolist() == token_ids[:4] and y.tolist() == token_ids[1:5]
    dataset = book.GPTDatasetV1(token_ids, max_length=4, stride=4)
    loader = DataLoader(dataset, batch_size=8, shuffle=False, drop_last=True, num_workers=0)
    data_iter = iter(loader)
    inputs_, targets = next(data_iter)
    assert inputs_.shape == targets.shape == (8, 4) and inputs_.dtype == torch.int64
    assert inputs_.flatten().tolist() == token_ids[:32]  # stride = max_length: no overlap, no token skipped
    assert (inputs_[:, 1:] == targets[:, :-1]).all() and len(loader) == 1  # 14 windows, one full batch of 8


def test_2_token_plus_position_embeddings_and_the_embedding_is_a_one_hot_matmul():
    torch.manual_seed(123)
    vocab_size, output_dim, context_length = len(vocab), 3, 4
    token_embedding_layer = nn.Embedding(vocab_size, output_dim)
    pos_embedding_layer = nn.Embedding(context_length, output_dim)
    ids = torch.tensor([token_ids[:4], token_ids[4:8]])
    token_embeddings = token_embedding_layer(ids)
    pos_embeddings = pos_embedding_layer(torch.arange(context_length))
    input_embeddings = token_embeddings + pos_embeddings
    assert input_embeddings.shape == (2, 4, 3)
    W_tok, W_pos = token_embedding_layer.weight.data, pos_embedding_layer.weight.data
    np.testing.assert_array_equal(input_embeddings.numpy()[1, 2], W_tok[token_ids[6]] + W_pos[2])
    onehot = nn.functional.one_hot(ids, num_classes=vocab_size).float().double()
    linear = onehot @ token_embedding_layer.weight  # the book's appendix: Embedding is Linear on one-hot rows
    np.testing.assert_allclose(token_embeddings.numpy(), linear.numpy(), rtol=1e-15)
    (token_embeddings * torch.arange(3.0)).sum().backward()
    counts = np.bincount(np.array(ids.tolist()).ravel(), minlength=vocab_size)
    np.testing.assert_allclose(token_embedding_layer.weight.grad, counts[:, None] * np.arange(3.0))  # repeats add


# ---------------------------------------------------------------- chapter 3: attention
def test_3_simplified_attention_by_loops_equals_the_matrix_form():
    query = inputs[1]
    attn_scores_2 = torch.empty(inputs.shape[0])
    for i, x_i in enumerate(inputs):
        attn_scores_2[i] = torch.dot(x_i, query)
    assert attn_scores_2[0].item() == pytest.approx(0.9544)  # the book's printed scores
    attn_weights_2_naive = torch.exp(attn_scores_2) / torch.exp(attn_scores_2).sum(dim=0)  # softmax_naive
    attn_weights_2 = torch.softmax(attn_scores_2, dim=0)
    np.testing.assert_allclose(attn_weights_2.numpy(), attn_weights_2_naive.numpy(), rtol=1e-15)
    assert attn_weights_2.sum().item() == pytest.approx(1.0)
    context_vec_2 = torch.zeros(query.shape)
    for i, x_i in enumerate(inputs):
        context_vec_2 += attn_weights_2[i] * x_i
    attn_scores = torch.empty(6, 6)
    for i, x_i in enumerate(inputs):
        for j, x_j in enumerate(inputs):
            attn_scores[i, j] = torch.dot(x_i, x_j)
    assert torch.allclose(attn_scores, inputs @ inputs.T)
    all_context_vecs = torch.softmax(attn_scores, dim=-1) @ inputs
    np.testing.assert_allclose(all_context_vecs[1].numpy(), context_vec_2.numpy(), rtol=1e-14)
    np.testing.assert_allclose(context_vec_2.numpy(), [0.4419, 0.6515, 0.5683], atol=5e-5)  # the book's


class SelfAttention_v1(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.W_query = nn.Parameter(torch.rand(d_in, d_out))
        self.W_key = nn.Parameter(torch.rand(d_in, d_out))
        self.W_value = nn.Parameter(torch.rand(d_in, d_out))

    def forward(self, x):
        keys = x @ self.W_key
        queries = x @ self.W_query
        values = x @ self.W_value
        attn_scores = queries @ keys.T
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        return attn_weights @ values


class SelfAttention_v2(nn.Module):
    def __init__(self, d_in, d_out, qkv_bias=False):
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x):
        keys, queries, values = self.W_key(x), self.W_query(x), self.W_value(x)
        attn_scores = queries @ keys.T
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        return attn_weights @ values


def test_3_v1_with_v2s_transposed_weights_gives_v2s_context_vectors_exercise_3_1():
    torch.manual_seed(789)
    sa_v2 = SelfAttention_v2(3, 2)
    sa_v1 = SelfAttention_v1(3, 2)
    sa_v1.W_query = nn.Parameter(sa_v2.W_query.weight.T)
    sa_v1.W_key = nn.Parameter(sa_v2.W_key.weight.T)
    sa_v1.W_value = nn.Parameter(sa_v2.W_value.weight.T)
    np.testing.assert_allclose(sa_v1(inputs).detach().numpy(), sa_v2(inputs).detach().numpy(), rtol=1e-14)
    assert [name for name, _ in sa_v1.named_parameters()] == ["W_query", "W_key", "W_value"]
    W_query = nn.Parameter(torch.rand(3, 2), requires_grad=False)  # the book's first, frozen, weights
    assert not W_query.requires_grad and isinstance(W_query, nn.Parameter)


def test_3_the_causal_mask_renormalised_equals_masked_fill_with_minus_inf():
    torch.manual_seed(789)
    sa_v2 = SelfAttention_v2(3, 2)
    queries, keys = sa_v2.W_query(inputs), sa_v2.W_key(inputs)
    attn_scores = queries @ keys.T
    attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
    context_length = attn_scores.shape[0]
    mask_simple = torch.tril(torch.ones(context_length, context_length))
    masked_simple = attn_weights * mask_simple
    row_sums = masked_simple.sum(dim=-1, keepdim=True)
    masked_simple_norm = masked_simple / row_sums
    mask = torch.triu(torch.ones(context_length, context_length), diagonal=1)
    masked = attn_scores.masked_fill(mask.bool(), -torch.inf)
    attn_weights = torch.softmax(masked / keys.shape[-1] ** 0.5, dim=-1)
    np.testing.assert_allclose(attn_weights.detach().numpy(), masked_simple_norm.detach().numpy(), rtol=1e-14)
    assert (attn_weights.detach().numpy()[np.triu_indices(6, 1)] == 0).all() and attn_weights[0, 0].item() == 1
    assert torch.inf == float("inf") and torch.pi == pytest.approx(3.141592653589793) and np.isnan(torch.nan)


def test_3_dropout_on_the_attention_weights_scales_the_kept_half_by_two():
    torch.manual_seed(123)
    dropout = nn.Dropout(0.5)
    out = dropout(torch.ones(6, 6)).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and 8 <= (out == 2).sum() <= 28  # kept / (1 - p); about half
    dropout.eval()
    assert (dropout(torch.ones(6, 6)).numpy() == 1).all()


def test_3_masked_fill_in_place_works_outside_the_graph_and_on_recorded_scores_names_masked_fill():
    mask = torch.triu(torch.ones(3, 3), diagonal=1).bool()
    scores = torch.ones(3, 3)
    assert scores.masked_fill_(mask, -torch.inf) is scores  # the book's in-place call, on a plain tensor
    assert np.isneginf(scores.numpy()[0, 1]) and scores[1, 0].item() == 1
    w = torch.ones(3, 3, requires_grad=True)
    with torch.no_grad():
        w.masked_fill_(mask, 0.0)
    assert w.sum().item() == 6
    recorded = w @ torch.ones(3, 3)
    with pytest.raises(RuntimeError, match=r"masked_fill_\(\) on a tensor that is part of a recorded graph.*y = y\.ma"):
        recorded.masked_fill_(mask, -torch.inf)  # the book's CausalAttention, with trainable weights
    with pytest.raises(TypeError, match=r"masked_fill: mask must be boolean, got float64"):
        scores.masked_fill_(torch.ones(3, 3), 0.0)


def test_3_a_registered_mask_buffer_answers_bool_and_stays_a_numpy_array():
    ca = book.CausalAttention(3, 2, context_length=6, dropout=0.0)
    assert isinstance(ca.mask, np.ndarray) and list(ca.state_dict()) == [
        "W_query.weight",
        "W_key.weight",
        "W_value.weight",
        "mask",
    ]
    assert ca.mask.bool()[:2, :2].tolist() == [[False, True], [False, False]]  # the book's self.mask.bool()
    assert type(ca.mask * 2) is np.ndarray and repr(ca.mask[:1, :2]) == "array([[0., 1.]])"  # numpy's own
    ca.to(torch.float32)
    assert ca.mask.dtype == np.float32 and ca.mask.bool().dtype == torch.bool
    with pytest.raises(AttributeError, match=r"buffer\) has no attribute 'no_such_method'"):
        ca.mask.no_such_method()


def test_3_causal_attention_on_a_batch_and_the_two_multi_head_forms_are_one_function():
    torch.manual_seed(123)
    batch = torch.stack((inputs, inputs), dim=0)
    ca = book.CausalAttention(3, 2, batch.shape[1], 0.0)
    context_vecs = ca(batch)
    assert context_vecs.shape == (2, 6, 2) and torch.equal(context_vecs[0], context_vecs[1])
    np.testing.assert_allclose(context_vecs[0, 0].numpy(), ca.W_value(inputs[0]).numpy(), rtol=1e-14)  # sees itself
    wrapper = book.MultiHeadAttentionWrapper(3, 2, 6, 0.0, num_heads=2)
    mha = book.MultiHeadAttention(3, 4, 6, 0.0, num_heads=2)
    with torch.no_grad():  # the heads' weights stacked: head h owns output rows h*2 : h*2+2
        for name in ("W_query", "W_key", "W_value"):
            stacked = torch.cat([getattr(head, name).weight for head in wrapper.heads], dim=0)
            getattr(mha, name).weight.copy_(stacked)
        mha.out_proj.weight.copy_(torch.eye(4))
        mha.out_proj.bias.zero_()
    np.testing.assert_allclose(mha(batch).numpy(), wrapper(batch).numpy(), rtol=1e-13, atol=1e-15)


def test_3_the_books_attention_modules_equal_torch_in_outputs_and_gradients():
    real = pytest.importorskip("torch")
    theirs_book = book_llm(real, real.nn)
    torch.manual_seed(123)
    x = torch.rand(2, 5, 4)
    for make in (lambda b: b.MultiHeadAttention(4, 6, 5, 0.0, num_heads=3), lambda b: b.CausalAttention(4, 3, 5, 0.0)):
        ours, theirs = make(book), make(theirs_book).double()
        theirs.load_state_dict({k: real.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
        out, tout = ours(x), theirs(real.from_numpy(x.numpy()))
        np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-12, atol=1e-15)
        (out**2).sum().backward()
        (tout**2).sum().backward()
        tgrads = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad, tgrads[name].grad.numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
