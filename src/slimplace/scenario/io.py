"""Read and write scenario files (YAML) as :class:`~slimplace.scenario.model.Scenario` values.

Loading runs four stages and reports every problem of the stage that fails,
as an :class:`~slimplace.errors.InputError` naming the file and each path:

1. text (:mod:`slimplace.scenario.yaml_text`): UTF-8, YAML syntax (with line
   numbers), duplicate keys, a mapping at the top; ``{file: ...}`` includes
   (:mod:`slimplace.scenario.includes`);
2. schema (:mod:`slimplace.scenario.schema`, via
   :func:`slimplace.scenario.document.parse_document`): fields, types, units,
   single-field ranges;
3. references (:mod:`slimplace.scenario.resolve`): hardware profiles, link kinds,
   model families and regions resolve inline first, then in the catalog (close
   names are suggested);
4. semantics (:mod:`slimplace.scenario.validate`): duplicates, self-links, unknown
   nodes, reachability, accuracy floors, cross-field rules.

The resulting scenario holds the inline entries plus the catalog entries it uses,
each tuple sorted by name, so files that differ only in order load equal. Saving
(:mod:`slimplace.scenario.dump`) writes catalog-equal entries that are used as
references (names) only, everything else inline, numbers as SI unit strings, so
``loads_scenario(dump_scenario(s)) == s``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slimplace.catalog import Catalog, load_catalog
from slimplace.errors import InputError
from slimplace.fsutil import atomic_write_text
from slimplace.scenario import schema
from slimplace.scenario.document import error_path, parse_document, schema_problem
from slimplace.scenario.dump import (
    family_doc,
    hardware_doc,
    link_kind_doc,
    scenario_document,
)
from slimplace.scenario.includes import INCLUDABLE, IncludePolicy, expand_includes
from slimplace.scenario.model import HardwareProfile, Scenario
from slimplace.scenario.resolve import (
    resolve_document,
    to_family,
    to_hardware,
    to_link_kind,
    to_region,
)
from slimplace.scenario.validate import check_scenario
from slimplace.scenario.yaml_text import YamlDumper, dump_yaml, read_text, read_yaml


def _catalog(catalog: Catalog | None) -> Catalog:
    return load_catalog() if catalog is None else catalog


def parse_scenario_document(
    text: str,
    *,
    file: str = "<string>",
    base_dir: str | Path | None = None,
    include_dirs: Sequence[str | Path] = (),
) -> schema.ScenarioFile:
    """The schema-checked document of scenario YAML ``text`` (includes expanded), not resolved.

    Includes are read from ``base_dir`` (default: the current folder) and
    ``include_dirs`` only (:class:`~slimplace.scenario.includes.IncludePolicy`).
    """
    policy = IncludePolicy.of(Path.cwd() if base_dir is None else base_dir, include_dirs)
    return parse_document(
        read_yaml(text, file),
        file,
        schema.ScenarioFile,
        schema.field_names_at,
        what="scenario",
        keys="name:, nodes:, ...",
        prepare=lambda data: expand_includes(data, policy, file),
    )


def loads_scenario(
    text: str,
    *,
    file: str = "<string>",
    catalog: Catalog | None = None,
    base_dir: str | Path | None = None,
    include_dirs: Sequence[str | Path] = (),
) -> Scenario:
    """Read a scenario from YAML text; raise :class:`InputError` listing every problem.

    ``file`` names the source in messages. ``catalog`` defaults to
    :func:`slimplace.catalog.load_catalog`. ``{file: path}`` items of the
    hardware, link_kinds and families lists are read relative to ``base_dir``
    (default: the current folder), and only from inside it or ``include_dirs``.
    """
    document = parse_scenario_document(
        text, file=file, base_dir=base_dir, include_dirs=include_dirs
    )
    scenario, problems = resolve_document(document, _catalog(catalog))
    if problems:
        raise InputError(file, problems)
    return scenario


def load_scenario(
    path: str | Path,
    *,
    catalog: Catalog | None = None,
    include_dirs: Sequence[str | Path] = (),
) -> Scenario:
    """Read a scenario file; raise :class:`InputError` (file name, every problem) if it is bad.

    ``{file: ...}`` includes are read from the file's folder and ``include_dirs`` only.
    """
    file, text = str(path), read_text(path)
    return loads_scenario(
        text, file=file, catalog=catalog, base_dir=Path(path).parent, include_dirs=include_dirs
    )


def dump_scenario(scenario: Scenario, *, catalog: Catalog | None = None) -> str:
    """The scenario as YAML text that :func:`loads_scenario` reads back equal.

    Hardware profiles, link kinds, families and regions that are used and equal
    to the catalog's are written by name only; the rest are written inline.
    """
    return dump_yaml(scenario_document(scenario, _catalog(catalog)))


def save_scenario(scenario: Scenario, path: str | Path, *, catalog: Catalog | None = None) -> None:
    """Write the scenario to ``path`` atomically (temporary file beside it, then rename).

    A scenario that fails :func:`check_scenario` raises :class:`InputError` and
    nothing is written.
    """
    problems = check_scenario(scenario)
    if problems:
        raise InputError(str(path), problems)
    atomic_write_text(path, dump_scenario(scenario, catalog=catalog))


def hardware_document(profile: HardwareProfile) -> dict[str, Any]:
    """One ``hardware:`` entry as written in scenario files (``slimplace calibrate`` uses it)."""
    return hardware_doc(profile)


__all__ = [
    "INCLUDABLE",
    "IncludePolicy",
    "YamlDumper",
    "dump_scenario",
    "error_path",
    "family_doc",
    "hardware_doc",
    "hardware_document",
    "link_kind_doc",
    "load_scenario",
    "loads_scenario",
    "parse_scenario_document",
    "read_text",
    "read_yaml",
    "save_scenario",
    "schema_problem",
    "to_family",
    "to_hardware",
    "to_link_kind",
    "to_region",
]
