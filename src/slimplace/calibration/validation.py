"""Held-out validation of a device's fit: k-fold and across model families.

Both the calibrated model and the FLOPs-only model are fitted on the same
training rows and judged on the same held-out rows by their mean absolute
percentage error (:func:`slimplace.calibration.fit.mape`):

- k-fold: shuffled ``folds``-fold cross-validation, repeated over a few
  shuffles (:func:`~slimplace.calibration.fit.kfold_mape`);
- leave one family out: fit on every other family, predict this one;
- family to family: fit on one family (at least ``min_train`` rows), predict another.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.calibration.features import VariantFeatures
from slimplace.calibration.fit import HeldOut, group_mape, kfold_mape


@dataclass(frozen=True, slots=True)
class Transfer:
    """Error when fitting on ``train`` (a family, or "others") and predicting ``test``."""

    train: str
    test: str
    held_out: HeldOut


@dataclass(frozen=True, slots=True)
class DeviceValidation:
    """Every held-out check of one device."""

    kfold: HeldOut
    leave_family_out: tuple[Transfer, ...]
    family_to_family: tuple[Transfer, ...]


def validate_device(
    features: VariantFeatures,
    latency_s: npt.NDArray[np.float64],
    batch_size: npt.ArrayLike,
    family: tuple[str, ...],
    *,
    folds: int = 5,
    seed: int = 0,
    min_train: int = 4,
    repeats: int = 5,
) -> DeviceValidation:
    """k-fold (mean over ``repeats`` shuffles), leave-one-family-out and family-to-family
    errors of one device's data."""
    fam = np.array(family)
    names = sorted(set(family))
    b = np.broadcast_to(np.asarray(batch_size), fam.shape)
    leave = tuple(
        Transfer("others", f, group_mape(features, latency_s, b, fam != f, fam == f))
        for f in names
        if len(names) > 1
    )
    pairs = tuple(
        Transfer(a, t, group_mape(features, latency_s, b, fam == a, fam == t))
        for a in names
        for t in names
        if a != t and int((fam == a).sum()) >= min_train
    )
    return DeviceValidation(
        kfold_mape(features, latency_s, b, folds=folds, repeats=repeats, seed=seed),
        leave,
        pairs,
    )
