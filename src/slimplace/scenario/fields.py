"""Pydantic field validators shared by the scenario file schemas: a quantity with units
(``"10 ms"``, ``"1 Gbit/s"``, parsed by :func:`slimplace.units.parse`) and a range rule
(:mod:`slimplace.scenario.validate`), each raising a custom error whose message is the reason."""

from __future__ import annotations

from typing import Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from slimplace.scenario import validate as rules
from slimplace.units import UnitError, parse


def unit(kind: str) -> BeforeValidator:
    """Parse a number or a string with units of ``kind`` into SI."""

    def convert(value: Any) -> float:
        try:
            return parse(value, kind)
        except UnitError as exc:
            raise PydanticCustomError("unit", "{reason}", {"reason": str(exc)}) from None

    return BeforeValidator(convert)


def rule(check_rule: rules.Rule) -> AfterValidator:
    """Refuse a value ``check_rule`` finds wrong, with its message."""

    def check(value: float) -> float:
        message = check_rule(value)
        if message is not None:
            raise PydanticCustomError("range", "{reason}", {"reason": message})
        return value

    return AfterValidator(check)
