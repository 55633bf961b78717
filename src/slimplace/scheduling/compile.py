"""Compile a :class:`JobSet` into a :class:`ScheduleProblem` (see its module for the model).

Options per (profile, family) are pruned to the Pareto front of (service time,
accuracy): a slower and less accurate variant never helps either objective on
that profile. Routes between scenario nodes are shortest-latency paths
(:func:`slimplace.problem.routes.compute_routes`).
"""

from __future__ import annotations

import logging

import numpy as np

from slimplace.problem.latency import FlopsLatencyModel, LatencyModel
from slimplace.problem.routes import compute_routes
from slimplace.scheduling.model import JobSet, ScheduleObjective
from slimplace.scheduling.problem import BoolArray, FloatArray, IntArray, ScheduleProblem

log = logging.getLogger(__name__)


def pareto_options(service_s: FloatArray, accuracy: FloatArray) -> tuple[IntArray, BoolArray]:
    """Indices of the (service time, accuracy) Pareto front sorted by service time, and
    which of them are vertices of the upper concave hull (Andrew's monotone chain,
    *Inf. Proc. Letters* 9(5), 1979)."""
    order = np.lexsort((-accuracy, service_s))
    best = np.maximum.accumulate(accuracy[order])
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = accuracy[order][1:] > best[:-1]
    front = order[keep]
    hull: list[int] = []
    for i in range(len(front)):
        while len(hull) >= 2:
            a, b = front[hull[-2]], front[hull[-1]]
            c = front[i]
            cross = (service_s[b] - service_s[a]) * (accuracy[c] - accuracy[a]) - (
                accuracy[b] - accuracy[a]
            ) * (service_s[c] - service_s[a])
            if cross >= 0:  # b lies on or below the chord a-c
                hull.pop()
            else:
                break
        hull.append(i)
    is_hull = np.zeros(len(front), dtype=bool)
    is_hull[hull] = True
    return front.astype(np.int64), is_hull


def _options(
    service: FloatArray,
    accuracy: FloatArray,
    fits: BoolArray,
    family_variants: list[IntArray],
) -> tuple[IntArray, BoolArray]:
    n_profiles, n_fam = service.shape[0], len(family_variants)
    fronts = {}
    for p in range(n_profiles):
        for f, vs in enumerate(family_variants):
            vs = vs[fits[p, vs]]
            idx, hull = pareto_options(service[p, vs], accuracy[vs])
            fronts[p, f] = (vs[idx], hull)
    k = max((len(v) for v, _ in fronts.values()), default=1)
    option_variant = np.full((n_profiles, n_fam, max(k, 1)), -1, dtype=np.int64)
    option_hull = np.zeros(option_variant.shape, dtype=bool)
    for (p, f), (vs, hull) in fronts.items():
        option_variant[p, f, : len(vs)] = vs
        option_hull[p, f, : len(vs)] = hull
    return option_variant, option_hull


def _transfers(jobset: JobSet) -> tuple[FloatArray, FloatArray, BoolArray, BoolArray]:
    """Transfer time, network energy and reachability of every job's input to every
    machine, and whether the input already sits at the machine's node."""
    jobs, machines = jobset.jobs, jobset.machines
    n_j, n_m = len(jobs), len(machines)
    bits = np.array([8.0 * j.input_bytes for j in jobs])
    has_input = np.array([j.input_node is not None for j in jobs])
    seconds = np.zeros((n_j, n_m))
    energy = np.zeros((n_j, n_m))
    reach = np.ones((n_j, n_m), dtype=bool)
    sites = sorted(
        {j.input_node for j in jobs if j.input_node} | {m.node for m in machines if m.node}
    )
    code = {s: i for i, s in enumerate(sites)}
    job_site = np.array([code.get(j.input_node, -1) if j.input_node else -1 for j in jobs])
    machine_site = np.array([code[m.node] if m.node else -2 for m in machines])
    sc = jobset.scenario
    routed = np.array([sc is not None and m.node is not None for m in machines], dtype=bool)
    # plain machines: one link of the machine's kind unless the input is at its site
    kinds = jobset.link_kind_by_name()
    kind = [kinds[m.link_kind] if not r else None for m, r in zip(machines, routed, strict=True)]
    k_lat = np.array([k.latency_s if k else 0.0 for k in kind])
    k_bw = np.array([k.bandwidth_bps if k else 1.0 for k in kind])
    k_ebit = np.array([k.energy_j_per_bit if k else 0.0 for k in kind])
    remote = has_input[:, None] & (job_site[:, None] != machine_site[None, :]) & ~routed[None, :]
    seconds = np.where(remote, k_lat[None, :] + bits[:, None] / k_bw[None, :], seconds)
    energy = np.where(remote, bits[:, None] * k_ebit[None, :], energy)
    if sc is not None and routed.any() and has_input.any():
        index = {n.id: i for i, n in enumerate(sc.nodes)}
        a = np.array([index[lk.a] for lk in sc.links], dtype=np.int64)
        b = np.array([index[lk.b] for lk in sc.links], dtype=np.int64)
        src = np.array([index[j.input_node] if j.input_node else 0 for j in jobs], dtype=np.int64)
        routes = compute_routes(
            len(sc.nodes),
            a,
            b,
            np.array([lk.latency_s for lk in sc.links]),
            np.array([lk.energy_j_per_bit for lk in sc.links]),
            np.array([lk.bandwidth_bps for lk in sc.links]),
            np.unique(src[has_input]),
            np.ones(len(sc.nodes), dtype=bool),
        )
        rm = np.nonzero(routed)[0]
        dst = np.array([index[machines[m].node or ""] for m in rm], dtype=np.int64)
        cell = np.ix_(routes.source_root_row[src], routes.col(dst))
        lat = routes.latency_s[cell]
        spb = routes.seconds_per_bit[cell]
        ebit = routes.energy_j_per_bit[cell]
        sub = has_input[:, None]
        seconds[:, rm] = np.where(sub, lat + bits[:, None] * spb, 0.0)
        energy[:, rm] = np.where(sub, bits[:, None] * ebit, 0.0)
        reach[:, rm] = ~sub | np.isfinite(lat)
    seconds = np.where(reach, seconds, np.inf)
    energy = np.where(reach, energy, np.inf)
    return seconds, energy, reach, job_site[:, None] == machine_site[None, :]


