"""Model families of the catalog (``families.csv``, ``variants.csv``, ``measured_latency.csv``).

Conventions of the data files (see ``data/catalog/SOURCES.md``): accuracy is
ImageNet top-1 as a fraction; ``flops`` = 2 x multiply-accumulates (the slimmable
tables' "FLOPs" and torchvision's "GFLOPS" count multiply-adds); ``memory_bytes``
is the resident weight size (params x 4 B for fp32, x 1 B for int8, the published
file size for torchvision, the full network's weights in weight-sharing families).
"""

from __future__ import annotations

from collections.abc import Sequence

from slimplace.catalog._rows import Row, RowParser
from slimplace.errors import Problem
from slimplace.scenario.model import MeasuredLatency, ModelFamily, Variant


def parse_measured(
    rows: Sequence[Row], file: str = "measured_latency.csv"
) -> dict[tuple[str, str], tuple[MeasuredLatency, ...]]:
    """Published latencies keyed by (family, variant)."""
    p = RowParser(file)
    out: dict[tuple[str, str], list[MeasuredLatency]] = {}
    for i, row in enumerate(rows):
        key = (p.text(row, i, "family"), p.text(row, i, "variant"))
        batch = p.number(row, i, "batch_size", minimum=1)
        if batch == batch and batch != int(batch):
            p.problem(i, "batch_size", f"expected an integer, got {batch:g}")
        measured = MeasuredLatency(
            device_class=p.text(row, i, "device_class"),
            latency_s=p.number(row, i, "latency_s", strict=True),
            batch_size=int(batch) if batch == batch else 1,
            source=p.text(row, i, "source"),
        )
        out.setdefault(key, []).append(measured)
    p.raise_if_any()
    return {k: tuple(v) for k, v in out.items()}


def _variant(p: RowParser, row: Row, i: int, measured: tuple[MeasuredLatency, ...]) -> Variant:
    accuracy = p.number(row, i, "accuracy", strict=True)
    if accuracy > 1.0:
        p.problem(i, "accuracy", f"expected a fraction in (0, 1], got {accuracy:g}")
    resolution = p.optional_number(row, i, "resolution")
    return Variant(
        name=p.text(row, i, "variant"),
        accuracy=accuracy,
        flops=p.number(row, i, "flops", strict=True),
        params=p.number(row, i, "params", strict=True),
        memory_bytes=p.number(row, i, "memory_bytes", strict=True),
        kind=p.text(row, i, "kind"),
        width=p.optional_number(row, i, "width"),
        resolution=int(resolution) if resolution is not None else None,
        precision=p.text(row, i, "precision"),
        measured=measured,
        source=p.text(row, i, "source"),
    )


def parse_families(
    family_rows: Sequence[Row],
    variant_rows: Sequence[Row],
    measured: dict[tuple[str, str], tuple[MeasuredLatency, ...]],
) -> dict[str, ModelFamily]:
    """Families keyed by name, each with its variants in file order."""
    vp = RowParser("variants.csv")
    by_family: dict[str, list[Variant]] = {}
    for i, row in enumerate(variant_rows):
        fam = vp.text(row, i, "family")
        v = _variant(vp, row, i, measured.get((fam, row.get("variant", "")), ()))
        if any(other.name == v.name for other in by_family.get(fam, [])):
            vp.problem(i, "variant", f"duplicate variant {v.name!r} in family {fam!r}")
        by_family.setdefault(fam, []).append(v)
    vp.raise_if_any()
    fp = RowParser("families.csv")
    out: dict[str, ModelFamily] = {}
    for i, row in enumerate(family_rows):
        name = fp.text(row, i, "family")
        if name not in by_family:
            fp.problem(i, "family", f"family {name!r} has no variants in variants.csv")
        out[name] = ModelFamily(
            name=name,
            variants=tuple(by_family.get(name, ())),
            weight_sharing=fp.boolean(row, i, "weight_sharing"),
            switch_time_s=fp.number(row, i, "switch_time_s"),
            load_time_s=fp.number(row, i, "load_time_s"),
            task=fp.text(row, i, "task"),
            source=fp.text(row, i, "source"),
        )
    for name in sorted(by_family.keys() - out.keys()):
        fp.problems.append(Problem("families", f"variants.csv names unknown family {name!r}"))
    fp.raise_if_any()
    return out
