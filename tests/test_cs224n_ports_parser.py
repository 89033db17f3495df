"""Stanford CS224n, the neural dependency parser's model (assignment 3 since 2019, after Chen & Manning 2014,
"A Fast and Accurate Dependency Parser using Neural Networks"), redone with ``torch = ag`` as its
``parser_model.py`` and ``run.py`` write it: an embedding matrix as an ``nn.Parameter`` looked up with
``torch.index_select``, ``embed_to_hidden`` and ``hidden_to_logits`` as raw parameters initialised by
``nn.init.xavier_uniform_`` / ``uniform_``, ReLU (or the paper's cube activation), dropout, ``nn.CrossEntropyLoss``
and Adam. The word2vec half of the port is test_cs224n_ports.py.

d1. The assignment's sanity checks (zero embeddings look up zeros; logits of shape (4, 3)); the lookup is
    ``nn.Embedding``'s, and a word used twice in a configuration gets both rows' gradients
d2. The model's gradients equal torch's (dropout off); the cube activation's derivative is 3 z^2
d3. Dropout: in training a share p of the hidden units is zeroed and the rest scaled by 1 / (1 - p); in eval none
d4. ``run.py``'s loop (minibatches, Adam, CrossEntropyLoss) learns a transition rule; its prediction trick
    ``argmax(pred + 10000 * legal)`` only ever picks a legal transition
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd_core as torch
import nn
import nn.functional as F


class ParserModel(nn.Module):
    """The assignment's feed-forward parser: (batch, n_features) word ids -> (batch, n_classes) logits."""

    def __init__(self, embeddings, n_features=36, hidden_size=200, n_classes=3, dropout_prob=0.5, cube=False):
        super(ParserModel, self).__init__()  # noqa: UP008 (the assignment's spelling)
        self.n_features = n_features
        self.embed_size = embeddings.shape[1]
        self.cube = cube
        self.embeddings = nn.Parameter(torch.tensor(embeddings))
        self.embed_to_hidden_weight = nn.Parameter(torch.empty(self.embed_size * n_features, hidden_size))
        self.embed_to_hidden_bias = nn.Parameter(torch.empty(hidden_size))
        self.dropout = nn.Dropout(dropout_prob)
        self.hidden_to_logits_weight = nn.Parameter(torch.empty(hidden_size, n_classes))
        self.hidden_to_logits_bias = nn.Parameter(torch.empty(n_classes))
        nn.init.xavier_uniform_(self.embed_to_hidden_weight)
        nn.init.uniform_(self.embed_to_hidden_bias)
        nn.init.xavier_uniform_(self.hidden_to_logits_weight)
        nn.init.uniform_(self.hidden_to_logits_bias)

    def embedding_lookup(self, w):
        return torch.index_select(self.embeddings, 0, w.flatten()).reshape((-1, self.n_features * self.embed_size))

    def forward(self, w):
        z = torch.mm(self.embedding_lookup(w), self.embed_to_hidden_weight) + self.embed_to_hidden_bias
        hidden = torch.pow(z, 3) if self.cube else F.relu(z)
        return torch.mm(self.dropout(hidden), self.hidden_to_logits_weight) + self.hidden_to_logits_bias


def small_model(seed=0, **kwargs):
    torch.manual_seed(seed)
    embeddings = np.random.default_rng(seed).normal(size=(20, 5))
    return ParserModel(embeddings, n_features=4, hidden_size=8, **kwargs)


# ---------------------------------------------------------------- d1. the sanity checks and the lookup
def test_d1_the_assignment_s_sanity_checks_pass():
    model = ParserModel(np.zeros((100, 30), dtype=np.float32))
    inputs = torch.randint(0, 100, (4, 36), dtype=torch.long)
    selected = model.embedding_lookup(inputs)
    assert selected.shape == (4, 36 * 30) and np.all(selected.detach().numpy() == 0)
    assert model(inputs).shape == (4, 3)


