"""Fitting the roofline-style latency model to measured latencies, and its held-out error.

Model (one parameter set per device; :class:`~slimplace.scenario.model.LatencyFit`):

    latency(B) = t0 + B * F_fp / R + B * F_int8 / R_int8 + 8 * B * A / BW_act + 8 * W / BW_w
                 + 8 * B * D / BW_dw

for a batch of ``B`` inferences, ``F`` FLOPs (float or integer kernels), ``A``
activation bytes per inference, ``W`` weight bytes (read once per batch) and
``D`` the part of ``A`` that depthwise convolutions read and write: fixed
overhead plus compute plus memory traffic, the additive form of the roofline
(Williams, Waterman & Patterson, CACM 52(4), 2009; the additive compute +
memory + overhead decomposition is the one of Qi, Sparks & Talwalkar, "Paleo",
ICLR 2017). Weights and activations get separate effective bandwidths: weight
reads are sequential streams that prefetching overlaps with compute, activation
tensors are not, so one shared bandwidth fits the phones' data worse
(``docs/calibration.md``). Depthwise convolutions do k x k MACs per element
they move (9 or 25, against hundreds in a pointwise convolution): they are
memory-bound and run far below the device's FLOP rate, so their traffic pays an
extra ``1 / BW_dw`` per bit (ShuffleNet V2, Ma et al., ECCV 2018: FLOPs do not
give latency, memory access cost matters; nn-Meter, Zhang et al., MobiSys 2021,
models depthwise kernels on their own). Per-inference time ``latency(B) / B`` falls
towards ``F / R + 8 A / BW_act + 8 D / BW_dw`` as the batch grows: overhead and
weights are amortised and throughput saturates.

The coefficients ``(t0, 1/R, 1/R_int8, 1/BW_act, 1/BW_w, 1/BW_dw)`` are
non-negative and fitted by least squares on *relative* residuals, ``min sum
((x_i . c - y_i) / y_i)^2`` subject to ``c >= 0`` (:func:`scipy.optimize.nnls`
on rows divided by ``y_i``), which matches the mean absolute percentage error
the fit is judged by. Terms the data cannot identify are left out: the two
memory terms need :data:`MIN_POINTS_MEMORY` points, the overhead term three, a
separate int8 rate two integer and two float measurements (otherwise int8 runs
at the float rate), the depthwise term :data:`MIN_POINTS_MEMORY` points whose
depthwise traffic comes from a layer list (where it is a fixed share of the
activation proxy it cannot be told apart from the activation term).

The FLOPs-only model ``latency(B) = B * F / R`` (LEAF, iFogSim) is fitted the
same way, so comparisons are fair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray, IntArray
from slimplace.calibration.features import VariantFeatures
from slimplace.scenario.model import LatencyFit

#: Fewest measurements for which the memory-bandwidth term is fitted.
MIN_POINTS_MEMORY = 8
#: Fewest measurements for which the fixed-overhead term is fitted.
MIN_POINTS_OVERHEAD = 3


def design_matrix(features: VariantFeatures, batch_size: npt.ArrayLike) -> FloatArray:
    """Columns ``[1, B*F_fp, B*F_int8, 8*B*A, 8*W, 8*B*D]`` per measurement.

    Units: 1, FLOP, FLOP, bit, bit, bit.
    """
    b = np.broadcast_to(np.asarray(batch_size, dtype=np.float64), features.flops.shape)
    flops = b * features.flops
    return np.column_stack(
        [
            np.ones_like(flops),
            np.where(features.int8, 0.0, flops),
            np.where(features.int8, flops, 0.0),
            8.0 * b * features.activation_bytes,
            8.0 * features.weight_bytes,
            8.0 * b * features.depthwise_bytes,
        ]
    )


def _coefficients(fit: LatencyFit) -> FloatArray:
    int8_rate = fit.flops_per_s if fit.int8_flops_per_s is None else fit.int8_flops_per_s
    return np.array(
        [
            fit.overhead_s,
            1.0 / fit.flops_per_s,
            1.0 / int8_rate,
            1.0 / fit.memory_bandwidth_bps,
            1.0 / fit.weight_bandwidth_bps,
            1.0 / fit.depthwise_bandwidth_bps,
        ]
    )


def predict_latency_s(
    fit: LatencyFit, features: VariantFeatures, batch_size: npt.ArrayLike | None = None
) -> FloatArray:
    """Latency of a batch (default: the fit's batch size) of each variant."""
    b = fit.batch_size if batch_size is None else batch_size
    return design_matrix(features, b) @ _coefficients(fit)


def _relative_nnls(x: FloatArray, y: FloatArray) -> FloatArray:
    """Non-negative ``c`` minimising ``sum(((x c - y) / y)^2)``; columns scaled for conditioning."""
    a = x / y[:, None]
    scale = np.abs(a).max(axis=0)
    scale[scale == 0] = 1.0
    from scipy.optimize import nnls  # imported here: scipy.optimize costs 0.3 s at start-up

    c, _ = nnls(a / scale, np.ones(len(y)))
    return np.asarray(c / scale, dtype=np.float64)


def _rate(coefficient: float) -> float:
    return math.inf if coefficient <= 0.0 else 1.0 / coefficient


def fit_latency(
    features: VariantFeatures,
    latency_s: FloatArray,
    batch_size: npt.ArrayLike = 1,
    *,
    source: str = "",
) -> LatencyFit:
    """Fit :class:`LatencyFit` to measured batch latencies (terms chosen by the data)."""
    y = np.asarray(latency_s, dtype=np.float64)
    n = len(y)
    if n == 0:
        raise ValueError("no measurements to fit")
    x = design_matrix(features, batch_size)
    n_int8 = int(features.int8.sum())
    split_int8 = n_int8 >= 2 and n - n_int8 >= 2
    if not split_int8:
        x[:, 1] += x[:, 2]
        x[:, 2] = 0.0
    memory = n >= MIN_POINTS_MEMORY
    n_depthwise = int((features.depthwise_from_layers & (features.depthwise_bytes > 0)).sum())
    depthwise = memory and n_depthwise >= MIN_POINTS_MEMORY
    use = [n >= MIN_POINTS_OVERHEAD, True, split_int8, memory, memory, depthwise]
    cols = [i for i, u in enumerate(use) if u]
    coef = np.zeros(len(use))
    coef[cols] = _relative_nnls(x[:, cols], y)
    batches = np.broadcast_to(np.asarray(batch_size, dtype=np.int64), y.shape)
    values, counts = np.unique(batches, return_counts=True)
    return LatencyFit(
        overhead_s=float(coef[0]),
        flops_per_s=_rate(coef[1]),
        memory_bandwidth_bps=_rate(coef[3]),
        weight_bandwidth_bps=_rate(coef[4]),
        int8_flops_per_s=_rate(coef[2]) if split_int8 else None,
        batch_size=int(values[np.argmax(counts)]),
        n_points=n,
        source=source,
        depthwise_bandwidth_bps=_rate(coef[5]),
    )


def fit_flops_rate(
    features: VariantFeatures, latency_s: FloatArray, batch_size: npt.ArrayLike = 1
) -> float:
    """One effective FLOP/s so that ``B * F / R`` best fits in relative least squares.

    Closed form of ``min_c sum((c x_i / y_i - 1)^2)``: ``c = sum(x/y) / sum((x/y)^2)``.
    """
    y = np.asarray(latency_s, dtype=np.float64)
    r = np.asarray(batch_size, dtype=np.float64) * features.flops / y
    return float(np.sum(r * r) / np.sum(r))


def predict_flops_only_s(
    rate_flops: float, features: VariantFeatures, batch_size: npt.ArrayLike = 1
) -> FloatArray:
    """Batch latency under the FLOPs-only model."""
    return np.asarray(batch_size, dtype=np.float64) * features.flops / rate_flops


def mape(predicted: FloatArray, measured: FloatArray) -> float:
    """Mean absolute percentage error, as a fraction (0.1 = 10 %)."""
    p, m = np.asarray(predicted), np.asarray(measured)
    return float(np.mean(np.abs(p - m) / m)) if len(m) else math.nan


@dataclass(frozen=True, slots=True)
class HeldOut:
    """Held-out errors of the calibrated and the FLOPs-only model on the same splits."""

    mape_calibrated: float
    mape_flops_only: float
    n: int
    folds: int


def kfold_splits(n: int, folds: int, seed: int) -> list[IntArray]:
    """Test index sets of a shuffled k-fold split (leave-one-out when ``folds >= n``)."""
    if n == 0:
        return []
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(part) for part in np.array_split(order, min(folds, n)) if len(part)]


