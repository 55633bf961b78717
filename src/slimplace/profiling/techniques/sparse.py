"""Unstructured magnitude pruning (``torch.nn.utils.prune``), then short fine-tuning.

The smallest-magnitude weights of all convolution and linear layers together
are set to zero (global magnitude pruning; Han, Pool, Tran & Dally,
"Learning both Weights and Connections for Efficient Neural Networks",
NeurIPS 2015), the masks are kept while fine-tuning and then made permanent.
The tensors stay dense: without sparse kernels the FLOPs and latency do not
drop, only the non-zero parameter count (and a compressed size) does.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn
from torch.nn.utils import prune

from slimplace.profiling.techniques.base import Candidate, Workbench


def sparse_name(sparsity: float) -> str:
    """Candidate name of a sparsity (``sparse-0.8``)."""
    return f"sparse-{sparsity:g}"


def magnitude_prune(model: nn.Module, sparsity: float) -> list[tuple[nn.Module, str]]:
    """Zero ``sparsity`` of all conv/linear weights of ``model`` in place by global L1 magnitude.

    Returns the pruned ``(module, "weight")`` pairs; masks stay until :func:`make_permanent`.
    """
    targets: list[tuple[nn.Module, str]] = [
        (m, "weight") for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=sparsity)
    return targets


def make_permanent(targets: Sequence[tuple[nn.Module, str]]) -> None:
    """Fold the pruning masks into the weights (plain dense tensors with zeros)."""
    for module, name in targets:
        prune.remove(module, name)


@dataclass(frozen=True)
class SparseTechnique:
    """Global magnitude pruning at each of ``sparsities``, fine-tuned for ``epochs``."""

    sparsities: Sequence[float] = (0.5, 0.8)
    epochs: int = 1
    lr: float = 1e-3
    name: str = "sparse"

    def build(self, bench: Workbench) -> list[Candidate]:
        """One sparse, fine-tuned copy of the full network per sparsity."""
        out = []
        for sparsity in self.sparsities:
            model = copy.deepcopy(bench.base)
            targets = magnitude_prune(model, sparsity)
            bench.fine_tune(model, self.epochs, self.lr)
            make_permanent(targets)
            out.append(
                Candidate(
                    sparse_name(sparsity),
                    self.name,
                    "sparse",
                    model.eval(),
                    setting=sparsity,
                    parent=bench.base_name,
                    note=f"{sparsity:.0%} of weights zero (dense storage)",
                )
            )
        return out


__all__ = ["SparseTechnique", "magnitude_prune", "make_permanent", "sparse_name"]
