"""Built-in topologies shipped in ``slimplace/data/topologies`` and the ``load_topology`` entry.

Specs: ``"zoo:<Name>"`` (Internet Topology Zoo), ``"sndlib:<name>"`` (SNDlib),
both matched case-insensitively, or a file path ending in ``.graphml``,
``.gml`` (Topology Zoo) or ``.txt`` (SNDlib native), each optionally ``.gz``. Origins and licenses:
``slimplace/data/topologies/SOURCES.md``.
"""

from __future__ import annotations

import difflib
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import networkx as nx

from slimplace.errors import InputError, Problem
from slimplace.topology.graphml import read_gml, read_graphml
from slimplace.topology.sndlib import read_sndlib

_COLLECTIONS = {"zoo": ".graphml.gz", "sndlib": ".txt.gz"}


def _data_dir() -> Traversable:
    return resources.files("slimplace").joinpath("data", "topologies")


def _builtin_files() -> dict[str, tuple[str, Traversable]]:
    """Lower-cased spec -> (spec as listed, file)."""
    found: dict[str, tuple[str, Traversable]] = {}
    root = _data_dir()
    for collection, suffix in _COLLECTIONS.items():
        folder = root.joinpath(collection)
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name.endswith(suffix):
                spec = f"{collection}:{entry.name[: -len(suffix)]}"
                found[spec.lower()] = (spec, entry)
    return found


def list_builtin_topologies() -> list[str]:
    """Specs of every built-in topology (``"sndlib:abilene"``, ``"zoo:Renater2010"``...), sorted."""
    return sorted((spec for spec, _ in _builtin_files().values()), key=str.lower)


def load_topology(spec: str) -> nx.Graph:
    """Load a built-in topology by spec, or a topology file by path, as a normalised graph.

    Raises :class:`InputError` for an unknown built-in name (with close
    matches), an unknown file type, or a file that cannot be read.
    """
    collection, sep, name = spec.partition(":")
    if sep and collection.lower() in _COLLECTIONS:
        builtin = _builtin_files()
        key = f"{collection.lower()}:{name.lower()}"
        if key not in builtin:
            known = [s for s, _ in builtin.values()]
            close = difflib.get_close_matches(spec, known, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(
                spec, [Problem("", f"no built-in topology {spec!r}{hint} (see --list)")]
            )
        listed, entry = builtin[key]
        with resources.as_file(entry) as path:
            graph = _read(path, spec)
        graph.graph["source"] = listed
        return graph
    return _read(Path(spec), spec)


def _read(path: Path, spec: str) -> nx.Graph:
    name = path.name.lower()
    if name.endswith((".graphml", ".graphml.gz", ".xml", ".xml.gz")):
        return read_graphml(path)
    if name.endswith((".gml", ".gml.gz")):
        return read_gml(path)
    if name.endswith((".txt", ".txt.gz")):
        return read_sndlib(path)
    raise InputError(
        spec,
        [
            Problem(
                "",
                "unknown topology source; expected zoo:<Name>, sndlib:<name> or a file "
                "ending in .graphml, .gml, .txt (SNDlib) or one of those plus .gz",
            )
        ],
    )
