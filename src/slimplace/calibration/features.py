"""Per-variant features of the latency model: FLOPs, precision, weight and activation bytes.

- FLOPs: the variant's published count (2 x MACs).
- Weight bytes: parameters x bytes per element of the variant's precision
  (fp32 4, fp16/bf16 2, int8/uint8 1). This is what one inference reads, not
  ``memory_bytes``, which for weight-sharing families is the whole supernet.
- Activation bytes: elements read plus written by every operator (see
  :mod:`slimplace.calibration.architectures`) x bytes per element. Taken from the
  packaged table ``data/calibration/activations.csv`` where the variant's layer
  list is known; otherwise the proxy ``kappa * MACs / sqrt(params)``: per layer,
  MACs / sqrt(weights) ~ channels x spatial size x kernel, i.e. an activation
  tensor. ``kappa`` is a family constant (37 for MobileNetV1, ~90 for
  MobileNetV2, ~160 for MobileNetV3 with SE and hard-swish, computed from the
  layer tables); variants of unknown architecture use :data:`GENERIC_KAPPA`,
  a rough middle (a factor ~2 either way).
- Depthwise bytes: the part of the activation bytes that depthwise convolutions
  read and write (memory-bound kernels, charged at their own bandwidth by the
  fit). From the same layer walk (every catalog family with depthwise
  convolutions has one, except Once-for-All); for the proxy families
  (Once-for-All) the activation proxy times the depthwise share of their
  reference architecture; zero for catalog families without depthwise
  convolutions (:data:`slimplace.calibration.published.NO_DEPTHWISE_FAMILIES`)
  and for variants of unknown architecture (no depthwise term: the activation
  term alone stands in).
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from slimplace.arrays import BoolArray, FloatArray
from slimplace.scenario.model import Variant

#: Bytes per tensor element by the variant's ``precision``.
BYTES_PER_ELEMENT: Mapping[str, float] = MappingProxyType(
    {
        "fp32": 4.0,
        "float32": 4.0,
        "fp16": 2.0,
        "float16": 2.0,
        "bf16": 2.0,
        "int8": 1.0,
        "uint8": 1.0,
    }
)
#: Precisions that run on integer kernels (a separate compute rate when fitted).
INTEGER_PRECISIONS = frozenset({"int8", "uint8"})
#: Activation elements per (MAC / sqrt(param)) for variants of unknown architecture.
GENERIC_KAPPA = 90.0


@dataclass(frozen=True, slots=True)
class VariantFeatures:
    """Feature arrays over n variants (one entry each).

    ``depthwise_bytes`` is part of ``activation_bytes``; ``depthwise_from_layers``
    marks the variants whose depthwise traffic comes from a layer list or the
    user's measurements (not a proxy share), which alone identify its bandwidth.
    """

    flops: FloatArray
    int8: BoolArray
    weight_bytes: FloatArray
    activation_bytes: FloatArray
    activation_from_layers: BoolArray
    depthwise_bytes: FloatArray
    depthwise_from_layers: BoolArray

    def __len__(self) -> int:
        return len(self.flops)

    def take(self, index: npt.NDArray[np.int64]) -> VariantFeatures:
        """The features of a subset of the variants."""
        return VariantFeatures(
            self.flops[index],
            self.int8[index],
            self.weight_bytes[index],
            self.activation_bytes[index],
            self.activation_from_layers[index],
            self.depthwise_bytes[index],
            self.depthwise_from_layers[index],
        )


def bytes_per_element(precision: str) -> float:
    """Bytes per weight or activation element; fp32 for precisions not listed."""
    return BYTES_PER_ELEMENT.get(precision.lower(), 4.0)


def activation_proxy_elements(
    flops: FloatArray, params: FloatArray, kappa: float = GENERIC_KAPPA
) -> FloatArray:
    """``kappa * MACs / sqrt(params)``: activation elements moved, from counts alone."""
    macs = np.asarray(flops, dtype=np.float64) / 2.0
    return kappa * macs / np.sqrt(np.maximum(np.asarray(params, dtype=np.float64), 1.0))


@dataclass(frozen=True, slots=True)
class LayerCounts:
    """One row of ``activations.csv``: counts from a layer walk (or the proxy).

    ``layer_flops`` is ``None`` for proxy rows (no layer list).
    """

    activation_elements: float
    layer_flops: float | None
    depthwise_elements: float = 0.0


@functools.cache
def activation_table() -> Mapping[tuple[str, float], LayerCounts]:
    """Activation and depthwise elements (and layer-table FLOPs) by (variant, published FLOPs)."""
    path = resources.files("slimplace").joinpath("data", "calibration", "activations.csv")
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
    return MappingProxyType(
        {
            (r["variant"], float(r["flops"])): LayerCounts(
                float(r["activation_elements"]),
                float(r["layer_flops"]) if r["layer_flops"] else None,
                float(r["depthwise_elements"]),
            )
            for r in rows
        }
    )


def features_from_arrays(
    flops: FloatArray,
    params: FloatArray,
    precision: Sequence[str],
    activation_elements: FloatArray | None = None,
    depthwise_elements: FloatArray | None = None,
    depthwise_from_layers: BoolArray | None = None,
) -> VariantFeatures:
    """Features from raw columns.

    NaN activation elements fall back to the proxy; NaN (or absent) depthwise
    elements to zero. ``depthwise_from_layers`` defaults to "the depthwise
    elements are given" (finite).
    """
    flops = np.asarray(flops, dtype=np.float64)
    params = np.asarray(params, dtype=np.float64)
    n = len(flops)
    bpe = np.array([bytes_per_element(p) for p in precision], dtype=np.float64)
    elements = (
        np.full(n, np.nan)
        if activation_elements is None
        else np.asarray(activation_elements, dtype=np.float64)
    )
    known = np.isfinite(elements)
    elements = np.where(known, elements, activation_proxy_elements(flops, params))
    dw = (
        np.full(n, np.nan)
        if depthwise_elements is None
        else np.asarray(depthwise_elements, dtype=np.float64)
    )
    dw_known = (
        np.isfinite(dw)
        if depthwise_from_layers is None
        else np.asarray(depthwise_from_layers, dtype=bool)
    )
    return VariantFeatures(
        flops=flops,
        int8=np.array([p.lower() in INTEGER_PRECISIONS for p in precision], dtype=bool),
        weight_bytes=params * bpe,
        activation_bytes=elements * bpe,
        activation_from_layers=known,
        depthwise_bytes=np.where(np.isfinite(dw), dw, 0.0) * bpe,
        depthwise_from_layers=dw_known,
    )


def variant_features(
    variants: Iterable[Variant], table: Mapping[tuple[str, float], LayerCounts] | None = None
) -> VariantFeatures:
    """Features of catalog or scenario variants (activation table, else proxy).

    Where the table has a layer walk, its FLOPs replace the published count, so
    compute and memory traffic come from one consistent description (the two
    agree up to the published counts' rounding except MobileNetV3-Small, whose
    TF-Slim README count is 15-25 % above both the layer table and the paper's
    56 M MACs, and a few MobileNetV1 rows of the TF-Slim table).
    """
    vs = list(variants)
    table = activation_table() if table is None else table
    rows = [table.get((v.name, float(v.flops))) for v in vs]
    flops = [
        r.layer_flops if r is not None and r.layer_flops is not None else v.flops
        for v, r in zip(vs, rows, strict=True)
    ]
    return features_from_arrays(
        np.array(flops, dtype=np.float64),
        np.array([v.params for v in vs], dtype=np.float64),
        [v.precision for v in vs],
        np.array([np.nan if r is None else r.activation_elements for r in rows]),
        np.array([np.nan if r is None else r.depthwise_elements for r in rows]),
        np.array([r is not None and r.layer_flops is not None for r in rows], dtype=bool),
    )
