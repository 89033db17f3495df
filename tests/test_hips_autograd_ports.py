"""HIPS autograd's README and tutorial (github.com/HIPS/autograd: README.md, docs/tutorial.md,
examples/define_gradient.py), ported step by step (``ag`` for ``autograd`` and ``autograd.numpy``), each step
asserting the page's own outcome, proved by closed forms and finite differences and, where HIPS autograd is
installed (the ``oracle`` extra), equal to HIPS's own values in float64. Its examples are in
``test_hips_autograd_ports_examples.py``.

a. README: grad of tanh against finite differences; ``elementwise_grad`` up to the sixth derivative
b. Tutorial: taylor_sine's while loop; logistic regression by gradient descent; containers (tuples, dicts,
   lists of numpy arrays); Hessian-vector products; "Supported and unsupported parts of numpy"
c. "Extend Autograd by defining your own primitives": logsumexp with its own gradient, as an ``ag.Function``
   and as a ``Primitive`` whose vjp is written, as HIPS's, with numpy calls (recorded on Tensors)

How HIPS's spellings map onto ours:
- ``grad(f, argnum)(x)`` is ``ag.value_and_grad(f, argnum)(x)[1]`` (``ag.grad`` is torch's tensors-in,
  tensors-out grad; the ``grad`` helper below); ``elementwise_grad`` is ``ag.elementwise_grad`` (added for
  these ports); ``autograd.misc.flatten`` is ``ag.ravel_pytree`` (JAX's name: ``ag.flatten`` is torch's reshape).
- ``hessian_vector_product(f)(x, v)`` (= ``hessian_tensor_product``) is ``ag.hvp(f, x, v)[1]``, and
  ``make_hvp(f)(x)`` -> ``(hvp_fn, grad)`` is ``ag.vjp`` of the gradient function: ``(grad, vjp_fn)``, the other way
  round (the Hessian is symmetric, so its vjp is its jvp).
- ``@primitive`` + ``defvjp(f, lambda ans, x: lambda g: ...)`` is ``class F(ag.Function)`` with ``forward``
  and ``backward`` (ctx carries ``ans`` and ``x``), or a ``Primitive`` (docs/tutorials/07-your-own-primitive.md).
- ``np.dot(X, w)`` of a matrix is ``X @ w`` (``ag.dot``, like ``A.dot(B)``, is torch's 1-d dot and says so).
- ``grad_named(f, "name")``: ours picks arguments by position only (``argnums``); complex inputs are refused
  by name (this engine is real-valued: differentiate the real and imaginary parts as two arguments).
- Assignment ``A[0, 0] = x`` with x requiring grad: HIPS lists it under "Don't use" (its gradient is lost
  silently); ours refuses, naming ``ag.stack`` / ``ag.where``; so do ``a += b`` on a recorded tensor and
  ``ag.sum([x, y])`` (implicit casting of a list: it silently gave a zero gradient before these ports).
"""

import math

import numpy as np
import pytest
from numpy.polynomial import Polynomial

import autograd_core as ag
from autograd_core import Tensor


def grad(f, argnum=0):
    """HIPS's ``grad(f, argnum)``: the gradient function of a scalar f (ours: value_and_grad's second half)."""
    return lambda *args: ag.value_and_grad(f, argnum)(*args)[1]


def _hips():
    autograd = pytest.importorskip("autograd")
    return autograd, pytest.importorskip("autograd.numpy")


def _close(ours, theirs, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(ours.data if isinstance(ours, Tensor) else ours), theirs, rtol, atol)


# --------------------------------------------------------------------------------------------- a. README
def tanh(x):
    """The README's tanh, written with exp."""
    y = ag.exp(-2.0 * x)
    return (1.0 - y) / (1.0 + y)


def _tanh_derivatives(x, n, scale=1.0):
    """The k-th derivatives (k = 0..n) of tanh(scale x) in closed form: d/dx P(t) = P'(t) (1 - t^2) scale."""
    t, polynomial, found = np.tanh(scale * x), Polynomial([0, 1]), []
    for _ in range(n + 1):
        found.append(polynomial(t))
        polynomial = polynomial.deriv() * Polynomial([1, 0, -1]) * scale
    return found


def test_a1_grad_of_tanh_at_one_matches_the_closed_form_and_finite_differences():
    grad_tanh = grad(tanh)
    assert grad_tanh(1.0).item() == pytest.approx(0.41997434161402603, rel=1e-15)  # the README's printed value
    assert grad_tanh(1.0).item() == pytest.approx(1 - math.tanh(1.0) ** 2, rel=1e-14)
    finite = (tanh(Tensor(1.0001)) - tanh(Tensor(0.9999))).item() / 0.0002
    assert finite == pytest.approx(0.41997434264973155, rel=1e-10)  # the README's (cancellation: ulps / h)
    assert grad_tanh(1.0).item() == pytest.approx(finite, rel=1e-8)


