"""The benchmark suite's references are right: the hand-written delta rule, chain and scalar adjoints
against finite differences and the cs231n figures, the hand-written Adam loop against nn.optim."""

import math

import benchmark_helpers  # noqa: F401  (puts the repository root on sys.path, for benchmarks/)
import numpy as np

from benchmarks import chain, scalar, train_loop
from benchmarks.mlp_engines import HandWritten, make_batch, make_params
from benchmarks.timing import relative_error


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of scalar f at every element of the float64 array x (changed in place, restored)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + eps
        up = f()
        x[index] = saved - eps
        down = f()
        x[index] = saved
        grad[index] = (up - down) / (2 * eps)
    return grad


def test_hand_written_delta_rule_matches_finite_differences():
    sizes = (5, 4, 3, 3)
    engine = HandWritten(make_params(sizes, np.float64), lr=0)
    batch = make_batch(sizes[0], sizes[-1], 6, np.float64)
    _, grads = engine.gradients(batch)
    for param, grad in zip(engine.params, grads):
        numeric = numeric_gradient(lambda: engine.gradients(batch)[0], param)
        assert relative_error(grad, numeric) < 1e-6


def test_hand_written_chain_matches_finite_differences():
    x, a, b = chain.constants()
    analytic = chain.hand_written(x, a, b)

    def value():
        y = x
        for k in range(chain.LENGTH):
            step = k % 4
            y = np.tanh(y) if step == 0 else y * a if step == 1 else y + b if step == 2 else np.exp(y)
        return y.sum()

    assert relative_error(analytic, numeric_gradient(value, x)) < 1e-6


def test_neuron_by_hand_gives_the_cs231n_figures():
    f, grads = scalar.neuron_by_hand(*scalar.NEURON_INPUTS)  # w0, x0, w1, x1, w2
    assert round(f, 2) == 0.73
    assert [round(g, 2) for g in grads] == [-0.2, 0.39, -0.39, -0.59, 0.2]


def test_expression_by_hand_matches_finite_differences_and_stays_bounded():
    leaves, program = scalar.make_program()
    assert len(program) == scalar.EXPRESSION_NODES
    assert {op for op, _, _ in program} == {"add", "mul", "relu", "scale", "shift"}
    value, grads = scalar.expression_by_hand(leaves, program)
    x = np.array(leaves)
    numeric = numeric_gradient(lambda: scalar.expression_by_hand(list(x), program)[0], x)
    assert relative_error(grads, numeric) < 1e-6
    assert abs(value) < 1.5 and np.all(np.isfinite(grads)) and np.count_nonzero(grads) >= 5
    values = list(leaves)
    for op, j, c in program:
        x = values[-1]
        values.append(scalar._apply_float(op, x, values[j], c))
    relu_inputs = [values[len(leaves) + k - 1] for k, (op, _, _) in enumerate(program) if op == "relu"]
    assert min(relu_inputs) < 0 < max(relu_inputs) and 0.0 not in relu_inputs  # relu really cuts


def test_cs231n_neuron_expression_has_eight_gates_in_our_engine():
    import autograd_core as ag

    leaves = [ag.Tensor(v, requires_grad=True) for v in scalar.NEURON_INPUTS]
    out = scalar.neuron(*leaves, exp=ag.Tensor.exp)
    assert sum(1 for t in ag.walk(out) if t.op is not None) == scalar.NEURON_NODES
    assert math.isclose(out.item(), scalar.neuron_by_hand(*scalar.NEURON_INPUTS)[0], rel_tol=1e-12)


def test_hand_written_adam_loop_matches_nn_optim_and_nn_train():
    import autograd_core as ag
    import nn

    args = train_loop.train_defaults()
    assert (args.optimizer, args.batch_size, args.hidden) == ("adam", 32, [256, 128])  # nn.train's defaults
    rng = np.random.default_rng(0)
    params = make_params((4, 3, 2), np.float64)
    tensors = [ag.Tensor(p.copy(), requires_grad=True) for p in params]
    optimizer = nn.optim.Adam(tensors, lr=0.01, weight_decay=0.1)
    args.lr, args.weight_decay = 0.01, 0.1
    loop = train_loop.HandWrittenAdamLoop(params, args, 2)
    for _ in range(3):
        grads = [rng.standard_normal(p.shape) for p in params]
        for t, g in zip(tensors, grads):
            t.grad = g.copy()
        optimizer.step()
        loop.adam_step(grads)
    for t, p in zip(tensors, loop.network.params):
        assert relative_error(p, t.data) < 1e-12
    from nn.train import load_data

    splits = load_data("digits", 0)
    assert train_loop.check_gradients(train_loop.train_defaults(), splits) < 1e-6
