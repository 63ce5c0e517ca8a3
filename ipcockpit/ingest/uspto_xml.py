"""USPTO red-book full-text XML: grants (us-patent-grant) and applications (us-patent-application).

Covers every ICE DTD from v4.0 (2005) on, utility, design, plant, reissue and SIR documents, as weekly
files (``ipgYYMMDD.xml``/``ipaYYMMDD.xml``: thousands of documents, each with its own ``<?xml?>``
declaration and DOCTYPE, back to back) or single documents, plain or gzipped.

Reading streams with bounded memory: the byte stream is cut on the ``<?xml`` declarations
(:func:`split_documents`), each document is parsed on its own by pugixml (no DTD, no external
entities, no network) and dropped after its fields are taken (:mod:`ipcockpit.ingest.uspto_xml_fields`);
lxml only describes a document pugixml cannot parse. A large
file is parsed by a small process pool, in order, with a bounded number of batches in flight: a plain
file is cut into byte ranges on the declarations and each worker reads its own ranges; a compressed or
archived stream is split here and the bytes are sent. Workers write table rows straight from the
extracted fields (:mod:`ipcockpit.ingest.uspto_xml_rows`) and send Arrow tables back. A
document that is not well-formed (a truncated last record) becomes a Rejected naming its offset, its
number and the element where parsing stopped; the others still load. Sequence-listing documents
(``sequence-cwu``) inside weekly grant files are not patents and are skipped.
"""

from __future__ import annotations

import gc
import io
import multiprocessing as mp
import os
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
from lxml import etree

from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.uspto_xml_fields import CITED_BY, DOC_TYPES, Fields, extract, parse, ymd
from ipcockpit.ingest.uspto_xml_rows import add_rows
from ipcockpit.model.flat import FlatBatch, empty_rows, tables_of_rows
from ipcockpit.model.numbers import application_id, canonical_number, cited_id, doc_id
from ipcockpit.model.records import (
    Address,
    Citation,
    Claim,
    Classification,
    Inventor,
    Party,
    PatentRecord,
    Priority,
    Record,
    Rejected,
    Text,
)

#: a file at least this large (or a stream of unknown size past this point) is parsed by a pool
POOL_MIN_BYTES = 20 * 1024 * 1024
#: documents are sent to the pool in batches of about this many bytes
BATCH_BYTES = 6 * 1024 * 1024
#: how much lower the parser workers' scheduling priority is than the loading process's (see _yield_to_loader)
WORKER_NICENESS = 10
#: batches in flight per worker (bounds memory: workers never run far ahead of the loader)
IN_FLIGHT_PER_WORKER = 4
_READ = 8 * 1024 * 1024
_DECL = b"<?xml"
_ROOTS = (b"<us-patent-grant", b"<us-patent-application")
_DOC_NUMBER = re.compile(rb"<doc-number>\s*([^<\s]+)\s*</doc-number>")
_OPEN_TAG = re.compile(rb"<([A-Za-z][\w.-]*)")
_IN_TAG = re.compile(r"tag (\S+?)[ ,]|(?:end tag|tag mismatch): (\S+)")

_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True,
                          remove_comments=True, remove_pis=True)


# splitting ----------------------------------------------------------------------------------
def split_documents(stream: BinaryIO, read_size: int = _READ) -> Iterator[tuple[int, bytes]]:
    """(byte offset, bytes) of each document in a stream of XML documents put back to back.

    A document starts at an ``<?xml`` declaration (or at the start of the stream). Memory is one
    read block plus the longest document.
    """
    buf = b""
    base = 0  # stream offset of buf[0]
    start = 0  # start of the current document in buf
    search = 1
    eof = False
    while True:
        nxt = _find_decl(buf, search)
        if nxt >= 0:
            doc = buf[start:nxt]
            if doc.strip():
                yield base + start, doc
            start, search = nxt, nxt + 1
            continue
        if eof:
            doc = buf[start:]
            if doc.strip():
                yield base + start, doc
            return
        block = stream.read(read_size)
        eof = not block
        search = max(1, len(buf) - start - 6)  # a declaration may straddle two blocks
        base += start
        buf = buf[start:] + block
        start = 0


def _find_decl(buf: bytes, search: int) -> int:
    """Index of the next ``<?xml`` declaration (followed by white space) at or after search, or -1."""
    n = buf.find(_DECL, search)
    while n >= 0:
        if n + 5 >= len(buf):
            return -1  # cannot tell yet; the caller reads more
        if buf[n + 5] in b" \t\r\n":
            return n
        n = buf.find(_DECL, n + 5)  # <?xml-stylesheet and the like are not declarations
    return -1


