"""Read Topology Zoo GraphML and GML topologies, plain or gzip-compressed.

Parsing is networkx's :func:`networkx.read_graphml` / :func:`networkx.parse_gml` (GML
nodes keyed by their ``id``, since Zoo labels repeat; Zoo GML files list parallel links
without declaring ``multigraph 1``, which is added); this module maps Topology Zoo
attributes onto the normalised graph (:mod:`slimplace.topology.normalize`):
``label``, ``Latitude``/``Longitude``, ``Country``, ``Internal`` (0 marks a
node outside the network, e.g. a peer), ``hyperedge`` (a pseudo-node standing
for a shared medium), and link speed from ``LinkSpeedRaw`` (bit/s) or else
``LinkSpeed`` with ``LinkSpeedUnits`` (k/M/G/T). Topology Zoo format: Knight et
al., "The Internet Topology Zoo", IEEE JSAC 29(9), 2011.
"""

from __future__ import annotations

import gzip
import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx

from slimplace.errors import InputError, Problem
from slimplace.topology.geo import valid_coordinate
from slimplace.topology.normalize import RawEdge, RawNode, build_graph, to_float

log = logging.getLogger(__name__)

_SPEED_PREFIX = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


def topology_name(path: Path) -> str:
    """Name without ``.gz`` and format suffix (``Renater2010.graphml.gz`` -> ``Renater2010``)."""
    name = path.name
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).stem


def read_graphml(path: str | Path) -> nx.Graph:
    """Read a GraphML file (``.graphml`` or ``.graphml.gz``) into a normalised graph.

    Raises :class:`InputError` naming the file when it is unreadable, not XML,
    not GraphML, or holds fewer than two connected nodes.
    """
    path = Path(path)
    file = str(path)
    raw = _parse(path)
    nodes = [_raw_node(key, data) for key, data in raw.nodes(data=True)]
    _warn_unusable_coordinates(file, nodes, raw)
    edges = [RawEdge(str(u), str(v), _speed_bps(d)) for u, v, d in raw.edges(data=True)]
    return build_graph(topology_name(path), file, nodes, edges)


def read_gml(path: str | Path) -> nx.Graph:
    """Read a Topology Zoo GML file (``.gml`` or ``.gml.gz``) into a normalised graph.

    Raises :class:`InputError` naming the file when it is unreadable or not GML, or holds
    fewer than two connected nodes.
    """
    path = Path(path)
    file = str(path)
    raw = _parse_gml(path)
    nodes = [_raw_node(key, data) for key, data in raw.nodes(data=True)]
    _warn_unusable_coordinates(file, nodes, raw)
    edges = [RawEdge(str(u), str(v), _speed_bps(d)) for u, v, d in raw.edges(data=True)]
    return build_graph(topology_name(path), file, nodes, edges)


_GML_HEAD = re.compile(r"^(\s*graph\s*\[)", re.MULTILINE)


