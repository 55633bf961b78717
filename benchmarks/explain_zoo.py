"""What each lever buys on public topologies, and the carbon lever on a pan-European network.

    python benchmarks/explain_zoo.py [--topologies zoo:Colt,sndlib:polska,synth:40]
        [--time-limit 60] [--seed 0] [--carbon-topologies sndlib:geant,zoo:Geant2012]
        [--datacenters 4]
        [--skip-zoo] [--skip-carbon] [--json OUT]

Part 1 (issue 12, "Must show"): every topology is imported with the default options of
``slimplace import`` (``RealisticOptions()``, seed ``--seed``), then ``slimplace explain``
(milp) runs under both ``settings.network_energy`` values. A row gives the full plan's
objective, its fixed and plan-dependent parts, each lever's saving as a share of what
the objective would be without it (plan-dependent part), and whether every ablation
stayed at or above the full plan's proven lower bound ("consistent"). Scenarios the
import or the compiler refuses are listed as refused, with the reason.
Default topologies: built-in Topology Zoo / SNDlib networks other than those used in
development (Renater2010: the demo; abilene: examples/) plus generated ones
(``synth:N``: a random geometric European PoP graph of N PoPs).

Part 2: the same import on pan-European networks with ``--datacenters`` datacenters
(the highest-degree PoPs, in as many countries as they fall in), objective carbon:
the carbon lever is the carbon of the energy-optimal plan against the carbon-optimal
plan; the cut is stated on the plan-dependent carbon (operational carbon above what is
drawn whatever the plan), with both plans checked by the evaluator (every SLO and
accuracy floor met).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from slimplace.errors import SlimplaceError
from slimplace.explain import Explanation, explain
from slimplace.problem.compile import compile_problem
from slimplace.scenario.model import Scenario
from slimplace.topology import load_topology, synthetic_topology
from slimplace.topology.realistic import RealisticOptions, generate_realistic

DEFAULT_TOPOLOGIES = (
    "zoo:Belnet2010",
    "zoo:BtEurope",
    "zoo:Cesnet201006",
    "zoo:Colt",
    "zoo:Garr201201",
    "zoo:Sunet",
    "zoo:Uninett2011",
    "zoo:Arpanet196912",
    "sndlib:janos-us",
    "sndlib:polska",
    "sndlib:nobel-eu",
    "synth:40",
    "synth:80",
)
#: Pan-European networks of part 2 (datacenters at the highest-degree PoPs fall in 3+ countries).
PAN_EUROPEAN = ("sndlib:geant", "zoo:Geant2012", "zoo:BtEurope", "zoo:Colt")
NETWORK_ENERGY = ("power-model", "attributional")
console = Console(width=200)


def imported(source: str, *, seed: int, datacenters: int | None = None) -> Scenario:
    """A scenario grown on ``source`` as ``slimplace import`` does with its default
    options (``synth:N``: a generated European PoP graph of N PoPs)."""
    if source.startswith("synth:"):
        graph = synthetic_topology(int(source.split(":", 1)[1]), seed=seed)
    else:
        graph = load_topology(source)
    options = RealisticOptions()
    if datacenters is not None:
        options = replace(options, n_datacenters=datacenters)
    return generate_realistic(graph, options, seed=seed, name=source)


def _with_network_energy(s: Scenario, model: str) -> Scenario:
    return replace(s, settings=replace(s.settings, network_energy=model))  # type: ignore[arg-type]


def _lever_cell(ex: Explanation, name: str) -> str:
    o = next((o for o in ex.levers if o.name == name), None)
    if o is None or o.status == "not-applicable":
        return "n/a"
    if not ex.feasible:
        return "-"
    saving = ex.saving(o)
    if saving is None:
        return f"no plan ({o.status})"
    without = ex.full.plan + saving
    return f"{saving / without:.0%}" if without > 0 else "0%"


def zoo_rows(topologies: list[str], seed: int, time_limit_s: float) -> list[dict[str, Any]]:
    """Part 1: one row per topology and network-energy model."""
    rows = []
    for source in topologies:
        try:
            base = imported(source, seed=seed)
        except SlimplaceError as exc:
            for model in NETWORK_ENERGY:
                rows.append(
                    {
                        "topology": source,
                        "network_energy": model,
                        "nodes": 0,
                        "demands": 0,
                        "status": "refused",
                        "reason": "import: " + str(exc).splitlines()[0],
                    }
                )
            continue
        for model in NETWORK_ENERGY:
            s = _with_network_energy(base, model)
            row: dict[str, Any] = {"topology": source, "network_energy": model}
            row["nodes"] = len(s.nodes)
            row["demands"] = sum(len(a.sources) for a in s.applications)
            t0 = time.perf_counter()
            try:
                problem = compile_problem(s)
            except SlimplaceError as exc:
                row.update(status="refused", reason=str(exc).splitlines()[0])
                rows.append(row)
                continue
            ex = explain(problem, method="milp", seed=seed, time_limit_s=time_limit_s)
            row.update(
                candidates=problem.n_candidates,
                status=ex.status,
                feasible=ex.feasible,
                value_w=ex.full.value,
                fixed_w=ex.full.fixed,
                plan_w=ex.full.plan,
                gap=ex.gap,
                consistent=ex.consistent,
                below_bound=ex.below_bound(),
                seconds=time.perf_counter() - t0,
                breakdown=ex.full.breakdown,
                levers={
                    o.name: {
                        "value": o.value,
                        "status": o.status,
                        "reason": o.reason,
                        "cell": _lever_cell(ex, o.name),
                    }
                    for o in ex.levers
                },
            )
            rows.append(row)
            console.print(
                f"{source} [{model}]: {ex.status}, consistent={ex.consistent}", highlight=False
            )
    return rows


def zoo_table(rows: list[dict[str, Any]]) -> Table:
    """The part 1 table."""
    t = Table(
        title="explain on imported topologies (milp); lever: its saving, % of the plan-dependent "
        "W without it"
    )
    cols = (
        "topology",
        "network energy",
        "demands",
        "status",
        "W",
        "fixed W",
        "plan W",
        "placement",
        "compression",
        "sleep",
        "gap",
        "consistent",
        "s",
    )
    for c in cols:
        t.add_column(
            c, justify="left" if c in ("topology", "network energy", "status") else "right"
        )
    for r in rows:
        if r["status"] == "refused":
            continue
        lv = r["levers"]
        t.add_row(
            r["topology"],
            r["network_energy"],
            str(r["demands"]),
            r["status"],
            f"{r['value_w']:,.0f}",
            f"{r['fixed_w']:,.0f}",
            f"{r['plan_w']:,.0f}",
            lv["placement"]["cell"],
            lv["compression"]["cell"],
            lv["sleep"]["cell"],
            "" if r["gap"] is None else f"{r['gap']:.3%}",
            _consistency_cell(r),
            f"{r['seconds']:.1f}",
        )
    return t


def _consistency_cell(r: dict[str, Any]) -> str:
    if not r["feasible"]:
        return "-"
    if r["consistent"] is None:
        return "no bound"
    return "yes" if r["consistent"] else "NO"


def carbon_experiment(
    source: str, datacenters: int, seed: int, time_limit_s: float
) -> dict[str, Any]:
    """Part 2: the carbon lever on a pan-European import."""
    s = imported(source, seed=seed, datacenters=datacenters)
    regions = sorted({n.region for n in s.nodes if n.tier == "cloud"})
    out: dict[str, Any] = {
        "topology": source,
        "datacenters": datacenters,
        "datacenter_regions": regions,
        "demands": sum(len(a.sources) for a in s.applications),
    }
    try:
        problem = compile_problem(s)
    except SlimplaceError as exc:
        out.update(status="refused", reason=str(exc).splitlines()[0])
        return out
    ex = explain(problem, method="milp", objective="carbon", seed=seed, time_limit_s=time_limit_s)
    carbon = next(o for o in ex.levers if o.name == "carbon")
    full_e = ex.result.evaluation
    out.update(
        status=ex.status,
        carbon_plan_g_per_h=ex.full.value,
        fixed_g_per_h=ex.full.fixed,
        plan_dependent_g_per_h=ex.full.plan,
        gap=ex.gap,
        consistent=ex.consistent,
        carbon_plan_feasible=full_e.feasible,
        carbon_plan_slo_met=full_e.slo_met_fraction,
        carbon_plan_power_w=full_e.power_w,
    )
    if not ex.feasible:
        out.update(reason=f"no feasible carbon-optimal plan ({ex.status})")
        return out
    if carbon.value is None or carbon.result is None:
        out.update(energy_plan_status=carbon.status, reason=carbon.reason)
        return out
    e = carbon.result.evaluation
    energy_plan_dep = carbon.value - ex.full.fixed
    out.update(
        energy_plan_g_per_h=carbon.value,
        energy_plan_dependent_g_per_h=energy_plan_dep,
        energy_plan_feasible=e.feasible,
        energy_plan_slo_met=e.slo_met_fraction,
        energy_plan_power_w=e.power_w,
        cut_plan_dependent=(carbon.value - ex.full.value) / energy_plan_dep
        if energy_plan_dep > 0
        else None,
        cut_total=(carbon.value - ex.full.value) / carbon.value if carbon.value > 0 else None,
    )
    return out


def carbon_lines(r: dict[str, Any]) -> list[str]:
    """Part 2 as sentences."""
    head = (
        f"{r['topology']}: {r['datacenters']} datacenters in {len(r['datacenter_regions'])} "
        f"grid regions ({', '.join(r['datacenter_regions'])}), {r['demands']} demands"
    )
    if r.get("status") == "refused":
        return [head, f"refused at compile: {r['reason']}"]
    if not r["carbon_plan_feasible"]:
        return [head, r["reason"]]
    carbon_line = (
        f"carbon-optimal plan: {r['carbon_plan_g_per_h']:,.1f} gCO2e/h "
        f"({r['fixed_g_per_h']:,.1f} fixed, {r['plan_dependent_g_per_h']:,.1f} plan-dependent; "
        f"{r['carbon_plan_power_w']:,.0f} W), status {r['status']}, gap "
        f"{'n/a' if r['gap'] is None else format(r['gap'], '.3%')}"
    )
    if "cut_plan_dependent" not in r:
        return [
            head,
            carbon_line,
            f"energy-optimal plan: {r.get('energy_plan_status')} ({r.get('reason')}): "
            "no carbon lever stated",
        ]
    met = r["carbon_plan_feasible"] and r["energy_plan_feasible"]
    cut = r["cut_plan_dependent"]
    return [
        head,
        carbon_line,
        f"energy-optimal plan measured in carbon: {r['energy_plan_g_per_h']:,.1f} gCO2e/h "
        f"({r['energy_plan_dependent_g_per_h']:,.1f} plan-dependent; "
        f"{r['energy_plan_power_w']:,.0f} W)",
        f"carbon lever: {'n/a' if cut is None else format(cut, '.1%')} of the plan-dependent "
        f"carbon ({r['cut_total']:.1%} of the total); every SLO and floor met in both plans: "
        f"{'yes' if met else 'NO'} (SLO met {r['carbon_plan_slo_met']:.1%} / "
        f"{r['energy_plan_slo_met']:.1%})",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run both parts; exit 1 when an ablation came out below the full plan's bound."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topologies", default=",".join(DEFAULT_TOPOLOGIES))
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--carbon-topologies", default=",".join(PAN_EUROPEAN))
    ap.add_argument("--datacenters", type=int, default=4)
    ap.add_argument("--skip-zoo", action="store_true")
    ap.add_argument("--skip-carbon", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    doc: dict[str, Any] = {"seed": args.seed, "time_limit_s": args.time_limit}
    ok = True
    if not args.skip_zoo:
        topologies = [t.strip() for t in args.topologies.split(",") if t.strip()]
        rows = zoo_rows(topologies, args.seed, args.time_limit)
        console.print(zoo_table(rows))
        for r in rows:
            if r["status"] == "refused":
                console.print(
                    f"refused at compile: {r['topology']} [{r['network_energy']}]: {r['reason']}",
                    markup=False,
                    highlight=False,
                )
        solved = [r for r in rows if r["status"] != "refused" and r["feasible"]]
        bounded = [r for r in solved if r["consistent"] is not None]
        consistent = [r for r in bounded if r["consistent"]]
        console.print(
            f"{len(solved)} of {len(rows)} runs with a feasible plan "
            f"({len({r['topology'] for r in solved})} topologies); consistent: "
            f"{len(consistent)} of the {len(bounded)} with a proven bound "
            f"({len(solved) - len(bounded)} stopped at the time limit without one)",
            highlight=False,
        )
        ok = len(consistent) == len(bounded)
        doc["zoo"] = rows
    if not args.skip_carbon:
        doc["carbon"] = []
        for source in (t.strip() for t in args.carbon_topologies.split(",") if t.strip()):
            r = carbon_experiment(source, args.datacenters, args.seed, args.time_limit)
            for line in carbon_lines(r):
                console.print(line, markup=False, highlight=False)
            doc["carbon"].append(r)
    if args.json is not None:
        args.json.write_text(json.dumps(doc, indent=2, default=float))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
