"""The value indicators and the one in-force rule (:mod:`ipcockpit.value.legal_status`) agree, on real data.

The store holds every real shared file that carries legal status or legal events, or kinds of rights
with their own terms: the CN 专利总表 dump (法律状态 有权/审中, CN inventions and utility models), the EPO
OPS family and legal-event fixtures (EP lapses in single contracting states), the USPTO PEDS histories
(status texts, abandonment, expiry and restoration events), the USPTO weekly full-text excerpts (196
design grants of 2012-03-27 among others) and the Lens drone and pizza exports (utility models as
"Limited Patent", design rights).

A document whose rights the rule says ended (``in_force`` false) has no remaining term in the
indicators (``remaining_term`` 0) and never counts as having survived an invalidation; a document the
rule does not call ended has a remaining term above 0 or none known. There is no exception: designs too
get the rule's term (their design term, rule 1 of the module).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.value.indicators import indicator_table
from ipcockpit.value.legal_status import statuses
from ipcockpit.value.settings import ScreenSettings

pytestmark = pytest.mark.slow  # every test uses the module's store (~8 s to build)

FILES = ["cn/table_export_sample", "epo_ops/family/fixtures/family_input.xml",
         *(f"epo_ops/legal/fixtures/example_{i}.xml" for i in (1, 2, 3)), "uspto_api/peds_bulk",
         "uspto_api/peds/fixtures/app_1_input.json", "uspto_xml/weekly_excerpts",
         "lens/drone_drones_fulltext_families_5884.csv", "lens/pizza_lens_1000_raw.csv"]
#: non-stub documents in the store (every one is checked)
DOCUMENTS = 7271
#: as_of -> (rule says in force, not in force, cannot tell).
#:
#: The rule gave designs the 20-year invention term until it learned the design term; the counts were then
#: (8, 1826, 5437) and (8, 2379, 4884). The designs were recounted without ipcockpit: regular expressions
#: over the weekly XML (each document with an <application-reference appl-type="design">: 216 grants, the
#: grant date in <publication-reference>, the filing date in <application-reference>) and the csv module
#: over the Lens files (Type "Design right", all US: 11 drone rows, 84 pizza rows; Application Date and
#: Publication Date, the grant). All 311 are US designs: 14 years from grant (297 filed and granted before
#: 2015-05-13, 13 filed before and granted after it), 15 years for the one filed after it (USD763551S1,
#: filed 2015-06-04). Their 14/15 years from grant ended for 54 by 2023-01-01 (12 weekly XML grants of
#: 2006-2008, 1 drone row, 41 pizza rows) and for 73 by 2025-07-01 (add the 3 XML grants of 2010-01-05 and
#: 16 pizza rows); 20 years from filing had ended for 14 and 34 of them, and for none whose design term had
#: not, so 40 and 39 documents move from "cannot tell" to "not in force":
#: 2023-01-01: 1826 + 40 = 1866 not, 5437 - 40 = 5397 unknown; 2025-07-01: 2379 + 39 = 2418, 4884 - 39 = 4845.
#: No design has a legal status text or event. The 4 Canadian designs of the pizza file (Type "unknown",
#: kind S; 25 years from filing) change nothing: three have no filing date, CA152634S was filed 2013-08-29.
#: USD629684S1 of the pizza file (publication date "28/12/11", Publication Year 2010: the export writes the
#: week-based year) was granted 2010-12-28; filed 2010-01-13, its 14 years from grant end 2024-12-28: not by
#: 2023-01-01, but by 2025-07-01. Reading the cell as 2011-12-28 would end it 2025-12-28 and give 2417.
#:
#: Utility models then got the office's term (legal_status.UTILITY_MODEL_TERMS) instead of 10 years for all.
#: Counted without ipcockpit, with the csv module over the two Lens files: 282 utility models (Type "Limited
#: Patent", or Type "unknown" with a U/Y kind): CN 163, KR 48, AU 20, TW 14, UA 13, DE 11, CZ 6, BG 4, RO 1,
#: PL 1, SK 1, none without a filing date. AU innovation patents now have 8 years: 3 more ended by 2023-01-01
#: (AU2013101596A4, AU2014100554A4, AU2014101256A4, filed 2013-12-05 to 2014-10-15) and 7 more by 2025-07-01
#: (filed 2015-07-03 to 2016-07-11). BG and RO are not in the table (15 years, the longest): the 4 BG rows
#: were filed 1976-1981 and end either way; RO201200044U1 (filed 2012-07-13, no status, no events) no longer
#: ended on 2022-07-13 but runs to 2027-07-13, so it moves from "not in force" to "cannot tell" at both dates:
#: 2023-01-01: 1866 + 3 - 1 = 1868 not, 5397 - 3 + 1 = 5395 unknown; 2025-07-01: 2418 + 7 - 1 = 2424,
#: 4845 - 7 + 1 = 4839.
#:
#: Then the 46 Lens rows typed "Patent Application" whose kind is a utility model's (CN U 9, KR U 30, PL U1 4,
#: IT U1 3) became utility models (10 years instead of 20). Counted with the csv module: those whose 10 years
#: ended by as_of while 20 would not have: 30 at 2023-01-01 (KR 25, PL 2, IT 3) and 34 at 2025-07-01 (KR 30,
#: PL 1, IT 3); none has a status or event. 1868 + 30 = 1898 and 5395 - 30 = 5365; 2424 + 34 = 2458 and
#: 4839 - 34 = 4805.
#:
#: Then late-December filing dates written with the week-based year (issue 12) were read a year earlier from
#: the same application's date in Priority Numbers or a filing after the publication: RU2233666C1 (filed
#: 2002-12-30, not 2003-12-30) ended by 2023-01-01 (by 2025-07-01 either way); CN1796549A, CN1796570A (filed
#: 2004-12-27) and CN204386782U, CN204386784U, CN204415738U, CN204694208U (utility models filed in December
#: 2014) by 2025-07-01:
#: 1898 + 1 = 1899, 5365 - 1 = 5364; 2458 + 6 = 2464, 4805 - 6 = 4799.
#:
#: Then the US term became the statute's (issue 12): 20 years from the earliest continuation, division or
#: continuation-in-part parent the record names, plus the patent-term adjustment it prints, and 17 years from
#: grant when longer for applications filed before 1995-06-08. Counted without ipcockpit (regular expressions
#: over the weekly XML, as tests/test_us_term.py does, and the csv module over the Lens files): by 2023-01-01
#: 11 XML grants ended by their parents' dates (US6837514B1 ... US8420883B2, filed 2011 from a 1994 chain) and
#: 7 ended by 20 years from filing run on with their adjustment (US6837124B2 ... US7314687B2); the Lens drone
#: row US7286922B1 (filed 1995-02-22, granted 2007-10-23) runs 17 years from grant, to 2024-10-23, not to
#: 2015-02-22: 1899 + 11 - 7 - 1 = 1902 not, 5364 - 3 = 5361 unknown. By 2025-07-01 8 grants ended by their
#: parents, 12 run on with their adjustment, and the CIP application US20060288462A1 (filed 2006-06-22, parent
#: filed 2005-06-22) would have ended on 2025-06-22: 2464 + 8 - 12 + 1 = 2461, 4799 + 3 = 4802.
EXPECTED = {
    date(2023, 1, 1): (8, 1902, 5361),
    date(2025, 7, 1): (8, 2461, 4802),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    c = Cockpit(db=tmp_path_factory.mktemp("in_force") / "store.duckdb")
    reports = c.ingest([shared / f for f in FILES])
    assert all(r.error is None and r.quarantined == 0 for r in reports)
    yield c
    c.close()


@pytest.mark.parametrize("as_of", sorted(EXPECTED))
def test_indicators_count_alive_what_the_rule_does_not_call_ended(store: Cockpit, as_of: date) -> None:
    rule = statuses(store.store.con, None, ScreenSettings(as_of=as_of))
    rows = indicator_table(store.store.con, as_of=as_of).to_pylist()
    assert len(rows) == len(rule) == DOCUMENTS
    disagree = Counter()
    for r in rows:
        ended_by_rule = rule[r["doc_id"]]["in_force"] is False
        if ended_by_rule and r["invalidation_survived"] == 1:
            disagree["survived"] += 1
        if (r["remaining_term"] == 0) != ended_by_rule:
            disagree[r["doc_id"]] += 1
        elif not ended_by_rule and r["remaining_term"] is not None:  # the rule's term end, as years left
            end = date.fromisoformat(rule[r["doc_id"]]["expiry_date"])
            assert r["remaining_term"] == round((end - as_of).days / 365.25, 3) > 0, r["doc_id"]
    assert not disagree
    answers = Counter(s["in_force"] for s in rule.values())
    assert (answers[True], answers[False], answers[None]) == EXPECTED[as_of]


def test_known_documents(store: Cockpit) -> None:
    as_of = date(2025, 7, 1)
    rows = {r["doc_id"]: r for r in indicator_table(store.store.con, as_of=as_of).to_pylist()}
    rule = statuses(store.store.con, ["CN215361852U", "CN201532150U", "USD534673S1", "CA152634S"],
                    ScreenSettings(as_of=as_of))
    # a CN utility model of the dump, 有权-审定授权, filed 2021-07-30: 10 years, 2,220 days left
    assert rule["CN215361852U"]["in_force"] is True
    assert rows["CN215361852U"]["remaining_term"] == round(2220 / 365.25, 3)
    # a Lens "Limited Patent" (CN 201532150 U, filed 2009-11-11): a utility model, ended 2019-11-11
    assert rule["CN201532150U"]["in_force"] is False and rule["CN201532150U"]["expiry_date"] == "2019-11-11"
    assert (rows["CN201532150U"]["doc_type"], rows["CN201532150U"]["remaining_term"]) == ("utility_model", 0.0)
    # a US design filed 2005-11-21, granted 2007-01-02: 14 years from grant ended 2021-01-02 (20 years from
    # filing would not have)
    assert rows["USD534673S1"]["remaining_term"] == 0.0 and rule["USD534673S1"]["in_force"] is False
    assert (rule["USD534673S1"]["status"], rule["USD534673S1"]["expiry_date"]) == ("expired", "2021-01-02")
    # a Canadian design of the pizza file (kind S), filed 2013-08-29: 25 years from filing, to 2038-08-29
    assert rule["CA152634S"]["expiry_date"] == "2038-08-29" and rule["CA152634S"]["in_force"] is None
    assert rows["CA152634S"]["remaining_term"] == round((date(2038, 8, 29) - as_of).days / 365.25, 3)


def test_us_design_term_follows_the_filing_date(store: Cockpit) -> None:
    """US designs: 15 years from grant when filed on or after 2015-05-13, else 14 (the PLTIA changed the term
    for applications filed from that day), in the rule and so in the indicators. The Lens pizza and drone
    exports hold 13 designs filed before and granted after that day, and one filed after it; the expected
    term is computed here from the stored dates."""
    as_of = date(2025, 7, 1)
    con = store.store.con
    designs = con.execute(
        "SELECT doc_id, app_date, grant_date FROM documents WHERE office = 'US' AND doc_type = 'design' "
        "AND grant_date >= DATE '2015-05-13' AND NOT coalesce(stub, false) ORDER BY doc_id"
    ).fetchall()
    ids = [d for d, _, _ in designs]
    rows = {r["doc_id"]: r for r in indicator_table(store.store.con, as_of=as_of, doc_ids=ids).to_pylist()}
    rule = statuses(con, ids, ScreenSettings(as_of=as_of))
    old = [d for d, filed, _ in designs if filed < date(2015, 5, 13)]
    assert len(old) == 13 and len(designs) - len(old) == 1
    for doc_id, filed, granted in designs:
        years = 15 if filed >= date(2015, 5, 13) else 14
        end = granted.replace(year=granted.year + years)
        assert (rule[doc_id]["term_years"], rule[doc_id]["expiry_date"]) == (years, end.isoformat()), doc_id
        assert rows[doc_id]["remaining_term"] == round(max((end - as_of).days, 0) / 365.25, 3), doc_id
    # USD734645S1, filed 2014-02-24 and granted 2015-07-21: 14 years, to 2029-07-21 (15 would run to 2030)
    assert rows["USD734645S1"]["remaining_term"] == round((date(2029, 7, 21) - as_of).days / 365.25, 3)
