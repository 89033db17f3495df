"""PyTorch's own examples of backprop through randomness (github.com/pytorch/examples), ported with
``ag.distributions`` the way their reader writes them:

vae/main.py                        ``reparameterize(mu, logvar)`` = mu + randn_like(std) * std, the loss
                                   BCE(recon, x, 'sum') - ½ Σ(1 + logvar - mu² - exp(logvar)); written with
                                   ``Normal(mu, std).rsample()``, ``Bernoulli(logits=...).log_prob(x)`` and
                                   ``kl_divergence(q, Normal(0, 1))``: the same numbers and gradients, and a tiny
                                   VAE on four 8-pixel patterns whose loss falls towards log 4.
reinforcement_learning/reinforce.py ``m = Categorical(probs); action = m.sample(); -m.log_prob(action) * R``, on a
                                   two-armed bandit: the engine's gradient equals the score-function estimate
                                   -mean r_i (onehot(a_i) - π) exactly, its mean is the exact policy gradient
                                   π0 π1 (r0 - r1) within 5 standard errors, and training picks the better arm.

Before ``ag.distributions`` each of these spellings was an AttributeError (``ag.distributions``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.distributions import Bernoulli, Categorical, Independent, Normal, kl_divergence

PATTERNS = np.array(  # four equally likely 8-pixel images: the best possible -log p(x) is log 4
    [[1, 1, 1, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1], [1, 0, 1, 0, 1, 0, 1, 0], [0, 1, 0, 1, 0, 1, 0, 1]],
    dtype=float,
)


class VAE(nn.Module):
    """vae/main.py's model, shrunk: 8 pixels, 16 hidden units, 2 latent dimensions."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(8, 16, seed=0), nn.Linear(16, 2, seed=1), nn.Linear(16, 2, seed=2)
        self.fc3, self.fc4 = nn.Linear(2, 16, seed=3), nn.Linear(16, 8, seed=4)

    def encode(self, x: ag.Tensor) -> tuple[ag.Tensor, ag.Tensor]:
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def decode_logits(self, z: ag.Tensor) -> ag.Tensor:
        return self.fc4(F.relu(self.fc3(z)))


def example_loss(recon_x: ag.Tensor, x: ag.Tensor, mu: ag.Tensor, logvar: ag.Tensor) -> ag.Tensor:
    """vae/main.py's ``loss_function``, as printed there."""
    bce = F.binary_cross_entropy(recon_x, x, reduction="sum")
    kld = -0.5 * ag.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def distributions_loss(model: VAE, x: ag.Tensor, generator: ag.Generator | None = None) -> ag.Tensor:
    """The same negative ELBO through ag.distributions."""
    mu, logvar = model.encode(x)
    q = Normal(mu, (0.5 * logvar).exp())
    z = q.rsample(generator=generator)
    reconstruction = Bernoulli(logits=model.decode_logits(z)).log_prob(x).sum()
    return -reconstruction + kl_divergence(q, Normal(0.0, 1.0)).sum()


