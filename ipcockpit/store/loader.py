"""Load one Source through its ingester into the store: atomic per file, idempotent, nothing lost.

A new file is written in transactions of about ``COMMIT_BYTES`` each (memory stays bounded whatever the file
size) while a ``pending_files`` row marks it as incomplete; the last transaction writes its ``source_files``
row, applies what touches other files' documents (merges, kind-less links), removes the bundled reference rows
of the schemes and languages the file brings (:func:`ipcockpit.store.bundled.retire_bundled`) and clears the
mark. An error rolls the file back at once; a process killed mid-file leaves the mark, and the next writable
open of the store removes every row of that file before anything reads it (a read-only open refuses to serve
such a store).

A file is named by its path as stored (:func:`stored_path`: resolved; an archive member as
``archive!member``). Other content under that path is an earlier version of the file. A file that replaces
rows, the earlier version's (data, quarantine, ``source_files``) or those of an earlier ingest of the same
content (same SHA-256, so a re-ingest gives the same state and counts), is written in one transaction that
removes them first: the replacement is seen at its commit, and an error or a killed process leaves the store
as it was.

Each record is counted once: ``read == loaded + quarantined + merged``. *merged* records name a document the
store already has, from another file or earlier in this one: their rows are added where the document has no
equal row, their parties and inventors by :mod:`ipcockpit.store.merge_names` (one party per seq, other
spellings in ``name_aliases``), and empty document fields filled. A document's first record in a file is
written as it is, its rows a source itself repeats included; a record repeated in the file merges into what
that first one stored, exactly like a record of another file (:func:`_rounds`; a flattened batch names each
document once, and one that names a document of an earlier one waits for a later round). A record without a
kind code is placed by its date (:meth:`_FileLoad._place_kindless`).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

import pyarrow as pa
import pyarrow.compute as pc

from ipcockpit.errors import IPCockpitError
from ipcockpit.ingest.base import Ingester, Source
from ipcockpit.ingest.sources import unreadable
from ipcockpit.model.flat import FlatBatch, flatten, record_weight
from ipcockpit.model.quarantine import classify
from ipcockpit.model.records import PatentRecord, Record, ReferenceRecord, Rejected
from ipcockpit.model.reference import REF_TABLES
from ipcockpit.model.schema import CORE_TABLES
from ipcockpit.model.trademarks import TrademarkRecord
from ipcockpit.model.trademarks import check as check_mark
from ipcockpit.store.bundled import BUNDLED_TABLES, retire_bundled
from ipcockpit.store.duckdb_store import Store, arrow_schema
from ipcockpit.store.merge_names import merge_names
from ipcockpit.store.tm_loader import MarkLoad, marks_left_behind

#: tables whose rows a merge places by name (one party per seq, other spellings to name_aliases)
NAME_TABLES = ("parties", "inventors")

_MERGE_FIELDS = (
    "kind", "doc_type", "stage", "pub_date", "app_id", "app_date", "grant_date", "priority_date",
    "family_id", "family_size", "title", "lang", "status", "cited_by_count",
)
_EXCERPT = 500


@dataclass
class FileReport:
    file: str
    format: str | None
    read: int = 0
    loaded: int = 0
    quarantined: int = 0
    merged: int = 0
    file_id: str | None = None
    error: str | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    #: with ``error``: the file is in no known format (or empty) and was found in a folder or an archive, not
    #: named; false: it failed (see :meth:`ipcockpit.app.Cockpit.ingest`)
    skipped: bool = False

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        if not d["warnings"]:
            d.pop("warnings")
        if d["error"] is None:
            d.pop("error")
            d.pop("skipped")
        return d


def stored_path(path: str) -> str:
    """A source's path as ``source_files`` keeps it, which names the file whose new version replaces it: the file
    resolved (absolute, links followed); an archive member ``archive!member`` with its archive resolved."""
    if os.path.exists(path):
        return os.path.realpath(path)
    cut = path.find("!")
    while cut > 0:
        if os.path.isfile(path[:cut]):
            return os.path.realpath(path[:cut]) + path[cut:]
        cut = path.find("!", cut + 1)
    return path


def file_digest(source: Source) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with source.open() as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def new_run(store: Store, command: str) -> str:
    run_id = uuid.uuid4().hex[:12]
    store.con.execute("INSERT INTO ingest_runs VALUES (?, ?, NULL, ?)", [run_id, datetime.now(), command])
    return run_id


def finish_run(store: Store, run_id: str) -> None:
    store.con.execute("UPDATE ingest_runs SET finished_at = ? WHERE run_id = ?", [datetime.now(), run_id])


_MAX_PENDING_BYTES = 32 << 20
#: bytes of Arrow data written between two commits while a file loads
COMMIT_BYTES = 32 << 20
#: bytes of flattened batches gathered into one INSERT per table
FLAT_BYTES = 16 << 20


class _FileLoad:
    def __init__(self, store: Store, source: Source, file_id: str, run_id: str, batch_size: int, path: str,
                 commits: bool = True) -> None:
        self.store = store
        self.source = source
        self.path = path  # as stored (stored_path)
        self.commits = commits  # commit every COMMIT_BYTES (else the file is one transaction)
        self.file_id = file_id
        self.run_id = run_id
        self.batch_size = batch_size
        self.pending: list[PatentRecord | ReferenceRecord] = []
        self.pending_bytes = 0
        self.quarantine: dict[str, list[object]] = {c: [] for c in arrow_schema("quarantine").names}
        self.seen: set[str] = set()
        self.report = FileReport(source.path, None, file_id=file_id)
        # kind-less documents to fold into kinded ones can only exist if the store or this file has some
        self.kindless_stored = bool(
            store.scalar("SELECT count(*) FROM (SELECT 1 FROM documents WHERE kind IS NULL LIMIT 1)"))
        self.store_empty = not store.scalar("SELECT count(*) FROM (SELECT 1 FROM documents LIMIT 1)")
        self.written = 0  # Arrow bytes written since the last commit
        self.merged_docs: list[pa.Table] = []  # applied to other files' documents in the last transaction
        self.any_kinded = False
        self.flat: list[tuple[int, FlatBatch]] = []  # flattened batches not written yet, with their round
        self.flat_bytes = 0
        self.flat_round: dict[str, int] = {}  # each of their documents: the round of its last batch
        self.ref_tables: set[str] = set()  # the reference tables the file wrote to
        self.marks = MarkLoad(self)  # trademark records (ipcockpit.store.tm_loader)

    def reject(self, position: str, reason: str, excerpt: str = "", field_name: str | None = None) -> None:
        q = self.quarantine
        for key, value in (
            ("file_id", self.file_id), ("path", self.path), ("position", position), ("field", field_name),
            ("reason", reason), ("excerpt", (excerpt or "")[:_EXCERPT]), ("run_id", self.run_id),
            ("reason_code", classify(reason)),
        ):
            q[key].append(value)
        self.report.quarantined += 1

    def add(self, rec: Record | FlatBatch, index: int) -> None:
        if isinstance(rec, FlatBatch):
            self.flush_records()
            self.report.read += rec.records
            docs = rec.tables.get("documents")
            ids = docs.column("doc_id").to_pylist() if docs is not None else []
            # a batch naming a document of a waiting one is written in a later round, merged into what that one
            # stored (as _rounds does with records)
            level = max((self.flat_round.get(d, -1) for d in ids), default=-1) + 1
            self.flat_round.update(dict.fromkeys(ids, level))
            # flattened batches wait until a commit's worth is there: one INSERT per table per commit and round
            self.flat.append((level, rec))
            self.flat_bytes += sum(t.nbytes for t in rec.tables.values())
            if self.flat_bytes >= FLAT_BYTES:
                self.flush_flat()
            return
        self.report.read += 1
        if isinstance(rec, Rejected):
            self.reject(rec.position, rec.reason, rec.excerpt, rec.field)
            return
        if isinstance(rec, TrademarkRecord):
            problem = check_mark(rec)
            if problem:
                self.reject(rec.position or str(index), problem[1], repr(rec)[:_EXCERPT], problem[0])
            else:
                self.marks.add(rec)
            return
        if isinstance(rec, PatentRecord):
            problem = _check(rec)
            if problem:
                fname, reason = problem
                self.reject(rec.position or str(index), reason, repr(rec)[:_EXCERPT], fname)
                return
            self.pending_bytes += record_weight(rec)
        self.flush_flat()
        self.pending.append(rec)
        if len(self.pending) >= self.batch_size or self.pending_bytes >= _MAX_PENDING_BYTES:
            self.flush()

    def flush_flat(self) -> None:
        if self.flat:
            flat = self.flat
            self.flat, self.flat_bytes, self.flat_round = [], 0, {}
            for level in sorted({n for n, _ in flat}):
                self.load(concat_batches([b for n, b in flat if n == level]))

    def flush(self) -> None:
        self.flush_flat()
        self.flush_records()
        self.marks.flush()

    def flush_records(self) -> None:
        if self.pending:
            kindless = [r for r in self.pending if isinstance(r, PatentRecord) and not r.kind]
            if kindless:
                targets = self._place_kindless([(r.doc_id, r.office, r.number, r.pub_date, r.stage) for r in kindless])
                for rec, target in zip(kindless, targets, strict=True):
                    rec.doc_id = target
            records = self.pending
            self.pending = []
            self.pending_bytes = 0
            for records_round in _rounds(records):
                self.load(flatten(records_round), placed=True)

    def load(self, batch: FlatBatch, placed: bool = False) -> None:
        """Write a flattened batch: new documents are inserted, known ones merged (counted apart).

        ``placed``: its kind-less documents already name the document they belong to (records are placed one
        by one before flattening; a parallel ingester's batch is placed here, by id)."""
        tables = dict(batch.tables)
        docs = tables.pop("documents", None)
        apps = tables.pop("applications", None)
        families = tables.pop("family_members", None)
        merged_rows: dict[str, pa.Table] = {}
        for name in REF_TABLES:
            if name in tables:
                self.report.loaded += tables[name].num_rows
                self.ref_tables.add(name)
        if docs is not None and not placed and docs.column("kind").null_count:
            kindless = docs.filter(pc.is_null(docs.column("kind"))).select(
                ["doc_id", "office", "number", "pub_date", "stage"])
            rows = list(zip(*(kindless.column(c).to_pylist() for c in kindless.column_names), strict=True))
            mapping: dict[str, str] = {}
            for (doc, *_), target in zip(rows, self._place_kindless(rows), strict=True):
                mapping.setdefault(doc, target)  # a batch's rows name a document by id only: its first place
            mapping = {k: v for k, v in mapping.items() if k != v}
            if mapping:
                docs = _remap(docs, mapping)
                tables = {n: _remap(t, mapping) if "doc_id" in t.column_names else t for n, t in tables.items()}
        if docs is not None:
            ids = docs.column("doc_id").to_pylist()
            # documents the store held before this file: none when it started empty
            existing = set() if self.store_empty else self._existing(ids)
            mask = []
            for doc in ids:
                mask.append(doc not in existing and doc not in self.seen)
                self.seen.add(doc)
            new = sum(mask)
            self.report.loaded += new
            self.report.merged += len(ids) - new
            keep = pa.array(mask, pa.bool_())
            self._append("documents", docs.filter(keep))
            if new < len(ids):
                merged = docs.filter(pc.invert(keep))
                self.merged_docs.append(merged)
                tables, merged_rows = _split_rows(tables, merged.column("doc_id"))
        for name, data in tables.items():
            self._append(name, data)
        # after the rows of the new documents; a flattened batch that names a document twice (the loader's own
        # never do: _rounds, add) has all its rows here, merged at once
        for name, data in merged_rows.items():
            self._append_merged(name, data.append_column("file_id", pa.array([self.file_id] * data.num_rows,
                                                                               pa.string())))
        if apps is not None:
            self._append_new("applications", apps, ["app_id"])
        if families is not None:
            self._append_new("family_members", families, ["family_id", "scheme", "doc_id"])
        if docs is not None:
            if docs.column("kind").null_count:
                self.kindless_stored = True
            self.any_kinded = self.any_kinded or docs.column("kind").null_count < docs.num_rows
        self.written += sum(t.nbytes for t in batch.tables.values())
        if self.commits and self.written >= COMMIT_BYTES:
            self.store.con.execute("COMMIT")
            self.store.con.execute("BEGIN TRANSACTION")
            self.written = 0

    def _append(self, table: str, data: pa.Table) -> None:
        if data.num_rows:
            self.store.append(table,
                              data.append_column("file_id", pa.array([self.file_id] * data.num_rows, pa.string())),
                              by_name=True)

    def _register(self, name: str, data: dict[str, list[object]] | pa.Table) -> None:
        table = data if isinstance(data, pa.Table) else pa.table(
            {k: pa.array(v, pa.string()) for k, v in data.items()})
        self.store.con.register(name, table)

    def _existing(self, ids: list[str]) -> set[str]:
        self._register("_ipc_ids", {"doc_id": ids})
        rows = self.store.con.execute("SELECT d.doc_id FROM documents d JOIN _ipc_ids i USING (doc_id)").fetchall()
        self.store.con.unregister("_ipc_ids")
        return {r[0] for r in rows}

    def _place_kindless(self, docs: list[tuple[str, str, str, date | None, str | None]]) -> list[str]:
        """The id each kind-less document (doc_id, office, number, pub_date, stage) is stored under, in order.

        Its publication date picks the publication: a stored document of the same office, number and date
        (a kinded one first); else, when its stage is known, one of that stage (a number has one grant: a grant
        listed in two journal issues is one); else a kind-less one of that number without a date. Without a
        date of its own it names the stored kinded document of its number (the grant first), so that an
        assignment of US7654321 lands on US7654321B2. When none fits, it is a publication of its own: its id,
        or, when a kind-less document of another date holds that id (a source listing the A1 and the B1 of one
        number without kinds), its id + ``@`` + its date (``EP2174549@2010-04-14``)."""
        keys = {(o, n) for _, o, n, _, _ in docs}
        self._register("_ipc_kl", {"office": [k[0] for k in keys], "number": [k[1] for k in keys]})
        rows = self.store.con.execute(
            "SELECT d.office, d.number, d.doc_id, d.kind, d.stage, d.pub_date FROM documents d "
            "JOIN _ipc_kl k ON d.office = k.office AND d.number = k.number"
        ).fetchall()
        self.store.con.unregister("_ipc_kl")
        known: dict[tuple[str, str], list[tuple[str, str | None, str | None, date | None]]] = {}
        for office, number, *cand in rows:
            known.setdefault((office, number), []).append(tuple(cand))  # type: ignore[arg-type]
        out = []
        for doc, office, number, when, stage in docs:
            cands = known.setdefault((office, number), [])
            target = _kindless_target(doc, when, stage, cands)
            if target is None:
                target = doc if all(c[0] != doc for c in cands) else f"{doc}@{when}"
                cands.append((target, None, stage, when))
            out.append(target)
        return out

    def _absorb_kindless(self) -> None:
        """Kind-less documents stored with the office and number of a kinded one of this file are folded
        into it: their rows move to the kinded id and their empty fields fill the kinded document."""
        con = self.store.con
        con.execute("CREATE OR REPLACE TEMP TABLE _ipc_kd AS SELECT DISTINCT office, number FROM documents "
                    "WHERE file_id = ? AND kind IS NOT NULL", [self.file_id])
        # a dated one joins the kinded document of its date, else of its stage; an undated one the grant first
        # (the rules of _place_kindless)
        pairs = con.execute(
            "SELECT s.doc_id AS old, arg_min(k.doc_id, (s.pub_date IS NOT NULL AND k.pub_date IS DISTINCT FROM "
            "s.pub_date, k.stage IS DISTINCT FROM 'grant', k.doc_id)) AS new "
            "FROM documents s JOIN (SELECT DISTINCT office, number FROM _ipc_kd) b "
            "ON s.office = b.office AND s.number = b.number "
            "JOIN documents k ON k.office = s.office AND k.number = s.number AND k.kind IS NOT NULL "
            "AND (s.pub_date IS NULL OR k.pub_date = s.pub_date OR k.stage = s.stage) "
            "WHERE s.kind IS NULL GROUP BY s.doc_id"
        ).fetchall()
        con.execute("DROP TABLE _ipc_kd")
        if not pairs:
            return
        self._register("_ipc_pairs", {"old": [p[0] for p in pairs], "new": [p[1] for p in pairs]})
        # their rows join the kinded document as a merged record's do: equal rows once, names by merge_names
        for table, cols in CORE_TABLES.items():
            if table in ("documents", "name_aliases") or not any(c == "doc_id" for c, _ in cols):
                continue
            moved = con.sql(
                f'SELECT t.* REPLACE (p.new AS doc_id), p.old AS _ipc_old FROM "{table}" t JOIN _ipc_pairs p '
                "ON t.doc_id = p.old ORDER BY p.new, p.old" + (", t.seq" if any(c == "seq" for c, _ in cols) else "")
            ).to_arrow_table()
            if not moved.num_rows:
                continue
            con.execute(f'DELETE FROM "{table}" WHERE doc_id IN (SELECT old FROM _ipc_pairs)')
            olds = moved.column("_ipc_old").to_pylist()
            moved = moved.drop_columns(["_ipc_old"])
            if table in NAME_TABLES:
                self._move_names(table, moved, olds, dict(pairs))
            else:
                self._append_merged(table, moved)
        sets = ", ".join(f'"{f}" = coalesce(k."{f}", s."{f}")' for f in _MERGE_FIELDS if f != "kind")
        con.execute(
            f"UPDATE documents AS k SET {sets} FROM (SELECT p.new, d.* FROM _ipc_pairs p JOIN documents d "
            f"ON d.doc_id = p.old) s WHERE k.doc_id = s.new"
        )
        con.execute("DELETE FROM documents WHERE doc_id IN (SELECT old FROM _ipc_pairs)")
        con.execute("DELETE FROM name_aliases WHERE doc_id IN (SELECT old FROM _ipc_pairs)")  # moved with their party
        con.unregister("_ipc_pairs")

    def _move_names(self, table: str, moved: pa.Table, olds: list[str], new_of: dict[str, str]) -> None:
        """Parties or inventors of folded kind-less documents (``olds``, each row's) join the kinded one by
        merge_names; the spellings kept for them follow them to the seq they ended at."""
        con = self.store.con
        ends = merge_names(con, table, moved)
        roles = moved.column("role").to_pylist() if table == "parties" else [None] * moved.num_rows
        where = {(old, role, seq): end for old, role, seq, end in
                 zip(olds, roles, moved.column("seq").to_pylist(), ends, strict=True)}
        self._register("_ipc_old", {"doc_id": list(new_of)})
        aliases = con.execute(
            "SELECT * FROM name_aliases WHERE holder = ? AND doc_id IN (SELECT doc_id FROM _ipc_old)", [table]
        ).fetchall()
        con.unregister("_ipc_old")
        names = [c for c, _ in CORE_TABLES["name_aliases"]]
        rows = []
        for values in aliases:
            row = dict(zip(names, values, strict=True))
            end = where.get((row["doc_id"], row["role"], row["seq"]))
            if end is not None:
                rows.append({**row, "doc_id": new_of[row["doc_id"]], "seq": end})
        if rows:
            self._append_merged("name_aliases", pa.Table.from_pylist(rows, schema=arrow_schema("name_aliases")))

    def _append_merged(self, table: str, data: pa.Table) -> None:
        """Rows (with their file_id) of documents the store has: parties and inventors by merge_names, other rows
        only where the document lacks an equal one, once (the same abstract from a second source, or from a record
        repeated in one file, is not stored twice)."""
        if table in NAME_TABLES:
            merge_names(self.store.con, table, data)
        else:
            key = [c for c in data.column_names if c not in ("seq", "file_id")]
            self._insert_new(table, data, key)

    def _append_new(self, table: str, data: pa.Table, key: list[str]) -> None:
        """Insert the rows whose key the table does not hold yet (once each)."""
        self._insert_new(table, data.append_column("file_id", pa.array([self.file_id] * data.num_rows, pa.string())),
                         key)

    def _insert_new(self, table: str, data: pa.Table, key: list[str]) -> None:
        """Insert the rows (with their file_id) whose key the table does not hold yet (once each)."""
        con = self.store.con
        con.register("_ipc_new", data)
        on = " AND ".join(f'x."{k}" IS NOT DISTINCT FROM a."{k}"' for k in key)
        cols = ", ".join(f'"{k}"' for k in key)
        first = "".join(f', "{c}"' for c in ("seq", "file_id") if c in data.column_names and c not in key)
        con.execute(
            f'INSERT INTO "{table}" BY NAME SELECT DISTINCT ON ({cols}) * FROM _ipc_new a '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" x WHERE {on}) ORDER BY {cols}{first}'
        )
        con.unregister("_ipc_new")

    def _merge_documents(self, merged: pa.Table) -> None:
        """Fill empty fields of existing documents from merged rows (first value wins)."""
        con = self.store.con
        con.register("_ipc_merge", merged)
        sets = ", ".join(f'"{f}" = coalesce(d."{f}", m."{f}")' for f in _MERGE_FIELDS)
        con.execute(
            f"UPDATE documents AS d SET {sets}, stub = d.stub AND m.stub FROM "
            f"(SELECT DISTINCT ON (doc_id) * FROM _ipc_merge) m WHERE d.doc_id = m.doc_id"
        )
        con.unregister("_ipc_merge")

    def finish(self) -> None:
        """Write what is left; then what reaches other files' rows, in the file's last transaction."""
        self.flush()
        self.marks.finish()
        q = pa.Table.from_pydict(self.quarantine, schema=arrow_schema("quarantine"))
        self.store.append("quarantine", q)
        if self.merged_docs:
            self._merge_documents(pa.concat_tables(self.merged_docs))
        if self.any_kinded and self.kindless_stored:
            self._absorb_kindless()


def concat_batches(batches: list[FlatBatch]) -> FlatBatch:
    """One FlatBatch of several, rows in order."""
    if len(batches) == 1:
        return batches[0]
    names = dict.fromkeys(n for b in batches for n in b.tables)
    tables = {n: pa.concat_tables([b.tables[n] for b in batches if n in b.tables]) for n in names}
    return FlatBatch(tables, sum(b.records for b in batches))


def _rounds(records: list[PatentRecord | ReferenceRecord]) -> list[list[PatentRecord | ReferenceRecord]]:
    """Records in rounds, in order, no document twice in one: a record of a document that came earlier in the
    batch goes to the round after that one's. Loaded one round after the other, a repeat is merged into the
    document its first record stored, as a record of another file would be (merging a document's records all
    at once would fold rows a record repeats itself: one agent named at two places, a citation listed twice)."""
    rounds: list[list[PatentRecord | ReferenceRecord]] = []
    times: dict[str, int] = {}
    for rec in records:
        n = 0
        if isinstance(rec, PatentRecord):
            n = times.get(rec.doc_id, 0)
            times[rec.doc_id] = n + 1
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(rec)
    return rounds


def _split_rows(tables: dict[str, pa.Table], merged_ids: pa.ChunkedArray) -> tuple[dict[str, pa.Table],
                                                                                  dict[str, pa.Table]]:
    """(rows of new documents, rows of merged ones) of a batch's tables (reference tables are all new)."""
    rest, merged = {}, {}
    ids = pc.unique(merged_ids)
    for name, data in tables.items():
        if "doc_id" not in data.column_names or name in REF_TABLES:
            rest[name] = data
            continue
        hit = pc.is_in(data.column("doc_id"), value_set=ids)
        rest[name] = data.filter(pc.invert(hit))
        dup = data.filter(hit)
        if dup.num_rows:
            merged[name] = dup
    return rest, merged


def _kindless_target(doc: str, when: date | None, stage: str | None,
                     cands: list[tuple[str, str | None, str | None, date | None]]) -> str | None:
    """The stored document (doc_id, kind, stage, pub_date) a kind-less one belongs to, or None (see
    _FileLoad._place_kindless)."""
    if when is None:
        kinded = [c for c in cands if c[1]]
        if kinded:
            return min(kinded, key=lambda c: (c[2] != "grant", c[0]))[0]
        return doc
    same = [c for c in cands if c[3] == when] or [c for c in cands if stage and c[2] == stage]
    if same:
        return min(same, key=lambda c: (c[1] is None, c[2] != "grant", c[0]))[0]
    undated = [c for c in cands if not c[1] and c[3] is None]
    if undated:
        return min(undated, key=lambda c: (c[0] != doc, c[0]))[0]
    return None


def _remap(table: pa.Table, mapping: dict[str, str]) -> pa.Table:
    ids = [mapping.get(x, x) for x in table.column("doc_id").to_pylist()]
    return table.set_column(table.column_names.index("doc_id"), "doc_id", pa.array(ids, pa.string()))


def _check(rec: PatentRecord) -> tuple[str, str] | None:
    if not rec.doc_id or not rec.number:
        return "doc_id", "no publication number; a record needs one to be loaded"
    if not rec.office or len(rec.office) != 2 or not rec.office.isalpha():
        return "office", f"office {rec.office!r} is not a two-letter country or office code"
    return None


def ingest_source(
    store: Store,
    source: Source,
    ingester: Ingester,
    run_id: str,
    batch_size: int = 5000,
    on_record: Callable[[int], None] | None = None,
) -> FileReport:
    """Ingest one source, all or nothing, and return its counts."""
    started = datetime.now()
    # the digest (it names the file's rows) is read in a thread while the ingester starts on the file
    # (hashlib works without the GIL): nothing is written before both are there
    with ThreadPoolExecutor(1, thread_name_prefix="ipcockpit-digest") as hasher:
        digest = hasher.submit(file_digest, source)
        records = _reading(ingester, source)
        try:
            first: list[Record | FlatBatch] = [next(records)]
        except StopIteration:
            first = []
        except BaseException:
            digest.cancel()
            raise
        try:
            sha, size = digest.result()
        except Exception as exc:  # noqa: BLE001 - the file cannot be read to its end
            raise unreadable(source.path, exc) from exc
    file_id = sha[:20]
    path = stored_path(source.path)
    con = store.con
    # earlier versions: what this path gave before (stores written before paths were resolved hold them as given)
    earlier = [r[0] for r in con.execute("SELECT file_id FROM source_files WHERE path IN (?, ?) AND file_id <> ?",
                                         [path, source.path, file_id]).fetchall()]
    # a file that replaces rows (its content's, from an earlier ingest, or an earlier version's) is written in one
    # transaction that removes them first: until it commits, the store keeps them; a new file in transactions of
    # COMMIT_BYTES, marked in pending_files until the last
    whole = bool(earlier) or bool(con.execute("SELECT count(*) FROM source_files WHERE file_id = ?",
                                              [file_id]).fetchone()[0])
    if not whole:
        con.execute("BEGIN TRANSACTION")
        store.delete_file(file_id)
        con.execute("INSERT INTO pending_files VALUES (?, ?, ?, ?)", [file_id, path, run_id, started])
        con.execute("COMMIT")
    with _loading_threads(store):
        try:
            con.execute("BEGIN TRANSACTION")
            if whole:
                store.delete_file(file_id)
            if earlier:
                _remove_versions(store, earlier)
            load = _FileLoad(store, source, file_id, run_id, batch_size, path, commits=not whole)
            load.report.format = ingester.name
            told = 0  # records read that on_record was told of (a flattened batch holds many)
            for index, rec in enumerate(itertools.chain(first, records), start=1):
                load.add(rec, index)
                if on_record and load.report.read - told >= 1000:
                    on_record(load.report.read - told)
                    told = load.report.read
            if on_record and load.report.read > told:
                on_record(load.report.read - told)
            load.finish()
            if load.ref_tables & BUNDLED_TABLES:
                retire_bundled(con, file_id)
            r = load.report
            if earlier:
                r.warnings.extend(_left_behind(store))
                r.warnings.extend(marks_left_behind(store))
            con.execute(
                "INSERT INTO source_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [file_id, path, sha, size, ingester.name, run_id, r.read, r.loaded, r.quarantined, r.merged,
                 datetime.now()],
            )
            con.execute("DELETE FROM pending_files WHERE file_id = ?", [file_id])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            if not whole:  # rows of its committed transactions
                store.discard_file(file_id)
            raise
    r.seconds = round((datetime.now() - started).total_seconds(), 3)
    return r


