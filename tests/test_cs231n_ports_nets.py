"""Stanford cs231n, assignment 2, continued (see test_cs231n_ports_layers.py): ``FullyConnectedNet``, the
naive convolution and max pooling, the ``optim.py`` update rules and the "overfit a small dataset" check.
The assignment's numpy code (tests/cs231n_layers.py) is the ORACLE; nn's layers, ``F.conv2d`` /
``F.max_pool2d`` and ``nn.optim`` are what is tested.

Ported: ``FullyConnectedNet`` (arbitrary hidden dims; none / batch / layer normalisation; the L2 term
``0.5 * reg * sum |W|^2``; the notebook's D, H1, H2, C = 15, 20, 30, 10 and reg 0 / 3.14, with 5 rows for its
2, where batchnorm maps every feature to +-1 and the centered differences lose their digits) against an
nn.Sequential holding the same weights, loss and every gradient to 1e-11 and the centered differences;
``conv_forward_naive`` (the notebook's printed output) and ``conv_backward_naive`` against ``F.conv2d`` and
its engine gradient, and its padding spelled as the assignment does, ``np.pad(x, ..., 'constant')`` on a
Tensor (a TypeError before this port); ``max_pool_forward/backward_naive`` against ``F.max_pool2d``; ``sgd``,
``sgd_momentum``, ``rmsprop`` and ``adam`` (with their ``config`` dicts) against nn.optim's SGD,
SGD(momentum), RMSprop and Adam over six steps, and from the notebook's mid-run states (its printed
``expected_next_w``); three- and five-layer nets of nn layers overfitting 50
digits (100% training accuracy within 20 epochs, as the notebook asks of CIFAR).

The update rules: plain ``sgd`` equals nn.optim.SGD bitwise (the same one product and one subtraction).
The others agree to the last bit or two (measured over the six steps: at most 1.1e-16 apart, weights
~0.1-0.6; asserted to 1e-14 relative) but not bitwise, because one formula is rounded in another order:
cs231n's velocity is ``v = momentum * v - lr * dw``, PyTorch's (and nn's) ``b = momentum * b + dw`` with
``w -= lr * b`` (so cs231n's v is -lr * b); RMSprop's ``lr * dw / (sqrt(cache) + eps)`` is
``lr * (dw / (...))`` here; Adam's ``sqrt(v / (1 - beta2**t))`` is ``sqrt(v) / sqrt(1 - beta2**t)``.
cs231n's ``learning_rate`` / ``decay_rate`` / ``beta1, beta2`` / ``epsilon`` are nn's ``lr`` / ``alpha`` /
``betas`` / ``eps``.
"""

import itertools

import numpy as np
import pytest
from cs231n_helpers import as_numpy, eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs231n_layers import (
    adam,
    affine_backward,
    affine_forward,
    batchnorm_backward_alt,
    batchnorm_forward,
    conv_backward_naive,
    conv_forward_naive,
    layernorm_backward,
    layernorm_forward,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    rmsprop,
    sgd,
    sgd_momentum,
    softmax_loss,
)

import autograd_core as ag
import nn
import nn.functional as F


# ---------------------------------------------------------------- FullyConnectedNet (classifiers/fc_net.py)
class FullyConnectedNet:
    """{affine - [batch/layer norm] - relu} x (L - 1) - affine - softmax, with the backward by hand."""

    def __init__(self, hidden_dims, input_dim, num_classes, normalization=None, reg=0.0, weight_scale=1e-2):
        self.normalization, self.reg, self.num_layers = normalization, reg, 1 + len(hidden_dims)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(self.num_layers):
            self.params[f"W{i + 1}"] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params[f"b{i + 1}"] = np.zeros(dims[i + 1])
            if normalization and i < len(hidden_dims):  # random, not ones and zeros, which could hide a bug
                self.params[f"gamma{i + 1}"] = 1 + 0.1 * np.random.randn(dims[i + 1])
                self.params[f"beta{i + 1}"] = 0.1 * np.random.randn(dims[i + 1])
        self.bn_params = [{"mode": "train"} for _ in hidden_dims]

    def loss(self, X, y):
        params, caches, h = self.params, [], X
        for i in range(1, self.num_layers):
            h, fc_cache = affine_forward(h, params[f"W{i}"], params[f"b{i}"])
            norm_cache = None
            if self.normalization == "batchnorm":
                h, norm_cache = batchnorm_forward(h, params[f"gamma{i}"], params[f"beta{i}"], self.bn_params[i - 1])
            elif self.normalization == "layernorm":
                h, norm_cache = layernorm_forward(h, params[f"gamma{i}"], params[f"beta{i}"], {})
            h, relu_cache = relu_forward(h)
            caches.append((fc_cache, norm_cache, relu_cache))
        L = self.num_layers
        scores, last_cache = affine_forward(h, params[f"W{L}"], params[f"b{L}"])
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(params[f"W{i}"] ** 2) for i in range(1, L + 1))
        grads = {}
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last_cache)
        for i in range(L - 1, 0, -1):
            fc_cache, norm_cache, relu_cache = caches[i - 1]
            dh = relu_backward(dh, relu_cache)
            if self.normalization == "batchnorm":
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = batchnorm_backward_alt(dh, norm_cache)
            elif self.normalization == "layernorm":
                dh, grads[f"gamma{i}"], grads[f"beta{i}"] = layernorm_backward(dh, norm_cache)
            dh, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dh, fc_cache)
        for i in range(1, L + 1):
            grads[f"W{i}"] += self.reg * params[f"W{i}"]
        return loss, grads


