"""Award lists: the China Patent Award (and any award given as a CSV of application numbers).

Two layouts: the JSON-lines award records of the 25th China Patent Award sample (``record_id``,
``award{edition, level, year}``, ``patent{application_number, title, assignees, inventors}``) and a
plain CSV a user can write for any award list, with the header
``award,edition,level,year,application_number,publication_number,title,holders,inventors``
(``holders``/``inventors`` separated by ``;``). Rows land in ``ref_awards``, matched to patents by
canonical application number.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import dict_rows, header
from ipcockpit.model.numbers import application_id, publication_id
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
    label_zh = "专利奖名单（JSON lines，中国专利奖）"
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


INGESTERS = [AwardJsonl, AwardCsv]
