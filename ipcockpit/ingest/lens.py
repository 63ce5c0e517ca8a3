"""Lens.org exports: the CSV download (``;;``-separated cells), its tidied variant, and JSON lines.

All three go through one declarative column map, :data:`LENS_COLUMNS`: a Lens column name,
snake-cased (``"Cited by Patent Count"`` and ``citedByPatentCount`` both become
``cited_by_patent_count``), maps to a target of :data:`TARGETS`. A new Lens column is one line in
the map; a column the map does not know is kept in ``extra`` under its snake-cased name.

- ``lens-csv``: the Lens.org CSV export (``Jurisdiction, Kind, Publication Number`` or
  ``Display Key, Lens ID ...``); multi-valued cells are separated by ``;;``. Files re-saved by
  Excel come in cp1252 or Mac Roman with CR line ends and day-first two-digit years
  (``25/04/13``); both are read. Their two-digit year is the *week-based* year (Java's ``YY``):
  28 December 2010, in the week of 1 January 2011, is written ``28/12/11``. :func:`lens_date` takes
  the year from the row's other columns (Publication Year, the priority dates) and says in
  ``extra['date_notes']`` when it corrected one; a date it cannot make sense of, or one before 1790
  or more than two years ahead, stays empty, with the cell in ``extra['<field>_raw']`` and the reason
  in ``extra['date_notes']``. The record is kept. ISO dates can carry the week-based year too
  (``2015-12-31`` for 31 December 2014): :func:`iso_week_year` reads the year before when the row proves it.
- ``lens-csv-tidy``: the snake_case "cleaned" Lens table of the opensource-patent-analytics
  course (``publication_number, publication_country_code ...``), ``;``-separated, with UTF-8 text
  that was decoded twice (``FÃ¼r``); the double decoding is undone.
- ``lens-jsonl``: one flat Lens record per line (``lensId, displayKey, jurisdiction, kindCode ...``).
  The Lens API's nested form (``biblio``/``families``) is recognised and refused with a hint.

``doc_id`` is built from jurisdiction + number + kind; Lens IDs go to ``extra['lens_id']``. Lens
exports carry no family id, so ``family_id`` stays empty and ``family_size`` is the simple
(DOCDB) family size; the extended family size is kept in ``extra``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from functools import lru_cache
from itertools import chain, islice
from typing import Any

from ipcockpit.errors import UnsupportedFormatError
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import dict_records, header, parse_date
from ipcockpit.model.names import undo_double_utf8
from ipcockpit.model.numbers import application_id, canonical_number, doc_id, stage_and_type
from ipcockpit.model.records import (
    EARLIEST_DATE,
    LATEST_YEARS_AHEAD,
    WEEK_YEAR_NOTE,
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

#: Lens column (snake-cased) -> target. "extra" keeps the value under the column's name.
LENS_COLUMNS: dict[str, str] = {
    "jurisdiction": "office",
    "publication_country_code": "office",
    "kind": "kind",
    "kind_code": "kind",
    "display_key": "publication",
    "publication_number": "publication",
    "lens_id": "lens_id",
    "url": "url",
    "publication_date": "pub_date",
    "application_number": "application",
    "filing_number": "application",
    "application_date": "app_date",
    "filing_date": "app_date",
    "priority_numbers": "priorities",
    "priority_filing_keys_active": "priorities",
    "earliest_priority_date": "priority_date",
    "title": "title",
    "abstract": "abstract",
    "applicants": "applicants",
    "applicants_use_me": "applicants",
    "inventors": "inventors",
    "inventors_useme": "inventors",
    "owners": "owners",
    "type": "doc_type",
    "document_type": "doc_type",
    "doc_type": "doc_type",
    "cited_count": "cited_by_count",
    "cited_by_patent_count": "cited_by_count",
    "simple_family_size": "family_size",
    "simple_family_members": "family_members",
    "cpc_classifications": "cpc",
    "cpc_codes_useme": "cpc",
    "ipcr_classifications": "ipc",
    "ipc_codes": "ipc",
    "us_classifications": "uspc",
    "non_patent_citations": "npl",
    "npl_citations": "npl",
    "cites_patents": "cited_patents",
    "cited_patents": "cited_patents",
    "legal_status": "status",
    "extended_family_size": "extra",
    "family_size": "extra:extended_family_size",  # the JSON export's name for it
    "cites_patent_count": "extra",
    "sequence_count": "extra",
    "seq_count": "extra",
    "full_text": "extra",
    "has_full_text": "extra",
    "pubmed_id_s": "extra",
    "doi_s": "extra",
    "dois": "extra",
    "npl_citation_count": "extra",
    "npl_resolved_count": "extra",
    "npl_resolved_citation_count": "extra",
    "npl_resolved_lens_ids": "extra",
    "npl_resolved_external_ids": "extra",
    # derived or repeated columns: nothing to keep
    "": "ignore",
    "index": "ignore",
    "publication_key": "ignore",
    "publication_year": "ignore",
    "publication_country_name": "ignore",
    "priority_country_code": "ignore",
    "priority_country_name": "ignore",
    "priority_year": "ignore",
    "applicants_organisations_only": "ignore",
    "ipc_short": "ignore",
    "ipc_subclass": "ignore",
    "title_phrases": "ignore",
}
TARGETS = frozenset(LENS_COLUMNS.values())  # "extra:NAME" keeps the value in extra under NAME

#: Lens document type -> (doc_type, stage)
LENS_TYPES: dict[str, tuple[str | None, str | None]] = {
    "patent application": ("invention", "application"),
    "granted patent": ("invention", "grant"),
    "ammended patent": ("invention", "grant"),
    "amended patent": ("invention", "grant"),
    "amended application": ("invention", "application"),
    "design right": ("design", "grant"),
    "plant patent": ("plant", "grant"),
    "statutory invention registration": ("sir", None),
    # utility models and other short-term rights (CN U/Y, DE U1, AU innovation patents A4/B4 ...): the
    # in-force rule gives them the utility-model term of their office (legal_status.UTILITY_MODEL_TERMS)
    "limited patent": ("utility_model", "grant"),
    "search report": ("other", None),
}

_CLASS_SLASH = re.compile(r"^([A-H]\d\d[A-Z])\s*-?\s*0*(\d{1,4})\s*/\s*(\d+)$")
_CLASS_COMPACT = re.compile(r"^([A-H]\d\d[A-Z])(\d{3})(\d{2,})$")
_KIND = re.compile(r"^[A-Z]\d?$")
_LENS_ID = re.compile(r"\b(\d{3}-\d{3}-\d{3}-\d{3}-\d{2}[\dX])\b")
_SHORT_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$")


# Helpers shared by the export ingesters -------------------------------------------------------
@lru_cache(maxsize=65536)
def class_code(raw: str) -> str | None:
    """``A01K47/00``, ``A61K-0031/12``, ``C07D41700`` -> ``A01K 47/00``, ``A61K 31/12``, ``C07D 417/00``."""
    s = raw.strip().upper()
    if not s:
        return None
    m = _CLASS_SLASH.match(s) or _CLASS_COMPACT.match(s)
    if m:
        return f"{m.group(1)} {int(m.group(2))}/{m.group(3)}"
    return s


def classifications(codes: Iterable[str], scheme: str) -> list[Classification]:
    out: list[Classification] = []
    seen: set[str] = set()
    for raw in codes:
        code = class_code(raw) if scheme in ("IPC", "CPC") else raw.strip()
        if code and code not in seen:
            seen.add(code)
            out.append(Classification(scheme, code, main=not out, sequence=len(out) + 1))
    return out


def split_cell(value: object, sep: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [p.strip() for p in str(value).split(sep) if p.strip()]


@lru_cache(maxsize=4096)
def snake(name: str) -> str:
    """``Cited by Patent Count`` / ``citedByPatentCount`` -> ``cited_by_patent_count``."""
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name.strip().lstrip("\ufeff"))
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def decode_bytes(data: bytes) -> str:
    """UTF-8, else the 8-bit code page a spreadsheet program saved it in (Mac Roman for CR-only lines)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if b"\r" in data and b"\n" not in data:
        return data.decode("mac_roman")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def lens_number(text: str, office: str | None = None, kind: str | None = None) -> tuple[str, str, str | None] | None:
    """``US 2013/0101709 A1``, ``EP 0259054 B9 20031217``, ``WO_2006_088493_A8`` -> (office, number, kind)."""
    tokens = text.replace("_", " ").split()
    if tokens and re.fullmatch(r"[A-Z]{2}", tokens[0].upper()):
        office = tokens.pop(0).upper()
    if tokens and re.fullmatch(r"\d{8}", tokens[-1]) and len(tokens) > 1:
        tokens.pop()  # publication date appended to corrected documents
    if len(tokens) > 1 and _KIND.match(tokens[-1]):
        kind = kind or tokens[-1]
        tokens.pop()
    number = "".join(tokens)
    if not office or not number or not any(c.isdigit() for c in number):
        return None
    return office, number, kind