def test_d1_the_lookup_is_nn_embedding_s_and_a_repeated_word_gets_both_gradients():
    model = small_model()
    w = torch.tensor([[3, 7, 3, 0], [1, 1, 1, 2]])
    embedding = nn.Embedding.from_pretrained(torch.tensor(model.embeddings.data))
    np.testing.assert_array_equal(model.embedding_lookup(w).data, embedding(w).reshape(2, -1).data)
    seed = np.random.default_rng(1).normal(size=(2, 20))
    model.embedding_lookup(w).backward(torch.tensor(seed))
    slots = seed.reshape(2, 4, 5)  # the gradient of each (example, feature) slot
    np.testing.assert_allclose(model.embeddings.grad[3], slots[0, 0] + slots[0, 2])
    np.testing.assert_allclose(model.embeddings.grad[1], slots[1, :3].sum(axis=0))
    assert np.all(model.embeddings.grad[[4, 5, 6, 8, 9]] == 0)


# ---------------------------------------------------------------- d2. gradients
@pytest.mark.parametrize("cube", [False, True], ids=["relu", "cube"])
def test_d2_the_parser_s_gradients_equal_torch(cube):
    real_torch = pytest.importorskip("torch")
    model = small_model(cube=cube)
    model.eval()  # dropout off: the same function in both libraries
    w = np.array([[3, 7, 3, 0], [1, 1, 1, 2], [19, 4, 5, 6]])
    y = np.array([0, 2, 1])
    loss = nn.CrossEntropyLoss()(model(torch.tensor(w)), torch.tensor(y))
    loss.backward()
    names = ["embeddings", "embed_to_hidden_weight", "embed_to_hidden_bias", "hidden_to_logits_weight",
             "hidden_to_logits_bias"]  # fmt: skip
    t = {n: real_torch.tensor(np.array(getattr(model, n).data), requires_grad=True) for n in names}
    x = t["embeddings"][real_torch.tensor(w).flatten()].reshape(3, -1)
    z = x @ t["embed_to_hidden_weight"] + t["embed_to_hidden_bias"]
    h = z**3 if cube else real_torch.relu(z)
    logits = h @ t["hidden_to_logits_weight"] + t["hidden_to_logits_bias"]
    t_loss = real_torch.nn.functional.cross_entropy(logits, real_torch.tensor(y))
    t_loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    for n in names:
        np.testing.assert_allclose(getattr(model, n).grad, t[n].grad.numpy(), rtol=1e-10, atol=1e-13)


def test_d2_the_cube_activation_s_derivative_is_three_z_squared():
    z = torch.tensor(np.linspace(-2, 2, 9), requires_grad=True)
    torch.pow(z, 3).sum().backward()
    np.testing.assert_allclose(z.grad, 3 * z.data**2)


# ---------------------------------------------------------------- d3. dropout
def test_d3_dropout_zeroes_a_share_p_in_training_scales_the_rest_and_is_off_in_eval():
    torch.manual_seed(0)
    dropout = nn.Dropout(0.5)
    h = torch.ones(200, 100)
    out = dropout(h).data
    assert abs((out == 0).mean() - 0.5) < 0.02
    np.testing.assert_array_equal(np.unique(out), [0.0, 2.0])  # the kept units scaled by 1 / (1 - p)
    dropout.eval()
    np.testing.assert_array_equal(dropout(h).data, h.data)
    model = small_model()
    w = torch.tensor([[3, 7, 3, 0]])
    model.eval()
    assert np.array_equal(model(w).data, model(w).data)  # deterministic in eval


# ---------------------------------------------------------------- d4. run.py's loop
def test_d4_the_training_loop_learns_a_transition_rule_and_predicts_only_legal_transitions():
    rng = np.random.default_rng(0)
    train_x = rng.integers(0, 20, size=(600, 4))
    train_y = np.eye(3)[train_x[:, 0] % 3]  # the assignment's one-hot labels: the stack top's id mod 3
    model = small_model(seed=1, dropout_prob=0.2)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.02)
    loss_func = nn.CrossEntropyLoss()
    for _ in range(8):  # epochs
        model.train()
        for start in range(0, 600, 50):
            x = torch.from_numpy(train_x[start : start + 50]).long()
            y = torch.from_numpy(train_y[start : start + 50].nonzero()[1]).long()
            optimizer.zero_grad()
            loss = loss_func(model(x), y)
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(train_x).long()).detach().numpy()
    assert (pred.argmax(1) == train_y.argmax(1)).mean() > 0.95
    legal = rng.integers(0, 2, size=(600, 3))
    legal[legal.sum(1) == 0, 2] = 1  # every configuration has a legal transition
    chosen = np.argmax(pred + 10000 * legal.astype("float32"), 1)
    assert np.all(legal[np.arange(600), chosen] == 1)
