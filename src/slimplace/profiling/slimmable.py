"""Slimmable layers: one set of weights, any width, switched at run time without a reload.

A slimmable convolution or linear layer keeps the weights of the widest
network and, at width ``w``, computes with the first ``round(w * channels)``
filters (Yu, Yang, Xu, Yang & Huang, "Slimmable Neural Networks", ICLR 2019,
arXiv:1812.08928). Batch normalisation cannot be shared across widths, so
:class:`SwitchableBatchNorm2d` keeps one batch norm per trained width (ibid.,
sec. 3.2). Any other width is served after post-training statistics
recalibration (:func:`calibrate_width`), as in universally slimmable networks
(Yu & Huang, "Universally Slimmable Networks and Improved Training
Techniques", ICCV 2019, arXiv:1903.05134, sec. 3.3).

Switching is :func:`set_width`: it changes an attribute on each layer, no
weights move. :func:`extract` copies out a plain ``nn.Module`` (``nn.Conv2d``,
``nn.BatchNorm2d``, ``nn.Linear``) of one width for serving, tracing,
pruning or quantization.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

#: Width multipliers trained by default (as in the slimmable-network papers).
DEFAULT_WIDTHS = (0.25, 0.5, 0.75, 1.0)
_TOLERANCE = 1e-6


def channels(max_channels: int, width: float) -> int:
    """Active channels of a layer of ``max_channels`` at ``width`` (round half up, at least 1)."""
    return max(1, math.floor(max_channels * width + 0.5))


class SlimmableConv2d(nn.Conv2d):
    """A 2-D convolution that computes with the first channels of its weight at ``width``.

    ``slim_in``/``slim_out`` say whether the input/output channels follow the
    width (the image input and the classifier output do not). ``depthwise``
    keeps groups equal to the active channels.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        *,
        stride: int = 1,
        padding: int = 0,
        depthwise: bool = False,
        bias: bool = False,
        slim_in: bool = True,
        slim_out: bool = True,
    ) -> None:
        groups = in_channels if depthwise else 1
        super().__init__(
            in_channels,
            out_channels,
            kernel_size,
            stride=stride,
            padding=padding,
            groups=groups,
            bias=bias,
        )
        self.depthwise = depthwise
        self.slim_in = slim_in
        self.slim_out = slim_out
        self.width = 1.0

    def active(self) -> tuple[int, int, int]:
        """``(in_channels, out_channels, groups)`` at the current width."""
        cin = channels(self.in_channels, self.width) if self.slim_in else self.in_channels
        cout = channels(self.out_channels, self.width) if self.slim_out else self.out_channels
        if self.depthwise:
            return cin, cin, cin
        return cin, cout, 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Convolve with the active slice of the weights."""
        cin, cout, groups = self.active()
        weight = self.weight[:cout, : cin // groups]
        bias = self.bias[:cout] if self.bias is not None else None
        return F.conv2d(x, weight, bias, self.stride, self.padding, self.dilation, groups)


class SlimmableLinear(nn.Linear):
    """A linear layer that uses the first inputs/outputs of its weight at ``width``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        bias: bool = True,
        slim_in: bool = True,
        slim_out: bool = False,
    ) -> None:
        super().__init__(in_features, out_features, bias=bias)
        self.slim_in = slim_in
        self.slim_out = slim_out
        self.width = 1.0

    def active(self) -> tuple[int, int]:
        """``(in_features, out_features)`` at the current width."""
        fin = channels(self.in_features, self.width) if self.slim_in else self.in_features
        fout = channels(self.out_features, self.width) if self.slim_out else self.out_features
        return fin, fout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the active slice of the weights."""
        fin, fout = self.active()
        bias = self.bias[:fout] if self.bias is not None else None
        return F.linear(x, self.weight[:fout, :fin], bias)


class SwitchableBatchNorm2d(nn.Module):
    """One ``BatchNorm2d`` per width (Yu et al., ICLR 2019, sec. 3.2).

    Widths trained together each have their own affine parameters and running
    statistics; :meth:`add_width` adds a width after training, sharing the
    affine parameters of the next wider trained width (sliced) with fresh
    statistics to be recalibrated (Yu & Huang, ICCV 2019, sec. 3.3).
    """

    def __init__(self, max_features: int, widths: Sequence[float], *, slim: bool = True) -> None:
        super().__init__()
        self.max_features = max_features
        self.slim = slim
        self.widths: list[float] = sorted(float(w) for w in widths)
        self.trained: list[float] = list(self.widths)
        self.bn = nn.ModuleList(nn.BatchNorm2d(self._features(w)) for w in self.widths)
        self.width = 1.0 if 1.0 in self.widths else self.widths[-1]

    def _features(self, width: float) -> int:
        return channels(self.max_features, width) if self.slim else self.max_features

    def index(self, width: float) -> int | None:
        """Position of ``width`` among the widths this layer has statistics for, or ``None``."""
        for i, w in enumerate(self.widths):
            if abs(w - width) < _TOLERANCE:
                return i
        return None

    def current(self) -> nn.BatchNorm2d:
        """The batch norm of the current width."""
        i = self.index(self.width)
        if i is None:
            raise KeyError(f"no batch norm for width {self.width:g}; call calibrate_width first")
        bn = self.bn[i]
        assert isinstance(bn, nn.BatchNorm2d)
        return bn

    def add_width(self, width: float) -> nn.BatchNorm2d:
        """Add (or return) the batch norm of ``width``; new ones copy affine params, reset stats."""
        i = self.index(width)
        if i is not None:
            found = self.bn[i]
            assert isinstance(found, nn.BatchNorm2d)
            return found
        wider = [w for w in self.trained if w >= width - _TOLERANCE] or [self.trained[-1]]
        donor = self.bn[self.index(wider[0]) or 0]
        assert isinstance(donor, nn.BatchNorm2d)
        n = self._features(width)
        bn = nn.BatchNorm2d(n)
        with torch.no_grad():
            bn.weight.copy_(donor.weight[:n])
            bn.bias.copy_(donor.bias[:n])
        bn.to(donor.weight.device)
        self.widths.append(float(width))
        self.bn.append(bn)
        return bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise with the batch norm of the current width.

        In training mode a width without its own batch norm (a width drawn at
        random, US-Nets style) normalises with batch statistics and the sliced
        affine parameters of the next wider trained width, tracking no
        running statistics (they are recalibrated after training).
        """
        if self.training and self.index(self.width) is None:
            wider = [w for w in self.trained if w >= self.width - _TOLERANCE] or self.trained[-1:]
            donor = self.bn[self.index(wider[0]) or 0]
            assert isinstance(donor, nn.BatchNorm2d)
            n = x.shape[1]
            return F.batch_norm(
                x, None, None, donor.weight[:n], donor.bias[:n], training=True, eps=donor.eps
            )
        out: torch.Tensor = self.current()(x)
        return out


