"""US claim lists: tab-separated ``application number<TAB>claim text`` lines with no header
(e.g. the IP Street semantic-search validation set: one independent claim per application).

Each line gives an application stub (``USA`` + the application number, as the USPTO prosecution
ingesters key applications with no publication) carrying its claim as independent claim 1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.uspto_prosecution import application_record
from ipcockpit.model.records import Claim, Record, Rejected

_LINE = re.compile(r"^(\d{8})\t(\S.{40,})$")


class UsClaimsTsv(Ingester):
    name = "us-claims-tsv"
    label = "US claims by application number (TSV: application number, claim text; no header)"
    label_zh = "美国专利权利要求清单（制表符分隔：申请号、权利要求）"
    priority = 60

    def sniff(self, source: Source) -> bool:
        lines = [ln for ln in source.text_head(8192).splitlines()[:5] if ln.strip()]
        return bool(lines) and all(_LINE.match(ln) for ln in lines[:-1] or lines)

    def read(self, source: Source) -> Iterator[Record]:
        with source.open_text() as fh:
            for line_no, line in enumerate(fh, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                m = _LINE.match(line)
                if not m:
                    yield Rejected(f"line {line_no}", "expected an 8-digit application number, a tab and the "
                                   "claim text", line[:300], "application_number")
                    continue
                rec = application_record(m.group(1), None, None, f"line {line_no}")
                rec.lang = "en"
                rec.claims = [Claim(1, m.group(2).strip(), independent=True, lang="en")]
                yield rec


INGESTERS = [UsClaimsTsv]
