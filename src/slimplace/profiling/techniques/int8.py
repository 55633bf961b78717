"""Static int8 quantization, FX graph mode, x86 back end; alone or on top of width and pruning.

``prepare_fx`` with ``get_default_qconfig_mapping("x86")`` fuses conv + BN
+ ReLU and inserts observers (histogram observers for activations,
per-channel symmetric weights); a few hundred training images calibrate the
ranges; ``convert_fx`` produces a network of quantized kernels (FBGEMM /
oneDNN on x86). Post-training static quantization as in Jacob et al.,
"Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference", CVPR 2018, and Krishnamoorthi,
arXiv:1806.08342, sec. 3. ``torchao`` is not used: FX mode is still shipped
with torch and needs nothing more (see docs/profiling.md).
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from slimplace.profiling.techniques.base import Candidate, Workbench

BACKEND = "x86"


def int8_name(target: str) -> str:
    """Candidate name of the int8 version of ``target`` (``int8-width-1``)."""
    return f"int8-{target}"


@torch.no_grad()
def quantize_static(
    model: nn.Module, calibration: torch.Tensor, *, batch_size: int = 128
) -> nn.Module:
    """An int8 copy of the plain float ``model``, calibrated on ``calibration`` images."""
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    if torch.backends.quantized.engine != BACKEND:
        raise RuntimeError(
            f"quantized engine is {torch.backends.quantized.engine!r}; int8 variants here need "
            f"{BACKEND!r} (an x86 CPU)"
        )
    float_model = copy.deepcopy(model).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FX mode deprecation notices (still supported)
        prepared = prepare_fx(float_model, get_default_qconfig_mapping(BACKEND), (calibration[:1],))
        for start in range(0, calibration.shape[0], batch_size):
            prepared(calibration[start : start + batch_size])
        quantized = convert_fx(prepared)
    return quantized.eval()


@dataclass(frozen=True)
class Int8Technique:
    """Quantize each built candidate named in ``targets`` that exists (others are skipped)."""

    targets: Sequence[str] = ("width-1", "width-0.5", "width-0.25", "prune-0.5", "base")
    calibration_images: int = 512
    name: str = "int8"

    def build(self, bench: Workbench) -> list[Candidate]:
        """Int8 versions of the targets that were built."""
        calib = bench.data.x_train[: self.calibration_images]
        sources: list[Candidate] = []
        for target in self.targets:
            found = bench.find(target)
            if found is not None:
                sources.append(found)
        seen: set[str] = set()
        out = []
        for src in sources:
            if src.name in seen:
                continue
            seen.add(src.name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                module = quantize_static(src.module, calib)
            out.append(
                Candidate(
                    int8_name(src.name),
                    self.name,
                    "int8",
                    module,
                    width=src.width,
                    precision="int8",
                    setting=src.setting,
                    parent=src.name,
                    flops_from=src.name,
                    note=f"static int8 ({BACKEND}) of {src.name}",
                )
            )
        return out


__all__ = ["BACKEND", "Int8Technique", "int8_name", "quantize_static"]
