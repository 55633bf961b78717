"""Measured variants as model families: build, write as YAML, read back (no PyTorch needed).

A family file holds one family in the format of the ``families:`` entries of
a scenario file (:class:`slimplace.scenario.schema.FamilyModel`), numbers as
unit strings. Writing and reading go through the scenario reader and writer
(:mod:`slimplace.scenario.io`), so a family file is checked exactly as an
inline family is, and its entry can be pasted under ``families:``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from slimplace.errors import InputError, Problem
from slimplace.scenario.io import dump_scenario, loads_scenario
from slimplace.scenario.model import MeasuredLatency, ModelFamily, Node, Scenario, Variant

#: Device class under which latencies measured on this machine are recorded.
LOCAL_DEVICE_CLASS = "local-cpu"


def variant_from_row(row: pd.Series, *, device_class: str, source: str) -> Variant:
    """A :class:`Variant` from one row of the profiling table.

    Measured latencies: batch 32 first, then batch 1 (a latency model that
    keeps the last entry per device class uses the batch-1 figure).
    """
    measured = (
        MeasuredLatency(device_class, float(row["latency_b32_s"]), 32, source),
        MeasuredLatency(device_class, float(row["latency_b1_s"]), 1, source),
    )
    width = row.get("width")
    return Variant(
        name=str(row["variant"]),
        accuracy=float(row["accuracy"]),
        flops=float(row["flops"]),
        params=float(row["params"]),
        memory_bytes=float(row["weight_bytes"]),
        kind=str(row["kind"]),
        width=None if width is None or pd.isna(width) else float(width),
        precision=str(row["precision"]),
        measured=measured,
        source=source,
    )


def build_families(
    table: pd.DataFrame,
    *,
    name: str,
    device_class: str = LOCAL_DEVICE_CLASS,
    switch_time_s: float,
    load_time_s: float,
    source: str,
    task: str,
) -> tuple[ModelFamily | None, ModelFamily]:
    """``(shared, all)``: the weight-sharing family (widths and exit thresholds of one network,
    switched in ``switch_time_s``; ``None`` if there are none) and the family of every variant
    as a separate model (each loads in its measured load time, the largest given here)."""
    rows = [r for _, r in table.iterrows()]
    shared = [
        variant_from_row(r, device_class=device_class, source=source)
        for r in rows
        if bool(r["shared"])
    ]
    every = [variant_from_row(r, device_class=device_class, source=source) for r in rows]
    slim = (
        ModelFamily(
            f"{name}-slim",
            tuple(shared),
            weight_sharing=True,
            switch_time_s=switch_time_s,
            load_time_s=load_time_s,
            task=task,
            source=source,
        )
        if shared
        else None
    )
    all_family = ModelFamily(
        f"{name}-all",
        tuple(every),
        weight_sharing=False,
        switch_time_s=switch_time_s,
        load_time_s=load_time_s,
        task=task,
        source=source,
    )
    return slim, all_family


def _carrier(families: Iterable[ModelFamily]) -> Scenario:
    return Scenario(
        name="family-carrier",
        nodes=(Node("carrier", "device"),),
        links=(),
        hardware=(),
        link_kinds=(),
        families=tuple(families),
        applications=(),
        regions=(),
    )


def family_document(family: ModelFamily) -> dict[str, Any]:
    """The family as a ``families:`` entry of a scenario file (unit strings)."""
    doc = yaml.safe_load(dump_scenario(_carrier([family])))
    entry: dict[str, Any] = doc["families"][0]
    return entry


def dumps_family(family: ModelFamily, *, comment: str = "") -> str:
    """YAML text of one family file, with an optional ``#`` comment header."""
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    body = yaml.safe_dump(family_document(family), sort_keys=False, allow_unicode=True, width=4096)
    return header + body


def loads_family(text: str, *, file: str = "<string>") -> ModelFamily:
    """Read one family from YAML text, checked like an inline family of a scenario file.

    Problems are reported at paths like ``variants[2].accuracy``.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(file, [Problem("", f"YAML syntax error: {exc}")]) from None
    if not isinstance(data, dict):
        raise InputError(file, [Problem("", "expected a mapping with name:, variants:, ...")])
    carrier = {
        "name": "family-carrier",
        "nodes": [{"id": "carrier", "tier": "device"}],
        "families": [data],
    }
    try:
        scenario = loads_scenario(yaml.safe_dump(carrier, sort_keys=False), file=file)
    except InputError as exc:
        problems = [
            Problem(p.path.removeprefix("families[0]").lstrip("."), p.message) for p in exc.problems
        ]
        raise InputError(file, problems) from None
    return scenario.families[0]


def load_family(path: str | Path) -> ModelFamily:
    """Read a family file written by ``slimplace profile`` (or by hand)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(file, [Problem("", f"cannot read the file: {exc.strerror}")]) from None
    return loads_family(text, file=file)


__all__ = [
    "LOCAL_DEVICE_CLASS",
    "build_families",
    "dumps_family",
    "family_document",
    "load_family",
    "loads_family",
    "variant_from_row",
]
