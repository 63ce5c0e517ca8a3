"""Turn paths into Sources: folders are walked, .zip/.gz/.tar(.gz) are read transparently.

Rules:

- An archive's members are Sources named ``archive!member``. An archive inside an archive is opened the same
  way (``a.zip!b.tar.gz!c.csv``), down to :data:`MAX_DEPTH` archives; one deeper is an error that names it,
  never a silent skip. An inner zip or tar is copied to a temporary file while its members are read (both
  need random access); a ``.gz`` is decompressed as a stream.
- What cannot be read (a damaged or truncated archive, a ``.gz`` that is not gzip, text not in the encoding
  its start shows ...) becomes, through :func:`unreadable`, an
  :class:`~ipcockpit.errors.UnreadableFileError` in plain words that names the file and the member: the
  ingest reports it as that file's error and goes on with the others. A tar cut short yields the members it
  holds whole, then the member it ends in, which cannot be read.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO

from ipcockpit.errors import EmptyFileError, IPCockpitError, UnreadableFileError
from ipcockpit.ingest.base import Source

_SKIP_PARTS = ("__MACOSX", ".DS_Store", ".git")
#: archives are opened down to this many levels: a.zip!b.zip!c.zip!data.csv is read, an archive in c.zip is not
MAX_DEPTH = 3
_AGAIN = "Nothing of it was loaded; copy or download it once more, then ingest it again."

Opener = Callable[[], BinaryIO]


def _skip(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return any(p in name for p in _SKIP_PARTS) or base.startswith("._") or base == ""


def check_paths(paths: Iterable[str | os.PathLike[str]]) -> None:
    """Raise FileNotFoundError naming every path that is not there (before anything is loaded)."""
    missing = [str(p) for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)}: no such file or folder; nothing was loaded. "
                                "Check the path and run the command again.")


def walk(paths: list[str | os.PathLike[str]]) -> Iterator[Source]:
    """Sources for files and folders (recursively, sorted); missing paths raise FileNotFoundError."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not _skip(str(child.relative_to(path))):
                    yield file_source(child)
        elif path.is_file():
            yield file_source(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder.")


def file_source(path: Path) -> Source:
    return _source(str(path), path.name, lambda: open(path, "rb"), path.stat().st_size, 0, path)


def _source(spath: str, name: str, opener: Opener, size: int | None, depth: int, local: Path | None) -> Source:
    """The Source of bytes called ``name``, inside ``depth`` archives; ``local``: a file on disk holding them."""
    lower = name.lower()
    if lower.endswith(".zip"):
        lister: Callable[[str, Opener, Path | None, int], Iterator[Source]] | None = _zip_members
    elif lower.endswith((".tar.gz", ".tgz", ".tar")):
        lister = _tar_members
    elif lower.endswith(".gz"):
        lister = None
    else:
        return Source(spath, name, opener, size)
    if depth >= MAX_DEPTH:
        return Source(spath, name, opener, size, is_archive=True, members=lambda: _too_deep(spath))
    if lister is None:  # one compressed stream: the file inside has the name without .gz
        return _source(spath, name[:-3], lambda: _gunzip(opener, local), None, depth + 1, None)
    return Source(spath, name, opener, size, is_archive=True, members=lambda: lister(spath, opener, local, depth + 1))


def _too_deep(spath: str) -> Iterator[Source]:
    raise UnreadableFileError(spath, f"an archive inside {MAX_DEPTH} others: ipcockpit opens archives {MAX_DEPTH} "
                                     "levels deep. Extract it and ingest the files it holds.")
    yield  # pragma: no cover - a generator, like the other listers


def _gunzip(opener: Opener, local: Path | None) -> BinaryIO:
    if local is not None:
        return gzip.open(local, "rb")  # type: ignore[return-value]
    raw = opener()
    return _Closing(gzip.GzipFile(fileobj=raw, mode="rb"), raw)  # type: ignore[return-value]


@contextmanager
def _on_disk(opener: Opener, local: Path | None) -> Iterator[Path]:
    """The archive as a file: itself, or (inside another archive) a temporary copy while it is read."""
    if local is not None:
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="ipcockpit-archive-") as folder:
        copy = Path(folder) / "archive"
        with opener() as src, open(copy, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield copy


def _zip_members(spath: str, opener: Opener, local: Path | None, depth: int) -> Iterator[Source]:
    with _on_disk(opener, local) as file:
        if file.stat().st_size == 0:
            raise EmptyFileError(spath, 0)
        with zipfile.ZipFile(file) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir() and not _skip(i.filename)]
        for info in sorted(infos, key=lambda i: i.filename):
            member = info.filename

            def member_opener(member: str = member) -> BinaryIO:
                zf = zipfile.ZipFile(file)
                try:
                    return _Closing(zf.open(member), zf)  # type: ignore[return-value]
                except BaseException:
                    zf.close()
                    raise

            yield _source(f"{spath}!{member}", member.rsplit("/", 1)[-1], member_opener, info.file_size, depth, None)


