"""The mobility trace file: where sources are, over time.

A CSV file with a header and one row per (time, source), in one of two forms::

    time_s,source,access_node          time_s,source,lat,lon
    0,phone-1,antenna-A                0,phone-1,48.8566,2.3522
    600,phone-1,antenna-B              600,phone-1,48.8600,2.4500

- ``time_s``: seconds from the start of the simulation, finite and >= 0; rows sorted by it
  (rows of different sources may share a time);
- ``source``: the id of a node that is a traffic source attached by one link (a mobile
  source, :mod:`slimplace.sim.mobility.network`); one row per source and time;
- ``access_node``: the antenna the source is attached to from that time on: a node at the
  end of some mobile source's access link;
- or ``lat``/``lon``: the source's position in degrees (as node ``position``s), from that
  time on; the antenna is the nearest with hysteresis
  (:class:`slimplace.sim.mobility.movement.Attachment`).

A row holds until the source's next row; before its first row a source is at its home
antenna. Every problem found is reported at once, naming the file, the row (the header is
row 1) and the column, as :class:`slimplace.errors.InputError` (exit code 2 in the CLI).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from slimplace.arrays import FloatArray, IntArray
from slimplace.errors import InputError, Problem
from slimplace.sim.mobility.network import AccessNetwork

#: Rows named per problem in an error message (the rest are counted).
SHOWN_ROWS = 5


@dataclass(frozen=True, eq=False)
class MobilityTrace:
    """The rows of a trace file mapped onto an :class:`AccessNetwork` (sorted by time)."""

    file: str
    time_s: FloatArray
    source: IntArray
    antenna: IntArray | None = None
    lat_lon: FloatArray | None = None

    @property
    def positions(self) -> bool:
        """Whether the rows are positions (else antennas)."""
        return self.lat_lon is not None


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask) + 2  # header is row 1
    shown = ", ".join(str(r) for r in rows[:SHOWN_ROWS])
    more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
    return f"row{'s' if len(rows) > 1 else ''} {shown}{more}"


def read_mobility_trace(path: str | Path, net: AccessNetwork) -> MobilityTrace:
    """Read and check a trace file (module docstring) against ``net``."""
    file = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(file, [Problem("", "no such file")]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(file, [Problem("", f"not a readable CSV file ({exc})")]) from None
    cols = [c.strip() for c in frame.columns]
    frame.columns = cols
    by_antenna = {"time_s", "source", "access_node"} <= set(cols)
    by_position = {"time_s", "source", "lat", "lon"} <= set(cols)
    if by_antenna == by_position:
        raise InputError(
            file,
            [
                Problem(
                    "header",
                    f"needs the columns time_s,source,access_node or time_s,source,lat,lon "
                    f"(one of the two), found {','.join(cols) or 'none'}",
                )
            ],
        )
    problems: list[Problem] = []
    time_s = _numbers(frame["time_s"], "time_s", problems)
    bad_time = ~np.isfinite(time_s) | (time_s < 0)
    out_of_range = bad_time & ~np.isnan(time_s)
    if out_of_range.any():
        problems.append(
            Problem(f"time_s, {_rows(out_of_range)}", "must be a finite number of seconds >= 0")
        )
    if not bad_time.any() and len(time_s) > 1 and (np.diff(time_s) < 0).any():
        first = np.zeros(len(time_s), dtype=bool)
        first[1:] = np.diff(time_s) < 0
        problems.append(Problem(f"time_s, {_rows(first)}", "rows must be sorted by time_s"))
    p = net.problem
    index = {node: i for i, node in enumerate(p.node_ids)}
    names = frame["source"].str.strip().to_numpy(dtype=str)
    node = np.array([index.get(n, -1) for n in names], dtype=np.int64)
    source = np.where(node >= 0, net.source_of_node[np.maximum(node, 0)], -1)
    if (node < 0).any():
        problems.append(Problem(f"source, {_rows(node < 0)}", "not a node of the scenario"))
    not_mobile = (node >= 0) & (source < 0)
    if not_mobile.any():
        problems.append(
            Problem(
                f"source, {_rows(not_mobile)}",
                "not a mobile source (a node that is the source of some application and "
                "is attached by exactly one link)",
            )
        )
    ok = (source >= 0) & ~bad_time
    if ok.any():
        key = pd.DataFrame({"t": time_s[ok], "s": source[ok]})
        dup = np.zeros(len(time_s), dtype=bool)
        dup[np.flatnonzero(ok)] = key.duplicated().to_numpy()
        if dup.any():
            problems.append(Problem(f"source, {_rows(dup)}", "a second row for the same time_s"))
    antenna: IntArray | None = None
    lat_lon: FloatArray | None = None
    if by_antenna:
        access = frame["access_node"].str.strip().to_numpy(dtype=str)
        anode = np.array([index.get(n, -1) for n in access], dtype=np.int64)
        where = np.full(p.n_nodes, -1, dtype=np.int64)
        where[net.antenna_node] = np.arange(len(net.antenna_node))
        antenna = np.where(anode >= 0, where[np.maximum(anode, 0)], -1)
        if (antenna < 0).any():
            problems.append(
                Problem(
                    f"access_node, {_rows(antenna < 0)}",
                    "not an antenna (a node at the end of some mobile source's access link)",
                )
            )
    else:
        lat = _numbers(frame["lat"], "lat", problems)
        lon = _numbers(frame["lon"], "lon", problems)
        for name, values, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
            bad = ~(np.abs(values) <= limit)
            if bad.any():
                problems.append(
                    Problem(f"{name}, {_rows(bad)}", f"must be degrees within +-{limit:g}")
                )
        lat_lon = np.column_stack([lat, lon])
    if len(frame) == 0:
        problems.append(Problem("", "no rows"))
    if problems:
        raise InputError(file, problems)
    return MobilityTrace(file, time_s, source, antenna, lat_lon)


def _numbers(column: pd.Series, name: str, problems: list[Problem]) -> FloatArray:
    values = pd.to_numeric(column.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values)
    if bad.any():
        problems.append(Problem(f"{name}, {_rows(bad)}", "not a number"))
    return values
