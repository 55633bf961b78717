"""The cut tables of a scenario's split and multi-stage applications."""

from __future__ import annotations

import numpy as np

from slimplace.arrays import IntArray
from slimplace.scenario.model import Scenario
from slimplace.split.cuts import CutTable, split_cut_table
from slimplace.split.stages import stage_cut_table


def cut_tables(scenario: Scenario, variant_family: IntArray) -> list[CutTable]:
    """The cut tables of every split or multi-stage application (``variant_family``: the
    family of each compiled variant, in family order; multi-stage applications already
    on their composite families, :func:`slimplace.split.stages.expand_stages`)."""
    index = {f.name: i for i, f in enumerate(scenario.families)}
    out = []
    for a, app in enumerate(scenario.applications):
        if app.split is None and not app.stages:
            continue
        f = index[app.family]
        first = int(np.searchsorted(variant_family, f))
        if app.stages:
            out.append(stage_cut_table(a, app, scenario.family_by_name(), first))
        else:
            out.append(split_cut_table(a, app, scenario.families[f], first))
    return out


__all__ = ["cut_tables"]
