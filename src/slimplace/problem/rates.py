"""A compiled problem at other request rates, with every rate-dependent figure redone.

Candidates, paths and admissibility do not depend on the rates, so the candidate set
is shared. What does depend on them is the device radio's energy per offloaded request:
its tail and promotion are amortised over the requests that arrive during them (Huang
et al., MobiSys 2012; :mod:`slimplace.energy.radio`), so a request costs more radio at
a lower rate. The compiled ``cand_radio_j`` (and the ``cand_net_energy_j`` that
includes it) hold it at the scenario's rates; here they are recomputed at the new ones,
the evaluator's rule (:meth:`CompiledProblem.demand_radio_j`), so that optimizers,
the cost model and the fixed/plan-dependent split see the radio a request really costs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from slimplace.arrays import FloatArray
from slimplace.problem.compiled import CompiledProblem


def at_rates(problem: CompiledProblem, rate_per_s: FloatArray, **changes: Any) -> CompiledProblem:
    """``problem`` with other demand rates (and any other field changes, passed to
    :func:`dataclasses.replace`), its candidates' device radio energy per request
    recomputed at those rates (module docstring)."""
    p = problem
    rate = np.asarray(rate_per_s, dtype=np.float64)
    if p.power_model and p.n_candidates and "cand_radio_j" not in changes:
        radio = np.where(p.cand_offloaded, p.demand_radio_j(rate)[p.cand_demand], 0.0)
        changes["cand_net_energy_j"] = p.cand_net_energy_j - p.cand_radio_j + radio
        changes["cand_radio_j"] = radio
    return replace(p, demand_rate_per_s=rate, **changes)
