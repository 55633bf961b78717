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
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import nnls

from slimplace.arrays import FloatArray, IntArray
from slimplace.calibration.fit import MIN_POINTS_OVERHEAD, kfold_splits, mape
from slimplace.llm.catalog import SpeedTable
from slimplace.llm.model import LlmArchitecture, Quantization, prefill_flops
from slimplace.llm.roofline import DeviceLlmFit, bandwidth_only_decode_tps

#: Fewest points for a device's error to be scored (fewer: reported, not scored).
MIN_POINTS_SCORED = 5
#: Fewest decode points for which the dequantization term is fitted.
MIN_POINTS_DEQUANT = 8


def _relative_nnls(x: FloatArray, y: FloatArray) -> FloatArray:
    """Non-negative ``c`` minimising ``sum(((x c - y) / y)^2)``; columns scaled for conditioning."""
    a = x / y[:, None]
    scale = np.abs(a).max(axis=0)
    scale[scale == 0] = 1.0
    c, _ = nnls(a / scale, np.ones(len(y)))
    return np.asarray(c / scale, dtype=np.float64)


def _nnls_terms(x: FloatArray, y: FloatArray, use: list[bool]) -> FloatArray:
    """Relative NNLS on the columns of ``x`` marked in ``use``; the others get 0."""
    cols = [i for i, u in enumerate(use) if u]
    coef = np.zeros(x.shape[1])
    coef[cols] = _relative_nnls(x[:, cols], y)
    return coef


def fit_decode(
    bytes_per_token: FloatArray, quantized_params: FloatArray, seconds: FloatArray
) -> tuple[float, float, float]:
    """``(t0, 1 / BW, d)`` >= 0 of ``seconds = t0 + bytes / BW + d x quantized_params``.

    ``t0`` needs :data:`MIN_POINTS_OVERHEAD` points; the dequantization term ``d``
    :data:`MIN_POINTS_DEQUANT` points, of which at least one 16-bit and two
    quantized (otherwise it is 0 and the bandwidth term takes all).
    """
    y = np.asarray(seconds, dtype=np.float64)
    if len(y) == 0:
        raise ValueError("no decode measurements to fit")
    q = np.asarray(quantized_params, dtype=np.float64)
    n_quant = int(np.count_nonzero(q))
    dequant = len(y) >= MIN_POINTS_DEQUANT and n_quant >= 2 and len(y) - n_quant >= 1
    x = np.column_stack([np.ones_like(y), np.asarray(bytes_per_token, dtype=np.float64), q])
    c = _nnls_terms(x, y, [len(y) >= MIN_POINTS_OVERHEAD, True, dequant])
    return float(c[0]), float(c[1]), float(c[2])


def fit_prefill(
    flops: FloatArray, int8: npt.NDArray[np.bool_], seconds: FloatArray
) -> tuple[float, float, float | None]:
    """``(t0, 1 / R, 1 / R_int8 or None)`` of ``seconds = t0 + F / R`` (int8 rows at ``R_int8``).

    The integer rate is separate when there is at least one integer and one
    16-bit row (each rate needs a point; :func:`slimplace.calibration.fit.fit_latency`
    asks two of each for CNNs, but a phone's published prefill table has two
    16-bit rows, so a held-out fold would lose the split).
    """
    y = np.asarray(seconds, dtype=np.float64)
    if len(y) == 0:
        raise ValueError("no prefill measurements to fit")
    f = np.asarray(flops, dtype=np.float64)
    m = np.asarray(int8, dtype=bool)
    split = bool(m.any()) and bool((~m).any())
    x = np.column_stack([np.ones_like(f), np.where(m & split, 0.0, f), np.where(m & split, f, 0.0)])
    c = _nnls_terms(x, y, [len(y) >= MIN_POINTS_OVERHEAD, True, split])
    return float(c[0]), float(c[1]), (float(c[2]) if split else None)


def _param_ratio(table: SpeedTable, models: Mapping[str, LlmArchitecture]) -> FloatArray:
    return np.array([models[m].active_params / models[m].params for m in table.model])


def decode_bytes_per_token(table: SpeedTable, models: Mapping[str, LlmArchitecture]) -> FloatArray:
    """Bytes read per decoded token: activated weights + KV cache at ``prompt + output / 2``.

    KV cache at 16 bits; a row without token counts gets context 0 (weights only).
    """
    kv = np.array([models[m].kv_bytes_per_token() for m in table.model])
    context = table.prompt_tokens + table.output_tokens / 2.0
    return table.weight_bytes * _param_ratio(table, models) + kv * context