_SLIM = (SlimmableConv2d, SlimmableLinear, SwitchableBatchNorm2d)


def is_slimmable(model: nn.Module) -> bool:
    """Whether ``model`` has any slimmable layer."""
    return any(isinstance(m, _SLIM) for m in model.modules())


def widths_of(model: nn.Module) -> tuple[float, ...]:
    """Widths ``model`` can switch to now (trained and calibrated), ascending."""
    bns = [m for m in model.modules() if isinstance(m, SwitchableBatchNorm2d)]
    if not bns:
        return (1.0,)
    common = set(bns[0].widths)
    for bn in bns[1:]:
        common &= set(bn.widths)
    return tuple(sorted(common))


def trained_widths(model: nn.Module) -> tuple[float, ...]:
    """Widths ``model`` was trained at (each with its own batch norm), ascending."""
    for m in model.modules():
        if isinstance(m, SwitchableBatchNorm2d):
            return tuple(sorted(m.trained))
    return (1.0,)


def set_width(model: nn.Module, width: float) -> nn.Module:
    """Switch every slimmable layer of ``model`` to ``width`` in place; no weight moves.

    Raises ``KeyError`` in eval mode for a width without batch-norm
    statistics (see :func:`calibrate_width`) and ``ValueError`` outside (0, 1].
    """
    if not 0.0 < width <= 1.0:
        raise ValueError(f"width must lie in (0, 1], got {width}")
    for m in model.modules():
        if isinstance(m, SwitchableBatchNorm2d) and m.index(width) is None and not m.training:
            raise KeyError(f"no batch norm for width {width:g}; call calibrate_width first")
    for m in model.modules():
        if isinstance(m, _SLIM):
            m.width = float(width)
    return model


