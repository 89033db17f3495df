"""fast.ai's "Practical Deep Learning for Coders part 2" (course22p2, "from the foundations"), its notebook
01_matmul ported step by step (``autograd_core as ag`` for ``torch``, ``nn`` for ``torch.nn``), each step
asserting the notebook's own outcome; where torch is installed the same code runs in both and the values and
gradients must agree. 03_backprop is in ``test_fastai_ports_backprop.py``, 04_minibatch_training in
``test_fastai_ports_training.py``, 05_datasets and 09_learner in ``test_fastai_ports_learner.py``. The bundled
8x8 digits (1,797 rows of 64 pixels, ``/ 16``) stand in for MNIST (50,000 rows of 784; no download);
fastcore's ``test_close`` is ``np.testing.assert_allclose``.

01_matmul: ``torch.set_printoptions`` as its first cell sets them; the data as lists and a ``Matrix`` class, then
as tensors (``reshape``/``view``); matmul by three loops, then elementwise (``(a[i,:] * b[:,j]).sum()``,
``torch.dot``), then broadcasting (``(a[i,:,None] * b).sum(0)``), then ``torch.einsum``, then ``@``: all agree.
Elementwise ops and the Frobenius norm; broadcasting a scalar, a vector over a matrix (``expand_as`` and its
``stride``: nothing copied), rows and columns with ``unsqueeze``/``None``, the outer product and comparison,
numpy's rules and their error.

Where the notebook's spelling differs here: ``x.type()`` is ``'torch.DoubleTensor'`` (float64, our default),
not ``'torch.FloatTensor'``; the sharing shows in ``stride()`` (an expanded tensor has a 0 step, as torch's) and in
``t.storage()``, as torch's (tests/test_stevens_ports.py); tensors default to float64 (the
notebook's float32 asks ``test_close``'s eps=1e-3, these agree to 1e-12); ``c[i, j] = v`` writes values only, so
the loop matmuls run on values, and one that must carry a gradient stacks its rows (``ag.stack``) instead
(a ``v`` requiring grad is refused, naming ``ag.stack``). Not ported: the pure-Python random
number generator and ``os.fork`` (no engine in them), numba and the CUDA kernels.
"""

import math

import numpy as np
import pytest

import autograd_core as ag
import nn

torch = ag  # the notebook's own spelling, kept so each step reads as the notebook does


def _digits():
    """The notebook's x_train, y_train, x_valid, y_valid: the digits' first 1,500 rows and the other 297."""
    X, y = nn.datasets.load_digits()
    X = X / 16.0
    return X[:1500], y[:1500], X[1500:], y[1500:]


# ---------------------------------------------------------------- 01_matmul: from lists to tensors
class Matrix:
    """The notebook's first 'tensor': a list of lists indexed with a pair."""

    def __init__(self, xs):
        self.xs = xs

    def __getitem__(self, idxs):
        return self.xs[idxs[0]][idxs[1]]


def test_01_lists_a_matrix_class_then_tensors_reshaped_to_images():
    x_train, y_train, _, _ = _digits()
    lst1 = list(x_train[0])
    img = [lst1[i : i + 8] for i in range(0, len(lst1), 8)]  # the notebook's chunks(lst1, 28)
    m = Matrix(img)
    x_train_t, y_train_t = map(torch.tensor, (x_train, y_train))
    assert m[2, 3] == torch.tensor(img)[2, 3].item() == x_train[0, 2 * 8 + 3]
    assert x_train_t.shape == (1500, 64) and x_train_t.type() == "torch.DoubleTensor"  # torch: 'torch.FloatTensor'
    imgs = x_train_t.reshape((-1, 8, 8))
    assert imgs.shape == (1500, 8, 8) and imgs[0, 2, 3].item() == m[2, 3]
    assert x_train_t[0].view(8, 8).tolist() == img
    assert (y_train_t.min().item(), y_train_t.max().item()) == (0, 9)
    assert (min(y_train_t).item(), max(y_train_t).item()) == (0, 9)  # Python's min walks the rows


