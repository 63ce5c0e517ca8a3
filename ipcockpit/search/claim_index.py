"""The claim index of FTO screening: independent claims of live patents and pending applications, embedded.

:func:`legal_status` says, for each stored publication, whether its claims can still be infringed
(``in_force``, ``granted``, ``pending``) or not (``expired``, ``lapsed``, ``withdrawn``, ``invalidated``,
``refused``, ``not_in_force``, ``superseded``). It is the project's one in-force rule,
:mod:`ipcockpit.value.legal_status` (the rule the high-value screening and the search index use too), with
``ScreenSettings`` ``as_of`` and ``term_years``, applied to every kind of patent but designs (their claims
name a drawing, not features).

:func:`build_claim_index` embeds the independent claims of the documents whose status is live into one
:class:`~ipcockpit.search.vectors.VectorIndex` per vector space, named ``claims-<space>``, keyed
``doc_id#num``. Documents without claim rows but with a first claim text (``texts.kind = 'first_claim'``,
as Chinese table exports give it) count with claim 1. The build is incremental: a manifest
(``claims-<space>.manifest.parquet``: key, text hash; the model in its metadata) says which claims are
already embedded, so only new or changed claims are embedded and claims of documents no longer live are
removed. The status is computed again at query time, for the date the query is for.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ipcockpit.search.caches import LRU
from ipcockpit.value.legal_status import statuses
from ipcockpit.value.settings import ScreenSettings

INDEX_PREFIX = "claims-"
EMBED_BATCH = 256
_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.．、]\s*")


def legal_status(
    con: duckdb.DuckDBPyConnection, doc_ids: list[str] | None = None, settings: ScreenSettings | None = None
) -> dict[str, dict[str, Any]]:
    """The FTO status of stored publications (all, or ``doc_ids``; designs left out), as of
    ``settings.as_of``, by doc_id: :func:`ipcockpit.value.legal_status.status_row` (``status``, ``live``,
    ``status_label``, ``reason``, ``expiry_date`` ...)."""
    return statuses(con, doc_ids, settings, designs=False)


_CLAIMS_SQL = """
SELECT c.doc_id, c.num, c.text, coalesce(c.lang, d.lang) AS lang, 0 AS pref
FROM claims c JOIN documents d USING (doc_id)
WHERE coalesce(c.independent, c.num = 1) AND c.text IS NOT NULL AND c.doc_id IN (SELECT unnest($ids::VARCHAR[]))
UNION ALL
SELECT t.doc_id, 1 AS num, t.text, coalesce(t.lang, d.lang) AS lang,
       CASE WHEN t.lang = d.lang OR t.lang IS NULL THEN 1 ELSE 2 END AS pref
FROM texts t JOIN documents d USING (doc_id)
WHERE t.kind = 'first_claim' AND t.text IS NOT NULL AND t.doc_id IN (SELECT unnest($ids::VARCHAR[]))
  AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.doc_id = t.doc_id)
ORDER BY doc_id, num, pref, text
"""


def claim_key(doc_id: str, num: int | None) -> str:
    return f"{doc_id}#{num if num is not None else 1}"


def split_key(key: str) -> tuple[str, int]:
    doc_id, _, num = key.rpartition("#")
    return doc_id, int(num)


def strip_number(text: str) -> str:
    """A claim without its leading number (``1. A device ...`` -> ``A device ...``)."""
    return _NUMBER.sub("", text, count=1)


def independent_claims(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The independent claims of ``doc_ids`` by key ``doc_id#num``: ``{"doc_id", "num", "text", "lang"}``
    (for a document without claim rows: its first claim text as claim 1)."""
    out: dict[str, dict[str, Any]] = {}
    if not doc_ids:
        return out
    for doc_id, num, text, lang, _ in con.execute(_CLAIMS_SQL, {"ids": list(doc_ids)}).fetchall():
        key = claim_key(doc_id, num)
        if key not in out and text.strip():
            out[key] = {"doc_id": doc_id, "num": num if num is not None else 1, "text": text, "lang": lang}
    return out


def index_name(space: str) -> str:
    return f"{INDEX_PREFIX}{space}"


def claim_spaces(folder: str | Path) -> list[str]:
    """The vector spaces that have a claim index in ``folder``."""
    from ipcockpit.search.vectors import VectorIndex

    folder = Path(folder)
    if not folder.is_dir():
        return []
    names = sorted(p.name[len(INDEX_PREFIX) : -len(".json")] for p in folder.glob(f"{INDEX_PREFIX}*.json"))
    return [s for s in names if VectorIndex.exists(folder, index_name(s))]


_COUNTS: LRU[str, tuple[Any, dict[str, int]]] = LRU(16)


