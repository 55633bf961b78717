"""Candidates of every mobile demand at every antenna, compiled once (roaming).

The compiler enumerates a demand's admissible candidates from its source's home antenna.
A source that roams may reach nodes near its current antenna that are not among them.
:func:`build_roaming` adds them, once, before the run: the candidates of each mobile
demand become the union, over **every antenna**, of those admissible from that antenna.
A handover then only changes which of them are admissible *now* (their network figures
follow the attachment, :class:`~slimplace.sim.mobility.network.AccessNetwork`); nothing
is recompiled during the run.

**Why every antenna and not only the antennas a source visits.** The candidate set of a
demand at an antenna depends on the application, on the source device (its hardware
for local and split candidates) and on its access link, not on the rate or on which
source it is. Sources that share these (the *signature*) share their candidates at every
antenna, so the compiler runs once on the scenario plus one *prototype* source per
(signature, antenna): a copy of a representative device attached to that antenna by a
copy of its access link: signatures x antennas prototypes, fewer than the (device,
antenna) pairs a day visits on the demo (docs/mobility.md gives the figures). The
prototypes' candidates are *unioned* per demand (one candidate per (node, variant, mode,
batch, cut), whichever antenna admits it), so a demand gains only the serving options it
lacks at home. Visiting only would need the movement run ahead of the simulation and
would tell the planner where each source will go; every antenna needs neither, and costs
less here.

The prototypes are compiled by :func:`slimplace.problem.compile.compile_problem` (the
one implementation of admissibility: accuracy floors, memory, SLO at ``rho_max``,
Pareto pruning, radio, modes, splits), with the pruning option that reproduces the
problem's own candidates (checked: the original demands must come out identical).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np

from slimplace.arrays import IntArray
from slimplace.optim.segments import concat_ranges
from slimplace.problem.compiled import CompiledProblem
from slimplace.scenario.model import Application, Scenario, Source
from slimplace.sim.mobility.network import AccessNetwork, MobilityError, home_tags

log = logging.getLogger(__name__)

#: ``roam`` options: candidates at every antenna, or those of the home antenna only.
ROAM = ("all", "home")
#: Candidate fields whose values the hook keeps at the current attachment.
LIVE_FIELDS = ("cand_net_latency_s", "cand_latency_s", "cand_net_energy_j")
#: Node of a candidate served at its demand's source (local, or a split's head only).
AT_SOURCE = -2
#: Prefix of the prototype sources' node ids (never seen outside the prototype compile).
PROTO_PREFIX = "~roam~"


@dataclass(frozen=True, eq=False)
class Roaming:
    """The run's problem (the original with the roaming candidates added; its
    :data:`LIVE_FIELDS` are its own arrays, which the hook rewrites), and per candidate
    the antenna its network figures were compiled from (-1: not a mobile demand's, or
    served at its source)."""

    problem: CompiledProblem
    tag: IntArray
    #: where each candidate of the original problem is in ``problem``
    original: IntArray
    added: int = 0
    prototypes: int = 0
    variants: str = ""
    seconds: float = 0.0


def build_roaming(problem: CompiledProblem, net: AccessNetwork, roam: str = "all") -> Roaming:
    """The roaming problem of ``problem`` (module docstring); ``roam="home"`` keeps the
    compiled candidates (the problem's live fields copied, nothing added)."""
    if roam not in ROAM:
        raise MobilityError(f"roam must be one of {', '.join(ROAM)}, not {roam!r}")
    t0 = time.perf_counter()
    p = problem
    home_tag = home_tags(p, net.source_of_node, net.home)
    if roam == "home" or not net.demand_mobile.any():
        live = {name: np.array(getattr(p, name), dtype=np.float64) for name in LIVE_FIELDS}
        same = np.arange(p.n_candidates, dtype=np.int64)
        return Roaming(dataclasses.replace(p, **live), home_tag, same)  # type: ignore[arg-type]
    if p.paths is not None:
        raise MobilityError(
            "roaming candidates need fixed shortest routes (settings k_paths: 1 and "
            "link_sleep: false); use --mobility-set roam=home to keep the home candidates"
        )
    sig, reps = _signatures(p, net)
    scenario, q_orig, proto_sig, proto_ant = _prototype_scenario(p, net, sig, reps)
    q, variants = _compile_matching(scenario, p, q_orig)
    extended, tag, original, added = _union(p, q, sig, proto_sig, proto_ant, home_tag)
    seconds = time.perf_counter() - t0
    n_proto = int((proto_sig >= 0).sum())
    log.info(
        "roaming: %d prototypes (%d signatures x %d antennas), %d candidates added to %d (%.2fs)",
        n_proto,
        len(reps),
        len(net.antenna_node),
        added,
        p.n_candidates,
        seconds,
    )
    return Roaming(extended, tag, original, added, n_proto, variants, seconds)


def _signatures(p: CompiledProblem, net: AccessNetwork) -> tuple[IntArray, list[int]]:
    """Per demand its signature (-1: not mobile) and a representative demand of each:
    sources of one application with equal devices and access links share candidates."""
    nodes, links = p.scenario.nodes, p.scenario.links
    mobile = np.flatnonzero(net.demand_mobile)
    leaf = p.routes.source_leaf_link[p.demand_source[mobile]]
    seen: dict[tuple[object, ...], int] = {}
    sig = np.full(p.n_demands, -1, dtype=np.int64)
    reps: list[int] = []
    for d, link_i in zip(mobile.tolist(), leaf.tolist(), strict=True):  # setup, per demand
        node = nodes[int(p.demand_source[d])]
        link = links[link_i]
        key = (
            int(p.demand_app[d]),
            dataclasses.replace(node, id="", position=None, region=""),
            dataclasses.replace(link, a="", b="") if link.a == node.id else (
                dataclasses.replace(link, a="*", b="")
            ),
        )  # fmt: skip
        if key not in seen:
            seen[key] = len(reps)
            reps.append(d)
        sig[d] = seen[key]
    return sig, reps


def _prototype_scenario(
    p: CompiledProblem, net: AccessNetwork, sig: IntArray, reps: list[int]
) -> tuple[Scenario, IntArray, IntArray, IntArray]:
    """The scenario plus one prototype source per (signature, antenna); the prototype
    compile's demand of every original demand, and each prototype's signature and
    antenna (in the prototype compile's demand order)."""
    sc = p.scenario
    nodes, links = list(sc.nodes), list(sc.links)
    n_ant = len(net.antenna_node)
    extra: dict[int, list[Source]] = {}
    proto_sig: list[int] = []
    proto_ant: list[int] = []
    by_app: dict[int, list[tuple[int, int]]] = {}
    for s, d in enumerate(reps):
        app = int(p.demand_app[d])
        node = sc.nodes[int(p.demand_source[d])]
        link = sc.links[int(p.routes.source_leaf_link[p.demand_source[d]])]
        for a in range(n_ant):
            antenna = sc.nodes[int(net.antenna_node[a])]
            vid = f"{PROTO_PREFIX}{s}~{a}"
            nodes.append(dataclasses.replace(node, id=vid, position=antenna.position))
            if link.a == node.id:
                links.append(dataclasses.replace(link, a=vid, b=antenna.id))
            else:
                links.append(dataclasses.replace(link, a=antenna.id, b=vid))
            extra.setdefault(app, []).append(Source(vid, float(p.demand_rate_per_s[d])))
            by_app.setdefault(app, []).append((s, a))
    apps: list[Application] = []
    q_orig: list[int] = []
    count = 0
    for i, application in enumerate(sc.applications):
        q_orig.extend(range(count, count + len(application.sources)))
        count += len(application.sources)
        more = extra.get(i, [])
        for s, a in by_app.get(i, []):
            proto_sig.append(s)
            proto_ant.append(a)
        count += len(more)
        apps.append(dataclasses.replace(application, sources=application.sources + tuple(more)))
    scenario = dataclasses.replace(
        sc, nodes=tuple(nodes), links=tuple(links), applications=tuple(apps)
    )
    is_proto = np.ones(count, dtype=bool)
    is_proto[q_orig] = False
    sig_of = np.full(count, -1, dtype=np.int64)
    ant_of = np.full(count, -1, dtype=np.int64)
    sig_of[is_proto] = proto_sig
    ant_of[is_proto] = proto_ant
    return scenario, np.asarray(q_orig, dtype=np.int64), sig_of, ant_of


def _compile_matching(
    scenario: Scenario, p: CompiledProblem, q_orig: IntArray
) -> tuple[CompiledProblem, str]:
    """Compile the prototype scenario with the variant pruning that gives the original
    demands exactly the problem's candidates."""
    from slimplace.problem.compile import VariantPruning, compile_problem

    options: tuple[VariantPruning, ...] = ("all", "pareto", "cheapest")
    for variants in options:
        q = compile_problem(scenario, variants=variants, strict=False)
        start = q.demand_ptr[q_orig]
        rows = concat_ranges(start, q.demand_ptr[q_orig + 1] - start)
        if (
            len(rows) == p.n_candidates
            and np.array_equal(q.cand_node[rows], p.cand_node)
            and np.array_equal(q.cand_variant[rows], p.cand_variant)
            and np.allclose(q.cand_service_s[rows], p.cand_service_s, rtol=1e-9, atol=0.0)
            and np.allclose(q.cand_net_latency_s[rows], p.cand_net_latency_s, rtol=1e-9)
        ):
            return q, variants
    raise MobilityError(
        "the roaming candidates cannot be compiled like the problem's own (it was compiled "
        "with options other than variants=all|pareto|cheapest, a node cap or a custom "
        "latency model); use --mobility-set roam=home to keep the home candidates"
    )


def _keys(
    node: IntArray, variant: IntArray, mode_name: IntArray, batch: IntArray, cut: IntArray
) -> np.ndarray:
    return np.column_stack([node, variant, mode_name, batch, cut]).astype(np.int64)


def _first_of_each(values: IntArray) -> IntArray:
    """Index of the first occurrence of every distinct value, in ascending value order."""
    order = np.argsort(values, kind="stable")
    v = values[order]
    head = np.ones(len(v), dtype=bool)
    head[1:] = v[1:] != v[:-1]
    return order[head]


def _member(values: IntArray, of: IntArray) -> np.ndarray:
    """Whether each of ``values`` is in ``of`` (by sorting; no hashing)."""
    ref = np.sort(of)
    if len(ref) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(ref, values), len(ref) - 1)
    return ref[at] == values


