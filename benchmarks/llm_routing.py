"""What routing between small and large language models saves on examples/llm-edge.yaml.

``python benchmarks/llm_routing.py [SCENARIO] [--json]`` solves the scenario (MILP) and
compares the plan with two references, on the plan-dependent power
(``Evaluation.plan_w``), each only when it is feasible:

- ``large-in-cloud``: every request on its family's most accurate variant in the cloud
  (:func:`slimplace.llm.routing.large_in_cloud_plan`);
- ``large-anywhere``: the MILP on the same scenario with each family cut to its most
  accurate variant (placement still optimised, no routing between model sizes).

It prints the per-application quality reached and the share of requests per
(variant, tier) of the MILP plan.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from slimplace.evaluate import evaluate
from slimplace.llm.routing import routing_report
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import load_scenario
from slimplace.scenario.model import Scenario
from slimplace.solve import solve

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "llm-edge.yaml"


def largest_only(scenario: Scenario) -> Scenario:
    """Each family cut to its most accurate variant."""
    families = tuple(
        replace(f, variants=(max(f.variants, key=lambda v: v.accuracy),)) for f in scenario.families
    )
    return replace(scenario, families=families)


def _w(value: float, feasible: bool) -> float | None:
    """Plan-dependent W of a feasible plan, None otherwise (an infeasible plan's is moot)."""
    return round(value, 2) if feasible else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(EXAMPLE))
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    problem = compile_problem(scenario)
    best = solve(problem, "milp")
    report = routing_report(problem, best.plan)
    large = compile_problem(largest_only(scenario), strict=False)
    anywhere = evaluate(large, solve(large, "milp").plan)
    saving_anywhere = (
        (anywhere.plan_w - report.plan_w) / anywhere.plan_w
        if anywhere.feasible and report.plan_feasible
        else None
    )
    out = {
        "milp_plan_w": _w(report.plan_w, report.plan_feasible),
        "milp_feasible": report.plan_feasible,
        "large_in_cloud_plan_w": _w(report.reference_w, report.reference_feasible),
        "large_in_cloud_feasible": report.reference_feasible,
        "saving_vs_large_in_cloud": None if report.saving is None else round(report.saving, 4),
        "large_anywhere_plan_w": _w(anywhere.plan_w, anywhere.feasible),
        "large_anywhere_feasible": anywhere.feasible,
        "saving_vs_large_anywhere": None if saving_anywhere is None else round(saving_anywhere, 4),
        "app_accuracy": {a: round(x, 4) for a, x in report.app_accuracy.items()},
        "floors": {a.id: a.accuracy_floor for a in scenario.applications},
        "shares": [
            {"app": s.app, "variant": s.variant, "tier": s.tier, "share": round(s.share, 4)}
            for s in report.shares
        ],
    }
    if args.json:
        print(json.dumps(out))
        return
    for key, value in out.items():
        if key != "shares":
            print(f"{key:28s} {value}")
    for s in report.shares:
        print(f"  {s.app:10s} {s.variant:45s} {s.tier:7s} {100 * s.share:6.1f} %")


if __name__ == "__main__":
    main()
