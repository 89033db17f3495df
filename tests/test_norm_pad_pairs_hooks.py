"""Bilinear (F.bilinear), CosineSimilarity, PairwiseDistance, F.pdist and TripletMarginWithDistanceLoss against
torch (float64) and without it against loops, closed forms and central differences; the forward hooks'
``with_kwargs``, ``always_call`` and ``prepend`` as torch's."""

import warnings

import numpy as np
import pytest
from norm_pad_helpers import assert_agrees_with_torch, assert_gradcheck, rng

import autograd_core as ag
import nn
import nn.functional as F


def test_bilinear_is_x1_a_x2_plus_b_for_each_output():
    x1, x2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    w, b = rng.normal(size=(4, 3, 2)), rng.normal(size=4)
    want = np.array([[x1[n] @ w[o] @ x2[n] + b[o] for o in range(4)] for n in range(5)])
    np.testing.assert_allclose(F.bilinear(x1, x2, w, b).data, want, rtol=1e-12)
    assert_gradcheck(lambda x1, x2, w, b: F.bilinear(x1, x2, w, b), x1, x2, w, b)
    leading = F.bilinear(rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 2)), w)  # any leading axes
    assert leading.shape == (2, 5, 4)


def test_bilinear_layer_equals_torch_s_and_loads_its_state_dict():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Bilinear(3, 2, 4).double()
    ours = nn.Bilinear(3, 2, 4, seed=0)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert repr(ours) == repr(theirs) and repr(nn.Bilinear(3, 2, 4, bias=False)) == repr(
        torch.nn.Bilinear(3, 2, 4, False)
    )
    x1, x2 = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    w, b = (p.detach().numpy() for p in (theirs.weight, theirs.bias))
    assert_agrees_with_torch(
        torch, lambda x1, x2, w, b: F.bilinear(x1, x2, w, b), torch.nn.functional.bilinear, x1, x2, w, b
    )
    np.testing.assert_allclose(
        ours(x1, x2).data, theirs(torch.tensor(x1), torch.tensor(x2)).detach().numpy(), rtol=1e-12
    )


def test_bilinear_initialises_as_torch_and_refuses_inputs_that_do_not_fit():
    layer = nn.Bilinear(4, 3, 200, seed=1)
    bound = 1 / np.sqrt(4)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.95 * bound
    assert np.abs(layer.bias.data).max() <= bound
    with pytest.raises(
        ValueError, match=r"Bilinear\(in1_features=4, .*\): inputs of shapes \(2, 3\) and \(2, 3\); expected \(N, 4\)"
    ):
        layer(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(
        ValueError, match=r"bilinear: input1 \(2, 4\) and input2 \(3, 3\) must have the same leading axes"
    ):
        F.bilinear(np.ones((2, 4)), np.ones((3, 3)), layer.weight)


def test_cosine_similarity_and_pairwise_distance_layers_are_their_functions_and_repr_as_torch():
    x1, x2 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    cosine = (x1 * x2).sum(1) / np.linalg.norm(x1, axis=1) / np.linalg.norm(x2, axis=1)
    np.testing.assert_allclose(nn.CosineSimilarity()(x1, x2).data, cosine, rtol=1e-12)
    np.testing.assert_allclose(nn.PairwiseDistance(p=1.0, eps=0.0)(x1, x2).data, np.abs(x1 - x2).sum(1), rtol=1e-12)
    assert nn.PairwiseDistance(keepdim=True)(x1, x2).shape == (4, 1)
    torch = pytest.importorskip("torch")
    assert_agrees_with_torch(torch, nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0), x1, x2)
    assert_agrees_with_torch(torch, nn.PairwiseDistance(p=3.0), torch.nn.PairwiseDistance(p=3.0), x1, x2)
    assert repr(nn.CosineSimilarity()) == repr(torch.nn.CosineSimilarity()) == "CosineSimilarity()"
    assert repr(nn.PairwiseDistance(p=1.0)) == repr(torch.nn.PairwiseDistance(p=1.0))


def test_pdist_lists_the_distance_of_every_pair_of_rows_once():
    x = rng.normal(size=(5, 3))
    want = [np.linalg.norm(x[i] - x[j]) for i in range(5) for j in range(i + 1, 5)]
    np.testing.assert_allclose(F.pdist(x).data, want, rtol=1e-12)
    assert_gradcheck(lambda t: F.pdist(t, 1.5), x)
    twins = ag.tensor([[1.0, 2.0], [1.0, 2.0], [4.0, 6.0]], requires_grad=True)
    F.pdist(twins).sum().backward()  # a zero distance: gradient 0, as torch's, not NaN
    np.testing.assert_allclose(twins.grad, [[-0.6, -0.8], [-0.6, -0.8], [1.2, 1.6]], rtol=1e-12)
    assert F.pdist(np.ones((1, 3))).shape == (0,)
    with pytest.raises(ValueError, match=r"pdist: expected an \(N, M\) input .* got shape \(2, 2, 2\)"):
        F.pdist(np.ones((2, 2, 2)))


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.5, np.inf])
def test_pdist_equals_torch_s(p):
    torch = pytest.importorskip("torch")
    x = rng.normal(size=(6, 4))
    x = np.round(x, 1) if p == 0 else x  # rounded: some equal coordinates for p = 0; none else (inf's max: no ties)
    assert_agrees_with_torch(torch, lambda t: F.pdist(t, p), lambda t: torch.nn.functional.pdist(t, p), x)


