"""Structured channel pruning with torch-pruning, then short fine-tuning.

``torch_pruning.pruner.MetaPruner`` traces the network into a dependency
graph (Fang et al., "DepGraph: Towards Any Structural Pruning", CVPR 2023,
arXiv:2301.12900), ranks channel groups by the L2 norm of their weights
(``MagnitudeImportance(p=2)``; Li et al., "Pruning Filters for Efficient
ConvNets", ICLR 2017) and removes ``pruning_ratio`` of the channels of every
layer but the classifier, physically: the pruned network is smaller and
faster. A few epochs of fine-tuning recover accuracy.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from slimplace.profiling.techniques.base import Candidate, Workbench


def prune_name(ratio: float) -> str:
    """Candidate name of a pruning ratio (``prune-0.5``)."""
    return f"prune-{ratio:g}"


def output_layer(model: nn.Module) -> nn.Module:
    """The last linear or convolution layer (the classifier, never pruned)."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    if not layers:
        raise ValueError("the network has no linear or convolution layer to keep")
    return layers[-1]


def prune_channels(model: nn.Module, example: object, ratio: float) -> nn.Module:
    """A copy of ``model`` with ``ratio`` of each layer's channels removed by L2 magnitude."""
    import torch_pruning as tp

    pruned = copy.deepcopy(model).eval()
    pruner = tp.pruner.MetaPruner(
        pruned,
        example,
        importance=tp.importance.MagnitudeImportance(p=2),
        pruning_ratio=ratio,
        ignored_layers=[output_layer(pruned)],
    )
    pruner.step()
    return pruned


@dataclass(frozen=True)
class PruneTechnique:
    """Prune channels at each of ``ratios`` and fine-tune for ``epochs`` at ``lr``."""

    ratios: Sequence[float] = (0.3, 0.5, 0.7)
    epochs: int = 2
    lr: float = 1e-3
    name: str = "prune"

    def build(self, bench: Workbench) -> list[Candidate]:
        """One pruned, fine-tuned network per ratio, from the full network."""
        out = []
        for ratio in self.ratios:
            model = prune_channels(bench.base, bench.data.example(1), ratio)
            bench.fine_tune(model, self.epochs, self.lr)
            out.append(
                Candidate(
                    prune_name(ratio),
                    self.name,
                    "pruned",
                    model.eval(),
                    setting=ratio,
                    parent=bench.base_name,
                    note=f"{ratio:.0%} of channels removed, {self.epochs} epochs fine-tuning",
                )
            )
        return out


__all__ = ["PruneTechnique", "output_layer", "prune_channels", "prune_name"]
