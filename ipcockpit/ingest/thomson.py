"""Thomson Innovation exports, as cleaned in VantagePoint (the opensource-patent-analytics course).

- ``thomson-xlsx``: the 61-column workbook (``synbio.xlsx``): one row per publication, multi-valued
  cells separated by ``;``, ``NA`` for empty. ``citing_patent_count`` -> ``cited_by_count``;
  ``cited_patent_numbers`` -> citations; ``inpadoc_first_family_member_number`` -> ``family_id``
  (scheme ``inpadoc``) with ``inpadoc_family_member_numbers`` as members and their count as
  ``family_size``; ``patent_assignees_cleaned_sector`` -> ``extra['applicant_sector']``.
  ``litigation_us`` (US court cases, ``date year parties court docket`` joined by `` | ``) becomes
  one :class:`LegalEvent` per case with ``event_class='litigation'`` and the case's date, and
  ``extra['litigation_us'] = True``.
  The per-inventor split of the same table (``synbio_inventors.xlsx``: an extra ``inventors_clean``
  column, one row per inventor) is read too: its rows are grouped back into one record per
  publication with the cleaned inventor names, so ``read`` counts publications, not rows.
- ``thomson-family-csv``: the 20-column family table (``ritonavir.csv``): publication number and kind,
  priority, dates, applicant, inventors, IPC in Derwent compact form (``C07D41700``), family members
  and family size. The table gives no family id, so ``family_id`` stays empty. Its ``granted patent`` and
  ``grant or application type families`` columns describe the family (a WO A1 of a family with a grant
  says "Yes"): they are kept in ``extra`` and never set a row's stage, which comes from its own kind code.

Workbooks are read with openpyxl in read-only mode (its "unknown extension" warning is silenced).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from datetime import date
from typing import Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import header, header_row, parse_date, rows
from ipcockpit.ingest.lens import classifications
from ipcockpit.model.numbers import application_id, canonical_number, parse_publication
from ipcockpit.model.records import (
    Citation,
    Inventor,
    LegalEvent,
    Party,
    PatentRecord,
    Priority,
    Record,
    Rejected,
    Text,
)

_XLSX_SIGNATURE = ("publication_number", "inpadoc_first_family_member_number", "citing_patent_count")
_FAMILY_CSV = {"publication number", "kind code", "family members", "family size", "priority document"}
_EMPTY = {"", "NA", "None", "nan"}
_CASE_DATE = re.compile(r"^(\d{4}-\d\d-\d\d)")


def _cell(value: Any) -> str:
    s = "" if value is None else str(value).strip()
    return "" if s in _EMPTY else s


def _split(value: Any, sep: str = ";") -> list[str]:
    return [p.strip() for p in _cell(value).split(sep) if p.strip() and p.strip() not in _EMPTY]


def _pub(text: str) -> tuple[str, str, str | None] | None:
    return parse_publication(text.replace(" ", ""))


def _pub_id(text: str) -> str | None:
    p = _pub(text)
    return f"{p[0]}{p[1]}{p[2] or ''}" if p else None


def _date(value: Any) -> date | None:
    s = _cell(value)
    return parse_date(s[:10] if re.match(r"^\d{4}-\d\d-\d\d[T ]", s) else s) if s else None


def _xlsx_head(source: Source) -> str:
    """The first 64 KiB of the shared strings (or first sheet) of a workbook, without reading it all."""
    if not source.head(4).startswith(b"PK\x03\x04"):
        return ""
    fh = source.open()
    try:
        if not fh.seekable():
            if not source.size or source.size > 64 << 20:
                return ""
            fh = io.BytesIO(fh.read())
        with zipfile.ZipFile(fh) as zf:
            names = zf.namelist()
            for part in ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
                if part in names:
                    with zf.open(part) as member:
                        return member.read(64 * 1024).decode("utf-8", errors="replace")
    except zipfile.BadZipFile:
        return ""
    finally:
        fh.close()
    return ""


class ThomsonXlsx(Ingester):
    name = "thomson-xlsx"
    label = "Thomson Innovation export (VantagePoint-cleaned .xlsx)"
    label_zh = "Thomson Innovation 导出（.xlsx）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        head = _xlsx_head(source)
        return all(s in head for s in _XLSX_SIGNATURE)

    def read(self, source: Source) -> Iterator[Record]:
        with source.open() as fh, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Unknown extension", category=UserWarning)
            import openpyxl  # imported here: an ingest of other formats does not need it

            book = openpyxl.load_workbook(io.BytesIO(fh.read()), read_only=True, data_only=True)
            try:
                rows = book.worksheets[0].iter_rows(values_only=True)
                names = [str(c or "").strip() for c in next(rows, ())]
                if "inventors_clean" in names:
                    yield from self._grouped(names, rows)
                    return
                for line, values in enumerate(rows, start=2):
                    row = dict(zip(names, values, strict=False))
                    if any(_cell(v) for v in row.values()):
                        yield thomson_record(row, f"line {line}")
            finally:
                book.close()

    def _grouped(self, names: list[str], rows: Iterator[tuple[Any, ...]]) -> Iterator[Record]:
        """One row per inventor -> one record per publication, cleaned inventor names in row order."""
        groups: dict[str, tuple[int, dict[str, Any], list[str]]] = {}
        for line, values in enumerate(rows, start=2):
            row = dict(zip(names, values, strict=False))
            key = _cell(row.get("publication_number"))
            if not key:
                if any(_cell(v) for v in row.values()):
                    yield Rejected(f"line {line}", "empty publication_number; fill it or drop the row",
                                   str(row)[:300], "publication_number")
                continue
            first, base, inventors = groups.setdefault(key, (line, row, []))
            name = _cell(row.get("inventors_clean"))
            if name and name not in inventors:
                inventors.append(name)
        for line, row, inventors in groups.values():
            rec = thomson_record(row, f"line {line}")
            if isinstance(rec, PatentRecord):
                rec.inventors = [Inventor(n, sequence=i) for i, n in enumerate(inventors, 1)]
            yield rec


def thomson_record(row: dict[str, Any], position: str) -> Record:
    excerpt = " | ".join(f"{k}={_cell(v)[:40]}" for k, v in row.items() if _cell(v))[:300]
    raw = _cell(row.get("publication_number"))
    parts = _pub(raw)
    if not parts:
        return Rejected(position, f"publication_number {raw!r} is not of the form 'EP784692A1'; fix it or drop the row",
                        excerpt, "publication_number")
    office, number, kind = parts
    try:
        pub = _date(row.get("publication_date"))
        priority_date = _date(row.get("priority_date_earliest"))
        app_dates = [_date(d) for d in _split(row.get("application_dates"))]
        prio_dates = [_date(d) for d in _split(row.get("priority_dates"))]
    except ValueError as exc:
        return Rejected(position, f"{exc}; write dates as YYYY-MM-DD", excerpt, "publication_date")
    apps = _split(row.get("application_numbers"))
    app_id = None
    if apps:
        m = re.match(r"^([A-Z]{2})(.*?)[A-Z]?$", apps[0])
        if m:
            app_id = application_id(m.group(1), m.group(2))
    priorities = []
    for i, p in enumerate(_split(row.get("priority_numbers"))):
        m = re.match(r"^([A-Z]{2})(.*?)([A-Z])?$", p)
        priorities.append(Priority(m.group(1) if m else None, m.group(2) if m else p,
                                   prio_dates[i] if i < len(prio_dates) else None))
    members = [d for d in (_pub_id(n) for n in _split(row.get("inpadoc_family_member_numbers"))) if d]
    first = _pub_id(_cell(row.get("inpadoc_first_family_member_number")))
    citations = []
    for i, n in enumerate(_split(row.get("cited_patent_numbers")), 1):
        p = _pub(n)
        citations.append(Citation(cited_doc_id=f"{p[0]}{p[1]}{p[2] or ''}" if p else None, cited_raw=n,
                                  cited_office=p[0] if p else None, sequence=i))
    events = []
    cases = _split(row.get("litigation_us"), "|")
    for case in cases:
        m = _CASE_DATE.match(case)
        events.append(LegalEvent(parse_date(m.group(1)) if m else None, office="US", raw_text=case,
                                 event_class="litigation"))
    title = _cell(row.get("title_original_english_cleaned")) or None
    abstract = _cell(row.get("abstract"))
    claim = _cell(row.get("claims_first"))
    extra: dict[str, Any] = {}
    for col, key in (("patent_assignees_cleaned_sector", "applicant_sector"), ("patent_assignees_cleaned",
                     "assignees_cleaned"), ("cited_patent_count", "cited_patent_count"),
                     ("government_interest_us_group", "government_interest_us"),
                     ("title_original_cleaned", "titles_original")):
        if _cell(row.get(col)):
            extra[key] = _cell(row.get(col))
    if cases:
        extra["litigation_us"] = True
    citing = _split(row.get("citing_patent_numbers"))
    if citing:
        extra["citing_patent_numbers"] = citing
    try:
        cited_by = int(float(_cell(row.get("citing_patent_count")))) if _cell(row.get("citing_patent_count")) else None
    except ValueError:
        return Rejected(position, "citing_patent_count is not a number; write digits or NA", excerpt,
                        "citing_patent_count")
    parties = [Party(n, "applicant", sequence=i)
               for i, n in enumerate(_split(row.get("patent_assignees_original_no_address")), 1)]
    parties += [Party(n, "agent", sequence=len(parties) + i)
                for i, n in enumerate(_split(row.get("attorney_agent")), 1)]
    texts = [Text("title", title, "en")] if title else []
    if abstract:
        texts.append(Text("abstract", abstract))
    if claim:
        texts.append(Text("first_claim", claim))
    return PatentRecord(
        doc_id=f"{office}{number}{kind or ''}",
        office=office,
        number=number,
        kind=kind,
        pub_date=pub,
        app_id=app_id,
        app_date=app_dates[0] if app_dates else None,
        priority_date=priority_date,
        family_id=first if first and members else None,
        family_scheme="inpadoc" if first and members else None,
        family_size=len(set(members)) if members else None,
        family_members=members,
        title=title,
        cited_by_count=cited_by,
        parties=parties,
        inventors=[Inventor(n, sequence=i) for i, n in enumerate(_split(row.get("inventors_original")), 1)],
        classifications=classifications(_split(row.get("international_classifications_codes")), "IPC")
        + classifications(_split(row.get("cpc_codes")), "CPC"),
        citations=citations,
        legal_events=events,
        texts=texts,
        priorities=priorities,
        position=position,
        extra=extra,
    )


class ThomsonFamilyCsv(Ingester):
    name = "thomson-family-csv"
    label = "Thomson Innovation family table (CSV: publication number, kind code, family members, family size)"
    label_zh = "Thomson Innovation 同族表（CSV）"
    priority = 40

    def sniff(self, source: Source) -> bool:
        return _FAMILY_CSV <= {c.lower() for c in header(source)}

    def read(self, source: Source) -> Iterator[Record]:
        # two columns are both called "family size": read by position, not by name
        with source.open_text() as fh:
            names: list[str] = []
            records = rows(fh, names=names)
            names.extend(c.strip().lower() for c in header_row(records, source.path))
            sizes = [i for i, n in enumerate(names) if n == "family size"]
            for line, values in records:
                if isinstance(values, Rejected):  # a record csv cannot read (csvutil)
                    yield values
                    continue
                row = dict(zip(names, values, strict=False))
                row["family size"] = values[sizes[0]] if sizes and len(values) > sizes[0] else ""
                if len(sizes) > 1 and len(values) > sizes[1]:
                    row["family size 2"] = values[sizes[1]]
                yield family_record(row, f"line {line}")


def family_record(row: dict[str, str], position: str) -> Record:
    excerpt = str(row)[:300]
    raw = _cell(row.get("publication number"))
    m = re.match(r"^([A-Z]{2})(\S+)$", raw)
    if not m:
        return Rejected(position,
                        f"publication number {raw!r} is not of the form 'AU2007202956'; fix it or drop the row",
                        excerpt, "publication number")
    office = m.group(1)
    number = canonical_number(office, m.group(2))
    kind = _cell(row.get("kind code")) or None
    try:
        pub = _date(row.get("publication date"))
        app_date = _date(row.get("application date"))
        prio = _date(row.get("earliest priority date"))
        size = int(_cell(row.get("family size"))) if _cell(row.get("family size")) else None
    except ValueError as exc:
        return Rejected(position, f"{exc}; dates as YYYY-MM-DD and family size as digits", excerpt, "publication date")
    title = _cell(row.get("title")) or None
    inventors = [re.sub(r"\s{2,}[A-Z]{2}$", "", n).strip() for n in _split(row.get("inventors"), "|")]
    extra = {k.replace(" ", "_"): _cell(row.get(k)) for k in
             ("family size 2", "wo in family", "grant or application type families", "granted patent",
              "priority country")
             if _cell(row.get(k))}
    pdoc = _cell(row.get("priority document"))
    return PatentRecord(
        doc_id=f"{office}{number}{kind or ''}",
        office=office,
        number=number,
        kind=kind,
        pub_date=pub,
        app_date=app_date,
        priority_date=prio,
        family_size=size,
        family_members=[d for d in (_pub_id(n) for n in _split(row.get("family members"), "|")) if d],
        title=title,
        parties=[Party(n, "applicant", sequence=i) for i, n in enumerate(_split(row.get("applicant"), "|"), 1)],
        inventors=[Inventor(n, sequence=i) for i, n in enumerate(inventors, 1)],
        classifications=classifications(_split(row.get("ipc classes"), "|"), "IPC"),
        priorities=[Priority(pdoc[:2], pdoc[2:], prio)] if re.match(r"^[A-Z]{2}\d", pdoc) else [],
        texts=[Text("title", title)] if title else [],
        position=position,
        extra=extra,
    )


INGESTERS = [ThomsonXlsx, ThomsonFamilyCsv]
