"""Build a scenario in Python, checked exactly like a scenario file.

:func:`build_scenario` takes the sections of a scenario file as Python values:
each item either a domain value (:class:`~slimplace.scenario.model.Node`,
:class:`~slimplace.scenario.model.Link`, ...) or a mapping written as in a file
(units as strings). Names resolve inline first, then in the catalog, so catalog
hardware, link kinds, families and regions need not be listed::

    from slimplace.scenario.build import build_scenario
    from slimplace.scenario.model import Application, Link, Node, Source

    scenario = build_scenario(
        "two-boxes",
        nodes=[Node("cam", "device"), Node("edge", "edge", hardware="jetson-orin-nano")],
        links=[Link("cam", "edge", "wifi")],  # bandwidth, latency, energy: wifi's
        applications=[
            Application("classify", "s-mobilenet-v1", (Source("cam", 10.0),), 150e3, 1e3, 0.2),
            # or, as in a file: {"id": "classify", "family": "s-mobilenet-v1", ...}
        ],
    )

Every item goes through the same stages as a file (:mod:`slimplace.scenario.io`):
schema (fields, ranges), references (a typo such as ``"jetson-orin-nan"`` gives
``nodes[1].hardware: unknown hardware profile ...; did you mean
'jetson-orin-nano'?``) and semantics (duplicates, reachability, floors). Every
problem is raised together as one :class:`~slimplace.errors.InputError` whose
paths index the lists given. A :class:`~slimplace.scenario.model.Link` figure
left out (NaN) is its kind's, as in a file. A :class:`~slimplace.scenario.model.Node`
keeps its own ``region`` (``"WORLD"`` unless given); ``settings.default_region``
applies to nodes given as mappings without one, as in a file. :func:`resolve_scenario` does the same
for a :class:`~slimplace.scenario.model.Scenario` assembled by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar

from slimplace.catalog import Catalog, load_catalog
from slimplace.errors import InputError, Problem
from slimplace.scenario import schema
from slimplace.scenario.document import parse_document
from slimplace.scenario.dump import (
    application_doc,
    family_doc,
    hardware_doc,
    link_doc,
    link_kind_doc,
    node_doc,
    region_doc,
    settings_doc,
)
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    LinkKind,
    ModelFamily,
    Node,
    Region,
    Scenario,
    Settings,
)
from slimplace.scenario.resolve import resolve_document

T = TypeVar("T")

#: An item of a section: its domain value or a mapping written as in a scenario file.
Item: TypeAlias = T | Mapping[str, Any]


def build_scenario(
    name: str,
    *,
    nodes: Sequence[Item[Node]],
    links: Sequence[Item[Link]] = (),
    applications: Sequence[Item[Application]] = (),
    hardware: Sequence[Item[HardwareProfile]] = (),
    link_kinds: Sequence[Item[LinkKind]] = (),
    families: Sequence[Item[ModelFamily]] = (),
    regions: Sequence[Item[Region]] = (),
    settings: Item[Settings] | None = None,
    description: str = "",
    catalog: Catalog | None = None,
    file: str = "<python>",
) -> Scenario:
    """The scenario of these sections, resolved and checked as a file would be.

    Raises :class:`InputError` (named ``file``) listing every problem, with paths
    such as ``links[2].kind`` indexing the sequences given.
    """
    problems: list[Problem] = []
    st = settings if settings is not None else Settings()
    settings_map = _item("settings", st, Settings, settings_doc, problems)
    default_region = st.default_region if isinstance(st, Settings) else "WORLD"
    if isinstance(settings_map, Mapping):
        default_region = str(settings_map.get("default_region", default_region))
    document: dict[str, Any] = {"name": name, "description": description}
    document["settings"] = settings_map
    sections: list[tuple[str, Sequence[Any], type, Callable[[Any], dict[str, Any]]]] = [
        ("hardware", hardware, HardwareProfile, hardware_doc),
        ("link_kinds", link_kinds, LinkKind, link_kind_doc),
        ("families", families, ModelFamily, family_doc),
        ("regions", regions, Region, region_doc),
        ("nodes", nodes, Node, lambda n: node_doc(n, default_region)),
        ("links", links, Link, lambda lk: link_doc(lk, {})),
        ("applications", applications, Application, application_doc),
    ]
    for key, items, cls, write in sections:
        document[key] = [
            _item(f"{key}[{i}]", item, cls, write, problems) for i, item in enumerate(items)
        ]
    if problems:
        raise InputError(file, problems)
    parsed = parse_document(
        document,
        file,
        schema.ScenarioFile,
        schema.field_names_at,
        what="scenario",
        keys="name:, nodes:, ...",
    )
    scenario, found = resolve_document(parsed, load_catalog() if catalog is None else catalog)
    if found:
        raise InputError(file, found)
    return scenario


def resolve_scenario(
    scenario: Scenario, *, catalog: Catalog | None = None, file: str = "<python>"
) -> Scenario:
    """``scenario`` (assembled by hand) resolved and checked as :func:`build_scenario` does:
    catalog entries it names are added, links' missing figures taken from their kind."""
    return build_scenario(
        scenario.name,
        nodes=scenario.nodes,
        links=scenario.links,
        applications=scenario.applications,
        hardware=scenario.hardware,
        link_kinds=scenario.link_kinds,
        families=scenario.families,
        regions=scenario.regions,
        settings=scenario.settings,
        description=scenario.description,
        catalog=catalog,
        file=file,
    )


def _item(
    path: str,
    item: Any,
    cls: type,
    write: Callable[[Any], dict[str, Any]],
    problems: list[Problem],
) -> Any:
    """The file form of one item: written from its domain value, or the mapping as given."""
    if isinstance(item, cls):
        return write(item)
    if isinstance(item, Mapping):
        return dict(item)
    message = f"expected a {cls.__name__} or a mapping as in a file, got {type(item).__name__}"
    problems.append(Problem(path, message))
    return None


__all__ = ["build_scenario", "resolve_scenario"]
