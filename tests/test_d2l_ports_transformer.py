""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) 11.6 positional encoding and 11.7 the Transformer's encoder,
ported as tests/test_d2l_ports_attention.py ports 11.2-11.5 (``torch = ag``; the book's code as it writes it;
its ``MultiHeadAttention`` is imported from there). The book's outcomes: the encoding's columns are sinusoids of
falling frequency, and a shift by delta steps is one linear map (a rotation per frequency) at every position;
the blocks keep (batch, steps, num_hiddens). The encoder block, post-norm with a ReLU FFN, is also the oracle
for ``nn.TransformerEncoderLayer`` given the same weights (the book's attention has no biases: torch's are 0).
Spellings as in tests/test_d2l_ports_attention.py (layers built with their input sizes).
"""

import math

import numpy as np
import pytest
from test_d2l_ports_attention import MultiHeadAttention

import autograd_core as ag
import nn

torch = ag  # the book's own spelling, kept so each step reads as the book does


# ---------------------------------------------------------------- 11.6 positional encoding
class PositionalEncoding(nn.Module):
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.P = torch.zeros((1, max_len, num_hiddens))  # long enough for any input
        X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens
        )
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        X = X + self.P[:, : X.shape[1], :].to(X.device)
        return self.dropout(X)


def test_11_6_positional_encoding_sinusoids_and_relative_positions_as_one_linear_map():
    encoding_dim, num_steps = 32, 60
    pos_encoding = PositionalEncoding(encoding_dim, 0)
    pos_encoding.eval()
    X = pos_encoding(torch.zeros((1, num_steps, encoding_dim)))
    P = pos_encoding.P[:, : X.shape[1], :]
    assert X.shape == (1, num_steps, encoding_dim) and bool((X == P).all())
    P = P.data[0]
    np.testing.assert_allclose(P[:, 0], np.sin(np.arange(num_steps)), atol=1e-12)  # column 0: sin(i)
    np.testing.assert_allclose(P[:, 6], np.sin(np.arange(num_steps) / 10000 ** (6 / 32)), atol=1e-12)
    crossings = [(np.diff(np.sign(P[:, j])) != 0).sum() for j in range(0, encoding_dim, 2)]
    assert crossings == sorted(crossings, reverse=True) and crossings[0] > crossings[-1]  # frequencies fall
    delta = 5  # P[i + delta] = P[i] M: one M for every position i, a 2x2 rotation per frequency
    for j in range(encoding_dim // 2):
        angle = delta / 10000 ** (2 * j / encoding_dim)
        M = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        np.testing.assert_allclose(P[:-delta, 2 * j : 2 * j + 2] @ M, P[delta:, 2 * j : 2 * j + 2], atol=1e-12)


# ---------------------------------------------------------------- 11.7 the Transformer's encoder
class PositionWiseFFN(nn.Module):
    def __init__(self, ffn_num_input, ffn_num_hiddens, ffn_num_outputs, **kwargs):
        super().__init__(**kwargs)
        self.dense1 = nn.Linear(ffn_num_input, ffn_num_hiddens)
        self.relu = nn.ReLU()
        self.dense2 = nn.Linear(ffn_num_hiddens, ffn_num_outputs)

    def forward(self, X):
        return self.dense2(self.relu(self.dense1(X)))


class AddNorm(nn.Module):
    def __init__(self, normalized_shape, dropout, **kwargs):
        super().__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)
        self.ln = nn.LayerNorm(normalized_shape)

    def forward(self, X, Y):
        return self.ln(self.dropout(Y) + X)  # the residual connection, then layer normalisation


class EncoderBlock(nn.Module):
    def __init__(self, key_size, query_size, value_size, num_hiddens, norm_shape, ffn_num_input, ffn_num_hiddens,
                 num_heads, dropout, use_bias=False, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.attention = MultiHeadAttention(key_size, query_size, value_size, num_hiddens, num_heads, dropout, use_bias)
        self.addnorm1 = AddNorm(norm_shape, dropout)
        self.ffn = PositionWiseFFN(ffn_num_input, ffn_num_hiddens, num_hiddens)
        self.addnorm2 = AddNorm(norm_shape, dropout)

    def forward(self, X, valid_lens):
        Y = self.addnorm1(X, self.attention(X, X, X, valid_lens))
        return self.addnorm2(Y, self.ffn(Y))


class TransformerEncoder(nn.Module):
    def __init__(self, vocab_size, key_size, query_size, value_size, num_hiddens, norm_shape, ffn_num_input,
                 ffn_num_hiddens, num_heads, num_layers, dropout, use_bias=False, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.num_hiddens = num_hiddens
        self.embedding = nn.Embedding(vocab_size, num_hiddens)
        self.pos_encoding = PositionalEncoding(num_hiddens, dropout)
        self.blks = nn.Sequential()
        for i in range(num_layers):
            self.blks.add_module("block" + str(i), EncoderBlock(key_size, query_size, value_size, num_hiddens,
                                 norm_shape, ffn_num_input, ffn_num_hiddens, num_heads, dropout, use_bias))  # fmt: skip

    def forward(self, X, valid_lens, *args):
        # the embedding is scaled by sqrt(num_hiddens) so that it and the encoding (in [-1, 1]) are alike in size
        X = self.pos_encoding(self.embedding(X) * math.sqrt(self.num_hiddens))
        self.attention_weights = [None] * len(self.blks)
        for i, blk in enumerate(self.blks):
            X = blk(X, valid_lens)
            self.attention_weights[i] = blk.attention.attention.attention_weights
        return X


def test_11_7_ffn_add_norm_encoder_block_and_encoder_shapes():
    ffn = PositionWiseFFN(4, 4, 8)
    ffn.eval()
    assert ffn(torch.ones((2, 3, 4))).shape == (2, 3, 8)
    assert bool((ffn(torch.ones((2, 3, 4)))[0] == ffn(torch.ones((2, 3, 4)))[1]).all())  # the same MLP at each step
    add_norm = AddNorm([3, 4], 0.5)
    add_norm.eval()
    out = add_norm(torch.ones((2, 3, 4)), torch.normal(0, 1, (2, 3, 4)))
    assert out.shape == (2, 3, 4) and abs(out.data.mean()) < 1e-12  # normalised over the last (3, 4)
    X, valid_lens = torch.ones((2, 100, 24)), torch.tensor([3, 2])
    encoder_blk = EncoderBlock(24, 24, 24, 24, [100, 24], 24, 48, 8, 0.5)
    encoder_blk.eval()
    assert encoder_blk(X, valid_lens).shape == (2, 100, 24)  # a block keeps the shape: blocks stack
    encoder = TransformerEncoder(200, 24, 24, 24, 24, [100, 24], 24, 48, 8, 2, 0.5)
    encoder.eval()
    assert encoder(torch.ones((2, 100), dtype=torch.long), valid_lens).shape == (2, 100, 24)
    weights = encoder.attention_weights[1].data.reshape(2, 8, 100, 100)
    assert (weights[0, :, :, 3:] == 0).all() and (weights[1, :, :, 2:] == 0).all()  # the padding gets none


def test_11_7_encoder_block_is_nn_transformer_encoder_layer_with_the_same_weights():
    torch.manual_seed(0)
    blk = EncoderBlock(24, 24, 24, 24, [24], 24, 48, 8, 0.0)
    layer = nn.TransformerEncoderLayer(24, 8, dim_feedforward=48, dropout=0.0, batch_first=True)
    a = blk.attention
    weights = {
        "self_attn.in_proj_weight": torch.cat([a.W_q.weight, a.W_k.weight, a.W_v.weight]),
        "self_attn.in_proj_bias": torch.zeros(72),
        "self_attn.out_proj.weight": a.W_o.weight,
        "self_attn.out_proj.bias": torch.zeros(24),
    }
    for ours, theirs in (("ffn.dense1", "linear1"), ("ffn.dense2", "linear2"), ("addnorm1.ln", "norm1"),
                         ("addnorm2.ln", "norm2")):  # fmt: skip
        weights.update({f"{theirs}.{p}": blk.state_dict()[f"{ours}.{p}"] for p in ("weight", "bias")})
    layer.load_state_dict({k: np.array(v.data if isinstance(v, ag.Tensor) else v) for k, v in weights.items()})
    X = torch.tensor(np.random.default_rng(8).normal(size=(2, 5, 24)))
    valid_lens = torch.tensor([3, 5])
    want = blk(X, valid_lens)
    got = layer(X, src_key_padding_mask=torch.arange(5)[None, :] >= valid_lens[:, None])
    np.testing.assert_allclose(got.data, want.data, rtol=1e-10, atol=1e-12)
    real = pytest.importorskip("torch")
    twin = real.nn.TransformerEncoderLayer(24, 8, dim_feedforward=48, dropout=0.0, batch_first=True, dtype=real.float64)
    twin.load_state_dict({k: real.tensor(np.array(v)) for k, v in layer.state_dict().items()})
    twin.eval()
    mask = real.arange(5)[None, :] >= real.tensor([3, 5])[:, None]
    np.testing.assert_allclose(twin(real.tensor(X.data), src_key_padding_mask=mask).detach().numpy(), want.data,
                               rtol=1e-10, atol=1e-12)  # fmt: skip
