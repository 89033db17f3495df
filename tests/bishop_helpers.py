"""Bishop's two-layer network of PRML 5.3.2, written twice: with autograd_core ops (the code under test) and
in numpy from the book's own equations (the oracles: the deltas (5.56)-(5.67), the exact Hessian (5.92)-(5.95),
the diagonal approximation (5.79)-(5.81) and the R-propagation of 5.4.6 (5.98)-(5.110)).

The weights are one flat vector w (the book's w, W entries): W1 (M, D + 1) then W2 (K, M + 1), row-major,
column 0 of each the bias (the book's x_0 = z_0 = 1). Hidden units tanh, outputs linear (sum-of-squares) or
softmax (cross-entropy): the canonical pairs of 5.2, whose output deltas are both y - t.
"""

import numpy as np

import autograd_core as ag


def n_weights(D, M, K):
    """W = M (D + 1) + K (M + 1): the book's count of weights and biases."""
    return M * (D + 1) + K * (M + 1)


def unpack(w, D, M, K):
    """(W1, W2) of shapes (M, D + 1), (K, M + 1) from the flat w (a numpy array or a Tensor)."""
    n1 = M * (D + 1)
    return w[:n1].reshape(M, D + 1), w[n1:].reshape(K, M + 1)


def with_ones(X):
    """[1, x] for every row: the bias as the weight of x_0 = 1."""
    return np.hstack([np.ones((len(X), 1)), X])


def network(w, X, D, M, K):
    """The outputs' activations a_k (N, K) of the two-layer tanh network, by the engine's ops."""
    W1, W2 = unpack(w, D, M, K)
    z = ag.tanh(with_ones(X) @ W1.T)
    return ag.cat([ag.ones((len(X), 1)), z], axis=1) @ W2.T


def sum_of_squares(w, X, T, D, M, K):
    """(5.11): E = 1/2 sum_n ||y(x_n, w) - t_n||^2, linear outputs."""
    return 0.5 * ((network(w, X, D, M, K) - T) ** 2).sum()


def cross_entropy(w, X, T, D, M, K):
    """(5.24): E = -sum_n sum_k t_nk ln y_k(x_n, w), softmax outputs (T one-hot)."""
    return -(T * network(w, X, D, M, K).log_softmax(axis=1)).sum()


def problem(seed=0, D=3, M=4, K=2, N=5, output="linear"):
    """A random net and data: (w, X, T); T one-hot for softmax outputs."""
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.7, n_weights(D, M, K))
    X = rng.normal(size=(N, D))
    T = rng.normal(size=(N, K)) if output == "linear" else np.eye(K)[rng.integers(0, K, N)]
    return w, X, T


