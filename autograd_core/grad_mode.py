"""Per-thread switches the engine consults: grad mode, anomaly mode, and the name scope.

They live in one ``threading.local`` so that ``with no_grad():`` in one thread never
stops another thread from recording its graph (PyTorch's behaviour).
"""
import contextlib
import threading


class _ThreadState(threading.local):
    # Class attributes are the per-thread defaults: every new thread starts here.
    grad_enabled = True
    anomaly = False
    scope = None


state = _ThreadState()


def is_grad_enabled():
    """True when new operations are recorded for backward (the default)."""
    return state.grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off for a ``with`` block or a decorated function.

    >>> with set_grad_enabled(False):
    ...     y = x * 2          # y.requires_grad is False, nothing is recorded
    """

    def __init__(self, mode):
        self.mode = bool(mode)

    def __enter__(self):
        self.previous = state.grad_enabled
        state.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.grad_enabled = self.previous
        return False


class no_grad(set_grad_enabled):
    """Record nothing inside the block: evaluation, optimizer updates, metrics.

    >>> with no_grad():
    ...     accuracy = (model(X).data.argmax(1) == y).mean()
    """

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Record again inside a ``no_grad`` block (``backward(create_graph=True)`` uses it)."""

    def __init__(self):
        super().__init__(True)


class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first op whose forward or backward produces NaN or Inf.

    The error names the op and the line of user code that created the tensor, which is
    recorded (at some cost) only while this mode is on.

    >>> with detect_anomaly():
    ...     loss = (x.log() * w).sum()   # FloatingPointError if x has zeros
    ...     loss.backward()
    """

    def __init__(self, enabled=True):
        self.enabled = bool(enabled)

    def __enter__(self):
        self.previous = state.anomaly
        state.anomaly = self.enabled
        return self

    def __exit__(self, *exc):
        state.anomaly = self.previous
        return False


class scope:
    """Stamp every tensor created inside the block with a dotted scope name.

    ``nn.Module.__call__`` enters one per module, so ``viz`` can group a layer's ops
    into one cluster without the engine knowing anything about ``nn``. (A class, not a
    generator: it is entered on every module call.)

    >>> with scope("encoder"):
    ...     with scope("0"):
    ...         h = x @ w          # h.scope == "encoder.0"
    """

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.previous = previous = state.scope
        state.scope = self.name if previous is None else f"{previous}.{self.name}"
        return self

    def __exit__(self, *exc):
        state.scope = self.previous
        return False
