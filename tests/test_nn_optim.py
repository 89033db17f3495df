"""nn.optim: optimizers step for step against torch.optim, closed forms, schedules, errors."""

import math

import numpy as np
import pytest

import nn
import nn.functional as F
from autograd_core import Tensor
from nn import optim

REL = dict(rtol=1e-6, atol=1e-12)


def gradient(values):
    """A deterministic, non-linear 'gradient' so every step differs (fed identically to both libraries)."""
    return np.sin(3 * values) + 0.5 * values**2 - 0.2


def make_params(seed=0):
    r = np.random.default_rng(seed)
    return [r.normal(size=(3, 4)), r.normal(size=(4,))]


OPTIMIZERS = [
    ("SGD", dict(lr=0.1), dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, weight_decay=0.1), dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.01), dict(lr=0.05, momentum=0.8, weight_decay=0.01)),
    ("AdaGrad", dict(lr=0.1), dict(lr=0.1)),
    ("AdaGrad", dict(lr=0.3, eps=1e-6, weight_decay=0.05), dict(lr=0.3, eps=1e-6, weight_decay=0.05)),
    ("Adam", dict(), dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1), dict(lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, ours_kwargs, torch_kwargs", OPTIMIZERS)
def test_step_for_step_equal_to_torch(name, ours_kwargs, torch_kwargs):
    torch = pytest.importorskip("torch")
    initial = make_params()
    ours = [Tensor(v.copy(), requires_grad=True) for v in initial]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in initial]
    ours_opt = getattr(optim, name)(ours, **ours_kwargs)
    torch_opt = {"SGD": torch.optim.SGD, "AdaGrad": torch.optim.Adagrad, "Adam": torch.optim.Adam}[name](
        theirs, **torch_kwargs
    )
    for _ in range(8):
        for p, q in zip(ours, theirs):
            p.grad = gradient(p.data)
            q.grad = torch.from_numpy(gradient(q.detach().numpy()))
        ours_opt.step()
        torch_opt.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), **REL)
    assert not np.allclose(ours[0].data, initial[0])


def test_sgd_closed_form_and_momentum_by_hand():
    w = Tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    w.grad = np.array([1.0, 2.0])
    opt.step()  # v = g
    np.testing.assert_allclose(w.data, [0.9, -2.2])
    w.grad = np.array([1.0, 2.0])
    opt.step()  # v = 0.5 g + g = 1.5 g
    np.testing.assert_allclose(w.data, [0.75, -2.5])


def test_adam_first_step_is_lr_times_sign():
    """With bias correction, Adam's first step is lr * g / (|g| + eps) = lr * sign(g)."""
    w = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.01, eps=0.0)
    w.grad = np.array([3.0, -0.001, 40.0])
    opt.step()
    np.testing.assert_allclose(w.data, [0.99, 1.01, 0.99], rtol=1e-12)


def test_step_updates_in_place_and_never_rebinds_parameters():
    model = nn.MLP([3, 4, 2], seed=0)
    before = list(model.parameters())
    arrays = [p.data for p in before]
    copies = [a.copy() for a in arrays]
    opt = optim.Adam(model.parameters(), lr=0.1)
    F.cross_entropy(model(np.ones((2, 3))), np.array([0, 1])).backward()
    opt.step()
    after = list(model.parameters())
    assert all(a is b for a, b in zip(before, after))
    assert all(p.is_leaf and p.requires_grad for p in after)
    assert all(p.data is a for p, a in zip(after, arrays))  # the same buffers, changed in place
    assert any(not np.array_equal(p.data, c) for p, c in zip(after, copies))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_paths_give_the_very_floats_of_the_formulas(dtype):
    """Plain SGD's loop and Adam's in-place arithmetic must not change one bit: each step is
    compared with the textbook expressions evaluated in numpy (a 0-d parameter included)."""
    r = np.random.default_rng(4)
    for make in (lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Adam(ps, lr=0.01)):
        values = [r.normal(size=(3, 4)).astype(dtype), np.asarray(r.normal(), dtype=dtype)]
        params = [Tensor(v.copy(), requires_grad=True) for v in values]
        opt, means, squares = make(params), [np.zeros_like(v) for v in values], [np.zeros_like(v) for v in values]
        for t in range(1, 4):
            for p, v, m, s in zip(params, values, means, squares):
                p.grad = g = gradient(v).astype(dtype)
                if isinstance(opt, optim.SGD):
                    v -= 0.1 * g
                    continue
                m *= 0.9
                m += (1 - 0.9) * g
                s *= 0.999
                s += (1 - 0.999) * g * g
                v -= 0.01 / (1 - 0.9**t) * m / (np.sqrt(s) / math.sqrt(1 - 0.999**t) + 1e-8)
            opt.step()
            assert all(p.data.tobytes() == v.tobytes() and p.dtype == dtype for p, v in zip(params, values))


