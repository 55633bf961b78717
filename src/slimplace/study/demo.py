"""The study part of ``slimplace demo``: a small sweep through the same machinery
as ``slimplace sweep``, ending with the HTML report."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from slimplace.study.report import write_report
from slimplace.study.spec import SweepSpec
from slimplace.study.sweep import run_sweep


def demo_study_spec(*, seed: int = 0) -> SweepSpec:
    """Every registered method (one ``compare`` trial each) on the
    built-in scenario (a generated RENATER continuum if the demo module is absent), at two
    load levels, three replicates: 6 trials."""
    if importlib.util.find_spec("slimplace.demo") is not None:
        parameters: dict[str, object] = {"scenario": "demo"}
    else:
        parameters = {
            "scenario": "generated",
            "topology": "zoo:Renater2010",
            "antennas_per_pop": 1,
            "devices_per_antenna": 2,
            "n_apps": 4,
            "n_demands": 60,
            "slo_choices_s": [0.1, 0.2, 0.5],
            "strict": False,
        }
    # every registered method, the exact one included: each takes under a second on a
    # replicate (measured: milp at most 0.8 s), and the limit bounds the rest
    parameters["time_limit_s"] = 5.0
    return SweepSpec.model_validate(
        {
            "name": "demo-study",
            "description": "Every method on the demo continuum at nominal and double load, "
            "three replicates (scenario seeds).",
            "seed": seed,
            "run": "compare",
            "parameters": parameters,
            "axes": {"load_scale": [1.0, 2.0]},
            "seeds": 3,
        }
    )


def run_demo_study(out_dir: Path, *, seed: int = 0, progress: bool = True) -> Path:
    """Run :func:`demo_study_spec` with the local executor into the sweep folder
    ``out_dir`` (resuming it if it holds the same sweep) and write its report;
    return the report's path (``out_dir/report/report.html``)."""
    run_sweep(demo_study_spec(seed=seed), out_dir, executor="local", progress=progress)
    return write_report(out_dir)
