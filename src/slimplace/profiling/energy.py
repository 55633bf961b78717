"""Energy per inference: estimated for each hardware profile, measured by RAPL where readable.

Two estimates of the latency of variant v on device p, both times the
device's active power ``P_peak - P_idle`` (the energy above idle, the
quantity the planner charges per inference: Fan, Weber & Barroso, ISCA 2007;
:func:`slimplace.problem.energy.dynamic_energy_j`):

* ``flops``: ``t = FLOPs_v / throughput_p`` (the planner's own first-order
  model, :func:`slimplace.problem.latency.flops_service_time_s`);
* ``scaled-cpu``: ``t = t_local,v * throughput_local / throughput_p``, the
  latency measured here on the local CPU scaled by the ratio of effective
  throughputs, where ``throughput_local = FLOPs_ref / t_local,ref`` is
  measured on a reference variant (batch 1, one thread). This keeps per-layer
  overheads, memory-bound layers and int8 speed-ups that FLOPs miss, so the
  two differ most on small variants.

Direct measurement uses Intel RAPL package energy counters
(``/sys/class/powercap/intel-rapl:N/energy_uj``; Intel SDM vol. 3B,
ch. 15.10; David et al., ISLPED 2010) over windows of at least a second,
minus an idle baseline of the same length, wrap-around handled with
``max_energy_range_uj``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from slimplace.arrays import FloatArray
from slimplace.scenario.model import HardwareProfile

log = logging.getLogger(__name__)

POWERCAP = Path("/sys/class/powercap")
#: Estimation methods, in the order reported.
METHODS = ("flops", "scaled-cpu")


def local_throughput_flops(flops: float, latency_s: float) -> float:
    """Effective FLOP/s of the local CPU: a reference variant's FLOPs over its measured latency.

    The same definition the catalog uses for devices (FLOPs of one network
    over its batch-1 latency), so the ratio of throughputs is like for like.
    """
    if latency_s <= 0 or flops <= 0:
        raise ValueError("flops and latency_s must be positive")
    return flops / latency_s


def estimate_energy(
    variants: Sequence[str],
    flops: FloatArray,
    local_latency_s: FloatArray,
    profiles: Sequence[HardwareProfile],
    local_flops_per_s: float,
) -> pd.DataFrame:
    """One row per (variant, profile, method): estimated latency and energy per inference.

    Columns: variant, hardware, device_class, tier, method, latency_s,
    active_power_w, energy_j. Vectorised over variants x profiles.
    """
    f = np.asarray(flops, dtype=np.float64)[:, None]
    t_local = np.asarray(local_latency_s, dtype=np.float64)[:, None]
    tput = np.array([p.throughput_flops for p in profiles], dtype=np.float64)[None, :]
    active = np.array([p.peak_power_w - p.idle_power_w for p in profiles], dtype=np.float64)
    latency = {
        "flops": f / tput,
        "scaled-cpu": t_local * local_flops_per_s / tput,
    }
    frames = []
    n_v, n_p = f.shape[0], len(profiles)
    for method in METHODS:
        lat = np.broadcast_to(latency[method], (n_v, n_p))
        frames.append(
            pd.DataFrame(
                {
                    "variant": np.repeat(np.asarray(variants, dtype=object), n_p),
                    "hardware": np.tile([p.name for p in profiles], n_v),
                    "device_class": np.tile([p.device_class or p.name for p in profiles], n_v),
                    "tier": np.tile([p.tier for p in profiles], n_v),
                    "method": method,
                    "latency_s": lat.ravel(),
                    "active_power_w": np.tile(active, n_v),
                    "energy_j": (lat * active[None, :]).ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ RAPL


@dataclass(frozen=True, slots=True)
class RaplDomain:
    """One readable RAPL energy counter."""

    name: str
    energy_file: Path
    max_energy_uj: float


def rapl_domains(root: Path = POWERCAP) -> tuple[tuple[RaplDomain, ...], str]:
    """Readable top-level RAPL package domains under ``root``, and a status line.

    The status is ``"available: package-0, ..."`` or ``"not available: <why>"``.
    """
    if not root.is_dir():
        return (), f"not available: {root} does not exist"
    found = []
    reasons = []
    for zone in sorted(root.glob("intel-rapl:*")):
        if zone.name.count(":") != 1:
            continue  # sub-domains (core, uncore, dram) are inside the package
        energy = zone / "energy_uj"
        try:
            int(energy.read_text().strip())
            name = (zone / "name").read_text().strip() if (zone / "name").exists() else zone.name
            limit_file = zone / "max_energy_range_uj"
            limit = float(limit_file.read_text().strip()) if limit_file.exists() else 2.0**32
        except (OSError, ValueError) as exc:
            reasons.append(f"{energy}: {exc}")
            continue
        found.append(RaplDomain(name, energy, limit))
    if found:
        return tuple(found), "available: " + ", ".join(d.name for d in found)
    why = "; ".join(reasons) if reasons else f"no intel-rapl zones in {root}"
    return (), f"not available: {why}"


def _read_uj(domains: Sequence[RaplDomain]) -> FloatArray:
    return np.array([float(d.energy_file.read_text().strip()) for d in domains])


def _delta_uj(before: FloatArray, after: FloatArray, domains: Sequence[RaplDomain]) -> float:
    limit = np.array([d.max_energy_uj for d in domains])
    delta = after - before
    return float(np.where(delta < 0, delta + limit, delta).sum())


@dataclass(frozen=True, slots=True)
class RaplMeasurement:
    """Energy per call measured by RAPL, above an idle baseline of equal length."""

    energy_per_call_j: float
    idle_power_w: float
    busy_power_w: float
    calls: int
    window_s: float
    domains: str


def measure_energy_rapl(
    call: Callable[[], object],
    domains: Sequence[RaplDomain],
    *,
    min_window_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> RaplMeasurement:
    """Energy of one ``call()``: package energy over >= ``min_window_s`` of back-to-back calls,
    minus idle power (measured over the same length just before) times that window, per call."""
    if not domains:
        raise ValueError("no RAPL domain to read")
    e0, t0 = _read_uj(domains), clock()
    sleep(min_window_s)
    e1, t1 = _read_uj(domains), clock()
    idle_w = _delta_uj(e0, e1, domains) * 1e-6 / max(t1 - t0, 1e-9)
    calls = 0
    e2, t2 = _read_uj(domains), clock()
    while clock() - t2 < min_window_s or calls == 0:
        call()
        calls += 1
    e3, t3 = _read_uj(domains), clock()
    window = max(t3 - t2, 1e-9)
    busy_w = _delta_uj(e2, e3, domains) * 1e-6 / window
    per_call = max(busy_w - idle_w, 0.0) * window / calls
    return RaplMeasurement(
        per_call, idle_w, busy_w, calls, window, ", ".join(d.name for d in domains)
    )


__all__ = [
    "METHODS",
    "RaplDomain",
    "RaplMeasurement",
    "estimate_energy",
    "local_throughput_flops",
    "measure_energy_rapl",
    "rapl_domains",
]
