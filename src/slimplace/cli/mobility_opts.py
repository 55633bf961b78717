"""``slimplace simulate --mobility``: the mobility hook from the command line, the run
without mobility it is compared with, and the table of what mobility did."""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from slimplace.cli.options import bad_option, resolve_user_path
from slimplace.errors import InputError, Problem

if TYPE_CHECKING:
    from slimplace.sim.engine import SimResult
    from slimplace.sim.mobility import Mobility


def mobility_from_cli(
    spec: str | None, options: dict[str, object], scenario_file: Path
) -> Mobility | None:
    """The hook of ``--mobility SPEC`` with ``--mobility-set`` ``options`` (None without
    ``--mobility``). A relative trace path is looked up in the current folder, then in
    the scenario's."""
    from slimplace.sim.mobility import MODELS, MobilityError, build_mobility

    if spec is None:
        if options:
            raise bad_option("--mobility-set", "needs --mobility")
        return None
    params = inspect.signature(build_mobility).parameters
    known = [k for k in params if k != "spec"]
    problems = [
        Problem(k, f"unknown option; known: {', '.join(known)}") for k in options if k not in known
    ]
    for key in ("state_bytes", "hysteresis", "min_speed_m_s", "max_speed_m_s", "pause_s"):
        if key in options and not isinstance(options[key], (int, float)):
            problems.append(Problem(key, f"expected a number, got {options[key]!r}"))
    if problems:
        raise InputError("--mobility-set", problems)
    where: str | Path = spec
    if spec not in MODELS:
        path = Path(resolve_user_path(spec))
        if not path.is_absolute() and not path.exists():
            path = scenario_file.parent / path
        if not path.is_file():
            raise bad_option(
                "--mobility",
                f"{spec}: no such file (expected {' or '.join(MODELS)} or a trace CSV)",
            )
        where = path
    kwargs: dict[str, Any] = dict(options)
    try:
        return build_mobility(where, **kwargs)
    except MobilityError as exc:
        raise bad_option("--mobility-set", str(exc)) from None


def with_baseline(result: SimResult, baseline: SimResult) -> SimResult:
    """``result`` (with mobility) whose mobility figures also hold the SLO attainment and
    energy of ``baseline``, the same run without mobility."""
    s, b = result.summary, baseline.summary
    figures = {
        **s.mobility,
        "slo_attainment": s.slo_attainment,
        "slo_attainment_without_mobility": b.slo_attainment,
        "energy_j": s.energy_j,
        "energy_j_without_mobility": b.energy_j,
    }
    return replace(result, summary=replace(s, mobility=figures))


def mobility_table(figures: dict[str, float]) -> Table:
    """What mobility did, and the SLO attainment with and without it."""
    table = Table(title="mobility")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_row("mobile sources", f"{figures.get('mobile_sources', 0):,.0f}")
    table.add_row("handovers", f"{figures.get('handovers', 0):,.0f}")
    table.add_row("migrations", f"{figures.get('migrations', 0):,.0f}")
    table.add_row(
        "mobile services the policy moved (state charged)",
        f"{figures.get('policy_migrations', 0):,.0f}",
    )
    table.add_row(
        "roaming candidates (served via other antennas)",
        f"{figures.get('roaming_candidates', 0):,.0f}",
    )
    table.add_row(
        "migration energy",
        f"{figures.get('migration_energy_j', 0):,.4g} J "
        f"({figures.get('migration_bytes', 0) / 1e6:,.4g} MB moved)",
    )
    table.add_row(
        "entry-steps out of reach (no candidate meets the SLO)",
        f"{figures.get('stranded_entry_steps', 0):,.0f}",
    )
    if "slo_attainment_without_mobility" in figures:
        table.add_row(
            "SLO attainment with / without mobility",
            f"{figures['slo_attainment']:.4%} / {figures['slo_attainment_without_mobility']:.4%}",
        )
        table.add_row(
            "energy with / without mobility",
            f"{figures['energy_j'] / 3.6e6:,.5g} / "
            f"{figures['energy_j_without_mobility'] / 3.6e6:,.5g} kWh",
        )
    return table
