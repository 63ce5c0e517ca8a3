"""The formats ipcockpit reads, and detection of a Source's format from its content."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import cache

from ipcockpit.errors import EmptyFileError, IPCockpitError, UnknownFormatError
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.sources import unreadable
from ipcockpit.settings import Settings
from ipcockpit.startup import without_gc

#: modules under ipcockpit.ingest that define ``INGESTERS = [...]``
MODULES = (
    "uspto_xml",
    "uspto_legacy",
    "lens",
    "patentscope",
    "cn_table",
    "cnki",
    "sipo_trs",
    "pss",
    "cn_sets",
    "cn_gazette",
    "cn_legal_events",
    "thomson",
    "india",
    "multilang_abstracts",
    "epo_ops",
    "uspto_assignment",
    "uspto_prosecution",
    "reference",
    "us_abstracts",
    "awards",
    "us_claims",
    "tm_st96",
    "tm_cn_table",
)


@cache
def ingester_classes() -> tuple[type[Ingester], ...]:
    found: list[type[Ingester]] = []
    with without_gc():
        for module in MODULES:
            try:
                mod = importlib.import_module(f"ipcockpit.ingest.{module}")
            except ModuleNotFoundError as exc:
                if exc.name == f"ipcockpit.ingest.{module}":
                    continue  # format not built yet
                raise
            found.extend(getattr(mod, "INGESTERS", []))
    return tuple(sorted(found, key=lambda i: (i.priority, i.name)))


def ingesters(settings: Settings | None = None) -> tuple[Ingester, ...]:
    """One instance of every format, in the order they are tried."""
    return tuple(cls(settings) for cls in ingester_classes())


def by_name(name: str, settings: Settings | None = None) -> Ingester:
    for ing in ingesters(settings):
        if ing.name == name:
            return ing
    raise UnknownFormatError(name, f"no format called {name!r}")


def detect(source: Source, settings: Settings | None = None, candidates: tuple[Ingester, ...] | None = None,
           ) -> Ingester | None:
    """The first ingester (by priority) that recognises the source, or None."""
    for ing in candidates if candidates is not None else ingesters(settings):
        if source.is_archive != ing.reads_archives:
            continue
        if ing.sniff(source):
            return ing
    return None


_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
#: bytes of no data: ASCII whitespace, and the NUL half of UTF-16 whitespace
_BLANK = b" \t\r\n\x0b\x0c\x00"


def blank_size(source: Source) -> int | None:
    """The size of a source that holds no data (no bytes, or only whitespace after a byte-order mark); None
    when it holds something."""
    body = source.head()
    for bom in _BOMS:
        if body.startswith(bom):
            body = body[len(bom):]
            break
    if body.strip(_BLANK):
        return None  # most files: the head says it
    size = 0
    with source.open() as fh:  # a head of whitespace: read on
        while chunk := fh.read(1 << 20):
            if size == 0:
                for bom in _BOMS:
                    if chunk.startswith(bom):
                        chunk, size = chunk[len(bom):], len(bom)
                        break
            if chunk.strip(_BLANK):
                return None
            size += len(chunk)
    return size


def unrecognised(source: Source) -> UnknownFormatError:
    """The error for a source no format recognises: an empty file is said to be empty."""
    size = blank_size(source)
    return UnknownFormatError(source.path) if size is None else EmptyFileError(source.path, size)


def plan(sources: Iterator[Source], settings: Settings | None = None,
         ) -> Iterator[tuple[Source, Ingester | None, IPCockpitError | None]]:
    """Pair each source with its ingester, or with the error that says why it is not read: in no known format
    (:class:`~ipcockpit.errors.UnknownFormatError`, an empty file included) or unreadable
    (:func:`ipcockpit.ingest.sources.unreadable`). An archive no ingester reads whole is opened into its members,
    an archive among them too (down to :data:`ipcockpit.ingest.sources.MAX_DEPTH`); an archive that cannot be
    opened is one error, and the members it yielded before stay planned."""
    candidates = ingesters(settings)
    for source in sources:
        yield from _plan(source, candidates)


def _plan(source: Source, candidates: tuple[Ingester, ...],
          ) -> Iterator[tuple[Source, Ingester | None, IPCockpitError | None]]:
    error: IPCockpitError | None = None
    try:
        ing = detect(source, candidates=candidates)
        if ing is None and not (source.is_archive and source.members is not None):
            error = unrecognised(source)
    except Exception as exc:  # noqa: BLE001 - whatever stops reading its head is this file's error, in plain words
        ing, error = None, unreadable(source.path, exc)
    if ing is not None or error is not None or source.members is None:
        yield source, ing, error
        return
    members = source.members()
    while True:
        try:
            member = next(members)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - the archive cannot be listed (on): its error
            yield source, None, unreadable(source.path, exc)
            return
        yield from _plan(member, candidates)
