"""The DuckDB store: one file, versioned migrations, bulk loading through Arrow."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ipcockpit.errors import StoreError, StoreLockedError, StoreMissingError
from ipcockpit.model.schema import ALL_TABLES, DATA_TABLES, arrow_schema  # noqa: F401 (re-export)
from ipcockpit.store.migrations import MIGRATIONS

#: rows per row group of what this store writes (DuckDB's default is 122,880). A commit rewrites the last,
#: partly filled row group of every table it appends to, and the rows of ``texts`` (descriptions of
#: ~30 kB) make a default row group a gigabyte: each of a large file's commits re-compressed all its
#: texts so far, and held them in memory. Measured on 625 MB of USPTO weekly XML: commits 5.8 -> 2.8 s,
#: ingest 10.7 -> 7.6 s, peak memory 728 -> 603 MB; the 203 MB benchmark file's store 38 -> 46 MB.
#: DuckDB does not keep the setting in the file: every writable open passes it (ATTACH ... ROW_GROUP_SIZE).
ROW_GROUP_SIZE = 4096
#: tables made by later migrations that the Parquet export includes too
EXPORTED_EXTRA = ("reported_values",)


def require_file(path: str | os.PathLike[str]) -> None:
    """Raise a StoreMissingError naming ``path`` when no database file is there (``:memory:`` always is)."""
    if str(path) != ":memory:" and not Path(path).exists():
        raise StoreMissingError(str(path))


#: DuckDB's text when another process holds the file: its executable and process id
_LOCKED = re.compile(r"Conflicting lock is held in (?P<exe>.+?) \(PID (?P<pid>\d+)\)")


def locked_error(path: str, exc: Exception) -> StoreLockedError | None:
    """A :class:`StoreLockedError` naming the process that holds ``path`` when ``exc`` is DuckDB's lock
    conflict; None for any other error."""
    text = str(exc)
    found = _LOCKED.search(text)
    if found is None:
        return None
    pid = int(found["pid"])
    holder = f"PID {pid}: {process_command(pid) or found['exe']}"
    # DuckDB adds that a read-only open would work when the holder itself only reads
    return StoreLockedError(path, holder, pid, readers="read-only mode" in text)


def process_command(pid: int, limit: int = 160) -> str | None:
    """The command line of process ``pid`` (Linux: /proc), an ipcockpit command as ``ipcockpit serve ...``
    rather than the interpreter's path; None where the system does not tell."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    args = [a for a in raw.decode("utf-8", "replace").split("\0") if a]
    for i, arg in enumerate(args):
        if Path(arg).name == "ipcockpit":
            args = ["ipcockpit", *args[i + 1:]]
            break
        if arg == "-m" and i + 1 < len(args) and args[i + 1].startswith("ipcockpit.cli"):
            args = ["ipcockpit", *args[i + 2:]]
            break
    text = " ".join(args)
    return (text if len(text) <= limit else text[: limit - 1] + "…") or None


