"""Calibrated latency models: fitted to measured latencies, validated on held-out data.

- :mod:`~slimplace.calibration.fit`: the roofline-style model
  (overhead + FLOPs / rate + bytes / bandwidth, depthwise-convolution traffic
  apart, batch-aware), fitted by non-negative least squares on relative
  residuals; k-fold and cross-family errors.
- :mod:`~slimplace.calibration.features`: per-variant FLOPs, weight, activation
  and depthwise bytes.
- :mod:`~slimplace.calibration.model`: :class:`CalibratedLatencyModel` (measured, else
  fitted, else FLOPs), the default latency model of ``compile_problem``.
- :mod:`~slimplace.calibration.published`: the catalog's published measurements by device.
- :mod:`~slimplace.calibration.userdata`: a user's measurement CSV (``slimplace calibrate``).

>>> from slimplace.catalog import load_catalog
>>> fit = load_catalog().hardware["phone-pixel1"].latency_fit
>>> fit is not None and fit.n_points >= 30
True
"""

from slimplace.calibration.features import VariantFeatures, features_from_arrays, variant_features
from slimplace.calibration.fit import (
    HeldOut,
    fit_flops_rate,
    fit_latency,
    group_mape,
    kfold_mape,
    mape,
    predict_flops_only_s,
    predict_latency_s,
)
from slimplace.calibration.model import CalibratedLatencyModel, default_latency_model
from slimplace.catalog.latency_fits import builtin_fits

__all__ = [
    "CalibratedLatencyModel",
    "HeldOut",
    "VariantFeatures",
    "builtin_fits",
    "default_latency_model",
    "features_from_arrays",
    "fit_flops_rate",
    "fit_latency",
    "group_mape",
    "kfold_mape",
    "mape",
    "predict_flops_only_s",
    "predict_latency_s",
    "variant_features",
]
