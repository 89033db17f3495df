"""PyTorch's torch.func tutorials, ported step by step (``ag.func`` for ``torch.func``, ``nn.func`` for its
module helpers), each asserting the tutorial's own outcome, proved without torch (closed forms, finite
differences, ``ag.gradcheck``, per-example gradients equal to a Python loop of single-example backward
passes) and, where torch is installed, equal to torch.func's own values in float64.

a. Per-sample gradients (pytorch.org/tutorials/intermediate/per_sample_grads.html): a small CNN on the
   bundled 8x8 digits in place of MNIST's 28x28 (the tutorial's random data: real digits here)
b. Jacobians, Hessians, hvp, vhp, and more (pytorch.org/tutorials/intermediate/jacobians_hessians.html),
   with the tutorial's D = 16 and a batch of 8 where it takes 64 (one Python call per example here)
c. Model ensembling (pytorch.org/tutorials/intermediate/ensembling.html): an MLP on the digits
d. The torch.func API pages: grad, grad_and_value, vmap (in_dims, out_dims, randomness, chunk_size),
   jacrev, jacfwd, hessian, vjp, jvp, functional_call, stack_module_state; and their errors

Where this engine deliberately differs, the port says so: ``vmap`` calls the function once per example
(torch batches each op; the results are the same), ``base_model.to('meta')`` has no counterpart (numpy has
no meta device: the ensemble's base model is a plain deep copy, whose own values functional_call
replaces), buffers are numpy arrays (``named_buffers()`` needs no ``.detach()``), and a name the module
lacks is an error in functional_call whatever ``strict`` says.
"""

import copy
from functools import partial

import numpy as np
import pytest

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core.func import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp, vmap
from nn.func import functional_call, stack_module_state, substituted

torch = ag  # the tutorials' spelling, kept where a step reads as the tutorial does
# importing torch.func runs torch.jit.script, which torch 2.13 itself calls deprecated: not this code's warning
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")


def _digits(n, offset=0):
    X, y = nn.datasets.load_digits()
    return ag.tensor(X[offset : offset + n].reshape(-1, 1, 8, 8) / 16.0), ag.tensor(y[offset : offset + n])


# ---------------------------------------------------------------- a. per-sample gradients
class SimpleCNN(nn.Module):
    """The tutorial's CNN scaled to 8x8 digits: conv 3x3, conv 3x3, max-pool 2, two linear layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.fc1 = nn.Linear(32, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)


def _per_sample_setup(batch_size=16):
    torch.manual_seed(0)
    model = SimpleCNN()
    data, targets = _digits(batch_size)
    return model, data, targets


def _loop_per_sample_grads(model, data, targets):
    """The tutorial's baseline: one backward per example, stacked."""

    def compute_grad(sample, target):
        prediction = model(sample.unsqueeze(0))
        loss = loss_fn(prediction, target.unsqueeze(0))
        return torch.grad(loss, list(model.parameters()))

    sample_grads = [compute_grad(data[i], targets[i]) for i in range(len(data))]
    return [torch.stack(shards) for shards in zip(*sample_grads)]


def _ft_per_sample_grads(model, data, targets):
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = dict(model.named_buffers())  # numpy arrays here: nothing to detach

    def compute_loss(params, buffers, sample, target):
        batch = sample.unsqueeze(0)
        targets = target.unsqueeze(0)
        predictions = functional_call(model, (params, buffers), (batch,))
        return loss_fn(predictions, targets)

    ft_compute_grad = grad(compute_loss)
    ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
    return ft_compute_sample_grad(params, buffers, data, targets)


def test_a_per_sample_gradients_equal_the_loop_of_single_example_backwards():
    model, data, targets = _per_sample_setup()
    per_sample_grads = _loop_per_sample_grads(model, data, targets)
    assert per_sample_grads[0].shape == (16, 4, 1, 3, 3)  # the tutorial prints [64, 32, 1, 3, 3]
    ft_per_sample_grads = _ft_per_sample_grads(model, data, targets)
    assert list(ft_per_sample_grads) == [name for name, _ in model.named_parameters()]
    for per_sample_grad, ft_per_sample_grad in zip(per_sample_grads, ft_per_sample_grads.values()):
        assert torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5)  # the tutorial's check
        np.testing.assert_allclose(ft_per_sample_grad.data, per_sample_grad.data, rtol=1e-12, atol=1e-14)
    # the gradients went to the dict's tensors: the model's own parameters got none, and are the same objects
    assert all(p.grad is None for p in model.parameters())
    # the mean of the per-sample gradients is the batch gradient (nll_loss takes the mean)
    loss_fn(model(data), targets).backward()
    for p, g in zip(model.parameters(), ft_per_sample_grads.values()):
        np.testing.assert_allclose(g.data.mean(axis=0), p.grad, rtol=1e-10, atol=1e-13)


