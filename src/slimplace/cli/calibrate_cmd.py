"""``slimplace calibrate``: fit a hardware profile's latency model to your measurements."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from slimplace.cli.app import app, console, guarded
from slimplace.cli.options import (
    DEFAULT_SEED,
    SeedOpt,
    check_output_file,
    text,
    writing,
)
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    from slimplace.scenario.model import HardwareProfile, Tier

Opt = typer.Option


def _fmt_rate(value: float | None, unit: str, scale: float = 1e9, prefix: str = "G") -> str:
    if value is None:
        return "as float"
    return "negligible" if math.isinf(value) else f"{value / scale:.4g} {prefix}{unit}"


@app.command()
def calibrate(
    csv_file: Annotated[Path, typer.Argument(help="Measurements CSV (see docs/calibration.md).")],
    profile: Annotated[str, Opt("--profile", help="Name of the profile to write.")],
    out: Annotated[Path, Opt("--out", "-o", help="YAML file to write (a `hardware:` list).")],
    base: Annotated[
        str | None, Opt("--base", help="Catalog profile to copy tier, memory and power from.")
    ] = None,
    tier: Annotated[str | None, Opt("--tier", help="device, edge, metro or cloud.")] = None,
    memory: Annotated[str | None, Opt("--memory", help="Memory, e.g. '8 GB'.")] = None,
    idle_power: Annotated[str | None, Opt("--idle-power", help="Idle power, e.g. '3 W'.")] = None,
    peak_power: Annotated[str | None, Opt("--peak-power", help="Peak power, e.g. '12 W'.")] = None,
    device_class: Annotated[
        str | None, Opt("--device-class", help="Class whose measured latencies apply.")
    ] = None,
    batch_size: Annotated[
        int | None,
        Opt("--batch-size", help="Batch the device serves at (default: most common).", min=1),
    ] = None,
    folds: Annotated[int, Opt("--folds", help="k of the k-fold check.", min=2)] = 5,
    seed: SeedOpt = DEFAULT_SEED,
) -> None:
    """Fit overhead, compute rate and memory bandwidth to measured latencies; write a profile."""
    import yaml

    from slimplace.calibration.fit import fit_flops_rate, fit_latency, mape, predict_latency_s
    from slimplace.calibration.userdata import read_measurements
    from slimplace.calibration.validation import validate_device
    from slimplace.fsutil import atomic_write_text
    from slimplace.scenario.io import hardware_document

    with guarded():
        check_output_file(out, "--out")
        data = read_measurements(csv_file)
        hw = _base_profile(profile, base, tier, memory, idle_power, peak_power, device_class)
        fit = fit_latency(
            data.features,
            data.latency_s,
            data.batch_size,
            source=f"slimplace calibrate {csv_file.name} ({len(data)} measurements)",
        )
        check = validate_device(
            data.features, data.latency_s, data.batch_size, data.family, folds=folds, seed=seed
        )
        fit = dataclasses.replace(
            fit, mape=check.kfold.mape_calibrated, batch_size=batch_size or fit.batch_size
        )
        rate = fit_flops_rate(data.features, data.latency_s, data.batch_size)
        origin = f"latency_fit and throughput: slimplace calibrate {csv_file.name}"
        hw = dataclasses.replace(
            hw,
            throughput_flops=rate,
            latency_fit=fit,
            source=f"{origin}; {hw.source}" if hw.source else origin,
        )
        in_sample = mape(predict_latency_s(fit, data.features, data.batch_size), data.latency_s)
    console.print(
        f"{profile}: fitted to {len(data)} measurements from {csv_file}",
        markup=False,
        highlight=False,
    )
    console.print(
        f"  overhead {fit.overhead_s * 1e3:.3g} ms | compute {_fmt_rate(fit.flops_per_s, 'FLOP/s')}"
        f" (int8 {_fmt_rate(fit.int8_flops_per_s, 'FLOP/s')}) | activation traffic "
        f"{_fmt_rate(fit.memory_bandwidth_bps, 'B/s', 8e9)} | weight reads "
        f"{_fmt_rate(fit.weight_bandwidth_bps, 'B/s', 8e9)} | depthwise traffic "
        f"{_fmt_rate(fit.depthwise_bandwidth_bps, 'B/s', 8e9)} | batch {fit.batch_size}",
        highlight=False,
    )
    k = check.kfold
    console.print(
        f"  MAPE: in-sample {in_sample:.1%}; held-out {k.folds}-fold {k.mape_calibrated:.1%} "
        f"(FLOPs-only model {k.mape_flops_only:.1%}, {rate / 1e9:.4g} GFLOP/s)",
        highlight=False,
    )
    for t in check.leave_family_out + check.family_to_family:
        console.print(
            f"  fit on {text(t.train)}, predict {text(t.test)} (n={t.held_out.n}): "
            f"{t.held_out.mape_calibrated:.1%} (FLOPs-only {t.held_out.mape_flops_only:.1%})",
            highlight=False,
        )
    per_inference = data.latency_s / data.batch_size
    energy = (hw.peak_power_w - hw.idle_power_w) * per_inference
    console.print(
        f"  dynamic energy per inference at the measured latencies: {energy.min() * 1e3:.3g}"
        f" to {energy.max() * 1e3:.3g} mJ ((peak - idle) power x latency / batch)",
        highlight=False,
    )
    header = (
        f"# slimplace calibrate {csv_file.name}: copy the entry under `hardware:` in a scenario\n"
    )
    body = yaml.safe_dump(
        {"hardware": [hardware_document(hw)]}, sort_keys=False, allow_unicode=True, width=100
    )
    with guarded(), writing(out):
        atomic_write_text(out, header + body)
    console.print(f"profile written to {text(out)}", highlight=False)


def _base_profile(
    name: str,
    base: str | None,
    tier: str | None,
    memory: str | None,
    idle_power: str | None,
    peak_power: str | None,
    device_class: str | None,
) -> HardwareProfile:
    """The profile to calibrate: a catalog profile renamed, or one built from the options."""
    from slimplace.catalog import load_catalog
    from slimplace.scenario.model import TIERS, HardwareProfile
    from slimplace.scenario.validate import suggest
    from slimplace.units import UnitError, parse

    problems: list[Problem] = []
    ref = None
    if base is not None:
        hardware = load_catalog().hardware
        ref = hardware.get(base)
        if ref is None:
            problems.append(Problem("--base", suggest(base, hardware, "catalog profile")))

    def value(option: str, text: str | None, kind: str, fallback: float | None) -> float:
        if text is None:
            if fallback is None:
                problems.append(Problem(option, "is required without --base"))
                return math.nan
            return fallback
        try:
            return parse(text, kind)
        except UnitError as exc:
            problems.append(Problem(option, str(exc)))
            return math.nan

    chosen = tier or (ref.tier if ref is not None else None)
    if chosen not in TIERS:
        problems.append(Problem("--tier", f"expected one of {', '.join(TIERS)}, got {chosen!r}"))
    mem = value("--memory", memory, "bytes", ref.memory_bytes if ref else None)
    idle = value("--idle-power", idle_power, "power", ref.idle_power_w if ref else None)
    peak = value("--peak-power", peak_power, "power", ref.peak_power_w if ref else None)
    if idle > peak:
        problems.append(Problem("--peak-power", f"peak {peak:g} W is below idle {idle:g} W"))
    if problems:
        raise InputError("slimplace calibrate", problems)
    t = cast("Tier", chosen)
    if ref is not None:
        return dataclasses.replace(
            ref,
            name=name,
            tier=t,
            memory_bytes=mem,
            idle_power_w=idle,
            peak_power_w=peak,
            device_class=device_class,
            latency_fit=None,
            description=f"calibrated; tier, memory and power from {base}",
        )
    return HardwareProfile(
        name=name,
        tier=t,
        throughput_flops=1.0,
        memory_bytes=mem,
        idle_power_w=idle,
        peak_power_w=peak,
        device_class=device_class,
        description="calibrated",
    )
