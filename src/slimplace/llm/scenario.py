"""Resolving the language-model parts of a scenario file against the LLM catalog.

- an ``llm:`` block of a hardware profile: a calibrated device / runtime of
  ``llm_device_speed.csv`` (:func:`~slimplace.llm.calibrate.fit_device`) and explicit
  figures over it (:func:`llm_hardware`);
- an ``llm_families:`` entry: catalog models at quantizations they are published at,
  as an ordinary :class:`~slimplace.scenario.model.ModelFamily` whose variants are
  named ``model@quant`` with ``kind="llm"`` (:func:`llm_family`);
- a ``generation:`` block of an application: a catalog token distribution
  (``llm_tokens.csv``) and explicit token counts over it (:func:`generation`);
- the checks that need both: contexts within every variant's window
  (:func:`check_generation_apps`).

Every function records :class:`~slimplace.errors.Problem` values at file paths instead
of raising, as :mod:`slimplace.scenario.resolve` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np

from slimplace.errors import Problem
from slimplace.llm.calibrate import fit_device
from slimplace.llm.catalog import LlmCatalog, load_llm_catalog
from slimplace.llm.quality import Quality, variant_quality
from slimplace.llm.tokens import sample_generation
from slimplace.scenario.generation import Generation, LlmHardware, TokenCounts
from slimplace.scenario.generation_io import (
    GenerationModel,
    LlmFamilyModel,
    LlmHardwareModel,
    to_token_counts,
)
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    ModelFamily,
    Scenario,
    Variant,
)
from slimplace.scenario.schema import ScenarioFile
from slimplace.scenario.validate import suggest

#: ``Variant.kind`` of language-model variants (named ``model@quant``).
LLM_KIND = "llm"


@cache
def llm_catalog() -> LlmCatalog:
    """The packaged language-model catalog (read once per process)."""
    return load_llm_catalog()


def split_variant_name(name: str) -> tuple[str, str]:
    """``(model, quant)`` of a variant named ``model@quant``."""
    model, _, quant = name.rpartition("@")
    return model, quant


def llm_hardware(
    m: LlmHardwareModel,
    profile_throughput_flops: float,
    path: str,
    problems: list[Problem],
    cat: LlmCatalog | None = None,
) -> LlmHardware | None:
    """The LLM speed of a profile: the calibrated group's fit, explicit figures over it.

    Prefill FLOP/s: ``throughput``, else the fit's (where it had prefill points), else
    the profile's effective ``throughput`` (a CNN-calibrated rate; see docs/llm.md).
    """
    cat = cat or llm_catalog()
    fit = None
    if m.calibrated is not None:
        groups = set(cat.speed.group.tolist())
        if m.calibrated not in groups:
            problems.append(
                Problem(f"{path}.calibrated", suggest(m.calibrated, groups, "LLM device"))
            )
            return None
        rows = cat.speed.take(cat.speed.group == m.calibrated)
        fit = fit_device(rows, cat.models, cat.quantizations, source=m.calibrated)
    if m.memory_bandwidth is not None:
        bandwidth = m.memory_bandwidth / 8.0  # the file's bit/s to bytes/s
    elif fit is not None:
        bandwidth = fit.memory_bandwidth_bps
    else:
        problems.append(
            Problem(f"{path}.memory_bandwidth", "missing: give memory_bandwidth or calibrated")
        )
        return None
    fitted_flops = fit.flops_per_s if fit is not None and math.isfinite(fit.flops_per_s) else None
    source = m.source or (
        f"calibrated: {fit.source} ({fit.n_decode} decode, {fit.n_prefill} prefill points)"
        if fit is not None
        else ""
    )
    return LlmHardware(
        memory_bandwidth_bytes_per_s=bandwidth,
        flops_per_s=m.throughput or fitted_flops or profile_throughput_flops,
        decode_overhead_s=_pick(m.decode_overhead, fit.decode_overhead_s if fit else 0.0),
        prefill_overhead_s=_pick(m.prefill_overhead, fit.prefill_overhead_s if fit else 0.0),
        int8_flops_per_s=m.int8_throughput or (fit.int8_flops_per_s if fit else None),
        dequant_s_per_param=_pick(m.dequant_per_param, fit.dequant_s_per_param if fit else 0.0),
        batch=m.batch,
        decode_power_w=m.decode_power,
        source=source,
    )


def _pick(explicit: float | None, fitted: float) -> float:
    return float(explicit) if explicit is not None else float(fitted)


def catalog_llm_hardware(
    profile: HardwareProfile, cat: LlmCatalog | None = None
) -> LlmHardware | None:
    """The LLM speed the catalog gives a catalog hardware profile (``llm_hardware.csv``:
    the calibrated device / runtime it maps to, a prefill rate, a decode batch), or None."""
    from slimplace.catalog._rows import read_rows

    cat = cat or llm_catalog()
    for row in read_rows("llm_hardware.csv"):
        if row["profile"] != profile.name:
            continue
        problems: list[Problem] = []
        flops = row["prefill_flops_per_s"].strip()
        model = LlmHardwareModel(
            calibrated=row["calibrated"],
            throughput=float(flops) if flops else None,
            batch=int(row["batch"]),
            source=f"llm_hardware.csv: {row['source']}",
        )
        got = llm_hardware(model, profile.throughput_flops, "llm_hardware.csv", problems, cat)
        if problems:
            raise ValueError("; ".join(str(p) for p in problems))
        return got
    return None


def with_catalog_llm(
    profiles: Sequence[HardwareProfile], inline: set[str]
) -> tuple[HardwareProfile, ...]:
    """Catalog profiles (not defined inline) without LLM speed get the catalog's."""
    out = []
    for h in profiles:
        speed = None if h.llm is not None or h.name in inline else catalog_llm_hardware(h)
        out.append(h if speed is None else replace(h, llm=speed))
    return tuple(out)


