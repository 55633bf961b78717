"""A realistic, solvable continuum on a PoP graph: what ``slimplace import`` writes.

Built in five steps, each seeded from the user's seed *and* the topology's content
(:func:`topology_seed`), so the same seed on two networks of equal size draws differently:

1. infrastructure: :func:`slimplace.topology.continuum.generate_continuum` (routers,
   core links, antennas, edge boxes, metro rooms, datacenters, device nodes);
2. devices and workloads (:mod:`slimplace.topology.mix`): cameras, phones and sensors
   under every antenna with their access links, applications of their class, per-device
   rates capped by the device's own access link;
3. provisioning (:mod:`slimplace.topology.provision`): owned edge/metro sites sized to
   the peak they could serve, datacenters ``elastic`` and sized to all of it;
4. SLOs (:mod:`slimplace.topology.solvable`): on the ``settings.slo_quantile`` tail
   (0.99 by default), the reachable latency of each application's worst-placed source
   times a slack drawn in ``slo_slack``;
5. a witness plan checked by the evaluator; when none is found the generator raises an
   :class:`~slimplace.errors.InputError` saying why and which option to change.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np

from slimplace.errors import InputError, Problem
from slimplace.problem.compile import compile_problem
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import (
    Application,
    Link,
    Node,
    Ownership,
    Scenario,
    Settings,
    Source,
)
from slimplace.topology.continuum import CatalogLike, ContinuumOptions, generate_continuum
from slimplace.topology.mix import DEFAULT_CLASSES, DeviceClass
from slimplace.topology.provision import Sizing, site_counts
from slimplace.topology.solvable import (
    reachable_latency_s,
    slo_from_reachable,
    violation_summary,
    witness,
)

log = logging.getLogger(__name__)

_WHERE = "slimplace import"
#: SLO of the provisional scenario used to measure what is reachable (s): loose enough
#: to admit every placement that meets floors and memory.
_PROVISIONAL_SLO_S = 60.0


@dataclass(frozen=True, kw_only=True, slots=True)
class RealisticOptions:
    """Options of :func:`generate_realistic` (see the module docstring).

    ``classes``: device classes per antenna (:data:`slimplace.topology.mix.DEFAULT_CLASSES`);
    ``max_sites``: at most this many PoPs get access and metro sites (the best-connected
    ones, as an operator rolls edge computing out at its main PoPs first; None: all);
    ``access_share``: the most of its access link's bandwidth a device's own requests and
    answers may use; ``slo_slack``: range of the SLO / reachable-latency factor;
    ``slo_step_s``: SLOs are rounded up to this; ``accuracy_floor_position``: floor at
    this fraction of the family's [min, max] accuracy; ``average_accuracy_share``:
    probability of an "average" floor; ``sizing``: provisioning headroom and caps;
    ``workload``: every application's rate pattern for the simulator (None: constant);
    ``max_candidates``: refuse (naming what to change) a scenario whose placement
    candidates could exceed this many, before compiling it (None: no limit; a network of
    750 PoPs with ``max_sites=None`` would need tens of GB).
    Application ids are the class name, or ``<class>-<k>-<family>`` when a class has
    several applications.
    """

    classes: tuple[DeviceClass, ...] = DEFAULT_CLASSES
    max_sites: int | None = 40
    antennas_per_pop: int = 2
    n_datacenters: int = 2
    edge_hardware: tuple[str, ...] = ("jetson-orin-nano",)
    metro_hardware: tuple[str, ...] = ("t4-server",)
    datacenter_hardware: tuple[str, ...] = ("a100-server", "h100-server")
    access_share: float = 0.5
    slo_slack: tuple[float, float] = (1.5, 3.0)
    slo_step_s: float = 0.005
    accuracy_floor_position: tuple[float, float] = (0.1, 0.6)
    average_accuracy_share: float = 0.3
    sizing: Sizing = field(default_factory=Sizing)
    workload: str | None = None
    default_region: str = "WORLD"
    settings: Settings = field(default_factory=lambda: Settings(slo_quantile=0.99))
    max_candidates: int | None = 10_000_000


def topology_seed(graph: nx.Graph, seed: int) -> int:
    """A 63-bit seed from ``seed`` and the graph's name, nodes, positions and links."""
    h = hashlib.sha256(f"{seed}|{graph.graph.get('name', '')}".encode())
    for n, d in sorted(graph.nodes(data=True), key=lambda x: str(x[0])):
        h.update(f"|{n}:{d.get('lat')}:{d.get('lon')}".encode())
    for u, v in sorted(
        (str(a), str(b)) if str(a) < str(b) else (str(b), str(a)) for a, b in graph.edges
    ):
        h.update(f"|{u}-{v}".encode())
    return int.from_bytes(h.digest()[:8], "big") >> 1


