"""Saved models for ``python -m viz model`` and ``explore model.npz``: the model and a batch to draw.

The only part of viz that uses nn, imported when one of these commands runs (``import viz``
never imports nn).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from autograd_core import Tensor

from .cli_args import CommandError


def infer_mlp_sizes(shapes: Mapping[str, tuple[int, ...]]) -> list[int]:
    """[in, h1, ..., out] from an MLP's saved weight shapes (``layers.K.weight``: (out, in))."""
    weights = sorted(
        (
            (int(m.group(1)), shape)
            for key, shape in shapes.items()
            if (m := re.fullmatch(r"layers\.(\d+)\.weight", key))
        ),
        key=lambda pair: pair[0],
    )
    if not weights or any(len(shape) != 2 for _, shape in weights):
        raise CommandError(
            f"cannot tell the layer sizes from the arrays {sorted(shapes)}: "
            "expected an nn.MLP's layers.K.weight; give them with --sizes 64,32,10"
        )
    return [weights[0][1][1]] + [shape[0] for _, shape in weights]


def describe(model: object) -> str:
    """How the command names the model it draws: an MLP by its sizes and activation (as the file
    describes it, or as the flags say for a weights-only file), any other model by its type."""
    if hasattr(model, "sizes") and hasattr(model, "activation"):
        return f"MLP {model.sizes} ({model.activation})"
    return f"{type(model).__name__} (as saved)"


def _has_architecture(path: str) -> bool:
    import nn

    try:
        return nn.read_info(path).architecture is not None
    except ValueError:  # weights only (an older file, or custom layers)
        return False


def _has_mlp_weights(arrays: Iterable[str]) -> bool:
    return any(re.fullmatch(r"layers\.\d+\.weight", key) for key in arrays)


def model_and_batch(
    path: str,
    sizes: list[int] | None,
    activation: str,
    output_activation: str | None,
    rows: int,
    data: str | None = None,
) -> tuple[Callable[[Tensor], Tensor], list[int], npt.NDArray[Any], npt.NDArray[Any]]:
    """A saved nn.MLP and a batch for it: the first ``rows`` rows of ``data`` (an .npz with
    arrays X and y), else random normal rows with uniform labels."""
    import nn  # only the model commands need nn (viz itself never does)
    from nn.model_info import refuse_checkpoint
    from nn.serialization import read_headers

    try:
        if sizes is None and _has_architecture(path):  # the file says what it is: draw exactly that
            model = nn.load(path)
            kernel = next((name for name, p in model.named_parameters() if p.ndim == 4), None)
            if kernel is not None:  # a convolution's weight: the model takes images of a size the file does not say
                raise CommandError(
                    f"{path} holds a model over images ({kernel} is a convolution's kernel); this command feeds "
                    "rows of features: draw it from Python, viz.draw_graph(model(x)) for a batch of images x"
                )
            weights = [p for name, p in model.named_parameters() if name.endswith("weight") and p.ndim == 2]
            sizes = [weights[0].shape[1], *(w.shape[0] for w in weights)]
        else:  # weights only: an MLP of the sizes the weights have, activations from the flags
            shapes = {name: shape for name, (shape, _) in read_headers(path).items()}  # no data read yet
            refuse_checkpoint(path, list(shapes))  # a run's checkpoint.npz beside its model.npz: say which to draw
            given = sizes
            sizes = infer_mlp_sizes(shapes) if given is None or _has_mlp_weights(shapes) else given
            if given is not None and given != sizes:  # before building: --sizes 10**9,10 must not allocate
                raise CommandError(
                    f"--sizes {','.join(map(str, given))} does not match the weights saved in "
                    f"{path} (layer sizes {','.join(map(str, sizes))})"
                )
            model = nn.MLP(sizes, activation=activation, output_activation=output_activation)
            nn.load(model, path)
    except (ValueError, FileNotFoundError) as error:
        raise CommandError(str(error)) from None
    if data is not None:
        return (model, sizes, *_data_batch(data, rows, sizes))
    rng = np.random.default_rng(0)
    return model, sizes, rng.standard_normal((rows, sizes[0])), rng.integers(0, sizes[-1], rows)


def _data_batch(path: str, rows: int, sizes: Sequence[int]) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    from nn.tables import open_numpy, read_member  # headers checked before any data is read

    try:
        with open_numpy(path) as arrays:
            if not hasattr(arrays, "files") or "X" not in arrays or "y" not in arrays:
                found = sorted(arrays.files) if hasattr(arrays, "files") else "one array (a .npy)"
                raise CommandError(
                    f"--data {path}: expected an .npz with arrays named X and y, found {found}; "
                    "write them with np.savez(path, X=X, y=y)"
                )
            X, y = read_member(path, arrays, "X")[:rows], read_member(path, arrays, "y")[:rows]
    except (OSError, ValueError) as error:
        raise CommandError(f"--data {path}: cannot read it as an .npz of arrays ({error})") from None
    if X.ndim != 2 or X.shape[1] != sizes[0] or len(y) != len(X):
        raise CommandError(
            f"--data {path}: X has shape {X.shape} and y {y.shape}; the model takes rows of "
            f"{sizes[0]} features and one label per row"
        )
    return X.astype(np.float64), y
