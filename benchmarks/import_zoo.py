"""Default imports on many topologies: are they solvable, and how much of the power is compute?

    python benchmarks/import_zoo.py [--generated 20] [--topologies DIR ...] [--limit N]
                                    [--time-limit 10] [--seed 0] [--csv OUT]

Rows: the demo scenario (``slimplace.demo.demo_scenario()``, unless ``--no-demo``), then
topologies: every built-in one (20 Topology Zoo + 7 SNDlib), ``--generated`` random PoP
graphs (half random geometric, half Waxman, networkx, 8-60 nodes placed in a longitude /
latitude box of Europe, the USA or East Asia, made connected by adding the shortest
missing links, saved as GraphML with coordinates and imported from the file as a user
would), and every ``.graphml[.gz]``/SNDlib ``.txt[.gz]`` file of each ``--topologies``
folder (e.g. the full Topology Zoo), at most ``--limit`` of them.

Per topology: ``generate_realistic`` with default options (what ``slimplace import``
writes), strict compile (no demand without a placement), ``greedy`` and ``milp``
(``--time-limit`` s), each plan checked by the evaluator. Prints one row per topology
and the totals: how many imports were refused (with why), compiled, solved feasibly by
milp and by greedy, and the share of compute (dynamic compute power, plus the static
power of the edge/metro/cloud servers the plan switches on) in the plan's power, with
the plan-dependent breakdown when the evaluator provides it (energy model v2).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from slimplace.errors import SlimplaceError
from slimplace.problem.compile import compile_problem
from slimplace.solve import solve
from slimplace.topology import list_builtin_topologies, load_topology
from slimplace.topology.realistic import generate_realistic

#: (lat_min, lat_max, lon_min, lon_max) boxes generated graphs are placed in.
BOXES = {
    "europe": (36.0, 60.0, -9.0, 25.0),
    "usa": (30.0, 47.0, -122.0, -72.0),
    "asia": (22.0, 42.0, 100.0, 140.0),
}


def generated_graph(i: int, seed: int) -> nx.Graph:
    """Random geometric (even i) or Waxman (odd i) graph with lon/lat, made connected."""
    rng = np.random.default_rng([seed, i])
    n = int(rng.integers(8, 61))
    gseed = int(rng.integers(0, 2**31))
    if i % 2 == 0:
        g = nx.random_geometric_graph(n, radius=float(rng.uniform(0.2, 0.35)), seed=gseed)
        kind = "rgg"
    else:
        g = nx.waxman_graph(n, beta=0.4, alpha=0.15, seed=gseed)
        kind = "waxman"
    box_name = list(BOXES)[i % len(BOXES)]
    lat0, lat1, lon0, lon1 = BOXES[box_name]
    pos = nx.get_node_attributes(g, "pos")
    _connect(g, pos)
    out = nx.Graph(name=f"{kind}{i:02d}-{box_name}")
    for v, (x, y) in pos.items():
        out.add_node(
            f"n{v}",
            label=f"n{v}",
            Latitude=lat0 + y * (lat1 - lat0),
            Longitude=lon0 + x * (lon1 - lon0),
        )
    out.add_edges_from((f"n{u}", f"n{v}") for u, v in g.edges)
    return out


def _connect(g: nx.Graph, pos: dict[Any, tuple[float, float]]) -> None:
    """Join components by their closest pair of nodes until the graph is connected."""
    while not nx.is_connected(g):
        comps = list(nx.connected_components(g))
        a, rest = comps[0], set().union(*comps[1:])
        u, v = min(((u, v) for u in a for v in rest), key=lambda e: math.dist(pos[e[0]], pos[e[1]]))
        g.add_edge(u, v)


def topology_specs(args: argparse.Namespace, tmp: Path) -> list[tuple[str, str]]:
    """(label, spec or path) of every topology to try."""
    specs = [("demo", "demo")] if args.demo else []
    if not args.skip_builtin:
        specs += [(s, s) for s in list_builtin_topologies()]
    for i in range(args.generated):
        g = generated_graph(i, args.seed)
        path = tmp / f"{g.graph['name']}.graphml"
        nx.write_graphml(g, path)
        specs.append((f"generated:{g.graph['name']}", str(path)))
    extra: list[tuple[str, str]] = []
    for folder in args.topologies:
        for path in sorted(Path(folder).iterdir()):
            name = path.name.lower()
            if name.endswith((".graphml", ".graphml.gz", ".txt", ".txt.gz")):
                extra.append((f"{Path(folder).name}:{path.name}", str(path)))
    return specs + extra[: args.limit]


def compute_share(ev: Any) -> dict[str, float]:
    """Shares of compute in the plan's power (and in its plan-dependent part if known)."""
    tiers = ev.power_by_tier
    servers_static = sum(tiers.get(t, {}).get("static", 0.0) for t in ("edge", "metro", "cloud"))
    out = {
        "compute_of_total": ev.dynamic_w / ev.power_w if ev.power_w else 0.0,
        "compute_static_of_total": (ev.dynamic_w + servers_static) / ev.power_w
        if ev.power_w
        else 0.0,
    }
    breakdown = getattr(ev, "breakdown_w", None)
    plan_w = getattr(ev, "plan_w", None)
    if breakdown and plan_w:
        out["fixed_of_total"] = getattr(ev, "fixed_w", 0.0) / ev.power_w
        out["compute_of_plan"] = breakdown.get("compute", 0.0) / plan_w
        for key in ("servers_static", "device_radio", "network_baseload", "network_marginal"):
            out[f"{key}_of_plan"] = breakdown.get(key, 0.0) / plan_w
    return out


