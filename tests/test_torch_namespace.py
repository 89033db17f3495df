"""The everyday ``torch.X`` names ``ag`` lacked (``dir(torch)`` minus ``dir(ag)``): ``ag.sign`` first (the Tensor
had ``.sign()``, the namespace an AttributeError), ``isin isreal rsub t detach broadcast_tensors chain_matmul trapz
vander unravel_index``, the creators ``scalar_tensor asarray frombuffer logspace range``, the dtype questions
``finfo iinfo promote_types result_type can_cast Size``, the thread count, the windows, and the in-place
spellings (``ag.relu_(x)``). Each is checked against numpy or a closed form, its gradient by finite differences
where it has one, and its refusal of bad input; torch, where installed, is a second oracle.
"""

from __future__ import annotations

import array
import sys

import numpy as np
import pytest

import autograd_core as ag

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4))


def test_sign_is_in_the_namespace_and_has_a_zero_gradient():
    x = ag.tensor([-2.5, 0.0, 3.0], requires_grad=True)
    assert ag.sign(x).tolist() == [-1.0, 0.0, 1.0]
    assert np.array_equal(ag.sign(A).numpy(), np.sign(A))  # numpy data too, as torch.sign takes tensors
    (ag.sign(x) * x).sum().backward()  # d/dx (sign(x) x) = sign(x): sign itself contributes nothing
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]


def test_isin_matches_numpy_and_inverts():
    elements, tests = ag.tensor([[1, 2, 3], [4, 5, 6]]), ag.tensor([2, 6, 9])
    assert np.array_equal(ag.isin(elements, tests).numpy(), np.isin(elements.numpy(), [2, 6, 9]))
    assert ag.isin(elements, tests, invert=True).tolist() == [[True, False, True], [True, True, False]]
    assert ag.isin(ag.tensor([1.5, 2.0]), 2.0).tolist() == [False, True]  # a number as the test set
    assert ag.isin(3, ag.tensor([1, 3])).item() is True  # and as the element
    with pytest.raises(TypeError, match="isin: test_elements must be numbers"):
        ag.isin(elements, np.array([object()]))


def test_isreal_t_detach_rsub():
    assert ag.isreal(A).numpy().all()
    assert ag.t(ag.tensor(A)).shape == (4, 3) and ag.t(ag.tensor([1.0, 2.0])).shape == (2,)
    with pytest.raises(ValueError, match="t: expects a tensor with at most 2 axes"):
        ag.t(ag.zeros(2, 2, 2))
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    assert not ag.detach(x).requires_grad and ag.detach(x).tolist() == [1.0, 2.0]
    assert ag.rsub(x, 10.0, alpha=3).tolist() == [7.0, 4.0]  # 10 - 3x
    ag.rsub(x, 1.0, alpha=3).sum().backward()
    assert x.grad.tolist() == [-3.0, -3.0]
    with pytest.raises(TypeError, match="rsub: alpha must be a number"):
        ag.rsub(x, 1.0, alpha="2")


def test_adjoint_fill_get_device_newaxis():
    x = ag.tensor(A)
    assert np.array_equal(ag.adjoint(x).numpy(), A.T) and ag.adjoint(ag.zeros(2, 3, 4)).shape == (2, 4, 3)
    filled = ag.fill(x, 2.5)
    assert filled.shape == (3, 4) and (filled.numpy() == 2.5).all() and x.numpy()[0, 0] == A[0, 0]  # x untouched
    assert ag.fill(ag.tensor([1, 2]), 3).dtype == np.int64
    assert ag.get_device(x) == -1 and ag.newaxis is None and x[:, ag.newaxis].shape == (3, 1, 4)


