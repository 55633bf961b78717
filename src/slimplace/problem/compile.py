"""Compile a :class:`Scenario` into a :class:`CompiledProblem`.

Routes are computed once; candidates are enumerated per application in
chunks (see :mod:`slimplace.problem.candidates`); demands without any
admissible candidate are diagnosed with their tightest reason.
"""

from __future__ import annotations

import logging
import time
from typing import Literal

import numpy as np

from slimplace.calibration.model import CalibratedLatencyModel
from slimplace.energy.embodied import node_embodied_g_per_h
from slimplace.energy.network import link_power
from slimplace.energy.radio import demand_radio_energy_j
from slimplace.errors import InfeasibleScenarioError, InputError, Problem, Unservable
from slimplace.problem.access import access_unservable
from slimplace.problem.candidates import CandidateSet, DemandView, enumerate_app, pareto_keep
from slimplace.problem.compiled import CompiledProblem, FloatArray, IntArray
from slimplace.problem.energy import dynamic_energy_j
from slimplace.problem.latency import (
    LatencyModel,
    ServiceTable,
    mg1_response_time_s,
)
from slimplace.problem.modes import expand_operating_points
from slimplace.problem.routes import Routes, compute_routes
from slimplace.problem.routing import with_k_paths
from slimplace.scenario.model import TIERS, RadioModel, Scenario

log = logging.getLogger(__name__)

VariantPruning = Literal["pareto", "cheapest", "all"]


def compile_problem(
    scenario: Scenario,
    *,
    latency_model: LatencyModel | None = None,
    variants: VariantPruning = "pareto",
    strict: bool = True,
    file: str | None = None,
    max_nodes_per_demand: int | None = None,
) -> CompiledProblem:
    """Turn a scenario into arrays; raise if some demand has no admissible candidate.

    ``variants="pareto"`` keeps every variant on the accuracy/speed/memory front
    (needed for average floors and accuracy-first baselines); ``"cheapest"``
    ignores accuracy above a hard floor when pruning, which shrinks large
    problems without changing their energy optimum; ``"all"`` keeps every
    admissible variant (for run-time switching). With ``strict=False``
    unservable demands are recorded in ``problem.unservable`` instead of raised.
    ``max_nodes_per_demand`` keeps, per demand, only that many target nodes with
    the lowest energy per inference (a heuristic cap for very large problems:
    bounds computed on the capped problem hold for it only). The default
    ``latency_model`` (:class:`~slimplace.calibration.model.CalibratedLatencyModel`)
    takes a measured latency, else the profile's ``latency_fit``, else FLOPs / throughput.
    """
    t0 = time.perf_counter()
    if any(a.stages for a in scenario.applications):
        from slimplace.split.stages import expand_stages

        scenario = expand_stages(scenario)
    if any(a.generation is not None for a in scenario.applications):
        from slimplace.llm.compile import prepare_generation  # generation apps: docs/llm.md

        scenario, latency_model = prepare_generation(
            scenario, latency_model or CalibratedLatencyModel()
        )
    nodes = _node_arrays(scenario)
    links = _link_arrays(scenario, nodes["index"])
    fam = _family_arrays(scenario)
    dem = _demand_arrays(scenario, nodes["index"], fam["family_index"])
    dem.update(_radio_arrays(scenario, links, dem["source"]))
    table = (latency_model or CalibratedLatencyModel()).service_table(
        nodes["profiles"], fam["variants"]
    )
    is_target = (nodes["profile"] >= 0) & ~nodes["local_only"]
    routes = compute_routes(
        len(scenario.nodes),
        links["a"],
        links["b"],
        links["latency"],
        links["per_bit"],
        links["bandwidth"],
        np.unique(dem["source"]),
        is_target,
    )
    t1 = time.perf_counter()
    cands, unservable = _all_candidates(
        scenario, nodes, links, fam, dem, table, routes, variants, max_nodes_per_demand
    )
    unservable += access_unservable(scenario, already=unservable)
    t2 = time.perf_counter()
    problem = _assemble(scenario, nodes, links, fam, dem, table, routes, cands, unservable)
    if any(a.split is not None or a.stages for a in scenario.applications):
        from slimplace.split.candidates import add_split_candidates
        from slimplace.split.tables import cut_tables

        problem = add_split_candidates(problem, cut_tables(scenario, fam["family"]), table)
    problem = expand_operating_points(problem)
    if problem.unservable and strict:
        raise InfeasibleScenarioError(file or scenario.name, list(problem.unservable))
    st = scenario.settings
    if st.k_paths > 1 or st.link_sleep:
        if (problem.cand_cut >= 0).any():  # routes carry the demand's request bits
            field = "settings.k_paths" if st.k_paths > 1 else "settings.link_sleep"
            raise InputError(
                file or scenario.name,
                [
                    Problem(
                        field,
                        "routing as a decision (k_paths > 1) and link sleep do not "
                        "support split computing yet; use k_paths: 1, link_sleep: false "
                        "(or drop --k-paths / --link-sleep)",
                    )
                ],
            )
        problem = with_k_paths(problem, st.k_paths, sleep=st.link_sleep)
    log.info(
        "compiled %s: %d demands, %d candidates (routes %.2fs, candidates %.2fs, total %.2fs)",
        scenario.name,
        problem.n_demands,
        problem.n_candidates,
        t1 - t0,
        t2 - t1,
        time.perf_counter() - t0,
    )
    return problem


