"""Grad mode, anomaly mode and scopes: re-entrant, per thread, restored exactly on every way out."""

import threading

import pytest

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.grad_mode import current_switches


def records():
    return (Tensor(1.0, requires_grad=True) * 2).requires_grad


# (make a fresh switch, read the switch it sets, the value inside it, another value to start from)
SWITCHES = {
    "no_grad": (ag.no_grad, ag.is_grad_enabled, False, True),
    "enable_grad": (ag.enable_grad, ag.is_grad_enabled, True, False),
    "set_grad_enabled(False)": (lambda: ag.set_grad_enabled(False), ag.is_grad_enabled, False, True),
    "set_grad_enabled(True)": (lambda: ag.set_grad_enabled(True), ag.is_grad_enabled, True, False),
    "detect_anomaly": (ag.detect_anomaly, lambda: current_switches().anomaly, True, False),
    "detect_anomaly(False)": (lambda: ag.detect_anomaly(False), lambda: current_switches().anomaly, False, True),
}


def start_from(name, value):
    """A block that puts the switch read by SWITCHES[name] at ``value``."""
    return ag.detect_anomaly(value) if "anomaly" in name else ag.set_grad_enabled(value)


@pytest.mark.parametrize("name", SWITCHES)
@pytest.mark.parametrize("outside", [True, False])
def test_a_recursive_decorated_function_restores_the_state_of_each_caller(name, outside):
    make, read, inside, _ = SWITCHES[name]
    seen = []

    @make()
    def recurse(depth):
        seen.append(read())
        if depth:
            recurse(depth - 1)
        seen.append(read())

    with start_from(name, outside):
        recurse(3)
        assert read() is outside
    assert seen == [inside] * 8
    assert ag.is_grad_enabled() and not current_switches().anomaly


@pytest.mark.parametrize("name", SWITCHES)
def test_two_threads_in_one_decorated_function_each_get_their_own_state_back(name):
    make, read, inside, _ = SWITCHES[name]
    both_inside = threading.Barrier(2, timeout=5)
    first_entered = threading.Event()
    seen = {}

    @make()
    def work(who):
        seen[who, "inside"] = read()
        if who == "first":
            first_entered.set()
        both_inside.wait()

    def first():  # enters first, from the thread's default state
        default = read()
        work("first")
        seen["first", "after"] = (default, read())

    def second():  # enters while the first is inside, from the state a new thread does not start in
        other = not read()
        with start_from(name, other):
            first_entered.wait(5)
            work("second")
            seen["second", "after"] = (other, read())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["first", "inside"] is inside and seen["second", "inside"] is inside
    default, after = seen["first", "after"]
    assert after is default
    other_before, other_after = seen["second", "after"]
    assert other_after is other_before
    assert ag.is_grad_enabled() and not current_switches().anomaly


@pytest.mark.parametrize("name", SWITCHES)
def test_an_exception_restores_the_state_at_every_level(name):
    make, read, inside, other = SWITCHES[name]

    @make()
    def fail_at_the_bottom(depth):
        if depth:
            return fail_at_the_bottom(depth - 1)
        raise KeyError("bottom")

    for outside in (inside, other):
        with start_from(name, outside):
            with pytest.raises(KeyError):
                fail_at_the_bottom(4)
            assert read() is outside
            with pytest.raises(KeyError), make():
                raise KeyError("with block")
            assert read() is outside


def test_a_decorated_generator_runs_each_step_in_its_mode_and_gives_the_caller_its_own():
    @ag.no_grad()
    def steps():
        got = yield records()
        yield records(), got
        return "done"

    g = steps()
    assert ag.is_grad_enabled()  # nothing ran yet
    assert next(g) is False  # the step ran under no_grad
    assert ag.is_grad_enabled() and records()  # the caller records between steps
    with ag.no_grad():
        assert g.send("sent") == (False, "sent")
        assert not ag.is_grad_enabled()  # ... and keeps its own no_grad
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "done" and ag.is_grad_enabled()


def test_a_decorated_generator_can_be_thrown_into_closed_and_delegated_to():
    seen = []

    @ag.enable_grad()
    def steps():
        try:
            yield 1
        except ValueError:
            seen.append(("caught", ag.is_grad_enabled()))
            yield 2
        finally:
            seen.append(("finally", ag.is_grad_enabled()))

    with ag.no_grad():
        g = steps()
        assert next(g) == 1 and g.throw(ValueError("x")) == 2
        assert not ag.is_grad_enabled()
        g.close()
        assert not ag.is_grad_enabled()
    assert seen == [("caught", True), ("finally", True)]

    @ag.no_grad()
    def counted():
        yield from range(3)
        return ag.is_grad_enabled()

    def outer():
        result = yield from counted()
        yield result

    assert list(outer()) == [0, 1, 2, False] and ag.is_grad_enabled()

    @ag.no_grad()
    def empty():
        return "nothing"
        yield

    assert list(empty()) == [] and ag.is_grad_enabled()