# ---------------------------------------------------------------- 01_matmul: five matmuls that agree
def _matmul_loops(lib, a, b):
    (ar, ac), (_br, bc) = a.shape, b.shape
    c = lib.zeros(ar, bc, dtype=lib.float64)
    for i in range(ar):
        for j in range(bc):
            for k in range(ac):
                c[i, j] += a[i, k] * b[k, j]
    return c


def _matmul_elementwise(lib, a, b):
    (ar, _ac), (_br, bc) = a.shape, b.shape
    c = lib.zeros(ar, bc, dtype=lib.float64)
    for i in range(ar):
        for j in range(bc):
            c[i, j] = (a[i, :] * b[:, j]).sum()
    return c


def _matmul_dot(lib, a, b):
    (ar, _ac), (_br, bc) = a.shape, b.shape
    c = lib.zeros(ar, bc, dtype=lib.float64)
    for i in range(ar):
        for j in range(bc):
            c[i, j] = lib.dot(a[i, :], b[:, j])
    return c


def _matmul_broadcast(lib, a, b):
    (ar, _ac), (_br, bc) = a.shape, b.shape
    c = lib.zeros(ar, bc, dtype=lib.float64)
    for i in range(ar):
        c[i] = (a[i, :, None] * b).sum(dim=0)  # the notebook: (a[i].unsqueeze(-1) * b).sum(dim=0), too
    return c


def _five_matmuls(lib, x_valid, weights):
    m1, m2 = lib.tensor(x_valid[:5]), lib.tensor(weights)
    mr = lib.einsum("ik,kj->ikj", m1, m2)
    return {
        "loops": _matmul_loops(lib, m1, m2),
        "elementwise": _matmul_elementwise(lib, m1, m2),
        "dot": _matmul_dot(lib, m1, m2),
        "broadcast": _matmul_broadcast(lib, m1, m2),
        "einsum ikj summed": mr.sum(1),
        "einsum": lib.einsum("ik,kj->ij", m1, m2),
        "@": m1 @ m2,
        "matmul": lib.matmul(m1, m2),
    }


def test_01_matmul_by_loops_elementwise_broadcasting_einsum_and_at_all_agree():
    _, _, x_valid, _ = _digits()
    weights = np.random.default_rng(0).standard_normal((64, 10))  # the notebook: torch.randn(784, 10)
    ours = _five_matmuls(ag, x_valid, weights)
    want = x_valid[:5] @ weights  # numpy's BLAS: the oracle
    assert ours["loops"].shape == (5, 10)
    for name, got in ours.items():
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12, err_msg=name)
    assert ag.einsum("ik,kj->ikj", ag.tensor(x_valid[:5]), ag.tensor(weights)).shape == (5, 64, 10)
    real = pytest.importorskip("torch")
    for name, got in _five_matmuls(real, x_valid, weights).items():
        np.testing.assert_allclose(ours[name].data, got.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)


def test_01_matmul_gradients_agree_whichever_way_it_is_written():
    rng = np.random.default_rng(1)
    a0, b0 = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    written = {  # c[i] = ... writes values only here, so the loops' rows are stacked to keep the gradient
        "elementwise": lambda a, b: ag.stack([ag.stack([(a[i] * b[:, j]).sum() for j in range(2)]) for i in range(3)]),
        "broadcast": lambda a, b: ag.stack([(a[i, :, None] * b).sum(dim=0) for i in range(3)]),
        "einsum": lambda a, b: ag.einsum("ik,kj->ij", a, b),
        "@": lambda a, b: a @ b,
    }
    g = np.arange(6.0).reshape(3, 2)
    for name, matmul in written.items():
        a, b = ag.tensor(a0, requires_grad=True), ag.tensor(b0, requires_grad=True)
        (matmul(a, b) * ag.tensor(g)).sum().backward()
        np.testing.assert_allclose(a.grad, g @ b0.T, rtol=1e-12, err_msg=name)  # d/dA sum(G * AB) = G B^T
        np.testing.assert_allclose(b.grad, a0.T @ g, rtol=1e-12, err_msg=name)  # d/dB = A^T G
    c = ag.zeros(3, 2)
    with pytest.raises(RuntimeError, match=r"item assignment .* requires grad.*ag\.stack"):
        c[0, 0] = (ag.tensor(a0, requires_grad=True)[0, :] * ag.tensor(b0)[:, 0]).sum()