def test_a2_elementwise_grad_gives_six_derivatives_of_tanh_on_a_grid():
    egrad = ag.elementwise_grad
    x = np.linspace(-7, 7, 200)
    derivative, closed = tanh, _tanh_derivatives(x, 6)
    _close(tanh(Tensor(x)), closed[0], rtol=1e-13, atol=1e-15)
    for k in range(1, 7):
        derivative = egrad(derivative)
        values = derivative(x)
        assert values.shape == (200,) and values.dtype == np.float64
        _close(values, closed[k], rtol=1e-8, atol=1e-9 * 4**k)
    # at 0 the odd derivatives are the series' coefficients times k!: 1, -2, 16; the even ones vanish
    at_zero = [d(Tensor([0.0])).item() for d in _nested(egrad, tanh, 6)]
    assert at_zero == pytest.approx([1, 0, -2, 0, 16, 0], abs=1e-12)


def _nested(transform, f, n):
    found = []
    for _ in range(n):
        f = transform(f)
        found.append(f)
    return found


def test_a3_examples_tanh_py_six_derivatives_of_its_tanh_of_half_x():
    def example_tanh(x):  # examples/tanh.py's: (1 - e^-x) / (1 + e^-x) = tanh(x / 2)
        return (1.0 - ag.exp(-x)) / (1.0 + ag.exp(-x))

    x = np.linspace(-7, 7, 200)
    closed = _tanh_derivatives(x, 6, scale=0.5)
    for k, derivative in enumerate(_nested(ag.elementwise_grad, example_tanh, 6), 1):
        _close(derivative(x), closed[k], rtol=1e-8, atol=1e-10)


def test_a2_elementwise_grad_is_the_sum_of_the_jacobians_rows_for_any_function():
    f = lambda x: ag.stack([x[0] * x[1], x[1] ** 3, x.sum()])  # noqa: E731 (not elementwise: J has 3 rows)
    x = Tensor([2.0, 3.0])
    _close(ag.elementwise_grad(f)(x), ag.jacobian(f)(x).data.sum(axis=0))
    w, b = ag.elementwise_grad(lambda w, b: w * b + b, argnums=(0, 1))(Tensor([1.0, 2.0]), Tensor([10.0, 20.0]))
    _close(w, [10.0, 20.0])
    _close(b, [2.0, 3.0])
    with pytest.raises(TypeError, match="elementwise_grad: f must return a Tensor, got tuple"):
        ag.elementwise_grad(lambda x: (x, x))(x)
    with pytest.raises(TypeError, match=r"write ag.elementwise_grad\(f\)\(x\)"):
        ag.elementwise_grad(ag.tanh, x)


def test_a2_six_derivatives_equal_hips_autograds_own():
    autograd, anp = _hips()
    x = np.linspace(-5, 7, 200)  # below -5.6 HIPS's sixth derivative overflows (y**2 in its divide's vjp) to ~2e6,
    # where ours keeps the closed form (test_a2 above, on -7..7)

    def hips_tanh(x):
        y = anp.exp(-2.0 * x)
        return (1.0 - y) / (1.0 + y)

    ours, theirs = _nested(ag.elementwise_grad, tanh, 6), _nested(autograd.elementwise_grad, hips_tanh, 6)
    for k, (d_ours, d_theirs) in enumerate(zip(ours, theirs), 1):
        _close(d_ours(x), d_theirs(x), rtol=1e-10, atol=1e-12 * 4**k)


# ------------------------------------------------------------------------------------------ b. Tutorial
def taylor_sine(x):
    """The tutorial's Taylor approximation to sine: an open-ended while loop on a recorded value."""
    ans = currterm = x
    i = 0
    while ag.abs(currterm) > 0.001:
        currterm = -currterm * x**2 / ((2 * i + 3) * (2 * i + 2))
        ans = ans + currterm
        i += 1
    return ans


def test_b1_grad_through_a_while_loop_is_the_cosine():
    grad_sine = grad(taylor_sine)
    assert grad_sine(np.pi).item() == pytest.approx(-1.0, abs=1e-3)  # "Gradient of sin(pi) is" ~ -1
    h = 1e-6  # the series stops after the same number of terms at pi +- h: its own derivative, exactly
    finite = (taylor_sine(Tensor(np.pi + h)) - taylor_sine(Tensor(np.pi - h))).item() / (2 * h)
    assert grad_sine(np.pi).item() == pytest.approx(finite, rel=1e-8)
    for x in (0.3, 1.0, 2.0):
        assert grad_sine(x).item() == pytest.approx(math.cos(x), abs=1e-3)


