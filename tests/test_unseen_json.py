"""Regression from the unseen-input sweep: ``--json`` files are strict JSON.

``slimplace solve -m greedy --json FILE`` wrote ``"gap": NaN`` (a heuristic has no bound),
and ``simulate`` wrote NaN into ``summary.json`` for an empty run; ``NaN`` and ``Infinity``
are not JSON (RFC 8259, section 6), so ``jq`` and JavaScript's ``JSON.parse`` reject the
whole file. Non-finite numbers are now ``null``.
"""

import json
import math
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from slimplace.cli import app
from slimplace.cli.options import dumps_finite

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "minimal.yaml"


def _strict(text: str) -> object:
    def refuse(token: str) -> float:
        raise ValueError(f"non-finite {token} in JSON")

    return json.loads(text, parse_constant=refuse)


def test_dumps_finite_writes_null_for_every_non_finite_number() -> None:
    doc = {
        "gap": math.nan,
        "a": [1.0, math.inf, np.float64(-np.inf), np.int64(3)],
        "nested": {"x": np.array([1.0, np.nan]), "p": Path("f.csv"), "ok": True, "s": "nan"},
    }
    out = _strict(dumps_finite(doc))
    assert out == {
        "gap": None,
        "a": [1.0, None, None, 3],
        "nested": {"x": [1.0, None], "p": "f.csv", "ok": True, "s": "nan"},
    }


def test_solve_json_of_a_heuristic_is_strict_json(tmp_path: Path) -> None:
    target = tmp_path / "g.json"
    res = CliRunner().invoke(app, ["solve", str(EXAMPLE), "-m", "greedy", "--json", str(target)])
    assert res.exit_code == 0, res.output
    doc = _strict(target.read_text())
    assert isinstance(doc, dict)
    assert doc["status"] == "feasible" and doc["gap"] is None
