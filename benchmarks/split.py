"""Split computing: the optimizer's cut against a brute-force enumeration of every cut.

    PYTHONPATH=src python benchmarks/split.py [--json OUT] [--rates 1,10] [--slo S]
                                              [--exit-rate Q --exit-loss L]

For each real network (MobileNetV2, ResNet-50, EfficientNet-B0, the SSDlite detector)
x access link (4G at 10 Mbit/s, WiFi at 50 Mbit/s, 5G at 200 Mbit/s) x cut tensor
precision (fp32, int8), a phone-class device (``phone-pixel1``) sends the network's raw
input (3 x resolution^2 bytes) at each of ``--rates`` requests/s (one stream, not split
over placements) to be served within ``--slo`` s, with an edge (``jetson-orin-nano``)
behind the access link and a cloud node (``xeon-server``) behind a metro link
(:func:`slimplace.split.sweep.device_edge_cloud`).
``milp`` solves the compiled problem (dominated cuts pruned); the brute force evaluates
every candidate (whole model on the device, whole model at each node, every cut at each
node, none pruned) alone with the evaluator and keeps the feasible one of least energy.
With ``--exit-rate Q`` the classifiers get an early exit in the head (:data:`EXITS`: the
block after about 35-45 % of the FLOPs) that ``Q`` of the requests take, at ``--exit-loss``
top-1 (the detector has none).
Energy per request = the power a plan adds to the idle continuum, over the rate
(:func:`slimplace.split.sweep.idle_power_w`): device compute, server compute above idle,
network marginal energy and device radio.

JSON: ``{"cases": [{"model", "head_device", "remote", "bandwidth_bps", "best_split",
"split_kind" ("device" | "remote" | "split"), "energy_j", "latency_s",
"brute_force_energy_j", "brute_force_split", "cut_precision", "rate_per_s", "equal"}]}``.
Exit 1 when a case differs from brute force.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from slimplace.problem.compile import compile_problem
from slimplace.solve import solve
from slimplace.split.sweep import (
    ACCESS,
    all_cuts_problem,
    cut_label,
    device_edge_cloud,
    evaluate_cuts,
    idle_power_w,
    single_variant_family,
)

#: (profiled network, catalog family, catalog variant)
NETWORKS = (
    ("mobilenet_v2", "mobilenet-v2", "mobilenet_v2_1.0_224"),
    ("resnet50", "resnet", "resnet50"),
    ("efficientnet_b0", "efficientnet", "efficientnet_b0"),
    ("ssdlite320_mobilenet_v3_large", "tv-detection", "ssdlite320_mobilenet_v3_large"),
)
RTOL = 1e-6
#: early-exit block per profiled classifier (``--exit-rate``)
EXITS = {"mobilenet_v2": "ir7", "resnet50": "layer2.3", "efficientnet_b0": "mb6"}


def run_case(
    network: str,
    family: str,
    variant: str,
    access: str,
    precision: str,
    rate: float,
    slo: float,
    exit_rate: float = 0.0,
    exit_loss: float = 0.0,
) -> dict[str, object]:
    """One case: milp on the pruned problem against every cut evaluated alone."""
    fam = single_variant_family(family, variant)
    exit_after = EXITS.get(network) if exit_rate > 0 else None
    scenario = device_edge_cloud(
        fam,
        network,
        access,
        rate_per_s=rate,
        slo_s=slo,
        precision=precision,  # type: ignore[arg-type]
        exit_after=exit_after,
        exit_rate=exit_rate if exit_after else 0.0,
        exit_accuracy_loss=exit_loss if exit_after else 0.0,
    )
    problem = compile_problem(scenario, strict=False)
    result = solve(problem, "milp")
    e = result.evaluation
    chosen = int(np.flatnonzero(result.plan.x > 0.5)[0]) if e.feasible else -1
    brute = [r for r in evaluate_cuts(all_cuts_problem(scenario)) if r.feasible]
    best = min(brute, key=lambda r: r.energy_j) if brute else None
    energy = (e.power_w - idle_power_w(problem)) / rate if e.feasible else None
    kind = "-"
    if chosen >= 0:
        local = problem.cand_node[chosen] == problem.demand_source[0]
        kind = "device" if local else ("split" if problem.cand_cut[chosen] >= 0 else "remote")
    equal = (best is None and energy is None) or (
        best is not None
        and energy is not None
        and abs(energy - best.energy_j) <= RTOL * max(abs(best.energy_j), 1e-12)
    )
    return {
        "model": variant,
        "head_device": "phone-pixel1",
        "remote": problem.node_ids[problem.cand_node[chosen]]
        if kind in ("remote", "split")
        else "-",
        "bandwidth_bps": ACCESS[access][1],
        "access": access,
        "cut_precision": precision,
        "rate_per_s": rate,
        "exit_after": exit_after,
        "exit_rate": exit_rate if exit_after else 0.0,
        "best_split": cut_label(problem, chosen) if chosen >= 0 else "infeasible",
        "split_kind": kind,
        "energy_j": energy,
        "latency_s": float(e.demand_latency_s[0]) if e.feasible else None,
        "brute_force_energy_j": None if best is None else best.energy_j,
        "brute_force_split": None if best is None else _label(best),
        "candidates": problem.n_candidates,
        "brute_force_candidates": len(brute),
        "equal": bool(equal),
    }


def _label(r: object) -> str:
    kind, node, cut = r.kind, r.node, r.cut  # type: ignore[attr-defined]
    return "device" if kind == "device" else (node if kind == "remote" else f"{cut}->{node}")


def main(argv: list[str] | None = None) -> int:
    """Run every case; print a table, write ``--json``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--rates", default="1,10", help="requests/s, comma-separated (default 1,10)")
    ap.add_argument("--slo", type=float, default=0.3, help="latency SLO in s (default 0.3)")
    ap.add_argument("--exit-rate", type=float, default=0.0, help="early-exit share (default 0)")
    ap.add_argument("--exit-loss", type=float, default=0.0, help="its top-1 cost (default 0)")
    args = ap.parse_args(argv)
    cases = []
    rates = [float(r) for r in args.rates.split(",")]
    grid = [(n, a, p, r) for r in rates for n in NETWORKS for a in ACCESS for p in ("fp32", "int8")]
    for (network, family, variant), access, precision, rate in grid:
        row = run_case(
            network,
            family,
            variant,
            access,
            precision,
            rate,
            args.slo,
            args.exit_rate,
            args.exit_loss,
        )
        cases.append(row)
        e = row["energy_j"]
        print(
            f"{rate:4g}/s {variant:30s} {access:4s} {precision:4s} {row['best_split']:22s} "
            f"{row['split_kind']:6s} E={e if e is None else round(e, 4)} J "
            f"brute={row['brute_force_split']} equal={row['equal']}"
        )
    if args.json is not None:
        args.json.write_text(json.dumps({"cases": cases}, indent=1))
    return 0 if all(c["equal"] for c in cases) else 1


if __name__ == "__main__":
    sys.exit(main())
