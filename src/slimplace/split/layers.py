"""A small layer language for per-block profiles of CNNs: count, or build in PyTorch.

A network is a tuple of named blocks, each a tuple of layers. :func:`walk` follows the
tensor shape through the blocks and counts, per block, the FLOPs (2 x multiply-
accumulates of convolutions and fully connected layers, the convention of the catalog
and of ``torch.utils.flop_counter``), the parameters (weights, biases, batch-norm scale
and shift) and the elements of the block's output tensor, which is what crosses the
network when the model is cut after that block (Neurosurgeon, Kang et al., ASPLOS 2017,
sec. 3). :mod:`slimplace.split.torch_check` builds the same layers as ``torch.nn``
modules and checks the counts against PyTorch's.

Convolutions are padded ``k // 2`` (output side ``ceil(side / stride)``), followed by
batch norm and the activation, as in torchvision's ``Conv2dNormActivation``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Activations by name (the torch builder maps them to modules; counting ignores them).
ACTIVATIONS = ("relu", "relu6", "hswish", "silu")


@dataclass(frozen=True, slots=True)
class Conv:
    """Convolution + batch norm + activation; ``groups=0`` is depthwise."""

    cout: int
    k: int = 1
    stride: int = 1
    groups: int = 1
    act: str | None = "relu"
    bn: bool = True
    bias: bool = False


@dataclass(frozen=True, slots=True)
class InvertedResidual:
    """MobileNetV2/V3 and EfficientNet block: 1x1 expansion to ``hidden`` (left out when
    ``hidden`` equals the input channels), k x k depthwise, optional squeeze-and-excite
    to ``se`` channels (gate ``sigmoid`` or hard sigmoid), linear 1x1 projection, and
    the input added back when the shape is kept (Sandler et al. 2018; Howard et al.
    2019; Tan & Le 2019)."""

    hidden: int
    cout: int
    k: int = 3
    stride: int = 1
    se: int = 0
    act: str = "relu6"
    se_act: str = "relu"
    se_gate: str = "hsigmoid"


@dataclass(frozen=True, slots=True)
class Residual:
    """ResNet basic (``mid == 0``: two 3x3) or bottleneck (1x1 to ``mid``, 3x3 with the
    stride, 1x1 to ``cout``) block with a 1x1 projection shortcut where the shape
    changes (He et al., CVPR 2016; torchvision's stride on the 3x3, "ResNet v1.5")."""

    cout: int
    stride: int = 1
    mid: int = 0


@dataclass(frozen=True, slots=True)
class MaxPool:
    """Max pooling, ``k`` x ``k``, padded ``k // 2``."""

    k: int = 3
    stride: int = 2


@dataclass(frozen=True, slots=True)
class Classifier:
    """Global average pool, optional hidden fully connected layer + activation, logits."""

    classes: int = 1000
    hidden: int = 0
    act: str = "hswish"


@dataclass(frozen=True, slots=True)
class Opaque:
    """A block given by its counts only (a published remainder, e.g. a detection head):
    not built in PyTorch, so the cross-check skips it."""

    flops: float
    params: float
    out_elements: int


Layer = Conv | InvertedResidual | Residual | MaxPool | Classifier | Opaque


@dataclass(frozen=True, slots=True)
class Block:
    """One cut unit: the model can be cut after it."""

    name: str
    layers: tuple[Layer, ...]


@dataclass(frozen=True, slots=True)
class BlockCounts:
    """Counts of one block at batch 1."""

    name: str
    flops: float
    params: float
    out_shape: tuple[int, ...]

    @property
    def out_elements(self) -> int:
        """Elements of the block's output tensor."""
        return math.prod(self.out_shape)


class _Counter:
    """Follows the shape (channels, side) and accumulates MACs and parameters."""

    def __init__(self, channels: int, side: int) -> None:
        self.c, self.side = channels, side
        self.macs = 0.0
        self.params = 0.0
        self.shape: tuple[int, ...] = (channels, side, side)

    def conv(self, layer: Conv) -> None:
        groups = self.c if layer.groups == 0 else layer.groups
        out = math.ceil(self.side / layer.stride)
        per_out = layer.k * layer.k * (self.c // groups)
        self.macs += per_out * layer.cout * out * out
        self.params += per_out * layer.cout + (2 * layer.cout if layer.bn else 0)
        self.params += layer.cout if layer.bias else 0
        self.c, self.side = layer.cout, out
        self.shape = (self.c, out, out)

    def inverted(self, b: InvertedResidual) -> None:
        if b.hidden != self.c:
            self.conv(Conv(b.hidden, 1, act=b.act))
        self.conv(Conv(b.hidden, b.k, b.stride, groups=0, act=b.act))
        if b.se:
            self.macs += 2 * b.hidden * b.se
            self.params += 2 * b.hidden * b.se + b.se + b.hidden
        self.conv(Conv(b.cout, 1, act=None))

    def residual(self, b: Residual) -> None:
        cin, side = self.c, self.side
        if b.mid:
            self.conv(Conv(b.mid, 1))
            self.conv(Conv(b.mid, 3, b.stride))
            self.conv(Conv(b.cout, 1, act=None))
        else:
            self.conv(Conv(b.cout, 3, b.stride))
            self.conv(Conv(b.cout, 3, act=None))
        if b.stride != 1 or cin != b.cout:
            out = math.ceil(side / b.stride)
            self.macs += cin * b.cout * out * out
            self.params += cin * b.cout + 2 * b.cout

    def pool(self, layer: MaxPool) -> None:
        self.side = math.ceil(self.side / layer.stride)
        self.shape = (self.c, self.side, self.side)

    def classifier(self, layer: Classifier) -> None:
        width = self.c
        if layer.hidden:
            self.macs += width * layer.hidden
            self.params += width * layer.hidden + layer.hidden
            width = layer.hidden
        self.macs += width * layer.classes
        self.params += width * layer.classes + layer.classes
        self.c, self.side = layer.classes, 1
        self.shape = (layer.classes,)

    def add(self, layer: Layer) -> None:
        if isinstance(layer, Conv):
            self.conv(layer)
        elif isinstance(layer, InvertedResidual):
            self.inverted(layer)
        elif isinstance(layer, Residual):
            self.residual(layer)
        elif isinstance(layer, MaxPool):
            self.pool(layer)
        elif isinstance(layer, Classifier):
            self.classifier(layer)
        else:
            self.macs += layer.flops / 2.0
            self.params += layer.params
            self.shape = (layer.out_elements,)


def walk(blocks: tuple[Block, ...], resolution: int, in_channels: int = 3) -> list[BlockCounts]:
    """Per-block FLOPs, parameters and output shape of ``blocks`` on one image."""
    counter = _Counter(in_channels, resolution)
    out = []
    for block in blocks:
        macs0, params0 = counter.macs, counter.params
        for layer in block.layers:
            counter.add(layer)
        out.append(
            BlockCounts(
                block.name,
                2.0 * (counter.macs - macs0),
                counter.params - params0,
                counter.shape,
            )
        )
    return out


__all__ = [
    "ACTIVATIONS",
    "Block",
    "BlockCounts",
    "Classifier",
    "Conv",
    "InvertedResidual",
    "Layer",
    "MaxPool",
    "Opaque",
    "Residual",
    "walk",
]
