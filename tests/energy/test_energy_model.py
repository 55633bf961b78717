"""Energy model v2: a hand-worked phone-antenna-edge-cloud scenario, the radio model,
owned/elastic accounting, carbon where energy is drawn, embodied carbon, evaluator
independence, the optimizer's cost model against the evaluator, the attributional
setting against figures recorded from the model before v2, and the device radio no plan
avoids counted as fixed (slimplace.energy.accounting.unavoidable_radio_j)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from slimplace.catalog import load_catalog
from slimplace.energy import accounting
from slimplace.energy.radio import radio_energy_j
from slimplace.evaluate import evaluate
from slimplace.optim.costs import cost_model, objective_weights, plan_value
from slimplace.plan import Plan, plan_from_choice
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.io import load_scenario
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    ModelFamily,
    Node,
    Region,
    Scenario,
    Settings,
    Source,
    Variant,
)
from slimplace.solve import solve

ROOT = Path(__file__).resolve().parents[2]
G_A, G_B = 100.0, 500.0  # gCO2e/kWh of regions A (phone, antenna) and B (cloud)
RATE = 2.0
UP_BITS, DOWN_BITS = 8 * 100e3, 8 * 1e3
EMBODIED_KG, LIFETIME_Y = 876.0, 4.0


def _scenario(network_energy: str = "power-model", cloud: str = "elastic") -> Scenario:
    """A phone on 4G under an antenna site with an edge box, a core link to a cloud."""
    cat = load_catalog()
    box = HardwareProfile(
        "box", "edge", 1e12, 4e9, idle_power_w=10.0, peak_power_w=30.0, sleep_power_w=1.0
    )
    srv = HardwareProfile(
        "srv",
        "cloud",
        4e12,
        64e9,
        idle_power_w=100.0,
        peak_power_w=300.0,
        sleep_power_w=10.0,
        embodied_kg=EMBODIED_KG,
        lifetime_years=LIFETIME_Y,
    )
    k4g, core = cat.link_kinds["4g"], cat.link_kinds["core"]
    nodes = (
        Node("phone", "device", region="A"),
        Node("antenna", "edge", "box", count=2, region="A"),
        Node("cloud", "cloud", "srv", count=4, pue=1.5, region="B", ownership=cloud),  # type: ignore[arg-type]
    )
    links = (
        Link("phone", "antenna", "4g", k4g.bandwidth_bps, k4g.latency_s, k4g.energy_j_per_bit),
        Link("antenna", "cloud", "core", core.bandwidth_bps, core.latency_s, core.energy_j_per_bit),
    )
    family = ModelFamily("fam", (Variant("v", 0.7, 2e9, 1e6, 1e7),))
    app = Application("app", "fam", (Source("phone", RATE),), UP_BITS / 8, DOWN_BITS / 8, 10.0)
    return Scenario(
        name="hand",
        nodes=nodes,
        links=links,
        hardware=(box, srv),
        link_kinds=(k4g, core),
        families=(family,),
        applications=(app,),
        regions=(Region("A", G_A), Region("B", G_B)),
        settings=Settings(default_region="A", network_energy=network_energy),  # type: ignore[arg-type]
    )


def _at(p, node: str, servers: dict[str, int]) -> Plan:
    """All traffic to the one candidate at ``node`` with ``servers`` on."""
    chosen = np.array([int(np.flatnonzero(p.cand_node == p.node_ids.index(node))[0])])
    plan = plan_from_choice(p, chosen, f"at-{node}")
    on = np.array([servers.get(n, 0) for n in p.node_ids], dtype=np.int64)
    return replace(plan, servers_on=on)


def _lte_by_hand(rate: float) -> float:
    """Huang et al. 2012 LTE energy per request, ARO figures (radio_models.csv), by hand."""
    transfer = 438.39e-3 / 1e6 * UP_BITS + 51.97e-3 / 1e6 * DOWN_BITS
    transfer += 1.2 * (UP_BITS + DOWN_BITS) / 20e6  # beta over the 4G link's 20 Mbit/s
    tail = 1.2 * (1 - math.exp(-rate * 0.1)) / rate  # inactivity timer at beta
    tail += 1.091061876 * math.exp(-rate * 0.1) * (1 - math.exp(-rate * 10.02)) / rate  # DRX
    promotion = 0.26 * 1.21 * math.exp(-rate * 10.12)
    return transfer + tail + promotion


def test_lte_radio_energy_by_hand_and_its_limits() -> None:
    lte = load_catalog().radios["lte"]
    one = lambda rate: float(  # noqa: E731
        radio_energy_j(
            lte, np.array([UP_BITS]), np.array([DOWN_BITS]), np.array([20e6]), np.array([rate])
        )[0]
    )
    assert one(RATE) == pytest.approx(_lte_by_hand(RATE), rel=1e-12)
    # rare requests pay the whole tail and a promotion: ~11 J (Huang et al.: ~10 s tail)
    transfer = (
        438.39e-3 / 1e6 * UP_BITS + 51.97e-3 / 1e6 * DOWN_BITS + 1.2 * (UP_BITS + DOWN_BITS) / 20e6
    )
    full_tail_and_promotion = 1.2 * 0.1 + 1.091061876 * 10.02 + 0.26 * 1.21
    assert one(1e-6) == pytest.approx(transfer + full_tail_and_promotion, rel=1e-5)
    # frequent requests share the tail: per request it falls as 1/rate, power tends to P_tail
    rates = np.array([0.01, 0.1, 1.0, 10.0, 100.0])
    per_request = radio_energy_j(
        lte, np.full(5, UP_BITS), np.full(5, DOWN_BITS), np.full(5, 20e6), rates
    )
    assert (np.diff(per_request) < 0).all()
    # at 100/s the gap between requests (10 ms) lies in the inactivity timer, at beta
    assert per_request[-1] - 1.2 / 100.0 == pytest.approx(transfer, rel=1e-3)


def test_hand_worked_phone_antenna_edge_cloud() -> None:
    p = compile_problem(_scenario())
    radio = _lte_by_hand(RATE)
    bits = UP_BITS + DOWN_BITS
    fixed_servers = 2 * 1.0  # owned edge box: 2 servers x 1 W sleep; elastic cloud: nothing
    baseload = 200.0 + 54.0  # one 4G site (Malmodin P0) + core ports 2 x 0.27 W/Gbps x 100 Gbit/s
    # the phone cannot serve (no hardware): every plan pays its radio, which is fixed
    fixed_radio = RATE * radio
    # at the edge box, one server on
    e = evaluate(p, _at(p, "antenna", {"antenna": 1}))
    busy = RATE * 2e9 / 1e12
    marginal = RATE * bits * 1.5e-6  # the 4G site's marginal 1.5 W/Mbps
    assert e.fixed_w == pytest.approx(fixed_servers + baseload + fixed_radio, rel=1e-12)
    assert e.fixed_breakdown_w["device_radio"] == pytest.approx(fixed_radio, rel=1e-12)
    assert e.breakdown_w == pytest.approx(
        {
            "servers_static": 10.0 - 1.0,
            "compute": 20.0 * busy,
            "device_radio": 0.0,
            "network_baseload": 0.0,
            "network_marginal": marginal,
        },
        rel=1e-12,
        abs=1e-12,
    )
    assert e.plan_w == pytest.approx(sum(e.breakdown_w.values()), rel=1e-12)
    assert e.power_w == pytest.approx(e.static_w + e.dynamic_w + e.network_w, rel=1e-12)
    assert e.embodied_g_per_h == 0.0
    # carbon: everything at A (the 4G site's hub is the antenna), except half the core ports
    g = lambda kwh: kwh / 3.6e6 * 3600  # noqa: E731  (W x g/kWh -> g/h)
    fixed_g = g((fixed_servers + 200.0 + fixed_radio) * G_A + 54.0 * (G_A + G_B) / 2)
    assert e.carbon_fixed_g_per_h == pytest.approx(fixed_g, rel=1e-12)
    assert e.carbon_plan_g_per_h == pytest.approx(g(e.plan_w * G_A), rel=1e-12)
    # in the elastic cloud, one server on
    e = evaluate(p, _at(p, "cloud", {"cloud": 1}))
    busy = RATE * 2e9 / 4e12
    core_marginal = RATE * bits * 3e-11
    assert e.fixed_w == pytest.approx(fixed_servers + baseload + fixed_radio, rel=1e-12)
    assert e.breakdown_w["servers_static"] == pytest.approx(1.5 * 100.0, rel=1e-12)
    assert e.breakdown_w["compute"] == pytest.approx(1.5 * 200.0 * busy, rel=1e-12)
    assert e.breakdown_w["network_marginal"] == pytest.approx(marginal + core_marginal, rel=1e-12)
    assert e.embodied_g_per_h == pytest.approx(1000 * EMBODIED_KG / (LIFETIME_Y * 8760), rel=1e-12)
    assert e.embodied_fixed_g_per_h == 0.0
    plan_g = g(
        (1.5 * 100.0 + 1.5 * 200.0 * busy) * G_B + marginal * G_A + core_marginal * (G_A + G_B) / 2
    )
    assert e.carbon_plan_g_per_h == pytest.approx(plan_g, rel=1e-12)


def test_owned_cloud_sleeps_and_its_embodied_carbon_is_fixed() -> None:
    p = compile_problem(_scenario(cloud="owned"))
    at_edge = evaluate(p, _at(p, "antenna", {"antenna": 1}))
    fixed_radio = RATE * _lte_by_hand(RATE)  # the phone cannot serve: its radio is fixed
    assert at_edge.fixed_w == pytest.approx(
        2 * 1.0 + 4 * 1.5 * 10.0 + 254.0 + fixed_radio, rel=1e-12
    )
    assert at_edge.embodied_fixed_g_per_h == pytest.approx(
        4 * 1000 * EMBODIED_KG / (LIFETIME_Y * 8760), rel=1e-12
    )
    at_cloud = evaluate(p, _at(p, "cloud", {"cloud": 1}))
    assert at_cloud.breakdown_w["servers_static"] == pytest.approx(1.5 * (100 - 10), rel=1e-12)
    assert at_cloud.embodied_g_per_h == 0.0


def test_an_unused_elastic_node_draws_nothing() -> None:
    p = compile_problem(_scenario())
    e = evaluate(p, _at(p, "antenna", {"antenna": 1}))
    cloud = p.node_ids.index("cloud")
    assert e.node_power_w[cloud] == 0.0
    assert e.power_by_tier["cloud"] == {"static": 0.0, "dynamic": 0.0}


def test_attributional_model_has_no_baseload_and_no_radio() -> None:
    p = compile_problem(_scenario("attributional"))
    e = evaluate(p, _at(p, "cloud", {"cloud": 1}))
    k = load_catalog().link_kinds
    per_bit = k["4g"].energy_j_per_bit + k["core"].energy_j_per_bit
    assert e.network_w == pytest.approx(RATE * (UP_BITS + DOWN_BITS) * per_bit, rel=1e-12)
    assert e.breakdown_w["device_radio"] == 0.0
    assert e.fixed_breakdown_w["network_baseload"] == 0.0


@pytest.mark.parametrize("objective", ["energy", "carbon", "mix"])
@pytest.mark.parametrize("cloud", ["elastic", "owned"])
def test_cost_model_equals_the_evaluator(objective: str, cloud: str) -> None:
    p = compile_problem(_scenario(cloud=cloud))
    weights = objective_weights(p, objective, 0.5)
    model = cost_model(p, weights)
    for plan in (_at(p, "antenna", {"antenna": 1}), _at(p, "cloud", {"cloud": 2})):
        value = plan_value(p, model, plan.x, plan.servers_on)
        assert value == pytest.approx(weights.value(evaluate(p, plan)), rel=1e-12)


@pytest.mark.parametrize("objective", ["energy", "carbon"])
def test_milp_objective_is_the_evaluators(objective: str) -> None:
    scenario = _scenario()
    scenario = replace(scenario, settings=replace(scenario.settings, objective=objective))
    p = compile_problem(scenario)
    result = solve(p, "milp")
    assert result.plan.status == "optimal"
    assert result.plan.objective == pytest.approx(result.evaluation.objective(objective), rel=1e-7)


def test_evaluator_does_not_read_the_optimizers_network_energy() -> None:
    p = compile_problem(_scenario())
    plan = _at(p, "cloud", {"cloud": 1})
    wrong = replace(p, cand_net_energy_j=p.cand_net_energy_j * 10.0 + 1.0)
    assert evaluate(wrong, plan).power_w == evaluate(p, plan).power_w
    # ... while the cost model, which does, sees the change
    w = objective_weights(p, "energy")
    assert plan_value(wrong, cost_model(wrong, w), plan.x, plan.servers_on) != pytest.approx(
        plan_value(p, cost_model(p, w), plan.x, plan.servers_on)
    )


def test_unplaced_traffic_counts_as_missed() -> None:
    p = compile_problem(_scenario())
    plan = _at(p, "cloud", {"cloud": 1})
    unplaced = replace(plan, x=plan.x * 0.0)
    e = evaluate(p, unplaced)
    assert e.slo_met_fraction == 0.0
    assert not e.feasible
    half = evaluate(p, replace(plan, x=plan.x * 0.5))
    assert half.slo_met_fraction == pytest.approx(0.5)


def test_link_baseload_is_drawn_whatever_the_plan() -> None:
    p = compile_problem(_scenario())
    a = evaluate(p, _at(p, "antenna", {"antenna": 1}))
    b = evaluate(p, _at(p, "cloud", {"cloud": 1}))
    assert a.fixed_breakdown_w == b.fixed_breakdown_w
    assert a.power_by_tier["network"]["static"] == pytest.approx(254.0)


#: figures of the model before v2 on examples/demo.yaml and examples/full.yaml as they were
#: then (frozen copies in tests/data/energy/, so that later edits of the examples do not
#: move the reference), recorded by the code of commit ef1b544
BASELINE = json.loads(
    (ROOT / "tests" / "data" / "energy" / "attributional_baseline.json").read_text()
)


@pytest.mark.parametrize("file", sorted(BASELINE))
def test_attributional_setting_gives_the_figures_of_the_old_model(file: str) -> None:
    """Figures recorded from the model before v2 (network energy per GB at the source's
    grid; no ownership), on three fixed plans; the evaluator now recomputes network energy
    from link loads, so it agrees to rounding (1e-12), not bit for bit. Embodied carbon is
    new: the carbon objective adds it."""
    s = load_scenario(ROOT / file)
    s = replace(
        s,
        nodes=tuple(replace(n, ownership="owned") for n in s.nodes),
        settings=replace(s.settings, network_energy="attributional"),
    )
    p = compile_problem(s)
    first = p.demand_ptr[:-1].copy()
    last = p.demand_ptr[1:] - 1
    has = p.demand_ptr[1:] > p.demand_ptr[:-1]
    a = plan_from_choice(p, np.where(has, first, -1), "first")
    b = plan_from_choice(p, np.where(has, last, -1), "last")
    plans = [a, b, Plan(x=b.x, servers_on=p.node_count.copy(), method="last-all-on")]
    for plan in plans:
        want = BASELINE[file][plan.method]
        e = evaluate(p, plan)
        for key in ("power_w", "static_w", "dynamic_w", "network_w", "energy_j", "carbon_g_per_h"):
            assert getattr(e, key) == pytest.approx(want[key], rel=1e-12), key
        energy = plan_value(
            p, cost_model(p, objective_weights(p, "energy")), plan.x, plan.servers_on
        )
        assert energy == pytest.approx(want["cost_energy"], rel=1e-12)
        carbon = plan_value(
            p, cost_model(p, objective_weights(p, "carbon")), plan.x, plan.servers_on
        )
        embodied = e.embodied_g_per_h + e.embodied_fixed_g_per_h
        assert carbon == pytest.approx(want["cost_carbon"] + embodied, rel=1e-12)


# --------------------------------------------------------------------- scenario files
VALID = (ROOT / "tests" / "data" / "scenarios" / "valid.yaml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        (
            "idle_power: 10 W,",
            "idle_power: 10 W, lifetime_years: 0,",
            "hardware[0].lifetime_years",
            "greater than 0",
        ),
        (
            "idle_power: 10 W,",
            "idle_power: 10 W, embodied_kg: -5,",
            "hardware[0].embodied_kg",
            "0 or more",
        ),
        (
            "energy_per_bit: 1 nJ/bit}",
            "energy_per_bit: 1 nJ/bit, baseload: -3 W}",
            "link_kinds[0].baseload",
            "0 or more",
        ),
        (
            "{a: cam, b: gw, kind: lan}",
            "{a: cam, b: gw, kind: lan, baseload: -1 W}",
            "links[0].baseload",
            "0 or more",
        ),
        (
            "energy_per_bit: 1 nJ/bit}",
            "energy_per_bit: 1 nJ/bit, radio: lte5}",
            "link_kinds[0].radio",
            "did you mean 'lte'",
        ),
    ],
)
def test_bad_energy_input_exits_2_naming_the_field(
    tmp_path: Path, old: str, new: str, where: str, words: str
) -> None:
    from typer.testing import CliRunner

    from slimplace.cli import app

    assert old in VALID
    path = tmp_path / "bad.yaml"
    path.write_text(VALID.replace(old, new, 1))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert where in result.output and words in result.output, result.output
    assert "Traceback" not in result.output


def test_energy_fields_load_and_round_trip() -> None:
    from slimplace.scenario.io import dump_scenario, loads_scenario

    text = (
        VALID.replace("idle_power: 10 W,", "idle_power: 10 W, embodied_kg: 50, lifetime_years: 3,")
        .replace(
            "energy_per_bit: 1 nJ/bit}",
            "energy_per_bit: 1 nJ/bit, baseload: 5 W, marginal_energy_per_bit: 0.1 nJ/bit, "
            "shared: true, radio: wifi}",
        )
        .replace("{a: gw, b: edge, kind: lan}", "{a: gw, b: edge, kind: lan, baseload: 2 W}")
    )
    s = loads_scenario(text)
    assert s.hardware_by_name()["box"].embodied_kg == 50.0
    kind = s.link_kind_by_name()["lan"]
    assert (kind.baseload_w, kind.marginal_j_per_bit, kind.shared, kind.radio) == (
        5.0,
        pytest.approx(1e-10),
        True,
        "wifi",
    )
    assert [m.name for m in s.radio_models] == ["wifi"]
    assert loads_scenario(dump_scenario(s)) == s
    p = compile_problem(s)
    # the gw hub's one site serves the one shared lan link cam-gw; gw-edge has its own 2 W
    assert p.link_baseload_w.tolist() == [5.0, 2.0]
    assert p.demand_radio.tolist() == [0]


def test_catalog_profiles_carry_embodied_carbon_and_override_keeps_it() -> None:
    from slimplace.scenario.io import loads_scenario

    xeon = load_catalog().hardware["xeon-server"]
    assert xeon.embodied_kg == 1200.0 and xeon.lifetime_years == 4.0
    text = VALID.replace("- {name: box, tier: edge,", "- {name: xeon-server, tier: edge,").replace(
        "hardware: box", "hardware: xeon-server"
    )
    s = loads_scenario(text)
    assert s.hardware_by_name()["xeon-server"].embodied_kg == 1200.0


# ------------------------------------------------------------------------ simulator
@pytest.mark.parametrize("node", ["antenna", "cloud"])
@pytest.mark.parametrize("rate_scale", [0.01, 1.0, 30.0])
def test_simulator_step_follows_the_evaluator(node: str, rate_scale: float) -> None:
    from slimplace.sim.engine import estimate_step

    p = compile_problem(_scenario())
    plan = _at(p, node, {node: 1})
    rate = p.demand_rate_per_s * rate_scale
    carbon = np.array([37.0, 812.0])
    e = evaluate(p, plan, rate_per_s=rate, region_g_per_kwh=carbon)
    r = estimate_step(p, plan, rate_per_s=rate, region_g_per_kwh=carbon, step_s=3600.0).record
    for key in ("power_w", "static_w", "dynamic_w", "network_w", "fixed_w"):
        assert r[key] == pytest.approx(getattr(e, key), rel=1e-9), key
    assert r["carbon_g"] == pytest.approx(e.carbon_g_per_h, rel=1e-9)


def test_simulation_summary_splits_fixed_and_plan_energy() -> None:
    from slimplace.sim.engine import simulate

    p = compile_problem(_scenario())
    plan = _at(p, "cloud", {"cloud": 1})

    class Fixed:
        name = "fixed-plan"

        def start(self, context: object, *, seed: int) -> Plan:
            return plan

        def decide(self, obs: object, memory: Plan) -> Plan | None:
            return memory if obs.step == 0 else None  # type: ignore[attr-defined]

    e = evaluate(p, plan)
    summary = simulate(p, Fixed(), horizon_s=600.0, step_s=60.0).summary
    assert summary.fixed_energy_j == pytest.approx(e.fixed_w * 600.0, rel=1e-12)
    assert summary.plan_energy_j == pytest.approx(e.plan_w * 600.0, rel=1e-9)


def test_a_source_at_the_antenna_pays_no_device_radio() -> None:
    s = _scenario()
    app = replace(s.applications[0], id="gw", sources=(Source("antenna", RATE),))
    p = compile_problem(replace(s, applications=(*s.applications, app)))
    assert p.demand_radio.tolist() == [0, -1]  # the phone has LTE; the 4G site's end has none


def test_scenarios_built_in_python_get_the_catalog_power_model() -> None:
    from slimplace.scenario.build import build_scenario

    s = build_scenario(
        "built",
        nodes=[
            Node("phone", "device"),
            Node("antenna", "edge", hardware="jetson-orin-nano"),
            Node("dc", "cloud", hardware="xeon-server", count=2, ownership="elastic"),
        ],
        links=[Link("phone", "antenna", "4g"), Link("antenna", "dc", "core")],
        applications=[
            Application("classify", "s-mobilenet-v1", (Source("phone", 5.0),), 150e3, 1e3, 1.0)
        ],
    )
    assert [m.name for m in s.radio_models] == ["lte"]
    p = compile_problem(s)
    assert p.demand_radio.tolist() == [0]
    assert p.link_baseload_w.tolist() == [200.0, 54.0]
    assert p.node_elastic.tolist() == [False, False, True]
    xeon = load_catalog().hardware["xeon-server"]
    assert p.node_embodied_g_per_h[2] == pytest.approx(1000 * xeon.embodied_kg / (4 * 8760))


# ------------------------------------------------- device radio no plan avoids is fixed
PHONE_HW = HardwareProfile(
    "soc", "device", 2e11, 4e9, idle_power_w=0.5, peak_power_w=3.0, sleep_power_w=0.0
)


def _two_phones() -> Scenario:
    """The hand-worked scenario (phone without hardware, LTE) plus a second phone on the
    same antenna with an SoC that can serve its own requests."""
    s = _scenario()
    k4g = next(lk for lk in s.links if lk.kind == "4g")
    nodes = (*s.nodes, Node("smart", "device", "soc", region="A", always_on=True))
    links = (*s.links, replace(k4g, a="smart", b="antenna"))
    app = replace(s.applications[0], sources=(Source("phone", RATE), Source("smart", RATE)))
    return replace(
        s, nodes=nodes, links=links, hardware=(*s.hardware, PHONE_HW), applications=(app,)
    )


def _plan(p: CompiledProblem, nodes: dict[str, str], servers: dict[str, int]) -> Plan:
    """Each demand (by source) to its candidate at ``nodes[source]``, ``servers`` on."""
    chosen = []
    for d in range(p.n_demands):
        src = p.node_ids[p.demand_source[d]]
        lo, hi = p.demand_ptr[d], p.demand_ptr[d + 1]
        at = p.cand_node[lo:hi] == p.node_ids.index(nodes[src])
        chosen.append(lo + int(np.flatnonzero(at)[0]))
    plan = plan_from_choice(p, np.array(chosen), "hand")
    on = np.array([servers.get(n, 0) for n in p.node_ids], dtype=np.int64)
    return replace(plan, servers_on=on)


def test_radio_is_fixed_without_a_local_candidate_and_plan_dependent_with_one() -> None:
    p = compile_problem(_two_phones())
    phone, smart = (p.node_ids.index(n) for n in ("phone", "smart"))
    by_source = {int(p.demand_source[d]): d for d in range(p.n_demands)}
    radio = _lte_by_hand(RATE)
    floor = accounting.unavoidable_radio_j(p)
    # the phone has no candidate of its own: every candidate pays its radio
    assert floor[by_source[phone]] == pytest.approx(radio, rel=1e-12)
    # the smartphone serves locally: no radio energy is unavoidable
    assert floor[by_source[smart]] == 0.0
    assert accounting.unavoidable_radio_w(p).sum() == pytest.approx(RATE * radio, rel=1e-12)
    fixed_servers = 2 * 1.0 + 0.5  # edge box asleep; the smartphone's idle SoC, always on
    baseload = 200.0 + 54.0
    local = evaluate(p, _plan(p, {"phone": "antenna", "smart": "smart"}, {"antenna": 1}))
    away = evaluate(p, _plan(p, {"phone": "antenna", "smart": "antenna"}, {"antenna": 1}))
    for e in (local, away):
        assert e.fixed_w == pytest.approx(fixed_servers + baseload + RATE * radio, rel=1e-12)
        assert e.fixed_w + e.plan_w == pytest.approx(e.power_w, rel=1e-12)
        assert e.plan_w == pytest.approx(sum(e.breakdown_w.values()), rel=1e-12)
    # serving the smartphone at the antenna costs its radio: plan-dependent
    assert local.breakdown_w["device_radio"] == pytest.approx(0.0, abs=1e-12)
    assert away.breakdown_w["device_radio"] == pytest.approx(RATE * radio, rel=1e-12)
    # carbon: everything fixed at A (phones, antenna), but half the core ports (at B)
    g = lambda w_x_g_per_kwh: w_x_g_per_kwh / 3.6e6 * 3600  # noqa: E731  (-> g/h)
    fixed_g = g((fixed_servers + 200.0 + RATE * radio) * G_A + 54.0 * (G_A + G_B) / 2)
    assert local.carbon_fixed_g_per_h == pytest.approx(fixed_g, rel=1e-12)
    assert away.carbon_fixed_g_per_h == pytest.approx(fixed_g, rel=1e-12)


@pytest.mark.parametrize("objective", ["energy", "carbon", "mix"])
def test_totals_unchanged_and_the_shift_is_uniform_per_demand(
    objective: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = compile_problem(_two_phones())
    weights = objective_weights(p, objective, 0.5)
    new = cost_model(p, weights)
    plans = [
        _plan(p, {"phone": a, "smart": b}, {"antenna": 1, "cloud": 1})
        for a in ("antenna", "cloud")
        for b in ("smart", "antenna", "cloud")
    ]
    with_fix = [plan_value(p, new, q.x, q.servers_on) for q in plans]
    evaluations = [evaluate(p, q) for q in plans]
    monkeypatch.setattr(accounting, "unavoidable_radio_j", lambda q: np.zeros(q.n_demands))
    old = cost_model(p, weights)
    without = [plan_value(p, old, q.x, q.servers_on) for q in plans]
    # the value of every plan is unchanged; so is the evaluator's total
    assert with_fix == pytest.approx(without, rel=1e-12)
    for q, e in zip(plans, evaluations, strict=True):
        assert weights.value(evaluate(p, q)) == pytest.approx(weights.value(e), rel=1e-12)
        assert weights.value(e) == pytest.approx(plan_value(p, new, q.x, q.servers_on), rel=1e-12)
    # candidates' costs move by one amount per demand, the constant by their sum
    diff = old.cand_cost - new.cand_cost
    for d in range(p.n_demands):
        part = diff[p.demand_ptr[d] : p.demand_ptr[d + 1]]
        assert np.ptp(part) == pytest.approx(0.0, abs=1e-12 * max(1.0, abs(part).max()))
    per_demand = diff[p.demand_ptr[:-1]]
    assert new.constant - old.constant == pytest.approx(per_demand.sum(), rel=1e-12)
    assert (new.cand_cost >= -1e-12).all()


def test_optimum_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    p = compile_problem(_two_phones())
    fixed = solve(p, "milp")
    monkeypatch.setattr(accounting, "unavoidable_radio_j", lambda q: np.zeros(q.n_demands))
    before = solve(p, "milp")
    assert fixed.plan.status == before.plan.status == "optimal"
    assert fixed.plan.objective == pytest.approx(before.plan.objective, rel=1e-9)
    np.testing.assert_allclose(fixed.plan.x, before.plan.x, atol=1e-9)


def test_attributional_model_has_no_unavoidable_radio() -> None:
    p = compile_problem(_scenario("attributional"))
    assert not accounting.unavoidable_radio_j(p).any()


@pytest.mark.parametrize("rate_scale", [0.01, 1.0, 30.0])
def test_simulator_fixed_power_counts_the_radio_at_the_steps_rates(rate_scale: float) -> None:
    from slimplace.sim.engine import estimate_step

    p = compile_problem(_two_phones())
    plan = _plan(p, {"phone": "antenna", "smart": "antenna"}, {"antenna": 1})
    rate = p.demand_rate_per_s * rate_scale
    e = evaluate(p, plan, rate_per_s=rate)
    r = estimate_step(p, plan, rate_per_s=rate, step_s=60.0).record
    radio = p.demand_radio_j(rate)
    phone = int(np.flatnonzero(p.demand_source == p.node_ids.index("phone"))[0])
    expected = 2 * 1.0 + 0.5 + 254.0 + rate[phone] * radio[phone]
    assert e.fixed_w == pytest.approx(expected, rel=1e-12)
    assert r["fixed_w"] == pytest.approx(expected, rel=1e-12)


def test_an_application_without_local_candidates_pays_radio_per_demand() -> None:
    """Two applications at one phone with hardware: one whose model fits on the phone
    (radio avoidable), one too large for it (radio fixed)."""
    s = _two_phones()
    big = replace(
        s.families[0], name="big", variants=(replace(s.families[0].variants[0], memory_bytes=16e9),)
    )
    app = Application("big", "big", (Source("smart", RATE),), 100e3, 1e3, 10.0)
    p = compile_problem(
        replace(s, families=(*s.families, big), applications=(*s.applications, app))
    )
    smart = p.node_ids.index("smart")
    floor = accounting.unavoidable_radio_j(p)
    for d in np.flatnonzero(p.demand_source == smart):
        local = (p.cand_node[p.demand_ptr[d] : p.demand_ptr[d + 1]] == smart).any()
        assert (floor[d] == 0.0) == bool(local)
    assert (floor > 0).sum() == 2  # the phone's demand, and the big model at the smartphone


@pytest.mark.parametrize("objective", ["energy", "carbon"])
def test_the_evaluators_fixed_part_is_the_cost_models_constant(objective: str) -> None:
    """One rule for what no plan changes: the evaluator's fixed part (energy: ``fixed_w``;
    carbon: fixed operational + fixed embodied) is the optimizers' ``CostModel.constant``."""
    p = compile_problem(_two_phones())
    model = cost_model(p, objective_weights(p, objective))
    e = evaluate(p, _plan(p, {"phone": "antenna", "smart": "cloud"}, {"antenna": 1, "cloud": 1}))
    fixed = (
        e.fixed_w if objective == "energy" else e.carbon_fixed_g_per_h + e.embodied_fixed_g_per_h
    )
    assert model.constant == pytest.approx(fixed, rel=1e-12)


