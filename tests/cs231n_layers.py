"""The oracle of tests/test_cs231n_ports_layers.py and _nets.py: cs231n assignment 2's ``layers.py``, the
numpy layers with their backward passes derived by hand, and its ``optim.py`` update rules, written here
as the assignment defines them (each ``*_forward`` returns (out, cache), each ``*_backward`` takes
(dout, cache); each update rule takes (w, dw, config) and returns (next_w, config)). The engine never
runs in this file: it is what the engine's gradients are compared with.
"""

import numpy as np


def affine_forward(x, w, b):
    """out = x reshaped to (N, D) @ w + b."""
    return x.reshape(x.shape[0], -1).dot(w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    dx = dout.dot(w.T).reshape(x.shape)
    return dx, x.reshape(x.shape[0], -1).T.dot(dout), dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def affine_relu_forward(x, w, b):
    """The "sandwich" layer: affine then ReLU, the caches of both kept."""
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


def softmax_loss(x, y):
    """Loss and gradient d loss / d scores = (probs - one_hot(y)) / N."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    N = x.shape[0]
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return -np.sum(log_probs[np.arange(N), y]) / N, dx / N


def svm_loss(x, y):
    """The multiclass hinge (delta 1) on scores x, and its gradient."""
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, None] + 1.0)
    margins[np.arange(N), y] = 0
    positive = np.sum(margins > 0, axis=1)
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(N), y] -= positive
    return np.sum(margins) / N, dx / N


def dropout_forward(x, dropout_param):
    """Inverted dropout: keep each unit with probability p, scale by 1/p in training; identity in test."""
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * mask if dropout_param["mode"] == "train" else dout


def batchnorm_forward(x, gamma, beta, bn_param):
    """Train: normalise by the batch's mean and (biased) variance, update the running averages
    ``momentum * running + (1 - momentum) * batch``; test: normalise by the running averages."""
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        mean, var = np.mean(x, axis=0), np.var(x, axis=0)  # (np.var: on a Tensor, x.var is PyTorch's, n - 1)
        istd = 1 / np.sqrt(var + eps)
        xhat = (x - mean) * istd
        out = gamma * xhat + beta
        cache = (xhat, gamma, istd)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """The backward node by node through the forward's computational graph (the assignment's first version):
    xhat = xmu * istd, xmu = x - mean, istd = 1 / sqrt(var + eps), var = mean(xmu**2)."""
    xhat, gamma, istd = cache
    N = dout.shape[0]
    xmu = xhat / istd
    dxhat = dout * gamma
    distd = np.sum(dxhat * xmu, axis=0)
    dvar = distd * -0.5 * istd**3  # d istd / d var = -1/2 (var + eps)^(-3/2)
    dxmu = dxhat * istd + 2 * xmu * dvar / N  # through xhat, and through var = mean(xmu**2)
    dx = dxmu - np.sum(dxmu, axis=0) / N  # xmu = x - mean(x)
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def batchnorm_backward_alt(dout, cache):
    """The simplified backward, worked out on paper: dx = gamma * istd / N * (N dout - sum(dout)
    - xhat * sum(dout * xhat)), all sums over the batch."""
    xhat, gamma, istd = cache
    N = dout.shape[0]
    dgamma, dbeta = np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)
    dx = (gamma * istd / N) * (N * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Batchnorm's training formulas over each row's features instead of over the batch."""
    eps = ln_param.get("eps", 1e-5)
    mean, var = np.mean(x, axis=1, keepdims=True), np.var(x, axis=1, keepdims=True)
    istd = 1 / np.sqrt(var + eps)
    xhat = (x - mean) * istd
    return gamma * xhat + beta, (xhat, gamma, istd)


def layernorm_backward(dout, cache):
    xhat, gamma, istd = cache
    D = dout.shape[1]
    dgamma, dbeta = np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)
    dxhat = dout * gamma
    dx = (istd / D) * (D * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batchnorm per channel of (N, C, H, W) images: every pixel of every image a row of (N*H*W, C)."""
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache):
    N, C, H, W = dout.shape
    dx, dgamma, dbeta = batchnorm_backward_alt(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Layernorm's formulas over each example's G groups of C / G channels (and their pixels); gamma and beta
    of shape (1, C, 1, 1)."""
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    grouped = x.reshape(N, G, -1)
    mean, var = np.mean(grouped, axis=2, keepdims=True), np.var(grouped, axis=2, keepdims=True)
    istd = 1 / np.sqrt(var + eps)
    xhat = ((grouped - mean) * istd).reshape(N, C, H, W)
    return gamma * xhat + beta, (xhat, gamma, istd, G)


def spatial_groupnorm_backward(dout, cache):
    xhat, gamma, istd, G = cache
    N, C, H, W = dout.shape
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True)
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dxhat, xhat = (dout * gamma).reshape(N, G, -1), xhat.reshape(N, G, -1)
    M = dxhat.shape[2]
    dx = (istd / M) * (M * dxhat - dxhat.sum(axis=2, keepdims=True) - xhat * (dxhat * xhat).sum(axis=2, keepdims=True))
    return dx.reshape(N, C, H, W), dgamma, dbeta


def conv_forward_naive(x, w, b, conv_param):
    """Convolution (cross-correlation) by four loops: x (N, C, H, W), w (F, C, HH, WW), b (F,);
    conv_param {"stride", "pad"} (zero padding on every side)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, _, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    """Each output's gradient flows back to its window (times the filter) and to the filter (times the
    window); the padding's share is cut off."""
    x, w, _, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, F, H_out, W_out = dout.shape
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    rows, cols = slice(i * stride, i * stride + HH), slice(j * stride, j * stride + WW)
                    dx_pad[n, :, rows, cols] += w[f] * dout[n, f, i, j]
                    dw[f] += x_pad[n, :, rows, cols] * dout[n, f, i, j]
    dx = dx_pad[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_naive(x, pool_param):
    """The max of each pool_height x pool_width window, windows ``stride`` apart (no padding)."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // stride, 1 + (W - pw) // stride))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + ph, j * stride : j * stride + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    """The whole gradient of a window goes to its max (the first one, np.argmax's, if tied)."""
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    N, C, H_out, W_out = dout.shape
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride : i * stride + ph, j * stride : j * stride + pw]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + a, j * stride + b] += dout[n, c, i, j]
    return dx


# ---------------------------------------------------------------- optim.py: the update rules, with their config dicts
def sgd(w, dw, config=None):
    """Vanilla SGD: w -= learning_rate * dw."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    w -= config["learning_rate"] * dw
    return w, config


def sgd_momentum(w, dw, config=None):
    """v = momentum * v - learning_rate * dw; w += v (the velocity starts at zero)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    """cache = decay_rate * cache + (1 - decay_rate) * dw**2; w -= learning_rate * dw / (sqrt(cache) + eps)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["decay_rate"] * config["cache"] + (1 - config["decay_rate"]) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config


def adam(w, dw, config=None):
    """Adam with bias correction; t counts the steps taken (1 at the first)."""
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    beta1, beta2 = config["beta1"], config["beta2"]
    config["t"] += 1
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * (dw**2)
    m_hat, v_hat = config["m"] / (1 - beta1 ** config["t"]), config["v"] / (1 - beta2 ** config["t"])
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    return next_w, config
