"""``torch.random``'s seeding functions (also at ``ag.``'s top level, as torch's): ``manual_seed seed initial_seed
get_rng_state set_rng_state``, over the default generator that ``rand``, ``randn``, ``randint`` ... draw from.
A state is numpy's bit-generator state (a dict), opaque as torch's ByteTensor: save it, give it back.

>>> state = ag.random.get_rng_state()
>>> a = ag.rand(2); ag.random.set_rng_state(state)
>>> bool((ag.rand(2) == a).all())
True
"""

from __future__ import annotations

import secrets
from typing import Any

from .sampling import default_generator, manual_seed


def seed() -> int:
    """Seed the default generator from fresh entropy and return that seed, as ``torch.seed``.

    >>> s = seed(); s == initial_seed()
    True
    """
    fresh = secrets.randbits(63)
    manual_seed(fresh)
    return fresh


def initial_seed() -> int:
    """The seed the default generator was last started from, as ``torch.initial_seed``.

    >>> _ = manual_seed(7); initial_seed()
    7
    """
    return default_generator.initial_seed()


def get_rng_state() -> dict[str, Any]:
    """A copy of the default generator's state, for ``set_rng_state``, as ``torch.get_rng_state``.

    >>> isinstance(get_rng_state(), dict)
    True
    """
    return dict(default_generator.rng.bit_generator.state)


def set_rng_state(new_state: dict[str, Any]) -> None:
    """Restore a state ``get_rng_state`` returned, as ``torch.set_rng_state``.

    >>> set_rng_state(get_rng_state())
    """
    if not isinstance(new_state, dict) or "bit_generator" not in new_state:
        raise TypeError(
            f"set_rng_state: expects the dict ag.get_rng_state() returned, got {type(new_state).__name__}; "
            "save the state with state = ag.get_rng_state() first"
        )
    default_generator.rng.bit_generator.state = new_state


__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state"]