def llm_family(
    m: LlmFamilyModel, path: str, problems: list[Problem], cat: LlmCatalog | None = None
) -> ModelFamily:
    """An ordinary family of ``model@quant`` variants: quality from
    :func:`~slimplace.llm.quality.variant_quality`, weight bytes as memory (the KV cache
    at an application's context is added when it is compiled), FLOPs per token."""
    cat = cat or llm_catalog()
    variants = []
    for j, ref in enumerate(m.variants):
        where = f"{path}.variants[{j}]"
        if ref.model not in cat.models:
            problems.append(Problem(f"{where}.model", suggest(ref.model, cat.models, "LLM model")))
            continue
        try:
            v = cat.variant(ref.model, ref.quant)
        except ValueError as exc:
            problems.append(Problem(f"{where}.quant", str(exc).removeprefix("quant: ")))
            continue
        quality = (
            Quality(ref.accuracy, "given in the scenario")
            if ref.accuracy is not None
            else variant_quality(cat, ref.model, ref.quant)
        )
        if quality is None:
            problems.append(
                Problem(
                    f"{where}.accuracy",
                    f"missing: no MMLU for {ref.model} in llm_quality.csv; give its accuracy",
                )
            )
            continue
        variants.append(
            Variant(
                name=v.name,
                accuracy=quality.accuracy,
                flops=2.0 * v.model.active_params,
                params=v.model.params,
                memory_bytes=v.weight_bytes,
                kind=LLM_KIND,
                precision=ref.quant,
                source=f"{v.model.source}; quality: {quality.basis}",
            )
        )
    names = [v.name for v in variants]
    for j, name in enumerate(names):
        if name in names[:j]:
            problems.append(Problem(f"{path}.variants[{j}]", f"duplicate variant {name!r}"))
    return ModelFamily(
        name=m.name,
        variants=tuple(dict(zip(names, variants, strict=True)).values()) or _placeholder(),
        load_time_s=m.load_time,
        task="text-generation",
        source=m.source,
    )


def _placeholder() -> tuple[Variant, ...]:
    """One stand-in variant for a family whose every entry was a problem (the load stops)."""
    return (Variant("invalid", 0.0, 1.0, 1.0, 1.0, kind=LLM_KIND),)


def generation(
    m: GenerationModel, path: str, problems: list[Problem], cat: LlmCatalog | None = None
) -> Generation | None:
    """The generation block: ``tokens`` from the catalog, explicit token counts over it."""
    cat = cat or llm_catalog()
    prompt: TokenCounts | None = None
    output: TokenCounts | None = None
    source = m.source
    if m.tokens is not None:
        if m.tokens not in cat.tokens:
            problems.append(Problem(f"{path}.tokens", suggest(m.tokens, cat.tokens, "token set")))
            return None
        dist = cat.tokens[m.tokens]
        prompt = TokenCounts(math.exp(dist.prompt_mu), dist.prompt_sigma, dist.prompt_max)
        output = TokenCounts(math.exp(dist.output_mu), dist.output_sigma, dist.output_max)
        source = source or f"{m.tokens}: {dist.source}"
    if m.prompt_tokens is not None:
        prompt = to_token_counts(m.prompt_tokens)
    if m.output_tokens is not None:
        output = to_token_counts(m.output_tokens)
    for name, value in (("prompt_tokens", prompt), ("output_tokens", output)):
        if value is None:
            problems.append(Problem(f"{path}.{name}", "missing: give it, or tokens: (catalog)"))
    if prompt is None or output is None:
        return None
    if m.context_tokens < 2:
        problems.append(
            Problem(f"{path}.context_tokens", "must hold a prompt and an output token (>= 2)")
        )
        return None
    return Generation(
        prompt=prompt,
        output=output,
        context_tokens=int(m.context_tokens),
        slo_on=m.slo_on,
        tpot_slo_s=m.tpot_slo,
        bytes_per_token=float(m.bytes_per_token),
        samples=int(m.samples),
        seed=int(m.seed),
        source=source,
    )


