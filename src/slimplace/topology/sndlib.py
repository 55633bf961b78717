"""Read SNDlib native-format networks (``.txt`` or ``.txt.gz``).

Format: S. Orlowski et al., "SNDlib 1.0 -- Survivable Network Design Library",
Networks 55(3), 2010, and http://sndlib.zib.de/html/docu/io-formats/native/.
Sections are ``NAME ( ... )`` blocks, one entry per line, ``#`` comments:

- ``NODES``: ``<id> ( <longitude> <latitude> )``, the coordinates optional (nodes without
  them get estimated positions, :func:`slimplace.topology.geo.estimate_positions`);
- ``LINKS``: ``<id> ( <source> <target> ) <pre_installed_capacity> <cost>
  <routing_cost> <setup_cost> ( {<module_capacity> <module_cost>}* )``;
- ``DEMANDS``: ``<id> ( <source> <target> ) <routing_unit> <value> <max_path_length>``;
- ``META``: ``<key> = <value>``; ``unit`` gives the capacity unit.

A link's capacity is its pre-installed capacity when positive, else its
largest installable module. It becomes ``bandwidth_bps`` only when ``META``
states the unit (``MBITPERSEC`` ...); otherwise it is kept unitless as
``capacity``. When any node's coordinates fall outside longitude/latitude
range (``france`` uses a planar drawing frame), all coordinates are discarded.
Demands are kept as the graph attribute ``demands``: (source id, target id, value).
"""

from __future__ import annotations

import gzip
import logging
import re
from pathlib import Path

import networkx as nx

from slimplace.errors import InputError, Problem
from slimplace.topology.geo import valid_coordinate
from slimplace.topology.graphml import topology_name
from slimplace.topology.normalize import RawEdge, RawNode, build_graph, to_float, unique_ids

log = logging.getLogger(__name__)

_UNITS_BPS = {"BITPERSEC": 1.0, "KBITPERSEC": 1e3, "MBITPERSEC": 1e6, "GBITPERSEC": 1e9}
_SECTION = re.compile(r"^([A-Z_]+)\s*\($")
#: ``<id>``, ``<id> ( )`` or ``<id> ( <lon> <lat> )``: coordinates are optional in the format
_NODE = re.compile(r"^([^\s()]+)\s*(?:\(\s*(?:(\S+)\s+(\S+))?\s*\))?$")
_LINK = re.compile(r"^(\S+)\s*\(\s*(\S+)\s+(\S+)\s*\)\s*(.*)$")


def read_sndlib(path: str | Path) -> nx.Graph:
    """Read an SNDlib native file into a normalised graph (see module docstring).

    Raises :class:`InputError` naming the file (and the line) when it is not
    in SNDlib native format.
    """
    path = Path(path)
    file = str(path)
    sections = _sections(path)
    if "NODES" not in sections or "LINKS" not in sections:
        raise InputError(
            file, [Problem("", "not an SNDlib native file (no NODES and LINKS sections)")]
        )
    meta = _meta(sections.get("META", []))
    scale = _UNITS_BPS.get(meta.get("unit", "").upper())
    nodes = _nodes(file, sections["NODES"])
    edges, capacities = _links(file, sections["LINKS"], scale)
    graph = build_graph(topology_name(path), file, nodes, edges)
    if scale is None:
        ids = dict(zip((n.key for n in nodes), unique_ids(nodes), strict=True))
        for (u, v), cap in capacities.items():
            a, b = ids[u], ids[v]
            if graph.has_edge(a, b):
                graph.edges[a, b]["capacity"] = max(cap, graph.edges[a, b].get("capacity", 0.0))
    graph.graph["demands"] = _demands(file, sections.get("DEMANDS", []), nodes, graph)
    return graph


