"""Why a scenario has no plan although every demand alone has candidates.

An *elastic* version of the model (Chinneck, *Feasibility and Infeasibility in
Optimization*, Springer 2008, ch. 6) gives every capacity, memory, bandwidth and
average-accuracy row a slack, measured as a fraction of the resource, and
minimises the total slack. Rows left with positive slack are the binding
resources; the demands whose traffic the elastic solution puts on them are the
ones competing for them. The LP relaxation is tried first; when it is feasible
the conflict comes from integrality (unsplittable demands, whole servers,
models loaded or not) and the elastic MILP is solved instead.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from slimplace.optim.arcs import candidate_arcs
from slimplace.optim.costs import FloatArray, IntArray, cost_model, objective_weights
from slimplace.optim.formulation import CONTINUOUS, Formulation, build_formulation
from slimplace.optim.highs import solve_formulation
from slimplace.optim.segments import weighted_sum
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)

#: Slack (fraction of a resource) below which a row counts as satisfied.
SLACK_TOL = 1e-7

_KIND = {"cap": "capacity", "mem": "memory", "bw": "bandwidth", "avgacc": "accuracy"}


@dataclass(frozen=True, slots=True)
class BindingResource:
    """A resource the demands cannot all share: by how much it is short, and who wants it."""

    kind: str
    where: str
    shortfall: float
    unit: str
    demands: tuple[str, ...]
    n_demands: int

    def render(self) -> str:
        """One line: the resource, the shortfall and the competing demands."""
        who = ", ".join(self.demands[:8])
        more = f" and {self.n_demands - 8} more" if self.n_demands > 8 else ""
        return (
            f"{self.kind} at {self.where}: short by {self.shortfall:.4g} {self.unit}; "
            f"{self.n_demands} demand(s) compete: {who}{more}"
        )


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Result of :func:`diagnose`: ``feasible`` when no conflict was found."""

    feasible: bool
    resources: tuple[BindingResource, ...]
    relaxation: str
    message: str

    def render(self) -> str:
        """The diagnosis as text, one binding resource per line."""
        lines = [self.message]
        lines += [f"  {r.render()}" for r in self.resources[:20]]
        if len(self.resources) > 20:
            lines.append(f"  ... and {len(self.resources) - 20} more")
        return "\n".join(lines)


def diagnose(problem: CompiledProblem, *, time_limit_s: float = 60.0) -> Diagnosis:
    """Name the resources that make ``problem`` infeasible and the demands competing for them."""
    p = problem
    head = ""
    if p.unservable:
        names = ", ".join(f"{u.application}@{u.source} ({u.reason})" for u in p.unservable[:5])
        head = f"{len(p.unservable)} demand(s) have no admissible candidate at all: {names}. "
    model = cost_model(p, objective_weights(p, "energy"))
    model = dataclasses.replace(
        model,
        curve_nodes=np.zeros(0, dtype=np.int64),
        curve_u=np.zeros((0, 0)),
        curve_f=np.zeros((0, 0)),
    )
    for relax in (True, False):
        f = _without_empty_demands(p, build_formulation(p, model, relax=relax))
        elastic, slack_rows = _elastic(p, f)
        out = solve_formulation(elastic, time_limit_s=time_limit_s, mip_gap=0.0)
        if out.values is None:
            return Diagnosis(
                False,
                (),
                "lp" if relax else "milp",
                f"the elastic model could not be solved ({out.model_status})",
            )
        slack = out.values[f.n_cols :]
        if (slack > SLACK_TOL).any():
            resources = _resources(p, f, out.values[: f.n_cols], slack_rows, slack)
            what = (
                "even with fractional shares and servers"
                if relax
                else "with whole servers, unsplittable demands and models loaded or not"
            )
            return Diagnosis(
                False,
                resources,
                "lp" if relax else "milp",
                f"{head}No plan exists {what}: {len(resources)} resource(s) are short",
            )
    if head:
        return Diagnosis(False, (), "milp", head + "The other demands fit together.")
    return Diagnosis(True, (), "milp", "no conflict found: the model is feasible")


def _without_empty_demands(p: CompiledProblem, f: Formulation) -> Formulation:
    """Drop the cover rows of demands without candidates (reported separately)."""
    empty = np.diff(p.demand_ptr) == 0
    if not empty.any():
        return f
    lo, up = f.row_lower.copy(), f.row_upper.copy()
    rows = f.rows["cover"].start + np.nonzero(empty)[0]
    lo[rows] = 0.0
    up[rows] = 0.0
    return dataclasses.replace(f, row_lower=lo, row_upper=up)