def as_sequential(net):
    """The same network from nn's layers, holding the same numbers (weights transposed to (out, in));
    returns it and, for each of the net's parameter names, (the nn tensor, whether it is transposed)."""
    layers, where = [], {}
    for i in range(1, net.num_layers + 1):
        W, b = net.params[f"W{i}"], net.params[f"b{i}"]
        linear = nn.Linear(*W.shape)
        linear.weight.data, linear.bias.data = W.T.copy(), b.copy()
        layers.append(linear)
        where[f"W{i}"], where[f"b{i}"] = (linear.weight, True), (linear.bias, False)
        if i < net.num_layers:
            if net.normalization:
                norm = (nn.BatchNorm1d if net.normalization == "batchnorm" else nn.LayerNorm)(len(b))
                norm.weight.data, norm.bias.data = net.params[f"gamma{i}"].copy(), net.params[f"beta{i}"].copy()
                layers.append(norm)
                where[f"gamma{i}"], where[f"beta{i}"] = (norm.weight, False), (norm.bias, False)
            layers.append(nn.ReLU())
    return nn.Sequential(*layers), where


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
@pytest.mark.parametrize("reg", [0.0, 3.14])
def test_fully_connected_net_engine_gradients_equal_the_hand_derived_ones(normalization, reg):
    np.random.seed(231)
    N, D, H1, H2, C = 5, 15, 20, 30, 10  # the notebook's N = 2 normalises each feature of a batch to +-1 exactly
    X, y = np.random.randn(N, D), np.random.randint(C, size=(N,))
    # arbitrary depth: three hidden layers with reg (the third's pre-activations are ~1e-3: with 25 units one lies
    # within h of a ReLU kink, and the centered difference of that b3 entry is off by 2e-3; with 15, none)
    hidden_dims = [H1, H2] if reg == 0.0 else [H1, H2, 15]
    net = FullyConnectedNet(hidden_dims, D, C, normalization=normalization, reg=reg, weight_scale=5e-2)
    loss, grads = net.loss(X, y)
    if reg == 0.0:
        assert loss == pytest.approx(np.log(C), abs=0.2)  # the notebook's "Initial loss" ~2.3
    model, where = as_sequential(net)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    engine_loss = F.cross_entropy(model(X), ag.tensor(y)) + 0.5 * reg * sum((m.weight**2).sum() for m in linears)
    engine_loss.backward()
    assert engine_loss.item() == pytest.approx(loss, rel=1e-13)
    assert sorted(where) == sorted(grads)
    for name, (tensor, transposed) in where.items():
        engine_grad = tensor.grad.T if transposed else tensor.grad
        np.testing.assert_allclose(engine_grad, grads[name], rtol=1e-11, atol=1e-14, err_msg=name)
        f = lambda _: net.loss(X, y)[0]  # noqa: E731 (reads net.params, which the check perturbs)
        numerical = eval_numerical_gradient(f, net.params[name])
        # the notebook prints rel_error, the worst entry's, from ~1e-9 to ~1e-5: a tiny entry whose difference
        # lost digits (here up to 8e-3 in batchnorm's W1); the whole gradient's error is measured, ~1e-9 of it
        # (b1 before a batchnorm has an exact 0 gradient: the batch mean takes the bias away)
        assert np.linalg.norm(numerical - engine_grad) <= 1e-7 * np.linalg.norm(engine_grad) + 1e-9, name


