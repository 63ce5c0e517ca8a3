"""Chinese patent table exports (CNIPA, incoPat, PatSnap ...): CSV, XLSX/XLS and the 专利总表 MySQL dump.

Columns are mapped through the declarative column map (``column_maps/cnipa_incopat.yaml`` plus the
maps of the ``column_maps`` setting). One row is one application: it gives the publication of
公开（公告）号, and a second record for 授权公告号 when the grant has its own number (CN115883397A and
CN115883397B). Both carry the bibliographic data; first claim, status, citations and legal events go
to the latest one. Legal events come from the 转让/许可/质押/无效/失效/实质审查 columns (one event per date; a count
larger than the dates given adds undated events) and from a 法律事件 text column. Unknown columns are
kept in ``extra`` under their own names and logged with their count; known columns with no field of
their own are kept under the English keys of the map's ``keep`` section.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from ipcockpit.ingest import csvutil
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.column_maps import ColumnMap, HeaderMatch, fold, load_column_map
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.ingest.sql_dump import COLUMN, CREATE_TABLE, INSERT, dump_head, sql_statements, sql_tuples
from ipcockpit.ingest.sql_dump import parse_sql_rows as parse_sql_rows  # re-exported for tools and tests
from ipcockpit.model.numbers import application_id, parse_publication, publication_id
from ipcockpit.model.records import (
    Address,
    Citation,
    Classification,
    Inventor,
    LegalEvent,
    Party,
    PatentRecord,
    Priority,
    Record,
    Rejected,
    Text,
)

log = logging.getLogger(__name__)

#: fields that mark a header as a patent table; a header needs a number and two of these
KEY_FIELDS = ("app_number", "pub_number", "grant_number", "app_date", "pub_date", "title", "applicants",
              "inventors", "ipc_main", "ipc")
_HEADER_SCAN = 6  # rows searched for the header (exports may start with a title row)

#: mapped columns that record a patent's pledges (质押): a row of a table with one of them and no pledge has none
PLEDGE_FIELDS = frozenset({"pledge_count", "pledge_dates", "pledgee", "pledge_amount", "legal_events"})


# values -----------------------------------------------------------------------------------------
_MULTI_STRONG = re.compile(r"\s*[;；|\n]+\s*")
_MULTI_WEAK = re.compile(r"\s*[,，、]+\s*")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CLASS = re.compile(r"([A-HY]\d{2}[A-Z])\s*(?:(\d{1,4})\s*/\s*(\d{1,6}))?(?![\dA-Z])")
_LOCARNO = re.compile(r"(\d{1,2})\s*[-.]\s*(\d{1,2})")
_DATE_IN = re.compile(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?|(?<!\d)(\d{8})(?!\d)")
_EMPTY = {"", "0", "-", "--", "无", "null", "none", "nan"}
_DOC_TYPES = {"发明公开": "invention", "发明授权": "invention", "发明申请": "invention", "发明": "invention",
              "实用新型": "utility_model", "外观设计": "design", "外观": "design"}
_KIND_TYPES = {"A": "invention", "B": "invention", "C": "invention", "U": "utility_model", "Y": "utility_model",
               "S": "design", "D": "design"}
_PARTY_TYPES = [("company", ("企业", "公司", "工矿")), ("university", ("大专院校", "院校", "高校", "大学", "学校")),
                ("institute", ("科研", "研究")), ("person", ("个人",)), ("government", ("机关", "团体", "政府")),
                ("hospital", ("医院", "医疗")), ("other", ("其他", "其它"))]


def cell_text(value: object) -> str | None:
    """A cell as stripped text; None for empty cells and the 0 that SQL dumps use for 'none'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return None if text.lower() in _EMPTY else text


def split_multi(text: str | None) -> list[str]:
    """Items of a multi-valued cell: split on ; ； | and new lines, or on , ， 、 for Chinese text."""
    if not text:
        return []
    items = [t for t in _MULTI_STRONG.split(text) if t]
    if len(items) == 1 and _CJK.search(text) and _MULTI_WEAK.search(text):
        items = [t for t in _MULTI_WEAK.split(text) if t]
    return [i.strip() for i in items if i.strip()]


