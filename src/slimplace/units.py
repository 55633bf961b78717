"""Unit strings at the boundary ("5 ms", "10 Gbit/s", "150 kB", "20/s") to SI floats.

Parsing is delegated to `pint <https://pint.readthedocs.io>`_ with two additions:
``FLOP`` (a count of floating-point operations) and ``MAC`` (= 2 FLOP). Plain
numbers are taken as already being in the SI unit of the field. Values are
written back as ``"<repr> <unit>"`` in the SI unit so a save/load round-trip is
exact.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Final

import pint

#: SI unit each quantity kind is stored in, as pint understands it.
SI_UNITS: Final[dict[str, str]] = {
    "time": "s",
    "rate": "1/s",
    "bytes": "B",
    "bandwidth": "bit/s",
    "energy_per_bit": "J/bit",
    "power": "W",
    "energy": "J",
    "flops": "FLOP",
    "throughput": "FLOP/s",
    "carbon_intensity": "g/kWh",
    "fraction": "dimensionless",
    "count": "dimensionless",
}

#: How a value is written back for each kind (unit text after the number).
_WRITE_UNITS: Final[dict[str, str]] = {
    "time": "s",
    "rate": "/s",
    "bytes": "B",
    "bandwidth": "bit/s",
    "energy_per_bit": "J/bit",
    "power": "W",
    "energy": "J",
    "flops": "FLOP",
    "throughput": "FLOP/s",
    "carbon_intensity": "g/kWh",
}


class UnitError(ValueError):
    """A value that is not a quantity of the expected kind."""


@cache
def _registry() -> pint.UnitRegistry:
    ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    ureg.define("FLOP = [operations] = flop")
    ureg.define("MAC = 2 * FLOP = mac")
    ureg.define("req = [] = request")
    return ureg


@cache
def _parse_text(text: str, kind: str) -> float:
    ureg = _registry()
    clean = text.strip()
    if kind == "rate" and clean.startswith("/"):
        raise UnitError(f"no number in {text!r}")
    if kind == "rate":
        clean = clean.replace("req/", "/").replace("requests/", "/")
    if kind == "fraction" and clean.endswith("%"):
        try:  # number / 100 is exact where pint's percent conversion is not (70 % -> 0.7)
            return float(clean[:-1]) / 100
        except ValueError:
            clean = clean[:-1] + " percent"
    try:
        quantity: Any = ureg.Quantity(clean)
    except Exception as exc:  # pint raises many types for bad text
        raise UnitError(f"cannot read {text!r} as a quantity ({exc})") from None
    target = SI_UNITS[kind]
    if isinstance(quantity, (int, float)):
        return float(quantity)
    if _INFORMATION.get(kind) and not _has_information_unit(quantity):
        raise UnitError(f"{text!r} is not {_expect(kind)}")
    if quantity.dimensionless and kind not in ("fraction", "count", "bytes"):
        reason = "has no unit; expected" if quantity.unitless else "is not"
        raise UnitError(f"{text!r} {reason} {_expect(kind)}")
    try:
        value = float(quantity.to(target).magnitude)
    except pint.DimensionalityError:
        raise UnitError(f"{text!r} is not {_expect(kind)}") from None
    return value


#: Kinds whose unit must name bits or bytes (pint treats both as dimensionless).
_INFORMATION: Final[dict[str, bool]] = {"bytes": True, "bandwidth": True, "energy_per_bit": True}


def _has_information_unit(quantity: pint.Quantity) -> bool:
    return any("bit" in name or "byte" in name for name, _ in quantity.unit_items())


def _expect(kind: str) -> str:
    examples = {
        "time": "a time such as '5 ms'",
        "rate": "a rate such as '20/s'",
        "bytes": "a size such as '150 kB'",
        "bandwidth": "a bandwidth such as '10 Gbit/s'",
        "energy_per_bit": "an energy per bit such as '300 nJ/bit'",
        "power": "a power such as '60 W'",
        "energy": "an energy such as '5 J'",
        "flops": "an operation count such as '600 MFLOP'",
        "throughput": "a throughput such as '5 TFLOP/s'",
        "carbon_intensity": "a carbon intensity such as '300 g/kWh'",
        "fraction": "a fraction such as 0.72 or '72 %'",
        "count": "a number",
    }
    return examples[kind]


def parse(value: str | float | int, kind: str) -> float:
    """Convert a unit string (or a bare number, taken as SI) to a float in SI units.

    Raises :class:`UnitError` with a message saying what was expected.
    """
    if kind not in SI_UNITS:
        raise KeyError(kind)
    if isinstance(value, bool):
        raise UnitError(f"{value!r} is not {_expect(kind)}")
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        result = _parse_text(value, kind)
    else:
        raise UnitError(f"{value!r} is not {_expect(kind)}")
    if math.isnan(result):
        raise UnitError(f"{value!r} is not a number")
    return result


def format_si(value: float, kind: str) -> str | float:
    """Write an SI float back as a unit string that :func:`parse` reads exactly."""
    if kind in ("fraction", "count"):
        return float(value)
    unit = _WRITE_UNITS[kind]
    number = "inf" if math.isinf(value) else repr(float(value))
    return f"{number}{unit}" if unit.startswith("/") else f"{number} {unit}"
