"""Link kinds of the catalog (``link_kinds.csv``): 5G, 4G, WiFi, fibre access, metro, core, ...

Energy per bit comes from network electricity intensities in kWh/GB
(1 kWh/GB = 3.6e6 J / 8e9 bit = 4.5e-4 J/bit) split by network segment, or from
the LEAF simulator's per-bit parameters; the ``notes`` column of each row says which.
"""

from __future__ import annotations

from collections.abc import Sequence

from slimplace.catalog._rows import Row, RowParser
from slimplace.scenario.model import LinkKind


def parse_link_kinds(rows: Sequence[Row], file: str = "link_kinds.csv") -> dict[str, LinkKind]:
    """Link kinds keyed by name; every problem in the file is reported at once."""
    p = RowParser(file)
    out: dict[str, LinkKind] = {}
    for i, row in enumerate(rows):
        name = p.text(row, i, "name")
        if name in out:
            p.problem(i, "name", f"duplicate link kind {name!r}")
        out[name] = LinkKind(
            name=name,
            bandwidth_bps=p.number(row, i, "bandwidth_bps", strict=True),
            latency_s=p.number(row, i, "latency_s"),
            energy_j_per_bit=p.number(row, i, "energy_j_per_bit"),
            source=p.text(row, i, "source"),
        )
    p.raise_if_any()
    return out
