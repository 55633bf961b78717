"""README.md's "A five-minute tour" runs as written: every file it names is shipped,
every command it uses exists, and its quick commands run (the long ones, a simulated day,
a 100-trial sweep, profiling, are run by hand before a release; see the report)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slimplace.cli import app

ROOT = Path(__file__).resolve().parents[2]
#: Commands quick enough for the test suite (seconds).
QUICK = ("catalog", "validate", "solve", "methods", "import --list", "calibrate")


def _tour() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = text.split("## A five-minute tour", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        for part in line.split("&&"):
            words = shlex.split(part)
            if words:
                assert words[0] == "slimplace", line
                commands.append(words[1:])
    return commands


def test_the_tour_names_shipped_files_and_known_commands() -> None:
    import typer.main

    names = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    commands = _tour()
    assert len(commands) >= 12
    for args in commands:
        assert args[0] in names, args
        for word in args:
            if word.startswith("examples/"):
                assert (ROOT / word).is_file(), word


@pytest.mark.parametrize(
    "args", [a for a in _tour() if any(" ".join(a).startswith(q) for q in QUICK)], ids=" ".join
)
def test_quick_tour_commands_run(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for option in ("--json", "--out", "-o", "--csv"):
        if option in args:
            assert (tmp_path / args[args.index(option) + 1]).exists()


def test_the_calibration_example_is_published_data() -> None:
    rows = (ROOT / "examples" / "my-device-latencies.csv").read_text().splitlines()
    assert rows[0] == "family,variant,latency_ms,batch_size,source"
    assert len(rows) - 1 == 31
    # measured latencies only (no latency targets a search was run for)
    assert all(re.search(r"(?i)pixel ?1 large core", row) for row in rows[1:])
