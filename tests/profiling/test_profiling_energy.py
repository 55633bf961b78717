"""Energy per inference: estimates per hardware profile and RAPL measurement (fake sysfs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slimplace.profiling.energy import (
    estimate_energy,
    local_throughput_flops,
    measure_energy_rapl,
    rapl_domains,
)
from slimplace.scenario.model import HardwareProfile

PROFILES = (
    HardwareProfile("slow", "device", 1e10, 1e9, 2.0, 7.0, device_class="pi"),
    HardwareProfile("fast", "cloud", 1e12, 1e11, 100.0, 300.0),
)


def test_both_estimates_follow_their_formulas() -> None:
    flops = np.array([2e6, 8e6])
    local = np.array([1e-3, 2e-3])
    tput_local = local_throughput_flops(8e6, 2e-3)
    assert tput_local == pytest.approx(4e9)
    table = estimate_energy(["small", "big"], flops, local, PROFILES, tput_local)
    assert len(table) == 2 * 2 * 2
    row = table.set_index(["variant", "hardware", "method"])
    assert row.loc[("small", "slow", "flops"), "latency_s"] == pytest.approx(2e6 / 1e10)
    assert row.loc[("small", "slow", "flops"), "energy_j"] == pytest.approx(2e6 / 1e10 * 5.0)
    scaled = 1e-3 * 4e9 / 1e12
    assert row.loc[("small", "fast", "scaled-cpu"), "latency_s"] == pytest.approx(scaled)
    assert row.loc[("small", "fast", "scaled-cpu"), "energy_j"] == pytest.approx(scaled * 200.0)
    # the reference variant gets the same latency both ways; the small one does not
    assert row.loc[("big", "slow", "flops"), "latency_s"] == pytest.approx(
        row.loc[("big", "slow", "scaled-cpu"), "latency_s"]
    )
    assert row.loc[("small", "slow", "scaled-cpu"), "latency_s"] == pytest.approx(
        2 * row.loc[("small", "slow", "flops"), "latency_s"]
    )
    assert set(table["device_class"]) == {"pi", "fast"}
    with pytest.raises(ValueError):
        local_throughput_flops(1e6, 0.0)


def _zone(root: Path, name: str, energy_uj: int, limit: int = 10_000_000) -> Path:
    zone = root / name
    zone.mkdir(parents=True)
    (zone / "name").write_text("package-0\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    (zone / "max_energy_range_uj").write_text(f"{limit}\n")
    return zone / "energy_uj"


def test_rapl_absent_or_unreadable_is_reported(tmp_path: Path) -> None:
    domains, status = rapl_domains(tmp_path / "missing")
    assert domains == () and status.startswith("not available")
    (tmp_path / "intel-rapl:0").mkdir()
    domains, status = rapl_domains(tmp_path)
    assert domains == () and status.startswith("not available")


def test_rapl_energy_per_call_subtracts_idle_and_handles_wrap(tmp_path: Path) -> None:
    counter = _zone(tmp_path, "intel-rapl:0", 9_000_000)
    (tmp_path / "intel-rapl:0:0").mkdir()  # a sub-domain: ignored
    domains, status = rapl_domains(tmp_path)
    assert status == "available: package-0" and len(domains) == 1
    clock = [0.0]

    def advance(seconds: float, watts: float) -> None:
        clock[0] += seconds
        value = int(counter.read_text()) + round(watts * seconds * 1e6)
        counter.write_text(f"{value % 10_000_000}\n")  # wraps at max_energy_range_uj

    def call() -> None:
        advance(0.125, 5.0)  # 5 W while busy, 0.125 s per call

    result = measure_energy_rapl(
        call, domains, min_window_s=1.0, sleep=lambda s: advance(s, 2.0), clock=lambda: clock[0]
    )
    assert result.idle_power_w == pytest.approx(2.0)
    assert result.busy_power_w == pytest.approx(5.0)
    assert result.calls == 8
    assert result.energy_per_call_j == pytest.approx((5.0 - 2.0) * 0.125)
