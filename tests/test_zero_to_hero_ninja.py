"""Zero to Hero, makemore part 4: becoming a backprop ninja, ported step by step (see
test_zero_to_hero_ports.py). The lecture's forward pass in ~20 intermediates, the backward of every one by
hand, compared with the engine's gradients by the lecture's ``cmp``; the fused cross-entropy and batchnorm
backward; training with the backward written by hand. Hand-derived formulas as the test oracle.
"""

import math

import numpy as np
import pytest
from zero_to_hero_helpers import block_size, splits

import autograd_core as ag
import nn.functional as F

torch = ag  # the lectures' own spelling, kept so each step reads as the lecture does
vocab_size, n_embd = 27, 10


# ---------------------------------------------------------------- 5. makemore part 4: becoming a backprop ninja
def cmp(s, dt, t):
    """The lecture's comparison of a gradient by hand, ``dt``, with the engine's ``t.grad``."""
    ex = torch.all(dt == t.grad).item()
    app = torch.allclose(dt, t.grad)
    maxdiff = (dt - t.grad).abs().max().item()
    shape_ok = dt.shape == t.shape
    print(f"{s:15s} | exact: {ex!s:5s} | approximate: {app!s:5s} | maxdiff: {maxdiff} | shape is correct: {shape_ok}")
    return ex, app, maxdiff, shape_ok


def _ninja_parameters(n_hidden=64):
    g = torch.Generator().manual_seed(2147483647)
    C = torch.randn((vocab_size, n_embd), generator=g)
    W1 = torch.randn((n_embd * block_size, n_hidden), generator=g) * (5 / 3) / ((n_embd * block_size) ** 0.5)
    b1 = torch.randn(n_hidden, generator=g) * 0.1  # using b1 just for fun, it's useless because of BN
    W2 = torch.randn((n_hidden, vocab_size), generator=g) * 0.1
    b2 = torch.randn(vocab_size, generator=g) * 0.1
    bngain = torch.randn((1, n_hidden), generator=g) * 0.1 + 1.0  # not ones and zeros, which could hide a bug
    bnbias = torch.randn((1, n_hidden), generator=g) * 0.1
    return [C, W1, b1, W2, b2, bngain, bnbias], g


def _ninja_forward(lib, parameters, Xb, Yb):
    """The lecture's forward pass "chunkated" into steps that are possible to backward one at a time."""
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    n = Xb.shape[0]
    emb = C[Xb]  # embed the characters into vectors
    embcat = emb.view(emb.shape[0], -1)  # concatenate the vectors
    hprebn = embcat @ W1 + b1  # hidden layer pre-activation
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)  # note: Bessel's correction (dividing by n-1, not n)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = lib.tanh(hpreact)  # hidden layer
    logits = h @ W2 + b2  # output layer
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes  # subtract max for numerical stability
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1  # (1.0 / counts_sum) would not be bit exact in the lecture
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    steps = dict(
        logprobs=logprobs, probs=probs, counts=counts, counts_sum=counts_sum, counts_sum_inv=counts_sum_inv,
        norm_logits=norm_logits, logit_maxes=logit_maxes, logits=logits, h=h, hpreact=hpreact, bnraw=bnraw,
        bnvar_inv=bnvar_inv, bnvar=bnvar, bndiff2=bndiff2, bndiff=bndiff, hprebn=hprebn, bnmeani=bnmeani,
        embcat=embcat, emb=emb,
    )  # fmt: skip
    for p in parameters:
        p.grad = None
    for t in steps.values():
        t.retain_grad()
    loss.backward()
    return loss, steps


def _ninja_batch():
    _, _, (Xtr, Ytr), _, _ = splits()
    parameters, g = _ninja_parameters()
    for p in parameters:
        p.requires_grad = True
    ix = torch.randint(0, Xtr.shape[0], (32,), generator=g)
    return parameters, Xtr[ix], Ytr[ix]