# ---------------------------------------------------------------- 01_matmul: elementwise ops, broadcasting
def test_01_elementwise_ops_and_the_frobenius_norm():
    a = torch.tensor([10.0, 6, -4])
    b = torch.tensor([2.0, 8, 7])
    assert (a + b).tolist() == [12.0, 14.0, 3.0]
    assert (a < b).float().mean().item() == pytest.approx(2 / 3, rel=1e-7)  # float32, as torch's
    m = torch.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    sf = (m * m).sum()
    assert sf.item() == 285.0 and sf.sqrt().item() == pytest.approx(16.881943016134134, rel=1e-15)
    assert m[2, :].tolist() == m[2].tolist() == [7.0, 8.0, 9.0] and m[:, 2].tolist() == [3.0, 6.0, 9.0]


def _broadcasting_steps(lib):
    a = lib.tensor([10.0, 6, -4])
    m = lib.tensor([[1.0, 2, 3], [4, 5, 6], [7, 8, 9]])
    c = lib.tensor([10.0, 20, 30])
    t = c.expand_as(m)
    return {
        "a > 0": a > 0,
        "a + 1": a + 1,
        "2 * m": 2 * m,
        "m + c": m + c,
        "c + m": c + m,
        "expand_as": t,
        "stride": lib.tensor(t.stride()),
        "column stride": lib.tensor(c[:, None].expand_as(m).stride()),
        "unsqueeze(0)": c.unsqueeze(0),
        "c[None, :]": c[None, :],
        "unsqueeze(1)": c.unsqueeze(1),
        "c[:, None]": c[:, None],
        "c[..., None]": c[..., None],
        "columns": c[:, None].expand_as(m),
        "m + c[:, None]": m + c[:, None],
        "m + c[None, :]": m + c[None, :],
        "outer": c[None, :] * c[:, None],
        "greater": c[None] > c[:, None],
    }


def test_01_broadcasting_a_scalar_a_row_a_column_the_outer_product():
    steps = _broadcasting_steps(ag)
    assert steps["a > 0"].tolist() == [True, True, False] and steps["a + 1"].tolist() == [11.0, 7.0, -3.0]
    assert steps["m + c"].tolist() == steps["c + m"].tolist() == [[11, 22, 33], [14, 25, 36], [17, 28, 39]]
    assert steps["expand_as"].tolist() == [[10.0, 20.0, 30.0]] * 3
    assert steps["stride"].tolist() == [0, 1]  # the expanded rows are one row read three times
    assert steps["column stride"].tolist() == [1, 0]
    assert np.shares_memory(steps["expand_as"].data, steps["c[None, :]"].data)
    assert steps["unsqueeze(0)"].shape == steps["c[None, :]"].shape == (1, 3)
    assert steps["unsqueeze(1)"].shape == steps["c[:, None]"].shape == steps["c[..., None]"].shape == (3, 1)
    assert steps["columns"].tolist() == [[10.0] * 3, [20.0] * 3, [30.0] * 3]
    assert steps["m + c[:, None]"].tolist() == [[11, 12, 13], [24, 25, 26], [37, 38, 39]]
    assert steps["m + c[None, :]"].tolist() == steps["m + c"].tolist()
    assert steps["outer"].tolist() == np.outer([10, 20, 30], [10, 20, 30]).tolist()
    assert steps["greater"].tolist() == [[False, True, True], [False, False, True], [False, False, False]]
    real = pytest.importorskip("torch")
    for name, theirs in _broadcasting_steps(real).items():
        np.testing.assert_array_equal(steps[name].data, theirs.numpy(), err_msg=name)


