"""The trademark part of a file's load (:class:`ipcockpit.store.loader._FileLoad` holds one :class:`MarkLoad`).

The guarantees are the loader's: the rows are written in the file's transactions and carry its ``file_id`` (a
re-ingest of the same content, or a new version of the file, replaces them as a whole; an error rolls the file
back); each record is counted once, ``read == loaded + quarantined + merged``. A mark the store already holds
(from another file, or earlier in this one) is *merged*: its parties, classes, goods and events are added where
the mark has no equal row (all columns but ``seq`` and ``file_id``), and its empty fields are filled from the
record (first value wins), as the loader does for patent documents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ipcockpit.model.trademarks import TRADEMARK_TABLES, TrademarkRecord, trademark_rows

if TYPE_CHECKING:
    from ipcockpit.store.duckdb_store import Store
    from ipcockpit.store.loader import _FileLoad

#: as ipcockpit.store.loader.COMMIT_BYTES (not imported: that module imports this one)
COMMIT_BYTES = 32 << 20

CHILD_TABLES = tuple(t for t in TRADEMARK_TABLES if t != "trademarks")
_FILL = [c for c, _ in TRADEMARK_TABLES["trademarks"] if c not in ("mark_id", "office", "number", "file_id")]


def _schema(table: str) -> pa.Schema:
    from ipcockpit.model.flat import flat_schema

    return flat_schema(table)


def mark_tables(records: list[TrademarkRecord]) -> dict[str, pa.Table]:
    """Arrow tables (without ``file_id``) of records."""
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TRADEMARK_TABLES}
    for rec in records:
        trademark_rows(rec, rows)
    out = {}
    for name, table_rows in rows.items():
        schema = _schema(name)
        columns = list(zip(*table_rows, strict=True)) if table_rows else [[] for _ in schema]
        out[name] = pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)],
                                         schema=schema)
    return out


class MarkLoad:
    def __init__(self, load: _FileLoad) -> None:
        self.load = load
        self.pending: list[TrademarkRecord] = []
        self.seen: set[str] = set()  # marks this file has written
        self.merged: list[pa.Table] = []  # trademarks rows of merged marks, to fill empty fields at the end

    def add(self, rec: TrademarkRecord) -> None:
        self.pending.append(rec)
        if len(self.pending) >= self.load.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        records, self.pending = self.pending, []
        for batch in _rounds(records):
            self._write(mark_tables(batch))

    def _write(self, tables: dict[str, pa.Table]) -> None:
        load, con = self.load, self.load.store.con
        marks = tables["trademarks"]
        ids = marks.column("mark_id").to_pylist()
        load._register("_ipc_marks", {"mark_id": ids})
        stored = {r[0] for r in con.execute(
            "SELECT t.mark_id FROM trademarks t JOIN _ipc_marks m USING (mark_id)").fetchall()}
        con.unregister("_ipc_marks")
        old = stored | self.seen
        new_mask = [m not in old for m in ids]
        self.seen.update(ids)
        load.report.loaded += sum(new_mask)
        load.report.merged += len(ids) - sum(new_mask)
        keep = pa.array(new_mask, pa.bool_())
        load._append("trademarks", marks.filter(keep))
        merged_ids = {m for m, new in zip(ids, new_mask, strict=True) if not new}
        if merged_ids:
            self.merged.append(marks.filter(pa.array([not n for n in new_mask], pa.bool_())))
        for name in CHILD_TABLES:
            data = tables[name]
            if not data.num_rows:
                continue
            hit = pa.array([m in merged_ids for m in data.column("mark_id").to_pylist()], pa.bool_())
            load._append(name, data.filter(pa.array([not h for h in hit.to_pylist()], pa.bool_())))
            dup = data.filter(hit)
            if dup.num_rows:
                dup = dup.append_column("file_id", pa.array([load.file_id] * dup.num_rows, pa.string()))
                load._insert_new(name, dup, [c for c in dup.column_names if c not in ("seq", "file_id")])
        load.written += sum(t.nbytes for t in tables.values())
        if load.commits and load.written >= COMMIT_BYTES:
            con.execute("COMMIT")
            con.execute("BEGIN TRANSACTION")
            load.written = 0

    def finish(self) -> None:
        self.flush()
        if not self.merged:
            return
        con = self.load.store.con
        con.register("_ipc_mark_merge", pa.concat_tables(self.merged))
        sets = ", ".join(f'"{f}" = coalesce(t."{f}", m."{f}")' for f in _FILL)
        con.execute(f"UPDATE trademarks AS t SET {sets} FROM (SELECT DISTINCT ON (mark_id) * FROM _ipc_mark_merge) m "
                    "WHERE t.mark_id = m.mark_id")
        con.unregister("_ipc_mark_merge")


def _rounds(records: list[TrademarkRecord]) -> list[list[TrademarkRecord]]:
    """Records in rounds, no mark twice in one: a repeat merges into what its first record stored."""
    rounds: list[list[TrademarkRecord]] = []
    times: dict[str, int] = {}
    for rec in records:
        n = times.get(rec.mark_id, 0)
        times[rec.mark_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(rec)
    return rounds


def marks_left_behind(store: Store) -> list[str]:
    """After an earlier version of a file was removed: a warning when marks it gave, and this version lacks, keep
    rows that other files merged into them (as :func:`ipcockpit.store.loader._left_behind` says for documents)."""
    rows = " UNION ALL ".join(f'SELECT mark_id, file_id FROM "{t}"' for t in CHILD_TABLES)
    n, paths = store.con.execute(
        f"SELECT count(DISTINCT x.mark_id), list(DISTINCT f.path ORDER BY f.path) FROM ({rows}) x "
        "LEFT JOIN source_files f USING (file_id) "
        "WHERE NOT EXISTS (SELECT 1 FROM trademarks t WHERE t.mark_id = x.mark_id)").fetchone() or (0, [])
    if not n:
        return []
    return [f"{n} mark(s) of the earlier version of this file are not in this one, and other files gave them rows, "
            f"now without their mark: ingest {', '.join(p for p in paths if p)} again to store those files' records "
            "of them as marks of their own"]
