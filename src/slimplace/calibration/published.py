"""Published latency measurements of the catalog, grouped by device class.

The measurements are the catalog's (``data/catalog/measured_latency.csv`` with
the variants of ``variants.csv``; see ``data/catalog/SOURCES.md``): TF-Lite
latencies of MobileNetV2 (22 variants, Pixel 1) and MobileNetV3 (9 variants,
Pixel 1/2/3) from tensorflow/models, and the latency targets of the Once-for-All
specialised subnets (phones at batch 1, GTX 1080Ti and V100 at batch 64, Jetson
TX2 at batch 16, Xeon at batch 1) from mit-han-lab/once-for-all. They are not
copied again here; this module reads them from the catalog.

It also builds the package table ``data/calibration/activations.csv``: activation
and depthwise-convolution elements of every catalog variant whose layer list is
known (:mod:`slimplace.calibration.architectures`), plus the Once-for-All subnets
with the proxy constant and the depthwise share of MobileNetV3-Large (their
design space).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from slimplace.calibration.architectures import (
    ArchCounts,
    mobilenet_v1,
    mobilenet_v2,
    mobilenet_v3,
)
from slimplace.calibration.features import VariantFeatures, variant_features
from slimplace.catalog import Catalog, load_catalog
from slimplace.scenario.model import Variant

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_V1 = frozenset({"mobilenet-v1", "s-mobilenet-v1", "us-mobilenet-v1"})
_V2 = frozenset({"mobilenet-v2", "s-mobilenet-v2", "us-mobilenet-v2", "mobilenet-v2-tv"})
_V3 = frozenset({"mobilenet-v3", "mobilenet-v3-tv"})
#: Families without a layer list, mapped to the architecture whose proxy constant they use.
PROXY_FAMILIES: Mapping[str, str] = {"ofa-mobilenet-v3": "MobileNetV3-Large 1.0 224"}


def layer_counts(family: str, variant: Variant) -> ArchCounts | None:
    """Counts from the layer table of the variant's architecture, if the family has one."""
    width = variant.width if variant.width is not None else 1.0
    resolution = variant.resolution if variant.resolution is not None else 224
    classes = 1000 if family.endswith("-tv") else 1001
    if family in _V1:
        return mobilenet_v1(width, resolution, classes)
    if family in _V2:
        return mobilenet_v2(width, resolution, classes)
    if family in _V3:
        size = "small" if "small" in variant.name.lower() else "large"
        minimal = "minimalistic" in variant.name.lower()
        return mobilenet_v3(size, width, resolution, minimalistic=minimal, classes=classes)
    return None


def _reference(architecture: str) -> ArchCounts:
    if architecture != "MobileNetV3-Large 1.0 224":
        raise KeyError(architecture)
    return mobilenet_v3("large", 1.0, 224)


def proxy_kappa(architecture: str) -> float:
    """Activation elements per (MAC / sqrt(param)) of a named reference architecture."""
    c = _reference(architecture)
    return c.activation_elements / (c.macs / np.sqrt(c.params))


def proxy_depthwise_share(architecture: str) -> float:
    """Share of a named reference architecture's activation elements moved by depthwise convs."""
    c = _reference(architecture)
    return c.depthwise_elements / c.activation_elements


def activation_rows(catalog: Catalog | None = None) -> list[dict[str, str]]:
    """Rows of ``activations.csv`` for every catalog variant with a layer list or proxy family.

    ``layer_flops`` is empty for proxy rows: their depthwise traffic is a share,
    not a layer walk, and does not identify the depthwise bandwidth in a fit.
    """
    cat = load_catalog() if catalog is None else catalog
    rows = []
    for family in sorted(cat.families):
        for v in cat.families[family].variants:
            counts = layer_counts(family, v)
            if counts is not None:
                elements = counts.activation_elements
                depthwise = counts.depthwise_elements
                layer_flops = f"{2.0 * counts.macs:.6g}"
                method = (
                    f"layer table ({counts.operators} operators); layer-table MACs "
                    f"{counts.macs / 1e6:.1f} M vs published {v.flops / 2e6:.1f} M"
                )
            elif family in PROXY_FAMILIES:
                ref = PROXY_FAMILIES[family]
                kappa = proxy_kappa(ref)
                elements = kappa * (v.flops / 2.0) / np.sqrt(v.params)
                share = proxy_depthwise_share(ref)
                depthwise = share * elements
                layer_flops = ""
                method = (
                    f"proxy {kappa:.1f} x MACs / sqrt(params), depthwise share {share:.3f} "
                    f"(of {ref})"
                )
            else:
                continue
            rows.append(
                {
                    "family": family,
                    "variant": v.name,
                    "flops": repr(float(v.flops)),
                    "layer_flops": layer_flops,
                    "activation_elements": f"{elements:.6g}",
                    "depthwise_elements": f"{depthwise:.6g}",
                    "method": method,
                }
            )
    return rows


@dataclass(frozen=True, slots=True)
class Measurements:
    """Published latencies of one device class: one entry per (variant, measurement)."""

    device_class: str
    family: tuple[str, ...]
    variant: tuple[str, ...]
    features: VariantFeatures
    latency_s: FloatArray
    batch_size: IntArray
    source: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.latency_s)


def published_measurements(catalog: Catalog | None = None) -> dict[str, Measurements]:
    """Every catalog measurement, grouped by device class (sorted by name)."""
    cat = load_catalog() if catalog is None else catalog
    found: dict[str, list[tuple[str, Variant, float, int, str]]] = {}
    for family in sorted(cat.families):
        for v in cat.families[family].variants:
            for m in v.measured:
                found.setdefault(m.device_class, []).append(
                    (family, v, m.latency_s, m.batch_size, m.source)
                )
    out = {}
    for device in sorted(found):
        rows = found[device]
        out[device] = Measurements(
            device_class=device,
            family=tuple(r[0] for r in rows),
            variant=tuple(r[1].name for r in rows),
            features=variant_features(r[1] for r in rows),
            latency_s=np.array([r[2] for r in rows], dtype=np.float64),
            batch_size=np.array([r[3] for r in rows], dtype=np.int64),
            source=tuple(r[4] for r in rows),
        )
    return out
