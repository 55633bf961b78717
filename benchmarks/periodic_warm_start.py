"""What the warm start of the ``periodic`` policy buys: re-planning time and energy, with
the plan in force given to ``greedy`` as its start, against ``greedy`` from scratch.

    python benchmarks/periodic_warm_start.py [SCENARIO] [--hours H] [--period-s S] [--seed S]

SCENARIO defaults to examples/demo.yaml. Both runs simulate the same workload (seeded)
with the same policy options; only the solver differs: ``greedy`` (which takes a start
plan) and the same ``greedy`` behind a wrapper that hides the start. Reported per run:
re-plans, mean and total re-planning seconds (wall-clock of each solver call, on
whatever machine runs this: note its load), energy (kWh) and SLO attainment.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

from slimplace.optim.greedy import GreedySolver
from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.sim import PeriodicPolicy, simulate


@dataclass(eq=False)
class Timed:
    """``solver`` with the seconds of every call recorded; ``warm``: pass the start on."""

    solver: GreedySolver
    warm: bool
    seconds: list[float] = field(default_factory=list)

    def solve(self, problem: CompiledProblem, *, seed: int = 0, start: Plan | None = None) -> Plan:
        """Solve, with or without the start plan, and record the time."""
        t0 = time.perf_counter()
        plan = self.solver.solve(problem, seed=seed, start=start if self.warm else None)
        self.seconds.append(time.perf_counter() - t0)
        return plan


def main() -> None:
    """Run both and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="examples/demo.yaml", type=Path)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--period-s", type=float, default=900.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    problem = compile_problem(load_scenario(args.scenario), strict=False)
    print(f"{args.scenario}: {problem.n_demands} demands, {problem.n_candidates} candidates")
    print("start    re-plans  mean s  total s   energy kWh  SLO met")
    for warm in (False, True):
        timed = Timed(GreedySolver(time_limit_s=10.0), warm)
        policy = PeriodicPolicy(solver=timed, period_s=args.period_s)
        s = simulate(
            problem, policy, horizon_s=args.hours * 3600.0, step_s=300.0, seed=args.seed
        ).summary
        replans = timed.seconds[1:]  # the first call plans from nothing in both runs
        mean = sum(replans) / max(1, len(replans))
        print(
            f"{'warm' if warm else 'cold':8} {len(replans):8d}  {mean:6.3f}  {sum(replans):7.2f}"
            f"   {s.energy_j / 3.6e6:10.3f}  {s.slo_met_fraction:7.4f}"
        )


if __name__ == "__main__":
    main()
