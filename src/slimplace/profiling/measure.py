"""What one variant costs: FLOPs, parameters, weight bytes, peak activation memory, CPU latency.

* FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode``, which
  counts 2 FLOPs per multiply-accumulate of convolutions and matrix products
  (the convention of the catalog). It does not see quantized kernels, so int8
  variants take the FLOPs of the float network they were converted from.
* Weight bytes: every floating-point and quantized tensor of the state dict
  (weights, biases, batch-norm statistics) at its storage size, 1 byte per
  int8 element; integer bookkeeping (zero points, counters) is left out.
* Peak activation memory: the most bytes of tensors created during one
  forward pass (batch 1) that are alive at once, tracked op by op with a
  ``TorchDispatchMode`` (weights and the input excluded). This is the
  quantity MCUNet calls peak SRAM (Lin et al., NeurIPS 2020, sec. 2).
* Latency: wall time of ``module(x)`` under ``torch.no_grad`` with one
  intra-op thread, after warm-up; median and 10th/90th percentiles over many
  repeats (adaptive until ``min_time_s`` has passed). Inputs are real test
  images cycled so data-dependent networks (early exits) are timed fairly.
  Several variants are timed interleaved in rounds (:func:`measure_latencies`)
  so that load from other processes does not fall on one variant only.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import time
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch with ``n`` intra-op threads inside the block; restore the previous count."""
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, int(n)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def single_thread() -> contextlib.AbstractContextManager[None]:
    """Run torch with one intra-op thread inside the block (see :func:`torch_threads`)."""
    return torch_threads(1)


@torch.no_grad()
def count_flops(module: nn.Module, x: torch.Tensor) -> float:
    """FLOPs per input image of ``module(x)`` (2 per multiply-accumulate), averaged over the batch.

    For a data-dependent network (early exits) pass many real images: the
    result is the expected FLOPs per image on that data.
    """
    module.eval()
    with FlopCounterMode(display=False) as counter:
        module(x)
    return float(counter.get_total_flops()) / x.shape[0]


def _tensors(state: dict[str, Any]) -> Iterator[tuple[str, torch.Tensor]]:
    for key, value in state.items():
        values = value if isinstance(value, (tuple, list)) else (value,)
        for v in values:
            if isinstance(v, torch.Tensor):
                yield key, v


def _stored(t: torch.Tensor) -> bool:
    return t.is_quantized or t.is_floating_point()


def weight_bytes(module: nn.Module) -> int:
    """Bytes of the weights needed to serve ``module`` (int8 elements count 1 byte).

    Scalar quantization scales are left out (a few bytes per layer).
    """
    return sum(
        t.numel() * t.element_size()
        for key, t in _tensors(module.state_dict())
        if _stored(t) and not key.endswith(("scale", "zero_point"))
    )


def _is_param(key: str) -> bool:
    return key.endswith(("weight", "bias", "_packed_params"))


def count_params(module: nn.Module) -> tuple[int, int]:
    """``(parameters, non-zero parameters)``: weights and biases (float or quantized).

    Batch-norm running statistics are buffers, not parameters; batch norms
    folded into convolutions by quantization disappear from the count.
    """
    total = nonzero = 0
    for key, t in _tensors(module.state_dict()):
        if not (_is_param(key) and _stored(t)):
            continue
        values = t.dequantize() if t.is_quantized else t
        total += values.numel()
        nonzero += int(torch.count_nonzero(values))
    return total, nonzero


