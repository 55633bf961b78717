"""Regenerate the package tables of ``data/calibration/`` from the catalog.

``python -m slimplace.calibration.build`` writes ``activations.csv`` (layer-walk
counts, :mod:`slimplace.calibration.published`) and ``fits.csv`` (one fit per
device class with published latencies, with its k-fold error and that of the
FLOPs-only model). The tests check that the shipped files match a rebuild.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
from collections import Counter
from pathlib import Path

from slimplace.calibration.fit import fit_latency, kfold_mape
from slimplace.calibration.published import Measurements, activation_rows, published_measurements
from slimplace.catalog import Catalog
from slimplace.catalog.latency_fits import FITS_COLUMNS, fit_to_row
from slimplace.fsutil import atomic_write_text

log = logging.getLogger(__name__)

#: Catalog hardware profiles that carry a shipped fit by default (device class -> profiles).
#: ``xeon`` is left out on purpose: its 4 published points (Once-for-All, MKL-DNN,
#: batch 1) imply ~10x the service time of the catalog's throughput-based profile.
CATALOG_PROFILES = {"pixel1": "phone-pixel1"}


def source_summary(m: Measurements) -> str:
    """Where a device's measurements come from, with counts per family."""
    by_origin: dict[str, Counter[str]] = {}
    for family, source in zip(m.family, m.source, strict=True):
        by_origin.setdefault(source.split(":")[0].split("'")[0].strip(), Counter())[family] += 1
    parts = [
        f"{origin} ({', '.join(f'{f} x{n}' for f, n in sorted(c.items()))})"
        for origin, c in sorted(by_origin.items())
    ]
    return f"slimplace calibration fit to {len(m)} published latencies: " + "; ".join(parts)


def fits_rows(catalog: Catalog | None = None, *, seed: int = 0) -> list[dict[str, str]]:
    """Rows of ``fits.csv``: every device class of the catalog's measurements."""
    rows = []
    for device, m in published_measurements(catalog).items():
        held = kfold_mape(m.features, m.latency_s, m.batch_size, seed=seed)
        fit = fit_latency(m.features, m.latency_s, m.batch_size, source=source_summary(m))
        fit = dataclasses.replace(fit, mape=held.mape_calibrated)
        rows.append(
            fit_to_row(
                device,
                fit,
                mape_flops_only=held.mape_flops_only,
                catalog_profiles=CATALOG_PROFILES.get(device, ""),
            )
        )
    return rows


def csv_text(rows: list[dict[str, str]], columns: tuple[str, ...]) -> str:
    """CSV text with a header (LF line ends)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


ACTIVATION_COLUMNS = (
    "family",
    "variant",
    "flops",
    "layer_flops",
    "activation_elements",
    "depthwise_elements",
    "method",
)


def main(out_dir: Path | None = None) -> None:
    """Write both tables into ``out_dir`` (default: the package's data folder)."""
    out = out_dir or Path(__file__).resolve().parent.parent / "data" / "calibration"
    atomic_write_text(out / "activations.csv", csv_text(activation_rows(), ACTIVATION_COLUMNS))
    atomic_write_text(out / "fits.csv", csv_text(fits_rows(), FITS_COLUMNS))
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
