"""The loader: counts, idempotence, atomicity, quarantine, unknown formats, on a real DuckDB file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.errors import EmptyFileError, StoreError
from ipcockpit.settings import Settings
from ipcockpit.store import Store

BASEBALL = "abstracts_us/baseball_patent_query.csv"


def test_patentsview_csv_counts_and_fields(cockpit: Cockpit, shared: Path) -> None:
    [r] = cockpit.ingest([shared / BASEBALL])
    assert r.format == "patentsview-csv"
    assert r.read == 2664 and r.read == r.loaded + r.quarantined + r.merged
    doc = cockpit.store.query("SELECT * FROM documents WHERE doc_id = 'US5269177'")[0]
    assert doc["pub_date"].isoformat() == "1993-12-14"
    assert doc["title"]
    assert cockpit.store.scalar("SELECT count(*) FROM texts WHERE kind = 'abstract'") > 2600


def test_reingest_is_idempotent(cockpit: Cockpit, shared: Path) -> None:
    first = cockpit.ingest([shared / BASEBALL])[0]
    counts = cockpit.store.counts()
    second = cockpit.ingest([shared / BASEBALL])[0]
    assert (first.read, first.loaded, first.merged) == (second.read, second.loaded, second.merged)
    after = cockpit.store.counts()
    for table in ("documents", "texts", "source_files", "quarantine"):
        assert after[table] == counts[table]


def test_unknown_format_is_reported_not_loaded(cockpit: Cockpit, tmp_path: Path) -> None:
    f = tmp_path / "notes.bin"
    f.write_bytes(b"\x00\x01 nothing to see")
    [r] = cockpit.ingest([f])
    assert r.format is None and r.error and "notes.bin" in r.error
    assert cockpit.store.count("documents") == 0


EMPTY = "cn/abstracts_multilang_ipc/Abstract/ClassF22D1-40/Date2008-2009.txt"  # a real zero-byte file


def test_empty_file(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    """A file of no bytes, or of nothing but whitespace and a byte-order mark, is said to be empty (not an
    unknown format), with its name; nothing is loaded."""
    assert (shared / EMPTY).stat().st_size == 0
    blank = tmp_path / "blank.csv"
    blank.write_bytes(b"\xef\xbb\xbf \r\n\t\n")
    utf16 = tmp_path / "blank16.txt"
    utf16.write_bytes("\ufeff  \n".encode("utf-16-le"))
    reports = cockpit.ingest([shared / EMPTY, blank, utf16])
    for r, name, why in zip(reports, ("Date2008-2009.txt", "blank.csv", "blank16.txt"),
                            ("0 bytes", "only whitespace", "only whitespace"), strict=True):
        assert r.format is None and r.read == r.loaded == 0
        assert r.error and name in r.error and "empty file" in r.error and why in r.error, r.error
        assert "not a format ipcockpit knows" not in r.error
    assert cockpit.store.count("documents") == 0
    assert cockpit.store.scalar("SELECT count(*) FROM source_files WHERE path LIKE '%abstracts_multilang%'") == 0
    with pytest.raises(EmptyFileError, match="Date2008-2009.txt: empty file"):
        cockpit.ingest([shared / EMPTY], strict=True)


def test_cli_reports_an_empty_file(tmp_path: Path, shared: Path) -> None:
    run = [sys.executable, "-m", "ipcockpit.cli", "ingest", "--db", str(tmp_path / "e.duckdb"), "--json"]
    out = subprocess.run([*run, str(shared / EMPTY)], capture_output=True, text=True)
    assert out.returncode == 1  # a file named on the command line could not be read
    [report] = json.loads(out.stdout)
    assert report["format"] is None and report["read"] == 0
    assert report["error"].startswith(f"{shared / EMPTY}: empty file (0 bytes)")
    assert "empty file" in out.stderr


def test_killed_mid_file_leaves_nothing(tmp_path: Path, shared: Path) -> None:
    """A process that dies after two batches were committed leaves none of that file visible."""
    db = tmp_path / "kill.duckdb"
    with Cockpit(Settings(db=str(db))) as c:  # an earlier file, which must survive
        c.ingest([shared / "abstracts_us/neural_network_patent_query.csv"])
    code = f"""
import os
from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.store import loader
loader.COMMIT_BYTES = 1  # commit after every batch, as a large file does
real = loader._FileLoad.flush
calls = []
def flush(self):
    real(self)
    calls.append(1)
    if len(calls) == 2:
        os._exit(9)
