"""Optional peers (torch, JAX, HIPS autograd, micrograd, this project's nn): imported if installed.

A missing peer is reported as missing with the command that installs it; nothing
is ever substituted for it.
"""

import importlib

INSTALL_HINT = "pip install -e '.[bench]' (or make bench)"


class Missing:
    """Stands for a peer that could not be imported; ``reason`` goes into the table."""

    def __init__(self, reason):
        self.reason = reason

    def __bool__(self):
        return False


def optional(module_name, hint=INSTALL_HINT):
    """The imported module, or a falsy ``Missing`` that says why.

    >>> optional("no_such_module_here").reason
    "missing: no module 'no_such_module_here' (pip install -e '.[bench]' (or make bench))"
    """
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        name = getattr(error, "name", None) or module_name
        return Missing(f"missing: no module '{name}' ({hint})")


def torch():
    """torch pinned to one intra-op thread, or Missing."""
    module = optional("torch", "pip install -e '.[oracle]'")
    if module:
        module.set_num_threads(1)
    return module


def jax():
    """jax with 64-bit floats enabled (the float64 cases need them; float32 arrays stay float32),
    or Missing. Import it after ``environment.pin_threads`` so XLA's CPU pool has one thread."""
    module = optional("jax")
    if module:
        module.config.update("jax_enable_x64", True)
        numpy_api = optional("jax.numpy")
        if not numpy_api:
            return numpy_api
    return module


def hips_autograd():
    """HIPS autograd as (autograd, autograd.numpy, autograd.scipy.special), or Missing."""
    module = optional("autograd")
    if not module:
        return module
    numpy_api = optional("autograd.numpy")
    special = optional("autograd.scipy.special", "HIPS autograd's scipy wrappers need scipy")
    return (module, numpy_api, special) if numpy_api and special else (numpy_api or special)


def micrograd_value():
    """micrograd's ``Value`` class, or Missing."""
    module = optional("micrograd.engine")
    return module.Value if module else module


def nn_library():
    """This project's ``nn`` if it offers what the MLP workload uses, else Missing naming the gap."""
    module = optional("nn", "this project's nn package")
    if not module:
        return module
    needed = ("Linear", "Sequential", "ReLU", "MLP", "optim")
    absent = [name for name in needed if not hasattr(module, name)]
    functional = optional("nn.functional", "nn.functional")
    if not functional or not hasattr(functional, "cross_entropy"):
        absent.append("functional.cross_entropy")
    return Missing("missing: nn lacks " + ", ".join(absent)) if absent else module
