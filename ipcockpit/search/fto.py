"""FTO / infringement-risk screening (侵权风险预警): a product description against live independent claims.

:func:`fto` is the one entry point (``Cockpit.fto``, ``ipcockpit fto``, the REST API and the web page call
it). Steps, each visible in the result:

1. The description is cut into features (:func:`ipcockpit.search.elements.features`).
2. Candidates: the claim indexes ``claims-<space>`` (:mod:`ipcockpit.search.claim_index`) are searched
   with the whole description and with each feature (top :attr:`FtoMethod.candidates` each), restricted to
   the chosen offices and leaving out documents of the user's own applicants (normalised names,
   :func:`ipcockpit.model.names.normalise_name`, matched whole-word). A claim is compared only in its own
   space, and every cosine is calibrated there (:func:`ipcockpit.search.embedding.calibrated`: 0 = no more
   alike than unrelated texts), so the spaces share one scale. The best :attr:`FtoMethod.pool` claims by
   calibrated cosine go on.
3. Legal status as of ``settings.as_of`` (:func:`ipcockpit.search.claim_index.legal_status`, the rule of
   the high-value screening): expired, lapsed, withdrawn, invalidated, refused and superseded documents
   are dropped; pending applications stay, flagged ``pending`` at a lower weight.
4. Each claim is cut into elements (:func:`ipcockpit.search.elements.claim_elements`); each element is
   compared with every feature: similarity = ``semantic_weight`` x calibrated cosine
   + (1 - ``semantic_weight``) x term overlap (share of the element's terms found in the feature); the
   element is *found* when its best similarity reaches ``element_threshold``.
5. Risk (0-100) = 100 x technical x status factor x term factor x value factor, where technical =
   ``w_coverage`` x element coverage + ``w_elements`` x mean element similarity + ``w_claim`` x calibrated
   claim cosine. The all-elements rule: literal infringement needs every element, so ``high`` also needs the
   coverage to reach ``high_coverage``.

6. Relevance: a claim whose technical score is below :attr:`FtoMethod.relevance_floor` is about something
   else than the product (measured: the best unrelated claim of a real store stays below it 19 times in
   20, bench/relevance_floors.py); it is listed under ``weaker``, not as a result, so "no relevant claim"
   is said with what came closest (``relevance.best``) instead of ranking unrelated claims as risks.

One row per patent (its riskiest independent claim), riskiest first. Every number is explained in Chinese
and English. A screening aid, not a legal opinion (仅供风险筛查参考，不构成法律意见).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from ipcockpit.errors import IPCockpitError
from ipcockpit.model.names import normalise_name
from ipcockpit.search.caches import LRU, frozen
from ipcockpit.search.claim_index import (
    claim_spaces,
    independent_claims,
    index_name,
    legal_status,
    split_key,
)
from ipcockpit.search.elements import Element, body, claim_elements, features, language
from ipcockpit.value.settings import ScreenSettings

DISCLAIMER = {
    "zh": "仅供风险筛查参考，不构成法律意见。",
    "en": "A screening aid for risk triage, not a legal opinion.",
}
LEVEL_LABELS = {"high": ("高", "high"), "medium": ("中", "medium"), "low": ("低", "low")}
_PARTY_ROLES = ("applicant", "patentee", "assignee", "current_owner")


class FtoError(IPCockpitError):
    """An FTO query that cannot run: empty description, no claim index, a bad office code."""


@dataclass(frozen=True)
class FtoMethod:
    """Weights and thresholds of the risk score (all documented in docs/fto.md)."""

    candidates: int = 50  # claims taken from the index per query vector (description, each feature)
    pool: int = 20  # claims analysed element by element
    max_elements: int = 20  # elements compared per claim; the rest of a longer claim is compared as one
    semantic_weight: float = 0.7  # element similarity = w x cosine + (1 - w) x term overlap
    element_threshold: float = 0.44  # on the calibrated scale (embedding.calibrated), see docs/fto.md
    w_coverage: float = 0.5
    w_elements: float = 0.3
    w_claim: float = 0.2
    status_factors: tuple[tuple[str, float], ...] = (("in_force", 1.0), ("granted", 0.9), ("pending", 0.5))
    term_full_years: float = 3.0  # remaining term at which the term factor reaches 1
    term_floor: float = 0.5  # term factor of a patent about to expire
    value_weight: float = 0.1  # value factor = 1 + w x (value index / 100 - 0.5); 1 without a value index
    high: float = 55.0  # risk at least this and coverage at least high_coverage: high
    high_coverage: float = 0.75
    medium: float = 35.0  # risk at least this: medium, else low
    #: technical score a claim needs to be a result; below it the claim is listed under ``weaker`` (what came
    #: closest to a product no claim is about); measured by bench/relevance_floors.py, see docs/fto.md
    relevance_floor: float = 0.184

    def status_factor(self, status: str) -> float:
        return dict(self.status_factors).get(status, 0.0)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["status_factors"] = dict(self.status_factors)
        return out

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None, where: str = "fto settings") -> FtoMethod:
        """A method from a mapping such as an ``fto:`` settings section; unknown names and bad values raise
        :class:`FtoError` naming the setting."""
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for name, value in (data or {}).items():
            if name not in known:
                raise FtoError(f"{where}: unknown setting {name!r}; known: {', '.join(known)}")
            if name == "status_factors":
                if not isinstance(value, dict) or not all(isinstance(v, int | float) for v in value.values()):
                    raise FtoError(
                        f"{where}: status_factors must map a status to a number, e.g. {{pending: 0.5}}"
                    )
                value = tuple({**dict(cls.status_factors), **value}.items())
            elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise FtoError(f"{where}: {name}={value!r} must be a non-negative number")
            changes[name] = value
        return replace(cls(), **changes)


# text helpers ------------------------------------------------------------------------------------
_EN_STOP = frozenset(
    "a an the and or of for to in on at by with from into onto upon said that which wherein whereby such "
    "being is are be been having has have its it their there this these those each one least more than "
    "first second third plurality means configured adapted so as thereof therein when where while between "
    "about any all other least".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u9fff]+")
_ZH_STOP = frozenset("所述 一种 其中 以及 用于 设置 包括 进行 通过 并且".split())


def terms(text: str) -> set[str]:
    """Comparable terms: English words (stop words out, a crude plural/-ing/-ed stem), Chinese bigrams."""
    low = text.lower()
    out: set[str] = set()
    for w in _WORD.findall(low):
        if len(w) < 3 or w in _EN_STOP:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                w = w[: -len(suffix)]
                break
        out.add(w)
    for run in _CJK_RUN.findall(text):
        out.update(b for b in (run[i : i + 2] for i in range(max(len(run) - 1, 1))) if b not in _ZH_STOP)
    return out


def overlap(element: set[str], feature: set[str]) -> float:
    """Share of the element's terms found in the feature (0 when the element has none)."""
    return len(element & feature) / len(element) if element else 0.0


