"""Quality of a language-model variant as an accuracy in [0, 1] for the placement floors.

Order of precedence:

1. MMLU published for the model *at that quantization* (Qwen2 GPTQ/AWQ tables, Llama
   3.2 SpinQuant/QAT-LoRA): ``MMLU / 100``;
2. else the 16-bit MMLU divided by the llama.cpp perplexity ratio of that
   quantization, ``MMLU_16 / (1 + dPPL / 100)`` (the model's own perplexity table,
   else the mean over the models measured at that quantization). This is an
   *assumption of this module*, not a published mapping: it only says that a
   quantization that raises perplexity by x % costs about x % of relative quality
   (Qwen2-7B GPTQ-Int4: -3.8 % MMLU relative; Llama 3 70B Q4_K_M: +4.8 % perplexity);
3. a 16-bit variant: ``MMLU_16 / 100``.

Instruction-tuned rows are preferred (chat and completion applications serve
instruction-tuned models); MMLU rows are those of ``llm_quality.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from slimplace.llm.catalog import LlmCatalog

#: Quantization names of the 16-bit reference rows.
SIXTEEN_BIT = ("BF16", "F16", "")


@dataclass(frozen=True, slots=True)
class Quality:
    """Accuracy in [0, 1] of one variant, and how it was obtained."""

    accuracy: float
    basis: str


def _mmlu(cat: LlmCatalog, model: str, quants: tuple[str, ...]) -> float | None:
    rows = [
        r
        for r in cat.quality
        if r["model"] == model and r["quant"] in quants and r["benchmark"] == "MMLU"
    ]
    tuned = [r for r in rows if "instruction" in r.get("variant", "")]
    use = tuned or rows
    return float(np.mean([float(r["value"]) for r in use])) if use else None


def variant_quality(cat: LlmCatalog, model: str, quant: str) -> Quality | None:
    """The quality of ``model`` at ``quant`` (see the module docstring), or ``None`` when
    the catalog has no MMLU for the model."""
    cat.model(model)
    own = None if quant in SIXTEEN_BIT else _mmlu(cat, model, (quant,))
    if own is not None:
        return Quality(own / 100.0, f"MMLU of {model} at {quant}")
    base = _mmlu(cat, model, ("BF16", "F16"))
    if base is None:
        return None
    q = cat.quantizations.get(quant)
    if q is None or not q.weight_quantized:
        return Quality(base / 100.0, f"MMLU of {model} (16-bit)")
    ppl = cat.ppl_increase_pct(model, quant)
    if ppl is None:
        return Quality(
            base / 100.0, f"MMLU of {model} (16-bit); no perplexity for {quant}: no penalty"
        )
    increase, basis = ppl
    return Quality(
        base / 100.0 / (1.0 + increase / 100.0),
        f"MMLU of {model} (16-bit) / (1 + {increase:.2f} % perplexity at {quant}, {basis})",
    )
