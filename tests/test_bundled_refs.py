"""The reference tables that ship with the package are in every new store, equal to what the readers give
for the shared files, loaded once, and never mixed with or written over a table the user loads."""

from __future__ import annotations

import csv
import gzip
from datetime import date
from pathlib import Path

import duckdb
import pytest

from ipcockpit.app import Cockpit
from ipcockpit.store import bundled
from ipcockpit.store.bundled import BUNDLE_DIR, SEI_FILE, ZH_TITLES_FILE, file_ids, load_bundled
from ipcockpit.store.duckdb_store import Store
from ipcockpit.value.conditions import condition_rows
from ipcockpit.value.settings import ScreenSettings

CN_DUMP = "cn/table_export_sample"
SEI = "classification/cnipa_sei2021_ipc_concordance.json"
ZH_TREE = "classification/IPC_Tree_2026.01_zh.tar.gz"


def _concordance(con: duckdb.DuckDBPyConnection, scheme: str = "sei2021") -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT rule_id, ipc_pattern, code, name, parent_code, parent_name, ipc_regex, exclusions, exclusion_regex, "
        "keywords, ipc_only, reading, condition_terms FROM ref_ipc_concordance WHERE scheme = ? "
        "ORDER BY rule_id, ipc_pattern", [scheme]).fetchall()


