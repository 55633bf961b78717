"""Contract checks every online policy passes; run them on your own policy.

``check_policy(policy)`` simulates a small day on :func:`tiny_scenario` (diurnal load,
solar carbon) through the real engine with a checker between the policy and the engine,
and raises :class:`AssertionError` listing every broken rule:

- step 0 returns a :class:`~slimplace.plan.Plan` with one share per candidate, shares in
  [0, 1] summing to 1 for every demand, and servers on within [0, count] on every node;
- later decisions are None, a Plan as above, or a :class:`~slimplace.sim.policy.Change`
  whose entries are distinct indices of the current support, each moved to a candidate of
  the entry's own demand, with servers on (if given) of the node count's shape and range;
- the policy never writes into the observation (its arrays are read-only: a write fails);
- the same seed gives the same records, and the policy object can run twice (it keeps
  per-run memory in what ``start`` returns, not in itself);
- the records are sane: non-negative energy, fractions in [0, 1], offered requests equal
  to the workload's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from slimplace.arrays import FloatArray
from slimplace.benchmarks.tiny import tiny_scenario
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.sim.carbon import build_carbon
from slimplace.sim.engine import simulate
from slimplace.sim.policy import Change, Context, Decision, Observation, Policy
from slimplace.sim.records import COL, COLUMNS
from slimplace.sim.workload import build_workload


@dataclass
class _Collect:
    rows: list[FloatArray] = field(default_factory=list)

    def write(self, block: FloatArray) -> None:
        self.rows.append(block.copy())

    def close(self) -> None:
        pass

    def table(self) -> FloatArray:
        return np.concatenate(self.rows) if self.rows else np.zeros((0, len(COLUMNS)))


@dataclass(frozen=True)
class _Checked:
    """Wraps a policy and checks every decision before the engine sees it."""

    inner: Policy
    problem: CompiledProblem
    failures: list[str]
    name: str = "checked"  # a policy's name may be a plain attribute or a property

    def start(self, context: Context, *, seed: int) -> Any:
        return self.inner.start(context, seed=seed)

    def decide(self, obs: Observation, memory: Any) -> Decision:
        try:
            decision = self.inner.decide(obs, memory)
        except ValueError as exc:  # writing into a read-only observation array
            if "read-only" in str(exc):
                self.failures.append(
                    f"step {obs.step}: the policy wrote into the observation ({exc})"
                )
                raise
            raise
        self.failures.extend(f"step {obs.step}: {m}" for m in _check(self.problem, obs, decision))
        return decision


def _check(p: CompiledProblem, obs: Observation, decision: object) -> list[str]:
    if obs.step == 0 and not isinstance(decision, Plan):
        return [f"the first decision must be a Plan, got {type(decision).__name__}"]
    if decision is None:
        return []
    if isinstance(decision, Plan):
        return _check_plan(p, decision)
    if not isinstance(decision, Change):
        return [f"a decision must be a Plan, a Change or None, got {type(decision).__name__}"]
    out: list[str] = []
    if (decision.entries is None) != (decision.candidates is None):
        out.append("a Change needs both entries and candidates, or neither")
    elif decision.entries is not None and decision.candidates is not None:
        e, c = np.asarray(decision.entries), np.asarray(decision.candidates)
        n = len(obs.entry_candidate)
        if e.shape != c.shape:
            out.append(f"{len(e)} entries but {len(c)} candidates")
        elif len(e):
            if e.min() < 0 or e.max() >= n:
                out.append(f"entries outside the support of {n}")
            elif len(np.unique(e)) != len(e):
                out.append("repeated entries")
            elif c.min() < 0 or c.max() >= p.n_candidates:
                out.append("candidates outside the candidate range")
            elif (p.cand_demand[c] != obs.entry_demand[e]).any():
                out.append("an entry moved to a candidate of another demand")
    if decision.servers_on is not None:
        out += _check_servers(p, np.asarray(decision.servers_on))
    return out


def _check_plan(p: CompiledProblem, plan: Plan) -> list[str]:
    out: list[str] = []
    if plan.x.shape != (p.n_candidates,):
        return [f"plan has {plan.x.shape} shares for {p.n_candidates} candidates"]
    if (plan.x < -1e-9).any() or (plan.x > 1 + 1e-9).any():
        out.append("shares outside [0, 1]")
    cover = np.bincount(p.cand_demand, weights=plan.x, minlength=p.n_demands)
    bad = np.flatnonzero(np.abs(cover - 1.0) > 1e-6)
    if len(bad):
        out.append(
            f"{len(bad)} demand(s) not fully served (shares sum to {cover[bad[0]]:.4f}, ...)"
        )
    return out + _check_servers(p, np.asarray(plan.servers_on))


def _check_servers(p: CompiledProblem, on: npt.NDArray[Any]) -> list[str]:
    if on.shape != (p.n_nodes,):
        return [f"servers_on has shape {on.shape}, not ({p.n_nodes},)"]
    if (on < 0).any() or (on > p.node_count + 1e-9).any():
        return ["servers_on outside [0, count]"]
    return []


def check_policy(
    policy: Policy,
    problem: CompiledProblem | None = None,
    *,
    steps: int = 48,
    step_s: float = 1800.0,
    seed: int = 3,
) -> None:
    """Run the contract checks (see the module docstring); raise AssertionError on failure."""
    p = problem or _default_problem()
    failures: list[str] = []
    tables = []
    for _ in range(2):
        sink = _Collect()
        wl = build_workload(p, override="diurnal", seed=seed)
        simulate(
            p,
            _Checked(policy, p, failures),
            horizon_s=steps * step_s,
            step_s=step_s,
            workload=wl,
            carbon=build_carbon(p, "solar"),
            seed=seed,
            records=sink,
        )
        tables.append(sink.table())
    a, b = tables
    keep = [i for i, c in enumerate(COLUMNS) if c != "decide_s"]
    if a.shape != b.shape or not np.array_equal(a[:, keep], b[:, keep], equal_nan=True):
        failures.append("two runs with the same seed gave different records")
    failures += _check_records(a, build_workload(p, override="diurnal", seed=seed), step_s)
    if failures:
        name = getattr(policy, "name", type(policy).__name__)
        raise AssertionError(
            f"policy {name} breaks its contract:\n  " + "\n  ".join(dict.fromkeys(failures))
        )


def _check_records(rows: FloatArray, workload: Any, step_s: float) -> list[str]:
    out = []
    if len(rows) == 0:
        return ["no records"]
    if (rows[:, COL["energy_j"]] < -1e-9).any() or (rows[:, COL["power_w"]] < -1e-9).any():
        out.append("negative energy or power")
    req = rows[:, COL["requests"]]
    for col in ("served", "slo_met", "slo_ok"):
        v = rows[:, COL[col]]
        if (v < -1e-9).any() or (v > req * (1 + 1e-9) + 1e-9).any():
            out.append(f"{col} outside [0, requests]")
    offered = workload.rates(0, len(rows), step_s).sum(axis=1) * step_s
    if not np.allclose(req, offered, rtol=1e-9):
        out.append("offered requests differ from the workload's")
    return out


def _default_problem() -> CompiledProblem:
    s = tiny_scenario(8, seed=5)
    s = replace(s, applications=tuple(replace(a, workload="diurnal") for a in s.applications))
    return compile_problem(s, variants="all")
