"""The PyTorch spellings Zero to Hero needed, added for its ports (test_zero_to_hero_*.py): ``log10``/``log2``,
``ag.all``/``ag.any``, ``ag.histogram``, and ``array += t`` (``p.data += -lr * p.grad`` with a tensor ``lr``);
each against its closed form, torch where installed, and its errors.
"""

import math

import numpy as np
import pytest

import autograd_core as ag

torch = ag  # the lectures' own spelling


def test_log10_and_log2_are_composed_with_the_closed_form_gradient_and_equal_torch():
    x = torch.tensor([0.5, 10.0, 1000.0, 3e-7], requires_grad=True)
    (x.log10().sum() + torch.log2(x).sum()).backward()
    np.testing.assert_allclose(x.log10().data, np.log10(x.data), rtol=5e-16)  # within 2.2 ulp (measured)
    np.testing.assert_allclose(torch.log2(x).data, np.log2(x.data), rtol=5e-16)
    np.testing.assert_allclose(x.grad, 1 / (x.data * math.log(10)) + 1 / (x.data * math.log(2)), rtol=1e-15)
    assert torch.log10(torch.tensor(100.0)).item() == 2.0 and torch.tensor(8.0).log2().item() == 3.0
    assert torch.ones(2, dtype=torch.float32).log10().dtype == np.float32
    assert ag.gradcheck(lambda t: t.log10() * t.log2(), torch.tensor([0.7, 3.0], requires_grad=True))
    real = pytest.importorskip("torch")
    tx = real.tensor(x.data, requires_grad=True)
    (tx.log10().sum() + real.log2(tx).sum()).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-15)


def test_all_and_any_as_module_functions_and_torch_all_in_the_lectures_cmp():
    t = torch.tensor([[1.0, 0.0], [2.0, 3.0]])
    assert torch.all(t).item() is False and torch.any(t).item() is True
    assert torch.all(t, dim=1).tolist() == [False, True] and torch.any(t == 0, 0, keepdim=True).tolist() == [
        [False, True]
    ]
    assert torch.all(np.ones(3)).item() and "all" not in ag.__all__  # a star import keeps Python's all and any
    assert all([True]) and any([True])


def test_histogram_counts_densities_edges_and_says_what_is_wrong():
    t = torch.tensor([0.0, 1.0, 1.0, 3.0])
    hist, bin_edges = torch.histogram(t, bins=3)
    assert hist.tolist() == [1.0, 2.0, 1.0] and bin_edges.tolist() == [0.0, 1.0, 2.0, 3.0]
    hy, hx = torch.histogram(t, 4, range=(0.0, 4.0), density=True)
    assert hy.tolist() == [0.25, 0.5, 0.0, 0.25] and ((hx[1:] - hx[:-1]) * hy).sum().item() == 1.0
    assert torch.histogram(
        t, torch.tensor([0.0, 2.0, 5.0]), weight=torch.tensor([1.0, 2.0, 3.0, 4.0])
    ).hist.tolist() == [
        6.0,
        4.0,
    ]
    assert torch.histogram(t.float()).hist.dtype == np.float32 and torch.histogram(t).hist.shape == (100,)
    real = pytest.importorskip("torch")
    x = torch.randn(500, generator=torch.Generator().manual_seed(0))
    for kwargs in ({}, {"density": True}, {"bins": 7, "range": (-1.0, 2.0)}):
        ours, theirs = torch.histogram(x, **kwargs), real.histogram(real.from_numpy(x.data), **kwargs)
        np.testing.assert_allclose(ours.hist.data, theirs.hist.numpy(), rtol=1e-12)
        np.testing.assert_allclose(ours.bin_edges.data, theirs.bin_edges.numpy(), rtol=1e-12)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: torch.histogram(torch.tensor([1, 2])),
            TypeError,
            r"histogram: input must be floating point, got int64; convert it first \(t.float\(\)",
        ),
        (lambda: torch.histogram(torch.ones(3), bins=0), ValueError, "histogram: bins must be >= 1, got 0"),
        (
            lambda: torch.histogram(torch.ones(3), bins=[0.0, 2.0, 1.0]),
            ValueError,
            "bin edges must be 1-d and increasing",
        ),
        (
            lambda: torch.histogram(torch.ones(3), bins="auto"),
            TypeError,
            "bins must be an int or a 1-d sequence of edges, got str",
        ),
        (
            lambda: torch.histogram(torch.ones(3), range=(1.0, 1.0)),
            ValueError,
            r"range must be \(min, max\) with min < max",
        ),
        (
            lambda: torch.histogram(torch.tensor([1.0, float("nan")])),
            ValueError,
            r"NaN or inf, so it has no min-to-max range; give range=\(lo, hi\)",
        ),
        (
            lambda: torch.histogram(torch.ones(3), weight=torch.ones(2)),
            ValueError,
            r"weight has shape \(2,\), the input \(3,\)",
        ),
    ],
)
def test_histogram_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_an_array_plus_equals_a_tensor_writes_its_values_and_refuses_a_tensor_that_requires_grad():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    lr = (10 ** torch.linspace(-3, 0, 4))[-1]  # a 0-d tensor, as makemore's lrs[i]
    version, array = w.version, w.data
    w.data += -lr * w.grad  # torch: p.data += -lr * p.grad
    assert w.data is array and w.data.tolist() == [-1.0, -2.0] and w.version != version
    a = np.ones(2)
    a *= torch.tensor([2.0, 3.0])
    assert a.tolist() == [2.0, 3.0]
    with pytest.raises(
        RuntimeError,
        match=r"np.add\(array, t, out=array\) \(an in-place operator such as array \+= t\)"
        r" writes into a numpy array, which records no gradient, but t requires grad: write t.detach\(\)",
    ):
        a += w
    with torch.no_grad():
        a += w
    assert a.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="keyword arguments"):  # out= a Tensor, or another array: still refused
        np.add(w.detach(), 1, out=np.zeros(2))
