"""A tiny attention model learns a task that needs attention (is the first token repeated later in the
sequence?), where the same model without attention cannot; ag.compile replays an attention training step
and equals define-by-run."""

import time
import warnings

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor

VOCAB, LENGTH, WIDTH = 8, 8, 16


class Classifier(nn.Module):
    """Embedding + positions -> MultiheadAttention (with a residual) -> mean over the sequence -> Linear."""

    def __init__(self, attention: bool = True, seed: int = 0) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, WIDTH, seed=seed)
        self.position = nn.Embedding(LENGTH, WIDTH, seed=seed + 1)
        self.attention = nn.MultiheadAttention(WIDTH, 2, batch_first=True, seed=seed) if attention else None
        self.head = nn.Linear(WIDTH, 2, seed=seed)

    def forward(self, tokens: np.ndarray) -> Tensor:
        x = self.embed(tokens) + self.position(np.arange(tokens.shape[1]))
        if self.attention is not None:
            x = x + self.attention(x, x, x, need_weights=False)[0]
        return self.head(x.mean(1))


def first_token_repeated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random sequences; label 1 when the first token appears again (a comparison between positions,
    which a bag of embeddings cannot make)."""
    tokens = np.random.default_rng(seed).integers(0, VOCAB, (n, LENGTH))
    return tokens, (tokens[:, 1:] == tokens[:, :1]).any(1).astype(np.int64)


def train(model: nn.Module, epochs: int) -> float:
    X, y = first_token_repeated(2000, seed=0)
    X_test, y_test = first_token_repeated(500, seed=1)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(epochs):
        for start in range(0, len(X), 100):
            optimizer.zero_grad()
            F.cross_entropy(model(X[start : start + 100]), y[start : start + 100]).backward()
            optimizer.step()
    return float((model(X_test).data.argmax(1) == y_test).mean())


def test_a_tiny_attention_model_learns_what_a_bag_of_embeddings_cannot():
    start = time.process_time()
    accuracy = train(Classifier(attention=True), epochs=15)
    seconds = time.process_time() - start
    baseline = train(Classifier(attention=False), epochs=15)
    print(f"first-token-repeated: attention {accuracy:.3f} in {seconds:.2f} s CPU, without {baseline:.3f}")
    assert accuracy > 0.95, accuracy  # 0.98-1.0 measured, in about 0.5 s
    assert baseline < 0.8, baseline  # about the majority class (0.6)


def test_compile_replays_an_attention_training_step_and_equals_define_by_run():
    eager, compiled = Classifier(seed=3), Classifier(seed=3)
    eager_optimizer = nn.optim.Adam(eager.parameters(), lr=0.01)
    compiled_optimizer = nn.optim.Adam(compiled.parameters(), lr=0.01)
    step = ag.compile(lambda tokens, labels: F.cross_entropy(compiled(tokens), labels))
    for seed in range(5):
        tokens, labels = first_token_repeated(32, seed=10 + seed)
        eager_optimizer.zero_grad()
        eager_loss = F.cross_entropy(eager(tokens), labels)
        eager_loss.backward()
        compiled_optimizer.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error", ag.CompileWarning)  # a fall-back to define-by-run fails the test
            loss = step(tokens, labels)
        np.testing.assert_allclose(loss.item(), eager_loss.item(), rtol=1e-12)
        for (name, a), b in zip(eager.named_parameters(), compiled.parameters()):
            np.testing.assert_allclose(b.grad, a.grad, rtol=1e-10, atol=1e-12, err_msg=name)
        eager_optimizer.step()
        compiled_optimizer.step()
    assert step.trace_count == 2 and step.replay_count == 3


def _masked_step(layer: nn.MultiheadAttention, head: nn.Linear):
    def loss(x, y, key_padding_mask):
        out, _ = layer(x, x, x, key_padding_mask=key_padding_mask)
        return F.cross_entropy(head(out.mean(1)), y)

    return loss


def test_a_float_key_padding_mask_tensor_is_read_afresh_by_compile_a_boolean_one_is_a_constant():
    layer, head = nn.MultiheadAttention(8, 2, batch_first=True, seed=0), nn.Linear(8, 2, seed=0)
    r = np.random.default_rng(0)
    batches = []
    for _ in range(4):
        padding = r.random((4, 5)) < 0.3
        padding[:, 0] = False
        batches.append((Tensor(r.normal(size=(4, 5, 8))), r.integers(0, 2, 4), padding))
    step = ag.compile(_masked_step(layer, head))
    for x, y, padding in batches:
        layer.zero_grad()
        head.zero_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error", ag.CompileWarning)
            loss = step(x, y, Tensor(np.where(padding, -np.inf, 0.0)))
        expected = _masked_step(layer, head)(x, y, padding)
        np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    assert step.trace_count == 2 and step.replay_count == 2
    # a boolean mask becomes numpy constants of the trace: a new mask each call falls back to define-by-run
    step = ag.compile(_masked_step(layer, head))
    with pytest.warns(ag.CompileWarning, match="constant"):
        for x, y, padding in batches[:3]:
            step(x, y, padding)
    assert step.replay_count == 0