def _parse_gml(path: Path) -> nx.Graph:
    file = str(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                text = fh.read()
        else:
            text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(file, [Problem("", "file not found")]) from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(file, [Problem("", f"cannot read file ({exc})")]) from None
    if not re.search(r"^\s*multigraph\s", text, re.MULTILINE):
        text = _GML_HEAD.sub(r"\1\n  multigraph 1", text, count=1)
    try:
        graph: nx.Graph = nx.parse_gml(text, label="id")
    except nx.NetworkXError as exc:
        raise InputError(file, [Problem("", f"not usable GML ({exc})")]) from None
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise InputError(file, [Problem("", f"malformed GML ({exc!r})")]) from None
    return graph


def _parse(path: Path) -> nx.Graph:
    file = str(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as fh:
                graph = nx.read_graphml(fh, node_type=str)
        else:
            graph = nx.read_graphml(path, node_type=str)
    except FileNotFoundError:
        raise InputError(file, [Problem("", "file not found")]) from None
    except ET.ParseError as exc:
        raise InputError(file, [Problem("", f"not well-formed XML ({exc})")]) from None
    except nx.NetworkXError as exc:
        if _is_sndlib_xml(path):
            raise InputError(
                file,
                [
                    Problem(
                        "",
                        "an SNDlib XML file: only SNDlib's native text format is read "
                        "(the same network as <name>.txt)",
                    )
                ],
            ) from None
        raise InputError(file, [Problem("", f"not usable GraphML ({exc})")]) from None
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(file, [Problem("", f"cannot read file ({exc})")]) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(file, [Problem("", f"malformed GraphML data ({exc!r})")]) from None
    return graph


def _is_sndlib_xml(path: Path) -> bool:
    """Whether the file's start names the SNDlib XML namespace."""
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            head: bytes = fh.read(4096)
    except (OSError, EOFError):
        return False
    return b"sndlib.zib.de" in head.lower()


def _raw_node(key: Any, data: dict[str, Any]) -> RawNode:
    text = str(data.get("label", "")).strip()
    # The Zoo writes the string "None" for unlabelled (mostly hyperedge) nodes.
    label = text if text and text != "None" else None
    flags: dict[str, Any] = {}
    if _truthy(data.get("hyperedge")):
        flags["hyperedge"] = True
    internal = data.get("Internal")
    if internal is not None and not _truthy(internal):
        flags["internal"] = False
    country = data.get("Country")
    return RawNode(
        key=str(key),
        label=label,
        lat=_coordinate(data.get("Latitude")),
        lon=_coordinate(data.get("Longitude")),
        country=str(country) if country is not None else None,
        flags=flags,
    )


def _coordinate(value: object) -> float | None:
    """Degrees from a number or numeric text, a decimal comma accepted (``"48,85"``)."""
    number = to_float(value)
    if number is None and isinstance(value, str) and value.count(",") == 1 and "." not in value:
        number = to_float(value.replace(",", "."))
    return number


def _warn_unusable_coordinates(file: str, nodes: list[RawNode], raw: nx.Graph) -> None:
    """Log the nodes whose file gives coordinates that are not a valid latitude/longitude,
    or, when no node has ``Latitude``/``Longitude``, the node attributes the file has (a
    graph written with ``lat``/``lon`` or ``x``/``y`` otherwise reads as one without
    coordinates, with only the default link latency to say so)."""
    if raw.number_of_nodes() and not any(
        "Latitude" in d or "Longitude" in d for _, d in raw.nodes(data=True)
    ):
        keys = sorted({str(k) for _, d in raw.nodes(data=True) for k in d})
        log.warning(
            "%s: no node has the attributes Latitude/Longitude (degrees, as in the Topology "
            "Zoo); node attributes in this file: %s",
            file,
            ", ".join(keys) or "none",
        )
        return
    bad = [
        f"{n.label or n.key} ({d.get('Latitude')!r}, {d.get('Longitude')!r})"
        for n, (_, d) in zip(nodes, raw.nodes(data=True), strict=True)
        if ("Latitude" in d or "Longitude" in d) and not valid_coordinate(n.lat, n.lon)
    ]
    if bad:
        log.warning(
            "%s: %d node(s) with unusable Latitude/Longitude, positions estimated: %s",
            file,
            len(bad),
            ", ".join(bad[:10]) + (" ..." if len(bad) > 10 else ""),
        )


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes"}
    number = to_float(value)
    return bool(value) if number is None else number != 0


def _speed_bps(data: dict[str, Any]) -> float | None:
    raw = to_float(data.get("LinkSpeedRaw"))
    if raw is not None and raw > 0:
        return raw
    speed = to_float(data.get("LinkSpeed"))
    units = str(data.get("LinkSpeedUnits", "")).strip().upper()
    if speed is not None and speed > 0 and units in _SPEED_PREFIX:
        return speed * _SPEED_PREFIX[units]
    return None
