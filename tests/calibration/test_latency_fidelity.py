"""benchmarks/latency_fidelity.py: targets kept apart, nested CV of the model choice, --repeats."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from slimplace.calibration.features import VariantFeatures
from slimplace.calibration.published import published_measurements


@pytest.fixture(scope="module")
def bench(benchmark_script: Callable[[str], ModuleType]) -> ModuleType:
    return benchmark_script("latency_fidelity")


def test_once_for_all_latencies_are_targets_not_measurements(bench: ModuleType) -> None:
    m = published_measurements()["pixel1"]
    kinds = bench.split_kinds(m)
    targets = {m.family[i] for i in kinds["targets"]}
    measured = {m.family[i] for i in kinds["measured"]}
    assert targets == {"ofa-mobilenet-v3"}
    assert "ofa-mobilenet-v3" not in measured and measured
    assert len(kinds["targets"]) + len(kinds["measured"]) == len(m)


def _synthetic(n: int, seed: int) -> tuple[VariantFeatures, np.ndarray]:
    """Latencies from overhead + FLOPs / rate with 1 % noise (no memory terms)."""
    rng = np.random.default_rng(seed)
    flops = rng.uniform(1e8, 2e9, n)
    features = VariantFeatures(
        flops=flops,
        int8=np.zeros(n, dtype=bool),
        weight_bytes=rng.uniform(1e6, 2e7, n),
        activation_bytes=rng.uniform(1e6, 3e7, n),
        activation_from_layers=np.ones(n, dtype=bool),
        depthwise_bytes=rng.uniform(1e5, 1e7, n),
        depthwise_from_layers=np.ones(n, dtype=bool),
    )
    latency = (0.004 + flops / 2e10) * (1 + 0.01 * rng.standard_normal(n))
    return features, latency


def test_nested_cv_recovers_a_known_structure(bench: ModuleType) -> None:
    features, latency = _synthetic(40, seed=3)
    result = bench.nested_cv(features, latency, 1, folds=5, inner_folds=4, repeats=2, seed=0)
    assert sum(result.picked.values()) == 5 * 2  # one choice per outer fold and shuffle
    assert "flops-only" not in result.picked  # the overhead is needed
    assert result.mape < 0.03  # about the 1 % noise, not the FLOPs-only error
    assert result.cv_mape["flops-only"] > 3 * result.mape


def test_repeats_is_an_option_and_the_json_keeps_kinds_apart(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.main(["--json", "--repeats", "1", "--folds", "3", "--inner-folds", "3"])
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"measured", "targets", "nested"}
    assert out["measured"]["pixel1"]["n"] == 31  # the READMEs' measurements only
    assert "xeon" in out["targets"] and "xeon" not in out["measured"]
    assert sum(out["nested"]["pixel1"]["picked"].values()) == 3
    with pytest.raises(SystemExit):
        bench.main(["--repeats", "0"])
