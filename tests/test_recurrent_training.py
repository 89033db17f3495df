"""An LSTM learns a toy sequence task with Adam, and ag.compile replays its training step exactly
as define-by-run trains it (the unrolled loop is a fixed graph for a fixed sequence length)."""

import numpy as np

import autograd_core as ag
import nn
import nn.functional as F


class SumReader(nn.Module):
    """Reads a sequence with an LSTM and regresses its sum from the last hidden state."""

    def __init__(self, kind=nn.LSTM, seed=0):
        super().__init__()
        self.rnn = kind(1, 16, seed=seed)
        self.head = nn.Linear(16, 1, seed=seed)

    def forward(self, x):
        output, _ = self.rnn(x)
        return self.head(output[-1])


def sum_batches(count, seed, steps=8, batch=64):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        x = rng.uniform(-0.5, 0.5, (steps, batch, 1))
        yield x, x.sum(axis=0)


def test_an_lstm_learns_to_sum_a_sequence():
    model = SumReader()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.02)
    for x, y in sum_batches(300, seed=0):
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    x, y = next(sum_batches(1, seed=1, batch=512))
    with ag.no_grad():
        loss = F.mse_loss(model(x), y).item()
    # Predicting the mean (0) scores the sum's variance, 8/12 = 0.67; measured 0.0005 after 300 steps
    assert loss < 0.01, loss


def test_compiled_lstm_training_replays_and_equals_define_by_run():
    compiled_model, plain_model = SumReader(seed=0), SumReader(seed=0)
    compiled_opt = nn.optim.Adam(compiled_model.parameters(), lr=0.02)
    plain_opt = nn.optim.Adam(plain_model.parameters(), lr=0.02)
    step = ag.compile(lambda x, y: F.mse_loss(compiled_model(x), y))
    for x, y in sum_batches(6, seed=0, batch=16):
        compiled_opt.zero_grad()
        compiled_loss = step(x, y)
        compiled_opt.step()
        plain_opt.zero_grad()
        plain_loss = F.mse_loss(plain_model(x), y)
        plain_loss.backward()
        plain_opt.step()
        np.testing.assert_allclose(compiled_loss.item(), plain_loss.item(), rtol=1e-12)
    assert step.fallback_reason is None and step.trace_count == 2 and step.replay_count == 4, step
    for p, q in zip(compiled_model.parameters(), plain_model.parameters()):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-10, atol=1e-13)


def test_nn_fit_trains_a_gru_compiled():
    """nn.fit compiles a model with a GRU inside (compile=True: the model's class is the test's own)."""
    x, y = next(sum_batches(1, seed=0, batch=256))
    model = SumReader(kind=nn.GRU)

    class TimeMajor(nn.Module):  # nn.fit batches along axis 0: give the GRU (L, N, 1)
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, batch):
            return self.model(batch.swapaxes(0, 1))

    history = nn.fit(
        TimeMajor(),
        F.mse_loss,
        nn.optim.Adam(model.parameters(), lr=0.02),
        x.swapaxes(0, 1),
        y,
        epochs=15,
        batch_size=32,
        progress=False,
        compile=True,
    )
    assert history.step == "compiled", history.step_reason
    assert history.train_loss[-1] < 0.1 * history.train_loss[0]
