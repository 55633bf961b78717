"""Language models on the continuum: token-level latency, energy and memory of generation.

- :mod:`~slimplace.llm.model`: architectures, quantizations and variants (weight and
  KV-cache bytes, FLOPs of prefill and decode);
- :mod:`~slimplace.llm.roofline`: TTFT, TPOT, end-to-end latency, batching and
  energy of a request on a calibrated device (:class:`DeviceLlmFit`);
- :mod:`~slimplace.llm.calibrate`: fitting a device's effective bandwidth, FLOP/s
  and overheads to published speeds, and their held-out error;
- :mod:`~slimplace.llm.catalog`: the ``llm_*.csv`` catalog files;
- :mod:`~slimplace.llm.tokens`: prompt/output token counts per application.

>>> from slimplace.llm import load_llm_catalog
>>> cat = load_llm_catalog()
>>> round(cat.variant("llama-3-8b", "Q4_K_M").weight_bytes / 1e9, 2)
4.91
"""

from slimplace.llm.calibrate import fidelity_by_group, fit_decode, fit_device, fit_prefill
from slimplace.llm.catalog import LlmCatalog, SpeedTable, load_llm_catalog
from slimplace.llm.model import LlmArchitecture, LlmVariant, Quantization
from slimplace.llm.roofline import (
    DeviceLlmFit,
    GenerationTiming,
    PhasePower,
    decode_step_time_s,
    decode_throughput_tps,
    energy_per_output_token_j,
    generation_energy_j,
    generation_timing,
    prefill_time_s,
)
from slimplace.llm.tokens import TokenDistribution, summarise_tokens

__all__ = [
    "DeviceLlmFit",
    "GenerationTiming",
    "LlmArchitecture",
    "LlmCatalog",
    "LlmVariant",
    "PhasePower",
    "Quantization",
    "SpeedTable",
    "TokenDistribution",
    "decode_step_time_s",
    "decode_throughput_tps",
    "energy_per_output_token_j",
    "fidelity_by_group",
    "fit_decode",
    "fit_device",
    "fit_prefill",
    "generation_energy_j",
    "generation_timing",
    "load_llm_catalog",
    "prefill_time_s",
    "summarise_tokens",
]