#: a filing date this many years before its publication is taken as the wrong century
MAX_YEARS_BEFORE = 50


def week_year(day: date) -> int:
    """The year of the US week (Sunday to Saturday, week 1 holds 1 January) that ``day`` falls in.

    Java's ``dd/MM/YY`` (capital Y) writes this year: 28 December 2010, a Tuesday, falls in the week of
    1 January 2011 and is written ``28/12/11``. Only the last days of December can differ.
    """
    jan1 = date(day.year + 1, 1, 1)
    week1 = jan1 - timedelta(days=(jan1.weekday() + 1) % 7)  # the Sunday on or before 1 January
    return day.year + 1 if day >= week1 else day.year


def short_date_order(cells: Iterable[object]) -> bool | None:
    """True when more two-digit-year cells prove day first (``25/04/13``) than month first (``04/25/13``),
    False when fewer, None when no cell tells."""
    day_first = month_first = 0
    for cell in cells:
        m = _SHORT_DATE.match(str(cell or "").strip())
        if m:
            day_first += int(m.group(1)) > 12
            month_first += int(m.group(2)) > 12
    return None if day_first == month_first else day_first > month_first


def lens_date(value: object, year: int | None = None, known: Iterable[date] = (), before: date | None = None,
              day_first: bool | None = None, same_application: Iterable[date] = (),
              before_name: str = "publication date") -> tuple[date | None, str | None]:
    """(date, note) from an ISO date or a spreadsheet's two-digit-year ``25/04/13``; raises ValueError saying why
    a cell cannot be made sense of.

    An ISO date can carry the week-based year too (the export's ``YYYY``: ``2015-12-31`` for 31 December 2014);
    see :func:`iso_week_year` for when the row proves it.

    A two-digit date is read in the file's order (``day_first``, see :func:`short_date_order`) unless one of its
    numbers is above 12; where the file does not tell, in the order that matches a date of ``known`` (the
    priority dates), else day first as Lens writes it. Its year comes from, in order:

    - ``year``, the row's four-digit year for this date (Publication Year): its last two digits, or the next
      year's when the date is in the week of the next 1 January (the week-based year, see :func:`week_year`);
      any other two digits disagree with the row and raise;
    - ``known``, four-digit dates of the row (priority dates): one on the same day and month, likewise;
    - the century that puts the date closest to, and not after, ``before`` (the publication date for a filing
      date) or else this year. A late-December date that would fall after ``before`` is the week-based year;
      any other one after it is kept as written (the data-quality check reports it); one more than
      :data:`MAX_YEARS_BEFORE` years before it (the next century would put it after) raises.

    The note says when the year was not the two digits' plain reading.
    """
    raw = str(value or "").strip()
    m = _SHORT_DATE.match(raw)
    if not m:
        return iso_week_year(raw, parse_date(value), year, same_application, before, before_name)
    try:
        return _short_date(raw, m, year, list(known), before, day_first)
    except ValueError as exc:
        raise ValueError(f"{raw!r}: {exc}") from None


