"""The built-in catalog: hardware profiles, link kinds, model families, grid regions.

All numbers are read from package data (``slimplace/data/catalog/*.csv``), each
row with its source; ``SOURCES.md`` there gives every file's origin and license.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from slimplace.catalog._rows import read_rows
from slimplace.catalog.families import parse_families, parse_measured
from slimplace.catalog.hardware import parse_embodied, parse_hardware, parse_power_curves
from slimplace.catalog.latency_fits import with_builtin_fits
from slimplace.catalog.links import parse_link_kinds, parse_radio_models
from slimplace.catalog.operating_points import (
    parse_batch_curves,
    parse_power_modes,
    with_operating_points,
)
from slimplace.catalog.regions import parse_regions
from slimplace.scenario.model import HardwareProfile, LinkKind, ModelFamily, RadioModel, Region


@dataclass(frozen=True)
class Catalog:
    """Read-only lookups of everything a scenario may name without defining it.

    ``hardware`` by profile name (``raspberry-pi-4``), ``link_kinds`` by kind
    (``5g``, ``fibre-access``), ``families`` by family name (``mobilenet-v2``),
    ``regions`` by code (``FRA``, ``WORLD``, ``gcp:europe-west1``), ``radios`` (device
    radio models) by name (``lte``, ``nr``, ``wifi``).
    """

    hardware: Mapping[str, HardwareProfile]
    link_kinds: Mapping[str, LinkKind]
    families: Mapping[str, ModelFamily]
    regions: Mapping[str, Region]
    radios: Mapping[str, RadioModel] = field(default_factory=lambda: MappingProxyType({}))


@functools.cache
def load_catalog() -> Catalog:
    """Load the packaged catalog (parsed once per process; the result is immutable).

    Profiles named in ``data/calibration/fits.csv`` carry their shipped latency fit.
    """
    curves = parse_power_curves(read_rows("power_curves.csv"))
    measured = parse_measured(read_rows("measured_latency.csv"))
    return Catalog(
        hardware=MappingProxyType(
            with_operating_points(
                with_builtin_fits(
                    parse_hardware(
                        read_rows("hardware.csv"),
                        curves,
                        embodied=parse_embodied(read_rows("embodied.csv")),
                    )
                ),
                parse_power_modes(read_rows("power_modes.csv")),
                parse_batch_curves(read_rows("batch_curves.csv")),
            )
        ),
        link_kinds=MappingProxyType(parse_link_kinds(read_rows("link_kinds.csv"))),
        families=MappingProxyType(
            parse_families(read_rows("families.csv"), read_rows("variants.csv"), measured)
        ),
        regions=MappingProxyType(parse_regions(read_rows("regions.csv"))),
        radios=MappingProxyType(parse_radio_models(read_rows("radio_models.csv"))),
    )