def test_5_every_intermediate_gradient_by_hand_equals_the_engines():
    parameters, Xb, Yb = _ninja_batch()
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    assert sum(p.nelement() for p in parameters) == 270 + 1920 + 64 + 1728 + 27 + 128
    n = batch_size = Xb.shape[0]
    loss, steps = _ninja_forward(torch, parameters, Xb, Yb)
    (logprobs, probs, counts, counts_sum, counts_sum_inv, _norm_logits, logit_maxes, logits, h, hpreact, bnraw,
     bnvar_inv, bnvar, bndiff2, bndiff, hprebn, _bnmeani, embcat, emb) = steps.values()  # fmt: skip
    assert loss.item() == pytest.approx(math.log(27), abs=0.3)
    assert logits.amax(1, keepdim=True).tolist() == logit_maxes.tolist()  # max(dim) is torch's (values, indices)
    assert logits.max(1).indices.tolist() == logits.argmax(1).tolist()

    # Exercise 1: backprop through the whole thing manually, one variable at a time. In torch these lines
    # record a graph of their own (unused); here an in-place += on a recorded tensor is refused, so no_grad
    with pytest.raises(RuntimeError, match=r"part of a recorded graph; .* inside `with ag.no_grad\(\):`"):
        dcounts = counts_sum_inv * (1.0 / probs)
        dcounts += torch.ones_like(counts)
    with torch.no_grad():
        dlogprobs = torch.zeros_like(logprobs)
        dlogprobs[range(n), Yb] = -1.0 / n
        dprobs = (1.0 / probs) * dlogprobs
        dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
        dcounts = counts_sum_inv * dprobs
        dcounts_sum = (-(counts_sum**-2)) * dcounts_sum_inv
        dcounts += torch.ones_like(counts) * dcounts_sum
        dnorm_logits = counts * dcounts
        dlogits = dnorm_logits.clone()
        dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
        dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
        dh = dlogits @ W2.T
        dW2 = h.T @ dlogits
        db2 = dlogits.sum(0)
        dhpreact = (1.0 - h**2) * dh
        dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
        dbnraw = bngain * dhpreact
        dbnbias = dhpreact.sum(0, keepdim=True)
        dbndiff = bnvar_inv * dbnraw
        dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
        dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
        dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
        dbndiff += (2 * bndiff) * dbndiff2
        dhprebn = dbndiff.clone()
        dbnmeani = (-dbndiff).sum(0, keepdim=True)
        dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
        dembcat = dhprebn @ W1.T
        dW1 = embcat.T @ dhprebn
        db1 = dhprebn.sum(0)
        demb = dembcat.view(emb.shape)
        dC = torch.zeros_like(C)
        for k in range(Xb.shape[0]):
            for j in range(Xb.shape[1]):
                ix = Xb[k, j]
                dC[ix] += demb[k, j]
    by_hand = dict(
        logprobs=dlogprobs, probs=dprobs, counts_sum_inv=dcounts_sum_inv, counts_sum=dcounts_sum, counts=dcounts,
        norm_logits=dnorm_logits, logit_maxes=dlogit_maxes, logits=dlogits, h=dh, W2=dW2, b2=db2, hpreact=dhpreact,
        bngain=dbngain, bnbias=dbnbias, bnraw=dbnraw, bnvar_inv=dbnvar_inv, bnvar=dbnvar, bndiff2=dbndiff2,
        bndiff=dbndiff, bnmeani=dbnmeani, hprebn=dhprebn, embcat=dembcat, W1=dW1, b1=db1, emb=demb, C=dC,
    )  # fmt: skip
    tensors = dict(steps, C=C, W1=W1, b1=b1, W2=W2, b2=b2, bngain=bngain, bnbias=bnbias)
    results = {name: cmp(name, dt, tensors[name]) for name, dt in by_hand.items()}
    assert len(results) == 26
    for name, (_, approximate, maxdiff, shape_ok) in results.items():
        assert approximate and shape_ok and maxdiff < 1e-15, (name, maxdiff)
    # and bit for bit, as in the lecture's torch: each vjp is the formula written above, the same float operations
    # in the same order (a sum of two contributions is the same either way round)
    assert [name for name, r in results.items() if not r[0]] == []

    # Exercise 2: the cross entropy's backward in one go: softmax minus the one-hot label, over n
    loss_fast = F.cross_entropy(logits, Yb)
    assert abs((loss_fast - loss).item()) < 1e-14
    with pytest.raises(RuntimeError, match="part of a recorded graph"):
        F.softmax(logits, 1)[range(n), Yb] -= 1
    with torch.no_grad():
        dlogits = F.softmax(logits, 1)
        dlogits[range(n), Yb] -= 1
        dlogits /= n
    _, app, maxdiff, _ = cmp("logits", dlogits, logits)
    assert app and maxdiff < 1e-16 and abs(dlogits[0].sum().item()) < 1e-16  # each row's pull sums to zero

    # Exercise 3: the batchnorm's backward in one go
    hpreact_fast = (
        bngain * (hprebn - hprebn.mean(0, keepdim=True)) / torch.sqrt(hprebn.var(0, keepdim=True, unbiased=True) + 1e-5)
        + bnbias
    )
    assert (hpreact_fast - hpreact).abs().max().item() < 1e-14
    with torch.no_grad():
        dhprebn = (
            bngain * bnvar_inv / n * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
        )
    _ex, app, maxdiff, shape_ok = cmp("hprebn", dhprebn, hprebn)
    assert app and shape_ok and maxdiff < 1e-15
    assert batch_size == 32


