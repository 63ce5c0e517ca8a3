"""CNKI (中国知网) patent search results saved as a spreadsheet by a scraper.

The sheet (shared/data/cn/cnki_export) has the columns title, author (inventors, ``;``-separated),
com (applicants), public (the database, 中国专利), sql (the application date), quote (the publication
date: 公开日 for A documents, 授权公告日 for B/U), download, href (the CNKI detail link, whose
``filename=`` parameter is the publication number with its kind, e.g. CN108982325A), ChDiv_summary
(abstract) and claim_text (the first claim). There is no application number and no classification;
the publication number and kind come from the link only, and a row without one is rejected. ``#`` in
the texts stands for a character the scraper lost; it is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.cn_table import cell_text, sheet_rows, split_multi
from ipcockpit.ingest.csvutil import parse_date
from ipcockpit.model.numbers import parse_publication
from ipcockpit.model.records import Inventor, Party, PatentRecord, Record, Rejected, Text

_COLUMNS = {"title", "author", "com", "sql", "quote", "href"}
_FILENAME = re.compile(r"[?&]filename=([A-Za-z]{2}\d+[A-Za-z]\d?)", re.I)
_KIND_TYPES = {"A": ("invention", "application"), "B": ("invention", "grant"), "C": ("invention", "grant"),
               "U": ("utility_model", "grant"), "Y": ("utility_model", "grant"), "S": ("design", "grant")}


class CnkiPatentSheet(Ingester):
    name = "cnki-xlsx"
    label = "CNKI patent search results (spreadsheet: title, author, com, sql, quote, href ...)"
    label_zh = "中国知网专利检索结果（Excel）"
    priority = 30

    def sniff(self, source: Source) -> bool:
        if source.suffix not in (".xlsx", ".xls"):
            return False
        try:
            for _, rows in sheet_rows(source):
                first = next(rows, None)
                return first is not None and _COLUMNS <= {str(c).strip() for c in first if c is not None}
        except Exception:  # noqa: BLE001 - an unreadable workbook is simply not this format
            return False
        return False

    def read(self, source: Source) -> Iterator[Record]:
        for _, rows in sheet_rows(source):
            header = [str(c).strip() if c is not None else "" for c in next(rows, ())]
            for n, row in enumerate(rows, start=2):
                cells = {h: cell_text(v) for h, v in zip(header, row, strict=False)}
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
        office, number, kind = parts
        try:
            app_date = parse_date(c.get("sql"))
            pub_date = parse_date(c.get("quote"))
        except ValueError as exc:
            field = "sql" if _bad(c.get("sql")) else "quote"
            return Rejected(position, f"{source.path}, {position}, column {field!r}: {exc}", str(c)[:300], field)
        doc_type, stage = _KIND_TYPES.get((kind or " ")[0], (None, None))
        title = c.get("title")
        rec = PatentRecord(
            doc_id=f"{office}{number}{kind or ''}", office=office, number=number, kind=kind, doc_type=doc_type,
            stage=stage, pub_date=pub_date, app_date=app_date, grant_date=pub_date if stage == "grant" else None,
            title=title, lang="zh", position=position,
            parties=[Party(n, "applicant", sequence=i + 1) for i, n in enumerate(split_multi(c.get("com")))],
            inventors=[Inventor(n, sequence=i + 1) for i, n in enumerate(split_multi(c.get("author")))],
            extra={k: c[k] for k in ("public", "href") if c.get(k)},
        )
        for kind_name, key in (("title", "title"), ("abstract", "ChDiv_summary"), ("first_claim", "claim_text")):
            if c.get(key):
                rec.texts.append(Text(kind_name, c[key], "zh"))  # type: ignore[arg-type]
        return rec


def _bad(text: str | None) -> bool:
    try:
        parse_date(text)
        return False
    except ValueError:
        return True


INGESTERS = [CnkiPatentSheet]