def run_one(label: str, spec: str, args: argparse.Namespace) -> dict[str, Any]:
    row: dict[str, Any] = {"topology": label}
    t0 = time.perf_counter()
    try:
        if spec == "demo":
            from slimplace.demo import demo_scenario

            scenario = demo_scenario()
        else:
            scenario = generate_realistic(load_topology(spec), seed=args.seed, name=label)
    except SlimplaceError as exc:
        row.update(status="refused", why=str(exc).splitlines()[0][:120])
        return row
    row["import_s"] = time.perf_counter() - t0
    try:
        problem = compile_problem(scenario)
    except SlimplaceError as exc:
        row.update(status="unservable", why=str(exc).splitlines()[0][:120])
        return row
    row.update(
        status="compiled",
        demands=problem.n_demands,
        candidates=problem.n_candidates,
        owned_servers=sum(
            n.count for n in scenario.nodes if n.hardware and n.tier in ("edge", "metro")
        ),
    )
    for method in ("greedy", "milp"):
        opts = {"time_limit_s": args.time_limit} if method == "milp" else {}
        result = solve(problem, method, seed=args.seed, **opts)
        ev = result.evaluation
        row[f"{method}_feasible"] = bool(ev.feasible)
        row[f"{method}_status"] = str(result.plan.status)
        row[f"{method}_power_w"] = ev.power_w
        row[f"{method}_s"] = result.plan.seconds
        if method == "milp":
            row.update(compute_share(ev))
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", type=int, default=20)
    parser.add_argument("--topologies", nargs="*", default=[])
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--skip-builtin", action="store_true")
    parser.add_argument("--no-demo", dest="demo", action="store_false", help="skip the demo row")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        specs = topology_specs(args, Path(tmp))
        for label, spec in specs:
            row = run_one(label, spec, args)
            rows.append(row)
            print(_line(row), flush=True)
    _summary(rows)
    if args.csv is not None:
        import pandas as pd

        pd.DataFrame(rows).to_csv(args.csv, index=False)
    bad = [r for r in rows if r["status"] != "refused" and not r.get("milp_feasible")]
    return 1 if bad else 0


def _line(r: dict[str, Any]) -> str:
    if r["status"] != "compiled":
        return f"{r['topology']:<32} {r['status']}: {r.get('why', '')}"
    head = (
        f"{r['topology']:<32} demands {r['demands']:>4} cands {r['candidates']:>7} "
        f"owned {r['owned_servers']:>4} | greedy {'ok' if r['greedy_feasible'] else 'NO'} "
        f"{r['greedy_power_w']:>9.1f} W | milp {r['milp_status']:<10} "
        f"{'ok' if r['milp_feasible'] else 'NO'} {r['milp_power_w']:>9.1f} W "
        f"{r['milp_s']:>5.1f} s | "
    )
    if "compute_of_plan" in r:
        return head + (
            f"fixed {r['fixed_of_total']:.0%} of total; plan-dependent: compute "
            f"{r['compute_of_plan']:.0%}, servers static {r['servers_static_of_plan']:.0%}, "
            f"radio {r['device_radio_of_plan']:.0%}, network base "
            f"{r['network_baseload_of_plan']:.0%} marginal {r['network_marginal_of_plan']:.0%}"
        )
    return head + (
        f"compute {r['compute_of_total']:.1%} of total, "
        f"{r['compute_static_of_total']:.1%} with server static"
    )


def _summary(rows: list[dict[str, Any]]) -> None:
    n = len(rows)
    refused = [r for r in rows if r["status"] == "refused"]
    compiled = [r for r in rows if r["status"] == "compiled"]
    milp_ok = [r for r in compiled if r["milp_feasible"]]
    greedy_ok = [r for r in compiled if r["greedy_feasible"]]
    print(
        f"\n{n} topologies: {len(refused)} refused at import, {len(compiled)} compiled "
        f"with every demand servable, {len(milp_ok)} solved feasibly by milp, "
        f"{len(greedy_ok)} by greedy"
    )
    for key, what in (
        ("compute_of_total", "dynamic compute / total power"),
        ("compute_static_of_total", "compute incl. server static / total"),
        ("fixed_of_total", "fixed power / total power"),
        ("compute_of_plan", "compute / plan-dependent power"),
        ("servers_static_of_plan", "servers static / plan-dependent"),
        ("device_radio_of_plan", "device radio / plan-dependent"),
        ("network_baseload_of_plan", "network baseload / plan-dependent"),
        ("network_marginal_of_plan", "network marginal / plan-dependent"),
    ):
        vals = np.array([r[key] for r in milp_ok if key in r])
        if len(vals):
            print(
                f"  {what} (milp plans): median {np.median(vals):.1%}, "
                f"range {vals.min():.1%}-{vals.max():.1%}"
            )
    for r in refused:
        print(f"  refused {r['topology']}: {r['why']}")


if __name__ == "__main__":
    sys.exit(main())
