"""What a cut tensor's precision and an early exit cost in accuracy, measured with the
profiling pipeline on the small built-in data sets (nothing downloaded).

For a staged network (:mod:`slimplace.profiling.nets`) trained with
:func:`slimplace.profiling.train.train`, the activation after each stage (a candidate cut)
is sent as the split computing literature sends it:

- **int8**: per-tensor affine quantization to 0..255, its range (min, max) calibrated on
  ``calibration`` training images (post-training static quantization, Jacob et al.,
  CVPR 2018, sec. 2.1; Krishnamoorthi, arXiv:1806.08342, sec. 2.1), then dequantized
  and fed to the rest of the network;
- **fp16**: a cast to half precision and back.

The accuracy cost is the test top-1 of the full-precision network minus that with the
cut tensor rounded. Early exits are the profiling package's BranchyNet heads
(:class:`~slimplace.profiling.techniques.early_exit.EarlyExitTechnique`: a classifier
after each stage but the last, taken when the top softmax probability reaches a
threshold): for each threshold, the share of test images leaving at each exit and the
network's test top-1.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class CutCost:
    """Accuracy cost of sending the activation after ``stage`` (1-based) at a precision."""

    dataset: str
    seed: int
    stage: int
    accuracy: float
    int8_loss: float
    fp16_loss: float


@dataclasses.dataclass(frozen=True, slots=True)
class ExitCost:
    """An early-exit threshold: share of test images per exit, and the network's top-1."""

    dataset: str
    seed: int
    threshold: float
    exit_shares: tuple[float, ...]
    accuracy: float
    full_accuracy: float


def _trained(dataset: str, seed: int, epochs: int) -> tuple[Any, Any, Any]:
    import torch

    from slimplace.profiling.data import load_dataset
    from slimplace.profiling.nets import build_network
    from slimplace.profiling.train import TrainConfig, init_network, train

    torch.set_num_threads(1)
    data = load_dataset(dataset, seed=seed)
    c = data.input_shape[0]
    net = init_network(lambda: build_network("cnn", c, data.n_classes, widths=(1.0,)), seed)
    cfg = TrainConfig(epochs=epochs, seed=seed)
    train(net, data, cfg)
    return net.eval(), data, cfg


def _rest_accuracy(net: Any, h: Any, labels: Any, start: int) -> float:
    """Top-1 of the network from stage ``start`` (0-based) on activations ``h``."""
    import torch

    with torch.no_grad():
        for stage in list(net.stages)[start:]:
            h = stage(h)
        pred = net.classifier(h).argmax(dim=1)
    return float((pred == labels).float().mean())


def int8_round_trip(h: Any, low: float, high: float) -> Any:
    """``h`` quantized per tensor to 0..255 over ``[low, high]`` and dequantized."""
    import torch

    low, high = min(low, 0.0), max(high, 0.0)  # zero exactly representable
    scale = max(high - low, 1e-12) / 255.0
    zero = round(-low / scale)
    return torch.fake_quantize_per_tensor_affine(h, scale, zero, 0, 255)


def cut_costs(dataset: str, seed: int, *, epochs: int = 8, calibration: int = 512) -> list[CutCost]:
    """The int8 and fp16 accuracy cost of a cut after each stage of the trained CNN."""
    import torch

    net, data, _ = _trained(dataset, seed, epochs)
    out = []
    with torch.no_grad():
        h_test, h_cal = data.x_test, data.x_train[:calibration]
        full = _rest_accuracy(net, h_test, data.y_test, 0)
        for i, stage in enumerate(net.stages):
            h_test, h_cal = stage(h_test), stage(h_cal)
            q = int8_round_trip(h_test, float(h_cal.min()), float(h_cal.max()))
            int8 = _rest_accuracy(net, q, data.y_test, i + 1)
            fp16 = _rest_accuracy(net, h_test.half().float(), data.y_test, i + 1)
            out.append(CutCost(dataset, seed, i + 1, full, full - int8, full - fp16))
    return out


def exit_costs(
    dataset: str,
    seed: int,
    *,
    epochs: int = 8,
    thresholds: Sequence[float] = (0.8, 0.9, 0.95, 0.99),
) -> list[ExitCost]:
    """Exit shares and top-1 of the BranchyNet exits on the trained CNN, per threshold."""
    from slimplace.profiling.techniques.base import Workbench
    from slimplace.profiling.techniques.early_exit import EarlyExitNet, EarlyExitTechnique
    from slimplace.profiling.train import accuracy

    net, data, cfg = _trained(dataset, seed, epochs)
    full = accuracy(net, data.x_test, data.y_test)
    bench = Workbench(data, net, None, cfg, seed=seed)
    out = []
    for cand in EarlyExitTechnique(thresholds=tuple(thresholds)).build(bench):
        assert isinstance(cand.module, EarlyExitNet)
        shares = tuple(cand.module.exit_fractions(data.x_test))
        acc = accuracy(cand.module, data.x_test, data.y_test)
        out.append(ExitCost(dataset, seed, float(cand.setting or 0.0), shares, acc, full))
    return out


__all__ = ["CutCost", "ExitCost", "cut_costs", "exit_costs", "int8_round_trip"]
