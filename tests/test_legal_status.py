"""The one in-force rule (:mod:`ipcockpit.value.legal_status`) and its three users agree, on real data.

Three stores: the high-value screening store of ``tests/test_value_conditions.py`` (CN table export and its
constructed rows, SEI table, award list, EPO OPS family and legal fixtures, the 5,884 Lens drone rows,
USPTO assignments), a search store (25 USPTO grants of 3 January 2012, the CN table export and the
first 15 rows of the Lens drone file) with its search index, and a design store (the USPTO week of 196
design grants of 27 March 2012 and the Lens pizza export) for the design term.

Counts were checked without ipcockpit, with pandas on the Lens CSV: 1,551 Lens rows are invention grants
(type "Granted Patent" or "Ammended Patent", or type "unknown" with a B/C kind); 845 of them were filed
20 years or more before 2025-07-01 and 784 before 2023-01-01. One of them, US7286922B1, was filed
before 1995-06-08 and granted in 2007: its term is 17 years from grant, so it ended on 2024-10-23.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
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
from tests.test_value_conditions import screen_store

LENS = "lens/drone_drones_fulltext_families_5884.csv"
DESIGN_WEEK = "uspto_xml/weekly_excerpts/ipg120327.196.xml"
PIZZA = "lens/pizza_lens_1000_raw.csv"
PLTIA = date(2015, 5, 13)  # US designs filed from this day: 15 years from grant, else 14
LENS_ROWS = 15
EARLY, LATE = ScreenSettings(as_of=date(2023, 1, 1)), ScreenSettings(as_of=date(2025, 7, 1))
#: the label each screening answer allows
LABELS = {True: {"in_force"}, False: set(ENDED), None: {"granted"}}
#: utility-model terms in years from filing, restated from the laws (not read from ipcockpit): AU innovation
#: patents 8, BR 15, these offices 10, every other office 15 (the longest, so that "ended" is certain)
UM_TEN = {"CN", "DE", "AT", "JP", "KR", "TW", "CZ", "SK", "PL", "ES", "IT", "RU", "UA"}


def um_years(office: str) -> int:
    return {"AU": 8, "BR": 15}.get(office, 10 if office in UM_TEN else 15)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@pytest.fixture(scope="module")
def screen(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    with Cockpit(db=screen_store(tmp_path_factory, shared, "legal"), read_only=True) as c:
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


@pytest.fixture(scope="module")
def designs(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    c = Cockpit(db=tmp_path_factory.mktemp("legal_designs") / "designs.duckdb")
    reports = c.ingest([shared / DESIGN_WEEK, shared / PIZZA])
    assert all(r.error is None and r.quarantined == 0 for r in reports)
    yield c
    c.close()


def _ymd(text: str) -> date:
    return date(int(text[:4]), int(text[4:6]), int(text[6:]))


def xml_designs(path: Path) -> dict[str, tuple[date, date]]:
    """doc_id -> (filing date, grant date) of the design grants of a USPTO weekly file, by regular expressions:
    each document with an ``<application-reference appl-type="design">`` (its date: the filing), the grant
    number, kind and date from ``<publication-reference>``."""
    found = {}
    for doc in path.read_text(encoding="utf-8").split("<?xml ")[1:]:
        filed = re.search(r'<application-reference appl-type="design">.*?<date>(\d{8})</date>', doc, re.S)
        if filed:
            num, kind, granted = re.search(r"<publication-reference>.*?<doc-number>D0*(\d+)</doc-number>\s*"
                                           r"<kind>(S\d?)</kind>\s*<date>(\d{8})</date>", doc, re.S).groups()
            found[f"USD{num}{kind}"] = (_ymd(filed.group(1)), _ymd(granted))
    return found


def lens_designs(path: Path) -> dict[str, tuple[date, date]]:
    """doc_id -> (filing date, grant date) of the Lens "Design right" rows, by the csv module. The pizza export
    writes day-first two-digit years (``21/07/15``), the year of the publication date as the week-based year
    (``28/12/11`` for 2010-12-28): its Publication Year column gives the grant's year."""
    text = path.read_bytes().decode("latin-1")  # only numbers and dates are read
    found = {}
    for row in csv.DictReader(io.StringIO(text, newline="")):
        if row["Type"].lower() != "design right":
            continue
        (fd, fm, fy), (gd, gm, _) = (map(int, row[c].split("/")) for c in ("Application Date", "Publication Date"))
        found[row["Publication Number"].replace(" ", "")] = (
            date(fy + (2000 if fy < 50 else 1900), fm, fd), date(int(row["Publication Year"]), gm, gd))
    return found


