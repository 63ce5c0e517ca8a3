"""Award lists: the China Patent Award (and any award given as a CSV of application numbers).

Three layouts, all landing in ``ref_awards`` (one row per awarded patent, matched to patents by canonical
application number):

* ``award-jsonl``: the JSON-lines records of the 25th China Patent Award sample (``record_id``,
  ``award{edition, level, year}``, ``patent{application_number, title, assignees, inventors}``).
* ``award-roster-sql``: a MySQL dump of a China Patent Award roster table (``pa_year``, ``pa_session``,
  ``award_type`` 1 gold / 2 silver / 3 excellence, ``patent_type`` 1 invention or utility model / 2 design,
  ``patent_no`` as ZL..., ``patent_name``, ``patentee``, ``patent_inventor``). Design awards get the levels
  ``design_gold``, ``design_silver``, ``design_excellence``. ``record_id`` is ``<table>#<id>``.
* ``award-csv``: a plain CSV a user can write for any award list, with the header
  ``award,edition,level,year,application_number,publication_number,title,holders,inventors``
  (``holders``/``inventors`` separated by ``;``).

Roster numbers are CN application numbers with their check digit (:func:`roster_app_id`): a number whose
check digit does not match is quarantined. Spreadsheet damage is repaired only where the check digit
confirms it: leading zeros lost (``107569.1`` is ``00107569.1``), and with them the ``.0`` of a check digit
0 (``3146170`` is ``03146170.0``). A number in scientific notation (``2.0041E+11``) has lost its digits and
is quarantined. Names are split at commas, 、 and semicolons; a list with none of these is split at single
spaces when it lists inventors (the session-8 list pads two-character names to three with two spaces:
``顾  宁``; a patentee's spaces are inside its name: ``深圳TCL 数字技术有限公司``), and spaces next to a
Chinese character inside a name are dropped (a PDF line break: ``史蒂芬H·塞 伯``, ``有 限公司``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import dict_rows, header
from ipcockpit.ingest.sql_dump import dump_head, insert_rows
from ipcockpit.model.numbers import application_id, cn_check_digit, publication_id
from ipcockpit.model.records import Record, ReferenceRecord, Rejected

CSV_COLUMNS = ("award", "edition", "level", "year", "application_number", "publication_number", "title",
               "holders", "inventors")


def _app_id(raw: str | None) -> str | None:
    if not raw:
        return None
    text = raw.strip().upper()
    if text.startswith("ZL"):  # CNIPA writes granted applications as ZL + number
        text = text[2:]
    office = text[:2] if text[:2].isalpha() else "CN"
    return application_id(office, text)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class AwardJsonl(Ingester):
    name = "award-jsonl"
    label = "Award list, JSON lines (China Patent Award records)"
    label_zh = "专利奖名单（每行一个 JSON 对象，中国专利奖）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        first = source.text_head().lstrip().split("\n", 1)[0]
        return first.startswith("{") and '"award"' in first and '"patent"' in first and "application_number" in first

    def read(self, source: Source) -> Iterator[Record]:
        with source.open_text() as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                pos = f"line {line_no}"
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Rejected(pos, f"not valid JSON ({exc.msg}); fix the line or remove it", line[:300])
                    continue
                award, patent = rec.get("award") or {}, rec.get("patent") or {}
                app = _app_id(patent.get("application_number"))
                if not app:
                    yield Rejected(pos, "no application_number: an award must name its patent", line[:300],
                                   "patent.application_number")
                    continue
                pub = patent.get("grant_number") or patent.get("publication_number")
                yield ReferenceRecord("ref_awards", {
                    "award": "china_patent_award", "edition": _int(award.get("edition")),
                    "level": award.get("level"), "year": _int(award.get("year")), "app_id": app,
                    "doc_id": publication_id(pub) if pub else None, "title": patent.get("title"),
                    "holders": list(patent.get("assignees") or []), "inventors": list(patent.get("inventors") or []),
                    "record_id": rec.get("record_id"),
                }, pos)


class AwardCsv(Ingester):
    name = "award-csv"
    label = "Award list, CSV (award, edition, level, year, application_number, ...)"
    label_zh = "获奖专利名单（CSV）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        cols = set(header(source))
        return source.suffix in (".csv", ".txt") and {"award", "application_number"} <= cols

    def read(self, source: Source) -> Iterator[Record]:
        for line, row in dict_rows(source):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            pos = f"line {line}"
            app = _app_id(row.get("application_number"))
            if not app:
                yield Rejected(pos, "empty application_number: an award must name its patent", str(row)[:300],
                               "application_number")
                continue
            pub = (row.get("publication_number") or "").strip()
            yield ReferenceRecord("ref_awards", {
                "award": (row.get("award") or "").strip() or None, "edition": _int(row.get("edition")),
                "level": (row.get("level") or "").strip() or None, "year": _int(row.get("year")), "app_id": app,
                "doc_id": publication_id(pub) if pub else None, "title": (row.get("title") or "").strip() or None,
                "holders": [x.strip() for x in (row.get("holders") or "").split(";") if x.strip()],
                "inventors": [x.strip() for x in (row.get("inventors") or "").split(";") if x.strip()],
                "record_id": None,
            }, pos)


# China Patent Award roster as a MySQL dump ---------------------------------------------------------------
#: the roster table's columns that identify it
ROSTER_KEYS = ("pa_session", "award_type", "patent_no")
ROSTER_LEVELS = {("1", "1"): "gold", ("2", "1"): "silver", ("3", "1"): "excellence",
                 ("1", "2"): "design_gold", ("2", "2"): "design_silver", ("3", "2"): "design_excellence"}
_ROSTER_NUMBER = re.compile(r"(?:ZL|Z|CN)?(\d{1,13})(?:\.([\dX]))?")
_NAME_SEP = re.compile(r"[，,、;；]+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff·])\s+|\s+(?=[\u3400-\u9fff·])")
_SINGLE_SPACE = re.compile(r"(?<=\S) (?=\S)")


def roster_app_id(raw: str | None) -> tuple[str | None, str | None]:
    """(canonical application id, None), or (None, why not) for a roster's written patent number."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if not text:
        return None, "no patent number: an award must name its patent"
    if re.search(r"\dE[+-]?\d", text):
        return None, (f"patent number {text} is in scientific notation (a spreadsheet rounded it): its digits are "
                      "lost; write the full ZL number")
    m = _ROSTER_NUMBER.fullmatch(text)
    if not m:
        return None, f"patent number {text} is not a CN application number (ZL + 8 or 12 digits + check digit)"
    digits, check = m.groups()
    if check is None and len(digits) in (9, 13):  # the check digit without its dot
        digits, check = digits[:-1], digits[-1]
    if check is None and len(digits) in (8, 12):
        return "CN" + digits, None  # written without a check digit: nothing to verify
    repaired = len(digits) < 8
    if repaired:  # a spreadsheet dropped the leading zeros (and the '.0' of a check digit 0)
        digits, check = digits.zfill(8), check or "0"
    if len(digits) not in (8, 12):
        return None, f"patent number {text} has {len(digits)} digits; a CN application number has 8 or 12"
    if cn_check_digit(digits) != check:
        if repaired:
            return None, (f"patent number {text} has lost digits (a spreadsheet dropped its leading zeros) and its "
                          f"check digit does not confirm {digits}.{check}; write the full ZL number")
        return None, (f"patent number {text}: the check digit of {digits} is {cn_check_digit(digits)}, not {check}; "
                      "the number is mistyped")
    return "CN" + digits, None