def test_a_subclass_of_sgd_keeps_its_own_update():
    class HalfSteps(optim.SGD):
        def _update(self, p, grad, state, group):
            super()._update(p, grad / 2, state, group)

    w = Tensor([1.0], requires_grad=True)
    w.grad = np.array([1.0])
    HalfSteps([w], lr=1.0).step()  # plain SGD's fast path must not bypass the override
    assert w.data.tolist() == [0.5]


def test_a_step_counts_as_an_in_place_change_for_graphs_that_saved_the_parameter():
    for make in (lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Adam(ps)):
        w = Tensor([1.0, 2.0], requires_grad=True)
        w.grad = np.ones(2)
        saved = (w * w).sum()  # mul saved w
        make([w]).step()
        with pytest.raises(RuntimeError, match=r"in-place|modified|changed"):
            saved.backward()


def test_parameters_without_grad_are_skipped_and_zero_grad_clears():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=1.0)
    a.grad = np.array([0.5])
    opt.step()
    assert a.data.tolist() == [0.5] and b.data.tolist() == [2.0]
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_float32_parameters_stay_float32():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    opt = optim.Adam([w], lr=0.1, weight_decay=0.01)
    w.grad = np.ones(3, np.float32)
    opt.step()
    assert w.dtype == np.float32 and w.data.dtype == np.float32


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: optim.SGD(p, lr=-1), r"SGD: lr must be >= 0.0, got -1"),
        (lambda p: optim.SGD(p, lr=float("nan")), r"SGD: lr must be a finite number, got nan"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), r"SGD: momentum must be >= 0.0, got -0.5"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), r"Adam: betas\[1\] must be >= 0.0 and < 1.0, got 1.0"),
        (lambda p: optim.Adam(p, betas=0.9), r"Adam: betas must be a pair \(beta1, beta2\), got 0.9"),
        (lambda p: optim.AdaGrad(p, eps=-1e-3), r"AdaGrad: eps must be >= 0.0, got -0.001"),
        (lambda p: optim.Adam(p, weight_decay="0.1"), r"Adam: weight_decay must be a finite number, got '0.1'"),
    ],
)
def test_bad_hyper_parameters_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make([Tensor([1.0], requires_grad=True)])