def test_a_one_per_sample_gradient_passes_gradcheck():
    model, data, targets = _per_sample_setup(4)
    grads = _ft_per_sample_grads(model, data, targets)
    params = dict(model.named_parameters())
    name = "fc1.weight"

    def loss_of_one(w):  # example 2's loss as a function of fc1.weight alone: its gradient is row 2
        out = functional_call(model, {name: w}, (data[2].unsqueeze(0),))
        return loss_fn(out, targets[2].unsqueeze(0))

    w = ag.Tensor(params[name].data.copy(), requires_grad=True)
    assert ag.gradcheck(loss_of_one, w)
    (expected,) = ag.grad(loss_of_one(w), w)
    np.testing.assert_allclose(grads[name].data[2], expected.data, rtol=1e-12)


def test_a_per_sample_gradients_equal_torch_func():
    real = pytest.importorskip("torch")
    model, data, targets = _per_sample_setup(8)
    ours = _ft_per_sample_grads(model, data, targets)

    tmodel = real.nn.Sequential()  # the same CNN in torch, its weights ours
    conv1, conv2 = real.nn.Conv2d(1, 4, 3, 1), real.nn.Conv2d(4, 8, 3, 1)
    fc1, fc2 = real.nn.Linear(32, 16), real.nn.Linear(16, 10)
    modules = {"conv1": conv1, "conv2": conv2, "fc1": fc1, "fc2": fc2}

    def tforward(x):
        x = real.nn.functional.relu(conv1(x))
        x = real.nn.functional.max_pool2d(real.nn.functional.relu(conv2(x)), 2)
        x = real.nn.functional.relu(fc1(real.flatten(x, 1)))
        return real.nn.functional.log_softmax(fc2(x), dim=1)

    for name, m in modules.items():
        tmodel.add_module(name, m)
    tmodel.forward = tforward
    tparams = {k: real.tensor(v.data) for k, v in model.named_parameters()}

    def compute_loss(params, sample, target):
        predictions = real.func.functional_call(tmodel, (params,), (sample.unsqueeze(0),))
        return real.nn.functional.nll_loss(predictions, target.unsqueeze(0))

    theirs = real.func.vmap(real.func.grad(compute_loss), in_dims=(None, 0, 0))(
        tparams, real.tensor(data.data), real.tensor(targets.data)
    )
    for name in ours:
        np.testing.assert_allclose(ours[name].data, theirs[name].numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- b. Jacobians, Hessians, hvp
def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


def _jacobian_setup(D=16):
    torch.manual_seed(0)
    return torch.randn(D, D), torch.randn(D), torch.randn(D)


def _closed_form_jacobian(weight, bias, x):
    """d tanh(Wx + b)/dx = diag(1 - tanh^2) W."""
    y = np.tanh(weight.data @ x.data + bias.data)
    return (1 - y**2)[:, None] * weight.data


def test_b_jacobian_row_by_row_vmap_of_vjp_and_jacrev_agree_with_the_closed_form():
    weight, bias, x = _jacobian_setup()
    D = 16

    def compute_jac(xp):  # the tutorial's row-by-row baseline with autograd.grad
        unit_vectors = torch.eye(D)
        rows = [torch.grad(predict(weight, bias, xp), xp, vec)[0] for vec in unit_vectors]
        return torch.stack(rows)

    xp = x.clone().requires_grad_()
    jacobian = compute_jac(xp)
    assert jacobian.shape == (16, 16)
    np.testing.assert_allclose(jacobian.data, _closed_form_jacobian(weight, bias, x), rtol=1e-12)
    _, vjp_fn = vjp(partial(predict, weight, bias), x)
    (ft_jacobian,) = vmap(vjp_fn)(torch.eye(D))
    assert torch.allclose(ft_jacobian, jacobian)
    ft_jacobian = jacrev(predict, argnums=2)(weight, bias, x)
    assert torch.allclose(ft_jacobian, jacobian)
    ft_jac_weight, ft_jac_bias = jacrev(predict, argnums=(0, 1))(weight, bias, x)
    assert ft_jac_weight.shape == (16, 16, 16) and ft_jac_bias.shape == (16, 16)
    # d y_i / d W_jk = (1 - y_i^2) delta_ij x_k ; d y_i / d b_j = (1 - y_i^2) delta_ij
    slope = 1 - np.tanh(weight.data @ x.data + bias.data) ** 2
    np.testing.assert_allclose(ft_jac_bias.data, np.diag(slope), rtol=1e-12)
    np.testing.assert_allclose(ft_jac_weight.data, np.einsum("ij,k->ijk", np.diag(slope), x.data), rtol=1e-12)
    np.testing.assert_allclose(jacfwd(predict, argnums=2)(weight, bias, x).data, jacobian.data, rtol=1e-12)


def test_b_hessians_three_ways_agree_and_match_finite_differences():
    weight, bias, x = _jacobian_setup()
    hess_api = hessian(predict, argnums=2)(weight, bias, x)
    hess_fwdfwd = jacfwd(jacfwd(predict, argnums=2), argnums=2)(weight, bias, x)
    hess_revrev = jacrev(jacrev(predict, argnums=2), argnums=2)(weight, bias, x)
    assert hess_api.shape == (16, 16, 16)
    assert torch.allclose(hess_api, hess_fwdfwd) and torch.allclose(hess_api, hess_revrev)
    # closed form: d2 tanh(u_i)/dx_j dx_k = -2 y_i (1 - y_i^2) W_ij W_ik
    y = np.tanh(weight.data @ x.data + bias.data)
    closed = np.einsum("i,ij,ik->ijk", -2 * y * (1 - y**2), weight.data, weight.data)
    np.testing.assert_allclose(hess_api.data, closed, rtol=1e-10, atol=1e-12)
    # and the Jacobian of the Jacobian by central differences
    eps, j = 1e-6, 3
    step = np.zeros(16)
    step[j] = eps
    numeric = (
        _closed_form_jacobian(weight, bias, ag.tensor(x.data + step))
        - _closed_form_jacobian(weight, bias, ag.tensor(x.data - step))
    ) / (2 * eps)
    np.testing.assert_allclose(hess_api.data[:, :, j], numeric, rtol=1e-6, atol=1e-8)


def test_b_batch_jacobians_and_hessians_three_ways():
    torch.manual_seed(0)
    batch_size, Din, Dout = 8, 5, 6  # the tutorial: 64, 31, 33
    weight, bias, x = torch.randn(Dout, Din), torch.randn(Dout), torch.randn(batch_size, Din)
    compute_batch_jacobian = vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))
    batch_jacobian0 = compute_batch_jacobian(weight, bias, x)
    assert batch_jacobian0.shape == (batch_size, Dout, Din)
    for i in range(batch_size):
        np.testing.assert_allclose(batch_jacobian0.data[i], _closed_form_jacobian(weight, bias, x[i]), rtol=1e-12)

    def predict_with_output_summed(weight, bias, x):  # the tutorial's trick: examples are independent
        return predict(weight, bias, x).sum(0)

    batch_jacobian1 = jacrev(predict_with_output_summed, argnums=2)(weight, bias, x).movedim(1, 0)
    assert torch.allclose(batch_jacobian0, batch_jacobian1)
    compute_batch_hessian = vmap(hessian(predict, argnums=2), in_dims=(None, None, 0))
    batch_hess = compute_batch_hessian(weight, bias, x)
    assert batch_hess.shape == (batch_size, Dout, Din, Din)
    for i in (0, batch_size - 1):
        np.testing.assert_allclose(batch_hess.data[i], hessian(predict, argnums=2)(weight, bias, x[i]).data)
        y = np.tanh(weight.data @ x.data[i] + bias.data)
        closed = np.einsum("i,ij,ik->ijk", -2 * y * (1 - y**2), weight.data, weight.data)
        np.testing.assert_allclose(batch_hess.data[i], closed, rtol=1e-10, atol=1e-12)


