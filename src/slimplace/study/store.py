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
DuckDB reads the trial files as one table (``read_parquet([files], union_by_name=true)``;
the files are listed, not globbed, so folder names with ``[ ]`` work).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from slimplace.errors import SlimplaceError
from slimplace.fsutil import atomic_path, atomic_write_text
from slimplace.results import with_legacy_names
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


#: The tables a query sees, and the folder (under the sweep folder) each is read from.
TABLES = {"trials": "trials", "series": "series"}

#: Statement types an untrusted query may run (:func:`query`): reading only.
_READ_ONLY_STATEMENTS = ("SELECT", "EXPLAIN")


class QueryError(StoreError):
    """A query that failed or was refused."""


def _parquet_files(folder: Path) -> list[str]:
    """The trial files of ``folder`` (sorted), as absolute paths; other files are skipped
    with a warning naming them (they are not results)."""
    if not folder.is_dir():
        return []
    files, stray = [], []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if entry.name.endswith(".parquet") and entry.is_file():
            files.append(os.path.abspath(entry.path))
        else:
            stray.append(entry.name)
    if stray:
        log.warning("%s: skipped %d files that are not trial files: %s", folder, len(stray),
                    ", ".join(stray[:5]) + (" ..." if len(stray) > 5 else ""))  # fmt: skip
    return files


def _bad_parquet(files: list[str]) -> list[str]:
    """The files of ``files`` that pyarrow cannot read as Parquet, with why."""
    import pyarrow.parquet as pq

    bad = []
    for f in files:
        try:
            pq.read_metadata(f)
        except (OSError, ValueError) as exc:
            bad.append(f"{f} ({exc})")
    return bad


def _referenced(sql: str) -> set[str]:
    """The tables of the folder that ``sql`` may use (whole words, any case)."""
    words = set(re.findall(r"[a-z_]+", sql.lower()))
    return {name for name in (*TABLES, "failures") if name in words}


def connect(root: str | Path, *, tables: Collection[str] | None = None, safe: bool = True) -> Any:
    """An in-memory DuckDB connection holding the folder's tables ``trials`` and ``series``
    (one row per stored trial file, columns united by name) and ``failures``.

    ``tables`` limits which are loaded (default: all). The files are read by file name,
    never as a glob pattern, so a folder named like ``run[1]`` works. ``safe`` (default)
    then closes the connection to the outside: no file access of any kind
    (``enable_external_access = false``: no reads, writes, ``ATTACH``, ``INSTALL`` or
    ``LOAD``), and the configuration locked. A trial file that is not Parquet is named
    in a :class:`StoreError`.
    """
    import duckdb

    store = SweepStore(root)
    if not store.root.is_dir():
        raise StoreError(f"{store.root}: no such sweep folder")
    wanted = set(TABLES) | {"failures"} if tables is None else set(tables)
    con = duckdb.connect(config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})  # fmt: skip
    try:
        for name, sub in TABLES.items():
            if name in wanted:
                _load_table(con, name, _parquet_files(store.root / sub))
        if "failures" in wanted:
            con.register("failures_frame", load_failures(root))
            con.execute("CREATE TABLE failures AS SELECT * FROM failures_frame")
            con.unregister("failures_frame")
        if safe:
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def _load_table(con: Any, name: str, files: list[str]) -> None:
    import duckdb

    if not files:
        con.execute(f"CREATE TABLE {name} AS SELECT NULL AS trial_id WHERE false")
        return
    try:
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?, union_by_name = true)",
            [files],
        )
    except duckdb.Error as exc:
        bad = _bad_parquet(files)
        if bad:
            raise StoreError(
                f"{len(bad)} file(s) in {Path(files[0]).parent} are not readable Parquet "
                f"trial files; move them out of the folder: {'; '.join(bad[:5])}"
            ) from None
        raise StoreError(f"cannot read the {name} files: {exc}") from None


def query(root: str | Path, sql: str, *, trusted: bool = False) -> pd.DataFrame:
    """Run ``sql`` (DuckDB) over the folder's tables ``trials``, ``series``, ``failures``.

    Safe for SQL from anyone: unless ``trusted``, only reading statements (``SELECT``,
    ``EXPLAIN``) run, on a connection without any file or network access, extension
    install or load, or configuration change (:func:`connect`); anything else raises
    :class:`QueryError`. ``trusted=True`` (the command line's ``results --sql``, run at
    the user's own rights) allows every statement DuckDB has.
    """
    import duckdb

    if not sql.strip():
        raise QueryError("empty query: give a SQL statement, e.g. SELECT * FROM trials")
    if not trusted:
        _check_read_only(sql)
    con = connect(root, tables=_referenced(sql), safe=not trusted)
    try:
        result: pd.DataFrame = con.execute(sql).df()
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {exc}") from None
    finally:
        con.close()
    return result


def _check_read_only(sql: str) -> None:
    """Refuse any statement of ``sql`` that is not a read (see :func:`query`)."""
    import duckdb

    with duckdb.connect() as parser:
        try:
            statements = parser.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {exc}") from None
    kinds = [str(s.type).rsplit(".", 1)[-1] for s in statements]
    refused = [k for k in kinds if k not in _READ_ONLY_STATEMENTS]
    if refused or len(statements) != 1:
        what = ", ".join(refused) if refused else f"{len(statements)} statements"
        raise QueryError(
            f"refused: only one SELECT (or EXPLAIN) statement may run here, got {what}"
        )


def load_results(root: str | Path) -> pd.DataFrame:
    """Every stored trial row of a sweep folder as one data frame, sorted by trial and method.

    This is the one call a notebook needs: ``load_results("sweeps/small")``. Columns
    of files written before :mod:`slimplace.results` are renamed to its names.
    """
    frame = with_legacy_names(query(root, "SELECT * FROM trials"))
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
