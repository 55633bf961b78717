"""A user's latency measurements (CSV) for ``slimplace calibrate``.

One row per measurement. Columns (header names; unknown columns are ignored):

- latency, one of ``latency_s`` (seconds), ``latency_ms`` (milliseconds) or
  ``latency`` (a unit string such as ``"12.5 ms"``; a bare number is seconds):
  the time of one batch, required;
- ``flops`` (``"600 MFLOP"``, ``"300 MMAC"`` or a bare number of FLOPs) and
  ``params`` (a count): required unless ``family`` and ``variant`` name a catalog
  variant, whose counts are then used;
- ``batch_size`` (integer >= 1, default 1), ``precision`` (``fp32``, ``fp16``,
  ``bf16``, ``int8``, ``uint8``; default fp32 or the catalog variant's),
  ``activation_bytes`` (bytes moved through activations per inference; default:
  the layer table or proxy of :mod:`slimplace.calibration.features`),
  ``depthwise_activation_bytes`` (the part of those bytes that depthwise
  convolutions move; default: the layer table of a catalog variant, else 0),
  ``family`` and ``variant`` (names; ``family`` groups rows for the
  cross-family check).

Every problem is reported at once as an :class:`~slimplace.errors.InputError`
naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from slimplace.calibration.features import (
    BYTES_PER_ELEMENT,
    VariantFeatures,
    activation_table,
    bytes_per_element,
    features_from_arrays,
)
from slimplace.catalog import Catalog, load_catalog
from slimplace.errors import InputError, Problem
from slimplace.scenario.model import Variant
from slimplace.units import UnitError, parse

LATENCY_COLUMNS = ("latency_s", "latency_ms", "latency")
#: Fewest measurements ``slimplace calibrate`` fits (k-fold needs a few more).
MIN_ROWS = 3


@dataclass(frozen=True, slots=True)
class UserMeasurements:
    """Parsed rows: features, batch latencies, batch sizes and group labels."""

    features: VariantFeatures
    latency_s: npt.NDArray[np.float64]
    batch_size: npt.NDArray[np.int64]
    family: tuple[str, ...]
    variant: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.latency_s)


class _Rows:
    """Cell access collecting problems as ``line N, column``."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def bad(self, i: int, column: str, message: str) -> float:
        self.problems.append(Problem(f"line {i + 2}, column {column!r}", message))
        return math.nan

    def quantity(
        self, row: dict[str, str], i: int, column: str, kind: str, *, allow_zero: bool = False
    ) -> float:
        raw = (row.get(column) or "").strip()
        if not raw:
            return math.nan
        try:
            value = parse(float(raw) if _is_number(raw) else raw, kind)
        except UnitError as exc:
            return self.bad(i, column, str(exc))
        if not (math.isfinite(value) and (value > 0 or (allow_zero and value == 0))):
            bound = ">= 0" if allow_zero else "> 0"
            return self.bad(i, column, f"expected a finite number {bound}, got {raw!r}")
        return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _latency(r: _Rows, row: dict[str, str], i: int, column: str) -> float:
    if column == "latency_ms":
        value = r.quantity(row, i, column, "count")
        return value / 1e3
    return r.quantity(row, i, column, "count" if column == "latency_s" else "time")