def compile_jobs(
    jobset: JobSet,
    *,
    latency_model: LatencyModel | None = None,
    objective: ScheduleObjective | None = None,
    budget_j: float | None = None,
) -> ScheduleProblem:
    """Turn a job set into arrays. ``objective`` and ``budget_j`` default to the file's settings."""
    fams = jobset.family_by_name()
    used_fams = sorted({j.family for j in jobset.jobs})
    family_index = {f: i for i, f in enumerate(used_fams)}
    variants = [v for f in used_fams for v in fams[f].variants]
    variant_family = np.repeat(
        np.arange(len(used_fams)), [len(fams[f].variants) for f in used_fams]
    ).astype(np.int64)
    bounds = np.concatenate([[0], np.cumsum([len(fams[f].variants) for f in used_fams])])
    family_variants = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(used_fams))]
    hw = jobset.hardware_by_name()
    used_hw = sorted({m.hardware for m in jobset.machines})
    profiles = [hw[h] for h in used_hw]
    table = (latency_model or FlopsLatencyModel()).service_table(profiles, variants)
    accuracy = np.array([v.accuracy for v in variants])
    memory = np.array([v.memory_bytes for v in variants])
    fits = memory[None, :] <= np.array([p.memory_bytes for p in profiles])[:, None]
    option_variant, option_hull = _options(table.service_s, accuracy, fits, family_variants)

    machine_profile = np.array([used_hw.index(m.hardware) for m in jobset.machines], np.int64)
    pue = np.array([m.pue for m in jobset.machines])
    peak = np.array([hw[m.hardware].peak_power_w for m in jobset.machines])
    idle = np.array([hw[m.hardware].idle_power_w for m in jobset.machines])
    jobs = jobset.jobs
    horizon = max(j.deadline_s for j in jobs)
    sleeping = jobset.settings.idle == "sleep"
    busy_w = pue * (peak if sleeping else peak - idle)
    static = 0.0 if sleeping else float(np.sum(pue * idle) * horizon)

    job_family = np.array([family_index[j.family] for j in jobs], dtype=np.int64)
    work = np.array([j.work for j in jobs])
    weight = np.array([j.weight for j in jobs]) * work
    transfer_s, network_j, reach, at_machine = _transfers(jobset)
    local_only = np.array([m.local_only for m in jobset.machines], dtype=bool)
    has_option = option_variant[machine_profile[None, :], job_family[:, None], 0] >= 0
    admissible = reach & has_option & (~local_only[None, :] | at_machine)
    width = np.array([np.nan if v.width is None else v.width for v in variants])
    problem = ScheduleProblem(
        jobset=jobset,
        objective=objective or jobset.settings.objective,
        budget_j=budget_j if budget_j is not None else jobset.settings.budget_j,
        horizon_s=float(horizon),
        static_energy_j=static,
        job_ids=tuple(j.id for j in jobs),
        job_family=job_family,
        job_work=work,
        job_release_s=np.array([j.release_s for j in jobs]),
        job_deadline_s=np.array([j.deadline_s for j in jobs]),
        job_floor=np.array([j.accuracy_floor for j in jobs]),
        job_utility=weight / weight.sum(),
        job_split=np.array([j.splittable for j in jobs], dtype=bool),
        machine_ids=tuple(m.id for m in jobset.machines),
        machine_profile=machine_profile,
        machine_busy_w=busy_w,
        profile_names=tuple(used_hw),
        family_names=tuple(used_fams),
        variant_names=tuple(f"{f}/{v.name}" for f in used_fams for v in fams[f].variants),
        variant_family=variant_family,
        variant_accuracy=accuracy,
        variant_width=width,
        service_s=table.service_s,
        option_variant=option_variant,
        option_hull=option_hull,
        transfer_s=transfer_s,
        network_energy_j=network_j,
        admissible=admissible,
    )
    log.info(
        "compiled job set %s: %d jobs, %d machines, %d options max",
        jobset.name,
        problem.n_jobs,
        problem.n_machines,
        option_variant.shape[2],
    )
    return problem
