"""Creating tensors: ag.tensor, zeros/ones/full/empty(_like), arange, linspace, eye, rand/randn/randint.

Values and dtypes are compared with PyTorch where it is installed (float64 vs its float32
default is the documented difference), and with closed forms and numpy without it.
"""

import numpy as np
import pytest

import autograd_core as ag

SIZES = [(), (3,), (2, 3), (0, 4)]


@pytest.mark.parametrize(
    "data, dtype",
    [([1, 2], np.int64), ([1.5, 2], np.float64), (True, np.bool_), (np.ones(2, np.float32), np.float32), (3, np.int64)],
)
def test_tensor_infers_the_dtype_as_pytorch_except_floats_are_float64(data, dtype):
    t = ag.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.data, np.asarray(data))


def test_tensor_copies_its_data_and_takes_dtype_and_requires_grad():
    source = np.ones(3)
    t = ag.tensor(source, dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad and t.is_leaf
    same = ag.tensor(source)
    same.data[0] = 5
    assert source[0] == 1  # a copy, as torch.tensor
    assert ag.tensor(ag.Tensor([1.0, 2.0])).requires_grad is False


@pytest.mark.parametrize("size", SIZES)
def test_zeros_ones_full_empty_take_a_size_either_way(size):
    for make, value in ((ag.zeros, 0), (ag.ones, 1)):
        for t in (make(*size), make(size), make(list(size))):
            assert t.shape == size and t.dtype == np.float64 and (t.data == value).all()
    assert ag.full(size, 2.5).shape == size and (ag.full(size, 2.5).data == 2.5).all()
    assert ag.empty(*size).shape == size
    assert ag.zeros(*size, dtype=np.float32).dtype == np.float32
    assert ag.ones(size, requires_grad=True).requires_grad


def test_like_functions_keep_shape_and_dtype():
    x = ag.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    for t, value in ((ag.zeros_like(x), 0), (ag.ones_like(x), 1), (ag.full_like(x, 4), 4)):
        assert t.shape == (2, 3) and t.dtype == np.float32 and (t.data == value).all()
    assert ag.zeros_like(x, dtype=np.float64).dtype == np.float64


def test_arange_linspace_eye_closed_forms():
    np.testing.assert_array_equal(ag.arange(5).data, [0, 1, 2, 3, 4])
    assert ag.arange(5).dtype == np.int64 and ag.arange(0, 1, 0.25).dtype == np.float64
    np.testing.assert_array_equal(ag.arange(2, 11, 3).data, [2, 5, 8])
    np.testing.assert_allclose(ag.linspace(-1, 1, 5).data, [-1, -0.5, 0, 0.5, 1])
    np.testing.assert_array_equal(ag.eye(3).data, np.diag([1.0, 1, 1]))
    assert ag.eye(2, 3).shape == (2, 3) and ag.eye(2, 3).data.sum() == 2


def test_against_torch():
    torch = pytest.importorskip("torch")
    assert ag.tensor([1, 2]).dtype == np.dtype(str(torch.tensor([1, 2]).dtype).split(".")[1])
    for ours, theirs in (
        (ag.arange(7), torch.arange(7)),
        (ag.arange(1, 2, 0.125), torch.arange(1, 2, 0.125, dtype=torch.float64)),
        (ag.linspace(0, 3, 7), torch.linspace(0, 3, 7, dtype=torch.float64)),
        (ag.eye(3, 4), torch.eye(3, 4, dtype=torch.float64)),
        (ag.full((2, 2), 3), torch.full((2, 2), 3)),
    ):
        np.testing.assert_allclose(ours.data, theirs.numpy())
        assert ours.dtype == theirs.numpy().dtype


def test_manual_seed_makes_random_tensors_reproducible():
    ag.manual_seed(123)
    first = [ag.rand(3).data, ag.randn(2, 2).data, ag.randint(0, 10, (5,)).data]
    ag.manual_seed(123)
    second = [ag.rand(3).data, ag.randn(2, 2).data, ag.randint(0, 10, (5,)).data]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(ag.rand(3).data, first[0])  # the stream moves on


def test_a_generator_is_independent_of_the_default_stream():
    g = ag.Generator().manual_seed(7)
    a = ag.randn(4, generator=g).data
    ag.manual_seed(0)
    ag.randn(100)
    assert np.array_equal(ag.randn(4, generator=ag.Generator(7)).data, a)
    assert g.initial_seed() == 7


def test_random_distributions_and_dtypes():
    g = ag.Generator(0)
    u = ag.rand(20000, generator=g)
    assert u.dtype == np.float64 and u.data.min() >= 0 and u.data.max() < 1 and abs(u.data.mean() - 0.5) < 0.01
    n = ag.randn(20000, generator=g, dtype=np.float32)
    assert n.dtype == np.float32 and abs(n.data.mean()) < 0.03 and abs(n.data.std() - 1) < 0.03
    k = ag.randint(3, (1000,), generator=g)
    assert k.dtype == np.int64 and set(np.unique(k.data)) == {0, 1, 2}
    assert ag.randint(5, 8, (1000,), generator=g).data.min() == 5
    assert ag.randn(2, 3, requires_grad=True).requires_grad


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: ag.zeros(-1), ValueError, r"zeros: sizes must be non-negative"),
        (lambda: ag.ones(2.5), TypeError, r"ones: sizes must be ints, got \(2.5,\)"),
        (lambda: ag.zeros(2, dtype=str), TypeError, r"zeros: dtype .* is not numeric"),
        (lambda: ag.zeros(2, dtype="nonsense"), TypeError, r"zeros: unknown dtype 'nonsense'"),
        (lambda: ag.rand(2, dtype=np.int64), TypeError, r"rand: dtype must be float32 or float64"),
        (lambda: ag.randint(5, 2, (3,)), ValueError, r"randint: high \(2\) must be greater than low \(5\)"),
        (lambda: ag.randint(5), TypeError, r"randint: give the size"),
        (lambda: ag.randn(2, generator=3), TypeError, r"randn: generator must be an ag.Generator"),
        (lambda: ag.manual_seed(-1), ValueError, r"manual_seed: the seed must be a non-negative int"),
        (lambda: ag.arange(0, 5, 0), ValueError, r"arange: step must not be zero"),
        (lambda: ag.linspace(0, 1, -2), ValueError, r"linspace: steps must be a non-negative int"),
        (lambda: ag.full((2,), "a"), TypeError, r"full: fill_value must be a number"),
        (lambda: ag.zeros_like([1, 2]), TypeError, r"zeros_like: expected a Tensor"),
        (lambda: ag.tensor("abc"), TypeError, r"^Tensor: cannot read str"),
        (lambda: ag.tensor([1, 2], requires_grad=True), TypeError, r"requires_grad=True needs floating-point"),
    ],
)
def test_bad_arguments_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


