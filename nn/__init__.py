"""nn: modules, losses, optimizers and a training loop, composed from autograd_core Tensor ops.

Nothing here has a hand-written backward: layers and losses are Tensor expressions and
the engine differentiates them. The names follow PyTorch, so habits carry over.

>>> import nn
>>> import nn.functional as F
>>> X, y = nn.datasets.make_moons(200, noise=0.1, seed=0)
>>> model = nn.MLP([2, 16, 2], seed=0)
>>> history = nn.fit(model, F.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.05),
...                  X, y, epochs=20, progress=False)
>>> history.train_acc[-1]
0.985
>>> nn.save(model, "moons.npz")
'moons.npz'
"""

from . import data, datasets, func, functional, init, optim, search, tables, utils
from .activation_layers import (
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LogSigmoid,
    Mish,
    PReLU,
    ReLU6,
    Softmin,
    Unflatten,
)
from .attention_layers import MultiheadAttention
from .containers import MLP, ModuleDict, ModuleList, Sequential
from .conv_layers import AvgPool2d, Conv2d, Fold, MaxPool2d, Unfold
from .conv_more import AdaptiveAvgPool2d, AdaptiveMaxPool2d, Conv1d
from .conv_transpose import ConvTranspose2d
from .embedding import Embedding
from .history import History
from .layers import (
    ELU,
    GELU,
    Dropout,
    Dropout2d,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .lazy import LazyBatchNorm1d, LazyBatchNorm2d, LazyConv1d, LazyConv2d, LazyConvTranspose2d, LazyLinear
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    TripletMarginLoss,
)
from .module import Module, Parameter
from .normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm
from .pool1d import AvgPool1d, MaxPool1d
from .random_activations import AlphaDropout, FeatureAlphaDropout, RReLU
from .recurrent import GRU, LSTM, RNN
from .recurrent_cells import GRUCell, LSTMCell, RNNCell
from .search import GridSearchResult, grid_search, random_search, successive_halving
from .serialization import load, read_info, save
from .training import evaluate, fit
from .transformer import TransformerEncoder, TransformerEncoderLayer

# isort: split
# ---- torch's further nn names (one block: activations, losses, resampling, embedding bags, transformer, containers)
from .embedding import EmbeddingBag
from .losses_more import (
    CosineEmbeddingLoss,
    CTCLoss,
    GaussianNLLLoss,
    HingeEmbeddingLoss,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    PoissonNLLLoss,
    SoftMarginLoss,
)
from .parameter_containers import ParameterDict, ParameterList
from .resample_layers import (
    MaxUnpool2d,
    PixelShuffle,
    PixelUnshuffle,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
)
from .shrink_activations import GLU, Hardshrink, Softshrink, Softsign, Tanhshrink
from .transformer_decoder import Transformer, TransformerDecoder, TransformerDecoderLayer

# isort: split
from .layers_nd import *  # noqa: F403  (Conv3d, MaxPool3d, ...: the 1-d / 3-d family, its __all__)
from .layers_nd import __all__ as _ND_LAYERS

# isort: split
# ---- instance, RMS and local response norms; the padding layers; pairs; CELU, Threshold, Softmax2d, ChannelShuffle
from .activation_layers import CELU, Softmax2d
from .losses_more import TripletMarginWithDistanceLoss
from .normalization_more import (
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LazyInstanceNorm1d,
    LazyInstanceNorm2d,
    LazyInstanceNorm3d,
    LocalResponseNorm,
    RMSNorm,
)
from .padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from .pairwise import Bilinear, CosineSimilarity, PairwiseDistance
from .resample_layers import ChannelShuffle
from .shrink_activations import Threshold

