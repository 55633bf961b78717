"""Checks on split and multi-stage applications (run by the scenario loader: a problem
found here makes the CLI exit 2 naming the application and the reason).

- a split names a profiled network and cuts that exist in it;
- a multi-stage application's stages have unique names, depend on known stages, form a
  DAG (no cycle), and each has a variant that fits some node's memory;
- its end-to-end SLO is not below the critical path of its stages' minimal latencies
  (each stage's fastest variant on the fastest hardware of the scenario, times its
  calls per request), which no placement could beat.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from slimplace.errors import Problem
from slimplace.scenario.model import Application, Scenario
from slimplace.split.cuts import variant_network
from slimplace.split.profiles import AUTO, load_profiles, network_names


def check_splits(scenario: Scenario) -> list[Problem]:
    """Every problem of the scenario's split and multi-stage applications."""
    out: list[Problem] = []
    for i, app in enumerate(scenario.applications):
        where = f"applications[{i}]"
        if app.split is not None and app.stages:
            out.append(Problem(where, f"application {app.id}: give split or stages, not both"))
        if app.split is not None:
            out += _split_problems(where, app, scenario)
        if app.stages:
            out += _stage_problems(where, app, scenario)
    return out


def _auto_problems(where: str, app: Application, scenario: Scenario) -> list[Problem]:
    assert app.split is not None
    family = scenario.family_by_name().get(app.family)
    if family is None:
        return []
    nets = {n for v in family.variants if (n := variant_network(app.split, v)) is not None}
    if not nets:
        msg = f"application {app.id}: no variant of {app.family} matches a profiled network"
        return [Problem(f"{where}.split.network", msg)]
    cuts = {c for (n, _), p in load_profiles().items() if n in nets for c in p.cut_names}
    bad = [c for c in app.split.cuts if c not in cuts]
    if bad:
        nets_text = ", ".join(sorted(nets))
        msg = f"application {app.id}: cut {', '.join(bad)} does not exist in {nets_text}"
        return [Problem(f"{where}.split.cuts", msg)]
    return _exit_problems(where, app, cuts, ", ".join(sorted(nets)))


def _exit_problems(where: str, app: Application, cuts: set[str], nets: str) -> list[Problem]:
    """An early exit must sit after a block of the network, and a rate needs an exit."""
    spec = app.split
    assert spec is not None
    if spec.exit_after is not None and spec.exit_after not in cuts:
        msg = f"application {app.id}: exit after {spec.exit_after}: no such block in {nets}"
        return [Problem(f"{where}.split.exit_after", msg)]
    if spec.exit_rate > 0 and spec.exit_after is None:
        msg = f"application {app.id}: exit_rate given without exit_after (the exit's block)"
        return [Problem(f"{where}.split.exit_rate", msg)]
    return []


def _split_problems(where: str, app: Application, scenario: Scenario) -> list[Problem]:
    assert app.split is not None
    spec = app.split
    names = network_names()
    if spec.network == AUTO:
        return _auto_problems(where, app, scenario)
    if spec.network not in names:
        known = ", ".join(names)
        msg = f"application {app.id}: no profiled network {spec.network!r} (known: {known})"
        return [Problem(f"{where}.split.network", msg)]
    cuts = {c for (n, _), p in load_profiles().items() if n == spec.network for c in p.cut_names}
    bad = [c for c in spec.cuts if c not in cuts]
    if bad:
        msg = (
            f"application {app.id}: cut {', '.join(bad)} does not exist in {spec.network} "
            f"(cuts: {', '.join(sorted(cuts))})"
        )
        return [Problem(f"{where}.split.cuts", msg)]
    return _exit_problems(where, app, cuts, spec.network)


def _stage_problems(where: str, app: Application, scenario: Scenario) -> list[Problem]:
    ids = [s.id for s in app.stages]
    dup = sorted({x for x in ids if ids.count(x) > 1})
    if dup:
        return [Problem(f"{where}.stages", f"application {app.id}: stage {dup[0]} twice")]
    graph = nx.DiGraph()
    graph.add_nodes_from(ids)
    for j, stage in enumerate(app.stages):
        for before in stage.after:
            if before not in ids:
                msg = f"application {app.id}: stage {stage.id} comes after unknown stage {before}"
                return [Problem(f"{where}.stages[{j}].after", msg)]
            graph.add_edge(before, stage.id)
    if not nx.is_directed_acyclic_graph(graph):
        cycle = " -> ".join(u for u, _ in nx.find_cycle(graph))
        return [Problem(f"{where}.stages", f"application {app.id}: stages form a cycle ({cycle})")]
    families = scenario.family_by_name()
    if any(s.family not in families for s in app.stages):
        return []  # reported by the loader as an unknown family
    fastest, problems = _fastest_stage_s(where, app, scenario)
    if problems:
        return problems
    critical = max(
        sum(fastest[s] for s in path)
        for src in ids
        for dst in ids
        for path in (nx.all_simple_paths(graph, src, dst) if src != dst else [[src]])
    )
    if app.latency_slo_s < critical:
        msg = (
            f"application {app.id}: SLO {app.latency_slo_s * 1e3:.1f} ms is below the "
            f"{critical * 1e3:.1f} ms its stages need at least (critical path of each "
            "stage's fastest variant on the fastest hardware)"
        )
        return [Problem(f"{where}.slo", msg)]
    return []


def _fastest_stage_s(
    where: str, app: Application, scenario: Scenario
) -> tuple[dict[str, float], list[Problem]]:
    """Each stage's minimal compute latency over the scenario's hardware that can hold one
    of its variants, times its calls per request."""
    from slimplace.calibration.model import CalibratedLatencyModel

    families = scenario.family_by_name()
    profiles = scenario.hardware
    out: dict[str, float] = {}
    problems: list[Problem] = []
    for j, stage in enumerate(app.stages):
        variants = families[stage.family].variants
        if not profiles or not variants:
            out[stage.id] = 0.0
            continue
        table = CalibratedLatencyModel().service_table(profiles, variants)
        memory = np.array([v.memory_bytes for v in variants])
        fits = memory[None, :] <= np.array([p.memory_bytes for p in profiles])[:, None]
        if not fits.any():
            msg = (
                f"application {app.id}: stage {stage.id} has no admissible node (the smallest "
                f"variant of {stage.family} needs {memory.min() / 1e6:.1f} MB, more than any "
                "hardware has)"
            )
            problems.append(Problem(f"{where}.stages[{j}]", msg))
            continue
        out[stage.id] = float(np.where(fits, table.compute_s, np.inf).min()) * stage.calls
    return out, problems


__all__ = ["check_splits"]
