"""Weight initialisation, in place, reproducible from a seed (PyTorch's ``torch.nn.init`` names).

Why scaling matters: with weights of variance v, a layer multiplies the variance of
its input by ``fan_in * v``. Xavier/Glorot (v = 2 / (fan_in + fan_out)) keeps it near 1
for tanh/sigmoid; He/Kaiming (v = 2 / fan_in) compensates for ReLU zeroing half the
units. Biases start at zero.

Randomness: every function takes ``generator`` = an ``ag.Generator`` (torch.Generator's
counterpart, its stream shared), a ``numpy.random.Generator``, an int seed, or None for the
default generator, which is autograd_core's (``ag.randn``'s): one seed, ``ag.manual_seed(0)``
or ``nn.init.manual_seed(0)``, fixes initial weights, ``Dropout``'s masks and a
``DataLoader``'s shuffling without ``seed=``, as ``torch.manual_seed`` does.

>>> w = Tensor(np.empty((10, 64)), requires_grad=True)
>>> bound = math.sqrt(6 / 64)                 # U(-b, b) with b = sqrt(6 / 64)
>>> bool(abs(kaiming_uniform_(w, generator=0).data).max() <= bound)
True
"""

from __future__ import annotations

import math
import numbers
from typing import TypeAlias, TypeVar

import numpy as np

import autograd_core as ag
from autograd_core import Tensor
from autograd_core.sampling import default_generator as _shared  # ag.manual_seed reseeds it in place
from autograd_core.types import DTypeLike

from .parameter import is_lazy

#: What ``generator=`` accepts: an ag.Generator, a numpy Generator, an int seed, or None (the default,
#: autograd_core's).
GeneratorLike: TypeAlias = ag.Generator | np.random.Generator | int | np.integer | None

#: What the ``*_`` functions fill: a Tensor, or its ``.data`` array (torch's ``init.xavier_normal_(m.weight.data)``),
#: returned as given.
Initialisable = TypeVar("Initialisable", Tensor, np.ndarray)


def manual_seed(seed: int | None) -> np.random.Generator:
    """Reseed the default generator used when no ``generator`` is given (None: from fresh entropy);
    it is autograd_core's, so this is ``ag.manual_seed(seed)``, as ``torch.manual_seed``.

    >>> _ = manual_seed(0); a = nn.Linear(2, 2)
    >>> _ = ag.manual_seed(0); b = nn.Linear(2, 2)
    >>> bool((a.weight.data == b.weight.data).all())
    True
    """
    ag.manual_seed(int(np.random.SeedSequence().entropy) if seed is None else seed)  # type: ignore[arg-type]
    return _shared.rng


def as_generator(generator: GeneratorLike) -> np.random.Generator:
    """A ``numpy.random.Generator`` from an ``ag.Generator`` (its own stream, so draws advance it, as
    torch's ``generator=``), a numpy Generator, an int seed, or None (the default one).

    >>> g = ag.Generator().manual_seed(0)
    >>> as_generator(g) is g.rng, float(as_generator(0).random()) == float(ag.Generator(0).rng.random())
    (True, True)
    """
    if generator is None:
        return _shared.rng
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, ag.Generator):
        return generator.rng
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"nn.init: generator must be an ag.Generator, a numpy.random.Generator, an int seed or None, got "
        f"{type(generator).__name__}"
    )


