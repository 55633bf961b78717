"""Block lists of the networks the split-computing profiles cover (input 224 x 224 unless
stated). Each block is a cut point: the model can be cut after any block.

Layer tables:

- MobileNetV1: Howard et al. 2017 (arXiv:1704.04861), Table 1 (one depthwise-separable
  pair per block).
- MobileNetV2 (and the slimmable S-MobileNetV2 widths, Yu et al., ICLR 2019): Sandler et
  al. 2018 (arXiv:1801.04381), Table 2, channels by ``make_divisible`` as torchvision.
- MobileNetV3-Large: Howard et al. 2019 (arXiv:1905.02244), Table 1, as torchvision's
  ``mobilenetv3.py`` (SE squeeze ``make_divisible(expanded / 4)``).
- ResNet-18/50: He et al., CVPR 2016, Table 1 (torchvision ``resnet.py``).
- EfficientNet-B0: Tan & Le 2019 (arXiv:1905.11946), Table 1 (SE squeeze = block input / 4).
- SSDlite320-MobileNetV3-Large (detector): its MobileNetV3-Large backbone at 320 x 320,
  then the SSDlite head and extra layers as one opaque block holding the published
  total's remainder (catalog ``tv-detection``; torchvision 0.29 weights metadata).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slimplace.calibration.architectures import make_divisible
from slimplace.split.layers import (
    Block,
    Classifier,
    Conv,
    InvertedResidual,
    MaxPool,
    Opaque,
    Residual,
)


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """A network at one width and resolution, as blocks."""

    name: str
    width: float
    resolution: int
    blocks: tuple[Block, ...]


def mobilenet_v1(width: float = 1.0, resolution: int = 224) -> NetworkSpec:
    """MobileNetV1 at ``width``: stem, 13 depthwise-separable blocks, classifier."""

    def ch(c: int) -> int:
        return max(int(c * width), 8)

    rows = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)]
    rows += [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    blocks = [Block("stem", (Conv(ch(32), 3, 2, act="relu6"),))]
    for i, (c, s) in enumerate(rows, start=1):
        dw = Conv(0, 3, s, groups=0, act="relu6")
        blocks.append(Block(f"dws{i}", (dw, Conv(ch(c), 1, act="relu6"))))
    blocks.append(Block("classifier", (Classifier(1000),)))
    return NetworkSpec("mobilenet_v1", width, resolution, _fill_depthwise(blocks, ch(32)))


def _fill_depthwise(blocks: list[Block], stem_channels: int) -> tuple[Block, ...]:
    """Depthwise convolutions keep their input channels: fill ``cout=0`` placeholders."""
    out, c = [], 3
    for block in blocks:
        layers = []
        for layer in block.layers:
            if isinstance(layer, Conv) and layer.groups == 0 and layer.cout == 0:
                layer = Conv(c, layer.k, layer.stride, 0, layer.act)
            if isinstance(layer, Conv):
                c = layer.cout
            layers.append(layer)
        out.append(Block(block.name, tuple(layers)))
    return tuple(out)


def mobilenet_v2(width: float = 1.0, resolution: int = 224) -> NetworkSpec:
    """MobileNetV2 at ``width``: stem, 17 inverted residual blocks, 1x1 conv, classifier."""
    table = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2)]
    table += [(6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    cin = make_divisible(32 * width)
    blocks = [Block("stem", (Conv(cin, 3, 2, act="relu6"),))]
    for t, c, n, s in table:
        cout = make_divisible(c * width)
        for i in range(n):
            hidden = round(cin * t)
            layer = InvertedResidual(hidden, cout, 3, s if i == 0 else 1, act="relu6")
            blocks.append(Block(f"ir{len(blocks)}", (layer,)))
            cin = cout
    last = make_divisible(1280 * max(1.0, width))
    blocks.append(Block("conv_last", (Conv(last, 1, act="relu6"),)))
    blocks.append(Block("classifier", (Classifier(1000),)))
    return NetworkSpec("mobilenet_v2", width, resolution, tuple(blocks))


#: MobileNetV3-Large bnecks: kernel, expanded, out, SE, activation, stride (Howard et al. 2019).
_V3_LARGE = (
    (3, 16, 16, False, "relu", 1),
    (3, 64, 24, False, "relu", 2),
    (3, 72, 24, False, "relu", 1),
    (5, 72, 40, True, "relu", 2),
    (5, 120, 40, True, "relu", 1),
    (5, 120, 40, True, "relu", 1),
    (3, 240, 80, False, "hswish", 2),
    (3, 200, 80, False, "hswish", 1),
    (3, 184, 80, False, "hswish", 1),
    (3, 184, 80, False, "hswish", 1),
    (3, 480, 112, True, "hswish", 1),
    (3, 672, 112, True, "hswish", 1),
    (5, 672, 160, True, "hswish", 2),
    (5, 960, 160, True, "hswish", 1),
    (5, 960, 160, True, "hswish", 1),
)


def _v3_backbone() -> list[Block]:
    blocks = [Block("stem", (Conv(16, 3, 2, act="hswish"),))]
    for k, exp, out, se, act, s in _V3_LARGE:
        squeeze = make_divisible(exp // 4) if se else 0
        layer = InvertedResidual(exp, out, k, s, squeeze, act, "relu", "hsigmoid")
        blocks.append(Block(f"bneck{len(blocks)}", (layer,)))
    blocks.append(Block("conv_last", (Conv(960, 1, act="hswish"),)))
    return blocks


def mobilenet_v3_large(width: float = 1.0, resolution: int = 224) -> NetworkSpec:
    """MobileNetV3-Large (width 1): stem, 15 bnecks, 1x1 conv, classifier with a hidden layer."""
    blocks = [*_v3_backbone(), Block("classifier", (Classifier(1000, 1280, "hswish"),))]
    return NetworkSpec("mobilenet_v3_large", 1.0, resolution, tuple(blocks))


#: SSDlite320-MobileNetV3-Large published totals (catalog ``tv-detection``): FLOPs, params.
SSDLITE_FLOPS, SSDLITE_PARAMS = 1.166e9, 3_440_060.0
#: Detections returned: 300 boxes x (4 coordinates + score + label) (torchvision default).
SSDLITE_OUT = 300 * 6


def ssdlite320_mobilenet_v3_large(width: float = 1.0, resolution: int = 320) -> NetworkSpec:
    """The SSDlite detector: MobileNetV3-Large backbone blocks, then the head as one
    opaque block with the published total's remainder of FLOPs and parameters."""
    from slimplace.split.layers import walk

    backbone = _v3_backbone()
    counted = walk(tuple(backbone), resolution)
    flops = SSDLITE_FLOPS - sum(b.flops for b in counted)
    params = max(0.0, SSDLITE_PARAMS - sum(b.params for b in counted))
    head = Block("ssd_head", (Opaque(flops, params, SSDLITE_OUT),))
    return NetworkSpec("ssdlite320_mobilenet_v3_large", 1.0, resolution, (*backbone, head))


