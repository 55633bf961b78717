"""Access-link admissibility: can a source's own links carry the traffic it creates?

A source node without hardware sends every request it makes over the links that
touch it, and receives every response over them. Links are full duplex, each
direction carrying up to the link's bandwidth (the ``bw`` rows of
:mod:`slimplace.optim.formulation`), so the cut around the source gives a
necessary condition for any plan (max-flow/min-cut, Ford and Fulkerson 1956):

    sum_a rate_as * request_bits_a  <=  sum_{links l at s} bandwidth_l   (out)
    sum_a rate_as * response_bits_a <=  sum_{links l at s} bandwidth_l   (in)

A source that breaks it makes every one of its demands unservable, whatever the
placement; :func:`access_unservable` names them with the figures. Sources with
hardware (which may serve themselves) and sources with no link (reported as
unreachable elsewhere) are not judged here.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from slimplace.errors import Unservable
from slimplace.scenario.model import Scenario


def access_unservable(
    scenario: Scenario, *, already: Collection[Unservable] = ()
) -> list[Unservable]:
    """Demands whose source's links cannot carry that source's traffic, in demand order.

    Demands listed in ``already`` (with another reason) are left out, so each
    demand has one reason.
    """
    index = {n.id: i for i, n in enumerate(scenario.nodes)}
    n = len(index)
    capacity_bps = _capacity_bps(scenario, index, n)
    apps = scenario.applications
    pairs = [(a, index[s.node], s.rate_per_s) for a, app in enumerate(apps) for s in app.sources]
    if not pairs:
        return []
    app, source, rate = (np.array(col) for col in zip(*pairs, strict=True))
    request_bits = np.array([8.0 * x.request_bytes for x in apps])[app]
    response_bits = np.array([8.0 * x.response_bytes for x in apps])[app]
    out_bps = np.bincount(source, rate * request_bits, minlength=n)
    in_bps = np.bincount(source, rate * response_bits, minlength=n)
    has_hardware = np.array([node.hardware is not None for node in scenario.nodes])
    judged = ~has_hardware & (capacity_bps > 0)
    over = judged & ((out_bps > capacity_bps) | (in_bps > capacity_bps))
    skip = {(u.application, u.source) for u in already}
    ids = [node.id for node in scenario.nodes]
    found = []
    for d in np.nonzero(over[source])[0]:
        app_id, src = apps[app[d]].id, int(source[d])
        if (app_id, ids[src]) not in skip:
            reason = _reason(ids[src], out_bps[src], in_bps[src], capacity_bps[src])
            found.append(Unservable(app_id, ids[src], reason))
    return found


def _capacity_bps(scenario: Scenario, index: dict[str, int], n: int) -> np.ndarray:
    """Per node, the summed bandwidth of the links that touch it (bit/s, each direction)."""
    ends = np.array([[index[lk.a], index[lk.b]] for lk in scenario.links], dtype=np.int64)
    bandwidth = np.array([lk.bandwidth_bps for lk in scenario.links], dtype=np.float64)
    if not len(bandwidth):
        return np.zeros(n)
    self_loop = ends[:, 0] == ends[:, 1]
    weights = np.where(self_loop, 0.0, bandwidth)
    return np.bincount(ends.ravel(), np.repeat(weights, 2), minlength=n)


def _reason(node: str, out_bps: float, in_bps: float, capacity_bps: float) -> str:
    direction, need = ("requests", out_bps) if out_bps > capacity_bps else ("responses", in_bps)
    return (
        f"access bandwidth: {direction} of every application at {node} need "
        f"{need / 1e6:.3g} Mbit/s, more than the {capacity_bps / 1e6:.3g} Mbit/s "
        f"of the links at {node}"
    )


__all__ = ["access_unservable"]
