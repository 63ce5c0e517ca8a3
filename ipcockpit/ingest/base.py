"""What every ingester shares: the Source it reads and the Ingester interface.

An ingester recognises its format from content (``sniff``) and yields records (``read``):
:class:`~ipcockpit.model.PatentRecord`, :class:`~ipcockpit.model.ReferenceRecord` or
:class:`~ipcockpit.model.Rejected` for a record it cannot read (the file goes on). It never touches
storage. Raise :class:`~ipcockpit.errors.UnsupportedFormatError` from ``read`` for a recognised
format that is not parsed.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, ClassVar

from charset_normalizer import from_bytes

from ipcockpit.model.records import Record

if TYPE_CHECKING:
    from ipcockpit.settings import Settings

HEAD_BYTES = 64 * 1024


@dataclass
class Source:
    """One readable input: a plain file, or a member of a .zip/.tar(.gz)/.gz archive.

    ``path`` is what messages show ("data/x.zip!sheet1.xls"); ``open()`` gives a fresh binary stream
    (decompressed); ``name`` is the member's own file name, used for hints such as the suffix.
    """

    path: str
    name: str
    opener: Callable[[], BinaryIO]
    size: int | None = None
    is_archive: bool = False  # a whole .zip/.tar offered before its members are
    members: Callable[[], Iterator[Source]] | None = None
    _head: bytes | None = field(default=None, repr=False)

    def open(self) -> BinaryIO:
        return self.opener()

    def head(self, n: int = HEAD_BYTES) -> bytes:
        """The first ``n`` bytes (decompressed); the first 64 KiB are read once and cached."""
        if n > HEAD_BYTES:
            with self.open() as fh:
                return fh.read(n)
        if self._head is None:
            with self.open() as fh:
                self._head = fh.read(HEAD_BYTES)
        return self._head[:n]

    @property
    def suffix(self) -> str:
        name = self.name.lower()
        for double in (".tar.gz", ".tgz"):
            if name.endswith(double):
                return double
        dot = name.rfind(".")
        return name[dot:] if dot >= 0 else ""

    def encoding(self) -> str:
        """Text encoding detected from the head: utf-8(-sig), gb18030 (covers GBK) or what charset-normalizer finds."""
        return detect_encoding(self.head())

    def text_head(self, n: int = HEAD_BYTES) -> str:
        return self.head(n).decode(self.encoding(), errors="replace")

    def open_text(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self.open(), encoding=self.encoding(), errors="strict", newline="")


def detect_encoding(head: bytes) -> str:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # a multibyte character cut at the end of the head is still UTF-8
        if exc.start >= len(head) - 4:
            try:
                head[: exc.start].decode("utf-8")
                return "utf-8"
            except UnicodeDecodeError:
                pass
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:
            return "gb18030"
    best = from_bytes(head).best()
    return best.encoding if best else "utf-8"


class Ingester:
    """Base class of a format. Subclasses set ``name`` and ``label`` and implement sniff and read."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""  # human-readable, English
    label_zh: ClassVar[str] = ""
    #: lower runs first when several formats could match the same head
    priority: ClassVar[int] = 50
    #: True when the ingester reads a whole archive (.zip/.tar.gz) rather than its members
    reads_archives: ClassVar[bool] = False

    def __init__(self, settings: Settings | None = None) -> None:
        #: the running settings (e.g. ``column_maps``); None in plain library use
        self.settings = settings

    def sniff(self, source: Source) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def read(self, source: Source) -> Iterator[Record]:  # pragma: no cover - interface
        raise NotImplementedError
