"""CNIPA patent gazette (专利公报) records scraped to CSV (``cn-gazette-csv``).

The layout of the CNIPASpider files: ``item, name, authorization_notice_id, authorized_announcement_date,
filing_id, filing_date, patentee, designer, address, Int.Cl.``, GB18030, one row per gazette entry of an
invention publication (A), an invention grant (B), a utility model (U) or a design (S). The kind letter of the
publication number says which, whatever the file is called: stage and document type come from it.

Rules:

- **Key: the publication number** (``authorization_notice_id``, ``CN109996757A``). The filing number is
  Excel-mangled in most rows (``2.02E+12``): it is kept as written in ``extra['filing_id_raw']`` and gives
  ``app_id`` only when :func:`cn_application` reads it whole (12 or 8 digits, the check digit confirming it).
  A mangled one is never a key; ``extra['filing_id_note']`` says why it was not used.
- **Address and inventor columns are told apart by their content**, not by their header nor the file's name:
  the first :data:`SAMPLE_ROWS` rows decide which of the two columns holds addresses (postcode, province,
  city, district, a country written in Chinese) and which holds names. One file of the shared set
  (``2019.7.9专利数据/CN_patent_invention_authorized.csv``) has the two headers swapped; its records say so in
  ``extra['columns_read_from_content']``.
- **Parties**: the ``patentee`` column lists the applicants of an A publication (role ``applicant``) and the
  patentees of a grant (role ``patentee``), ``;``-separated. The address (postcode included, as written)
  belongs to the first of them: ``Address(raw=...)``, which the loader parses to province, city, district and
  GB/T 2260 code. ``designer`` gives the inventors (designers of a design).
- **``?`` in the text**: the scraper wrote the two blanks after each ``;`` separator as ``??`` (characters
  outside GBK); ``;??`` is read as a separator. Any other ``?`` in a name may stand for a character lost the
  same way: the name is kept as written and listed in ``extra['names_with_lost_characters']``; no character
  is guessed.
- **Classes**: ``Int.Cl.`` gives IPC codes (``G01C21/00(2006.01)I`` -> ``G01C 21/00``, the first one main) or,
  for a design, Locarno classes (``01-01 (12)`` -> ``01-01``, the edition in ``extra['locarno_edition']``);
  the cell as written is kept in ``extra['int_cl_raw']``.
- **Misassembled rows**: the scraper sometimes filled a page of the table with fields of two different pages,
  so one publication number stands on two rows with different titles, patentees, addresses or classes.
  Which row's fields belong to that publication cannot be told, so every such row is quarantined with the
  lines and fields that disagree. (The file is read twice for this: first the publication numbers and a
  digest of each row, then the records.) A row repeated whole is an ordinary repeat, merged by the loader.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from itertools import chain, islice
from typing import Any

from ipcockpit.ingest import csvutil
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_table import class_codes
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.model.addresses import iso_country
from ipcockpit.model.numbers import cn_check_digit, parse_publication, stage_and_type
from ipcockpit.model.records import Address, Classification, Inventor, Party, PatentRecord, Record, Rejected, Text

#: the columns of the layout; ``designer`` and ``address`` are read by content (see the module docstring)
COLUMNS = ("item", "name", "authorization_notice_id", "authorized_announcement_date", "filing_id", "filing_date",
           "patentee", "designer", "address", "Int.Cl.")
#: rows read to tell the address column from the inventor column
SAMPLE_ROWS = 500
_EXCERPT = 300

# numbers ------------------------------------------------------------------------------------------------
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?E[+-]?\d+$")
_CN_APP = re.compile(r"^(?:CN|ZL)?(\d{1,13})(?:\.([\dX])|(X))?$")


def cn_application(raw: str | None) -> tuple[str | None, str | None]:
    """(canonical application id, note) of a CN application number as a spreadsheet may have left it.

    Read whole: 12 or 8 digits with the check digit (``201610459037.X``, ``201680087887X`` without the dot)
    or without one; note None. Repaired where the check digit confirms it: leading zeros dropped
    (``106482.7`` -> ``00106482.7``) and, with them or alone, the ``.0`` of a check digit 0 (``1117392`` ->
    ``01117392.0``); the note says so. Not read (id None, the note says why): scientific notation
    (``2.0161E+11``: the digits are lost), a check digit that does not match, any other form."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if not text:
        return None, "empty"
    if _SCIENTIFIC.match(text):
        return None, (f"{text} is in scientific notation (a spreadsheet rounded it): its digits are lost, so this "
                      "number is not used as a key")
    m = _CN_APP.match(text)
    if not m:
        return None, f"{text} is not a CN application number (8 or 12 digits and a check digit)"
    digits, check, x = m.groups()
    if x:  # a check digit X without its dot
        check = x
    if check is None and len(digits) in (9, 13):  # the check digit without its dot
        digits, check = digits[:-1], digits[-1]
    if check is None and len(digits) in (8, 12):
        return "CN" + digits, None  # no check digit written (or a '.0' dropped): the digits are whole
    repaired = len(digits) < 8
    if repaired:  # a spreadsheet read it as a number: leading zeros dropped, and a '.0' check digit with them
        digits, check = digits.zfill(8), check or "0"
    if len(digits) not in (8, 12):
        return None, f"{text} has {len(digits)} digits; a CN application number has 8 or 12 and a check digit"
    expected = cn_check_digit(digits)
    if expected != check:
        if repaired:
            return None, (f"{text} has lost digits (a spreadsheet dropped its leading zeros) and its check digit "
                          f"does not confirm {digits}.{check}")
        return None, f"{text}: the check digit of {digits} is {expected}, not {check}"
    if repaired:
        return "CN" + digits, (f"{text} read as {digits}.{check}: a spreadsheet dropped its leading zeros; "
                               "the check digit confirms the digits")
    return "CN" + digits, None


