"""Link kinds of the catalog (``link_kinds.csv``): 5G, 4G, WiFi, fibre access, metro, core, ...,
and device radio models (``radio_models.csv``).

The attributional energy per bit comes from network electricity intensities in
kWh/GB (1 kWh/GB = 3.6e6 J / 8e9 bit = 4.5e-4 J/bit) split by network segment, or
from the LEAF simulator's per-bit parameters; the ``notes`` column of each row says
which. The power model's baseload and marginal energy per bit (Malmodin 2020 and
others) are in ``baseload_w``/``marginal_j_per_bit``, with ``power_source``,
``power_notes`` and ``power_verified``. Radio models follow AT&T ARO's LTE and WiFi
profiles (Huang et al., MobiSys 2012); see ``SOURCES.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from slimplace.catalog._rows import Row, RowParser
from slimplace.scenario.model import LinkKind, RadioModel


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
            baseload_w=p.number(row, i, "baseload_w"),
            marginal_j_per_bit=p.number(row, i, "marginal_j_per_bit"),
            shared=p.boolean(row, i, "shared"),
            radio=p.text(row, i, "radio", required=False) or None,
            sleep_w=_sleep_w(p, row, i),
            wake_time_s=p.number(row, i, "wake_time_s") if row.get("sleep_w") else 0.0,
        )
        p.text(row, i, "power_source")
    p.raise_if_any()
    return out


def _sleep_w(p: RowParser, row: Row, i: int) -> float | None:
    """Sleep power of a kind (None: an empty cell, links of the kind never sleep)."""
    if not (row.get("sleep_w") or "").strip():
        return None
    return p.number(row, i, "sleep_w")


RADIO_NUMBERS = (
    "uplink_j_per_bit",
    "downlink_j_per_bit",
    "active_w",
    "promotion_s",
    "promotion_w",
    "tail1_s",
    "tail1_w",
    "tail2_s",
    "tail2_w",
)


def parse_radio_models(
    rows: Sequence[Row], file: str = "radio_models.csv"
) -> dict[str, RadioModel]:
    """Radio models keyed by name (``lte``, ``nr``, ``wifi``); every problem at once."""
    p = RowParser(file)
    out: dict[str, RadioModel] = {}
    for i, row in enumerate(rows):
        name = p.text(row, i, "name")
        if name in out:
            p.problem(i, "name", f"duplicate radio model {name!r}")
        values = {column: p.number(row, i, column) for column in RADIO_NUMBERS}
        out[name] = RadioModel(name=name, source=p.text(row, i, "source"), **values)
    p.raise_if_any()
    return out