#: element vectors kept (least recently used dropped first; shared by the requests of every thread)
CACHE_SIZE = 20_000
_CACHE: LRU[tuple[str, str], np.ndarray] = LRU(CACHE_SIZE)


def _embed_cached(texts: list[str], space: str) -> dict[str, np.ndarray]:
    """Vectors of ``texts`` in ``space``; element vectors are kept in memory for the next queries. The
    answer is built from what this call read and embedded, so entries dropped meanwhile (by this call
    or another thread) cannot go missing from it."""
    from ipcockpit.search.embedding import bin_runtime, embed, model_id

    runtime = bin_runtime(space)
    model = model_id(space, runtime)
    _CACHE.size = CACHE_SIZE
    wanted = list(dict.fromkeys(texts))
    got = {k[1]: v for k, v in _CACHE.get_many((model, t) for t in wanted).items()}
    todo = [t for t in wanted if t not in got]
    if todo:
        new = {t: frozen(v.copy()) for t, v in zip(todo, embed(todo, space=space, runtime=runtime), strict=True)}
        _CACHE.put_many(((model, t), v) for t, v in new.items())
        got.update(new)
    return {t: got[t] for t in texts}


def _capped(claim: str, elements: list[Element], most: int) -> list[Element]:
    """At most ``most`` body elements: the ones past it are joined into the last (one span)."""
    parts = body(elements)
    if len(parts) <= most:
        return elements
    last = Element(
        claim[parts[most - 1].start : parts[-1].end], parts[most - 1].start, parts[-1].end, "element"
    )
    return [e for e in elements if e.kind != "element"] + parts[: most - 1] + [last]


# filters -----------------------------------------------------------------------------------------
def _offices(jurisdictions: list[str] | None) -> set[str] | None:
    if not jurisdictions:
        return None
    out = set()
    for j in jurisdictions:
        for code in re.split(r"[\s,;，；]+", j or ""):
            if not code:
                continue
            if not re.fullmatch(r"[A-Za-z]{2}", code):
                raise FtoError(f"jurisdiction {code!r}: give two-letter office codes such as CN, US, EP, WO")
            out.add(code.upper())
    return out or None


