"""Prompt and output token counts of an application: summaries of published traces, sampling.

The catalog ships summaries, not traces (``data/catalog/llm_tokens.csv``): per
application and quantity (``prompt`` or ``output``) the count, mean, quantiles and
a lognormal fitted by maximum likelihood, ``mu = mean(ln x)``, ``sigma = std(ln x)``
over the positive counts (the MLE of a lognormal; token counts of LLM requests are
heavy-tailed and close to lognormal, cf. Patel et al., Splitwise, ISCA 2024, Fig. 3;
Qin et al., Mooncake, FAST 2025). :func:`summarise_tokens` is the derivation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.arrays import IntArray
from slimplace.scenario.generation import Generation

#: Quantiles reported per quantity (as fractions).
QUANTILES: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


@dataclass(frozen=True, slots=True)
class TokenSummary:
    """Summary of one token-count sample (one application, prompt or output)."""

    n: int
    n_zero: int
    mean: float
    quantiles: tuple[float, ...]
    max: int
    lognormal_mu: float
    lognormal_sigma: float


def summarise_tokens(counts: npt.ArrayLike) -> TokenSummary:
    """Quantiles (:data:`QUANTILES`) and the lognormal MLE of positive token counts.

    Zero counts (requests that produced no token) are counted in ``n_zero`` and left
    out of the lognormal fit, which needs ``x > 0``.
    """
    x = np.asarray(counts, dtype=np.float64)
    if x.size == 0:
        raise ValueError("counts: no token counts to summarise")
    if np.any(x < 0):
        raise ValueError("counts: token counts must be >= 0")
    positive = x[x > 0]
    if positive.size < 2:
        raise ValueError("counts: need at least two positive token counts")
    logs = np.log(positive)
    return TokenSummary(
        n=int(x.size),
        n_zero=int(x.size - positive.size),
        mean=float(x.mean()),
        quantiles=tuple(float(q) for q in np.quantile(x, QUANTILES)),
        max=int(x.max()),
        lognormal_mu=float(logs.mean()),
        lognormal_sigma=float(logs.std(ddof=0)),
    )


@dataclass(frozen=True, slots=True)
class TokenDistribution:
    """Prompt and output token counts of one application, as lognormals.

    ``*_max`` bounds samples (the trace's largest count).
    """

    app: str
    prompt_mu: float
    prompt_sigma: float
    prompt_max: int
    output_mu: float
    output_sigma: float
    output_max: int
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("prompt_sigma", "output_sigma"):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"{name}: must be >= 0, got {getattr(self, name)}")
        for name in ("prompt_max", "output_max"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")

    @property
    def prompt_median(self) -> float:
        """Median prompt tokens of the fitted lognormal, ``exp(mu)``."""
        return math.exp(self.prompt_mu)

    @property
    def output_median(self) -> float:
        """Median output tokens of the fitted lognormal, ``exp(mu)``."""
        return math.exp(self.output_mu)

    @property
    def prompt_mean(self) -> float:
        """Mean of the fitted lognormal, ``exp(mu + sigma^2 / 2)`` (untruncated)."""
        return math.exp(self.prompt_mu + self.prompt_sigma**2 / 2)

    @property
    def output_mean(self) -> float:
        """Mean of the fitted lognormal, ``exp(mu + sigma^2 / 2)`` (untruncated)."""
        return math.exp(self.output_mu + self.output_sigma**2 / 2)

    def sample(self, n: int, seed: int) -> tuple[IntArray, IntArray]:
        """``n`` (prompt, output) token counts, rounded, clipped to ``[1, max]``."""
        if n < 0:
            raise ValueError(f"n: must be >= 0, got {n}")
        rng = np.random.default_rng(seed)
        prompt = rng.lognormal(self.prompt_mu, self.prompt_sigma, size=n)
        output = rng.lognormal(self.output_mu, self.output_sigma, size=n)
        return (
            np.clip(np.rint(prompt), 1, self.prompt_max).astype(np.int64),
            np.clip(np.rint(output), 1, self.output_max).astype(np.int64),
        )


def sample_generation(g: Generation) -> tuple[IntArray, IntArray]:
    """``g.samples`` (prompt, output) token counts drawn with ``g.seed``.

    Each quantity is lognormal (:class:`~slimplace.scenario.generation.TokenCounts`),
    rounded and clipped to ``[1, upper]``; then output to ``context - 1`` and prompt to
    ``context - output``, so that every request fits the application's context.
    """
    rng = np.random.default_rng(g.seed)
    counts = []
    for t in (g.prompt, g.output):
        draw = np.exp(np.log(t.median) + t.sigma * rng.standard_normal(g.samples))
        counts.append(np.clip(np.rint(draw), 1, t.upper).astype(np.int64))
    prompt, output = counts
    output = np.minimum(output, max(1, g.context_tokens - 1))
    prompt = np.maximum(np.minimum(prompt, g.context_tokens - output), 1)
    return prompt, output