# ---------------------------------------------------------------- convolution and max pooling, naive
def test_conv_forward_naive_is_the_notebooks_and_f_conv2d_gives_it():
    x_shape, w_shape = (2, 3, 4, 4), (3, 3, 4, 4)
    x = np.linspace(-0.1, 0.5, num=np.prod(x_shape)).reshape(x_shape)
    w = np.linspace(-0.2, 0.3, num=np.prod(w_shape)).reshape(w_shape)
    b = np.linspace(-0.1, 0.2, num=3)
    out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    correct_out = np.array([
        [[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
         [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
         [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
        [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
         [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
         [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]],
    ])  # fmt: skip
    assert rel_error(out, correct_out) < 1e-7  # the notebook's "error should be around e-8"
    np.testing.assert_allclose(F.conv2d(ag.tensor(x), w, b, stride=2, padding=1).data, out, rtol=1e-13)


def test_conv_backward_naive_is_the_engines_gradient_of_f_conv2d():
    np.random.seed(231)
    x, w, b = np.random.randn(4, 3, 5, 5), np.random.randn(2, 3, 3, 3), np.random.randn(2)
    dout = np.random.randn(4, 2, 5, 5)
    conv_param = {"stride": 1, "pad": 1}
    out, cache = conv_forward_naive(x, w, b, conv_param)
    tensors = [ag.tensor(v, requires_grad=True) for v in (x, w, b)]
    engine_out = F.conv2d(*tensors, stride=1, padding=1)
    (engine_out * ag.tensor(dout)).sum().backward()
    np.testing.assert_allclose(engine_out.data, out, rtol=1e-12, atol=1e-14)
    naive = conv_backward_naive(dout, cache)
    for name, t, want in zip(("dx", "dw", "db"), tensors, naive):
        np.testing.assert_allclose(t.grad, want, rtol=1e-11, atol=1e-13, err_msg=name)
    forward = lambda v: conv_forward_naive(v, w, b, conv_param)[0]  # noqa: E731
    # the notebook: "errors should be around e-8 or less"
    assert rel_error(eval_numerical_gradient_array(forward, x.copy(), dout), tensors[0].grad) < 1e-7
    forward = lambda v: conv_forward_naive(x, v, b, conv_param)[0]  # noqa: E731
    assert rel_error(eval_numerical_gradient_array(forward, w.copy(), dout), tensors[1].grad) < 1e-7
    torch = pytest.importorskip("torch")
    torch_tensors = [torch.tensor(v, requires_grad=True) for v in (x, w, b)]
    (torch.nn.functional.conv2d(*torch_tensors, padding=1) * torch.tensor(dout)).sum().backward()
    for t, tt in zip(tensors, torch_tensors):
        np.testing.assert_allclose(t.grad, as_numpy(tt.grad), rtol=1e-11, atol=1e-13)


def test_max_pool_forward_naive_is_the_notebooks_and_f_max_pool2d_gives_it():
    x_shape = (2, 3, 4, 4)
    x = np.linspace(-0.3, 0.4, num=np.prod(x_shape)).reshape(x_shape)
    out, _ = max_pool_forward_naive(x, {"pool_width": 2, "pool_height": 2, "stride": 2})
    correct_out = np.array([
        [[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
         [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
         [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
        [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
         [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
         [[0.32631579, 0.34105263], [0.38526316, 0.4]]],
    ])  # fmt: skip
    assert rel_error(out, correct_out) < 1e-7  # the notebook's "error should be on the order of e-8"
    np.testing.assert_array_equal(F.max_pool2d(ag.tensor(x), 2, stride=2).data, out)


def test_max_pool_backward_naive_is_the_engines_gradient_of_f_max_pool2d():
    np.random.seed(231)
    x, dout = np.random.randn(3, 2, 8, 8), np.random.randn(3, 2, 4, 4)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    _, cache = max_pool_forward_naive(x, pool_param)
    t = ag.tensor(x, requires_grad=True)
    (F.max_pool2d(t, 2, stride=2) * ag.tensor(dout)).sum().backward()
    np.testing.assert_array_equal(t.grad, max_pool_backward_naive(dout, cache))  # one max a window: exact
    forward = lambda v: max_pool_forward_naive(v, pool_param)[0]  # noqa: E731
    assert rel_error(eval_numerical_gradient_array(forward, x.copy(), dout), t.grad) < 1e-10
    torch = pytest.importorskip("torch")
    tt = torch.tensor(x, requires_grad=True)
    (torch.nn.functional.max_pool2d(tt, 2, stride=2) * torch.tensor(dout)).sum().backward()
    np.testing.assert_array_equal(t.grad, as_numpy(tt.grad))


# ---------------------------------------------------------------- optim.py: the update rules against nn.optim
UPDATE_RULES = {  # cs231n's rule and config -> the nn.optim optimizer that must make the same steps
    "sgd": (sgd, {"learning_rate": 1e-2}, lambda p: nn.optim.SGD([p], lr=1e-2)),
    "sgd_momentum": (
        sgd_momentum,
        {"learning_rate": 1e-3, "momentum": 0.9},
        lambda p: nn.optim.SGD([p], lr=1e-3, momentum=0.9),
    ),
    "rmsprop": (
        rmsprop,
        {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
        lambda p: nn.optim.RMSprop([p], lr=1e-2, alpha=0.99, eps=1e-8),
    ),
    "adam": (
        adam,
        {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
        lambda p: nn.optim.Adam([p], lr=1e-2, betas=(0.9, 0.999), eps=1e-8),
    ),
}


@pytest.mark.parametrize("rule", UPDATE_RULES)
def test_update_rules_are_nn_optims_steps(rule):
    update, config, make_optimizer = UPDATE_RULES[rule]
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)  # the notebook's w
    p = ag.tensor(w.copy(), requires_grad=True)
    optimizer = make_optimizer(p)
    rng = np.random.default_rng(231)
    for step in range(6):
        dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D) + 0.1 * step * rng.standard_normal((N, D))
        w, config = update(w, dw, config)
        p.grad = dw.copy()
        optimizer.step()
        if rule == "sgd":
            np.testing.assert_array_equal(p.data, w)  # bitwise: the same product, the same subtraction
        else:
            np.testing.assert_allclose(p.data, w, rtol=1e-14, atol=1e-15)  # one formula, rounded in another order
    state = optimizer.state[0]
    if rule == "sgd_momentum":  # cs231n's velocity is -lr times PyTorch's (and nn's)
        np.testing.assert_allclose(config["velocity"], -1e-3 * state["momentum_buffer"], rtol=1e-12)
    elif rule == "rmsprop":
        np.testing.assert_allclose(config["cache"], state["square_avg"], rtol=1e-14)
    elif rule == "adam":
        assert config["t"] == state["step"] == 6
        np.testing.assert_allclose(config["m"], state["exp_avg"], rtol=1e-14)
        np.testing.assert_allclose(config["v"], state["exp_avg_sq"], rtol=1e-14)


def test_the_notebooks_update_checks_with_its_states_loaded_into_nn_optim():
    """The notebook's checks start each rule mid-run (a velocity, a cache, Adam's m, v and t = 5): the same
    states put into nn.optim's (cs231n's velocity v is PyTorch's buffer -v / lr) give its printed weights."""
    N, D = 4, 5

    def lin(a, b):
        return np.linspace(a, b, num=N * D).reshape(N, D)

    w, dw = lin(-0.4, 0.6), lin(-0.6, 0.4)
    cases = [
        (sgd_momentum, {"learning_rate": 1e-3, "velocity": lin(0.6, 0.9)}, nn.optim.SGD, {"lr": 1e-3, "momentum": 0.9},
         {"momentum_buffer": -lin(0.6, 0.9) / 1e-3}),
        (rmsprop, {"learning_rate": 1e-2, "cache": lin(0.6, 0.9)}, nn.optim.RMSprop, {"lr": 1e-2, "alpha": 0.99},
         {"square_avg": lin(0.6, 0.9)}),
        (adam, {"learning_rate": 1e-2, "m": lin(0.6, 0.9), "v": lin(0.7, 0.5), "t": 5}, nn.optim.Adam, {"lr": 1e-2},
         {"step": 5, "exp_avg": lin(0.6, 0.9), "exp_avg_sq": lin(0.7, 0.5)}),
    ]  # fmt: skip
    printed_first = {"sgd_momentum": 0.1406, "rmsprop": -0.39223849, "adam": -0.40094747}  # expected_next_w[0, 0]
    for update, config, optimizer_class, hyperparameters, state in cases:
        next_w, _ = update(w, dw, dict(config))  # (a copy: the rule writes its new state into config)
        assert next_w[0, 0] == pytest.approx(printed_first[update.__name__], abs=5e-9)
        p = ag.tensor(w.copy(), requires_grad=True)
        optimizer = optimizer_class([p], **hyperparameters)
        optimizer.state[0].update(state)
        p.grad = dw.copy()
        optimizer.step()
        np.testing.assert_allclose(p.data, next_w, rtol=1e-14, atol=1e-15, err_msg=update.__name__)
    # the notebook's whole expected_next_w for sgd_momentum: w + 0.9 v - 1e-3 dw
    expected = np.array([
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096],
    ])  # fmt: skip
    assert rel_error(sgd_momentum(w, dw, dict(cases[0][1]))[0], expected) < 1e-8


# ---------------------------------------------------------------- "overfit a small dataset", with nn's layers
@pytest.mark.parametrize("hidden_dims", [[100, 100], [100, 100, 100, 100]])
def test_a_net_of_nn_layers_overfits_50_digits_in_20_epochs(hidden_dims):
    """The notebook's sanity check of a new model: a three-layer net (and a five-layer one, which needs a
    tuned learning rate and init there) reaches 100% training accuracy on 50 examples within 20 epochs of
    SGD, batches of 25, while the validation accuracy stays far lower."""
    X, y = nn.datasets.load_digits()
    X = (X - X.mean(axis=0)) / 16.0
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    (X_small, y_small), (X_val, y_val) = (X[order[:50]], y[order[:50]]), (X[order[50:550]], y[order[50:550]])
    dims = [64, *hidden_dims]
    layers = []
    for fan_in, fan_out in itertools.pairwise(dims):
        layers += [nn.Linear(fan_in, fan_out, init="kaiming_uniform", seed=rng), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(dims[-1], 10, seed=rng))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.2)
    train_acc = []
    for _ in range(20):
        for batch in np.split(rng.permutation(50), 2):
            loss = F.cross_entropy(model(X_small[batch]), y_small[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with ag.no_grad():
            train_acc.append(float((model(X_small).argmax(1).data == y_small).mean()))
    with ag.no_grad():
        val_acc = float((model(X_val).argmax(1).data == y_val).mean())
    assert train_acc[0] < 1.0 and train_acc[-1] == 1.0
    assert val_acc < 0.95  # learned the 50, not the digits: the overfitting the check looks for


def test_cs231n_padding_spelling_np_pad_on_a_tensor_is_recorded():
    """conv_forward_naive pads with ``np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), 'constant')``; on a
    Tensor that was a TypeError (numpy's pad would cut the graph): now the padded Tensor is in the graph."""
    np.random.seed(231)
    x, w, b = np.random.randn(2, 3, 5, 5), np.random.randn(4, 3, 3, 3), np.random.randn(4)
    dout = np.random.randn(2, 4, 3, 3)
    t = ag.tensor(x, requires_grad=True)
    x_pad = np.pad(t, ((0, 0), (0, 0), (1, 1), (1, 1)), "constant")
    assert isinstance(x_pad, ag.Tensor) and x_pad.shape == (2, 3, 7, 7)
    np.testing.assert_array_equal(x_pad.data, np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), "constant"))
    (F.conv2d(x_pad, w, b, stride=2) * ag.tensor(dout)).sum().backward()
    _, cache = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    np.testing.assert_allclose(t.grad, conv_backward_naive(dout, cache)[0], rtol=1e-11, atol=1e-13)
    # numpy's other pad_width forms and constant_values, values as numpy's
    for widths, constant in [(1, 0), ((2, 0), 0), (((1, 2),), 7.5)]:
        np.testing.assert_array_equal(
            np.pad(t, widths, constant_values=constant).data, np.pad(x, widths, constant_values=constant)
        )
    with pytest.raises(TypeError, match=r"np.pad\(\.\.\., mode='reflect'\) on a Tensor is not supported: only mode="):
        np.pad(t, 1, "reflect")
    with pytest.raises(
        ValueError,
        match=r"np.pad: pad_width \(\(1, 1\), \(1, 1\)\) does not fit a tensor of shape \(2, 3, 5, 5\); give an int",
    ):
        np.pad(t, ((1, 1), (1, 1)))
    with pytest.raises(ValueError, match=r"np.pad: pad_width must be non-negative integers, got -1"):
        np.pad(t, -1)