def test_nested_mixing_of_decorators_blocks_and_one_reused_object():
    off = ag.no_grad()
    trace = []

    @ag.enable_grad()
    def on(depth):
        trace.append(("on", ag.is_grad_enabled()))
        with off:  # the same object entered again at every level
            trace.append(("off", ag.is_grad_enabled()))
            if depth:
                with ag.detect_anomaly():
                    off_again(depth - 1)
            trace.append(("off after", ag.is_grad_enabled()))
        trace.append(("on after", ag.is_grad_enabled()))

    @off
    def off_again(depth):
        trace.append(("decorated off", ag.is_grad_enabled(), current_switches().anomaly))
        on(depth)

    with ag.no_grad():
        on(2)
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled() and not current_switches().anomaly
    assert trace[:3] == [("on", True), ("off", False), ("decorated off", False, True)]
    assert [t for t in trace if t[0] == "on after"] == [("on after", True)] * 3
    assert [t for t in trace if t[0] == "off after"] == [("off after", False)] * 3


def test_one_scope_object_entered_twice_nests_and_unwinds():
    s = ag.scope("block")
    with s:
        with s:
            assert (Tensor(1.0, requires_grad=True) * 2).scope == "block.block"
        assert current_switches().scope == "block"
    assert current_switches().scope is None


@pytest.mark.parametrize("switch, inside", [(ag.no_grad, False), (ag.enable_grad, True)])
def test_no_grad_and_enable_grad_decorate_without_parentheses_as_torch(switch, inside):
    @switch  # `@torch.no_grad` works in PyTorch 2; here it was a TypeError
    def step(x):
        """Doubles x."""
        return ag.is_grad_enabled(), x * 2

    @switch
    def steps(x):
        yield ag.is_grad_enabled()

    with ag.set_grad_enabled(not inside):
        enabled, y = step(Tensor(1.0, requires_grad=True))
        assert enabled is inside and y.requires_grad is inside and next(steps(0)) is inside
        assert ag.is_grad_enabled() is not inside  # the caller's mode, given back
    assert step.__name__ == "step" and step.__doc__ == "Doubles x."
    assert isinstance(switch(), switch)  # with parentheses: the context manager itself, as before


def test_asyncio_tasks_each_keep_their_own_mode_and_to_thread_starts_from_the_callers():
    import asyncio

    async def task(name, mode, ready, seen):
        with ag.set_grad_enabled(mode), ag.scope(name):
            ready.set()
            await asyncio.sleep(0.01)  # the other task runs its block meanwhile
            seen[name] = (ag.is_grad_enabled(), records(), (Tensor(1.0) * 2).scope)

    def in_worker_thread():
        inherited = ag.is_grad_enabled()
        with ag.enable_grad():  # changes made here stay here
            return inherited, records()

    async def main():
        seen = {}
        a_ready, b_ready = asyncio.Event(), asyncio.Event()
        await asyncio.gather(task("a", False, a_ready, seen), task("b", True, b_ready, seen))
        with ag.no_grad():
            worker = await asyncio.to_thread(in_worker_thread)
            after = ag.is_grad_enabled()
        return seen, worker, after

    seen, worker, after = asyncio.run(main())
    assert seen == {"a": (False, False, "a"), "b": (True, True, "b")}
    assert worker == (False, True) and after is False  # the caller's no_grad went with it; enable_grad stayed there
    assert ag.is_grad_enabled() and current_switches().scope is None


def test_backward_records_nothing_and_gives_the_callers_mode_back_even_when_a_hook_raises():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    modes = []
    h.register_hook(lambda g: modes.append(ag.is_grad_enabled()))
    (h * h).sum().backward()
    y = x * 3

    def fail(g):
        raise ValueError("hook failed")

    y.register_hook(fail)
    with pytest.raises(ValueError, match="hook failed"):
        (y * y).sum().backward()
    assert modes == [False] and ag.is_grad_enabled()
    loss = (x * 5).sum()
    with ag.no_grad():  # a caller's no_grad survives a backward (which sets its own mode and puts it back)
        loss.backward()
        assert not ag.is_grad_enabled() and not records()


def test_a_truthy_create_graph_does_not_become_the_mode_of_a_later_plain_backward():
    # backward keeps the switches it runs under (grad on or off) once made: a create_graph given as 1
    # must not be the mode a later plain backward runs its hooks in
    x = Tensor(2.0, requires_grad=True)
    modes = []
    y = x * x
    y.register_hook(lambda g: modes.append(ag.is_grad_enabled()))
    y.backward(create_graph=1)
    z = x * 3
    z.register_hook(lambda g: modes.append(ag.is_grad_enabled()))
    z.backward()
    assert modes == [True, False] and ag.is_grad_enabled()