def read_measurements(path: str | Path, catalog: Catalog | None = None) -> UserMeasurements:
    """Parse a measurement CSV; raise :class:`InputError` listing every problem."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(file, [Problem("", f"cannot read the file ({exc})")]) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    rows = list(reader)
    latency_cols = [c for c in LATENCY_COLUMNS if c in header]
    problems = []
    if len(latency_cols) != 1:
        found = f"found {', '.join(latency_cols)}" if latency_cols else "found none"
        problems.append(
            Problem(
                "header",
                f"expected exactly one of {', '.join(LATENCY_COLUMNS)} "
                f"({found}); columns are {', '.join(header) or 'none'}",
            )
        )
    if not {"flops", "params"} <= set(header) and not {"family", "variant"} <= set(header):
        problems.append(
            Problem(
                "header",
                "expected columns flops and params, or family and variant naming catalog variants",
            )
        )
    if not rows and not problems:
        problems.append(Problem("", "no measurement rows"))
    if problems:
        raise InputError(file, problems)
    return _parse_rows(file, rows, latency_cols[0], catalog)


def _parse_rows(
    file: str, rows: list[dict[str, str]], latency_col: str, catalog: Catalog | None
) -> UserMeasurements:
    r = _Rows()
    cat: Catalog | None = catalog
    table = activation_table()
    flops, params, elements, latency, batch, precision = [], [], [], [], [], []
    depthwise: list[float] = []
    depthwise_known: list[bool] = []
    families, variants = [], []
    for i, row in enumerate(rows):
        family = (row.get("family") or "").strip()
        variant = (row.get("variant") or "").strip()
        f = r.quantity(row, i, "flops", "flops")
        p = r.quantity(row, i, "params", "count")
        prec = (row.get("precision") or "").strip().lower()
        act = r.quantity(row, i, "activation_bytes", "bytes")
        dw_bytes = r.quantity(row, i, "depthwise_activation_bytes", "bytes", allow_zero=True)
        layer_elements = layer_depthwise = math.nan
        layer_walk = False
        if math.isnan(f) or math.isnan(p):
            cat = cat or load_catalog()
            v = _catalog_variant(
                r, i, cat, family, variant, missing="flops" if math.isnan(f) else "params"
            )
            if v is not None:
                counts = table.get((v.name, float(v.flops)))
                f = v.flops if counts is None or counts.layer_flops is None else counts.layer_flops
                p = v.params
                prec = prec or v.precision
                if counts is not None:
                    layer_elements = counts.activation_elements
                    layer_depthwise = counts.depthwise_elements
                    layer_walk = counts.layer_flops is not None
        prec = prec or "fp32"
        if prec not in BYTES_PER_ELEMENT:
            r.bad(i, "precision", f"expected one of {', '.join(BYTES_PER_ELEMENT)}, got {prec!r}")
        b = (row.get("batch_size") or "").strip() or "1"
        if not b.isdigit() or int(b) < 1:
            r.bad(i, "batch_size", f"expected an integer >= 1, got {b!r}")
        flops.append(f)
        params.append(p)
        elements.append(act / bytes_per_element(prec) if math.isfinite(act) else layer_elements)
        given = math.isfinite(dw_bytes)
        depthwise.append(dw_bytes / bytes_per_element(prec) if given else layer_depthwise)
        depthwise_known.append(given or layer_walk)
        latency.append(_latency(r, row, i, latency_col))
        if math.isnan(latency[-1]) and not (row.get(latency_col) or "").strip():
            r.bad(i, latency_col, "is empty")
        batch.append(int(b) if b.isdigit() and int(b) >= 1 else 1)
        precision.append(prec)
        families.append(family or "-")
        variants.append(variant or f"row {i + 1}")
    if len(rows) < MIN_ROWS:
        r.problems.append(Problem("", f"{len(rows)} measurements; need at least {MIN_ROWS}"))
    if r.problems:
        raise InputError(file, r.problems)
    return UserMeasurements(
        features=features_from_arrays(
            np.array(flops),
            np.array(params),
            precision,
            np.array(elements, dtype=np.float64),
            np.array(depthwise, dtype=np.float64),
            np.array(depthwise_known, dtype=bool),
        ),
        latency_s=np.array(latency, dtype=np.float64),
        batch_size=np.array(batch, dtype=np.int64),
        family=tuple(families),
        variant=tuple(variants),
    )


def _catalog_variant(
    r: _Rows, i: int, cat: Catalog, family: str, variant: str, missing: str
) -> Variant | None:
    if not family or not variant:
        r.bad(i, missing, "is empty (give flops and params, or family and variant of the catalog)")
        return None
    fam = cat.families.get(family)
    if fam is None:
        r.bad(i, "family", f"no catalog family {family!r}")
        return None
    try:
        return fam.variant(variant)
    except KeyError:
        r.bad(i, "variant", f"no variant {variant!r} in catalog family {family!r}")
        return None
