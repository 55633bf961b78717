"""Read and write job files (YAML) as :class:`~slimplace.scheduling.model.JobSet` values.

Loading reports every problem of the stage that fails as an
:class:`~slimplace.errors.InputError` naming the file and each path
(``jobs[3].deadline``), like scenario files (:mod:`slimplace.scenario.io`):

1. text: UTF-8, YAML syntax, duplicate keys, a mapping at the top;
2. schema (:mod:`slimplace.scheduling.schema`): fields, types, units, single-field ranges;
3. references: the scenario file (relative to the job file), hardware profiles, link
   kinds and model families (inline first, then the scenario's, then the catalog's);
4. semantics: duplicate ids, deadline after release, floors the family can reach,
   input nodes that exist, at least one machine.

Machines are every server of the scenario's nodes that have hardware (``node`` or
``node#k`` when a node has several) plus the ``machines:`` list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from slimplace.catalog import Catalog, load_catalog
from slimplace.errors import InputError, Problem
from slimplace.fsutil import atomic_write_text
from slimplace.scenario import io as scenario_io
from slimplace.scenario.document import parse_document
from slimplace.scenario.dump import family_doc, hardware_doc, link_kind_doc
from slimplace.scenario.model import HardwareProfile, LinkKind, ModelFamily, Scenario
from slimplace.scenario.resolve import to_family, to_hardware, to_link_kind
from slimplace.scenario.validate import family_values, hardware_values, suggest
from slimplace.scenario.yaml_text import dump_yaml, read_text, read_yaml
from slimplace.scheduling import schema
from slimplace.scheduling.model import Job, JobSet, JobSettings, Machine
from slimplace.units import format_si

E = TypeVar("E")


def _parse_document(data: Any, file: str) -> schema.JobFile:
    return parse_document(
        data,
        file,
        schema.JobFile,
        schema.field_names_at,
        what="job-file",
        keys="name:, machines:, jobs:, ...",
    )


@dataclass
class _Table(Generic[E]):
    """Named entries: inline (with file index), then the scenario's, then the catalog's."""

    field: str
    what: str
    inline: dict[str, tuple[int, E]]
    fallbacks: tuple[Mapping[str, E], ...]
    used: dict[str, E]

    @classmethod
    def build(
        cls,
        field: str,
        what: str,
        inline: Sequence[tuple[str, E]],
        fallbacks: tuple[Mapping[str, E], ...],
        problems: list[Problem],
    ) -> _Table[E]:
        entries: dict[str, tuple[int, E]] = {}
        for i, (name, entry) in enumerate(inline):
            if name in entries:
                message = f"duplicate {what} {name!r} (also {field}[{entries[name][0]}])"
                problems.append(Problem(f"{field}[{i}].name", message))
            else:
                entries[name] = (i, entry)
        return cls(field, what, entries, fallbacks, {})

    def resolve(self, name: str, path: str, problems: list[Problem]) -> E | None:
        """The entry called ``name``, or ``None`` after recording a problem at ``path``."""
        if name in self.inline:
            self.used[name] = self.inline[name][1]
            return self.used[name]
        for table in self.fallbacks:
            if name in table:
                self.used[name] = table[name]
                return self.used[name]
        known = [*self.inline, *(n for t in self.fallbacks for n in t)]
        problems.append(Problem(path, suggest(name, known, self.what)))
        return None


def _inline_problems(doc: schema.JobFile) -> list[Problem]:
    """Cross-field rules of inline hardware and families, with file paths."""
    found: list[Problem] = []

    def renamed(field: str, i: int, name: str, problems: list[Problem]) -> None:
        prefix = f"{field}[{name}]"
        for p in problems:
            found.append(Problem(f"{field}[{i}]" + p.path.removeprefix(prefix), p.message))

    for i, h in enumerate(doc.hardware):
        renamed("hardware", i, h.name, hardware_values(to_hardware(h)))
    for i, f in enumerate(doc.families):
        renamed("families", i, f.name, family_values(to_family(f)))
    return found


def _load_scenario(
    doc: schema.JobFile, base_dir: Path | None, problems: list[Problem]
) -> tuple[Scenario | None, str | None]:
    if doc.scenario is None:
        return None, None
    path = Path(doc.scenario)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        problems.append(Problem("scenario", f"no scenario file {str(path)!r}"))
        return None, doc.scenario
    return scenario_io.load_scenario(path), doc.scenario


def _machines(
    doc: schema.JobFile,
    scenario: Scenario | None,
    hardware: _Table[HardwareProfile],
    kinds: _Table[LinkKind],
    problems: list[Problem],
) -> list[Machine]:
    machines: list[Machine] = []
    if scenario is not None:
        for n in scenario.nodes:
            if n.hardware is None:
                continue
            hardware.resolve(n.hardware, f"scenario.nodes[{n.id}].hardware", problems)
            ids = [n.id] if n.count == 1 else [f"{n.id}#{k + 1}" for k in range(n.count)]
            machines += [
                Machine(i, n.hardware, n.pue, n.id, "wan", n.local_only, from_scenario=True)
                for i in ids
            ]
    nodes = {n.id for n in scenario.nodes} if scenario is not None else None
    seen = {m.id: "the scenario" for m in machines}
    for i, m in enumerate(doc.machines):
        hardware.resolve(m.hardware, f"machines[{i}].hardware", problems)
        kinds.resolve(m.link, f"machines[{i}].link", problems)
        if nodes is not None and m.node is not None and m.node not in nodes:
            problems.append(Problem(f"machines[{i}].node", suggest(m.node, nodes, "scenario node")))
        ids = [m.id] if m.count == 1 else [f"{m.id}#{k + 1}" for k in range(m.count)]
        for mid in ids:
            if mid in seen:
                message = f"duplicate machine id {mid!r} (also in {seen[mid]})"
                problems.append(Problem(f"machines[{i}].id", message))
            seen[mid] = f"machines[{i}]"
            machines.append(Machine(mid, m.hardware, m.pue, m.node, m.link, m.local_only))
    if not machines:
        message = "no machines: give a machines: list or a scenario: whose nodes have hardware"
        problems.append(Problem("machines", message))
    return machines


def _jobs(
    doc: schema.JobFile,
    scenario: Scenario | None,
    families: _Table[ModelFamily],
    problems: list[Problem],
) -> list[Job]:
    nodes = {n.id for n in scenario.nodes} if scenario is not None else None
    jobs: list[Job] = []
    first: dict[str, int] = {}
    for i, j in enumerate(doc.jobs):
        path = f"jobs[{i}]"
        if j.id in first:
            problems.append(
                Problem(f"{path}.id", f"duplicate job id {j.id!r} (also jobs[{first[j.id]}])")
            )
        first.setdefault(j.id, i)
        family = families.resolve(j.family, f"{path}.family", problems)
        if j.deadline <= j.release:
            message = f"must be after the release ({j.release:g} s), got {j.deadline:g} s"
            problems.append(Problem(f"{path}.deadline", message))
        if family is not None:
            best = max(family.variants, key=lambda v: v.accuracy)
            if j.accuracy_floor > best.accuracy:
                message = (
                    f"{j.accuracy_floor:g} is above what family {family.name!r} reaches; "
                    f"its best is {best.name!r} at {best.accuracy:g}"
                )
                problems.append(Problem(f"{path}.accuracy_floor", message))
        node = j.input.node if j.input is not None else None
        if nodes is not None and node is not None and node not in nodes:
            problems.append(Problem(f"{path}.input.node", suggest(node, nodes, "scenario node")))
        jobs.append(
            Job(
                id=j.id,
                family=j.family,
                work=j.work,
                release_s=j.release,
                deadline_s=j.deadline,
                input_node=node,
                input_bytes=j.input.size if j.input is not None else 0.0,
                accuracy_floor=j.accuracy_floor,
                weight=j.weight,
                splittable=j.split,
            )
        )
    return jobs


def _build(
    doc: schema.JobFile, base_dir: Path | None, catalog: Catalog
) -> tuple[JobSet | None, list[Problem]]:
    problems = _inline_problems(doc)
    scenario, scenario_file = _load_scenario(doc, base_dir, problems)
    sc_hw = scenario.hardware_by_name() if scenario is not None else {}
    sc_fam = scenario.family_by_name() if scenario is not None else {}
    sc_kinds = {k.name: k for k in scenario.link_kinds} if scenario is not None else {}
    hardware = _Table.build(
        "hardware",
        "hardware profile",
        [(m.name, to_hardware(m)) for m in doc.hardware],
        (sc_hw, catalog.hardware),
        problems,
    )
    families = _Table.build(
        "families",
        "model family",
        [(m.name, to_family(m)) for m in doc.families],
        (sc_fam, catalog.families),
        problems,
    )
    kinds = _Table.build(
        "link_kinds",
        "link kind",
        [(m.name, to_link_kind(m)) for m in doc.link_kinds],
        (sc_kinds, catalog.link_kinds),
        problems,
    )
    machines = _machines(doc, scenario, hardware, kinds, problems)
    jobs = _jobs(doc, scenario, families, problems)
    if problems:
        return None, problems
    st = doc.settings
    jobset = JobSet(
        name=doc.name,
        jobs=tuple(jobs),
        machines=tuple(machines),
        hardware=tuple(sorted(hardware.used.values(), key=lambda h: h.name)),
        families=tuple(sorted(families.used.values(), key=lambda f: f.name)),
        link_kinds=tuple(sorted(kinds.used.values(), key=lambda k: k.name)),
        settings=JobSettings(st.objective, st.budget, st.idle),
        scenario=scenario,
        scenario_file=scenario_file,
        description=doc.description,
    )
    return jobset, []


# --------------------------------------------------------------------------- public API


def loads_jobs(
    text: str,
    *,
    file: str = "<string>",
    base_dir: str | Path | None = None,
    catalog: Catalog | None = None,
) -> JobSet:
    """Read a job set from YAML text; raise :class:`InputError` listing every problem.

    ``base_dir`` is where a relative ``scenario:`` path is looked up.
    """
    document = _parse_document(read_yaml(text, file), file)
    base = Path(base_dir) if base_dir is not None else None
    jobset, problems = _build(document, base, load_catalog() if catalog is None else catalog)
    if problems or jobset is None:
        raise InputError(file, problems)
    return jobset


def load_jobs(path: str | Path, *, catalog: Catalog | None = None) -> JobSet:
    """Read a job file; raise :class:`InputError` (file name, every problem) if it is bad."""
    file, text = str(path), read_text(path)
    return loads_jobs(text, file=file, base_dir=Path(path).parent, catalog=catalog)


def _job_doc(j: Job) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": j.id,
        "family": j.family,
        "work": float(j.work),
        "release": format_si(j.release_s, "time"),
        "deadline": format_si(j.deadline_s, "time"),
    }
    if j.input_node is not None:
        doc["input"] = {"node": j.input_node, "size": format_si(j.input_bytes, "bytes")}
    if j.accuracy_floor:
        doc["accuracy_floor"] = float(j.accuracy_floor)
    if j.weight != 1.0:
        doc["weight"] = float(j.weight)
    if j.splittable:
        doc["split"] = True
    return doc


def _machine_doc(m: Machine) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": m.id, "hardware": m.hardware}
    if m.pue != 1.0:
        doc["pue"] = float(m.pue)
    if m.node is not None:
        doc["node"] = m.node
    if m.link_kind != "wan":
        doc["link"] = m.link_kind
    if m.local_only:
        doc["local_only"] = True
    return doc


def dump_jobs(jobset: JobSet, *, catalog: Catalog | None = None) -> str:
    """The job set as YAML text that :func:`loads_jobs` reads back equal.

    Hardware profiles, families and link kinds equal to the catalog's are written
    by name only. Machines taken from a scenario are not written: the file names
    the scenario (``scenario_file``) instead.
    """
    cat = load_catalog() if catalog is None else catalog
    doc: dict[str, Any] = {"name": jobset.name}
    if jobset.description:
        doc["description"] = jobset.description
    if jobset.scenario_file is not None:
        doc["scenario"] = jobset.scenario_file
    st = jobset.settings
    settings: dict[str, Any] = {"objective": st.objective, "idle": st.idle}
    if st.budget_j is not None:
        settings["budget"] = format_si(st.budget_j, "energy")
    doc["settings"] = settings
    hardware = [hardware_doc(h) for h in jobset.hardware if cat.hardware.get(h.name) != h]
    families = [family_doc(f) for f in jobset.families if cat.families.get(f.name) != f]
    kinds = [link_kind_doc(k) for k in jobset.link_kinds if cat.link_kinds.get(k.name) != k]
    for field, inline in (("hardware", hardware), ("families", families), ("link_kinds", kinds)):
        if inline:
            doc[field] = inline
    doc["machines"] = [_machine_doc(m) for m in jobset.machines if not m.from_scenario]
    doc["jobs"] = [_job_doc(j) for j in jobset.jobs]
    return dump_yaml(doc)


def save_jobs(jobset: JobSet, path: str | Path, *, catalog: Catalog | None = None) -> None:
    """Write the job set to ``path`` atomically."""
    atomic_write_text(path, dump_jobs(jobset, catalog=catalog))
