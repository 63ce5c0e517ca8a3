"""Builds and updates the search indexes of a store (``ipcockpit index``).

One folder (setting ``index_dir``, by default ``<db without suffix>.index``, see
:func:`ipcockpit.settings.index_folder`) holds:

- ``lexical/`` — the tantivy BM25 index (:mod:`ipcockpit.search.lexical`) over title, keywords,
  abstract and independent claims;
- ``vec_<space>.*`` — one :class:`~ipcockpit.search.vectors.VectorIndex` per embedding space; a
  document's vector embeds its title and abstract (the title alone when it has no abstract), in the
  space :func:`ipcockpit.search.embedding.space_for` gives its language;
- ``manifest.parquet`` — one row per indexed document: ``doc_id``, ``space``, ``embed_hash`` (md5 of
  the embedded text), ``lex_hash`` (md5 of the lexical text and the filter fields), and the filter
  fields ``office``, ``pub_date`` (``yyyymmdd``, 0 unknown) and ``in_force`` (1, 0, -1 unknown, as of the
  build, by :mod:`ipcockpit.value.legal_status`);
- ``index.json`` — when it was built, the model of each space, counts;
- while a build embeds: ``partial.json`` (its engine, staging folder, models, counts) and the staging
  folder (default ``partial/``): ``pending.parquet``, the texts to embed, and ``vectors/``, the Parquet
  parts of the batches embedded so far (:mod:`ipcockpit.search.vector_parts`).

An update embeds only documents whose embedded text (or space, or the space's model) changed, rewrites
in the lexical index only documents whose text or filter fields changed, and removes documents that
left the store. Order of a build: scan, full text, embedding (every batch written as a part as soon as
it is embedded), then the vectors into the faiss indexes, the manifest, ``index.json``, and last the
staging folder removed. An interrupted build leaves the manifest of the last finished one, so the next
build plans the same work and takes every vector a part already holds (same document, text hash and
model) instead of embedding it again. The engines (``local``; ``spark``, :mod:`ipcockpit.search.spark_embed`)
differ only in where :func:`ipcockpit.search.vector_parts.embed_batches` runs: the text selection, the space
of each document, the hashes and the index files are this module's.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ipcockpit.search import vector_parts
from ipcockpit.search.caches import LRU
from ipcockpit.search.lexical import LexicalDoc, LexicalIndex, date_key
from ipcockpit.search.vectors import VectorIndex
from ipcockpit.value.legal_status import in_force

# the module, not the package-level function of the same name
emb = importlib.import_module("ipcockpit.search.embedding")

MANIFEST = "manifest.parquet"
INFO = "index.json"
#: in the index folder while a build embeds: its engine, staging folder, models and counts (removed at the end)
PARTIAL = "partial.json"
#: the default staging folder, in the index folder: pending texts and vector parts of a build not finished
STAGING = "partial"
ENGINES = ("local", "spark")
#: texts per embedding call and per vector part (the checkpoint's grain: ~2-13 s of work on 2 cores)
EMBED_BATCH = 256
#: rows per Arrow batch when the pending texts are written
PENDING_ROWS = 8192
LEX_BATCH = 20_000
CLAIMS_CHARS = 4000

#: progress(stage, done, total); stages: "scan", "lexical", "embed:<space>", "save"
Progress = Callable[[str, int, int], None]

MANIFEST_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("space", pa.string()),
        ("embed_hash", pa.string()),
        ("lex_hash", pa.string()),
        ("office", pa.string()),
        ("pub_date", pa.int32()),
        ("in_force", pa.int8()),
        # what a result list shows, kept here so that a search reads no table of the store
        ("title", pa.string()),
        ("applicants", pa.list_(pa.string())),
    ]
)
#: parties shown as a document's applicants in search results, in this order of roles
APPLICANT_ROLES = ("applicant", "patentee", "assignee", "current_owner")

# One row per document with any text. Languages: the abstract's, else the title's, else the document's.
_DOCS_SQL = r"""
WITH ab AS (
  SELECT doc_id, text, lang FROM (
    SELECT t.doc_id, t.text, t.lang, row_number() OVER (PARTITION BY t.doc_id
           ORDER BY (t.lang IS NOT DISTINCT FROM d.lang) DESC, t.lang, length(t.text) DESC) AS rn
    FROM texts t JOIN documents d USING (doc_id) WHERE t.kind = 'abstract' AND trim(t.text) <> '') WHERE rn = 1
),
ti AS (
  SELECT doc_id, text, lang FROM (
    SELECT t.doc_id, t.text, t.lang, row_number() OVER (PARTITION BY t.doc_id
           ORDER BY (t.lang IS NOT DISTINCT FROM d.lang) DESC, t.lang) AS rn
    FROM texts t JOIN documents d USING (doc_id) WHERE t.kind = 'title' AND trim(t.text) <> '') WHERE rn = 1
),
kw AS (SELECT doc_id, string_agg(text, ' ') AS text FROM texts WHERE kind IN ('keywords', 'first_claim')
       GROUP BY doc_id),