def test_b_hessian_vector_products_forward_over_reverse_and_reverse_over_reverse():
    def hvp(f, primals, tangents):
        return jvp(grad(f), primals, tangents)[1]

    def hvp_revrev(f, primals, tangents):
        _, vjp_fn = vjp(grad(f), *primals)
        return vjp_fn(*tangents)

    def f(x):
        return x.sin().sum()

    torch.manual_seed(0)
    x, tangent = torch.randn(2048), torch.randn(2048)
    result = hvp(f, (x,), (tangent,))
    np.testing.assert_allclose(result.data, -np.sin(x.data) * tangent.data, rtol=1e-12)  # H = diag(-sin x)
    (result_revrev,) = hvp_revrev(f, (x,), (tangent,))
    assert torch.allclose(result, result_revrev)
    np.testing.assert_allclose(ag.hvp(f, x, tangent)[1].data, result.data, rtol=1e-12)


def test_b_jacobians_and_hessians_equal_torch_func():
    real = pytest.importorskip("torch")
    weight, bias, x = _jacobian_setup(6)
    tw, tb, tx = (real.tensor(t.data) for t in (weight, bias, x))

    def tpredict(w, b, x):
        return real.nn.functional.linear(x, w, b).tanh()

    pairs = [
        (jacrev(predict, argnums=(0, 1))(weight, bias, x), real.func.jacrev(tpredict, argnums=(0, 1))(tw, tb, tx)),
        (jacfwd(predict, argnums=2)(weight, bias, x), real.func.jacfwd(tpredict, argnums=2)(tw, tb, tx)),
        (hessian(predict, argnums=2)(weight, bias, x), real.func.hessian(tpredict, argnums=2)(tw, tb, tx)),
        (
            vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))(weight, bias, ag.stack([x, x * 2])),
            real.func.vmap(real.func.jacrev(tpredict, argnums=2), in_dims=(None, None, 0))(
                tw, tb, real.stack([tx, tx * 2])
            ),
        ),
    ]
    for ours, theirs in pairs:
        ours, theirs = (ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,))
        for a, b in zip(ours, theirs):
            assert a.shape == tuple(b.shape)
            np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- c. model ensembling