_LINEAR_LAYERS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor by which ``nonlinearity`` shrinks a signal's standard deviation, inverted; torch's names,
    with ``"conv2d"`` and the other layer names (no nonlinearity: 1) among them.

    >>> calculate_gain("relu"), calculate_gain("leaky_relu", 0.2), calculate_gain("conv2d")   # sqrt(2 / (1 + a^2))
    (1.4142135623730951, 1.3867504905630728, 1.0)
    """
    # selu's 3/4 is torch's; for a self-normalising SELU network use "linear" (LeCun's 1/fan_in, the paper's)
    gains = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 0.75}
    gains.update(dict.fromkeys(_LINEAR_LAYERS, 1.0))  # torch's names for "no nonlinearity after this layer"
    if nonlinearity == "leaky_relu":
        if param is not None and (isinstance(param, bool) or not isinstance(param, numbers.Real)):
            raise ValueError(f"calculate_gain: the leaky_relu slope (param) must be a number, got {param!r}")
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in gains:
        raise ValueError(
            f"calculate_gain: unknown nonlinearity {nonlinearity!r}; choose one of {sorted(gains) + ['leaky_relu']}"
        )
    return gains[nonlinearity]


def _check(function: str, tensor: Tensor | np.ndarray) -> None:
    if not isinstance(tensor, (Tensor, np.ndarray)):
        raise TypeError(f"nn.init.{function}: expected a Tensor (or its .data array), got {type(tensor).__name__}")
    if isinstance(tensor, np.ndarray) and not tensor.flags.writeable:
        raise ValueError(
            f"nn.init.{function}: the array of shape {tensor.shape} is read-only, so it cannot be filled in place; "
            f"pass the Tensor itself (init.{function}(layer.weight)) or a writeable array"
        )
    if tensor.dtype.kind != "f":
        raise TypeError(f"nn.init.{function}: the tensor must be floating-point, got {tensor.dtype}")
    if is_lazy(tensor):  # d2l's net.apply(init) before its dry run
        raise ValueError(
            f"nn.init.{function}: the tensor is a lazy layer's parameter, empty until the layer's first call sizes "
            "it; call the model once on a batch first (d2l's apply_init makes that dry run), then initialise"
        )


def _fill(tensor: Initialisable, values: np.ndarray) -> Initialisable:
    if isinstance(tensor, np.ndarray):  # a parameter's .data: its own memory, so the parameter changes too
        tensor[...] = np.reshape(values, tensor.shape)
    else:
        write_in_place(tensor, values)
    return tensor


def write_in_place(tensor: Tensor, values: np.ndarray) -> None:
    """Write ``values`` (of the tensor's shape) into the tensor's own array, as PyTorch's ``init_``
    and ``load_state_dict`` do, and count it as a change (a graph that saved the old values then
    refuses to backward). In place, the array keeps its layout: ``nn.Linear``'s column-major
    weight (its faster matmul) came back row-major from a new array, silently slower.

    >>> w = Tensor(np.asfortranarray(np.zeros((2, 3))), requires_grad=True)
    >>> write_in_place(w, np.arange(6.0).reshape(2, 3))
    >>> w.data[1], w.data.flags.f_contiguous
    (array([3., 4., 5.]), True)
    """
    data = tensor.data
    if not data.flags.writeable:  # e.g. a read-only array given to Tensor(...): a new one, same layout
        data = np.empty_like(data)
    data[...] = np.reshape(values, data.shape)
    tensor.data = data  # the setter marks the change (version)


def _fans(function: str, tensor: Tensor | np.ndarray) -> tuple[int, int]:
    if tensor.ndim < 2:
        raise ValueError(
            f"nn.init.{function}: fan_in and fan_out need a weight with at least 2 axes, "
            f"got shape {tensor.shape}; use zeros_ or uniform_ for a bias"
        )
    receptive = int(np.prod(tensor.shape[2:])) if tensor.ndim > 2 else 1
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive  # (out, in) weights, as nn.Linear


def zeros_(tensor: Initialisable) -> Initialisable:
    """Fill with 0 (the default for biases): ``zeros_(layer.bias)``."""
    _check("zeros_", tensor)
    return _fill(tensor, np.zeros(tensor.shape))


def ones_(tensor: Initialisable) -> Initialisable:
    """Fill with 1: ``ones_(scale)``."""
    _check("ones_", tensor)
    return _fill(tensor, np.ones(tensor.shape))


def constant_(tensor: Initialisable, value: float) -> Initialisable:
    """Fill with ``value``: ``constant_(layer.bias, 0.1)``."""
    _check("constant_", tensor)
    return _fill(tensor, np.full(tensor.shape, float(value)))


def eye_(tensor: Initialisable) -> Initialisable:
    """Fill a 2-d tensor with the identity (ones on the main diagonal, rectangular allowed), as torch's: a
    linear layer that starts by passing its input through.

    >>> eye_(Tensor(np.zeros((2, 3)))).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    _check("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError(
            f"nn.init.eye_: needs a 2-d tensor (a matrix), got shape {tensor.shape}; use dirac_ for a conv"
        )
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


def dirac_(tensor: Initialisable, groups: int = 1) -> Initialisable:
    """Fill a conv weight (out, in, *kernel) with the Dirac delta: each output channel copies one input channel
    through the kernel's centre, so the convolution starts as the identity (in each of ``groups``), as torch's.

    >>> dirac_(Tensor(np.zeros((2, 2, 3)))).tolist()
    [[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]
    """
    _check("dirac_", tensor)
    if not 3 <= tensor.ndim <= 5 or tensor.shape[0] % groups:
        raise ValueError(
            f"nn.init.dirac_: needs a 3-, 4- or 5-d conv weight whose out_channels divide by groups={groups}, got "
            f"shape {tensor.shape}; use eye_ for a matrix"
        )
    values = np.zeros(tensor.shape)
    per_group = tensor.shape[0] // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(per_group, tensor.shape[1])):
            values[(g * per_group + d, d) + centre] = 1.0
    return _fill(tensor, values)


def sparse_(
    tensor: Initialisable, sparsity: float, std: float = 0.01, generator: GeneratorLike = None
) -> Initialisable:
    """Fill a 2-d tensor from N(0, std²), then zero ``ceil(sparsity * rows)`` random entries of each column
    (Martens' sparse initialisation), as torch's.

    >>> w = sparse_(Tensor(np.zeros((4, 3))), sparsity=0.5, generator=0)
    >>> (w.data == 0).sum(axis=0).tolist()
    [2, 2, 2]
    """
    _check("sparse_", tensor)
    if tensor.ndim != 2 or not 0 <= sparsity <= 1:
        raise ValueError(
            f"nn.init.sparse_: needs a 2-d tensor and a sparsity in [0, 1], got shape {tensor.shape} and {sparsity}"
        )
    rng = as_generator(generator)
    rows, cols = tensor.shape
    values = rng.normal(0.0, std, tensor.shape)
    zeros = math.ceil(sparsity * rows)
    for col in range(cols):
        values[rng.permutation(rows)[:zeros], col] = 0.0
    return _fill(tensor, values)


def normal_(
    tensor: Initialisable, mean: float = 0.0, std: float = 1.0, generator: GeneratorLike = None
) -> Initialisable:
    """Fill with samples of N(mean, std**2): ``normal_(w, std=0.01, generator=0)``."""
    _check("normal_", tensor)
    if std < 0:
        raise ValueError(f"nn.init.normal_: std must be >= 0, got {std}")
    return _fill(tensor, as_generator(generator).normal(mean, std, tensor.shape))


def trunc_normal_(
    tensor: Initialisable,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: GeneratorLike = None,
) -> Initialisable:
    """N(mean, std**2) samples kept within [a, b] (absolute bounds, as PyTorch's), redrawn until they fall inside:
    ``trunc_normal_(w, std=0.02)`` (a transformer's init).

    >>> w = trunc_normal_(Tensor(np.zeros(1000)), std=0.02, a=-0.04, b=0.04, generator=0)
    >>> bool(abs(w.data).max() <= 0.04)
    True
    """
    _check("trunc_normal_", tensor)

    def below(x: float) -> float:  # the normal's cumulative probability
        return 0.5 * (1 + math.erf((x - mean) / (std * math.sqrt(2))))

    if not std > 0 or not a < b or below(b) - below(a) < 1e-3:  # (else redrawing would take ~forever)
        raise ValueError(
            f"nn.init.trunc_normal_: need std > 0 and a < b keeping some of N(mean, std**2), got "
            f"mean={mean}, std={std}, a={a}, b={b}"
        )
    rng, values = as_generator(generator), np.empty(tensor.shape)
    outside = np.ones(tensor.shape, bool)
    while outside.any():  # each pass keeps a fixed share of the rest: a handful of passes
        values[outside] = rng.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def uniform_(tensor: Initialisable, a: float = 0.0, b: float = 1.0, generator: GeneratorLike = None) -> Initialisable:
    """Fill with samples of U(a, b): ``uniform_(w, -0.1, 0.1, generator=0)``."""
    _check("uniform_", tensor)
    if b < a:
        raise ValueError(f"nn.init.uniform_: need a <= b, got a={a}, b={b}")
    return _fill(tensor, as_generator(generator).uniform(a, b, tensor.shape))


def xavier_uniform_(tensor: Initialisable, gain: float = 1.0, generator: GeneratorLike = None) -> Initialisable:
    """Glorot: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)); for tanh/sigmoid layers.

    >>> layer = nn.Linear(3, 2)
    >>> xavier_uniform_(layer.weight, gain=calculate_gain("tanh"), generator=0).shape
    (2, 3)
    """
    _check("xavier_uniform_", tensor)
    fan_in, fan_out = _fans("xavier_uniform_", tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _fill(tensor, as_generator(generator).uniform(-bound, bound, tensor.shape))


def xavier_normal_(tensor: Initialisable, gain: float = 1.0, generator: GeneratorLike = None) -> Initialisable:
    """Glorot: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)): ``xavier_normal_(w)``."""
    _check("xavier_normal_", tensor)
    fan_in, fan_out = _fans("xavier_normal_", tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _fill(tensor, as_generator(generator).normal(0.0, std, tensor.shape))


def orthogonal_(tensor: Initialisable, gain: float = 1.0, generator: GeneratorLike = None) -> Initialisable:
    """A random (semi-)orthogonal matrix times ``gain`` (Saxe et al.), as PyTorch's: its rows orthonormal
    when it has fewer rows than columns, else its columns; axes after the first flattened.

    >>> w = orthogonal_(Tensor(np.zeros((2, 3))), generator=0)
    >>> bool(np.allclose(w.data @ w.data.T, np.eye(2)))
    True
    """
    _check("orthogonal_", tensor)
    if tensor.ndim < 2:
        raise ValueError(f"nn.init.orthogonal_: needs a weight with at least 2 axes, got shape {tensor.shape}")
    if not tensor.size:  # nothing to fill (PyTorch's answer, not a division by a zero-row count)
        return tensor
    rows, cols = tensor.shape[0], tensor.size // tensor.shape[0]
    tall = as_generator(generator).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(tall)
    q *= np.where(np.diag(r) < 0, -1.0, 1.0)  # R's diagonal made positive: Q uniform over orthogonal matrices
    return _fill(tensor, gain * (q if rows >= cols else q.T))


def _kaiming_std(function: str, tensor: Tensor | np.ndarray, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init.{function}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(function, tensor)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)


def kaiming_uniform_(
    tensor: Initialisable,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: GeneratorLike = None,
) -> Initialisable:
    """He: U(-b, b) with b = gain * sqrt(3 / fan), gain = sqrt(2 / (1 + a^2)): the leaky ReLU of slope ``a``
    (torch's default, so ``a=0``, the default, is ReLU's sqrt(2), and ``a=math.sqrt(5)``, what ``nn.Linear``
    uses, gives b = 1 / sqrt(fan_in)); ``nonlinearity="relu"`` ignores ``a``.

    >>> layer = nn.Linear(3, 2)
    >>> kaiming_uniform_(layer.weight, generator=0).shape
    (2, 3)
    """
    _check("kaiming_uniform_", tensor)
    bound = math.sqrt(3.0) * _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    return _fill(tensor, as_generator(generator).uniform(-bound, bound, tensor.shape))


def kaiming_normal_(
    tensor: Initialisable,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: GeneratorLike = None,
) -> Initialisable:
    """He: N(0, std**2) with std = gain / sqrt(fan), the gain as ``kaiming_uniform_``'s (leaky ReLU of slope
    ``a`` by default, ReLU's sqrt(2) at a = 0): ``kaiming_normal_(w, mode="fan_out")``."""
    _check("kaiming_normal_", tensor)
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    return _fill(tensor, as_generator(generator).normal(0.0, std, tensor.shape))


def conv_parameters(
    owner: str, shape: tuple[int, ...], out_channels: int, bias: bool, seed: GeneratorLike, dtype: DTypeLike
) -> tuple[Tensor, Tensor | None]:
    """PyTorch's default parameters of a convolution layer (Conv1d, Conv2d, ConvTranspose2d): the weight of
    ``shape`` by kaiming_uniform(a=sqrt(5)), and a bias (out_channels,) from U(+-1/sqrt(fan_in)), fan_in the
    weight's size per index of its first axis (``shape[1:]``, which ConvTranspose2d's torch layout makes
    out_channels / groups * kh * kw); ``owner`` names the layer in the dtype error.

    >>> weight, bias = conv_parameters("Conv2d", (4, 1, 3, 3), 4, True, 0, np.float32)
    >>> weight.shape, bias.shape, bias.dtype.name
    ((4, 1, 3, 3), (4,), 'float32')
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{owner}: dtype must be floating-point (float64 or float32), got {dtype}")
    generator = as_generator(seed)
    weight = Tensor(np.zeros(shape, dtype), requires_grad=True)
    kaiming_uniform_(weight, a=math.sqrt(5), nonlinearity="leaky_relu", generator=generator)
    if not bias:
        return weight, None
    bound = 1 / math.sqrt(math.prod(shape[1:]))
    return weight, Tensor(generator.uniform(-bound, bound, out_channels).astype(dtype), requires_grad=True)
