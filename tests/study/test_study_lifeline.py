"""Killing the sweep driver (SIGTERM or SIGKILL) leaves no worker or fork server running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from slimplace.study.lifeline import die_with_parent, in_fork_server

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's"
)

SRC = Path(__file__).resolve().parents[2] / "src"

SLOW_TRIAL = """
import os, time
from pathlib import Path

def slow(trial):
    folder = Path(os.environ["LIFELINE_PIDS"])
    (folder / f"{os.getpid()}").write_text(str(os.getppid()))
    time.sleep(300)
"""

DRIVER = """
import sys
from slimplace.study import loads_spec, run_sweep
from slow_trial import slow

if __name__ == "__main__":
    spec = loads_spec(
        "name: lifeline\\nparameters: {scenario: tiny}\\naxes: {load_scale: [0.5, 1.0, 1.5, 2.0]}"
    )
    run_sweep(spec, sys.argv[1], executor="local", workers=2, function=slow)
"""


def _alive(pid: int, marker: bytes) -> bool:
    """Whether ``pid`` runs, is not a zombie, and is one of this test's processes (its
    environment holds ``marker``: a reused pid is never taken for one of them)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1] and marker in environ.split(b"\0")


def _start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    (tmp_path / "slow_trial.py").write_text(textwrap.dedent(SLOW_TRIAL))
    (tmp_path / "driver.py").write_text(textwrap.dedent(DRIVER))
    pids = tmp_path / "pids"
    pids.mkdir()
    env = {**os.environ, "LIFELINE_PIDS": str(pids), "PYTHONPATH": f"{SRC}:{tmp_path}"}
    driver = subprocess.Popen(
        [sys.executable, str(tmp_path / "driver.py"), str(tmp_path / "out")],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while len(list(pids.iterdir())) < 2:
        if driver.poll() is not None or time.monotonic() > deadline:
            driver.kill()
            driver.wait()
            raise AssertionError("the workers did not start")
        time.sleep(0.1)
    time.sleep(0.2)
    workers = [int(p.name) for p in pids.iterdir()]
    servers = {int(p.read_text()) for p in pids.iterdir()}
    assert driver.pid not in servers  # workers come from the fork server, not the driver
    return driver, [*workers, *servers]


def _wait_dead(pids: list[int], marker: bytes, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while any(_alive(p, marker) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if _alive(p, marker)]


def _cleanup(driver: subprocess.Popen[bytes], pids: list[int], marker: bytes) -> None:
    """Kill what this test started and is still running (never a reused pid)."""
    if driver.poll() is None:
        driver.kill()
        driver.wait()
    for pid in pids:
        if _alive(pid, marker):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_workers_and_fork_server_die_with_the_driver(tmp_path: Path, sig: int) -> None:
    driver, children = _start(tmp_path)
    marker = f"LIFELINE_PIDS={tmp_path / 'pids'}".encode()
    try:
        assert all(_alive(p, marker) for p in children)
        driver.send_signal(sig)
        driver.wait(timeout=30)  # SIGTERM: the driver stops its workers and exits
        assert _wait_dead(children, marker, 10.0) == []
    finally:
        _cleanup(driver, children, marker)


def test_die_with_parent_in_a_child(tmp_path: Path) -> None:
    """The request is made (Linux) and is harmless while the parent lives."""
    code = "from slimplace.study.lifeline import die_with_parent; print(die_with_parent())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"
    assert callable(die_with_parent)


def test_the_guard_does_nothing_outside_the_fork_server() -> None:
    assert not in_fork_server()
    import slimplace.study.forkserver_guard  # noqa: F401  (imported here: no effect)

    assert os.getppid() > 0
