"""Adam's packed step (nn/optim/packed.py): the floats of the per-parameter update, bit for bit,
through every way a group can enter or leave the packed path."""

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor
from nn import optim
from nn.optim import packed


def make_params(dtype, seed=0):
    r = np.random.default_rng(seed)
    shapes = [(5, 3), (3,), (), (2, 5)]  # a 0-d parameter included
    return [Tensor(r.normal(size=s).astype(dtype), requires_grad=True) for s in shapes]


def gradients(params, step):
    r = np.random.default_rng(100 + step)
    return [r.normal(size=p.shape).astype(p.dtype) for p in params]


def run(make, dtype, steps, packable, monkeypatch, missing=None, between=None):
    """``steps`` updates of a fresh group; ``missing[step]`` lists parameters left without a gradient."""
    monkeypatch.setattr(packed, "PACKED_BYTES", 1 << 20 if packable else 0)
    params = make_params(dtype)
    opt = make(params)
    for step in range(steps):
        for i, (p, g) in enumerate(zip(params, gradients(params, step))):
            p.grad = None if missing and i in missing.get(step, ()) else g
        opt.step()
        if between:
            between(step, params, opt)
    return params, opt


OPTIMIZERS = [
    lambda ps: optim.Adam(ps, lr=0.01),
    lambda ps: optim.Adam(ps, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    lambda ps: optim.AdamW(ps, lr=0.01, weight_decay=0.3),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", OPTIMIZERS)
def test_packed_steps_equal_per_parameter_steps_bit_for_bit(make, dtype, monkeypatch):
    packed_params, packed_opt = run(make, dtype, 6, True, monkeypatch)
    plain_params, plain_opt = run(make, dtype, 6, False, monkeypatch)
    assert 0 in packed_opt._packs and not getattr(plain_opt, "_packs", None)  # each took its own path
    for p, q, s, t in zip(packed_params, plain_params, packed_opt.state, plain_opt.state):
        assert p.data.tobytes() == q.data.tobytes() and p.dtype == dtype
        assert s["step"] == t["step"] == 6
        assert (
            s["exp_avg"].tobytes() == t["exp_avg"].tobytes() and s["exp_avg_sq"].tobytes() == t["exp_avg_sq"].tobytes()
        )
    pack = packed_opt._packs[0]
    assert all(np.shares_memory(s["exp_avg"], pack.mean) for s in packed_opt.state)  # the state is views of the pack
    saved = packed_opt.state_dict()["state"][0]["exp_avg"]
    assert not np.shares_memory(saved, pack.mean)  # and state_dict copies them


def test_a_parameter_without_gradient_leaves_the_packed_path_with_the_same_floats(monkeypatch):
    missing = {2: [1]}  # parameter 1 skips step 2: its step count falls behind, so the group unpacks
    packed_params, packed_opt = run(OPTIMIZERS[0], np.float64, 5, True, monkeypatch, missing)
    plain_params, plain_opt = run(OPTIMIZERS[0], np.float64, 5, False, monkeypatch, missing)
    assert [s["step"] for s in packed_opt.state] == [5, 4, 5, 5] == [s["step"] for s in plain_opt.state]
    assert all(p.data.tobytes() == q.data.tobytes() for p, q in zip(packed_params, plain_params))


def test_state_loaded_or_replaced_by_hand_and_new_parameter_arrays_are_packed_again(monkeypatch):
    def meddle(step, params, opt):
        if step == 1:
            opt.load_state_dict(opt.state_dict())  # fresh arrays: copied into a new pack
        if step == 2:
            opt.state[3]["exp_avg"] = opt.state[3]["exp_avg"] * 0.5  # replaced by hand: its values count
        if step == 3:
            params[0].data = params[0].data.copy()  # a new array for a parameter: updated, not the old one

    packed_params, packed_opt = run(OPTIMIZERS[2], np.float32, 6, True, monkeypatch, between=meddle)
    plain_params, plain_opt = run(OPTIMIZERS[2], np.float32, 6, False, monkeypatch, between=meddle)
    assert all(p.data.tobytes() == q.data.tobytes() for p, q in zip(packed_params, plain_params))
    assert all(s["exp_avg"].tobytes() == t["exp_avg"].tobytes() for s, t in zip(packed_opt.state, plain_opt.state))
    assert packed_opt._packs[0].arrays[0] is packed_params[0].data


def test_groups_over_the_size_limit_or_of_mixed_dtypes_stay_per_parameter(monkeypatch):
    monkeypatch.setattr(packed, "PACKED_BYTES", 10_000)
    small, large = nn.MLP([4, 3, 2], seed=0), nn.MLP([64, 32, 10], seed=0)  # 2,410 float64: 19,280 bytes
    mixed = [Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(3, np.float32), requires_grad=True)]
    opt = optim.Adam([{"params": small.parameters()}, {"params": large.parameters()}, {"params": mixed}])
    for p in opt.params:
        p.grad = np.ones_like(p.data)
    before = [p.data.copy() for p in opt.params]
    opt.step()
    assert sorted(opt._packs) == [0]
    assert all((p.data < b).all() for p, b in zip(opt.params, before)) and mixed[1].dtype == np.float32


def test_packed_state_keeps_each_parameters_layout():
    model = nn.MLP([6, 4, 3], seed=0)  # nn.Linear keeps its weights column-major
    opt = optim.Adam(model.parameters())
    for p in model.parameters():
        p.grad = np.ones_like(p.data)
    opt.step()
    weight, state = model.layers[0].weight, opt.state[0]
    assert weight.data.flags.f_contiguous and not weight.data.flags.c_contiguous
    assert state["exp_avg"].flags.f_contiguous and state["exp_avg_sq"].flags.f_contiguous
    assert np.array_equal(state["exp_avg"], np.full((4, 6), 1 - 0.9))  # (1 - beta1) * grad


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1),
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.1),  # packed
        lambda ps: optim.AdamW(ps, lr=0.1),
        lambda ps: optim.AdaGrad(ps, lr=0.1),
        lambda ps: optim.RMSprop(ps, lr=0.1),
    ],
)
def test_every_step_counts_its_changes_so_a_graph_that_saw_the_old_weights_refuses(make):
    model = nn.MLP([3, 4, 2], seed=0)
    opt = make(list(model.parameters()))
    X = np.ones((2, 3))
    F.cross_entropy(model(X), np.array([0, 1])).backward()
    stale = F.cross_entropy(model(X), np.array([0, 1]))  # saved the weights as they are now
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        stale.backward()
