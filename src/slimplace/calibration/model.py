"""The calibrated latency model used by :func:`~slimplace.problem.compile.compile_problem`.

For each (hardware profile, variant) the service time comes from, in order of
precedence:

1. a measured latency of the variant on the profile's ``device_class``
   (:attr:`LatencySource.MEASURED`; a batched measurement gives latency / batch
   per inference);
2. the profile's fitted roofline model, ``profile.latency_fit``
   (:attr:`LatencySource.FITTED`; :mod:`slimplace.calibration.fit`);
3. FLOPs over the profile's effective ``throughput_flops``
   (:attr:`LatencySource.FLOPS`), as :class:`~slimplace.problem.latency.FlopsLatencyModel`.

Energy per inference follows from the service time: compile multiplies it by
the profile's dynamic power (:func:`slimplace.problem.energy.dynamic_energy_j`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from slimplace.calibration.features import variant_features
from slimplace.calibration.fit import predict_latency_s
from slimplace.problem.latency import FlopsLatencyModel, LatencySource, ServiceTable
from slimplace.scenario.model import HardwareProfile, LatencyFit, Variant


class CalibratedLatencyModel:
    """Measured latency, else the profile's fitted model, else FLOPs / throughput.

    ``fits`` (by profile name) overrides or adds fits without changing the
    profiles, e.g. to compare a scenario under several calibrations.
    """

    def __init__(self, *, fits: Mapping[str, LatencyFit] | None = None) -> None:
        self.fits = dict(fits or {})

    def fit_for(self, profile: HardwareProfile) -> LatencyFit | None:
        """The fit that applies to ``profile`` (an override first, then its own)."""
        return self.fits.get(profile.name, profile.latency_fit)

    def service_table(
        self, profiles: Sequence[HardwareProfile], variants: Sequence[Variant]
    ) -> ServiceTable:
        """See :class:`~slimplace.problem.latency.LatencyModel`."""
        base = FlopsLatencyModel().service_table(profiles, variants)
        service, compute, source = base.service_s, base.compute_s, base.source
        fitted = [(i, fit) for i, p in enumerate(profiles) if (fit := self.fit_for(p)) is not None]
        if fitted and len(variants):
            features = variant_features(variants)
            for i, fit in fitted:
                batch_s = predict_latency_s(fit, features, fit.batch_size)
                keep = source[i] == LatencySource.MEASURED
                compute[i] = np.where(keep, compute[i], batch_s)
                service[i] = np.where(keep, service[i], batch_s / fit.batch_size)
                source[i] = np.where(keep, source[i], LatencySource.FITTED)
        return ServiceTable(service, compute, source)


def default_latency_model() -> CalibratedLatencyModel:
    """The model compile uses when none is given: calibrated where profiles carry fits."""
    return CalibratedLatencyModel()
