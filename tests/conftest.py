"""Shared test settings: the hypothesis profiles, which tests are marked slow or serial, and the
fixtures several test files use (no_cyclic_gc, one_blas_thread).

``ci`` (the default) keeps the property tests fast: no per-example deadline (the first
call of a case pays numpy's warm-up, and a shared 2-core machine is noisy) and a modest
number of examples. ``HYPOTHESIS_PROFILE=thorough python -m pytest`` searches harder.
"""

import gc
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", deadline=None, max_examples=25, print_blob=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", deadline=None, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# Tests over ~2 s on 2 cores (`--durations=30`, full suite under xdist, 2026-11-29 20:50), marked
# `slow` here in one place so `make test-fast` (-m "not slow") stays under a minute.
SLOW = {
    "test_tutorials.py::test_tutorial_runs_and_writes_its_images[06-training-in-practice.md]": "15 s",
    "test_tutorials.py::test_tutorial_runs_and_writes_its_images[05-deep-networks-delta-rule.md]": "2.9 s",
    "test_viz_graph.py::test_a_million_node_chain_draws_without_recursion": "7.7 s",
    "test_nn_train_resume.py::test_a_run_stopped_by_sigterm_resumes_to_the_same_weights": "7.3 s",
    "test_nn_train_resume.py::test_three_epochs_then_resumed_to_eight_equal_eight": "2.1 s",
    "test_cli_fuzz.py::test_random_flags_end_in_exit_0_1_or_2_without_traceback_or_half_written_files": "7.2 s",
    "test_engine_scale.py::test_a_chain_of_a_million_ops": "3.7 s",
    "test_engine_scale.py::test_a_node_with_a_hundred_thousand_consumers": "2.0 s",
    "test_benchmarks_checks.py::test_the_readme_idioms_and_jax_pass_the_gradient_check": "2.7 s",
    "test_benchmarks_workers.py::test_memory_worker_is_flat_for_the_hand_written_network": "2.6 s",
    "test_notebook.py::test_the_notebook_runs_in_a_real_kernel_with_rich_outputs_and_no_warnings": "2.6 s",
    "test_nn_train_signals.py::test_an_interrupted_run_with_early_stopping_saves_the_best_epochs_model": "2.5 s",
    "test_nn_search.py::test_cli_on_a_dask_scheduler_gives_the_sequential_table": "2.4 s",
    "test_nn_cli.py::test_runs_in_the_same_second_get_their_own_folders": "2.3 s",
    "test_grokking_ports_rnn.py::test_the_adder_prints_the_blog_s_errors_and_adds_held_out_pairs_exactly": "3.2 s",
    "test_grokking_ports.py::test_part_1_three_layer_net_prints_the_blog_s_errors_and_outputs": "2.8 s",
    "test_minitorch_ports_nn.py::test_4_5_the_lenet_like_network_learns_the_digits_and_dropout_is_off_in_eval": "1.6 s"
    " alone, 2.9-4.0 s on a loaded 2-core machine",
    "test_stevens_ports_training.py::test_5_5_sgd_is_the_hand_update_and_adam_ends_at_the_books_parameters": "2.8 s",
    "test_stevens_ports_convnets.py::test_8_4_the_books_loop_learns_the_birds_and_survives_save_and_load": "2.9 s",
}

# Tests that compare times measured in one run (a ratio): `make test` runs them on their own,
# after the parallel pass, so a test on the other core does not skew one side of the ratio.
SERIAL = {
    "test_engine_scale.py::test_stacking_many_scalars_backward_is_exact_and_linear_in_the_number_of_inputs",
    "test_benchmarks_timing.py::test_the_cpu_clock_does_not_count_waiting",
    "test_engine_slices.py::test_many_slices_backward_is_linear_in_their_number",
    "test_compile_slices.py::test_a_replay_through_many_slices_is_linear_in_their_number",
}


@pytest.fixture
def no_cyclic_gc():
    """Only reference counting frees objects here: a graph that outlives its root needs a cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@pytest.fixture(scope="module")
def one_blas_thread():
    """These tiny matrices gain nothing from BLAS threads, and OpenBLAS's spin-waiting threads slow
    down tenfold when the cores are shared (as with pytest -n or other jobs): use one."""
    from nn.train import blas_threads

    with blas_threads(1):
        yield


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = f"{item.path.name}::{item.name}"
        if name in SLOW:
            item.add_marker(pytest.mark.slow)
        if name in SERIAL:
            item.add_marker(pytest.mark.serial)
