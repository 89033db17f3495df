"""nn.optim.LBFGS: torch.optim.LBFGS's algorithm and closure API. Oracles: torch's LBFGS in float64 (a tanh MLP on
the digits, and least squares), closed forms without torch (the least-squares solution, Rosenbrock's minimum at
(1, 1), a cubic's minimum, the strong Wolfe conditions themselves), and the optimizer's own resumed run."""

import inspect

import numpy as np
import pytest
from optimizer_ports_helpers import digits, largest_difference, make_model, torch_twin

import autograd_core as ag
import nn
import nn.functional as F
from autograd_core import Tensor
from nn.optim.line_search import cubic_minimum, strong_wolfe


def mlp_closure(opt, model, X, y):
    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(model(ag.tensor(X)), y)
        loss.backward()
        return loss

    return closure


def torch_mlp_closure(opt, model, X, y, torch):
    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(y))
        loss.backward()
        return loss

    return closure


def rosenbrock_closure(opt, w):
    def closure():
        opt.zero_grad()
        loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
        loss.backward()
        return loss

    return closure


def least_squares(seed=0):
    r = np.random.default_rng(seed)
    A = r.normal(size=(30, 6))
    return A, A @ r.normal(size=6) + 0.1 * r.normal(size=30)


def squares_closure(opt, w, A, b, backend=ag):
    def closure():
        opt.zero_grad()
        residual = backend.tensor(A) @ w - backend.tensor(b)
        loss = (residual * residual).sum() / 2
        loss.backward()
        return loss

    return closure


CASES = [
    dict(max_iter=10),
    dict(max_iter=10, history_size=3),
    dict(max_iter=10, line_search_fn="strong_wolfe"),
    dict(max_iter=8, history_size=2, line_search_fn="strong_wolfe", lr=0.5),
]


