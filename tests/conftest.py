"""Shared test settings: the hypothesis profiles.

``ci`` (the default) keeps the property tests fast: no per-example deadline (the first
call of a case pays numpy's warm-up, and a shared 2-core machine is noisy) and a modest
number of examples. ``HYPOTHESIS_PROFILE=thorough python -m pytest`` searches harder.
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", deadline=None, max_examples=25, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