def _titles(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("SELECT code, lang, level, title, parent, heading, version FROM ref_ipc_titles "
                       "ORDER BY code, lang").fetchall()


def test_fresh_store_screens_a_cn_grant_and_shows_chinese_titles(tmp_path: Path, shared: Path) -> None:
    with Cockpit(db=tmp_path / "fresh.duckdb") as c:
        [report] = c.ingest([shared / CN_DUMP])  # a real CNIPA table dump, nothing else
        assert report.error is None
        [r] = condition_rows(c.store.con, ScreenSettings(as_of=date(2025, 7, 1)))
        sei = r["conditions"]["strategic_emerging_industry"]
        assert r["publication_number"] == "CN115883397B"
        assert sei["met"] is False and not sei["reason"].startswith("load the SEI concordance")
        assert [m["rule_id"] for m in sei["evidence"]["matches"]] == ["1.3#4"]
        page = c.patent("CN115883397B")
        assert page is not None
        ipc = {x["code"]: x for x in page["classifications"] if x["scheme"] == "IPC"}
        assert ipc["H04L 9/40"]["title_zh"] == "网络安全协议"
        assert ipc["H04L 9/40"]["subclass_title_zh"].startswith("数字信息的传输")
        assert ipc["H04L 9/40"]["title_en"] is None  # English titles do not ship (GPL-3.0 source)
        files = {f["path"]: f for f in c.store.query("SELECT path, format, loaded FROM source_files")}
        assert files[f"bundled:{SEI_FILE}"]["loaded"] == 1689
        assert files[f"bundled:{ZH_TITLES_FILE}"]["loaded"] == 77188


@pytest.mark.slow
def test_bundled_tables_equal_the_shared_files_and_are_replaced_by_them(tmp_path: Path, shared: Path) -> None:
    with Cockpit(db=tmp_path / "a.duckdb") as c:
        bundled_sei, bundled_titles = _concordance(c.store.con), _titles(c.store.con)
        ids = file_ids()
        reports = c.ingest([shared / SEI, shared / ZH_TREE])
        assert all(r.error is None for r in reports)
        # the JSON ships byte for byte: the same file_id, so its ingest replaces the bundled rows
        assert reports[0].file_id == ids[SEI_FILE]
        assert _concordance(c.store.con) == bundled_sei and len(bundled_sei) == 1689
        # the archive is another file: its rows replace the bundled Chinese titles, and they are the same
        assert _titles(c.store.con) == bundled_titles and len(bundled_titles) == 77188
        paths = {r["path"] for r in c.store.query("SELECT path FROM source_files")}
        assert paths == {str(shared / SEI), str(shared / ZH_TREE)}


def test_user_tables_are_kept(tmp_path: Path) -> None:
    official = tmp_path / "sei_official.csv"
    official.write_text("branch_code,branch_name,ipc,keywords,scheme\n1.3,新兴软件和新型信息技术服务,H04L9*,,{scheme}\n"
                        .format(scheme="sei2021_official"), encoding="utf-8")
    same_scheme = tmp_path / "sei_same.csv"
    same_scheme.write_text("branch_code,branch_name,ipc,keywords\n1.3,新兴软件和新型信息技术服务,H04L9*,\n",
                           encoding="utf-8")
    with Cockpit(db=tmp_path / "b.duckdb") as c:
        c.ingest([official])
        assert len(_concordance(c.store.con)) == 1689  # another scheme: the bundled sei2021 stays
        assert len(_concordance(c.store.con, "sei2021_official")) == 1
        c.ingest([same_scheme])  # the user's own sei2021: the bundled rows go, the two never mix
        assert [r[0] for r in _concordance(c.store.con)] == ["1.3#1"]
        assert len(_concordance(c.store.con, "sei2021_official")) == 1
        # loading the bundle again (a later migration) writes over neither
        assert load_bundled(c.store.con) == {"ref_ipc_concordance": 0, "ref_ipc_titles": 0}
        assert [r[0] for r in _concordance(c.store.con)] == ["1.3#1"]


def test_loading_again_is_idempotent_and_fills_readings(tmp_path: Path) -> None:
    with Store(tmp_path / "c.duckdb") as store:
        before = _concordance(store.con)
        store.con.execute("UPDATE ref_ipc_concordance SET reading = NULL, condition_terms = NULL")  # an older load
        store.con.execute("DELETE FROM ref_ipc_titles")
        assert load_bundled(store.con) == {"ref_ipc_concordance": 1689, "ref_ipc_titles": 77188}
        assert _concordance(store.con) == before
        assert store.count("ref_ipc_titles") == 77188 and store.count("source_files") == 2
    with Store(tmp_path / "c.duckdb") as store:  # reopening applies nothing again
        assert store.migrate() == [] and store.count("ref_ipc_concordance") == 1689


def _everything(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The bundled tables whole (every column, ``file_id`` included, in stored order), their column types and
    their ``source_files`` rows (but the load time)."""
    return {
        "concordance": con.execute("SELECT * FROM ref_ipc_concordance").fetchall(),
        "titles": con.execute("SELECT * FROM ref_ipc_titles").fetchall(),
        "types": con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns WHERE "
                             "table_name IN ('ref_ipc_concordance', 'ref_ipc_titles') ORDER BY ALL").fetchall(),
        "files": con.execute("SELECT * EXCLUDE (ingested_at) FROM source_files ORDER BY path").fetchall()}


def test_the_rows_read_once_per_process_are_the_files_rows(tmp_path: Path) -> None:
    """The bundled files are read once per process: a store made from the rows kept in memory equals, table for
    table, one made after a fresh read, and the titles are the file's rows as Python's csv reads them."""
    for kept in (bundled._digest, bundled._sei_table, bundled._zh_titles_table):
        kept.cache_clear()
    with Store(tmp_path / "fresh.duckdb") as store:  # reads the files
        fresh = _everything(store.con)
    with Store(tmp_path / "kept.duckdb") as store:  # from memory
        assert bundled._zh_titles_table.cache_info().hits >= 1 and bundled._sei_table.cache_info().hits >= 1
        assert _everything(store.con) == fresh
        store.con.execute("DELETE FROM ref_ipc_titles WHERE code LIKE 'A%'")  # a store changing its rows ...
        store.con.execute("UPDATE ref_ipc_concordance SET reading = NULL")
    with Store(tmp_path / "third.duckdb") as store:  # ... changes nothing a later store gets
        assert _everything(store.con) == fresh
    with gzip.open(BUNDLE_DIR / ZH_TITLES_FILE, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["code", "title"] and len(rows) - 1 == len(fresh["titles"]) == 77188
    assert [(code, title) for code, title in rows[1:]] == [(r[0], r[3]) for r in fresh["titles"]]
    assert {r[1] for r in fresh["titles"]} == {"zh"} and {r[6] for r in fresh["titles"]} == {"2026.01"}
    assert len(fresh["concordance"]) == 1689
