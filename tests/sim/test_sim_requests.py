"""The step engine's latency and SLO estimates against a per-request simulation (SimPy).

Tolerances: mean latency within 3 % (M/D/1, the default service_cv2 = 0) and 6 % (M/M/1,
whose sample mean converges slowly); per-request SLO attainment within 0.02 absolute.
"""

import numpy as np
import pytest

from slimplace.plan import Plan
from slimplace.problem.compile import compile_problem
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    LinkKind,
    ModelFamily,
    Node,
    Region,
    Scenario,
    Settings,
    Source,
    Variant,
)
from slimplace.sim.engine import estimate_step
from slimplace.sim.requests import simulate_requests


def _scenario(cv2: float, rates: tuple[float, float], slo_s: float) -> Scenario:
    """Two cameras on one edge box of two servers; 10 ms per inference."""
    kind = LinkKind("wifi", 1e9, 0.002, 1e-8)
    return Scenario(
        name="des",
        nodes=(
            Node("cam-0", "device"),
            Node("cam-1", "device"),
            Node("edge", "edge", "box", count=2),
        ),
        links=(
            Link("cam-0", "edge", "wifi", 1e9, 0.002, 1e-8),
            Link("cam-1", "edge", "wifi", 1e9, 0.002, 1e-8),
        ),
        hardware=(HardwareProfile("box", "edge", 1e11, 8e9, 10.0, 30.0),),
        link_kinds=(kind,),
        families=(ModelFamily("m", (Variant("v", 0.7, 1e9, 1e6, 1e6),), weight_sharing=True),),
        applications=(
            Application(
                "a", "m", (Source("cam-0", rates[0]), Source("cam-1", rates[1])), 1e3, 1e2, slo_s
            ),
        ),
        regions=(Region("WORLD", 400.0),),
        settings=Settings(max_utilisation=0.75, service_cv2=cv2),
    )


@pytest.mark.parametrize(
    ("cv2", "rates", "slo_s", "rel"),
    [
        (0.0, (80.0, 60.0), 0.05, 0.03),  # M/D/1 at utilisation 0.7
        (0.0, (60.0, 40.0), 0.04, 0.03),  # M/D/1 at 0.5
        (1.0, (80.0, 60.0), 0.06, 0.06),  # M/M/1 at 0.7
    ],
)
def test_step_engine_agrees_with_per_request_simulation(cv2, rates, slo_s, rel) -> None:
    p = compile_problem(_scenario(cv2, rates, slo_s))
    plan = Plan(np.ones(p.n_candidates), np.array([0, 0, 2]), "one-box")
    step = estimate_step(p, plan).record
    des = simulate_requests(p, plan, duration_s=300.0, warmup_s=10.0, seed=7)
    assert des.requests > 25000
    assert des.mean_latency_s == pytest.approx(step["mean_latency_s"], rel=rel)
    engine_attainment = step["slo_ok"] / step["requests"]
    assert abs(des.slo_attainment - engine_attainment) < 0.02
    assert 0.5 < engine_attainment < 0.999  # the SLO actually bites
