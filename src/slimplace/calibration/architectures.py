"""Layer tables of the MobileNet families: MACs, parameters and activation traffic.

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

The counts reproduce the published MACs and parameters of MobileNetV1/V2 and
MobileNetV3-Large exactly or within a few per cent (checked in the tests); the
TF-Slim README gives MobileNetV3-Small 15-25 % more MACs than its layer table.
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
    ) -> int:
        """A convolution (batch norm and ReLU fused); returns the output size."""
        out = math.ceil(size / stride)
        per_out = k * k * (1 if depthwise else c_in)
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

    def squeeze_excite(self, channels: int, size: int) -> None:
        """SE block: global pool (read), two FC layers, rescale (read + write)."""
        squeeze = make_divisible(channels / 4)
        self.macs += 2 * channels * squeeze
        self.params += 2 * channels * squeeze + channels + squeeze
        self.elements += channels * size * size + 2 * channels * size * size
        self.operators += 4

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
            hidden = c_in * expansion
            if expansion != 1:
                t.conv(c_in, hidden, 1, 1, size)
            size = t.conv(hidden, hidden, 3, s, size, depthwise=True)
            t.conv(hidden, c_out, 1, 1, size)
            if s == 1 and c_in == c_out:
                t.elementwise(c_out, size, inputs=2)
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