def split_names(text: str | None, spaces_separate: bool = False) -> list[str]:
    """Names of a roster cell (rules in the module docstring); ``spaces_separate``: a cell without commas
    lists its names separated by single spaces (inventors; a patentee's spaces are inside its name)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if _NAME_SEP.search(text) or not spaces_separate:
        parts = _NAME_SEP.split(text)
    else:
        parts = _SINGLE_SPACE.split(text)
    names = (re.sub(r"\s+", " ", _CJK_SPACE.sub("", p)).strip() for p in parts)
    return [n for n in names if n]


class AwardRosterSql(Ingester):
    name = "award-roster-sql"
    label = "China Patent Award roster, MySQL dump (pa_year, pa_session, award_type, patent_no ...)"
    label_zh = "中国专利奖获奖名单（MySQL 导出）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        head = dump_head(source)
        return head is not None and bool(re.search(r"(?i)CREATE\s+TABLE|INSERT\s+INTO", head)) and all(
            re.search(rf"[`\"]{key}[`\"]", head) for key in ROSTER_KEYS)

    def read(self, source: Source) -> Iterator[Record]:
        with source.open_text() as fh:
            for row in insert_rows(fh):
                if not set(ROSTER_KEYS) <= set(row.columns):
                    continue  # another table of the dump
                pos = f"line {row.line}"
                if row.values is None:
                    yield Rejected(pos, f"table {row.table}: the tuple cannot be read ({row.error}); fix it in the "
                                   "dump or remove it", row.excerpt)
                    continue
                yield self._record(dict(zip(row.columns, row.values, strict=True)), row.table, pos, row.excerpt)

    @staticmethod
    def _record(v: dict[str, str | None], table: str, pos: str, excerpt: str) -> Record:
        app, why = roster_app_id(v.get("patent_no"))
        if app is None:
            return Rejected(pos, f"{why}", excerpt, "patent_no")
        level = ROSTER_LEVELS.get((v.get("award_type") or "", v.get("patent_type") or "1"))
        if level is None:
            return Rejected(pos, f"award_type {v.get('award_type')!r} / patent_type {v.get('patent_type')!r} is not "
                            "a known level (award_type 1 gold, 2 silver, 3 excellence; patent_type 1 or 2)", excerpt,
                            "award_type")
        session = _int(v.get("pa_session"))
        if not session:
            return Rejected(pos, "no session (pa_session): the award list must say which session it is", excerpt,
                            "pa_session")
        return ReferenceRecord("ref_awards", {
            "award": "china_patent_award", "edition": session, "level": level, "year": _int(v.get("pa_year")) or None,
            "app_id": app, "doc_id": None, "title": (v.get("patent_name") or "").strip() or None,
            "holders": split_names(v.get("patentee")),
            "inventors": split_names(v.get("patent_inventor"), spaces_separate=True),
            "record_id": f"{table}#{v['id']}" if v.get("id") else f"{table}@{pos}",
        }, pos)


INGESTERS = [AwardJsonl, AwardCsv, AwardRosterSql]