class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def _ensemble(num_models=5):
    torch.manual_seed(0)
    models = [SimpleMLP() for _ in range(num_models)]
    data, targets = _digits(num_models * 16)
    return models, data.reshape(num_models, 16, 1, 8, 8), targets.reshape(num_models, 16)


def test_c_ensemble_predictions_equal_running_each_model():
    models, data, _ = _ensemble()
    num_models = len(models)
    minibatches = data[:num_models]
    predictions_diff_minibatch_loop = [model(minibatch) for model, minibatch in zip(models, minibatches)]
    minibatch = data[0]
    predictions2 = [model(minibatch) for model in models]
    params, buffers = stack_module_state(models)
    base_model = copy.deepcopy(models[0])  # torch: .to('meta'); numpy has no meta device
    own = [(name, id(p)) for name, p in base_model.named_parameters()]

    def fmodel(params, buffers, x):
        return functional_call(base_model, (params, buffers), (x,))

    assert [p.size(0) for p in params.values()] == [num_models] * 6 and buffers == {}
    predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)
    assert torch.allclose(predictions1_vmap, torch.stack(predictions_diff_minibatch_loop), atol=1e-3, rtol=1e-5)
    np.testing.assert_allclose(predictions1_vmap.data, np.stack([p.data for p in predictions_diff_minibatch_loop]))
    predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
    np.testing.assert_allclose(predictions2_vmap.data, np.stack([p.data for p in predictions2]))
    # the base model is untouched: its own parameters are back, the same objects, and predict as before
    np.testing.assert_allclose(base_model(minibatch).data, predictions2[0].data)
    assert [(name, id(p)) for name, p in base_model.named_parameters()] == own


def test_c_the_stacked_parameters_train_the_ensemble_as_each_model_alone():
    models, data, targets = _ensemble(3)
    params, buffers = stack_module_state(models)
    assert all(p.is_leaf and p.requires_grad for p in params.values())
    base_model = copy.deepcopy(models[0])

    def loss(params, buffers, x, y):
        return F.cross_entropy(functional_call(base_model, (params, buffers), (x,)), y)

    losses = vmap(loss)(params, buffers, data, targets)
    losses.sum().backward()  # gradients flow through vmap's slices into the stacked leaves
    for i, model in enumerate(models):
        F.cross_entropy(model(data[i]), targets[i]).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(params[name].grad[i], p.grad, rtol=1e-12, atol=1e-15)
    opt = nn.optim.SGD(list(params.values()), lr=0.5)  # "optimizable", as torch's docs say
    for _ in range(20):
        opt.zero_grad()
        vmap(loss)(params, buffers, data, targets).sum().backward()
        opt.step()
    after = vmap(loss)(params, buffers, data, targets)
    assert (after.data < losses.data).all()


