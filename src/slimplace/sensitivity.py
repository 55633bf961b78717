"""Which conclusions survive a change of the model's parameters: the scenario re-solved
over a grid of scaled parameters (a one-at-a-time or full-factorial sensitivity
analysis, Saltelli et al., *Global Sensitivity Analysis: The Primer*, 2008, ch. 1).

A parameter is a documented path (``network.energy_per_bit``, ``hardware.idle_power``,
...) scaled by a factor in every place the scenario states it. At every grid point
the scenario is compiled and solved again, and three conclusions are drawn: the best
method (lowest objective among feasible plans), the share of traffic served at each
tier by the best plan, and the ranking of the levers by what they buy
(:mod:`slimplace.explain`). Each is compared with the point where every factor is 1
(else the first point).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from slimplace.errors import InputError, Problem
from slimplace.scenario.model import TIERS, Objective, Scenario

log = logging.getLogger(__name__)

#: Refuse grids larger than this (each point is several solves).
MAX_POINTS = 200


@dataclass(frozen=True, slots=True)
class Parameter:
    """A model parameter scaled by a factor: its path, what it is, and how to scale it."""

    path: str
    description: str
    scale: Callable[[Scenario, float], Scenario]


def _times(obj: Any, f: float, *names: str) -> Any:
    """``obj`` with every named field it has (and that is not None) multiplied by ``f``."""
    values = {n: getattr(obj, n) * f for n in names if getattr(obj, n, None) is not None}
    return replace(obj, **values) if values else obj


def _links(*names: str) -> Callable[[Scenario, float], Scenario]:
    """Scale fields of every link and link kind (where they state them)."""

    def scale(s: Scenario, f: float) -> Scenario:
        links = tuple(_times(lk, f, *names) for lk in s.links)
        kinds = tuple(_times(k, f, *names) for k in s.link_kinds)
        return replace(s, links=links, link_kinds=kinds)

    return scale


def _radio(s: Scenario, f: float) -> Scenario:
    """Scale every power and energy figure of the device radio models."""
    fields = (
        "uplink_j_per_bit",
        "downlink_j_per_bit",
        "active_w",
        "promotion_w",
        "tail1_w",
        "tail2_w",
    )
    models = s.radio_models
    if not models:
        return s
    return replace(s, radio_models=tuple(_times(m, f, *fields) for m in models))


def _hardware(attr: str) -> Callable[[Scenario, float], Scenario]:
    def scale(s: Scenario, f: float) -> Scenario:
        return replace(s, hardware=tuple(_times(h, f, attr) for h in s.hardware))

    return scale


def _peak_power(s: Scenario, f: float) -> Scenario:
    """Scale the dynamic range (peak - idle), so peak stays above idle."""
    hw = tuple(
        replace(h, peak_power_w=h.idle_power_w + (h.peak_power_w - h.idle_power_w) * f)
        for h in s.hardware
    )
    return replace(s, hardware=hw)


def _carbon(s: Scenario, f: float) -> Scenario:
    regions = tuple(replace(r, carbon_g_per_kwh=r.carbon_g_per_kwh * f) for r in s.regions)
    return replace(s, regions=regions)


def _pue(s: Scenario, f: float) -> Scenario:
    """Scale the overhead above 1 (PUE 1.4 at 0.5x is 1.2), so PUE stays at least 1."""
    nodes = tuple(replace(n, pue=1.0 + (n.pue - 1.0) * f) for n in s.nodes)
    return replace(s, nodes=nodes)


def _rate(s: Scenario, f: float) -> Scenario:
    apps = tuple(
        replace(a, sources=tuple(replace(src, rate_per_s=src.rate_per_s * f) for src in a.sources))
        for a in s.applications
    )
    return replace(s, applications=apps)


def _slo(s: Scenario, f: float) -> Scenario:
    apps = tuple(replace(a, latency_slo_s=a.latency_slo_s * f) for a in s.applications)
    return replace(s, applications=apps)


def _request_size(s: Scenario, f: float) -> Scenario:
    apps = tuple(
        replace(a, request_bytes=a.request_bytes * f, response_bytes=a.response_bytes * f)
        for a in s.applications
    )
    return replace(s, applications=apps)


def parameters() -> dict[str, Parameter]:
    """The parameters ``slimplace sensitivity --param`` knows, by path."""
    items = (
        Parameter(
            "network.energy_per_bit",
            "energy per bit of every link (average and marginal)",
            _links("energy_j_per_bit", "marginal_j_per_bit"),
        ),
        Parameter("network.baseload", "equipment baseload of every link", _links("baseload_w")),
        Parameter("network.bandwidth", "bandwidth of every link", _links("bandwidth_bps")),
        Parameter("device.radio_energy", "power and energy of every device radio model", _radio),
        Parameter("hardware.idle_power", "idle power of every server", _hardware("idle_power_w")),
        Parameter(
            "hardware.sleep_power", "sleep power of every server", _hardware("sleep_power_w")
        ),
        Parameter("hardware.dynamic_power", "peak minus idle power of every server", _peak_power),
        Parameter("hardware.throughput", "FLOP/s of every server", _hardware("throughput_flops")),
        Parameter(
            "hardware.embodied_carbon", "embodied kgCO2e of every server", _hardware("embodied_kg")
        ),
        Parameter("grid.carbon_intensity", "gCO2e/kWh of every grid region", _carbon),
        Parameter("nodes.pue_overhead", "PUE above 1 of every node", _pue),
        Parameter("workload.rate", "request rate of every source", _rate),
        Parameter("workload.request_size", "request and response bytes", _request_size),
        Parameter("applications.slo", "latency SLO of every application", _slo),
    )
    return {p.path: p for p in items}


def parse_param(spec: str) -> tuple[str, tuple[float, ...]]:
    """``path=0.1x,1x,10x`` -> (path, factors); unknown paths get a suggestion and bad
    factors are named (:class:`InputError`, exit 2 in the CLI)."""
    from slimplace.scenario.validate import suggest

    where = f"--param {spec}"
    path, sep, values = spec.partition("=")
    path = path.strip()
    known = parameters()
    if not sep or not values.strip():
        raise InputError(
            where, [Problem("", "expected PATH=F1x,F2x,... e.g. hardware.idle_power=0.5x,1x")]
        )
    if path not in known:
        raise InputError(where, [Problem("", suggest(path, known, "parameter"))])
    factors = []
    for raw in values.split(","):
        text = raw.strip().lower().removesuffix("x")
        try:
            f = float(text)
        except ValueError:
            raise InputError(
                where, [Problem(path, f"factor {raw.strip()!r} is not a number like 0.5x")]
            ) from None
        if not math.isfinite(f) or f <= 0:
            raise InputError(where, [Problem(path, f"factor {raw.strip()!r} must be positive")])
        factors.append(f)
    return path, tuple(dict.fromkeys(factors))


def grid_points(grid: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """Every combination of the factors (a full factorial), after checking its size."""
    count = math.prod(len(v) for v in grid.values())
    if count > MAX_POINTS:
        raise InputError(
            "--param",
            [
                Problem(
                    "", f"the grid has {count:,} points (at most {MAX_POINTS}); use fewer factors"
                )
            ],
        )
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def scaled(scenario: Scenario, factors: Mapping[str, float]) -> Scenario:
    """``scenario`` with every parameter of ``factors`` scaled."""
    known = parameters()
    for path, f in factors.items():
        if f != 1.0:
            scenario = known[path].scale(scenario, f)
    return scenario


@dataclass(frozen=True)
class Point:
    """The conclusions at one grid point."""

    factors: dict[str, float]
    feasible: bool
    best_method: str | None
    value: float | None
    plan_value: float | None
    tier_share: dict[str, float]
    ranking: tuple[str, ...]
    error: str = ""

    def label(self) -> str:
        """``network.energy_per_bit=0.1x, hardware.idle_power=1x``."""
        return ", ".join(f"{k}={v:g}x" for k, v in self.factors.items())


@dataclass(frozen=True)
class Sensitivity:
    """Every grid point and which conclusions change against the reference point."""

    objective: str
    points: tuple[Point, ...]
    reference: int
    share_tolerance: float = 0.05
    methods: tuple[str, ...] = field(default=())

    def changes(self) -> dict[str, list[str]]:
        """For each conclusion, the grid points where it differs from the reference."""
        ref = self.points[self.reference]
        out: dict[str, list[str]] = {"best method": [], "tier shares": [], "lever ranking": []}
        for p in self.points:
            if p is ref:
                continue
            if p.best_method != ref.best_method:
                out["best method"].append(f"{p.label()}: {p.best_method} (was {ref.best_method})")
            moved = {
                t: p.tier_share.get(t, 0.0) - ref.tier_share.get(t, 0.0)
                for t in set(p.tier_share) | set(ref.tier_share)
            }
            big = {t: d for t, d in moved.items() if abs(d) > self.share_tolerance}
            if big:
                what = ", ".join(f"{t} {d:+.0%}" for t, d in sorted(big.items()))
                out["tier shares"].append(f"{p.label()}: {what}")
            if p.ranking != ref.ranking:
                out["lever ranking"].append(
                    f"{p.label()}: {' > '.join(p.ranking) or 'none'} "
                    f"(was {' > '.join(ref.ranking) or 'none'})"
                )
        return out

    def to_json(self) -> dict[str, Any]:
        """Points and changes as a JSON-ready document."""
        return {
            "objective": self.objective,
            "methods": list(self.methods),
            "reference": self.points[self.reference].factors,
            "points": [dataclasses.asdict(p) for p in self.points],
            "changes": self.changes(),
        }


def tier_shares(problem: Any, x: np.ndarray) -> dict[str, float]:
    """Share of the traffic (requests/s) served at each tier under shares ``x``."""
    p = problem
    flow = p.demand_rate_per_s[p.cand_demand] * x
    by_tier = np.bincount(p.node_tier[p.cand_node], weights=flow, minlength=len(TIERS))
    total = float(by_tier.sum()) or 1.0
    return {t: float(by_tier[i]) / total for i, t in enumerate(TIERS)}


def evaluate_point(
    scenario: Scenario,
    factors: dict[str, float],
    *,
    methods: Sequence[str],
    objective: Objective | None,
    levers: bool,
    seed: int,
    **options: Any,
) -> Point:
    """Compile and solve ``scenario`` scaled by ``factors``; draw the three conclusions."""
    from slimplace.errors import SlimplaceError
    from slimplace.explain import explain
    from slimplace.problem.compile import compile_problem
    from slimplace.savings import savings_vs_baselines
    from slimplace.solve import compare

    s = scaled(scenario, factors)
    if objective is not None:
        s = replace(s, settings=replace(s.settings, objective=objective))
    try:
        problem = compile_problem(s)
    except SlimplaceError as exc:
        return Point(factors, False, None, None, None, {}, (), str(exc).splitlines()[0])
    results = compare(problem, list(methods), seed=seed, **options)
    sv = savings_vs_baselines(problem, results)
    if sv.best is None:
        return Point(factors, False, None, None, None, {}, (), "no feasible plan")
    best = next(r for r in results if r.method == sv.best)
    ranking: tuple[str, ...] = ()
    if levers:
        ranking = tuple(explain(problem, seed=seed, **options).ranking())
    return Point(
        factors,
        True,
        sv.best,
        sv.best_value,
        sv.best_plan,
        tier_shares(problem, best.plan.x),
        ranking,
    )


def sensitivity(
    scenario: Scenario,
    grid: Mapping[str, Sequence[float]],
    *,
    methods: Sequence[str] = ("milp", "greedy", "no-compression", "edge-first"),
    objective: Objective | None = None,
    levers: bool = True,
    seed: int = 0,
    share_tolerance: float = 0.05,
    **options: Any,
) -> Sensitivity:
    """Re-solve ``scenario`` at every point of ``grid`` ({path: factors}); ``options``
    go to every method (e.g. ``time_limit_s``)."""
    points = grid_points(grid)
    out = []
    for i, factors in enumerate(points):
        log.info("point %d/%d: %s", i + 1, len(points), factors)
        out.append(
            evaluate_point(
                scenario,
                factors,
                methods=methods,
                objective=objective,
                levers=levers,
                seed=seed,
                **options,
            )
        )
    ones = [i for i, f in enumerate(points) if all(v == 1.0 for v in f.values())]
    return Sensitivity(
        objective or scenario.settings.objective,
        tuple(out),
        ones[0] if ones else 0,
        share_tolerance,
        tuple(methods),
    )