def _excluded_docs(con: duckdb.DuckDBPyConnection, names: list[str] | None) -> dict[str, Any]:
    """Documents (and the other publications of their applications) of the given applicants: a party
    (applicant, patentee, assignee, current owner) whose normalised name holds the normalised input as whole
    words (English) or as a substring (Chinese)."""
    given = [{"input": x, "normalised": normalise_name(x)} for x in names or [] if x and x.strip()]
    norms = list(dict.fromkeys(g["normalised"] for g in given if g["normalised"]))
    if not norms:
        return {"applicants": given, "matched_names": [], "documents": set()}
    alts = [
        re.escape(n) if re.search(r"[\u3400-\u9fff]", n) else rf"(^|\s){re.escape(n)}(\s|$)" for n in norms
    ]
    rows = con.execute(
        "WITH hit AS (SELECT DISTINCT p.doc_id, p.name_raw FROM parties p WHERE p.role IN "
        f"{_PARTY_ROLES} AND regexp_matches(coalesce(p.name_norm, lower(p.name_raw)), $re)) "
        "SELECT DISTINCT d2.doc_id, h.name_raw FROM hit h JOIN documents d ON d.doc_id = h.doc_id "
        "JOIN documents d2 ON d2.doc_id = d.doc_id OR d2.app_id = d.app_id",
        {"re": "|".join(alts)},
    ).fetchall()
    return {
        "applicants": given,
        "matched_names": sorted({n for _, n in rows}),
        "documents": {d for d, _ in rows},
    }


