"""The profile job: train, compress, measure every variant, estimate energy per device.

:func:`profile_slimmable` trains a built-in slimmable network (and the same
architecture alone at full width, as the reference), runs the techniques and
measures every candidate; :func:`profile_model` does the same for a user's
own trained ``nn.Module`` (slimmable or not) on the user's own data
(:func:`slimplace.profiling.data.from_arrays`, :func:`~slimplace.profiling.data.from_loaders`).
Every candidate is measured the same way (:mod:`slimplace.profiling.measure`)
and its energy per inference estimated on every hardware profile of the
catalog both ways (:mod:`slimplace.profiling.energy`).
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from slimplace.catalog import load_catalog
from slimplace.profiling.data import ImageData
from slimplace.profiling.energy import (
    estimate_energy,
    local_throughput_flops,
    measure_energy_rapl,
    rapl_domains,
)
from slimplace.profiling.measure import (
    batches,
    count_flops,
    count_params,
    load_time_s,
    measure_latencies,
    peak_activation_bytes,
    single_thread,
    torch_threads,
    weight_bytes,
)
from slimplace.profiling.nets import build_network
from slimplace.profiling.slimmable import (
    DEFAULT_WIDTHS,
    calibrate_width,
    extract,
    is_slimmable,
    set_width,
    widths_of,
)
from slimplace.profiling.techniques import TECHNIQUE_NAMES, default_techniques
from slimplace.profiling.techniques.base import Candidate, ProgressFn, Technique, Workbench
from slimplace.profiling.techniques.width import width_name
from slimplace.profiling.train import TrainConfig, accuracy, init_network, train
from slimplace.scenario.model import HardwareProfile

log = logging.getLogger(__name__)

#: Columns of the variants table, in order.
VARIANT_COLUMNS = (
    "variant",
    "technique",
    "kind",
    "width",
    "precision",
    "setting",
    "parent",
    "shared",
    "accuracy",
    "flops",
    "flops_method",
    "params",
    "nonzero_params",
    "weight_bytes",
    "peak_activation_bytes",
    "latency_b1_s",
    "latency_b1_p10_s",
    "latency_b1_p90_s",
    "latency_b1_repeats",
    "latency_b32_s",
    "latency_b32_p10_s",
    "latency_b32_p90_s",
    "latency_b32_repeats",
    "latency_b32_per_item_s",
    "speedup_b32_vs_parent",
    "accuracy_change_vs_parent",
    "load_time_s",
    "energy_local_j",
    "energy_local_method",
    "note",
)


@dataclass(frozen=True)
class ProfileConfig:
    """Settings of one profiling run (all have defaults; the CLI sets a few).

    ``recalibrate`` re-estimates the batch-norm statistics of the trained
    widths on the whole training set after training (US-Nets, sec. 3.3).
    ``measure_rapl`` measures energy directly where RAPL counters are readable.
    Latency is timed for ``latency_min_time_s`` per variant and batch size, in
    ``latency_rounds`` rounds interleaved across variants.
    ``threads`` is the number of torch threads for training (latency is always
    timed on one): these small networks train fastest on one thread, and
    more oversubscribe a shared machine.
    """

    arch: str = "cnn"
    widths: tuple[float, ...] = DEFAULT_WIDTHS
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=15))
    reference: bool = True
    recalibrate: bool = True
    latency_min_time_s: float = 0.3
    latency_rounds: int = 5
    rapl_window_s: float = 1.0
    measure_rapl: bool = True
    threads: int = 1


@dataclass(frozen=True, eq=False)
class ProfileResult:
    """Measured variants (one row each), energy estimates (variant x device x method), facts.

    ``info`` holds run-wide figures: training times and accuracies, the
    reference accuracy, the local CPU's effective throughput, the measured
    width-switch time, the RAPL status, versions.
    """

    variants: pd.DataFrame
    energy: pd.DataFrame
    info: dict[str, Any]
    candidates: tuple[Candidate, ...]
    slim: nn.Module | None = None


def _quiet(phase: str, done: int, total: int) -> None:
    return None


def _select(techniques: Sequence[str] | Mapping[str, Technique] | None) -> list[Technique]:
    if isinstance(techniques, Mapping):
        return list(techniques.values())
    available = default_techniques()
    names = TECHNIQUE_NAMES if techniques is None else tuple(techniques)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"unknown technique(s) {', '.join(unknown)}; "
            f"expected some of {', '.join(TECHNIQUE_NAMES)}"
        )
    return [available[n] for n in TECHNIQUE_NAMES if n in names]


def profile_slimmable(
    data: ImageData,
    *,
    config: ProfileConfig | None = None,
    techniques: Sequence[str] | Mapping[str, Technique] | None = None,
    hardware: Sequence[HardwareProfile] | None = None,
    progress: ProgressFn = _quiet,
) -> ProfileResult:
    """Train a built-in slimmable network on ``data`` and profile it with ``techniques``.

    Also trains the same architecture alone at full width (``config.reference``)
    and measures it as the ``reference`` variant. ``techniques`` are names
    (:data:`~slimplace.profiling.techniques.TECHNIQUE_NAMES`, default all) or
    a mapping of technique objects; ``hardware`` defaults to the catalog's.
    """
    cfg = config or ProfileConfig()
    with torch_threads(cfg.threads):
        return _profile_slimmable(data, cfg, _select(techniques), hardware, progress)


def _profile_slimmable(
    data: ImageData,
    cfg: ProfileConfig,
    techniques: Sequence[Technique],
    hardware: Sequence[HardwareProfile] | None,
    progress: ProgressFn,
) -> ProfileResult:
    c, _, _ = data.input_shape
    info: dict[str, Any] = {"arch": cfg.arch, "train_threads": torch.get_num_threads()}
    slim = init_network(
        lambda: build_network(cfg.arch, c, data.n_classes, widths=cfg.widths), cfg.train.seed
    )
    log.info("training the slimmable %s at widths %s", cfg.arch, cfg.widths)
    slim_log = train(
        slim,
        data,
        cfg.train,
        widths=cfg.widths,
        on_epoch=lambda e, n: progress("train slimmable", e, n),
    )
    info["slim_train_s"] = slim_log.seconds
    info["slim_trained_accuracy"] = {
        f"{w:g}": accuracy(set_width(slim, w), data.x_test, data.y_test) for w in cfg.widths
    }
    if cfg.recalibrate:
        for w in cfg.widths:
            calibrate_width(slim, w, data.x_train)
    extra: list[Candidate] = []
    if cfg.reference:
        ref = init_network(
            lambda: build_network(cfg.arch, c, data.n_classes, widths=(1.0,)), cfg.train.seed
        )
        ref_log = train(
            ref, data, cfg.train, on_epoch=lambda e, n: progress("train reference", e, n)
        )
        info["reference_train_s"] = ref_log.seconds
        extra.append(
            Candidate(
                "reference",
                "reference",
                "reference",
                extract(ref, 1.0),
                width=1.0,
                note=f"{cfg.arch} trained alone at width 1.0",
            )
        )
    return _profile(slim, slim, data, cfg, techniques, extra, hardware, progress, info)


def profile_model(
    model: nn.Module,
    data: ImageData,
    *,
    config: ProfileConfig | None = None,
    techniques: Sequence[str] | Mapping[str, Technique] | None = ("prune", "sparse", "int8"),
    hardware: Sequence[HardwareProfile] | None = None,
    progress: ProgressFn = _quiet,
) -> ProfileResult:
    """Profile the user's own trained ``model`` on ``data`` (measured as variant ``base``).

    A model built from :mod:`slimplace.profiling.slimmable` layers is profiled
    at its widths as well; early exits need ``stages`` and ``classifier``
    attributes (:class:`~slimplace.profiling.nets.StagedNet`); techniques that
    do not apply build nothing. Fine-tuning uses ``config.train``.
    """
    cfg = config or ProfileConfig()
    model.eval()
    slim = model if is_slimmable(model) else None
    with torch_threads(cfg.threads):
        info: dict[str, Any] = {
            "arch": type(model).__name__,
            "train_threads": torch.get_num_threads(),
        }
        return _profile(model, slim, data, cfg, _select(techniques), [], hardware, progress, info)


def _profile(
    model: nn.Module,
    slim: nn.Module | None,
    data: ImageData,
    cfg: ProfileConfig,
    techniques: Sequence[Technique],
    extra: Sequence[Candidate],
    hardware: Sequence[HardwareProfile] | None,
    progress: ProgressFn,
    info: dict[str, Any],
) -> ProfileResult:
    t0 = time.perf_counter()
    if slim is not None:
        full = max(widths_of(slim))
        base_name = width_name(full)
        base = extract(slim, full)
        first = Candidate(
            base_name,
            "width",
            "width",
            base,
            width=full,
            setting=full,
            shared=True,
            note="full width of the slimmable network",
        )
        info["switch_time_s"] = _switch_time_s(slim)
    else:
        base_name, base = "base", model.eval()
        first = Candidate("base", "base", "base", base, width=1.0, note="the given network")
    bench = Workbench(
        data,
        base,
        slim,
        cfg.train,
        base_name=base_name,
        seed=cfg.train.seed,
        built=[first, *extra],
        progress=progress,
    )
    for i, technique in enumerate(techniques):
        progress(f"build {technique.name}", i, len(techniques))
        start = time.perf_counter()
        made = technique.build(bench)
        info[f"build_{technique.name}_s"] = time.perf_counter() - start
        bench.built.extend(made)
        log.info("%s: %d variants", technique.name, len(made))
    progress("build", len(techniques), len(techniques))
    table = _measure_all(bench, cfg, progress, info)
    profiles = list(hardware) if hardware is not None else list(load_catalog().hardware.values())
    base_row = table.loc[table["variant"] == base_name].iloc[0]
    local_tput = local_throughput_flops(float(base_row["flops"]), float(base_row["latency_b1_s"]))
    info["local_throughput_flops"] = local_tput
    info["local_throughput_reference"] = base_name
    energy = estimate_energy(
        list(table["variant"]),
        table["flops"].to_numpy(dtype=np.float64),
        table["latency_b1_s"].to_numpy(dtype=np.float64),
        profiles,
        local_tput,
    )
    info.update(_environment(data))
    info["measure_s"] = time.perf_counter() - t0
    return ProfileResult(table, energy, info, tuple(bench.built), slim)


def _switch_time_s(slim: nn.Module, repeats: int = 200) -> float:
    """Median seconds of one :func:`set_width` call between the two extreme widths."""
    ws = widths_of(slim)
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        set_width(slim, ws[0] if i % 2 else ws[-1])
        times.append(time.perf_counter() - t0)
    set_width(slim, ws[-1])
    return float(np.median(times))


def _measure_all(
    bench: Workbench, cfg: ProfileConfig, progress: ProgressFn, info: dict[str, Any]
) -> pd.DataFrame:
    data = bench.data
    domains, status = rapl_domains() if cfg.measure_rapl else ((), "not measured (disabled)")
    info["rapl"] = status
    b1 = batches(data.x_test, 1, 64)
    b32 = batches(data.x_test, 32, 8)
    rows: dict[str, dict[str, Any]] = {}
    n = len(bench.built)
    for i, cand in enumerate(bench.built):
        progress("measure", i, n + 2)
        rows[cand.name] = _measure(cand, data, b1, cfg, domains, rows)
    for j, (key, inputs) in enumerate((("b1", b1), ("b32", b32))):
        progress("measure", n + j, n + 2)
        # Fresh copies, as freshly loaded for serving: the x86 int8 kernels keep per-shape
        # state, and after one large batch their batch-1 calls stay about 1.5x slower.
        fresh = [copy.deepcopy(c.module) for c in bench.built]
        stats = measure_latencies(
            fresh, inputs, rounds=cfg.latency_rounds, min_time_s=cfg.latency_min_time_s
        )
        for cand, st in zip(bench.built, stats, strict=True):
            rows[cand.name].update(
                {
                    f"latency_{key}_s": st.median_s,
                    f"latency_{key}_p10_s": st.p10_s,
                    f"latency_{key}_p90_s": st.p90_s,
                    f"latency_{key}_repeats": st.repeats,
                }
            )
            if key == "b32":
                rows[cand.name]["latency_b32_per_item_s"] = st.per_item_s
    progress("measure", n + 2, n + 2)
    for row in rows.values():
        parent = rows.get(str(row["parent"])) if row["parent"] else None
        if parent is not None:
            row["speedup_b32_vs_parent"] = parent["latency_b32_s"] / row["latency_b32_s"]
            row["accuracy_change_vs_parent"] = row["accuracy"] - parent["accuracy"]
    return pd.DataFrame([rows[c.name] for c in bench.built], columns=list(VARIANT_COLUMNS))


def _measure(
    cand: Candidate,
    data: ImageData,
    b1: Sequence[torch.Tensor],
    cfg: ProfileConfig,
    domains: Sequence[Any],
    done: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    module = cand.module.eval()
    if cand.flops_from is not None and cand.flops_from in done:
        flops = float(done[cand.flops_from]["flops"])
        flops_method = f"from {cand.flops_from} (quantized kernels are not counted)"
    elif cand.dynamic:
        flops = count_flops(module, data.x_test)
        flops_method = "expected over the test set (FlopCounterMode)"
    else:
        flops = count_flops(module, data.example(1))
        flops_method = "FlopCounterMode, batch 1"
    params, nonzero = count_params(module)
    energy_local: float | None = None
    method = "not available"
    if domains:
        with single_thread(), torch.no_grad():
            rapl = measure_energy_rapl(
                lambda: module(b1[0]), domains, min_window_s=cfg.rapl_window_s
            )
        energy_local, method = rapl.energy_per_call_j, f"RAPL ({rapl.domains}) minus idle"
    return {
        "variant": cand.name,
        "technique": cand.technique,
        "kind": cand.kind,
        "width": cand.width,
        "precision": cand.precision,
        "setting": cand.setting,
        "parent": cand.parent,
        "shared": cand.shared,
        "accuracy": accuracy(module, data.x_test, data.y_test),
        "flops": flops,
        "flops_method": flops_method,
        "params": params,
        "nonzero_params": nonzero,
        "weight_bytes": weight_bytes(module),
        "peak_activation_bytes": peak_activation_bytes(module, data.example(1)),
        "speedup_b32_vs_parent": None,
        "accuracy_change_vs_parent": None,
        "load_time_s": load_time_s(module),
        "energy_local_j": energy_local,
        "energy_local_method": method,
        "note": cand.note,
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _environment(data: ImageData) -> dict[str, Any]:
    return {
        "dataset": data.name,
        "dataset_source": data.source,
        "n_train": int(data.x_train.shape[0]),
        "n_test": int(data.x_test.shape[0]),
        "n_classes": int(data.n_classes),
        "torch": torch.__version__,
        "quantized_engine": torch.backends.quantized.engine,
        "cpu": _cpu_model(),
        "latency_threads": 1,
    }


def with_config(config: ProfileConfig, **changes: Any) -> ProfileConfig:
    """A copy of ``config`` with top-level or ``train.*`` fields changed (``epochs=3``)."""
    train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
    train_changes = {k: v for k, v in changes.items() if k in train_fields}
    top = {k: v for k, v in changes.items() if k not in train_fields}
    return dataclasses.replace(
        config, train=dataclasses.replace(config.train, **train_changes), **top
    )


__all__ = [
    "VARIANT_COLUMNS",
    "ProfileConfig",
    "ProfileResult",
    "profile_model",
    "profile_slimmable",
    "with_config",
]
