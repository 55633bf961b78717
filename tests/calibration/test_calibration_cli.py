"""``slimplace calibrate``: user CSVs, bad input, the profile it writes; solve states sources."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from slimplace.calibration.fit import predict_latency_s
from slimplace.calibration.userdata import read_measurements
from slimplace.cli import app
from slimplace.errors import InputError
from slimplace.scenario.io import load_scenario
from slimplace.scenario.model import LatencyFit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()

TRUTH = LatencyFit(overhead_s=3e-3, flops_per_s=2e10, memory_bandwidth_bps=1.2e11)


def _write_csv(path: Path, n: int = 12, seed: int = 0) -> Path:
    """Synthetic measurements from a known model, with unit strings and 3 % noise."""
    from slimplace.calibration.features import features_from_arrays

    rng = np.random.default_rng(seed)
    flops = rng.uniform(1e8, 2e9, n)
    params = rng.uniform(1e6, 1e7, n)
    feats = features_from_arrays(flops, params, ["fp32"] * n)
    latency = predict_latency_s(TRUTH, feats) * (1 + 0.03 * rng.standard_normal(n))
    lines = ["variant,family,flops,params,latency,precision"]
    for i in range(n):
        fam = "a" if i % 2 else "b"
        lines.append(
            f"v{i},{fam},{flops[i] / 1e6:.3f} MFLOP,{params[i]:.0f},{latency[i] * 1e3:.4f} ms,fp32"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_read_measurements_parses_units_and_catalog_rows(tmp_path: Path) -> None:
    m = read_measurements(_write_csv(tmp_path / "m.csv"))
    assert len(m) == 12 and set(m.family) == {"a", "b"}
    assert m.features.flops.min() >= 1e8 and m.latency_s.max() < 1.0
    cat = tmp_path / "cat.csv"
    cat.write_text(
        "family,variant,latency_ms,batch_size\n"
        "mobilenet-v2,mobilenet_v2_1.0_224,73.8,1\n"
        "mobilenet-v2,mobilenet_v2_0.5_224,28.7,1\n"
        "mobilenet-v3,MobileNetV3-Large_1.0_224_uint8,176,4\n"
    )
    m = read_measurements(cat)
    assert m.features.int8.tolist() == [False, False, True]
    assert m.batch_size.tolist() == [1, 1, 4]
    assert m.latency_s[0] == pytest.approx(0.0738)
    assert m.features.activation_from_layers.all()
    assert m.features.depthwise_from_layers.all() and (m.features.depthwise_bytes > 0).all()


def test_read_measurements_takes_depthwise_bytes(tmp_path: Path) -> None:
    path = tmp_path / "dw.csv"
    path.write_text(
        "flops,params,latency_ms,activation_bytes,depthwise_activation_bytes,precision\n"
        "600 MFLOP,3.5e6,70,40 MB,12 MB,fp32\n"
        "8 GFLOP,25e6,700,100 MB,0,fp32\n"
        "300 MFLOP,2e6,30,20 MB,,int8\n"
    )
    f = read_measurements(path).features
    assert f.depthwise_bytes.tolist() == [12e6, 0.0, 0.0]
    assert f.depthwise_from_layers.tolist() == [True, True, False]
    assert f.activation_bytes.tolist() == [40e6, 100e6, 20e6]
    path.write_text(
        "flops,params,latency_ms,depthwise_activation_bytes\n"
        "1e9,1e6,3,-1\n1e9,1e6,3,1\n1e9,1e6,4,1\n"
    )
    with pytest.raises(InputError) as err:
        read_measurements(path)
    assert "line 2, column 'depthwise_activation_bytes'" in str(err.value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("flops,params\n1e9,1e6\n", "header"),
        ("flops,params,latency_ms,latency_s\n1e9,1e6,3,0.003\n", "header"),
        (
            "flops,params,latency_ms\n1e9,1e6,fast\n1e9,1e6,3\n1e9,1e6,4\n",
            "line 2, column 'latency_ms'",
        ),
        (
            "flops,params,latency\n1e9,1e6,3 kg\n1e9,1e6,3 ms\n1e9,1e6,4 ms\n",
            "line 2, column 'latency'",
        ),
        (
            "flops,params,latency_s,precision\n1e9,1e6,0.1,int4\n1e9,1e6,0.1,\n2e9,1e6,0.2,\n",
            "line 2, column 'precision'",
        ),
        (
            "flops,params,latency_s,batch_size\n1e9,1e6,0.1,0\n1e9,1e6,0.1,1\n2e9,1e6,0.2,1\n",
            "line 2, column 'batch_size'",
        ),
        (
            "family,variant,latency_s\nmobilenet-v9,x,0.1\nmobilenet-v2,nope,0.1\n"
            "mobilenet-v2,mobilenet_v2_1.0_224,0.07\n",
            "line 2, column 'family'",
        ),
        ("flops,params,latency_s\n1e9,1e6,0.1\n", "need at least 3"),
        ("flops,params,latency_s\n", "no measurement rows"),
    ],
)
def test_bad_csvs_name_the_file_and_column(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_measurements(path)
    assert str(path) in str(err.value) and where in str(err.value)
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(path),
            "--profile",
            "p",
            "--base",
            "raspberry-pi-4",
            "--out",
            str(tmp_path / "p.yaml"),
        ],
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "p.yaml").exists()


def test_calibrate_writes_a_profile_a_scenario_can_use(tmp_path: Path) -> None:
    out = tmp_path / "profile.yaml"
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(_write_csv(tmp_path / "m.csv", n=20)),
            "--profile",
            "my-box",
            "--base",
            "edge-mini-pc",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "held-out 5-fold" in result.output and "FLOPs-only" in result.output
    assert "fit on a, predict b" in result.output
    entry = yaml.safe_load(out.read_text())["hardware"][0]
    assert entry["name"] == "my-box" and entry["tier"] == "edge"
    # the scenario names the profile; its fit recovers the generating model
    scenario = yaml.safe_load((EXAMPLES / "minimal.yaml").read_text())
    scenario["hardware"] = [entry]
    scenario["nodes"][1]["hardware"] = "my-box"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario))
    hw = load_scenario(path).hardware_by_name()["my-box"]
    fit = hw.latency_fit
    assert fit is not None and fit.n_points == 20 and fit.mape is not None and fit.mape < 0.06
    assert fit.overhead_s == pytest.approx(TRUTH.overhead_s, rel=0.3)
    assert fit.flops_per_s == pytest.approx(TRUTH.flops_per_s, rel=0.3)
    plan = tmp_path / "plan.json"
    solved = runner.invoke(app, ["solve", str(path), "--method", "edge-first", "--json", str(plan)])
    assert solved.exit_code == 0, solved.output
    assert "fitted model 100%" in solved.output
    assert {a["latency_source"] for a in json.loads(plan.read_text())["assignments"]} == {"fitted"}


def test_calibrate_without_base_needs_power_and_memory(tmp_path: Path) -> None:
    csv_path = _write_csv(tmp_path / "m.csv")
    out = tmp_path / "p.yaml"
    result = runner.invoke(app, ["calibrate", str(csv_path), "--profile", "p", "--out", str(out)])
    assert result.exit_code == 2
    assert "--memory" in result.output and "--idle-power" in result.output
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(csv_path),
            "--profile",
            "p",
            "--out",
            str(out),
            "--base",
            "rasberry-pi-4",
        ],
    )
    assert result.exit_code == 2 and "raspberry-pi-4" in result.output
    result = runner.invoke(
        app,
        [
            "calibrate",
            str(csv_path),
            "--profile",
            "p",
            "--out",
            str(out),
            "--tier",
            "edge",
            "--memory",
            "8 GB",
            "--idle-power",
            "5 W",
            "--peak-power",
            "25 W",
        ],
    )
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["hardware"][0]["peak_power"] == "25.0 W"


def test_solve_states_the_latency_sources() -> None:
    result = runner.invoke(app, ["solve", str(EXAMPLES / "minimal.yaml"), "--method", "edge-first"])
    assert result.exit_code == 0, result.output
    assert "rest on: measured" in result.output and "FLOPs-only" in result.output