# content of the address and inventor columns ------------------------------------------------------------
_POSTCODE = re.compile(r"^\s*\d{6}")
_DIVISION = re.compile(r"[省市区县州旗盟镇乡村]|自治|路|街|号|大道|园区|开发区")


def looks_like_address(text: str) -> bool:
    """An address: a postcode first, a country written in Chinese first (美国新泽西州: four characters at
    least, as a name may start like one, 韩国强), or division and street words in a text of six or more."""
    t = text.strip()
    if not t:
        return False
    if _POSTCODE.match(t):
        return True
    if ";" in t:  # a list of names
        return False
    if len(t) >= 4 and any(iso_country(t[:n]) for n in range(2, min(len(t), 8))):
        return True
    return len(t) >= 6 and bool(_DIVISION.search(t))


def address_column(rows: list[list[str]], names: list[str]) -> tuple[int, int, bool] | None:
    """(index of the address column, index of the inventor column, whether the headers say the other way),
    decided by the share of cells that look like addresses in the two columns headed ``address`` and
    ``designer``; None when neither column looks like addresses."""
    a, d = names.index("address"), names.index("designer")
    counts = [0, 0]
    filled = [0, 0]
    for row in rows:
        for k, i in enumerate((a, d)):
            cell = row[i] if i < len(row) else ""
            if cell.strip():
                filled[k] += 1
                counts[k] += looks_like_address(cell)
    share = [counts[k] / filled[k] if filled[k] else 0.0 for k in (0, 1)]
    if max(share) < 0.5:
        return None
    return (d, a, True) if share[1] > share[0] else (a, d, False)


# cells --------------------------------------------------------------------------------------------------
_SEPARATOR = re.compile(r";\s*\?\?")  # the two blanks after a separator, lost to '??' (see the module docstring)
_LOCARNO = re.compile(r"(\d{1,2})\s*-\s*(\d{1,2})(?:\s*\((\d{1,2})\))?")


def split_names(text: str | None) -> list[str]:
    """The names of a ``;``-separated cell, the ``;??`` separators read as ``;``."""
    if not text:
        return []
    return [n.strip() for n in _SEPARATOR.sub(";", text).split(";") if n.strip()]


def _locarno(text: str) -> tuple[list[str], str | None]:
    codes: list[str] = []
    edition = None
    for major, minor, ed in _LOCARNO.findall(text):
        code = f"{int(major):02d}-{int(minor):02d}"
        if code not in codes:
            codes.append(code)
        edition = edition or ed or None
    return codes, edition


