"""CNIPA legal-status gazette (法律状态公告) entries as a CSV table (``cn-legal-events-csv``).

Columns: ``授权公告号, 申请号, 法律状态公告日, 法律状态, 法律状态信息`` (UTF-8 or GB18030, sniffed), one row per
gazette entry. No party names, no titles.

Rules:

- **Key**: the grant publication number when the row has one (授权公告号 ``101056675B``, written without ``CN``:
  ``CN101056675B``); else the application number, only when it is whole (:func:`cn_application`: 12 or 8 digits,
  the check digit confirming it; leading zeros a spreadsheet dropped, ``106482.7``, are restored only when the
  check digit confirms them). A row with neither -- most application numbers of the shared file are in
  scientific notation, ``2.0161E+11``, their digits lost -- cannot be tied to a patent and is quarantined with
  the reason. The number as written stays in ``extra['application_number_raw']``.
- **Documents**: each key is a stub document (``stub``: the gazette only refers to the patent; a full record
  loaded later fills it). A grant number gives ``CN101056675B`` with its kind (B, U, S: stage and type), the
  application id when whole, and for a 授权 entry the announcement date as publication and grant date. An
  application number alone gives ``CNA`` + the application (``CNA201610459037``, number ``A201610459037``: no CN
  publication number starts with A, as the USPTO ingesters do for applications), with ``app_id``
  ``CN201610459037``: the events count for every publication of that application (the legal-status rule joins
  a document's events through ``app_id``) and attach when those publications are loaded.
- **Events**: one :class:`LegalEvent` per row, dated by 法律状态公告日; ``raw_text`` keeps the category and the
  entry's words (``专利权的终止: 未缴年费专利权终止``); ``code`` and ``event_class`` come from
  :func:`ipcockpit.model.events.cn_legal_status` (the CNIPA code those words stand for, classed by the INPADOC
  code table: 授权 -> grant, 专利权的转移 -> transfer, 专利权的保全 -> preservation, 专利权人的姓名或者名称、地址的变更
  -> change ...). The rows of one key that follow each other are one record, so an entry the gazette lists twice
  on one day (two transfers of one patent) stays two events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from ipcockpit.ingest import csvutil
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_gazette import cn_application
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.model.events import cn_legal_status
from ipcockpit.model.numbers import parse_publication, stage_and_type
from ipcockpit.model.records import LegalEvent, PatentRecord, Record, Rejected

PUBLICATION, APPLICATION, DATE, CATEGORY, INFO = "授权公告号", "申请号", "法律状态公告日", "法律状态", "法律状态信息"
COLUMNS = (PUBLICATION, APPLICATION, DATE, CATEGORY, INFO)
_EXCERPT = 300
_BIBLIOGRAPHIC = ("名称", "标题", "申请人", "专利权人", "发明人", "摘要", "分类号", "IPC")


class CnLegalEventsCsv(Ingester):
    name = "cn-legal-events-csv"
    label = "CNIPA legal-status gazette entries (授权公告号, 申请号, 法律状态公告日, 法律状态, 法律状态信息), CSV"
    label_zh = "国家知识产权局专利法律状态公告（授权公告号、申请号、法律状态公告日、法律状态、法律状态信息）CSV"
    priority = 30

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".csv", ".txt"):
            return False
        try:
            cols = set(csvutil.header(source))
        except (UnicodeDecodeError, ValueError):
            return False
        # a bibliographic table with a 法律状态 column (titles, applicants ...) is a cn-table export, not this
        bibliographic = any(word in c for c in cols - set(COLUMNS) for word in _BIBLIOGRAPHIC)
        return {APPLICATION, DATE, CATEGORY} <= cols and bool({PUBLICATION, INFO} & cols) and not bibliographic

    def read(self, source: Source) -> Iterator[Record]:
        names: list[str] = []
        pending: PatentRecord | None = None
        with source.open_text() as fh:
            records = csvutil.rows(fh, ",", names)
            names.extend(n.strip().lstrip("\ufeff") for n in csvutil.header_row(records, source.path))
            col = {n: i for i, n in enumerate(names)}
            for line, row in records:
                if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                    yield row
                    continue
                if not any(c.strip() for c in row):
                    continue
                got = self._row(source.path, line, row, col)
                if isinstance(got, Rejected):
                    yield got
                    continue
                doc_id, record, event = got
                if pending is not None and pending.doc_id == doc_id:
                    pending.legal_events.append(event)
                    if record.pub_date and not pending.pub_date:
                        pending.pub_date, pending.grant_date = record.pub_date, record.grant_date
                    continue
                if pending is not None:
                    yield pending
                record.legal_events.append(event)
                pending = record
        if pending is not None:
            yield pending

    @staticmethod
    def _row(path: str, line: int, row: list[str], col: dict[str, int],
             ) -> tuple[str, PatentRecord, LegalEvent] | Rejected:
        def cell(name: str) -> str:
            i = col.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        position = f"line {line}"
        where = f"{path}, line {line}"
        excerpt = ",".join(row)[:_EXCERPT]
        try:
            when = parse_date(cell(DATE))
        except ValueError as exc:
            return Rejected(position, f"{where}, column {DATE!r}: {exc}; write dates as YYYY.MM.DD or YYYY-MM-DD",
                            excerpt, DATE)
        category, info = cell(CATEGORY), cell(INFO)
        code, cls = cn_legal_status(category, info)
        raw_text = category if not info or info == category else f"{category}: {info}" if category else info
        event = LegalEvent(when, code=code, office="CN", raw_text=raw_text or None, event_class=cls)
        app_raw = cell(APPLICATION)
        app_id, note = cn_application(app_raw) if app_raw else (None, None)
        extra: dict[str, Any] = {"source": "CNIPA 专利法律状态公告"}
        if app_raw:
            extra["application_number_raw"] = app_raw
        if note and app_raw:
            extra["application_number_note"] = note
        number_raw = cell(PUBLICATION)
        if number_raw:
            parts = parse_publication(number_raw if number_raw[:2].isalpha() else "CN" + number_raw, "CN")
            if not parts or not parts[2]:
                return Rejected(position, f"{where}, column {PUBLICATION!r}: {number_raw!r} is not a publication "
                                "number (expected e.g. 101056675B or CN101056675B)", excerpt, PUBLICATION)
            office, number, kind = parts
            stage, doc_type = stage_and_type(office, kind)
            granted: date | None = when if cls == "grant" and stage == "grant" else None
            doc_id = f"{office}{number}{kind}"
            record = PatentRecord(doc_id=doc_id, office=office, number=number, kind=kind, doc_type=doc_type,
                                  stage=stage, pub_date=granted, grant_date=granted, app_id=app_id,
                                  position=position, stub=True, extra=extra)
            return doc_id, record, event
        if app_id is None:
            why = note if app_raw else f"no number in columns {PUBLICATION!r} and {APPLICATION!r}"
            return Rejected(position, f"{where}, column {APPLICATION!r}: {why}; the row has no {PUBLICATION}, so its "
                            f"entry ({raw_text}) cannot be tied to a patent", excerpt, APPLICATION)
        number = "A" + app_id[2:]
        doc_id = "CN" + number
        record = PatentRecord(doc_id=doc_id, office="CN", number=number, app_id=app_id, position=position,
                              stub=True, extra=extra)
        return doc_id, record, event


INGESTERS = [CnLegalEventsCsv]
