"""Semantic checks on a :class:`~slimplace.scenario.model.Scenario`'s domain values.

Used by the file loader (after the schema has checked types and units) and by
scenario generators. Every check returns :class:`~slimplace.errors.Problem`
values instead of raising, so one pass reports everything found.

Paths index ``nodes``, ``links`` and ``applications`` by position (the loader
keeps file order), and the name-sorted catalogues by name:
``hardware[jetson-orin-nano].peak_power``.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import networkx as nx

from slimplace.errors import Problem
from slimplace.scenario.model import (
    TIERS,
    HardwareProfile,
    LinkKind,
    ModelFamily,
    Scenario,
)
from slimplace.scenario.validate_modes import batch_curve_problems, power_mode_problems

#: A range rule: ``None`` when the value is acceptable, else what is wrong.
Rule = Callable[[float], "str | None"]


def positive(value: float) -> str | None:
    """Rule: strictly greater than 0 (capacities, rates, sizes of work)."""
    return None if value > 0 else f"must be greater than 0, got {value:g}"


def non_negative(value: float) -> str | None:
    """Rule: 0 or more (delays, energies, idle power)."""
    return None if value >= 0 else f"must be 0 or more, got {value:g}"


def fraction(value: float) -> str | None:
    """Rule: within [0, 1] (accuracies, floors)."""
    return None if 0 <= value <= 1 else f"must be between 0 and 1 (0 % to 100 %), got {value:g}"


def utilisation_cap(value: float) -> str | None:
    """Rule: within (0, 1] (a target utilisation rho_max)."""
    return None if 0 < value <= 1 else f"must be greater than 0 and at most 1, got {value:g}"


def quantile(value: float) -> str | None:
    """Rule: within (0, 1) (a quantile of the response time)."""
    return None if 0 < value < 1 else f"must be greater than 0 and less than 1, got {value:g}"


def pue(value: float) -> str | None:
    """Rule: a power usage effectiveness is 1 or more (The Green Grid, WP#49, 2012)."""
    return None if value >= 1 and math.isfinite(value) else f"must be 1 or more, got {value:g}"


def at_least_one(value: float) -> str | None:
    """Rule: 1 or more (server counts, batch sizes)."""
    return None if value >= 1 else f"must be 1 or more, got {value:g}"


def suggest(name: str, known: Iterable[str], what: str) -> str:
    """``unknown <what> 'x'`` plus close names (difflib), or some known names when none is close."""
    names = sorted(set(known))
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    message = f"unknown {what} {name!r}"
    if close:
        return message + "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    if not names:
        return message + f"; no {what} is defined"
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return message + f"; known: {shown}"


def check_scenario(scenario: Scenario) -> list[Problem]:
    """Every semantic problem of a scenario: ranges, references, duplicates, reachability.

    An empty list means the scenario can be compiled and solved (it may still
    be infeasible for latency or capacity reasons, which the compiler reports).
    """
    return check_values(scenario) + check_references(scenario) + check_structure(scenario)


# ----------------------------------------------------------------------------- values


def _rules(path: str, checks: Sequence[tuple[str, float, Rule]]) -> list[Problem]:
    found = []
    for name, value, rule in checks:
        message = rule(value)
        if message is not None:
            found.append(Problem(f"{path}.{name}", message))
    return found


def check_values(scenario: Scenario) -> list[Problem]:
    """Ranges of every number, and cross-field rules (peak >= idle power, power curves)."""
    s = scenario.settings
    found = _rules(
        "settings",
        [
            ("max_utilisation", s.max_utilisation, utilisation_cap),
            ("service_cv2", s.service_cv2, non_negative),
            ("horizon", s.horizon_s, positive),
        ],
    )
    if s.slo_quantile is not None:
        found += _rules("settings", [("slo_quantile", s.slo_quantile, quantile)])
    found += _rules("settings", [("k_paths", s.k_paths, at_least_one)])
    for h in scenario.hardware:
        found += hardware_values(h)
    for k in scenario.link_kinds:
        found += _link_kind_values(k)
    for f in scenario.families:
        found += family_values(f)
    for r in scenario.regions:
        found += _rules(
            f"regions[{r.code}]", [("carbon_intensity", r.carbon_g_per_kwh, non_negative)]
        )
    for i, n in enumerate(scenario.nodes):
        found += _rules(f"nodes[{i}]", [("count", n.count, at_least_one), ("pue", n.pue, pue)])
        if n.tier not in TIERS:
            found.append(Problem(f"nodes[{i}].tier", f"must be one of {', '.join(TIERS)}"))
        if n.position is not None and not (
            -90 <= n.position[0] <= 90 and -180 <= n.position[1] <= 180
        ):
            found.append(
                Problem(f"nodes[{i}].position", "must be [latitude, longitude] in degrees")
            )
    for i, link in enumerate(scenario.links):
        figures = [
            ("bandwidth", link.bandwidth_bps, positive),
            ("latency", link.latency_s, non_negative),
            ("energy_per_bit", link.energy_j_per_bit, non_negative),
        ]
        unset = [key for key, value, _ in figures if math.isnan(value)]
        if unset:
            message = (
                f"{', '.join(unset)} left to the kind {link.kind!r} but not filled in: "
                "build the scenario with slimplace.scenario.build.build_scenario"
            )
            found.append(Problem(f"links[{i}]", message))
        found += _rules(f"links[{i}]", [f for f in figures if not math.isnan(f[1])])
    for i, app in enumerate(scenario.applications):
        found += _rules(
            f"applications[{i}]",
            [
                ("request", app.request_bytes, non_negative),
                ("response", app.response_bytes, non_negative),
                ("slo", app.latency_slo_s, positive),
                ("accuracy_floor", app.accuracy_floor, fraction),
            ],
        )
        for j, src in enumerate(app.sources):
            found += _rules(f"applications[{i}].sources[{j}]", [("rate", src.rate_per_s, positive)])
    return found


def hardware_values(h: HardwareProfile) -> list[Problem]:
    path = f"hardware[{h.name}]"
    found = _rules(
        path,
        [
            ("throughput", h.throughput_flops, positive),
            ("memory", h.memory_bytes, positive),
            ("idle_power", h.idle_power_w, non_negative),
            ("peak_power", h.peak_power_w, non_negative),
            ("wake_time", h.wake_time_s, non_negative),
            ("wake_energy", h.wake_energy_j, non_negative),
            ("sleep_power", h.sleep_power_w, non_negative),
        ],
    )
    if h.peak_power_w < h.idle_power_w:
        found.append(
            Problem(
                f"{path}.peak_power",
                f"must be at least idle_power ({h.idle_power_w:g} W), got {h.peak_power_w:g} W",
            )
        )
    if h.sleep_power_w > h.idle_power_w:
        found.append(
            Problem(
                f"{path}.sleep_power",
                f"must be at most idle_power ({h.idle_power_w:g} W), got {h.sleep_power_w:g} W",
            )
        )
    curve = h.power_curve
    if curve is not None:
        u, p = curve.utilisation, curve.power_w
        where = f"{path}.power_curve"
        if len(u) != len(p) or len(u) < 2:
            found.append(Problem(where, "utilisation and power need the same length, at least 2"))
        elif u[0] != 0 or u[-1] != 1 or any(b <= a for a, b in itertools.pairwise(u)):
            found.append(Problem(f"{where}.utilisation", "must rise strictly from 0 to 1"))
        if any(w < 0 for w in p):
            found.append(Problem(f"{where}.power", "must be 0 W or more"))
    found += power_mode_problems(h, path) + batch_curve_problems(h, path)
    return found


def _link_kind_values(k: LinkKind) -> list[Problem]:
    where = f"link_kinds[{k.name}]"
    found = _rules(
        where,
        [
            ("bandwidth", k.bandwidth_bps, positive),
            ("latency", k.latency_s, non_negative),
            ("energy_per_bit", k.energy_j_per_bit, non_negative),
            ("wake_time", k.wake_time_s, non_negative),
        ],
    )
    if k.sleep_w is not None:
        found += _rules(where, [("sleep_power", k.sleep_w, non_negative)])
        if k.sleep_w > k.baseload_w:
            found.append(
                Problem(
                    f"{where}.sleep_power",
                    f"a link asleep cannot draw more than when on: sleep power {k.sleep_w:g} W"
                    f" is above the baseload {k.baseload_w:g} W",
                )
            )
    return found


def family_values(f: ModelFamily) -> list[Problem]:
    path = f"families[{f.name}]"
    found = _rules(
        path,
        [
            ("switch_time", f.switch_time_s, non_negative),
            ("load_time", f.load_time_s, non_negative),
        ],
    )
    if not f.variants:
        found.append(Problem(f"{path}.variants", "a family needs at least one variant"))
    for name, n in Counter(v.name for v in f.variants).items():
        if n > 1:
            found.append(Problem(f"{path}.variants", f"duplicate variant name {name!r}"))
    for j, v in enumerate(f.variants):
        vpath = f"{path}.variants[{j}]"
        found += _rules(
            vpath,
            [
                ("accuracy", v.accuracy, fraction),
                ("flops", v.flops, positive),
                ("params", v.params, non_negative),
                ("memory", v.memory_bytes, positive),
            ],
        )
        if v.width is not None:
            found += _rules(vpath, [("width", v.width, positive)])
        if v.resolution is not None:
            found += _rules(vpath, [("resolution", v.resolution, positive)])
        for m, meas in enumerate(v.measured):
            found += _rules(
                f"{vpath}.measured[{m}]",
                [
                    ("latency", meas.latency_s, positive),
                    ("batch_size", meas.batch_size, at_least_one),
                ],
            )
    return found


# ------------------------------------------------------------------------- references


def check_references(scenario: Scenario) -> list[Problem]:
    """Names that must resolve inside the scenario: hardware, regions, link kinds, families."""
    hardware = {h.name for h in scenario.hardware}
    regions = {r.code for r in scenario.regions}
    kinds = {k.name for k in scenario.link_kinds}
    families = {f.name for f in scenario.families}
    found = []
    default = scenario.settings.default_region
    if default not in regions:
        found.append(Problem("settings.default_region", suggest(default, regions, "region")))
    for i, n in enumerate(scenario.nodes):
        if n.hardware is not None and n.hardware not in hardware:
            found.append(
                Problem(f"nodes[{i}].hardware", suggest(n.hardware, hardware, "hardware profile"))
            )
        if n.region not in regions and n.region != default:
            found.append(Problem(f"nodes[{i}].region", suggest(n.region, regions, "region")))
    for i, link in enumerate(scenario.links):
        if link.kind not in kinds:
            found.append(Problem(f"links[{i}].kind", suggest(link.kind, kinds, "link kind")))
    for i, app in enumerate(scenario.applications):
        if app.family not in families:
            found.append(
                Problem(f"applications[{i}].family", suggest(app.family, families, "model family"))
            )
    return found


# -------------------------------------------------------------------------- structure


def _duplicates(path: str, field: str, names: Sequence[str], what: str) -> list[Problem]:
    seen: set[str] = set()
    found = []
    for i, name in enumerate(names):
        if name in seen:
            found.append(Problem(f"{path}[{i}].{field}", f"duplicate {what} {name!r}"))
        seen.add(name)
    return found


def check_structure(scenario: Scenario) -> list[Problem]:
    """Duplicates, self-links, links and sources naming unknown nodes, accuracy floors
    above every variant, and sources that cannot reach any node able to serve them."""
    node_ids = [n.id for n in scenario.nodes]
    known = set(node_ids)
    found = _duplicates("nodes", "id", node_ids, "node id")
    found += _duplicates(
        "applications", "id", [a.id for a in scenario.applications], "application id"
    )
    for field, what, names in (
        ("hardware", "hardware profile", [h.name for h in scenario.hardware]),
        ("link_kinds", "link kind", [k.name for k in scenario.link_kinds]),
        ("families", "model family", [f.name for f in scenario.families]),
        ("regions", "region", [r.code for r in scenario.regions]),
    ):
        for name, n in Counter(names).items():
            if n > 1:
                found.append(Problem(f"{field}[{name}]", f"{what} {name!r} is defined {n} times"))
    link_problems = _link_problems(scenario, known)
    found += link_problems + _application_problems(scenario, known)
    graph_broken = len(known) < len(node_ids) or any(
        p.path.endswith((".a", ".b")) for p in link_problems
    )
    if not graph_broken:  # reachability over a broken graph would only repeat those problems
        found += _reachability(scenario, known)
    return found


def _link_problems(scenario: Scenario, known: set[str]) -> list[Problem]:
    found = []
    pairs: dict[frozenset[str], int] = {}
    for i, link in enumerate(scenario.links):
        for end in ("a", "b"):
            node = getattr(link, end)
            if node not in known:
                found.append(Problem(f"links[{i}].{end}", suggest(node, known, "node")))
        if link.a == link.b:
            found.append(Problem(f"links[{i}].b", f"self-link: both ends are {link.a!r}"))
            continue
        pair = frozenset((link.a, link.b))
        if pair in pairs:
            found.append(
                Problem(
                    f"links[{i}]",
                    f"duplicate link {link.a!r}-{link.b!r} (also links[{pairs[pair]}])",
                )
            )
        else:
            pairs[pair] = i
    return found


def _application_problems(scenario: Scenario, known: set[str]) -> list[Problem]:
    families = scenario.family_by_name()
    found = []
    for i, app in enumerate(scenario.applications):
        path = f"applications[{i}]"
        if not app.sources:
            found.append(Problem(f"{path}.sources", "an application needs at least one source"))
        seen: set[str] = set()
        for j, src in enumerate(app.sources):
            if src.node not in known:
                found.append(Problem(f"{path}.sources[{j}].node", suggest(src.node, known, "node")))
            elif src.node in seen:
                found.append(
                    Problem(f"{path}.sources[{j}].node", f"duplicate source node {src.node!r}")
                )
            seen.add(src.node)
        if app.accuracy_mode not in ("hard", "average"):
            found.append(Problem(f"{path}.accuracy_mode", "must be 'hard' or 'average'"))
        family = families.get(app.family)
        cascade = bool(app.stages) and app.generation is not None  # checked when compiled
        if family is not None and family.variants and not cascade:
            best = max(family.variants, key=lambda v: v.accuracy)
            if app.accuracy_floor > best.accuracy:
                found.append(
                    Problem(
                        f"{path}.accuracy_floor",
                        f"{app.accuracy_floor:.4g} is above every variant of {family.name!r}; "
                        f"its best is {best.name!r} at {best.accuracy:.4g}",
                    )
                )
    return found


def _reachability(scenario: Scenario, known: set[str]) -> list[Problem]:
    """A source needs a node with hardware in its connected component that may serve it:
    any non-``local_only`` node, or the source itself."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(known)
    graph.add_edges_from((lk.a, lk.b) for lk in scenario.links if lk.a in known and lk.b in known)
    servers = {n.id for n in scenario.nodes if n.hardware is not None and not n.local_only}
    with_hardware = {n.id for n in scenario.nodes if n.hardware is not None}
    component_has_server: dict[str, bool] = {}
    for component in nx.connected_components(graph):
        has = bool(component & servers)
        for node in component:
            component_has_server[node] = has
    found = []
    for i, app in enumerate(scenario.applications):
        for j, src in enumerate(app.sources):
            if src.node not in known or src.node in with_hardware:
                continue
            if not component_has_server[src.node]:
                found.append(
                    Problem(
                        f"applications[{i}].sources[{j}].node",
                        f"node {src.node!r} cannot reach any node that could serve it "
                        "(no node with hardware in its connected part of the network; "
                        "local_only nodes serve only themselves)",
                    )
                )
    return found


__all__ = [
    "check_references",
    "check_scenario",
    "check_structure",
    "check_values",
    "suggest",
]