def test_runtime_settings_are_recorded_and_reported():
    try:
        ag.use_deterministic_algorithms(True, warn_only=True)
        assert ag.are_deterministic_algorithms_enabled() and ag.is_deterministic_algorithms_warn_only_enabled()
        ag.set_float32_matmul_precision("high")
        assert ag.get_float32_matmul_precision() == "high"
        ag.set_anomaly_enabled(True)
        assert ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
        with pytest.raises(FloatingPointError, match="log"), np.errstate(divide="ignore"):
            ag.log(ag.tensor([0.0], requires_grad=True))  # the switch is detect_anomaly's
    finally:
        ag.use_deterministic_algorithms(False)
        ag.set_float32_matmul_precision("highest")
        ag.set_anomaly_enabled(False)
    assert not ag.are_deterministic_algorithms_enabled() and not ag.is_anomaly_enabled()
    with pytest.raises(ValueError, match="set_float32_matmul_precision: precision must be one of"):
        ag.set_float32_matmul_precision("tf32")
    with pytest.raises(TypeError, match="use_deterministic_algorithms: mode and warn_only must be bools"):
        ag.use_deterministic_algorithms(1)


def test_broadcast_tensors_shapes_values_and_gradient():
    a, b = (
        ag.tensor(RNG.standard_normal((2, 1)), requires_grad=True),
        ag.tensor(RNG.standard_normal(3), requires_grad=True),
    )
    out = ag.broadcast_tensors(a, b)
    expected = np.broadcast_arrays(a.numpy(), b.numpy())
    assert all(np.array_equal(o.numpy(), e) for o, e in zip(out, expected))
    assert ag.gradcheck(lambda p, q: [t * t for t in ag.broadcast_tensors(p, q)], [a.double(), b.double()])
    with pytest.raises(ValueError, match="broadcast"):
        ag.broadcast_tensors(ag.zeros(2), ag.zeros(3))


def test_chain_matmul_and_trapz():
    mats = [RNG.standard_normal(s) for s in ((2, 5), (5, 3), (3, 4))]
    assert np.allclose(ag.chain_matmul(*map(ag.tensor, mats)).numpy(), mats[0] @ mats[1] @ mats[2])
    assert ag.chain_matmul(ag.tensor(mats[0])).shape == (2, 5)
    with pytest.raises(ValueError, match="chain_matmul: every matrix must be 2-D"):
        ag.chain_matmul(ag.zeros(2, 2), ag.zeros(2))
    with pytest.raises(ValueError, match="chain_matmul: needs at least one matrix"):
        ag.chain_matmul()
    x = np.linspace(0, 1, 11)
    assert np.isclose(ag.trapz(ag.tensor(x**2), ag.tensor(x)).item(), np.trapezoid(x**2, x))
    assert np.isclose(ag.trapz(ag.tensor(x**2), dx=0.1).item(), np.trapezoid(x**2, dx=0.1))


def test_vander_matches_numpy_both_orders_and_its_gradient_is_finite_at_zero():
    v = np.array([0.0, 1.5, -2.0])
    assert np.allclose(ag.vander(ag.tensor(v)).numpy(), np.vander(v))
    assert np.allclose(ag.vander(ag.tensor(v), N=4, increasing=True).numpy(), np.vander(v, 4, increasing=True))
    x = ag.tensor(v, requires_grad=True)
    ag.vander(x, N=3).sum().backward()  # d/dx (x^2 + x + 1) = 2x + 1
    assert np.allclose(np.asarray(x.grad), 2 * v + 1)
    assert ag.gradcheck(lambda t: ag.vander(t, N=4), [ag.tensor(v, requires_grad=True)])
    with pytest.raises(ValueError, match="vander: x must be a vector"):
        ag.vander(ag.zeros(2, 2))


def test_unravel_index_matches_numpy_counts_negatives_from_the_end_and_refuses_out_of_range():
    flat = np.array([0, 5, 7, 11])
    got = ag.unravel_index(ag.tensor(flat), (3, 4))
    assert all(np.array_equal(g.numpy(), e) for g, e in zip(got, np.unravel_index(flat, (3, 4))))
    assert [c.item() for c in ag.unravel_index(-1, (2, 3))] == [1, 2]
    with pytest.raises(ValueError, match=r"unravel_index: indices must lie in \[-6, 5\] for shape \(2, 3\)"):
        ag.unravel_index(ag.tensor([6]), (2, 3))
    with pytest.raises(TypeError, match="unravel_index: indices must be integers"):
        ag.unravel_index(ag.tensor([1.0]), (2, 3))


