"""BM25 full-text index on tantivy; Chinese segmented with jieba, documents and queries by one call.

:func:`segment` turns any text into lower-cased word tokens: jieba's search mode (``cut_for_search``, HMM on)
for runs of CJK characters (words and their shorter parts), ``[a-z0-9]`` words for the rest. jieba runs as
``rjieba`` (jieba-rs, the Rust port with jieba's dictionary): the same words as the Python ``jieba`` on every
one of 369,416 CJK runs (4.5M characters) of the shared Chinese corpora, 8-13x faster
(``tests/test_search_lexical_segment.py``; docs/search.md, "Lexical index"). The index stores
the tokens joined by spaces in the field ``body`` analysed by tantivy's ``en_stem`` tokenizer (which
keeps the CJK words whole and stems the English ones), so a query goes through :func:`segment` and
then through the same analyser. Because a segmented query holds only word characters it cannot be a
tantivy query-syntax error, whatever the user typed (``a:b "c`` included).

Fields: ``doc_id`` (raw, stored: the key for deletes), ``body``, ``text`` (the raw text, stored but
not searched: the passages of results come from it, so no table scan is needed), and the filterable
fast fields
``office`` (raw text), ``pub_date`` (integer ``yyyymmdd``, 0 when unknown) and ``in_force``
(1 in force, 0 not, -1 unknown).
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import tantivy

FOLDER = "lexical"
_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_WRITER_HEAP = 128_000_000
#: characters of a document's text kept (stored, not indexed) for passages
_STORED_CHARS = 6000
#: query words in more than this share of the documents are left out of a query (see _content_tokens)
COMMON_SHARE = 0.5
#: ... once the index holds this many documents (below, document frequencies say little)
COMMON_MIN_DOCS = 10_000
#: terms of a query up to which each hit's matched terms are counted (a longer text, such as a claim, is
#: judged by its meaning: one more search per term would cost more than the rest of the query)
MAX_COUNTED_TERMS = 12
#: a term held by at most this many documents is looked up alone (all its documents, kept where ranked); a
#: commoner one among the ranked documents (a term-set filter of their ids: ~0.3 ms a term whatever its
#: frequency, where a rare term's own postings take ~0.01 ms)
DIRECT_TERM_DOCS = 1000


@cache
def _jieba() -> Any:
    import rjieba

    return rjieba


def segment(text: str | None) -> list[str]:
    """Lower-cased tokens of ``text``: jieba search-mode words for CJK runs, word characters otherwise."""
    if not text:
        return []
    tokens: list[str] = []
    for i, part in enumerate(_CJK.split(text)):
        if not part:
            continue
        if i % 2:  # a CJK run
            tokens.extend(w for w in _jieba().cut_for_search(part, True) if w.strip())
        else:
            tokens.extend(w.lower() for w in _WORD.findall(part))
    return tokens


def words(text: str | None) -> list[str]:
    """Lower-cased words of ``text`` as written: jieba's precise words for CJK runs (``编码器``, where
    :func:`segment` also gives its parts ``编码``, ``码器``), word characters otherwise."""
    if not text:
        return []
    out: list[str] = []
    for i, part in enumerate(_CJK.split(text)):
        if part and i % 2:
            out.extend(w for w in _jieba().cut(part, True) if w.strip())
        elif part:
            out.extend(w.lower() for w in _WORD.findall(part))
    return out


def _word_held(word: str, parts: list[str], got: set[str]) -> float:
    """How much of a query word a document holds: 1 when it holds the word whole, else the share of the word's
    search-mode parts it holds when that is at least half (通信接口 from 通信 and 接口: 2/3), else 0 (无人机 is not
    held by 无人驾驶's 无人)."""
    if word in got:
        return 1.0
    share = sum(t in got for t in parts) / len(parts) if parts else 0.0
    return share if share >= 0.5 else 0.0


def key_date(key: int) -> date | None:
    """The date of a ``yyyymmdd`` key (None for 0 or an impossible date)."""
    try:
        return date(key // 10000, key // 100 % 100, key % 100) if key else None
    except ValueError:
        return None


def date_key(value: date | str | None) -> int:
    """``yyyymmdd`` as an integer, 0 when unknown."""
    if value is None:
        return 0
    if isinstance(value, date):
        return value.year * 10000 + value.month * 100 + value.day
    digits = re.sub(r"\D", "", str(value))[:8]
    return int(digits.ljust(8, "0")) if digits else 0


def force_key(value: bool | None) -> int:
    return -1 if value is None else int(bool(value))


@dataclass
class LexicalDoc:
    doc_id: str
    text: str
    office: str | None = None
    pub_date: date | str | None = None
    in_force: bool | None = None


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("doc_id", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("body", stored=False, tokenizer_name="en_stem", index_option="freq")
    b.add_text_field("text", stored=True, tokenizer_name="raw", index_option="basic")
    b.add_text_field("office", stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    b.add_integer_field("pub_date", stored=False, indexed=True, fast=True)
    b.add_integer_field("in_force", stored=False, indexed=True, fast=True)
    return b.build()


@dataclass(frozen=True)
class Hits:
    """What :meth:`LexicalIndex.hits` found: ``ranked`` (doc_id, BM25 score) best first, ``total`` documents
    matching any term, and ``held``: the share (0-1) of the query's term weight each ranked document holds
    (the idf of its terms over the idf of all; empty for a query of more than :data:`MAX_COUNTED_TERMS`
    terms, which is judged by its meaning); ``terms_held``: the share of the query's words as written
    (:func:`words`) each of them holds, counted rather than weighted, a word not held whole counting for the share
    of its search-mode parts held when at least half (empty when ``held`` is)."""

    ranked: list[tuple[str, float]]
    total: int
    held: dict[str, float]
    terms_held: dict[str, float] = field(default_factory=dict)


@cache
def _analyser() -> Any:
    """tantivy's ``en_stem`` analyser (simple tokenizer, long tokens dropped, lower case, English stemmer),
    built again here to turn a query word into the term the index holds (``doc_freq`` takes terms)."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("english")).build())


class LexicalIndex:
    """The tantivy index in ``<folder>/lexical``."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / FOLDER
        self.path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        try:
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        except ValueError as exc:
            raise ValueError(
                f"{self.path}: cannot open the full-text index ({exc}); "
                "rebuild it with `ipcockpit index --rebuild`"
            ) from exc

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (Path(folder) / FOLDER / "meta.json").is_file()

    @classmethod
    def drop(cls, folder: Path) -> None:
        shutil.rmtree(Path(folder) / FOLDER, ignore_errors=True)

    # writing ----------------------------------------------------------------------------------
    def update(self, docs: Iterable[LexicalDoc], remove: Iterable[str] = ()) -> int:
        """Replace (delete by ``doc_id``, then add) ``docs`` and delete ``remove``; one commit. Returns
        the number of documents added."""
        writer = self.index.writer(_WRITER_HEAP, 1)
        added = 0
        try:
            for doc_id in remove:
                writer.delete_documents_by_term("doc_id", doc_id)
            for d in docs:
                writer.delete_documents_by_term("doc_id", d.doc_id)
                writer.add_document(
                    tantivy.Document(
                        doc_id=d.doc_id,
                        body=" ".join(segment(d.text)),
                        text=d.text[:_STORED_CHARS],
                        office=(d.office or ""),
                        pub_date=date_key(d.pub_date),
                        in_force=force_key(d.in_force),
                    )
                )
                added += 1
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self.index.reload()
        return added

    # reading ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs

    def query(
        self,
        text: str,
        *,
        office: str | list[str] | None = None,
        date_from: Any = None,
        date_to: Any = None,
        in_force: bool | None = None,
        doc_ids: Iterable[str] | None = None,
    ) -> tantivy.Query | None:
        """The query for ``text`` (any of its terms, BM25) with the filters; None when it has no terms."""
        tokens = self._content_tokens(list(dict.fromkeys(segment(text))))
        if not tokens:
            return None
        # segment() leaves only word characters: nothing the query parser could read as syntax
        text_q = self.index.parse_query(" ".join(tokens), ["body"])
        must: list[tantivy.Query] = [text_q]
        if office:
            offices = [office] if isinstance(office, str) else list(office)
            must.append(tantivy.Query.term_set_query(self.schema, "office", [o.upper() for o in offices]))
        lo, hi = (date_key(date_from) or None), (date_key(date_to) or None)
        if lo or hi:
            must.append(
                tantivy.Query.range_query(
                    self.schema, "pub_date", tantivy.FieldType.Integer, lo or 1, hi or 99991231
                )
            )
        if in_force is not None:
            must.append(tantivy.Query.term_query(self.schema, "in_force", force_key(in_force)))
        if doc_ids is not None:
            must.append(tantivy.Query.term_set_query(self.schema, "doc_id", list(doc_ids)))
        if len(must) == 1:
            return text_q
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must])

    def _content_tokens(self, tokens: list[str]) -> list[str]:
        """The query tokens without those in more than :data:`COMMON_SHARE` of the documents (for, and,
        of, 一种 ...) once the index holds :data:`COMMON_MIN_DOCS`: their BM25 weight is below ln 2
        where a content word's is 5-10, and their postings are most of the work (1M documents: top 100
        in 5.9 ms without them, 8.7 ms with). At least the rarest token stays."""
        if len(tokens) < 2:
            return tokens
        searcher = self.index.searcher()
        n = searcher.num_docs
        if n < COMMON_MIN_DOCS:
            return tokens
        df = {t: searcher.doc_freq("body", t) for t in tokens}
        kept = [t for t in tokens if df[t] <= COMMON_SHARE * n]
        return kept or [min(tokens, key=lambda t: df[t])]

    def search(self, text: str, limit: int = 100, **filters: Any) -> list[tuple[str, float]]:
        """(doc_id, BM25 score) of the best ``limit`` documents, best first; filters as :meth:`query`."""
        return self.hits(text, limit, **filters).ranked

    def hits(self, text: str, limit: int = 100, **filters: Any) -> Hits:
        """The best ``limit`` documents (as :meth:`search`) with the number of documents that match any
        term and, for a short query, the share of the query's weight each of them holds (:class:`Hits`)."""
        q = self.query(text, **filters)
        if q is None or limit <= 0:
            return Hits([], 0, {}, {})
        searcher = self.index.searcher()
        found = searcher.search(q, limit)
        ranked, where = [], {}
        for score, addr in found.hits:
            doc_id = searcher.doc(addr)["doc_id"][0]
            ranked.append((doc_id, float(score)))
            where[(addr.segment_ord, addr.doc)] = doc_id
        held, counted = self._weight_held(searcher, text, ranked, where)
        return Hits(ranked, int(found.count or 0), held, counted)

    def _weight_held(self, searcher: Any, text: str, ranked: list[tuple[str, float]],
                     where: dict[tuple[int, int], str]) -> tuple[dict[str, float], dict[str, float]]:
        """Share of the query's term weight (BM25 idf) each ranked document holds, and share of its words
        held whole (counted); both {} for a query of more than :data:`MAX_COUNTED_TERMS` terms. A term no
        document holds weighs most, so a query whose key
        word is absent from the store is not half-matched by its common words."""
        terms = list(dict.fromkeys(t for token in self._content_tokens(list(dict.fromkeys(segment(text))))
                                   for t in _analyser().analyze(token)))
        if not ranked or not terms or len(terms) > MAX_COUNTED_TERMS:
            return {}, {}
        n = searcher.num_docs
        freq = {t: searcher.doc_freq("body", t) for t in terms}  # counts deleted documents too
        idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in freq.items()}
        total = sum(idf.values())
        # the query's words as written: a document holding a word whole holds all of it, else the share of the
        # word's search-mode parts it holds when that is at least half (_word_held)
        parts: dict[str, list[str]] = {}
        for w in words(text):
            whole = _analyser().analyze(w)
            if whole and whole[0] not in parts and len(parts) < MAX_COUNTED_TERMS:
                parts[whole[0]] = list(dict.fromkeys(t for p in segment(w) for t in _analyser().analyze(p)))
        # each term's documents among the ranked ones (by address: no stored field read again): a rare term's
        # documents all, a common one's searched among the ranked documents (DIRECT_TERM_DOCS)
        among = None
        held: dict[str, float] = {}
        has: dict[str, set[str]] = {}
        for t in dict.fromkeys(terms + [t for ts in parts.values() for t in ts]):
            term = tantivy.Query.term_query(self.schema, "body", t)
            docs = freq[t] if t in freq else searcher.doc_freq("body", t)  # an upper bound of the hits
            if not docs:
                continue
            if docs <= DIRECT_TERM_DOCS:
                found = searcher.search(term, docs, count=False).hits
            else:
                if among is None:
                    among = tantivy.Query.term_set_query(self.schema, "doc_id", [d for d, _ in ranked])
                both = tantivy.Query.boolean_query([(tantivy.Occur.Must, term), (tantivy.Occur.Must, among)])
                found = searcher.search(both, len(ranked), count=False).hits
            for _, addr in found:
                doc_id = where.get((addr.segment_ord, addr.doc))
                if doc_id is None:
                    continue
                has.setdefault(doc_id, set()).add(t)
                if t in idf:
                    held[doc_id] = held.get(doc_id, 0.0) + idf[t] / total
        counted = {d: sum(_word_held(w, ts, got) for w, ts in parts.items()) / len(parts)
                   for d, got in has.items()} if parts else {}
        return held, counted

    def texts(self, doc_ids: list[str]) -> dict[str, str]:
        """The stored text of each of ``doc_ids`` that the index holds."""
        if not doc_ids:
            return {}
        searcher = self.index.searcher()
        q = tantivy.Query.term_set_query(self.schema, "doc_id", list(doc_ids))
        out = {}
        for _, addr in searcher.search(q, len(doc_ids) * 2).hits:
            doc = searcher.doc(addr)
            out[doc["doc_id"][0]] = doc.get_first("text") or ""
        return out

    def iter_ids(self) -> Iterator[str]:
        searcher = self.index.searcher()
        n = searcher.num_docs
        if n:
            for _, addr in searcher.search(tantivy.Query.all_query(), n).hits:
                yield searcher.doc(addr)["doc_id"][0]