@pytest.mark.parametrize("rate_scale", [0.01, 0.3, 30.0])
def test_a_problem_at_other_rates_prices_the_radio_at_those_rates(rate_scale: float) -> None:
    """``at_rates`` recomputes each offloaded candidate's radio energy per request at the
    new rates (the LTE tail is shared by fewer requests at a lower rate), so evaluating
    on the rescaled problem, its cost model and its fixed part agree with evaluating the
    original problem at those rates (the simulator's rule)."""
    from slimplace.problem.rates import at_rates

    p = compile_problem(_two_phones())
    rate = p.demand_rate_per_s * rate_scale
    q = at_rates(p, rate)
    radio = p.demand_radio_j(rate)
    by_hand = np.where(q.cand_offloaded, radio[q.cand_demand], 0.0)
    np.testing.assert_allclose(q.cand_radio_j, by_hand, rtol=1e-12)
    np.testing.assert_allclose(
        q.cand_net_energy_j - q.cand_radio_j, p.cand_net_energy_j - p.cand_radio_j, rtol=1e-12
    )
    for where in ({"phone": "antenna", "smart": "smart"}, {"phone": "antenna", "smart": "antenna"}):
        plan = _plan(p, where, {"antenna": 1})
        on_q, on_p = evaluate(q, plan), evaluate(p, plan, rate_per_s=rate)
        assert on_q.fixed_w == pytest.approx(on_p.fixed_w, rel=1e-12)
        assert on_q.plan_w == pytest.approx(on_p.plan_w, rel=1e-9, abs=1e-12)
        weights = objective_weights(q, "energy")
        value = plan_value(q, cost_model(q, weights), plan.x, plan.servers_on)
        assert value == pytest.approx(weights.value(on_q), rel=1e-9)
