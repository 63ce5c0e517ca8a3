"""The formats ipcockpit reads, and detection of a Source's format from its content."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from functools import cache

from ipcockpit.errors import UnknownFormatError
from ipcockpit.ingest.base import Ingester, Source

#: modules under ipcockpit.ingest that define ``INGESTERS = [...]``
MODULES = (
    "uspto_xml",
    "uspto_legacy",
    "lens",
    "patentscope",
    "cn_table",
    "cnki",
    "cn_sets",
    "thomson",
    "india",
    "multilang_abstracts",
    "epo_ops",
    "uspto_assignment",
    "uspto_prosecution",
    "reference",
    "us_abstracts",
)


@cache
def ingesters() -> tuple[Ingester, ...]:
    found: list[Ingester] = []
    for module in MODULES:
        try:
            mod = importlib.import_module(f"ipcockpit.ingest.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"ipcockpit.ingest.{module}":
                continue  # format not built yet
            raise
        found.extend(cls() for cls in getattr(mod, "INGESTERS", []))
    return tuple(sorted(found, key=lambda i: (i.priority, i.name)))


def by_name(name: str) -> Ingester:
    for ing in ingesters():
        if ing.name == name:
            return ing
    raise UnknownFormatError(name, f"no format called {name!r}")


def detect(source: Source) -> Ingester | None:
    """The first ingester (by priority) that recognises the source, or None."""
    for ing in ingesters():
        if source.is_archive != ing.reads_archives:
            continue
        if ing.sniff(source):
            return ing
    return None


def plan(sources: Iterator[Source]) -> Iterator[tuple[Source, Ingester | None]]:
    """Pair each source with its ingester; an archive no ingester reads whole is opened into members."""
    for source in sources:
        ing = detect(source)
        if ing is None and source.is_archive and source.members is not None:
            for member in source.members():
                yield member, detect(member)
        else:
            yield source, ing
