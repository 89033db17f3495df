"""benchmarks.versus_nn: the old nn imported beside the new one, every step timed for both."""

import os
import re
import sys

import nn
from benchmarks import versus_nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_versus_nn_times_both_versions_of_every_step(capsys):
    versus_nn.main([ROOT, "--rounds", "2"])
    assert sys.modules["nn_old"] is not nn and sys.modules["nn_old"].MLP is not nn.MLP  # a second copy
    rows = capsys.readouterr().out.splitlines()[1:]
    assert len(rows) == 12 and any(r.startswith("compiled 64-32-10 float32 Adam") for r in rows)
    for row in rows:
        old, new, ratio = re.search(r"(\d+\.\d) +(\d+\.\d) +(\d+\.\d+) \[", row).groups()
        assert float(old) > 0 and float(new) > 0 and 0 < float(ratio) < 100