def sigmoid(x):
    return 0.5 * (ag.tanh(x) + 1)


def logistic_predictions(weights, inputs):
    """Outputs probability of a label being true according to the logistic model (np.dot of a matrix: @)."""
    return sigmoid(inputs @ weights)


INPUTS = np.array([[0.52, 1.12, 0.77], [0.88, -1.08, 0.15], [0.52, 0.06, -1.30], [0.74, -2.49, 1.39]])
TARGETS = np.array([True, True, False, True])


def training_loss(weights):
    """Training loss is the negative log-likelihood of the training labels."""
    preds = logistic_predictions(weights, INPUTS)
    label_probabilities = preds * TARGETS + (1 - preds) * (1 - TARGETS)
    return -ag.sum(ag.log(label_probabilities))


def _closed_form_gradient(weights):
    """sigmoid here is 0.5 (tanh(z) + 1) = s(2z), so d NLL / dz = 2 (p - t): the gradient is 2 X^T (p - t)."""
    p = 0.5 * (np.tanh(INPUTS @ weights) + 1)
    return 2 * INPUTS.T @ (p - TARGETS)


def test_b2_logistic_regression_by_gradient_descent():
    training_gradient_fun = grad(training_loss)
    weights = ag.tensor([0.0, 0.0, 0.0])
    initial = training_loss(weights).item()
    assert initial == pytest.approx(4 * math.log(2), rel=1e-15)  # p = 1/2 for each of the 4 examples
    assert ag.gradcheck(training_loss, (Tensor([0.1, -0.2, 0.3], requires_grad=True),))  # quick_grad_check
    expected = np.zeros(3)  # the same descent with the closed-form gradient, in numpy
    for _ in range(100):
        g = training_gradient_fun(weights)
        _close(g, _closed_form_gradient(expected), rtol=1e-10, atol=1e-13)
        weights -= g * 0.01  # the tutorial's in-place step: weights does not require grad, so it is allowed
        expected -= _closed_form_gradient(expected) * 0.01
    _close(weights, expected, rtol=1e-10)
    trained = training_loss(weights).item()
    assert trained < 0.5 * initial  # "Trained loss" well below the initial 2.77
    assert not weights.requires_grad and weights.grad is None


def test_b2_logistic_regression_equals_hips_autograds_descent():
    autograd, anp = _hips()

    def hips_loss(weights):
        preds = 0.5 * (anp.tanh(anp.dot(INPUTS, weights)) + 1)
        label_probabilities = preds * TARGETS + (1 - preds) * (1 - TARGETS)
        return -anp.sum(anp.log(label_probabilities))

    ours, theirs = ag.tensor([0.0, 0.0, 0.0]), np.zeros(3)
    for _ in range(100):
        ours -= grad(training_loss)(ours) * 0.01
        theirs -= autograd.grad(hips_loss)(theirs) * 0.01
    _close(ours, theirs, rtol=1e-12)
    assert training_loss(ours).item() == pytest.approx(hips_loss(theirs), rel=1e-12)


def test_b3_inputs_may_be_tuples_of_tuples_dicts_and_lists_of_numpy_arrays():
    w, b = np.array([0.5, -1.0, 2.0]), np.array(0.25)
    loss = lambda params: training_loss(params[0][0]) + params[1] ** 2  # noqa: E731 (a tuple of tuples)
    (dw,), db = grad(loss)(((w,), b))  # numpy leaves: HIPS's examples hold their parameters so
    _close(dw, _closed_form_gradient(w), rtol=1e-12)
    _close(db, 0.5)
    by_name = grad(lambda p: training_loss(p["w"]) * p["scale"])({"w": Tensor(w), "scale": Tensor(3.0)})
    assert list(by_name) == ["w", "scale"]
    _close(by_name["w"], 3 * _closed_form_gradient(w), rtol=1e-12)
    _close(by_name["scale"], training_loss(Tensor(w)).item(), rtol=1e-14)
    layers = [(np.ones((3, 2)), np.zeros(2)), (np.ones((2, 1)), np.zeros(1))]  # a list of (W, b) numpy tuples
    found = grad(lambda p: sum((W**2).sum() + (b + 1).sum() for W, b in p))(layers)
    assert isinstance(found, list) and all(isinstance(pair, tuple) for pair in found)
    for (W, b), (dW, db) in zip(layers, found):
        _close(dW, 2 * W)
        _close(db, np.ones_like(b))


