"""Generation applications as ordinary candidates: service times from the token-level model.

:func:`~slimplace.problem.compile.compile_problem` calls :func:`prepare_generation` when a
scenario has generation applications. It returns

- the scenario with one family per generation application (a family shared by several
  is copied as ``family:app``, the copies' variants sharing their weights through
  ``Variant.weights_key``: loaded once per node), each variant's memory being its
  weights plus the KV cache of one sequence at the ``context_tokens`` of each
  application using the family
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

from slimplace.arrays import FloatArray, IntArray
from slimplace.llm.batching import (
    DecodeOptions,
    assumed_batch,
    decode_options,
    ladder_of,
    memory_cap,
)
from slimplace.llm.cascade import PREFIX as CASCADE_PREFIX
from slimplace.llm.cascade import cascade_family, cascade_of, is_cascade, parts
from slimplace.llm.catalog import LlmCatalog
from slimplace.llm.model import LlmVariant
from slimplace.llm.power import power_factor
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
from slimplace.split.stages import PREFIX as STAGES_PREFIX

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


def llm_parts(v: Variant, cat: LlmCatalog) -> tuple[LlmVariant, ...]:
    """The catalog variants behind a ``model@quant`` or cascade (``small>large``) variant."""
    return tuple(cat.variant(*split_variant_name(name)) for name in parts(v.name))


def prepare_generation(
    scenario: Scenario, base: LatencyModel, cat: LlmCatalog | None = None
) -> tuple[Scenario, LatencyModel]:
    """One family per generation application (KV cache in its memory), and a latency model
    that prices those families' variants by the token-level model (module docstring)."""
    cat = cat or llm_catalog()
    cascades = (a for a in scenario.applications if is_cascade(a))
    shares = {CASCADE_PREFIX + a.id: cascade_of(a).share for a in cascades}
    scenario = _with_cascades(scenario)
    uses: dict[str, int] = {}
    for app in scenario.applications:
        uses[app.family] = uses.get(app.family, 0) + 1
    by_name = scenario.family_by_name()
    contexts: dict[str, list[int]] = {}
    for app in scenario.applications:
        if app.generation is not None:
            contexts.setdefault(app.family, []).append(app.generation.context_tokens)
    own: dict[str, ModelFamily] = {}
    apps: list[Application] = []
    for app in scenario.applications:
        if app.generation is None:
            apps.append(app)
            continue
        name = app.family if uses[app.family] == 1 else f"{app.family}:{app.id}"
        own[name] = _with_kv_cache(by_name[app.family], name, contexts[app.family], cat)
        apps.append(replace(app, family=name))
    copied = {a.family for a in scenario.applications if a.generation is not None}
    shared = tuple(f for f in scenario.families if f.name not in copied | own.keys())
    families = tuple(sorted((*shared, *own.values()), key=lambda f: f.name))
    expanded = replace(scenario, families=families, applications=tuple(apps))
    return expanded, GenerationLatencyModel(base, expanded, cat, shares)


def _with_cascades(scenario: Scenario) -> Scenario:
    """Each cascade application on its own family of cascade variants, its stages dropped
    (both run on one node: no cut; :mod:`slimplace.llm.cascade`), the composite family
    the stages machinery made for it removed."""
    cascades = [a for a in scenario.applications if is_cascade(a)]
    if not cascades:
        return scenario
    by_name = scenario.family_by_name()
    added = tuple(cascade_family(a, by_name) for a in cascades)
    ids = {a.id for a in cascades}
    apps = tuple(
        replace(a, family=CASCADE_PREFIX + a.id, stages=()) if a.id in ids else a
        for a in scenario.applications
    )
    dropped = {STAGES_PREFIX + a.id for a in cascades}
    kept = tuple(f for f in scenario.families if f.name not in dropped)
    return replace(scenario, families=kept + added, applications=apps)


def _with_kv_cache(
    family: ModelFamily, name: str, contexts: Sequence[int], cat: LlmCatalog
) -> ModelFamily:
    """``family`` renamed ``name``, each variant's memory its weights plus one sequence's
    KV cache at each context in ``contexts`` (one per generation application using the
    family). Copies of a family shared by several applications share their weights
    (``Variant.weights_key``): a node that serves both loads the weights once."""
    shared = len(contexts) > 1
    variants = tuple(
        replace(
            v,
            memory_bytes=v.memory_bytes
            + sum(float(m.kv_cache_bytes(c)) for c in contexts for m in llm_parts(v, cat)),
            weights_key=f"{family.name}/{v.name}" if shared else v.weights_key,
        )
        for v in family.variants
    )
    return replace(family, name=name, variants=variants)


