"""The value indicators and the one in-force rule (:mod:`ipcockpit.value.legal_status`) agree, on real data.

The store holds every real shared file that carries legal status or legal events, or kinds of rights
with their own terms: the CN 专利总表 dump (法律状态 有权/审中, CN inventions and utility models), the EPO
OPS family and legal-event fixtures (EP lapses in single contracting states), the USPTO PEDS histories
(status texts, abandonment, expiry and restoration events), the USPTO weekly full-text excerpts (196
design grants of 2012-03-27 among others) and the Lens drone and pizza exports (utility models as
"Limited Patent", design rights).

A document whose rights the rule says ended (``in_force`` false) has no remaining term in the
indicators (``remaining_term`` 0) and never counts as having survived an invalidation; a document the
rule does not call ended has a remaining term above 0 or none known. The one difference on purpose is
the design term (:data:`ipcockpit.value.indicators.DESIGN_TERM_END_SQL`): the rule gives designs the
20-year term, the indicators the design term. Those designs were counted without ipcockpit (regular
expressions over the XML, csv over the Lens files): 14/15 years from grant for US designs, 10/15 from
filing for CN designs, 15 from filing for the others, ended by ``as_of`` while 20 years from filing
had not.
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

FILES = ["cn/table_export_sample", "epo_ops/family/fixtures/family_input.xml",
         *(f"epo_ops/legal/fixtures/example_{i}.xml" for i in (1, 2, 3)), "uspto_api/peds_bulk",
         "uspto_api/peds/fixtures/app_1_input.json", "uspto_xml/weekly_excerpts",
         "lens/drone_drones_fulltext_families_5884.csv", "lens/pizza_lens_1000_raw.csv"]
#: non-stub documents in the store (every one is checked)
DOCUMENTS = 7271
#: as_of -> (rule says in force, not in force, cannot tell; designs past their design term the rule
#: cannot tell about). The designs were counted from the files. USD629684S1 of the pizza file (publication
#: date "28/12/11", Publication Year 2010: the export writes the week-based year) was granted 2010-12-28 (it
#: was read as 1911-12-28 before, and counted at both dates); filed 2010-01-13, its 14 years from grant end
#: 2024-12-28: not by 2023-01-01, but by 2025-07-01, which counts it among the 39. Reading the cell as
#: 2011-12-28 would end it 2025-12-28 and give 38.
EXPECTED = {
    date(2023, 1, 1): ((8, 1826, 5437), 40),
    date(2025, 7, 1): ((8, 2379, 4884), 39),
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
    rows = indicator_table(store, as_of=as_of).to_pylist()
    assert len(rows) == len(rule) == DOCUMENTS
    disagree, design_term = Counter(), []
    for r in rows:
        ended_by_rule = rule[r["doc_id"]]["in_force"] is False
        ended = r["remaining_term"] == 0
        if ended_by_rule and r["invalidation_survived"] == 1:
            disagree["survived"] += 1
        if ended == ended_by_rule:
            continue
        if r["doc_type"] == "design" and ended:  # the design term, shorter than the rule's 20 years
            design_term.append(r["doc_id"])
        else:
            disagree[r["doc_id"]] += 1
    assert not disagree
    answers = Counter(s["in_force"] for s in rule.values())
    counts, designs = EXPECTED[as_of]
    assert (answers[True], answers[False], answers[None]) == counts
    assert len(design_term) == designs
    assert all(rule[d]["in_force"] is None for d in design_term)


def test_known_documents(store: Cockpit) -> None:
    as_of = date(2025, 7, 1)
    rows = {r["doc_id"]: r for r in indicator_table(store, as_of=as_of).to_pylist()}
    rule = statuses(store.store.con, ["CN215361852U", "CN201532150U", "USD534673S1"], ScreenSettings(as_of=as_of))
    # a CN utility model of the dump, 有权-审定授权, filed 2021-07-30: 10 years, 2,220 days left
    assert rule["CN215361852U"]["in_force"] is True
    assert rows["CN215361852U"]["remaining_term"] == round(2220 / 365.25, 3)
    # a Lens "Limited Patent" (CN 201532150 U, filed 2009-11-11): a utility model, ended 2019-11-11
    assert rule["CN201532150U"]["in_force"] is False and rule["CN201532150U"]["expiry_date"] == "2019-11-11"
    assert (rows["CN201532150U"]["doc_type"], rows["CN201532150U"]["remaining_term"]) == ("utility_model", 0.0)
    # a US design filed 2005-11-21, granted 2007-01-02: 14 years from grant ended 2021-01-02; the rule's 20
    # years from filing have not, and the rule cannot tell
    assert rows["USD534673S1"]["remaining_term"] == 0.0 and rule["USD534673S1"]["in_force"] is None


def test_us_design_term_follows_the_filing_date(store: Cockpit) -> None:
    """US designs: 15 years from grant when filed on or after 2015-05-13, else 14 (the PLTIA changed the term
    for applications filed from that day). The Lens pizza and drone exports hold 13 designs filed before and
    granted after that day, and one filed after it; the expected term is computed here from the stored dates."""
    as_of = date(2025, 7, 1)
    con = store.store.con
    designs = con.execute(
        "SELECT doc_id, app_date, grant_date FROM documents WHERE office = 'US' AND doc_type = 'design' "
        "AND grant_date >= DATE '2015-05-13' AND NOT coalesce(stub, false) ORDER BY doc_id"
    ).fetchall()
    ids = [d for d, _, _ in designs]
    rows = {r["doc_id"]: r for r in indicator_table(store, as_of=as_of, doc_ids=ids).to_pylist()}
    old = [d for d, filed, _ in designs if filed < date(2015, 5, 13)]
    assert len(old) == 13 and len(designs) - len(old) == 1
    for doc_id, filed, granted in designs:
        years = 15 if filed >= date(2015, 5, 13) else 14
        end = granted.replace(year=granted.year + years)
        assert rows[doc_id]["remaining_term"] == round(max((end - as_of).days, 0) / 365.25, 3), doc_id
    # USD734645S1, filed 2014-02-24 and granted 2015-07-21: 14 years, to 2029-07-21 (15 would run to 2030)
    assert rows["USD734645S1"]["remaining_term"] == round((date(2029, 7, 21) - as_of).days / 365.25, 3)
