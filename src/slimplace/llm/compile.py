"""Generation applications as ordinary candidates: service times from the token-level model.

:func:`~slimplace.problem.compile.compile_problem` calls :func:`prepare_generation` when a
scenario has generation applications. It returns

- the scenario with one family per generation application (a family shared by several
  is copied as ``family:app``), each variant's memory being its weights plus the KV
  cache of one sequence at the application's ``context_tokens``
  (:meth:`~slimplace.llm.model.LlmVariant.memory_bytes`);
- a latency model that fills the (hardware profile x variant) service table of those
  variants from :mod:`slimplace.llm.roofline`, over ``samples`` requests drawn from the
  application's token counts (:func:`~slimplace.llm.tokens.sample_generation`):

  * occupancy (``service_s``, what capacity and energy are charged for):
    ``mean(t_pre + (O - 1) t_step(B) / B)``, ``B`` the profile's decode batch (cut to
    what the memory left after the weights holds in KV caches);
  * latency (``compute_s``, what the SLO bounds with the network and queueing):
    ``t_pre`` (``slo_on: ttft``) or ``t_pre + (O - 1) t_step(B)`` (``e2e``): their mean,
    or their ``slo_quantile`` over the token distribution when the scenario sets one;
  * time per output token ``t_step(B)`` at the mean decode context ``P + O / 2``, same
    statistic, against ``tpot_slo``; a pair that misses it, or a profile without LLM
    speed, gets an infinite time (no candidate).

Energy per request then follows as for every candidate: ``(P_peak - P_idle) x service_s``
(x PUE), i.e. the profile's busy power over the request's occupancy of the server. The
phase powers of :class:`~slimplace.llm.roofline.PhasePower` are not used here: the
evaluator's server power is linear in busy time with one peak per profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.llm.catalog import LlmCatalog
from slimplace.llm.model import LlmVariant
from slimplace.llm.roofline import (
    Candidates,
    DeviceLlmFit,
    candidate_prefill_s,
    candidate_step_s,
)
from slimplace.llm.scenario import LLM_KIND, llm_catalog, split_variant_name
from slimplace.llm.tokens import sample_generation
from slimplace.problem.latency import LatencyModel, LatencySource, ServiceTable
from slimplace.scenario.generation import Generation, LlmHardware
from slimplace.scenario.model import Application, HardwareProfile, ModelFamily, Scenario, Variant

#: Occupancy given to (profile, variant) pairs that cannot serve (no LLM speed, TPOT SLO
#: missed; their latency is infinite): finite, so that queueing formulas stay finite, and
#: the largest, so that such a pair never dominates another in variant pruning.
UNSERVED_S = 1e30


def device_fit(hw: LlmHardware) -> DeviceLlmFit:
    """The roofline parameters of a profile's LLM speed."""
    return DeviceLlmFit(
        memory_bandwidth_bps=hw.memory_bandwidth_bytes_per_s,
        flops_per_s=hw.flops_per_s,
        decode_overhead_s=hw.decode_overhead_s,
        prefill_overhead_s=hw.prefill_overhead_s,
        int8_flops_per_s=hw.int8_flops_per_s,
        dequant_s_per_param=hw.dequant_s_per_param,
        source=hw.source,
    )


def llm_variant(v: Variant, cat: LlmCatalog) -> LlmVariant:
    """The catalog variant behind a ``model@quant`` variant."""
    model, quant = split_variant_name(v.name)
    return cat.variant(model, quant)


def prepare_generation(
    scenario: Scenario, base: LatencyModel, cat: LlmCatalog | None = None
) -> tuple[Scenario, LatencyModel]:
    """One family per generation application (KV cache in its memory), and a latency model
    that prices those families' variants by the token-level model (module docstring)."""
    cat = cat or llm_catalog()
    uses: dict[str, int] = {}
    for app in scenario.applications:
        uses[app.family] = uses.get(app.family, 0) + 1
    by_name = scenario.family_by_name()
    own: dict[str, ModelFamily] = {}
    apps: list[Application] = []
    for app in scenario.applications:
        if app.generation is None:
            apps.append(app)
            continue
        name = app.family if uses[app.family] == 1 else f"{app.family}:{app.id}"
        own[name] = _with_kv_cache(by_name[app.family], name, app.generation, cat)
        apps.append(replace(app, family=name))
    copied = {a.family for a in scenario.applications if a.generation is not None}
    shared = tuple(f for f in scenario.families if f.name not in copied | own.keys())
    families = tuple(sorted((*shared, *own.values()), key=lambda f: f.name))
    expanded = replace(scenario, families=families, applications=tuple(apps))
    return expanded, GenerationLatencyModel(base, expanded, cat)


def _with_kv_cache(family: ModelFamily, name: str, g: Generation, cat: LlmCatalog) -> ModelFamily:
    variants = tuple(
        replace(
            v,
            memory_bytes=v.memory_bytes
            + float(llm_variant(v, cat).kv_cache_bytes(g.context_tokens)),
        )
        for v in family.variants
    )
    return replace(family, name=name, variants=variants)


