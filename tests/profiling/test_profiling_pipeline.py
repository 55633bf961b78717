"""The profile job end to end on digits: table, energy, outputs, family file, planner use."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from torch import nn  # noqa: E402

from slimplace.benchmarks.tiny import tiny_scenario  # noqa: E402
from slimplace.problem.compile import compile_problem  # noqa: E402
from slimplace.problem.latency import LatencySource  # noqa: E402
from slimplace.profiling.data import ImageData, digits  # noqa: E402
from slimplace.profiling.family import load_family  # noqa: E402
from slimplace.profiling.measure import torch_threads  # noqa: E402
from slimplace.profiling.pipeline import (  # noqa: E402
    VARIANT_COLUMNS,
    ProfileConfig,
    ProfileResult,
    profile_model,
    profile_slimmable,
    with_config,
)
from slimplace.profiling.report import (  # noqa: E402
    done_checks,
    marginal_table,
    pareto_mask,
    write_outputs,
)
from slimplace.profiling.train import TrainConfig, init_network, train  # noqa: E402
from slimplace.solve import solve  # noqa: E402

HARDWARE = tiny_scenario().hardware


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def data() -> ImageData:
    return digits(seed=0)


@pytest.fixture(scope="module")
def result(data: ImageData) -> ProfileResult:
    config = with_config(
        ProfileConfig(widths=(0.25, 0.5, 1.0), latency_min_time_s=0.005, threads=1),
        epochs=2,
        seed=1,
    )
    return profile_slimmable(
        data, config=config, techniques=("width", "int8", "exit"), hardware=HARDWARE
    )


def test_every_variant_is_measured(result: ProfileResult) -> None:
    v = result.variants
    assert tuple(v.columns) == VARIANT_COLUMNS
    names = set(v["variant"])
    assert {"width-1", "width-0.25", "width-0.375", "reference", "int8-width-1"} <= names
    assert any(n.startswith("exit-") for n in names)
    assert (v["accuracy"] > 0.3).all() and (v["flops"] > 0).all()
    assert (v["latency_b1_p10_s"] <= v["latency_b1_s"]).all()
    assert (v["energy_local_method"] != "").all()
    widths = v[v["kind"] == "width"].sort_values("width")
    assert np.all(np.diff(widths["flops"]) > 0)
    q = v.set_index("variant").loc["int8-width-1"]
    assert q["precision"] == "int8" and q["weight_bytes"] < 0.3 * float(
        v.set_index("variant").loc["width-1", "weight_bytes"]
    )
    assert len(result.energy) == len(v) * len(HARDWARE) * 2
    assert result.info["local_throughput_flops"] > 0
    assert result.info["rapl"].startswith(("available", "not available"))


def test_outputs_and_family_file_round_trip(result: ProfileResult, tmp_path: Path) -> None:
    paths = write_outputs(
        result.variants,
        result.energy,
        result.info,
        tmp_path,
        family_name="digits-cnn",
        marginal_hardware="tiny-device",
    )
    for key in (
        "variants_csv",
        "variants_parquet",
        "energy_parquet",
        "marginal_csv",
        "pareto_png",
        "marginal_png",
        "family_slim",
        "family_all",
        "summary_json",
    ):
        assert paths[key].stat().st_size > 0, key
    assert paths["pareto_png"].read_bytes()[:4] == b"\x89PNG"
    slim = load_family(paths["family_slim"])
    every = load_family(paths["family_all"])
    assert slim.weight_sharing and not every.weight_sharing
    assert {v.kind for v in slim.variants} == {"width", "exit"}
    assert len(every.variants) == len(result.variants)
    measured = slim.variant("width-1").measured
    assert [m.batch_size for m in measured] == [32, 1]
    summary = json.loads(paths["summary_json"].read_text())
    assert summary["checks"]["flops_monotone_in_width"] is True


def test_marginal_and_pareto(result: ProfileResult) -> None:
    m = marginal_table(result.variants, result.energy)
    assert set(m["series"]) == {"width", "exit"}
    width_steps = m[(m["series"] == "width") & (m["method"] == "flops")]
    assert (width_steps["energy_added_j"] > 0).all()
    assert pareto_mask([1.0, 2.0, 2.0, 3.0], [0.5, 0.4, 0.6, 0.6]).tolist() == [
        True,
        False,
        True,
        False,
    ]
    checks = done_checks(result.variants, result.info)
    assert checks["variants"] == len(result.variants)


def test_measured_family_is_placed_by_the_planner(result: ProfileResult, tmp_path: Path) -> None:
    paths = write_outputs(
        result.variants, result.energy, result.info, tmp_path, family_name="digits-cnn"
    )
    family = load_family(paths["family_slim"])
    base = tiny_scenario(n_devices=4, seed=2)
    low = min(v.accuracy for v in family.variants)
    # the edge boxes are the machine the latencies were measured on
    hardware = tuple(
        dataclasses.replace(h, device_class="local-cpu") if h.name == "tiny-edge" else h
        for h in base.hardware
    )
    apps = tuple(
        dataclasses.replace(a, family=family.name, accuracy_floor=low) for a in base.applications
    )
    scenario = dataclasses.replace(base, hardware=hardware, families=(family,), applications=apps)
    problem = compile_problem(scenario, variants="all")
    assert set(problem.variant_names) == {f"{family.name}/{v.name}" for v in family.variants}
    assert (problem.cand_latency_source == LatencySource.MEASURED).any()
    for method in ("no-compression", "edge-first"):
        outcome = solve(problem, method, seed=0)
        assert outcome.evaluation.feasible, method
        assert outcome.evaluation.mean_accuracy >= low - 1e-9


class _UserNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(8 * 8 * 8, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out


def test_a_users_own_model(data: ImageData) -> None:
    cfg = TrainConfig(epochs=2, seed=0)
    model = init_network(_UserNet, cfg.seed)
    train(model, data, cfg)
    config = ProfileConfig(train=dataclasses.replace(cfg, epochs=0), latency_min_time_s=0.005)
    out = profile_model(
        model, data, config=config, techniques=("sparse", "int8", "exit"), hardware=HARDWARE[:1]
    )
    names = list(out.variants["variant"])
    assert names == ["base", "sparse-0.5", "sparse-0.8", "int8-base"]
    assert out.slim is None
