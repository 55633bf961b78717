"""The offline optimal on/off schedule of servers, given how many each step needs.

A node needs ``need[t]`` servers at step t. Each server on costs ``on_w`` (W) and each
switch-on costs ``wake_j`` (J) once and takes ``wake_steps`` steps before the server is
ready. The cheapest schedule ``n[t] >= need[t]`` minimises
``step_s * on_w * sum_t n[t] + wake_j * sum_t max(0, n[t] - n[t-1])``: the offline
*dynamic right-sizing* problem (Lin, Wierman, Andrew & Thereska, "Dynamic right-sizing for
power-proportional data centers", IEEE INFOCOM 2011).

With integer servers it splits into unit *layers*: ``n[t] = sum_k [n[t] >= k]`` and, the
layers being nested, ``max(0, n[t] - n[t-1]) = sum_k max(0, [n[t] >= k] - [n[t-1] >= k])``,
so the cost is the sum of the layers' costs. Layer k is busy where ``need[t] >= k``;
between two busy runs its server either stays on through the gap of g steps (cost
``step_s * on_w * g``) or sleeps and wakes again (cost ``wake_j``; possible only when
``g >= wake_steps``), whichever is cheaper: the offline ski-rental decision (Karlin,
Manasse, Rudolph & Sleator, "Competitive snoopy caching", Algorithmica 3, 1988). Every
gap is decided alone, so the schedule is optimal per layer, and the layers' optima are
nested (a gap of layer k + 1 contains only shorter gaps of layer k, which are filled
whenever it is), so their sum is an optimal schedule. Servers on at step 0 were deployed
before the horizon (no wake-up), so the gap before a layer's first busy step is decided
the same way. Servers woken for a run are
switched on ``wake_steps`` before it (:func:`wake_ahead`); the engine charges a waking
server its wake energy and no idle power.
"""

from __future__ import annotations

import numpy as np

from slimplace.arrays import FloatArray, IntArray


def fill_short_gaps(
    need: IntArray, *, on_w: FloatArray, wake_j: FloatArray, wake_steps: IntArray, step_s: float
) -> IntArray:
    """The optimal schedule (module docstring) before the wake-ahead shift: ``need``
    (steps x nodes) with every layer's gap kept on where that is cheaper than sleeping
    and waking again, or where the gap is shorter than the wake time."""
    out = np.asarray(need, dtype=np.int64).copy()
    n_nodes = out.shape[1]
    for v in range(n_nodes):
        top = int(out[:, v].max(initial=0))
        for k in range(1, top + 1):
            busy = np.asarray(need)[:, v] >= k
            # a virtual busy step before the horizon: servers on at step 0 were
            # deployed before it and cost no wake-up (the engine's start_servers)
            idx = np.concatenate([[-1], np.flatnonzero(busy)])
            if len(idx) < 2:
                continue
            gaps = np.diff(idx) - 1  # idle steps between consecutive busy steps
            starts = idx[:-1] + 1
            keep_on = (gaps > 0) & ((gaps < wake_steps[v]) | (gaps * step_s * on_w[v] <= wake_j[v]))
            for s, g in zip(starts[keep_on], gaps[keep_on], strict=True):
                out[s : s + g, v] = np.maximum(out[s : s + g, v], k)
    return out


def wake_ahead(servers: IntArray, wake_steps: IntArray) -> IntArray:
    """Per step and node, the most servers any step within the next ``wake_steps`` needs,
    so each server is switched on (and awake) when its step comes."""
    out = np.asarray(servers, dtype=np.int64).copy()
    for lag in range(1, int(np.max(wake_steps, initial=0)) + 1):
        cols = wake_steps >= lag
        tail = np.repeat(servers[-1:, cols], lag, axis=0)
        shifted = np.vstack([servers[lag:, cols], tail])[: len(servers)]
        out[:, cols] = np.maximum(out[:, cols], shifted)
    return out


def schedule_cost_j(
    servers: IntArray, *, on_w: FloatArray, wake_j: FloatArray, step_s: float
) -> float:
    """``step_s on_w sum n + wake_j sum max(0, n[t] - n[t-1])`` (servers on at step 0
    count as already awake), the objective of the module docstring."""
    n = np.asarray(servers, dtype=np.float64)
    ups = np.maximum(np.diff(n, axis=0), 0.0).sum(axis=0)
    return float(step_s * (n.sum(axis=0) @ on_w) + ups @ wake_j)