# isort: split
# ---- torch's bases and deprecated names, single-process stand-ins, fractional pooling, the adaptive softmax
from . import parallel
from .adaptive_softmax import AdaptiveLogSoftmaxWithLoss
from .buffers import Buffer, UninitializedBuffer
from .containers import Container
from .linear_cross_entropy import LinearCrossEntropyLoss, LinearCrossEntropyOptions
from .losses_more import NLLLoss2d
from .normalization_extra import CrossMapLRN2d, SyncBatchNorm
from .parallel import DataParallel
from .parameter import UninitializedParameter
from .pool_fractional import FractionalMaxPool2d, FractionalMaxPool3d
from .recurrent import RNNBase
from .recurrent_cells import RNNCellBase

__all__ = [
    "Module",
    "Parameter",
    "Linear",
    "Conv2d",
    "ConvTranspose2d",
    "MaxPool2d",
    "AvgPool2d",
    "MaxPool1d",
    "AvgPool1d",
    "Unfold",
    "Fold",
    "Conv1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "ZeroPad2d",
    "ConstantPad2d",
    "Sequential",
    "ModuleList",
    "ModuleDict",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Identity",
    "MLP",
    "LeakyReLU",
    "GELU",
    "SiLU",
    "Softplus",
    "ELU",
    "Softmax",
    "LogSoftmax",
    "Flatten",
    "ReLU6",
    "Hardtanh",
    "LogSigmoid",
    "Softmin",
    "Mish",
    "Hardswish",
    "Hardsigmoid",
    "PReLU",
    "SELU",
    "Unflatten",
    "Dropout",
    "Dropout2d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "RReLU",
    "Embedding",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConvTranspose2d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "KLDivLoss",
    "SmoothL1Loss",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "NLLLoss",
    "MarginRankingLoss",
    "TripletMarginLoss",
    "init",
    "functional",
    "func",
    "optim",
    "datasets",
    "utils",
    "data",
    "tables",
    "search",
    "fit",
    "evaluate",
    "grid_search",
    "random_search",
    "successive_halving",
    "GridSearchResult",
    "History",
    "save",
    "load",
    "read_info",
]
__all__ += ["GLU", "Softsign", "Tanhshrink", "Softshrink", "Hardshrink", "EmbeddingBag"]
__all__ += ["PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss", "SoftMarginLoss"]
__all__ += ["MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "CTCLoss"]
__all__ += ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle", "PixelUnshuffle"]
__all__ += ["MaxUnpool2d", "TransformerDecoderLayer", "TransformerDecoder", "Transformer"]
__all__ += ["ParameterDict", "ParameterList"]
__all__ += _ND_LAYERS
__all__ += ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm", "Bilinear"]
__all__ += ["ConstantPad1d", "ConstantPad3d", "ZeroPad1d", "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d"]
__all__ += ["ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d"]
__all__ += ["CircularPad2d", "CircularPad3d", "CELU", "Threshold", "Softmax2d", "CosineSimilarity"]
__all__ += ["PairwiseDistance", "ChannelShuffle", "TripletMarginWithDistanceLoss", "LazyInstanceNorm1d"]
__all__ += ["LazyInstanceNorm2d", "LazyInstanceNorm3d"]
__all__ += ["parallel", "AdaptiveLogSoftmaxWithLoss", "Buffer", "UninitializedBuffer", "UninitializedParameter"]
__all__ += ["Container", "NLLLoss2d", "CrossMapLRN2d", "SyncBatchNorm", "DataParallel", "FractionalMaxPool2d"]
__all__ += ["FractionalMaxPool3d", "RNNBase", "RNNCellBase", "LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]


def __getattr__(name: str) -> object:
    """PyTorch's other lazy layers (``nn.LazyLayerNorm``, ...): the message names the lazy ones here and the
    plain layer to build with its input size."""
    if name.startswith("Lazy") and name[4:] in __all__:
        lazy = ", ".join(n for n in __all__ if n.startswith("Lazy"))
        raise AttributeError(
            f"module 'nn' has no attribute {name!r}: the lazy layers here are {lazy}; give {name[4:]} its input "
            f"size instead: nn.{name[4:]}(<input size>, ...)"
        )
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
