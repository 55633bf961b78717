"""The results store: a sweep folder with one Parquet file per finished trial.

::

    DIR/spec.yaml                    the sweep spec (file paths made absolute)
    DIR/trials/<trial_id>.parquet    a finished trial: one row per method
    DIR/series/<trial_id>.parquet    a simulation's time series (written before the trial file)
    DIR/failures/<trial_id>.json     a trial that raised: parameters, error, traceback
    DIR/report/                      what ``slimplace report`` writes

Every file is written atomically (a temporary file in the same folder, then
``os.replace``), and a trial counts as stored exactly when its trial file
exists: killing a sweep at any moment loses only the trials in flight, never a
stored one, and never leaves a partial ``.parquet`` file (stale temporary
files, named ``.<name>.<random>.tmp``, are removed when a sweep next starts).
DuckDB reads the trial files as one table (``read_parquet(..., union_by_name=true)``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Collection, Iterator
from pathlib import Path

import pandas as pd

from slimplace.errors import SlimplaceError
from slimplace.fsutil import atomic_path, atomic_write_text
from slimplace.study.runner import TrialFailure, TrialOutput
from slimplace.study.spec import SweepSpec, dump_spec, loads_spec

log = logging.getLogger(__name__)

SPEC_FILE = "spec.yaml"


class StoreError(SlimplaceError):
    """A sweep folder that cannot be used (another sweep's, locked, not a sweep)."""


class SweepStore:
    """A sweep folder: where trials, failures and series are written and found."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.trials_dir = self.root / "trials"
        self.series_dir = self.root / "series"
        self.failures_dir = self.root / "failures"
        self.spec_path = self.root / SPEC_FILE

    # ------------------------------------------------------------------ set-up

    def read_spec(self) -> SweepSpec:
        """The spec saved in the folder."""
        if not self.spec_path.is_file():
            raise StoreError(f"{self.root}: not a sweep folder (no {SPEC_FILE})")
        return loads_spec(self.spec_path.read_text(encoding="utf-8"), file=str(self.spec_path))

    def prepare(self, spec: SweepSpec, trial_ids: Collection[str] | None = None) -> None:
        """Create the folder for ``spec``, or check it holds the same sweep; remove stale
        temporary files and failure records of trials stored since.

        A folder holding a different spec is accepted when the new spec extends it:
        same name, run kind and seed, and every stored trial is one of ``trial_ids``
        (more seeds, more axis values, a new description). Its spec.yaml is then replaced.
        """
        if self.spec_path.is_file():
            saved = self.read_spec()
            if saved != spec:
                self._check_extends(saved, spec, trial_ids)
                log.info("%s: the sweep is extended; spec.yaml updated", self.root)
                atomic_write_text(self.spec_path, dump_spec(spec))
        else:
            atomic_write_text(self.spec_path, dump_spec(spec))
        for folder in (self.trials_dir, self.series_dir, self.failures_dir):
            folder.mkdir(parents=True, exist_ok=True)
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
        for trial_id in self.failed_ids() & self.stored_ids():
            (self.failures_dir / f"{trial_id}.json").unlink(missing_ok=True)

    def _check_extends(
        self, saved: SweepSpec, spec: SweepSpec, trial_ids: Collection[str] | None
    ) -> None:
        same = (saved.name, saved.run, saved.seed) == (spec.name, spec.run, spec.seed)
        orphans = self.stored_ids() - set(trial_ids) if trial_ids is not None else {""}
        if not same or orphans:
            raise StoreError(
                f"{self.root} holds another sweep ({saved.name}: its spec.yaml differs and "
                f"{len(orphans) if same else 'its'} stored trials are not in this one); use "
                f"another folder, or resume it with `slimplace sweep {self.root}`"
            )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock: two sweeps never write into one folder at once."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            yield
            return
        with open(self.root / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(f"{self.root}: another sweep is running in this folder") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # ------------------------------------------------------------------ state

    def stored_ids(self) -> set[str]:
        """Ids of the trials whose results are stored."""
        return _stems(self.trials_dir, ".parquet")

    def failed_ids(self) -> set[str]:
        """Ids of the trials with a failure record (and no stored result)."""
        return _stems(self.failures_dir, ".json") - self.stored_ids()

    # ------------------------------------------------------------------ writing

    def write_output(self, output: TrialOutput) -> None:
        """Store a finished trial: its series first, then its trial file (the commit),
        then drop any failure record it had."""
        if output.series is not None:
            _write_parquet(output.series, self.series_dir / f"{output.trial_id}.parquet")
        _write_parquet(output.rows, self.trials_dir / f"{output.trial_id}.parquet")
        (self.failures_dir / f"{output.trial_id}.json").unlink(missing_ok=True)

    def write_failure(self, failure: TrialFailure) -> None:
        """Record a trial that raised."""
        record = {
            "trial_id": failure.trial_id,
            "params": json.loads(failure.params_json),
            "error_type": failure.error_type,
            "message": failure.message,
            "traceback": failure.traceback,
        }
        atomic_write_text(
            self.failures_dir / f"{failure.trial_id}.json", json.dumps(record, indent=2)
        )


def _stems(folder: Path, suffix: str) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        e.name[: -len(suffix)]
        for e in os.scandir(folder)
        if e.name.endswith(suffix) and not e.name.startswith(".")
    }


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


# ---------------------------------------------------------------------- reading


def _glob_sql(folder: Path) -> str:
    pattern = str(folder / "*.parquet").replace("'", "''")
    return f"read_parquet('{pattern}', union_by_name=true)"


def connect(root: str | Path) -> object:
    """A DuckDB connection with views ``trials``, ``series`` and ``failures`` on the folder.

    ``trials`` and ``series`` are empty tables (no columns) when nothing is stored yet.
    """
    import duckdb

    store = SweepStore(root)
    if not store.root.is_dir():
        raise StoreError(f"{store.root}: no such sweep folder")
    con = duckdb.connect()
    for name, folder in (("trials", store.trials_dir), ("series", store.series_dir)):
        if _stems(folder, ".parquet"):
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {_glob_sql(folder)}")
        else:
            con.execute(f"CREATE VIEW {name} AS SELECT NULL AS trial_id WHERE false")
    con.register("failures", load_failures(root))
    return con


def query(root: str | Path, sql: str) -> pd.DataFrame:
    """Run ``sql`` (DuckDB) over the folder's views ``trials``, ``series``, ``failures``."""
    import duckdb

    con = connect(root)
    try:
        result: pd.DataFrame = con.execute(sql).df()  # type: ignore[attr-defined]
    except duckdb.Error as exc:
        raise StoreError(f"query failed: {exc}") from None
    finally:
        con.close()  # type: ignore[attr-defined]
    return result


def load_results(root: str | Path) -> pd.DataFrame:
    """Every stored trial row of a sweep folder as one data frame, sorted by trial and method.

    This is the one call a notebook needs: ``load_results("sweeps/small")``.
    """
    frame = query(root, "SELECT * FROM trials")
    if "trial_id" in frame.columns and len(frame):
        keys = [c for c in ("trial_id", "method") if c in frame.columns]
        frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return frame


def load_series(root: str | Path) -> pd.DataFrame:
    """Every stored simulation time series (one row per trial, method and step)."""
    return query(root, "SELECT * FROM series")


def load_failures(root: str | Path) -> pd.DataFrame:
    """The failure records of trials not stored since: id, error type, message, parameters."""
    store = SweepStore(root)
    rows = []
    for trial_id in sorted(store.failed_ids()):
        path = store.failures_dir / f"{trial_id}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rows.append(
            {
                "trial_id": trial_id,
                "error_type": record.get("error_type", ""),
                "message": record.get("message", ""),
                "params_json": json.dumps(record.get("params", {}), sort_keys=True),
            }
        )
    return pd.DataFrame(rows, columns=["trial_id", "error_type", "message", "params_json"])
