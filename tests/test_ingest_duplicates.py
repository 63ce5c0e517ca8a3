"""Repeats inside one file, on real files: a record that comes twice adds nothing (it merges like a record
of another file), and the quality check ``duplicate_child_rows`` counts the child rows stored twice."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.ingest import uspto_xml
from ipcockpit.ingest.cn_table import parse_sql_rows
from ipcockpit.model.schema import CORE_TABLES
from ipcockpit.settings import Settings

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


def _first_grant(data: bytes) -> bytes:
    return data[:data.index(b"<?xml", 1)]


def test_a_grant_repeated_in_its_file_is_merged_once(shared: Path, tmp_path: Path, mode: dict[str, object]) -> None:
    """The issue's case: the first grant of ipg050104 appended twice to the file gave US6836899B1 69 claims
    and 117 citations (before 29d81de); the repeats are merged, counted as such, and add nothing."""
    data = (shared / IPG05).read_bytes()
    tripled = tmp_path / "ipg050104.first3x.xml"
    tripled.write_bytes(data + _first_grant(data) * 2)
    single, counts = _ingest(tmp_path / "single.duckdb", shared / IPG05, **mode)
    assert counts == (25, 25, 0, 0)
    assert _children(single, FIRST) == {"claims": 23, "citations": 39, "parties": 3, "inventors": 1,
                                        "classifications": 7, "texts": 3, "legal_events": 0}
    repeated, counts = _ingest(tmp_path / "repeated.duckdb", tripled, **mode)
    assert counts == (27, 25, 0, 2)  # read == loaded + quarantined + merged: the two repeats are merged
    assert _children(repeated, FIRST) == _children(single, FIRST)
    assert not _diff(_rows(single), _rows(repeated))
    assert repeated.quality()["duplicate_child_rows"]["count"] == 0
    assert repeated.store.scalar("SELECT merged FROM source_files WHERE path LIKE '%first3x.xml'") == 2


def _grants(data: bytes) -> list[bytes]:
    starts = [i for i in range(len(data)) if data.startswith(b"<?xml", i)]
    return [data[a:b] for a, b in zip(starts, [*starts[1:], len(data)], strict=True)]


@pytest.mark.parametrize("layout", ["appended", "interleaved"])
@pytest.mark.parametrize("name", [IPG05, IPG12])
def test_every_grant_twice_gives_the_store_of_the_file(shared: Path, tmp_path: Path, mode: dict[str, object],
                                                       name: str, layout: str) -> None:
    """A file holding each of its grants twice (the file again after itself, or each grant followed by its
    repeat) stores what the file does once, rows a grant itself repeats included: US6837520B2's agent Robert
    W. Becker at seq 2 and 3, USD656342S1's non-patent citations listed twice (merging all rows of a document
    at once folded them: ipg050104 145 -> 144 parties, ipg120327 4,303 -> 4,300 citations)."""
    data = (shared / name).read_bytes()
    twice = tmp_path / f"twice_{Path(name).name}"
    twice.write_bytes(data + data if layout == "appended" else b"".join(g + g for g in _grants(data)))
    single, counts = _ingest(tmp_path / "single.duckdb", shared / name, **mode)
    doubled, counts2 = _ingest(tmp_path / "doubled.duckdb", twice, **mode)
    assert counts2 == (2 * counts[0], counts[1], 0, counts[0])
    assert not _diff(_rows(single), _rows(doubled))


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
