"""Screening runs on everything the foundation ingests from ../shared/data, with every row explained.

One real DuckDB store holds a representative file of every patent-bearing format in the shared data
(the small sources whole, one file or folder of the big ones; a sheet of the PATENTSCOPE zip), plus
the reference tables screening uses (WIPO fields, SEI concordance, award list, INPADOC codes).
``screen(limit=0)`` must return each invention grant once, each with its conditions and explanation.
"""

from __future__ import annotations

import math
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.value.conditions import CONDITIONS, INVENTION_GRANT
from ipcockpit.value.indicators import indicator_table
from ipcockpit.value.screen import screen
from ipcockpit.value.settings import ScreenSettings

pytestmark = pytest.mark.slow

AS_OF = ScreenSettings(as_of=date(2025, 7, 1))
PATENTSCOPE_SHEET = "pizza_all_24294/patentscope_pizza_2012_2015_6177.xls"
SOURCES = [  # (path under shared data, the format it is ingested as)
    ("uspto_xml/weekly_excerpts/ipg050104.small.xml", "uspto-xml"),
    ("uspto_xml/weekly_excerpts/ipg120327.196.xml", "uspto-xml"),  # a week of design grants
    ("uspto_xml/weekly_excerpts/ipa130117.one.xml", "uspto-xml"),
    ("uspto_xml/weekly_excerpts/pa040101.two.xml", "uspto-pap"),
    ("uspto_xml/format_samples", "uspto-xml25"),  # and uspto-xml, uspto-pap; APS/BRS are refused with a message
    ("uspto_api", "uspto-assignment-xml"),  # and uspto-odp-json, uspto-peds-json(l); other API files are skipped
    ("epo_ops", "epo-ops-xml"),  # and epo-ops-search-json, inpadoc-codes
    ("lens/pizza_lens_1000_raw.csv", "lens-csv"),
    ("lens/drones_tac_1606_cleaned.csv", "lens-csv-tidy"),
    ("lens/covid_jsonl/Coronavirus-MERS-patents.jsonl", "lens-jsonl"),
    ("thomson/synbio.xlsx", "thomson-xlsx"),
    ("thomson/ritonavir.csv", "thomson-family-csv"),
    ("abstracts_us/baseball_patent_query.csv", "patentsview-csv"),
    ("cn/titles_ipc_lxingy3/oof_predictions.csv", "cn-ipc-titles"),
    ("cn/abstracts_cpc_liaoleyuan/sample_val.csv", "cn-cpc-abstracts"),
    ("cn/abstracts_multilang_ipc/Abstract/ClassD21F5-20", "multilang-abstracts"),
    ("cn/table_export_sample", "cn-table-sql"),
    ("cn/cnki_export", "cnki-xlsx"),
    ("india/2021_grants.csv", "india-grants-csv"),
    ("awards", "award-jsonl"),  # and award-roster-sql (the China Patent Award roster)
    ("classification/ipc_technology.csv", "wipo-tech-fields"),
    ("classification/cnipa_sei2021_ipc_concordance.json", "cnipa-ipc-catalog-json"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Path:
    tmp = tmp_path_factory.mktemp("all_sources")
    with zipfile.ZipFile(shared / "patentscope/pizza_all_24294_raw.zip") as z:
        sheet = tmp / Path(PATENTSCOPE_SHEET).name
        sheet.write_bytes(z.read(PATENTSCOPE_SHEET))
    db = tmp / "all.duckdb"
    with Cockpit(db=db) as c:
        reports = c.ingest([shared / p for p, _ in SOURCES] + [sheet])
    loaded = {r.format for r in reports if r.error is None and r.loaded}
    assert {f for _, f in SOURCES} | {"patentscope-xls"} <= loaded
    return db


@pytest.fixture(scope="module")
def cockpit(store: Path) -> Iterator[Cockpit]:
    with Cockpit(db=store, read_only=True) as c:
        yield c


@pytest.fixture(scope="module")
def everything(cockpit: Cockpit) -> list[dict]:
    return screen(cockpit.store.con, limit=0, settings=AS_OF)


def test_every_invention_grant_once(cockpit: Cockpit, everything: list[dict]) -> None:
    con = cockpit.store.con
    expected = {d for (d,) in con.execute(
        f"SELECT d.doc_id FROM documents d WHERE NOT coalesce(d.stub, false) AND {INVENTION_GRANT}").fetchall()}
    got = Counter(r["publication_number"] for r in everything)
    assert set(got) == expected and max(got.values()) == 1
    # documents whose source gives no stage get it from the kind code (B, C ... grants; model.numbers); the
    # 326 WO and 4 EP A publications of thomson/ritonavir.csv whose family has a grant are applications
    assert len(everything) == 3751 - 326 - 4
    per_format = dict(con.execute(
        "SELECT f.format, count(*) FROM documents d JOIN source_files f USING (file_id) "
        "WHERE d.doc_id IN (SELECT unnest(?)) GROUP BY 1", [list(got)]).fetchall())
    # baseball_patent_query.csv: 2,054 numeric (utility) patent numbers and 2 reissues (RE31811, RE38394),
    # counted with pandas; its 608 design patents are not screened
    assert per_format["patentsview-csv"] == 2056
    assert {"uspto-xml", "uspto-xml25", "lens-csv", "lens-csv-tidy", "lens-jsonl", "cn-table-sql", "cnki-xlsx",
            "cn-ipc-titles", "thomson-xlsx", "thomson-family-csv", "multilang-abstracts"} <= per_format.keys()
    assert per_format["thomson-xlsx"] == 55
    assert {"US6836899B1", "CN115883397B", "USRE31811"} <= set(got)


def test_every_row_is_explained(everything: list[dict]) -> None:
    for row in everything:
        assert row["high_value"] in (True, False, None)
        assert set(row["conditions"]) == set(CONDITIONS)
        for c in [row["in_force_detail"], *row["conditions"].values()]:
            assert c["met"] in (True, False, None)
            assert c["met"] is not None or c["reason"], row["publication_number"]
        assert row["explanation"] and all(line.get("en") or line.get("text_en") for line in row["explanation"])
        vi = row["value_index"]
        if vi is None:
            assert all(d["confidence"] == 0 for d in row["dimensions"].values()), row["publication_number"]
        else:
            assert 0 <= vi <= 100 and not math.isnan(vi)
            assert any(line.get("kind") == "indicator" for line in row["explanation"])


def test_index_at_a_past_date_ignores_later_events(cockpit: Cockpit) -> None:
    # Lens JSONL: US10086063B2, granted 2018-10-02, changed owner on 2019-04-26 (its only transfer)
    con = cockpit.store.con
    assert con.execute("SELECT event_date FROM legal_events WHERE doc_id = 'US10086063B2' "
                       "AND event_class = 'transfer'").fetchall() == [(date(2019, 4, 26),)]

    def transfers(as_of: date) -> int | None:
        [row] = indicator_table(con, as_of=as_of, doc_ids=["US10086063B2"]).to_pylist()
        return row["transfers"]

    assert transfers(date(2025, 1, 1)) == 1
    assert transfers(date(2019, 4, 25)) == 0  # the file carries transfers, none known yet
