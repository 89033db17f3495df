"""François Fleuret, *The Little Book of Deep Learning* (2023), chapter 3 (training), ported: what the book states
about losses, autoregressive models, mini-batch gradient descent, the cost of back-propagation and the value of
depth, each checked with the engine against a closed form (or the same thing computed another way), and against
torch where it helps. Chapters 4-5 (components, architectures) are in test_fleuret_ports_components.py.

3.1  The contrastive loss max(0, 1 - f(x_a, x_c) + f(x_a, x_b)) for triplets with y_a = y_b != y_c is
     ``F.margin_ranking_loss(f_ac, f_ab, 1, margin=1)``; its embedding form is ``F.triplet_margin_loss``, whose
     gradient is the closed form of unit vectors; training on it separates the classes by the margin.
3.2  A causal model's logit at t depends on tokens 0..t only (its Jacobian is block lower-triangular), so one pass
     gives every P(x_t+1 | x_<=t), and the summed cross-entropy is -log P(x_1, ..., x_T) by the chain rule, equal
     to T separate runs on the prefixes; sampling with a temperature.
3.3  The mini-batch gradient is an unbiased estimate of the full gradient, with the covariance of sampling
     without replacement: every batch of a small set enumerated.
3.4  Back-propagation keeps the activations: the graph holds (2 L + 1) N D numbers for L layers on a batch of N,
     none under ``no_grad``; ``ag.checkpoint`` keeps one per segment and recomputes the rest during backward,
     for bit-identical gradients.
3.5  The value of depth: L composed tent maps (2 ReLUs each) have 2^L linear pieces, read from the engine's
     derivative; one hidden layer of n ReLUs has at most n + 1.

What the port needed: the contrastive losses ``F.margin_ranking_loss`` and ``F.triplet_margin_loss`` (and
``nn.MarginRankingLoss``, ``nn.TripletMarginLoss``), and gradient checkpointing, ``ag.checkpoint``
(``torch.utils.checkpoint.checkpoint``): PyTorch's names, missing here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from tests.fleuret_helpers import TinyGPT, graph_bytes, input_slopes, linear_pieces


def _clusters(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 6)
    centres = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    return centres[y] + 0.05 * rng.standard_normal((len(y), 2)), y


def _triplets(y: np.ndarray) -> np.ndarray:
    """Every (a, b, c) with y_a = y_b != y_c, a != b (the book's triplets)."""
    return np.array(
        [(a, b, c) for a, b, c in itertools.product(range(len(y)), repeat=3) if a != b and y[a] == y[b] != y[c]]
    )


# ---------------------------------------------------------------------------------- 3.1 the contrastive loss
def test_3_1_the_books_contrastive_loss_is_margin_ranking_loss_and_training_separates_by_the_margin():
    X, y = _clusters()
    a, b, c = _triplets(y)[::7].T
    embed = nn.Linear(2, 2, seed=0)

    def dissimilarity(i: np.ndarray, j: np.ndarray) -> Tensor:  # the book's f(x_a, x_b): a squared distance
        d = embed(X[i]) - embed(X[j])
        return (d * d).sum(axis=1)

    f_ac, f_ab = dissimilarity(a, c), dissimilarity(a, b)
    by_hand = np.maximum(0.0, 1.0 - f_ac.data + f_ab.data).mean()
    assert F.margin_ranking_loss(f_ac, f_ab, np.ones(len(a)), margin=1.0).item() == pytest.approx(by_hand, rel=1e-14)
    assert nn.MarginRankingLoss(margin=1.0)(f_ac, f_ab, np.ones(len(a))).item() == pytest.approx(by_hand, rel=1e-14)

    optimizer = nn.optim.SGD(embed.parameters(), lr=0.5)
    violated = []
    for _ in range(20):
        f_ac, f_ab = dissimilarity(a, c), dissimilarity(a, b)
        violated.append(int((f_ac.data - f_ab.data < 1.0).sum()))
        optimizer.zero_grad()
        F.margin_ranking_loss(f_ac, f_ab, np.ones(len(a)), margin=1.0).backward()
        optimizer.step()
    assert violated[0] > len(a) // 3 and violated[-1] == 0  # every triplet beaten by the margin: the loss is 0 ...
    embed.zero_grad()
    F.margin_ranking_loss(dissimilarity(a, c), dissimilarity(a, b), np.ones(len(a)), margin=1.0).backward()
    assert not embed.weight.grad.any()  # ... and so is its gradient: satisfied triplets no longer pull


def test_3_1_the_triplet_loss_gradient_is_the_difference_of_unit_vectors():
    rng = np.random.default_rng(1)
    anchor, positive, negative = (Tensor(rng.standard_normal((4, 3)), requires_grad=True) for _ in range(3))
    loss = F.triplet_margin_loss(anchor, positive, negative, margin=5.0, eps=0.0, reduction="sum")  # all violated
    loss.backward()
    to_p, to_n = anchor.data - positive.data, anchor.data - negative.data
    unit_p = to_p / np.linalg.norm(to_p, axis=1, keepdims=True)
    unit_n = to_n / np.linalg.norm(to_n, axis=1, keepdims=True)
    np.testing.assert_allclose(anchor.grad, unit_p - unit_n, atol=1e-14)
    np.testing.assert_allclose(positive.grad, -unit_p, atol=1e-14)
    np.testing.assert_allclose(negative.grad, unit_n, atol=1e-14)
    for p, swap in ((1.0, False), (3.0, True)):  # the other norms and the swap pass finite differences

        def loss(a: Tensor, q: Tensor, n: Tensor, p: float = p, swap: bool = swap) -> Tensor:
            return F.triplet_margin_loss(a, q, n, 5.0, p, swap=swap)

        assert ag.gradcheck(loss, (anchor, positive, negative))


def test_3_1_the_margin_losses_equal_torchs():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((6, 4)) for _ in range(3)]
    for kwargs in ({}, {"p": 1.0, "margin": 0.3}, {"swap": True, "reduction": "none"}, {"p": 3.0, "eps": 0.0}):
        ours = [Tensor(x, requires_grad=True) for x in arrays]
        theirs = [torch.tensor(x, requires_grad=True) for x in arrays]
        F.triplet_margin_loss(*ours, **kwargs).sum().backward()
        tf.triplet_margin_loss(*theirs, **kwargs).sum().backward()
        np.testing.assert_allclose(
            F.triplet_margin_loss(*ours, **kwargs).data, tf.triplet_margin_loss(*theirs, **kwargs).detach()
        )
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.grad, t.grad.numpy(), atol=1e-13)
    for p, keepdim in ((2.0, False), (1.0, True), (3.0, False)):  # the distance it compares
        ours, theirs = Tensor(arrays[0], requires_grad=True), torch.tensor(arrays[0], requires_grad=True)
        F.pairwise_distance(ours, arrays[1], p, keepdim=keepdim).sum().backward()
        tf.pairwise_distance(theirs, torch.tensor(arrays[1]), p, keepdim=keepdim).sum().backward()
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-13)
    x1, x2, sign = rng.standard_normal(7), rng.standard_normal(7), np.where(rng.random(7) < 0.5, -1.0, 1.0)
    for reduction in ("mean", "sum", "none"):
        ours = F.margin_ranking_loss(x1, x2, sign, margin=0.4, reduction=reduction).data
        theirs = tf.margin_ranking_loss(*map(torch.tensor, (x1, x2, sign)), margin=0.4, reduction=reduction)
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-14)


