"""CNKI (中国知网) patent search results, in two layouts.

**Scraper sheet** (``cnki-xlsx``; shared/data/cn/cnki_export): the columns title, author (inventors,
``;``-separated), com (applicants), public (the database, 中国专利), sql (the application date), quote (the
publication date: 公开日 for A documents, 授权公告日 for B/U), download, href (the CNKI detail link, whose
``filename=`` parameter is the publication number with its kind, e.g. CN108982325A), ChDiv_summary (abstract)
and claim_text (the first claim). There is no application number and no classification; the publication
number and kind come from the link only, and a row without one is rejected. ``#`` in the texts stands for a
character the scraper lost; it is kept as written.

**Field list** (``cnki-csv``, and ``cnki-xlsx`` when saved as a workbook; shared/data/cn/cnki_export_sysu): CNKI's
own export, each column named ``English-中文``: SrcDatabase-来源库, Author-作者 (inventors), Applicant-申请人,
Title-题名, CountryName-国省名称, PubNo-公开号, PubTime-公开日期 (``2025/3/25``), Summary-摘要, Claims-主权项,
CLC-中图分类号 and, where the export has them, 申请号, 申请日, 地址, 分类号, 主分类号, 关键词, 代理机构, 代理人.
Columns are known by their Chinese name. CNKI fills 中图分类号 of patents with IPC codes; only codes of IPC shape are
read (a Chinese Library Classification code such as TP391 is not one). 国省名称 names the province (or country) of
the record's address, which CNIPA prints for the first applicant: it becomes the first applicant's
``Address.raw`` when the export has no 地址, and stays in ``extra['province_name']`` either way (in the shared
export 4 of 24 rows naming another province than 广东省 list 中山大学 first: the export cannot tell whose address it
is beyond the first applicant). Columns of no field (Label-标签, added by the project that shared the file) stay in
``extra`` under their header. The publication number must be intact (:mod:`ipcockpit.ingest.cn_exports`); a row
without one is quarantined.

Both layouts: a B, C, U, Y or S publication's date is its grant date; texts are kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from ipcockpit.ingest import csvutil
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_exports import (
    cn_application,
    cn_publication,
    first_sheet,
    head_rows,
    raw_text,
    split_names,
)
from ipcockpit.ingest.cn_table import cell_text, class_codes, sheet_rows, split_multi
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.model.numbers import parse_publication
from ipcockpit.model.records import (
    Address,
    Classification,
    Inventor,
    Party,
    PatentRecord,
    Record,
    Rejected,
    Text,
)

_COLUMNS = {"title", "author", "com", "sql", "quote", "href"}
_FILENAME = re.compile(r"[?&]filename=([A-Za-z]{2}\d+[A-Za-z]\d?)", re.I)
_KIND_TYPES = {"A": ("invention", "application"), "B": ("invention", "grant"), "C": ("invention", "grant"),
               "U": ("utility_model", "grant"), "Y": ("utility_model", "grant"), "S": ("design", "grant")}

#: field-list export: the Chinese column name -> field
FIELDS = {
    "来源库": "database", "作者": "inventors", "发明人": "inventors", "申请人": "applicants", "题名": "title",
    "国省名称": "province", "公开号": "pub_number", "公开日期": "pub_date", "公开日": "pub_date", "摘要": "abstract",
    "主权项": "first_claim", "中图分类号": "ipc", "分类号": "ipc", "主分类号": "ipc_main", "申请号": "app_number",
    "申请日": "app_date", "申请日期": "app_date", "地址": "address", "关键词": "keywords", "代理机构": "agency",
    "代理人": "agents",
}
#: a field-list header names these
_FIELD_LIST_KEYS = {"pub_number", "title", "applicants"}
_HEADER = re.compile(r"^\s*[A-Za-z][A-Za-z ]*-\s*(\S.*?)\s*$")


def field_list_map(header: list[Any]) -> dict[int, str] | None:
    """Column index -> field of a CNKI field-list header (``PubNo-公开号`` ...), or None for another header."""
    found: dict[int, str] = {}
    named = 0
    for i, cell in enumerate(header):
        m = _HEADER.match(str(cell or "").lstrip("\ufeff"))
        if not m:
            continue
        named += 1
        field = FIELDS.get(m.group(1))
        if field and field not in found.values():
            found[i] = field
    return found if named >= 3 and _FIELD_LIST_KEYS <= set(found.values()) else None


class CnkiPatentSheet(Ingester):
    name = "cnki-xlsx"
    label = "CNKI patent search results, spreadsheet (scraped: title, author, com, href ...; or CNKI's field list)"
    label_zh = "中国知网专利检索结果（Excel）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        rows = head_rows(source)
        if not rows:
            return False
        return _COLUMNS <= {c.strip() for c in rows[0]} or field_list_map(rows[0]) is not None

    def read(self, source: Source) -> Iterator[Record]:
        header = head_rows(source)[0]
        columns = field_list_map(header)
        if columns is not None:
            for position, row in first_sheet(source):
                yield _field_list_record(source.path, position, header, columns, row)
            return
        for _, rows in sheet_rows(source):
            names = [str(c).strip() if c is not None else "" for c in next(rows, ())]
            for n, row in enumerate(rows, start=2):
                cells = {h: cell_text(v) for h, v in zip(names, row, strict=False)}
                if not any(cells.values()):
                    continue
                yield self._record(source, f"line {n}", cells)
            return

    def _record(self, source: Source, position: str, c: dict[str, str | None]) -> Record:
        link = c.get("href") or ""
        m = _FILENAME.search(link)
        parts = parse_publication(m.group(1)) if m else None
        if not parts:
            return Rejected(position, f"{source.path}, {position}: no publication number in column 'href' "
                            "(expected ...filename=CN108982325A); the row cannot be loaded", link[:300], "href")
        try:
            app_date = parse_date(c.get("sql"))
            pub_date = parse_date(c.get("quote"))
        except ValueError as exc:
            field = "sql" if _bad(c.get("sql")) else "quote"
            return Rejected(position, f"{source.path}, {position}, column {field!r}: {exc}", str(c)[:300], field)
        rec = _document(parts, position, pub_date, app_date, c.get("title"),
                        {k: c[k] for k in ("public", "href") if c.get(k)})
        rec.parties = [Party(n, "applicant", sequence=i + 1) for i, n in enumerate(split_multi(c.get("com")))]
        rec.inventors = [Inventor(n, sequence=i + 1) for i, n in enumerate(split_multi(c.get("author")))]
        _texts(rec, c.get("ChDiv_summary"), c.get("claim_text"))
        return rec


class CnkiFieldListCsv(Ingester):
    name = "cnki-csv"
    label = "CNKI patent export, field list as CSV (SrcDatabase-来源库, PubNo-公开号, 国省名称 ...; UTF-8 or GB18030)"
    label_zh = "中国知网专利导出（字段列表 CSV，含国省名称、主权项）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        if is_binary(source):
            return False
        try:
            return field_list_map(csvutil.header(source)) is not None
        except (UnicodeDecodeError, ValueError):
            return False

    def read(self, source: Source) -> Iterator[Record]:
        with source.open_text() as fh:
            records = csvutil.rows(fh, ",")
            header = [h.lstrip("\ufeff") for h in csvutil.header_row(records, source.path)]
            columns = field_list_map(header) or {}
            for line, row in records:
                if isinstance(row, Rejected):
                    yield row
                elif any(c.strip() for c in row):
                    yield _field_list_record(source.path, f"line {line}", header, columns, row)


def is_binary(source: Source) -> bool:
    head = source.head(8)
    return head.startswith((b"\xd0\xcf\x11\xe0", b"PK\x03\x04")) or b"\x00" in source.head(4096)


def _field_list_record(path: str, position: str, header: list[Any], columns: dict[int, str],
                       row: list[Any]) -> Record:
    c: dict[str, Any] = {f: row[i] if i < len(row) else None for i, f in columns.items()}
    t = {f: raw_text(v) for f, v in c.items()}
    excerpt = " | ".join(raw_text(v) or "" for v in row)[:300]
    column = {f: str(header[i]) for i, f in columns.items()}
    parts, _, why = cn_publication(c.get("pub_number"))
    if parts is None:
        where = f"{path}, {position}, column {column['pub_number']!r}"
        return Rejected(position, f"{where}: {why}; the row is keyed on it" if why else
                        f"{where}: no publication number; a CNKI row is keyed on it", excerpt, column["pub_number"])
    dates: dict[str, date | None] = {}
    for field in ("pub_date", "app_date"):
        try:
            dates[field] = parse_date(c.get(field))
        except ValueError as exc:
            return Rejected(position, f"{path}, {position}, column {column[field]!r}: {exc}; write dates as "
                            "YYYY-MM-DD or YYYY/M/D", excerpt, column[field])
    extra: dict[str, Any] = {str(header[i]).lstrip("\ufeff"): v for i, cell in enumerate(row)
                             if i not in columns and (v := raw_text(cell))}
    if t.get("database"):
        extra["database"] = t["database"]
    if t.get("province"):
        extra["province_name"] = t["province"]
    app = cn_application(c.get("app_number"))
    if app.why:
        extra["app_number_raw"] = app.raw
        extra["number_notes"] = [f"{column['app_number']}: {app.why}"]
    rec = _document(parts, position, dates["pub_date"], dates["app_date"], t.get("title"), extra)
    rec.app_id = app.value
    address = t.get("address") or t.get("province")
    for i, name in enumerate(split_names(t.get("applicants"))):
        rec.parties.append(Party(name, "applicant", address=Address(raw=address) if i == 0 and address else None,
                                 sequence=i + 1))
    agencies = split_names(t.get("agency"))
    rec.parties += [Party(n, "agent", "company", sequence=i + 1) for i, n in enumerate(agencies)]
    rec.parties += [Party(n, "agent", "person", sequence=len(agencies) + i + 1)
                    for i, n in enumerate(split_names(t.get("agents")))]
    rec.inventors = [Inventor(n, sequence=i + 1) for i, n in enumerate(split_names(t.get("inventors")))]
    main = class_codes(t.get("ipc_main"))[:1]
    for i, code in enumerate(dict.fromkeys(main + class_codes(t.get("ipc")))):
        rec.classifications.append(Classification("IPC", code, main=bool(main) and i == 0, sequence=i + 1))
    _texts(rec, t.get("abstract"), t.get("first_claim"))
    if t.get("keywords"):
        rec.texts.append(Text("keywords", t["keywords"], "zh"))  # type: ignore[arg-type]
    return rec


def _document(parts: tuple[str, str, str | None], position: str, pub_date: date | None, app_date: date | None,
              title: str | None, extra: dict[str, Any]) -> PatentRecord:
    office, number, kind = parts
    doc_type, stage = _KIND_TYPES.get((kind or " ")[0], (None, None))
    rec = PatentRecord(
        doc_id=f"{office}{number}{kind or ''}", office=office, number=number, kind=kind, doc_type=doc_type,
        stage=stage, pub_date=pub_date, app_date=app_date, grant_date=pub_date if stage == "grant" else None,
        title=title, lang="zh", position=position, extra=extra,
    )
    if title:
        rec.texts.append(Text("title", title, "zh"))
    return rec


def _texts(rec: PatentRecord, abstract: str | None, first_claim: str | None) -> None:
    if abstract:
        rec.texts.append(Text("abstract", abstract, "zh"))
    if first_claim:
        rec.texts.append(Text("first_claim", first_claim, "zh"))


def _bad(text: str | None) -> bool:
    try:
        parse_date(text)
        return False
    except ValueError:
        return True


INGESTERS = [CnkiPatentSheet, CnkiFieldListCsv]