def _resnet(name: str, depths: tuple[int, ...], bottleneck: bool) -> NetworkSpec:
    stem = (Conv(64, 7, 2), MaxPool(3, 2))
    blocks = [Block("stem", stem)]
    for stage, (n, mid) in enumerate(zip(depths, (64, 128, 256, 512), strict=True), start=1):
        for i in range(n):
            stride = 2 if (i == 0 and stage > 1) else 1
            layer = Residual(4 * mid, stride, mid) if bottleneck else Residual(mid, stride)
            blocks.append(Block(f"layer{stage}.{i}", (layer,)))
    blocks.append(Block("classifier", (Classifier(1000),)))
    return NetworkSpec(name, 1.0, 224, tuple(blocks))


def resnet18(width: float = 1.0, resolution: int = 224) -> NetworkSpec:
    """ResNet-18: stem, 8 basic blocks, classifier."""
    return _resnet("resnet18", (2, 2, 2, 2), False)


def resnet50(width: float = 1.0, resolution: int = 224) -> NetworkSpec:
    """ResNet-50: stem, 16 bottleneck blocks, classifier."""
    return _resnet("resnet50", (3, 4, 6, 3), True)


def efficientnet_b0(width: float = 1.0, resolution: int = 224) -> NetworkSpec:
    """EfficientNet-B0: stem, 16 MBConv blocks (SE, SiLU), 1x1 conv, classifier."""
    table = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3)]
    table += [(6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
    cin = 32
    blocks = [Block("stem", (Conv(32, 3, 2, act="silu"),))]
    for t, k, s, c, n in table:
        for i in range(n):
            squeeze = max(1, cin // 4)
            layer = InvertedResidual(cin * t, c, k, s if i == 0 else 1, squeeze, "silu", "silu")
            blocks.append(Block(f"mb{len(blocks)}", (_gate(layer),)))
            cin = c
    blocks.append(Block("conv_last", (Conv(1280, 1, act="silu"),)))
    blocks.append(Block("classifier", (Classifier(1000),)))
    return NetworkSpec("efficientnet_b0", 1.0, 224, tuple(blocks))


def _gate(layer: InvertedResidual) -> InvertedResidual:
    return InvertedResidual(
        layer.hidden, layer.cout, layer.k, layer.stride, layer.se, layer.act, "silu", "sigmoid"
    )


#: Builders by network name.
NETWORKS: dict[str, Callable[[float, int], NetworkSpec]] = {
    "mobilenet_v1": mobilenet_v1,
    "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3_large": mobilenet_v3_large,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "efficientnet_b0": efficientnet_b0,
    "ssdlite320_mobilenet_v3_large": ssdlite320_mobilenet_v3_large,
}

#: (network, width, resolution) rows of the shipped table (``data/split/blocks.csv``):
#: the real networks at width 1, and the slimmable MobileNetV2's widths.
PROFILED: tuple[tuple[str, float, int], ...] = (
    ("mobilenet_v1", 1.0, 224),
    ("mobilenet_v2", 1.0, 224),
    ("mobilenet_v2", 0.75, 224),
    ("mobilenet_v2", 0.5, 224),
    ("mobilenet_v2", 0.35, 224),
    ("mobilenet_v3_large", 1.0, 224),
    ("resnet18", 1.0, 224),
    ("resnet50", 1.0, 224),
    ("efficientnet_b0", 1.0, 224),
    ("ssdlite320_mobilenet_v3_large", 1.0, 320),
)


def network(name: str, width: float = 1.0, resolution: int = 224) -> NetworkSpec:
    """The spec of ``name`` at ``width`` and ``resolution``."""
    return NETWORKS[name](width, resolution)


__all__ = ["NETWORKS", "PROFILED", "NetworkSpec", "network"]
