"""Reading a sweep folder: odd folder names, stray files, and untrusted SQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from slimplace.study import load_results, loads_spec, query, run_sweep
from slimplace.study.store import QueryError, StoreError

SPEC = loads_spec(
    """
name: query
run: solve
parameters: {scenario: tiny, n_devices: 4}
axes:
  method: [cloud-only, nearest-feasible]
seeds: 2
"""
)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("q") / "run[1]"  # DuckDB reads [ ] as a glob
    run_sweep(SPEC, folder, executor="serial")
    return folder


def test_a_folder_named_like_a_glob_reads_back(sweep: Path) -> None:
    assert len(load_results(sweep)) == 4
    assert query(sweep, "SELECT count(*) AS n FROM trials")["n"].item() == 4


def test_stray_files_are_skipped_and_a_bad_parquet_file_is_named(
    sweep: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(sweep, copy)
    (copy / "trials" / "notes.txt").write_text("my notes")
    (copy / "trials" / "sub").mkdir()
    assert len(load_results(copy)) == 4
    (copy / "trials" / "junk.parquet").write_text("not parquet")
    with pytest.raises(StoreError, match=r"junk\.parquet"):
        load_results(copy)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('/etc/hostname')",
        "COPY (SELECT 1) TO '{out}/leak.csv'",
        "SELECT 1; COPY (SELECT 1) TO '{out}/leak.csv'",
        "ATTACH '{out}/other.db' AS other",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "CREATE TABLE t AS SELECT 1",
        "DROP TABLE trials",
        "PRAGMA version",
    ],
)
def test_query_refuses_file_access_writes_attach_and_extensions(
    sweep: Path, tmp_path: Path, sql: str
) -> None:
    text = sql.format(out=tmp_path)
    with pytest.raises(QueryError):
        query(sweep, text)
    assert list(tmp_path.iterdir()) == []


def test_query_still_reads_the_tables(sweep: Path) -> None:
    frame = query(sweep, "SELECT method, avg(power_w) AS w FROM trials GROUP BY 1 ORDER BY 1")
    assert frame["method"].tolist() == ["cloud-only", "nearest-feasible"]
    assert query(sweep, "EXPLAIN SELECT * FROM failures").shape[0] >= 1
    with pytest.raises(QueryError, match="empty"):
        query(sweep, "  ")


def test_trusted_queries_keep_full_rights(sweep: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    query(sweep, f"COPY (SELECT * FROM trials) TO '{out}'", trusted=True)
    assert out.read_text().count("\n") == 5


def test_the_report_of_a_folder_named_like_a_glob(sweep: Path, tmp_path: Path) -> None:
    from slimplace.study import write_report

    page = write_report(sweep, tmp_path / "report").read_text()
    assert "4 of 4 trials stored" in page