def _node_arrays(scenario: Scenario) -> dict:
    profiles = scenario.hardware
    prof_index = {p.name: i for i, p in enumerate(profiles)}
    regions = scenario.regions
    reg_index = {r.code: i for i, r in enumerate(regions)}
    ns = scenario.nodes
    profile = np.array([prof_index[n.hardware] if n.hardware else -1 for n in ns], dtype=np.int64)
    p_ok = profile >= 0

    def per_profile(attr: str) -> FloatArray:
        values = np.array([getattr(p, attr) for p in profiles] + [0.0], dtype=np.float64)
        return np.where(p_ok, values[profile], 0.0)

    return {
        "index": {n.id: i for i, n in enumerate(ns)},
        "ids": tuple(n.id for n in ns),
        "tier": np.array([TIERS.index(n.tier) for n in ns], dtype=np.int64),
        "profile": profile,
        "profiles": profiles,
        "count": np.where(p_ok, np.array([n.count for n in ns], dtype=np.int64), 0),
        "always_on": np.array([n.always_on for n in ns], dtype=bool),
        "local_only": np.array([n.local_only for n in ns], dtype=bool),
        "pue": np.array([n.pue for n in ns], dtype=np.float64),
        "idle": per_profile("idle_power_w"),
        "peak": per_profile("peak_power_w"),
        "sleep": per_profile("sleep_power_w"),
        "memory": per_profile("memory_bytes"),
        "wake_time": per_profile("wake_time_s"),
        "wake_energy": per_profile("wake_energy_j"),
        "region": np.array([reg_index[n.region] for n in ns], dtype=np.int64),
        "elastic": np.array([n.ownership == "elastic" for n in ns], dtype=bool),
        "embodied": node_embodied_g_per_h(profiles, profile),
        "region_codes": tuple(r.code for r in regions),
        "region_carbon": np.array([r.carbon_g_per_kwh for r in regions], dtype=np.float64),
    }


def _link_arrays(scenario: Scenario, index: dict[str, int]) -> dict:
    """Link arrays; ``per_bit`` is the energy per bit routes are charged under the
    scenario's network energy model (marginal for the power model, else average)."""
    ls = scenario.links
    power = link_power(scenario)
    energy = np.array([link.energy_j_per_bit for link in ls], dtype=np.float64)
    model = scenario.settings.network_energy
    return {
        "a": np.array([index[link.a] for link in ls], dtype=np.int64),
        "b": np.array([index[link.b] for link in ls], dtype=np.int64),
        "bandwidth": np.array([link.bandwidth_bps for link in ls], dtype=np.float64),
        "latency": np.array([link.latency_s for link in ls], dtype=np.float64),
        "energy": energy,
        "baseload": power.baseload_w,
        "marginal": power.marginal_j_per_bit,
        "share_a": power.share_a,
        "per_bit": power.marginal_j_per_bit if model == "power-model" else energy,
        "hub": power.hub,
        "kind": tuple(link.kind for link in ls),
        **_link_sleep(scenario),
    }


