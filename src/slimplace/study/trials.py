"""Expanding a sweep spec into trials, each a pure function of its own description.

A trial's id and seeds come from stable hashes (SHA-256 of canonical JSON, never
Python's salted ``hash()``), so they are the same on every machine and run:

- ``trial_id``: the first 16 hex digits of the hash of (run kind, sweep seed,
  parameters, SHA-256 of the scenario file and of every file it includes with
  ``{file: ...}``, if any: editing an included hardware profile makes new trials);
- ``seed`` (for the method): ``SeedSequence(sweep_seed, spawn_key=(h(all parameters),))``;
- ``scenario_seed`` (for the generator): the same over the structure parameters
  only (:func:`slimplace.study.params.structure_part`), so methods, load levels
  and objectives of one replicate share one generated scenario;
- ``instance_id``: hash of the instance parameters, the group a gap is measured in.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from slimplace.errors import InputError, Problem
from slimplace.study.params import BUILTIN_SCENARIOS, instance_part, structure_part
from slimplace.study.spec import ParamValue, RunKind, SweepSpec


@dataclass(frozen=True, slots=True)
class Trial:
    """One unit of work: run ``run`` with ``params`` and the derived seeds.

    ``scenario_text`` carries the scenario file's contents, so a worker on another
    machine needs no shared file system.
    """

    trial_id: str
    sweep: str
    run: RunKind
    params: Mapping[str, ParamValue]
    seed: int
    scenario_seed: int
    instance_id: str
    scenario_text: str | None = None

    @property
    def params_json(self) -> str:
        """The parameters as canonical JSON."""
        return canonical_json(self.params)


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)


def stable_hash(value: Any) -> bytes:
    """SHA-256 of the canonical JSON of ``value`` (stable across processes and machines)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).digest()


def derive_seed(sweep_seed: int, value: Any) -> int:
    """A 32-bit seed from ``numpy.random.SeedSequence(sweep_seed, spawn_key=(hash,))``."""
    key = int.from_bytes(stable_hash(value)[:8], "big")
    state = np.random.SeedSequence(sweep_seed, spawn_key=(key,)).generate_state(1, np.uint32)
    return int(state[0])


#: Most trials a sweep may expand to (:func:`expand_trials`); a larger grid is refused
#: before it is built.
MAX_TRIALS = 200_000


def count_trials(spec: SweepSpec) -> int:
    """Trials in the grid of ``spec`` (product of the axis lengths times the seeds),
    counted without building it."""
    return math.prod(len(v) for v in spec.axes.values()) * spec.seeds


def grid(spec: SweepSpec) -> list[dict[str, ParamValue]]:
    """Every parameter combination: the axes' product (in spec order) times the replicates."""
    axes: dict[str, list[ParamValue]] = dict(spec.axes)
    if spec.seeds > 1:
        axes["replicate"] = list(range(spec.seeds))
    names = list(axes)
    combos = itertools.product(*(axes[n] for n in names))
    rows = [{**spec.parameters, **dict(zip(names, combo, strict=True))} for combo in combos]
    return _uniform_numbers(rows)


def expand_trials(spec: SweepSpec, *, max_trials: int = MAX_TRIALS) -> list[Trial]:
    """The trials of ``spec``, in grid order; scenario files are read once here.

    A grid of more than ``max_trials`` is refused (:class:`InputError` saying how many)
    before any trial is built."""
    n = count_trials(spec)
    if n > max_trials:
        sizes = " x ".join(
            [f"{len(v)} {k}" for k, v in spec.axes.items()]
            + ([f"{spec.seeds} seeds"] if spec.seeds > 1 else [])
        )
        raise InputError(
            "sweep",
            [Problem("axes", f"{n:,} trials ({sizes}); at most {max_trials:,}: split the sweep")],
        )
    texts = _scenario_texts(spec)
    trials = []
    for params in grid(spec):
        scenario = str(params.get("scenario", "generated"))
        text, file_sha = texts.get(scenario, (None, None))
        identity = {"run": spec.run, "seed": spec.seed, "params": params, "file": file_sha}
        structure = {"params": structure_part(params), "file": file_sha}
        trials.append(
            Trial(
                trial_id=stable_hash(identity).hex()[:16],
                sweep=spec.name,
                run=spec.run,
                params=params,
                seed=derive_seed(spec.seed, identity),
                scenario_seed=derive_seed(spec.seed, structure),
                instance_id=stable_hash({"params": instance_part(params), "file": file_sha}).hex()[
                    :16
                ],
                scenario_text=text,
            )
        )
    if len({t.trial_id for t in trials}) < len(trials):
        raise InputError("sweep", [Problem("axes", "two trials have the same parameters")])
    return trials


def _uniform_numbers(rows: list[dict[str, ParamValue]]) -> list[dict[str, ParamValue]]:
    """A parameter given as int in some trials and float in others becomes float in all,
    so every trial file stores it with one type."""
    floats = {k for row in rows for k, v in row.items() if isinstance(v, float)}
    for row in rows:
        for k in floats & row.keys():
            v = row[k]
            if isinstance(v, int) and not isinstance(v, bool):
                row[k] = float(v)
    return rows


def _scenario_texts(spec: SweepSpec) -> dict[str, tuple[str, str]]:
    """Each scenario file's text and fingerprint (:func:`scenario_fingerprint`)."""
    files = {spec.parameters.get("scenario"), *spec.axes.get("scenario", [])}
    texts = {}
    for f in files:
        if isinstance(f, str) and f not in BUILTIN_SCENARIOS:
            try:
                text = Path(f).read_text(encoding="utf-8-sig")
            except OSError as exc:
                raise InputError(f, [Problem("", f"cannot read the scenario: {exc}")]) from None
            texts[f] = (text, scenario_fingerprint(text, Path(f).parent))
    return texts


def scenario_fingerprint(text: str, folder: Path) -> str:
    """SHA-256 over a scenario's text and each file it includes (``{file: path}`` items
    of :data:`slimplace.scenario.includes.INCLUDABLE` sections, read relative to ``folder``):
    their paths and contents, or that they are missing. Only regular files up to
    :data:`slimplace.scenario.includes.MAX_INCLUDE_BYTES` are read (a device or FIFO
    counts as unreadable); the scenario reader decides whether an include may be read
    and reports what is wrong with it when the trial runs."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for name in _included_names(text):
        digest.update(b"\0" + name.encode("utf-8") + b"\0" + _file_digest(folder / name))
    return digest.hexdigest()


def _included_names(text: str) -> list[str]:
    from slimplace.scenario.includes import INCLUDABLE

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    if not isinstance(data, dict):
        return []
    return [
        str(item["file"])
        for section in INCLUDABLE
        if isinstance(data.get(section), list)
        for item in data[section]
        if isinstance(item, dict) and set(item) == {"file"}
    ]


def _file_digest(path: Path) -> bytes:
    from slimplace.scenario.includes import MAX_INCLUDE_BYTES

    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_INCLUDE_BYTES:
            return b"unreadable"
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"missing"