@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_equal_to_torch_lbfgs_on_an_mlp_in_float64(kwargs):
    torch = pytest.importorskip("torch")
    X, y = digits(96)
    model = make_model(0)
    twin = torch_twin(model, torch)
    ours, theirs = nn.optim.LBFGS(model.parameters(), **kwargs), torch.optim.LBFGS(twin.parameters(), **kwargs)
    closure, torch_closure = mlp_closure(ours, model, X, y), torch_mlp_closure(theirs, twin, X, y, torch)
    start = np.array(model.layers[0].weight.data)
    for _ in range(3):
        loss, torch_loss = ours.step(closure), theirs.step(torch_closure)
        assert float(loss) == pytest.approx(torch_loss.item(), rel=1e-10)
        a, b = [[np.array(p.data) for p in model.parameters()]], [[q.detach().numpy() for q in twin.parameters()]]
        assert largest_difference(a, b) < 1e-10
        torch_state = theirs.state[theirs._params[0]]
        assert (ours.state[0]["func_evals"], ours.state[0]["n_iter"]) == (
            torch_state["func_evals"],
            torch_state["n_iter"],
        )
        assert len(ours.state[0]["step_differences"]) == len(torch_state["old_stps"])
    assert np.abs(model.layers[0].weight.data - start).max() > 0.1  # it moved


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_equal_to_torch_lbfgs_on_least_squares(line_search_fn):
    torch = pytest.importorskip("torch")
    A, b = least_squares()
    w = Tensor(np.zeros(6), requires_grad=True)
    v = torch.zeros(6, dtype=torch.float64, requires_grad=True)
    ours = nn.optim.LBFGS([w], max_iter=4, history_size=3, line_search_fn=line_search_fn)
    theirs = torch.optim.LBFGS([v], max_iter=4, history_size=3, line_search_fn=line_search_fn)
    closure, torch_closure = squares_closure(ours, w, A, b), squares_closure(theirs, v, A, b, torch)
    for _ in range(4):
        ours.step(closure)
        theirs.step(torch_closure)
        np.testing.assert_allclose(w.data, v.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert ours.state[0]["func_evals"] == theirs.state[v]["func_evals"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_least_squares_reaches_the_normal_equations_solution(line_search_fn):
    A, b = least_squares(1)
    w = Tensor(np.zeros(6), requires_grad=True)
    opt = nn.optim.LBFGS([w], line_search_fn=line_search_fn, tolerance_grad=1e-12, tolerance_change=0.0)
    closure = squares_closure(opt, w, A, b)
    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(w.data, np.linalg.lstsq(A, b, rcond=None)[0], rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_rosenbrock_from_minus_1_5_2_reaches_1_1(line_search_fn):
    """The banana valley: plain gradient descent takes thousands of steps; L-BFGS a few dozen evaluations."""
    w = Tensor([-1.5, 2.0], requires_grad=True)
    opt = nn.optim.LBFGS([w], line_search_fn=line_search_fn, tolerance_grad=1e-12, tolerance_change=1e-14)
    closure = rosenbrock_closure(opt, w)
    first = float(opt.step(closure))
    for _ in range(9):
        loss = float(opt.step(closure))
    assert first == 12.5  # f(-1.5, 2) = 2.5**2 + 100 * 0.25**2
    np.testing.assert_allclose(w.data, [1.0, 1.0], atol=1e-8)
    assert loss < 1e-15
    assert opt.state[0]["func_evals"] < 120


def test_the_default_tolerance_change_stops_where_torch_does_near_rosenbrock_s_minimum():
    """An absolute loss change below 1e-9 ends the iterations (torch's rule): with the defaults the run stops
    ~3e-6 from (1, 1), each further step one evaluation; torch stops at the same point."""
    w = Tensor([-1.5, 2.0], requires_grad=True)
    opt = nn.optim.LBFGS([w], line_search_fn="strong_wolfe")
    closure = rosenbrock_closure(opt, w)
    for _ in range(4):
        opt.step(closure)
    evaluations = opt.state[0]["func_evals"]
    opt.step(closure)
    assert opt.state[0]["func_evals"] == evaluations + 1
    assert 1e-7 < np.abs(w.data - 1).max() < 1e-5
    torch = pytest.importorskip("torch")
    v = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    theirs = torch.optim.LBFGS([v], line_search_fn="strong_wolfe")
    torch_closure = rosenbrock_closure(theirs, v)
    for _ in range(5):
        theirs.step(torch_closure)
    np.testing.assert_allclose(w.data, v.detach().numpy(), rtol=1e-10)


def test_a_stationary_point_costs_one_evaluation_and_no_move():
    w = Tensor([1.0, 1.0], requires_grad=True)
    opt = nn.optim.LBFGS([w])
    loss = opt.step(rosenbrock_closure(opt, w))
    assert float(loss) == 0.0 and opt.state[0] == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(w.data, [1.0, 1.0])


def test_max_eval_and_max_iter_bound_the_evaluations_of_one_step():
    w = Tensor([-1.5, 2.0], requires_grad=True)
    opt = nn.optim.LBFGS([w], lr=0.1, max_iter=7, max_eval=4)
    opt.step(rosenbrock_closure(opt, w))
    assert (opt.state[0]["func_evals"], opt.state[0]["n_iter"]) == (4, 3)  # 1 + one per iteration
    w = Tensor([-1.5, 2.0], requires_grad=True)
    opt = nn.optim.LBFGS([w], lr=0.1, max_iter=4)
    opt.step(rosenbrock_closure(opt, w))
    assert (opt.state[0]["func_evals"], opt.state[0]["n_iter"]) == (4, 4)  # the last iteration evaluates nothing
    assert opt.param_groups[0]["max_eval"] == 5  # max_iter * 5 // 4, torch's default


def test_the_history_keeps_the_last_history_size_pairs():
    A, b = least_squares(2)
    w = Tensor(np.zeros(6), requires_grad=True)
    opt = nn.optim.LBFGS([w], max_iter=6, history_size=2, tolerance_change=0.0)
    opt.step(squares_closure(opt, w, A, b))
    state = opt.state[0]
    assert len(state["step_differences"]) == len(state["gradient_differences"]) == 2
    for s, y, rho in zip(state["step_differences"], state["gradient_differences"], state["inverse_curvatures"]):
        np.testing.assert_allclose(y, A.T @ A @ s, rtol=1e-10, atol=1e-12)  # the Hessian of least squares is A^T A
        assert rho == pytest.approx(1 / y.dot(s))


def test_a_frozen_parameter_stays_where_it_is():
    w, frozen = Tensor([-1.5, 2.0], requires_grad=True), Tensor([3.0], requires_grad=False)
    opt = nn.optim.LBFGS([w, frozen], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2
        loss.backward()
        return loss

    opt.step(closure)
    assert frozen.data.tolist() == [3.0] and w.data[0] != -1.5


def test_state_dict_round_trip_resumes_the_same_steps():
    X, y = digits(48)
    kwargs = dict(max_iter=5, history_size=4, line_search_fn="strong_wolfe")
    model, twin = make_model(0), make_model(0)
    opt = nn.optim.LBFGS(model.parameters(), **kwargs)
    for _ in range(2):
        opt.step(mlp_closure(opt, model, X, y))
    saved = opt.state_dict()
    assert saved["state"][0]["step_differences"].shape == (4, sum(p.data.size for p in model.parameters()))
    twin.load_state_dict(model.state_dict())
    resumed = nn.optim.LBFGS(twin.parameters(), **kwargs)
    resumed.load_state_dict(saved)
    saved["state"][0]["direction"][:] = 0  # a copy: the running optimizer does not see it
    for _ in range(2):
        opt.step(mlp_closure(opt, model, X, y))
        resumed.step(mlp_closure(resumed, twin, X, y))
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert resumed.state[0]["func_evals"] == opt.state[0]["func_evals"] and resumed.step_count == 4


def test_a_checkpoint_file_holds_the_history_and_a_bloated_one_is_refused(tmp_path):
    # L-BFGS's history (history_size rows of all the parameters' numbers) outgrows the model's largest array,
    # the bound load_checkpoint checks headers against: the optimizer's own bound (largest_state) applies
    X, y = digits(48)
    kwargs = dict(max_iter=5, history_size=4)
    model, twin = make_model(0), make_model(1)
    opt = nn.optim.LBFGS(model.parameters(), **kwargs)
    for _ in range(2):
        opt.step(mlp_closure(opt, model, X, y))
    history = opt.state_dict()["state"][0]["step_differences"]
    assert history.size > max(p.data.size for p in model.parameters())  # what the model's bound refused
    path = nn.utils.save_checkpoint(tmp_path / "run.npz", model, opt)
    resumed = nn.optim.LBFGS(twin.parameters(), **kwargs)
    nn.utils.load_checkpoint(path, twin, resumed)
    np.testing.assert_array_equal(resumed.state[0]["step_differences"], opt.state[0]["step_differences"])
    for _ in range(2):
        opt.step(mlp_closure(opt, model, X, y))
        resumed.step(mlp_closure(resumed, twin, X, y))
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    # one more row than history_size allows: refused from its header, before anything is read or changed
    small = nn.optim.LBFGS(twin.parameters(), max_iter=5, history_size=1)
    with pytest.raises(ValueError, match=r"member 'optimizer/0/step_differences' declares shape \(4, "):
        nn.utils.load_checkpoint(path, twin, small)
    assert small.state[0] == {}


def test_a_state_that_does_not_fit_is_refused_and_nothing_changes():
    w = Tensor([-1.5, 2.0], requires_grad=True)
    opt = nn.optim.LBFGS([w], history_size=2)
    opt.step(rosenbrock_closure(opt, w))
    good = opt.state_dict()
    other = nn.optim.LBFGS([Tensor(np.zeros(3), requires_grad=True)], history_size=2)
    with pytest.raises(ValueError, match=r"LBFGS\.load_state_dict: state 'direction' has shape \(2,\).*\(3,\)"):
        other.load_state_dict(good)
    assert other.state[0] == {}
    adam = nn.optim.Adam([w])
    (w * w).sum().backward()
    adam.step()
    with pytest.raises(ValueError, match="was it saved by another optimizer"):
        opt.load_state_dict(adam.state_dict())
    longer = {**good, "state": {0: {**good["state"][0]}}}
    longer["state"][0]["inverse_curvatures"] = np.ones(3)
    with pytest.raises(ValueError, match="history must hold the same number of pairs"):
        opt.load_state_dict(longer)
    np.testing.assert_array_equal(opt.state[0]["direction"], good["state"][0]["direction"])


def test_step_without_a_closure_is_refused_with_the_recipe():
    w = Tensor([1.0], requires_grad=True)
    opt = nn.optim.LBFGS([w])
    (w * w).sum().backward()
    with pytest.raises(TypeError, match=r"LBFGS\.step: needs a closure.*def closure\(\): opt\.zero_grad\(\)"):
        opt.step()
    with pytest.raises(TypeError, match=r"LBFGS\.step: the closure returned None"):
        opt.step(lambda: None)
    with pytest.raises(TypeError, match=r"LBFGS\.step: closure must be a function"):
        opt.step(3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(max_iter=0), "max_iter must be a positive int"),
        (dict(max_eval=0), "max_eval must be a positive int"),
        (dict(history_size=0), "history_size must be a positive int"),
        (dict(history_size=2.5), "history_size must be a positive int"),
        (dict(lr=-1.0), "lr must be >= 0.0"),
        (dict(tolerance_grad=float("nan")), "tolerance_grad must be a finite number"),
        (dict(line_search_fn="backtracking"), "line_search_fn must be None .* or 'strong_wolfe', got 'backtracking'"),
        (dict(line_search_fn=True), "line_search_fn must be None"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match="LBFGS: " + message):
        nn.optim.LBFGS([Tensor([1.0], requires_grad=True)], **kwargs)


def test_a_second_parameter_group_is_refused():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match="LBFGS: takes one parameter group only"):
        nn.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = nn.optim.LBFGS([a])
    with pytest.raises(ValueError, match="LBFGS: takes one parameter group only"):
        opt.add_param_group({"params": [b]})


# ---------------------------------------------------------------- the line search on its own
def test_cubic_minimum_is_exact_for_a_cubic():
    f = lambda x: x**3 - 3 * x  # noqa: E731   minimum at x = 1 (f' = 3x^2 - 3)
    df = lambda x: 3 * x**2 - 3  # noqa: E731
    assert cubic_minimum(0.0, f(0.0), df(0.0), 3.0, f(3.0), df(3.0)) == pytest.approx(1.0, rel=1e-14)
    assert cubic_minimum(3.0, f(3.0), df(3.0), 0.0, f(0.0), df(0.0)) == pytest.approx(1.0, rel=1e-14)
    assert cubic_minimum(0.0, f(0.0), df(0.0), 3.0, f(3.0), df(3.0), bounds=(2.0, 5.0)) == 2.0  # clamped
    # x - x^2 + 2x^3/3 climbs everywhere (its slope 1 - 2x + 2x^2 > 0): no minimum, the middle of the interval
    assert cubic_minimum(0.0, 0.0, 1.0, 1.0, 2 / 3, 1.0) == 0.5


@pytest.mark.parametrize("start", [1e-3, 1.0, 30.0])
def test_strong_wolfe_returns_a_step_meeting_both_conditions(start):
    """f(x) = x^4/4 - x from x = 0 along d = 1: the returned step lowers f enough and flattens the slope."""
    f = lambda t: (t**4 / 4 - t, np.array([t**3 - 1]))  # noqa: E731
    loss, grad, step, evaluations = strong_wolfe(f, start, np.array([1.0]), 0.0, np.array([-1.0]), -1.0)
    assert loss <= 0.0 + 1e-4 * step * -1.0  # sufficient decrease
    assert abs(grad[0]) <= 0.9  # |slope| <= c2 |slope at 0|
    assert (loss, grad[0]) == (f(step)[0], f(step)[1][0]) and 1 <= evaluations <= 25


def test_defaults_and_argument_names_equal_torch_s():
    torch = pytest.importorskip("torch")
    ours = nn.optim.LBFGS([Tensor([0.0, 0.0], requires_grad=True)])
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)])
    assert ours.defaults == theirs.defaults and ours.defaults["max_eval"] == 25
    assert list(inspect.signature(nn.optim.LBFGS).parameters) == list(inspect.signature(torch.optim.LBFGS).parameters)
    assert "LBFGS" in nn.optim.__all__
