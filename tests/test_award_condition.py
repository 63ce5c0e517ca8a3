"""The award condition of the five-condition screen read from the real China Patent Award roster
(../shared/data/awards/china_patent_award_roster): award type, session and year of each winner, its ZL number
matched to the store's application numbers however the store writes them (with or without the check digit,
its dot, an X check digit, the ZL prefix), and a reason that names the session as the award does
(第N届中国专利奖金奖).

No winner of the roster is in the shared patent data, so the store holds constructed rows marked
"（测试行）": real roster numbers (written as exports write them), placeholder grant numbers, no legal status.
What each row should get is read from the roster's own tuple with a plain regex, not through the ingester.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from ipcockpit.app import Cockpit
from ipcockpit.value.award_lists import listed
from ipcockpit.value.conditions import Universe, condition_rows
from ipcockpit.value.settings import ScreenSettings

ROSTER = "awards/china_patent_award_roster/kwy_pa_patent_award.sql"
AS_OF = date(2025, 7, 1)
#: grant number -> (the roster's id, the application number as the constructed export writes it, type)
ROWS = {
    "CN999999971B": (2, "CN200510010470.7", "发明授权"),  # gold, session 20
    "CN999999972B": (8, "201010267931X", "发明授权"),  # gold, check digit X without its dot
    "CN999999973B": (44, "ZL01119818.4", "发明授权"),  # silver, an 8-digit number of 2001
    "CN999999974B": (3, "CN2006800003978", "发明授权"),  # gold, check digit without its dot
    "CN999999975B": (2708, "200510004980.3", "发明授权"),  # excellence, session 17, a Chongqing winner
    "CN999999976B": (4648, "94113006.1", "发明授权"),  # excellence, session 9, written without ZL
}
LEVEL_ZH = {("1", "1"): "金奖", ("2", "1"): "银奖", ("3", "1"): "优秀奖", ("1", "2"): "外观设计金奖",
            ("2", "2"): "外观设计银奖", ("3", "2"): "外观设计优秀奖"}
LEVEL = {("1", "1"): "gold", ("2", "1"): "silver", ("3", "1"): "excellence", ("1", "2"): "design_gold",
         ("2", "2"): "design_silver", ("3", "2"): "design_excellence"}


def _roster(shared: Path) -> dict[int, tuple[str, ...]]:
    """id -> (year, session, award_type, patent_type, patent_no), read with a regex."""
    text = (shared / ROSTER).read_text(encoding="utf-8")
    return {int(i): rest for i, *rest in re.findall(r"^\((\d+), (\d+), (\d+), (\d), (\d), '([^']*)'", text, re.M)}


@pytest.fixture
def store(cockpit: Cockpit, shared: Path, tmp_path: Path) -> Cockpit:
    lines = ["申请号,申请日,公开号,公开日,授权公告号,授权公告日,专利类型,专利名称,申请人,申请人地址,法律状态,分类号"]
    lines += [f"{app},,,,{grant},,{kind},获奖专利{n}（测试行）,测试权利人,,," for n, (grant, (_, app, kind))
              in enumerate(ROWS.items())]
    export = tmp_path / "专利总表_award_condition.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reports = cockpit.ingest([shared / ROSTER, export])
    assert [(r.loaded, r.quarantined) for r in reports] == [(4524, 2), (len(ROWS), 0)]
    return cockpit


def test_award_reads_type_session_and_year_from_the_roster(store: Cockpit, shared: Path) -> None:
    roster = _roster(shared)
    rows = {r["publication_number"]: r for r in condition_rows(store.store.con, ScreenSettings(as_of=AS_OF),
                                                               Universe())}
    for grant, (record, app, _) in ROWS.items():
        year, session, award_type, patent_type, number = roster[record]
        award = rows[grant]["conditions"]["award"]
        assert award["met"] is True, (grant, app, award["reason"])
        [a] = award["evidence"]["awards"]
        assert (a["award"], a["edition"], a["year"], a["level"], a["record_id"]) == (
            "china_patent_award", int(session), int(year), LEVEL[(award_type, patent_type)],
            f"kwy_pa_patent_award#{record}"), grant
        # the store's number and the roster's name one application: the same digits before the check digit
        digits = re.sub(r"\D", "", number.split(".")[0])
        assert re.sub(r"[^\dX]", "", app.upper())[: len(digits)] == digits
        # the reason names the session as the award does
        assert award["reason_zh"] == f"第{session}届中国专利奖{LEVEL_ZH[(award_type, patent_type)]}（{year}年）"
        assert award["reason"].startswith(f"China Patent Award session {session} ({year}), ")


def test_design_award_names_its_level(store: Cockpit, shared: Path) -> None:
    """The screen evaluates invention grants; a design winner's listing reads as the award names it."""
    year, session, award_type, patent_type, _ = _roster(shared)[34]
    [row] = store.store.query("SELECT * FROM ref_awards WHERE record_id = 'kwy_pa_patent_award#34'")
    assert (row["level"], row["edition"], row["year"], row["app_id"]) == (
        LEVEL[(award_type, patent_type)], int(session), int(year), "CN201230314746") == (
        "design_gold", 20, 2018, "CN201230314746")
    assert listed([row]) == ("China Patent Award session 20 (2018), design gold",
                             "第20届中国专利奖外观设计金奖（2018年）")


def test_award_counts_from_its_year(store: Cockpit) -> None:
    rows = {r["publication_number"]: r for r in condition_rows(
        store.store.con, ScreenSettings(as_of=date(2016, 12, 31)), Universe())}
    # session 17 (2015) counts at the end of 2016; session 20 (2018) does not yet
    assert rows["CN999999975B"]["conditions"]["award"]["met"] is True
    later = rows["CN999999971B"]["conditions"]["award"]
    assert later["met"] is None and "sessions 19–20 (2017–2018) are after 2016-12-31 and not counted" in later["reason"]
