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
- ``index.json`` — when it was built, the model of each space, counts.

An update embeds only documents whose embedded text (or space, or the space's model) changed, rewrites
in the lexical index only documents whose text or filter fields changed, and removes documents that
left the store. The manifest is written last, so an interrupted build is redone by the next one.
"""

from __future__ import annotations

import copy
import importlib
import json
import os
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ipcockpit.search.caches import LRU
from ipcockpit.search.lexical import LexicalDoc, LexicalIndex, date_key
from ipcockpit.search.vectors import VectorIndex
from ipcockpit.value.legal_status import in_force

# the module, not the package-level function of the same name
emb = importlib.import_module("ipcockpit.search.embedding")

MANIFEST = "manifest.parquet"
INFO = "index.json"
EMBED_BATCH = 256
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


def build_index(
    con: duckdb.DuckDBPyConnection,
    folder: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    rebuild: bool = False,
) -> dict[str, Any]:
    """Build or update the lexical and vector indexes of the store behind ``con`` in ``folder``.

    Returns counts: ``documents`` (indexed now), ``embedded`` (texts embedded in this run, per space in
    ``embedded_by_space``), ``lexical_updated``, ``removed``, ``spaces`` and ``seconds``."""
    started = time.perf_counter()
    folder = Path(folder)
    if rebuild and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tick = progress or (lambda stage, done, total: None)

    tick("scan", 0, 1)
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
    old_info = _read_info(folder)
    models = {s: emb.model_id(s) for s in emb.spaces()}
    stale_spaces = {s for s, m in old_info.get("models", {}).items() if models.get(s) != m}
    tick("scan", 1, 1)

    rows: list[dict[str, Any]] = []
    to_embed: dict[str, list[str]] = {}
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
            to_embed.setdefault(space, []).append(doc_id)
        if prev is None or prev["lex_hash"] != lex_hash:
            to_lex.append(doc_id)
    current = {r["doc_id"] for r in rows}
    removed = [d for d in old if d not in current]

    lexical = LexicalIndex(folder)
    lex_updated = _update_lexical(con, lexical, to_lex, removed, {r["doc_id"]: r for r in rows}, tick)

    new_space = {r["doc_id"]: r["space"] for r in rows}
    spaces_now = sorted(
        {s for s in new_space.values() if s} | {p["space"] for p in old.values() if p["space"]}
    )
    embedded: dict[str, int] = {}
    for space in spaces_now:
        name = vector_name(space)
        vi = (
            VectorIndex.open(folder, name)
            if VectorIndex.exists(folder, name)
            else VectorIndex(folder, name, emb.dim(space))
        )
        leaving = [d for d, p in old.items() if p["space"] == space and new_space.get(d) != space]
        vi.remove(leaving)
        ids = to_embed.get(space, [])
        embedded[space] = _embed_into(con, vi, space, ids, tick)
        tick("save", 0, 1)
        vi.save()
        tick("save", 1, 1)

    table = pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA)
    write_manifest(folder, table)
    info = {
        "built_at": datetime.now().isoformat(timespec="seconds"),
        "models": models,
        "documents": len(rows),
        "spaces": {s: sum(1 for r in rows if r["space"] == s) for s in spaces_now},
    }
    (folder / INFO).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return {
        "folder": str(folder),
        "documents": len(rows),
        "embedded": sum(embedded.values()),
        "embedded_by_space": embedded,
        "lexical_updated": lex_updated,
        "removed": len(removed),
        "spaces": info["spaces"],
        "seconds": round(time.perf_counter() - started, 2),
    }


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


def _embed_into(
    con: duckdb.DuckDBPyConnection, vi: VectorIndex, space: str, ids: list[str], tick: Progress
) -> int:
    stage = f"embed:{space}"
    tick(stage, 0, len(ids))
    done = 0
    for start in range(0, len(ids), EMBED_BATCH * 8):
        part = ids[start : start + EMBED_BATCH * 8]
        texts = _texts(con, part, "embed_text")
        part = [d for d in part if d in texts]
        for s in range(0, len(part), EMBED_BATCH):
            chunk = part[s : s + EMBED_BATCH]
            vi.add(chunk, emb.embed([texts[d][0] for d in chunk], space=space))
            done += len(chunk)
            tick(stage, done, len(ids))
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