def _parties(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT doc_id, name_raw, min(CASE role WHEN 'patentee' THEN 0 WHEN 'current_owner' THEN 0 "
        "WHEN 'assignee' THEN 1 ELSE 2 END) AS rk, min(seq) AS sq FROM parties "
        f"WHERE doc_id IN (SELECT unnest($ids::VARCHAR[])) AND role IN {_PARTY_ROLES} "
        "GROUP BY doc_id, name_raw ORDER BY doc_id, rk, sq NULLS LAST, name_raw",
        {"ids": doc_ids},
    ).fetchall()
    out: dict[str, list[str]] = {}
    for doc_id, name, _, _ in rows:
        out.setdefault(doc_id, []).append(name)
    return out


def _value_index(
    con: duckdb.DuckDBPyConnection, doc_ids: list[str], settings: ScreenSettings
) -> dict[str, float]:
    """The value index of the screening (government_statistics profile) per document, where it has one."""
    if not doc_ids:
        return {}
    from ipcockpit.value.index import compute_index
    from ipcockpit.value.screen import DEFAULT_PROFILE

    rows = compute_index(con, profile=DEFAULT_PROFILE, doc_ids=doc_ids, as_of=settings.as_of)
    return {r["doc_id"]: r["value_index"] for r in rows if r.get("value_index") is not None}


# scoring -----------------------------------------------------------------------------------------
def _term_factor(remaining: float | None, m: FtoMethod) -> float:
    if remaining is None:
        return 1.0
    return round(min(1.0, m.term_floor + (1 - m.term_floor) * remaining / m.term_full_years), 3)


def _level(risk: float, coverage: float, m: FtoMethod) -> str:
    if risk >= m.high and coverage >= m.high_coverage:
        return "high"
    return "medium" if risk >= m.medium else "low"


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _explain(row: dict[str, Any], f: dict[str, float], m: FtoMethod) -> dict[str, str]:
    els = row["elements"]
    missing = [e for e in els if not e["matched"]]
    n, k = len(els), row["elements_matched"]
    zh_level, en_level = LEVEL_LABELS[row["risk_level"]]
    term_en = (
        f"expires {row['expiry_date']} ({row['remaining_years']} years left)"
        if row["expiry_date"]
        else "expiry unknown"
    )
    term_zh = (
        f"{row['expiry_date']}届满（剩余{row['remaining_years']}年）" if row["expiry_date"] else "届满日未知"
    )
    miss_en = "; ".join(f"'{_short(e['text'])}' (best {e['similarity']:.2f})" for e in missing[:3])
    miss_zh = "；".join(f"“{_short(e['text'], 30)}”（最高{e['similarity']:.2f}）" for e in missing[:3])
    rule_en = (
        "every element has a counterpart in the description (all-elements rule met)"
        if not missing
        else f"not found: {miss_en}; literal infringement needs every element"
    )
    rule_zh = (
        "全部技术特征均在产品描述中找到对应（满足全面覆盖原则）"
        if not missing
        else f"未找到：{miss_zh}；字面侵权需覆盖全部技术特征"
    )
    value_en = f"value index {row['value_index']:.0f}" if row["value_index"] is not None else "no value index"
    value_zh = f"价值指数{row['value_index']:.0f}" if row["value_index"] is not None else "无价值指数"
    en = (
        f"Claim {row['claim_num']} of {row['publication_number']} ({row['status_label']}; {term_en}): "
        f"{k} of {n} elements found in the product ({row['element_coverage']:.0%}); {rule_en}. "
        f"Claim similarity {row['claim_similarity']:.2f}. Risk {row['risk_score']:.0f} = 100 x technical "
        f"{f['technical']:.2f} ({m.w_coverage} x coverage + {m.w_elements} x mean element similarity "
        f"{f['mean_element_similarity']:.2f} + {m.w_claim} x claim similarity) x status {f['status']} x term "
        f"{f['term']} x value {f['value']} ({value_en}): {en_level} risk."
    )
    zh = (
        f"{row['publication_number']} 权利要求{row['claim_num']}（{row['status_label_zh']}；{term_zh}）："
        f"{n}项技术特征中{k}项在产品中找到对应（覆盖率{row['element_coverage']:.0%}）；{rule_zh}。"
        f"权利要求整体相似度{row['claim_similarity']:.2f}。风险分{row['risk_score']:.0f} = 100 × 技术相似"
        f"{f['technical']:.2f}（{m.w_coverage}×覆盖率 + {m.w_elements}×特征平均相似度{f['mean_element_similarity']:.2f}"
        f" + {m.w_claim}×整体相似度）× 法律状态系数{f['status']} × 剩余期限系数{f['term']} × 价值系数{f['value']}"
        f"（{value_zh}）：{zh_level}风险。"
    )
    return {"zh": zh, "en": en}


def _candidates(
    folder: Path, spaces: list[str], query: str, feats: list[Element], allowed: Any, m: FtoMethod
) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray]]:
    """Claims near the description or a feature in any space: key -> {space, claim_similarity, prelim};
    and the feature vectors of each space."""
    from ipcockpit.search.embedding import bin_runtime, calibrated, embed
    from ipcockpit.search.vectors import VectorIndex

    pool: dict[str, dict[str, Any]] = {}
    feat_vecs: dict[str, np.ndarray] = {}
    for space in spaces:
        index = VectorIndex.open(folder, index_name(space))
        qv = embed([query] + [f.text for f in feats], space=space, runtime=bin_runtime(space))
        feat_vecs[space] = qv[1:]
        keys = list(
            dict.fromkeys(k for row in index.search(qv, m.candidates, allowed=allowed) for k, _ in row)
        )
        if not keys:
            continue
        vecs = index.vectors(keys)
        # calibrated cosines (embedding.calibrated): comparable across spaces, so the pool is one ranking
        whole, best_feat = vecs @ qv[0], (vecs @ qv[1:].T).max(axis=1)
        for key, d, bf, cd in zip(keys, whole, best_feat, calibrated(whole, space), strict=True):
            prelim = max(float(cd), float(calibrated(float(bf), space)))
            if key not in pool or pool[key]["prelim"] < prelim:
                pool[key] = {
                    "space": space,
                    "claim_similarity": float(cd),
                    "claim_cosine": float(d),
                    "prelim": prelim,
                }
    return pool, feat_vecs


def _compare(
    elements: list[Element],
    vectors: dict[str, np.ndarray],
    feats: list[Element],
    feat_vecs: np.ndarray,
    feat_terms: list[set[str]],
    m: FtoMethod,
    space: str,
) -> list[dict[str, Any]]:
    """Each element with its closest feature: similarity = w x calibrated cosine + (1 - w) x term overlap,
    the cosine taken in the claim's space and calibrated there (:func:`embedding.calibrated`)."""
    from ipcockpit.search.embedding import calibrated

    out = []
    for e in elements:
        raw = feat_vecs @ vectors[e.text]
        cos = calibrated(raw, space)
        et = terms(e.text)
        lex = np.array([overlap(et, ft) for ft in feat_terms])
        sims = m.semantic_weight * cos + (1 - m.semantic_weight) * lex
        j = int(np.argmax(sims))
        out.append(
            {
                "text": e.text,
                "span": [e.start, e.end],
                "best_feature": feats[j].text,
                "best_feature_index": j,
                "similarity": round(float(sims[j]), 3),
                "semantic": round(float(cos[j]), 3),
                "cosine": round(float(raw[j]), 3),
                "lexical": round(float(lex[j]), 3),
                "matched": bool(sims[j] >= m.element_threshold),
            }
        )
    return out