def test_b3_a_complex_input_is_refused_by_name_the_engine_is_real_valued():
    # HIPS: "The input can be a scalar, complex number, vector, tuple, ..."; ours differentiates real numbers
    with pytest.raises(TypeError, match=r"value_and_grad: argument 0 is complex \(complex128\); .* two real arguments"):
        grad(lambda z: z * z)(1.0 + 2.0j)
    real, imag = grad(lambda x, y: x * x - y * y, (0, 1))(1.0, 2.0)  # Re(z^2) by its parts
    assert (real.item(), imag.item()) == (2.0, -4.0)


def test_b4_hessian_vector_products_equal_the_hessian_times_v():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))

    def f(x):
        return ag.sum(ag.tanh(Tensor(A) @ x) ** 2) + (x**4).sum()

    x, v = Tensor(rng.normal(size=4)), rng.normal(size=4)
    H = ag.hessian(f)(x).data
    t = np.tanh(A @ x.data)  # closed form: 2 A^T diag((1-t^2)(1-3t^2)) A + diag(12 x^2)
    _close(H, 2 * A.T @ np.diag((1 - t**2) * (1 - 3 * t**2)) @ A + np.diag(12 * x.data**2), rtol=1e-12)
    value, Hv = ag.hvp(f, x, v)  # hessian_vector_product(f)(x, v)
    _close(Hv, H @ v, rtol=1e-12)
    assert value.item() == pytest.approx(f(x).item(), rel=1e-15)
    gradient, hvp_fn = ag.vjp(grad(f), x)  # make_hvp(f)(x): the gradient's forward pass once, many products
    _close(gradient, ag.value_and_grad(f)(x)[1])
    for u in (v, rng.normal(size=4), np.eye(4)[2]):
        (Hu,) = hvp_fn(Tensor(u))
        _close(Hu, H @ u, rtol=1e-12)


def test_b4_hessian_vector_products_equal_hips_autograds_own():
    autograd, anp = _hips()
    rng = np.random.default_rng(1)
    A, x, v = rng.normal(size=(3, 3)), rng.normal(size=3), rng.normal(size=3)
    ours = ag.hvp(lambda x: ag.sum(ag.tanh(Tensor(A) @ x) ** 2), Tensor(x), v)[1]
    theirs = autograd.hessian_vector_product(lambda x: anp.sum(anp.tanh(anp.dot(A, x)) ** 2))(x, v)
    _close(ours, theirs, rtol=1e-12)


def test_b5_do_use_indexing_slicing_and_explicit_array_creation_from_lists():
    A = Tensor(np.arange(24.0).reshape(2, 3, 4))
    dA = grad(lambda A: (A[1, :, 2:4] ** 2).sum())(A)  # x = A[3, :, 2:4]
    expected = np.zeros((2, 3, 4))
    expected[1, :, 2:4] = 2 * A.data[1, :, 2:4]
    _close(dA, expected)
    dx = grad(lambda x: ag.sum(ag.stack([x[0] * x[1], x[1]]) ** 2))(Tensor([2.0, 3.0]))  # A = np.array([x, y])
    _close(dx, [2 * 2 * 3**2, 2 * 2**2 * 3 + 2 * 3])


def test_b5_dont_use_assignment_in_place_ops_and_implicit_casting_they_are_refused_by_name():
    x = Tensor([1.0, 3.0])

    def assigns(x):
        A = ag.zeros((2, 2))
        A[0, 0] = x[0]  # "Assignment to arrays A[0,0] = x": the copy would carry no gradient
        return A.sum()

    with pytest.raises(RuntimeError, match=r"item assignment .* no gradient would reach .*ag\.stack"):
        grad(assigns)(x)
    built = lambda x: ag.where(Tensor(np.eye(2, dtype=bool)), ag.stack([x[0], x[1]]), 0.0).sum()  # noqa: E731
    _close(grad(built)(x), [1.0, 1.0])  # the spelling the message names, with its gradient

    def adds_in_place(x):
        a = x * 1
        a += x  # "In-place operations (such as a += b, use a = a + b instead)"
        return (a * a).sum()

    with pytest.raises(RuntimeError, match=r"in-place '\+=' on a tensor that is part of a recorded graph"):
        grad(adds_in_place)(x)
    with pytest.raises(TypeError, match=r"copies the values only.*write ag\.stack\(\[x, y\]\)"):
        grad(lambda x: ag.sum([x[0], x[1] * 2]))(x)  # "Implicit casting of lists to arrays"
    _close(grad(lambda x: ag.sum(ag.stack([x[0], x[1] * 2])))(x), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"dot: needs two 1-d tensors .* use @ for matrices"):
        grad(lambda w: Tensor(INPUTS).dot(w).sum())(Tensor(np.zeros(3)))  # "A.dot(B) notation"
    constants = np.zeros(3)
    constants[0] = 2.0  # assignment to arrays not being differentiated is fine, as in HIPS
    _close(grad(lambda w: (w * constants).sum())(Tensor(np.ones(3))), constants)


