"""Latency model: service time per inference, queueing delay, network transfer.

All functions are vectorized over numpy arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray
from slimplace.scenario.model import HardwareProfile, Variant


class LatencySource(IntEnum):
    """Where a service time comes from; carried into plans and reports."""

    FLOPS = 0
    MEASURED = 1
    FITTED = 2


def flops_service_time_s(flops: FloatArray, throughput_flops: FloatArray) -> FloatArray:
    """Busy time per inference: FLOPs over the device's effective FLOP/s.

    The first-order model used by LEAF and iFogSim (compute demand over
    capacity); :mod:`slimplace.calibration` refines it with fitted overheads.
    """
    return np.asarray(flops, dtype=np.float64) / np.asarray(throughput_flops, dtype=np.float64)


def mg1_response_time_s(
    service_s: FloatArray, utilisation: FloatArray, cv2: float, quantile: float | None = None
) -> FloatArray:
    """Response time of an M/G/1 queue: service plus the Pollaczek-Khinchine wait (its
    mean, or its ``quantile``).

    Mean: ``W = s + rho * s * (1 + cv2) / (2 * (1 - rho))`` (Kleinrock, *Queueing
    Systems* vol. 1, 1975, eq. 5.72; Harchol-Balter, *Performance Modeling and
    Design of Computer Systems*, 2013, ch. 23). ``cv2`` is the squared
    coefficient of variation of the service time (0: M/D/1, 1: M/M/1). Infinite
    at ``rho >= 1``.

    Quantile q: the wait ``w`` with ``P(Wq > w) = 1 - q`` under the exponential tail
    ``P(Wq > w) ~= rho exp(-rho w / E[Wq])`` (exact for M/M/1, Kleinrock eq. 3.28;
    Kingman's heavy-traffic approximation otherwise, Tijms 2003 sec. 2.5; the same
    tail the simulator uses for per-request SLO attainment), i.e.
    ``w = E[Wq] / rho * ln(rho / (1 - q))``, and 0 when ``rho <= 1 - q``.
    """
    s = np.asarray(service_s, dtype=np.float64)
    rho = np.asarray(utilisation, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        # E[Wq] / rho: the mean wait of a request that waits at all
        per_waiting = s * (1.0 + cv2) / (2.0 * (1.0 - rho))
        if quantile is None:
            wait = np.where(rho < 1.0, rho * per_waiting, np.inf)
        else:
            tail = np.log(np.maximum(rho, 1e-300) / (1.0 - quantile))
            wait = np.where(rho < 1.0, per_waiting * np.maximum(tail, 0.0), np.inf)
    return s + np.where(s > 0, wait, 0.0)


def network_latency_s(
    propagation_s: FloatArray,
    seconds_per_bit: FloatArray,
    request_bits: FloatArray | float,
    response_bits: FloatArray | float,
) -> FloatArray:
    """Round trip over a path: propagation both ways plus store-and-forward transfer.

    ``2 * sum(latency_l) + (request_bits + response_bits) * sum(1 / bandwidth_l)``
    (Kurose & Ross, *Computer Networking*, 8th ed., sec. 1.4: per-hop
    transmission plus propagation delay; queueing in the network is neglected).
    """
    return 2.0 * propagation_s + (request_bits + response_bits) * seconds_per_bit


@dataclass(frozen=True, slots=True)
class ServiceTable:
    """Per (hardware profile, variant): busy seconds per inference, compute latency, source.

    ``service_s`` is server time consumed per inference (capacity); ``compute_s``
    the time one request spends being computed (latency): equal at batch 1, a
    batch's latency versus its per-item share when a measurement was batched.
    """

    service_s: FloatArray
    compute_s: FloatArray
    source: npt.NDArray[np.int8]
    #: decode batch assumed per pair (generation variants, :mod:`slimplace.llm.batching`;
    #: None: batch 1 everywhere) and the time a request spends being generated (s)
    decode_batch: npt.NDArray[np.int64] | None = None
    residence_s: FloatArray | None = None
    #: dynamic energy per request over ``(peak - idle) x service_s`` (phase powers of
    #: generation variants, :mod:`slimplace.llm.power`; None: 1 everywhere)
    power_factor: FloatArray | None = None


class LatencyModel(Protocol):
    """Anything that fills a :class:`ServiceTable` for profiles x variants."""

    def service_table(
        self, profiles: Sequence[HardwareProfile], variants: Sequence[Variant]
    ) -> ServiceTable:
        """Service and compute time of every variant on every profile."""
        ...


class FlopsLatencyModel:
    """FLOPs over effective throughput, overridden by a measured latency where a
    variant has one for the profile's ``device_class`` (measured takes precedence)."""

    def service_table(
        self, profiles: Sequence[HardwareProfile], variants: Sequence[Variant]
    ) -> ServiceTable:
        """See :class:`LatencyModel`."""
        flops = np.array([v.flops for v in variants], dtype=np.float64)
        tput = np.array([p.throughput_flops for p in profiles], dtype=np.float64)
        service = flops_service_time_s(flops[None, :], tput[:, None])
        compute = service.copy()
        source = np.full(service.shape, LatencySource.FLOPS, dtype=np.int8)
        for k, variant in enumerate(variants):
            for m in variant.measured:
                for i, p in enumerate(profiles):
                    if p.device_class == m.device_class:
                        service[i, k] = m.latency_s / m.batch_size
                        compute[i, k] = m.latency_s
                        source[i, k] = LatencySource.MEASURED
        return ServiceTable(service, compute, source)
