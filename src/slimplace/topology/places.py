"""Map coordinates to a country: the country of the nearest reference place.

Reference places: GeoNames ``cities15000`` (one place per 0.1-degree cell; see
``data/geo/SOURCES.md``). Nearest by great-circle distance, found with a k-d tree
on unit vectors (chord length is monotone in the great-circle angle), so a whole
graph is mapped in one vectorised query. A point farther than
:data:`MAX_DISTANCE_KM` from every place (open sea, Antarctica) gets no country.
"""

from __future__ import annotations

import csv
import gzip
import io
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from slimplace.topology.geo import EARTH_RADIUS_KM

#: Farthest a point may be from the nearest reference place and still get its country (km).
MAX_DISTANCE_KM = 300.0


def _unit_vectors(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> npt.NDArray[np.float64]:
    lat, lon = np.radians(np.asarray(lat_deg, float)), np.radians(np.asarray(lon_deg, float))
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


@lru_cache(maxsize=1)
def _places() -> tuple[cKDTree, tuple[str, ...]]:
    """The k-d tree of reference places and their ISO3 codes (read once; immutable)."""
    path = resources.files("slimplace").joinpath("data", "geo", "places.csv.gz")
    with gzip.open(io.BytesIO(path.read_bytes()), "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    lat = np.array([float(r["lat_deg"]) for r in rows])
    lon = np.array([float(r["lon_deg"]) for r in rows])
    return cKDTree(_unit_vectors(lat, lon)), tuple(r["iso3"] for r in rows)


def countries_at(lat_deg: npt.ArrayLike, lon_deg: npt.ArrayLike) -> list[str | None]:
    """ISO 3166-1 alpha-3 code of the nearest reference place to each point (None when
    the nearest is farther than :data:`MAX_DISTANCE_KM`)."""
    points = _unit_vectors(lat_deg, lon_deg)
    if len(points) == 0:
        return []
    tree, codes = _places()
    # chord c = 2 sin(theta / 2) on the unit sphere, theta = distance / R
    max_chord = 2.0 * np.sin(MAX_DISTANCE_KM / EARTH_RADIUS_KM / 2.0)
    dist, idx = tree.query(points, k=1)
    return [codes[int(i)] if d <= max_chord else None for d, i in zip(dist, idx, strict=True)]


def country_at(lat_deg: float, lon_deg: float) -> str | None:
    """:func:`countries_at` for one point."""
    return countries_at([lat_deg], [lon_deg])[0]