@dataclass(frozen=True, slots=True)
class GenerationTimes:
    """Per (profile, variant) pair of one application: occupancy, latency and TPOT (s) at
    the decode batch assumed for the pair, that batch, and the residence time ``W`` (s)
    a request spends being generated (prefill + every decode step)."""

    service_s: FloatArray
    latency_s: FloatArray
    tpot_s: FloatArray
    batch: IntArray
    residence_s: FloatArray
    prefill_s: FloatArray
    #: dynamic energy over (peak - idle) x occupancy (:mod:`slimplace.llm.power`)
    power_factor: FloatArray


def generation_options(
    pairs: Sequence[tuple[LlmVariant, LlmHardware, float]],
    g: Generation,
    quantile: float | None,
) -> DecodeOptions:
    """Occupancy, latency, TPOT, residence and fill rate of each (variant, LLM speed,
    server memory) pair at every batch size it admits
    (:func:`~slimplace.llm.batching.decode_options`), over the application's sampled
    requests as a (pairs x sizes x requests) grid."""
    prompt, output = sample_generation(g)
    p = prompt.astype(np.float64)
    o = output.astype(np.float64)
    c = Candidates.stack([(v, device_fit(hw)) for v, hw, _ in pairs])
    cube = Candidates(*(np.reshape(getattr(c, f), (-1, 1, 1)) for f in c.__slots__))
    cap = np.array(
        [
            min(hw.batch, memory_cap(v.weight_bytes, float(v.kv_cache_bytes(g.context_tokens)), m))
            for v, hw, m in pairs
        ],
        dtype=np.int64,
    )
    ladder = ladder_of(cap)
    t_pre = candidate_prefill_s(cube, p[None, None, :])[:, 0, :]
    step = candidate_step_s(cube, (p + o / 2.0)[None, None, :], ladder[None, :, None])
    return decode_options(t_pre, step, o, cap, g.slo_on == "ttft", g.tpot_slo_s, quantile)


def generation_times(
    pairs: Sequence[tuple[LlmVariant, LlmHardware, float]],
    g: Generation,
    quantile: float | None,
    rate_per_s: float = np.inf,
) -> GenerationTimes:
    """The figures of :func:`generation_options` at the batch assumed for each pair: the
    largest it admits whose fill rate the application's whole traffic ``rate_per_s``
    reaches (:func:`~slimplace.llm.batching.assumed_batch`; no node sees more)."""
    opts = generation_options(pairs, g, quantile)
    k = assumed_batch(replace(opts, ok=opts.ok & (opts.fill_rate_per_s <= rate_per_s)))
    rows = np.arange(len(pairs))
    return GenerationTimes(
        service_s=opts.service_s[rows, k],
        latency_s=opts.latency_s[rows, k],
        tpot_s=opts.tpot_s[rows, k],
        batch=opts.batch[k],
        residence_s=opts.residence_s[rows, k],
        prefill_s=opts.prefill_s[rows, k],
        power_factor=np.ones(len(rows)),
    )


def combine_cascade(
    small: GenerationTimes, large: GenerationTimes, share: float, ttft: bool
) -> GenerationTimes:
    """A cascade's figures from its stages' on the same node (:mod:`slimplace.llm.cascade`):
    occupancy and energy ``S + s L``; latency ``E2E_S + s E2E_L`` or, on the time to
    first token, ``TTFT_S + s (E2E_S - TTFT_S + TTFT_L)``; TPOT the larger; decode batch
    and residence those of the stage whose batch its traffic fills least easily (the
    evaluator's fill check, ``flow x W >= b``, with the large stage's flow ``s x`` the
    cascade's: ``W = s W_L``)."""
    s = float(share)
    service = small.service_s + s * large.service_s
    e2e_small = small.residence_s if ttft else small.latency_s
    latency = (
        small.latency_s + s * (e2e_small - small.prefill_s + large.latency_s)
        if ttft
        else small.latency_s + s * large.latency_s
    )
    energy = small.power_factor * small.service_s + s * large.power_factor * large.service_s
    w_large = s * large.residence_s
    with np.errstate(divide="ignore", invalid="ignore"):
        need_small = np.where(small.batch > 1, small.batch / small.residence_s, 0.0)
        need_large = np.where(large.batch > 1, large.batch / w_large, 0.0)
        factor = np.where(service > 0, energy / service, 1.0)
    use_large = need_large > need_small
    return GenerationTimes(
        service_s=service,
        latency_s=latency,
        tpot_s=np.maximum(small.tpot_s, large.tpot_s),
        batch=np.where(use_large, large.batch, small.batch),
        residence_s=np.where(use_large, w_large, small.residence_s),
        prefill_s=small.prefill_s,
        power_factor=factor,
    )