def class_codes(text: str | None) -> list[str]:
    """IPC/CPC codes of a cell, normalised: "G06F 21/62", or "G06F" for a subclass alone."""
    if not text:
        return []
    out: list[str] = []
    for sub, group, subgroup in _CLASS.findall(text.upper()):
        code = f"{sub} {int(group)}/{subgroup}" if group else sub
        if code not in out:
            out.append(code)
    return out


def _dates(text: str | None) -> list[tuple[date | None, str]]:
    """(date, item text) for each item of a date cell; an unreadable item keeps its text and no date."""
    out: list[tuple[date | None, str]] = []
    for item in re.split(r"[;；,，|\s]+", text or ""):
        if not item or item.lower() in _EMPTY:
            continue
        try:
            out.append((parse_date(item), item))
        except ValueError:
            out.append((None, item))
    return out


def _amount(text: str | None, column: str) -> float | None:
    if not text:
        return None
    m = re.search(r"-?\d+(?:\.\d+)?", text.replace(",", ""))
    if not m:
        return None
    value = float(m.group(0))
    return value * 10_000 if "万" in column or "万" in text else value


def _party_type(text: str | None) -> str | None:
    if not text:
        return None
    for kind, words in _PARTY_TYPES:
        if any(w in text for w in words):
            return kind
    return None