@torch.no_grad()
def calibrate_width(
    model: nn.Module, width: float, images: torch.Tensor, *, batch_size: int = 256
) -> nn.Module:
    """Recompute batch-norm statistics of ``width`` on ``images`` (US-Nets post-training BN).

    Running means and variances are reset and re-estimated as exact averages
    over the calibration batches (``momentum=None``), the procedure of Yu &
    Huang (ICCV 2019, sec. 3.3). Trained widths keep their statistics unless
    they are recalibrated explicitly too (they are reset here as well). The
    model is left in eval mode at ``width``.
    """
    bns = []
    for m in model.modules():
        if isinstance(m, SwitchableBatchNorm2d):
            bn = m.add_width(width)
            bn.reset_running_stats()
            bn.momentum = None
            bns.append(bn)
    set_width(model, width)
    model.eval()
    for bn in bns:
        bn.train()
    for start in range(0, images.shape[0], batch_size):
        model(images[start : start + batch_size])
    for bn in bns:
        bn.momentum = 0.1
        bn.eval()
    return model


def _plain(module: nn.Module) -> nn.Module:
    if isinstance(module, SlimmableConv2d):
        cin, cout, groups = module.active()
        conv = nn.Conv2d(
            cin,
            cout,
            cast(tuple[int, int], module.kernel_size),
            stride=cast(tuple[int, int], module.stride),
            padding=cast(tuple[int, int], module.padding),
            dilation=cast(tuple[int, int], module.dilation),
            groups=groups,
            bias=module.bias is not None,
        )
        with torch.no_grad():
            conv.weight.copy_(module.weight[:cout, : cin // groups])
            if module.bias is not None and conv.bias is not None:
                conv.bias.copy_(module.bias[:cout])
        return conv
    if isinstance(module, SlimmableLinear):
        fin, fout = module.active()
        linear = nn.Linear(fin, fout, bias=module.bias is not None)
        with torch.no_grad():
            linear.weight.copy_(module.weight[:fout, :fin])
            if module.bias is not None:
                linear.bias.copy_(module.bias[:fout])
        return linear
    if isinstance(module, SwitchableBatchNorm2d):
        return copy.deepcopy(module.current())
    return module


def extract(model: nn.Module, width: float) -> nn.Module:
    """A plain copy of ``model`` at ``width``: standard layers only, eval mode, for serving.

    The copy has the same class and ``forward``; its slimmable layers are
    replaced by ``nn.Conv2d``/``nn.Linear``/``nn.BatchNorm2d`` holding the
    active slices, so it traces with ``torch.fx``, prunes and quantizes like
    any network. ``model`` itself is left at the width it had.
    """
    previous = next((m.width for m in model.modules() if isinstance(m, _SLIM)), None)
    set_width(model, width)
    try:
        plain = copy.deepcopy(model)
    finally:
        if previous is not None:
            set_width(model, previous)
    replacements = [(name, _plain(m)) for name, m in plain.named_modules() if isinstance(m, _SLIM)]
    for name, new in replacements:
        parent_name, _, child = name.rpartition(".")
        parent = plain.get_submodule(parent_name) if parent_name else plain
        setattr(parent, child, new)
    return plain.eval()


__all__ = [
    "DEFAULT_WIDTHS",
    "SlimmableConv2d",
    "SlimmableLinear",
    "SwitchableBatchNorm2d",
    "calibrate_width",
    "channels",
    "extract",
    "is_slimmable",
    "set_width",
    "trained_widths",
    "widths_of",
]
