"""Screening: the CNIPA conditions plus the value index, ranked and explained, for a region, an industry,
an applicant or a portfolio of numbers.

:func:`screen` is the one entry point the CLI, the Python API (``Cockpit.screen``) and the REST API
(``/api/screen``) call. Each row has at least ``publication_number``, ``title``, ``applicant``,
``high_value`` (true/false/null), ``conditions`` (the five CNIPA conditions, each ``{"met",
"evidence", "reason"}``), ``value_index`` (0-100 or null: the raw index shrunk towards its cohort by the
confidence, docs/value_index.md), ``value_index_raw``, ``confidence`` (0-1: the share of the profile's weight
the data covers), ``dimensions`` and ``explanation`` (never empty: the conditions in Chinese and English, then
how far the confidence pulled the index, then the index's indicator lines). Rows are ranked high value first
(then unknown, then not high value), then by value index, highest first.

Numbers written in any form (``CN 115883397 B``, ``ZL202211359874.7``, ``US 7,315,680``) name stored
documents through :func:`number_keys`: :func:`resolve` gives the invention grants of a portfolio,
:func:`find_document` the one document a number names (the patent page, search's "more like this").
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

import duckdb

from ipcockpit.i18n import catalogue
from ipcockpit.model.numbers import application_id, parse_publication, publication_id
from ipcockpit.value.conditions import CONDITIONS, INVENTION_GRANT, Universe, condition_rows
from ipcockpit.value.settings import ScreenSettings

DEFAULT_PROFILE = "government_statistics"

#: condition names for explanation lines
LABELS: dict[str, tuple[str, str]] = {
    "in_force": ("有效性", "In force"),
    "strategic_emerging_industry": ("战略性新兴产业", "Strategic emerging industry"),
    "overseas_family": ("海外同族专利权", "Valid overseas family member"),
    "maintained_over_10_years": ("维持年限超过10年", "Maintained over 10 years"),
    "pledge_financing": ("较高质押融资金额", "High pledge financing"),
    "award": ("国家科学技术奖或中国专利奖", "State S&T Award or China Patent Award"),
    "high_value": ("高价值发明专利", "High-value invention patent"),
}
_MET = {True: ("是", "yes"), False: ("否", "no"), None: ("未知", "unknown")}

_RESOLVE_SQL = f"""
WITH inp AS (SELECT unnest($inputs::STRUCT(input VARCHAR, p VARCHAR, n VARCHAR, a VARCHAR)[], recursive := true)),
hit AS (
  SELECT i.input, d.doc_id, d.app_id FROM inp i JOIN documents d ON d.doc_id = i.p
  UNION SELECT i.input, d.doc_id, d.app_id FROM inp i JOIN documents d ON d.office || d.number = i.n
  UNION SELECT i.input, d.doc_id, d.app_id FROM inp i JOIN documents d ON d.app_id = i.a
),
docs AS (
  SELECT h.input, d.doc_id, d.doc_type, d.stage, d.kind, d.office, d.number, d.title FROM hit h JOIN documents d
    ON d.app_id = h.app_id
  UNION SELECT h.input, d.doc_id, d.doc_type, d.stage, d.kind, d.office, d.number, d.title FROM hit h JOIN documents d
    ON d.doc_id = h.doc_id
)
SELECT input, doc_id, doc_type, stage, title,
       {INVENTION_GRANT} AS invention_grant
FROM docs d ORDER BY input, doc_id
"""

_FIND_SQL = """
SELECT doc_id FROM documents
WHERE doc_id = $id OR doc_id = $p OR office || number = $n OR app_id = $a
ORDER BY (doc_id = $id) DESC, (doc_id = $p) DESC, (office || number = $n) DESC, stub, (stage = 'grant') DESC,
         pub_date DESC NULLS LAST, doc_id
LIMIT 1
"""


def number_keys(text: str) -> dict[str, str | None]:
    """The ways a written number may name a stored document: publication id, office+number, application id."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()
    if s.startswith("ZL"):  # Chinese patent number: ZL + application number
        return {"input": text, "p": None, "n": None, "a": application_id("CN", s[2:])}
    if re.fullmatch(r"\d{8}(\d{4})?\.?[\dX]", s):  # a bare CN application number with its check digit
        return {"input": text, "p": None, "n": None, "a": application_id("CN", s)}
    parts = parse_publication(s)
    office = parts[0] if parts else (s[:2] if s[:2].isalpha() else None)
    return {
        "input": text,
        "p": publication_id(s),
        "n": f"{parts[0]}{parts[1]}" if parts else None,
        "a": application_id(office, s) if office else None,
    }