def test_c_ensemble_equals_torch_func():
    real = pytest.importorskip("torch")
    models, data, _ = _ensemble(3)
    params, buffers = stack_module_state(models)
    ours = vmap(lambda p, b, x: functional_call(models[0], (p, b), (x,)), in_dims=(0, 0, None))(
        params, buffers, data[0]
    )
    tmodels = []
    for model in models:
        t = real.nn.Sequential(real.nn.Flatten(), real.nn.Linear(64, 32), real.nn.ReLU(), real.nn.Linear(32, 32))
        t.append(real.nn.ReLU()).append(real.nn.Linear(32, 10)).double()
        with real.no_grad():
            for tp, p in zip(t.parameters(), model.parameters()):
                tp.copy_(real.tensor(p.data))
        tmodels.append(t)
    tparams, tbuffers = real.func.stack_module_state(tmodels)
    theirs = real.func.vmap(lambda p, b, x: real.func.functional_call(tmodels[0], (p, b), (x,)), in_dims=(0, 0, None))(
        tparams, tbuffers, real.tensor(data.data[0])
    )
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- d. the API pages
def test_d_grad_nests_and_composes_with_vmap_as_the_api_page():
    x = torch.randn([])
    cos_x = grad(lambda x: torch.sin(x))(x)
    assert torch.allclose(cos_x, x.cos())
    neg_sin_x = grad(grad(lambda x: torch.sin(x)))(x)
    assert torch.allclose(neg_sin_x, -x.sin())
    batch_size, feature_size = 3, 5

    def model(weights, feature_vec):
        assert feature_vec.dim() == 1  # vmap hands one example
        return feature_vec.dot(weights).relu()

    def compute_loss(weights, example, target):
        y = model(weights, example)
        return ((y - target) ** 2).mean()

    torch.manual_seed(1)
    weights = torch.randn(feature_size, requires_grad=True)
    examples, targets = torch.randn(batch_size, feature_size), torch.randn(batch_size)
    grads = vmap(grad(compute_loss), in_dims=(None, 0, 0))(weights, examples, targets)
    for i in range(batch_size):  # closed form: 2 (relu(x.w) - t) [x.w > 0] x
        u = examples.data[i] @ weights.data
        np.testing.assert_allclose(grads.data[i], 2 * (max(u, 0) - targets.data[i]) * (u > 0) * examples.data[i])


def test_d_grad_argnums_has_aux_kwargs_and_grad_and_value_orders():
    x, y = ag.tensor([1.0, 2.0]), ag.tensor([3.0, -1.0])
    f = lambda x, y, scale=1.0: (scale * x * y).sum()  # noqa: E731
    gx, gy = grad(f, argnums=(0, 1))(x, y, scale=2.0)  # keyword arguments are passed, not differentiated
    np.testing.assert_allclose(gx.data, 2 * y.data) and np.testing.assert_allclose(gy.data, 2 * x.data)
    g, aux = grad(lambda x: ((x**2).sum(), {"x2": x**2}), has_aux=True)(x)
    np.testing.assert_allclose(g.data, [2.0, 4.0]) and np.testing.assert_allclose(aux["x2"].data, [1.0, 4.0])
    g, value = grad_and_value(lambda x: (x**3).sum())(x)  # (grad, value): torch.func's order
    np.testing.assert_allclose(g.data, [3.0, 12.0]) and np.testing.assert_allclose(value.data, 9.0)
    g, (value, aux) = grad_and_value(lambda x: ((x**3).sum(), x.mean()), has_aux=True)(x)
    assert value.item() == 9.0 and aux.item() == 1.5 and not aux.requires_grad
    params = {"w": ag.tensor([2.0]), "b": ag.tensor([1.0])}  # a dict of parameters: a dict of gradients
    gp = grad(lambda p, x: (p["w"] * x + p["b"]).sum())(params, x)
    assert gp["w"].item() == 3.0 and gp["b"].item() == 2.0
    jp = jacrev(lambda p: p["w"] * x)({"w": ag.tensor([2.0, 5.0])})  # a dict argument: Jacobians by its keys
    np.testing.assert_allclose(jp["w"].data, np.diag(x.data))