def test_bad_parameter_lists_raise():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"SGD: params must be an iterable of Tensors.*got a single Tensor"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match=r"Adam: got an empty parameter list.*generator can only be used once"):
        optim.Adam([])
    with pytest.raises(TypeError, match=r"SGD: parameter 0 must be a floating-point leaf Tensor"):
        optim.SGD([w * 2], lr=0.1)  # a frozen leaf (requires_grad=False) is allowed, as in PyTorch
    with pytest.raises(TypeError, match=r"SGD: parameter 1 must be a floating-point leaf Tensor.*ndarray"):
        optim.SGD([w, np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: parameter 1 appears twice"):
        optim.SGD([w, w], lr=0.1)


# ---------------------------------------------------------------------------------- schedules
def sgd(lr=1.0):
    return optim.SGD([Tensor([0.0], requires_grad=True)], lr=lr)


@pytest.mark.parametrize(
    "make, formula",
    [
        (lambda o: optim.InverseTimeDecay(o, decay=0.5), lambda t: 0.2 / (1 + 0.5 * t)),
        (lambda o: optim.InverseSqrtDecay(o, decay=2.0), lambda t: 0.2 / math.sqrt(1 + 2 * t)),
        (
            lambda o: optim.PolynomialDecay(o, total_steps=5, power=2.0, end_lr=0.01),
            lambda t: (0.2 - 0.01) * (1 - min(t, 5) / 5) ** 2 + 0.01,
        ),
        (lambda o: optim.StepDecay(o, step_size=3, gamma=0.5), lambda t: 0.2 * 0.5 ** (t // 3)),
        (lambda o: optim.LinearLR(o, start_factor=0.25, total_iters=4), lambda t: 0.2 * (0.25 + 0.75 * min(t, 4) / 4)),
    ],
)
def test_schedules_follow_their_closed_forms(make, formula):
    opt = sgd(0.2)
    schedule = make(opt)
    for t in range(1, 9):
        assert schedule.step() == pytest.approx(formula(t), rel=1e-12)
        assert opt.lr == pytest.approx(formula(t), rel=1e-12)
        assert schedule.lr_at(t) == pytest.approx(formula(t), rel=1e-12)


def test_inverse_time_is_order_one_over_t():
    schedule = optim.InverseTimeDecay(sgd(1.0), decay=1.0)
    assert schedule.lr_at(999) * 1000 == pytest.approx(1.0)
    sqrt_schedule = optim.InverseSqrtDecay(sgd(1.0), decay=1.0)
    assert sqrt_schedule.lr_at(9999) * 100 == pytest.approx(1.0)


def test_step_and_polynomial_decay_match_torch():
    torch = pytest.importorskip("torch")
    for ours_make, torch_make in [
        (lambda o: optim.StepDecay(o, step_size=2, gamma=0.3), lambda o: torch.optim.lr_scheduler.StepLR(o, 2, 0.3)),
        (
            lambda o: optim.PolynomialDecay(o, total_steps=4, power=1.5),
            lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=4, power=1.5),
        ),
    ]:
        ours = ours_make(sgd(0.5))
        torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.5)
        theirs = torch_make(torch_opt)
        for _ in range(7):
            torch_opt.step()
            theirs.step()
            assert ours.step() == pytest.approx(torch_opt.param_groups[0]["lr"], rel=1e-9)


def test_schedule_attaches_to_any_optimizer_and_changes_its_steps():
    w = Tensor([0.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    schedule = optim.StepDecay(opt, step_size=1, gamma=0.1)
    w.grad = np.array([1.0])
    opt.step()  # Adam's first step moves by lr
    schedule.step()
    w.grad = np.array([1.0])
    before = w.data.copy()
    opt.step()
    assert abs((w.data - before).item()) == pytest.approx(0.01, rel=1e-6)


def test_schedule_errors():
    with pytest.raises(TypeError, match=r"StepDecay: expected an optimizer with an 'lr', got list"):
        optim.StepDecay([], step_size=1)
    with pytest.raises(ValueError, match=r"StepDecay: step_size must be a positive int, got 0"):
        optim.StepDecay(sgd(), step_size=0)
    with pytest.raises(ValueError, match=r"PolynomialDecay: total_steps must be a positive int, got 2.5"):
        optim.PolynomialDecay(sgd(), total_steps=2.5)
    with pytest.raises(ValueError, match=r"InverseTimeDecay: decay must be >= 0.0, got -1"):
        optim.InverseTimeDecay(sgd(), decay=-1)
    with pytest.raises(ValueError, match=r"LinearLR: start_factor must be > 0 and <= 1, got 0"):
        optim.LinearLR(sgd(), start_factor=0)
    with pytest.raises(ValueError, match=r"LinearLR: end_factor must be >= 0.0 and <= 1.0, got 2"):
        optim.LinearLR(sgd(), end_factor=2)


GRAD_STEPPERS = [
    ("SGD", dict(lr=0.1)),  # the plain fast path
    ("SGD", dict(lr=0.1, momentum=0.9)),  # the general loop
    ("Adam", dict(lr=0.1)),  # the packed step
    ("AdamW", dict(lr=0.1, weight_decay=0.5)),  # packed, with the decay on the weights
    ("AdaGrad", dict(lr=0.1)),
    ("RMSprop", dict(lr=0.1)),
]


@pytest.mark.parametrize("name, kwargs", GRAD_STEPPERS)
@pytest.mark.parametrize(
    "grad, message",
    [
        (np.ones(3), r"parameter 1 \(shape \(2,\), dtype float64\) has a .grad of shape \(3,\)"),
        (
            np.ones(1),
            r"has a .grad of shape \(1,\); a gradient must have its parameter's shape \(2,\)",
        ),  # broadcast silently
        (np.ones((2, 1)), r"has a .grad of shape \(2, 1\)"),
        (np.ones(2, dtype=np.float32), None),  # cast to the parameter's dtype, as before
        ([1, 2], None),
        (np.ones(2, dtype=complex), r"has a .grad of dtype complex128; a gradient must have a real dtype"),
        (np.array(["a", "b"]), r"has a .grad of dtype <U1"),
    ],
)
def test_a_grad_set_by_hand_that_does_not_fit_is_refused_before_any_weight_changes(name, kwargs, grad, message):
    # numpy's broadcast error (or a silent broadcast of a (1,) gradient) came out of step().
    w, b = Tensor(np.ones((3, 2)), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    opt = getattr(optim, name)([w, b], **kwargs)
    w.grad, b.grad = np.ones((3, 2)), grad
    if message is None:
        opt.step()
        assert b.data.shape == (2,) and not np.array_equal(b.data, np.zeros(2))
        return
    with pytest.raises(ValueError, match=rf"{name}\.step: .*" + message) as error:
        opt.step()
    assert "set p.grad to such an array" in str(error.value)
    np.testing.assert_array_equal(b.data, np.zeros(2))
    if name.startswith("Adam"):  # the packed step checks every gradient before it changes a weight
        np.testing.assert_array_equal(w.data, np.ones((3, 2)))
