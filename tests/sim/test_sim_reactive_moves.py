"""``reactive`` follows entries moved outside it (a migration after a handover) instead of
moving them back every step."""

from pathlib import Path

from slimplace.problem.compile import compile_problem
from slimplace.scenario.io import load_scenario
from slimplace.sim import default_policies, simulate
from slimplace.sim.mobility import build_mobility

ROOT = Path(__file__).resolve().parents[2]
TWO = ROOT / "examples" / "mobility-two-antennas.yaml"
TRACE = ROOT / "examples" / "mobility-trace.csv"


def test_reactive_keeps_a_migrated_service_where_it_was_moved() -> None:
    p = compile_problem(load_scenario(TWO), variants="all")
    for migrate in ("slo", "follow"):
        s = simulate(
            p,
            default_policies().create("reactive"),
            horizon_s=3600.0,
            step_s=300.0,
            mobility=build_mobility(TRACE, migrate=migrate),
        ).summary
        # one handover in the trace: at most one migration per demand, not one per step
        assert s.mobility["migrations"] <= p.n_demands, (migrate, s.mobility)