def test_d_grad_and_value_and_aux_equal_torch_func():
    real = pytest.importorskip("torch")
    x = np.array([0.5, -1.5, 2.0])

    def f(lib):
        return lambda x: ((x.sin() * x).sum(), x.cos())

    ours = grad_and_value(f(ag), has_aux=True)(ag.tensor(x))
    theirs = real.func.grad_and_value(f(real), has_aux=True)(real.tensor(x))
    np.testing.assert_allclose(ours[0].data, theirs[0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[1][0].data, theirs[1][0].numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[1][1].data, theirs[1][1].numpy(), rtol=1e-12)
    tj, taux = real.func.jacrev(lambda x: (x.sin(), x.sum()), has_aux=True)(real.tensor(x))
    j, aux = jacrev(lambda x: (x.sin(), x.sum()), has_aux=True)(ag.tensor(x))
    np.testing.assert_allclose(j.data, tj.numpy()) and np.testing.assert_allclose(aux.data, taux.numpy())
    out, tangent, aux = jvp(lambda x: (x.exp(), x.mean()), (ag.tensor(x),), (ag.ones(3),), has_aux=True)
    tout, ttangent, taux = real.func.jvp(
        lambda x: (x.exp(), x.mean()), (real.tensor(x),), (real.ones(3),), has_aux=True
    )
    for a, b in ((out, tout), (tangent, ttangent), (aux, taux)):
        np.testing.assert_allclose(a.data, b.numpy(), rtol=1e-12)


def test_d_vmap_out_dims_kwargs_and_chunk_size():
    xs = ag.arange(6.0).reshape(3, 2)
    out = vmap(lambda x, scale: x * scale, in_dims=(0, None), out_dims=1)(xs, ag.tensor(10.0))
    np.testing.assert_allclose(out.data, (xs.data * 10).T)
    # keyword arguments are passed whole to every example (torch's), not mapped (JAX's)
    out = vmap(lambda x, *, w: (x * w).sum())(xs, w=ag.tensor([1.0, -1.0]))
    np.testing.assert_allclose(out.data, xs.data @ [1.0, -1.0])
    np.testing.assert_allclose(vmap(lambda x: x.sum(), chunk_size=2)(xs).data, xs.data.sum(1))
    with pytest.raises(ValueError, match="chunk_size must be None or an int >= 1, got 0"):
        vmap(lambda x: x, chunk_size=0)
    with pytest.raises(ValueError, match="in_dims has 1 entries but func was called with 2"):
        vmap(lambda a, b: a, in_dims=(0,))(xs, xs)
    # ag.vmap's checks, in torch.func's words
    with pytest.raises(ValueError, match=r"^ag.func.vmap: in_dims 2 for argument 0 of shape \(3, 2\) is out of range"):
        vmap(lambda x: x, in_dims=2)(xs)
    with pytest.raises(TypeError, match=r"^ag.func.vmap: in_dims must hold ints \(axes\) and None .*, got 1.5"):
        vmap(lambda x: x, in_dims=1.5)
    with pytest.raises(ValueError, match=r"^ag.func.vmap: out_dims None for result"):
        vmap(lambda x: x, out_dims=None)(xs)
    with pytest.raises(ValueError, match=r"^ag.func.vmap got inconsistent sizes .* size 4 on axis 0"):
        vmap(lambda x, y: x, in_dims=(0, 0))(xs, ag.ones(4, 2))
    with pytest.raises(ValueError, match=r"^vmap: in_axes"):  # raised inside func: its own words, untouched
        vmap(lambda x: ag.vmap(lambda v: v, in_axes=5)(x))(xs)


def _noisy(x):
    return x + ag.randn(*x.shape)


def test_d_vmap_randomness_error_different_same():
    xs = ag.zeros(4, 3)
    with pytest.raises(RuntimeError, match=r"_noisy drew random numbers .* randomness='error'; pass randomness="):
        vmap(_noisy)(xs)
    ag.manual_seed(0)
    different = vmap(_noisy, randomness="different")(xs)
    ag.manual_seed(0)
    np.testing.assert_allclose(different.data, ag.randn(4, 3).data)  # each example its own draw, in turn
    ag.manual_seed(0)
    same = vmap(_noisy, randomness="same")(xs)
    np.testing.assert_allclose(same.data, np.broadcast_to(same.data[0], (4, 3)))  # every example the first's
    after_same = ag.randn(3).data
    ag.manual_seed(0)
    np.testing.assert_allclose(same.data[0], ag.randn(3).data)
    np.testing.assert_allclose(after_same, ag.randn(3).data)  # the generator ends as after one example
    # dropout in training mode draws too: the error says how to switch it off
    drop = nn.Dropout(0.5)
    with pytest.raises(RuntimeError, match=r"model.eval\(\)"):
        vmap(drop)(ag.ones(2, 8))
    np.testing.assert_allclose(vmap(drop.eval())(ag.ones(2, 8)).data, np.ones((2, 8)))
    with pytest.raises(ValueError, match="randomness must be 'error', 'different' or 'same', got 'none'"):
        vmap(_noisy, randomness="none")


def test_d_vmap_randomness_behaves_as_torch_func():
    real = pytest.importorskip("torch")
    tx = real.zeros(4, 3)
    with pytest.raises(RuntimeError):
        real.func.vmap(lambda x: x + real.randn(3))(tx)
    same = real.func.vmap(lambda x: x + real.randn(3), randomness="same")(tx)
    different = real.func.vmap(lambda x: x + real.randn(3), randomness="different")(tx)
    ours_same, ours_different = (vmap(_noisy, randomness=r)(ag.zeros(4, 3)) for r in ("same", "different"))
    for t, o in ((same, ours_same), (different, ours_different)):
        assert bool((t == t[0]).all()) == bool((o.data == o.data[0]).all())


def test_d_jacfwd_randomness_and_hessian_of_vector_functions():
    with pytest.raises(RuntimeError, match="jacfwd: func drew random numbers"):
        jacfwd(_noisy)(ag.zeros(3))
    np.testing.assert_allclose(jacfwd(_noisy, randomness="same")(ag.zeros(3)).data, np.eye(3))
    with pytest.raises(ValueError, match="randomness='different' would draw new numbers per column"):
        jacfwd(_noisy, randomness="different")
    h = hessian(lambda x: x**3)(ag.tensor([1.0, 2.0]))  # a vector f: out x in x in, as torch.func's
    np.testing.assert_allclose(h.data, [[[6.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 12.0]]])
    hxy = hessian(lambda x, y: (x * x * y).sum(), argnums=(0, 1))(ag.tensor([1.0]), ag.tensor([2.0]))
    np.testing.assert_allclose([[b.item() for b in row] for row in hxy], [[4.0, 2.0], [2.0, 0.0]])


def test_d_transform_errors_name_the_function_and_the_fix():
    with pytest.raises(TypeError, match=r"ag.func.grad\(func, argnums\): .* write ag.func.grad\(f\)\(x\)"):
        grad(lambda x: x.sum(), ag.tensor([1.0]))
    with pytest.raises(ValueError, match=r"ag.func.grad: func must return one number .* got shape \(2,\)"):
        grad(lambda x: x * 2)(ag.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="for \\(loss, aux\\) pass has_aux=True"):
        grad(lambda x: (x.sum(), x))(ag.tensor([1.0]))
    with pytest.raises(TypeError, match="with has_aux=True, func must return a pair"):
        grad_and_value(lambda x: x.sum(), has_aux=True)(ag.tensor([1.0]))
    with pytest.raises(TypeError, match=r"jvp\(func, primals, tangents\): primals must be a tuple.*write \(primal,\)"):
        jvp(lambda x: x, ag.tensor([1.0]), (ag.tensor([1.0]),))
    with pytest.raises(NotImplementedError, match="strict=True is not supported"):
        jvp(lambda x: x, (ag.tensor([1.0]),), (ag.tensor([1.0]),), strict=True)
    with pytest.raises(TypeError, match=r"ag.func.jacrev: with has_aux=True, func must return a pair"):
        jacrev(lambda x: x, has_aux=True)(ag.tensor([1.0]))
    with pytest.raises(TypeError, match=r"ag.func.jacrev: func returned a str, not a Tensor or a tuple/list/dict"):
        jacrev(lambda x: "x")(ag.tensor([1.0]))
    with pytest.raises(TypeError, match=r"ag.func.jacfwd: func returned a tuple, not .*\(ag.tensor\(x\) for a"):
        jacfwd(lambda x: (x, 2.0))(ag.tensor([1.0]))
    with pytest.raises(AttributeError, match=r"use nn.func.functional_call"):
        ag.func.functional_call  # noqa: B018 (the attribute access is the test)


# ---------------------------------------------------------------- d. functional_call and stack_module_state
class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False)
        self.b.weight = self.a.weight

    def forward(self, x):
        return self.b(self.a(x))