def cosine_distance(x, y):
    return 1 - F.cosine_similarity(x, y)


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss_by_its_formula_and_equal_to_torch_s(swap):
    a, p, n = (rng.normal(size=(6, 3)) for _ in range(3))
    d = lambda x, y: 1 - (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)  # noqa: E731
    negative = np.minimum(d(a, n), d(p, n)) if swap else d(a, n)
    want = np.maximum(d(a, p) - negative + 0.3, 0).mean()
    loss_fn = nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.3, swap=swap)
    np.testing.assert_allclose(loss_fn(a, p, n).item(), want, rtol=1e-12)
    assert_gradcheck(lambda a, p, n: loss_fn(a, p, n), a, p, n)
    torch = pytest.importorskip("torch")
    theirs = torch.nn.TripletMarginWithDistanceLoss(
        distance_function=lambda x, y: 1 - torch.nn.functional.cosine_similarity(x, y), margin=0.3, swap=swap
    )
    assert_agrees_with_torch(torch, loss_fn, theirs, a, p, n)
    default = nn.TripletMarginWithDistanceLoss(reduction="sum")  # pairwise_distance, a PairwiseDistance sub-module
    assert_agrees_with_torch(torch, default, torch.nn.TripletMarginWithDistanceLoss(reduction="sum"), a, p, n)
    assert repr(nn.TripletMarginWithDistanceLoss()) == repr(torch.nn.TripletMarginWithDistanceLoss())


def test_triplet_margin_with_distance_loss_refuses_a_margin_of_zero_and_a_distance_that_is_not_a_function():
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss: margin must be a number > 0, got 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(TypeError, match="triplet_margin_with_distance_loss: distance_function must be a function"):
        F.triplet_margin_with_distance_loss(np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 2)), distance_function=2)


class Scaled(nn.Module):
    def forward(self, x, factor=1.0):
        if factor < 0:
            raise ValueError("Scaled: factor must be >= 0")
        return ag.as_tensor(x) * factor


def test_forward_hooks_with_kwargs_see_the_keyword_arguments_and_may_replace_the_output():
    module, seen = Scaled(), []
    module.register_forward_hook(lambda m, args, kwargs, out: seen.append(dict(kwargs)) or out + 1, with_kwargs=True)
    module.register_forward_hook(lambda m, args, out: out * 10)
    assert module(np.ones(1), factor=2.0).tolist() == [30.0]  # (2 + 1) * 10: in order, each given the last output
    assert seen == [{"factor": 2.0}]


def test_always_call_hooks_run_when_forward_raises_and_the_error_goes_on():
    module, seen = Scaled(), []
    module.register_forward_hook(lambda m, args, out: seen.append(("always", out)), always_call=True)
    module.register_forward_hook(lambda m, args, out: seen.append(("plain", out)))
    with pytest.raises(ValueError, match="factor must be >= 0"):
        module(np.ones(1), factor=-1.0)
    assert seen == [("always", None)]  # no output: None, as torch's; the plain hook is skipped
    seen.clear()
    module.register_forward_hook(lambda m, args, out: 1 / 0)
    module.register_forward_hook(
        lambda m, args, kwargs, out: seen.append(("late", out.tolist())), always_call=True, with_kwargs=True
    )
    with pytest.raises(ZeroDivisionError):
        module(np.ones(1))
    assert [s[0] for s in seen] == [
        "always",
        "plain",
        "late",
    ]  # each always_call hook once, the late one after the error


def test_an_always_call_hook_that_raises_after_forward_failed_is_a_warning():
    module = Scaled()
    module.register_forward_hook(lambda m, args, out: out.shape, always_call=True)  # out is None: AttributeError
    with warnings.catch_warnings(record=True) as caught, pytest.raises(ValueError, match="factor must be >= 0"):
        warnings.simplefilter("always")
        module(np.ones(1), factor=-1.0)
    assert "(always_call=True) raised AttributeError" in str(caught[0].message)


def test_forward_hooks_prepend_and_match_torch_s_order():
    order = []
    module = Scaled()
    module.register_forward_hook(lambda m, a, o: order.append("first"))
    handle = module.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
    module(np.ones(1))
    assert order == ["prepended", "first"]
    handle.remove()
    module(np.ones(1))
    assert order == ["prepended", "first", "first"]
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable"):
        module.register_forward_hook(None)