def test_the_vae_loss_through_distributions_equals_the_example_and_its_gradients() -> None:
    x = ag.Tensor(PATTERNS)
    model = VAE()
    mu, logvar = model.encode(x)
    ag.manual_seed(0)
    eps = ag.randn_like(logvar)  # the example's reparameterize: mu + eps * std
    z = mu + eps * (0.5 * logvar).exp()
    printed = example_loss(model.decode_logits(z).sigmoid(), x, mu, logvar)
    grads_printed = ag.autograd.grad(printed, list(model.parameters()))
    ag.manual_seed(0)  # rsample draws the same noise from the same stream
    ours = distributions_loss(model, x)
    grads_ours = ag.autograd.grad(ours, list(model.parameters()))
    assert ours.item() == pytest.approx(printed.item(), rel=1e-12)
    for a, b in zip(grads_ours, grads_printed, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


def test_the_printed_kld_is_kl_of_the_posterior_from_the_standard_normal_with_its_gradients() -> None:
    mu = ag.Tensor([[0.3, -1.2], [2.0, 0.1]], requires_grad=True)
    logvar = ag.Tensor([[0.5, -0.3], [-2.0, 1.0]], requires_grad=True)
    printed = -0.5 * ag.sum(1 + logvar - mu.pow(2) - logvar.exp())
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    ours = kl_divergence(q, Independent(Normal(ag.zeros(2, 2), 1.0), 1)).sum()
    assert ours.item() == pytest.approx(printed.item(), rel=1e-14)
    g_printed, g_ours = ag.autograd.grad(printed, [mu, logvar]), ag.autograd.grad(ours, [mu, logvar])
    for a, b in zip(g_ours, g_printed, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-13)
    np.testing.assert_allclose(g_ours[0].numpy(), mu.numpy())  # d KL / d mu = mu
    np.testing.assert_allclose(g_ours[1].numpy(), 0.5 * (np.exp(logvar.numpy()) - 1))  # d / d logvar


def test_a_bernoulli_decoder_log_likelihood_is_minus_binary_cross_entropy() -> None:
    logits, x = ag.Tensor([[-3.0, 0.0, 2.5], [40.0, -40.0, 0.7]]), ag.Tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    log_lik = Bernoulli(logits=logits).log_prob(x).sum()
    assert log_lik.item() == pytest.approx(-F.binary_cross_entropy_with_logits(logits, x, reduction="sum").item())
    assert np.isfinite(log_lik.item())  # |logits| = 40 saturates sigmoid, not the stable form


def test_a_tiny_vae_learns_four_patterns() -> None:
    x, model = ag.Tensor(PATTERNS), VAE()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.02)
    generator, losses = ag.Generator(0), []
    for _ in range(800):
        optimizer.zero_grad()
        loss = distributions_loss(model, x, generator) / len(PATTERNS)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    first, last = np.mean(losses[:20]), np.mean(losses[-20:])
    # a decoder that ignores z costs 8 log 2 = 5.5 nats per image; the best any model can do is log 4 = 1.39
    assert first > 5.0 and last < 2.8 and last > math.log(4) - 0.2  # (2.0-2.5 over generator seeds 0-3)


REWARDS = np.array([1.0, 0.0])  # arm 0 pays 1, arm 1 pays 0


def test_reinforce_gradient_is_the_score_function_estimate() -> None:
    theta = ag.Tensor([0.3, -0.4], requires_grad=True)
    m = Categorical(logits=theta)
    actions = m.sample((64,), generator=ag.Generator(1))
    rewards = ag.Tensor(REWARDS[actions.numpy()])
    (-(m.log_prob(actions) * rewards).mean()).backward()
    pi = np.exp(theta.numpy()) / np.exp(theta.numpy()).sum()
    score = np.eye(2)[actions.numpy()] - pi  # d log pi(a) / d theta = onehot(a) - softmax(theta)
    np.testing.assert_allclose(theta.grad, -(rewards.numpy()[:, None] * score).mean(0), rtol=1e-13, atol=1e-15)


def test_reinforce_gradient_is_unbiased_for_the_exact_policy_gradient() -> None:
    theta = ag.Tensor([0.3, -0.4], requires_grad=True)
    m = Categorical(probs=theta.softmax(-1))  # reinforce.py's spelling: probs from a softmax
    n = 200_000
    actions = m.sample((n,), generator=ag.Generator(2))
    rewards = REWARDS[actions.numpy()]
    (m.log_prob(actions) * ag.Tensor(rewards)).mean().backward()  # ascent direction of J = E[r]
    pi = m.probs.detach().numpy()
    exact = pi[0] * pi[1] * (REWARDS[0] - REWARDS[1]) * np.array([1.0, -1.0])  # dJ/dtheta for two arms
    per_draw = rewards[:, None] * (np.eye(2)[actions.numpy()] - pi)
    se = per_draw.std(0, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(theta.grad - exact) <= 5 * se)
    np.testing.assert_allclose(theta.grad, per_draw.mean(0), rtol=1e-10)  # (sums of 200k in another order)


def test_reinforce_with_an_entropy_bonus_learns_the_better_arm() -> None:
    """Bernoulli-paying arms (0.3 and 0.7), as reinforce.py: sample, reward, -log_prob * R, step."""
    policy = nn.Linear(1, 2, seed=0)  # logits from a constant state
    optimizer, generator, state = nn.optim.Adam(policy.parameters(), lr=0.05), ag.Generator(3), ag.ones(1, 1)
    entropies = []
    for _ in range(150):
        m = Categorical(logits=policy(state))
        actions = m.sample((16,), generator=generator)
        rewards = Bernoulli(ag.Tensor([0.3, 0.7])[actions]).sample(generator=generator)
        returns = rewards - rewards.mean()  # a baseline, as reinforce.py's normalised returns
        loss = -(m.log_prob(actions) * returns).mean() - 0.01 * m.entropy().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        entropies.append(m.entropy().item())
    assert Categorical(logits=policy(state)).probs[0, 1].item() > 0.9
    assert entropies[-1] < entropies[0]
