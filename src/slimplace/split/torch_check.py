"""Build the layer language in PyTorch and count the same quantities with PyTorch's own
tools: FLOPs with ``torch.utils.flop_counter.FlopCounterMode`` (2 x MACs of convolutions
and matrix products), parameters with ``Module.parameters()``, output shapes by running
one image through each block. Requires torch (the ``profiling`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from slimplace.split.layers import (
    Block,
    BlockCounts,
    Classifier,
    Conv,
    InvertedResidual,
    Layer,
    MaxPool,
    Opaque,
    Residual,
)


def _act(name: str | None) -> nn.Module:
    table: dict[str | None, type[nn.Module]] = {
        "relu": nn.ReLU,
        "relu6": nn.ReLU6,
        "hswish": nn.Hardswish,
        "silu": nn.SiLU,
        "sigmoid": nn.Sigmoid,
        "hsigmoid": nn.Hardsigmoid,
        None: nn.Identity,
    }
    return table[name]()


def _conv(cin: int, layer: Conv) -> nn.Sequential:
    groups = cin if layer.groups == 0 else layer.groups
    parts: list[nn.Module] = [
        nn.Conv2d(
            cin, layer.cout, layer.k, layer.stride, layer.k // 2, groups=groups, bias=layer.bias
        )
    ]
    if layer.bn:
        parts.append(nn.BatchNorm2d(layer.cout))
    parts.append(_act(layer.act))
    return nn.Sequential(*parts)


class _SqueezeExcite(nn.Module):
    def __init__(self, channels: int, squeeze: int, act: str, gate: str) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.act, self.gate = _act(act), _act(gate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = nn.functional.adaptive_avg_pool2d(x, 1)
        out: torch.Tensor = x * self.gate(self.fc2(self.act(self.fc1(s))))
        return out


class _Inverted(nn.Module):
    def __init__(self, cin: int, b: InvertedResidual) -> None:
        super().__init__()
        parts: list[nn.Module] = []
        if b.hidden != cin:
            parts.append(_conv(cin, Conv(b.hidden, 1, act=b.act)))
        parts.append(_conv(b.hidden, Conv(b.hidden, b.k, b.stride, groups=0, act=b.act)))
        if b.se:
            parts.append(_SqueezeExcite(b.hidden, b.se, b.se_act, b.se_gate))
        parts.append(_conv(b.hidden, Conv(b.cout, 1, act=None)))
        self.body = nn.Sequential(*parts)
        self.skip = b.stride == 1 and cin == b.cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return x + out if self.skip else out


class _Residual(nn.Module):
    def __init__(self, cin: int, b: Residual) -> None:
        super().__init__()
        if b.mid:
            convs = [Conv(b.mid, 1), Conv(b.mid, 3, b.stride), Conv(b.cout, 1, act=None)]
        else:
            convs = [Conv(b.cout, 3, b.stride), Conv(b.cout, 3, act=None)]
        parts, c = [], cin
        for layer in convs:
            parts.append(_conv(c, layer))
            c = layer.cout
        self.body = nn.Sequential(*parts)
        self.short: nn.Module = nn.Identity()
        if b.stride != 1 or cin != b.cout:
            self.short = _conv(cin, Conv(b.cout, 1, b.stride, act=None))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = torch.relu(self.body(x) + self.short(x))
        return out


def _classifier(cin: int, layer: Classifier) -> nn.Sequential:
    parts: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    if layer.hidden:
        parts += [nn.Linear(cin, layer.hidden), _act(layer.act)]
        cin = layer.hidden
    parts.append(nn.Linear(cin, layer.classes))
    return nn.Sequential(*parts)


def _module(cin: int, layer: Layer) -> tuple[nn.Module, int]:
    if isinstance(layer, Conv):
        return _conv(cin, layer), layer.cout
    if isinstance(layer, InvertedResidual):
        return _Inverted(cin, layer), layer.cout
    if isinstance(layer, Residual):
        return _Residual(cin, layer), layer.cout
    if isinstance(layer, MaxPool):
        return nn.MaxPool2d(layer.k, layer.stride, layer.k // 2), cin
    if isinstance(layer, Classifier):
        return _classifier(cin, layer), layer.classes
    raise TypeError(f"{type(layer).__name__} has no PyTorch module")


def build(blocks: tuple[Block, ...], in_channels: int = 3) -> list[nn.Sequential]:
    """One ``nn.Sequential`` per block (blocks made of :class:`Opaque` layers are not built:
    the list stops before the first of them)."""
    out, c = [], in_channels
    for block in blocks:
        if any(isinstance(layer, Opaque) for layer in block.layers):
            break
        mods = []
        for layer in block.layers:
            mod, c = _module(c, layer)
            mods.append(mod)
        out.append(nn.Sequential(*mods))
    return out


@dataclass(frozen=True, slots=True)
class TorchCounts:
    """PyTorch's counts for the blocks it could build."""

    blocks: tuple[BlockCounts, ...]


def count(blocks: tuple[Block, ...], resolution: int, in_channels: int = 3) -> TorchCounts:
    """FLOPs (FlopCounterMode), parameters and output shape of every buildable block."""
    mods = build(blocks, in_channels)
    x = torch.zeros(1, in_channels, resolution, resolution)
    out = []
    with torch.no_grad():
        for block, mod in zip(blocks, mods, strict=False):
            mod.eval()
            with FlopCounterMode(display=False) as counter:
                x = mod(x)
            params = float(sum(p.numel() for p in mod.parameters()))
            shape = tuple(int(s) for s in x.shape[1:])
            out.append(BlockCounts(block.name, float(counter.get_total_flops()), params, shape))
    return TorchCounts(tuple(out))


__all__ = ["TorchCounts", "build", "count"]
