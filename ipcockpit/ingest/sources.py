"""Turn paths into Sources: folders are walked, .zip/.gz/.tar(.gz) are read transparently."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ipcockpit.ingest.base import Source

_SKIP_PARTS = ("__MACOSX", ".DS_Store", ".git")


def _skip(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return any(p in name for p in _SKIP_PARTS) or base.startswith("._") or base == ""


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
    spath = str(path)
    name = path.name
    lower = name.lower()
    size = path.stat().st_size
    if lower.endswith(".zip"):
        return Source(spath, name, lambda: open(path, "rb"), size, is_archive=True, members=lambda: _zip_members(path))
    if lower.endswith((".tar.gz", ".tgz", ".tar")):
        return Source(spath, name, lambda: open(path, "rb"), size, is_archive=True, members=lambda: _tar_members(path))
    if lower.endswith(".gz"):
        inner = name[:-3]
        return Source(spath, inner, lambda: gzip.open(path, "rb"), None)  # type: ignore[arg-type,return-value]
    return Source(spath, name, lambda: open(path, "rb"), size)


def _zip_members(path: Path) -> Iterator[Source]:
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir() and not _skip(i.filename)]
    for info in sorted(infos, key=lambda i: i.filename):
        member = info.filename

        def opener(member: str = member) -> io.BufferedIOBase:
            zf = zipfile.ZipFile(path)
            return _Closing(zf.open(member), zf)

        yield Source(f"{path}!{member}", member.rsplit("/", 1)[-1], opener, info.file_size)


def _tar_members(path: Path) -> Iterator[Source]:
    with tarfile.open(path) as tf:
        infos = [m for m in tf.getmembers() if m.isfile() and not _skip(m.name)]
    for info in sorted(infos, key=lambda m: m.name):
        member = info.name

        def opener(member: str = member) -> io.BufferedIOBase:
            tf = tarfile.open(path)
            fh = tf.extractfile(member)
            assert fh is not None
            return _Closing(fh, tf)

        yield Source(f"{path}!{member}", member.rsplit("/", 1)[-1], opener, info.size)


class _Closing(io.BufferedIOBase):
    """A member stream that also closes its archive."""

    def __init__(self, inner: io.IOBase, owner: zipfile.ZipFile | tarfile.TarFile) -> None:
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
