""" "Dive into Deep Learning" (d2l.ai, PyTorch edition) chapter 2, preliminaries, ported as
tests/test_d2l_ports.py ports 2.5-6.6 (``torch = ag``; the book's code as it writes it, each step asserting the
value the book prints; where torch is installed the same code runs in both and the values must agree).

2.1 data manipulation (arange, reshape, zeros/ones/randn, elementwise operators, ``cat``, ``==``, broadcasting,
indexing and slicing, writes through a slice, saving memory, conversion to numpy and Python scalars); 2.3
linear algebra (transpose, reductions with and without ``keepdims``, ``cumsum``, dot, matrix-vector and matrix
products, the l2, l1 and Frobenius norms); 2.4 calculus (the numerical limit of f(x) = 3x^2 - 4x at 1, and the
tangent line at x = 1 from the engine's derivative). 2.2 (pandas preprocessing) has no autograd in it: not ported.
2.5 is in tests/test_d2l_ports.py.

What the port needed (gaps filled): 2.3's ``A.cumsum(axis=0)`` raised TypeError (cumsum took ``dim`` only;
PyTorch takes numpy's ``axis=`` too) and ``torch.mv(A, x)`` did not exist (``ag.mv`` / ``Tensor.mv`` now, with
a clear error for wrong shapes). Found on 2.1's "saving memory" step: ``Y += X`` with ``X`` requiring grad
copied X's values into ``Y`` and silently dropped the gradient (``Y`` did not require grad afterwards; PyTorch
records the add). It now refuses with the error ``Y[:] = X`` already gave (copying values only, it would cut
X off the graph) and names ``Y = Y + X`` and ``X.detach()``.

Where ours differs by design (README: in-place writes are for tensors outside a graph): the book's saving-memory
idioms ``Z[:] = X + Y`` and ``X += Y`` keep ``id`` as in PyTorch on tensors that need no gradient; on a leaf
that requires grad or a tensor in a recorded graph they are refused with an error naming the spelling to use
(``y = y + ...`` in the graph, ``w.data += ...`` or ``no_grad`` outside it), where PyTorch records the write
(non-leaf) or raises too (a leaf). ``torch.arange(-8.0, 8.0, 0.1)`` is float64 here (ours' default), float32
in PyTorch.
"""

import numpy as np
import pytest

import autograd_core as ag

torch = ag  # the book's own spelling, kept so each step reads as the book does


def _np(t):
    return np.array(t.detach().numpy() if hasattr(t, "detach") else t)  # a copy: later writes must not show


# ---------------------------------------------------------------- 2.1 Data manipulation
def _chapter_2_1(torch):
    """The section's steps run by ``torch`` (ag or PyTorch); the values it prints, as numpy."""
    out = {}
    x = torch.arange(12, dtype=torch.float32)
    out["x"], out["numel"], out["shape"] = _np(x), x.numel(), tuple(x.shape)
    X = x.reshape(3, 4)
    out["X"], out["X_inferred"] = _np(X), _np(x.reshape(-1, 4))
    out["zeros"], out["ones"] = _np(torch.zeros((2, 3, 4))), _np(torch.ones((2, 3, 4)))
    out["randn_shape"] = tuple(torch.randn(3, 4).shape)
    out["from_list"] = _np(torch.tensor([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]]))
    out["last_row"], out["rows_1_2"] = _np(X[-1]), _np(X[1:3])
    X[1, 2] = 17
    out["X_17"] = _np(X).copy()
    X[:2, :] = 12
    out["X_12"] = _np(X).copy()
    out["exp_x"] = _np(torch.exp(x))  # X is a view of x: the writes above show in x
    x = torch.tensor([1.0, 2, 4, 8])
    y = torch.tensor([2, 2, 2, 2])
    out["ops"] = [_np(v) for v in (x + y, x - y, x * y, x / y, x**y)]
    X = torch.arange(12, dtype=torch.float32).reshape((3, 4))
    Y = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    out["cat0"], out["cat1"] = _np(torch.cat((X, Y), dim=0)), _np(torch.cat((X, Y), dim=1))
    out["eq"], out["lt"], out["gt"] = _np(X == Y), _np(X < Y), _np(X > Y)  # (and the exercise's < and >)
    out["sum"] = _np(X.sum())
    a = torch.arange(3).reshape((3, 1))
    b = torch.arange(2).reshape((1, 2))
    out["broadcast"] = _np(a + b)
    # 2.1.5 Saving memory
    before = id(Y)
    Y = Y + X
    out["Y = Y + X keeps id"] = id(Y) == before
    Z = torch.zeros_like(Y)
    before = id(Z)
    Z[:] = X + Y
    out["Z[:] = keeps id"], out["Z"] = id(Z) == before, _np(Z)
    before = id(X)
    X += Y
    out["X += Y keeps id"], out["X += Y"] = id(X) == before, _np(X).copy()
    # 2.1.6 Conversion to other Python objects: the array and the tensor share their memory
    A = X.numpy()
    B = torch.from_numpy(A)
    out["types"] = (type(A).__name__, type(B).__name__)
    A[0, 0] = -1.0
    out["shared"] = (float(X[0, 0]), float(B[0, 0]))
    a = torch.tensor([3.5])
    out["scalars"] = (a.item(), float(a), int(a))
    return out


