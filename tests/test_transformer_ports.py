"""*The Annotated Transformer* (Harvard NLP, 2022 edition), ported as its reader writes it (the source's classes in
tests/transformer_helpers.py, written once for either library): the masks, scaled dot-product attention, the
multi-headed attention, the sinusoidal positional encoding, make_model and its Xavier init, Batch, the Noam rate
through LambdaLR, label smoothing over KLDivLoss, run_epoch, the copy task learned and read back by greedy_decode.

Spellings that differ: ``.data`` is a numpy array here, so LabelSmoothing's ``x.data.clone()`` is
``x.detach().clone()`` (and ``target.data.unsqueeze(1)`` is ``target.detach().unsqueeze(1)``); ``.data`` where
numpy serves (``type_as(src.data)``, ``(...).data.sum()``, ``next_word.data[0]``) is the source's own. Toy sizes
(d_model 16-32, N 1-2) keep each test to seconds. The source's penalization plot feeds ``log(0)`` to KLDivLoss
with a zero target: NaN in torch 2 as here (``0 * -inf``), so that figure is not re-drawn.
"""

import math

import numpy as np
import pytest
from transformer_helpers import annotated

import autograd_core as torch
import nn

src = annotated(torch, nn)


def small_model(V=11, N=2, d_model=16, seed=0):
    torch.manual_seed(seed)
    return src.make_model(V, V, N=N, d_model=d_model, d_ff=32, h=2, dropout=0.0, max_len=20)


# ---------------------------------------------------------------- masks and attention
def test_subsequent_mask_lets_position_i_see_positions_up_to_i_only():
    mask = src.subsequent_mask(5)
    assert mask.shape == (1, 5, 5) and mask.dtype == np.bool_
    np.testing.assert_array_equal(mask.numpy()[0], np.tril(np.ones((5, 5), dtype=bool)))


def test_attention_masks_rows_sum_to_one_and_match_softmax_of_scaled_scores():
    torch.manual_seed(1)
    q, k, v = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 4, 8), torch.randn(2, 3, 4, 5)
    out, p_attn = src.attention(q, k, v, mask=src.subsequent_mask(4))
    p = p_attn.numpy()
    np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-14)
    assert np.all(p[..., np.triu_indices(4, 1)[0], np.triu_indices(4, 1)[1]] < 1e-300)  # exp(-1e9) underflows
    scores = q.numpy() @ np.swapaxes(k.numpy(), -1, -2) / math.sqrt(8)
    row0 = np.exp(scores[..., 2, :3] - scores[..., 2, :3].max(-1, keepdims=True))
    np.testing.assert_allclose(p[..., 2, :3], row0 / row0.sum(-1, keepdims=True), rtol=1e-13)
    np.testing.assert_allclose(out.numpy(), p @ v.numpy(), rtol=1e-13)


def test_attention_gradients_pass_finite_differences():
    torch.manual_seed(2)
    q, k, v = (torch.randn(1, 2, 3, 4, requires_grad=True) for _ in range(3))
    mask = src.subsequent_mask(3)
    assert torch.gradcheck(lambda q, k, v: src.attention(q, k, v, mask=mask)[0], (q, k, v))


def test_multi_headed_attention_keeps_shapes_and_stores_the_per_head_weights():
    torch.manual_seed(3)
    mha = src.MultiHeadedAttention(h=4, d_model=16, dropout=0.0)
    x, memory = torch.randn(2, 5, 16), torch.randn(2, 7, 16)
    src_mask = torch.ones(2, 1, 7, dtype=torch.bool)
    src_mask[1, 0, 5:] = False  # the second sentence is padded after 5 tokens
    out = mha(x, memory, memory, src_mask)
    assert out.shape == (2, 5, 16) and mha.attn.shape == (2, 4, 5, 7)
    np.testing.assert_allclose(mha.attn.numpy().sum(-1), 1, rtol=1e-14)
    assert mha.attn.numpy()[1, :, :, 5:].max() < 1e-300  # padding gets no attention in any head
    assert [p.shape for p in mha.parameters()] == 4 * [(16, 16), (16,)]