def iso_week_year(raw: str, when: date | None, year: int | None = None, same_application: Iterable[date] = (),
                  before: date | None = None, before_name: str = "publication date") -> tuple[date | None, str | None]:
    """(date, note): an ISO date of the last days of December written with the week-based year (the year of the
    week of the next 1 January, :func:`week_year`) is read as the year before when the row proves it:

    - ``year``, the row's four-digit year for this date (Publication Year), is the year before;
    - the same application in the row's priorities (``same_application``, their dates) is dated the year before
      (and not on this date);
    - the date is after ``before`` (``before_name``: the row's publication date for a filing date, its filing
      date for a priority date) and the year before is not.

    Otherwise the date stays as written: a late-December filing one year after a priority of another
    application is common (the priority year ends on that day).
    """
    if when is None or when.month != 12:
        return when, None
    prev = when.replace(year=when.year - 1)  # December has no 29 February
    if week_year(prev) != when.year:
        return when, None
    lead = f"{raw!r} read as {prev}: the year is the {WEEK_YEAR_NOTE} (the week of 1 January {when.year})"
    if year is not None:
        return (prev, f"{lead}; the row's year is {year}") if year == prev.year else (when, None)
    dates = set(same_application)
    if when not in dates and prev in dates:
        return prev, f"{lead}; the same application in Priority Numbers is dated {prev}"
    if before is not None and prev <= before < when:
        return prev, f"{lead}; {when} would be after the {before_name} {before}"
    return when, None