class Store:
    """A DuckDB database holding the canonical model. ``Store(":memory:")`` works for experiments.

    A missing file is created (with its folder) only when ``create`` and not ``read_only``; otherwise
    opening it raises a StoreError that says to ingest first, and nothing is written to disk."""

    def __init__(self, path: str | os.PathLike[str], read_only: bool = False, create: bool = True) -> None:
        self.path = str(path)
        self.read_only = read_only  # nobody can write the file while it is open read-only
        self._root: Store | None = None  # the store whose connection this one's was made from (see cursor)
        if read_only or not create:
            require_file(self.path)
        elif self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = self._connect(read_only)
        except duckdb.Error as exc:
            locked = locked_error(self.path, exc)
            if locked is not None:
                raise locked from exc
            raise StoreError(f"{self.path}: cannot open the database ({exc}). Is another process writing it?") from exc
        if read_only:
            self._refuse_interrupted()
        else:
            self.migrate()
            self.recover()

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        """A connection to the file; one that may write attaches it with ROW_GROUP_SIZE rows per row group.

        The file is attached to an in-memory database named after its path, which DuckDB shares between
        the connections of a process (as it shares the database of ``duckdb.connect(path)``): two stores
        on one file in one process (the web app and a command run in it) see the same data."""
        if read_only or self.path == ":memory:":
            return duckdb.connect(self.path, read_only=read_only)
        name = hashlib.sha1(os.path.realpath(self.path).encode()).hexdigest()[:16]
        con = duckdb.connect(f":memory:ipcockpit-{name}")
        try:
            path = self.path.replace("'", "''")
            con.execute(f"ATTACH IF NOT EXISTS '{path}' AS ipcockpit (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            con.execute("USE ipcockpit")
        except duckdb.Error:
            con.close()
            raise
        return con

    def cursor(self) -> Store:
        """A Store over a new connection to the same database (DuckDB's ``cursor()``): its own transactions,
        so it may run in another thread while this one runs a query, and it sees what was committed when
        its statement started (a reader never sees half an ingest). ``root`` stays this store, which keeps
        what is shared per database (the cockpit cache). Closing it leaves this store open."""
        other = object.__new__(Store)
        other.path, other.read_only, other._root = self.path, self.read_only, self.root
        con = self.con.cursor()
        catalog = self.con.execute("SELECT current_database()").fetchone()
        if catalog and catalog[0] == "ipcockpit":  # a cursor starts in the default catalog: use the attached file
            con.execute("USE ipcockpit")
        other.con = con
        return other

    @property
    def root(self) -> Store:
        """This store, or for a :meth:`cursor` the store it was made from (no reference to itself: a store
        nobody closes is freed, and its file let go, as soon as nobody holds it)."""
        return self._root or self

    # schema -----------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        """Apply the migrations not yet applied; returns their versions."""
        con = self.con
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP)"
        )
        done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
        applied = []
        for version, description, statements in MIGRATIONS:
            if version in done:
                continue
            con.execute("BEGIN TRANSACTION")
            try:
                for stmt in statements:
                    if callable(stmt):
                        stmt(con)
                    else:
                        con.execute(stmt)
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, description, datetime.now()])
                con.execute("COMMIT")
            except Exception:
                con.execute("ROLLBACK")
                raise
            applied.append(version)
        return applied

    def schema_version(self) -> int:
        return int(self.scalar("SELECT max(version) FROM schema_migrations") or 0)

    # queries ----------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        rows = self.con.execute(sql, params or []).fetchall()  # drain: DuckDB 2 blocks on open results
        return rows[0][0] if rows else None

    def count(self, table: str) -> int:
        return int(self.scalar(f'SELECT count(*) FROM "{table}"'))

    def counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in ALL_TABLES}

    # loading ----------------------------------------------------------------------------------
    def append(self, table: str, data: pa.Table, by_name: bool = False) -> None:
        """Bulk insert an Arrow table whose columns follow the declared order (or match by name)."""
        if data.num_rows == 0:
            return
        self.con.register("_ipc_batch", data)
        try:
            self.con.execute(f'INSERT INTO "{table}" {"BY NAME " if by_name else ""}SELECT * FROM _ipc_batch')
        finally:
            self.con.unregister("_ipc_batch")

    def recover(self) -> list[str]:
        """Remove every row of files whose ingest was interrupted (a killed process); their paths."""
        pending = self.query("SELECT file_id, path FROM pending_files")
        for row in pending:
            self.discard_file(row["file_id"])
        return [row["path"] for row in pending]

    def discard_file(self, file_id: str) -> None:
        self.con.execute("BEGIN TRANSACTION")
        self.delete_file(file_id)
        self.con.execute("DELETE FROM pending_files WHERE file_id = ?", [file_id])
        self.con.execute("COMMIT")

    def _refuse_interrupted(self) -> None:
        try:
            rows = self.query("SELECT path FROM pending_files")
        except duckdb.CatalogException:
            return  # a store from before pending_files: nothing can be pending
        if rows:
            self.con.close()
            raise StoreError(
                f"{self.path}: the ingest of {rows[0]['path']} was interrupted and its rows are still there; "
                "open the store for writing once (e.g. `ipcockpit stats`) to remove them, then read it again."
            )

    def delete_file(self, file_id: str) -> None:
        """Remove every row a file brought (used inside the ingest transaction)."""
        for table in (*DATA_TABLES, "quarantine", "source_files"):
            self.con.execute(f'DELETE FROM "{table}" WHERE file_id = ?', [file_id])

    # export -----------------------------------------------------------------------------------
    def export_parquet(self, folder: str | os.PathLike[str]) -> list[str]:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for table in (*ALL_TABLES, *EXPORTED_EXTRA):
            target = out / f"{table}.parquet"
            self.con.execute(f"COPY \"{table}\" TO '{target.as_posix()}' (FORMAT parquet)")
            written.append(str(target))
        return written

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
