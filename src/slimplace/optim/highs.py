"""Adapter to the HiGHS solver (Huangfu & Hall, "Parallelizing the dual revised
simplex method", Math. Prog. Comp. 10, 2018) through ``highspy``.

:class:`HighsSession` holds one model: solve its LP relaxation, append rows
(cuts) and re-solve from the previous basis, then solve it as a MIP from a
warm start. :func:`solve_formulation` is the one-shot form.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import highspy
import numpy as np

from slimplace.arrays import FloatArray, IntArray
from slimplace.optim.formulation import Formulation, RowBlock

log = logging.getLogger(__name__)


#: Above this many columns the MIP runs without HiGHS presolve, whose
#: dominated-column search is quadratic in the length of the dense rows
#: (cover, cap) of placement models (measured: 30 s of 45 s for 53k columns).
PRESOLVE_MAX_COLS = 20_000


#: ``HighsBasisStatus`` codes: a basic variable, a nonbasic one at its lower bound.
BASIC, AT_LOWER = int(highspy.HighsBasisStatus.kBasic), int(highspy.HighsBasisStatus.kLower)

#: Model statuses of a solve stopped by the time limit or an interrupt.
_STOPPED = tuple(
    getattr(highspy.HighsModelStatus, name)
    for name in ("kTimeLimit", "kInterrupt", "kHighsInterrupt")
    if hasattr(highspy.HighsModelStatus, name)
)


class Termination(StrEnum):
    """How HiGHS ended."""

    OPTIMAL = "optimal"
    TIME_LIMIT = "time-limit"
    INFEASIBLE = "infeasible"
    FAILED = "failed"


@dataclass(frozen=True, eq=False)
class HighsResult:
    """Solution values (None without a solution), objective, best bound and gap."""

    termination: Termination
    model_status: str
    values: FloatArray | None
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float


def available() -> bool:
    """Whether HiGHS can be used (a core dependency, so normally True)."""
    return hasattr(highspy, "Highs")


def quiet_highs() -> highspy.Highs:
    """A ``highspy.Highs`` with logging off from the start.

    ``highspy.Highs()`` writes its banner ("Running HiGHS ... Copyright") to stdout
    when it enables callbacks in its constructor, before any option can be set
    (ERGO-Code/HiGHS issues 1702, 1932: logging must be off before the first method
    call). This builds the core object, turns ``output_flag`` off, then sets up the
    callbacks as ``highspy.Highs.__init__`` does; if ``highspy`` changes those
    internals, it falls back to the plain constructor (and its banner).
    """
    try:
        from highspy.highs import HighsCallback, cb

        core: Any = highspy.Highs.__mro__[1]  # the pybind11 class under the Python wrapper
        h = highspy.Highs.__new__(highspy.Highs)
        core.__init__(h)  # no HiGHS method called yet
        h.setOptionValue("output_flag", False)
        kinds = range(int(cb.HighsCallbackType.kCallbackMax) + 1)
        h.callbacks = [HighsCallback(cb.HighsCallbackType(k), h) for k in kinds]
        h.enableCallbacks()
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other highspy
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h


class HighsSession:
    """One model in one ``highspy.Highs`` object (not shared between threads)."""

    def __init__(
        self, f: Formulation, *, threads: int | None = None, seed: int = 0, relax: bool = False
    ) -> None:
        self.f = f
        self.n_rows = f.n_rows
        h = quiet_highs()
        h.setOptionValue("random_seed", int(seed) % (2**31 - 1))
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        m = f.matrix
        integrality = (
            np.zeros(f.n_cols, dtype=np.int32) if relax else f.integrality.astype(np.int32)
        )
        h.passModel(
            f.n_cols,
            f.n_rows,
            int(m.nnz),
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize),
            0.0,  # the offset is added back in _result, so mip_rel_gap is on the plan's part
            f.col_cost,
            f.col_lower,
            f.col_upper,
            f.row_lower,
            f.row_upper,
            m.indptr.astype(np.int32),
            m.indices.astype(np.int32),
            m.data.astype(np.float64),
            integrality,
        )
        self.h = h
        self.is_mip = bool(integrality.any())
        self.deadline = float("inf")
        # HiGHS checks its own time limit only between phases (a root LP of 10^5-10^6
        # columns runs for seconds): interrupt from the simplex and MIP callbacks too.
        h.cbSimplexInterrupt.subscribe(self._interrupt)
        h.cbMipInterrupt.subscribe(self._interrupt)

    def _interrupt(self, event: highspy.highs.HighsCallbackEvent) -> None:
        if time.perf_counter() > self.deadline:
            event.interrupt()

    @property
    def presolve(self) -> bool:
        """Whether MIP solves use HiGHS presolve (small models only)."""
        return self.f.n_cols <= PRESOLVE_MAX_COLS

    def add_rows(self, block: RowBlock) -> None:
        """Append rows (the next solve starts from the current basis)."""
        m = block.matrix.tocsr()
        self.h.addRows(
            len(block.lower),
            block.lower,
            block.upper,
            int(m.nnz),
            m.indptr.astype(np.int32),
            m.indices.astype(np.int32),
            m.data.astype(np.float64),
        )
        self.n_rows += len(block.lower)

    def row_duals(self) -> FloatArray:
        """Row duals of the last LP solve (reduced cost of column j is c_j - a_j^T y)."""
        return np.asarray(self.h.getSolution().row_dual, dtype=np.float64)

    def col_duals(self) -> FloatArray:
        """Reduced costs of the columns at the last LP solve."""
        return np.asarray(self.h.getSolution().col_dual, dtype=np.float64)

    def basis(self) -> tuple[IntArray, IntArray] | None:
        """Column and row statuses of the last LP solve (HiGHS ``HighsBasisStatus``
        codes), None without a valid basis."""
        b = self.h.getBasis()
        if not b.valid:
            return None
        cols = np.fromiter((int(s) for s in b.col_status), dtype=np.int64)
        rows = np.fromiter((int(s) for s in b.row_status), dtype=np.int64)
        return cols, rows

    def set_basis(self, cols: IntArray, rows: IntArray) -> bool:
        """Start the next LP solve from this basis (statuses as :meth:`basis` gives
        them); False (and no change) when HiGHS rejects it."""
        if len(cols) != self.f.n_cols or len(rows) != self.n_rows:
            return False
        if int((cols == BASIC).sum() + (rows == BASIC).sum()) != self.n_rows:
            return False
        b = highspy.HighsBasis()
        b.col_status = [highspy.HighsBasisStatus(int(s)) for s in cols]
        b.row_status = [highspy.HighsBasisStatus(int(s)) for s in rows]
        b.valid = True
        return bool(self.h.setBasis(b) == highspy.HighsStatus.kOk)

    def make_integer(self) -> None:
        """Restore the integrality of the formulation's columns."""
        cols = np.nonzero(self.f.integrality)[0]
        if len(cols):
            self.h.changeColsIntegrality(
                len(cols), cols.astype(np.int32), np.ones(len(cols), dtype=np.uint8)
            )
            self.is_mip = True

    def solve(
        self,
        *,
        time_limit_s: float,
        mip_gap: float = 1e-4,
        start: FloatArray | None = None,
        start_cols: IntArray | None = None,
        allow_restart: bool = True,
    ) -> HighsResult:
        """Solve within ``time_limit_s`` (MIPs from ``start``: values of ``start_cols``;
        ``allow_restart`` False keeps HiGHS from restarting the search, whose new presolve
        and root LP it cannot interrupt)."""
        t0 = time.perf_counter()
        h, f = self.h, self.f
        self.deadline = t0 + max(time_limit_s, 0.01)
        # HiGHS compares its time limit with the run time accumulated since the object was made
        h.setOptionValue("time_limit", float(h.getRunTime() + max(time_limit_s, 0.01)))
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        if self.is_mip:
            h.setOptionValue("presolve", "on" if self.presolve else "off")
            h.setOptionValue("mip_allow_restart", bool(allow_restart))
        if start is not None and self.is_mip:
            cols = np.arange(f.n_cols) if start_cols is None else start_cols
            h.setSolution(
                len(cols), cols.astype(np.int32), np.asarray(start, dtype=np.float64)[cols]
            )
        h.run()
        late = time.perf_counter() - self.deadline
        if late > 0.05:
            log.debug("HiGHS returned %.2fs after its deadline", late)
        return self._result(time.perf_counter() - t0)

    def _result(self, seconds: float) -> HighsResult:
        h = self.h
        status = h.getModelStatus()
        info = h.getInfo()
        name = h.modelStatusToString(status)
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        values = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_solution else None
        # HiGHS sees the model without its constant ``f.offset`` (CostModel.constant): its
        # mip_rel_gap, |primal - dual| / |primal|, is then relative to the part of the
        # objective the plan controls, not to a total inflated by fixed power
        offset = float(self.f.offset)
        objective = float(info.objective_function_value) + offset if has_solution else None
        if status == highspy.HighsModelStatus.kOptimal:
            termination = Termination.OPTIMAL
        elif status == highspy.HighsModelStatus.kInfeasible:
            termination = Termination.INFEASIBLE
        elif status in _STOPPED:
            termination = Termination.TIME_LIMIT
        else:
            termination = Termination.FAILED
        bound = gap = None
        if self.is_mip:
            dual = float(info.mip_dual_bound)
            bound = dual + offset if np.isfinite(dual) else None
            gap = float(info.mip_gap) if has_solution and np.isfinite(info.mip_gap) else None
        elif termination is Termination.OPTIMAL:
            bound, gap = objective, 0.0
        log.info(
            "HiGHS %s (%d cols, %d rows): %s in %.2fs (%d simplex iterations), objective %s,"
            " bound %s",
            "MIP" if self.is_mip else "LP",
            self.f.n_cols,
            self.n_rows,
            name,
            seconds,
            int(info.simplex_iteration_count),
            objective,
            bound,
        )
        return HighsResult(termination, name, values, objective, bound, gap, seconds)