def test_positional_encoding_is_the_sinusoid_table_as_a_buffer_not_a_parameter():
    pe = src.PositionalEncoding(d_model=6, dropout=0.0, max_len=12)
    table = pe.pe.numpy()[0]
    pos, i = np.arange(12)[:, None], np.arange(3)[None, :]
    np.testing.assert_allclose(table[:, 0::2], np.sin(pos / 10000 ** (2 * i / 6)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(table[:, 1::2], np.cos(pos / 10000 ** (2 * i / 6)), rtol=1e-12, atol=1e-15)
    assert list(pe.parameters()) == [] and list(pe.state_dict()) == ["pe"]
    x = torch.zeros(2, 4, 6, requires_grad=True)
    y = pe(x)
    np.testing.assert_allclose(y.detach().numpy(), np.broadcast_to(table[:4], (2, 4, 6)))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 4, 6)))


# ---------------------------------------------------------------- the full model
def test_make_model_counts_its_parameters_and_xavier_bounds_every_matrix():
    V, d, d_ff, N = 11, 16, 32, 2
    model = small_model(V, N, d)
    attention = 4 * (d * d + d)
    ffn = d * d_ff + d_ff + d_ff * d + d
    norm = 2 * d
    encoder = N * (attention + ffn + 2 * norm) + norm
    decoder = N * (2 * attention + ffn + 3 * norm) + norm
    expected = encoder + decoder + 2 * V * d + (d * V + V)
    assert sum(p.numel() for p in model.parameters()) == expected
    for p in model.parameters():
        if p.dim() > 1:
            fan_out, fan_in = p.shape
            assert np.abs(p.numpy()).max() <= math.sqrt(6 / (fan_in + fan_out))
    # the clones are copies, not one module at several places
    first, second = model.encoder.layers[0].self_attn, model.encoder.layers[1].self_attn
    assert first.linears[0].weight is not second.linears[0].weight


