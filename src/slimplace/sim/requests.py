"""Request-level discrete-event simulation of one plan (SimPy), to cross-check the step
engine's latency and SLO estimates.

Every demand emits a Poisson stream of requests at its rate; each request picks a
candidate by the plan's shares and one of the node's servers that are on, uniformly (so
each server is the M/G/1 queue the step engine models), waits FIFO, is served for the
candidate's service time (deterministic when ``service_cv2`` is 0, gamma-distributed with
that squared coefficient of variation otherwise) and is answered after the network round
trip. Only for small cases: it walks every request in Python.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import simpy

from slimplace.arrays import FloatArray
from slimplace.plan import Plan
from slimplace.problem.compiled import CompiledProblem


@dataclass(frozen=True, eq=False)
class RequestStats:
    """Per-request outcome of :func:`simulate_requests` (requests after the warm-up)."""

    requests: int
    mean_latency_s: float
    slo_attainment: float
    p95_latency_s: float
    demand_mean_latency_s: FloatArray


def simulate_requests(
    problem: CompiledProblem,
    plan: Plan,
    *,
    duration_s: float,
    warmup_s: float = 0.0,
    seed: int = 0,
    rate_per_s: FloatArray | None = None,
) -> RequestStats:
    """Simulate every request of ``plan`` for ``duration_s`` (statistics after ``warmup_s``)."""
    p = problem
    rate = p.demand_rate_per_s if rate_per_s is None else np.asarray(rate_per_s, dtype=np.float64)
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    on = np.where(p.node_always_on, p.node_count, plan.servers_on).astype(np.int64)
    servers: dict[int, list[simpy.Resource]] = {}
    latencies: list[tuple[int, float, float]] = []  # demand, latency, slo
    support = np.nonzero(plan.x > 1e-12)[0]
    for v in np.unique(p.cand_node[support]):
        servers[int(v)] = [simpy.Resource(env, capacity=1) for _ in range(max(int(on[v]), 1))]
    cv2 = p.service_cv2

    def service_time(s: float) -> float:
        if cv2 <= 0 or s <= 0:
            return s
        return float(rng.gamma(1.0 / cv2, s * cv2))

    def request(d: int, c: int) -> Generator[Any, Any, None]:
        start = env.now
        pool = servers[int(p.cand_node[c])]
        server = pool[int(rng.integers(len(pool)))]
        with server.request() as slot:
            yield slot
            yield env.timeout(service_time(float(p.cand_service_s[c])))
        if start >= warmup_s:
            latency = (
                (env.now - start)
                + p.cand_net_latency_s[c]
                + p.cand_compute_s[c]
                - p.cand_service_s[c]
            )
            latencies.append((d, latency, float(p.demand_slo_s[d])))

    def source(
        d: int, cands: npt.NDArray[np.int64], shares: FloatArray
    ) -> Generator[Any, Any, None]:
        while True:
            yield env.timeout(float(rng.exponential(1.0 / rate[d])))
            c = int(cands[rng.choice(len(cands), p=shares)]) if len(cands) > 1 else int(cands[0])
            env.process(request(d, c))

    for d in range(p.n_demands):
        mine = support[p.cand_demand[support] == d]
        if len(mine) and rate[d] > 0:
            shares = plan.x[mine] / plan.x[mine].sum()
            env.process(source(d, mine, shares))
    env.run(until=duration_s)
    if not latencies:
        return RequestStats(
            0, float("nan"), float("nan"), float("nan"), np.full(p.n_demands, np.nan)
        )
    arr = np.array(latencies)
    dem, lat, slo = arr[:, 0].astype(np.int64), arr[:, 1], arr[:, 2]
    count = np.bincount(dem, minlength=p.n_demands)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_demand = np.bincount(dem, weights=lat, minlength=p.n_demands) / count
    return RequestStats(
        requests=len(lat),
        mean_latency_s=float(lat.mean()),
        slo_attainment=float((lat <= slo * (1 + 1e-6)).mean()),
        p95_latency_s=float(np.quantile(lat, 0.95)),
        demand_mean_latency_s=per_demand,
    )