def forward(w, X, D, M, K, output="linear"):
    """The book's forward pass in numpy (5.62)-(5.64): x̃, a, z, z̃, y."""
    W1, W2 = unpack(w, D, M, K)
    xt = with_ones(X)
    a = xt @ W1.T
    z = np.tanh(a)
    zt = with_ones(z)
    y = zt @ W2.T
    if output == "softmax":
        y = np.exp(y - y.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
    return xt, a, z, zt, y


def book_backprop(w, X, T, D, M, K, output="linear"):
    """The deltas and the gradient of 5.3.2: delta_k = y_k - t_k (5.65), delta_j = (1 - z_j^2) sum_k w_kj
    delta_k (5.66), dE/dw_ji = delta_j x_i and dE/dw_kj = delta_k z_j (5.67), summed over n (5.50)."""
    _, W2 = unpack(w, D, M, K)
    xt, _, z, zt, y = forward(w, X, D, M, K, output)
    delta_k = y - T
    delta_j = (1 - z**2) * (delta_k @ W2[:, 1:])
    grad = np.concatenate([(delta_j.T @ xt).ravel(), (delta_k.T @ zt).ravel()])
    return {"z": z, "y": y, "delta_j": delta_j, "delta_k": delta_k, "grad": grad}


def _output_curvature(y, output):
    """M_kk' = d2E_n / da_k da_k' for one pattern: I for linear + sum of squares, diag(y) - y y^T for softmax."""
    K = len(y)
    return np.eye(K) if output == "linear" else np.diag(y) - np.outer(y, y)


def book_hessian(w, X, T, D, M, K, output="linear"):
    """The exact Hessian of 5.4.5, block by block, summed over the patterns: both weights in the second layer
    (5.93), both in the first (5.94), one in each (5.95), with M_kk' the outputs' curvature."""
    _, W2 = unpack(w, D, M, K)
    H = np.zeros((len(w), len(w)))
    n1 = M * (D + 1)
    xts, _, zs, zts, ys = forward(w, X, D, M, K, output)
    for xt, z, zt, y, t in zip(xts, zs, zts, ys, T):
        Mkk, delta_k, V = _output_curvature(y, output), y - t, W2[:, 1:]  # V[k, j] = w_kj (no bias)
        h1, h2 = 1 - z**2, -2 * z * (1 - z**2)  # h'(a_j), h''(a_j) of tanh
        H[n1:, n1:] += np.kron(Mkk, np.outer(zt, zt))  # (5.93)
        inner = h2 * (V.T @ delta_k)  # h''(a_j) sum_k w_kj delta_k, on the diagonal j = j'
        H[:n1, :n1] += np.kron(np.diag(inner) + np.outer(h1, h1) * (V.T @ Mkk @ V), np.outer(xt, xt))  # (5.94)
        for j in range(M):  # (5.95): x_i h'(a_j) [delta_k I_jj' + z_j' sum_k' w_k'j M_kk']
            for k in range(K):
                block = zt * (Mkk[k] @ V[:, j])
                block[j + 1] += delta_k[k]
                rows = slice(j * (D + 1), (j + 1) * (D + 1))
                cols = slice(n1 + k * (M + 1), n1 + (k + 1) * (M + 1))
                H[rows, cols] += np.outer(xt * h1[j], block)
    lower = np.triu(H, 1).T
    return np.triu(H) + lower


def book_diagonal(w, X, T, D, M, K, output="linear"):
    """Becker & Le Cun's diagonal approximation (5.79)-(5.81): the second derivatives backpropagated with the
    off-diagonal d2E/da_k da_k' neglected: d2E/da_j^2 ~ h'^2 sum_k w_kj^2 d2E/da_k^2 + h'' sum_k w_kj dE/da_k."""
    _, W2 = unpack(w, D, M, K)
    V = W2[:, 1:]
    xts, _, zs, zts, ys = forward(w, X, D, M, K, output)
    diag = np.zeros(len(w))
    n1 = M * (D + 1)
    for xt, z, zt, y, t in zip(xts, zs, zts, ys, T):
        d2_k = np.diag(_output_curvature(y, output))  # only the diagonal is kept
        h1, h2 = 1 - z**2, -2 * z * (1 - z**2)
        d2_j = h1**2 * ((V**2).T @ d2_k) + h2 * (V.T @ (y - t))  # (5.81)
        diag[:n1] += np.outer(d2_j, xt**2).ravel()  # (5.80): d2E/dw_ji^2 = d2E/da_j^2 x_i^2
        diag[n1:] += np.outer(d2_k, zt**2).ravel()
    return diag


def book_r_propagation(w, v, X, T, D, M, K):
    """Pearlmutter's R{.} = v^T grad applied to the forward and backward passes, 5.4.6 (5.98)-(5.110), for
    linear outputs and sum of squares: returns R{grad E} = H v without forming H."""
    _, W2 = unpack(w, D, M, K)
    V1, V2 = unpack(v, D, M, K)
    xt, _, z, zt, y = forward(w, X, D, M, K)
    h1, h2 = 1 - z**2, -2 * z * (1 - z**2)
    Ra = xt @ V1.T  # (5.101)
    Rz = h1 * Ra  # (5.102)
    Rzt = np.hstack([np.zeros((len(X), 1)), Rz])
    Ry = Rzt @ W2.T + zt @ V2.T  # (5.103)
    delta_k = y - T  # (5.104)
    Rdelta_k = Ry  # (5.105)
    Rdelta_j = h2 * Ra * (delta_k @ W2[:, 1:]) + h1 * (delta_k @ V2[:, 1:]) + h1 * (Rdelta_k @ W2[:, 1:])  # (5.107)
    R_second = Rdelta_k.T @ zt + delta_k.T @ Rzt  # (5.109)
    R_first = Rdelta_j.T @ xt  # (5.110)
    return np.concatenate([R_first.ravel(), R_second.ravel()])


def central_hessian(grad_fn, w, eps=1e-5):
    """(5.90): H by central differences of the gradient, column by column: 2W gradient evaluations."""
    columns = []
    for i in range(len(w)):
        step = np.zeros_like(w)
        step[i] = eps
        columns.append((grad_fn(w + step) - grad_fn(w - step)) / (2 * eps))
    return np.stack(columns, axis=1)


def central_gradient(E, w, eps=1e-6):
    """(5.69): dE/dw_i by central differences of E: 2W evaluations of E, each O(W), so O(W^2)."""
    out = np.zeros_like(w)
    for i in range(len(w)):
        step = np.zeros_like(w)
        step[i] = eps
        out[i] = (E(w + step) - E(w - step)) / (2 * eps)
    return out
