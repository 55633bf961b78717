"""Regression from the unseen-topology sweep: a GraphML whose coordinates are not under the
Topology Zoo's ``Latitude``/``Longitude`` (here networkx-written ``lat``/``lon``) read as a
network without coordinates, and the only message ("no node has coordinates") named neither
the attributes looked for nor those the file has."""

import logging
from pathlib import Path

import networkx as nx
import pytest

from slimplace.topology.graphml import read_graphml


def _ring(tmp_path: Path, **coords: str) -> Path:
    graph = nx.cycle_graph(6)
    for n in graph.nodes:
        graph.nodes[n]["label"] = f"N{n}"
        for key, axis in coords.items():
            graph.nodes[n][key] = 48.0 + n if axis == "lat" else 10.0 + n
    path = tmp_path / "ring.graphml"
    nx.write_graphml(graph, path)
    return path


def test_missing_coordinate_attributes_are_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _ring(tmp_path, lat="lat", lon="lon")
    with caplog.at_level(logging.WARNING, logger="slimplace.topology"):
        read_graphml(path)
    text = caplog.text
    assert str(path) in text
    assert "no node has the attributes Latitude/Longitude" in text
    assert "node attributes in this file: label, lat, lon" in text


def test_no_such_warning_with_zoo_attributes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _ring(tmp_path, Latitude="lat", Longitude="lon")
    with caplog.at_level(logging.WARNING, logger="slimplace.topology"):
        graph = read_graphml(path)
    assert "Latitude/Longitude" not in caplog.text
    assert all("lat" in d for _, d in graph.nodes(data=True))
