"""The LP relaxation of a formulation on HiGHS, strengthened by its ``link`` rows
(:func:`slimplace.optim.formulation.link_rows`): all of them when few, else the ones
the LP solutions violate, added round after round as cuts."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from slimplace.optim.costs import IntArray, ObjectiveOptions
from slimplace.optim.formulation import Formulation, link_pairs, link_rows, violated_links
from slimplace.optim.highs import HighsResult, HighsSession
from slimplace.problem.compiled import CompiledProblem

log = logging.getLogger(__name__)

#: Up to this many (demand, node) pairs, every ``link`` row goes into the model at
#: once; above it they are separated from LP solutions.
LINK_ALL_MAX = 40_000

Columns = Literal["auto", "all", "generated"]


@dataclass(frozen=True, kw_only=True)
class HighsOptions(ObjectiveOptions):
    """Options of the methods that solve on HiGHS: ``threads`` (None: HiGHS's default)
    and ``columns`` (which candidates enter the model: "all", "generated" by column
    generation, or "auto": generated from
    :data:`~slimplace.optim.colgen.COLGEN_MIN_CANDIDATES` candidates on)."""

    threads: int | None = None
    columns: Columns = "auto"


@dataclass(frozen=True, eq=False)
class StrengthenedLp:
    """The session (still an LP, holding the link rows), its last LP result, and the
    link rows' (demand, node) keys in row order."""

    session: HighsSession
    result: HighsResult
    link_keys: IntArray


def strengthened_lp(
    problem: CompiledProblem,
    f: Formulation,
    *,
    deadline: float,
    threads: int | None,
    seed: int,
    max_rounds: int = 30,
) -> StrengthenedLp:
    """Solve the LP relaxation of ``f`` with its ``link`` rows (all of them when few,
    else those the LP solutions violate, round after round).

    """
    pairs = link_pairs(problem, f) if "n" in f.cols else np.zeros(0, dtype=np.int64)
    added = np.zeros(0, dtype=np.int64)
    in_order = [np.zeros(0, dtype=np.int64)]
    if 0 < len(pairs) <= LINK_ALL_MAX:
        added = pairs
        in_order.append(pairs)
    session = HighsSession(f, threads=threads, seed=seed, relax=True)
    if len(added):
        session.add_rows(link_rows(problem, f, added))
    out = session.solve(time_limit_s=deadline - time.perf_counter())
    for _ in range(max_rounds):
        if out.values is None or len(added) == len(pairs) or time.perf_counter() > deadline:
            break
        todo = np.setdiff1d(pairs, added, assume_unique=True)
        new = violated_links(problem, f, out.values, todo)
        if len(new) == 0:
            break
        session.add_rows(link_rows(problem, f, new))
        added = np.union1d(added, new)
        in_order.append(new)
        out = session.solve(time_limit_s=deadline - time.perf_counter())
    log.info("LP bound %s with %d of %d link rows", out.bound, len(added), len(pairs))
    return StrengthenedLp(session, out, np.concatenate(in_order))
