"""The claim index of FTO screening: independent claims of live patents and pending applications, embedded.

:func:`legal_status` says, for each stored publication, whether its claims can still be infringed
(``in_force``, ``granted``, ``pending``) or not (``expired``, ``lapsed``, ``withdrawn``, ``invalidated``,
``refused``, ``not_in_force``, ``superseded``). It is the in-force rule of the high-value screening
(:mod:`ipcockpit.value.conditions`: term from filing, then the last ending legal event after grant not
followed by a restoration, then the legal-status text, then a restoration), with the same regular
expressions, event classes and ``ScreenSettings`` (``as_of``, ``term_years``), applied to every kind of
patent rather than to invention grants only:

- the term is ``term_years`` (20) from filing for inventions and :data:`UTILITY_MODEL_TERM_YEARS` (10) for
  utility models; designs are left out (their claims name a drawing, not features);
- a grant whose in-force state the data cannot tell (no event, no status text: most USPTO grants, whose
  maintenance-fee events are not in the data) is ``granted``: term running, nothing says it lapsed;
- an application is ``pending`` while its term runs and no ending or refusal event and no negative status
  text says otherwise; an application whose grant is stored is ``superseded`` (the grant's claims count).

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
import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ipcockpit.value.conditions import (
    ENDING_EVENTS,
    NATIONAL_EVENT,
    STATUS_FALSE,
    STATUS_FALSE_FIRST,
    STATUS_TRUE,
    STATUS_TRUE_FIRST,
)
from ipcockpit.value.settings import ScreenSettings

#: the term of a utility model (实用新型) from filing, in years (CN, DE, JP ...)
UTILITY_MODEL_TERM_YEARS = 10
#: statuses whose claims are indexed and screened, with the label of each
LIVE = ("in_force", "granted", "pending")
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "in_force": ("有效", "in force"),
    "granted": ("已授权（数据中无失效记录）", "granted, no lapse in the data"),
    "pending": ("审中（申请未授权）", "pending application"),
    "expired": ("期限届满", "expired"),
    "lapsed": ("失效", "lapsed"),
    "withdrawn": ("撤回", "withdrawn"),
    "invalidated": ("被宣告无效", "invalidated"),
    "refused": ("驳回", "refused"),
    "not_in_force": ("无效（法律状态）", "not in force (legal status)"),
    "superseded": ("已授权（以授权文本为准）", "granted under another publication"),
}
INDEX_PREFIX = "claims-"
EMBED_BATCH = 256
_NUMBER = re.compile(r"^\s*\d{1,3}\s*[.．、]\s*")

_STATUS_SQL = r"""
WITH
d0 AS (
  SELECT d.doc_id, coalesce(d.office, left(d.doc_id, 2)) AS office, d.doc_type, d.kind, d.app_id, d.app_date,
         coalesce(d.stage, CASE WHEN regexp_matches(coalesce(d.kind, ''), '^[BCUY]') THEN 'grant'
                                ELSE 'application' END) AS stage,
         coalesce(d.grant_date, CASE WHEN d.stage = 'grant' THEN d.pub_date END) AS grant_day, d.status, d.title,
         d.lang
  FROM documents d
  WHERE NOT coalesce(d.stub, false) AND coalesce(d.doc_type, '') <> 'design' {where}
),
sib AS (
  SELECT x.doc_id, d.doc_id AS sib_id FROM d0 x JOIN documents d ON d.app_id = x.app_id
  UNION SELECT doc_id, doc_id FROM d0
),
granted_sib AS (
  SELECT DISTINCT s.doc_id FROM sib s JOIN documents d ON d.doc_id = s.sib_id JOIN d0 x ON x.doc_id = s.doc_id
  WHERE s.sib_id <> s.doc_id AND x.stage = 'application' AND d.stage = 'grant' AND NOT coalesce(d.stub, false)
),
ev AS (
  SELECT s.doc_id, e.event_date, e.event_class, e.influence, e.raw_text
  FROM sib s JOIN legal_events e ON e.doc_id = s.sib_id
  WHERE e.event_date IS NULL OR e.event_date <= $as_of
),
neg AS (
  SELECT e.doc_id, max(e.event_date) AS neg_date,
         arg_max(e.raw_text, coalesce(e.event_date, DATE '0001-01-01')) AS neg_text,
         arg_max(e.event_class, coalesce(e.event_date, DATE '0001-01-01')) AS neg_class
  FROM ev e JOIN d0 c USING (doc_id)
  WHERE (e.event_class IN {ending} OR (c.stage = 'application' AND e.event_class = 'refusal'))
    AND coalesce(e.influence, '-') <> '+'
    AND (e.event_date IS NULL OR c.grant_day IS NULL OR e.event_date >= c.grant_day)
    AND NOT (c.office IN ('EP', 'WO', 'EA', 'AP', 'OA') AND regexp_matches(coalesce(e.raw_text, ''), $national))
  GROUP BY e.doc_id
),
rest AS (
  SELECT doc_id, max(event_date) AS rest_date,
         arg_max(raw_text, coalesce(event_date, DATE '0001-01-01')) AS rest_text
  FROM ev WHERE event_class = 'restoration' GROUP BY doc_id
),
life AS (
  SELECT c.*,
         CASE WHEN c.doc_type = 'utility_model' THEN $um_years ELSE $term_years END AS term_years,
         CAST(c.app_date + to_years(CASE WHEN c.doc_type = 'utility_model' THEN $um_years ELSE $term_years END)
              AS DATE) AS term_end,
         n.neg_date, n.neg_text, n.neg_class, r.rest_date, r.rest_text, g.doc_id IS NOT NULL AS superseded,
         CASE WHEN regexp_matches(coalesce(c.status, ''), $st_true_first, 'i') THEN true
              WHEN regexp_matches(coalesce(c.status, ''), $st_false_first, 'i') THEN false
              WHEN regexp_matches(coalesce(c.status, ''), $st_false, 'i') THEN false
              WHEN regexp_matches(coalesce(c.status, ''), $st_true, 'i') THEN true END AS status_says
  FROM d0 c LEFT JOIN neg n USING (doc_id) LEFT JOIN rest r USING (doc_id) LEFT JOIN granted_sib g USING (doc_id)
)
SELECT *,
  CASE WHEN stage = 'application' AND superseded THEN 'superseded'
       WHEN term_end <= $as_of THEN 'term'
       WHEN neg_class IS NOT NULL AND (rest_date IS NULL OR neg_date > rest_date) THEN 'event'
       WHEN status_says IS NOT NULL THEN 'status'
       WHEN rest_date IS NOT NULL THEN 'restoration'
       ELSE 'unknown' END AS basis