def test_a_star_import_brings_the_new_names_but_not_range_or_t():
    namespace: dict[str, object] = {}
    exec("from autograd_core import *", namespace)  # noqa: S102 (the star import a notebook writes)
    assert {"sign", "isin", "finfo", "relu_", "hann_window", "gradient"} <= set(namespace)
    assert "range" not in namespace and "t" not in namespace  # Python's range survives, as float and int do
    assert ag.range is not range and callable(ag.t)


def test_creators_scalar_tensor_logspace_and_inclusive_range():
    s = ag.scalar_tensor(3)
    assert s.shape == () and s.dtype == np.float64 and s.item() == 3.0
    assert ag.scalar_tensor(2, dtype=ag.int32).dtype == np.int32
    assert np.allclose(ag.logspace(-1, 2, 4).numpy(), [0.1, 1.0, 10.0, 100.0])
    assert np.allclose(ag.logspace(0, 3, 4, base=2).numpy(), [1, 2, 4, 8])
    assert ag.range(1, 4).tolist() == [1.0, 2.0, 3.0, 4.0]  # end included, unlike arange
    assert np.allclose(ag.range(1, 2, 0.3).numpy(), [1.0, 1.3, 1.6, 1.9])  # floor(1 / 0.3) + 1 values
    assert ag.range(3, 1, -1).tolist() == [3.0, 2.0, 1.0]
    with pytest.raises(ValueError, match="range: step 1 cannot go from 3 to 1"):
        ag.range(3, 1)
    with pytest.raises(ValueError, match="logspace: steps must be a non-negative int"):
        ag.logspace(0, 1, -2)


def test_asarray_shares_unless_told_and_frombuffer_reads_bytes():
    a = np.zeros(3)
    t = ag.asarray(a)
    a[1] = 4.0
    assert t.tolist() == [0.0, 4.0, 0.0]  # shared
    assert ag.asarray(a, copy=True).numpy() is not a and not np.shares_memory(ag.asarray(a, copy=True).numpy(), a)
    x = ag.tensor([1.0])
    assert ag.asarray(x) is x and ag.asarray(x, dtype=ag.float32).dtype == np.float32
    assert ag.asarray([1, 2]).dtype == np.int64
    with pytest.raises(ValueError, match="asarray: cannot make a tensor of this list"):
        ag.asarray([[1.0], [2.0, 3.0]])  # ragged
    with pytest.raises(ValueError, match="asarray: copy=False, but Python data must be copied"):
        ag.asarray([1.0, 2.0], copy=False)
    with pytest.raises(ValueError, match="asarray: copy=False, but a float64 array must be copied to become float32"):
        ag.asarray(a, dtype=ag.float32, copy=False)
    buffer = array.array("f", [1.5, 2.5, 3.5])
    view = ag.frombuffer(buffer, dtype=ag.float32, offset=4)
    buffer[2] = 9.0
    assert view.tolist() == [2.5, 9.0]  # it is the buffer's memory
    with pytest.raises(ValueError, match="frombuffer: cannot read 5 item"):
        ag.frombuffer(b"\x00\x01", dtype=ag.uint8, count=5)


