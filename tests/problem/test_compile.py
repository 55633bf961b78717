import itertools
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest

from slimplace.errors import InfeasibleScenarioError
from slimplace.problem.compile import compile_problem
from slimplace.testing import tiny_scenario


def _brute_force(scenario):
    """Admissible (app, source, node, variant) by plain loops over the model's definition."""
    g = nx.Graph()
    for link in scenario.links:
        g.add_edge(
            link.a,
            link.b,
            lat=link.latency_s,
            spb=0.0 if np.isinf(link.bandwidth_bps) else 1 / link.bandwidth_bps,
        )
    hw = scenario.hardware_by_name()
    fam = scenario.family_by_name()
    rho = scenario.settings.max_utilisation
    out = set()
    for app in scenario.applications:
        bits = 8 * (app.request_bytes + app.response_bytes)
        for src in app.sources:
            for node in scenario.nodes:
                if node.hardware is None or (node.local_only and node.id != src.node):
                    continue
                path = nx.dijkstra_path(
                    g, src.node, node.id, weight=lambda u, v, d: d["lat"] + 1e-9
                )
                edges = list(itertools.pairwise(path))
                net = 2 * sum(g[u][v]["lat"] for u, v in edges) + bits * sum(
                    g[u][v]["spb"] for u, v in edges
                )
                profile = hw[node.hardware]
                for v in fam[app.family].variants:
                    if app.accuracy_mode == "hard" and v.accuracy < app.accuracy_floor:
                        continue
                    s = v.flops / profile.throughput_flops
                    lat = net + s + rho * s / (2 * (1 - rho))
                    mem = max(x.memory_bytes for x in fam[app.family].variants)
                    if lat <= app.latency_slo_s and mem <= profile.memory_bytes:
                        out.add((app.id, src.node, node.id, v.name))
    return out


@pytest.mark.parametrize("seed", [0, 1])
def test_candidates_match_brute_force(seed: int) -> None:
    scenario = tiny_scenario(8, seed=seed)
    p = compile_problem(scenario, variants="all")
    got = {
        (
            p.app_ids[p.demand_app[d]],
            p.node_ids[p.demand_source[d]],
            p.node_ids[n],
            p.variant_names[k].split("/")[1],
        )
        for d, n, k in zip(p.cand_demand, p.cand_node, p.cand_variant, strict=True)
    }
    assert got == _brute_force(scenario)
    assert np.all(np.diff(p.cand_demand) >= 0)
    assert p.demand_ptr[-1] == p.n_candidates


def test_pareto_pruning_only_removes_dominated_variants() -> None:
    scenario = tiny_scenario(8)
    full = compile_problem(scenario, variants="all")
    pareto = compile_problem(scenario, variants="pareto")
    cheap = compile_problem(scenario, variants="cheapest")
    assert cheap.n_candidates <= pareto.n_candidates <= full.n_candidates
    # weight sharing: variants differ in speed and accuracy only, so no accuracy-aware pruning
    assert pareto.n_candidates == full.n_candidates
    # hard-floor app keeps only its fastest admissible variant per node under "cheapest"
    hard = cheap.app_average[cheap.demand_app[cheap.cand_demand]] == 0
    pairs = cheap.cand_demand[hard] * cheap.n_nodes + cheap.cand_node[hard]
    assert len(np.unique(pairs)) == len(pairs)


def test_candidate_latency_meets_slo_and_hard_floor() -> None:
    p = compile_problem(tiny_scenario(10, seed=3), variants="all")
    assert np.all(p.cand_latency_s <= p.demand_slo_s[p.cand_demand] + 1e-12)
    hard = ~p.app_average[p.demand_app[p.cand_demand]]
    assert np.all(p.cand_accuracy[hard] >= p.app_floor[p.demand_app[p.cand_demand[hard]]])
    assert np.all(p.cand_dyn_energy_j > 0)
    local = p.cand_node == p.demand_source[p.cand_demand]
    assert np.all(p.cand_net_energy_j[local] == 0)


def test_infeasible_scenario_names_demands_and_tightest_reason() -> None:
    s = tiny_scenario(4)
    app = replace(s.applications[0], latency_slo_s=0.004)
    s = replace(s, applications=(app, *s.applications[1:]))
    with pytest.raises(InfeasibleScenarioError) as err:
        compile_problem(s, file="tiny.yaml")
    text = str(err.value)
    assert "tiny.yaml" in text and "detect" in text and "dev-0" in text
    assert "SLO 4.0 ms: best achievable" in text
    relaxed = compile_problem(s, strict=False)
    assert {u.source for u in relaxed.unservable} == {"dev-0", "dev-1"}


def test_memory_reason_when_no_server_fits() -> None:
    s = tiny_scenario(4)
    fam = s.families[0]
    big = replace(fam, variants=tuple(replace(v, memory_bytes=1e12) for v in fam.variants))
    s = replace(s, families=(big,))
    with pytest.raises(InfeasibleScenarioError, match="memory"):
        compile_problem(s)