def test_3_1_the_margin_losses_say_what_is_wrong():
    with pytest.raises(
        ValueError, match=r"margin_ranking_loss: target must hold 1 .* or -1 .* found 0\.0; .*2 \* y - 1"
    ):
        F.margin_ranking_loss([1.0, 2.0], [0.0, 0.0], [1, 0])
    with pytest.raises(ValueError, match=r"margin_ranking_loss: input has shape \(2,\) but target has shape \(3,\)"):
        F.margin_ranking_loss([1.0, 2.0], [0.0, 0.0], [1, 1, 1])
    with pytest.raises(ValueError, match=r"triplet_margin_loss: anchor has shape \(2, 3, 4\); expected \(N, D\)"):
        F.triplet_margin_loss(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"triplet_margin_loss: p must be a finite number > 0 .*got 0"):
        nn.TripletMarginLoss(p=0)
    with pytest.raises(ValueError, match=r"pairwise_distance: p must be a finite number > 0 .*got inf"):
        F.pairwise_distance(np.zeros((2, 3)), np.ones((2, 3)), p=float("inf"))
    with pytest.raises(ValueError, match=r"margin_ranking_loss: margin must be a finite number, got nan"):
        nn.MarginRankingLoss(margin=float("nan"))
    with pytest.raises(ValueError, match=r"MarginRankingLoss: reduction must be one of"):
        nn.MarginRankingLoss(reduction="avg")