class RowReader:
    """Turns the rows of one table (one header) into records."""

    def __init__(self, path: str, match: HeaderMatch) -> None:
        self.path = path
        self.match = match

    def read(self, position: str, row: list[Any]) -> Iterator[Record]:
        m = self.match
        v: dict[str, str | None] = {f: cell_text(row[i]) if i < len(row) else None for f, i in m.fields.items()}
        extra: dict[str, Any] = {}
        for i, key in m.keep.items():
            text = cell_text(row[i]) if i < len(row) else None
            if text is not None:
                extra[key] = text
        for i in m.unknown:
            text = cell_text(row[i]) if i < len(row) else None
            if text is not None:
                extra[m.header[i]] = text
        pub = parse_publication(v.get("pub_number") or "", "CN") if v.get("pub_number") else None
        grant = parse_publication(v.get("grant_number") or "", "CN") if v.get("grant_number") else None
        if pub is None and grant is None:
            col = m.header[m.fields["pub_number"]] if "pub_number" in m.fields else "公开（公告）号"
            yield Rejected(position, f"{self.path}, {position}: no publication number in column {col!r}; "
                           "a row needs 公开（公告）号 or 授权公告号 to be loaded", _excerpt(row), col)
            return
        try:
            app_date = parse_date(v.get("app_date"))
            pub_date = parse_date(v.get("pub_date"))
            grant_date = parse_date(v.get("grant_date"))
        except ValueError as exc:
            field = next(f for f in ("app_date", "pub_date", "grant_date") if _bad_date(v.get(f)))
            yield Rejected(position, f"{self.path}, {position}, column {m.header[m.fields[field]]!r}: {exc}; "
                           "write dates as YYYY-MM-DD or YYYYMMDD", _excerpt(row), field)
            return
        pubs: list[tuple[tuple[str, str, str | None], date | None]] = []
        if pub:
            pubs.append((pub, pub_date))
        if grant and (not pub or grant[:2] != pub[:2] or grant[2] != pub[2]):
            pubs.append((grant, grant_date or (pub_date if not pub else None)))
        for n, ((office, number, kind), when) in enumerate(pubs):
            latest = n == len(pubs) - 1
            rec = self._record(v, office, number, kind, when, app_date, grant_date, latest, extra if latest else {})
            rec.position = position
            yield rec

    def _record(self, v: dict[str, str | None], office: str, number: str, kind: str | None, when: date | None,
                app_date: date | None, grant_date: date | None, latest: bool, extra: dict[str, Any]) -> PatentRecord:
        is_grant = bool(kind) and kind[0] in "BCUYSD"  # type: ignore[index]
        doc_type = _KIND_TYPES.get((kind or " ")[0]) or next(
            (t for word, t in _DOC_TYPES.items() if word in (v.get("doc_type") or "")), None)
        title = (v.get("title_grant") if is_grant else None) or v.get("title") or v.get("title_grant")
        rec = PatentRecord(
            doc_id=f"{office}{number}{kind or ''}", office=office, number=number, kind=kind, doc_type=doc_type,
            stage=("grant" if is_grant else "application") if kind else None, pub_date=when,
            app_id=application_id(office, v["app_number"]) if v.get("app_number") else None,
            app_date=app_date, grant_date=grant_date if is_grant else None, title=title, lang="zh",
            status=v.get("status") if latest else None, extra=dict(extra),
        )
        if v.get("doc_type"):
            rec.extra.setdefault("doc_type_text", v["doc_type"])
        self._parties(rec, v)
        self._classes(rec, v)
        self._texts(rec, v, latest)
        self._priorities(rec, v)
        self._family(rec, v)
        if latest:
            self._citations(rec, v)
            self._events(rec, v)
        return rec

    def _parties(self, rec: PatentRecord, v: dict[str, str | None]) -> None:
        applicants = split_multi(v.get("applicants"))
        types = split_multi(v.get("applicant_type"))
        for i, name in enumerate(applicants):
            kind = _party_type(types[i] if len(types) == len(applicants)
                               else types[0] if len(applicants) == 1 and types else None)
            address = Address(raw=v["applicant_address"]) if i == 0 and v.get("applicant_address") else None
            rec.parties.append(Party(name, "applicant", kind, address=address, sequence=i + 1))
        for i, name in enumerate(split_multi(v.get("current_owners"))):
            rec.parties.append(Party(name, "current_owner", sequence=i + 1))
        agencies = split_multi(v.get("agency"))
        for i, name in enumerate(agencies):
            rec.parties.append(Party(name, "agent", "company", sequence=i + 1))
        for i, name in enumerate(split_multi(v.get("agents"))):
            rec.parties.append(Party(name, "agent", "person", sequence=len(agencies) + i + 1))
        for i, name in enumerate(split_multi(v.get("examiner"))):
            rec.parties.append(Party(name, "examiner", "person", sequence=i + 1))
        rec.inventors = [Inventor(name, sequence=i + 1) for i, name in enumerate(split_multi(v.get("inventors")))]

    def _classes(self, rec: PatentRecord, v: dict[str, str | None]) -> None:
        for scheme, main_field, all_field in (("IPC", "ipc_main", "ipc"), ("CPC", "cpc_main", "cpc"),
                                              ("FI", "fi_main", "fi")):
            main = class_codes(v.get(main_field))[:1]
            codes = list(dict.fromkeys(main + class_codes(v.get(all_field))))
            for i, code in enumerate(codes):
                rec.classifications.append(Classification(scheme, code, main=bool(main) and i == 0, sequence=i + 1))
        for i, (major, minor) in enumerate(_LOCARNO.findall(v.get("locarno") or "")):
            rec.classifications.append(Classification("LOCARNO", f"{int(major):02d}-{int(minor):02d}", i == 0, i + 1))

    def _texts(self, rec: PatentRecord, v: dict[str, str | None], latest: bool) -> None:
        if rec.title:
            rec.texts.append(Text("title", rec.title, "zh"))
        if v.get("abstract"):
            rec.texts.append(Text("abstract", v["abstract"], "zh"))  # type: ignore[arg-type]
        if latest and v.get("first_claim"):
            rec.texts.append(Text("first_claim", v["first_claim"], "zh"))  # type: ignore[arg-type]

    def _priorities(self, rec: PatentRecord, v: dict[str, str | None]) -> None:
        items = split_multi(v.get("priority"))
        dates = [d for d, _ in _dates(v.get("priority_date"))]
        for i, item in enumerate(items):
            found = _DATE_IN.search(item)
            when = None
            if found:
                try:
                    when = parse_date(found.group(0).replace("年", "-").replace("月", "-").rstrip("日"))
                except ValueError:
                    when = None
                item = (item[: found.start()] + item[found.end():]).strip()
            if when is None and i < len(dates):
                when = dates[i]
            country = item[:2].upper() if item[:2].isalpha() and item[:2].isascii() else None
            number = (item[2:] if country else item).strip(" :") or None
            rec.priorities.append(Priority(country, number, when))
        known = [p.date for p in rec.priorities if p.date] or [d for d in dates if d]
        rec.priority_date = min(known) if known else None

    def _citations(self, rec: PatentRecord, v: dict[str, str | None]) -> None:
        for i, item in enumerate(split_multi(v.get("citations"))):
            parts = parse_publication(item)
            rec.citations.append(Citation(publication_id(item), item, parts[0] if parts else None, sequence=i + 1))
        seq = len(rec.citations)
        for item in re.split(r"\s*[\n|]+\s*", v.get("npl") or ""):
            if item:
                seq += 1
                rec.citations.append(Citation(cited_raw=item, npl=True, sequence=seq))

    def _family(self, rec: PatentRecord, v: dict[str, str | None]) -> None:
        if v.get("cited_by_count") and v["cited_by_count"].isdigit():  # type: ignore[union-attr]
            rec.cited_by_count = int(v["cited_by_count"])  # type: ignore[arg-type]
        members = [publication_id(m) for m in split_multi(v.get("family"))]
        members = [m for m in members if m and m != rec.doc_id]
        if members:
            rec.family_members = members
            rec.family_id = min([rec.doc_id, *members])
            rec.family_scheme = "source"
        if v.get("family_size") and v["family_size"].isdigit():  # type: ignore[union-attr]
            rec.family_size = int(v["family_size"])  # type: ignore[arg-type]

    def _events(self, rec: PatentRecord, v: dict[str, str | None]) -> None:
        header = self.match.header
        col = {f: header[i] for f, i in self.match.fields.items()}
        if PLEDGE_FIELDS & col.keys():  # the table says whether there are pledges, even when there are none
            rec.extra["records_pledges"] = True
        for cls, count_f, dates_f, party_f, amount_f, label in (
            ("transfer", "transfer_count", "transfer_dates", "transfer_to", None, "专利权转移"),
            ("licence", "licence_count", "licence_dates", "licensee", "licence_amount", "专利实施许可"),
            ("pledge", "pledge_count", "pledge_dates", "pledgee", "pledge_amount", "专利权质押"),
            ("invalidation_request", None, "invalidation_dates", "invalidation_requester", None, "无效宣告请求"),
            ("lapse", None, "lapse_date", None, None, "专利权失效"),
            ("examination", None, "exam_date", None, None, "实质审查生效"),
        ):
            dated = _dates(v.get(dates_f))
            count = int(v[count_f]) if count_f and (v.get(count_f) or "").isdigit() else 0  # type: ignore[arg-type]
            parties = split_multi(v.get(party_f)) if party_f else []
            amounts = split_multi(v.get(amount_f)) if amount_f else []
            total = max(len(dated), count)
            for i in range(total):
                when, text = dated[i] if i < len(dated) else (None, None)
                raw = (f"{label} ({col[dates_f]}: {text})" if text
                       else f"{label} ({col.get(count_f or '', '')}: {count}, no date given)")
                party = (parties[i] if len(parties) == total
                         else parties[0] if len(parties) == 1 and total == 1 else None)
                amount_text = (amounts[i] if len(amounts) == total
                               else amounts[0] if len(amounts) == 1 and total == 1 else None)
                rec.legal_events.append(LegalEvent(
                    when, office=rec.office, raw_text=raw, event_class=cls, counterparty=party,
                    amount=_amount(amount_text, col.get(amount_f or "", "")), currency="CNY" if amount_text else None,
                ))
        for item in split_multi(v.get("legal_events")):
            found = _DATE_IN.search(item)
            when = None
            if found:
                try:
                    when = parse_date(found.group(0).replace("年", "-").replace("月", "-").rstrip("日"))
                except ValueError:
                    when = None
            rec.legal_events.append(LegalEvent(when, office=rec.office, raw_text=item))


