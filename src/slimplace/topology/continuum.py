"""Grow a seeded edge-network-cloud continuum (a :class:`Scenario`) on a PoP-level graph.

Per PoP of the graph (a normalised topology, :mod:`slimplace.topology.normalize`):

```
PoP router (metro, no hardware) --metro-- metro server (metro)
   |  \\--fibre-access-- antenna (edge, no hardware) --ethernet-- edge server(s) (edge)
   |                                                 \\--5g/4g/wifi-- device(s) (device)
   +--core-- other PoPs (latency = great-circle fibre delay)
   +--metro-- datacenter (cloud), at the highest-degree PoPs only
```

Node ids: ``<pop>`` (router), ``<pop>.metro``, ``<pop>.dc``, ``<pop>.a<j>``
(antenna), ``<pop>.a<j>.e<k>`` (edge server), ``<pop>.a<j>.d<k>`` (device).
Applications draw their sources among the devices (antennas when there are no
devices). Every draw comes from one ``numpy.random.default_rng(seed)``, in a
fixed order, so the same graph, options and seed give the same scenario.
Hardware, link kinds, families and regions come from the catalog; the
scenario lists exactly those it uses, sorted by name (code for regions).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import networkx as nx
import numpy as np

from slimplace.errors import InputError, Problem
from slimplace.scenario.model import (
    Application,
    HardwareProfile,
    Link,
    LinkKind,
    ModelFamily,
    Node,
    Region,
    Scenario,
    Settings,
    Source,
    Tier,
)
from slimplace.topology.geo import DEFAULT_HOP_LATENCY_S, fibre_latency_s, haversine_km
from slimplace.topology.normalize import to_float

log = logging.getLogger(__name__)


class CatalogLike(Protocol):
    """What the generator reads from a catalog (:class:`slimplace.catalog.Catalog`)."""

    @property
    def hardware(self) -> Mapping[str, HardwareProfile]: ...

    @property
    def link_kinds(self) -> Mapping[str, LinkKind]: ...

    @property
    def families(self) -> Mapping[str, ModelFamily]: ...

    @property
    def regions(self) -> Mapping[str, Region]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class ContinuumOptions:
    """How to grow a continuum on a PoP graph. Ranges ``(lo, hi)`` are drawn uniformly,
    integer ranges inclusive.

    Infrastructure:

    - ``pops``: graph nodes that get sites; None = every node except Topology Zoo
      hyperedge pseudo-nodes and external (``Internal=0``) nodes (all nodes if
      that leaves none). Other nodes stay as plain routers.
    - ``metro_sites``: PoPs with a metro server node; None = all ``pops``.
    - ``metro_hardware`` / ``metro_server_count`` / ``metro_pue``: its hardware
      (drawn per site), number of servers, PUE (1.5: roughly the 1.56 industry
      average of the Uptime Institute 2024 survey, for small server rooms).
    - ``n_datacenters``: cloud sites at the highest-degree PoPs (ties by node
      order); hardware cycles through ``datacenter_hardware``;
      ``datacenter_server_count`` servers each; PUE drawn in ``datacenter_pue``
      (hyperscale 1.1-1.2: Google 1.1, AWS 1.2, via Green Algorithms defaults).
      Attached to their PoP by a ``datacenter_link_kind`` link.
    - ``antennas_per_pop``: network-only edge nodes linked by "fibre-access".
    - ``edge_nodes_per_antenna`` edge server nodes per antenna ("ethernet"),
      hardware drawn from ``edge_hardware``, ``edge_server_count`` servers each,
      PUE ``edge_pue``.
    - ``devices_per_antenna`` device nodes (one server each, ``always_on`` and
      ``local_only``), hardware from ``device_hardware``, linked by a kind drawn
      from ``device_access``.

    Applications:

    - ``n_apps`` apps, family drawn from ``families`` (None: every catalog family).
    - ``sources_per_app`` sources each, or, when ``n_demands`` is set, that many
      (app, source) demands split evenly over the apps (more apps are made when
      there are too few source nodes for ``n_apps`` apps).
    - ``rate_per_source_per_s``, ``request_bytes``, ``response_bytes`` ranges;
      ``slo_choices_s`` SLOs, budgets on the mean response time: when
      ``settings.slo_quantile`` is set, each is widened by how much later its
      application's best reachable placement is at that quantile than on the mean
      (:func:`slimplace.topology.solvable.slos_at_quantile`); accuracy floor at a fraction drawn in
      ``accuracy_floor_position`` of the family's [min, max] variant accuracy;
      "average" accuracy mode with probability ``average_accuracy_share``, else "hard".

    Regions: a node's region is its PoP's country (ISO3) when the catalog has
    it, else ``default_region``.
    """

    pops: tuple[str, ...] | None = None
    metro_sites: tuple[str, ...] | None = None
    metro_hardware: tuple[str, ...] = ("t4-server", "xeon-server")
    metro_server_count: tuple[int, int] = (2, 8)
    metro_pue: float = 1.5
    n_datacenters: int = 2
    datacenter_hardware: tuple[str, ...] = ("a100-server", "xeon-server")
    datacenter_server_count: tuple[int, int] = (20, 100)
    datacenter_pue: tuple[float, float] = (1.1, 1.2)
    datacenter_link_kind: str = "metro"
    antennas_per_pop: int = 2
    edge_nodes_per_antenna: int = 1
    edge_hardware: tuple[str, ...] = ("jetson-orin-nano", "edge-mini-pc")
    edge_server_count: tuple[int, int] = (1, 4)
    edge_pue: float = 1.0
    devices_per_antenna: int = 4
    device_hardware: tuple[str, ...] = ("raspberry-pi-4", "phone-pixel1")
    device_access: tuple[str, ...] = ("5g", "4g", "wifi")
    n_apps: int = 4
    families: tuple[str, ...] | None = None
    sources_per_app: tuple[int, int] = (2, 20)
    n_demands: int | None = None
    rate_per_source_per_s: tuple[float, float] = (1.0, 20.0)
    request_bytes: tuple[float, float] = (20e3, 200e3)
    response_bytes: tuple[float, float] = (100.0, 2e3)
    slo_choices_s: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5)
    accuracy_floor_position: tuple[float, float] = (0.1, 0.8)
    average_accuracy_share: float = 0.5
    default_region: str = "WORLD"
    settings: Settings = field(default_factory=Settings)


_WHERE = "continuum options"


def generate_continuum(
    graph: nx.Graph,
    options: ContinuumOptions,
    *,
    seed: int,
    catalog: CatalogLike | None = None,
    name: str = "generated",
) -> Scenario:
    """A seeded continuum scenario on ``graph`` (see the module docstring for its shape).

    ``catalog`` defaults to :func:`slimplace.catalog.load_catalog`. Raises
    :class:`InputError` for options naming hardware, link kinds, families or
    regions the catalog lacks, or for impossible counts.
    """
    if catalog is None:
        catalog = _default_catalog()
    _check_options(graph, options, catalog)
    rng = np.random.default_rng(seed)
    builder = _Builder(graph, options, catalog, rng)
    builder.build_infrastructure()
    apps = builder.build_applications()
    scenario = builder.scenario(name, apps, seed)
    if options.settings.slo_quantile is not None and apps:
        # slo_choices_s are budgets on the mean; move them onto the tail settings bound
        from slimplace.topology.solvable import slos_at_quantile

        scenario = slos_at_quantile(scenario)
    return scenario


def _default_catalog() -> CatalogLike:
    """The built-in catalog (imported late: the catalog package loads CSV files)."""
    from slimplace.catalog import load_catalog

    return load_catalog()


# ---------------------------------------------------------------------------- checks


def _check_options(graph: nx.Graph, o: ContinuumOptions, catalog: CatalogLike) -> None:
    problems: list[Problem] = []

    def names(path: str, values: Sequence[str], known: Mapping[str, object], what: str) -> None:
        if not values:
            problems.append(Problem(path, f"needs at least one {what}"))
        for i, v in enumerate(values):
            if v not in known:
                options = ", ".join(sorted(known)) or "none"
                problems.append(Problem(f"{path}[{i}]", f"unknown {what} {v!r}; known: {options}"))

    names("metro_hardware", o.metro_hardware, catalog.hardware, "hardware profile")
    names("datacenter_hardware", o.datacenter_hardware, catalog.hardware, "hardware profile")
    names("edge_hardware", o.edge_hardware, catalog.hardware, "hardware profile")
    names("device_hardware", o.device_hardware, catalog.hardware, "hardware profile")
    names("device_access", o.device_access, catalog.link_kinds, "link kind")
    kinds = ("core", "metro", "fibre-access", "ethernet", o.datacenter_link_kind)
    names("link kinds used", kinds, catalog.link_kinds, "link kind")
    families = o.families if o.families is not None else tuple(sorted(catalog.families))
    names("families", families, catalog.families, "model family")
    for i, fam in enumerate(families):
        if fam in catalog.families and not catalog.families[fam].variants:
            problems.append(Problem(f"families[{i}]", f"family {fam!r} has no variants"))
    if o.default_region not in catalog.regions:
        problems.append(Problem("default_region", f"unknown region {o.default_region!r}"))
    for path, chosen in (("pops", o.pops), ("metro_sites", o.metro_sites)):
        for i, node in enumerate(chosen or ()):
            if node not in graph:
                problems.append(Problem(f"{path}[{i}]", f"{node!r} is not a node of the graph"))
    for path, count in (
        ("n_datacenters", o.n_datacenters),
        ("antennas_per_pop", o.antennas_per_pop),
        ("edge_nodes_per_antenna", o.edge_nodes_per_antenna),
        ("devices_per_antenna", o.devices_per_antenna),
        ("n_apps", o.n_apps),
    ):
        if count < 0:
            problems.append(Problem(path, f"must be 0 or more, got {count}"))
    for path, rng_ in (
        ("metro_server_count", o.metro_server_count),
        ("datacenter_server_count", o.datacenter_server_count),
        ("edge_server_count", o.edge_server_count),
        ("sources_per_app", o.sources_per_app),
        ("rate_per_source_per_s", o.rate_per_source_per_s),
        ("request_bytes", o.request_bytes),
        ("response_bytes", o.response_bytes),
        ("datacenter_pue", o.datacenter_pue),
    ):
        if not (0 < rng_[0] <= rng_[1]) or not all(math.isfinite(x) for x in rng_):
            problems.append(Problem(path, f"must be a range 0 < lo <= hi, got {rng_}"))
    lo, hi = o.accuracy_floor_position
    if not 0 <= lo <= hi <= 1:
        problems.append(Problem("accuracy_floor_position", "must be 0 <= lo <= hi <= 1"))
    if not o.slo_choices_s or any(not (s > 0) for s in o.slo_choices_s):
        problems.append(Problem("slo_choices_s", "needs positive SLOs"))
    if o.n_demands is not None and o.n_demands < 1:
        problems.append(Problem("n_demands", f"must be 1 or more, got {o.n_demands}"))
    if o.n_apps == 0 and o.n_demands:
        problems.append(Problem("n_apps", "n_demands needs at least one application"))
    if problems:
        raise InputError(_WHERE, problems)


# ---------------------------------------------------------------------------- builder


class _Builder:
    """Accumulates nodes and links in a fixed order; one instance per call."""

    def __init__(
        self,
        graph: nx.Graph,
        options: ContinuumOptions,
        catalog: CatalogLike,
        rng: np.random.Generator,
    ) -> None:
        self.graph = graph
        self.o = options
        self.catalog = catalog
        self.rng = rng
        self.nodes: list[Node] = []
        self.links: list[Link] = []
        self.sources: list[str] = []
        self.antennas: list[str] = []

    # -- helpers

    def _region(self, pop: str) -> str:
        country = self.graph.nodes[pop].get("country")
        return country if country in self.catalog.regions else self.o.default_region

    def _position(self, pop: str) -> tuple[float, float] | None:
        data = self.graph.nodes[pop]
        if "lat" in data and "lon" in data:
            return (float(data["lat"]), float(data["lon"]))
        return None

    def _link(
        self,
        a: str,
        b: str,
        kind: str,
        latency_s: float | None = None,
        bandwidth_bps: float | None = None,
    ) -> None:
        k = self.catalog.link_kinds[kind]
        self.links.append(
            Link(
                a=a,
                b=b,
                kind=kind,
                bandwidth_bps=bandwidth_bps if bandwidth_bps else k.bandwidth_bps,
                latency_s=k.latency_s if latency_s is None else latency_s,
                energy_j_per_bit=k.energy_j_per_bit,
            )
        )

    def _core_latency_s(self, u: str, v: str, data: Mapping[str, object]) -> float:
        """The edge's ``latency_s``, else the great-circle fibre delay, else the default hop."""
        given = to_float(data.get("latency_s"))
        if given is not None and given >= 0:
            return given
        a, b = self._position(u), self._position(v)
        if a is not None and b is not None:
            return fibre_latency_s(haversine_km(a[0], a[1], b[0], b[1]))
        return DEFAULT_HOP_LATENCY_S

    def _ints(self, bounds: tuple[int, int], size: int) -> list[int]:
        return [int(x) for x in self.rng.integers(bounds[0], bounds[1] + 1, size=size)]

    def _picks(self, choices: Sequence[str], size: int) -> list[str]:
        return [choices[int(i)] for i in self.rng.integers(0, len(choices), size=size)]

    # -- infrastructure

    def _pops(self) -> list[str]:
        if self.o.pops is not None:
            return list(dict.fromkeys(self.o.pops))
        real = [
            n
            for n, d in self.graph.nodes(data=True)
            if not d.get("hyperedge") and d.get("internal", True)
        ]
        return real or list(self.graph.nodes)

    def build_infrastructure(self) -> None:
        """Routers, core links, datacenters, metro servers, antennas, edge servers, devices."""
        o, g = self.o, self.graph
        pops = self._pops()
        for n in g.nodes:
            self.nodes.append(
                Node(id=n, tier="metro", region=self._region(n), position=self._position(n))
            )
        for u, v, d in g.edges(data=True):
            self._link(
                u,
                v,
                "core",
                latency_s=self._core_latency_s(u, v, d),
                bandwidth_bps=d.get("bandwidth_bps"),
            )
        self._datacenters(pops)
        metro = pops if o.metro_sites is None else [p for p in pops if p in set(o.metro_sites)]
        hw = self._picks(o.metro_hardware, len(metro))
        counts = self._ints(o.metro_server_count, len(metro))
        for pop, h, c in zip(metro, hw, counts, strict=True):
            self._server(f"{pop}.metro", pop, "metro", h, c, o.metro_pue, "metro")
        for pop in pops:
            self._access(pop)

    def _server(
        self, nid: str, pop: str, tier: Tier, hw: str, count: int, pue: float, kind: str
    ) -> None:
        self.nodes.append(
            Node(
                id=nid,
                tier=tier,
                hardware=hw,
                count=count,
                pue=pue,
                region=self._region(pop),
                position=self._position(pop),
            )
        )
        self._link(pop, nid, kind)

    def _datacenters(self, pops: list[str]) -> None:
        o = self.o
        n_dc = min(o.n_datacenters, len(pops))
        if n_dc < o.n_datacenters:
            log.warning(
                "only %d PoPs: placing %d datacenter(s), not %d", len(pops), n_dc, o.n_datacenters
            )
        order = {p: i for i, p in enumerate(pops)}
        chosen = sorted(pops, key=lambda p: (-self.graph.degree[p], order[p]))[:n_dc]
        counts = self._ints(o.datacenter_server_count, n_dc)
        pues = self.rng.uniform(o.datacenter_pue[0], o.datacenter_pue[1], size=n_dc)
        for i, pop in enumerate(chosen):
            hw = o.datacenter_hardware[i % len(o.datacenter_hardware)]
            pue = round(float(pues[i]), 3)
            self._server(f"{pop}.dc", pop, "cloud", hw, counts[i], pue, o.datacenter_link_kind)

    def _access(self, pop: str) -> None:
        o = self.o
        region, position = self._region(pop), self._position(pop)
        n_edge = o.antennas_per_pop * o.edge_nodes_per_antenna
        n_dev = o.antennas_per_pop * o.devices_per_antenna
        edge_hw = self._picks(o.edge_hardware, n_edge)
        edge_counts = self._ints(o.edge_server_count, n_edge)
        dev_hw = self._picks(o.device_hardware, n_dev)
        dev_kind = self._picks(o.device_access, n_dev)
        for j in range(o.antennas_per_pop):
            antenna = f"{pop}.a{j + 1}"
            self.nodes.append(Node(id=antenna, tier="edge", region=region, position=position))
            self.antennas.append(antenna)
            self._link(pop, antenna, "fibre-access")
            for k in range(o.edge_nodes_per_antenna):
                e = j * o.edge_nodes_per_antenna + k
                eid = f"{antenna}.e{k + 1}"
                self.nodes.append(
                    Node(
                        id=eid,
                        tier="edge",
                        hardware=edge_hw[e],
                        count=edge_counts[e],
                        pue=o.edge_pue,
                        region=region,
                        position=position,
                    )
                )
                self._link(antenna, eid, "ethernet")
            for k in range(o.devices_per_antenna):
                d = j * o.devices_per_antenna + k
                did = f"{antenna}.d{k + 1}"
                self.nodes.append(
                    Node(
                        id=did,
                        tier="device",
                        hardware=dev_hw[d],
                        region=region,
                        position=position,
                        always_on=True,
                        local_only=True,
                    )
                )
                self.sources.append(did)
                self._link(antenna, did, dev_kind[d])

    # -- applications

    def _source_counts(self, n_nodes: int) -> list[int]:
        o = self.o
        if o.n_demands is None:
            lo, hi = min(o.sources_per_app[0], n_nodes), min(o.sources_per_app[1], n_nodes)
            return self._ints((lo, hi), o.n_apps)
        n_apps = max(o.n_apps, math.ceil(o.n_demands / n_nodes))
        if n_apps > o.n_apps:
            log.info(
                "%d demands over %d source nodes need %d apps (asked %d)",
                o.n_demands,
                n_nodes,
                n_apps,
                o.n_apps,
            )
        base, extra = divmod(o.n_demands, n_apps)
        return [base + (1 if i < extra else 0) for i in range(n_apps)]

    def build_applications(self) -> list[Application]:
        """Applications with sources, rates, sizes, SLOs and accuracy floors (vectorised draws)."""
        o = self.o
        candidates = self.sources or self.antennas
        if not candidates or o.n_apps == 0:
            return []
        counts = self._source_counts(len(candidates))
        n = len(counts)
        fam_names = o.families if o.families is not None else tuple(sorted(self.catalog.families))
        fams = self._picks(fam_names, n)
        req = self.rng.uniform(*o.request_bytes, size=n)
        resp = self.rng.uniform(*o.response_bytes, size=n)
        slos = self.rng.integers(0, len(o.slo_choices_s), size=n)
        pos = self.rng.uniform(*o.accuracy_floor_position, size=n)
        average = self.rng.random(n) < o.average_accuracy_share
        rates = self.rng.uniform(*o.rate_per_source_per_s, size=sum(counts))
        index = np.asarray(candidates, dtype=object)
        apps: list[Application] = []
        start = 0
        for i, count in enumerate(counts):
            picked = np.sort(self.rng.choice(len(candidates), size=count, replace=False))
            r = np.round(rates[start : start + count], 3).tolist()
            start += count
            sources = tuple(
                Source(node=str(node), rate_per_s=float(x))
                for node, x in zip(index[picked], r, strict=True)
            )
            accs = [v.accuracy for v in self.catalog.families[fams[i]].variants]
            floor = min(accs) + float(pos[i]) * (max(accs) - min(accs))
            floor = math.floor(floor * 1e4) / 1e4  # 4 decimals, never above the best variant
            apps.append(
                Application(
                    id=f"app-{i:03d}",
                    family=fams[i],
                    sources=sources,
                    request_bytes=float(round(req[i])),
                    response_bytes=float(round(resp[i])),
                    latency_slo_s=float(o.slo_choices_s[int(slos[i])]),
                    accuracy_floor=floor,
                    accuracy_mode="average" if average[i] else "hard",
                )
            )
        return apps

    # -- result

    def scenario(self, name: str, apps: list[Application], seed: int) -> Scenario:
        """The canonical scenario: catalogue tuples hold exactly what is used, sorted."""
        c = self.catalog
        hw = sorted({n.hardware for n in self.nodes if n.hardware is not None})
        kinds = sorted({lk.kind for lk in self.links})
        fams = sorted({a.family for a in apps})
        regions = sorted({n.region for n in self.nodes} | {self.o.default_region})
        settings = dataclasses.replace(self.o.settings, default_region=self.o.default_region)
        graph_name = self.graph.graph.get("name", "graph")
        return Scenario(
            name=name,
            nodes=tuple(self.nodes),
            links=tuple(self.links),
            hardware=tuple(c.hardware[h] for h in hw),
            link_kinds=tuple(c.link_kinds[k] for k in kinds),
            families=tuple(c.families[f] for f in fams),
            applications=tuple(apps),
            regions=tuple(c.regions[r] for r in regions),
            settings=settings,
            description=f"continuum generated on {graph_name} with seed {seed}",
        )