def message_bytes(g: Generation) -> tuple[float, float]:
    """Mean request and response bytes: mean prompt / output tokens x bytes per token."""
    prompt, output = sample_generation(g)
    return (
        float(np.mean(prompt)) * g.bytes_per_token,
        float(np.mean(output)) * g.bytes_per_token,
    )


def check_generation_apps(
    scenario: Scenario,
    app_paths: Sequence[str],
    cat: LlmCatalog | None = None,
) -> list[Problem]:
    """Generation applications on LLM families whose every variant's window holds the
    application's context; LLM families only under generation applications."""
    cat = cat or llm_catalog()
    families = scenario.family_by_name()
    problems: list[Problem] = []
    profiles = scenario.hardware_by_name()
    serving = any(
        n.hardware is not None and profiles[n.hardware].llm is not None
        for n in scenario.nodes
        if n.hardware in profiles
    )
    for app, path in zip(scenario.applications, app_paths, strict=True):
        if app.generation is not None and not serving:
            problems.append(
                Problem(
                    f"{path}.generation",
                    "no node's hardware has a language-model speed: give a profile an llm: "
                    "block (or use a catalog profile of llm_hardware.csv)",
                )
            )
        family = families.get(app.family)
        if family is None:
            continue
        llm = [v for v in family.variants if v.kind == LLM_KIND]
        if app.generation is None:
            if llm:
                problems.append(
                    Problem(
                        f"{path}.generation",
                        f"missing: {app.family!r} is a language-model family",
                    )
                )
            continue
        if len(llm) != len(family.variants):
            problems.append(
                Problem(f"{path}.family", f"{app.family!r} is not a language-model family")
            )
            continue
        problems += _context_problems(app, family, f"{path}.generation.context_tokens", cat)
    return problems


def _context_problems(
    app: Application, family: ModelFamily, path: str, cat: LlmCatalog
) -> list[Problem]:
    assert app.generation is not None
    context = app.generation.context_tokens
    out = []
    for v in family.variants:
        model, _ = split_variant_name(v.name)
        arch = cat.models.get(model)
        if arch is None:
            out.append(Problem(path, f"variant {v.name!r}: unknown LLM model {model!r}"))
        elif context > arch.context_tokens:
            out.append(
                Problem(
                    path,
                    f"{context} tokens exceed the context window of {model} "
                    f"({arch.context_tokens} tokens), variant {v.name} of {family.name}",
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class LlmParts:
    """The language-model parts of one scenario file, resolved."""

    #: LLM speed of inline hardware profiles, by index in ``hardware:``
    hardware: dict[int, LlmHardware] = field(default_factory=dict)
    #: ``llm_families:`` entries as ordinary families, in file order
    families: tuple[ModelFamily, ...] = ()
    #: generation blocks, by index in ``applications:``
    generations: dict[int, Generation] = field(default_factory=dict)


def resolve_llm_parts(doc: ScenarioFile, problems: list[Problem]) -> LlmParts:
    """Resolve every ``llm:``, ``llm_families:`` and ``generation:`` entry of ``doc``."""
    cat = llm_catalog()
    hardware = {}
    for i, h in enumerate(doc.hardware):
        if h.llm is not None:
            got = llm_hardware(h.llm, h.throughput, f"hardware[{i}].llm", problems, cat)
            if got is not None:
                hardware[i] = got
    families = tuple(
        llm_family(f, f"llm_families[{i}]", problems, cat) for i, f in enumerate(doc.llm_families)
    )
    generations = {}
    for i, a in enumerate(doc.applications):
        if a.generation is not None:
            got_g = generation(a.generation, f"applications[{i}].generation", problems, cat)
            if got_g is not None:
                generations[i] = got_g
    return LlmParts(hardware, families, generations)
