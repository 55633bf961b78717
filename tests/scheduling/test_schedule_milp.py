"""The exact MILP against brute force on tiny instances, and the heuristic against the MILP."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from slimplace.plan import Status
from slimplace.scheduling import ExactMilp, Heuristic, check_schedule, compile_jobs, generate_jobs
from slimplace.scheduling.schedule import sequence_times


def _brute_force(problem, *, accuracy: bool) -> float:
    """Best objective by enumerating machines, variants (options at or above the floor)
    and the order of the jobs on each machine, every job as early as possible."""
    p = problem
    per_job = []
    for j in range(p.n_jobs):
        choices = []
        for m in range(p.n_machines):
            opt = p.option_variant[p.machine_profile[m], p.job_family[j]]
            for v in opt[opt >= 0]:
                if p.variant_accuracy[v] >= p.job_floor[j] - 1e-12:
                    run = p.job_work[j] * p.service_s[p.machine_profile[m], v]
                    energy = run * p.machine_busy_w[m] + p.network_energy_j[j, m]
                    choices.append((m, run, energy, p.job_utility[j] * p.variant_accuracy[v]))
                    if not accuracy:
                        break  # the lightest option is cheapest and fastest
        per_job.append(choices)
    best = -np.inf if accuracy else np.inf
    for combo in itertools.product(*per_job):
        energy = sum(c[2] for c in combo)
        if accuracy and energy > p.budget_j:
            continue
        value = sum(c[3] for c in combo) if accuracy else energy
        if (value <= best) if accuracy else (value >= best):
            continue
        if all(_machine_ok(p, combo, m) for m in range(p.n_machines)):
            best = value
    return best


def _machine_ok(p, combo, m) -> bool:
    jobs = [j for j, c in enumerate(combo) if c[0] == m]
    for order in itertools.permutations(jobs):
        idx = np.array(order, dtype=int)
        run = np.array([combo[j][1] for j in order])
        _, end = sequence_times(p.ready_s[idx, m], run)
        if np.all(end <= p.job_deadline_s[idx] + 1e-6):
            return True
    return not jobs


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_milp_matches_brute_force_energy(seed):
    problem = compile_jobs(generate_jobs(5, 2, seed=seed, load=1.2, tightness=0.9, split="none"))
    expected = _brute_force(problem, accuracy=False)
    s = ExactMilp(time_limit_s=30).solve(problem)
    if np.isinf(expected):
        assert s.status == Status.INFEASIBLE
        return
    assert s.status == Status.OPTIMAL
    assert s.objective == pytest.approx(expected, rel=1e-6)
    assert check_schedule(problem, s).energy_j == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("seed", [3, 4])
def test_milp_matches_brute_force_accuracy(seed):
    base = compile_jobs(generate_jobs(3, 2, seed=seed, load=1.0, tightness=0.9, split="none"))
    least = ExactMilp().solve(base).objective
    problem = base.with_objective("accuracy", 1.6 * least)
    expected = _brute_force(problem, accuracy=True)
    s = ExactMilp(time_limit_s=30).solve(problem)
    assert s.status == Status.OPTIMAL
    assert s.objective == pytest.approx(expected, rel=1e-6)
    assert check_schedule(problem, s).mean_accuracy == pytest.approx(expected, rel=1e-6)


def test_split_lp_beats_discrete_variants():
    """Letting jobs mix widths can only raise the best accuracy under the same budget."""
    kw = {"seed": 7, "load": 0.8}
    discrete = compile_jobs(generate_jobs(6, 2, split="none", **kw))
    mixed = compile_jobs(generate_jobs(6, 2, split="all", **kw))
    budget = 1.3 * ExactMilp().solve(discrete).objective
    a = ExactMilp().solve(discrete.with_objective("accuracy", budget))
    b = ExactMilp().solve(mixed.with_objective("accuracy", budget))
    assert b.objective >= a.objective - 1e-9
    assert check_schedule(mixed.with_objective("accuracy", budget), b).feasible


@pytest.mark.parametrize("seed", [0, 1, 4])
def test_heuristic_within_two_percent_of_milp(seed):
    problem = compile_jobs(generate_jobs(14, 3, seed=seed))
    exact = ExactMilp(time_limit_s=30).solve(problem)
    heur = Heuristic(time_limit_s=10).solve(problem)
    assert exact.status == Status.OPTIMAL
    assert heur.objective <= exact.objective * 1.02
    assert exact.bound <= heur.objective * (1 + 1e-9)


def test_a_huge_deadline_does_not_stop_the_milp_from_scheduling():
    import re
    from pathlib import Path

    from slimplace.scheduling import loads_jobs

    example = Path(__file__).resolve().parents[2] / "examples" / "jobs-small.yaml"
    text = re.sub(r"deadline: [^\n#]+", "deadline: 1e300 h", example.read_text())
    problem = compile_jobs(loads_jobs(text, file="huge.yaml"))
    heuristic = Heuristic(time_limit_s=10).solve(problem)
    exact = ExactMilp(time_limit_s=30).solve(problem)
    assert (heuristic.machine >= 0).all()
    assert exact.status in (Status.OPTIMAL, Status.TIME_LIMIT) and (exact.machine >= 0).all()
    assert check_schedule(problem, exact).feasible
    assert exact.objective <= heuristic.objective * (1 + 1e-6)