def generate_realistic(
    graph: nx.Graph,
    options: RealisticOptions | None = None,
    *,
    seed: int,
    catalog: CatalogLike | None = None,
    name: str = "generated",
) -> Scenario:
    """A realistic continuum on ``graph`` that a plan can serve (module docstring).

    Raises :class:`InputError` for unknown names or counts, and when no plan serving every
    demand within its SLO is found (naming the violated constraints and what to change).
    """
    o = options or RealisticOptions()
    if catalog is None:
        from slimplace.catalog import load_catalog

        catalog = load_catalog()
    _check(o, catalog)
    derived = topology_seed(graph, seed)
    base = generate_continuum(
        graph, _infrastructure_options(o, graph), seed=derived, catalog=catalog, name=name
    )
    rng = np.random.default_rng([derived, 1])
    nodes, links, classes = _devices(base, o, catalog, rng)
    apps, slack = _applications(base, nodes, links, classes, o, catalog, rng)
    if not apps:
        raise InputError(
            _WHERE,
            [Problem("mix", "no application: give a device class a count and applications")],
        )
    _check_size(nodes, apps, o, catalog)
    draft = _canonical(replace(base, nodes=nodes, links=links, applications=apps), catalog, o)
    problem = _compile(draft)
    counts = _provision(problem, draft, o)
    sized = replace(draft, nodes=tuple(_sized(n, counts) for n in draft.nodes))
    final = replace(
        _with_reachable_slos(sized, slack, o.slo_step_s),
        description=_description(graph, seed, o),
    )
    _check_solvable(final, seed)
    return final


# ------------------------------------------------------------------------------- steps


def _with_reachable_slos(s: Scenario, slack: np.ndarray, step_s: float) -> Scenario:
    """Every application's SLO from the reachable latency of its demands x its slack."""
    problem = _compile(s)
    reach = reachable_latency_s(problem)
    _refuse_unreachable(problem, reach)
    slos = slo_from_reachable(reach, problem.demand_app, len(s.applications), slack, step_s)
    apps = tuple(
        replace(a, latency_slo_s=float(x)) for a, x in zip(s.applications, slos, strict=True)
    )
    return replace(s, applications=apps)


def _description(graph: nx.Graph, seed: int, o: RealisticOptions) -> str:
    return (
        f"continuum generated on {graph.graph.get('name', 'graph')} with seed {seed}: "
        + ", ".join(f"{c.per_antenna} {c.name}" for c in o.classes)
        + " per antenna; owned edge/metro servers sized to the load; elastic datacenters; "
        f"SLOs at the {o.settings.slo_quantile} quantile from reachable latency x "
        f"{o.slo_slack[0]}-{o.slo_slack[1]}"
    )