# parsing (runs in the pool's workers for large files) -----------------------------------------
def parse_document(offset: int, raw: bytes) -> tuple[Any, ...] | None:
    """("doc", offset, fields) or ("rej", offset, reason, excerpt, field); None for a non-patent part."""
    head = raw[:2048]
    if not any(r in head for r in _ROOTS):
        if b"<sequence-cwu" in head or b"us-sequence-listing" in head:
            return None
        return ("rej", offset, _where(offset, raw) + "is not a us-patent-grant or us-patent-application "
                "document; a USPTO weekly file holds only those (and sequence listings)",
                _excerpt(raw, 1), "root")
    doc = parse(raw)
    if doc is None:  # lxml says where and why the document is broken
        return _unparsable(offset, raw)
    return prepare(offset, extract(doc))


def _unparsable(offset: int, raw: bytes) -> tuple[Any, ...]:
    """The ("rej", ...) tuple of a document pugixml could not parse, with libxml2's account of it."""
    try:
        etree.fromstring(raw, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        msg = str(exc)
        m = _IN_TAG.search(msg)
        tail = raw[-4096:].rstrip()
        cut = not tail.endswith((b"</us-patent-grant>", b"</us-patent-application>"))
        if m:
            field = m.group(1) or m.group(2)
        else:  # the last element opened before the error
            opened = _OPEN_TAG.findall(tail if cut else raw[:4096])
            field = opened[-1].decode("ascii", "replace") if opened else None
        hint = ("it ends before its closing root tag: the file is cut short; download it again" if cut
                else "it is not well-formed XML; fix it or download the file again")
        return ("rej", offset, f"{_where(offset, raw)}cannot be parsed in element <{field}>: {msg}; {hint}",
                _excerpt(raw, getattr(exc, "lineno", None) or 0), field)
    return ("rej", offset, f"{_where(offset, raw)}cannot be read: its bytes are not text in the encoding it "
            "declares, or it holds markup the parser refuses; fix it or download the file again",
            _excerpt(raw, 1), "root")


def parse_batch(batch: list[tuple[int, bytes]]) -> list[Record | FlatBatch]:
    """A worker's job: parse documents and write their table rows, so that the loading process only
    writes Arrow tables. Returns the rejects and a FlatBatch of the good records; a document that comes again
    goes to a second FlatBatch (a third ...), as a FlatBatch names each document once (the loader merges the
    later batches into what the first stored).

    The cyclic garbage collector is off meanwhile: a batch allocates hundreds of thousands of small
    tuples and no cycles, and the collector's passes over them cost a tenth of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        rows = [empty_rows()]
        good = [0]
        times: dict[str, int] = {}  # documents seen: how often
        out: list[Record | FlatBatch] = []
        for offset, raw in batch:
            r = parse_document(offset, raw)
            if r is None:
                continue
            if r[0] == "doc":
                n = times.get(r[1]["doc_id"], 0)
                times[r[1]["doc_id"]] = n + 1
                if n == len(rows):
                    rows.append(empty_rows())
                    good.append(0)
                add_rows(r, rows[n])
                good[n] += 1
            else:
                out.append(_rejected(r))
        out.extend(FlatBatch(tables_of_rows(t), n) for t, n in zip(rows, good, strict=True) if n)
        return out
    finally:
        if enabled:
            gc.enable()


def parse_range(path: str, start: int, end: int) -> list[Record | FlatBatch]:
    """A worker's job for a plain file: read bytes start..end (whole documents) and parse them."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    return parse_batch([(start + offset, raw) for offset, raw in split_documents(io.BytesIO(data))])


def _where(offset: int, raw: bytes) -> str:
    m = _DOC_NUMBER.search(raw, 0, 4096)
    number = f"document {m.group(1).decode('ascii', 'replace')} " if m else "document "
    return f"{number}at offset {offset} "


def _excerpt(raw: bytes, lineno: int) -> str:
    if lineno <= 1:
        return raw[:400].decode("utf-8", "replace")
    lines = raw.split(b"\n")
    near = b"\n".join(lines[max(0, lineno - 4): lineno])
    return near[-400:].decode("utf-8", "replace")


# records ----------------------------------------------------------------------------------
# Workers turn fields into constructor arguments (numbers, dates, addresses all computed), so the
# loading process only builds the dataclasses: plain tuples pickle fast, slotted dataclasses do not.
def _address(place: tuple[str, str, str] | None) -> tuple[str, str | None, str | None, str | None] | None:
    if not place:
        return None
    city, state, country = place
    cc = country.upper() if len(country) == 2 and country.isalpha() else None
    raw = ", ".join(x for x in (city, state, cc or "") if x)
    if not raw:
        return None
    return (raw, cc, state or None, city or None)


def prepare(offset: int, f: Fields) -> tuple[Any, ...]:
    """("doc", offset, document fields, parties, inventors, ...) or ("rej", ...) without a number."""
    pub, app = f["pub"], f["app"]
    number = pub.get("doc-number")
    if not number:
        return ("rej", offset, f"document at offset {offset} has no publication number "
                "(publication-reference/document-id/doc-number is empty); it cannot be loaded",
                f"title: {f['title'][:200]}", "publication-reference/doc-number")
    office = (pub.get("country") or "US").upper()
    kind = pub.get("kind") or None
    stage = "grant" if f["root"] == "us-patent-grant" else "application"
    pub_date = ymd(pub.get("date"))
    app_date = ymd(app.get("date"))
    title = f["title"] or None
    prio = [(c, n, ymd(d)) for c, n, d in f["prio"]]
    prio_dates = [p[2] for p in prio if p[2]]
    head = {
        "doc_id": doc_id(office, number, kind),
        "office": office,
        "number": canonical_number(office, number),
        "kind": kind,
        "doc_type": DOC_TYPES.get(f["appl_type"] or "") or _type_from_kind(kind),
        "stage": stage,
        "pub_date": pub_date,
        "app_id": application_id(app.get("country") or office, app["doc-number"]) if app.get("doc-number") else None,
        "app_date": app_date,
        "grant_date": pub_date if stage == "grant" else None,
        "priority_date": min(prio_dates) if prio_dates else app_date,
        "title": title,
        "lang": "en",
        "position": f"offset {offset}",
        "extra": f["extra"],
    }
    parties = [(name, role, _address(place), i) for i, (role, name, place) in enumerate(f["parties"], start=1)]
    inventors = [(name, _address(place), i) for i, (name, place) in enumerate(f["inventors"], start=1)]
    citations = []
    for i, (npl, country, num, ckind, cdate, category) in enumerate(f["cit"], start=1):
        cited_by = CITED_BY.get(category or "", "other" if category else None)
        if npl:
            citations.append((None, num, None, None, True, None, cited_by, i))
        else:
            cc = (country or "US").upper()
            cited = cited_id(cc, num, ckind) if num and len(cc) == 2 else None
            raw = " ".join(x for x in (cc, num, ckind) if x)
            citations.append((cited, raw, cc, ymd(cdate), False, None, cited_by, i))
    texts = [(k, v) for k, v in (("title", title), ("abstract", f["abstract"]), ("description", f["description"]))
             if v]
    return ("doc", head, parties, inventors, f["class"], citations, f["claims"], texts, prio)


def build_record(prepared: tuple[Any, ...]) -> PatentRecord:
    """The PatentRecord of a prepared ("doc", ...) tuple."""
    _, head, parties, inventors, classes, citations, claims, texts, prio = prepared
    return PatentRecord(
        **head,
        parties=[Party(n, r, None, None, Address(*a) if a else None, s) for n, r, a, s in parties],
        inventors=[Inventor(n, None, Address(*a) if a else None, s) for n, a, s in inventors],
        classifications=[Classification(sc, c, m, i) for i, (sc, c, m) in enumerate(classes, start=1)],
        citations=[Citation(*c) for c in citations],
        claims=[Claim(n, t, ind, dep, "en") for n, t, ind, dep in claims],
        texts=[Text(k, v, "en") for k, v in texts],
        priorities=[Priority(*p) for p in prio],
    )


def _type_from_kind(kind: str | None) -> str:
    k = (kind or "")[:1]
    return {"S": "design", "P": "plant", "E": "reissue", "H": "sir"}.get(k, "invention")


def _rejected(r: tuple[Any, ...]) -> Rejected:
    _, offset, reason, excerpt, field = r
    return Rejected(f"offset {offset}", reason, excerpt, field)


def _to_records(results: Iterable[tuple[Any, ...] | None]) -> Iterator[Record]:
    for r in results:
        if r is None:
            continue
        yield build_record(r) if r[0] == "doc" else _rejected(r)


# reading --------------------------------------------------------------------------------------
def _workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _batches(docs: Iterator[tuple[int, bytes]]) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    size = 0
    for d in docs:
        batch.append(d)
        size += len(d[1])
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _pooled(jobs: Iterator[tuple[Callable[..., list[Record | FlatBatch]], tuple[Any, ...]]],
            workers: int) -> Iterator[Record | FlatBatch]:
    """Jobs (function, arguments) over a pool, results in order, at most workers * IN_FLIGHT_PER_WORKER
    jobs pending."""
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    if method == "fork":
        _before_fork()
    pool = mp.get_context(method).Pool(workers, initializer=_yield_to_loader)
    if method == "fork":
        gc.unfreeze()
    try:
        pending: deque[Any] = deque()
        limit = workers * IN_FLIGHT_PER_WORKER
        for fn, args in jobs:
            pending.append(pool.apply_async(fn, args))
            if len(pending) >= limit:
                yield from pending.popleft().get()
        while pending:
            yield from pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _yield_to_loader() -> None:
    """A worker's start: a lower scheduling priority. The loading process (its DuckDB inserts and
    checkpoints) is the pipeline's slowest stage and the workers can run ahead of it by a few batches;
    on a machine with fewer cores than processes, the loader should not wait for a core held by a
    worker. (Measured on 2 cores: the 203 MB benchmark file's ingest 3.4 -> 3.1 s.)"""
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not allowed here: same priority
        pass


def _before_fork() -> None:
    """What every forked worker would otherwise do for itself, done once here and shared: pyarrow's
    set-up on its first array (which imports pandas, when installed, unless the process has called
    :func:`~ipcockpit.model.flat.arrow_without_pandas`, as ``ipcockpit ingest`` does); and the
    objects alive now are moved out of the garbage collector's sight, so that its passes in the
    workers do not touch (and copy) the pages they share with this process."""
    pa.array([0])
    gc.freeze()


def _batch_jobs(docs: Iterator[tuple[int, bytes]]) -> Iterator[tuple[Callable[..., Any], tuple[Any, ...]]]:
    for batch in _batches(docs):
        yield parse_batch, (batch,)


def read_documents(stream: BinaryIO, size: int | None, workers: int | None = None) -> Iterator[Record | FlatBatch]:
    """Records of a stream of ICE XML documents; once the stream is large a pool parses and flattens
    (yielding FlatBatches of records and the Rejected ones)."""
    workers = _workers() if workers is None else workers
    docs = split_documents(stream)
    if workers > 1 and size is not None and size >= POOL_MIN_BYTES:
        yield from _pooled(_batch_jobs(docs), workers)
        return
    consumed = 0
    for offset, raw in docs:
        yield from _to_records([parse_document(offset, raw)])
        consumed += len(raw)
        if workers > 1 and consumed >= POOL_MIN_BYTES:  # a stream of unknown size turned out large
            yield from _pooled(_batch_jobs(docs), workers)
            return


def ranges(path: str, size: int, chunk: int) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of about chunk bytes covering a file, each cut on a declaration."""
    start = 0
    with open(path, "rb") as fh:
        while start < size:
            end = _next_declaration(fh, start + chunk, size)
            yield start, end
            start = end


def _next_declaration(fh: BinaryIO, pos: int, size: int) -> int:
    """Offset of the first ``<?xml`` declaration at or after pos (size when there is none)."""
    if pos >= size:
        return size
    fh.seek(pos)
    buf, buf_start = b"", pos  # buf holds the file's bytes from buf_start on
    while block := fh.read(1 << 16):
        buf += block
        n = _find_decl(buf, 0)
        if n >= 0:
            return buf_start + n
        keep = len(buf) - 6  # a declaration may straddle two blocks
        buf, buf_start = buf[keep:], buf_start + keep
    return size


def read_file(path: str, size: int, workers: int | None = None) -> Iterator[Record | FlatBatch]:
    """Records of a plain (seekable) file. A large one is cut into ranges on the declarations and each
    worker reads and parses its own ranges: the loading process neither splits nor ships the bytes."""
    workers = _workers() if workers is None else workers
    if workers > 1 and size >= POOL_MIN_BYTES:
        yield from _pooled(((parse_range, (path, s, e)) for s, e in ranges(path, size, BATCH_BYTES)), workers)
        return
    with open(path, "rb") as fh:
        yield from read_documents(fh, size, 1)


class UsptoXml(Ingester):
    name = "uspto-xml"
    label = "USPTO full-text XML, grants and applications (ICE DTD v4.0+, 2005 on; weekly or single)"
    label_zh = "美国专利商标局全文 XML（授权与申请，2005 年起的 4.x 版文档类型定义）"
    priority = 20

    def sniff(self, source: Source) -> bool:
        head = source.head()
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
        if start not in (b"<?xml", b"<!DOC", b"<us-p"):
            return False
        return any(r in head for r in _ROOTS) or b"us-sequence-listing" in head[:4096]

    def read(self, source: Source) -> Iterator[Record | FlatBatch]:
        workers = self.settings.workers if self.settings is not None and self.settings.workers > 0 else None
        if source.size is not None and _plain_file(source.path, source.size):
            yield from read_file(source.path, source.size, workers)
            return
        with source.open() as fh:
            yield from read_documents(fh, source.size, workers)


def _plain_file(path: str, size: int) -> bool:
    """Whether a source is a file of its own on disk (not an archive member or a compressed stream)."""
    p = Path(path)
    return p.is_file() and p.stat().st_size == size and not path.lower().endswith((".gz", ".zip", ".tgz", ".tar"))


INGESTERS = [UsptoXml]