@dataclass(frozen=True, slots=True)
class GenerationTimes:
    """Per (profile, variant) pair of one application: occupancy, latency and TPOT, s."""

    service_s: FloatArray
    latency_s: FloatArray
    tpot_s: FloatArray


def generation_times(
    pairs: Sequence[tuple[LlmVariant, LlmHardware, float]],
    g: Generation,
    quantile: float | None,
) -> GenerationTimes:
    """Occupancy, latency (TTFT or end to end) and TPOT of each (variant, LLM speed,
    server memory) pair over the application's sampled requests, vectorised as a
    (pairs x requests) grid (:meth:`~slimplace.llm.roofline.Candidates.column`)."""
    prompt, output = sample_generation(g)
    p = prompt.astype(np.float64)[None, :]
    o = output.astype(np.float64)[None, :]
    c = Candidates.stack([(v, device_fit(hw)) for v, hw, _ in pairs]).column()
    batch = decode_batch(pairs, g.context_tokens)[:, None]
    t_pre = candidate_prefill_s(c, p)
    t_step = candidate_step_s(c, p + o / 2.0, batch)
    occupancy = t_pre + (o - 1.0) * t_step / batch
    latency = t_pre if g.slo_on == "ttft" else t_pre + (o - 1.0) * t_step

    def stat(x: FloatArray) -> FloatArray:
        if quantile is None:
            return np.asarray(x.mean(axis=1), dtype=np.float64)
        return np.asarray(np.quantile(x, quantile, axis=1), dtype=np.float64)

    return GenerationTimes(
        service_s=np.asarray(occupancy.mean(axis=1), dtype=np.float64),
        latency_s=stat(latency),
        tpot_s=stat(np.broadcast_to(t_step, latency.shape)),
    )


def decode_batch(
    pairs: Sequence[tuple[LlmVariant, LlmHardware, float]], context_tokens: int
) -> FloatArray:
    """Decode batch of each pair: the profile's ``batch``, cut to the KV caches at
    ``context_tokens`` that fit the server's memory after the weights (at least 1)."""
    out = np.ones(len(pairs))
    for i, (v, hw, memory) in enumerate(pairs):
        kv = float(v.kv_cache_bytes(context_tokens))
        room = np.floor((memory - v.weight_bytes) / kv) if kv > 0 else hw.batch
        out[i] = max(1.0, min(float(hw.batch), float(room)))
    return out


class GenerationLatencyModel:
    """``base`` for every variant, the token-level model for generation applications'
    families (:func:`generation_times`); see the module docstring."""

    def __init__(self, base: LatencyModel, scenario: Scenario, cat: LlmCatalog) -> None:
        self.base, self.scenario, self.cat = base, scenario, cat

    def service_table(
        self, profiles: Sequence[HardwareProfile], variants: Sequence[Variant]
    ) -> ServiceTable:
        """See :class:`~slimplace.problem.latency.LatencyModel`."""
        table = self.base.service_table(profiles, variants)
        service, compute = table.service_s.copy(), table.compute_s.copy()
        source = table.source.copy()
        columns = self._columns(variants)
        quantile = self.scenario.settings.slo_quantile
        for app in self.scenario.applications:
            if app.generation is None:
                continue
            cols = columns[app.family]
            service[:, cols] = UNSERVED_S
            compute[:, cols] = np.inf
            source[:, cols] = LatencySource.FITTED
            speeds = [(i, p.llm, p.memory_bytes) for i, p in enumerate(profiles) if p.llm]
            if not speeds:
                continue
            rows = [i for i, _, _ in speeds]
            family = self.scenario.family_by_name()[app.family]
            variants_of = [llm_variant(v, self.cat) for v in family.variants]
            pairs = [(v, hw, memory) for _, hw, memory in speeds for v in variants_of]
            times = generation_times(pairs, app.generation, quantile)
            shape = (len(rows), len(cols))
            ok = np.ones(shape, dtype=bool)
            if app.generation.tpot_slo_s is not None:
                ok = times.tpot_s.reshape(shape) <= app.generation.tpot_slo_s
            grid = np.ix_(rows, cols)
            service[grid] = np.where(ok, times.service_s.reshape(shape), UNSERVED_S)
            compute[grid] = np.where(ok, times.latency_s.reshape(shape), np.inf)
        return ServiceTable(service, compute, source)

    def _columns(self, variants: Sequence[Variant]) -> dict[str, list[int]]:
        """Columns of each family's variants (compile lists families in scenario order)."""
        out: dict[str, list[int]] = {}
        k = 0
        for f in self.scenario.families:
            out[f.name] = list(range(k, k + len(f.variants)))
            k += len(f.variants)
        if k != len(variants):
            raise ValueError(f"variants: {len(variants)} given, the scenario's families have {k}")
        return out


__all__ = [
    "LLM_KIND",
    "GenerationLatencyModel",
    "GenerationTimes",
    "decode_batch",
    "device_fit",
    "generation_times",
    "llm_variant",
    "prepare_generation",
]