def _bad_date(text: str | None) -> bool:
    try:
        parse_date(text)
        return False
    except ValueError:
        return True


def _excerpt(row: list[Any]) -> str:
    return " | ".join("" if c is None else str(c) for c in row)[:300]


class _ChineseTable(Ingester):
    """What the CSV, spreadsheet and SQL variants share: the column map and the header test."""

    def column_map(self) -> ColumnMap:
        folder = getattr(self.settings, "column_maps", "") if self.settings is not None else ""
        return load_column_map(folder or None)

    def recognise(self, header: list[object]) -> HeaderMatch | None:
        m = self.column_map().match(header)
        if not ({"app_number", "pub_number", "grant_number"} & m.fields.keys()):
            return None
        if sum(1 for f in KEY_FIELDS if f in m.fields) < 2:
            return None
        return m

    def records(self, source: Source, match: HeaderMatch,
                rows: Iterable[tuple[str, list[Any] | Rejected]]) -> Iterator[Record]:
        if match.unknown:
            log.info("%s: %d unknown columns kept in extra: %s", source.path, len(match.unknown),
                     ", ".join(match.unknown_names))
        reader = RowReader(source.path, match)
        for position, row in rows:
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            yield from reader.read(position, row)


class ChineseTableCsv(_ChineseTable):
    name = "cn-table-csv"
    label = "Chinese patent table export (CNIPA/incoPat/PatSnap, CSV or TSV; UTF-8, GBK or GB18030)"
    label_zh = "中文专利检索导出表（CSV，CNIPA/incoPat/智慧芽）"
    priority = 40

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".csv", ".tsv", ".txt"):
            return False
        try:
            found = _csv_header(source, self.column_map())
        except (UnicodeDecodeError, csv.Error):
            return False
        return found is not None and self.recognise(found[1]) is not None

    def read(self, source: Source) -> Iterator[Record]:
        found = _csv_header(source, self.column_map())
        match = self.recognise(found[1]) if found else None
        if found is None or match is None:
            yield Rejected("line 1", "no header with 申请号 or 公开（公告）号 found in the first rows; "
                           "add the column names to a column map", source.text_head(300), "header")
            return
        delimiter, names, skip = found
        with source.open_text() as fh:
            records = csvutil.rows(fh, delimiter, names)
            for _ in range(skip + 1):
                next(records, None)
            yield from self.records(source, match, _csv_rows(records))