def _short_date(raw: str, m: re.Match[str], year: int | None, known: list[date], before: date | None,
                day_first: bool | None) -> tuple[date, str | None]:
    a, b, yy = int(m.group(1)), int(m.group(2)), int(m.group(3))
    orders = [(d, mo) for d, mo in ([(b, a), (a, b)] if day_first is False else [(a, b), (b, a)]) if mo <= 12]
    if not orders:
        raise ValueError("no month (both numbers are above 12)")
    if day_first is None:
        orders.sort(key=lambda o: not any((k.day, k.month) == o for k in known))
    day, month = orders[0]
    date(2000, month, day)  # raises for 31/02 and the like (2000 is a leap year)

    def week_based(y: int) -> str | None:
        try:
            when = date(y, month, day)
        except ValueError:  # 29 February
            return None
        return None if week_year(when) != y + 1 else (
            f"{raw!r} read as {when}: the two-digit year is the {WEEK_YEAR_NOTE} (the week of 1 January {y + 1})")

    if year is not None:
        if year % 100 == yy:
            return date(year, month, day), None
        note = week_based(year) if (year + 1) % 100 == yy else None
        if note:
            return date(year, month, day), f"{note}; the row's year is {year}"
        raise ValueError(f"the two-digit year {yy:02d} disagrees with the row's year {year}")
    same_day = [k for k in known if (k.day, k.month) == (day, month)]
    for k in same_day:
        if k.year % 100 == yy:
            return date(k.year, month, day), None
    for k in same_day:
        note = week_based(k.year) if (k.year + 1) % 100 == yy else None
        if note:
            return date(k.year, month, day), f"{note}; the row's priority date is {k}"
    limit = before.year if before else date.today().year
    y = limit - (limit - yy) % 100
    when = date(y, month, day)
    if before and when > before:
        note = week_based(y - 1)
        if note:
            return date(y - 1, month, day), f"{note}; {when} would be after {before}"
    if before and when.year < before.year - MAX_YEARS_BEFORE:
        raise ValueError(f"{when} is {before.year - when.year} years before {before} and {when.replace(year=y + 100)} "
                         "after it")
    return when, None