def _read_text(path: Path) -> str:
    file = str(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return fh.read()
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(file, [Problem("", "file not found")]) from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(file, [Problem("", f"cannot read file ({exc})")]) from None


def _sections(path: Path) -> dict[str, list[tuple[int, str]]]:
    sections: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    for number, raw in enumerate(_read_text(path).splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("?"):
            continue
        if current is None:
            match = _SECTION.match(line)
            if match:
                current = sections.setdefault(match.group(1), [])
            continue
        if line == ")":
            current = None
        else:
            current.append((number, line))
    return sections


def _meta(lines: list[tuple[int, str]]) -> dict[str, str]:
    meta: dict[str, str] = {}
    for _, line in lines:
        key, sep, value = line.partition("=")
        if sep:
            meta[key.strip().lower()] = value.strip()
    return meta


def _bad(file: str, number: int, message: str) -> InputError:
    return InputError(file, [Problem(f"line {number}", message)])


def _nodes(file: str, lines: list[tuple[int, str]]) -> list[RawNode]:
    parsed: list[tuple[str, float | None, float | None]] = []
    for number, line in lines:
        match = _NODE.match(line)
        if not match:
            raise _bad(file, number, f"expected '<id> [( <lon> <lat> )]', got {line!r}")
        if match.group(2) is None:
            parsed.append((match.group(1), None, None))
            continue
        lon, lat = to_float(match.group(2)), to_float(match.group(3))
        if lon is None or lat is None:
            raise _bad(file, number, f"node coordinates are not numbers: {line!r}")
        parsed.append((match.group(1), lat, lon))
    placed = [(lat, lon) for _, lat, lon in parsed if lat is not None]
    geographic = all(valid_coordinate(lat, lon) for lat, lon in placed)
    if not geographic:
        log.warning(
            "%s: node coordinates are not longitude/latitude; they are ignored "
            "and links get the default per-hop latency",
            file,
        )
    nodes = []
    for key, lat, lon in parsed:
        suffix = key.rsplit(".", 1)[1] if "." in key else None
        nodes.append(
            RawNode(
                key=key,
                label=key,
                lat=lat if geographic else None,
                lon=lon if geographic else None,
                country=suffix,
            )
        )
    return nodes


def _links(
    file: str, lines: list[tuple[int, str]], scale: float | None
) -> tuple[list[RawEdge], dict[tuple[str, str], float]]:
    edges: list[RawEdge] = []
    capacities: dict[tuple[str, str], float] = {}
    for number, line in lines:
        match = _LINK.match(line)
        if not match:
            raise _bad(file, number, f"expected '<id> ( <source> <target> ) ...', got {line!r}")
        u, v, rest = match.group(2), match.group(3), match.group(4)
        numbers = [to_float(t) for t in rest.replace("(", " ").replace(")", " ").split()]
        if len(numbers) < 4 or any(x is None for x in numbers):
            raise _bad(file, number, f"expected four numbers after the end nodes, got {rest!r}")
        values = [x for x in numbers if x is not None]
        modules = values[4::2]
        capacity = values[0] if values[0] > 0 else max(modules, default=0.0)
        bandwidth = capacity * scale if scale is not None and capacity > 0 else None
        edges.append(RawEdge(u, v, bandwidth))
        if capacity > 0:
            capacities[(u, v)] = max(capacity, capacities.get((u, v), 0.0))
    return edges, capacities


def _demands(
    file: str, lines: list[tuple[int, str]], nodes: list[RawNode], graph: nx.Graph
) -> list[tuple[str, str, float]]:
    ids = dict(zip((n.key for n in nodes), unique_ids(nodes), strict=True))
    demands: list[tuple[str, str, float]] = []
    for number, line in lines:
        match = _LINK.match(line)
        fields = match.group(4).split() if match else []
        value = to_float(fields[1]) if len(fields) >= 2 else None
        if match is None or value is None:
            raise _bad(file, number, "expected '<id> ( <source> <target> ) <unit> <value> ...'")
        u, v = ids.get(match.group(2)), ids.get(match.group(3))
        if u is None or v is None:
            raise _bad(file, number, "demand names an unknown node")
        if u in graph and v in graph:
            demands.append((u, v, value))
    return demands
