"""Time to compile a generated scenario and to evaluate a plan at scale.

    python benchmarks/compile_eval.py [--json] [--demands N] [--nodes N] [--eval-demands N]

Compile: a continuum of about ``--nodes`` nodes (synthetic PoP graph grown by
``generate_continuum``) with ``--demands`` demands, from scenario values to the
compiled arrays (routes, admissible candidates). Evaluate: a full evaluation
(power, latency at actual utilisation, accuracy, every violation check incl.
bandwidth) of a plan on a problem with ``--eval-demands`` demands, compiled with
each demand capped at its ``--eval-max-nodes`` cheapest nodes.
Targets (issue 2): compile under 10 s, evaluate under 0.5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from slimplace.evaluate import evaluate
from slimplace.placement.baselines import nearest_feasible
from slimplace.problem.compile import compile_problem
from slimplace.scenario.model import Scenario
from slimplace.topology import ContinuumOptions, generate_continuum, synthetic_topology

#: Infrastructure per PoP: router, metro server, 2 antennas each with an edge server,
#: and devices; the PoP count is chosen to reach the node target.
DEVICES_PER_ANTENNA = 5
NODES_PER_POP = 2 + 2 * (2 + DEVICES_PER_ANTENNA)


def build(n_nodes: int, n_demands: int, seed: int) -> Scenario:
    """A generated continuum of about ``n_nodes`` nodes with ``n_demands`` demands."""
    n_pops = max(2, round(n_nodes / NODES_PER_POP))
    options = ContinuumOptions(
        antennas_per_pop=2,
        devices_per_antenna=DEVICES_PER_ANTENNA,
        n_datacenters=3,
        n_apps=8,
        n_demands=n_demands,
        families=("s-mobilenet-v1", "us-mobilenet-v2", "mobilenet-v2", "resnet"),
        slo_choices_s=(0.1, 0.2, 0.5),
    )
    return generate_continuum(synthetic_topology(n_pops, seed=seed), options, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demands", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--eval-demands", type=int, default=100_000)
    parser.add_argument("--eval-nodes", type=int, default=2_000)
    parser.add_argument("--eval-max-nodes", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    scenario = build(args.nodes, args.demands, args.seed)
    t0 = time.perf_counter()
    problem = compile_problem(scenario, strict=False)
    compile_s = time.perf_counter() - t0

    # 100k demands x 2k nodes: every node in reach of every demand would mean ~10^8
    # candidates; cap each demand at its 16 cheapest nodes (compile_problem's option for scale)
    big = compile_problem(
        build(args.eval_nodes, args.eval_demands, args.seed + 1),
        strict=False,
        max_nodes_per_demand=args.eval_max_nodes,
    )
    plan = nearest_feasible(big)
    evaluate(big, plan)  # warm-up: first-call imports and allocations
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        evaluate(big, plan)
        times.append(time.perf_counter() - t0)
    evaluate_s = float(np.median(times))
    figures = {
        "compile_s": round(compile_s, 3),
        "evaluate_s": round(evaluate_s, 4),
        "compile_nodes": len(scenario.nodes),
        "compile_demands": problem.n_demands,
        "compile_candidates": problem.n_candidates,
        "evaluate_nodes": big.n_nodes,
        "evaluate_demands": big.n_demands,
        "evaluate_candidates": big.n_candidates,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"compile : {compile_s:7.3f} s  ({figures['compile_nodes']} nodes, "
        f"{problem.n_demands} demands, {problem.n_candidates:,} candidates)   target < 10 s"
    )
    print(
        f"evaluate: {evaluate_s:7.4f} s  ({big.n_nodes} nodes, {big.n_demands} demands, "
        f"{big.n_candidates:,} candidates; median of 5)   target < 0.5 s"
    )


if __name__ == "__main__":
    main()
