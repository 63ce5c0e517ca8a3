"""The US patent term in the one in-force rule (:mod:`ipcockpit.value.legal_status`), on the real files.

* The USPTO weekly full-text excerpts (``uspto_xml/weekly_excerpts``, grants of 2005-2013): a utility grant's
  term is 20 years from the earliest US or PCT application its record names as a continuation, division or
  continuation-in-part parent (else from its own filing), plus the patent-term adjustment the record prints
  (``us-term-extension``, days; 35 U.S.C. 154). A terminal disclaimer (``<disclaimer>``) or a parent without
  a date in the record makes that end an upper bound only.
* The PatentsView query exports (``abstracts_us``, grants of 1976-2018, no filing date): the longest term a
  US utility grant can have is 20 years from grant (a term from filing plus an adjustment that never exceeds
  the pendency, or 17 years from grant for applications filed before 1995-06-08) plus the longest
  extension of 35 U.S.C. 156 (5 years): 25 years from grant. Past that, the rights have certainly ended.

Expected values are computed here from the raw files with regular expressions and the csv module, not
with ipcockpit's readers. ``AS_OF`` is the day of the audit that found the defects (issue 12).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.indicators import indicator_table
from ipcockpit.value.legal_status import statuses
from ipcockpit.value.settings import ScreenSettings

AS_OF = date(2026, 12, 5)
WEEKS = "uspto_xml/weekly_excerpts"
PATENTSVIEW = ["abstracts_us/baseball_patent_query.csv", "abstracts_us/neural_network_patent_query.csv"]
PARENTS = ("continuation", "continuation-in-part", "division")


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def xml_utility_grants(folder: Path) -> dict[str, dict]:
    """doc_id -> filing date, adjustment days, parent filing dates (None for a parent without a date),
    terminal disclaimer, grant date: every ``appl-type="utility"`` grant of the weekly ``ipg`` files."""
    found = {}
    for path in sorted(folder.glob("ipg*.xml")):
        for doc in path.read_text(encoding="utf-8").split("<?xml ")[1:]:
            app = re.search(r'<application-reference appl-type="utility">.*?<date>(\d{8})</date>', doc, re.S)
            if not app or "<us-patent-grant" not in doc:
                continue
            num, kind, granted = re.search(r"<publication-reference>.*?<doc-number>0*(\d+)</doc-number>\s*"
                                           r"<kind>(\w+)</kind>\s*<date>(\d{8})</date>", doc, re.S).groups()
            term = re.search(r"<us-term-of-grant>(.*?)</us-term-of-grant>", doc, re.S)
            pta = re.search(r"<us-term-extension>(\d+)</us-term-extension>", term.group(1)) if term else None
            parents = []
            relations = "|".join(PARENTS)
            for rel in re.finditer(rf"<({relations})>(.*?)</\1>", doc, re.S):
                parent = re.search(r"<parent-doc>\s*<document-id>(.*?)</document-id>", rel.group(2), re.S)
                day = re.search(r"<date>(\d{8})</date>", parent.group(1)) if parent else None
                parents.append(_ymd(day.group(1)) if day else None)
            found[f"US{num}{kind}"] = {
                "filed": _ymd(app.group(1)), "granted": _ymd(granted), "pta": int(pta.group(1)) if pta else 0,
                "parents": parents, "disclaimer": bool(term and "<disclaimer>" in term.group(1)),
            }
    return found


def term_end(g: dict) -> date:
    """20 years from the earliest of the filing and the dated parents, plus the adjustment."""
    start = min([g["filed"], *(p for p in g["parents"] if p)])
    return add_years(start, 20) + timedelta(days=g["pta"])


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    c = Cockpit(db=tmp_path_factory.mktemp("us_term") / "weeks.duckdb")
    reports = c.ingest([shared / WEEKS])
    assert all(r.error is None for r in reports)
    yield c
    c.close()


@pytest.fixture(scope="module")
def patentsview(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    c = Cockpit(db=tmp_path_factory.mktemp("us_term") / "patentsview.duckdb")
    reports = c.ingest([shared / p for p in PATENTSVIEW])
    assert all(r.error is None and r.quarantined == 0 for r in reports)
    yield c
    c.close()


def test_adjusted_term_of_the_weekly_grants(weeks: Cockpit, shared: Path) -> None:
    grants = xml_utility_grants(shared / WEEKS)
    assert len(grants) == 154 and sum(g["pta"] > 0 for g in grants.values()) == 96
    assert all(g["filed"] >= date(1995, 6, 8) for g in grants.values())  # none has the 17-years-from-grant term
    got = statuses(weeks.store.con, sorted(grants), ScreenSettings(as_of=AS_OF))
    assert set(got) == set(grants)
    for doc_id, g in grants.items():
        end = term_end(g)
        s = got[doc_id]
        assert s["expiry_date"] == end.isoformat(), doc_id
        assert (s["basis"] == "term") is (end <= AS_OF), doc_id
        assert s["in_force"] is (False if end <= AS_OF else None), doc_id  # no status text, no events
        assert s["term_adjustment_days"] == (g["pta"] or None), doc_id
    # the grants the audit named: 20 years from filing ended in 2026, the adjusted term runs on
    for doc_id, filed, days, end in (("US7642270B2", "2006-09-12", 493, "2028-01-18"),
                                     ("US7643488B2", "2006-09-29", 329, "2027-08-24"),
                                     ("US8090141B2", "2006-01-31", 1565, "2030-05-15")):
        s = got[doc_id]
        assert (s["filing_date"], s["term_adjustment_days"], s["expiry_date"]) == (filed, days, end)
        assert (s["status"], s["in_force"], s["live"]) == ("granted", None, True)
        assert f"plus a {days}-day patent-term adjustment" in s["reason"]
        assert f"另加专利期限调整{days}天" in s["reason_zh"]
    # 20 years from filing ended 103 of them by AS_OF. 9 of those run on with their adjustment; 7 others, whose
    # earliest parent was filed years before them, ended although 20 years from their own filing have not
    by_filing = {d for d, g in grants.items() if add_years(g["filed"], 20) <= AS_OF}
    ended = {d for d, s in got.items() if s["basis"] == "term"}
    assert (len(by_filing), len(ended)) == (103, 101)
    assert sorted(by_filing - ended) == ["US7642029B2", "US7642270B2", "US7642712B2", "US7643488B2", "US7643552B2",
                                         "US7643624B2", "US7644137B2", "US8089389B2", "US8090141B2"]
    assert sorted(ended - by_filing) == ["US7642321B2", "US8088102B2", "US8088512B2", "US8089324B2", "US8089596B2",
                                         "US8420318B2", "US8420883B2"]
    # US8420883B2, filed 2011-11-22, continues a chain that starts with an application filed 1994-11-28
    assert got["US8420883B2"]["expiry_date"] == "2014-11-28"


def test_continuations_and_terminal_disclaimers(weeks: Cockpit, shared: Path) -> None:
    grants = xml_utility_grants(shared / WEEKS)
    got = statuses(weeks.store.con, sorted(grants), ScreenSettings(as_of=AS_OF))
    # US7640932B2: CIP of a 2003 application, itself a division of 2001, a continuation of 1998 and of the
    # PCT application PCT/US98/05573 filed 1998-04-03: 20 years from that, plus 715 days
    s = got["US7640932B2"]
    assert (s["term_start"], s["term_from"], s["expiry_date"]) == ("1998-04-03", "parent", "2020-03-18")
    assert s["reason"] == ("the 20-year term from the earliest parent application (1998-04-03) plus a 715-day "
                           "patent-term adjustment ended on 2020-03-18")
    assert s["reason_zh"] == "自最早母案申请日1998-04-03起20年保护期另加专利期限调整715天已于2020-03-18届满"
    doubtful = {d for d, g in grants.items() if g["disclaimer"] or None in g["parents"]}
    assert sorted(d for d, g in grants.items() if g["disclaimer"]) == [
        "US6982404B2", "US6982661B2", "US7158629B2", "US7642029B2", "US8088102B2", "US8089389B2", "US8420883B2"]
    assert [d for d, g in grants.items() if None in g["parents"]] == ["US8420021B2"]
    for doc_id in grants:
        assert (got[doc_id]["term_end_is"] == "at_most") is (doc_id in doubtful), doc_id
    # a terminal disclaimer: the term ends at the latest on the computed day, maybe earlier
    td = got["US8089389B2"]  # filed 2006-07-25, 1,426 days of adjustment, terminal disclaimer
    assert (td["expiry_date"], td["status"], td["in_force"]) == ("2030-06-20", "granted", None)
    assert "terminal disclaimer" in td["reason"] and "at the latest" in td["reason"]
    assert "终期声明" in td["reason_zh"] and "最迟" in td["reason_zh"]
    undated = got["US8420021B2"]
    assert "a parent application without a date" in undated["reason"] and "母案申请日不详" in undated["reason_zh"]
    # the screening says the same, with the doubt in its evidence; the value index gives no remaining term
    # for a term a terminal disclaimer may have shortened
    row = condition_rows(weeks.store.con, ScreenSettings(as_of=AS_OF), Universe(doc_ids=("US8089389B2",)))[0]
    detail = row["in_force_detail"]
    assert detail["met"] is None and detail["evidence"]["term_end"] == "2030-06-20"
    assert detail["evidence"]["terminal_disclaimer"] is True and detail["evidence"]["term_end_is"] == "at_most"
    assert "terminal disclaimer" in detail["reason"] and "终期声明" in detail["reason_zh"]
    ind = {r["doc_id"]: r for r in indicator_table(weeks.store.con, as_of=AS_OF, doc_ids=["US8089389B2", "US7642270B2"])
           .to_pylist()}
    assert ind["US8089389B2"]["remaining_term"] is None
    assert ind["US7642270B2"]["remaining_term"] == round((date(2028, 1, 18) - AS_OF).days / 365.25, 3)


def test_every_rule_user_agrees_on_the_weekly_grants(weeks: Cockpit) -> None:
    """Screening, FTO labels and the value index read the same term end and the same answer."""
    con = weeks.store.con
    settings = ScreenSettings(as_of=AS_OF)
    rule = statuses(con, None, settings)
    rows = {r["publication_number"]: r for r in condition_rows(con, settings)}
    ind = {r["doc_id"]: r for r in indicator_table(weeks.store.con, as_of=AS_OF).to_pylist()}
    assert rows and set(rows) <= set(rule) and set(ind) == set(rule)
    for doc_id, r in rows.items():
        assert r["in_force"] is rule[doc_id]["in_force"], doc_id
        assert (r["in_force_detail"]["evidence"] or {}).get("term_end") in (rule[doc_id]["expiry_date"], None)
    for doc_id, s in rule.items():
        assert (ind[doc_id]["remaining_term"] == 0) is (s["in_force"] is False), doc_id


def patentsview_grants(shared: Path) -> dict[str, date]:
    """doc_id -> grant date of the utility grants (plain numbers) of the PatentsView exports."""
    found = {}
    for name in PATENTSVIEW:
        with (shared / name).open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["patent_number"].isdigit():
                    found[f"US{int(row['patent_number'])}"] = date.fromisoformat(row["patent_date"])
    return found


def test_grants_without_filing_date_end_with_their_longest_possible_term(patentsview: Cockpit,
                                                                         shared: Path) -> None:
    grants = patentsview_grants(shared)
    assert len(grants) == 5_571 and sum(g.year <= 1999 for g in grants.values()) == 2_402
    con = patentsview.store.con
    [(no_filing,)] = con.execute("SELECT count(*) FROM documents WHERE app_date IS NULL").fetchall()
    assert no_filing == 6_186  # no row of the exports has a filing date
    got = statuses(con, sorted(grants), ScreenSettings(as_of=AS_OF))
    ended = {d for d, g in grants.items() if add_years(g, 25) <= AS_OF}
    assert len(ended) == 2_796  # granted on or before 2001-12-04 (the grants of 2001-12-11 run on)
    assert {d for d, s in got.items() if s["in_force"] is False} == ended
    assert all(got[d]["basis"] == "term" and got[d]["status"] == "expired" for d in ended)
    assert {got[d]["in_force"] for d in set(grants) - ended} == {None}
    assert all(got[d]["expiry_date"] is None for d in grants)  # the day itself is not known
    s = got["US5269177"]  # granted 1993-12-14
    assert (s["latest_expiry_date"], s["term_end_is"]) == ("2018-12-14", "latest_possible")
    assert s["reason"] == ("no filing date in the data; granted 1993-12-14, so the longest possible US term "
                           "(20 years from grant, plus at most 5 years of extension under 35 U.S.C. 156) "
                           "ended on 2018-12-14")
    assert s["reason_zh"] == ("数据中无申请日；授权日为1993-12-14，美国专利最长可能的保护期（授权后20年，"
                              "另加35 U.S.C. 156规定的最多5年延长）已于2018-12-14届满")
    # the screening: every one of them ended, the reason says the bound, and the index has no remaining term
    rows = condition_rows(con, ScreenSettings(as_of=AS_OF))
    screened = Counter((r["in_force"], r["grant_date"] <= "2001-12-04") for r in rows if r["office"] == "US")
    assert screened[(None, True)] == 0 and screened[(False, True)] >= len(ended)
    row = next(r for r in rows if r["publication_number"] == "US5269177")
    assert row["in_force_detail"]["evidence"] == {
        "basis": "term", "filing_date": None, "grant_date": "1993-12-14", "term_end": None,
        "latest_possible_end": "2018-12-14", "term_end_is": "latest_possible"}
    ind = {r["doc_id"]: r for r in indicator_table(patentsview.store.con, as_of=AS_OF,
                                                   doc_ids=["US5269177", "US6330546"]).to_pylist()}
    assert ind["US5269177"]["remaining_term"] == 0.0 and ind["US6330546"]["remaining_term"] is None