# ---------------------------------------------------------------------------------- 3.2 autoregressive models
def test_3_2_a_causal_models_logit_at_t_depends_on_the_tokens_up_to_t_only():
    model = TinyGPT()
    x = model.embedded(np.array([[0, 3, 1, 4, 2]])).detach()
    jac = ag.jacobian(model.from_embedded)(x).data[0, :, :, 0]  # (T, vocabulary, T, D): d logit[t] / d x[s]
    blocks = np.abs(jac).sum(axis=(1, 3))
    assert not np.triu(blocks, 1).any()  # the future never reaches the past ...
    assert (np.tril(blocks) > 1e-6)[np.tril_indices(5)].all()  # ... and every earlier token does


def test_3_2_one_causal_pass_gives_the_chain_rules_factors_and_minus_log_p_of_the_sequence():
    model = TinyGPT()
    tokens = np.array([[2, 0, 3, 3, 1, 4]])
    logits = model(tokens[:, :-1])  # position t predicts token t + 1
    summed = F.cross_entropy(logits[0], tokens[0, 1:], reduction="sum")
    log_p = 0.0
    for t in range(1, tokens.shape[1]):  # P(x_t | x_<t), each from its own run on the prefix
        log_p += F.log_softmax(model(tokens[:, :t])[0, -1]).data[tokens[0, t]]
    assert summed.item() == pytest.approx(-log_p, rel=1e-12)


def test_3_2_sampling_with_a_temperature_goes_from_the_argmax_to_uniform():
    logits = np.array([2.0, 1.0, 0.0, -1.0])
    generator = ag.Generator(0)

    def draws(temperature: float, n: int = 4000) -> np.ndarray:
        probabilities = F.softmax(Tensor(logits / temperature))
        return (
            np.bincount(ag.multinomial(probabilities, n, replacement=True, generator=generator).data, minlength=4) / n
        )

    assert draws(1e-3)[0] == 1.0  # tau -> 0: the most probable token every time
    p = F.softmax(Tensor(logits)).data
    assert np.abs(draws(1.0) - p).max() < 4 * np.sqrt(p * (1 - p) / 4000).max()  # tau = 1: the model's distribution
    entropies = [-(q * np.log(q)).sum() for q in (F.softmax(Tensor(logits / tau)).data for tau in (0.5, 1, 2, 100))]
    assert np.all(np.diff(entropies) > 0) and entropies[-1] == pytest.approx(math.log(4), abs=1e-3)


# ---------------------------------------------------------------------------------- 3.3 gradient descent
def test_3_3_mini_batch_gradients_are_unbiased_with_the_without_replacement_covariance():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((6, 3)), rng.standard_normal(6)
    w = Tensor(rng.standard_normal(3), requires_grad=True)

    def gradient(rows: list[int]) -> np.ndarray:
        w.zero_grad()
        F.mse_loss(Tensor(X[rows]) @ w, y[rows]).backward()
        return w.grad.copy()

    full, each = gradient(list(range(6))), np.array([gradient([n]) for n in range(6)])
    batch = 2
    batches = np.array([gradient(list(rows)) for rows in itertools.combinations(range(6), batch)])
    np.testing.assert_allclose(batches.mean(axis=0), full, atol=1e-14)
    spread = np.cov(each.T, bias=True)  # the per-example gradients' covariance Sigma
    np.testing.assert_allclose(np.cov(batches.T, bias=True), spread / batch * (6 - batch) / (6 - 1), atol=1e-13)


# ---------------------------------------------------------------------------------- 3.4 the memory of backprop
@pytest.mark.parametrize("depth", [1, 2, 5])
@pytest.mark.parametrize("batch", [4, 8])
def test_3_4_the_graph_keeps_two_activations_a_layer_for_the_backward_pass(depth, batch):
    layers = [module for k in range(depth) for module in (nn.Linear(16, 16, seed=k), nn.Tanh())]
    model, x = nn.Sequential(*layers), Tensor(np.ones((batch, 16)))
    loss = model(x).sum()
    assert graph_bytes(loss) == (2 * depth + 1) * batch * 16 * 8 + 8  # x, each layer's x W^T + b and tanh; the loss
    with ag.no_grad():
        assert model(x).sum().parents == ()  # nothing kept: evaluation costs one layer's memory at a time


def _blocks(count: int) -> list[nn.Sequential]:
    return [nn.Sequential(nn.Linear(16, 16, seed=k), nn.Tanh(), nn.Linear(16, 16, seed=50 + k)) for k in range(count)]