def test_2_1_data_manipulation_prints_the_book_s_values():
    out = _chapter_2_1(ag)
    np.testing.assert_array_equal(out["x"], np.arange(12.0))
    assert out["x"].dtype == np.float32 and out["numel"] == 12 and out["shape"] == (12,)
    np.testing.assert_array_equal(out["X_inferred"], np.arange(12.0).reshape(3, 4))
    assert out["zeros"].shape == out["ones"].shape == (2, 3, 4) and out["randn_shape"] == (3, 4)
    assert out["zeros"].sum() == 0 and out["ones"].sum() == 24 and out["from_list"].dtype == np.int64
    np.testing.assert_array_equal(out["last_row"], [8.0, 9, 10, 11])
    np.testing.assert_array_equal(out["rows_1_2"], [[4.0, 5, 6, 7], [8, 9, 10, 11]])
    np.testing.assert_array_equal(out["X_17"], [[0.0, 1, 2, 3], [4, 5, 17, 7], [8, 9, 10, 11]])
    np.testing.assert_array_equal(out["X_12"], [[12.0] * 4, [12.0] * 4, [8, 9, 10, 11]])
    # the book prints tensor([162754.7969 x 8, 2980.9580, 8103.0840, 22026.4648, 59874.1406])
    np.testing.assert_allclose(out["exp_x"], [162754.7969] * 8 + [2980.9580, 8103.0840, 22026.4648, 59874.1406], 1e-7)
    for got, want in zip(
        out["ops"], ([3.0, 4, 6, 10], [-1.0, 0, 2, 6], [2.0, 4, 8, 16], [0.5, 1, 2, 4], [1.0, 4, 16, 64])
    ):
        np.testing.assert_array_equal(got, want)
    assert out["cat0"].shape == (6, 4) and out["cat1"].shape == (3, 8)
    np.testing.assert_array_equal(out["cat1"][0], [0.0, 1, 2, 3, 2, 1, 4, 3])
    np.testing.assert_array_equal(out["eq"], [[False, True, False, True], [False] * 4, [False] * 4])
    assert out["sum"] == 66.0
    np.testing.assert_array_equal(out["broadcast"], [[0, 1], [1, 2], [2, 3]])
    assert not out["Y = Y + X keeps id"] and out["Z[:] = keeps id"] and out["X += Y keeps id"]
    np.testing.assert_array_equal(out["Z"], 2 * np.arange(12.0).reshape(3, 4) + out["from_list"])
    assert out["types"] == ("ndarray", "Tensor") and out["shared"] == (-1.0, -1.0)
    assert out["scalars"] == (3.5, 3.5, 3)


def test_2_1_data_manipulation_equals_torch():
    real = pytest.importorskip("torch")
    ours, theirs = _chapter_2_1(ag), _chapter_2_1(real)
    theirs["types"] = (theirs["types"][0], "Tensor")
    for key, value in ours.items():
        if key != "randn_shape" and isinstance(value, np.ndarray):
            np.testing.assert_allclose(value, theirs[key], rtol=1e-6, err_msg=key)  # exp: numpy's vs torch's ulp
            assert value.dtype.kind == theirs[key].dtype.kind, key  # float64 is our default float, float32 torch's
        elif key == "ops":
            for got, want in zip(value, theirs[key]):
                np.testing.assert_array_equal(got, want)
        else:
            assert value == theirs[key], key


def test_2_1_saving_memory_on_tensors_that_require_grad_is_refused_by_design():
    X = torch.arange(12.0).reshape((3, 4)).requires_grad_(True)
    Y = torch.ones((3, 4))
    Z = torch.zeros_like(Y)
    with pytest.raises(RuntimeError, match=r"copies its values only.*v\.detach\(\)"):
        Z[:] = X + Y
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*w\.data \+= "):
        X += Y
    H = X * 2
    with pytest.raises(RuntimeError, match=r"part of a recorded graph.*y = y \+"):
        H += Y
    with torch.no_grad():  # the book's idiom for updating parameters in place: allowed, id kept
        before = id(X)
        X += Y
    assert id(X) == before and float(X[0, 0]) == 1.0 and X.requires_grad


