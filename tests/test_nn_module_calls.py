"""Module calls: scopes from cached names that follow every change of the tree, copies, threads,
exceptions, and the scope entered by hand (``enter_scope``/``exit_scope``)."""

import copy
import threading

import numpy as np
import pytest

import autograd_core as ag
import nn
from autograd_core import Tensor
from autograd_core.grad_mode import current_switches, enter_scope, exit_scope
from nn.module import Module, _calls


class Scale(nn.Module):
    """One op (and one parameter), so its output's scope is the scope it ran in."""

    def __init__(self):
        super().__init__()
        self.w = Tensor(np.full(2, 2.0), requires_grad=True)

    def forward(self, x):
        return x * self.w


class CallsAttribute(nn.Module):
    """Calls whatever module its attribute ``target`` names (it need not be a child)."""

    def __init__(self, target):
        super().__init__()
        self.target = target

    def forward(self, x):
        return getattr(self, self.target)(x)


def scope_of_call(root):
    return root(np.ones(2)).scope


def test_a_child_moved_to_another_name_is_scoped_by_its_new_name():
    root = CallsAttribute("first")
    root.first = Scale()
    assert scope_of_call(root) == "first"
    child = root.first
    del root.first
    root.second = child  # the same object, so the same id(): the old name must not be reused
    root.target = "second"
    assert scope_of_call(root) == "second"


def test_a_child_replaced_deep_in_the_tree_gets_its_path():
    root = CallsAttribute("inner")
    root.inner = CallsAttribute("leaf")
    root.inner.leaf = Scale()
    assert scope_of_call(root) == "inner.leaf"
    root.inner.other = Scale()
    root.inner.target = "other"
    assert scope_of_call(root) == "inner.other"


def test_a_grandchild_called_directly_a_shared_child_and_a_stranger():
    class CallsGrandchild(nn.Module):
        def __init__(self):
            super().__init__()
            self.block = nn.Sequential(Scale())

        def forward(self, x):
            return self.block[0](x)

    assert scope_of_call(CallsGrandchild()) == "block.0"
    root = CallsAttribute("b")
    root.a = root.b = Scale()  # one module under two names: its first name, as named_modules()
    assert scope_of_call(root) == "a"
    stranger = CallsAttribute("outsider")
    object.__setattr__(stranger, "outsider", Scale())  # an attribute, not a registered child
    assert scope_of_call(stranger) is None
    with ag.scope("outer"):
        assert scope_of_call(stranger) == "outer"  # a stranger's ops keep the caller's scope


def test_names_are_found_once_per_change_of_the_tree(monkeypatch):
    searches = []
    find = Module._find_descendant_names
    monkeypatch.setattr(Module, "_find_descendant_names", lambda self: searches.append(self) or find(self))
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Sequential(nn.ReLU(), nn.Linear(3, 2, seed=0)))
    for _ in range(5):
        model(np.ones((1, 2)))
    assert searches == [model, model[1]]  # each caller once, not once per call
    model[1].append(nn.ReLU())
    for _ in range(5):
        out = model(np.ones((1, 2)))
    assert searches[2:] == [model, model[1]]
    assert out.scope == "1.2"
    mlp = nn.MLP([2, 3, 2], seed=0)  # calls its Sequential's layers itself: one caller
    for _ in range(5):
        mlp(np.ones((1, 2)))
    assert searches[4:] == [mlp]


def test_a_deep_copy_gets_the_scopes_of_its_own_modules():
    model = nn.MLP([2, 3, 2], seed=0)
    model(np.ones((1, 2)))  # the original's names are found (by id of the original's modules)
    twin = copy.deepcopy(model)
    assert twin.layers[0] is not model.layers[0]
    scopes = {t.scope for t in ag.walk(twin(np.ones((1, 2)))) if t.op is not None}
    assert scopes == {"layers.0", "layers.1", "layers.2"}


def test_two_threads_in_one_model_each_keep_their_own_scopes_and_call_stack():
    both_inside = threading.Barrier(2, timeout=10)

    class Meet(nn.Module):
        def forward(self, x):
            both_inside.wait()  # each thread is inside the other's module call here
            return Tensor(x) * 1.0

    root = CallsAttribute("meet")
    root.meet = Meet()
    seen, errors = {}, []

    def run(outer):
        try:
            with ag.scope(outer):
                seen[outer] = [scope_of_call(root) for _ in range(3)]
            seen[outer].append((current_switches().scope, list(_calls.stack)))
        except Exception as error:  # noqa: BLE001 (reported by the main thread)
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert seen == {"A": ["A.meet"] * 3 + [(None, [])], "B": ["B.meet"] * 3 + [(None, [])]}


def test_an_exception_deep_inside_leaves_no_scope_and_no_caller_behind():
    class Fails(nn.Module):
        def forward(self, x):
            raise RuntimeError("inside")

    root = CallsAttribute("inner")
    root.inner = CallsAttribute("fails")
    root.inner.fails = Fails()
    with ag.scope("outer"), pytest.raises(RuntimeError, match="inside"):
        root(np.ones(2))
    assert current_switches().scope is None and _calls.stack == []
    model = nn.MLP([2, 3, 2], seed=0)
    out = model(np.ones((1, 2)))  # a root again: no scope of its own, its children's paths
    assert out.scope == "layers.2" and model.layers[0].weight.label == "layers.0.weight"


def test_enter_scope_nests_and_exit_scope_restores():
    with ag.scope("outer"):
        previous = enter_scope("inner")
        try:
            assert (Tensor([1.0]) * 2).scope == "outer.inner"
            again = enter_scope("0")
            inside = current_switches()
            assert inside.scope == "outer.inner.0"
            exit_scope(again)
            assert enter_scope("0") is again and current_switches() is inside  # made once, kept
            exit_scope(again)
        finally:
            exit_scope(previous)
        assert previous.scope == "outer" and current_switches().scope == "outer"
    assert current_switches().scope is None
