"""Calibrating the token-level roofline (:mod:`slimplace.llm.roofline`) to published speeds.

Per device and runtime (a *group*, ``device / setup``), from batch-1 measurements:

- decode: seconds per token ``y = 1 / tps = t0_dec + b / BW`` with ``b`` the bytes
  read per token (activated weights + KV cache at the mean context
  ``prompt + output / 2``): two non-negative coefficients ``(t0_dec, 1 / BW)``;
- prefill: seconds per prompt ``y = P / tps = t0_pre + F_pre(P) / R``.

Coefficients are fitted by non-negative least squares on relative residuals,
``min sum(((x_i . c - y_i) / y_i)^2)``, ``c >= 0``, as
:mod:`slimplace.calibration.fit` does for CNN latencies (it matches the MAPE the
fit is judged by); the overhead term is fitted only from
:data:`~slimplace.calibration.fit.MIN_POINTS_OVERHEAD` points on, and a prefill
with no measurements keeps ``R = inf`` (decode-only fit). Held-out error: the
repeated shuffled k-fold of :func:`slimplace.calibration.fit.kfold_splits`.
The baseline is the bandwidth-only roofline ``tps = BW_spec / weight bytes``
(no fitting).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import nnls

from slimplace.calibration.fit import MIN_POINTS_OVERHEAD, kfold_splits, mape
from slimplace.llm.catalog import SpeedTable
from slimplace.llm.model import LlmArchitecture, prefill_flops
from slimplace.llm.roofline import DeviceLlmFit, bandwidth_only_decode_tps

FloatArray = npt.NDArray[np.float64]

#: Fewest points for a device's error to be scored (fewer: reported, not scored).
MIN_POINTS_SCORED = 5


def _relative_nnls(x: FloatArray, y: FloatArray) -> FloatArray:
    """Non-negative ``c`` minimising ``sum(((x c - y) / y)^2)``; columns scaled for conditioning."""
    a = x / y[:, None]
    scale = np.abs(a).max(axis=0)
    scale[scale == 0] = 1.0
    c, _ = nnls(a / scale, np.ones(len(y)))
    return np.asarray(c / scale, dtype=np.float64)


def fit_affine(feature: FloatArray, seconds: FloatArray) -> tuple[float, float]:
    """``(t0, slope)`` >= 0 of ``seconds = t0 + slope x feature`` (relative NNLS).

    ``t0`` is fitted only with at least :data:`MIN_POINTS_OVERHEAD` points.
    """
    y = np.asarray(seconds, dtype=np.float64)
    f = np.asarray(feature, dtype=np.float64)
    if len(y) == 0:
        raise ValueError("no measurements to fit")
    if len(y) >= MIN_POINTS_OVERHEAD:
        c = _relative_nnls(np.column_stack([np.ones_like(f), f]), y)
        return float(c[0]), float(c[1])
    return 0.0, float(_relative_nnls(f[:, None], y)[0])


def _param_ratio(table: SpeedTable, models: Mapping[str, LlmArchitecture]) -> FloatArray:
    return np.array([models[m].active_params / models[m].params for m in table.model])


def decode_bytes_per_token(table: SpeedTable, models: Mapping[str, LlmArchitecture]) -> FloatArray:
    """Bytes read per decoded token: activated weights + KV cache at ``prompt + output / 2``.

    KV cache at 16 bits; a row without token counts gets context 0 (weights only).
    """
    kv = np.array([models[m].kv_bytes_per_token() for m in table.model])
    context = table.prompt_tokens + table.output_tokens / 2.0
    return table.weight_bytes * _param_ratio(table, models) + kv * context


def prefill_flops_of(table: SpeedTable, models: Mapping[str, LlmArchitecture]) -> FloatArray:
    """Prefill FLOPs of each row's prompt (:func:`slimplace.llm.model.prefill_flops`)."""
    return np.array(
        [
            float(prefill_flops(models[m], p))
            for m, p in zip(table.model, table.prompt_tokens, strict=True)
        ]
    )


def _decode_rows(table: SpeedTable) -> SpeedTable:
    return table.take(table.metric == "decode_tps")


def _prefill_rows(table: SpeedTable) -> SpeedTable:
    return table.take((table.metric == "prefill_tps") & (table.prompt_tokens > 0))


