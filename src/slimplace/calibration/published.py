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
known (:mod:`slimplace.calibration.architectures`: the MobileNets, EfficientNet,
ShuffleNetV2, slimmable ShuffleNet and the AutoSlim networks), plus the
Once-for-All subnets with the proxy constant and the depthwise share of
MobileNetV3-Large (their design space).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.calibration.architectures import (
    EFFICIENTNET_SCALING,
    SHUFFLENET_V2_CHANNELS,
    ArchCounts,
    autoslim,
    efficientnet,
    mobilenet_v1,
    mobilenet_v2,
    mobilenet_v3,
    s_shufflenet,
    shufflenet_v2,
)
from slimplace.calibration.features import VariantFeatures, variant_features
from slimplace.catalog import Catalog, load_catalog
from slimplace.scenario.model import Variant

_V1 = frozenset({"mobilenet-v1", "s-mobilenet-v1", "us-mobilenet-v1"})
_V2 = frozenset({"mobilenet-v2", "s-mobilenet-v2", "us-mobilenet-v2", "mobilenet-v2-tv"})
_V3 = frozenset({"mobilenet-v3", "mobilenet-v3-tv"})
_AUTOSLIM = {
    "autoslim-mobilenet-v1": "mobilenet-v1",
    "autoslim-mobilenet-v2": "mobilenet-v2",
    "autoslim-mnasnet": "mnasnet",
}
#: Families without a layer list, mapped to the architecture whose proxy constant they use.
PROXY_FAMILIES: Mapping[str, str] = {"ofa-mobilenet-v3": "MobileNetV3-Large 1.0 224"}
#: Catalog families whose networks have no depthwise convolution (ResNet, ResNeXt, GoogLeNet,
#: Inception-V3 and their slimmable, AutoSlim and Once-for-All versions; the YOLOv5/v8
#: CSP-Darknet detectors): their zero depthwise traffic is a fact, not a missing layer list.
#: Every other catalog family has a layer list or a proxy share, except
#: :data:`COUNTS_ONLY_FAMILIES`.
NO_DEPTHWISE_FAMILIES = frozenset(
    {
        "resnet",
        "resnext",
        "googlenet",
        "inception-v3",
        "s-resnet-50",
        "autoslim-resnet-50",
        "ofa-resnet50d",
        "yolov5",
        "yolov8",
    }
)
#: Detection and segmentation families known by their published counts only (FLOPs,
#: parameters; no layer list, some variants with depthwise convolutions, some without):
#: their activation traffic is the generic proxy and they get no depthwise term, as
#: variants of unknown architecture do (:mod:`slimplace.calibration.features`).
COUNTS_ONLY_FAMILIES = frozenset({"efficientdet", "tv-detection", "tv-segmentation"})


def _name_number(pattern: str, name: str) -> str | None:
    match = re.search(pattern, name)
    return None if match is None else match.group(1)


def layer_counts(family: str, variant: Variant) -> ArchCounts | None:
    """Counts from the layer table of the variant's architecture, if the family has one.

    Architectures are read from the family and the variant's name, width and
    resolution: MobileNetV1/V2/V3 (TF-Slim and torchvision, slimmable and
    universally slimmable), EfficientNet-B0..B7 (``efficientnet_bN``, at the
    variant's resolution: torchvision evaluates B2 at 288, not the paper's 260),
    ShuffleNetV2 (``shufflenet_v2_x1_5``), slimmable ShuffleNet, and the AutoSlim
    networks (``autoslim-mnasnet-315m``: the channel list of that MMAC count).
    """
    width = variant.width if variant.width is not None else 1.0
    resolution = variant.resolution if variant.resolution is not None else 224
    classes = 1000 if family.endswith("-tv") else 1001
    name = variant.name.lower()
    if family in _V1:
        return mobilenet_v1(width, resolution, classes)
    if family in _V2:
        return mobilenet_v2(width, resolution, classes)
    if family in _V3:
        size = "small" if "small" in name else "large"
        minimal = "minimalistic" in name
        return mobilenet_v3(size, width, resolution, minimalistic=minimal, classes=classes)
    if family == "efficientnet":
        b = _name_number(r"efficientnet_b(\d)", name)
        if b is None or int(b) >= len(EFFICIENTNET_SCALING):
            return None
        w, depth, _ = EFFICIENTNET_SCALING[int(b)]
        return efficientnet(w, depth, resolution)
    if family == "shufflenet-v2":
        x = _name_number(r"_x(\d_\d)", name)
        shuffle_width = None if x is None else float(x.replace("_", "."))
        if shuffle_width not in SHUFFLENET_V2_CHANNELS:
            return None
        return shufflenet_v2(shuffle_width, resolution)
    if family == "s-shufflenet":
        return s_shufflenet(width, resolution)
    if family in _AUTOSLIM:
        mmacs = _name_number(r"-(\d+)m$", name)
        try:
            return None if mmacs is None else autoslim(_AUTOSLIM[family], int(mmacs), resolution)
        except KeyError:  # an AutoSlim network whose channel list is not in the table
            return None
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