cl AS (SELECT doc_id, left(string_agg(text, ' ' ORDER BY num), {claims_chars}) AS text FROM claims
       WHERE independent GROUP BY doc_id),
base AS (
  SELECT d.doc_id, d.office, d.pub_date, d.status, d.stage,
         coalesce(ab.lang, ti.lang, d.lang,
                  CASE WHEN regexp_matches(coalesce(ab.text, ti.text, d.title, ''), '[\x{{4e00}}-\x{{9fff}}]')
                       THEN 'zh' END) AS lang,
         coalesce(ti.text, d.title) AS title, ab.text AS abstract, kw.text AS keywords, cl.text AS claims
  FROM documents d LEFT JOIN ab USING (doc_id) LEFT JOIN ti USING (doc_id) LEFT JOIN kw USING (doc_id)
       LEFT JOIN cl USING (doc_id)
  WHERE NOT coalesce(d.stub, false)
)
SELECT *, concat_ws(chr(10), title, abstract) AS embed_text,
       concat_ws(chr(10), title, keywords, abstract, claims) AS lex_text
FROM base WHERE coalesce(title, abstract, keywords, claims) IS NOT NULL
"""


def _docs_sql() -> str:
    return _DOCS_SQL.format(claims_chars=CLAIMS_CHARS)


def vector_name(space: str) -> str:
    return f"vec_{space}"


def _in_force(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """1/0 per document whose rights are known to be in force or not, today, by the project's one in-force
    rule (:func:`ipcockpit.value.legal_status.in_force`: term, ending events, status text, restoration)."""
    return {doc_id: int(answer) for doc_id, answer in in_force(con).items()}


def _applicants(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """doc_id -> applicant names as written (applicants first, then patentees, assignees, owners, each
    name once, in sequence order)."""
    roles = ", ".join(f"'{r}'" for r in APPLICANT_ROLES)
    rows = con.execute(
        f"SELECT doc_id, list(name_raw ORDER BY role <> 'applicant', seq) FROM parties "
        f"WHERE role IN ({roles}) AND name_raw IS NOT NULL GROUP BY doc_id"
    ).fetchall()
    return {doc_id: list(dict.fromkeys(names)) for doc_id, names in rows}


def read_manifest(folder: Path) -> pa.Table:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return MANIFEST_SCHEMA.empty_table()
    table = pq.read_table(path)
    for f in MANIFEST_SCHEMA:  # a manifest of an earlier version lacks the result columns
        if f.name not in table.column_names:
            table = table.append_column(f, pa.nulls(table.num_rows, f.type))
    return table.select(MANIFEST_SCHEMA.names).cast(MANIFEST_SCHEMA)


def write_manifest(folder: Path, table: pa.Table) -> None:
    path = Path(folder) / MANIFEST
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table.cast(MANIFEST_SCHEMA), tmp)
    os.replace(tmp, path)


def _read_info(folder: Path) -> dict[str, Any]:
    path = Path(folder) / INFO
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@dataclass
class Plan:
    """What a build does, from the store and the manifest (:func:`plan_build`)."""

    rows: list[dict[str, Any]]  # the new manifest
    old: dict[str, dict[str, Any]]  # the manifest's rows by doc_id
    models: dict[str, str]  # space -> model id now
    to_embed: dict[str, dict[str, str]]  # space -> doc_id -> embed_hash of the documents to embed
    stale: dict[str, int]  # space -> of to_embed, the documents that had a vector (text, space or model changed)
    to_lex: list[str]
    removed: list[str]
    spaces_now: list[str]  # spaces of the new manifest and of the old one


def plan_build(con: duckdb.DuckDBPyConnection, folder: Path) -> Plan:
    """Compare the store with the index folder's manifest: which documents to embed (their text, space or
    space model changed), to rewrite in the full-text index, to remove."""
    docs = (
        con.sql(_docs_sql())
        .select(
            "doc_id, office, pub_date, lang, md5(coalesce(embed_text, '')) AS embed_hash, "
            "md5(coalesce(lex_text, '')) AS text_hash, embed_text IS NOT NULL AS has_embed, title"
        )
        .fetchall()
    )
    force = _in_force(con)
    applicants = _applicants(con)
    old = {r["doc_id"]: r for r in read_manifest(folder).to_pylist()}
    models = {s: emb.model_id(s) for s in emb.spaces()}
    stale_spaces = {s for s, m in _read_info(folder).get("models", {}).items() if models.get(s) != m}

    rows: list[dict[str, Any]] = []
    to_embed: dict[str, dict[str, str]] = {}
    stale: dict[str, int] = {}
    to_lex: list[str] = []
    for doc_id, office, pub_date, lang, embed_hash, text_hash, has_embed, title in docs:
        space = emb.space_for(lang) if has_embed else ""
        in_force = force.get(doc_id, -1)
        lex_hash = f"{text_hash}:{office or ''}:{date_key(pub_date)}:{in_force}"
        prev = old.get(doc_id)
        rows.append(
            {
                "doc_id": doc_id,
                "space": space,
                "embed_hash": embed_hash if has_embed else "",
                "lex_hash": lex_hash,
                "office": office or "",
                "pub_date": date_key(pub_date),
                "in_force": in_force,
                "title": title,
                "applicants": applicants.get(doc_id, []),
            }
        )
        if has_embed and (
            prev is None
            or prev["space"] != space
            or prev["embed_hash"] != embed_hash
            or space in stale_spaces
        ):
            to_embed.setdefault(space, {})[doc_id] = embed_hash
            if prev is not None and prev["space"]:
                stale[space] = stale.get(space, 0) + 1
        if prev is None or prev["lex_hash"] != lex_hash:
            to_lex.append(doc_id)
    current = {r["doc_id"] for r in rows}
    spaces_now = sorted({r["space"] for r in rows if r["space"]} | {p["space"] for p in old.values() if p["space"]})
    return Plan(rows, old, models, to_embed, stale, to_lex, [d for d in old if d not in current], spaces_now)


def staging_folder(folder: Path, staging: str | os.PathLike[str] | None = None) -> str:
    """Where a build's pending texts and vector parts go: ``staging`` (on a cluster, a folder every
    executor sees) or ``<index folder>/partial``."""
    return str(staging) if staging else str(Path(folder) / STAGING)


def build_index(
    con: duckdb.DuckDBPyConnection,
    folder: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    rebuild: bool = False,
    engine: str = "local",
    staging: str | os.PathLike[str] | None = None,
    spark: Any = None,
) -> dict[str, Any]:
    """Build or update the lexical and vector indexes of the store behind ``con`` in ``folder``.

    ``engine``: where the texts are embedded, ``local`` (this process, every core) or ``spark``
    (:mod:`ipcockpit.search.spark_embed`: the SparkSession ``spark``, else the one spark-submit started,
    else a local one); ``staging``: the folder of the pending texts and vector parts (default
    ``<folder>/partial``; for Spark on a cluster, one every executor sees). Returns counts: ``documents``
    (indexed now), ``embedded`` (texts embedded in this run, per space in ``embedded_by_space``),
    ``resumed`` (vectors taken from an interrupted build's parts), ``lexical_updated``, ``removed``,
    ``spaces``, ``engine`` and ``seconds``."""
    started = time.perf_counter()
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "spark" and spark is None and importlib.util.find_spec("pyspark") is None:
        from ipcockpit.analytics.spark import SparkUnavailableError  # before any work, not after the scan

        raise SparkUnavailableError("--engine spark: pyspark is not installed; install the extra with "
                                    "`pip install 'ipcockpit[spark]'` (and Java 17)")
    folder = Path(folder)
    root = staging_folder(folder, staging)
    if rebuild and folder.exists():
        _drop_indexes(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tick = progress or (lambda stage, done, total: None)

    tick("scan", 0, 1)
    plan = plan_build(con, folder)
    tick("scan", 1, 1)

    lexical = LexicalIndex(folder)
    lex_updated = _update_lexical(con, lexical, plan.to_lex, plan.removed, {r["doc_id"]: r for r in plan.rows}, tick)

    embedded, resumed = _embed_pending(con, folder, plan, root, engine, tick, spark)

    new_space = {r["doc_id"]: r["space"] for r in plan.rows}
    missing: set[str] = set()
    for space in plan.spaces_now:
        missing |= _apply_vectors(folder, plan, space, new_space, root, tick)
    for r in plan.rows:  # a text changed after the scan has no vector of it yet: the next build embeds it
        if r["doc_id"] in missing:
            r["embed_hash"] = ""

    table = pa.Table.from_pylist(plan.rows, schema=MANIFEST_SCHEMA)
    write_manifest(folder, table)
    info = {
        "built_at": datetime.now().isoformat(timespec="seconds"),
        "models": plan.models,
        "documents": len(plan.rows),
        "spaces": {s: sum(1 for r in plan.rows if r["space"] == s) for s in plan.spaces_now},
    }
    (folder / INFO).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    vector_parts.clear(root)  # the index holds the vectors now
    (folder / PARTIAL).unlink(missing_ok=True)
    return {
        "folder": str(folder),
        "engine": engine,
        "documents": len(plan.rows),
        "embedded": sum(embedded.values()),
        "embedded_by_space": embedded,
        "resumed": sum(resumed.values()),
        "lexical_updated": lex_updated,
        "removed": len(plan.removed),
        "spaces": info["spaces"],
        "seconds": round(time.perf_counter() - started, 2),
    }


def _drop_indexes(folder: Path) -> None:
    """``rebuild``: remove the index files, keeping an interrupted build's vector parts (a vector is a
    function of its text and model, both checked when a part is used)."""
    for entry in folder.iterdir():
        if entry.name in (STAGING, PARTIAL):
            continue
        if entry.is_dir():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _embed_pending(
    con: duckdb.DuckDBPyConnection, folder: Path, plan: Plan, root: str, engine: str, tick: Progress, spark: Any
) -> tuple[dict[str, int], dict[str, int]]:
    """Embed the documents of ``plan.to_embed`` that no part holds yet, into parts; (embedded now,
    taken from parts) per space."""
    have = vector_parts.done(root, plan.models) if plan.to_embed else {}
    pending = {s: {d: h for d, h in ids.items() if have.get(s, {}).get(d) != h} for s, ids in plan.to_embed.items()}
    totals = {s: len(ids) for s, ids in plan.to_embed.items()}
    resumed = {s: totals[s] - len(pending[s]) for s in plan.to_embed}
    for space in sorted(plan.to_embed):
        tick(f"embed:{space}", resumed[space], totals[space])
    if not any(pending.values()):
        return {s: 0 for s in plan.to_embed}, resumed
    info = {"started": datetime.now().isoformat(timespec="seconds"), "engine": engine, "staging": root,
            "models": plan.models, "to_embed": totals, "resumed": resumed}
    (folder / PARTIAL).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    _write_pending(con, pending, root)
    done = dict(resumed)

    def advance(space: str, rows: int) -> None:
        done[space] = done.get(space, 0) + rows
        tick(f"embed:{space}", min(done[space], totals[space]), totals[space])

    if engine == "spark":
        from ipcockpit.search import spark_embed

        spark_embed.embed_pending(root, plan.models, advance, session=spark)
    else:
        fs, base = vector_parts.filesystem(root)
        with fs.open_input_file(f"{base}/{vector_parts.PENDING}") as fh:
            batches = pq.ParquetFile(fh).iter_batches(batch_size=EMBED_BATCH)
            for part in vector_parts.embed_batches(batches, root, plan.models):
                advance(part["space"], part["rows"])
    return {s: done[s] - resumed[s] for s in plan.to_embed}, resumed


def _write_pending(con: duckdb.DuckDBPyConnection, pending: dict[str, dict[str, str]], root: str) -> int:
    """Write the texts to embed to the staging folder's ``pending.parquet``, ordered by space and doc_id,
    by the one text selection of the index (``_DOCS_SQL``); a text that changed since the scan (its hash
    differs) is left out. The rows written."""
    ids = [(d, s, h) for s, docs in sorted(pending.items()) for d, h in docs.items()]
    table = pa.table({"doc_id": [i[0] for i in ids], "space": [i[1] for i in ids], "embed_hash": [i[2] for i in ids]})
    fs, base = vector_parts.filesystem(root)
    fs.create_dir(base, recursive=True)
    path = f"{base}/{vector_parts.PENDING}"
    database, schema = con.execute("SELECT current_database(), current_schema()").fetchall()[0]
    cur = con.cursor()  # its own connection: the registered table and the long read stay apart from others'
    written = 0
    try:
        cur.execute(f'USE "{database}"."{schema}"')  # a cursor starts in the default catalog, not the store's
        cur.register("ipcockpit_pending", table)
        reader = cur.sql(
            f"SELECT p.doc_id, p.space, p.embed_hash, d.embed_text AS text FROM ipcockpit_pending p "
            f"JOIN ({_docs_sql()}) d USING (doc_id) WHERE md5(coalesce(d.embed_text, '')) = p.embed_hash "
            "ORDER BY p.space, p.doc_id"
        ).to_arrow_reader(PENDING_ROWS)
        with fs.open_output_stream(path + ".tmp") as out, pq.ParquetWriter(out, vector_parts.PENDING_SCHEMA) as w:
            for batch in reader:
                w.write_batch(batch.cast(vector_parts.PENDING_SCHEMA))
                written += batch.num_rows
    finally:
        cur.close()
    fs.move(path + ".tmp", path)
    return written


def _apply_vectors(folder: Path, plan: Plan, space: str, new_space: dict[str, str], root: str,
                   tick: Progress) -> set[str]:
    """Put the space's new vectors (from the parts) into its faiss index and save it; the documents to
    embed that no part holds (their text changed after the scan)."""
    name = vector_name(space)
    exists = VectorIndex.exists(folder, name)
    vi = VectorIndex.open(folder, name) if exists else VectorIndex(folder, name, emb.dim(space))
    vi.remove([d for d, p in plan.old.items() if p["space"] == space and new_space.get(d) != space])
    wanted = plan.to_embed.get(space, {})
    got: set[str] = set()
    if wanted:
        keys: list[str] = []
        blocks: list[np.ndarray] = []
        for part_keys, matrix in vector_parts.vectors(root, space, plan.models[space], wanted, emb.dim(space)):
            keys += part_keys
            blocks.append(matrix)
        if keys:
            # rows in doc_id order, whatever engine or batches made the parts: equal cosines then rank alike
            order = sorted(range(len(keys)), key=keys.__getitem__)
            vi.add([keys[i] for i in order], np.concatenate(blocks)[order])
            got.update(keys)
    tick("save", 0, 1)
    vi.save()
    tick("save", 1, 1)
    return set(wanted) - got


def _texts(con: duckdb.DuckDBPyConnection, ids: list[str], column: str) -> dict[str, tuple]:
    """doc_id -> (text, office, pub_date) for ``ids`` (the SQL above, restricted to them)."""
    out: dict[str, tuple] = {}
    sql = f"SELECT doc_id, {column}, office, pub_date FROM ({_docs_sql()}) WHERE doc_id IN (SELECT unnest($ids))"
    for doc_id, text, office, pub_date in con.execute(sql, {"ids": ids}).fetchall():
        out[doc_id] = (text, office, pub_date)
    return out


def _update_lexical(
    con: duckdb.DuckDBPyConnection,
    lexical: LexicalIndex,
    ids: list[str],
    removed: list[str],
    rows: dict[str, dict[str, Any]],
    tick: Progress,
) -> int:
    done = 0
    tick("lexical", 0, len(ids))
    if removed and not ids:
        lexical.update([], remove=removed)
    for start in range(0, len(ids), LEX_BATCH):
        part = ids[start : start + LEX_BATCH]
        texts = _texts(con, part, "lex_text")
        docs = [
            LexicalDoc(
                d,
                texts[d][0] or "",
                texts[d][1],
                texts[d][2],
                None if rows[d]["in_force"] < 0 else bool(rows[d]["in_force"]),
            )
            for d in part
            if d in texts
        ]
        done += lexical.update(docs, remove=removed if start == 0 else ())
        tick("lexical", min(start + LEX_BATCH, len(ids)), len(ids))
    return done


_STATUS: LRU[str, tuple[Any, dict[str, Any]]] = LRU(16)


def _written(folder: Path) -> Any:
    """The modification times and sizes of the files :func:`index_status` reads (None: one is missing)."""
    out = []
    try:
        for f in (folder / INFO, folder / MANIFEST, folder / "lexical" / "meta.json"):
            st = f.stat() if f.exists() else None
            out.append((f.name, st.st_mtime_ns, st.st_size) if st else (f.name, None))
        with os.scandir(folder) as entries:
            out.extend(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries
                              if e.name.startswith("vec_") and e.name.endswith(".json")))
    except OSError:
        return None
    return tuple(out)


def index_status(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """What the index folder holds: ``exists``, ``built_at``, ``documents``, ``lexical`` (documents in
    the full-text index), ``vectors`` (live vectors per space) and ``models`` (model per space). Kept
    while the files it reads are unchanged (every search page shows it)."""
    folder = Path(folder)
    key = _written(folder)
    held = _STATUS.get(str(folder))
    if key is not None and held is not None and held[0] == key:
        return copy.deepcopy(held[1])
    status = _index_status(folder)
    if key is not None:
        _STATUS.put(str(folder), (key, copy.deepcopy(status)))
    return status


def _index_status(folder: Path) -> dict[str, Any]:
    info = _read_info(folder)
    if not info:
        return {
            "folder": str(folder),
            "exists": False,
            "documents": 0,
            "lexical": 0,
            "vectors": {},
            "models": {},
            "built_at": None,
        }
    vectors = {}
    for space in info.get("spaces", {}):
        name = vector_name(space)
        if VectorIndex.exists(folder, name):
            vectors[space] = VectorIndex.live_count(folder, name)
    lexical = len(LexicalIndex(folder)) if LexicalIndex.exists(folder) else 0
    return {
        "folder": str(folder),
        "exists": True,
        "built_at": info.get("built_at"),
        "documents": info.get("documents", 0),
        "lexical": lexical,
        "vectors": vectors,
        "models": info.get("models", {}),
    }


def partial_status(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """An unfinished build's progress (None when there is none): ``started``, ``engine``, ``staging``,
    ``models``, ``to_embed`` (documents it set out to embed, per space), ``embedded`` (of those, the
    vectors its parts hold, per space) and ``updated`` (when its last part was written)."""
    path = Path(folder) / PARTIAL
    if not path.is_file():
        return None
    info = json.loads(path.read_text(encoding="utf-8"))
    try:
        parts = vector_parts.parts(info["staging"])
    except OSError:  # a staging folder on a filesystem this process cannot read
        parts = None
    tags = {s: vector_parts.model_tag(m) for s, m in info.get("models", {}).items()}
    embedded = None
    updated = None
    if parts is not None:
        embedded = {s: 0 for s in info.get("to_embed", {})}
        for p in parts:
            if tags.get(p.space) == p.tag and p.space in embedded:
                embedded[p.space] = min(embedded[p.space] + p.rows, info["to_embed"][p.space])
        local = [Path(p.path) for p in parts if "://" not in info["staging"]]
        if local:
            updated = datetime.fromtimestamp(max(f.stat().st_mtime for f in local)).isoformat(timespec="seconds")
    return {**{k: info.get(k) for k in ("started", "engine", "staging", "models", "to_embed")},
            "embedded": embedded, "updated": updated}


def embed_status(con: duckdb.DuckDBPyConnection, folder: str | os.PathLike[str]) -> dict[str, Any]:
    """What is embedded, against the store (a scan of it, as a build's first step): per space ``model``
    (now), ``index_model`` (the index's), ``documents`` (the store's documents in that space),
    ``embedded`` (their vector in the index is current), ``pending`` (never embedded), ``stale`` (a
    vector of an older text, space or model), ``checkpointed`` (of pending and stale, the vectors an
    unfinished build's parts already hold); and ``removed`` (indexed documents that left the store)."""
    folder = Path(folder)
    plan = plan_build(con, folder)
    index_models = _read_info(folder).get("models", {})
    partial = _read_partial(folder)
    root = partial.get("staging") or staging_folder(folder)
    try:
        have = vector_parts.done(root, plan.models) if plan.to_embed else {}
    except OSError:
        have = {}
    spaces: dict[str, dict[str, Any]] = {}
    for space in sorted({r["space"] for r in plan.rows if r["space"]} | set(plan.to_embed)):
        docs = sum(1 for r in plan.rows if r["space"] == space)
        todo = plan.to_embed.get(space, {})
        stale = plan.stale.get(space, 0)
        spaces[space] = {
            "model": plan.models.get(space),
            "index_model": index_models.get(space),
            "documents": docs,
            "embedded": docs - len(todo),
            "pending": len(todo) - stale,
            "stale": stale,
            "checkpointed": sum(1 for d, h in todo.items() if have.get(space, {}).get(d) == h),
        }
    return {"spaces": spaces, "removed": len(plan.removed)}


def _read_partial(folder: Path) -> dict[str, Any]:
    path = folder / PARTIAL
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def manifest_arrays(folder: Path) -> dict[str, Any]:
    """The manifest as numpy arrays (``doc_id`` as object array), for filters; ``title`` and
    ``applicants`` as Arrow arrays (None when the manifest is of a version without them), ``embed_hash``
    as an Arrow array (whether a document's vector embeds its title alone: see hybrid's relevance floors)."""
    path = Path(folder) / MANIFEST
    display = path.is_file() and "title" in pq.read_schema(path).names
    t = read_manifest(folder)
    return {
        "doc_id": np.array(t.column("doc_id").to_pylist(), dtype=object),
        "office": np.array(t.column("office").to_pylist(), dtype=str),  # fixed width: fast ==
        "pub_date": t.column("pub_date").to_numpy(),
        "in_force": t.column("in_force").to_numpy(),
        "space": np.array(t.column("space").to_pylist(), dtype=object),
        "title": t.column("title").combine_chunks() if display else None,
        "applicants": t.column("applicants").combine_chunks() if display else None,
        "embed_hash": t.column("embed_hash").combine_chunks(),
    }