def test_3_4_checkpointing_keeps_only_the_segment_boundaries_and_gives_the_same_gradients():
    blocks, x = _blocks(6), np.random.default_rng(4).standard_normal((8, 16))

    def run(checkpointed: bool, by_grad: bool) -> tuple[int, list[np.ndarray]]:
        inputs, parameters = Tensor(x, requires_grad=True), [p for block in blocks for p in block.parameters()]
        h = inputs
        for block in blocks:
            h = ag.checkpoint(block, h) if checkpointed else block(h)
        loss = (h * h).sum()
        kept = graph_bytes(loss)
        if by_grad:
            return kept, [g.data for g in ag.grad(loss, [inputs, *parameters])]
        for block in blocks:
            block.zero_grad()
        loss.backward()
        return kept, [inputs.grad.copy()] + [p.grad.copy() for p in parameters]

    for by_grad in (False, True):
        (plain, expected), (kept, got) = run(False, by_grad), run(True, by_grad)
        assert plain == (3 * 6 + 1) * 8 * 16 * 8 + 8  # three activations a block, h * h, the loss
        assert kept == (6 + 1) * 8 * 16 * 8 + 8  # one a block: its output, the next one's input
        for e, g in zip(expected, got):
            np.testing.assert_array_equal(g, e)  # the recomputation does the very same floating-point work
    assert ag.gradcheck(lambda h: ag.checkpoint(blocks[0], h), (Tensor(x[:2], requires_grad=True),))


def test_3_4_checkpoint_repeats_the_dropout_draws_and_says_what_it_cannot_do():
    block, x = nn.Sequential(nn.Linear(4, 4, seed=0), nn.Dropout(0.5)), Tensor(np.ones((3, 4)), requires_grad=True)
    gradients = []
    for use_checkpoint in (False, True):
        ag.manual_seed(7)
        (ag.checkpoint(block, x) if use_checkpoint else block(x)).sum().backward()
        gradients.append(x.grad.copy())
        x.zero_grad()
    np.testing.assert_array_equal(gradients[1], gradients[0])  # the same mask in the forward and its recomputation
    model, tokens = TinyGPT(), Tensor(np.array([[0, 3, 1]]))  # integer inputs need no gradient, the weights do
    ag.checkpoint(model, tokens).sum().backward()
    expected = model.embed.weight.grad.copy()
    model.zero_grad()
    model(tokens).sum().backward()
    np.testing.assert_array_equal(model.embed.weight.grad, expected)
    with ag.no_grad():
        assert ag.checkpoint(block, x).op is None  # nothing recorded: the plain call
    out = ag.checkpoint(lambda h: (h * h).sum(), x)
    with pytest.raises(RuntimeError, match=r"checkpoint: .* cannot be differentiated again \(create_graph=True\); "):
        ag.grad(out, x, create_graph=True)
    with pytest.raises(TypeError, match=r"checkpoint: the function returned a tuple; it must return one Tensor"):
        ag.checkpoint(lambda h: (h, h), x)
    with pytest.raises(TypeError, match=r"checkpoint: expected a function \(or module\) to run, got Tensor"):
        ag.checkpoint(x, x)


# ---------------------------------------------------------------------------------- 3.5 the value of depth
def _tent_maps(depth: int) -> nn.Sequential:
    """t(x) = 2 relu(x) - 4 relu(x - 1/2): [0, 1] onto itself, up then down; composed ``depth`` times."""
    layers: list[nn.Module] = []
    for _ in range(depth):
        hidden, out = nn.Linear(1, 2), nn.Linear(2, 1)
        hidden.weight.data[:] = [[1.0], [1.0]]
        hidden.bias.data[:] = [0.0, -0.5]
        out.weight.data[:] = [[2.0, -4.0]]
        out.bias.data[:] = 0.0
        layers += [hidden, nn.ReLU(), out]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("depth", [1, 3, 6])
def test_3_5_depth_l_tent_maps_have_2_to_the_l_pieces_one_hidden_layer_n_plus_1(depth):
    grid = (np.arange(2**depth * 16) + 0.5) / (2**depth * 16)  # no sample on a kink j / 2^depth
    slopes = input_slopes(_tent_maps(depth), grid)
    assert linear_pieces(slopes) == 2**depth
    np.testing.assert_allclose(np.abs(slopes), 2.0**depth)  # each piece spans [0, 1]: slope +-2^depth
    shallow = nn.Sequential(nn.Linear(1, 2 * depth, seed=depth), nn.ReLU(), nn.Linear(2 * depth, 1, seed=depth + 1))
    fine = np.linspace(-3, 3, 20001) + 1e-7
    assert linear_pieces(input_slopes(shallow, fine)) <= 2 * depth + 1  # the same 2 depth units, side by side
