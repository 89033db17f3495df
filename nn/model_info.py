"""``ModelInfo``: what a saved model's weights mean, stored as JSON beside them by ``nn.save``.

Plain JSON, never a pickle, validated field by field when read: the architecture
(``nn.architecture.describe``), the preprocessing (a standardizer's mean and std), the
task, the class and feature names, and the version of the library that wrote it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

import autograd_core as ag

if TYPE_CHECKING:  # imported where used: datasets and architecture import the rest of nn
    from .datasets import Standardizer
    from .module import Module

INFO_MEMBER = "__model__"  # the .npz member holding the JSON (as a uint8 array)
FORMAT = "autograd_core.model"
MAX_INFO_BYTES = 16 << 20  # a standardizer for a million features fits; a hostile header does not
TASKS = ("classification", "regression")
FORMAT_VERSION = 1  # the record's layout; a file with a higher one was written by a newer library


def refuse_checkpoint(path: str, names: Sequence[str]) -> None:
    """A file of ``nn.utils.save_checkpoint`` (members ``meta`` and ``model/...``) is no model file:
    say which function reads it, rather than "weights only" or a list of unexpected names.

    >>> refuse_checkpoint("model.npz", ["__model__", "layers.0.weight"])   # a model file: nothing to say
    """
    if "meta" in names and any(name.startswith("model/") for name in names):
        raise ValueError(
            f"nn.load: {path!r} is a training checkpoint (nn.utils.save_checkpoint), not a model file: resume "
            "from it with nn.utils.load_checkpoint(path, model, optimizer), or load the model.npz nn.save wrote"
        )


class ModelInfo:
    """What ``nn.save`` stores beside the weights; ``nn.read_info(path)`` returns it.

    - ``architecture``: the ``nn.architecture`` description, or None (custom layers);
    - ``preprocessing``: a fitted ``nn.datasets.Standardizer``, or None;
    - ``task`` ("classification" / "regression" / None), ``class_names``, ``feature_names``;
    - ``library_version``: the autograd_core version that saved the file.
    """

    def __init__(
        self,
        architecture: dict[str, Any] | None = None,
        preprocessing: Standardizer | None = None,
        task: str | None = None,
        class_names: list[str] | None = None,
        feature_names: list[str] | None = None,
        library_version: str | None = None,
    ) -> None:
        self.architecture, self.preprocessing, self.task = architecture, preprocessing, task
        self.class_names, self.feature_names, self.library_version = class_names, feature_names, library_version

    @classmethod
    def of(
        cls,
        model: Module,
        preprocessing: Standardizer | None = None,
        task: str | None = None,
        class_names: Sequence[str] | None = None,
        feature_names: Sequence[str] | None = None,
    ) -> ModelInfo:
        """The info ``nn.save`` writes for ``model`` (checking the arguments it was given)."""
        from .architecture import describe

        try:
            architecture = describe(model)
        except TypeError:
            architecture = None  # custom layers: weights only, nn.load(model, path) still works
        if preprocessing is not None and not (
            hasattr(preprocessing, "mean") and hasattr(preprocessing, "std") and preprocessing.mean is not None
        ):
            raise TypeError(
                f"nn.save: preprocessing must be a fitted nn.datasets.Standardizer, got {type(preprocessing).__name__}"
            )
        if task is not None and task not in TASKS:
            raise ValueError(f"nn.save: task must be one of {TASKS}, got {task!r}")
        for name, names in (("class_names", class_names), ("feature_names", feature_names)):
            if names is not None and (isinstance(names, str) or not all(isinstance(n, str) for n in names)):
                raise TypeError(f"nn.save: {name} must be a list of strings, got {names!r:.80}")
            _distinct(names, name, "nn.save")
        return cls(
            architecture,
            preprocessing,
            task,
            None if class_names is None else list(class_names),
            None if feature_names is None else list(feature_names),
            ag.__version__,
        )

    def to_json(self) -> str:
        scaler = self.preprocessing
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "library_version": self.library_version,
                "architecture": self.architecture,
                "preprocessing": None
                if scaler is None
                else {
                    "kind": "standardize",
                    "mean": [float(v) for v in np.asarray(scaler.mean)],  # fitted: checked by of()
                    "std": [float(v) for v in np.asarray(scaler.std)],
                },
                "task": self.task,
                "class_names": self.class_names,
                "feature_names": self.feature_names,
            },
            allow_nan=False,
        )

    @classmethod
    def from_json(cls, text: str | bytes, where: str) -> ModelInfo:
        """Parse and validate; any problem is a ValueError starting with ``where``."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:
            raise ValueError(f"{where}: its description is not valid JSON ({type(error).__name__})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{where}: its description is not an {FORMAT} record")
        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION or isinstance(version, bool):  # read as version 1, a newer layout misleads
            raise ValueError(
                f"{where}: its description has format_version {version!r}, written by autograd_core "
                f"{data.get('library_version')}; this one ({ag.__version__}) reads version {FORMAT_VERSION}: "
                "upgrade autograd_core to read it"
            )
        scaler = _standardizer(data.get("preprocessing"), where)
        feature_names = _names(data, "feature_names", where)
        standardised = 0 if scaler is None or scaler.mean is None else len(scaler.mean)
        if scaler is not None and feature_names is not None and len(feature_names) != standardised:
            raise ValueError(
                f"{where}: it names {len(feature_names)} features and standardises {standardised}: "
                "the file was edited or damaged"
            )
        return cls(
            data.get("architecture"),
            scaler,
            _task(data, where),
            _names(data, "class_names", where),
            feature_names,
            str(data.get("library_version")),
        )


def _task(data: dict[str, Any], where: str) -> str | None:
    task = data.get("task")
    if task is not None and task not in TASKS:
        raise ValueError(f"{where}: unknown task {task!r}")
    return task


def _names(data: dict[str, Any], key: str, where: str) -> list[str] | None:
    names = data.get(key)
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names)):
        raise ValueError(f"{where}: {key} must be a list of strings")
    _distinct(names, key, where)
    return names


def _distinct(names: Sequence[str] | None, key: str, where: str) -> None:
    """Refuse a name given twice: predictions are matched to columns and classes by name."""
    repeated = sorted(n for n, count in Counter(names or ()).items() if count > 1)
    if repeated:
        raise ValueError(f"{where}: {key} names {repeated} more than once; each must be distinct")


def _standardizer(record: Any, where: str) -> Standardizer | None:
    if record is None:
        return None
    from .datasets import Standardizer

    try:
        mean, std = (np.array(record[k], dtype=np.float64) for k in ("mean", "std"))
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{where}: preprocessing must hold lists of numbers 'mean' and 'std'") from None
    if (
        mean.ndim != 1
        or mean.shape != std.shape
        or not np.isfinite(mean).all()
        or not (np.isfinite(std).all() and (std > 0).all())
    ):
        raise ValueError(f"{where}: preprocessing needs equal-length finite 'mean' and positive 'std'")
    scaler = Standardizer()
    scaler.mean, scaler.std = mean, std
    return scaler
