"""``benchmarks/online.py --set POLICY.KEY=VALUE``: options reach one policy, bad ones exit 2."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*sets: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "online.py"),
        str(ROOT / "examples" / "demo.yaml"),
    ]
    cmd += ["--trace", str(ROOT / "src" / "slimplace" / "data" / "workloads" / "aws_elb.csv")]
    cmd += ["--horizon", "30min", "--step", "5min", "--policies", "static-peak,periodic"]
    cmd += ["--static-method", "greedy"]
    for item in sets:
        cmd += ["--set", item]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)


def test_an_option_reaches_the_policy_and_bad_ones_exit_2() -> None:
    ok = _run("periodic.idle_s=none", "periodic.window_s=0")
    assert ok.returncode == 0, ok.stderr
    assert "periodic" in json.loads(ok.stdout)["policies"]
    typo = _run("periodic.idl_s=3")
    assert typo.returncode == 2 and "idl_s: unknown option (did you mean idle_s" in typo.stderr
    wrong = _run("periodic.idle_s=abc")
    assert wrong.returncode == 2 and "idle_s: expected float | None, got 'abc'" in wrong.stderr
    other = _run("reactive.idle_s=3")
    assert other.returncode == 2 and "not among --policies" in other.stderr
    assert "Traceback" not in typo.stderr + wrong.stderr + other.stderr


def test_an_unknown_planner_exits_2_before_any_policy_runs() -> None:
    """``--set periodic.method=...`` names a planner: an unknown one is refused before the
    slow part (before, static-peak ran first)."""
    bad = _run("periodic.method=milpx")
    assert bad.returncode == 2 and "unknown method 'milpx' (did you mean milp" in bad.stderr
    assert "static-peak:" not in bad.stderr and "Traceback" not in bad.stderr
