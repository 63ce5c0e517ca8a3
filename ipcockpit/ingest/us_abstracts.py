"""PatentsView query exports: patent_number, patent_date, patent_title, patent_abstract (US grants)."""

from __future__ import annotations

from collections.abc import Iterator

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.csvutil import dict_rows, header, parse_date
from ipcockpit.model.numbers import canonical_number
from ipcockpit.model.records import PatentRecord, Record, Rejected, Text

_COLUMNS = {"patent_number", "patent_date", "patent_title", "patent_abstract"}


class PatentsViewCsv(Ingester):
    name = "patentsview-csv"
    label = "PatentsView query export (CSV: number, date, title, abstract)"
    label_zh = "PatentsView 检索导出（CSV）"

    def sniff(self, source: Source) -> bool:
        return source.suffix == ".csv" and _COLUMNS <= set(header(source))

    def read(self, source: Source) -> Iterator[Record]:
        for line, row in dict_rows(source):
            if isinstance(row, Rejected):  # a record csv cannot read (csvutil)
                yield row
                continue
            raw = (row.get("patent_number") or "").strip()
            if not raw:
                yield Rejected(f"line {line}", "empty patent_number", str(row)[:300], "patent_number")
                continue
            try:
                pub = parse_date(row.get("patent_date"))
            except ValueError as exc:
                yield Rejected(f"line {line}", str(exc), str(row)[:300], "patent_date")
                continue
            number = canonical_number("US", raw)
            title = (row.get("patent_title") or "").strip() or None
            abstract = (row.get("patent_abstract") or "").strip()
            yield PatentRecord(
                doc_id=f"US{number}",
                office="US",
                number=number,
                stage="grant",
                doc_type="design" if number.startswith("D") else "plant" if number.startswith("PP") else "invention",
                pub_date=pub,
                grant_date=pub,
                title=title,
                lang="en",
                texts=[t for t in (Text("title", title, "en") if title else None,
                                   Text("abstract", abstract, "en") if abstract else None) if t],
                position=f"line {line}",
            )


INGESTERS = [PatentsViewCsv]
