"""Slimmable networks: a small CNN family and a small MobileNetV2-style network.

Both are built from the layers of :mod:`slimplace.profiling.slimmable`, so
their width switches at run time. Each is a sequence of ``stages`` followed by
a ``classifier``; early-exit heads (:mod:`slimplace.profiling.techniques.early_exit`)
attach after a stage. With ``widths=(1.0,)`` the same class is an ordinary
fixed-width network (the separately trained reference).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from slimplace.profiling.slimmable import (
    DEFAULT_WIDTHS,
    SlimmableConv2d,
    SlimmableLinear,
    SwitchableBatchNorm2d,
)

#: Architectures built in, by CLI name.
ARCHITECTURES = ("cnn", "mobilenet")


class StagedNet(nn.Module):
    """``stages`` (feature extractors, in order) then ``classifier`` (pool + linear)."""

    stages: nn.ModuleList
    classifier: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images."""
        for stage in self.stages:
            x = stage(x)
        out: torch.Tensor = self.classifier(x)
        return out


def _conv_bn(
    cin: int,
    cout: int,
    widths: Sequence[float],
    *,
    kernel: int = 3,
    stride: int = 1,
    depthwise: bool = False,
    slim_in: bool = True,
    activation: type[nn.Module] | None = nn.ReLU,
) -> list[nn.Module]:
    layers: list[nn.Module] = [
        SlimmableConv2d(
            cin,
            cout,
            kernel,
            stride=stride,
            padding=kernel // 2,
            depthwise=depthwise,
            slim_in=slim_in,
        ),
        SwitchableBatchNorm2d(cout, widths),
    ]
    if activation is not None:
        layers.append(activation())
    return layers


def _classifier(features: int, n_classes: int) -> nn.Sequential:
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), SlimmableLinear(features, n_classes)
    )


class SlimCNN(StagedNet):
    """A VGG-style CNN: three stages of 3x3 conv + BN + ReLU, max-pooling between them.

    ``channels`` are the stage widths at width 1.0; stage 3 has two
    convolutions. About 3.6 MMAC (7 MFLOP) per 28x28 image at width 1.0 with
    the default ``(16, 32, 64)``.
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        *,
        widths: Sequence[float] = DEFAULT_WIDTHS,
        channels: tuple[int, int, int] = (16, 32, 64),
    ) -> None:
        super().__init__()
        c1, c2, c3 = channels
        self.widths = tuple(sorted(widths))
        self.stages = nn.ModuleList(
            [
                nn.Sequential(*_conv_bn(in_channels, c1, widths, slim_in=False), nn.MaxPool2d(2)),
                nn.Sequential(
                    *_conv_bn(c1, c2, widths), *_conv_bn(c2, c2, widths), nn.MaxPool2d(2)
                ),
                nn.Sequential(*_conv_bn(c2, c3, widths), *_conv_bn(c3, c3, widths)),
            ]
        )
        self.classifier = _classifier(c3, n_classes)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand, 3x3 depthwise, 1x1 linear projection, skip when shapes
    match (Sandler, Howard, Zhu, Zhmoginov & Chen, CVPR 2018, arXiv:1801.04381, sec. 3.3)."""

    def __init__(
        self, cin: int, cout: int, *, stride: int, expand: int, widths: Sequence[float]
    ) -> None:
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += _conv_bn(cin, hidden, widths, kernel=1, activation=nn.ReLU6)
        layers += _conv_bn(
            hidden, hidden, widths, stride=stride, depthwise=True, activation=nn.ReLU6
        )
        layers += _conv_bn(hidden, cout, widths, kernel=1, activation=None)
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Block output, plus the input when the block keeps its shape."""
        out: torch.Tensor = self.block(x)
        return x + out if self.residual else out


class SlimMobileNet(StagedNet):
    """A small MobileNetV2-style network: stem, five inverted residual blocks, 1x1 conv.

    ``blocks`` lists ``(expand, out_channels, stride)``; stages split after the
    first and third block for early exits.
    """

    def __init__(
        self,
        in_channels: int,
        n_classes: int,
        *,
        widths: Sequence[float] = DEFAULT_WIDTHS,
        stem: int = 16,
        blocks: Sequence[tuple[int, int, int]] = (
            (1, 16, 1),
            (4, 24, 2),
            (4, 24, 1),
            (4, 32, 2),
            (4, 32, 1),
        ),
        last: int = 96,
    ) -> None:
        super().__init__()
        self.widths = tuple(sorted(widths))
        made: list[nn.Module] = []
        cin = stem
        for expand, cout, stride in blocks:
            made.append(InvertedResidual(cin, cout, stride=stride, expand=expand, widths=widths))
            cin = cout
        head = _conv_bn(cin, last, widths, kernel=1, activation=nn.ReLU6)
        self.stages = nn.ModuleList(
            [
                nn.Sequential(
                    *_conv_bn(in_channels, stem, widths, slim_in=False, activation=nn.ReLU6),
                    made[0],
                ),
                nn.Sequential(*made[1:3]),
                nn.Sequential(*made[3:], *head),
            ]
        )
        self.classifier = _classifier(last, n_classes)


def build_network(
    arch: str, in_channels: int, n_classes: int, *, widths: Sequence[float] = DEFAULT_WIDTHS
) -> StagedNet:
    """A built-in architecture (:data:`ARCHITECTURES`) with the given trained widths."""
    if arch == "cnn":
        return SlimCNN(in_channels, n_classes, widths=widths)
    if arch == "mobilenet":
        return SlimMobileNet(in_channels, n_classes, widths=widths)
    raise ValueError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}")


__all__ = [
    "ARCHITECTURES",
    "InvertedResidual",
    "SlimCNN",
    "SlimMobileNet",
    "StagedNet",
    "build_network",
]
