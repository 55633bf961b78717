"""Turn the nodes and links read from any topology format into one normalised graph.

The normalised graph is a simple undirected :class:`networkx.Graph`:

- node keys are unique string ids, slugs of the labels (``"Paris"``,
  ``"Paris-2"`` for a second node labelled Paris); node attributes ``label``,
  ``lat``/``lon`` (degrees) where known or estimated, ``position_estimated``,
  ``country`` (ISO 3166-1 alpha-3) where known, else from the coordinates given
  in the file (:func:`slimplace.topology.places.countries_at`, flagged
  ``country_from_position``), and any format-specific flags (``hyperedge``, ``internal``);
- edge attributes ``length_km`` (haversine, when both ends have positions),
  ``latency_s`` (one-way fibre delay, see :mod:`slimplace.topology.geo`) and
  ``bandwidth_bps`` when the source gives a speed; parallel links are merged
  keeping the largest bandwidth; self-loops are dropped;
- graph attributes ``name`` and ``source`` (the file read).

Only the largest connected component is kept (ties: the one holding the
earliest node of the file); what is dropped is logged.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from slimplace.errors import InputError, Problem
from slimplace.topology.countries import to_iso3
from slimplace.topology.geo import (
    DEFAULT_HOP_LATENCY_S,
    estimate_positions,
    fibre_latency_s,
    haversine_km,
    valid_coordinate,
)
from slimplace.topology.places import countries_at

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RawNode:
    """A node as read from a file, before ids are made unique."""

    key: str
    label: str | None
    lat: float | None = None
    lon: float | None = None
    country: str | None = None
    flags: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RawEdge:
    """A link as read from a file, between two :attr:`RawNode.key`."""

    u: str
    v: str
    bandwidth_bps: float | None = None


def to_float(value: object) -> float | None:
    """A finite float from a number or numeric string; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def slugify(text: str) -> str:
    """ASCII slug of a label: accents dropped, runs of other characters become ``-``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")


def unique_ids(nodes: Sequence[RawNode]) -> list[str]:
    """One unique id per node, in order: the label's slug, ``-2``, ``-3``... on repeats.

    A node whose label is missing or slugs to nothing is called ``node-<key>``
    (``hyperedge-<key>`` for a hyperedge pseudo-node).
    """
    taken: set[str] = set()
    ids: list[str] = []
    for node in nodes:
        base = slugify(node.label) if node.label else ""
        if not base:
            prefix = "hyperedge" if node.flags.get("hyperedge") else "node"
            base = f"{prefix}-{slugify(node.key) or len(ids)}"
        candidate, k = base, 1
        while candidate in taken:
            k += 1
            candidate = f"{base}-{k}"
        taken.add(candidate)
        ids.append(candidate)
    return ids


def build_graph(
    name: str,
    file: str,
    nodes: Sequence[RawNode],
    edges: Iterable[RawEdge],
) -> nx.Graph:
    """Normalise raw nodes and links into the graph described in this module's docstring.

    Raises :class:`InputError` naming ``file`` when fewer than two connected
    nodes remain.
    """
    graph = nx.Graph(name=name, source=file)
    ids = dict(zip((n.key for n in nodes), unique_ids(nodes), strict=True))
    for node, nid in zip(nodes, ids.values(), strict=True):
        attrs: dict[str, Any] = {"label": node.label if node.label else nid}
        if valid_coordinate(node.lat, node.lon):
            attrs["lat"], attrs["lon"] = float(node.lat), float(node.lon)  # type: ignore[arg-type]
        iso3 = to_iso3(node.country)
        if iso3 is not None:
            attrs["country"] = iso3
        attrs.update(node.flags)
        graph.add_node(nid, **attrs)
    _countries_from_positions(graph, file)
    _add_edges(graph, ids, edges, file)
    graph = _largest_component(graph, file)
    estimated = estimate_positions(graph)
    if estimated:
        log.info("%s: estimated positions of %d node(s): %s", file, len(estimated), estimated)
    _set_lengths(graph, file)
    return graph


def _countries_from_positions(graph: nx.Graph, file: str) -> None:
    """Give nodes with coordinates but no known country the country found at their position."""
    missing = [n for n, d in graph.nodes(data=True) if "country" not in d and "lat" in d]
    if not missing:
        return
    lat = [graph.nodes[n]["lat"] for n in missing]
    lon = [graph.nodes[n]["lon"] for n in missing]
    found = 0
    for node, iso3 in zip(missing, countries_at(lat, lon), strict=True):
        if iso3 is not None:
            graph.nodes[node]["country"] = iso3
            graph.nodes[node]["country_from_position"] = True
            found += 1
    log.info("%s: country of %d of %d node(s) found from coordinates", file, found, len(missing))


def _add_edges(graph: nx.Graph, ids: dict[str, str], edges: Iterable[RawEdge], file: str) -> None:
    loops = 0
    for edge in edges:
        if edge.u not in ids or edge.v not in ids:
            raise InputError(
                file, [Problem(f"links[{edge.u}-{edge.v}]", "link names an unknown node")]
            )
        u, v = ids[edge.u], ids[edge.v]
        if u == v:
            loops += 1
            continue
        bw = edge.bandwidth_bps if edge.bandwidth_bps and edge.bandwidth_bps > 0 else None
        if graph.has_edge(u, v):
            old = graph.edges[u, v].get("bandwidth_bps")
            if bw is not None and (old is None or bw > old):
                graph.edges[u, v]["bandwidth_bps"] = bw
        elif bw is not None:
            graph.add_edge(u, v, bandwidth_bps=bw)
        else:
            graph.add_edge(u, v)
    if loops:
        log.info("%s: dropped %d self-loop(s)", file, loops)


def _largest_component(graph: nx.Graph, file: str) -> nx.Graph:
    if graph.number_of_nodes() == 0:
        raise InputError(file, [Problem("nodes", "the network has no nodes")])
    order = {n: i for i, n in enumerate(graph.nodes)}
    components = sorted(
        nx.connected_components(graph), key=lambda c: (-len(c), min(order[n] for n in c))
    )
    keep = components[0]
    if len(keep) < 2:
        raise InputError(
            file,
            [Problem("links", "no two nodes are connected; a network needs at least one link")],
        )
    if len(components) > 1:
        dropped = sorted(n for c in components[1:] for n in c)
        log.warning(
            "%s: network is disconnected; kept the largest component (%d nodes), dropped %d: %s",
            file,
            len(keep),
            len(dropped),
            ", ".join(dropped),
        )
        sub = graph.subgraph([n for n in graph.nodes if n in keep]).copy()
        return sub
    return graph


def _set_lengths(graph: nx.Graph, file: str) -> None:
    has_positions = all("lat" in d for _, d in graph.nodes(data=True))
    if not has_positions:
        log.warning(
            "%s: no node has coordinates; every link gets the default latency of %.3g s "
            "(one-way fibre delay over 500 km)",
            file,
            DEFAULT_HOP_LATENCY_S,
        )
    for u, v, data in graph.edges(data=True):
        if has_positions:
            a, b = graph.nodes[u], graph.nodes[v]
            length = haversine_km(a["lat"], a["lon"], b["lat"], b["lon"])
            data["length_km"] = length
            data["latency_s"] = fibre_latency_s(length)
        else:
            data["latency_s"] = DEFAULT_HOP_LATENCY_S
