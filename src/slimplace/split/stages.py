"""Multi-stage applications (a small DAG of models) compiled as split applications.

A multi-stage application (``stages:``, e.g. detector -> classifier on crops, speech
recognition -> language model) becomes one family of *composite* variants, one per
combination of its stages' variants (each stage's family Pareto-filtered on FLOPs,
memory and accuracy first), with

- accuracy: the product of the stages' accuracies (the application's floor applies
  to it),
- FLOPs: the sum of the stages' FLOPs times their calls per request, parameters and
  memory: the sums (all of a placed part's models are loaded together),

and one cut after each stage of a topological order: the stages up to the cut run on
the source device, the rest at the serving node, and the data crossing the cut is
what the device's stages send to remote successors (``output_bytes x calls`` per edge
crossing). The whole chain on the device and the whole chain at one node are the
family's whole-model candidates. Every host runs its stages one after the other (one
request at a time), so the end-to-end latency is device stages + transfer + remote
stages (+ response), which is the critical path of the DAG on two serial hosts.

Limits: stages are placed on the source device or on one serving node (a cut at stage
granularity), not on two different remote nodes; a stage's compute time is its share of
the composite variant's FLOPs on the latency model of the whole composite.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import networkx as nx
import numpy as np

from slimplace.scenario.model import Application, ModelFamily, Scenario, Stage, Variant
from slimplace.split.cuts import CutTable

#: Prefix of the composite families' names.
PREFIX = "stages:"
#: Most composite variants one application may have (a larger product is an error).
MAX_COMBINATIONS = 512


def stage_order(app: Application) -> tuple[Stage, ...]:
    """The stages in a topological order (file order among ready stages)."""
    graph = nx.DiGraph()
    index = {s.id: i for i, s in enumerate(app.stages)}
    graph.add_nodes_from(index)
    graph.add_edges_from((b, s.id) for s in app.stages for b in s.after)
    order = nx.lexicographical_topological_sort(graph, key=lambda n: index[n])
    by_id = {s.id: s for s in app.stages}
    return tuple(by_id[n] for n in order)


def _front(variants: tuple[Variant, ...]) -> list[Variant]:
    """Variants no other one beats on FLOPs, memory and accuracy together."""

    def dominates(a: Variant, b: Variant) -> bool:
        no_worse = a.flops <= b.flops and a.memory_bytes <= b.memory_bytes
        no_worse = no_worse and a.accuracy >= b.accuracy
        better = (a.flops, a.memory_bytes, -a.accuracy) < (b.flops, b.memory_bytes, -b.accuracy)
        return no_worse and better

    return [v for v in variants if not any(dominates(o, v) for o in variants if o is not v)]


def _combos(app: Application, families: dict[str, ModelFamily]) -> list[tuple[Variant, ...]]:
    """Every combination of the stages' front variants, in topological stage order."""
    fronts = [_front(families[s.family].variants) for s in stage_order(app)]
    if math.prod(len(f) for f in fronts) > MAX_COMBINATIONS:
        raise ValueError(f"application {app.id}: more than {MAX_COMBINATIONS} stage combinations")
    return list(itertools.product(*fronts))


def composite_family(app: Application, families: dict[str, ModelFamily]) -> ModelFamily:
    """The family of ``app``'s composite variants (module docstring)."""
    order = stage_order(app)
    variants = []
    for combo in _combos(app, families):
        pairs = list(zip(order, combo, strict=True))
        variants.append(
            Variant(
                name="+".join(f"{s.id}={v.name}" for s, v in pairs),
                accuracy=math.prod(v.accuracy for v in combo),
                flops=sum(s.calls * v.flops for s, v in pairs),
                params=sum(v.params for v in combo),
                memory_bytes=sum(v.memory_bytes for v in combo),
                kind="pipeline",
                precision="int8" if all(v.precision == "int8" for v in combo) else "fp32",
                source="composite of " + ", ".join(f"{s.family}/{v.name}" for s, v in pairs),
            )
        )
    load = max(families[s.family].load_time_s for s in order)
    return ModelFamily(PREFIX + app.id, tuple(variants), load_time_s=load, task="pipeline")


def expand_stages(scenario: Scenario) -> Scenario:
    """``scenario`` with each multi-stage application served by its composite family
    (idempotent: an application already on its composite family is left as it is)."""
    families = scenario.family_by_name()
    added, apps = [], []
    for app in scenario.applications:
        name = PREFIX + app.id
        if app.stages and app.family != name:
            if name not in families:
                fam = composite_family(app, families)
                families[name] = fam
                added.append(fam)
            app = dataclasses.replace(app, family=name)
        apps.append(app)
    if not added and tuple(apps) == scenario.applications:
        return scenario
    return dataclasses.replace(
        scenario, families=scenario.families + tuple(added), applications=tuple(apps)
    )


def stage_cut_table(
    app_index: int, app: Application, families: dict[str, ModelFamily], first: int
) -> CutTable:
    """Cuts after each stage but the last (topological order), for every composite
    variant (``families``: the scenario's, stage families included)."""
    order = stage_order(app)
    combos = _combos(app, families)
    n_k, n_j = len(combos), len(order) - 1
    share, params = np.zeros((n_k, n_j)), np.zeros((n_k, n_j))
    for k, combo in enumerate(combos):
        flops = np.array([s.calls * v.flops for s, v in zip(order, combo, strict=True)])
        par = np.array([v.params for v in combo])
        share[k] = np.cumsum(flops)[:-1] / flops.sum()
        params[k] = np.cumsum(par)[:-1] / max(float(par.sum()), 1e-300)
    bits = np.zeros((n_k, n_j))
    for j in range(n_j):
        head = {s.id for s in order[: j + 1]}
        sent = {b for t in order if t.id not in head for b in t.after if b in head}
        bits[:, j] = sum(8.0 * s.output_bytes * s.calls for s in order if s.id in sent)
    names = tuple(f"after:{s.id}" for s in order[:-1])
    return CutTable(
        app=app_index,
        variants=first + np.arange(n_k, dtype=np.int64),
        cut_names=(names,) * n_k,
        cut_index=np.tile(np.arange(n_j, dtype=np.int64), (n_k, 1)),
        head_share=share,
        param_share=params,
        cut_bits=bits,
        accuracy_loss=0.0,
    )


__all__ = ["PREFIX", "composite_family", "expand_stages", "stage_cut_table", "stage_order"]