def _tar_members(spath: str, opener: Opener, local: Path | None, depth: int) -> Iterator[Source]:
    with _on_disk(opener, local) as file:
        infos: list[tarfile.TarInfo] = []
        cut: Exception | None = None
        with tarfile.open(file) as tf:
            try:
                for info in tf:  # header by header: a tar cut short lists what it holds before the cut
                    infos.append(info)
            except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
                cut = exc
        # the member the archive ends in, when the cut is inside it: listed, but its opening raises
        broken = {infos[-1].name: unreadable(f"{spath}!{infos[-1].name}", cut)
                  } if cut is not None and infos and not _whole(file, infos[-1]) else {}
        files = sorted((m for m in infos if m.isfile() and not _skip(m.name)), key=lambda m: m.name)
        for info in files:

            def member_opener(info: tarfile.TarInfo = info) -> BinaryIO:
                if info.name in broken:
                    raise broken[info.name]
                tf = tarfile.open(file)
                try:
                    fh = tf.extractfile(info)  # by its TarInfo: no second listing of the archive
                    assert fh is not None
                    return _Closing(fh, tf)  # type: ignore[return-value]
                except BaseException:
                    tf.close()
                    raise

            yield _source(f"{spath}!{info.name}", info.name.rsplit("/", 1)[-1], member_opener, info.size, depth, None)
        if cut is not None and not any(m.name in broken for m in files):
            after = f", after its member {infos[-1].name!r}" if infos else ""
            what = "truncated" if _truncated(cut) else "damaged"
            raise UnreadableFileError(spath, f"the archive ends in an error{after}: it is {what} ({_detail(cut)}); "
                                      "the members before were read, any after are missing. Copy or download it "
                                      "once more, then ingest it again.")


def _whole(file: Path, info: tarfile.TarInfo) -> bool:
    """Whether a tar member can be read to its end."""
    try:
        with tarfile.open(file) as tf:
            fh = tf.extractfile(info)
            if fh is not None:
                while fh.read(1 << 20):
                    pass
        return True
    except (tarfile.TarError, EOFError, OSError, zlib.error):
        return False


class _Closing(io.BufferedIOBase):
    """A member stream that also closes what it was read from (its archive, or the compressed stream)."""

    def __init__(self, inner: IO[bytes] | io.IOBase, owner: Any) -> None:
        self._inner = inner
        self._owner = owner

    def read(self, n: int | None = -1) -> bytes:
        return self._inner.read(n)  # type: ignore[no-any-return]

    def read1(self, n: int = -1) -> bytes:
        return self._inner.read(n)  # type: ignore[no-any-return]

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            self._owner.close()
            super().close()


def _truncated(exc: BaseException) -> bool:
    """Whether an error says the data end early (a gzip stream, or a tar, cut short)."""
    return isinstance(exc, EOFError) or (isinstance(exc, tarfile.ReadError) and "unexpected end" in str(exc))


def _detail(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def unreadable(path: str, exc: BaseException) -> IPCockpitError:
    """The error to report for a file (or an archive's member, ``path`` = ``x.zip!member``) that ``exc`` stopped
    reading, in plain words with what to do; an error ipcockpit raised on purpose stays as it is."""
    if isinstance(exc, IPCockpitError):
        return exc
    detail = _detail(exc)
    if isinstance(exc, zipfile.BadZipFile | zipfile.LargeZipFile):
        if "CRC" in detail:
            reason = f"the zip archive is damaged: the checksum of this member does not match its content ({detail})."
        else:
            reason = f"not a zip archive, or a damaged or truncated one ({detail})."
        reason += " " + _AGAIN
    elif isinstance(exc, gzip.BadGzipFile) and detail.startswith("Not a gzipped file"):
        reason = (f"not gzip-compressed, although its name ends in .gz ({detail}). Nothing of it was loaded; "
                  "rename it without .gz (or compress it with gzip), then ingest it again.")
    elif _truncated(exc):
        reason = (f"the compressed data end early: the file is truncated, an unfinished download or copy ({detail}). "
                  + _AGAIN)
    elif isinstance(exc, tarfile.TarError):
        reason = f"not a tar archive, or a damaged one ({detail}). " + _AGAIN
    elif isinstance(exc, zlib.error | gzip.BadGzipFile):
        reason = f"the compressed data are damaged ({detail}). " + _AGAIN
    elif isinstance(exc, UnicodeDecodeError):
        enc = exc.encoding.upper()
        reason = (f"the text is not all {enc}: its start reads as {enc}, bytes further on do not ({detail}). "
                  "Nothing of it was loaded; save the file in one encoding (UTF-8), then ingest it again.")
    elif isinstance(exc, csv.Error):
        reason = (f"cannot be read as delimited text ({detail}). Nothing of it was loaded; check its quotes and "
                  "delimiters, then ingest it again.")
    elif isinstance(exc, OSError):
        reason = f"cannot be read ({detail}). Nothing of it was loaded; check that the file can be opened."
    else:
        reason = (f"ipcockpit's reader stopped on it with an unexpected {type(exc).__name__} ({detail}). Nothing of "
                  "it was loaded. This is a defect of ipcockpit: please report it with the file.")
    return UnreadableFileError(path, reason)
