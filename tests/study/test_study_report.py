"""The HTML report: files written, self-contained, and every figure renders in Chromium."""

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from slimplace.study import Trial, TrialOutput, loads_spec, run_sweep, run_trial
from slimplace.study.report import write_report

SPEC = loads_spec(
    """
name: report
description: A small sweep for the report tests.
seed: 2
run: compare
parameters: {scenario: tiny, methods: [cloud-only, edge-first, nearest-feasible]}
axes:
  load_scale: [0.5, 1.0]
  n_devices: [4, 8]
seeds: 2
"""
)
FIGURES = ("energy_by_tier", "pareto", "timeseries", "gap_and_time")


def with_series(trial: Trial) -> TrialOutput:
    """A compare trial plus a made-up time series per method (stands in for a simulation)."""
    out = run_trial(trial)
    t = np.arange(0.0, 4 * 3600.0, 600.0)
    series = pd.concat(
        pd.DataFrame(
            {
                "trial_id": trial.trial_id,
                "method": m,
                "time_s": t,
                "power_w": p * (1.2 + np.sin(t / 7200.0)),
                "slo_met_fraction": 0.98,
            }
        )
        for m, p in zip(out.rows["method"], out.rows["power_w"], strict=True)
    )
    return TrialOutput(out.trial_id, out.rows, series)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sweep")
    run_sweep(SPEC, folder, executor="serial", function=with_series)
    return write_report(folder)


def test_report_and_figure_files_are_written(report: Path) -> None:
    assert report == report.parent.parent / "report" / "report.html"
    for name in FIGURES:
        png = report.parent / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        root = ET.parse(report.parent / "figures" / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")


def test_report_is_self_contained(report: Path) -> None:
    page = report.read_text()
    assert page.count('src="data:image/png;base64,') == len(FIGURES)
    # nothing is fetched: no http(s) sources, no external style sheets or scripts
    assert not re.search(r'(src|href)="https?://', page)
    assert "<script" not in page
    assert "8 of 8 trials stored, 0 failed, 24 result rows" in page
    assert page.count("<tr>") > 24  # every row in the trial table


def test_report_without_simulations_has_no_time_series(tmp_path: Path) -> None:
    run_sweep(SPEC, tmp_path, executor="serial")
    page = write_report(tmp_path).read_text()
    assert page.count("data:image/png") == 3 and "fig-timeseries" not in page


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


_CHECK = """<script>window.addEventListener('load', function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  var m = document.createElement('div'); m.id = 'render-check';
  m.textContent = 'RENDERED ' + ok + ' OF ' + imgs.length;
  document.body.appendChild(m);
});</script>"""


def _rendered(chromium: str, page: Path, tmp_path: Path) -> tuple[int, int]:
    """Load ``page`` (with a checker script) in headless Chromium; count images that
    decoded with a non-zero natural width, and all images."""
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace("</body>", _CHECK + "</body>"))
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r"RENDERED (\d+) OF (\d+)", result.stdout)
    assert found, f"no render marker; chromium said: {result.stderr[-2000:]}"
    return int(found.group(1)), int(found.group(2))


def test_every_figure_renders_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed in CI (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    assert _rendered(chromium, report, tmp_path) == (len(FIGURES), len(FIGURES))
    # the check can fail: a broken image is counted as not rendered
    broken = report.with_name("broken.html")
    broken.write_text(
        report.read_text().replace("</body>", '<img src="data:image/png;base64,AAAA"></body>')
    )
    assert _rendered(chromium, broken, tmp_path) == (len(FIGURES), len(FIGURES) + 1)