# -------------------------------------------------------------------------- c. Your own primitive
class LogSumExp(ag.Function):
    """The tutorial's numerically stable log(sum(exp(x))), a black box with its own gradient."""

    @staticmethod
    def forward(ctx, x):
        max_x = x.data.max()
        ans = Tensor(max_x + np.log(np.sum(np.exp(x.data - max_x))))
        ctx.save_for_backward(x, ans)  # the vjp depends on both the input x and the output ans, as HIPS's
        return ans

    @staticmethod
    def backward(ctx, g):
        x, ans = ctx.saved_tensors  # recorded under create_graph, and backward is Tensor ops: differentiable again
        return g * ag.exp(x - ans)


def example_func(y):
    z = y**2
    lse = LogSumExp.apply(z)
    return ag.sum(lse)


def test_c1_own_logsumexp_gradient_is_the_softmax_closed_form():
    y = np.array([1.5, 6.7, 1e-10])
    gradient = grad(example_func)(y)
    z = y**2
    softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    _close(gradient, 2 * y * softmax, rtol=1e-12, atol=1e-300)
    assert example_func(Tensor(y)).item() == pytest.approx(ag.logsumexp(Tensor(z), axis=0).item(), rel=1e-15)
    assert LogSumExp.apply(Tensor([1000.0, 1000.0])).item() == pytest.approx(1000 + math.log(2))  # stable
    rng = np.random.default_rng(0)
    assert ag.gradcheck(example_func, (Tensor(rng.normal(size=10), requires_grad=True),))  # quick_grad_check


def test_c1_own_logsumexp_has_second_derivatives_equal_to_the_builtin():
    y = Tensor([0.3, -1.2, 0.8])
    ours = ag.hessian(example_func)(y)
    builtin = ag.hessian(lambda y: ag.logsumexp(y**2, axis=0))(y)
    _close(ours, builtin.data, rtol=1e-12, atol=1e-14)


def test_c1_own_logsumexp_equals_hips_primitive_and_defvjp():
    autograd, anp = _hips()
    from autograd.extend import defvjp, primitive

    @primitive
    def hips_logsumexp(x):
        max_x = anp.max(x)
        return max_x + anp.log(anp.sum(anp.exp(x - max_x)))

    defvjp(hips_logsumexp, lambda ans, x: lambda g: anp.full(x.shape, g) * anp.exp(x - anp.full(x.shape, ans)))
    y = np.array([1.5, 6.7, 1e-10, -0.4])
    theirs = autograd.grad(lambda y: anp.sum(hips_logsumexp(y**2)))(y)
    _close(grad(example_func)(y), theirs, rtol=1e-13, atol=1e-300)


def test_c2_the_same_logsumexp_as_a_primitive_with_hips_style_vjp():
    class LogSumExpPrimitive(ag.Primitive):  # HIPS's defvjp(f, lambda ans, x: lambda g: ...): vjp(i, g, ans, x)
        name = "test_hips_logsumexp"

        @staticmethod
        def forward(x):
            max_x = np.max(x)
            return max_x + np.log(np.sum(np.exp(x - max_x)))

        @staticmethod
        def vjp(i, g, ans, x):  # numpy calls on Tensors are recorded ops: one line for both passes, as anp
            return np.full(x.shape, 1.0) * g * np.exp(x - ans)

    try:
        y = Tensor([1.5, 6.7, 1e-10])
        lse = lambda y: Tensor.apply(LogSumExpPrimitive, y**2)  # noqa: E731
        _close(grad(lse)(y), grad(example_func)(y), rtol=1e-15, atol=1e-300)
        _close(ag.hessian(lse)(Tensor([0.3, -1.2, 0.8])), ag.hessian(example_func)(Tensor([0.3, -1.2, 0.8])).data)
        assert ag.gradcheck(lse, (Tensor([0.2, -0.5, 1.1, 0.0], requires_grad=True),))
    finally:
        del ag.PRIMITIVES["test_hips_logsumexp"]