def test_gap_in_place_add_of_a_tensor_that_requires_grad_refuses_instead_of_dropping_its_gradient():
    X = torch.arange(3.0).requires_grad_(True)
    Y = torch.ones(3)
    with pytest.raises(
        RuntimeError, match=r"in-place '\+=': the right side \(shape \(3,\)\) requires grad.*y = y \+ v"
    ):
        Y += X  # before: Y became [1, 2, 3] and Y.requires_grad stayed False: X's gradient was lost silently
    np.testing.assert_array_equal(Y.data, np.ones(3))  # refused before any write
    with pytest.raises(RuntimeError, match=r"in-place '\*='.*y = y \* v"):
        Y *= X
    Y += X.detach()  # values only, said so
    Y = Y + X  # the graph's spelling: the gradient reaches X
    Y.sum().backward()
    np.testing.assert_array_equal(X.grad, np.ones(3))


# ---------------------------------------------------------------- 2.3 Linear algebra
def _chapter_2_3(torch):
    out = {}
    x, y = torch.tensor(3.0), torch.tensor(2.0)
    out["scalars"] = [float(v) for v in (x + y, x * y, x / y, x**y)]
    x = torch.arange(3)
    out["vector"] = (int(x[2]), len(x), tuple(x.shape))
    A = torch.arange(6).reshape(3, 2)
    out["A.T"] = _np(A.T)
    A = torch.tensor([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
    out["symmetric"] = bool((A == A.T).all())
    A = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    B = A.clone()
    out["A + B"], out["A * B"] = _np(A + B), _np(A * B)
    a, X = 2, torch.arange(24).reshape(2, 3, 4)
    out["a + X"], out["a * X shape"] = _np(a + X), tuple((a * X).shape)
    x = torch.arange(3, dtype=torch.float32)
    out["x.sum"] = float(x.sum())
    out["sum shapes"] = (tuple(A.sum(axis=0).shape), tuple(A.sum(axis=1).shape))
    out["sum axes"] = bool(A.sum(axis=[0, 1]) == A.sum())
    out["means"] = (float(A.mean()), float(A.sum() / A.numel()))
    out["mean0"], out["mean0 by hand"] = _np(A.mean(axis=0)), _np(A.sum(axis=0) / A.shape[0])
    sum_A = A.sum(axis=1, keepdims=True)
    out["sum_A"], out["A / sum_A"] = _np(sum_A), _np(A / sum_A)
    out["cumsum"] = _np(A.cumsum(axis=0))
    y = torch.ones(3, dtype=torch.float32)
    out["dot"], out["sum x*y"] = float(torch.dot(x, y)), float(torch.sum(x * y))
    out["mv"], out["A@x"] = _np(torch.mv(A, x)), _np(A @ x)
    B = torch.ones(3, 4)
    out["mm"], out["A@B"] = _np(torch.mm(A, B)), _np(A @ B)
    u = torch.tensor([3.0, -4.0])
    out["norms"] = (float(torch.norm(u)), float(torch.abs(u).sum()), float(torch.norm(torch.ones((4, 9)))))
    return out


def test_2_3_linear_algebra_prints_the_book_s_values():
    out = _chapter_2_3(ag)
    assert out["scalars"] == [5.0, 6.0, 1.5, 9.0] and out["vector"] == (2, 3, (3,))
    np.testing.assert_array_equal(out["A.T"], [[0, 2, 4], [1, 3, 5]])
    assert out["symmetric"] and out["sum axes"] and out["x.sum"] == 3.0
    np.testing.assert_array_equal(out["A + B"], [[0.0, 2, 4], [6, 8, 10]])
    np.testing.assert_array_equal(out["A * B"], [[0.0, 1, 4], [9, 16, 25]])
    np.testing.assert_array_equal(out["a + X"], np.arange(24).reshape(2, 3, 4) + 2)
    assert out["a * X shape"] == (2, 3, 4) and out["sum shapes"] == ((3,), (2,))
    assert out["means"] == (2.5, 2.5)
    np.testing.assert_array_equal(out["mean0"], [1.5, 2.5, 3.5])
    np.testing.assert_array_equal(out["mean0"], out["mean0 by hand"])
    np.testing.assert_array_equal(out["sum_A"], [[3.0], [12.0]])
    np.testing.assert_allclose(out["A / sum_A"], [[0, 1 / 3, 2 / 3], [0.25, 1 / 3, 5 / 12]], rtol=1e-6)
    np.testing.assert_array_equal(out["cumsum"], [[0.0, 1, 2], [3, 5, 7]])
    assert out["dot"] == out["sum x*y"] == 3.0
    np.testing.assert_array_equal(out["mv"], [5.0, 14.0])
    np.testing.assert_array_equal(out["mv"], out["A@x"])
    np.testing.assert_array_equal(out["mm"], [[3.0] * 4, [12.0] * 4])
    np.testing.assert_array_equal(out["mm"], out["A@B"])
    assert out["norms"] == (5.0, 7.0, 6.0)


def test_2_3_linear_algebra_equals_torch():
    real = pytest.importorskip("torch")
    ours, theirs = _chapter_2_3(ag), _chapter_2_3(real)
    for key, value in ours.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_allclose(value, theirs[key], rtol=1e-6, err_msg=key)
        else:
            assert value == theirs[key], key


def test_gap_cumsum_takes_numpy_s_axis_and_mv_exists():
    A = torch.arange(6.0).reshape(2, 3).requires_grad_(True)
    np.testing.assert_array_equal(A.cumsum(axis=1).data, torch.cumsum(A, 1).data)
    np.testing.assert_array_equal(torch.cumsum(A, axis=0).data, [[0.0, 1, 2], [3, 5, 7]])
    with pytest.raises(TypeError, match=r"cumsum: give the axis to run along"):
        A.cumsum()  # numpy would flatten; PyTorch needs the axis
    with pytest.raises(TypeError, match="not both"):
        A.cumsum(0, axis=0)
    x = torch.tensor([1.0, -1.0, 2.0], requires_grad=True)
    y = torch.mv(A, x)
    y.sum().backward()  # d(sum A x)/dx = column sums of A, d/dA = 1 x^T
    np.testing.assert_array_equal(x.grad, [3.0, 5.0, 7.0])
    np.testing.assert_array_equal(A.grad, np.tile([1.0, -1.0, 2.0], (2, 1)))
    assert ag.gradcheck(lambda a, v: a.mv(v), (A.detach().requires_grad_(True), x.detach().requires_grad_(True)))
    with pytest.raises(
        ValueError, match=r"mv: needs a 2-d \(n, k\) tensor and a 1-d \(k,\) one, got shapes \(2, 3\) and \(2,\)"
    ):
        torch.mv(A, torch.ones(2))
    with pytest.raises(ValueError, match=r"got shapes \(2, 3\) and \(3, 1\) \(use @ for others\)"):
        A.mv(torch.ones((3, 1)))


# ---------------------------------------------------------------- 2.4 Calculus
def f(x):
    return 3 * x**2 - 4 * x


def test_2_4_numerical_limit_approaches_the_derivative_2():
    lines = [f"h={h:.5f}, numerical limit={(f(1 + h) - f(1)) / h:.5f}" for h in 10.0 ** np.arange(-1, -6, -1)]
    assert lines == [
        "h=0.10000, numerical limit=2.30000",
        "h=0.01000, numerical limit=2.03000",
        "h=0.00100, numerical limit=2.00300",
        "h=0.00010, numerical limit=2.00030",
        "h=0.00001, numerical limit=2.00003",
    ]
    # the engine's derivative is the limit: f'(x) = 6x - 4, 2 at x = 1; the tangent line there is y = 2x - 3
    x = torch.tensor(1.0, requires_grad=True)
    y = f(x)
    y.backward()
    assert x.grad == 2.0
    xs = np.arange(0, 3, 0.1)
    tangent = float(x.grad) * (xs - 1) + float(y)
    np.testing.assert_allclose(tangent, 2 * xs - 3, atol=1e-12)
    for h in 10.0 ** np.arange(-1, -6, -1):  # the secant's slope error is 3h: exactly linear in h
        assert (f(1 + h) - f(1)) / h - x.grad == pytest.approx(3 * h, rel=1e-6)


def test_2_4_derivative_everywhere_is_6x_minus_4_elementwise():
    x = torch.arange(-2.0, 2.0, 0.25, requires_grad=True)
    f(x).sum().backward()  # each f(x_i) depends on x_i alone: the sum's gradient is f' elementwise
    np.testing.assert_allclose(x.grad, 6 * x.data - 4)
    assert ag.gradcheck(f, (x.detach().requires_grad_(True),))
