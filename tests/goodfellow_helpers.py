"""Goodfellow, Bengio & Courville's algorithms as printed, in plain numpy: the ORACLES of
tests/test_goodfellow_ports*.py. Nothing here calls the engine's derivatives.

- ``simple_backprop``: Algorithm 6.2 on a recorded graph of scalars (its nodes read with ``ag.walk``), each
  local partial du(i)/du(j) from a table of closed forms by op name.
- ``mlp_forward`` / ``mlp_backward``: Algorithms 6.3 and 6.4, with the penalty lam * Omega(theta).
- ``sgd`` ... ``adam``: Algorithms 8.1-8.7, one update each.
"""

from __future__ import annotations

import numpy as np

from autograd_core.walk import walk

# du/du_j for a scalar node u = op(parents), given the parents' values and the output's
LOCAL_PARTIALS = {
    "add": lambda j, x, out: 1.0,
    "sub": lambda j, x, out: 1.0 if j == 0 else -1.0,
    "mul": lambda j, x, out: x[1 - j],
    "div": lambda j, x, out: 1 / x[1] if j == 0 else -x[0] / x[1] ** 2,
    "pow": lambda j, x, out: x[1] * x[0] ** (x[1] - 1) if j == 0 else out * np.log(x[0]),
    "exp": lambda j, x, out: out,
    "log": lambda j, x, out: 1 / x[0],
    "sin": lambda j, x, out: np.cos(x[0]),
    "cos": lambda j, x, out: -np.sin(x[0]),
    "tanh": lambda j, x, out: 1 - out**2,
    "sigmoid": lambda j, x, out: out * (1 - out),
    "neg": lambda j, x, out: -1.0,
}


def simple_backprop(root, inputs):
    """Algorithm 6.2: grad_table[u(n)] = 1; for j = n-1 down to 1, grad_table[u(j)] = sum over the children
    u(i) of u(j) of grad_table[u(i)] du(i)/du(j). Returns d root / d input for each input, and the number
    of terms summed (one per edge of the graph)."""
    order = walk(root)  # parents before children: Algorithm 6.1's order
    table = {id(node): 0.0 for node in order}
    table[id(root)] = 1.0
    terms = 0
    for node in reversed(order):
        if node.op is None:
            continue
        values = [float(p.data) for p in node.parents]
        for j, parent in enumerate(node.parents):
            table[id(parent)] += table[id(node)] * LOCAL_PARTIALS[node.op](j, values, float(node.data))
            terms += 1
    return [table[id(x)] for x in inputs], terms


def count_paths(root, source):
    """The number of paths from ``source`` to ``root``: what a chain rule written out path by path sums."""
    paths = {id(source): 1}
    for node in walk(root):
        if node is not source:
            paths[id(node)] = sum(paths.get(id(p), 0) for p in node.parents)
    return paths[id(root)]


def relu(a):
    return np.maximum(a, 0.0)


def relu_prime(a):
    return np.where(a > 0, 1.0, np.where(a < 0, 0.0, 0.5))  # the project's kink convention


def mlp_forward(Ws, bs, x, y, lam):
    """Algorithm 6.3: h0 = x; a(k) = b(k) + W(k) h(k-1); h(k) = f(a(k)); J = L(y_hat, y) + lam Omega(theta),
    with f = relu on the hidden layers, the identity on the last, L = 1/2 ||y_hat - y||^2 and
    Omega = sum of every squared weight and bias. Returns J and the a(k), h(k) Algorithm 6.4 reads."""
    hs, as_ = [x], []
    for k, (W, b) in enumerate(zip(Ws, bs)):
        a = b + W @ hs[-1]
        as_.append(a)
        hs.append(relu(a) if k < len(Ws) - 1 else a)
    omega = sum((W**2).sum() + (b**2).sum() for W, b in zip(Ws, bs))
    J = 0.5 * ((hs[-1] - y) ** 2).sum() + lam * omega
    return J, as_, hs


def mlp_backward(Ws, bs, as_, hs, y, lam):
    """Algorithm 6.4: g = grad_y_hat J; for k = l..1: g = g * f'(a(k)); grad_b(k) = g + lam grad_b Omega;
    grad_W(k) = g h(k-1)^T + lam grad_W Omega; g = W(k)^T g. (x is one column here.)"""
    g = hs[-1] - y
    grads_W, grads_b = [None] * len(Ws), [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        g = g * (relu_prime(as_[k]) if k < len(Ws) - 1 else 1.0)
        grads_b[k] = g + lam * 2 * bs[k]
        grads_W[k] = np.outer(g, hs[k]) + lam * 2 * Ws[k]
        g = Ws[k].T @ g
    return grads_W, grads_b


# ---------------------------------------------------------------- chapter 8's algorithms (one update each)
def sgd(theta, g, state, eps):
    """Algorithm 8.1: theta <- theta - eps g."""
    return theta - eps * g


def momentum(theta, g, state, eps, alpha):
    """Algorithm 8.2: v <- alpha v - eps g; theta <- theta + v (v starts at 0)."""
    state["v"] = alpha * state.get("v", 0.0) - eps * g
    return theta + state["v"]


def nesterov_lookahead(theta, state, alpha):
    """Algorithm 8.3's interim point theta~ = theta + alpha v, where the gradient is taken."""
    return theta + alpha * state.get("v", 0.0)


def nesterov(theta, g_at_lookahead, state, eps, alpha):
    """Algorithm 8.3: v <- alpha v - eps grad(theta + alpha v); theta <- theta + v."""
    return momentum(theta, g_at_lookahead, state, eps, alpha)


def adagrad(theta, g, state, eps, delta=1e-7):
    """Algorithm 8.4: r <- r + g*g; theta <- theta - eps / (delta + sqrt(r)) * g."""
    state["r"] = state.get("r", 0.0) + g * g
    return theta - eps / (delta + np.sqrt(state["r"])) * g


def rmsprop(theta, g, state, eps, rho, delta=1e-6):
    """Algorithm 8.5: r <- rho r + (1 - rho) g*g; theta <- theta - eps / sqrt(delta + r) * g (delta INSIDE)."""
    state["r"] = rho * state.get("r", 0.0) + (1 - rho) * g * g
    return theta - eps / np.sqrt(delta + state["r"]) * g


def rmsprop_nesterov(theta, g_at_lookahead, state, eps, rho, alpha):
    """Algorithm 8.6: g at theta + alpha v; r <- rho r + (1 - rho) g*g; v <- alpha v - eps / sqrt(r) * g;
    theta <- theta + v (as printed: no delta)."""
    state["r"] = rho * state.get("r", 0.0) + (1 - rho) * g_at_lookahead**2
    state["v"] = alpha * state.get("v", 0.0) - eps / np.sqrt(state["r"]) * g_at_lookahead
    return theta + state["v"]


def adam(theta, g, state, eps=0.001, rho1=0.9, rho2=0.999, delta=1e-8):
    """Algorithm 8.7: t <- t + 1; s <- rho1 s + (1 - rho1) g; r <- rho2 r + (1 - rho2) g*g;
    s^ = s / (1 - rho1^t); r^ = r / (1 - rho2^t); theta <- theta - eps s^ / (sqrt(r^) + delta)."""
    t = state["t"] = state.get("t", 0) + 1
    state["s"] = rho1 * state.get("s", 0.0) + (1 - rho1) * g
    state["r"] = rho2 * state.get("r", 0.0) + (1 - rho2) * g * g
    s_hat, r_hat = state["s"] / (1 - rho1**t), state["r"] / (1 - rho2**t)
    return theta - eps * s_hat / (np.sqrt(r_hat) + delta)