def claim_counts(folder: str | Path) -> dict[str, int]:
    """The live independent claims of each claim index in ``folder`` (space -> count), as
    :func:`claim_spaces` and :meth:`VectorIndex.live_count` give them; kept while the folder's claim index files
    are unchanged (names, times, sizes), since every search page shows it."""
    from ipcockpit.search.vectors import VectorIndex

    folder = Path(folder)
    try:
        with os.scandir(folder) as entries:
            key = tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size) for e in entries
                               if e.name.startswith(INDEX_PREFIX)))
    except OSError:
        return {}
    held = _COUNTS.get(str(folder))
    if held is not None and held[0] == key:
        return dict(held[1])
    counts = {s: VectorIndex.live_count(folder, index_name(s)) for s in claim_spaces(folder)}
    _COUNTS.put(str(folder), (key, counts))
    return dict(counts)


def _manifest_path(folder: Path, space: str) -> Path:
    return folder / f"{index_name(space)}.manifest.parquet"


def _read_manifest(folder: Path, space: str, model: str) -> dict[str, str] | None:
    """key -> text hash of what the index holds; None when there is none or it was built with another model."""
    path = _manifest_path(folder, space)
    if not path.is_file():
        return None
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    if meta.get(b"model", b"").decode() != model:
        return None
    return dict(zip(table.column("key").to_pylist(), table.column("hash").to_pylist(), strict=True))


def _write_manifest(folder: Path, space: str, model: str, hashes: dict[str, str]) -> None:
    path = _manifest_path(folder, space)
    table = pa.table(
        {"key": pa.array(list(hashes), pa.string()), "hash": pa.array(list(hashes.values()), pa.string())}
    )
    table = table.replace_schema_metadata({"model": model})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def build_claim_index(
    con: duckdb.DuckDBPyConnection,
    folder: str | Path,
    progress: Callable[[str, int, int], None] | None = None,
    *,
    settings: ScreenSettings | None = None,
    rebuild: bool = False,
) -> dict[str, Any]:
    """Build or update the claim indexes ``claims-<space>`` in ``folder``; returns what was done.

    ``progress(stage, done, total)`` (the convention of :mod:`ipcockpit.search.index`) is called after each
    embedded batch with stage ``claims:<space>`` (``total``: claims of that space to embed in this run).
    ``rebuild``: embed every claim again. The returned dict has ``folder``, ``as_of``, ``documents`` (live
    documents by status), ``spaces`` (per space: ``index``, ``claims``, ``added``, ``removed``,
    ``unchanged``) and ``seconds``.
    """
    from ipcockpit.search.embedding import bin_runtime, dim, embed, model_id, space_for
    from ipcockpit.search.vectors import VectorIndex

    started = time.perf_counter()
    settings = settings or ScreenSettings()
    folder = Path(folder)
    statuses = legal_status(con, None, settings)
    live = [d for d, s in statuses.items() if s["live"]]
    by_status: dict[str, int] = {}
    for d in live:
        by_status[statuses[d]["status"]] = by_status.get(statuses[d]["status"], 0) + 1
    wanted: dict[str, dict[str, str]] = {}  # space -> key -> text
    for key, claim in independent_claims(con, live).items():
        wanted.setdefault(space_for(claim["lang"]), {})[key] = strip_number(claim["text"])
    spaces = sorted(set(wanted) | set(claim_spaces(folder)))
    plans = []
    for space in spaces:
        model = model_id(space, bin_runtime(space))  # FTO's vectors: the bin's (embedding.bin_runtime)
        texts = wanted.get(space, {})
        hashes = {k: text_hash(t) for k, t in texts.items()}
        exists = VectorIndex.exists(folder, index_name(space))
        manifest = None if rebuild or not exists else _read_manifest(folder, space, model)
        fresh = manifest is None  # no index, a rebuild, or an index of another model: start again
        old = manifest or {}
        todo = [k for k, h in hashes.items() if old.get(k) != h]
        gone = [k for k in old if k not in hashes]
        plans.append((space, model, texts, hashes, fresh, todo, gone))
    report: dict[str, Any] = {}
    for space, model, texts, hashes, fresh, todo, gone in plans:
        name = index_name(space)
        index = VectorIndex(folder, name, dim(space)) if fresh else VectorIndex.open(folder, name)
        index.remove(gone)
        for start in range(0, len(todo), EMBED_BATCH):
            keys = todo[start : start + EMBED_BATCH]
            index.add(keys, embed([texts[k] for k in keys], space=space, runtime=bin_runtime(space)))
            if progress:
                progress(f"claims:{space}", start + len(keys), len(todo))
        index.save()
        _write_manifest(folder, space, model, hashes)
        report[space] = {
            "index": name,
            "model": model,
            "claims": len(index),
            "added": len(todo),
            "removed": len(gone),
            "unchanged": len(hashes) - len(todo),
        }
    return {
        "folder": str(folder),
        "as_of": settings.as_of.isoformat(),
        "documents": by_status,
        "spaces": report,
        "seconds": round(time.perf_counter() - started, 3),
    }