def _row(
    key: str,
    claim: dict[str, Any],
    parsed: list[Element],
    elements: list[dict[str, Any]],
    claim_sim: float,
    s: dict[str, Any],
    vi: float | None,
    m: FtoMethod,
) -> dict[str, Any]:
    """One scored claim as a result row."""
    doc_id, num = split_key(key)
    matched = sum(e["matched"] for e in elements)
    coverage = matched / len(elements)
    mean_sim = float(np.mean([e["similarity"] for e in elements]))
    technical = m.w_coverage * coverage + m.w_elements * mean_sim + m.w_claim * max(claim_sim, 0.0)
    f = {
        "technical": round(technical, 3),
        "mean_element_similarity": round(mean_sim, 3),
        "status": m.status_factor(s["status"]),
        "term": _term_factor(s["remaining_years"], m),
        "value": round(1 + m.value_weight * (vi / 100 - 0.5), 3) if vi is not None else 1.0,
    }
    risk = round(100 * technical * f["status"] * f["term"] * f["value"], 1)
    pre = [e for e in parsed if e.kind == "preamble"]
    return {
        "publication_number": doc_id,
        "doc_id": doc_id,
        "title": s["title"],
        "office": s["office"],
        "applicants": [],
        "status": s["status"],
        "status_label": s["status_label"],
        "status_label_zh": s["status_label_zh"],
        "status_reason": s["reason"],
        "status_reason_zh": s["reason_zh"],
        "filing_date": s["filing_date"],
        "grant_date": s["grant_date"],
        "expiry_date": s["expiry_date"],
        "remaining_years": s["remaining_years"],
        "value_index": round(vi, 1) if vi is not None else None,
        "claim_num": num,
        "claim_text": claim["text"],
        "claim_similarity": round(claim_sim, 3),
        "preamble": pre[0].as_dict() if pre else None,
        "elements": elements,
        "elements_matched": matched,
        "elements_total": len(elements),
        "element_coverage": round(coverage, 3),
        "factors": f,
        "risk_score": risk,
        "risk_level": _level(risk, coverage, m),
    }