def _plausible(when: date | None) -> date | None:
    """``when``; raises ValueError when a patent cannot have that date."""
    today = date.today()
    latest = date(today.year + LATEST_YEARS_AHEAD, 2, 28) if (today.month, today.day) == (2, 29) else (
        today.replace(year=today.year + LATEST_YEARS_AHEAD))
    if when is not None and not EARLIEST_DATE <= when <= latest:
        raise ValueError(f"{when} is before {EARLIEST_DATE} or after {latest}, not a patent date")
    return when


# Record building ------------------------------------------------------------------------------
def _gather(row: dict[str, Any], sep: str, column_map: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a source row into mapped targets and extras (non-empty values only)."""
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for col, value in row.items():
        if value is None or value == "" or value == []:
            continue
        key = snake(col)
        target = column_map.get(key, "extra")
        if target == "ignore":
            continue
        if target.startswith("extra"):
            extra[target[6:] or key] = value
        elif target not in values:
            values[target] = value
    return values, extra


def _int(value: object) -> int | None:
    if value is None or value == "":
        return None
    return int(float(str(value).strip()))


def build_record(row: dict[str, Any], position: str, sep: str = ";;", column_map: dict[str, str] = LENS_COLUMNS,
                 fix_text: bool = False, day_first: bool | None = None) -> PatentRecord | Rejected:
    """One Lens row (CSV dict or JSON object) -> PatentRecord, or Rejected naming the field.

    ``day_first``: the order of the file's two-digit-year dates, None when unknown (:func:`short_date_order`)."""
    values, extra = _gather(row, sep, column_map)

    def text(target: str) -> str | None:
        v = values.get(target)
        if v is None:
            return None
        s = str(v).strip()
        return (undo_double_utf8(s) if fix_text else s) or None

    def many(target: str) -> list[str]:
        items = split_cell(values.get(target), sep)
        return [undo_double_utf8(i) for i in items] if fix_text else items

    excerpt = json.dumps(row, ensure_ascii=False, default=str)[:300]
    pub_text = text("publication")
    if not pub_text:
        return Rejected(position, "no publication number (column 'Publication Number' / 'Display Key' is empty); "
                        "fill it or drop the row", excerpt, "publication_number")
    parts = lens_number(pub_text, (text("office") or "").upper() or None, text("kind"))
    if not parts:
        return Rejected(position, f"publication number {pub_text!r} is not of the form 'US 7654321 B2'; "
                        "fix the cell or drop the row", excerpt, "publication_number")
    office, number, kind = parts
    pub_year = None
    year_cell = row.get("Publication Year") or row.get("publication_year") or row.get("publicationYear")
    m = re.match(r"^(\d{4})", str(year_cell or "").strip())
    if m:
        pub_year = int(m.group(1))
    priorities = _priorities(many("priorities"))
    known = [p.date for p in priorities if p.date]
    app_id = None
    app_text = text("application")
    if app_text:
        app_parts = lens_number(app_text, office)
        if app_parts:
            app_id = application_id(app_parts[0], app_parts[1])
    same_app = [p.date for p in priorities if p.date and p.country and p.number
                and application_id(p.country, p.number) == app_id]
    dates: dict[str, date | None] = {}
    notes: dict[str, str] = {}
    for target in ("pub_date", "app_date", "priority_date"):
        before = dates.get("app_date") or dates.get("pub_date")
        before_name = "filing date" if dates.get("app_date") else "publication date"
        try:
            when, note = lens_date(values.get(target), pub_year if target == "pub_date" else None,
                                   known if target != "pub_date" else (), before, day_first,
                                   same_app if target == "app_date" else (), before_name)
            dates[target] = _plausible(when)
        except ValueError as exc:  # kept empty, with the cell and the reason, never a made-up date
            dates[target], note = None, str(exc)
            extra[f"{target}_raw"] = str(values.get(target)).strip()
        if note:
            notes[target] = note
    if notes:
        extra["date_notes"] = notes
    doc_type, stage = LENS_TYPES.get((text("doc_type") or "").lower(), (None, None))
    if text("doc_type"):
        extra["lens_type"] = text("doc_type")
    # Lens types some utility models as "Patent Application" (CN U, KR U, IT U1 ...): the kind code says
    # what the right is, the type only whether it was granted (a CN U/Y is always a registered right)
    kind_stage, kind_type = stage_and_type(office, kind)
    if kind_type == "utility_model" and doc_type in (None, "invention"):
        doc_type, stage = "utility_model", (kind_stage if office == "CN" else stage or kind_stage)
    lens_id = text("lens_id")
    if not lens_id:
        m = _LENS_ID.search(text("url") or "")
        lens_id = m.group(1) if m else None
    if lens_id:
        extra["lens_id"] = lens_id
    try:
        cited_by = _int(values.get("cited_by_count"))
        family_size = _int(values.get("family_size"))
    except ValueError as exc:
        return Rejected(position, f"count is not a number ({exc}); leave it empty or write digits", excerpt,
                        "cited_by_count")
    title = text("title")
    abstract = text("abstract")
    parties = [Party(n, "applicant", sequence=i) for i, n in enumerate(many("applicants"), 1)]
    events: list[LegalEvent] = []
    for name, executed in _owners(values.get("owners"), sep):
        parties.append(Party(name, "current_owner", sequence=len(parties) + 1))
        if executed:
            events.append(LegalEvent(executed, raw_text=f"owner recorded by Lens: {name}", event_class="transfer",
                                     counterparty=name))
    citations = [Citation(cited_raw=t, npl=True, sequence=i) for i, t in enumerate(many("npl"), 1)]
    for t in many("cited_patents"):
        p = lens_number(t)
        citations.append(Citation(cited_doc_id=doc_id(*p) if p else None, cited_raw=t, cited_office=p[0] if p else None,
                                  sequence=len(citations) + 1))
    members = []
    for t in many("family_members"):
        p = lens_number(t)
        if p:
            members.append(doc_id(*p))
    return PatentRecord(
        doc_id=doc_id(office, number, kind),
        office=office,
        number=canonical_number(office, number),
        kind=kind,
        doc_type=doc_type,
        stage=stage,
        pub_date=dates["pub_date"],
        app_id=app_id,
        app_date=dates["app_date"],
        grant_date=dates["pub_date"] if stage == "grant" else None,
        priority_date=dates["priority_date"] or _earliest(priorities),
        family_size=family_size,
        family_members=members,
        title=title,
        status=text("status"),
        cited_by_count=cited_by,
        parties=parties,
        inventors=[Inventor(n, sequence=i) for i, n in enumerate(many("inventors"), 1)],
        classifications=classifications(many("ipc"), "IPC") + classifications(many("cpc"), "CPC")
        + classifications(many("uspc"), "USPC"),
        citations=citations,
        legal_events=events,
        texts=[t for t in (Text("title", title) if title else None,
                           Text("abstract", abstract) if abstract else None) if t],
        priorities=priorities,
        position=position,
        extra=extra,
    )


def _owners(value: object, sep: str) -> list[tuple[str, date | None]]:
    out: list[tuple[str, date | None]] = []
    items = value if isinstance(value, list) else split_cell(value, sep)
    for item in items:
        if isinstance(item, dict):
            name = str(item.get("name") or "").strip()
            try:
                executed = parse_date(item.get("executionDate"))
            except ValueError:
                executed = None
            if name:
                out.append((name, executed))
        elif str(item).strip():
            out.append((str(item).strip(), None))
    return out


def _priorities(items: list[str]) -> list[Priority]:
    """``US 201161550506 P 20111024`` -> Priority(US, 201161550506, 2011-10-24); the date may be absent."""
    out = []
    for item in items:
        tokens = item.split()
        when = None
        if len(tokens) > 1 and re.fullmatch(r"\d{8}", tokens[-1]):
            try:
                when = parse_date(tokens.pop())
            except ValueError:
                when = None
        if len(tokens) > 2 and _KIND.match(tokens[-1]):
            tokens.pop()
        country = tokens.pop(0).upper() if tokens and re.fullmatch(r"[A-Za-z]{2}", tokens[0]) else None
        out.append(Priority(country, "".join(tokens) or None, when))
    return out


def _earliest(priorities: list[Priority]) -> date | None:
    dates = [p.date for p in priorities if p.date]
    return min(dates) if dates else None


# Ingesters ------------------------------------------------------------------------------------
def _csv_rows(source: Source) -> Iterator[tuple[int, dict[str, str] | Rejected]]:
    with source.open() as fh:
        text = decode_bytes(fh.read())
    for line, row in dict_records(io.StringIO(text, newline=""), path=source.path):
        yield line, row if isinstance(row, Rejected) else {k.strip(): v for k, v in row.items() if k is not None}


class LensCsv(Ingester):
    name = "lens-csv"
    label = "Lens.org CSV export"
    label_zh = "Lens.org 专利检索导出（CSV）"
    priority = 30
    sep = ";;"
    fix_text = False

    def sniff(self, source: Source) -> bool:
        cols = {snake(c) for c in header(source)}
        return ("jurisdiction" in cols and "kind" in cols and bool(cols & {"display_key", "publication_number"})
                and bool(cols & {"simple_family_size", "cited_count", "cited_by_patent_count", "lens_id"}))

    def read(self, source: Source) -> Iterator[Record]:
        rows = _csv_rows(source)
        head = list(islice(rows, 2000))  # enough dates to tell a day-first file from a month-first one
        day_first = short_date_order(v for _, row in head if not isinstance(row, Rejected)
                                     for k, v in row.items() if "date" in k.lower())
        for line, row in chain(head, rows):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            yield build_record(row, f"line {line}", self.sep, fix_text=self.fix_text, day_first=day_first)


class LensTidyCsv(LensCsv):
    name = "lens-csv-tidy"
    label = "Lens.org CSV, tidied (snake_case columns, ';'-separated)"
    label_zh = "Lens.org 导出（整理版 CSV）"
    priority = 35
    sep = ";"
    fix_text = True

    def sniff(self, source: Source) -> bool:
        cols = {snake(c) for c in header(source)}
        return ({"publication_number", "publication_country_code", "publication_date", "url"} <= cols
                and "lens.org/" in source.text_head())


class LensJsonl(Ingester):
    name = "lens-jsonl"
    label = "Lens.org JSON lines (flat records: lensId, displayKey, jurisdiction ...)"
    label_zh = "Lens.org JSON Lines 导出"
    priority = 30

    def sniff(self, source: Source) -> bool:
        first = source.text_head().lstrip().split("\n", 1)[0].strip()
        if not first.startswith("{"):
            return False
        keys = set(re.findall(r'"([A-Za-z_]+)"\s*:', first[:20000]))
        return ("lensId" in keys and "jurisdiction" in keys) or ("lens_id" in keys and "biblio" in keys)

    def read(self, source: Source) -> Iterator[Record]:
        with source.open() as fh:
            for line_no, raw in enumerate(io.TextIOWrapper(fh, encoding="utf-8-sig"), 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except json.JSONDecodeError as exc:
                    yield Rejected(f"line {line_no}", f"not valid JSON ({exc.msg} at column {exc.colno}); "
                                   "each line must hold one JSON object", raw[:300])
                    continue
                if not isinstance(obj, dict):
                    yield Rejected(f"line {line_no}", "line is not a JSON object", raw[:300])
                    continue
                if "biblio" in obj and "lensId" not in obj:
                    raise UnsupportedFormatError(
                        source.path, "Lens API JSON (nested biblio/families)",
                        "Export the search from lens.org as JSON lines with flat fields, or as CSV.")
                yield build_record(obj, f"line {line_no}")


INGESTERS = [LensCsv, LensTidyCsv, LensJsonl]