def _check(o: RealisticOptions, catalog: CatalogLike) -> None:
    problems: list[Problem] = []
    for i, c in enumerate(o.classes):
        for j, hw in enumerate(c.hardware):
            if hw not in catalog.hardware:
                problems.append(Problem(f"classes[{c.name}].hardware[{j}]", f"unknown {hw!r}"))
        for j, kind in enumerate(c.access):
            if kind not in catalog.link_kinds:
                problems.append(Problem(f"classes[{c.name}].access[{j}]", f"unknown {kind!r}"))
        if c.per_antenna < 0 or c.n_apps < 0:
            problems.append(Problem(f"classes[{i}]", "counts must be 0 or more"))
        for j, fam in enumerate(c.families):
            if fam not in catalog.families:
                near = difflib.get_close_matches(fam, list(catalog.families), n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                problems.append(
                    Problem(f"classes[{c.name}].families[{j}]", f"unknown family {fam!r}{hint}")
                )
        if c.per_antenna and c.n_apps and not _families(c, catalog):
            problems.append(
                Problem(f"classes[{c.name}].families", f"none of {c.families} has variants")
            )
        for path, (lo, hi) in (
            ("rate_per_s", c.rate_per_s),
            ("request_bytes", c.request_bytes),
            ("response_bytes", c.response_bytes),
        ):
            if not 0 < lo <= hi or not math.isfinite(hi):
                problems.append(Problem(f"classes[{c.name}].{path}", "needs 0 < lo <= hi"))
    if o.antennas_per_pop < 1:
        problems.append(
            Problem("antennas_per_pop", "must be 1 or more: devices attach to antennas")
        )
    if o.n_datacenters < 0:
        problems.append(Problem("n_datacenters", "must be 0 or more"))
    if o.max_sites is not None and o.max_sites < 1:
        problems.append(Problem("max_sites", "must be 1 or more"))
    if sum(c.per_antenna for c in o.classes) == 0:
        problems.append(Problem("mix", "no devices: give at least one class a count above 0"))
    if not 0 < o.access_share <= 1:
        problems.append(Problem("access_share", "must be in (0, 1]"))
    if not 1 <= o.slo_slack[0] <= o.slo_slack[1]:
        problems.append(Problem("slo_slack", "needs 1 <= lo <= hi"))
    if problems:
        raise InputError(_WHERE, problems)


def candidate_bound(
    nodes: Sequence[Node], apps: Sequence[Application], catalog: CatalogLike
) -> int:
    """An upper bound on the placement candidates: per demand, every variant of its
    family on every server node and on its own device."""
    servers = sum(1 for n in nodes if n.hardware is not None and n.tier != "device")
    return sum(
        len(a.sources) * (servers + 1) * len(catalog.families[a.family].variants) for a in apps
    )


def _check_size(
    nodes: Sequence[Node], apps: Sequence[Application], o: RealisticOptions, catalog: CatalogLike
) -> None:
    bound = candidate_bound(nodes, apps, catalog)
    if o.max_candidates is None or bound <= o.max_candidates:
        return
    demands = sum(len(a.sources) for a in apps)
    servers = sum(1 for n in nodes if n.hardware is not None and n.tier != "device")
    raise InputError(
        _WHERE,
        [
            Problem(
                "size",
                f"{demands:,} demands x {servers:,} server sites could give up to {bound:,} "
                f"placement candidates (limit {o.max_candidates:,}): too large to compile",
            ),
            Problem(
                "what to change",
                "fewer PoPs with sites (--sites, 40 by default), fewer antennas per PoP "
                "(--antennas-per-pop) or fewer devices per antenna (--mix)",
            ),
        ],
    )


def _families(c: DeviceClass, catalog: CatalogLike) -> tuple[str, ...]:
    return tuple(f for f in c.families if f in catalog.families and catalog.families[f].variants)


def _site_pops(graph: nx.Graph, max_sites: int | None) -> tuple[str, ...] | None:
    """The PoPs that get sites: the ``max_sites`` of highest degree (ties: graph order)."""
    real = [
        n for n, d in graph.nodes(data=True) if not d.get("hyperedge") and d.get("internal", True)
    ]
    real = real or list(graph.nodes)
    if max_sites is None or len(real) <= max_sites:
        return None
    order = {p: i for i, p in enumerate(real)}
    top = set(sorted(real, key=lambda p: (-graph.degree[p], order[p]))[:max_sites])
    log.info("%d PoPs: sites at the %d best-connected", len(real), max_sites)
    return tuple(p for p in real if p in top)


def _infrastructure_options(o: RealisticOptions, graph: nx.Graph) -> ContinuumOptions:
    total = sum(c.per_antenna for c in o.classes)
    first = next(c for c in o.classes if c.per_antenna > 0)
    return ContinuumOptions(
        pops=_site_pops(graph, o.max_sites),
        antennas_per_pop=o.antennas_per_pop,
        edge_nodes_per_antenna=1,
        devices_per_antenna=total,
        device_hardware=first.hardware,
        device_access=first.access,
        edge_hardware=o.edge_hardware,
        edge_server_count=(1, 1),
        metro_hardware=o.metro_hardware,
        metro_server_count=(1, 1),
        n_datacenters=o.n_datacenters,
        datacenter_hardware=o.datacenter_hardware,
        datacenter_server_count=(1, 1),
        n_apps=0,
        default_region=o.default_region,
        settings=o.settings,
    )


def _device_class_index(node_id: str, cumulative: np.ndarray) -> int:
    """Class of device ``<antenna>.d<k>``: the k-th device slot under its antenna."""
    k = int(node_id.rsplit(".d", 1)[1]) - 1
    return int(np.searchsorted(cumulative, k, side="right"))


def _devices(
    base: Scenario, o: RealisticOptions, catalog: CatalogLike, rng: np.random.Generator
) -> tuple[tuple[Node, ...], tuple[Link, ...], dict[str, int]]:
    """Device nodes with their class's hardware and access links; class index per device."""
    cumulative = np.cumsum([c.per_antenna for c in o.classes])
    devices = [n.id for n in base.nodes if n.tier == "device"]
    classes = {d: _device_class_index(d, cumulative) for d in devices}
    hw_draw = rng.random(len(devices))
    kind_draw = rng.random(len(devices))
    hardware, access = {}, {}
    for i, d in enumerate(devices):
        c = o.classes[classes[d]]
        hardware[d] = c.hardware[int(hw_draw[i] * len(c.hardware))]
        access[d] = c.access[int(kind_draw[i] * len(c.access))]
    nodes = tuple(
        replace(n, hardware=hardware[n.id]) if n.id in hardware else n for n in base.nodes
    )
    links = []
    for lk in base.links:
        if lk.b in access:
            k = catalog.link_kinds[access[lk.b]]
            lk = replace(
                lk,
                kind=k.name,
                bandwidth_bps=k.bandwidth_bps,
                latency_s=k.latency_s,
                energy_j_per_bit=k.energy_j_per_bit,
            )
        links.append(lk)
    return nodes, tuple(links), classes


def _applications(
    base: Scenario,
    nodes: Sequence[Node],
    links: Sequence[Link],
    classes: Mapping[str, int],
    o: RealisticOptions,
    catalog: CatalogLike,
    rng: np.random.Generator,
) -> tuple[tuple[Application, ...], np.ndarray]:
    """Applications per device class (one demand per device) and each one's SLO slack."""
    access_bps = {lk.b: lk.bandwidth_bps for lk in links if lk.b in classes}
    apps: list[Application] = []
    slack: list[float] = []
    for ci, c in enumerate(o.classes):
        members = [d for d in classes if classes[d] == ci]
        n_apps = min(c.n_apps, len(members))
        if n_apps == 0:
            continue
        fams = _families(c, catalog)
        picks = rng.integers(0, len(fams), size=n_apps)
        req = np.round(rng.uniform(*c.request_bytes, size=n_apps))
        resp = np.round(rng.uniform(*c.response_bytes, size=n_apps))
        pos = rng.uniform(*o.accuracy_floor_position, size=n_apps)
        average = rng.random(n_apps) < o.average_accuracy_share
        slack += list(rng.uniform(*o.slo_slack, size=n_apps))
        # every app gets at least one device, the rest join uniformly
        member_app = rng.integers(0, n_apps, size=len(members))
        member_app[rng.permutation(len(members))[:n_apps]] = np.arange(n_apps)
        rates = rng.uniform(*c.rate_per_s, size=len(members))
        for a in range(n_apps):
            family = fams[int(picks[a])]
            accs = [v.accuracy for v in catalog.families[family].variants]
            floor = math.floor((min(accs) + float(pos[a]) * (max(accs) - min(accs))) * 1e4) / 1e4
            bits = 8.0 * (req[a] + resp[a])
            sources = []
            for m in np.flatnonzero(member_app == a):
                cap = o.access_share * access_bps[members[m]] / bits
                sources.append(Source(node=members[m], rate_per_s=round(min(rates[m], cap), 3)))
            apps.append(
                Application(
                    id=c.name if n_apps == 1 else f"{c.name}-{a + 1}-{family}",
                    family=family,
                    sources=tuple(sorted(sources, key=lambda s: s.node)),
                    request_bytes=float(req[a]),
                    response_bytes=float(resp[a]),
                    latency_slo_s=_PROVISIONAL_SLO_S,
                    accuracy_floor=floor,
                    accuracy_mode="average" if average[a] else "hard",
                    workload=o.workload,
                )
            )
    return tuple(apps), np.asarray(slack)


def _canonical(s: Scenario, catalog: CatalogLike, o: RealisticOptions) -> Scenario:
    """Catalogue tuples holding exactly what the scenario uses, sorted."""
    hw = sorted({n.hardware for n in s.nodes if n.hardware is not None})
    kinds = sorted({lk.kind for lk in s.links})
    fams = sorted({a.family for a in s.applications})
    regions = sorted({n.region for n in s.nodes} | {o.default_region})
    return replace(
        s,
        hardware=tuple(catalog.hardware[h] for h in hw),
        link_kinds=tuple(catalog.link_kinds[k] for k in kinds),
        families=tuple(catalog.families[f] for f in fams),
        regions=tuple(catalog.regions[r] for r in regions),
    )


def _compile(s: Scenario) -> CompiledProblem:
    return compile_problem(s, strict=False)


def _site_of(node_id: str) -> tuple[str, str]:
    """(PoP, antenna) of a generated node id (``<pop>.a<j>.e<k>`` / ``.d<k>``, ``<pop>.metro``)."""
    pop, _, rest = node_id.partition(".")
    antenna = f"{pop}.{rest.split('.')[0]}" if rest.startswith("a") else ""
    return pop, antenna


def _provision(problem: CompiledProblem, s: Scenario, o: RealisticOptions) -> dict[str, int]:
    """Server counts by node id: owned edge/metro sized to their peak; datacenters to all."""
    source_ids = np.asarray(problem.node_ids, dtype=object)[problem.demand_source]
    pops = np.array([_site_of(str(x))[0] for x in source_ids], dtype=object)
    antennas = np.array([_site_of(str(x))[1] for x in source_ids], dtype=object)
    all_demands = np.arange(problem.n_demands)
    serves: dict[int, np.ndarray] = {}
    caps: dict[int, int | None] = {}
    for i, n in enumerate(s.nodes):
        if n.hardware is None or n.tier == "device":
            continue
        pop, antenna = _site_of(n.id)
        if n.tier == "cloud":
            serves[i], caps[i] = all_demands, None
        elif n.tier == "edge":
            serves[i], caps[i] = np.flatnonzero(antennas == antenna), o.sizing.max_edge_servers
        else:
            serves[i], caps[i] = np.flatnonzero(pops == pop), o.sizing.max_metro_servers
    counts = site_counts(problem, serves, o.sizing, caps)
    return {problem.node_ids[i]: c for i, c in counts.items()}


def _sized(n: Node, counts: Mapping[str, int]) -> Node:
    if n.id not in counts:
        return n
    ownership: Ownership = "elastic" if n.tier == "cloud" else "owned"
    return dataclasses.replace(n, count=counts[n.id], ownership=ownership)


def _refuse_unreachable(problem: CompiledProblem, reach: np.ndarray) -> None:
    if np.isfinite(reach).all():
        return
    ids = problem.node_ids
    bad = np.flatnonzero(~np.isfinite(reach))
    problems = [
        Problem(
            f"application {problem.app_ids[problem.demand_app[d]]} "
            f"from {ids[problem.demand_source[d]]}",
            "no node meets its accuracy floor with enough memory and capacity for its rate",
        )
        for d in bad[:10]
    ]
    problems.append(
        Problem(
            "what to change",
            "lower the frame rate (--fps), use more datacenters (--datacenters) "
            "or drop the class (--mix)",
        )
    )
    raise InputError(_WHERE, problems)


def _check_solvable(s: Scenario, seed: int) -> None:
    problem = compile_problem(s, strict=False)
    if problem.unservable:
        raise InputError(
            _WHERE,
            [
                Problem(f"application {u.application} from {u.source}", u.reason)
                for u in problem.unservable[:10]
            ],
        )
    _, ev = witness(problem, seed)
    if ev.feasible:
        return
    kinds = violation_summary(ev, examples=3)
    raise InputError(
        _WHERE,
        [
            Problem("generated scenario", f"no plan found that serves every demand ({kinds})"),
            Problem("what to change", _advice({v.kind for v in ev.violations})),
        ],
    )


def _advice(kinds: set[str]) -> str:
    """Which options relieve the violated constraint kinds."""
    tips = ["fewer devices per antenna (--mix)", "a lower camera frame rate (--fps)"]
    if kinds & {"capacity", "memory"}:
        tips.append("more datacenters (--datacenters)")
    if "slo" in kinds:
        tips.append("more SLO slack (--slo-slack)")
    return ", ".join(tips[:-1]) + " or " + tips[-1]