def _link_sleep(scenario: Scenario) -> dict:
    """Each link's power asleep (NaN where its kind never sleeps) and wake time."""
    kinds = scenario.link_kind_by_name()
    sleep, wake = [], []
    for link in scenario.links:
        kind = kinds.get(link.kind)
        asleep = None if kind is None else kind.sleep_w
        sleep.append(np.nan if asleep is None else asleep)
        wake.append(0.0 if kind is None else kind.wake_time_s)
    return {"sleep": np.array(sleep, dtype=np.float64), "wake": np.array(wake, dtype=np.float64)}


def _radio_models(scenario: Scenario) -> tuple[RadioModel, ...]:
    """The scenario's radio models, and the catalog's for radios it names but does not define."""
    own = {m.name: m for m in scenario.radio_models}
    named = {k.radio for k in scenario.link_kinds if k.radio} - own.keys()
    if named:
        from slimplace.catalog import load_catalog

        radios = load_catalog().radios
        own.update({name: radios[name] for name in sorted(named) if name in radios})
    return tuple(own[name] for name in sorted(own))


def _radio_arrays(scenario: Scenario, links: dict, src: IntArray) -> dict:
    """The radio model (-1: none) and access bandwidth of every demand's source: the
    kind of the source's first link (in file order) names the radio, unless the source is
    that link's hub (the base station or access point end of a shared kind)."""
    models = _radio_models(scenario)
    model_index = {m.name: i for i, m in enumerate(models)}
    kind_radio = {
        k.name: model_index.get(k.radio, -1) if k.radio else -1 for k in scenario.link_kinds
    }
    n_nodes, n_links = len(scenario.nodes), len(scenario.links)
    radio_of_link = np.array([kind_radio.get(link.kind, -1) for link in scenario.links] + [-1])
    first = np.full(n_nodes, n_links, dtype=np.int64)  # n_links: no link
    order = np.arange(n_links, dtype=np.int64)
    np.minimum.at(first, links["a"], order)
    np.minimum.at(first, links["b"], order)
    link = first[src]
    hub = np.append(links["hub"], -1)[link]
    bandwidth = np.append(links["bandwidth"], np.inf)[link]
    return {
        "radio": np.where(hub == src, -1, radio_of_link[link]).astype(np.int64),
        "access_bps": bandwidth.astype(np.float64),
        "radio_models": models,
    }


def _pair_column(table: np.ndarray | None, profile: IntArray, variant: IntArray) -> np.ndarray:
    """A (profile x variant) table per candidate; empty (the default fills it) when None."""
    return np.zeros(0) if table is None else table[profile, variant]


def _family_arrays(scenario: Scenario) -> dict:
    variants, v_family, v_model, names = [], [], [], []
    m_family, m_memory, m_load = [], [], []
    shared: dict[str, int] = {}  # Variant.weights_key -> model
    for f_idx, family in enumerate(scenario.families):
        if family.weight_sharing:
            m_family.append(f_idx)
            m_memory.append(max(v.memory_bytes for v in family.variants))
            m_load.append(family.load_time_s)
        for v in family.variants:
            model = shared.get(v.weights_key, -1) if v.weights_key else -1
            if model >= 0:
                m_memory[model] = max(m_memory[model], v.memory_bytes)
            elif not family.weight_sharing:
                m_family.append(f_idx)
                m_memory.append(v.memory_bytes)
                m_load.append(family.load_time_s)
            if v.weights_key and model < 0:
                shared[v.weights_key] = len(m_family) - 1
            variants.append(v)
            v_family.append(f_idx)
            v_model.append(model if model >= 0 else len(m_family) - 1)
            names.append(f"{family.name}/{v.name}")
    return {
        "family_index": {f.name: i for i, f in enumerate(scenario.families)},
        "variants": tuple(variants),
        "names": tuple(names),
        "family": np.array(v_family, dtype=np.int64),
        "model": np.array(v_model, dtype=np.int64),
        "accuracy": np.array([v.accuracy for v in variants], dtype=np.float64),
        "flops": np.array([v.flops for v in variants], dtype=np.float64),
        "model_family": np.array(m_family, dtype=np.int64),
        "model_memory": np.array(m_memory, dtype=np.float64),
        "model_load": np.array(m_load, dtype=np.float64),
    }