def test_finfo_iinfo_promote_types_can_cast_size():
    assert ag.finfo(ag.float32).eps == np.float32(2.0**-23) and ag.finfo().bits == 64
    assert ag.finfo(ag.float16).max == 65504 and ag.iinfo(ag.int64).max == 2**63 - 1
    with pytest.raises(TypeError, match=r"finfo: int32 is not a floating-point dtype; use ag\.iinfo"):
        ag.finfo(ag.int32)
    with pytest.raises(TypeError, match=r"iinfo: float32 is not an integer dtype; use ag\.finfo"):
        ag.iinfo(ag.float32)
    assert ag.promote_types(ag.uint8, ag.int8) is np.int16 and ag.promote_types(ag.bool, ag.float16) is np.float16
    assert ag.can_cast(ag.float64, ag.float32) and ag.can_cast(ag.int8, ag.int64) and ag.can_cast(ag.bool, ag.int8)
    assert not ag.can_cast(ag.float32, ag.int64) and not ag.can_cast(ag.int32, ag.bool)
    size = ag.Size([2, 3, 4])
    assert size == (2, 3, 4) and size.numel() == 24 and ag.Size([]).numel() == 1 and repr(size) == "Size([2, 3, 4])"
    assert ag.zeros(2, 3).shape == ag.Size((2, 3)) and ag.ones(6).view(ag.Size([2, 3])).shape == (2, 3)
    with pytest.raises(TypeError, match="Size: every entry must be a non-negative int"):
        ag.Size([2, -1])


@pytest.mark.parametrize(
    "a, b",
    [
        (ag.tensor([1, 2]), ag.tensor([1.0], dtype=ag.float32)),
        (ag.tensor([1.0], dtype=ag.float32), 2.5),
        (ag.tensor([1, 2], dtype=ag.int8), 3),
        (ag.tensor([True]), 1),
        (ag.tensor([1.0], dtype=ag.float32), ag.tensor(2.0)),
        (ag.tensor([1], dtype=ag.uint8), ag.tensor([1], dtype=ag.int8)),
    ],
)
def test_result_type_predicts_what_the_engine_computes(a, b):
    assert ag.result_type(a, b) is (a + b).dtype.type


def test_result_type_refuses_what_is_not_a_number():
    with pytest.raises(TypeError, match="result_type: operands must be tensors or real numbers, got str"):
        ag.result_type(ag.tensor([1.0]), "2")


def test_thread_count_round_trips_through_threadpoolctl():
    pytest.importorskip("threadpoolctl")
    before = ag.get_num_threads()
    try:
        ag.set_num_threads(1)
        assert ag.get_num_threads() == 1
    finally:
        ag.set_num_threads(before)
    assert ag.get_num_threads() == before
    with pytest.raises(ValueError, match="set_num_threads: num must be an int >= 1, got 0"):
        ag.set_num_threads(0)


def test_thread_count_without_threadpoolctl_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # an import of it now fails, as where it is missing
    with pytest.raises(ModuleNotFoundError, match=r"set_num_threads: needs the threadpoolctl package .*pip install"):
        ag.set_num_threads(2)
    with pytest.raises(ModuleNotFoundError, match="get_num_threads: needs the threadpoolctl package"):
        ag.get_num_threads()


@pytest.mark.parametrize(
    "name, numpy_symmetric",
    [("hann_window", np.hanning), ("hamming_window", np.hamming), ("blackman_window", np.blackman),
     ("bartlett_window", np.bartlett)],
)  # fmt: skip
def test_windows_symmetric_are_numpys_and_periodic_drop_the_last_of_one_longer(name, numpy_symmetric):
    window = getattr(ag, name)
    for n in (2, 5, 8):
        assert np.allclose(window(n, periodic=False).numpy(), numpy_symmetric(n))
        assert np.allclose(window(n).numpy(), numpy_symmetric(n + 1)[:-1])
    assert window(1).tolist() == [1.0] and window(0).shape == (0,)
    assert window(4, dtype=ag.float32).dtype == np.float32
    with pytest.raises(ValueError, match=f"{name}: window_length must be a non-negative int"):
        window(-1)
    with pytest.raises(TypeError, match=f"{name}: dtype must be a float dtype"):
        window(4, dtype=ag.int64)


def test_kaiser_window_is_numpys_and_beta_zero_is_flat():
    assert np.allclose(ag.kaiser_window(7, periodic=False, beta=5.0).numpy(), np.kaiser(7, 5.0))
    assert np.allclose(ag.kaiser_window(6, beta=8.0).numpy(), np.kaiser(7, 8.0)[:-1])
    assert ag.kaiser_window(4, beta=0.0).tolist() == [1.0] * 4
    with pytest.raises(ValueError, match="kaiser_window: beta must be a finite real number"):
        ag.kaiser_window(4, beta=float("nan"))