def _excerpt(row: list[str]) -> str:
    return ",".join(row)[:_EXCERPT]


def _digest(row: list[str]) -> bytes:
    """What a row says, its item number left out (a page fetched twice repeats rows under new numbers)."""
    return hashlib.blake2b("\x1f".join(row[1:]).encode("utf-8"), digest_size=12).digest()


# the ingester -------------------------------------------------------------------------------------------
class CnGazetteCsv(Ingester):
    name = "cn-gazette-csv"
    label = "CNIPA patent gazette records scraped to CSV (CNIPASpider: name, authorization_notice_id, filing_id, ...)"
    label_zh = "国家知识产权局专利公报 CSV（CNIPASpider 抓取：发明公布、发明授权、实用新型、外观设计）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".csv", ".txt"):
            return False
        try:
            cols = set(csvutil.header(source))
        except (UnicodeDecodeError, ValueError):
            return False
        return set(COLUMNS) <= cols

    def read(self, source: Source) -> Iterator[Record]:
        names: list[str] = []
        conflicts = self._conflicts(source)
        with source.open_text() as fh:
            records = csvutil.rows(fh, ",", names)
            names.extend(csvutil.header_row(records, source.path))
            col = {n.strip(): i for i, n in enumerate(names)}
            head = list(islice(records, SAMPLE_ROWS))
            found = address_column([r for _, r in head if not isinstance(r, Rejected)], [n.strip() for n in names])
            addr, inv, swapped = found if found else (col["address"], col["designer"], False)
            reader = _RowReader(source.path, col, addr, inv, swapped, conflicts)
            for line, row in chain(head, records):
                if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                    yield row
                elif any(c.strip() for c in row):
                    yield reader.read(line, row)

    @staticmethod
    def _conflicts(source: Source) -> dict[str, list[tuple[int, str, list[str]]]]:
        """Publication number -> (line, item, row) of each row of a number that the file gives with different
        fields; empty for most files."""
        seen: dict[str, tuple[int, bytes]] = {}
        bad: set[str] = set()
        with source.open_text() as fh:
            records = csvutil.rows(fh)
            names = csvutil.header_row(records, source.path)
            key = [n.strip() for n in names].index("authorization_notice_id")
            for line, row in records:
                if isinstance(row, Rejected) or key >= len(row) or not row[key].strip():
                    continue
                number = row[key].strip().upper()
                digest = _digest(row)
                first = seen.setdefault(number, (line, digest))
                if first[1] != digest:
                    bad.add(number)
        if not bad:
            return {}
        out: dict[str, list[tuple[int, str, list[str]]]] = {}
        with source.open_text() as fh:
            records = csvutil.rows(fh)
            csvutil.header_row(records, source.path)
            for line, row in records:
                if not isinstance(row, Rejected) and key < len(row) and row[key].strip().upper() in bad:
                    out.setdefault(row[key].strip().upper(), []).append((line, row[0], row))
        return out


