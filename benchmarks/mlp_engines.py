"""One MLP training step (forward, softmax cross-entropy, backward, SGD) in every engine.

All engines share one layout: ``params = [W1, b1, W2, b2, ...]`` with ``W`` of shape
(fan_in, fan_out), ReLU between layers, mean softmax cross-entropy over the batch.
Each engine offers ``gradients(batch) -> (loss, [grad arrays])`` (for the checks,
no update) and ``step_fn(batch) -> step()`` (one full training step, for timing);
the data is converted to the engine's own type once, outside the timed step.
"""

import itertools

import numpy as np

from . import peers


class Batch:
    """Inputs ``X`` (n, features), integer ``labels`` (n,) and their one-hot ``Y``, in one dtype."""

    def __init__(self, X, labels, classes):
        self.X, self.labels = X, labels
        self.Y = np.eye(classes, dtype=X.dtype)[labels]


class HandWritten:
    """The textbook delta rule in numpy: the zero-overhead limit for a numpy engine.

    δ^L = (ŷ − y)/n,  δ^ℓ = (δ^{ℓ+1} W^{ℓ+1}ᵀ) ⊙ relu'(z^ℓ),  ∇W^ℓ = h^{ℓ-1}ᵀ δ^ℓ,  ∇b^ℓ = Σ_rows δ^ℓ.
    """

    name = "hand-written"

    def __init__(self, params, lr):
        self.params, self.lr = [p.copy() for p in params], lr

    def gradients(self, batch):
        weights, biases = self.params[0::2], self.params[1::2]
        inputs, pre_activations = [], []
        h = batch.X
        for k, (W, b) in enumerate(zip(weights, biases)):
            inputs.append(h)
            z = h @ W + b
            pre_activations.append(z)
            h = np.maximum(z, 0) if k < len(weights) - 1 else z
        shifted = h - h.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        n = len(batch.X)
        loss = -float(np.sum(batch.Y * (shifted - np.log(total)))) / n
        delta = (exp / total - batch.Y) / n
        grads = []
        for k in reversed(range(len(weights))):
            grads[:0] = [inputs[k].T @ delta, delta.sum(axis=0)]
            if k:
                delta = (delta @ weights[k].T) * (pre_activations[k - 1] > 0)
        return loss, grads

    def step_fn(self, batch):
        def step():
            _, grads = self.gradients(batch)
            for p, g in zip(self.params, grads):
                p -= self.lr * g

        return step


class AutogradCore:
    """This project's engine, Tensor ops only (no nn), as a user of the engine would write it."""

    name = "autograd_core"

    def __init__(self, params, lr):
        import autograd_core as ag

        self.ag, self.lr = ag, lr
        self.params = [ag.Tensor(p.copy(), requires_grad=True) for p in params]

    def loss(self, X, Y):
        layers = list(zip(self.params[0::2], self.params[1::2]))
        h = X
        for k, (W, b) in enumerate(layers):
            h = h @ W + b
            if k < len(layers) - 1:
                h = h.relu()
        return -(h.log_softmax(axis=-1) * Y).sum() / X.shape[0]

    def gradients(self, batch):
        loss = self.loss(self.ag.Tensor(batch.X), self.ag.Tensor(batch.Y))
        loss.backward()
        grads = [p.grad for p in self.params]
        for p in self.params:
            p.zero_grad()
        return loss.item(), grads

    def step_fn(self, batch):
        X, Y = self.ag.Tensor(batch.X), self.ag.Tensor(batch.Y)

        def step():
            self.loss(X, Y).backward()
            for p in self.params:
                p.data -= self.lr * p.grad  # the documented update spelling
                p.grad = None

        return step


class AutogradCoreCompiled(AutogradCore):
    """The same Tensor-ops step through ``ag.compile``: the first two calls trace it, later ones
    replay the generated numpy code. ``step_fn`` makes those two calls as setup (like converting
    the data); ``gradients`` checks a replay's gradients, not a trace's."""

    name = "autograd_core.compile"

    def __init__(self, params, lr):
        super().__init__(params, lr)
        self.step = self.ag.compile(self.loss)

    def gradients(self, batch):
        X, Y = self.ag.Tensor(batch.X), self.ag.Tensor(batch.Y)
        for _ in range(3):  # trace, trace and adopt the plan, replay
            for p in self.params:
                p.zero_grad()
            loss = self.step(X, Y)
        if not self.step.replay_count:
            raise RuntimeError(f"ag.compile did not replay: {self.step.fallback_reason}")
        grads = [p.grad for p in self.params]
        for p in self.params:
            p.zero_grad()
        return loss.item(), grads

    def step_fn(self, batch):
        X, Y = self.ag.Tensor(batch.X), self.ag.Tensor(batch.Y)

        def step():
            self.step(X, Y)
            for p in self.params:
                p.data -= self.lr * p.grad
                p.grad = None

        step()
        step()
        return step


