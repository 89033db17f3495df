"""autograd_core.buffers: lifetimes read from generated code, and slots shared by disjoint lifetimes.

The oracle for share() is the definition: no two buffers in one slot are live at one statement
(except the one in-place case), checked by brute force on random intervals; for lifetimes() the
statements that name a buffer or a value living in it, written out by hand.
"""

import numpy as np
import pytest

from autograd_core.buffers import Lifetime, lifetimes, share

NUMPY = vars(np)


def life(first, last, key="f4", in_place=False):
    return Lifetime(key, first, last, in_place)


def test_disjoint_lifetimes_share_a_slot_and_overlapping_ones_do_not():
    slots = share({"a": life(0, 2), "b": life(3, 5), "c": life(1, 4), "d": life(5, 6)})
    assert slots["a"] == slots["b"]  # 0-2 then 3-5
    assert len({slots["a"], slots["c"]}) == 2 and len({slots["b"], slots["c"]}) == 2
    assert slots["d"] != slots["b"] and slots["d"] == slots["c"]  # d starts where b ends: c's slot is free


def test_only_buffers_of_one_key_share():
    slots = share({"a": life(0, 1, key=((2, 3), "f4")), "b": life(2, 3, key=((3, 2), "f4"))})
    assert slots["a"] != slots["b"]
    slots = share({"a": life(0, 1, key=((2, 3), "f4")), "b": life(2, 3, key=((2, 3), "f8"))})
    assert slots["a"] != slots["b"]


def test_in_place_takes_the_slot_of_an_operand_read_last_on_its_first_statement():
    assert share({"a": life(0, 1), "b": life(1, 2, in_place=True)}) == {"a": 0, "b": 0}
    assert share({"a": life(0, 1), "b": life(1, 2)}) == {"a": 0, "b": 1}  # not in place: overlapping
    # a buffer used on one statement only cannot be written over on that same statement
    assert share({"a": life(1, 1), "b": life(1, 2, in_place=True)}) == {"a": 0, "b": 1}


@pytest.mark.parametrize("seed", range(20))
def test_random_intervals_never_share_while_both_live_and_use_the_fewest_slots(seed):
    rng = np.random.default_rng(seed)
    lives = {}
    for k in range(40):
        first = int(rng.integers(0, 60))
        lives[f"b{k}"] = life(first, first + int(rng.integers(0, 12)), key=int(rng.integers(0, 2)))
    slots = share(lives)
    for x, a in lives.items():
        for y, b in lives.items():
            if x < y and slots[x] == slots[y]:
                assert a.key == b.key and (a.last < b.first or b.last < a.first), (x, a, y, b)
    for key in (0, 1):  # greedy by first use is optimal for intervals: slots == the most live at once
        mine = [a for a in lives.values() if a.key == key]
        most = max((sum(a.first <= t <= a.last for a in mine) for t in range(80)), default=0)
        assert len({slots[x] for x, a in lives.items() if a.key == key}) == most


def test_lifetimes_follow_views_and_end_at_the_last_read():
    lines = [
        "    t1 = matmul(a0, l0, buf_0)",
        "    t2 = t1.T",  # a view: buf_0 lives as long as t2 is read
        "    t3 = exp(l1, buf_1)",
        "    t4 = multiply(t2, 2.0, buf_2)",
        "    return t4",
    ]
    found = lifetimes(lines, {"buf_0": "k", "buf_1": "k", "buf_2": "k"}, NUMPY)
    assert found["buf_0"] == Lifetime("k", 0, 3, True)
    assert found["buf_1"] == Lifetime("k", 2, 2, True)
    assert found["buf_2"] == Lifetime("k", 3, 4, True)


def test_a_call_that_is_not_a_ufunc_may_return_a_view_of_any_operand():
    lines = ["t1 = exp(a0, buf_0)", "t2 = K1(t1, 3)", "t3 = add(a0, 1.0, buf_1)", "t4 = negative(t2, buf_2)"]
    found = lifetimes(lines, {f"buf_{k}": "k" for k in range(3)}, dict(NUMPY, K1=np.reshape))
    assert found["buf_0"].last == 3  # t2 may be t1 reshaped: buf_0 is read through it on the last line
    # a ufunc's result is its out= (or new), never a view of an input: t3 does not extend buf_0
    assert lifetimes(["t1 = exp(a0, buf_0)", "t2 = add(t1, 1.0)", "x = t2"], {"buf_0": "k"}, NUMPY)["buf_0"].last == 1


def test_in_place_is_recognised_only_where_no_operand_is_read_after_the_write():
    keys = {"buf_0": "k", "buf_1": "k"}
    cases = {
        "y = add(t1, t2, buf_0)": True,
        "y = maximum(t1, 0, out=buf_0)": True,
        "y = matmul(t1.T, t2, buf_0).T": True,
        "y = multiply(t1, greater(t2, 0), buf_0) if c else multiply(t1, where(t2, 1, 0), buf_0)": True,
        "y = add.reduce(t1, (0,), None, buf_0, True)": True,
        "y = K9(t1, add(t1, 1, buf_0))": False,  # K9 reads t1 after add wrote buf_0
        "y = add(t1, add(t2, 1, buf_1), buf_0)": True,
        "buf_0[...] = t1": False,
        "y = add(buf_0, t1, buf_0)": False,
        "y = add(t1, t2, buf_0) if t1 is buf_0 else t1": False,
    }
    for line, expected in cases.items():
        assert lifetimes([line], keys, dict(NUMPY, K9=np.add.outer))["buf_0"].in_place is expected, line