class _LiveTensors(TorchDispatchMode):
    """Bytes of tensors created inside the mode and still alive; the peak of that sum."""

    def __init__(self, existing: set[int]) -> None:
        super().__init__()
        self.existing = existing
        self.refs: dict[int, int] = {}
        self.size: dict[int, int] = {}
        self.current = 0
        self.peak = 0

    def _release(self, key: int) -> None:
        self.refs[key] -= 1
        if self.refs[key] == 0:
            self.current -= self.size.pop(key)
            del self.refs[key]

    def _track(self, t: torch.Tensor) -> None:
        try:
            storage = t.untyped_storage()
            key, nbytes = storage.data_ptr(), storage.nbytes()
        except (RuntimeError, NotImplementedError):
            key, nbytes = t.data_ptr(), t.numel() * t.element_size()
        if key in self.existing:
            return  # a view of a weight or of the input, not a new activation
        if key not in self.refs:
            self.refs[key] = 0
            self.size[key] = nbytes
            self.current += nbytes
            self.peak = max(self.peak, self.current)
        self.refs[key] += 1
        weakref.finalize(t, self._release, key)

    def __torch_dispatch__(
        self,
        func: Any,
        types: Any,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self._track(t)
        return out


def _storage_ptr(t: torch.Tensor) -> int:
    try:
        return int(t.untyped_storage().data_ptr())
    except (RuntimeError, NotImplementedError):
        return int(t.data_ptr())


@torch.no_grad()
def peak_activation_bytes(module: nn.Module, x: torch.Tensor) -> int:
    """Peak bytes of intermediate tensors alive at once during ``module(x)`` (weights excluded)."""
    module.eval()
    existing = {_storage_ptr(t) for t in (*module.parameters(), *module.buffers(), x)}
    mode = _LiveTensors(existing)
    with mode:
        out = module(x)
    del out
    return mode.peak


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Wall time of one call at ``batch_size``: median and 10th/90th percentile, in seconds."""

    batch_size: int
    median_s: float
    p10_s: float
    p90_s: float
    repeats: int

    @property
    def per_item_s(self) -> float:
        """Median time per image (the batch's median over its size)."""
        return self.median_s / self.batch_size


@torch.no_grad()
def measure_latency(
    module: nn.Module | Callable[[torch.Tensor], Any],
    inputs: Sequence[torch.Tensor],
    *,
    warmup: int = 10,
    min_repeats: int = 30,
    max_repeats: int = 2000,
    min_time_s: float = 0.3,
) -> LatencyStats:
    """Median and spread of the wall time of ``module(x)``, one thread, cycling over ``inputs``.

    Repeats until both ``min_repeats`` calls and ``min_time_s`` seconds are
    done (at most ``max_repeats``). Timing noise from other processes on the
    machine shows in the spread, not hidden.
    """
    (stats,) = measure_latencies(
        [module],
        inputs,
        rounds=1,
        warmup=warmup,
        min_repeats=min_repeats,
        max_repeats=max_repeats,
        min_time_s=min_time_s,
    )
    return stats


@torch.no_grad()
def measure_latencies(
    modules: Sequence[nn.Module | Callable[[torch.Tensor], Any]],
    inputs: Sequence[torch.Tensor],
    *,
    rounds: int = 5,
    warmup: int = 10,
    min_repeats: int = 30,
    max_repeats: int = 2000,
    min_time_s: float = 0.3,
) -> list[LatencyStats]:
    """:func:`measure_latency` of several modules, interleaved in ``rounds``.

    Each round times every module in turn for a ``1 / rounds`` share of the
    repeats and of the time, so a burst of load from other processes on a
    shared machine falls on all of them alike instead of on one; statistics
    are over all of a module's calls.
    """
    for m in modules:
        if isinstance(m, nn.Module):
            m.eval()
    batch = int(inputs[0].shape[0])
    per_round = max(1, math.ceil(min_repeats / rounds))
    time_per_round = min_time_s / rounds
    cap = max(1, max_repeats // rounds)
    times: list[list[float]] = [[] for _ in modules]
    with single_thread():
        for m in modules:
            for i in range(warmup):
                m(inputs[i % len(inputs)])
        for _ in range(rounds):
            for m, record in zip(modules, times, strict=True):
                done = 0
                start = time.perf_counter()
                while done < cap and (
                    done < per_round or time.perf_counter() - start < time_per_round
                ):
                    x = inputs[len(record) % len(inputs)]
                    t0 = time.perf_counter()
                    m(x)
                    record.append(time.perf_counter() - t0)
                    done += 1
    out = []
    for record in times:
        p10, median, p90 = np.percentile(np.asarray(record), [10, 50, 90])
        out.append(LatencyStats(batch, float(median), float(p10), float(p90), len(record)))
    return out


def batches(images: torch.Tensor, batch_size: int, count: int) -> list[torch.Tensor]:
    """Up to ``count`` consecutive batches of ``images`` (contiguous copies) for timing."""
    n = max(1, min(count, images.shape[0] // batch_size))
    return [images[i * batch_size : (i + 1) * batch_size].contiguous() for i in range(n)]


def load_time_s(module: nn.Module, *, repeats: int = 5) -> float:
    """Median seconds to load ``module``'s weights: deserialise its state dict from memory
    (``torch.load``) and copy it into an already built network (``load_state_dict``)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # TypedStorage notice on quantized tensors
        torch.save(module.state_dict(), buffer)
        target = copy.deepcopy(module)
    data = buffer.getvalue()
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for _ in range(repeats):
            t0 = time.perf_counter()
            target.load_state_dict(torch.load(io.BytesIO(data), weights_only=True))
            times.append(time.perf_counter() - t0)
    return float(np.median(times))


__all__ = [
    "LatencyStats",
    "batches",
    "count_flops",
    "count_params",
    "load_time_s",
    "measure_latencies",
    "measure_latency",
    "peak_activation_bytes",
    "single_thread",
    "torch_threads",
    "weight_bytes",
]
