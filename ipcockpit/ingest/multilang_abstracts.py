"""Abstracts by IPC main group and year window: ``.../Class<IPC>/Date<YYYY-YYYY>.txt``, one per line.

Each line is ``id-<publication number><spaces>abstract-<text>`` in the document's original language
(Chinese, Korean, Japanese, German, English ...). The brief for this format assumed lines without
numbers and proposed synthetic ``ZZ`` ids; the real files carry the publication number
(``id-CN114081026A``, ``id-JPWO2019123456A1``), so ``doc_id`` is that number, canonical, and the
record is a full document (``stub=False``) with only an abstract.

The folder names the IPC main group the collector filed the line under (``ClassB60T1-10`` ->
``B60T 1/10``); it becomes an IPC classification (not marked main: the source does not say it is
the main one) and ``extra['source_ipc']``. The file name gives the year window
(``extra['years'] = '2015-2016'``). The language is detected from the script (Hangul -> ko, kana
-> ja, Han -> zh, Cyrillic -> ru) and, for Latin text, from a few function words (de, fr, es,
else en). A document listed under several groups or windows is yielded each time; the loader
merges it and adds the other groups.

Sniffing needs both the path shape ``Class*/Date*.txt`` and a first line of the form above, so
other ``.txt`` files are never taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.model.numbers import canonical_number
from ipcockpit.model.records import Classification, PatentRecord, Record, Rejected, Text

_PATH = re.compile(r"(?:^|[/!\\])Class([A-H]\d\d[A-Z])(\d{1,4})-(\d{2,6})[/\\]Date(\d{4})-(\d{4})\.txt$")
_LINE = re.compile(r"^id-([A-Z]{2})(\S*?\d\S*?)([A-Z]\d?)?\s+abstract-(.*)$", re.S)
_SCRIPTS = (
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
)
_WORDS = {
    "de": re.compile(r"\b(der|die|das|und|eine?[mnrs]?|mit|zur?|von|ist|wird)\b"),
    "fr": re.compile(r"\b(le|la|les|des|une?|et|est|pour|dans|du)\b"),
    "es": re.compile(r"\b(el|los|las|una?|y|del|para|con|que|se)\b"),
    "en": re.compile(r"\b(the|and|of|an?|is|to|with|for|which)\b"),
}


def detect_language(text: str) -> str | None:
    """A language code from the script, or from function words for Latin text; None for no letters."""
    sample = text[:400]
    for lang, pattern in _SCRIPTS:
        if pattern.search(sample):
            return lang
    words = sample.lower()
    scores = {lang: len(p.findall(words)) for lang, p in _WORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] else None


def _shape(source: Source) -> re.Match[str] | None:
    return _PATH.search(source.path.replace("\\", "/"))


class MultilangAbstracts(Ingester):
    name = "multilang-abstracts"
    label = "Abstracts by IPC group and year (Class*/Date*.txt, one 'id-... abstract-...' per line)"
    label_zh = "按 IPC 分组和年份的多语种摘要（文本）"
    priority = 20

    def sniff(self, source: Source) -> bool:
        if not _shape(source):
            return False
        first = source.text_head(4096).lstrip("\ufeff").split("\n", 1)[0]
        return bool(_LINE.match(first.strip()))

    def read(self, source: Source) -> Iterator[Record]:
        shape = _shape(source)
        assert shape is not None  # sniff checked it
        ipc = f"{shape.group(1)} {int(shape.group(2))}/{shape.group(3)}"
        years = f"{shape.group(4)}-{shape.group(5)}"
        with source.open_text() as fh:
            for line_no, raw in enumerate(fh, 1):
                line = raw.strip()
                if not line:
                    continue
                m = _LINE.match(line)
                if not m:
                    yield Rejected(f"line {line_no}", "line is not 'id-<publication number> abstract-<text>'; "
                                   "fix or remove the line", line[:300], "id")
                    continue
                office, number, kind, abstract = m.group(1), m.group(2), m.group(3), m.group(4).strip()
                number = canonical_number(office, number)
                lang = detect_language(abstract)
                yield PatentRecord(
                    doc_id=f"{office}{number}{kind or ''}",
                    office=office,
                    number=number,
                    kind=kind,
                    lang=lang,
                    classifications=[Classification("IPC", ipc)],
                    texts=[Text("abstract", abstract, lang)] if abstract else [],
                    position=f"line {line_no}",
                    extra={"source_ipc": ipc, "years": years},
                )


INGESTERS = [MultilangAbstracts]
