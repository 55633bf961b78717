"""Decode batch as a placement decision: one candidate per admissible batch size (opt-in).

The compile assumes one decode batch per (server, variant) pair, the largest the
application's whole traffic can fill (:mod:`slimplace.llm.batching`), and the evaluator
rejects a plan whose node traffic does not fill it. :func:`with_decode_batches` instead
repeats each generation candidate once per admissible batch size ``b`` (memory, profile
``batch``, TPOT SLO; :func:`~slimplace.llm.compile.generation_options`), with

- occupancy, latency (M/G/1 on the occupancy at ``rho_max``, as the compile) and dynamic
  energy (phase powers) at ``b``;
- ``cand_batch = b`` and ``cand_fill_rate_per_s = b / W(b)``: the power-modes machinery's
  stream and ``fill`` rows (:mod:`slimplace.optim.mode_rows`) then make the MILP keep a
  batch only where the node's traffic to that variant at that size reaches the rate that
  keeps ``b`` sequences in flight (Little's law); batched candidates are binary;
- ``cand_decode_batch = b``: the evaluator treats such a candidate as continuous
  batching (no static fill wait; a new sequence joins at the next step) and checks the
  fill with Little's law.

Opt-in (``benchmarks/llm_batching.py``), not the compile's default: the baselines of
``compare`` run every node at batch 1 (:attr:`CompiledProblem.cand_reference`), which for
continuous batching is not today's practice (vLLM batches whatever is in flight), so
savings against them would be overstated. Cascade families keep their assumed batch.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.llm.compile import generation_options, llm_parts
from slimplace.llm.power import power_factor
from slimplace.llm.scenario import llm_catalog
from slimplace.problem.compiled import CompiledProblem
from slimplace.problem.energy import dynamic_energy_j
from slimplace.problem.latency import mg1_response_time_s

__all__ = ["with_decode_batches"]


def with_decode_batches(p: CompiledProblem) -> CompiledProblem:
    """``p`` with every (non-cascade) generation candidate repeated per admissible decode
    batch size (module docstring); ``p`` itself without generation candidates."""
    rows = _option_rows(p)
    if rows is None:
        return p
    base, batch, service, latency, residence, factor = rows
    keep = np.ones(p.n_candidates, dtype=bool)
    keep[np.unique(base)] = False
    old = np.flatnonzero(keep)
    node = p.cand_node[base]
    wait = mg1_response_time_s(
        service, np.full(len(service), p.max_utilisation), p.service_cv2, p.slo_quantile
    )
    lat = p.cand_net_latency_s[base] + latency + wait - service
    ok = lat <= p.demand_slo_s[p.cand_demand[base]] * (1 + 1e-9)
    fields: dict[str, Any] = {
        f.name: np.concatenate([getattr(p, f.name)[old], getattr(p, f.name)[base[ok]]])
        for f in dataclasses.fields(p)
        if f.name.startswith("cand_") and len(getattr(p, f.name)) == p.n_candidates
    }
    new = {
        "cand_service_s": service,
        "cand_compute_s": latency,
        "cand_latency_s": lat,
        "cand_dyn_energy_j": dynamic_energy_j(service, p.node_idle_w[node], p.node_peak_w[node])
        * factor,
        "cand_batch": batch,
        "cand_fill_rate_per_s": np.where(batch > 1, batch / residence, 0.0),
        "cand_decode_batch": batch,
        "cand_decode_residence_s": residence,
        "cand_power_factor": factor,
    }
    for name, values in new.items():
        fields[name] = np.concatenate([getattr(p, name)[old], values[ok]]).astype(
            getattr(p, name).dtype
        )
    order = np.lexsort(
        (fields["cand_batch"], fields["cand_variant"], fields["cand_node"], fields["cand_demand"])
    )
    fields = {k: v[order] for k, v in fields.items()}
    ptr = np.searchsorted(fields["cand_demand"], np.arange(p.n_demands + 1)).astype(np.int64)
    return dataclasses.replace(p, demand_ptr=ptr, **fields)


def _option_rows(
    p: CompiledProblem,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray, FloatArray] | None:
    """Per (generation candidate, admissible batch size): the base candidate, the size,
    occupancy, latency (TTFT or end to end), residence and phase-power factor."""
    cat = llm_catalog()
    apps = p.scenario.applications
    gen = np.array([a.generation is not None for a in apps], dtype=bool)
    cand_gen = gen[p.demand_app[p.cand_demand]] if len(apps) else np.zeros(0, dtype=bool)
    out: list[tuple[np.ndarray, ...]] = []
    by_family = p.scenario.family_by_name()
    for a, app in enumerate(apps):
        g = app.generation
        if g is None:
            continue
        family = by_family[app.family]
        models = [llm_parts(v, cat) for v in family.variants]
        if any(len(m) != 1 for m in models):
            continue  # cascades keep their assumed batch
        mine = np.flatnonzero(cand_gen & (p.demand_app[p.cand_demand] == a))
        prof = p.node_profile[p.cand_node[mine]]
        pairs_key = sorted(
            {(int(pr), int(v)) for pr, v in zip(prof, p.cand_variant[mine], strict=True)}
        )
        if not pairs_key:
            continue
        first = p.variant_names.index(f"{family.name}/{family.variants[0].name}")
        pairs = []
        for pr, v in pairs_key:
            hw = p.profiles[pr]
            assert hw.llm is not None
            pairs.append((models[v - first][0], hw.llm, hw.memory_bytes))
        opts = generation_options(pairs, g, p.slo_quantile)
        index = {k: i for i, k in enumerate(pairs_key)}
        for c, pr, v in zip(mine, prof, p.cand_variant[mine], strict=True):
            i = index[(int(pr), int(v))]
            hw = p.profiles[pr]
            sizes = np.flatnonzero(opts.ok[i])
            b = opts.batch[sizes]
            f = power_factor(
                opts.prefill_s[i, sizes],
                opts.service_s[i, sizes] - opts.prefill_s[i, sizes],
                b.astype(np.float64),
                hw.llm.decode_power_w if hw.llm else None,
                hw.idle_power_w,
                hw.peak_power_w,
            )
            tpot_ok = g.tpot_slo_s is None or opts.tpot_s[i, sizes] <= g.tpot_slo_s
            sel = np.broadcast_to(tpot_ok, b.shape)
            out.append(
                (
                    np.full(int(sel.sum()), c),
                    b[sel],
                    opts.service_s[i, sizes][sel],
                    opts.latency_s[i, sizes][sel],
                    opts.residence_s[i, sizes][sel],
                    f[sel],
                )
            )
    if not out:
        return None
    cols = [np.concatenate([o[j] for o in out]) for j in range(6)]
    return (
        cols[0].astype(np.int64),
        cols[1].astype(np.int64),
        cols[2],
        cols[3],
        cols[4],
        cols[5],
    )