class NNLibrary:
    """This project's nn as the README teaches it: ``nn.MLP``, ``F.cross_entropy(model(X), y)``,
    ``nn.optim.SGD`` (zero_grad, backward, step)."""

    name = "autograd_core.nn"

    def __init__(self, params, lr):
        nn = peers.nn_library()
        if not nn:
            raise ImportError(nn.reason)
        import nn.functional as F

        self.F, self.ag = F, __import__("autograd_core")
        sizes = [params[0].shape[0]] + [W.shape[1] for W in params[0::2]]
        self.model = nn.MLP(sizes, seed=0, dtype=params[0].dtype)
        self.linears = [m for m in self.model.layers if isinstance(m, nn.Linear)]
        for linear, W, b in zip(self.linears, params[0::2], params[1::2]):
            # nn stores weights as (out, in) like torch; the shared layout is (in, out). The values
            # are copied into nn's own arrays, which keep the memory layout nn.Linear chose.
            self.transposed = tuple(linear.weight.shape) != W.shape
            np.copyto(linear.weight.data, W.T if self.transposed else W)
            np.copyto(linear.bias.data, b.reshape(linear.bias.shape))
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=lr)

    def _ordered_grads(self):
        grads = []
        for linear in self.linears:
            grads += [linear.weight.grad.T if self.transposed else linear.weight.grad, linear.bias.grad.reshape(-1)]
        return [np.array(g) for g in grads]

    def loss(self, X, labels):
        return self.F.cross_entropy(self.model(X), labels)

    def gradients(self, batch):
        self.optimizer.zero_grad()
        loss = self.loss(self.ag.Tensor(batch.X), batch.labels)
        loss.backward()
        grads = self._ordered_grads()
        self.optimizer.zero_grad()
        return loss.item(), grads

    def step_fn(self, batch):
        X = self.ag.Tensor(batch.X)

        def step():
            self.optimizer.zero_grad()
            self.loss(X, batch.labels).backward()
            self.optimizer.step()

        return step


class NNCompiled(NNLibrary):
    """The README's compile idiom: ``step = ag.compile(lambda X, y: F.cross_entropy(model(X), y))``,
    then zero_grad, ``step(X, y)`` (which leaves every .grad), ``optimizer.step()``. ``step_fn``
    makes the two tracing calls as setup; ``gradients`` checks a replay's gradients."""

    name = "autograd_core.nn.compile"

    def __init__(self, params, lr):
        super().__init__(params, lr)
        F, model = self.F, self.model
        self.step = self.ag.compile(lambda X, y: F.cross_entropy(model(X), y))

    def gradients(self, batch):
        X = self.ag.Tensor(batch.X)
        for _ in range(3):  # trace, trace and adopt the plan, replay
            self.optimizer.zero_grad()
            loss = self.step(X, batch.labels)
        if not self.step.replay_count:
            raise RuntimeError(f"ag.compile did not replay: {self.step.fallback_reason}")
        grads = self._ordered_grads()
        self.optimizer.zero_grad()
        return loss.item(), grads

    def step_fn(self, batch):
        X = self.ag.Tensor(batch.X)

        def step():
            self.optimizer.zero_grad()
            self.step(X, batch.labels)
            self.optimizer.step()

        step()
        step()
        return step


