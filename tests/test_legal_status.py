"""The one in-force rule (:mod:`ipcockpit.value.legal_status`) and its three users agree, on real data.

Two stores: the high-value screening store of ``tests/test_value_conditions.py`` (CN table export and its
constructed rows, SEI table, award list, EPO OPS family and legal fixtures, the 5,884 Lens drone rows,
USPTO assignments), and a search store (25 USPTO grants of 3 January 2012, the CN table export and the
first 15 rows of the Lens drone file) with its search index.

Counts were checked without ipcockpit, with pandas on the Lens CSV: 1,551 Lens rows are invention grants
(type "Granted Patent" or "Ammended Patent", or type "unknown" with a B/C kind); 845 of them were filed
20 years or more before 2025-07-01 and 784 before 2023-01-01.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.search.claim_index import legal_status
from ipcockpit.search.hybrid import search
from ipcockpit.search.index import build_index, read_manifest
from ipcockpit.settings import Settings
from ipcockpit.value.conditions import Universe, condition_rows, evaluate
from ipcockpit.value.indicators import indicator_table
from ipcockpit.value.legal_status import ENDED, LIVE, STATUS_LABELS, status_ctes, status_params, statuses
from ipcockpit.value.settings import ScreenSettings
from tests.test_value_conditions import build_store

LENS = "lens/drone_drones_fulltext_families_5884.csv"
LENS_ROWS = 15
EARLY, LATE = ScreenSettings(as_of=date(2023, 1, 1)), ScreenSettings(as_of=date(2025, 7, 1))
#: the label each screening answer allows
LABELS = {True: {"in_force"}, False: set(ENDED), None: {"granted"}}


@pytest.fixture(scope="module")
def screen(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    tmp = tmp_path_factory.mktemp("legal")
    with Cockpit(db=build_store(tmp / "screen.duckdb", shared, tmp), read_only=True) as c:
        yield c


def lens_head(shared: Path, folder: Path, rows: int = LENS_ROWS) -> list[dict[str, str]]:
    """The header and first ``rows`` rows of the Lens drone file, copied to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with (shared / LENS).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        kept = [r for _, r in zip(range(rows), reader, strict=False)]
        fields = reader.fieldnames
    with (folder / Path(LENS).name).open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(kept)
    return kept


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[tuple[Cockpit, Path, list]]:
    tmp = tmp_path_factory.mktemp("legal_index")
    lens = lens_head(shared, tmp / "lens")
    c = Cockpit(Settings(db=str(tmp / "search.duckdb")))
    c.ingest([shared / "uspto_xml/weekly_excerpts/ipg120103.small.xml", shared / "cn/table_export_sample",
              tmp / "lens"])
    build_index(c.store.con, tmp / "idx")
    yield c, tmp / "idx", lens
    c.close()


def test_screening_and_fto_agree_on_every_invention_grant(screen: Cockpit) -> None:
    con = screen.store.con
    for settings, counts in (
        (EARLY, {"expired": 784, "not_in_force": 1, "in_force": 4, "granted": 768}),
        (LATE, {"expired": 845, "lapsed": 1, "in_force": 4, "granted": 707}),
    ):
        fto = legal_status(con, None, settings)
        rows = evaluate(con, settings).to_pylist()
        assert len(rows) == 1 + 5 + 1551
        for r in rows:
            s = fto[r["doc_id"]]
            assert s["status"] in LABELS[r["in_force"]], r["doc_id"]
            assert (s["in_force"], s["basis"]) == (r["in_force"], r["if_basis"]), r["doc_id"]
            assert s["expiry_date"] == (r["term_end"] and r["term_end"].isoformat()), r["doc_id"]
        assert Counter(fto[r["doc_id"]]["status"] for r in rows) == counts


def test_family_members_are_judged_by_the_same_rule(screen: Cockpit) -> None:
    con = screen.store.con
    for settings in (EARLY, LATE):
        rows = condition_rows(con, settings, Universe(doc_ids=("EP1000000B1", "CN999999992B")))
        members = {m["doc_id"]: m["in_force"] for r in rows
                   for m in r["conditions"]["overseas_family"]["evidence"]["abroad"]}
        assert sorted(members) == ["AT232441T", "DE69905327D1", "NL1010536C2", "US6093011A", "US9999999B2"]
        # the rule over exactly these publications (stubs and all), straight from its SQL
        sql = f"WITH x AS (SELECT unnest($ids::VARCHAR[]) AS doc_id),{status_ctes('x')} " \
              "SELECT doc_id, in_force FROM ls_status"
        rule = dict(con.execute(sql, {**status_params(settings), "ids": list(members)}).fetchall())
        assert members == rule
        assert rule["NL1010536C2"] is False and rule["US9999999B2"] is True  # filed 1998-11-12; status 有效


