"""Training: ordinary, and slimmable with the sandwich rule and in-place distillation.

Slimmable training follows Yu & Huang ("Universally Slimmable Networks and
Improved Training Techniques", ICCV 2019, arXiv:1903.05134, sec. 4): every
step trains the widest width on the labels, the narrowest and ``n_random``
other widths on the widest width's predicted distribution (in-place
distillation), and applies the summed gradients once. Widths are drawn from
the trained set, each of which has its own batch norm.

Everything random (initialisation, shuffling, augmentation) comes from
``seed``; the global torch generator is restored afterwards.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from slimplace.profiling.data import ImageData
from slimplace.profiling.slimmable import set_width

log = logging.getLogger(__name__)

#: Called after each epoch with (epoch done, epochs in all).
EpochCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """How to train: epochs, batch, one-cycle AdamW schedule, augmentation, seed.

    ``max_shift`` and ``max_rotation_deg`` set random affine augmentation
    (translation as a fraction of the image side); 0 disables it. In
    slimmable training each step also trains ``n_random`` widths drawn from
    the trained set and ``n_universal`` widths drawn uniformly between the
    narrowest and the widest (US-Nets), so that untrained widths serve well
    after batch-norm recalibration.
    """

    epochs: int = 12
    batch_size: int = 64
    lr: float = 4e-3
    weight_decay: float = 5e-4
    max_shift: float = 0.08
    max_rotation_deg: float = 10.0
    n_random: int = 1
    n_universal: int = 1
    seed: int = 0


@dataclass(frozen=True, slots=True)
class TrainLog:
    """Loss per epoch (of the widest width for slimmable training) and wall seconds."""

    losses: tuple[float, ...]
    seconds: float


def seeded(seed: int) -> torch.Generator:
    """A torch generator seeded with ``seed`` (the one source of randomness of a run)."""
    return torch.Generator().manual_seed(int(seed))


def init_network(build: Callable[[], nn.Module], seed: int) -> nn.Module:
    """Build a network with parameters drawn from ``seed``; the global generator is restored."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return build()


def augment(x: torch.Tensor, cfg: TrainConfig, gen: torch.Generator) -> torch.Tensor:
    """Random small rotation and translation of each image (bilinear, background padding)."""
    if cfg.max_shift <= 0 and cfg.max_rotation_deg <= 0:
        return x
    n = x.shape[0]
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(cfg.max_rotation_deg)
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * (2 * cfg.max_shift)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack(
        [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    background = x.amin()
    return F.grid_sample(x - background, grid, align_corners=False) + background


def _batches(n: int, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=gen)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def _optimiser(
    params: Sequence[nn.Parameter] | list[nn.Parameter], cfg: TrainConfig, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=max(1, steps))
    return opt, sched


def train(
    model: nn.Module,
    data: ImageData,
    cfg: TrainConfig,
    *,
    widths: Sequence[float] | None = None,
    params: Sequence[nn.Parameter] | None = None,
    on_epoch: EpochCallback | None = None,
) -> TrainLog:
    """Train ``model`` in place on ``data.x_train``; slimmable when ``widths`` has several.

    ``params`` restricts the parameters updated (default: all). With several
    ``widths`` each step uses the sandwich rule with in-place distillation
    (module docstring). The model is left in eval mode (at the widest width).
    """
    gen = seeded(cfg.seed)
    ws = sorted(widths) if widths else []
    sandwich = len(ws) > 1
    trainable = list(params) if params is not None else list(model.parameters())
    n = data.x_train.shape[0]
    steps = cfg.epochs * math.ceil(n / cfg.batch_size)
    opt, sched = _optimiser(trainable, cfg, steps)
    losses = []
    t0 = time.perf_counter()
    for epoch in range(cfg.epochs):
        model.train()
        total = 0.0
        for idx in _batches(n, cfg.batch_size, gen):
            x = augment(data.x_train[idx], cfg, gen)
            y = data.y_train[idx]
            opt.zero_grad(set_to_none=True)
            if sandwich:
                loss = _sandwich_step(model, x, y, ws, cfg.n_random, cfg.n_universal, gen)
            else:
                loss = F.cross_entropy(model(x), y)
                loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * idx.numel()
        losses.append(total / n)
        log.info("epoch %d/%d loss %.4f", epoch + 1, cfg.epochs, losses[-1])
        if on_epoch is not None:
            on_epoch(epoch + 1, cfg.epochs)
    if sandwich:
        set_width(model, ws[-1])
    model.eval()
    return TrainLog(tuple(losses), time.perf_counter() - t0)


def _sandwich_step(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    widths: Sequence[float],
    n_random: int,
    n_universal: int,
    gen: torch.Generator,
) -> torch.Tensor:
    """One sandwich-rule step: widest on labels, narrowest and random widths distilled.

    Gradients accumulate in the shared weights; returns the widest width's loss.
    """
    middle = list(widths[1:-1])
    picks: list[float] = []
    if middle and n_random > 0:
        chosen = torch.randperm(len(middle), generator=gen)[:n_random]
        picks = [middle[int(i)] for i in chosen]
    low, high = widths[0], widths[-1]
    picks += [low + (high - low) * float(u) for u in torch.rand(n_universal, generator=gen)]
    set_width(model, widths[-1])
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    teacher = F.softmax(logits.detach(), dim=1)
    for w in [widths[0], *picks]:
        set_width(model, w)
        student = F.log_softmax(model(x), dim=1)
        # Cross-entropy against the soft targets: KL divergence up to the teacher's entropy.
        distil = -(teacher * student).sum(dim=1).mean()
        distil.backward()
    set_width(model, widths[-1])
    return loss.detach()


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, *, batch_size: int = 500) -> torch.Tensor:
    """Predicted classes of ``images`` in eval mode."""
    model.eval()
    out = [
        model(images[i : i + batch_size]).argmax(dim=1)
        for i in range(0, images.shape[0], batch_size)
    ]
    return torch.cat(out)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy of ``model`` on ``images`` (a fraction in [0, 1])."""
    correct = int((predict(model, images) == labels).sum())
    return correct / max(1, int(labels.numel()))


__all__ = [
    "TrainConfig",
    "TrainLog",
    "accuracy",
    "augment",
    "init_network",
    "predict",
    "seeded",
    "train",
]