class _RowReader:
    """Turns the rows of one file into records (the columns already told apart)."""

    def __init__(self, path: str, col: dict[str, int], addr: int, inv: int, swapped: bool,
                 conflicts: dict[str, list[tuple[int, str, list[str]]]]) -> None:
        self.path, self.col, self.addr, self.inv, self.swapped = path, col, addr, inv, swapped
        self.conflicts = conflicts
        self.names = {i: n for n, i in col.items()}

    def cell(self, row: list[str], name: str) -> str:
        i = self.col[name]
        return row[i].strip() if i < len(row) else ""

    def _where(self, line: int, row: list[str]) -> str:
        item = row[0].strip() if row else ""
        return f"{self.path}, line {line}" + (f" (item {item})" if item else "")

    def read(self, line: int, row: list[str]) -> Record:
        position = f"line {line}"
        raw_number = self.cell(row, "authorization_notice_id")
        parts = parse_publication(raw_number, "CN") if raw_number else None
        if not parts or not parts[2] or parts[2][0] not in "ABCUYS":
            return Rejected(position, f"{self._where(line, row)}, column 'authorization_notice_id': "
                            f"{raw_number!r} is not a publication number (expected e.g. CN109996757A)"
                            if raw_number else f"{self._where(line, row)}: no publication number in column "
                            "'authorization_notice_id'", _excerpt(row), "authorization_notice_id")
        office, number, kind = parts
        others = self.conflicts.get(raw_number.upper())
        if others:
            return self._conflict(line, row, raw_number, others)
        dates: dict[str, date | None] = {}
        for field in ("authorized_announcement_date", "filing_date"):
            try:
                dates[field] = parse_date(self.cell(row, field))
            except ValueError as exc:
                return Rejected(position, f"{self._where(line, row)}, column {field!r}: {exc}; the gazette writes "
                                "dates as YYYY.MM.DD", _excerpt(row), field)
        stage, doc_type = stage_and_type(office, kind)
        pub_date = dates["authorized_announcement_date"]
        filing_raw = self.cell(row, "filing_id")
        app_id, note = cn_application(filing_raw) if filing_raw else (None, None)
        title = self.cell(row, "name") or None
        extra: dict[str, Any] = {"source": "CNIPA 专利公报 (CNIPASpider CSV)"}
        if filing_raw:
            extra["filing_id_raw"] = filing_raw
        if note:
            extra["filing_id_note"] = note
        if self.swapped:
            extra["columns_read_from_content"] = (f"the column headed {self.names[self.addr]!r} holds the addresses "
                                                  f"and the one headed {self.names[self.inv]!r} the inventors")
        rec = PatentRecord(
            doc_id=f"{office}{number}{kind}", office=office, number=number, kind=kind, doc_type=doc_type,
            stage=stage, pub_date=pub_date, app_id=app_id, app_date=dates["filing_date"],
            grant_date=pub_date if stage == "grant" else None, title=title, lang="zh", position=position,
            extra=extra,
        )
        if title:
            rec.texts.append(Text("title", title, "zh"))
        self._people(rec, row)
        self._classes(rec, self.cell(row, "Int.Cl."))
        return rec

    def _people(self, rec: PatentRecord, row: list[str]) -> None:
        role = "applicant" if rec.stage == "application" else "patentee"
        address = row[self.addr].strip() if self.addr < len(row) else ""
        lost: list[str] = []
        for i, name in enumerate(split_names(self.cell(row, "patentee"))):
            rec.parties.append(Party(name, role, address=Address(raw=address) if i == 0 and address else None,
                                     sequence=i + 1))
            if "?" in name:
                lost.append(name)
        people = row[self.inv] if self.inv < len(row) else ""
        for i, name in enumerate(split_names(people)):
            rec.inventors.append(Inventor(name, sequence=i + 1))
            if "?" in name:
                lost.append(name)
        if lost:
            rec.extra["names_with_lost_characters"] = lost

    def _classes(self, rec: PatentRecord, text: str) -> None:
        if not text:
            return
        rec.extra["int_cl_raw"] = text
        if rec.doc_type == "design":
            codes, edition = _locarno(text)
            rec.classifications = [Classification("LOCARNO", c, i == 0, i + 1) for i, c in enumerate(codes)]
            if edition:
                rec.extra["locarno_edition"] = edition
            return
        codes = class_codes(_SEPARATOR.sub(";", text))
        rec.classifications = [Classification("IPC", c, i == 0, i + 1) for i, c in enumerate(codes)]

    def _conflict(self, line: int, row: list[str], number: str,
                  others: list[tuple[int, str, list[str]]]) -> Rejected:
        differ = sorted({self.names.get(i, f"column {i + 1}") for n, _, other in others if n != line
                         for i in range(1, max(len(row), len(other)))
                         if (row[i] if i < len(row) else "") != (other[i] if i < len(other) else "")})
        where = ", ".join(f"line {n}" + (f" (item {item.strip()})" if item.strip() else "")
                          for n, item, _ in others if n != line)
        return Rejected(
            f"line {line}",
            f"{self._where(line, row)}, column 'authorization_notice_id': publication {number} is also given at "
            f"{where} with other values in {', '.join(repr(d) for d in differ)}: the scraper put fields of "
            "different gazette entries on one row, so which row's fields belong to this publication cannot be "
            "told; neither row is loaded",
            _excerpt(row), "authorization_notice_id")


INGESTERS = [CnGazetteCsv]