def test_5_every_intermediate_gradient_equals_torchs():
    real = pytest.importorskip("torch")
    parameters, Xb, Yb = _ninja_batch()
    loss, steps = _ninja_forward(torch, parameters, Xb, Yb)
    theirs = [real.tensor(p.data, requires_grad=True) for p in parameters]
    tloss, tsteps = _ninja_forward(real, theirs, real.from_numpy(Xb.data), real.from_numpy(Yb.data))
    assert loss.item() == pytest.approx(tloss.item(), rel=1e-14)
    for name, t in steps.items():
        np.testing.assert_allclose(t.data, tsteps[name].detach().numpy(), rtol=1e-12, atol=1e-15, err_msg=name)
        # (logit_maxes' gradient is 0 in exact arithmetic: both engines leave a rounding residue, ~1e-17)
        np.testing.assert_allclose(t.grad, tsteps[name].grad.numpy(), rtol=1e-10, atol=1e-16, err_msg=name)
    for p, tp in zip(parameters, theirs):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-16)


def test_5_training_with_the_backward_pass_written_by_hand():
    _, _, (Xtr, Ytr), (Xdev, Ydev), _ = splits()
    parameters, g = _ninja_parameters()
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    for p in parameters:
        p.requires_grad = True
    n = batch_size = 32
    lossi = []
    with torch.no_grad():  # the whole loop: the backward pass is ours
        for i in range(200):
            ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
            Xb, Yb = Xtr[ix], Ytr[ix]
            emb = C[Xb]
            embcat = emb.view(emb.shape[0], -1)
            hprebn = embcat @ W1 + b1
            bnmean = hprebn.mean(0, keepdim=True)
            bnvar = hprebn.var(0, keepdim=True, unbiased=True)
            bnvar_inv = (bnvar + 1e-5) ** -0.5
            bnraw = (hprebn - bnmean) * bnvar_inv
            hpreact = bngain * bnraw + bnbias
            h = torch.tanh(hpreact)
            logits = h @ W2 + b2
            loss = F.cross_entropy(logits, Yb)
            for p in parameters:
                p.grad = None
            dlogits = F.softmax(logits, 1)  # manual backprop! #swole_doge_meme
            dlogits[range(n), Yb] -= 1
            dlogits /= n
            dh = dlogits @ W2.T
            dW2 = h.T @ dlogits
            db2 = dlogits.sum(0)
            dhpreact = (1.0 - h**2) * dh
            dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
            dbnbias = dhpreact.sum(0, keepdim=True)
            dhprebn = (
                bngain
                * bnvar_inv
                / n
                * (n * dhpreact - dhpreact.sum(0) - n / (n - 1) * bnraw * (dhpreact * bnraw).sum(0))
            )
            dembcat = dhprebn @ W1.T
            dW1 = embcat.T @ dhprebn
            db1 = dhprebn.sum(0)
            demb = dembcat.view(emb.shape)
            dC = torch.zeros_like(C)
            for k in range(Xb.shape[0]):
                for j in range(Xb.shape[1]):
                    ix = Xb[k, j]
                    dC[ix] += demb[k, j]
            grads = [dC, dW1, db1, dW2, db2, dbngain, dbnbias]
            if i == 0:  # loss.backward(): "use this for correctness comparisons"
                with torch.enable_grad():
                    _ninja_forward(torch, parameters, Xb, Yb)
                for p, grad in zip(parameters, grads):
                    np.testing.assert_allclose(grad.data, p.grad, rtol=1e-9, atol=1e-15)
            lr = 0.1 if i < 150 else 0.01
            for p, grad in zip(parameters, grads):
                p.data += -lr * grad  # a Tensor into the numpy array p.data
            lossi.append(loss.item())
        assert np.mean(lossi[-20:]) < np.mean(lossi[:5]) - 0.5
        emb = C[Xdev]
        hpreact = emb.view(emb.shape[0], -1) @ W1 + b1
        hpreact = (
            bngain * (hpreact - hpreact.mean(0, keepdim=True)) * (hpreact.var(0, keepdim=True) + 1e-5) ** -0.5 + bnbias
        )
        assert F.cross_entropy(torch.tanh(hpreact) @ W2 + b2, Ydev).item() < 2.7
