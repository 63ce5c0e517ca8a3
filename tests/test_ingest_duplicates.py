"""The quality check ``duplicate_child_rows`` on real files: the child rows a document holds twice."""

from __future__ import annotations

from pathlib import Path

from ipcockpit.app import Cockpit
from ipcockpit.settings import Settings

WEEKLY = "uspto_xml/weekly_excerpts"
IPG05 = f"{WEEKLY}/ipg050104.small.xml"  # 25 grants; US6837520B2 names the agent Robert W. Becker at two places
IPG12 = f"{WEEKLY}/ipg120327.196.xml"  # 196 designs; USD656342S1 cites two non-patent documents twice each
SQL = "cn/table_export_sample/专利总表(案例).sql"
ODP = "uspto_api/odp/fixtures/application.json"  # US20170071586 has events the source lists twice on one day
FIRST = "US6836899B1"  # the first grant of ipg050104: 23 claims, 39 citations


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