def _csv_header(source: Source, cmap: ColumnMap) -> tuple[str, list[str], int] | None:
    """(delimiter, header, rows before it) for the first of the first rows that looks like a header."""
    numbers = {fold(a) for f in ("app_number", "pub_number", "grant_number") for a in cmap.fields.get(f, [])}
    text = source.text_head()
    lines = text.splitlines()[:_HEADER_SCAN]
    for skip, line in enumerate(lines):
        delimiter = "\t" if line.count("\t") > line.count(",") else ","
        cells = next(csv.reader([line], delimiter=delimiter), [])
        folded = {fold(c) for c in cells}
        if len(cells) >= 2 and folded & numbers:
            return delimiter, [c.strip() for c in cells], skip
    return None


def _csv_rows(records: Iterator[tuple[int, list[str] | Rejected]]) -> Iterator[tuple[str, list[Any] | Rejected]]:
    for line, row in records:
        if isinstance(row, Rejected) or any(c.strip() for c in row):
            yield f"line {line}", row


class ChineseTableSheet(_ChineseTable):
    name = "cn-table-xlsx"
    label = "Chinese patent table export (CNIPA/incoPat/PatSnap, XLSX or XLS)"
    label_zh = "中文专利检索导出表（Excel，CNIPA/incoPat/智慧芽）"
    priority = 40

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".xlsx", ".xlsm", ".xls"):
            return False
        try:
            return self._find(source) is not None
        except Exception:  # noqa: BLE001 - an unreadable workbook is simply not this format
            return False

    def _find(self, source: Source) -> tuple[str, int, HeaderMatch] | None:
        for sheet, rows in sheet_rows(source):
            for i, row in enumerate(rows):
                if i >= _HEADER_SCAN:
                    break
                m = self.recognise(list(row))
                if m is not None:
                    return sheet, i, m
        return None

    def read(self, source: Source) -> Iterator[Record]:
        found = self._find(source)
        if found is None:
            yield Rejected("line 1", "no sheet has a header with 申请号 or 公开（公告）号 in its first rows; "
                           "add the column names to a column map", "", "header")
            return
        sheet, skip, match = found
        for name, rows in sheet_rows(source):
            if name != sheet:
                continue
            numbered = ((f"line {i + 1}", list(r)) for i, r in enumerate(rows) if i > skip and _filled(r))
            yield from self.records(source, match, numbered)


