"""Shared by the fifth audit's tests: PyTorch's value and gradients, the oracle they compare with."""


def torch_grad(torch, f, *arrays):
    """torch's value and gradients of ``f(*tensors).sum()`` in float64 (``torch`` is the imported module)."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = f(*ts)
    out.sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in ts]
