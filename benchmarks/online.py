"""Online policies against the static peak plan and the hindsight reference on one trace.

    python benchmarks/online.py SCENARIO --trace CSV --horizon 7d --step 5min --json OUT
        [--policies static-peak,reactive,periodic,predictive,hindsight] [--method greedy]
        [--rate-scale 1] [--seed 0] [--time-limit S] [--hindsight-method milp]
        [--hindsight-time-limit 10] [--static-method milp] [--static-time-limit 60]
        [--set POLICY.KEY=VALUE ...]

Every application follows the trace (a CSV of ``time,value``, timestamps or seconds; gaps,
duplicates and unsorted rows are repaired as :mod:`slimplace.sim.series` documents), all
sources in step, scaled so that the trace's maximum over the horizon is each source's
rate in the scenario (the scenario states the peak; ``--rate-scale`` multiplies it). Each
policy runs through :func:`slimplace.sim.simulate`. The online policies plan with
``--method`` (``greedy`` by default, the product's: fast enough to re-plan often;
``--method milp --time-limit 10`` plans each load level as ``hindsight`` does, so the
regret measures what foresight is worth rather than the gap between two planners, which
helps ``periodic`` and not always the others: docs/simulation.md) and ``hindsight``
with ``--hindsight-method``, ``milp`` with 10 s a level plan by default (the strongest
yardstick; ``greedy`` is faster and weaker). ``static-peak`` plans with
``--static-method``, ``milp`` by default: the
reference of every saving is the best static plan found, not the online planner's, so
a weak heuristic peak plan does not inflate savings); ``seconds`` is the time of that
call (for ``hindsight``, its solves included). The peak plan is solved once, with
``--static-method`` (and ``--static-time-limit``), before the policies run, and handed to
every policy (:func:`slimplace.sim.compare.compare`, ``peak_solver``): static-peak holds
it, and the online policies start from it (reactive, predictive) and keep it wherever
their ``--method`` plan for a load level costs more (periodic, predictive), so their peak
plan is static-peak's whatever their ``--method``; its time is ``peak_plan_seconds`` and counts in
static-peak's ``seconds`` only. ``--set periodic.idle_s=300`` (repeatable) passes an
option to one policy, as ``slimplace simulate --set`` does (unknown options exit 2).
The JSON (issue 15)::

    {"fixed_kwh": F, "hindsight_energy_kwh": H, "hindsight_plan_energy_kwh": Hp,
     "plan_energy_lower_bound_kwh": L, "uncoupled_lower_bound_kwh": U,
     "max_saving_vs_static_peak_pct": C, "dropped_requests": {NAME: served share},
     "bounds_apply_to": "...", "notes": [...], "peak_plan_seconds": S,
     "policies": {NAME: {"energy_kwh", "plan_energy_kwh", "fixed_kwh", "served_fraction",
                         "slo_attainment", "mean_accuracy", "switches", "wakeups",
                         "seconds", "regret_pct", "regret_total_pct",
                         "saving_vs_static_peak_pct", "not_compared", "report"}}}

``regret_pct`` is the plan-dependent energy above hindsight's, in percent;
``regret_total_pct`` the same on total energy; ``saving_vs_static_peak_pct`` the
plan-dependent energy saved against ``static-peak``; ``L`` the proven lower bound of
:func:`slimplace.sim.bounds.plan_energy_lower_bound` (any policy serving every request;
per step the larger of the capacitated bound and ``U``'s per-request floor plus
facility location) and ``C = 100 (1 - L / E_static-peak)`` the proven ceiling on any
saving. With the load above capacity (``served_fraction`` < 1, listed in
``dropped_requests``) ``F`` and ``L`` hold only for policies serving every request: a
policy that drops requests has its own ``fixed_kwh`` (at what it served, see
:mod:`slimplace.sim.compare`), ``null`` saving and regret with ``not_compared`` saying why,
and ``C`` is ``NaN`` when static-peak itself dropped requests.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from slimplace.cli.options import dumps_finite
from slimplace.cli.simulate_cmd import check_options, parse_options
from slimplace.errors import InputError, Problem, SlimplaceError
from slimplace.methods import default_registry
from slimplace.problem.compile import compile_problem
from slimplace.problem.rates import at_rates
from slimplace.scenario.io import load_scenario
from slimplace.sim.compare import DEFAULT_POLICIES as POLICIES
from slimplace.sim.compare import compare
from slimplace.sim.registry import default_policies
from slimplace.units import UnitError, parse

DEFAULT_POLICIES = ",".join(POLICIES)


def run(
    scenario: Path,
    trace: Path,
    *,
    horizon_s: float,
    step_s: float,
    policies: list[str],
    method: str,
    rate_scale: float,
    seed: int,
    hindsight_method: str = "milp",
    hindsight_time_limit_s: float = 10.0,
    time_limit_s: float | None = None,
    static_method: str = "milp",
    static_time_limit_s: float = 60.0,
    policy_options: dict[str, dict[str, object]] | None = None,
) -> dict[str, Any]:
    """Simulate every policy on the scenario with every application following ``trace``
    (:func:`slimplace.sim.compare.compare`)."""
    registry = default_policies()
    for name, extra in (policy_options or {}).items():  # checked before the slow part
        if name not in policies or name == "continuum-first":
            raise InputError("--set", [Problem(name, f"not among --policies {policies}")])
        check_options(registry.info(name).factory, extra)
    methods = default_registry()
    named = [method, hindsight_method, static_method]
    named += [str(o["method"]) for o in (policy_options or {}).values() if "method" in o]
    for name in named:  # an unknown planner exits 2 before any policy runs
        methods.info(name)
    problem = compile_problem(load_scenario(scenario), variants="all")
    problem = at_rates(problem, problem.demand_rate_per_s * rate_scale)
    online = {"method": method, **({} if time_limit_s is None else {"time_limit_s": time_limit_s})}
    options = {name: dict(online) for name in policies if name not in ("continuum-first",)}
    options["hindsight"] = {"method": hindsight_method, "time_limit_s": hindsight_time_limit_s}
    options["static-peak"] = {"method": static_method, "time_limit_s": static_time_limit_s}
    for name, extra in (policy_options or {}).items():
        options[name].update(extra)
    peak_solver = methods.create(static_method, time_limit_s=static_time_limit_s)
    result = compare(
        problem,
        str(trace.resolve()),
        horizon_s=horizon_s,
        step_s=step_s,
        policies=policies,
        options=options,
        seed=seed,
        scenario=str(scenario),
        progress=lambda name, row: print(f"{name}: {json.dumps(row)}", file=sys.stderr),
        peak_solver=peak_solver,
    )
    return {
        **result.to_dict(),
        "rate_scale": rate_scale,
        "method": method,
        "hindsight_method": hindsight_method,
        "static_method": static_method,
    }


def main(argv: list[str] | None = None) -> int:
    """Command line (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--trace", type=Path, required=True)
    ap.add_argument("--horizon", default="7d")
    ap.add_argument("--step", default="5min")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    ap.add_argument("--policies", default=DEFAULT_POLICIES)
    ap.add_argument("--method", default="greedy")
    ap.add_argument("--rate-scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=None, help="online planners' limit (s)")
    ap.add_argument("--hindsight-method", default="milp")
    ap.add_argument("--hindsight-time-limit", type=float, default=10.0)
    ap.add_argument(
        "--static-method",
        default="milp",
        help="planner of the peak plan: static-peak's, and the online policies' start/fallback",
    )
    ap.add_argument("--static-time-limit", type=float, default=60.0)
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="POLICY.KEY=VALUE",
        help="a policy's option, e.g. periodic.idle_s=300 (repeatable)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        horizon_s, step_s = parse(args.horizon, "time"), parse(args.step, "time")
        if not (horizon_s > 0 and step_s > 0):
            raise UnitError(f"--horizon and --step must be positive: {args.horizon}, {args.step}")
    except UnitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        out = run(
            args.scenario,
            args.trace,
            horizon_s=horizon_s,
            step_s=step_s,
            policies=[p.strip() for p in args.policies.split(",") if p.strip()],
            method=args.method,
            rate_scale=args.rate_scale,
            seed=args.seed,
            hindsight_method=args.hindsight_method,
            hindsight_time_limit_s=args.hindsight_time_limit,
            time_limit_s=args.time_limit,
            static_method=args.static_method,
            static_time_limit_s=args.static_time_limit,
            policy_options=_policy_options(args.set),
        )
    except SlimplaceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = dumps_finite(json.loads(json.dumps(out, default=float)))  # NaN (no ceiling) as null
    if args.json is not None:
        args.json.write_text(text + "\n")
    print(text)
    return 0


def _policy_options(items: list[str]) -> dict[str, dict[str, object]]:
    """``POLICY.KEY=VALUE`` texts grouped by policy (values as ``slimplace simulate
    --set`` reads them)."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        name, dot, rest = item.partition(".")
        if not dot or not name.strip():
            raise InputError("--set", [Problem(item, "expected POLICY.KEY=VALUE")])
        grouped.setdefault(name.strip(), []).append(rest)
    return {name: parse_options(texts) for name, texts in grouped.items()}


if __name__ == "__main__":
    sys.exit(main())