def _filled(row: Iterable[object]) -> bool:
    return any(v not in (None, "") and str(v).strip() for v in row)


def sheet_rows(source: Source) -> Iterator[tuple[str, Iterator[tuple[Any, ...]]]]:
    """(sheet name, rows of cell values) for each sheet of an XLSX (openpyxl) or XLS (xlrd) workbook."""
    data = _seekable(source)
    if source.head(8).startswith(b"\xd0\xcf\x11\xe0"):
        import xlrd

        book = xlrd.open_workbook(file_contents=data.read())
        for sh in book.sheets():
            yield sh.name, (tuple(_xls_value(c, book.datemode) for c in sh.row(r)) for r in range(sh.nrows))
        return
    import openpyxl

    wb = openpyxl.load_workbook(data, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            yield ws.title, ws.iter_rows(values_only=True)
    finally:
        wb.close()


def _xls_value(cell: Any, datemode: int) -> Any:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate_as_datetime(cell.value, datemode)
    return cell.value


def _seekable(source: Source) -> io.BytesIO | Any:
    fh = source.open()
    if fh.seekable():
        return fh
    with fh:
        return io.BytesIO(fh.read())


# MySQL dump (read by ipcockpit.ingest.sql_dump) ------------------------------------------------
class ChineseTableSql(_ChineseTable):
    name = "cn-table-sql"
    label = "Chinese patent table as a MySQL dump (CREATE TABLE + INSERT, e.g. a 专利总表 export)"
    label_zh = "中文专利总表 MySQL 导出（建表与插入语句）"
    priority = 40

    def sniff(self, source: Source) -> bool:
        head = dump_head(source)
        if head is None:
            return False
        for stmt in sql_statements(head.splitlines(keepends=True)):
            m = CREATE_TABLE.search(stmt)
            if m and self.recognise(COLUMN.findall(m.group(2))) is not None:
                return True
        return False

    def read(self, source: Source) -> Iterator[Record]:
        tables: dict[str, tuple[list[str], HeaderMatch | None]] = {}
        readers: dict[str, RowReader] = {}
        counts: dict[str, int] = {}
        with source.open_text() as fh:
            for stmt in sql_statements(fh):
                create = (CREATE_TABLE.match(stmt)
                          or (CREATE_TABLE.search(stmt) if stmt[:6].upper() == "CREATE" else None))
                if create:
                    cols = COLUMN.findall(create.group(2))
                    tables[create.group(1)] = (cols, self.recognise(cols))
                    continue
                ins = INSERT.match(stmt)
                if not ins:
                    continue
                table = ins.group(1)
                cols, match = tables.get(table, ([], None))
                if ins.group(2):
                    cols = [c.strip().strip("`\"") for c in ins.group(2)[1:-1].split(",")]
                    match = self.recognise(cols)
                if match is None:
                    continue  # a table of the dump that is not a patent table
                key = f"{table}:{','.join(cols)}"
                if key not in readers:
                    readers[key] = RowReader(source.path, match)
                    if match.unknown:
                        log.info("%s: table %s has %d unknown columns kept in extra: %s", source.path, table,
                                 len(match.unknown), ", ".join(match.unknown_names))
                try:
                    for row in sql_tuples(stmt[ins.end():]):
                        counts[table] = counts.get(table, 0) + 1
                        position = f"record {counts[table]}"
                        if len(row) != len(cols):
                            yield Rejected(position, f"table {table}: {len(row)} values for {len(cols)} columns; "
                                           "check the INSERT statement", str(row)[:300], None)
                            continue
                        yield from readers[key].read(position, row)
                except ValueError as exc:
                    counts[table] = counts.get(table, 0) + 1
                    yield Rejected(f"record {counts[table]}", f"table {table}: {exc}; the statement is skipped",
                                   stmt[:300], None)


INGESTERS = [ChineseTableCsv, ChineseTableSheet, ChineseTableSql]