def quantized_params(
    table: SpeedTable,
    models: Mapping[str, LlmArchitecture],
    quantizations: Mapping[str, Quantization],
) -> FloatArray:
    """Activated parameters of rows whose weights are below 16 bits (0 for 16-bit rows)."""
    return np.array(
        [
            models[m].active_params * float(quantizations[q].weight_quantized)
            for m, q in zip(table.model, table.quant, strict=True)
        ]
    )


def int8_rows(
    table: SpeedTable, quantizations: Mapping[str, Quantization]
) -> npt.NDArray[np.bool_]:
    """Rows whose scheme quantizes activations to 8 bits."""
    return np.array([quantizations[q].int8_activations for q in table.quant], dtype=bool)


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


def _rate(inverse: float | None) -> float | None:
    if inverse is None:
        return None
    return math.inf if inverse <= 0 else 1.0 / inverse


def fit_device(
    table: SpeedTable,
    models: Mapping[str, LlmArchitecture],
    quantizations: Mapping[str, Quantization],
    *,
    source: str = "",
) -> DeviceLlmFit:
    """Calibrated :class:`DeviceLlmFit` of one group's decode (and prefill) rows."""
    dec, pre = _decode_rows(table), _prefill_rows(table)
    if len(dec) == 0:
        raise ValueError(f"no decode measurements to fit for {source or 'this device'}")
    t0_dec, inv_bw, dequant = fit_decode(
        decode_bytes_per_token(dec, models),
        quantized_params(dec, models, quantizations),
        1.0 / dec.tokens_per_s,
    )
    t0_pre, inv_r, inv_r8 = 0.0, 0.0, None
    if len(pre):
        t0_pre, inv_r, inv_r8 = fit_prefill(
            prefill_flops_of(pre, models),
            int8_rows(pre, quantizations),
            pre.prompt_tokens / pre.tokens_per_s,
        )
    return DeviceLlmFit(
        memory_bandwidth_bps=_rate(inv_bw) or math.inf,
        flops_per_s=_rate(inv_r) or math.inf,
        decode_overhead_s=t0_dec,
        prefill_overhead_s=t0_pre,
        int8_flops_per_s=_rate(inv_r8),
        dequant_s_per_param=dequant,
        n_decode=len(dec),
        n_prefill=len(pre),
        source=source,
    )


def _predict_decode(x: FloatArray, y: FloatArray, train: IntArray, test: IntArray) -> FloatArray:
    t0, inv_bw, d = fit_decode(x[train, 0], x[train, 1], y[train])
    return np.asarray(t0 + inv_bw * x[test, 0] + d * x[test, 1], dtype=np.float64)


def _predict_prefill(x: FloatArray, y: FloatArray, train: IntArray, test: IntArray) -> FloatArray:
    m = x[:, 1] > 0
    t0, inv_r, inv_r8 = fit_prefill(x[train, 0], m[train], y[train])
    rate = np.where(m[test] & (inv_r8 is not None), inv_r if inv_r8 is None else inv_r8, inv_r)
    return np.asarray(t0 + rate * x[test, 0], dtype=np.float64)