def _demand_arrays(scenario: Scenario, index: dict[str, int], fam_index: dict[str, int]) -> dict:
    apps = scenario.applications
    app_of = [a for a, app in enumerate(apps) for _ in app.sources]
    srcs = [index[s.node] for app in apps for s in app.sources]
    rates = [s.rate_per_s for app in apps for s in app.sources]
    app_arr = np.array(app_of, dtype=np.int64)

    def per_app(values: list[float]) -> FloatArray:
        return np.array(values, dtype=np.float64)[app_arr] if len(app_arr) else np.zeros(0)

    return {
        "app": app_arr,
        "source": np.array(srcs, dtype=np.int64),
        "rate": np.array(rates, dtype=np.float64),
        "request_bits": per_app([8.0 * a.request_bytes for a in apps]),
        "response_bits": per_app([8.0 * a.response_bytes for a in apps]),
        "slo": per_app([a.latency_slo_s for a in apps]),
        "app_family": np.array([fam_index[a.family] for a in apps], dtype=np.int64),
        "app_floor": np.array([a.accuracy_floor for a in apps], dtype=np.float64),
        "app_average": np.array([a.accuracy_mode == "average" for a in apps], dtype=bool),
        "app_splittable": np.array([a.splittable for a in apps], dtype=bool),
    }


def _all_candidates(
    scenario: Scenario,
    nodes: dict,
    links: dict,
    fam: dict,
    dem: dict,
    table: ServiceTable,
    routes: Routes,
    pruning: VariantPruning,
    max_nodes: int | None,
) -> tuple[CandidateSet, list[Unservable]]:
    s = scenario.settings
    spb = np.where(np.isinf(links["bandwidth"]), 0.0, 1.0 / links["bandwidth"])
    view = DemandView(
        source=dem["source"],
        slo_s=dem["slo"],
        bits=dem["request_bits"] + dem["response_bits"],
        node_profile=nodes["profile"],
        node_memory_bytes=nodes["memory"],
        node_local_only=nodes["local_only"],
        link_latency_s=links["latency"],
        link_seconds_per_bit=spb,
        link_energy_j_per_bit=links["per_bit"],
        node_full_load_w=nodes["pue"]
        * (nodes["peak"] - nodes["idle"] + nodes["idle"] / s.max_utilisation),
        max_nodes=max_nodes,
    )
    targets = np.nonzero((nodes["profile"] >= 0) & ~nodes["local_only"])[0]
    model_memory = fam["model_memory"][fam["model"]]
    parts: list[CandidateSet] = []
    unservable: list[Unservable] = []
    for a, app in enumerate(scenario.applications):
        demands = np.nonzero(dem["app"] == a)[0]
        in_family = np.nonzero(fam["family"] == dem["app_family"][a])[0]
        hard = app.accuracy_mode == "hard"
        variants = (
            in_family[fam["accuracy"][in_family] >= app.accuracy_floor] if hard else in_family
        )
        accuracy = None if (pruning == "cheapest" and hard) else fam["accuracy"][variants]
        keep = pareto_keep(table.service_s[:, variants], model_memory[variants], accuracy)
        if pruning == "all":
            keep = np.ones_like(keep)
        got = enumerate_app(
            demands,
            variants,
            keep,
            targets,
            view,
            table,
            model_memory,
            routes,
            s.max_utilisation,
            s.service_cv2,
            s.slo_quantile,
        )
        parts.append(got)
        missing = np.setdiff1d(demands, got.demand)
        if len(missing):
            unservable += _diagnose(
                scenario, a, missing, variants, targets, view, table, model_memory, routes, nodes
            )
    empty = np.zeros(0, dtype=np.int64)
    if not parts:
        return CandidateSet(empty, empty, empty, np.zeros(0), np.zeros(0)), unservable
    merged = CandidateSet(
        *(np.concatenate([getattr(p, f) for p in parts]) for f in CandidateSet.__slots__)
    )
    return merged, unservable