def us_design_term_end(filed: date, granted: date) -> date:
    years = 15 if filed >= PLTIA else 14
    return granted.replace(year=granted.year + years)


def test_us_designs_end_with_their_design_term(designs: Cockpit, shared: Path) -> None:
    """A US design's rights end (basis ``term``, label ``expired``) 14 years from grant, 15 when filed from
    2015-05-13, exactly on that day, whatever 20 years from filing would say. The shared data holds no CN
    design (the Lens exports' design rights are all US; the cn/ sets are inventions and utility models)."""
    week, pizza = xml_designs(shared / DESIGN_WEEK), lens_designs(shared / PIZZA)
    assert len(week) == 196 and len(pizza) == 84
    assert {g for _, g in week.values()} == {date(2012, 3, 27)} and all(f < PLTIA for f, _ in week.values())
    # the pizza designs filed before and granted after 2015-05-13 still get 14 years
    late = {d: v for d, v in pizza.items() if v[1] >= PLTIA}
    assert sorted(late) == ["USD730105S1", "USD732333S1", "USD734645S1", "USD739187S1"]
    assert all(f < PLTIA for f, _ in late.values())
    assert us_design_term_end(*pizza["USD734645S1"]) == date(2029, 7, 21)  # filed 2014-02-24, granted 2015-07-21
    known = {**week, **pizza}
    con = designs.store.con
    ends = {d: us_design_term_end(f, g) for d, (f, g) in known.items()}
    days = {date(2023, 1, 1), date(2025, 7, 1), date(2026, 3, 26), date(2026, 3, 27), date(2029, 7, 20),
            date(2029, 7, 21), date(2029, 12, 31)}
    for day in sorted(days):
        got = statuses(con, sorted(known), ScreenSettings(as_of=day))
        assert set(got) == set(known)
        for doc_id, end in ends.items():
            s = got[doc_id]
            assert (s["doc_type"], s["term_years"], s["expiry_date"]) == ("design", 14, end.isoformat()), doc_id
            ended = end <= day
            assert (s["basis"] == "term", s["status"] == "expired") == (ended, ended), (doc_id, day)
            assert s["in_force"] is (False if ended else None), (doc_id, day)  # no status text, no events
        if day == date(2026, 3, 27):  # the week's 196 designs end together
            assert sum(got[d]["basis"] == "term" for d in week) == 196
            assert got["USD656296S1"]["reason"] == "the 14-year term from grant (2012-03-27) ended on 2026-03-27"
    late_rule = statuses(con, ["USD734645S1"], ScreenSettings(as_of=date(2029, 7, 21)))["USD734645S1"]
    assert late_rule["reason_zh"] == "自授权日2015-07-21起14年保护期已于2029-07-21届满"
    # the Canadian designs of the pizza file (kind S): 25 years from filing, when the filing date is known
    ca = statuses(con, ["CA152634S", "CA47869S"], ScreenSettings(as_of=date(2038, 8, 29)))
    assert (ca["CA152634S"]["term_years"], ca["CA152634S"]["expiry_date"]) == (25, "2038-08-29")
    assert ca["CA152634S"]["status"] == "expired" and ca["CA47869S"]["expiry_date"] is None


