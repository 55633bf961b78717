"""Early exits (BranchyNet): classifier heads after the first stages, taken when confident.

Teerapittayanon, McDanel & Kung, "BranchyNet: Fast Inference via Early
Exiting from Deep Neural Networks", ICPR 2016, arXiv:1709.01686: a sample
leaves at the first exit whose confidence passes a threshold. BranchyNet
thresholds the entropy of the softmax; here the confidence is the largest
softmax probability (the criterion of Shallow-Deep Networks, Kaya et al.,
ICML 2019), so ``threshold`` reads as a probability. The heads are trained
on top of the frozen trained network, so the threshold is another knob
switched at run time without a reload: raising it spends more expected
FLOPs for more accuracy. Expected FLOPs and latency are measured on the test
set, per sample, by running the network as it serves.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from slimplace.profiling.techniques.base import Candidate, Workbench
from slimplace.profiling.train import augment, seeded


def exit_name(threshold: float) -> str:
    """Candidate name of a confidence threshold (``exit-0.9``)."""
    return f"exit-{threshold:g}"


def exit_head(channels: int, n_classes: int, *, pool: int = 4) -> nn.Sequential:
    """A small exit classifier: average-pool to ``pool`` x ``pool``, then one linear layer."""
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(pool), nn.Flatten(), nn.Linear(channels * pool * pool, n_classes)
    )


class EarlyExitNet(nn.Module):
    """A staged network (``stages``, ``classifier``) with ``heads`` after its first stages.

    ``forward`` serves like the deployed network: samples confident enough at
    an exit stop there; the rest continue, so compute depends on the data.
    """

    def __init__(self, backbone: nn.Module, heads: Sequence[nn.Module], threshold: float) -> None:
        super().__init__()
        stages = backbone.stages
        if not isinstance(stages, nn.ModuleList) or len(heads) >= len(stages):
            raise ValueError(
                "need a network with `stages` (ModuleList) and fewer heads than stages"
            )
        classifier = backbone.classifier
        if not isinstance(classifier, nn.Module):
            raise ValueError("need a `classifier` module")
        self.stages = stages
        self.classifier = classifier
        self.heads = nn.ModuleList(heads)
        self.threshold = float(threshold)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of each sample from the exit it left at."""
        index = torch.arange(x.shape[0])
        result: torch.Tensor | None = None
        h = x
        for i, stage in enumerate(self.stages):
            h = stage(h)
            if i >= len(self.heads):
                continue
            logits = self.heads[i](h)
            if result is None:
                result = logits.new_empty((x.shape[0], logits.shape[1]))
            done = F.softmax(logits, dim=1).amax(dim=1) >= self.threshold
            result[index[done]] = logits[done]
            if bool(done.all()):
                return result
            keep = ~done
            h, index = h[keep], index[keep]
        final: torch.Tensor = self.classifier(h)
        if result is None:
            return final
        result[index] = final
        return result

    @torch.no_grad()
    def exit_fractions(self, x: torch.Tensor) -> list[float]:
        """Fraction of ``x`` leaving at each exit (heads in order, then the final classifier)."""
        counts = [0] * (len(self.heads) + 1)
        h = x
        remaining = x.shape[0]
        for i, stage in enumerate(self.stages):
            h = stage(h)
            if i < len(self.heads):
                done = F.softmax(self.heads[i](h), dim=1).amax(dim=1) >= self.threshold
                counts[i] = int(done.sum())
                h = h[~done]
                remaining -= counts[i]
        counts[-1] = remaining
        return [c / x.shape[0] for c in counts]


def train_heads(
    backbone: nn.Module, heads: nn.ModuleList, bench: Workbench, *, epochs: int, lr: float
) -> None:
    """Train ``heads`` on the frozen ``backbone``'s stage outputs (cross-entropy, AdamW)."""
    data, cfg = bench.data, bench.train
    gen = seeded(cfg.seed + 1)
    opt = torch.optim.AdamW(heads.parameters(), lr=lr, weight_decay=cfg.weight_decay)
    steps = epochs * math.ceil(data.x_train.shape[0] / cfg.batch_size)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=max(1, steps))
    stages = backbone.stages
    assert isinstance(stages, nn.ModuleList)
    backbone.eval()
    heads.train()
    for _ in range(epochs):
        order = torch.randperm(data.x_train.shape[0], generator=gen)
        for start in range(0, order.numel(), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            h = augment(data.x_train[idx], cfg, gen)
            feats = []
            with torch.no_grad():
                for stage in list(stages)[: len(heads)]:
                    h = stage(h)
                    feats.append(h)
            loss = sum(
                F.cross_entropy(head(f), data.y_train[idx])
                for head, f in zip(heads, feats, strict=True)
            )
            opt.zero_grad(set_to_none=True)
            assert isinstance(loss, torch.Tensor)
            loss.backward()
            opt.step()
            sched.step()
    heads.eval()


@dataclass(frozen=True)
class EarlyExitTechnique:
    """Exit heads after all stages but the last; one candidate per confidence threshold."""

    thresholds: Sequence[float] = (0.5, 0.8, 0.9, 0.95, 0.99)
    epochs: int = 3
    lr: float = 3e-3
    pool: int = 4
    name: str = "exit"

    def build(self, bench: Workbench) -> list[Candidate]:
        """Heads trained once on the frozen full network, then each threshold (shared weights)."""
        backbone = copy.deepcopy(bench.base).eval()
        stages = getattr(backbone, "stages", None)
        if not isinstance(stages, nn.ModuleList) or not hasattr(backbone, "classifier"):
            return []
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(bench.train.seed + 2)
            h = bench.data.example(1)
            heads = nn.ModuleList()
            for stage in list(stages)[:-1]:
                h = stage(h)
                heads.append(exit_head(int(h.shape[1]), bench.data.n_classes, pool=self.pool))
        train_heads(backbone, heads, bench, epochs=self.epochs, lr=self.lr)
        out = []
        for t in self.thresholds:
            net = EarlyExitNet(backbone, list(heads), t).eval()
            fractions = net.exit_fractions(bench.data.x_test)
            share = ", ".join(f"{f:.0%}" for f in fractions)
            out.append(
                Candidate(
                    exit_name(t),
                    self.name,
                    "exit",
                    net,
                    width=1.0,
                    setting=t,
                    parent=bench.base_name,
                    shared=True,
                    dynamic=True,
                    note=f"exits taken on the test set: {share}",
                )
            )
        return out


__all__ = ["EarlyExitNet", "EarlyExitTechnique", "exit_head", "exit_name", "train_heads"]
