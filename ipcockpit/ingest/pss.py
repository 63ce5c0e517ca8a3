"""pss-system (CNIPA 专利检索及分析) result lists saved as .xls, e.g. shared/data/cn/pss_exports.

Columns: 专利类型 (发明申请, 发明授权, 实用新型, 外观设计), 专利名称, 法律状态, 法律状态最后修改日期 (YYYYMMDD),
公布号 (not in every export), 申请公布日/授权公告日, 申请号, 申请日, 申请人/专利权人, 发明人, and in some exports
IPC分类号, 代理人, 代理机构, 外观设计洛迦诺分类号. The format is recognised from its header: 申请号 and
法律状态最后修改日期 with 申请公布日/授权公告日 or 公布号.

Rules:

- A row with 公布号 is that publication (``CN303347858S``). A row of an export without it is keyed on its
  application: ``doc_id`` is ``CN`` + the application's digits (``CN201610895413``, no kind), trusted only with a
  matching check digit (:mod:`ipcockpit.ingest.cn_exports`); a row whose key cannot be trusted is quarantined.
  Such a record describes the publication the row dates (an invention's application publication, a utility
  model's or design's grant) without its number; another source's record of that publication is a document of
  its own, linked by ``app_id``.
- 专利类型 gives the document type and stage; 申请公布日/授权公告日 is the publication date, and a grant's grant
  date.
- 法律状态 is the document's ``status`` as written and, with 法律状态最后修改日期, one legal event with the words as
  ``raw_text`` (the class comes from :func:`ipcockpit.model.events.classify_event`). ``无数据`` ("no data", in
  both columns) is no status, no date and no event; it stays in ``extra['legal_status_raw']``.
- Names are separated by ``;`` (``深圳大学 ; 张会生``); the export has no address. Titles lose the sub- and
  superscript markup of chemical formulas (``Al<sub>7</sub>O<sub>3</sub>N`` -> ``Al7O3N``; the title as written
  stays in ``extra['title_raw']``). Locarno classes keep their edition out (``14-02(10)`` -> ``14-02``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_exports import (
    cn_application,
    cn_publication,
    first_sheet,
    head_rows,
    plain_title,
    raw_text,
    split_names,
)
from ipcockpit.ingest.cn_table import class_codes
from ipcockpit.ingest.column_maps import fold
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.model.records import (
    Classification,
    Inventor,
    LegalEvent,
    Party,
    PatentRecord,
    Record,
    Rejected,
    Text,
)

#: field -> the pss column that carries it
COLUMNS = {
    "doc_type": "专利类型", "title": "专利名称", "status": "法律状态", "status_date": "法律状态最后修改日期",
    "pub_number": "公布号", "pub_date": "申请公布日/授权公告日", "app_number": "申请号", "app_date": "申请日",
    "applicants": "申请人/专利权人", "inventors": "发明人", "ipc": "IPC分类号", "agents": "代理人",
    "agency": "代理机构", "locarno": "外观设计洛迦诺分类号",
}
TYPES = {"发明申请": ("invention", "application"), "发明授权": ("invention", "grant"),
         "实用新型": ("utility_model", "grant"), "外观设计": ("design", "grant")}
NO_STATUS = frozenset({"无数据", "无"})
_LOCARNO = re.compile(r"(?<!\d)(\d{1,2})\s*-\s*(\d{1,2})(?!\d)")
_DATES = ("app_date", "pub_date", "status_date")


def is_pss_header(row: list[Any]) -> bool:
    names = {fold(c) for c in row}
    return {fold(COLUMNS["app_number"]), fold(COLUMNS["status_date"])} <= names and bool(
        {fold(COLUMNS["pub_date"]), fold(COLUMNS["pub_number"])} & names)


class PssSheet(Ingester):
    name = "pss-xls"
    label = "pss-system (CNIPA patent search) result list (.xls with 法律状态 and 法律状态最后修改日期)"
    label_zh = "专利检索及分析系统（pss-system）检索结果导出表（.xls，含法律状态）"
    priority = 35  # before the general Chinese table reader

    def sniff(self, source: Source) -> bool:
        rows = head_rows(source)
        return bool(rows) and is_pss_header(rows[0])

    def read(self, source: Source) -> Iterator[Record]:
        header = [fold(h) for h in head_rows(source)[0]]
        index = {f: header.index(fold(c)) for f, c in COLUMNS.items() if fold(c) in header}
        known = set(index.values())
        names = head_rows(source)[0]
        for position, row in first_sheet(source):
            cells = {f: row[i] if i < len(row) else None for f, i in index.items()}
            extra = {names[i]: t for i, c in enumerate(row) if i not in known and names[i] and (t := raw_text(c))}
            yield _record(source.path, position, cells, extra, row)


def _record(path: str, position: str, cells: dict[str, Any], extra: dict[str, Any], row: list[Any]) -> Record:
    excerpt = " | ".join(raw_text(c) or "" for c in row)[:300]
    text = {f: raw_text(v) for f, v in cells.items()}
    pub, _, pub_why = cn_publication(cells.get("pub_number"))
    app = cn_application(cells.get("app_number"))
    if pub_why:
        return Rejected(position, f"{path}, {position}, column {COLUMNS['pub_number']!r}: {pub_why}; the row is keyed "
                        "on it", excerpt, COLUMNS["pub_number"])
    if pub is None and app.value is None:
        column = COLUMNS["app_number"]
        why = app.why or "no application number"
        return Rejected(position, f"{path}, {position}, column {column!r}: {why}; without 公布号 the row is keyed on "
                        "its application number", excerpt, column)
    dates: dict[str, date | None] = {}
    for field in _DATES:
        if text.get(field) in NO_STATUS:  # 无数据 in the date column of a row without a status
            text[field] = None
        try:
            dates[field] = parse_date(text.get(field))
        except ValueError as exc:
            return Rejected(position, f"{path}, {position}, column {COLUMNS[field]!r}: {exc}; write dates as "
                            "YYYY.MM.DD or YYYYMMDD", excerpt, COLUMNS[field])
    doc_type, stage = TYPES.get(text.get("doc_type") or "", (None, None))
    if pub is not None:
        office, number, kind = pub
        doc_id = f"{office}{number}{kind or ''}"
    else:
        office, number, kind = "CN", app.value[2:], None  # type: ignore[index]
        doc_id = app.value  # type: ignore[assignment]
        extra["keyed_on"] = "application"
    if app.why:
        extra["app_number_raw"] = app.raw
        extra["number_notes"] = [f"{COLUMNS['app_number']}: {app.why}"]
    if text.get("doc_type"):
        extra["doc_type_text"] = text["doc_type"]
    status = text.get("status")
    if status in NO_STATUS:
        extra["legal_status_raw"] = status
        status = None
    title_raw = text.get("title")
    title = plain_title(title_raw)
    if title != title_raw:
        extra["title_raw"] = title_raw
    rec = PatentRecord(
        doc_id=doc_id, office=office, number=number, kind=kind, doc_type=doc_type, stage=stage,
        pub_date=dates["pub_date"], app_id=app.value, app_date=dates["app_date"],
        grant_date=dates["pub_date"] if stage == "grant" else None, title=title, lang="zh", status=status,
        position=position, extra=extra,
    )
    rec.parties = [Party(n, "applicant", sequence=i + 1) for i, n in enumerate(split_names(text.get("applicants")))]
    agencies = split_names(text.get("agency"))
    rec.parties += [Party(n, "agent", "company", sequence=i + 1) for i, n in enumerate(agencies)]
    rec.parties += [Party(n, "agent", "person", sequence=len(agencies) + i + 1)
                    for i, n in enumerate(split_names(text.get("agents")))]
    rec.inventors = [Inventor(n, sequence=i + 1) for i, n in enumerate(split_names(text.get("inventors")))]
    codes = class_codes(text.get("ipc"))
    rec.classifications = [Classification("IPC", c, sequence=i + 1) for i, c in enumerate(codes)]
    for major, minor in _LOCARNO.findall(text.get("locarno") or ""):
        code = f"{int(major):02d}-{int(minor):02d}"
        n = len(rec.classifications)
        rec.classifications.append(Classification("LOCARNO", code, main=not n, sequence=n + 1))
    if title:
        rec.texts.append(Text("title", title, "zh"))
    if status:
        rec.legal_events.append(LegalEvent(dates["status_date"], office="CN", raw_text=status))
    return rec


INGESTERS = [PssSheet]
