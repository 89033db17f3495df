"""Benchmarks: autograd_core against a hand-written numpy network and its peers.

Run ``python -m benchmarks.run`` (or ``make bench``); see ``benchmarks/README.md``.
This package imports nothing at load time, so ``benchmarks.environment.pin_threads()``
can set the BLAS thread variables before numpy is first imported.
"""