def find_document(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The stored ``doc_id`` a written number names: a stored id as written, the exact publication, else the
    same office and number with another kind (a grant first), else a publication of the application
    (``ZL...``)."""
    if not text or not text.strip():
        return None
    keys = number_keys(text)
    stored = text.strip()  # a stored id as it is, such as a kind-less one of a date (EP2174549@2010-04-14)
    rows = con.execute(_FIND_SQL, {"id": stored, **{k: keys[k] for k in ("p", "n", "a")}}).fetchall()
    return rows[0][0] if rows else None


def resolve(con: duckdb.DuckDBPyConnection, numbers: Iterable[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Invention grants named by ``numbers`` (any written form; an application or its A publication
    gives the grant of that application), and one note per number that names none."""
    inputs = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not inputs:
        return [], []
    rows = con.execute(_RESOLVE_SQL, {"inputs": [number_keys(n) for n in inputs]}).fetchall()
    grants: dict[str, None] = {}
    found: dict[str, list[tuple[str, str | None, str | None, str | None]]] = {}
    for inp, doc, doc_type, stage, title, is_grant in rows:
        found.setdefault(inp, []).append((doc, doc_type, stage, title))
        if is_grant:
            grants[doc] = None
    notes = []
    for inp in inputs:
        docs = found.get(inp, [])
        if not docs:
            notes.append({"input": inp, "found": False})
        elif not any(d[0] in grants for d in docs):
            notes.append({"input": inp, "found": True, "documents": [
                {"doc_id": d, "doc_type": t, "stage": st, "title": ti} for d, t, st, ti in docs]})
    return list(grants), notes


def _index(con: duckdb.DuckDBPyConnection, profile: str, doc_ids: list[str],
           settings: ScreenSettings) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The value index per document, or why there is none."""
    try:
        index_module = importlib.import_module("ipcockpit.value.index")
    except ModuleNotFoundError as exc:
        if exc.name != "ipcockpit.value.index":
            raise
        return {}, "the value index module (ipcockpit.value.index) is not installed"
    if not doc_ids:
        return {}, None
    rows = index_module.compute_index(con, profile=profile, doc_ids=doc_ids, as_of=settings.as_of)
    return {r["doc_id"]: r for r in rows}, None


def _line(name: str, met: bool | None, reason_zh: str | None, reason_en: str | None) -> dict[str, Any]:
    zh, en = LABELS[name]
    mzh, men = _MET[met]
    return {"kind": "condition", "name": name, "met": met,
            "zh": f"{zh}：{mzh}。{reason_zh}" if reason_zh else f"{zh}：{mzh}",
            "en": f"{en}: {men}. {reason_en}" if reason_en else f"{en}: {men}"}


def explain(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The condition lines of a screened row, in Chinese and English: high value, in force, the five."""
    lines = [_line("high_value", row["high_value"], row.get("high_value_reason_zh"), row.get("high_value_reason"))]
    force = row["in_force_detail"]
    lines.append(_line("in_force", force["met"], force.get("reason_zh"), force.get("reason")))
    for name in CONDITIONS:
        c = row["conditions"][name]
        lines.append(_line(name, c["met"], c.get("reason_zh"), c.get("reason")))
    return lines


def _rank(row: dict[str, Any]) -> tuple[int, float, str]:
    order = {True: 0, None: 1, False: 2}[row["high_value"]]
    vi = row.get("value_index")
    return order, -(vi if vi is not None else -1.0), row["publication_number"]


def _unscreened(note: dict[str, Any]) -> dict[str, Any]:
    """A portfolio number that names no invention grant in the store: a row that says so."""
    if note["found"]:
        kinds = ", ".join(f"{d['doc_id']} ({d['doc_type'] or '?'} {d['stage'] or '?'})" for d in note["documents"])
        zh_names = catalogue("zh-CN")

        def zh_kind(d: dict[str, Any]) -> str:
            doc_type = zh_names.get(f"doc_type.{d['doc_type']}", d["doc_type"] or "?")
            stage = zh_names.get(f"stage.{d['stage']}", d["stage"] or "?")
            return f"{d['doc_id']}（{doc_type}{stage}）"

        kinds_zh = "，".join(zh_kind(d) for d in note["documents"])
        en = f"not a granted invention patent in the store: {kinds}"
        zh = f"库中该号码不是已授权的发明专利：{kinds_zh}"
        met: bool | None = False
    else:
        en, zh, met = "the number is not in the store; ingest its data first", "库中无此号码，请先导入数据", None
    cond = {"met": None, "evidence": None, "reason": en, "reason_zh": zh}
    row = {
        "publication_number": note["input"], "found": note["found"], "title": None, "applicant": None,
        "applicants": [], "high_value": met, "high_value_reason": en, "high_value_reason_zh": zh,
        "in_force": None, "in_force_detail": dict(cond), "conditions": {n: dict(cond) for n in CONDITIONS},
        "value_index": None, "value_index_raw": None, "confidence": None, "dimensions": {},
        "documents": note.get("documents", []),
    }
    row["explanation"] = explain(row)
    return row


def screen(con: duckdb.DuckDBPyConnection, profile: str | None = None, region: str | None = None,
           industry: str | None = None, applicant: str | None = None, year_from: int | None = None, limit: int = 50,
           doc_ids: Iterable[str] | None = None, settings: ScreenSettings | None = None) -> list[dict[str, Any]]:
    """Screen the invention grants of the store (or of a portfolio of numbers): ranked, explained rows.

    ``region``: GB/T 2260 code prefix of an applicant's or patentee's address (``500120`` Bishan,
    ``5001`` Chongqing city); ``industry``: SEI code prefix (``1``, ``1.2``); ``applicant``: part of a
    name; ``year_from``: filing year at least; ``limit``: at most this many rows, 0 for all;
    ``doc_ids``: a portfolio, numbers in any written form (numbers that name no invention grant get a
    row saying so).
    """
    settings = settings or ScreenSettings()
    profile = profile or DEFAULT_PROFILE
    notes: list[dict[str, Any]] = []
    ids: tuple[str, ...] | None = None
    if doc_ids is not None:
        resolved, notes = resolve(con, doc_ids)
        ids = tuple(resolved)
    universe = Universe(doc_ids=ids, region=region, applicant=applicant, year_from=year_from, industry=industry)
    rows = condition_rows(con, settings, universe)
    index, missing = _index(con, profile, [r["publication_number"] for r in rows], settings)
    for row in rows:
        row["applicant"] = "; ".join(row["applicants"]) or None
        row["found"] = True
        scored = index.get(row["publication_number"], {})
        row["value_index"] = scored.get("value_index")
        row["value_index_raw"] = scored.get("value_index_raw")
        row["confidence"] = scored.get("confidence")
        row["dimensions"] = scored.get("dimensions") or {}
        row["cohort"] = scored.get("cohort")
        row["stage"] = scored.get("stage")
        row["profile"] = profile
        lines = explain(row)
        lines += [{"kind": "indicator", **line} if isinstance(line, dict) and "kind" not in line else line
                  for line in scored.get("explanation") or []]
        if missing:
            lines.append({"kind": "index", "name": "value_index", "zh": "未计算价值指数：价值指数模块未安装",
                          "en": f"value index not computed: {missing}"})
        row["explanation"] = lines
    rows.sort(key=_rank)
    rows += [_unscreened(n) for n in notes]
    return rows if not limit or limit <= 0 else rows[:limit]


def flat_rows(rows: list[dict[str, Any]], lang: str = "en") -> list[dict[str, Any]]:
    """One flat row per patent for CSV and spreadsheets: each condition as met + reason columns; the
    reasons and the explanation in ``lang`` (``zh-CN``: Chinese, else English)."""
    zh = lang.lower().startswith("zh")

    def why(d: dict[str, Any], key: str = "reason") -> Any:
        return (d.get(f"{key}_zh") if zh else None) or d.get(key)

    out = []
    for r in rows:
        flat: dict[str, Any] = {
            "publication_number": r["publication_number"], "title": r.get("title"), "applicant": r.get("applicant"),
            "filing_date": r.get("filing_date"), "grant_date": r.get("grant_date"),
            "high_value": r["high_value"], "high_value_reason": why(r, "high_value_reason"),
            "in_force": r["in_force"], "in_force_reason": why(r["in_force_detail"]),
            "value_index": r.get("value_index"), "value_index_raw": r.get("value_index_raw"),
            "confidence": r.get("confidence"),
        }
        for dim, val in (r.get("dimensions") or {}).items():
            if isinstance(val, dict):
                flat[f"{dim}_score"] = val.get("score")
                flat[f"{dim}_confidence"] = val.get("confidence")
        for name in CONDITIONS:
            c = r["conditions"][name]
            flat[name] = c["met"]
            flat[f"{name}_reason"] = why(c)
        flat["explanation"] = " | ".join(_line_text(line, zh) for line in r["explanation"] if isinstance(line, dict))
        out.append(flat)
    return out


def _line_text(line: dict[str, Any], zh: bool) -> str:
    keys = ("zh", "text_zh", "en", "text_en") if zh else ("en", "text_en")
    return str(next((line[k] for k in keys if line.get(k)), line.get("name")))