def _diagnose(
    scenario: Scenario,
    a: int,
    missing: IntArray,
    variants: IntArray,
    targets: IntArray,
    view: DemandView,
    table: ServiceTable,
    model_memory: FloatArray,
    routes: Routes,
    nodes: dict,
) -> list[Unservable]:
    """The tightest reason each demand of application ``a`` has no candidate."""
    from slimplace.problem.candidates import _path_tables

    app = scenario.applications[a]
    ids = nodes["ids"]
    out = []
    if len(variants) == 0:
        reason = f"accuracy floor {app.accuracy_floor:.3f} is above every variant of {app.family}"
        return [Unservable(app.id, ids[view.source[d]], reason) for d in missing]
    prop, spb, _ = _path_tables(missing, targets, view, routes)
    net = 2.0 * prop + view.bits[missing][:, None] * spb
    tp = view.node_profile[targets]
    mem_ok = model_memory[variants][None, :] <= view.node_memory_bytes[targets][:, None]
    rho = scenario.settings.max_utilisation
    service = table.service_s[:, variants]
    lat = (
        table.compute_s[:, variants]
        + mg1_response_time_s(
            service,
            np.full_like(service, rho),
            scenario.settings.service_cv2,
            scenario.settings.slo_quantile,
        )
        - service
    )
    lat_t = np.where(mem_ok, lat[tp], np.inf)
    best_k = np.argmin(lat_t, axis=1) if len(targets) else np.zeros(0, dtype=np.int64)
    best_lat_t = lat_t[np.arange(len(targets)), best_k] if len(targets) else np.zeros(0)
    for row, d in enumerate(missing):
        src = view.source[d]
        total = net[row] + best_lat_t if len(targets) else np.zeros(0)
        where = [ids[t] for t in targets]
        chosen = [int(k) for k in best_k] if len(targets) else []
        if view.node_local_only[src] and view.node_profile[src] >= 0:
            fits = model_memory[variants] <= view.node_memory_bytes[src]
            local = np.where(fits, lat[view.node_profile[src]], np.inf)
            total = np.append(total, local.min())
            where.append(ids[src])
            chosen.append(int(np.argmin(local)))
        if len(total) == 0 or (not np.isfinite(prop[row]).any() and not np.isfinite(total).any()):
            reason = "no node that can serve it is reachable"
        elif not np.isfinite(total).any():
            need = model_memory[variants].min() / 1e6
            reason = (
                f"memory: the smallest admissible variant needs {need:.1f} MB, more than any "
                "reachable server has"
            )
        else:
            j = int(np.argmin(total))
            variant = _variant_name(scenario, app.family, variants, chosen[j])
            reason = (
                f"SLO {app.latency_slo_s * 1e3:.1f} ms: best achievable {total[j] * 1e3:.1f} ms "
                f"({variant} on {where[j]})"
            )
        out.append(Unservable(app.id, ids[src], reason))
    return out


def _variant_name(scenario: Scenario, family: str, variants: IntArray, j: int) -> str:
    all_variants = [v for f in scenario.families for v in f.variants]
    return f"{family}/{all_variants[int(variants[j])].name}"