class Torch:
    """PyTorch CPU eager: the same matmuls, torch.relu and F.cross_entropy (its idiomatic fused loss)."""

    name = "torch"

    def __init__(self, params, lr):
        torch = peers.torch()
        if not torch:
            raise ImportError(torch.reason)
        self.torch, self.lr = torch, lr
        self.params = [torch.tensor(p, requires_grad=True) for p in params]

    def loss(self, X, labels):
        layers = list(zip(self.params[0::2], self.params[1::2]))
        h = X
        for k, (W, b) in enumerate(layers):
            h = h @ W + b
            if k < len(layers) - 1:
                h = self.torch.relu(h)
        return self.torch.nn.functional.cross_entropy(h, labels)

    def gradients(self, batch):
        loss = self.loss(self.torch.from_numpy(batch.X), self.torch.from_numpy(batch.labels))
        loss.backward()
        grads = [p.grad.numpy().copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return loss.item(), grads

    def step_fn(self, batch):
        X, labels = self.torch.from_numpy(batch.X), self.torch.from_numpy(batch.labels)

        def step():
            self.loss(X, labels).backward()
            with self.torch.no_grad():
                for p in self.params:
                    p -= self.lr * p.grad
                    p.grad = None

        return step


class JaxGrad:
    """JAX: a jax.numpy loss, ``jax.grad`` of it run eagerly (op by op), functional SGD update;
    every step waits for its result (``block_until_ready``: JAX dispatches asynchronously)."""

    name = "jax.grad"

    def __init__(self, params, lr):
        found = peers.jax()
        if not found:
            raise ImportError(found.reason)
        self.jax, self.jnp = found, found.numpy
        self.lr = lr
        self.params = [self.jnp.asarray(p) for p in params]
        self.grad_fn = self.jax.value_and_grad(self.loss)

    def loss(self, params, X, labels):
        layers = list(zip(params[0::2], params[1::2]))
        h = X
        for k, (W, b) in enumerate(layers):
            h = h @ W + b
            if k < len(layers) - 1:
                h = self.jax.nn.relu(h)
        log_probs = self.jax.nn.log_softmax(h, axis=1)
        return -self.jnp.mean(self.jnp.take_along_axis(log_probs, labels[:, None], axis=1))

    def gradients(self, batch):
        loss, grads = self.grad_fn(self.params, self.jnp.asarray(batch.X), self.jnp.asarray(batch.labels))
        return float(loss), [np.asarray(g) for g in grads]

    def update(self, params, X, labels):
        grads = self.jax.grad(self.loss)(params, X, labels)
        return [p - self.lr * g for p, g in zip(params, grads)]

    def step_fn(self, batch):
        X, labels = self.jnp.asarray(batch.X), self.jnp.asarray(batch.labels)
        update = self.update

        def step():
            self.params = self.jax.block_until_ready(update(self.params, X, labels))

        return step


class JaxJit(JaxGrad):
    """JAX: ``jax.jit`` of the whole step (loss, grad and SGD update compiled by XLA as one
    function); compiled once as setup, like the data conversion."""

    name = "jax.jit"

    def step_fn(self, batch):
        X, labels = self.jnp.asarray(batch.X), self.jnp.asarray(batch.labels)
        update = self.jax.jit(self.update)

        def step():
            self.params = self.jax.block_until_ready(update(self.params, X, labels))

        step()
        return step


class HipsAutograd:
    """HIPS autograd: a numpy loss function and ``autograd.grad`` of it (as its MNIST example)."""

    name = "HIPS autograd"

    def __init__(self, params, lr):
        found = peers.hips_autograd()
        if not found:
            raise ImportError(found.reason)
        autograd, self.anp, special = found
        self.logsumexp = special.logsumexp
        self.params, self.lr = [p.copy() for p in params], lr
        self.grad_fn = autograd.grad(self.loss)

    def loss(self, params, X, Y):
        layers = list(zip(params[0::2], params[1::2]))
        h = X
        for k, (W, b) in enumerate(layers):
            h = self.anp.dot(h, W) + b
            if k < len(layers) - 1:
                h = self.anp.maximum(h, 0.0)
        log_probs = h - self.logsumexp(h, axis=1, keepdims=True)
        return -self.anp.sum(log_probs * Y) / X.shape[0]

    def gradients(self, batch):
        loss = float(self.loss(self.params, batch.X, batch.Y))
        return loss, list(self.grad_fn(self.params, batch.X, batch.Y))

    def step_fn(self, batch):
        def step():
            for p, g in zip(self.params, self.grad_fn(self.params, batch.X, batch.Y)):
                p -= self.lr * g

        return step


# The headline rows first: the API the README teaches, then the best-case formulation, then the peers.
ENGINES = (HandWritten, NNLibrary, NNCompiled, AutogradCore, AutogradCoreCompiled, Torch, JaxGrad, JaxJit, HipsAutograd)


def make_params(sizes, dtype, seed=0):
    """He-scaled weights and small non-zero biases (so bias gradients are checked too)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        params.append((rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(dtype))
        params.append((0.1 * rng.standard_normal(fan_out)).astype(dtype))
    return params


def make_batch(features, classes, n, dtype, seed=1):
    """Standard-normal inputs and uniformly random labels."""
    rng = np.random.default_rng(seed)
    return Batch(rng.standard_normal((n, features)).astype(dtype), rng.integers(0, classes, n), classes)