def test_d_functional_call_restores_the_module_even_on_an_exception():
    model = nn.Linear(2, 1)
    own = dict(model.named_parameters())
    order = list(model._parameters)
    w = ag.tensor([[1.0, 1.0]], requires_grad=True)
    out = functional_call(model, {"weight": w}, ag.tensor([[2.0, 3.0]]))  # one argument, not a tuple
    out.sum().backward()
    np.testing.assert_allclose(w.grad, [[2.0, 3.0]])  # the given tensor has the gradient...
    assert model.weight.grad is None and model.bias.grad is not None  # ...the bias given none was the module's
    assert model.weight is own["weight"] and list(model._parameters) == order

    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = ag.ones(2, requires_grad=True)

        def forward(self, x):
            raise RuntimeError("inside forward")

    boom = Boom()
    original = boom.w
    with pytest.raises(RuntimeError, match="inside forward"):
        functional_call(boom, {"w": ag.zeros(2)}, (ag.ones(2),))
    assert boom.w is original and boom._parameters["w"] is original
    assert [n for n, _ in boom.named_parameters()] == ["w"]


def test_d_functional_call_buffers_ties_strict_and_kwargs():
    bn = nn.BatchNorm1d(2)
    mean = np.zeros(2)
    functional_call(bn, {"running_mean": mean}, (ag.tensor([[1.0, 3.0], [3.0, 5.0]]),))
    np.testing.assert_allclose(mean, [0.2, 0.4])  # updated in place: the given buffer (momentum 0.1)
    np.testing.assert_allclose(bn.running_mean, [0.0, 0.0])  # not the module's own
    tied = Tied()
    assert [n for n, _ in tied.named_parameters()] == ["a.weight"]
    w = ag.eye(2) * 2
    x = ag.tensor([[1.0, 2.0]])
    np.testing.assert_allclose(functional_call(tied, {"a.weight": w}, (x,)).data, [[4.0, 8.0]])  # both layers
    loose = functional_call(tied, {"a.weight": w}, (x,), tie_weights=False).data
    np.testing.assert_allclose(loose, (x.data @ w.data.T) @ tied.a.weight.data.T)
    with pytest.raises(ValueError, match=r"'b.weight' and 'a.weight' are one tied parameter of Tied"):
        functional_call(tied, {"a.weight": w, "b.weight": ag.eye(2)}, (x,))
    with pytest.raises(ValueError, match=r"strict=True\): no tensor given for bias"):
        functional_call(nn.Linear(2, 1), {"weight": ag.ones(1, 2)}, (x,), strict=True)
    with pytest.raises(ValueError, match=r"no parameter or buffer 'weigth' \(did you mean 'weight'\?\)"):
        functional_call(nn.Linear(2, 1), {"weigth": ag.ones(1, 2)}, (x,))
    with pytest.raises(ValueError, match=r"'weight' has shape \(2, 2\) but the module's has shape \(1, 2\)"):
        functional_call(nn.Linear(2, 1), {"weight": ag.ones(2, 2)}, (x,))
    with pytest.raises(ValueError, match=r"\['bias'\] given in more than one dict"):
        functional_call(nn.Linear(2, 1), ({"bias": ag.ones(1)}, {"bias": ag.ones(1)}), (x,))
    with pytest.raises(TypeError, match=r"module must be an nn.Module"):
        functional_call(lambda x: x, {}, (x,))
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    out = functional_call(seq, {"0.bias": ag.tensor([-100.0, 100.0])}, kwargs={"x": x})
    assert out.data[0, 0] == 0.0 and out.data[0, 1] > 90  # kwargs= reaches forward(x=...)
    from nn.utils.stateless import functional_call as older  # torch's older home of the same function

    assert older is functional_call


