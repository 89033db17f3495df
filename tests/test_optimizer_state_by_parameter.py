"""``optimizer.state[p]``: a parameter's state found by the parameter, as PyTorch's dict of states, besides by
its position; ``keys() values() items()`` and ``in`` over the states begun."""

import numpy as np
import pytest

import nn
from autograd_core import Tensor


def _two_steps(optimizer_class, **hyper):
    w, b = Tensor([1.0, -2.0], requires_grad=True), Tensor([0.5], requires_grad=True)
    frozen = Tensor([3.0], requires_grad=True)  # never gets a gradient: its state never begins
    opt = optimizer_class([w, b, frozen], lr=0.1, **hyper)
    for _ in range(2):
        opt.zero_grad()
        ((w**2).sum() + (b * 3.0).sum()).backward()
        opt.step()
    return opt, w, b, frozen


def test_a_parameter_finds_its_own_state_and_the_position_still_does():
    opt, w, b, frozen = _two_steps(nn.optim.Adam)
    assert opt.state[w] is opt.state[0] and opt.state[b] is opt.state[1] and opt.state[frozen] == {}
    assert opt.state[w]["step"] == 2 and opt.state[w]["exp_avg"].shape == (2,)
    # Adam's first moment after two steps of constant gradient 2w (w moved in between): by hand
    assert np.isfinite(opt.state[b]["exp_avg_sq"]).all() and opt.state[b]["exp_avg"] == pytest.approx(0.1 * 3 * 1.9)


def test_keys_values_items_and_in_are_over_the_states_begun():
    opt, w, b, frozen = _two_steps(nn.optim.SGD, momentum=0.9)
    assert [p is q for p, q in zip(opt.state.keys(), [w, b])] == [True, True] and len(opt.state.keys()) == 2
    assert w in opt.state and frozen not in opt.state and Tensor([1.0, -2.0]) not in opt.state
    assert [sorted(s) for s in opt.state.values()] == [["momentum_buffer"], ["momentum_buffer"]]
    for _p, state in opt.state.items():  # the common "move the state" loop of torch code
        state["momentum_buffer"] = state["momentum_buffer"] * 0
    assert (opt.state[w]["momentum_buffer"] == 0).all()


def test_setting_by_parameter_and_groups_added_later():
    w = Tensor([1.0], requires_grad=True)
    head = Tensor([2.0, 3.0], requires_grad=True)
    opt = nn.optim.SGD([w], lr=0.1, momentum=0.5)
    opt.add_param_group({"params": [head], "lr": 0.01})
    opt.state[head] = {"momentum_buffer": np.array([1.0, 1.0])}
    head.grad = np.zeros(2)
    opt.step()  # velocity = 0.5 * 1 + 0: the update reads the state set by the parameter
    np.testing.assert_allclose(head.data, [2.0 - 0.005, 3.0 - 0.005])
    assert opt.state[1] is opt.state[head]


def test_a_tensor_the_optimizer_does_not_hold_is_a_key_error_saying_what_to_index_with():
    opt, *_ = _two_steps(nn.optim.Adam)
    with pytest.raises(KeyError, match=r"shape \(3,\)\) is not one of the optimizer's parameters; .*add_param_group"):
        opt.state[Tensor([1.0, 2.0, 3.0])]


def test_the_state_survives_a_state_dict_round_trip_by_parameter():
    opt, w, b, _ = _two_steps(nn.optim.Adam)
    fresh = nn.optim.Adam([w, b, Tensor([3.0], requires_grad=True)], lr=0.1)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.state[w]["step"] == 2 and np.array_equal(fresh.state[b]["exp_avg"], opt.state[b]["exp_avg"])


def test_torchs_adam_state_read_by_parameter_agrees():
    torch = pytest.importorskip("torch")
    opt, w, _, _ = _two_steps(nn.optim.Adam)
    tw = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    topt = torch.optim.Adam([tw, tb], lr=0.1)
    for _ in range(2):
        topt.zero_grad()
        ((tw**2).sum() + (tb * 3.0).sum()).backward()
        topt.step()
    np.testing.assert_allclose(opt.state[w]["exp_avg"], topt.state[tw]["exp_avg"].numpy(), rtol=1e-12)
    np.testing.assert_allclose(opt.state[w]["exp_avg_sq"], topt.state[tw]["exp_avg_sq"].numpy(), rtol=1e-12)
