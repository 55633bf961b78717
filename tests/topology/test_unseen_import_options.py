"""Regressions from the unseen-topology sweep: ``slimplace import`` options that cannot give
a scenario are refused naming the option.

``--apps 0`` was refused as "mix: no devices: give at least one class a count above 0"
(the mix was not what the user set), and ``--slo-slack 0.5-0.9`` as "slo_slack: needs
1 <= lo <= hi", naming a field the command line does not have and not the value given.
"""

from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from slimplace.cli import app


def _ring(tmp_path: Path) -> Path:
    graph = nx.cycle_graph(6)
    for n in graph.nodes:
        graph.nodes[n].update(label=f"N{n}", Latitude=48.0 + 0.5 * n, Longitude=10.0 + 0.3 * n)
    path = tmp_path / "ring6.graphml"
    nx.write_graphml(graph, path)
    return path


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--apps", "0", "--apps: must be 1 or more, got 0"),
        ("--slo-slack", "0.5-0.9", "--slo-slack: needs 1 <= LO <= HI"),
        ("--seed", "-1", "Invalid value for '--seed'"),  # every other command needs >= 0
    ],
)
def test_option_that_cannot_give_a_scenario_is_named(
    tmp_path: Path, option: str, value: str, expected: str
) -> None:
    out = tmp_path / "x.yaml"
    res = CliRunner().invoke(app, ["import", str(_ring(tmp_path)), "-o", str(out), option, value])
    assert res.exit_code == 2
    assert expected in " ".join(res.output.split())
    assert "0.5-0.9" in res.output or option != "--slo-slack"
    assert not out.exists()


def test_output_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    """``-o`` naming a folder ended in a traceback (IsADirectoryError, exit 1)."""
    source = _ring(tmp_path)
    for out in (tmp_path, source / "x.yaml"):
        res = CliRunner().invoke(app, ["import", str(source), "-o", str(out)])
        assert res.exit_code == 2, res.output
        assert "--out" in res.output and "Traceback" not in res.output