def fit_device(
    table: SpeedTable, models: Mapping[str, LlmArchitecture], *, source: str = ""
) -> DeviceLlmFit:
    """Calibrated :class:`DeviceLlmFit` of one group's decode (and prefill) rows."""
    dec, pre = _decode_rows(table), _prefill_rows(table)
    if len(dec) == 0:
        raise ValueError(f"no decode measurements to fit for {source or 'this device'}")
    t0_dec, inv_bw = fit_affine(decode_bytes_per_token(dec, models), 1.0 / dec.tokens_per_s)
    t0_pre, inv_r = 0.0, 0.0
    if len(pre):
        t0_pre, inv_r = fit_affine(prefill_flops_of(pre, models), pre.prompt_tokens / pre.tokens_per_s)
    return DeviceLlmFit(
        memory_bandwidth_bps=math.inf if inv_bw <= 0 else 1.0 / inv_bw,
        flops_per_s=math.inf if inv_r <= 0 else 1.0 / inv_r,
        decode_overhead_s=t0_dec,
        prefill_overhead_s=t0_pre,
        n_decode=len(dec),
        n_prefill=len(pre),
        source=source,
    )


def held_out_mape(
    feature: FloatArray,
    seconds: FloatArray,
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> float:
    """Repeated shuffled k-fold MAPE of the affine fit ``t0 + slope x feature``.

    Errors are on speed (tokens/s); MAPE of ``1 / t`` equals that of ``t`` only
    approximately, so speeds are compared directly.
    """
    f = np.asarray(feature, dtype=np.float64)
    y = np.asarray(seconds, dtype=np.float64)
    errors = []
    rng = np.random.default_rng(seed)
    for split_seed in rng.integers(0, 2**31, size=repeats):
        predicted = np.full(len(y), np.nan)
        for test in kfold_splits(len(y), folds, int(split_seed)):
            train = np.setdiff1d(np.arange(len(y)), test)
            if len(train) == 0:
                continue
            t0, slope = fit_affine(f[train], y[train])
            predicted[test] = t0 + slope * f[test]
        ok = np.isfinite(predicted)
        errors.append(mape(1.0 / predicted[ok], 1.0 / y[ok]))
    return float(np.mean(errors))


@dataclass(frozen=True, slots=True)
class GroupFidelity:
    """Held-out errors of one device/runtime group (``None``: fewer than 5 points)."""

    mape_decode: float | None
    mape_prefill: float | None
    n: int
    n_prefill: int
    mape_decode_bandwidth_only: float | None


def group_fidelity(
    table: SpeedTable,
    models: Mapping[str, LlmArchitecture],
    spec_bandwidth_bps: float | None,
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> GroupFidelity:
    """Held-out decode/prefill MAPE of the calibrated model and the bandwidth-only roofline."""
    dec, pre = _decode_rows(table), _prefill_rows(table)
    kw = {"folds": folds, "repeats": repeats, "seed": seed}
    m_dec = m_pre = m_bw = None
    if len(dec) >= MIN_POINTS_SCORED:
        m_dec = held_out_mape(decode_bytes_per_token(dec, models), 1.0 / dec.tokens_per_s, **kw)
        if spec_bandwidth_bps is not None:
            weights = dec.weight_bytes * _param_ratio(dec, models)
            m_bw = mape(bandwidth_only_decode_tps(weights, spec_bandwidth_bps), dec.tokens_per_s)
    if len(pre) >= MIN_POINTS_SCORED:
        m_pre = held_out_mape(
            prefill_flops_of(pre, models), pre.prompt_tokens / pre.tokens_per_s, **kw
        )
    return GroupFidelity(m_dec, m_pre, len(dec), len(pre), m_bw)


def fidelity_by_group(
    table: SpeedTable,
    models: Mapping[str, LlmArchitecture],
    spec_bandwidth_bps: Mapping[str, float],
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> dict[str, GroupFidelity]:
    """:func:`group_fidelity` for every ``device / setup`` group with a decode measurement."""
    out = {}
    for group in sorted(set(table.group[table.metric == "decode_tps"].tolist())):
        rows = table.take(table.group == group)
        bw = spec_bandwidth_bps.get(str(rows.device[0]))
        out[group] = group_fidelity(rows, models, bw, folds=folds, repeats=repeats, seed=seed)
    return out
