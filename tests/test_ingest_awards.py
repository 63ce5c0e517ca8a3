"""Award lists: the 25th China Patent Award sample and the CSV layout."""

from __future__ import annotations

import json
from pathlib import Path

from ipcockpit.app import Cockpit

AWARDS = "awards/25th-preview.jsonl"


def test_china_patent_award_jsonl(cockpit: Cockpit, shared: Path) -> None:
    lines = (shared / AWARDS).read_text(encoding="utf-8").splitlines()
    [r] = cockpit.ingest([shared / AWARDS])
    assert (r.format, r.read, r.loaded, r.quarantined) == ("award-jsonl", len(lines), 10, 0)
    rows = cockpit.store.query("SELECT * FROM ref_awards ORDER BY record_id")
    levels = sorted(x["level"] for x in rows)
    assert levels == ["gold"] * 5 + ["silver"] * 5
    first = json.loads(lines[0])
    hit = [x for x in rows if x["record_id"] == first["record_id"]][0]
    assert hit["app_id"] == "CN201610705624" and hit["holders"] == ["康方药业有限公司"]
    assert hit["edition"] == 25 and hit["year"] == 2025 and len(hit["inventors"]) == 4


def test_award_csv_layout(cockpit: Cockpit, tmp_path: Path) -> None:
    f = tmp_path / "state_awards.csv"
    f.write_text(
        "award,edition,level,year,application_number,publication_number,title,holders,inventors\n"
        "china_patent_award,25,gold,2025,ZL201610705624.2,,抗CTLA4-抗PD-1双功能抗体,康方药业有限公司,李百勇;夏瑜\n"
        "china_patent_award,25,gold,2025,,,no number,,\n",
        encoding="utf-8",
    )
    [r] = cockpit.ingest([f])
    assert (r.format, r.read, r.loaded, r.quarantined) == ("award-csv", 2, 1, 1)
    row = cockpit.store.query("SELECT app_id, inventors FROM ref_awards")[0]
    assert row == {"app_id": "CN201610705624", "inventors": ["李百勇", "夏瑜"]}
    assert cockpit.quarantine("state_awards")[0]["field"] == "application_number"
