"""One exception hierarchy; every message says what went wrong, where, and what to do."""

from __future__ import annotations


class IPCockpitError(Exception):
    """Base class of every error ipcockpit raises on purpose."""


class SettingsError(IPCockpitError):
    """A setting has a bad value."""


class UnknownFormatError(IPCockpitError):
    """No ingester recognises a file."""

    def __init__(self, path: str, detail: str = "") -> None:
        msg = (
            f"{path}: not a format ipcockpit knows{(' (' + detail + ')') if detail else ''}. "
            "Run `ipcockpit formats` for the list, or add a column map for a table export "
            "(see docs/formats.md)."
        )
        super().__init__(msg)
        self.path = path


class EmptyFileError(UnknownFormatError):
    """A file holds no data at all: no bytes, or only whitespace and a byte-order mark."""

    def __init__(self, path: str, size: int) -> None:
        what = "0 bytes" if size == 0 else f"{size} bytes, only whitespace"
        IPCockpitError.__init__(
            self, f"{path}: empty file ({what}); there is nothing to load. Check that the export or download "
            "finished, then ingest the file again.")
        self.path = path


class UnsupportedFormatError(IPCockpitError):
    """A file is recognised but its format is not parsed (yet)."""

    def __init__(self, path: str, format_name: str, hint: str) -> None:
        super().__init__(f"{path}: recognised as {format_name}, which ipcockpit does not parse. {hint}")
        self.path = path
        self.format_name = format_name


class UnreadableFileError(IPCockpitError):
    """A file, or a member of an archive, cannot be read to its end (a damaged or truncated archive, a
    ``.gz`` that is not gzip, text in two encodings ...): nothing of it is loaded, the other files are.
    ``path`` names the file (``x.zip!member.csv`` for a member), ``reason`` says what is wrong and what to do."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[UnreadableFileError], tuple[str, str]]:
        return type(self), (self.path, self.reason)  # it crosses process boundaries (parallel readers)


class RecordError(IPCockpitError):
    """One record of a file cannot be loaded; the record goes to quarantine."""

    def __init__(self, path: str, position: str, field: str | None, reason: str) -> None:
        where = f"{path}, record {position}" + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {reason}")
        self.path = path
        self.position = position
        self.field = field
        self.reason = reason


class StoreError(IPCockpitError):
    """The database cannot be opened or migrated."""


class StoreLockedError(StoreError):
    """Another process holds the database file: DuckDB lets one process write a file, or several read it.
    ``holder`` describes that process (its command line where the system tells it), ``pid`` is its id,
    ``readers`` is True when it holds the file read-only (a read-only open would work beside it)."""

    def __init__(self, path: str, holder: str, pid: int | None, readers: bool) -> None:
        how = "read-only" if readers else "for writing"
        super().__init__(
            f"{path}: the database is in use by another process ({holder}), which holds it {how}. Stop that "
            "process (a server: Ctrl+C in its terminal) or wait for it to finish, then run this again.")
        self.path, self.holder, self.pid, self.readers = path, holder, pid, readers


class StoreMissingError(StoreError):
    """No database file at ``path``, where a command only reads (nothing is created there)."""

    def __init__(self, path: str) -> None:
        super().__init__(f"{path}: no database here; load data into it first (`ipcockpit ingest PATH --db {path}`), "
                         "or name another file with --db or the setting db")
        self.path = path


class UnavailableError(IPCockpitError):
    """Something a request needs is not there yet (e.g. a search index): the message says how to make it.
    ``key`` may name the catalogue text people read instead of the message."""

    key: str | None = None