def decode_batch(
    pairs: Sequence[tuple[LlmVariant, LlmHardware, float]], context_tokens: int
) -> FloatArray:
    """Largest decode batch of each pair before the TPOT SLO: the profile's ``batch``, cut
    to the KV caches at ``context_tokens`` that fit the server's memory after the weights."""
    caps = [
        min(hw.batch, memory_cap(v.weight_bytes, float(v.kv_cache_bytes(context_tokens)), m))
        for v, hw, m in pairs
    ]
    return np.array(caps, dtype=np.float64)


def _power_factors(
    profiles: Sequence[HardwareProfile], rows: Sequence[int], times: GenerationTimes
) -> FloatArray:
    """Phase-power factor of each (row profile, variant) pair of ``times``, rows major
    (:func:`~slimplace.llm.power.power_factor`)."""
    per_row = len(times.service_s) // max(len(rows), 1)
    out = np.ones(len(times.service_s))
    for i, r in enumerate(rows):
        prof = profiles[r]
        assert prof.llm is not None
        sl = slice(i * per_row, (i + 1) * per_row)
        out[sl] = power_factor(
            times.prefill_s[sl],
            times.service_s[sl] - times.prefill_s[sl],
            times.batch[sl].astype(np.float64),
            prof.llm.decode_power_w,
            prof.idle_power_w,
            prof.peak_power_w,
        )
    return out


class GenerationLatencyModel:
    """``base`` for every variant, the token-level model for generation applications'
    families (:func:`generation_times`); see the module docstring."""

    def __init__(
        self,
        base: LatencyModel,
        scenario: Scenario,
        cat: LlmCatalog,
        cascade_share: dict[str, float] | None = None,
    ) -> None:
        self.base, self.scenario, self.cat = base, scenario, cat
        #: escalation share of each cascade family (:mod:`slimplace.llm.cascade`)
        self.cascade_share = dict(cascade_share or {})

    def service_table(
        self, profiles: Sequence[HardwareProfile], variants: Sequence[Variant]
    ) -> ServiceTable:
        """See :class:`~slimplace.problem.latency.LatencyModel`."""
        table = self.base.service_table(profiles, variants)
        service, compute = table.service_s.copy(), table.compute_s.copy()
        source = table.source.copy()
        batch = np.ones(service.shape, dtype=np.int64)
        residence = np.zeros(service.shape)
        factor = np.ones(service.shape)
        columns = self._columns(variants)
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
            rate = sum(src.rate_per_s for src in app.sources)
            times = self._app_times(app, family, profiles, speeds, rate)
            shape = (len(rows), len(cols))
            ok = np.ones(shape, dtype=bool)
            if app.generation.tpot_slo_s is not None:
                ok = times.tpot_s.reshape(shape) <= app.generation.tpot_slo_s
            grid = np.ix_(rows, cols)
            service[grid] = np.where(ok, times.service_s.reshape(shape), UNSERVED_S)
            compute[grid] = np.where(ok, times.latency_s.reshape(shape), np.inf)
            batch[grid] = times.batch.reshape(shape)
            residence[grid] = times.residence_s.reshape(shape)
            factor[grid] = times.power_factor.reshape(shape)
        return ServiceTable(service, compute, source, batch, residence, factor)

    def _app_times(
        self,
        app: Application,
        family: ModelFamily,
        profiles: Sequence[HardwareProfile],
        speeds: Sequence[tuple[int, LlmHardware, float]],
        rate_per_s: float,
    ) -> GenerationTimes:
        """Times of every (LLM profile, variant of ``family``) pair, rows major; a
        cascade's from its two stages' (:mod:`slimplace.llm.cascade`)."""
        assert app.generation is not None
        quantile = self.scenario.settings.slo_quantile
        rows = [i for i, _, _ in speeds]

        def of(models: Sequence[LlmVariant], rate: float) -> GenerationTimes:
            pairs = [(v, hw, memory) for _, hw, memory in speeds for v in models]
            times = generation_times(pairs, app.generation, quantile, rate)  # type: ignore[arg-type]
            return replace(times, power_factor=_power_factors(profiles, rows, times))

        split = [llm_parts(v, self.cat) for v in family.variants]
        if all(len(s) == 1 for s in split):
            return of([s[0] for s in split], rate_per_s)
        share = self.cascade_share[family.name]
        small = of([s[0] for s in split], rate_per_s)
        large = of([s[1] for s in split], share * rate_per_s)
        return combine_cascade(small, large, share, app.generation.slo_on == "ttft")

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
    "combine_cascade",
    "decode_batch",
    "device_fit",
    "generation_options",
    "generation_times",
    "llm_variant",
    "prepare_generation",
]
