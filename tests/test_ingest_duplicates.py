"""Repeats inside one file and new versions of a file, on real files: a record that comes twice adds nothing
(it merges like a record of another file), a changed file replaces what its earlier version gave, and the
quality check ``duplicate_child_rows`` counts the child rows stored twice."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.ingest import uspto_xml
from ipcockpit.ingest.cn_table import parse_sql_rows
from ipcockpit.model.schema import CORE_TABLES
from ipcockpit.settings import Settings
from ipcockpit.store import Store

WEEKLY = "uspto_xml/weekly_excerpts"
IPG05 = f"{WEEKLY}/ipg050104.small.xml"  # 25 grants; US6837520B2 names the agent Robert W. Becker at two places
IPG12 = f"{WEEKLY}/ipg120327.196.xml"  # 196 designs; USD656342S1 cites two non-patent documents twice each
SQL = "cn/table_export_sample/专利总表(案例).sql"
ODP = "uspto_api/odp/fixtures/application.json"  # US20170071586 has events the source lists twice on one day
FIRST = "US6836899B1"  # the first grant of ipg050104: 23 claims, 39 citations


def _rows(c: Cockpit, drop: tuple[str, ...] = ("file_id", "position")) -> dict[str, Counter[tuple[object, ...]]]:
    """Every row of the canonical tables, as a multiset per table, without the columns ``drop`` (by default
    the file and the record's place in it, which differ between a file and its doubled copy)."""
    out = {}
    for table, cols in CORE_TABLES.items():
        names = ", ".join(f'"{n}"' for n, _ in cols if n not in drop)
        out[table] = Counter(c.store.con.execute(f'SELECT {names} FROM "{table}"').fetchall())
    return out


def _children(c: Cockpit, doc: str) -> dict[str, int]:
    return {t: c.store.scalar(f'SELECT count(*) FROM "{t}" WHERE doc_id = ?', [doc])
            for t in ("claims", "citations", "parties", "inventors", "classifications", "texts", "legal_events")}


def _ingest(db: Path, path: Path, **settings: object) -> tuple[Cockpit, tuple[int, int, int, int]]:
    c = Cockpit(Settings(db=str(db), **settings))
    [r] = c.ingest([path])
    assert r.error is None, r.error
    return c, (r.read, r.loaded, r.quarantined, r.merged)


def _diff(a: dict[str, Counter], b: dict[str, Counter]) -> dict[str, tuple[list, list]]:
    """Per table that differs: (rows only in a, rows only in b), a few of each."""
    return {t: (list((a[t] - b[t]).items())[:3], list((b[t] - a[t]).items())[:3]) for t in a if a[t] != b[t]}


@pytest.fixture(params=["records", "pooled"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Settings for a USPTO XML ingest: record by record, or by parser workers in batches of a few
    documents (FlatBatches), so that a repeat lands in the same batch and in a later one."""
    if request.param == "records":
        return {}
    monkeypatch.setattr(uspto_xml, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(uspto_xml, "BATCH_BYTES", 150_000)
    return {"workers": 2}


@pytest.fixture(scope="module")
def singles() -> dict[tuple[str, str], tuple]:
    """What a file ingested once gives, per (mode, file) (:func:`_single`), for every test that compares a
    repeated copy of the file with it (both layouts of the doubled copy, and the tripled first grant)."""
    return {}


def _single(singles: dict, shared: Path, tmp_path: Path, name: str, mode: dict[str, object]) -> tuple:
    """The counts, rows and the first grant's child rows of ``name`` ingested once in ``mode`` (kept in
    ``singles`` for the module's other tests of that file and mode)."""
    key = (repr(sorted(mode.items())), name)
    if key not in singles:
        single, counts = _ingest(tmp_path / "single.duckdb", shared / name, **mode)
        singles[key] = counts, _rows(single), _children(single, FIRST)
        single.close()
    return singles[key]


def _first_grant(data: bytes) -> bytes:
    return data[:data.index(b"<?xml", 1)]


def test_a_grant_repeated_in_its_file_is_merged_once(shared: Path, tmp_path: Path, mode: dict[str, object],
                                                    singles: dict) -> None:
    """The issue's case: the first grant of ipg050104 appended twice to the file gave US6836899B1 69 claims
    and 117 citations (before 29d81de); the repeats are merged, counted as such, and add nothing."""
    data = (shared / IPG05).read_bytes()
    tripled = tmp_path / "ipg050104.first3x.xml"
    tripled.write_bytes(data + _first_grant(data) * 2)
    counts, rows, children = _single(singles, shared, tmp_path, IPG05, mode)
    assert counts == (25, 25, 0, 0)
    assert children == {"claims": 23, "citations": 39, "parties": 3, "inventors": 1,
                        "classifications": 7, "texts": 3, "legal_events": 0}
    repeated, counts = _ingest(tmp_path / "repeated.duckdb", tripled, **mode)
    assert counts == (27, 25, 0, 2)  # read == loaded + quarantined + merged: the two repeats are merged
    assert _children(repeated, FIRST) == children
    assert not _diff(rows, _rows(repeated))
    assert repeated.quality()["duplicate_child_rows"]["count"] == 0
    assert repeated.store.scalar("SELECT merged FROM source_files WHERE path LIKE '%first3x.xml'") == 2


def _grants(data: bytes) -> list[bytes]:
    starts = [i for i in range(len(data)) if data.startswith(b"<?xml", i)]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


@pytest.mark.parametrize("layout", ["appended", "interleaved"])
@pytest.mark.parametrize("name", [IPG05, IPG12])
def test_every_grant_twice_gives_the_store_of_the_file(shared: Path, tmp_path: Path, mode: dict[str, object],
                                                       name: str, layout: str, singles: dict) -> None:
    """A file holding each of its grants twice (the file again after itself, or each grant followed by its
    repeat) stores what the file does once, rows a grant itself repeats included: US6837520B2's agent Robert
    W. Becker at seq 2 and 3, USD656342S1's non-patent citations listed twice (merging all rows of a document
    at once folded them: ipg050104 145 -> 144 parties, ipg120327 4,303 -> 4,300 citations)."""
    data = (shared / name).read_bytes()
    twice = tmp_path / f"twice_{Path(name).name}"
    twice.write_bytes(data + data if layout == "appended" else b"".join(g + g for g in _grants(data)))
    counts, rows, _ = _single(singles, shared, tmp_path, name, mode)
    doubled, counts2 = _ingest(tmp_path / "doubled.duckdb", twice, **mode)
    assert counts2 == (2 * counts[0], counts[1], 0, counts[0])
    assert not _diff(rows, _rows(doubled))


def _cn_csv(shared: Path, path: Path, times: int = 1, edit: dict[int, dict[str, str]] | None = None,
            drop: int | None = None) -> Path:
    """The CN table export sample written as a CSV (its 10 rows ``times`` over), rows edited or dropped."""
    rows = parse_sql_rows((shared / SQL).read_text(encoding="utf-8"))
    cols = list(rows[0])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for _ in range(times):
            for i, r in enumerate(rows):
                if i != drop:
                    w.writerow([{**r, **(edit or {}).get(i, {})}[c] for c in cols])
    return path


def test_cn_table_rows_twice_give_the_store_of_the_table(shared: Path, tmp_path: Path) -> None:
    """A CN table CSV with every row twice: parties, inventors, classes, texts and events as with every row
    once; the 11 repeats are merged."""
    single, counts = _ingest(tmp_path / "single.duckdb", _cn_csv(shared, tmp_path / "once.csv"))
    doubled, counts2 = _ingest(tmp_path / "doubled.duckdb", _cn_csv(shared, tmp_path / "twice.csv", times=2))
    assert counts == (11, 11, 0, 0) and counts2 == (22, 11, 0, 11)
    assert _children(doubled, "CN116245100A") == _children(single, "CN116245100A") == {
        "claims": 0, "citations": 0, "parties": 4, "inventors": 6, "classifications": 5, "texts": 3,
        "legal_events": 1}
    for table in ("parties", "inventors", "classifications", "texts", "legal_events"):
        assert doubled.store.count(table) == single.store.count(table), table
    assert not _diff(_rows(single), _rows(doubled))


# duplicate_child_rows ---------------------------------------------------------------------------


def test_duplicate_child_rows_is_zero_on_real_files(shared: Path, tmp_path: Path) -> None:
    """Clean ingests of real files hold none, rows a source itself repeats being no duplicates: the same
    non-patent citation at two places (USD656342S1), an event listed twice on one day (US20170071586)."""
    c = Cockpit(Settings(db=str(tmp_path / "q.duckdb")))
    reports = c.ingest([shared / WEEKLY, shared / SQL, shared / ODP, shared / "lens/pizza_lens_1000_raw.csv"])
    assert all(r.error is None for r in reports) and sum(r.loaded for r in reports) > 1300
    assert c.store.scalar("SELECT count(*) - count(DISTINCT (event_date, code)) FROM legal_events "
                          "WHERE doc_id = 'US20170071586'") == 6
    check = c.quality()["duplicate_child_rows"]
    assert check == {"count": 0, "by_table": {}, "examples": [], "note": check["note"]}


def test_duplicate_child_rows_counts_rows_stored_twice(shared: Path, tmp_path: Path) -> None:
    c = Cockpit(Settings(db=str(tmp_path / "q.duckdb")))
    c.ingest([shared / IPG05, shared / ODP])
    con = c.store.con
    con.execute("INSERT INTO claims SELECT * FROM claims WHERE doc_id = ?", [FIRST])  # 23 claims again
    con.execute("INSERT INTO citations SELECT * FROM citations WHERE doc_id = ? AND seq <= 5", [FIRST])
    con.execute("INSERT INTO parties SELECT * FROM parties WHERE doc_id = ?", [FIRST])  # 3
    con.execute("INSERT INTO texts SELECT * FROM texts WHERE doc_id = ? AND kind = 'abstract'", [FIRST])
    # an event equal to one of the document's, from another file: a merge that did not happen
    con.execute("INSERT INTO legal_events SELECT * REPLACE ('another-file' AS file_id) FROM legal_events "
                "WHERE doc_id = 'US20170071586' AND code = 'IDSC' AND event_date = '2018-02-28'")  # the source's 3
    # the same, from the file that gave the event: a source may list an event twice, not counted
    con.execute("INSERT INTO legal_events SELECT * FROM legal_events WHERE doc_id = 'US20170071586' "
                "AND code = 'CTNF' AND file_id <> 'another-file'")
    check = c.quality()["duplicate_child_rows"]
    assert check["by_table"] == {"claims": 23, "citations": 5, "parties": 3, "texts": 1, "legal_events": 3}
    assert check["count"] == 35
    assert check["examples"] == ["US20170071586", FIRST]


# a new version of a file -------------------------------------------------------------------------

EDIT = {0: {"申请人": "河南省科学院"}}  # CN218751475U: another applicant
DROP = 3  # CN218824140U's row deleted


def _state(c: Cockpit) -> dict[str, Counter[tuple[object, ...]]]:
    """The canonical tables with their file ids, the quarantine and the files (without run and time)."""
    out = _rows(c, drop=())
    for table, cols in (("quarantine", "file_id, path, position, field, reason, excerpt, reason_code"),
                        ("source_files", "file_id, path, sha256, size, format, read, loaded, quarantined, merged")):
        out[table] = Counter(c.store.con.execute(f"SELECT {cols} FROM {table}").fetchall())
    return out


def test_a_changed_file_replaces_its_earlier_version(shared: Path, tmp_path: Path) -> None:
    """Ingested again under its path with a row deleted and an applicant changed, the file gives the store of
    its new version alone: no stale applicant, the deleted row's document gone, one source_files row."""
    folder = tmp_path / "exports"
    folder.mkdir()
    path = _cn_csv(shared, folder / "专利.csv")
    c, counts = _ingest(tmp_path / "store.duckdb", path)
    assert counts == (11, 11, 0, 0)
    assert c.store.scalar("SELECT count(*) FROM documents WHERE doc_id = 'CN218824140U'") == 1
    _cn_csv(shared, path, edit=EDIT, drop=DROP)
    [r] = c.ingest([path])
    assert (r.read, r.loaded, r.quarantined, r.merged) == (10, 10, 0, 0)
    applicants = c.store.query("SELECT name_raw FROM parties WHERE doc_id = 'CN218751475U' AND role = 'applicant'")
    assert [a["name_raw"] for a in applicants] == ["河南省科学院"]
    assert c.store.scalar("SELECT count(*) FROM documents WHERE doc_id = 'CN218824140U'") == 0
    assert c.store.scalar("SELECT count(*) FROM source_files WHERE path LIKE '%专利.csv'") == 1
    alone, _ = _ingest(tmp_path / "alone.duckdb", path)
    assert not _diff(_state(alone), _state(c))
    # the same content again, by another spelling of the path: nothing changes
    before = _state(c)
    [again] = c.ingest([folder / ".." / "exports" / "专利.csv"])
    assert (again.read, again.loaded, again.merged) == (10, 10, 0)
    assert not _diff(before, _state(c))


def test_a_changed_archive_member_replaces_its_earlier_version(shared: Path, tmp_path: Path) -> None:
    """An archive member is the file ``archive!member``: its new version replaces the earlier one."""
    import zipfile

    path = tmp_path / "exports.zip"
    for version in (_cn_csv(shared, tmp_path / "v1.csv"), _cn_csv(shared, tmp_path / "v2.csv", edit=EDIT, drop=DROP)):
        with zipfile.ZipFile(path, "w") as zf:
            zf.write(version, "2023/专利.csv")
        c = Cockpit(Settings(db=str(tmp_path / "store.duckdb")))
        c.ingest([path])
        c.close()
    with Cockpit(Settings(db=str(tmp_path / "store.duckdb"))) as c:
        assert c.store.count("documents") == 10
        assert c.store.scalar("SELECT list(path) FROM source_files WHERE path LIKE '%专利.csv'") == [
            f"{path.resolve()}!2023/专利.csv"]


@pytest.mark.parametrize("version", ["changed", "same"])
def test_a_failing_new_version_leaves_the_earlier_one(shared: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    """The new version (or the same content again) fails after some of its records were written (mid-file
    commits included): the store is what the earlier ingest gave, to the row."""
    from ipcockpit.store import loader

    path = _cn_csv(shared, tmp_path / "专利.csv")
    c, _ = _ingest(tmp_path / "store.duckdb", path, batch_size=2)
    before = _state(c)
    if version == "changed":
        _cn_csv(shared, path, edit=EDIT, drop=DROP)
    monkeypatch.setattr(loader, "COMMIT_BYTES", 1)  # commit after every batch, as a large file does
    real = loader._FileLoad.flush
    calls: list[int] = []

    def flush(self: loader._FileLoad) -> None:
        real(self)
        calls.append(1)
        if len(calls) == 3:
            raise OSError("the file cannot be read any further")

    monkeypatch.setattr(loader._FileLoad, "flush", flush)
    with pytest.raises(OSError, match="cannot be read any further"):
        c.ingest([path])
    assert len(calls) == 3
    assert not _diff(before, _state(c))
    assert c.store.count("pending_files") == 0


@pytest.mark.parametrize("version", ["changed", "same"])
def test_a_new_version_killed_mid_file_leaves_the_earlier_one(shared: Path, tmp_path: Path, version: str) -> None:
    db = tmp_path / "kill.duckdb"
    path = _cn_csv(shared, tmp_path / "专利.csv")
    c, _ = _ingest(db, path)
    before = _state(c)
    c.close()
    if version == "changed":
        _cn_csv(shared, path, edit=EDIT, drop=DROP)
    code = f"""
import os
from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings
from ipcockpit.store import loader
loader.COMMIT_BYTES = 1
real = loader._FileLoad.flush
calls = []
def flush(self):
    real(self)
    calls.append(1)
    if len(calls) == 3:
        os._exit(9)
loader._FileLoad.flush = flush
Cockpit(Settings(db={str(db)!r}, batch_size=2)).ingest([{str(path)!r}])
"""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 9, proc.stderr
    with Cockpit(Settings(db=str(db))) as c:  # the writable open removes the interrupted file's rows
        assert not _diff(before, _state(c))
    with Store(str(db), read_only=True) as s:
        assert s.count("pending_files") == 0


def test_a_copy_under_another_path_is_not_a_new_version(shared: Path, tmp_path: Path) -> None:
    """Two paths, two files: a changed file at one path leaves what the other path gave."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(shared / IPG05, a / "ipg.xml")
    c, _ = _ingest(tmp_path / "store.duckdb", a / "ipg.xml")
    _cn_csv(shared, b / "专利.csv")
    c.ingest([b / "专利.csv"])
    _cn_csv(shared, b / "专利.csv", drop=DROP)
    c.ingest([b / "专利.csv"])
    assert c.store.scalar("SELECT count(*) FROM documents WHERE office = 'US'") == 25
    assert c.store.scalar("SELECT count(*) FROM documents WHERE office = 'CN'") == 10


def test_a_new_version_names_the_files_left_without_a_document(shared: Path, tmp_path: Path) -> None:
    """Another file's record merged into a document the new version lacks: its rows lose their document; the
    report says which file to ingest again, and doing so stores that record as a document of its own."""
    rows = parse_sql_rows((shared / SQL).read_text(encoding="utf-8"))
    path = _cn_csv(shared, tmp_path / "专利.csv")
    other = _cn_csv(shared, tmp_path / "另一导出.csv", edit={3: {"发明人": rows[3]["发明人"] + ";张三"}})
    c, _ = _ingest(tmp_path / "store.duckdb", path)
    [r] = c.ingest([other])
    assert (r.loaded, r.merged) == (0, 11)  # adds one inventor to CN218824140U
    _cn_csv(shared, path, drop=DROP)
    [r] = c.ingest([path])
    assert len(r.warnings) == 1 and "1 document(s)" in r.warnings[0] and str(other) in r.warnings[0]
    assert c.quality()["orphan_rows"]["by_table"] == {"inventors": 1}
    [r] = c.ingest([other])
    assert (r.loaded, r.merged) == (1, 10) and not r.warnings
    assert c.quality()["orphan_rows"]["count"] == 0
    assert c.store.scalar("SELECT count(*) FROM inventors WHERE doc_id = 'CN218824140U'") == 6
