"""Layer tables of mobile CNNs: MACs, parameters and activation traffic.

The latency model needs the bytes a variant moves through memory, which no
published table gives. For the families whose layer list is published this
module walks the layers and counts, per operator, the elements it reads and
writes (its input and output tensors), the roofline's memory traffic (Williams,
Waterman & Patterson, "Roofline", CACM 52(4), 2009). Operators the runtime fuses
(batch norm and ReLU/ReLU6 into the preceding convolution, as TF-Lite does) add
nothing; hard-swish (a separate TF-Lite op), the squeeze-and-excitation pooling
and rescaling, and residual additions are counted as their own passes. The
traffic of depthwise convolutions is also counted on its own: with k x k MACs per
output element (9 or 25, against the hundreds of a pointwise convolution) they
are bound by memory traffic, not arithmetic (Ma et al., ShuffleNet V2, ECCV
2018, guidelines on memory access cost; nn-Meter, Zhang et al., MobiSys 2021,
predicts depthwise kernels separately).

Layer lists (input 224 x 224, stride, channels, expansion, kernel, SE, activation):

- MobileNetV1: Howard et al. 2017 (arXiv:1704.04861), Table 1.
- MobileNetV2: Sandler et al. 2018 (arXiv:1801.04381), Table 2; the last 1x1 conv
  keeps 1280 channels below width 1 (TF-Slim ``mobilenet_v2.py``).
- MobileNetV3-Large/Small: Howard et al. 2019 (arXiv:1905.02244), Tables 1 and 2;
  "minimalistic" variants drop SE and hard-swish and use 3x3 kernels (TF-Slim
  ``mobilenet_v3.py``); expansion sizes follow TF-Slim's ``expand_input`` (a
  ratio of the actual input channels), channels are rounded by ``_make_divisible``.

- EfficientNet-B0..B7: Tan & Le 2019 (arXiv:1905.11946), Table 1 and compound
  scaling (width, depth, resolution), as torchvision ``efficientnet.py``.
- ShuffleNetV2 x0.5..x2.0: Ma et al. 2018 (arXiv:1807.11164), Table 5.
- Slimmable ShuffleNet: ShuffleNet (V1) units (Zhang et al. 2018, arXiv:1707.01083)
  as built by JiahuiYu/slimmable_networks ``models/s_shufflenet.py``.
- AutoSlim-MobileNetV1/V2 and AutoSlim-MNasNet: the searched channel numbers of
  Yu & Huang 2019 (arXiv:1903.11728), published as ``channel_num_list`` in
  JiahuiYu/slimmable_networks ``apps/autoslim_*_train_val.yml``.
- MnasNet-A1: Tan et al. 2019 (arXiv:1807.11626), tensorflow/tpu ``mnasnet_models.py``.

The counts reproduce the published MACs of EfficientNet, ShuffleNetV2, slimmable
ShuffleNet and the AutoSlim networks within 1.3 %, those of MobileNetV1/V2 and
MobileNetV3-Large up to the published tables' rounding to whole millions, and
MnasNet-A1's within 3 % (checked in the tests); the TF-Slim README gives
MobileNetV3-Small 15-25 % more MACs than its layer table (other errata of the
published tables: ``data/calibration/SOURCES.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ArchCounts:
    """Per-inference counts of one network at one width and resolution (batch 1).

    ``depthwise_elements`` is the part of ``activation_elements`` that depthwise
    convolutions read and write.
    """

    macs: float
    params: float
    activation_elements: float
    operators: int
    depthwise_elements: float = 0.0


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round channels to a multiple of ``divisor``, not below it nor 10 % below ``value``.

    TF-Slim / torchvision ``_make_divisible`` (Sandler et al. 2018 reference code).
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


class _Tally:
    """Accumulates MACs, parameters and elements read plus written per operator."""

    def __init__(self) -> None:
        self.macs = 0.0
        self.params = 0.0
        self.elements = 0.0
        self.operators = 0
        self.depthwise_elements = 0.0

    def conv(
        self,
        c_in: int,
        c_out: int,
        k: int,
        stride: int,
        size: int,
        *,
        depthwise: bool = False,
        separate_activation: bool = False,
        groups: int = 1,
    ) -> int:
        """A convolution (batch norm and ReLU fused); returns the output size.

        ``groups`` splits a dense convolution into groups (ShuffleNet's grouped 1x1);
        a depthwise convolution has one group per channel.
        """
        out = math.ceil(size / stride)
        per_out = k * k * (1 if depthwise else c_in // groups)
        self.macs += per_out * c_out * out * out
        self.params += per_out * c_out + c_out
        self.elements += c_in * size * size + c_out * out * out
        self.operators += 1
        if depthwise:
            self.depthwise_elements += c_in * size * size + c_out * out * out
        if separate_activation:
            self.elementwise(c_out, out)
        return out

    def elementwise(self, channels: int, size: int, inputs: int = 1) -> None:
        """One unfused elementwise operator over a tensor: read ``inputs`` tensors, write one."""
        self.elements += (inputs + 1) * channels * size * size
        self.operators += 1

    def squeeze_excite(self, channels: int, size: int, squeeze: int | None = None) -> None:
        """SE block: global pool (read), two FC layers, rescale (read + write).

        ``squeeze`` defaults to MobileNetV3's ``make_divisible(channels / 4)``.
        """
        squeeze = make_divisible(channels / 4) if squeeze is None else squeeze
        self.macs += 2 * channels * squeeze
        self.params += 2 * channels * squeeze + channels + squeeze
        self.elements += channels * size * size + 2 * channels * size * size
        self.operators += 4

    def pool(self, channels: int, size: int, stride: int, *, padded: bool = True) -> int:
        """A k=3 max or average pooling (read the input, write the output); returns the size.

        ``padded=False`` is a 3x3 window without padding (``floor((size - 3) / stride) + 1``).
        """
        out = math.ceil(size / stride) if padded else (size - 3) // stride + 1
        self.elements += channels * size * size + channels * out * out
        self.operators += 1
        return out

    def inverted_residual(
        self,
        c_in: int,
        hidden: int,
        c_out: int,
        kernel: int,
        stride: int,
        size: int,
        squeeze: int = 0,
    ) -> int:
        """A MobileNetV2 block (Sandler et al. 2018): 1x1 expansion (none when ``hidden``
        is ``c_in``), depthwise ``kernel`` conv, squeeze-and-excitation with ``squeeze``
        channels if given (MnasNet), 1x1 projection, residual addition when the stride
        is 1 and the channels stay; returns the output size."""
        if hidden != c_in:
            self.conv(c_in, hidden, 1, 1, size)
        out = self.conv(hidden, hidden, kernel, stride, size, depthwise=True)
        if squeeze:
            self.squeeze_excite(hidden, out, squeeze)
        self.conv(hidden, c_out, 1, 1, out)
        if stride == 1 and c_in == c_out:
            self.elementwise(c_out, out, inputs=2)
        return out

    def pool_and_classify(self, channels: int, size: int, classes: int) -> None:
        """Global average pooling, then the fully connected classifier."""
        self.elements += channels * size * size + channels
        self.operators += 1
        self.conv(channels, classes, 1, 1, 1)

    def counts(self) -> ArchCounts:
        return ArchCounts(
            self.macs, self.params, self.elements, self.operators, self.depthwise_elements
        )


_V1_BLOCKS = (
    ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2))
    + ((512, 1),) * 5
    + (
        (1024, 2),
        (1024, 1),
    )
)


def mobilenet_v1(width: float, resolution: int, classes: int = 1001) -> ArchCounts:
    """MobileNetV1 at a width multiplier and input resolution (Howard et al. 2017, Table 1)."""
    t = _Tally()
    c_in = make_divisible(32 * width)
    size = t.conv(3, c_in, 3, 2, resolution)
    for channels, stride in _V1_BLOCKS:
        c_out = make_divisible(channels * width)
        size = t.conv(c_in, c_in, 3, stride, size, depthwise=True)
        t.conv(c_in, c_out, 1, 1, size)
        c_in = c_out
    t.pool_and_classify(c_in, size, classes)
    return t.counts()


_V2_BLOCKS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)  # (expansion t, channels c, repeats n, stride s)


def mobilenet_v2(width: float, resolution: int, classes: int = 1001) -> ArchCounts:
    """MobileNetV2 at a width multiplier and input resolution (Sandler et al. 2018, Table 2)."""
    t = _Tally()
    c_in = make_divisible(32 * width)
    size = t.conv(3, c_in, 3, 2, resolution)
    for expansion, channels, repeats, stride in _V2_BLOCKS:
        c_out = make_divisible(channels * width)
        for i in range(repeats):
            s = stride if i == 0 else 1
            size = t.inverted_residual(c_in, c_in * expansion, c_out, 3, s, size)
            c_in = c_out
    last = make_divisible(1280 * width) if width > 1.0 else 1280
    t.conv(c_in, last, 1, 1, size)
    t.pool_and_classify(last, size, classes)
    return t.counts()


# (kernel, expansion channels, output channels, SE, hard-swish, stride), Howard et al. 2019
_V3_LARGE = (
    (3, 16, 16, False, False, 1),
    (3, 64, 24, False, False, 2),
    (3, 72, 24, False, False, 1),
    (5, 72, 40, True, False, 2),
    (5, 120, 40, True, False, 1),
    (5, 120, 40, True, False, 1),
    (3, 240, 80, False, True, 2),
    (3, 200, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 480, 112, True, True, 1),
    (3, 672, 112, True, True, 1),
    (5, 672, 160, True, True, 2),
    (5, 960, 160, True, True, 1),
    (5, 960, 160, True, True, 1),
)
_V3_SMALL = (
    (3, 16, 16, True, False, 2),
    (3, 72, 24, False, False, 2),
    (3, 88, 24, False, False, 1),
    (5, 96, 40, True, True, 2),
    (5, 240, 40, True, True, 1),
    (5, 240, 40, True, True, 1),
    (5, 120, 48, True, True, 1),
    (5, 144, 48, True, True, 1),
    (5, 288, 96, True, True, 2),
    (5, 576, 96, True, True, 1),
    (5, 576, 96, True, True, 1),
)


def mobilenet_v3(
    size_name: str,
    width: float,
    resolution: int,
    *,
    minimalistic: bool = False,
    classes: int = 1001,
) -> ArchCounts:
    """MobileNetV3 ``"large"`` or ``"small"`` (Howard et al. 2019, Tables 1-2)."""
    blocks, last_c, head_c = (
        (_V3_LARGE, 960, 1280) if size_name == "large" else (_V3_SMALL, 576, 1024)
    )
    t = _Tally()
    swish = not minimalistic
    c_in = make_divisible(16 * width)
    size = t.conv(3, c_in, 3, 2, resolution, separate_activation=swish)
    nominal_in = 16
    for kernel, exp, out, se, hs, stride in blocks:
        if minimalistic:
            kernel, se, hs = 3, False, False
        hidden = make_divisible(c_in * exp / nominal_in)
        c_out = make_divisible(out * width)
        if hidden > c_in:
            t.conv(c_in, hidden, 1, 1, size, separate_activation=hs)
        new_size = t.conv(
            hidden, hidden, kernel, stride, size, depthwise=True, separate_activation=hs
        )
        if se:
            t.squeeze_excite(hidden, new_size)
        t.conv(hidden, c_out, 1, 1, new_size)
        if stride == 1 and c_in == c_out:
            t.elementwise(c_out, new_size, inputs=2)
        size, c_in, nominal_in = new_size, c_out, out
    last = make_divisible(last_c * width)
    t.conv(c_in, last, 1, 1, size, separate_activation=swish)
    t.elements += last * size * size + last
    t.operators += 1
    head = make_divisible(head_c * width) if width > 1.0 else head_c
    t.conv(last, head, 1, 1, 1, separate_activation=swish)
    t.conv(head, classes, 1, 1, 1)
    return t.counts()


# (expansion, kernel, stride, channels, repeats) of EfficientNet-B0, Tan & Le 2019, Table 1
_EFFICIENTNET_B0 = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
#: (width, depth, resolution) coefficients of EfficientNet-B0..B7 (Tan & Le 2019,
#: compound scaling; torchvision ``efficientnet.py``).
EFFICIENTNET_SCALING = (
    (1.0, 1.0, 224),
    (1.0, 1.1, 240),
    (1.1, 1.2, 260),
    (1.2, 1.4, 300),
    (1.4, 1.8, 380),
    (1.6, 2.2, 456),
    (1.8, 2.6, 528),
    (2.0, 3.1, 600),
)


def efficientnet(width: float, depth: float, resolution: int, classes: int = 1000) -> ArchCounts:
    """EfficientNet at compound-scaling coefficients (Tan & Le, ICML 2019, Table 1).

    Stage channels ``make_divisible(c x width)``, repeats ``ceil(n x depth)``, the
    last 1x1 conv 4 x the last stage's channels, SE on the expanded channels with
    ``input channels / 4`` squeeze channels, SiLU after every convolution but the
    projection (counted as its own pass, like hard-swish), as in torchvision's
    ``efficientnet.py``.
    """
    t = _Tally()
    c_in = make_divisible(32 * width)
    size = t.conv(3, c_in, 3, 2, resolution, separate_activation=True)
    for expansion, kernel, stride, channels, repeats in _EFFICIENTNET_B0:
        c_out = make_divisible(channels * width)
        for i in range(math.ceil(repeats * depth)):
            s = stride if i == 0 else 1
            hidden = make_divisible(c_in * expansion)
            if hidden != c_in:
                t.conv(c_in, hidden, 1, 1, size, separate_activation=True)
            new_size = t.conv(
                hidden, hidden, kernel, s, size, depthwise=True, separate_activation=True
            )
            t.squeeze_excite(hidden, new_size, max(1, c_in // 4))
            t.conv(hidden, c_out, 1, 1, new_size)
            if s == 1 and c_in == c_out:
                t.elementwise(c_out, new_size, inputs=2)
            size, c_in = new_size, c_out
    last = 4 * c_in
    t.conv(c_in, last, 1, 1, size, separate_activation=True)
    t.pool_and_classify(last, size, classes)
    return t.counts()


#: Stage output channels and the last conv's of ShuffleNetV2 by width (Ma et al. 2018, Table 5).
SHUFFLENET_V2_CHANNELS = {
    0.5: (48, 96, 192, 1024),
    1.0: (116, 232, 464, 1024),
    1.5: (176, 352, 704, 1024),
    2.0: (244, 488, 976, 2048),
}
_SHUFFLENET_V2_REPEATS = (4, 8, 4)


def shufflenet_v2(width: float, resolution: int = 224, classes: int = 1000) -> ArchCounts:
    """ShuffleNetV2 at width 0.5, 1.0, 1.5 or 2.0 (Ma et al., ECCV 2018, Table 5 and Fig. 3).

    A basic unit convolves half its channels (1x1, 3x3 depthwise, 1x1) and passes the
    other half through; a downsampling unit convolves the whole input in both
    branches. The concatenation and the channel shuffle are counted as one copy
    pass each (the channel split is a view), as in torchvision's ``shufflenetv2.py``.
    """
    t = _Tally()
    size = t.conv(3, 24, 3, 2, resolution)
    size = t.pool(24, size, 2)
    c_in = 24
    *stages, last = SHUFFLENET_V2_CHANNELS[width]
    for c_out, repeats in zip(stages, _SHUFFLENET_V2_REPEATS, strict=True):
        half = c_out // 2
        new_size = t.conv(c_in, c_in, 3, 2, size, depthwise=True)
        t.conv(c_in, half, 1, 1, new_size)
        t.conv(c_in, half, 1, 1, size)
        t.conv(half, half, 3, 2, size, depthwise=True)
        t.conv(half, half, 1, 1, new_size)
        size = new_size
        for i in range(repeats):
            if i > 0:
                t.conv(half, half, 1, 1, size)
                t.conv(half, half, 3, 1, size, depthwise=True)
                t.conv(half, half, 1, 1, size)
            t.elementwise(c_out, size)  # concatenation
            t.elementwise(c_out, size)  # channel shuffle
        c_in = c_out
    t.conv(c_in, last, 1, 1, size)
    t.pool_and_classify(last, size, classes)
    return t.counts()


_S_SHUFFLENET_STAGES = ((240, 4), (480, 8), (960, 4))


def s_shufflenet(
    width: float, resolution: int = 224, classes: int = 1000, groups: int = 3
) -> ArchCounts:
    """Slimmable ShuffleNet (Yu et al., ICLR 2019): ShuffleNet (V1) units with 3 groups.

    ``models/s_shufflenet.py`` and ``apps/s_shufflenet_train_val.yml`` of
    JiahuiYu/slimmable_networks: stem of ``int(24 x width)`` channels and a 3x3
    max pool without padding, stages of ``int(c x width)`` channels for c = 240,
    480, 960 (4, 8, 4 units), bottleneck a quarter of the output; a unit is a
    grouped 1x1 conv (dense in the first unit), channel shuffle, 3x3 depthwise
    conv, grouped 1x1 conv, then a residual addition or, in downsampling units, a
    concatenation with the 3x3 average-pooled input (Zhang et al., ShuffleNet,
    CVPR 2018, Fig. 2).
    """
    t = _Tally()
    c_in = int(24 * width)
    size = t.conv(3, c_in, 3, 2, resolution)
    size = t.pool(c_in, size, 2, padded=False)
    first = True
    for channels, repeats in _S_SHUFFLENET_STAGES:
        c_out = int(channels * width)
        for i in range(repeats):
            stride = 2 if i == 0 else 1
            residual = stride == 1 and c_in == c_out
            branch_out = c_out if residual else c_out - c_in
            mid = c_out // 4
            t.conv(c_in, mid, 1, 1, size, groups=1 if first else groups)
            t.elementwise(mid, size)  # channel shuffle
            new_size = t.conv(mid, mid, 3, stride, size, depthwise=True)
            t.conv(mid, branch_out, 1, 1, new_size, groups=groups)
            if residual:
                t.elementwise(c_out, new_size, inputs=2)
            else:
                t.pool(c_in, size, stride)
                t.elementwise(c_out, new_size)  # concatenation
            size, c_in, first = new_size, c_out, False
    t.pool_and_classify(c_in, size, classes)
    return t.counts()


def _channels(text: str) -> tuple[int, ...]:
    return tuple(int(c) for c in text.split())


# AutoSlim's searched channel numbers (Yu & Huang, arXiv:1903.11728), keyed by the README's
# MMACs: ``channel_num_list`` of JiahuiYu/slimmable_networks
# apps/autoslim_mobilenet_v1_train_val.yml @3a4c4fd64428d47bb520af2ecb1d8e772afd9f66 and
# apps/autoslim_{mobilenet_v2,mnasnet}_train_val.yml @e470c2ceb4e97ec68eaddd30a41305f8eaf710d4
# (the trailing 1000, the classes, dropped). Channel counts are architecture facts; no code
# of that repository (CC BY-NC 4.0) is copied.

#: MobileNetV1: stem, then the output of each of the 13 depthwise-separable blocks.
AUTOSLIM_MOBILENET_V1 = {
    150: _channels("16 32 48 48 88 88 224 176 224 368 320 224 744 744"),
    325: _channels("16 32 48 64 112 184 320 368 320 416 464 560 1128 1128"),
    572: _channels("24 64 128 144 232 232 560 464 512 464 560 560 1128 1128"),
}
#: MobileNetV2: stem, first block's output, (expanded, output) of 16 blocks, last conv.
AUTOSLIM_MOBILENET_V2 = {
    207: _channels(
        "8 8 96 16 96 16 96 24 144 24 144 24 144 48 288 48 288 48 288 "
        "48 288 64 432 64 432 64 648 176 720 176 720 176 1440 280 1920"
    ),
    305: _channels(
        "8 8 96 16 96 16 96 24 144 24 144 24 144 56 288 56 288 56 288 "
        "56 288 96 432 96 432 96 864 240 1440 240 960 240 1440 480 1920"
    ),
    505: _channels(
        "32 16 144 24 176 24 192 48 240 48 144 48 264 88 288 88 336 88 "
        "432 88 576 144 576 144 648 144 864 240 1440 240 1440 240 1440 480 1920"
    ),
}
#: MnasNet (B1, no SE): same layout as MobileNetV2 (the 532 M model's list says 539 M).
AUTOSLIM_MNASNET = {
    217: _channels(
        "16 8 24 16 48 16 24 16 48 32 48 32 48 32 192 56 400 56 400 "
        "56 400 80 432 80 648 192 864 192 864 192 864 192 1728 280 1280"
    ),
    315: _channels(
        "16 8 40 24 48 24 40 24 48 40 80 40 48 40 352 64 400 64 400 "
        "64 464 80 432 80 792 288 864 288 864 288 1008 288 1728 360 1920"
    ),
    532: _channels(
        "16 8 64 32 56 32 72 32 104 64 128 64 96 64 384 104 528 104 464 "
        "104 720 128 576 128 864 288 1584 288 1728 288 1728 288 1728 480 1920"
    ),
}
_V2_STRIDES = (1, 2, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1)
#: (stride, kernel) of the 17 MnasNet-B1 blocks (Tan et al., CVPR 2019; AutoSlim's ``models/``).
_MNASNET_BLOCKS = tuple(
    zip(
        (1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 2, 1, 1, 1, 1),
        (3, 3, 3, 3, 5, 5, 5, 5, 5, 5, 3, 3, 5, 5, 5, 5, 3),
        strict=True,
    )
)


def mobilenet_v1_channels(
    channels: tuple[int, ...], resolution: int = 224, classes: int = 1000
) -> ArchCounts:
    """MobileNetV1 with explicit channel numbers: stem, then the 13 blocks' outputs."""
    if len(channels) != 1 + len(_V1_BLOCKS):
        raise ValueError(f"expected {1 + len(_V1_BLOCKS)} channel numbers, got {len(channels)}")
    t = _Tally()
    c_in = channels[0]
    size = t.conv(3, c_in, 3, 2, resolution)
    for c_out, (_, stride) in zip(channels[1:], _V1_BLOCKS, strict=True):
        size = t.conv(c_in, c_in, 3, stride, size, depthwise=True)
        t.conv(c_in, c_out, 1, 1, size)
        c_in = c_out
    t.pool_and_classify(c_in, size, classes)
    return t.counts()


def inverted_residual_channels(
    channels: tuple[int, ...],
    blocks: tuple[tuple[int, int], ...],
    resolution: int = 224,
    classes: int = 1000,
) -> ArchCounts:
    """MobileNetV2-style network with explicit channel numbers (AutoSlim's layout).

    ``channels``: stem, first block's output (it does not expand), then
    (expanded, output) per later block, then the last 1x1 conv; ``blocks``:
    (stride, kernel) per block. Batch norm and ReLU6 fused, residual additions
    where stride 1 keeps the channels (``models/autoslim_mobilenet_v2.py``).
    """
    if len(channels) != 2 * len(blocks) + 1:
        raise ValueError(f"expected {2 * len(blocks) + 1} channel numbers, got {len(channels)}")
    t = _Tally()
    c_in = channels[0]
    size = t.conv(3, c_in, 3, 2, resolution)
    for i, (stride, kernel) in enumerate(blocks):
        hidden = c_in if i == 0 else channels[2 * i]
        c_out = channels[2 * i + 1]
        size = t.inverted_residual(c_in, hidden, c_out, kernel, stride, size)
        c_in = c_out
    last = channels[-1]
    t.conv(c_in, last, 1, 1, size)
    t.pool_and_classify(last, size, classes)
    return t.counts()


def autoslim(network: str, mmacs: int, resolution: int = 224) -> ArchCounts:
    """An AutoSlim network (``"mobilenet-v1"``, ``"mobilenet-v2"``, ``"mnasnet"``) by its MMACs."""
    if network == "mobilenet-v1":
        return mobilenet_v1_channels(AUTOSLIM_MOBILENET_V1[mmacs], resolution)
    if network == "mobilenet-v2":
        blocks = tuple((s, 3) for s in _V2_STRIDES)
        return inverted_residual_channels(AUTOSLIM_MOBILENET_V2[mmacs], blocks, resolution)
    if network == "mnasnet":
        return inverted_residual_channels(AUTOSLIM_MNASNET[mmacs], _MNASNET_BLOCKS, resolution)
    raise KeyError(network)


# (repeats, kernel, stride, expansion, channels, SE) of MnasNet-A1 (Tan et al., CVPR 2019,
# Fig. 7; tensorflow/tpu models/official/mnasnet/mnasnet_models.py ``mnasnet_a1``)
_MNASNET_A1 = (
    (1, 3, 1, 1, 16, False),
    (2, 3, 2, 6, 24, False),
    (3, 5, 2, 3, 40, True),
    (4, 3, 2, 6, 80, False),
    (2, 3, 1, 6, 112, True),
    (3, 5, 2, 6, 160, True),
    (1, 3, 1, 6, 320, False),
)


def mnasnet_a1(width: float, resolution: int, classes: int = 1000) -> ArchCounts:
    """MnasNet-A1 at a depth multiplier and input resolution (Tan et al., CVPR 2019).

    As tensorflow/tpu ``mnasnet_model.py``: block channels and the stem rounded by
    ``make_divisible``, expanded channels input x expansion, SE with
    ``int(input channels / 4)`` squeeze channels, ReLU (fused), a 1280-channel
    last conv at every width. Not a catalog family: it checks the Pixel 1 fit on
    published latencies it was not fitted to (``docs/calibration.md``).
    """
    t = _Tally()
    c_in = make_divisible(32 * width)
    size = t.conv(3, c_in, 3, 2, resolution)
    for repeats, kernel, stride, expansion, channels, se in _MNASNET_A1:
        c_out = make_divisible(channels * width)
        for i in range(repeats):
            s = stride if i == 0 else 1
            squeeze = max(1, c_in // 4) if se else 0
            size = t.inverted_residual(c_in, c_in * expansion, c_out, kernel, s, size, squeeze)
            c_in = c_out
    t.conv(c_in, 1280, 1, 1, size)
    t.pool_and_classify(1280, size, classes)
    return t.counts()