def solve_formulation(
    f: Formulation,
    *,
    time_limit_s: float,
    mip_gap: float = 1e-4,
    threads: int | None = None,
    start: FloatArray | None = None,
    start_cols: IntArray | None = None,
    seed: int = 0,
    relax: bool = False,
) -> HighsResult:
    """Solve ``f`` once (as its LP relaxation with ``relax``).

    HiGHS 1.16 can misreport the objective of a complete MIP start that
    includes the lambda columns of a power curve; the outcome is checked
    against its own values and, if they disagree, solved again without start.
    """
    t0 = time.perf_counter()
    out = HighsSession(f, threads=threads, seed=seed, relax=relax).solve(
        time_limit_s=time_limit_s, mip_gap=mip_gap, start=start, start_cols=start_cols
    )
    if start is not None and out.values is not None and out.objective is not None:
        value = float(f.col_cost @ out.values) + f.offset
        if abs(value - out.objective) > 1e-6 * max(1.0, abs(value)):
            log.warning(
                "HiGHS objective %.9g disagrees with its solution's %.9g; solving without start",
                out.objective,
                value,
            )
            left = time_limit_s - (time.perf_counter() - t0)
            out = HighsSession(f, threads=threads, seed=seed, relax=relax).solve(
                time_limit_s=left, mip_gap=mip_gap
            )
    return out