def fto(
    con: duckdb.DuckDBPyConnection,
    folder: str | Path,
    text: str,
    *,
    jurisdictions: list[str] | None = None,
    exclude_applicants: list[str] | None = None,
    limit: int = 20,
    settings: ScreenSettings | None = None,
    method: FtoMethod | None = None,
) -> dict[str, Any]:
    """Screen a product description against the live independent claims in the claim indexes of ``folder``.

    ``con``: the store's DuckDB connection; ``jurisdictions``: office codes (``["CN", "US"]``;
    None: all); ``exclude_applicants``: the user's own applicant names (any written form); ``limit``: rows
    (patents) returned, 0 for all analysed (and as many ``weaker`` rows); ``settings``: the screening settings
    (``as_of``, ``term_years``); ``method``: the weights and thresholds. Returns ``{"query", "features",
    "results"`` (claims above the relevance floor), ``"weaker"`` (below it), ``"relevance"`` (the floor, counts
    and the closest claim), ``"summary", "excluded", "method", "disclaimer"}`` (see the module docstring and
    docs/fto.md).
    """
    from ipcockpit.search.embedding import model_for

    settings = settings or ScreenSettings()
    m = method or FtoMethod()
    query = (text or "").strip()
    if not query:
        raise FtoError(
            "the product description is empty: give the text of the product (or a file holding it)"
        )
    folder = Path(folder)
    spaces = claim_spaces(folder)
    if not spaces:
        raise FtoError(
            f"{folder}: no claim index (claims-<space>) here; build it first with `ipcockpit index` "
            "(ipcockpit.search.claim_index.build_claim_index)"
        )
    offices = _offices(jurisdictions)
    excluding = _excluded_docs(con, exclude_applicants)
    excluded: set[str] = excluding["documents"]
    feats = features(query) or [Element(query, 0, len(query), "feature")]
    feat_terms = [terms(f.text) for f in feats]

    def allowed(key: str) -> bool:
        doc_id = key.rpartition("#")[0]
        return (offices is None or doc_id[:2] in offices) and doc_id not in excluded

    # 1. candidates, then their legal status and office as of the query's date; the best `pool` go on
    pool, feat_vecs = _candidates(folder, spaces, query, feats, allowed, m)
    status = legal_status(con, list(dict.fromkeys(split_key(k)[0] for k in pool)), settings)
    live = [
        k
        for k in pool
        if (s := status.get(split_key(k)[0])) and s["live"] and (offices is None or s["office"] in offices)
    ]
    chosen = sorted(live, key=lambda k: (-pool[k]["prelim"], k))[: m.pool]
    claims = independent_claims(con, list(dict.fromkeys(split_key(k)[0] for k in chosen)))
    chosen = [k for k in chosen if k in claims]

    # 2. the claims' elements, embedded once per space
    parsed: dict[str, list[Element]] = {}
    for key in chosen:
        text_ = claims[key]["text"]
        els = claim_elements(text_, language(text_))
        parsed[key] = _capped(
            text_, els if body(els) else [Element(text_, 0, len(text_), "element")], m.max_elements
        )
    by_space: dict[str, list[str]] = {}
    for key in chosen:
        by_space.setdefault(pool[key]["space"], []).extend(e.text for e in body(parsed[key]))
    vectors = {sp: _embed_cached(texts, sp) for sp, texts in by_space.items()}

    # 3. scores: one row per patent, its riskiest independent claim
    values = _value_index(con, list(dict.fromkeys(split_key(k)[0] for k in chosen)), settings)
    best: dict[str, dict[str, Any]] = {}
    for key in chosen:
        space, doc_id = pool[key]["space"], split_key(key)[0]
        elements = _compare(body(parsed[key]), vectors[space], feats, feat_vecs[space], feat_terms, m, space)
        row = _row(
            key,
            claims[key],
            parsed[key],
            elements,
            pool[key]["claim_similarity"],
            status[doc_id],
            values.get(doc_id),
            m,
        )
        row["space"] = space
        row["claim_cosine"] = round(pool[key]["claim_cosine"], 3)
        if doc_id not in best or (row["risk_score"], row["claim_similarity"]) > (
            best[doc_id]["risk_score"],
            best[doc_id]["claim_similarity"],
        ):
            best[doc_id] = row
    ranked = sorted(best.values(), key=lambda r: (-r["risk_score"], -r["claim_similarity"], r["doc_id"]))
    for r in ranked:
        r["relevant"] = r["factors"]["technical"] >= m.relevance_floor
    rows = [r for r in ranked if r["relevant"]]
    weaker = [r for r in ranked if not r["relevant"]]
    closest = max(ranked, key=lambda r: (r["factors"]["technical"], r["risk_score"]), default=None)
    if limit and limit > 0:
        rows, weaker = rows[:limit], weaker[:limit]
    parties = _parties(con, [r["doc_id"] for r in rows + weaker])
    for r in rows + weaker:
        r["applicants"] = parties.get(r["doc_id"], [])
        r["explanation"] = _explain(r, r["factors"], m)
    return {
        "query": {
            "text": query,
            "lang": language(query),
            "jurisdictions": sorted(offices) if offices else None,
            "exclude_applicants": list(exclude_applicants or []),
            "as_of": settings.as_of.isoformat(),
            "limit": limit,
        },
        "features": [f.as_dict() for f in feats],
        "results": rows,
        "weaker": weaker,
        "relevance": {
            "floor": m.relevance_floor,
            "passed": sum(1 for r in ranked if r["relevant"]),
            "weaker": sum(1 for r in ranked if not r["relevant"]),
            "best": None if closest is None else {
                k: closest[k] for k in ("publication_number", "title", "claim_num", "elements_matched",
                                        "elements_total", "claim_similarity", "risk_score", "relevant")
            } | {"technical": closest["factors"]["technical"]},
        },
        "summary": {
            **{lvl: sum(1 for r in rows if r["risk_level"] == lvl) for lvl in LEVEL_LABELS},
            "results": len(rows),
            "weaker": sum(1 for r in ranked if not r["relevant"]),
            "candidates": len(pool),
            "analysed": len(chosen),
        },
        "excluded": {**excluding, "documents": len(excluded)},
        "method": {
            **m.as_dict(),
            "spaces": {s: model_for(s) for s in spaces},
            "index": str(folder),
            "term_years": settings.term_years,
            "generated": date.today().isoformat(),
        },
        "disclaimer": DISCLAIMER,
    }