def _key_ids(keys: np.ndarray) -> IntArray:
    """One integer per row of ``keys`` (equal rows, equal integers): mixed radix over the
    columns' ranges (a sort-free ``np.unique(axis=0)``)."""
    lo = keys.min(axis=0)
    shifted = keys - lo
    dims = tuple(int(v) + 1 for v in shifted.max(axis=0))
    return np.ravel_multi_index(tuple(shifted.T), dims).astype(np.int64)


def _mode_name_index(names: tuple[str, ...], mode: IntArray, table: dict[str, int]) -> IntArray:
    out = np.full(len(mode), -1, dtype=np.int64)
    used = np.flatnonzero(mode >= 0)
    for name in {names[int(m)] for m in np.unique(mode[used])}:
        table.setdefault(name, len(table))
    lookup = np.array([table[n] for n in names], dtype=np.int64) if names else np.zeros(0, int)
    out[used] = lookup[mode[used]]
    return out


def _union(
    p: CompiledProblem,
    q: CompiledProblem,
    sig: IntArray,
    proto_sig: IntArray,
    proto_ant: IntArray,
    home_tag: IntArray,
) -> tuple[CompiledProblem, IntArray, IntArray, int]:
    """``p`` with, for every mobile demand, the prototypes' candidates of its signature
    that it lacks (one per key, tagged with an antenna that admits it), sorted by
    (demand, node, variant)."""
    # prototype rows: signature, antenna, key (a local candidate's node is AT_SOURCE)
    q_dem = q.cand_demand
    rows = np.flatnonzero(proto_sig[q_dem] >= 0)
    r_sig, r_ant = proto_sig[q_dem[rows]], proto_ant[q_dem[rows]]
    r_src = q.demand_source[q_dem[rows]]
    r_node = np.where(q.cand_node[rows] == r_src, AT_SOURCE, q.cand_node[rows])
    names: dict[str, int] = {}
    q_mname = _mode_name_index(q.mode_names, np.asarray(q.cand_mode), names)
    r_mode = q_mname[rows]
    # the problem's own candidates of mobile demands, keyed the same way
    c_src = p.demand_source[p.cand_demand]
    p_node = np.where(p.cand_node == c_src, AT_SOURCE, p.cand_node)
    p_mode = _mode_name_index(p.mode_names, np.asarray(p.cand_mode), names)
    keys = np.concatenate(
        [
            _keys(p_node, p.cand_variant, p_mode, np.asarray(p.cand_batch), np.asarray(p.cand_cut)),
            _keys(
                r_node,
                q.cand_variant[rows],
                r_mode,
                np.asarray(q.cand_batch)[rows],
                np.asarray(q.cand_cut)[rows],
            ),
        ]
    )
    key_id = _key_ids(keys)
    n_keys = int(key_id.max()) + 1 if len(key_id) else 1
    p_key, r_key = key_id[: p.n_candidates], key_id[p.n_candidates :]
    # one row per (signature, key): the union over antennas
    first = _first_of_each(r_sig * n_keys + r_key)  # sorted by signature, then key
    u_row, u_sig, u_key, u_ant = rows[first], r_sig[first], r_key[first], r_ant[first]
    n_sig = int(sig.max()) + 1
    lo = np.searchsorted(u_sig, np.arange(n_sig))
    hi = np.searchsorted(u_sig, np.arange(n_sig), side="right")
    mobile = np.flatnonzero(sig >= 0)
    count = (hi - lo)[sig[mobile]]
    pair = concat_ranges(lo[sig[mobile]], count)
    d = np.repeat(mobile, count)
    new = ~_member(d * n_keys + u_key[pair], p.cand_demand.astype(np.int64) * n_keys + p_key)
    d, pair = d[new], pair[new]
    src_row = u_row[pair]
    node = q.cand_node[src_row]
    at_source = node == q.demand_source[q.cand_demand[src_row]]
    node = np.where(at_source, p.demand_source[d], node)
    fields = {
        f.name: np.asarray(getattr(q, f.name))[src_row]
        for f in dataclasses.fields(q)
        if f.name.startswith("cand_")
    }
    fields["cand_demand"] = d
    fields["cand_node"] = node
    keep = np.ones(len(d), dtype=bool)
    if len(q.mode_node):  # a mode row of the prototype compile -> the problem's row
        mode = fields["cand_mode"]
        p_names = _mode_name_index(p.mode_names, np.arange(len(p.mode_names)), names)
        width = len(names) + 1
        p_mode_key = p.mode_node.astype(np.int64) * width + p_names
        sort = np.argsort(p_mode_key)
        want = node * width + q_mname[src_row]
        at = np.minimum(np.searchsorted(p_mode_key[sort], want), max(len(sort) - 1, 0))
        found = (p_mode_key[sort][at] == want) if len(sort) else np.zeros(len(d), dtype=bool)
        keep &= (mode < 0) | found
        fields["cand_mode"] = np.where((mode >= 0) & found, sort[at] if len(sort) else -1, -1)
    if p.power_model:  # the device radio at this demand's rate, not the prototype's
        radio = np.where(at_source, 0.0, p.demand_radio_j()[d])
        fields["cand_net_energy_j"] = fields["cand_net_energy_j"] - fields["cand_radio_j"] + radio
        fields["cand_radio_j"] = radio
    tag_new = np.where(at_source, -1, u_ant[pair])
    merged = {
        name: np.concatenate([np.asarray(getattr(p, name)), values[keep]])
        for name, values in fields.items()
    }
    tag = np.concatenate([home_tag, tag_new[keep]])
    order = np.lexsort((merged["cand_variant"], merged["cand_node"], merged["cand_demand"]))
    merged = {name: values[order] for name, values in merged.items()}
    ptr = np.searchsorted(merged["cand_demand"], np.arange(p.n_demands + 1)).astype(np.int64)
    for name in LIVE_FIELDS:
        merged[name] = np.array(merged[name], dtype=np.float64)
    original = np.argsort(order)[: p.n_candidates]
    extended = dataclasses.replace(p, demand_ptr=ptr, **merged)  # type: ignore[arg-type]
    return extended, tag[order], original, int(keep.sum())
