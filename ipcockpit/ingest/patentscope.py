"""WIPO PATENTSCOPE result-list export: an .xls workbook (sheet ``ResultSet``) per download.

The sheet holds an empty line and a ``Query: ...`` line above the header row
``Publication Number, Publication Date, Title, Priority Data, IPC, Applicants, Inventors, FP Image``.
Numbers come without kind codes (``US20050286606``, ``WO2005123456``); national collections
that PATENTSCOPE lists by application number have a lower-case office (``za2004/01234``,
``mxPA/a/2005/012345``): the office is upper-cased and the number kept as written, and the original
text goes to ``extra['patentscope_number']``. So ``doc_id`` has no kind: the loader links the row to the
publication of the same number and date loaded with its kind from another source (``US20050286606A1``), or
keeps it as a publication of its own (docs/model.md, "Identifiers and links").

Priority data is ``[number date country, ...]`` with ISO or day-first dates. The export has no application
number or date.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.ingest.lens import classifications
from ipcockpit.model.numbers import canonical_number
from ipcockpit.model.records import Inventor, Party, PatentRecord, Priority, Record, Rejected, Text

if TYPE_CHECKING:
    import xlrd

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER = ("Publication Number", "Publication Date", "Title", "Priority Data", "IPC", "Applicants", "Inventors")
#: PATENTSCOPE column -> PatentRecord target
COLUMNS: dict[str, str] = {
    "Publication Number": "publication",
    "Publication Date": "pub_date",
    "Title": "title",
    "Priority Data": "priorities",
    "IPC": "ipc",
    "Applicants": "applicants",
    "Inventors": "inventors",
    "FP Image": "ignore",
}
_NUMBER = re.compile(r"^([A-Za-z]{2})\s*(.*?\d.*?)\*?$")
_DMY = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")
_DATE_TOKEN = re.compile(r"^(\d{4}-\d\d-\d\d(T[\d:.]+Z?)?|\d\d\.\d\d\.\d{4}|\d{8})$")


def _in_head(head: bytes, text: str) -> bool:
    return text.encode("latin-1") in head or text.encode("utf-16-le") in head


def parse_priorities(cell: str) -> list[Priority]:
    """``[60582692 2004-06-24T23:59:59.000Z US, 10/864,311 08.06.2004 US]`` -> priorities."""
    out = []
    for entry in cell.strip().strip("[]").split(", "):
        tokens = entry.split()
        if not tokens:
            continue
        when = None
        country = None
        rest = []
        for tok in tokens:
            if when is None and _DATE_TOKEN.match(tok):
                try:
                    when = _date(tok[:10] if "T" in tok else tok)
                except ValueError:
                    rest.append(tok)
            elif country is None and re.fullmatch(r"[A-Z]{2}", tok):
                country = tok
            else:
                rest.append(tok)
        out.append(Priority(country, "".join(rest) or None, when))
    return out


def _date(value: Any) -> date | None:
    m = _DMY.match(str(value or "").strip())
    return date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else parse_date(value)


def _split(value: Any) -> list[str]:
    return [p.strip() for p in str(value or "").split(";") if p.strip()]


class PatentscopeXls(Ingester):
    name = "patentscope-xls"
    label = "WIPO PATENTSCOPE result list (.xls)"
    label_zh = "WIPO PATENTSCOPE 检索结果导出（.xls）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        head = source.head()
        return head.startswith(_OLE2) and all(_in_head(head, t) for t in ("Publication Number", "Priority Data"))

    def read(self, source: Source) -> Iterator[Record]:
        import xlrd  # here, not at module level: its import is 25 ms of every ingest's start

        with source.open() as fh:
            book = xlrd.open_workbook(file_contents=fh.read(), logfile=io.StringIO(), on_demand=True)
        for sheet in book.sheets():
            yield from self._sheet(sheet, book.nsheets > 1)

    def _sheet(self, sheet: xlrd.sheet.Sheet, several: bool) -> Iterator[Record]:
        header_row = None
        for r in range(min(10, sheet.nrows)):
            cells = [str(c).strip() for c in sheet.row_values(r)]
            if all(h in cells for h in _HEADER):
                header_row = r
                names = cells
                break
        if header_row is None:
            return
        prefix = f"sheet {sheet.name} " if several else ""
        for r in range(header_row + 1, sheet.nrows):
            row = dict(zip(names, sheet.row_values(r), strict=False))
            if not any(str(v).strip() for v in row.values()):
                continue
            yield self._record(row, f"{prefix}line {r + 1}")

    def _record(self, row: dict[str, Any], position: str) -> Record:
        excerpt = " | ".join(f"{k}={v}" for k, v in row.items() if v)[:300]
        raw = str(row.get("Publication Number") or "").strip()
        m = _NUMBER.match(raw)
        if not m:
            return Rejected(position, f"publication number {raw!r} does not start with a two-letter office; "
                            "fix the 'Publication Number' cell or drop the row", excerpt, "Publication Number")
        office = m.group(1).upper()
        number = canonical_number(office, m.group(2))
        try:
            pub = _date(row.get("Publication Date"))
        except ValueError as exc:
            return Rejected(position, f"{exc} in 'Publication Date'; PATENTSCOPE writes DD.MM.YYYY", excerpt,
                            "Publication Date")
        title = str(row.get("Title") or "").strip() or None
        priorities = parse_priorities(str(row.get("Priority Data") or ""))
        dates = [p.date for p in priorities if p.date]
        extra: dict[str, Any] = {}
        if m.group(1).islower() or not m.group(2).isalnum():
            extra["patentscope_number"] = raw
        return PatentRecord(
            doc_id=f"{office}{number}",
            office=office,
            number=number,
            pub_date=pub,
            priority_date=min(dates) if dates else None,
            title=title,
            parties=[Party(n, "applicant", sequence=i) for i, n in enumerate(_split(row.get("Applicants")), 1)],
            inventors=[Inventor(n, sequence=i) for i, n in enumerate(_split(row.get("Inventors")), 1)],
            classifications=classifications(_split(row.get("IPC")), "IPC"),
            priorities=priorities,
            texts=[Text("title", title)] if title else [],
            position=position,
            extra=extra,
        )


INGESTERS = [PatentscopeXls]