def test_d_compiled_steps_see_the_swap_and_keep_replaying_after_it():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    X, y = ag.randn(8, 3), ag.randn(8, 1)
    own_weight = model.weight
    step = ag.compile(lambda: F.mse_loss(model(X), y))
    for _ in range(3):
        step()
    assert step.replay_count >= 1
    zeros = ag.zeros(1, 3, requires_grad=True)
    with substituted(model, {"weight": zeros}):
        loss = step()  # a replay of the plan would read the module's own weight: it traces, and reads the swap
        np.testing.assert_allclose(loss.item(), F.mse_loss(X @ zeros.T + model.bias, y).item(), rtol=1e-12)
        assert zeros.grad is not None
    replays = step.replay_count
    for _ in range(3):  # the originals are back: traced again (two agreeing traces make a plan), then replayed
        model.zero_grad()
        step()
    assert step.replay_count == replays + 1
    expected = model.weight.grad.copy()
    model.zero_grad()
    F.mse_loss(model(X), y).backward()
    np.testing.assert_allclose(expected, model.weight.grad)

    # a compiled step that itself calls functional_call with the tensors it is given
    model.zero_grad()
    w = ag.randn(1, 3, requires_grad=True)
    step2 = ag.compile(lambda w: F.mse_loss(functional_call(model, {"weight": w}, (X,)), y))
    for _ in range(4):
        w.grad = None
        step2(w)
    assert step2.replay_count >= 1
    got = w.grad.copy()
    w.grad = None
    F.mse_loss(X @ w.T + model.bias, y).backward()
    np.testing.assert_allclose(got, w.grad, rtol=1e-12)
    assert model.weight.grad is None and model.bias.grad is not None  # the module's weight was never used
    assert model.weight is own_weight


def test_d_stack_module_state_shapes_and_errors():
    models = [nn.BatchNorm1d(3) for _ in range(2)]
    params, buffers = stack_module_state(models)
    assert params["weight"].shape == (2, 3) and params["weight"].is_leaf
    assert buffers["running_var"].shape == (2, 3) and isinstance(buffers["running_var"], np.ndarray)
    params["weight"].data[0] = 5.0  # copies: the models keep their own values
    assert (models[0].weight.data == 1.0).all()
    with pytest.raises(ValueError, match="not all in the same mode"):
        stack_module_state([nn.Linear(2, 1), nn.Linear(2, 1).eval()])
    with pytest.raises(ValueError, match="model 1's parameters differ from model 0's"):
        stack_module_state([nn.Linear(2, 1), nn.Linear(3, 1)])
    frozen = nn.Linear(2, 1)
    frozen.requires_grad_(False)
    with pytest.raises(ValueError, match="'weight' requires grad in some models but not in others"):
        stack_module_state([nn.Linear(2, 1), frozen])
    with pytest.raises(TypeError, match=r"non-empty list of nn.Modules"):
        stack_module_state([])