@pytest.mark.slow
def test_screening_and_fto_agree_on_every_invention_grant(screen: Cockpit) -> None:
    con = screen.store.con
    for settings, counts in (
        # US7286922B1 (Lens row; filed 1995-02-22, granted 2007-10-23): 17 years from grant, to 2024-10-23;
        # RU2233666C1 was filed 2002-12-30 (its row's Application Date 2003-12-30 has the week-based year;
        # Priority Numbers dates the same application 20021230): its term ended 2022-12-30
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
    # an Australian innovation patent (Lens "Limited Patent", filed 2001-08-22): a utility model, 8 years
    au = {d: statuses(con, ["AU2001100302A4"], ScreenSettings(as_of=d))["AU2001100302A4"]
          for d in (date(2009, 8, 21), date(2009, 8, 22))}
    assert (au[date(2009, 8, 21)]["status"], au[date(2009, 8, 22)]["status"]) == ("granted", "expired")
    assert (au[date(2009, 8, 22)]["doc_type"], au[date(2009, 8, 22)]["expiry_date"]) == ("utility_model", "2009-08-22")
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


def drone_utility_models(shared: Path) -> dict[str, tuple[str, date]]:
    """doc_id -> (office, filing date) of the utility models of the Lens drone file, by the csv module: rows of
    Type "Limited Patent", and rows of Type "unknown" or "ambiguous" whose kind is a utility-model kind (U, Y)."""
    found = {}
    with (shared / LENS).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            kind, office = row["Kind"], row["Jurisdiction"]
            if row["Type"] == "Limited Patent" or (row["Type"] in ("unknown", "ambiguous") and kind[:1] in "UY"):
                doc_id = row["Publication Number"].replace(" ", "").replace("/", "")
                filed = date.fromisoformat(row["Application Date"])
                # a late-December Application Date can carry the week-based year (issue 12): the same
                # application's own entry in Priority Numbers gives its filing date
                app = row["Application Number"].rsplit(" ", 1)[0]
                for p in row["Priority Numbers"].split(";;"):
                    if p.rsplit(" ", 2)[0] == app and p[-8:].isdigit():
                        filed = date(int(p[-8:-4]), int(p[-4:-2]), int(p[-2:]))
                found[doc_id] = (office, filed)
    return found


def test_utility_models_have_the_term_of_their_office(screen: Cockpit, shared: Path) -> None:
    """Utility models end with their office's term from filing: 10 years in CN, DE, KR ..., 8 for AU
    innovation patents, 15 (the longest, BR's) for offices not in the table. The shared data holds no BR
    utility model with a filing date (the PATENTSCOPE pizza export lists BRMU9003027 without one, and no
    store here reads it)."""
    con = screen.store.con
    ums = drone_utility_models(shared)
    assert Counter(o for o, _ in ums.values()) == {"CN": 153, "AU": 17, "UA": 12, "DE": 9, "BG": 4, "KR": 4,
                                                    "TW": 3, "CZ": 2, "RO": 1}
    got = statuses(con, sorted(ums), LATE)
    assert set(got) == set(ums)
    for doc_id, (office, filed) in ums.items():
        years = um_years(office)
        assert (got[doc_id]["doc_type"], got[doc_id]["term_years"]) == ("utility_model", years), doc_id
        end = add_years(filed, years)
        if office in ("DE", "AT"):  # to the end of the month: the first day not in force is the 1st of the next
            end = date(end.year + end.month // 12, end.month % 12 + 1, 1)
        assert got[doc_id]["expiry_date"] == end.isoformat(), doc_id
    # 6 AU innovation patents of the file (filed 2015-10-28 to 2016-07-11) ended by 2025-07-01 with 8 years,
    # not with 10; RO201200044U1 (RO is not in the table) did not end with 10 years
    au_late = sorted(d for d, (o, f) in ums.items() if o == "AU" and add_years(f, 8) <= LATE.as_of < add_years(f, 10))
    assert au_late == ["AU2015100998A4", "AU2016100108A4", "AU2016100340A4", "AU2016100478A4", "AU2016100484A4",
                       "AU2016101054A4"]
    assert all(got[d]["status"] == "expired" and got[d]["in_force"] is False for d in au_late)

    def at(doc_id: str, *days: date) -> list[tuple[str, bool | None, str]]:
        rows = [statuses(con, [doc_id], ScreenSettings(as_of=d))[doc_id] for d in days]
        return [(r["status"], r["in_force"], r["expiry_date"]) for r in rows]

    # AU 2001/100302 A4, filed 2001-08-22: 8 years, to 2009-08-22
    assert at("AU2001100302A4", date(2009, 8, 21), date(2009, 8, 22)) == [
        ("granted", None, "2009-08-22"), ("expired", False, "2009-08-22")]
    au = statuses(con, ["AU2001100302A4"], ScreenSettings(as_of=date(2009, 8, 22)))["AU2001100302A4"]
    assert (au["term_years"], au["basis"]) == (8, "term")
    assert au["reason"] == "the 8-year term from filing (2001-08-22) ended on 2009-08-22"
    # a CN utility model of the Lens file (CN 201532150 U, filed 2009-11-11): 10 years
    assert at("CN201532150U", date(2019, 11, 10), date(2019, 11, 11)) == [
        ("granted", None, "2019-11-11"), ("expired", False, "2019-11-11")]
    # a CN utility model of the cn/ table export (法律状态 有权-审定授权, filed 2021-07-30): in force by its
    # status until its 10 years end, then the term decides
    assert at("CN215361852U", date(2031, 7, 29), date(2031, 7, 30)) == [
        ("in_force", True, "2031-07-30"), ("expired", False, "2031-07-30")]
    # a Ukrainian utility model (UA 54163 U, filed 2010-05-13): UA is in the table, 10 years
    assert at("UA54163U", date(2020, 5, 12), date(2020, 5, 13)) == [
        ("granted", None, "2020-05-13"), ("expired", False, "2020-05-13")]
    # a German utility model ends at the end of the month of its tenth anniversary (GebrMG § 23 (1))
    de = sorted((f, d) for d, (o, f) in ums.items() if o == "DE" and f.day != 1)[0]
    last = add_years(de[0], 10)
    first_out = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    assert at(de[1], last, first_out - timedelta(days=1), first_out) == [
        ("granted", None, first_out.isoformat())] * 2 + [("expired", False, first_out.isoformat())], de
    # a Romanian utility model (RO 201200044 U1, Lens Type "unknown", filed 2012-07-13): RO is not in the
    # table, 15 years, to 2027-07-13; 10 years would have ended it on 2022-07-13
    assert at("RO201200044U1", LATE.as_of, date(2027, 7, 12), date(2027, 7, 13)) == [
        ("granted", None, "2027-07-13"), ("granted", None, "2027-07-13"), ("expired", False, "2027-07-13")]


def test_value_indicators_follow_the_rule(screen: Cockpit) -> None:
    """No remaining term (the value index) exactly where the rule says not in force, designs included."""
    for settings in (EARLY, LATE):
        rule = statuses(screen.store.con, None, settings)
        rows = indicator_table(screen.store.con, as_of=settings.as_of).to_pylist()
        assert len(rows) == len(rule) == 5900
        apart = [r["doc_id"] for r in rows if (r["remaining_term"] == 0) != (rule[r["doc_id"]]["in_force"] is False)]
        assert apart == []
        # Lens row 2977: a US design right filed 2005-12-05, granted 2006-11-28: 14 years ended 2020-11-28
        design = rule["USD532742S1"]
        assert (design["doc_type"], design["in_force"], design["status"], design["expiry_date"]) == (
            "design", False, "expired", "2020-11-28")
    # 无权-未缴年费 before its lapse event: the rule says not in force, so no remaining term
    early = {r["doc_id"]: r
             for r in indicator_table(screen.store.con, as_of=EARLY.as_of, doc_ids=["CN999999994B"]).to_pylist()}
    assert early["CN999999994B"]["remaining_term"] == 0.0


@pytest.mark.slow
def test_search_index_in_force_is_the_rule(indexed: tuple[Cockpit, Path, list], shared: Path) -> None:
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
    # the Lens rows give no legal status: only the term can say (0), else unknown (-1); the term is the
    # office's utility-model term from filing for a "Limited Patent" (um_years: the 4 BG rows among these 15,
    # filed 1976-1981, get 15 years), 14 years from grant (the publication date) for a US "Design right" filed
    # before 2015-05-13 and 15 for one filed later, 20 years from filing for the others
    for row in lens:
        doc_id = row["Publication Number"].replace(" ", "")
        filed, published = date.fromisoformat(row["Application Date"]), date.fromisoformat(row["Publication Date"])
        if row["Type"].lower() == "design right" and row["Jurisdiction"] == "US":
            end = us_design_term_end(filed, published)
        else:
            end = add_years(filed, um_years(row["Jurisdiction"]) if row["Type"] == "Limited Patent" else 20)
        assert force[doc_id] == (0 if end <= date.today() else -1), doc_id
    # the week's 3 designs (granted 2012-01-03, filed 2010-2011): 14 years from grant, to 2026-01-03
    week = xml_designs(shared / "uspto_xml/weekly_excerpts/ipg120103.small.xml")
    assert len(week) == 3
    for doc_id, (filed, granted) in week.items():
        assert force[doc_id] == (0 if us_design_term_end(filed, granted) <= date.today() else -1), doc_id
    assert force["CN215361852U"] == 1 and force["CN116245100A"] == -1 and force["US8089085B2"] == -1
    # the search filter keeps exactly those documents
    con = c.store.con
    for value in (True, False):
        rows = search(con, folder, "drone", limit=100, filters={"in_force": value}, mode="semantic",
                      passages=False, weaker=True)  # every document the filter leaves, relevant or not
        assert rows and {r["doc_id"] for r in rows} == {d for d, v in force.items() if v == int(value)}
