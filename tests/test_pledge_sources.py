"""Pledge financing (较高质押融资金额) is "no" only where a source that records pledges covers the patent.

The store: the ten Lens COVID JSON-lines files (owner changes only: Lens gives the current owners with their
execution dates, never a security interest), the Thomson synbio export (US litigation cases), the CN
专利总表 dump (its 质押次数 column: all 0), the USPTO assignment fixtures (SECURITY INTEREST conveyances) and
the EPO OPS family and legal-event fixtures (INPADOC events of EP1000000).

Counted without ipcockpit, with the json module: 243 granted patents of the Lens files (docType "Granted
Patent" or "Amended Patent", 3,309 distinct documents) belong to an application whose Lens records list an
owner with an execution date: 242 have such an owner themselves, US 9532555 B2 through its A1 publication.
Those owner changes were the only legal events of the 243, and they made the condition "no pledge".
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.indicators import indicator_table
from ipcockpit.value.settings import ScreenSettings

pytestmark = pytest.mark.slow  # real multi-file stores built per test or module (docs/testing.md)

AS_OF = ScreenSettings(as_of=date(2026, 12, 5))
FILES = ["lens/covid_jsonl", "thomson/synbio.xlsx", "cn/table_export_sample", "uspto_api/assignment/fixtures",
         "epo_ops/family/fixtures/family_input.xml", "epo_ops/legal/fixtures/example_1.xml"]


def lens_grants_with_owner_changes(folder: Path) -> set[str]:
    """doc_ids of the Lens granted patents whose application has a Lens record with a dated owner."""
    records: dict[str, dict] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            records[d["displayKey"]] = d
    by_app: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for d in records.values():
        by_app[(d["jurisdiction"], d["filingNumber"])].append(d)
    found = set()
    for docs in by_app.values():
        if any(isinstance(o, dict) and o.get("executionDate") for d in docs for o in d.get("owners") or []):
            found |= {d["displayKey"].replace(" ", "") for d in docs
                      if d["docType"] in ("Granted Patent", "Amended Patent")}
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, shared: Path) -> Iterator[Cockpit]:
    c = Cockpit(db=tmp_path_factory.mktemp("pledges") / "pledges.duckdb")
    reports = c.ingest([shared / f for f in FILES])
    assert all(r.error is None and r.quarantined == 0 for r in reports if not r.file.endswith("README.md"))
    yield c
    c.close()


def test_owner_changes_say_nothing_about_pledges(store: Cockpit, shared: Path) -> None:
    owners = lens_grants_with_owner_changes(shared / "lens/covid_jsonl")
    assert len(owners) == 243 and "US9532555B2" in owners
    rows = {r["publication_number"]: r for r in condition_rows(store.store.con, AS_OF)}
    assert owners <= set(rows)
    for doc_id in owners:
        pledge = rows[doc_id]["conditions"]["pledge_financing"]
        assert pledge["met"] is None, doc_id
        assert pledge["evidence"] == {"event_sources": ["lens-jsonl"]}, doc_id
        assert pledge["reason"] == ("the legal events in the data come only from sources that do not record "
                                    "pledges (lens-jsonl), so pledges cannot be known"), doc_id
        assert pledge["reason_zh"] == "数据中的法律事件仅来自不记录质押的来源（lens-jsonl），无法判断质押情况"
    # the Thomson export's litigation cases do not record pledges either (US8377674B2: two 2013 cases)
    thomson = rows["US8377674B2"]["conditions"]["pledge_financing"]
    assert thomson["met"] is None and thomson["evidence"] == {"event_sources": ["thomson-xlsx"]}
    # "no" only where a source that records pledges covers the patent: the CN dump's 质押 columns (0 pledges)
    no = {d: r["conditions"]["pledge_financing"] for d, r in rows.items()
          if r["conditions"]["pledge_financing"]["met"] is False}
    assert sorted(no) == ["CN115883397B"] and no["CN115883397B"]["evidence"]["sources"] == ["cn-table-sql"]
    # and the INPADOC legal events of EP1000000 (a family stub; its A1 publication's events count for the B1)
    [ep] = condition_rows(store.store.con, AS_OF, Universe(doc_ids=("EP1000000B1",)))
    assert ep["conditions"]["pledge_financing"]["met"] is False
    assert ep["conditions"]["pledge_financing"]["evidence"]["sources"] == ["epo-ops-xml"]
    assert no["CN115883397B"]["reason"] == ("a source that records pledges covers this patent (cn-table-sql) "
                                            "and none is a pledge")
    assert no["CN115883397B"]["reason_zh"] == "记录质押的来源（cn-table-sql）覆盖该专利，无质押"


def test_pledges_of_assignments_still_count(store: Cockpit) -> None:
    # 6 SECURITY INTEREST conveyances of the USPTO assignment fixtures name patent 9410410, none with an amount
    [row] = condition_rows(store.store.con, AS_OF, Universe(doc_ids=("US9410410",)))
    pledge = row["conditions"]["pledge_financing"]
    assert pledge["met"] is None and pledge["reason"].startswith("pledge registered, amount unknown (6 of 6")


def test_the_pledges_indicator_reads_the_same_sources(store: Cockpit) -> None:
    """The value index's pledge count is known exactly where the condition can say yes or no."""
    con = store.store.con
    rows = {r["publication_number"]: r["conditions"]["pledge_financing"] for r in condition_rows(con, AS_OF)}
    ind = {r["doc_id"]: r["pledges"] for r in indicator_table(con, as_of=AS_OF.as_of, doc_ids=sorted(rows))
           .to_pylist()}
    for doc_id, pledge in rows.items():
        if doc_id.startswith("EP"):  # the condition counts the events of the A1 publication, the index does not
            continue
        known = pledge["met"] is not None or pledge["reason"].startswith("pledge registered")
        assert (ind[doc_id] is not None) is known, doc_id
    assert ind["CN115883397B"] == 0 and ind["US8377674B2"] is None