def held_out_predictions(
    features: VariantFeatures,
    latency_s: FloatArray,
    batch_size: npt.ArrayLike,
    tests: Sequence[IntArray],
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Predictions of both models for each test set, fitted on the rest.

    Returns (calibrated, FLOPs-only, predicted mask); points never in a test set,
    or whose training set is empty, stay unpredicted (NaN).
    """
    y = np.asarray(latency_s, dtype=np.float64)
    b = np.broadcast_to(np.asarray(batch_size, dtype=np.float64), y.shape)
    cal = np.full(len(y), np.nan)
    flo = np.full(len(y), np.nan)
    for test in tests:
        train = np.setdiff1d(np.arange(len(y)), test)
        if len(train) == 0:
            continue
        f_train, f_test = features.take(train), features.take(test)
        fit = fit_latency(f_train, y[train], b[train])
        cal[test] = predict_latency_s(fit, f_test, b[test])
        rate = fit_flops_rate(f_train, y[train], b[train])
        flo[test] = predict_flops_only_s(rate, f_test, b[test])
    return cal, flo, np.isfinite(cal)


def kfold_mape(
    features: VariantFeatures,
    latency_s: FloatArray,
    batch_size: npt.ArrayLike = 1,
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> HeldOut:
    """Repeated shuffled k-fold MAPE of both models (mean over ``repeats`` shuffles)."""
    y = np.asarray(latency_s, dtype=np.float64)
    cal_errors, flops_errors = [], []
    rng = np.random.default_rng(seed)
    for split_seed in rng.integers(0, 2**31, size=repeats):
        tests = kfold_splits(len(y), folds, int(split_seed))
        cal, flo, ok = held_out_predictions(features, y, batch_size, tests)
        cal_errors.append(mape(cal[ok], y[ok]))
        flops_errors.append(mape(flo[ok], y[ok]))
    return HeldOut(
        float(np.mean(cal_errors)), float(np.mean(flops_errors)), len(y), min(folds, len(y))
    )


def group_mape(
    features: VariantFeatures,
    latency_s: FloatArray,
    batch_size: npt.ArrayLike,
    train: npt.NDArray[np.bool_],
    test: npt.NDArray[np.bool_],
) -> HeldOut:
    """Fit on the ``train`` rows (e.g. one family), predict the ``test`` rows (another)."""
    y = np.asarray(latency_s, dtype=np.float64)
    b = np.broadcast_to(np.asarray(batch_size, dtype=np.float64), y.shape)
    tr, te = np.nonzero(train)[0], np.nonzero(test)[0]
    fit = fit_latency(features.take(tr), y[tr], b[tr])
    rate = fit_flops_rate(features.take(tr), y[tr], b[tr])
    cal = predict_latency_s(fit, features.take(te), b[te])
    flo = predict_flops_only_s(rate, features.take(te), b[te])
    return HeldOut(mape(cal, y[te]), mape(flo, y[te]), len(te), 1)