def test_inference_test_decodes_nine_tokens_from_an_untrained_model():
    model = small_model()
    model.eval()
    source = torch.LongTensor([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
    src_mask = torch.ones(1, 1, 10)
    memory = model.encode(source, src_mask)
    ys = torch.zeros(1, 1).type_as(source)
    for _ in range(9):
        out = model.decode(memory, src_mask, ys, src.subsequent_mask(ys.size(1)).type_as(source.data))
        prob = model.generator(out[:, -1])
        _, next_word = torch.max(prob, dim=1)
        next_word = next_word.data[0]
        ys = torch.cat([ys, torch.empty(1, 1).type_as(source.data).fill_(next_word)], dim=1)
    assert ys.shape == (1, 10) and ys.dtype == np.int64
    assert ys.numpy()[0, 0] == 0 and set(ys.numpy()[0].tolist()) <= set(range(11))
    np.testing.assert_allclose(np.exp(prob.numpy()).sum(), 1, rtol=1e-13)  # the Generator's log_softmax


def test_batch_builds_the_padding_and_subsequent_masks_and_counts_tokens():
    tgt = torch.LongTensor([[1, 4, 5, 6, 0, 0], [1, 7, 8, 9, 3, 2]])
    batch = src.Batch(tgt.clone(), tgt, pad=0)
    assert batch.src_mask.shape == (2, 1, 6) and batch.tgt_mask.shape == (2, 5, 5)
    np.testing.assert_array_equal(batch.tgt_y.numpy(), tgt.numpy()[:, 1:])
    assert batch.ntokens == 3 + 5
    expected = np.tril(np.ones((5, 5), dtype=bool)) & (tgt.numpy()[0, :-1] != 0)[None, :]
    np.testing.assert_array_equal(batch.tgt_mask.numpy()[0], expected)


def test_full_model_log_probs_and_gradients_equal_torch_with_the_same_weights():
    real = pytest.importorskip("torch")
    theirs_src = annotated(real, real.nn)
    ours = small_model()
    real.manual_seed(0)
    theirs = theirs_src.make_model(11, 11, N=2, d_model=16, d_ff=32, h=2, dropout=0.0, max_len=20).double()
    theirs.load_state_dict({k: real.tensor(v) for k, v in ours.state_dict().items()})
    ours.eval(), theirs.eval()
    data = np.array([[1, 3, 5, 7, 2, 0], [1, 4, 4, 9, 10, 6]])
    batch = src.Batch(torch.tensor(data), torch.tensor(data), 0)
    their_batch = theirs_src.Batch(real.tensor(data), real.tensor(data), 0)
    criterion = src.LabelSmoothing(11, 0, 0.1)
    their_criterion = theirs_src.LabelSmoothing(11, 0, 0.1)
    out = ours.generator(ours(batch.src, batch.tgt, batch.src_mask, batch.tgt_mask))
    their_out = theirs.generator(theirs(their_batch.src, their_batch.tgt, their_batch.src_mask, their_batch.tgt_mask))
    np.testing.assert_allclose(out.detach().numpy(), their_out.detach().numpy(), rtol=1e-11, atol=1e-12)
    loss = criterion(out.view(-1, 11), batch.tgt_y.reshape(-1)) / batch.ntokens
    their_loss = their_criterion(their_out.view(-1, 11), their_batch.tgt_y.reshape(-1)) / their_batch.ntokens
    np.testing.assert_allclose(loss.item(), their_loss.item(), rtol=1e-12)
    loss.backward()
    their_loss.backward()
    theirs_by_name = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_by_name[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------- the Noam rate and label smoothing
@pytest.mark.parametrize("model_size, factor, warmup", [(512, 1, 4000), (512, 1, 8000), (256, 1, 4000)])
def test_noam_rate_through_lambda_lr_rises_linearly_then_decays_as_the_inverse_square_root(model_size, factor, warmup):
    dummy_model = nn.Linear(1, 1)
    optimizer = nn.optim.Adam(dummy_model.parameters(), lr=1, betas=(0.9, 0.98), eps=1e-9)
    lr_scheduler = src.LambdaLR(optimizer=optimizer, lr_lambda=lambda step: src.rate(step, model_size, factor, warmup))
    lrs = []
    for _ in range(2 * warmup):
        lrs.append(optimizer.param_groups[0]["lr"])
        lr_scheduler.step()
    lrs = np.array(lrs)
    steps = np.maximum(np.arange(2 * warmup), 1)
    closed = factor * model_size**-0.5 * np.minimum(steps**-0.5, steps * warmup**-1.5)
    np.testing.assert_allclose(lrs, closed, rtol=1e-12)
    assert lrs.argmax() == warmup and lrs.max() == pytest.approx(factor * (model_size * warmup) ** -0.5, rel=1e-12)
    assert lrs[1] == lrs[0]  # step 0 is read as 1, so the first two rates agree


def test_noam_rate_sequence_equals_torch_lambda_lr():
    real = pytest.importorskip("torch")
    theirs_src = annotated(real, real.nn)
    ours_opt = nn.optim.Adam(nn.Linear(1, 1).parameters(), lr=1, betas=(0.9, 0.98), eps=1e-9)
    their_opt = real.optim.Adam(real.nn.Linear(1, 1).parameters(), lr=1, betas=(0.9, 0.98), eps=1e-9)
    ours = src.LambdaLR(optimizer=ours_opt, lr_lambda=lambda step: src.rate(step, 16, 2.0, 40))
    theirs = theirs_src.LambdaLR(optimizer=their_opt, lr_lambda=lambda step: src.rate(step, 16, 2.0, 40))
    seen = []
    for _ in range(100):
        seen.append((ours_opt.param_groups[0]["lr"], their_opt.param_groups[0]["lr"]))
        ours_opt.step(), their_opt.step(), ours.step(), theirs.step()
    np.testing.assert_allclose(*zip(*seen), rtol=1e-15)


def test_label_smoothing_builds_the_sources_true_distribution_and_its_kl_loss():
    crit = src.LabelSmoothing(5, 0, 0.4)
    predict = torch.FloatTensor([[0, 0.2, 0.7, 0.1, 0]] * 5)
    target = torch.LongTensor([2, 1, 0, 3, 3])
    with np.errstate(divide="ignore", invalid="ignore"):  # log(0), then 0 * -inf: the loss is NaN, the dist is not
        x = predict.log()
        crit(x=x, target=target)
    expected = np.full((5, 5), 0.4 / 3, dtype=np.float32)  # smoothing / (size - 2): neither padding nor truth
    expected[np.arange(5), [2, 1, 0, 3, 3]] = 0.6
    expected[:, 0] = 0
    expected[2] = 0  # the row whose target is padding
    np.testing.assert_allclose(crit.true_dist.numpy(), expected, rtol=1e-6)
    assert crit.true_dist.dtype == np.float32  # FloatTensor in, FloatTensor out
    # away from log(0), the loss is the KL divergence sum t (log t - x)
    q = np.array([[0.1, 0.2, 0.4, 0.2, 0.1], [0.3, 0.3, 0.2, 0.1, 0.1]])
    loss = src.LabelSmoothing(5, 0, 0.3)(torch.tensor(np.log(q), requires_grad=True), torch.LongTensor([2, 4]))
    t = np.full((2, 5), 0.1)
    t[[0, 1], [2, 4]] = 0.7
    t[:, 0] = 0
    kl = np.where(t > 0, t * (np.log(np.where(t > 0, t, 1)) - np.log(q)), 0).sum()
    assert loss.item() == pytest.approx(kl, rel=1e-12)
    loss.backward()


def test_label_smoothing_penalizes_overconfidence_unlike_plain_nll():
    crit = src.LabelSmoothing(5, 0, 0.1)

    def loss(x):
        d = x + 3 * 1 + 1e-3  # the source's predict, with a little mass on the padding column: no log(0)
        predict = torch.FloatTensor([[1e-3 / d, x / d, 1 / d, 1 / d, 1 / d]])
        return crit(predict.log(), torch.LongTensor([1])).item()

    losses = np.array([loss(x) for x in range(1, 100)])
    assert losses.argmin() not in (0, len(losses) - 1)  # falls, then rises: very sure answers cost again
    assert losses[-1] > losses.min() + 0.05


# ---------------------------------------------------------------- training: the copy task
def test_copy_task_is_learned_and_greedy_decode_reads_the_input_back():
    V = 11
    torch.manual_seed(0)
    criterion = src.LabelSmoothing(size=V, padding_idx=0, smoothing=0.0)
    model = src.make_model(V, V, N=1, d_model=32, d_ff=64, h=4, dropout=0.0, max_len=16)
    optimizer = nn.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
    d_model = model.src_embed[0].d_model
    lr_scheduler = src.LambdaLR(optimizer=optimizer, lr_lambda=lambda step: src.rate(step, d_model, 1.0, 100))
    losses = []
    for _ in range(7):
        model.train()
        loss_compute = src.SimpleLossCompute(model.generator, criterion)
        state = src.run_epoch(src.data_gen(V, 30, 20, 6), model, loss_compute, optimizer, lr_scheduler, mode="train")[1]
        model.eval()
        dummy = (src.DummyOptimizer(), src.DummyScheduler())
        losses.append(float(src.run_epoch(src.data_gen(V, 30, 2, 6), model, loss_compute, *dummy, mode="eval")[0]))
    assert losses[0] > 1.0 and min(losses[-2:]) < 0.2, losses
    assert state.step == 20 and state.accum_step == 20 and state.tokens == 20 * 30 * 5
    model.eval()
    source = torch.LongTensor([[1, 2, 3, 4, 5, 6]])
    decoded = src.greedy_decode(model, source, torch.ones(1, 1, 6), max_len=6, start_symbol=1)
    np.testing.assert_array_equal(decoded.numpy(), source.numpy())
