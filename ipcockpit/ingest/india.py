"""Indian Patent Office grants, as extracted from the weekly Patent Office Journal (CSV).

Columns: ``Serial No., Patent Number, Application Number, Date of Application, Date of Priority,
Title of Invention, Patentee Name, Date of Application Publication, Office, journal``.
``doc_id`` is ``IN`` + patent number (the journal gives no kind code); the patentee is a party with
role ``patentee``; the journal issue date (``47/2019 Dated 22/11/2019``) is the publication date of
the grant (the journal gives no grant date, so ``grant_date`` stays empty); the branch office (DELHI,
CHENNAI ...) and journal issue go to ``extra``.

The PDF extraction put rows of other journal tables into some files (2018: addresses for service,
restorations, repeated header rows). Such a row has no numeric patent number and is rejected with
the reason; a grant listed in two journal issues is yielded twice and merged by the loader.
Unreadable secondary dates (priority cells holding an agent's address) are dropped and kept raw in
``extra``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import dict_rows, header, parse_date
from ipcockpit.model.numbers import application_id
from ipcockpit.model.records import Party, PatentRecord, Record, Rejected, Text

_COLUMNS = {"Patent Number", "Application Number", "Title of Invention", "Patentee Name", "journal"}
_JOURNAL = re.compile(r"^\s*(\d{1,2}/\d{4})\s*(?:Dated)?\s*(\d{2}/\d{2}/\d{4})?")
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})")


def _date(value: str | None) -> date | None:
    """``07/07/2011`` (day first; a time glued on is ignored), else the usual forms."""
    s = (value or "").strip()
    m = _DMY.match(s)
    return date(int(m.group(3)), int(m.group(2)), int(m.group(1))) if m else parse_date(s)


class IndiaGrantsCsv(Ingester):
    name = "india-grants-csv"
    label = "Indian Patent Office journal grants (CSV)"
    label_zh = "印度专利局公报授权清单（CSV）"
    priority = 40

    def sniff(self, source: Source) -> bool:
        return _COLUMNS <= set(header(source))

    def read(self, source: Source) -> Iterator[Record]:
        for line, row in dict_rows(source):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            yield grant_record(row, f"line {line}")


def grant_record(row: dict[str, str], position: str) -> Record:
    excerpt = ",".join(v or "" for v in row.values())[:300]
    number = (row.get("Patent Number") or "").strip()
    if not number.isdigit():
        return Rejected(position, f"'Patent Number' is {number!r}, not a patent number: the row belongs to another "
                        "journal table (or is a repeated header) and was not a grant; drop it from the file",
                        excerpt, "Patent Number")
    extra: dict[str, Any] = {}
    dates: dict[str, date | None] = {}
    for col in ("Date of Application", "Date of Priority", "Date of Application Publication"):
        try:
            dates[col] = _date(row.get(col))
        except ValueError:
            dates[col] = None
            extra[col.lower().replace(" ", "_") + "_raw"] = (row.get(col) or "").strip()
    journal = (row.get("journal") or "").strip()
    m = _JOURNAL.match(journal)
    try:
        pub = _date(m.group(2)) if m and m.group(2) else None
    except ValueError:
        pub = None
        extra["journal_raw"] = journal
    if m:
        extra["journal"] = m.group(1)
    office_branch = re.sub(r"\s+", "", (row.get("Office") or "")).upper()
    if office_branch:
        extra["branch"] = office_branch
    if dates["Date of Application Publication"]:
        extra["application_published"] = dates["Date of Application Publication"].isoformat()
    app = (row.get("Application Number") or "").strip()
    title = (row.get("Title of Invention") or "").strip() or None
    patentee = (row.get("Patentee Name") or "").strip()
    return PatentRecord(
        doc_id=f"IN{number}",
        office="IN",
        number=number,
        stage="grant",
        pub_date=pub,
        app_id=application_id("IN", app) if app else None,
        app_date=dates["Date of Application"],
        priority_date=dates["Date of Priority"],
        title=title,
        lang="en",
        parties=[Party(patentee, "patentee", sequence=1)] if patentee else [],
        texts=[Text("title", title, "en")] if title else [],
        position=position,
        extra=extra,
    )


INGESTERS = [IndiaGrantsCsv]