loader._FileLoad.flush = flush
Cockpit(Settings(db={str(db)!r}, batch_size=500)).ingest([{str(shared / BASEBALL)!r}])
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 9, proc.stderr
    with pytest.raises(StoreError, match="baseball_patent_query.csv was interrupted"):
        Store(str(db), read_only=True)
    with Cockpit(Settings(db=str(db))) as c:
        assert c.store.count("documents") == 3522  # only the earlier file
        assert c.store.count("pending_files") == 0
        assert c.store.scalar("SELECT count(*) FROM source_files WHERE NOT starts_with(path, 'bundled:')") == 1
        assert c.store.scalar("SELECT count(*) FROM texts WHERE doc_id = 'US5269177'") == 0
    with Store(str(db), read_only=True) as s:
        assert s.count("documents") == 3522


def test_error_mid_file_rolls_back(cockpit: Cockpit, shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ipcockpit.store import loader

    monkeypatch.setattr(loader, "COMMIT_BYTES", 1)
    real = loader._FileLoad.flush
    calls: list[int] = []

    def flush(self: loader._FileLoad) -> None:
        real(self)
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(loader._FileLoad, "flush", flush)
    cockpit.settings = cockpit.settings.with_overrides(batch_size=500)
    cockpit.store.con.execute("SET threads = 3")
    with pytest.raises(RuntimeError, match="disk full"):
        cockpit.ingest([shared / BASEBALL])
    assert cockpit.store.count("documents") == 0 and cockpit.store.count("pending_files") == 0
    # DuckDB's threads, lowered while the file loaded, are back as they were
    assert cockpit.store.scalar("SELECT current_setting('threads')") == 3


def test_duckdb_threads_lowered_while_a_file_loads(cockpit: Cockpit, shared: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from ipcockpit.store import loader

    seen: list[int] = []
    real = loader._FileLoad.finish

    def finish(self: loader._FileLoad) -> None:
        seen.append(self.store.scalar("SELECT current_setting('threads')"))
        real(self)

    monkeypatch.setattr(loader._FileLoad, "finish", finish)
    monkeypatch.setattr(loader.os, "cpu_count", lambda: 8)
    cockpit.store.con.execute("SET threads = 6")
    report = cockpit.ingest([shared / BASEBALL])[0]
    assert seen == [4] and cockpit.store.scalar("SELECT current_setting('threads')") == 6
    assert report.loaded == cockpit.store.count("documents") > 0


@pytest.mark.slow
def test_cli_ingest_json_and_stats(tmp_path: Path, shared: Path) -> None:
    db = str(tmp_path / "cli.duckdb")
    out = subprocess.run(
        [sys.executable, "-m", "ipcockpit.cli", "ingest", str(shared / BASEBALL), "--db", db, "--json"],
        capture_output=True, text=True, check=True,
    )
    [report] = json.loads(out.stdout)
    assert {"file", "format", "read", "loaded", "quarantined", "merged"} <= set(report)
    assert report["read"] == report["loaded"] + report["quarantined"] + report["merged"] == 2664
    out = subprocess.run([sys.executable, "-m", "ipcockpit.cli", "stats", "--db", db, "--json"],
                         capture_output=True, text=True, check=True)
    stats = json.loads(out.stdout)
    assert stats["tables"]["documents"] == 2664
    years = {(r["office"], r["year"]): r["documents"] for r in stats["by_office_year"]}
    assert sum(years.values()) == 2664 and years[("US", 1993)] > 0
    assert "missing_titles" in stats["quality"] and "orphan_rows" in stats["quality"]


def test_bad_rows_are_quarantined_with_file_record_field(cockpit: Cockpit, shared: Path, tmp_path: Path) -> None:
    lines = (shared / BASEBALL).read_text(encoding="utf-8").splitlines(keepends=True)
    import csv
    import io

    rows = list(csv.reader(io.StringIO("".join(lines))))
    header, body = rows[0], rows[1:6]
    body[1][header.index("patent_date")] = "31/31/1999"
    body[3][header.index("patent_number")] = ""
    out = io.StringIO()
    csv.writer(out).writerows([header, *body])
    f = tmp_path / "bad_rows.csv"
    f.write_text(out.getvalue(), encoding="utf-8")
    [r] = cockpit.ingest([f])
    assert (r.read, r.loaded, r.quarantined, r.merged) == (5, 3, 2, 0)
    q = cockpit.quarantine("bad_rows")
    assert [(x["position"], x["field"]) for x in q] == [("line 3", "patent_date"), ("line 5", "patent_number")]
    assert "31/31/1999" in q[0]["reason"] and q[0]["excerpt"]
    cockpit.close()
    res = subprocess.run(
        [sys.executable, "-m", "ipcockpit.cli", "quarantine", "--db", cockpit.settings.db, "--json"],
        capture_output=True, text=True, check=True,
    )
    listed = json.loads(res.stdout)
    assert [x["field"] for x in listed["rows"]] == ["patent_date", "patent_number"]
    assert (listed["total"], listed["count"], listed["truncated"]) == (2, 2, False)
    again = subprocess.run([sys.executable, "-m", "ipcockpit.cli", "ingest", str(f), "--db", cockpit.settings.db],
                           capture_output=True, text=True, check=True)
    assert "bad_rows.csv：2 条记录进入隔离区" in again.stderr  # the command line speaks Chinese by default
    assert "数据质量：隔离记录（无法导入） 2" in again.stderr  # the quality step, the check by its name


def test_cli_exit_code_names_unreadable_files_only(tmp_path: Path, shared: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "README.md").write_text("not patent data", encoding="utf-8")
    (folder / "b.csv").write_bytes((shared / BASEBALL).read_bytes())
    db = str(tmp_path / "x.duckdb")
    run = [sys.executable, "-m", "ipcockpit.cli", "ingest", "--db", db, "--json"]
    ok = subprocess.run([*run, str(folder)], capture_output=True, text=True)
    assert ok.returncode == 0 and "README.md" in ok.stderr
    assert [r["format"] for r in json.loads(ok.stdout)] == [None, "patentsview-csv"]
    bad = subprocess.run([*run, str(folder / "README.md")], capture_output=True, text=True)
    assert bad.returncode == 1 and "not a format ipcockpit knows" in bad.stderr


def test_store_writes_small_row_groups_and_shares_one_file_per_process(tmp_path: Path, shared: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Row groups of ROW_GROUP_SIZE rows (a commit rewrites only the last one), also after a reopen
    (DuckDB does not keep the size in the file); two stores on one file in one process share it."""
    from ipcockpit.store import duckdb_store

    monkeypatch.setattr(duckdb_store, "ROW_GROUP_SIZE", 2048)
    db = tmp_path / "rg.duckdb"

    def largest_row_group(store: duckdb_store.Store) -> tuple[int, int]:
        return store.con.execute(
            "SELECT max(n), count(DISTINCT row_group_id) FROM (SELECT row_group_id, column_id, sum(count) AS n "
            "FROM pragma_storage_info('texts') WHERE segment_type <> 'VALIDITY' GROUP BY ALL)").fetchall()[0]

    with Cockpit(db=db) as first:
        first.ingest([shared / BASEBALL])
        texts = first.store.count("texts")
        assert texts > 2 * 2048
        with Cockpit(db=db) as second:  # the same file, the same process: the same data
            assert second.store.count("texts") == texts
            second.store.con.execute("CHECKPOINT")
            biggest, groups = largest_row_group(second.store)
            assert biggest == 2048 and groups == -(-texts // 2048)
        assert first.store.count("texts") == texts  # the second's close left the first's open
    with Cockpit(db=db) as again:  # reopened, the size holds for what is written now
        again.store.con.execute("INSERT INTO texts SELECT * FROM texts")
        again.store.con.execute("CHECKPOINT")
        assert largest_row_group(again.store) == (2048, -(-2 * texts // 2048))


def test_quality_counts_dates_no_patent_can_have(cockpit: Cockpit) -> None:
    """The same bounds as the readers' (model.records.EARLIEST_DATE, LATEST_YEARS_AHEAD)."""
    from datetime import date, timedelta

    def impossible() -> int:
        return cockpit.quality()["impossible_dates"]["count"]

    con = cockpit.store.con
    for n, (pub, app) in enumerate([(date.today() + timedelta(days=300), None), (date(1790, 1, 1), None),
                                    (date(2020, 1, 1), date(2019, 1, 1))]):
        con.execute("INSERT INTO documents (doc_id, office, number, pub_date, app_date, title, stub) "
                    "VALUES (?, 'US', ?, ?, ?, 't', false)", [f"US{n}B1", str(n), pub, app])
    assert impossible() == 0
    con.execute("INSERT INTO documents (doc_id, office, number, pub_date, title, stub) "
                "VALUES ('US9B1', 'US', '9', ?, 't', false)", [date.today() + timedelta(days=400)])
    con.execute("INSERT INTO documents (doc_id, office, number, pub_date, title, stub) "
                "VALUES ('US8B1', 'US', '8', DATE '1789-12-31', 't', false)")
    con.execute("INSERT INTO documents (doc_id, office, number, pub_date, app_date, title, stub) "
                "VALUES ('US7B1', 'US', '7', DATE '2020-01-01', DATE '2020-01-02', 't', false)")
    assert impossible() == 3
