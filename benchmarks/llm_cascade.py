"""A cascade against routing and cloud-only on the llm-edge demand, plan-dependent power.

``python benchmarks/llm_cascade.py [--shares 0.1,0.2,...] [--json]`` solves (MILP):

- ``routing``: examples/llm-edge.yaml, chat served by a traffic split between its
  family's variants under the average quality floor;
- ``cascade@s``: examples/llm-cascade.yaml (chat: a small model first, Llama 3.1 70B
  Q4_K_M for a share ``s`` of the requests; :mod:`slimplace.llm.cascade`) at each share;
- ``cloud-only``: llm-edge's every request on its family's most accurate variant in the
  cloud (:func:`slimplace.llm.routing.large_in_cloud_plan`).

Both scenarios carry the same demand (compose is the same application in both), so their
plan-dependent powers (``Evaluation.plan_w``) compare; a plan's figure is printed only
when the evaluator finds it feasible, a saving only between feasible plans.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from slimplace.evaluate import evaluate
from slimplace.llm.routing import large_in_cloud_plan, variant_shares
from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import load_scenario
from slimplace.scenario.model import Scenario
from slimplace.solve import solve

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def with_share(scenario: Scenario, share: float) -> Scenario:
    """The cascade application's large stage called for ``share`` of the requests."""
    apps = []
    for a in scenario.applications:
        if len(a.stages) == 2:
            small, large = a.stages
            a = replace(a, stages=(small, replace(large, calls=share)))
        apps.append(a)
    return replace(scenario, applications=tuple(apps))


def _w(value: float, feasible: bool) -> float | None:
    return round(value, 1) if feasible else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", default="0.1,0.2,0.3,0.4,0.5,0.6")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    edge = compile_problem(load_scenario(EXAMPLES / "llm-edge.yaml"))
    routed = solve(edge, "milp").evaluation
    cloud = evaluate(edge, large_in_cloud_plan(edge))
    out: dict[str, object] = {
        "routing_plan_w": _w(routed.plan_w, routed.feasible),
        "cloud_only_plan_w": _w(cloud.plan_w, cloud.feasible),
        "cascade": [],
    }
    base = load_scenario(EXAMPLES / "llm-cascade.yaml")
    rows = []
    for share in (float(s) for s in args.shares.split(",")):
        p = compile_problem(with_share(base, share), strict=False)
        best = solve(p, "milp")
        e = best.evaluation
        chat = [s for s in variant_shares(p, best.plan) if s.app == "chat"] if e.feasible else []
        rows.append(
            {
                "share": share,
                "plan_w": _w(e.plan_w, e.feasible),
                "feasible": e.feasible,
                "vs_routing": round((routed.plan_w - e.plan_w) / routed.plan_w, 4)
                if e.feasible and routed.feasible
                else None,
                "vs_cloud_only": round((cloud.plan_w - e.plan_w) / cloud.plan_w, 4)
                if e.feasible and cloud.feasible
                else None,
                "chat": [
                    {"variant": s.variant, "tier": s.tier, "share": round(s.share, 4)} for s in chat
                ],
            }
        )
    out["cascade"] = rows
    if args.json:
        print(json.dumps(out))
        return
    print(f"routing (llm-edge)  {out['routing_plan_w']} W plan-dependent")
    print(f"cloud-only          {out['cloud_only_plan_w']} W plan-dependent")
    for r in rows:
        print(
            f"cascade s={r['share']:.2f}  {r['plan_w']} W  vs routing {r['vs_routing']}  "
            f"vs cloud-only {r['vs_cloud_only']}"
        )
        for c in r["chat"]:  # type: ignore[attr-defined]
            print(f"    {c['variant']:60s} {c['tier']:6s} {100 * c['share']:5.1f} %")


if __name__ == "__main__":
    main()