def _reading(ingester: Ingester, source: Source) -> Iterator[Record | FlatBatch]:
    """The ingester's records; what stops the reading of the file becomes its error, in plain words
    (:func:`ipcockpit.ingest.sources.unreadable`). Errors of the store, raised while the records are
    written, do not pass here: they stop the ingest."""
    try:
        yield from ingester.read(source)
    except IPCockpitError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file, or a reader's defect the file brings out
        raise unreadable(source.path, exc) from exc


def _remove_versions(store: Store, file_ids: list[str]) -> None:
    """Remove the rows of earlier versions of a file; their documents' ids stay in ``_ipc_gone`` for
    :func:`_left_behind`."""
    store.con.execute("CREATE OR REPLACE TEMP TABLE _ipc_gone AS SELECT doc_id FROM documents "
                      "WHERE list_contains(?, file_id)", [file_ids])
    for file_id in file_ids:
        store.delete_file(file_id)


def _left_behind(store: Store) -> list[str]:
    """A warning when documents of the earlier version that the new one lacks keep rows other files gave them
    (a record of another file merged into them): those files are to be ingested again, which stores their
    records as documents of their own."""
    con = store.con
    rows = " UNION ALL ".join(f'SELECT doc_id, file_id FROM "{t}"' for t, cols in CORE_TABLES.items()
                              if t not in ("documents", "family_members") and any(c == "doc_id" for c, _ in cols))
    n, paths = con.execute(
        f"SELECT count(DISTINCT x.doc_id), list(DISTINCT f.path ORDER BY f.path) FROM ({rows}) x "
        "JOIN _ipc_gone g USING (doc_id) LEFT JOIN source_files f USING (file_id) "
        "WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.doc_id = x.doc_id)").fetchone() or (0, [])
    con.execute("DROP TABLE _ipc_gone")
    if not n:
        return []
    return [f"{n} document(s) of the earlier version of this file are not in this one, and other files gave them "
            f"rows, now without their document: ingest {', '.join(p for p in paths if p)} again to store those "
            "files' records of them as documents of their own"]


@contextmanager
def _loading_threads(store: Store) -> Iterator[None]:
    """DuckDB works with half the cores while a file loads: parser workers (USPTO XML) take the other
    half, and on a small machine DuckDB's own threads only contend with them (measured on 2 cores:
    the 203 MB benchmark file's ingest 3.5 -> 3.3 s, 5.7 -> 5.3 CPU seconds, 20 MB less memory)."""
    con = store.con
    before = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute(f"SET threads = {max(1, (os.cpu_count() or 1) // 2)}")
    try:
        yield
    finally:
        con.execute(f"SET threads = {int(before)}")