def _assemble(
    scenario: Scenario,
    nodes: dict,
    links: dict,
    fam: dict,
    dem: dict,
    table: ServiceTable,
    routes: Routes,
    c: CandidateSet,
    unservable: list[Unservable],
) -> CompiledProblem:
    order = np.lexsort((c.variant, c.node, c.demand))  # modes/batches: expand_operating_points
    cd, cn, ck = c.demand[order], c.node[order], c.variant[order]
    cp = nodes["profile"][cn]
    service = table.service_s[cp, ck] if len(cp) else np.zeros(0)
    compute = table.compute_s[cp, ck] if len(cp) else np.zeros(0)
    s = scenario.settings
    net = c.net_latency_s[order]
    lat = (
        net
        + compute
        + mg1_response_time_s(
            service, np.full_like(service, s.max_utilisation), s.service_cv2, s.slo_quantile
        )
        - service
    )
    bits = dem["request_bits"][cd] + dem["response_bits"][cd]
    ptr = np.searchsorted(cd, np.arange(len(dem["app"]) + 1)).astype(np.int64)
    power_model = s.network_energy == "power-model"
    radio_j = np.zeros(len(cd))
    if power_model:
        per_demand = demand_radio_energy_j(
            dem["radio_models"],
            dem["radio"],
            dem["request_bits"],
            dem["response_bits"],
            dem["access_bps"],
            dem["rate"],
        )
        radio_j = np.where(cn != dem["source"][cd], per_demand[cd], 0.0)
    return CompiledProblem(
        scenario=scenario,
        max_utilisation=s.max_utilisation,
        service_cv2=s.service_cv2,
        slo_quantile=s.slo_quantile,
        horizon_s=s.horizon_s,
        objective=s.objective,
        node_ids=nodes["ids"],
        node_tier=nodes["tier"],
        node_profile=nodes["profile"],
        node_count=nodes["count"],
        node_always_on=nodes["always_on"],
        node_local_only=nodes["local_only"],
        node_pue=nodes["pue"],
        node_idle_w=nodes["idle"],
        node_peak_w=nodes["peak"],
        node_sleep_w=nodes["sleep"],
        node_memory_bytes=nodes["memory"],
        node_wake_time_s=nodes["wake_time"],
        node_wake_energy_j=nodes["wake_energy"],
        node_region=nodes["region"],
        profiles=nodes["profiles"],
        region_codes=nodes["region_codes"],
        region_carbon_g_per_kwh=nodes["region_carbon"],
        link_a=links["a"],
        link_b=links["b"],
        link_bandwidth_bps=links["bandwidth"],
        link_latency_s=links["latency"],
        link_energy_j_per_bit=links["energy"],
        link_kind=links["kind"],
        app_ids=tuple(a.id for a in scenario.applications),
        app_family=dem["app_family"],
        app_floor=dem["app_floor"],
        app_average=dem["app_average"],
        app_splittable=dem["app_splittable"],
        families=scenario.families,
        variant_names=fam["names"],
        variant_family=fam["family"],
        variant_accuracy=fam["accuracy"],
        variant_flops=fam["flops"],
        variant_model=fam["model"],
        model_family=fam["model_family"],
        model_memory_bytes=fam["model_memory"],
        model_load_time_s=fam["model_load"],
        demand_app=dem["app"],
        demand_source=dem["source"],
        demand_rate_per_s=dem["rate"],
        demand_request_bits=dem["request_bits"],
        demand_response_bits=dem["response_bits"],
        demand_slo_s=dem["slo"],
        demand_ptr=ptr,
        cand_demand=cd,
        cand_node=cn,
        cand_variant=ck,
        cand_service_s=service,
        cand_compute_s=compute,
        cand_net_latency_s=net,
        cand_latency_s=lat,
        cand_dyn_energy_j=dynamic_energy_j(service, nodes["idle"][cn], nodes["peak"][cn])
        * (1.0 if table.power_factor is None else table.power_factor[cp, ck]),
        cand_net_energy_j=bits * c.energy_j_per_bit[order] + radio_j
        if power_model
        else bits * c.energy_j_per_bit[order],
        cand_accuracy=fam["accuracy"][ck],
        cand_latency_source=table.source[cp, ck] if len(cp) else np.zeros(0, dtype=np.int8),
        cand_decode_batch=_pair_column(table.decode_batch, cp, ck),
        cand_decode_residence_s=_pair_column(table.residence_s, cp, ck),
        cand_power_factor=_pair_column(table.power_factor, cp, ck),
        routes=routes,
        unservable=tuple(unservable),
        network_energy=s.network_energy,
        node_elastic=nodes["elastic"],
        node_embodied_g_per_h=nodes["embodied"],
        link_baseload_w=links["baseload"],
        link_marginal_j_per_bit=links["marginal"],
        link_share_a=links["share_a"],
        link_sleep_w=links["sleep"],
        link_wake_time_s=links["wake"],
        radio_models=dem["radio_models"],
        demand_radio=dem["radio"],
        demand_access_bps=dem["access_bps"],
        cand_radio_j=radio_j,
    )
