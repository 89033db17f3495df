"""torch's process-wide settings that training scripts set in their first lines: ``set_num_threads`` /
``get_num_threads`` (numpy's BLAS thread pool, through threadpoolctl when it is installed),
``use_deterministic_algorithms`` / ``are_deterministic_algorithms_enabled`` (numpy on the CPU is deterministic
already: the flag is kept and reported), ``set_float32_matmul_precision`` / ``get_float32_matmul_precision``
(nanoGPT's ``'high'``: kept and reported; numpy multiplies float32 in float32), and ``set_anomaly_enabled`` /
``is_anomaly_enabled`` (``detect_anomaly``'s switch, from here on).

>>> ag.use_deterministic_algorithms(True); ag.are_deterministic_algorithms_enabled()
True
"""

from __future__ import annotations

import numbers
from typing import Any

from .grad_mode import is_anomaly_enabled, set_detect_anomaly

_settings: dict[str, Any] = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}
MATMUL_PRECISIONS = ("highest", "high", "medium")


def _threadpoolctl(op: str) -> Any:
    try:
        import threadpoolctl
    except ImportError:
        raise ModuleNotFoundError(
            f"{op}: needs the threadpoolctl package to see numpy's BLAS thread pool (pip install threadpoolctl); "
            "or set OMP_NUM_THREADS before starting Python"
        ) from None
    return threadpoolctl


def get_num_threads() -> int:
    """The threads numpy's BLAS uses for a matrix product, as ``torch.get_num_threads`` (threadpoolctl reads
    it; 1 when numpy has no threaded BLAS).

    >>> get_num_threads() >= 1
    True
    """
    pools = [p for p in _threadpoolctl("get_num_threads").threadpool_info() if p.get("user_api") == "blas"]
    return max((int(p["num_threads"]) for p in pools), default=1)


def set_num_threads(num: int) -> None:
    """Limit numpy's BLAS to ``num`` threads from now on, as ``torch.set_num_threads`` (through threadpoolctl).

    >>> old = get_num_threads(); set_num_threads(1); get_num_threads(); set_num_threads(old)
    1
    """
    if isinstance(num, bool) or not isinstance(num, numbers.Integral) or num < 1:
        raise ValueError(f"set_num_threads: num must be an int >= 1, got {num!r}")
    _threadpoolctl("set_num_threads").threadpool_limits(limits=int(num), user_api="blas")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms, as ``torch.use_deterministic_algorithms``: every op here already is
    (numpy on the CPU, no atomics), so this only records the wish for ``are_deterministic_algorithms_enabled``.

    >>> use_deterministic_algorithms(False); are_deterministic_algorithms_enabled()
    False
    """
    if not isinstance(mode, bool) or not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms: mode and warn_only must be bools, got {mode!r}, {warn_only!r}")
    _settings.update(deterministic=mode, warn_only=warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` was called last, as torch's."""
    return bool(_settings["deterministic"])


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether the last ``use_deterministic_algorithms`` asked ``warn_only=True``, as torch's."""
    return bool(_settings["warn_only"])


def set_float32_matmul_precision(precision: str) -> None:
    """Record float32 matmul's precision, as ``torch.set_float32_matmul_precision`` ('highest', 'high' or
    'medium'): torch may then use TF32 or bfloat16 on a GPU; numpy multiplies float32 in float32 whatever is set.

    >>> set_float32_matmul_precision("high"); get_float32_matmul_precision()
    'high'
    >>> set_float32_matmul_precision("highest")
    """
    if precision not in MATMUL_PRECISIONS:
        raise ValueError(
            f"set_float32_matmul_precision: precision must be one of {MATMUL_PRECISIONS}, got {precision!r}"
        )
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The precision last given to ``set_float32_matmul_precision`` ('highest' at first), as torch's."""
    return str(_settings["matmul_precision"])


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Anomaly detection on or off from here on, as ``torch.set_anomaly_enabled`` (``set_detect_anomaly``'s
    switch; NaN is always checked).

    >>> set_anomaly_enabled(True); is_anomaly_enabled()
    True
    >>> set_anomaly_enabled(False)
    """
    set_detect_anomaly(enabled, check_nan)


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks NaN: whenever it is on, here."""
    return is_anomaly_enabled()


__all__ = ["get_num_threads", "set_num_threads", "use_deterministic_algorithms", "are_deterministic_algorithms_enabled"]
__all__ += ["is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision"]
__all__ += ["get_float32_matmul_precision", "set_anomaly_enabled", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]