def held_out_mape(
    features: FloatArray,
    seconds: FloatArray,
    predict: Callable[[FloatArray, FloatArray, IntArray, IntArray], FloatArray],
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> float:
    """Repeated shuffled k-fold MAPE of the speeds ``1 / seconds`` predicted by ``predict``.

    ``predict(features, seconds, train, test)`` fits on ``train`` and returns the
    seconds of ``test``; errors are on speed (tokens/s), as published.
    """
    y = np.asarray(seconds, dtype=np.float64)
    rng = np.random.default_rng(seed)
    splits = [kfold_splits(len(y), folds, int(s)) for s in rng.integers(0, 2**31, size=repeats)]
    return float(np.mean([_split_mape(features, y, predict, tests) for tests in splits]))


def _split_mape(
    features: FloatArray,
    y: FloatArray,
    predict: Callable[[FloatArray, FloatArray, IntArray, IntArray], FloatArray],
    tests: list[IntArray],
) -> float:
    predicted = np.full(len(y), np.nan)
    for test in tests:
        train = np.setdiff1d(np.arange(len(y)), test)
        if len(train):
            predicted[test] = predict(features, y, train, test)
    ok = np.isfinite(predicted)
    return mape(1.0 / predicted[ok], 1.0 / y[ok])


def leave_group_out_mape(
    features: FloatArray,
    seconds: FloatArray,
    predict: Callable[[FloatArray, FloatArray, IntArray, IntArray], FloatArray],
    groups: npt.ArrayLike,
) -> float | None:
    """MAPE with each group (e.g. each model) held out in turn; ``None`` with one group.

    Stricter than :func:`held_out_mape`: a model's other quantizations or repeated
    runs never sit in the training set of its test points.
    """
    g = np.asarray(groups)
    labels = np.unique(g)
    if len(labels) < 2:
        return None
    tests = [np.nonzero(g == label)[0] for label in labels]
    return _split_mape(features, np.asarray(seconds, dtype=np.float64), predict, tests)


@dataclass(frozen=True, slots=True)
class GroupFidelity:
    """Held-out errors of one device/runtime group (``None``: fewer than 5 points)."""

    mape_decode: float | None
    mape_prefill: float | None
    n: int
    n_prefill: int
    mape_decode_bandwidth_only: float | None
    mape_decode_leave_model_out: float | None = None


def group_fidelity(
    table: SpeedTable,
    models: Mapping[str, LlmArchitecture],
    quantizations: Mapping[str, Quantization],
    spec_bandwidth_bps: float | None,
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> GroupFidelity:
    """Held-out decode/prefill MAPE of the calibrated model and the bandwidth-only roofline."""
    dec, pre = _decode_rows(table), _prefill_rows(table)
    kw = {"folds": folds, "repeats": repeats, "seed": seed}
    m_dec = m_pre = m_bw = m_lmo = None
    if len(dec) >= MIN_POINTS_SCORED:
        x = np.column_stack(
            [decode_bytes_per_token(dec, models), quantized_params(dec, models, quantizations)]
        )
        m_dec = held_out_mape(x, 1.0 / dec.tokens_per_s, _predict_decode, **kw)
        m_lmo = leave_group_out_mape(x, 1.0 / dec.tokens_per_s, _predict_decode, dec.model)
        if spec_bandwidth_bps is not None:
            weights = dec.weight_bytes * _param_ratio(dec, models)
            m_bw = mape(bandwidth_only_decode_tps(weights, spec_bandwidth_bps), dec.tokens_per_s)
    if len(pre) >= MIN_POINTS_SCORED:
        x = np.column_stack([prefill_flops_of(pre, models), int8_rows(pre, quantizations)])
        m_pre = held_out_mape(x, pre.prompt_tokens / pre.tokens_per_s, _predict_prefill, **kw)
    return GroupFidelity(m_dec, m_pre, len(dec), len(pre), m_bw, m_lmo)


def fidelity_by_group(
    table: SpeedTable,
    models: Mapping[str, LlmArchitecture],
    quantizations: Mapping[str, Quantization],
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
        out[group] = group_fidelity(
            rows, models, quantizations, bw, folds=folds, repeats=repeats, seed=seed
        )
    return out


def fit_groups(
    table: SpeedTable,
    models: Mapping[str, LlmArchitecture],
    quantizations: Mapping[str, Quantization],
) -> dict[str, DeviceLlmFit]:
    """:func:`fit_device` for every ``device / setup`` group with a decode measurement."""
    out = {}
    for group in sorted(set(table.group[table.metric == "decode_tps"].tolist())):
        out[group] = fit_device(
            table.take(table.group == group), models, quantizations, source=group
        )
    return out


def bandwidth_efficiency(fit: DeviceLlmFit, spec_bandwidth_bps: float) -> float:
    """Fitted effective bandwidth over the spec bandwidth (1.0 = the datasheet figure).

    A device with a spec bandwidth but no LLM measurement can borrow the median
    efficiency of its class and runtime: ``BW_eff = efficiency x BW_spec``.
    """
    if not spec_bandwidth_bps > 0:
        raise ValueError(f"spec_bandwidth_bps: must be > 0, got {spec_bandwidth_bps}")
    return fit.memory_bandwidth_bps / spec_bandwidth_bps