def test_windows_against_torch():
    torch = pytest.importorskip("torch")
    for name in ("hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"):
        for n, periodic in ((1, True), (6, True), (7, False)):
            ours = getattr(ag, name)(n, periodic=periodic).numpy()
            theirs = getattr(torch, name)(n, periodic=periodic, dtype=torch.float64).numpy()
            assert np.allclose(ours, theirs, atol=1e-12), (name, n, periodic)


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
def test_torch_namespace_names_against_torch():
    torch = pytest.importorskip("torch")
    v = RNG.standard_normal(4)
    assert np.allclose(ag.vander(ag.tensor(v), N=3).numpy(), torch.vander(torch.tensor(v), N=3).numpy())
    assert np.allclose(ag.range(0, 1, 0.25).numpy(), torch.range(0, 1, 0.25, dtype=torch.float64).numpy())
    assert [c.item() for c in ag.unravel_index(-7, (3, 4))] == [
        c.item() for c in torch.unravel_index(torch.tensor(-7), (3, 4))
    ]
    for pair in ((ag.float64, ag.float32), (ag.float32, ag.int32), (ag.uint8, ag.int8), (ag.int64, ag.bool)):
        assert ag.can_cast(*pair) == torch.can_cast(*(getattr(torch, np.dtype(p).name) for p in pair)), pair
    for name in ("float32", "float16", "int16", "uint8"):
        ours, theirs = (
            (ag.finfo if "float" in name else ag.iinfo)(getattr(ag, name)),
            (torch.finfo if "float" in name else torch.iinfo)(getattr(torch, name)),
        )
        assert (ours.max, ours.min, ours.bits) == (theirs.max, theirs.min, theirs.bits)


def test_every_inplace_spelling_torch_has_and_the_tensor_has_is_in_the_namespace():
    torch = pytest.importorskip("torch")
    wanted = {n for n in dir(torch) if n.endswith("_") and not n.startswith("_") and hasattr(ag.Tensor, n)}
    assert not sorted(n for n in wanted if not hasattr(ag, n))


@pytest.mark.parametrize(
    "name, args, expected",
    [
        ("relu_", (), lambda v: np.maximum(v, 0)),
        ("exp_", (), np.exp),
        ("sigmoid_", (), lambda v: 1 / (1 + np.exp(-v))),
        ("clamp_", (-0.5, 0.5), lambda v: np.clip(v, -0.5, 0.5)),
        ("fill_", (2.0,), lambda v: np.full_like(v, 2.0)),
        ("zero_", (), np.zeros_like),
        ("nan_to_num_", (), lambda v: v),
        ("tanh_", (), np.tanh),
    ],
)
def test_inplace_spellings_write_into_their_argument(name, args, expected):
    v = RNG.standard_normal(5)
    x = ag.tensor(v.copy())
    version = x._version
    out = getattr(ag, name)(x, *args)
    assert out is x and np.allclose(x.numpy(), expected(v)) and x._version > version
    assert getattr(ag, name).__name__ == name and f"torch.{name}" in getattr(ag, name).__doc__


def test_inplace_spellings_refuse_non_tensors_and_leaves_that_require_grad():
    with pytest.raises(
        TypeError, match=r"relu_: writes into its first argument, which must be a Tensor, got list; use ag.relu\(x\)"
    ):
        ag.relu_([1.0, -1.0])
    with pytest.raises(RuntimeError, match="leaf"):
        ag.exp_(ag.tensor([1.0], requires_grad=True))
    with pytest.raises(RuntimeError, match=r"relu_\(\) on a tensor that is part of a recorded graph"):
        ag.relu_(ag.tensor([-1.0, 2.0], requires_grad=True) * 1.0)  # the Tensor method's own refusal
    w = ag.tensor([-1.0, 2.0], requires_grad=True)
    with ag.no_grad():  # an optimizer's kind of write
        ag.clamp_(w, min=0.0)
    assert w.tolist() == [0.0, 2.0] and w.requires_grad