def test_01_broadcasting_rules_trailing_axes_match_or_are_one():
    image, scale = ag.ones(16, 16, 3), ag.tensor([0.5, 1.0, 2.0])  # the notebook's 256x256x3 image times 3
    assert (image * scale).shape == (16, 16, 3) and (image * scale)[4, 5].tolist() == [0.5, 1.0, 2.0]
    assert (ag.ones(8, 1, 6, 1) * ag.ones(7, 1, 5)).shape == (8, 7, 6, 5)
    with pytest.raises(ValueError, match=r"add: cannot apply to shapes \(3,\), \(4,\).*broadcast"):
        ag.ones(3) + ag.ones(4)


def test_gap_stride_is_torch_s_in_elements_and_refuses_an_axis_it_lacks():
    m = ag.tensor(np.arange(6.0).reshape(2, 3))
    assert m.stride() == (3, 1) and m.stride(0) == 3 and m.stride(-1) == 1
    assert m.t().stride() == (1, 3) and m[:, 1].stride() == (3,) and ag.tensor(2.0).stride() == ()
    assert ag.tensor(np.zeros((2, 3), dtype=np.float32)).stride() == (3, 1)  # elements, not bytes
    with pytest.raises(IndexError, match="stride: a 0-d tensor has no axis 0"):
        ag.tensor(2.0).stride(0)
    with pytest.raises(ValueError, match="stride: axis 2 is out of range"):
        m.stride(2)
    real = pytest.importorskip("torch")
    t = real.tensor(np.arange(6.0).reshape(2, 3))
    assert (m.stride(), m.t().stride(), m[:, 1].stride()) == (t.stride(), t.t().stride(), t[:, 1].stride())


def test_gap_set_printoptions_as_the_notebook_s_first_cell_sets_them():
    x_valid = _digits()[2]
    weights = np.random.default_rng(0).standard_normal((64, 10)) * 1e-3
    t1 = ag.tensor(x_valid[:5] @ weights)
    before = repr(t1)
    try:
        torch.set_printoptions(precision=2, linewidth=140, sci_mode=False)
        text = repr(t1)
        assert len(text.splitlines()) == 5 and max(map(len, text.splitlines())) <= 140  # a row a line
        assert "e-" not in text and all(len(v.strip(" []()Tensor").split(".")[1]) <= 2 for v in text.split(", ")[:3])
        torch.set_printoptions(sci_mode=True)
        assert repr(ag.tensor([1.0, 0.5])) == "Tensor([1.00e+00, 5.00e-01])"  # precision 2 kept
        torch.set_printoptions(profile="short")  # 2 digits, 2 items at each end of a summary
        assert repr(ag.arange(2000.0)) == "Tensor([0.e+00, 1.e+00, ..., 2.e+03, 2.e+03])"
        torch.set_printoptions(profile="full")
        assert "..." not in repr(ag.arange(2000.0))
        with pytest.raises(
            ValueError, match=r"set_printoptions: profile must be one of \['default', 'full', 'short'\]"
        ):
            torch.set_printoptions(profile="long")
        for bad in (-1, 2.5, "2", True):
            with pytest.raises(ValueError, match=r"set_printoptions: precision must be an int >= 0 .*, got"):
                torch.set_printoptions(precision=bad)
        torch.set_printoptions(threshold=math.inf)  # as profile="full"
        assert "..." not in repr(ag.arange(3000.0))
        with pytest.raises(ValueError, match="set_printoptions: sci_mode must be True, False or None, got 'yes'"):
            torch.set_printoptions(sci_mode="yes")
    finally:
        torch.set_printoptions(profile="default")
    assert repr(t1) == before and np.get_printoptions()["precision"] == 8  # numpy's own print untouched