def test_known_documents(screen: Cockpit) -> None:
    con = screen.store.con
    ids = ["CN999999994B", "KR200474119Y1", "AU2001100302A4", "CN115883397A", "CN115883397B", "CN215361852U",
           "CN116245100A", "BR7502857A", "CN201532150U"]
    early, late = statuses(con, ids, EARLY), statuses(con, ids, LATE)
    # 无权-未缴年费 decides until the lapse event of 2023-03-01 (失效日期) is in the past
    assert (early["CN999999994B"]["status"], early["CN999999994B"]["basis"]) == ("not_in_force", "status")
    assert (late["CN999999994B"]["status"], late["CN999999994B"]["reason"]) == (
        "lapsed", "lapse on 2023-03-01: 专利权失效 (失效日期: 20230301)")
    # a Korean utility model (Lens row 782, filed 2014-05-02): 10 years
    assert early["KR200474119Y1"]["status"] == "granted" and late["KR200474119Y1"]["status"] == "expired"
    assert late["KR200474119Y1"]["expiry_date"] == "2024-05-02" and late["KR200474119Y1"]["term_years"] == 10
    # an Australian innovation patent (Lens "Limited Patent", filed 2001-08-22): a utility model, 10 years
    au = {d: statuses(con, ["AU2001100302A4"], ScreenSettings(as_of=d))["AU2001100302A4"]
          for d in (date(2011, 8, 21), date(2011, 8, 22))}
    assert (au[date(2011, 8, 21)]["status"], au[date(2011, 8, 22)]["status"]) == ("granted", "expired")
    assert (au[date(2011, 8, 22)]["doc_type"], au[date(2011, 8, 22)]["expiry_date"]) == ("utility_model", "2011-08-22")
    assert early["AU2001100302A4"]["status"] == "expired" and early["AU2001100302A4"]["in_force"] is False
    # a Chinese utility model (Lens "Limited Patent" CN 201532150 U, filed 2009-11-11): 10 years, not 20
    cn_um = late["CN201532150U"]
    assert (cn_um["doc_type"], cn_um["stage"], cn_um["term_years"]) == ("utility_model", "grant", 10)
    assert (cn_um["status"], cn_um["expiry_date"]) == ("expired", "2019-11-11")
    assert late["CN115883397A"]["status"] == "superseded" and late["CN115883397A"]["live"] is False
    assert late["CN115883397B"]["status"] == "in_force" and late["CN115883397B"]["status_label_zh"] == "有效"
    assert late["CN215361852U"]["expiry_date"] == "2031-07-30" and late["CN215361852U"]["live"] is True
    assert late["CN116245100A"]["status"] == "pending" and late["CN116245100A"]["in_force"] is None
    assert late["BR7502857A"]["reason"] == "the 20-year term from filing (1975-05-09) ended on 1995-05-09"
    assert set(STATUS_LABELS) == set(LIVE) | set(ENDED) | {"superseded"}
    # EP: lapses in single contracting states do not decide; the term does
    ep = {s.as_of: condition_rows(con, s, Universe(doc_ids=("EP1000000B1",)))[0]["in_force_detail"]
          for s in (ScreenSettings(as_of=date(2015, 1, 1)), LATE)}
    assert ep[date(2015, 1, 1)]["met"] is None and ep[LATE.as_of]["evidence"]["term_end"] == "2019-11-08"


def test_value_indicators_follow_the_rule(screen: Cockpit) -> None:
    """No remaining term (the value index) exactly where the rule says not in force; designs aside, whose
    shorter design term the indicators apply (indicators.DESIGN_TERM_END_SQL)."""
    for settings in (EARLY, LATE):
        rule = statuses(screen.store.con, None, settings)
        rows = indicator_table(screen, as_of=settings.as_of).to_pylist()
        assert len(rows) == len(rule) == 5900
        apart = [r["doc_id"] for r in rows if (r["remaining_term"] == 0) != (rule[r["doc_id"]]["in_force"] is False)]
        # Lens row 2977: a US design right filed 2005-12-05, granted 2006-11-28: 14 years ended 2020-11-28
        assert [(d, rule[d]["doc_type"], rule[d]["in_force"]) for d in apart] == [("USD532742S1", "design", None)]
    # 无权-未缴年费 before its lapse event: the rule says not in force, so no remaining term
    early = {r["doc_id"]: r for r in indicator_table(screen, as_of=EARLY.as_of, doc_ids=["CN999999994B"]).to_pylist()}
    assert early["CN999999994B"]["remaining_term"] == 0.0


def test_search_index_in_force_is_the_rule(indexed: tuple[Cockpit, Path, list]) -> None:
    c, folder, lens = indexed
    manifest = read_manifest(folder)
    ids, values = manifest.column("doc_id").to_pylist(), manifest.column("in_force").to_pylist()
    force = dict(zip(ids, values, strict=True))
    today = statuses(c.store.con, None, ScreenSettings())  # build_index judges as of today
    assert set(force) == set(today)
    code = {True: 1, False: 0, None: -1}
    for doc_id, value in force.items():
        s = today[doc_id]
        assert value == code[s["in_force"]], doc_id
        if s["status"] == "in_force" or s["status"] in ENDED:  # the label says the same
            assert value == (1 if s["status"] == "in_force" else 0), doc_id
    # the Lens rows give no legal status: only the term from filing can say (0), else unknown (-1); the term is
    # 10 years for a "Limited Patent" (a utility model), 20 for the others
    for row in lens:
        doc_id = row["Publication Number"].replace(" ", "")
        filed = date.fromisoformat(row["Application Date"])
        years = 10 if row["Type"] == "Limited Patent" else 20
        ended = filed.replace(year=filed.year + years) <= date.today()
        assert force[doc_id] == (0 if ended else -1), doc_id
    assert force["CN215361852U"] == 1 and force["CN116245100A"] == -1 and force["US8089085B2"] == -1
    # the search filter keeps exactly those documents
    con = c.store.con
    for value in (True, False):
        rows = search(con, folder, "drone", limit=100, filters={"in_force": value}, mode="semantic",
                      passages=False)
        assert rows and {r["doc_id"] for r in rows} == {d for d, v in force.items() if v == int(value)}