DEVICE_CALLS = {  # PyTorch's everyday `torch.zeros(3, device=device)`: every creation function takes device=
    "tensor": lambda device: ag.tensor([1.0, 2.0], device=device),
    "zeros": lambda device: ag.zeros(2, device=device),
    "ones": lambda device: ag.ones(2, device=device),
    "full": lambda device: ag.full((2,), 3.0, device=device),
    "empty": lambda device: ag.empty(2, device=device),
    "empty_like": lambda device: ag.empty_like(ag.zeros(2), device=device),
    "zeros_like": lambda device: ag.zeros_like(ag.ones(2), device=device),
    "ones_like": lambda device: ag.ones_like(ag.zeros(2), device=device),
    "full_like": lambda device: ag.full_like(ag.zeros(2), 3.0, device=device),
    "arange": lambda device: ag.arange(2, device=device),
    "linspace": lambda device: ag.linspace(0, 1, 2, device=device),
    "eye": lambda device: ag.eye(2, device=device),
    "rand": lambda device: ag.rand(2, device=device),
    "randn": lambda device: ag.randn(2, device=device),
    "randint": lambda device: ag.randint(0, 5, (2,), device=device),
    "randperm": lambda device: ag.randperm(2, device=device),
    "rand_like": lambda device: ag.rand_like(ag.zeros(2), device=device),
    "randn_like": lambda device: ag.randn_like(ag.zeros(2), device=device),
}


@pytest.mark.parametrize("op", sorted(DEVICE_CALLS))
def test_every_creation_function_takes_the_cpu_device_and_refuses_another_by_name(op):
    make = DEVICE_CALLS[op]
    ag.manual_seed(0)
    plain = make(None)
    for device in ("cpu", "cpu:0", ag.zeros(1).device):
        ag.manual_seed(0)
        same = make(device)
        assert same.shape == plain.shape and same.dtype == plain.dtype
        if op not in ("empty", "empty_like"):  # (its values are whatever the memory held)
            np.testing.assert_array_equal(same.data, plain.data)
    for device in ("cuda", "cuda:0", "mps"):
        with pytest.raises(ValueError, match=rf"^{op}: this engine runs on numpy \(the CPU\) only, not on '{device}'"):
            make(device)
