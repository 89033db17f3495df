"""Shared test settings: the hypothesis profiles, and which tests are marked slow.

``ci`` (the default) keeps the property tests fast: no per-example deadline (the first
call of a case pays numpy's warm-up, and a shared 2-core machine is noisy) and a modest
number of examples. ``HYPOTHESIS_PROFILE=thorough python -m pytest`` searches harder.
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, max_examples=25, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", deadline=None, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Tests over ~3 s on 2 shared cores (`--durations=40`, full suite, 2026-11-29), marked `slow`
# here in one place so `make test-fast` (-m "not slow") stays under a minute. The first torch
# test (~7 s) is not listed: it pays torch's import, which then moves to the next one.
SLOW = {
    "test_engine_mechanics.py::test_stacking_many_scalars_backward_is_exact": "93 s",
    "test_engine_mechanics.py::test_a_node_with_a_hundred_thousand_consumers": "5.7 s",
    "test_engine_mechanics.py::test_a_chain_of_a_million_ops": "4.9 s",
    "test_tutorials.py::test_tutorial_runs_and_writes_its_images[06-training-in-practice.md]": "59 s (90 s before)",
    "test_tutorials.py::test_tutorial_runs_and_writes_its_images[05-deep-networks-delta-rule.md]": "15 s",
    "test_tutorials.py::test_tutorial_runs_and_writes_its_images[01-cs231n-circuit.md]": "5.2 s",
    "test_tutorials.py::test_tutorial_runs_and_writes_its_images[02-two-layer-regression.md]": "4.9 s",
    "test_viz_graph.py::test_a_million_node_chain_draws_without_recursion": "17 s",
    "test_nn_cli.py::test_two_epochs_write_model_history_and_curves": "11 s",
    "test_nn_cli.py::test_load_data_standardises_with_training_statistics_only": "5.4 s",
    "test_nn_cli.py::test_moons_run_and_default_out_folder": "3.7 s",
    "test_readme.py::test_the_quick_tour_runs_and_prints_its_stated_outputs": "6.1 s",
    "test_benchmarks.py::test_memory_worker_is_flat_for_the_hand_written_network": "3.5 s",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if f"{item.path.name}::{item.name}" in SLOW:
            item.add_marker(pytest.mark.slow)
