"""Every cut of a split application, evaluated: the brute force the optimizer is checked
against, and the data of the energy/latency-per-cut figure (Neurosurgeon, Kang et al.,
ASPLOS 2017, Fig. 7-8).

:func:`device_edge_cloud` builds the benchmark's continuum: a phone-class device with
one access link to an edge node, and a cloud node behind it. The edge and cloud servers
are always on (shared with other tenants), so a plan's energy is the request's marginal
energy: the device's compute, the servers' compute above idle, the network's marginal
energy and the device radio.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from slimplace.calibration.model import CalibratedLatencyModel
from slimplace.evaluate import evaluate
from slimplace.plan import Plan, plan_from_choice
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.build import build_scenario
from slimplace.scenario.model import (
    Application,
    CutPrecision,
    Link,
    ModelFamily,
    Node,
    Scenario,
    Settings,
    Source,
    SplitSpec,
    Variant,
)
from slimplace.split.candidates import add_split_candidates
from slimplace.split.profiles import profile_for
from slimplace.split.tables import cut_tables

#: Access links of the benchmark: link kind and bandwidth (bit/s).
ACCESS: dict[str, tuple[str, float]] = {
    "4g": ("4g", 10e6),
    "wifi": ("wifi", 50e6),
    "5g": ("5g", 200e6),
}


def device_edge_cloud(
    family: ModelFamily,
    network: str,
    access: str,
    *,
    bandwidth_bps: float | None = None,
    rate_per_s: float = 1.0,
    slo_s: float = 10.0,
    precision: CutPrecision = "fp32",
    splittable: bool = False,
    exit_after: str | None = None,
    exit_rate: float = 0.0,
    exit_accuracy_loss: float = 0.0,
) -> Scenario:
    """Phone (``phone-pixel1``) - access link - edge (``jetson-orin-nano``) - metro link -
    cloud (``xeon-server``), one application of ``family`` at the phone whose request is
    the network's raw input (3 x resolution^2 bytes, as Neurosurgeon sends). Its traffic
    goes to one candidate unless ``splittable`` (then plans may mix placements, which a
    one-candidate-at-a-time brute force does not cover). ``exit_after`` / ``exit_rate`` /
    ``exit_accuracy_loss``: an early exit in the head (:class:`SplitSpec`)."""
    kind, default_bps = ACCESS[access]
    res = profile_for(network).resolution
    app = Application(
        id="infer",
        family=family.name,
        sources=(Source("phone", rate_per_s),),
        request_bytes=3.0 * res * res,
        response_bytes=1000.0,
        latency_slo_s=slo_s,
        split=SplitSpec(
            network,
            cut_precision=precision,
            exit_after=exit_after,
            exit_rate=exit_rate,
            exit_accuracy_loss=exit_accuracy_loss,
        ),
        splittable=splittable,
    )
    return build_scenario(
        f"split-{network}-{access}",
        nodes=[
            Node("phone", "device", "phone-pixel1", always_on=True, local_only=True),
            Node("edge", "edge", "jetson-orin-nano", always_on=True),
            Node("cloud", "cloud", "xeon-server", always_on=True, pue=1.2),
        ],
        links=[
            Link("phone", "edge", kind, bandwidth_bps=bandwidth_bps or default_bps),
            Link("edge", "cloud", "metro"),
        ],
        families=[family],
        applications=[app],
        settings=Settings(default_region="FRA"),
    )


def single_variant_family(family: str, variant: str) -> ModelFamily:
    """A catalog variant alone in a family of its own (one network per case)."""
    from slimplace.catalog import load_catalog

    v: Variant = load_catalog().families[family].variant(variant)
    return ModelFamily(variant, (v,))


@dataclass(frozen=True, slots=True)
class CutResult:
    """One candidate evaluated alone: where it runs and what a request costs."""

    candidate: int
    node: str
    #: "device" (whole model on the device), "remote" (whole model at ``node``), "split"
    kind: str
    cut: str
    head_share: float
    feasible: bool
    energy_j: float
    latency_s: float


def all_cuts_problem(scenario: Scenario) -> CompiledProblem:
    """The scenario compiled with every admissible cut kept (no dominance pruning)."""
    plain = dataclasses.replace(
        scenario,
        applications=tuple(dataclasses.replace(a, split=None) for a in scenario.applications),
    )
    base = dataclasses.replace(compile_problem(plain, strict=False), scenario=scenario)
    variants = tuple(v for f in scenario.families for v in f.variants)
    table = CalibratedLatencyModel().service_table(scenario.hardware, variants)
    return add_split_candidates(base, cut_tables(scenario, base.variant_family), table, prune=False)


def evaluate_cuts(problem: CompiledProblem, demand: int = 0) -> list[CutResult]:
    """Every candidate of ``demand`` as the whole plan (other demands unplaced: use on
    single-demand problems): energy per request (the power the plan adds to
    :func:`idle_power_w`, over the rate) and latency, by the evaluator."""
    p = problem
    out = []
    names = _cut_names(p)
    idle_w = idle_power_w(p)
    for c in range(p.demand_ptr[demand], p.demand_ptr[demand + 1]):
        chosen = np.full(p.n_demands, -1, dtype=np.int64)
        chosen[demand] = c
        e = evaluate(p, plan_from_choice(p, chosen, "brute-force"))
        cut = int(p.cand_cut[c])
        local = p.cand_node[c] == p.demand_source[demand]
        kind = "device" if local else ("split" if cut >= 0 else "remote")
        out.append(
            CutResult(
                candidate=c,
                node=p.node_ids[p.cand_node[c]],
                kind=kind,
                cut=names.get((int(p.cand_variant[c]), cut), "-"),
                head_share=float(p.cand_head_compute_s[c] / max(p.cand_compute_s[c], 1e-300)),
                feasible=e.feasible,
                energy_j=(e.power_w - idle_w) / float(p.demand_rate_per_s[demand]),
                latency_s=float(e.demand_latency_s[demand]),
            )
        )
    return out


def idle_power_w(problem: CompiledProblem) -> float:
    """Power with nothing placed (servers idle or asleep, network baseload): what a
    request's energy is measured above, whatever the accounting calls fixed."""
    empty = Plan(
        x=np.zeros(problem.n_candidates),
        servers_on=np.where(problem.node_always_on, problem.node_count, 0),
        method="none",
    )
    return float(evaluate(problem, empty).power_w)


def _cut_names(p: CompiledProblem) -> dict[tuple[int, int], str]:
    tables = cut_tables(p.scenario, p.variant_family)
    out = {}
    for t in tables:
        for row, k in enumerate(t.variants):
            for j, idx in enumerate(t.cut_index[row]):
                if idx >= 0:
                    out[(int(k), int(idx))] = t.cut_names[row][j]
    return out


def cut_label(p: CompiledProblem, c: int) -> str:
    """Readable placement of candidate ``c``: ``device``, ``NODE`` or ``CUT->NODE``."""
    if p.cand_node[c] == p.demand_source[p.cand_demand[c]]:
        return "device"
    cut = int(p.cand_cut[c])
    node = p.node_ids[p.cand_node[c]]
    if cut < 0:
        return node
    return f"{_cut_names(p).get((int(p.cand_variant[c]), cut), str(cut))}->{node}"


__all__ = [
    "ACCESS",
    "CutResult",
    "all_cuts_problem",
    "cut_label",
    "device_edge_cloud",
    "evaluate_cuts",
    "idle_power_w",
    "single_variant_family",
]
