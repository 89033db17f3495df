"""``torch.testing``'s checks (``ag.testing``), so a notebook's or a book port's ``torch.testing.assert_close(got,
expected)`` reads unchanged: the values compared within torch's default tolerances for the dtype (float64: rtol
and atol 1e-7; float32: rtol 1.3e-6, atol 1e-5; integers and bools exactly), the shapes and (unless
``check_dtype=False``) the dtypes first, and torch's report of what differs.

>>> assert_close(Tensor([1.0, 2.0]), Tensor([1.0, 2.0 + 1e-9]))
>>> assert_close(Tensor([1.0, 2.0]), Tensor([1.0, 2.5]))
Traceback (most recent call last):
AssertionError: Tensor-likes are not close!
<BLANKLINE>
Mismatched elements: 1 / 2 (50.0%)
Greatest absolute difference: 0.5 at index (1,) (up to 1e-07 allowed)
Greatest relative difference: 0.2 at index (1,) (up to 1e-07 allowed)
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["assert_close"]

# torch's defaults (torch.testing._comparison), by dtype: (rtol, atol)
_TOLERANCES = {
    np.dtype(np.float16): (1e-3, 1e-5),
    np.dtype(np.float32): (1.3e-6, 1e-5),
    np.dtype(np.float64): (1e-7, 1e-7),
    np.dtype(np.complex64): (1.3e-6, 1e-5),
    np.dtype(np.complex128): (1e-7, 1e-7),
}


def assert_close(
    actual: Any,
    expected: Any,
    *,
    allow_subclasses: bool = True,
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
    check_device: bool = True,
    check_dtype: bool = True,
    check_layout: bool = True,
    check_stride: bool = False,
    msg: str | None = None,
) -> None:
    """Raise an AssertionError unless ``actual`` and ``expected`` are close: |actual - expected| <= atol + rtol *
    |expected| elementwise, as ``torch.testing.assert_close``. Both are Tensors (or numpy arrays), or both
    numbers, or sequences or mappings of them compared item by item. Give ``rtol`` and ``atol`` together (or
    neither: the dtype's defaults); ``msg`` replaces the report. Device, layout and stride checks have nothing
    to check here (one CPU device, dense arrays) and are accepted for torch's signature.

    >>> assert_close(ag.tensor([0.1 + 0.2]), ag.tensor([0.3]))
    >>> assert_close([1.0, (2, 3)], [1.0, (2, 3)])
    """
    if (rtol is None) != (atol is None):
        raise ValueError(
            f"assert_close: give both rtol and atol or neither (the dtype's defaults), got rtol={rtol}, atol={atol}"
        )
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, "")


def _compare(
    actual: Any,
    expected: Any,
    rtol: float | None,
    atol: float | None,
    equal_nan: bool,
    check_dtype: bool,
    msg: str | None,
    where: str,
) -> None:
    arrays = (Tensor, np.ndarray, np.generic)
    if isinstance(actual, arrays) and isinstance(expected, arrays):
        _compare_arrays(np.asarray(_values(actual)), np.asarray(_values(expected)), rtol, atol, equal_nan,
                        check_dtype, msg, where)  # fmt: skip
    elif _is_number(actual) and _is_number(expected):
        if check_dtype and type(actual) is not type(expected):
            raise AssertionError(f"The (d)types do not match: {type(actual)} != {type(expected)}.{_item(where)}")
        _compare_arrays(np.asarray(actual), np.asarray(expected), rtol, atol, equal_nan, False, msg, where)
    elif isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match: {sorted(map(str, actual))} != "
                                 f"{sorted(map(str, expected))}.{_item(where)}")  # fmt: skip
        for key in actual:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype, msg, f"{where}[{key!r}]")
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
                                 f"{_item(where)}")  # fmt: skip
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_dtype, msg, f"{where}[{i}]")
    else:
        raise TypeError(
            f"assert_close: cannot compare a {type(actual).__name__} with a {type(expected).__name__}"
            f"{' at item ' + where if where else ''}: both must be Tensors (or arrays), both numbers, or both "
            "sequences or mappings of them; wrap a number as ag.tensor(x) to compare it with a tensor"
        )


def _item(where: str) -> str:
    return f"\n\nThe failure occurred for item {where}" if where else ""


def _values(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, np.generic)


def _is_sequence(x: Any) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, str)


def _compare_arrays(
    actual: np.ndarray,
    expected: np.ndarray,
    rtol: float | None,
    atol: float | None,
    equal_nan: bool,
    check_dtype: bool,
    msg: str | None,
    where: str,
) -> None:
    if actual.shape != expected.shape:
        raise AssertionError(
            f"The values for attribute 'shape' do not match: {actual.shape} != {expected.shape}.{_item(where)}"
        )
    if check_dtype and actual.dtype != expected.dtype:
        raise AssertionError(
            f"The values for attribute 'dtype' do not match: {actual.dtype} != {expected.dtype}.{_item(where)}"
        )
    exact = actual.dtype.kind in "biu" and expected.dtype.kind in "biu"
    if rtol is None or atol is None:  # the less precise dtype's defaults (integers and bools: exactly), as torch's
        rtol, atol = max(_TOLERANCES.get(actual.dtype, (0.0, 0.0)), _TOLERANCES.get(expected.dtype, (0.0, 0.0)))
    common = np.complex128 if np.iscomplexobj(actual) or np.iscomplexobj(expected) else np.float64
    a, e = actual.astype(common), expected.astype(common)
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    if msg is not None:
        raise AssertionError(msg)
    with np.errstate(divide="ignore", invalid="ignore"):
        abs_diff = np.where(close, 0.0, np.abs(a - e))
        rel_diff = np.where(close, 0.0, abs_diff / np.abs(e))
    verb, limits = ("equal", ("", "")) if exact else ("close", (f" (up to {atol} allowed)", f" (up to {rtol} allowed)"))

    def number(x: Any) -> Any:
        return int(x) if exact else float(x)

    if a.ndim == 0:
        lines = [f"Scalars are not {verb}!", "", f"Expected {expected.item()} but got {actual.item()}.",
                 f"Absolute difference: {number(abs_diff)}{limits[0]}",
                 f"Relative difference: {float(rel_diff)}{limits[1]}"]  # fmt: skip
    else:
        mismatched = int((~close).sum())
        lines = [f"Tensor-likes are not {verb}!", "",
                 f"Mismatched elements: {mismatched} / {a.size} ({100 * mismatched / a.size:.1f}%)"]  # fmt: skip
        for name, diff, limit, as_number in (("absolute", abs_diff, limits[0], number), ("relative", rel_diff,
                                             limits[1], float)):  # fmt: skip
            worst = np.where(np.isnan(diff), np.inf, diff)  # a NaN is the worst difference, as torch reports it
            at = np.unravel_index(int(np.argmax(worst)), a.shape)
            lines.append(f"Greatest {name} difference: {as_number(diff[at])} at index "
                         f"{tuple(int(i) for i in at)}{limit}")  # fmt: skip
    raise AssertionError("\n".join(lines) + _item(where))
