"""Shared by the benchmark-suite tests: the repository root on sys.path (benchmarks/ is not an
installed package) and TINY, the one-tiny-round timing settings (these tests never time speed)."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # benchmarks/ is not an installed package: run from the repo root
    sys.path.insert(0, ROOT)

from benchmarks.timing import Settings  # noqa: E402

TINY = Settings(rounds=1, block_seconds=0.001, quick=True)
