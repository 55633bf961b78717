"""Cascades: a small language model answers first, a share of requests escalates to a large one.

A generation application with two ``stages`` (the small model's family, then the large
one's ``after`` it, its ``calls`` the *escalation share* ``s``: the fraction of requests
the large model also answers) is compiled as one family of cascade variants, one per
(small variant, large variant) pair, named ``small>large``. Both stages run on the
serving node (or both on the device): a stage on the device and the other remote would
need a head share per hardware profile in the split machinery, which is not built.

Per request, with ``S`` and ``L`` the small and large model's figures on the node
(:mod:`slimplace.llm.compile`, each at the decode batch its own traffic fills: the
application's rate for ``S``, ``s`` times it for ``L``):

- occupancy ``occ_S + s occ_L``; dynamic energy likewise (phase powers of each);
- latency, ``slo_on: e2e``: ``E2E_S + s E2E_L``; ``slo_on: ttft``: an escalated request
  sees the large model's first token after the small model's whole answer,
  ``TTFT_S + s (E2E_S - TTFT_S + TTFT_L)`` (means; a quantile SLO uses each stage's
  statistic in the same formula, an approximation);
- time per output token: the larger of the two (both must meet ``tpot_slo``);
- memory: both models' weights and KV caches;
- quality (:func:`cascade_quality`): Hybrid LLM (Ding et al., ICLR 2024) routes 40 %
  fewer queries to the large model than always-large at no drop in quality, i.e. the
  large model's quality at ``s* = 0.6``; we interpolate linearly between the small
  model alone (``s = 0``) and that point, ``q = q_S + (q_L - q_S) min(1, s / s*)``.
  The linear interpolation and the transfer of a router's figure to a cascade (whose
  escalation decision sees the small model's answer, at least as informed) are *our
  assumptions*; a plain traffic split (the average-accuracy floor) is the linear mix
  ``q_S + s (q_L - q_S)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from slimplace.scenario.model import Application, ModelFamily, Variant

#: Share of queries the Hybrid LLM router sends to the large model at the large model's
#: quality (40 % fewer calls than always-large; Ding et al., ICLR 2024, abstract).
EQUAL_QUALITY_SHARE = 0.6
#: Separator of the small and large variant names in a cascade variant's name.
SEP = ">"
#: Prefix of cascade families' names.
PREFIX = "cascade:"


def cascade_quality(small: float, large: float, share: float) -> float:
    """Quality of a cascade escalating ``share`` of requests (module docstring)."""
    return small + (large - small) * min(1.0, share / EQUAL_QUALITY_SHARE)


def is_cascade(app: Application) -> bool:
    """A generation application with a small and a large stage."""
    return app.generation is not None and len(app.stages) == 2


@dataclass(frozen=True, slots=True)
class Cascade:
    """A cascade application's stages: the small and large families, the escalation share."""

    small: str
    large: str
    share: float


def cascade_of(app: Application) -> Cascade:
    """The stages of a cascade application, the first being the small model's."""
    first, second = app.stages
    if first.id in second.after:
        small, large = first, second
    else:
        small, large = second, first
    return Cascade(small.family, large.family, float(large.calls))


def cascade_family(app: Application, families: dict[str, ModelFamily]) -> ModelFamily:
    """Every (small, large) variant pair of ``app`` as one cascade variant: quality by
    :func:`cascade_quality`, both models' weights as memory, FLOPs per token of the small
    model plus ``share`` times the large one's."""
    c = cascade_of(app)
    small, large = families[c.small], families[c.large]
    variants = tuple(
        Variant(
            name=f"{a.name}{SEP}{b.name}",
            accuracy=cascade_quality(a.accuracy, b.accuracy, c.share),
            flops=a.flops + c.share * b.flops,
            params=a.params + b.params,
            memory_bytes=a.memory_bytes + b.memory_bytes,
            kind=a.kind,
            precision=a.precision,
            source=f"cascade, escalation share {c.share:g}: {a.source} | {b.source}",
        )
        for a, b in itertools.product(small.variants, large.variants)
    )
    return ModelFamily(
        PREFIX + app.id,
        variants,
        load_time_s=max(small.load_time_s, large.load_time_s),
        task="text-generation",
        source=f"cascade {c.small} > {c.large}",
    )


def parts(name: str) -> tuple[str, ...]:
    """The ``model@quant`` names a (cascade) variant name is made of."""
    return tuple(name.split(SEP))


__all__ = [
    "EQUAL_QUALITY_SHARE",
    "PREFIX",
    "SEP",
    "Cascade",
    "cascade_family",
    "cascade_of",
    "cascade_quality",
    "is_cascade",
    "parts",
]