def _elastic(p: CompiledProblem, f: Formulation) -> tuple[Formulation, IntArray]:
    """``f`` with zero cost and one slack column (cost 1) per resource row."""
    rows, coefs = [], []
    rho = p.max_utilisation
    for family in ("cap", "mem", "bw", "avgacc"):
        if family not in f.rows:
            continue
        r = np.arange(f.rows[family].start, f.rows[family].stop)
        if family == "cap":
            coef = -rho * p.node_count[f.row_index["cap"][0]].astype(np.float64)
        elif family == "avgacc":
            coef = np.ones(len(r))
        else:
            coef = -np.ones(len(r))
        rows.append(r)
        coefs.append(coef)
    slack_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    coef = np.concatenate(coefs) if coefs else np.zeros(0)
    k = len(slack_rows)
    extra = sparse.csc_array((coef, (slack_rows, np.arange(k))), shape=(f.n_rows, k))
    matrix = sparse.hstack([f.matrix, extra], format="csc")
    elastic = dataclasses.replace(
        f,
        matrix=matrix,
        col_cost=np.concatenate([np.zeros(f.n_cols), np.ones(k)]),
        col_lower=np.concatenate([f.col_lower, np.zeros(k)]),
        col_upper=np.concatenate([f.col_upper, np.full(k, np.inf)]),
        integrality=np.concatenate([f.integrality, np.full(k, CONTINUOUS, dtype=np.int32)]),
        offset=0.0,
    )
    return elastic, slack_rows


def _resources(
    p: CompiledProblem, f: Formulation, values: FloatArray, slack_rows: IntArray, slack: FloatArray
) -> tuple[BindingResource, ...]:
    x = values[f.cols["x"]]
    flow = p.demand_rate_per_s[p.cand_demand] * x
    out = []
    for row in np.nonzero(slack > SLACK_TOL)[0]:
        r = int(slack_rows[row])
        family = next(name for name, s in f.rows.items() if s.start <= r < s.stop)
        idx = int(f.row_index[family][0][r - f.rows[family].start])
        users, share = _users(p, family, idx, flow)
        amount, unit, where = _shortfall(p, family, idx, float(slack[row]))
        order = np.argsort(-share, kind="stable")
        labels = tuple(p.demand_label(int(d)) for d in users[order][:20])
        out.append(BindingResource(_KIND[family], where, amount, unit, labels, len(users)))
    out.sort(key=lambda b: (b.kind, b.where))
    return tuple(out)


def _users(
    p: CompiledProblem, family: str, idx: int, flow: FloatArray
) -> tuple[IntArray, FloatArray]:
    """Demands whose elastic traffic uses the resource, and how much of it."""
    if family in ("cap", "mem"):
        at = (p.cand_node == idx) & (flow > 0)
        weight = flow * p.cand_service_s if family == "cap" else flow
    elif family == "avgacc":
        at = (p.demand_app[p.cand_demand] == idx) & (flow > 0)
        weight = flow
    else:
        used = np.nonzero(flow > 0)[0]
        pos, arc, bits = candidate_arcs(p, used)
        hit = arc == idx
        at = np.zeros(p.n_candidates, dtype=bool)
        at[used[pos[hit]]] = True
        weight = np.zeros(p.n_candidates)
        np.add.at(weight, used[pos[hit]], flow[used[pos[hit]]] * bits[hit])
    demands = p.cand_demand[at]
    share = weighted_sum(demands, weight[at], p.n_demands)
    uniq = np.unique(demands)
    return uniq, share[uniq]


def _shortfall(p: CompiledProblem, family: str, idx: int, slack: float) -> tuple[float, str, str]:
    if family == "cap":
        return slack * p.max_utilisation * p.node_count[idx], "server-s/s", p.node_ids[idx]
    if family == "mem":
        return slack * p.node_memory_bytes[idx] / 1e9, "GB", p.node_ids[idx]
    if family == "bw":
        link = idx // 2
        a, b = p.node_ids[p.link_a[link]], p.node_ids[p.link_b[link]]
        ends = f"{a}->{b}" if idx % 2 == 0 else f"{b}->{a}"
        return slack * p.link_bandwidth_bps[link] / 1e6, "Mbit/s", ends
    return slack, "in mean accuracy", p.app_ids[idx]
