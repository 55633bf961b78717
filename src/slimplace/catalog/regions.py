"""Grid regions of the catalog (``regions.csv``): countries (ISO3), WORLD and cloud regions.

Cloud regions are coded ``<provider>:<region>`` with a lower-case provider
(``gcp:europe-west1``, ``aws:us-east-1``).
"""

from __future__ import annotations

from collections.abc import Sequence

from slimplace.catalog._rows import Row, RowParser, read_rows
from slimplace.scenario.model import Region


def parse_regions(rows: Sequence[Row], file: str = "regions.csv") -> dict[str, Region]:
    """Regions keyed by code; every problem in the file is reported at once."""
    p = RowParser(file)
    out: dict[str, Region] = {}
    for i, row in enumerate(rows):
        code = p.text(row, i, "code")
        if code in out:
            p.problem(i, "code", f"duplicate region {code!r}")
        out[code] = Region(
            code=code,
            carbon_g_per_kwh=p.number(row, i, "carbon_g_per_kwh"),
            source=p.text(row, i, "source"),
        )
    p.raise_if_any()
    return out


def region_names() -> dict[str, str]:
    """Human-readable names of the packaged regions by code (for display and search)."""
    return {row["code"]: row.get("name", "") for row in read_rows("regions.csv")}