FROM life
ORDER BY doc_id
"""

_EVENT_STATUS = {
    "lapse": "lapsed",
    "expiry": "expired",
    "withdrawal": "withdrawn",
    "invalidation_decision": "invalidated",
    "refusal": "refused",
}


def _status_params(settings: ScreenSettings) -> dict[str, Any]:
    return {
        "as_of": settings.as_of,
        "term_years": settings.term_years,
        "um_years": UTILITY_MODEL_TERM_YEARS,
        "national": NATIONAL_EVENT,
        "st_true_first": STATUS_TRUE_FIRST,
        "st_false_first": STATUS_FALSE_FIRST,
        "st_false": STATUS_FALSE,
        "st_true": STATUS_TRUE,
    }


def _d(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else None


def _judge(r: dict[str, Any], s: ScreenSettings) -> dict[str, Any]:
    """The status of one evaluated row, with the reason in English and Chinese."""
    basis, grant = r["basis"], r["stage"] == "grant"
    if basis == "superseded":
        status, en, zh = (
            "superseded",
            "an application whose grant is in the data",
            "该申请已授权，以授权公告文本为准",
        )
    elif basis == "term":
        status = "expired"
        en = f"the {r['term_years']}-year term from filing ({_d(r['app_date'])}) ended on {_d(r['term_end'])}"
        zh = f"自申请日{_d(r['app_date'])}起{r['term_years']}年保护期已于{_d(r['term_end'])}届满"
    elif basis == "event":
        status = _EVENT_STATUS.get(r["neg_class"], "lapsed")
        when = _d(r["neg_date"]) or "an undated event"
        en, zh = (
            f"{r['neg_class']} on {when}: {r['neg_text']}",
            f"法律事件（{r['neg_class']}）{when}：{r['neg_text']}",
        )
    elif basis == "status" and not r["status_says"]:
        status, en, zh = "not_in_force", f"legal status '{r['status']}'", f"法律状态“{r['status']}”"
    elif not grant:
        status = "pending"
        en = f"application pending; claims may issue (term would end {_d(r['term_end'])})"
        zh = f"申请审查中，权利要求可能获授权（如授权，保护期至{_d(r['term_end'])}）"
    elif basis == "status":
        status, en, zh = "in_force", f"legal status '{r['status']}'", f"法律状态“{r['status']}”（有效）"
    elif basis == "restoration":
        status = "in_force"
        en, zh = f"rights restored on {_d(r['rest_date'])}", f"{_d(r['rest_date'])}权利恢复"
    else:
        status = "granted"
        en = f"granted; term runs to {_d(r['term_end'])}; no lapse or status in the data (annuities not checked)"
        zh = f"已授权，保护期至{_d(r['term_end'])}；数据中无失效事件或法律状态（未核实年费缴纳）"
    remaining = (r["term_end"] - s.as_of).days / 365.25 if r["term_end"] else None
    return {
        "doc_id": r["doc_id"],
        "office": r["office"],
        "doc_type": r["doc_type"],
        "stage": r["stage"],
        "title": r["title"],
        "lang": r["lang"],
        "app_id": r["app_id"],
        "filing_date": _d(r["app_date"]),
        "grant_date": _d(r["grant_day"]),
        "status": status,
        "live": status in LIVE,
        "status_label": STATUS_LABELS[status][1],
        "status_label_zh": STATUS_LABELS[status][0],
        "basis": basis,
        "reason": en,
        "reason_zh": zh,
        "term_years": r["term_years"],
        "expiry_date": _d(r["term_end"]),
        "remaining_years": round(max(remaining, 0.0), 2) if remaining is not None else None,
    }


def legal_status(
    con: duckdb.DuckDBPyConnection, doc_ids: list[str] | None = None, settings: ScreenSettings | None = None
) -> dict[str, dict[str, Any]]:
    """The FTO status of stored publications (all, or ``doc_ids``), as of ``settings.as_of``, by doc_id."""
    settings = settings or ScreenSettings()
    params = _status_params(settings)
    where = ""
    if doc_ids is not None:
        if not doc_ids:
            return {}
        params["ids"] = list(doc_ids)
        where = "AND d.doc_id IN (SELECT unnest($ids::VARCHAR[]))"
    ending = "(" + ", ".join(f"'{c}'" for c in ENDING_EVENTS) + ")"
    cur = con.execute(_STATUS_SQL.format(where=where, ending=ending), params)
    names = [c[0] for c in cur.description or []]
    rows = (dict(zip(names, row, strict=True)) for row in cur.fetchall())
    return {r["doc_id"]: _judge(r, settings) for r in rows}


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
    from ipcockpit.search.embedding import dim, embed, model_id, space_for
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
        model = model_id(space)
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
            index.add(keys, embed([texts[k] for k in keys], space=space))
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
