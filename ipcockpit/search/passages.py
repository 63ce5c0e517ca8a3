"""Passages: sentence splitting (Chinese and English), the best-matching sentence window, highlighting.

A search result shows the sentence window of its title, abstract or claims that best matches the
query: :func:`windows` cuts a text into windows of up to two sentences, :func:`overlap` scores a
window by the query terms it holds, and :func:`best_window` combines that with the cosine of the
window's embedding (the caller embeds, so the cost stays bounded). :func:`highlight` returns HTML:
the text escaped, the query terms in ``<mark>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

import numpy as np

from ipcockpit.search.lexical import segment

#: a sentence ends after 。；！？ (or their ASCII forms followed by a space) or at a line break
_END = re.compile(r"(?<=[。；！？!?;])|(?<=[.])(?=\s+[A-Z(\[\"'0-9])|\n+")
_MAX_CHARS = 320
_LATIN = re.compile(r"^[a-z0-9]+$")
#: English words too common to highlight or to count as overlap
STOP = frozenset(
    "a an and are as at be by for from has have in into is it its of on or that the this to was "
    "were which with wherein said one more least first second each".split()
)


def split_sentences(text: str | None) -> list[str]:
    """Sentences of ``text``; over-long ones are cut at a comma or space near :data:`_MAX_CHARS`."""
    if not text:
        return []
    out: list[str] = []
    for part in _END.split(text):
        part = (part or "").strip()
        while len(part) > _MAX_CHARS:
            cut = max(part.rfind(c, 0, _MAX_CHARS) for c in "，, ")
            cut = cut + 1 if cut > _MAX_CHARS // 3 else _MAX_CHARS
            out.append(part[:cut].strip())
            part = part[cut:].strip()
        if part:
            out.append(part)
    return out


def windows(text: str | None, size: int = 2) -> list[str]:
    """Windows of ``size`` consecutive sentences (one window when the text has fewer)."""
    sentences = split_sentences(text)
    if len(sentences) <= size:
        return [_join(sentences)] if sentences else []
    return [_join(sentences[i : i + size]) for i in range(len(sentences) - size + 1)]


def _join(sentences: Sequence[str]) -> str:
    out = sentences[0]
    for s in sentences[1:]:
        out += ("" if out.endswith(tuple("。；！？：，")) else " ") + s
    return out


def query_terms(query: str) -> list[str]:
    """The terms worth matching: segmented, without English stop words and single Latin letters."""
    terms = []
    for t in dict.fromkeys(segment(query)):
        if _LATIN.match(t):
            if len(t) < 2 or t in STOP:
                continue
        terms.append(t)
    return terms


def _stem(term: str) -> str:
    """A crude English stem so that 'networks' matches 'network' and 'learning' 'learned'."""
    if _LATIN.match(term) and len(term) > 4:
        for suffix in ("ing", "es", "ed", "s"):
            if term.endswith(suffix) and len(term) - len(suffix) >= 4:
                return term[: -len(suffix)]
    return term


def term_stems(terms: Sequence[str]) -> list[str]:
    """:func:`_stem` of each term, in order (what :func:`candidates` matches; made once for a page's documents)."""
    return [_stem(t) for t in terms]


def overlap(terms: Sequence[str], text: str) -> float:
    """Share of the query terms found in ``text`` (English terms by stem), 0..1."""
    if not terms:
        return 0.0
    words = {_stem(t) for t in segment(text)}
    return sum(1 for t in terms if _stem(t) in words) / len(terms)


def term_pattern(terms: Sequence[str], within: str | None = None) -> re.Pattern[str] | None:
    """The regular expression :func:`highlight` marks: English terms by stem, then any ending. ``within``: the
    text(s) it will be used on, to leave out the terms they do not hold (a long query's pattern is compiled
    from the few its passages hold: compiling one alternative per term of a claim costs more than the search
    of the whole page's passages; what it marks is the same)."""
    folded = within.casefold() if within is not None else None
    parts = []
    for t in sorted({_stem(t) for t in terms}, key=len, reverse=True):
        if folded is not None and t.casefold() not in folded:
            continue
        if _LATIN.match(t):
            parts.append(rf"\b{re.escape(t)}\w*")
        elif len(t) >= 2 or not t.isascii():
            parts.append(re.escape(t))
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def highlight(text: str, terms: Sequence[str], pattern: re.Pattern[str] | None = None) -> str:
    """``text`` as HTML: escaped, each occurrence of a query term wrapped in ``<mark>``. ``pattern``: the
    terms' :func:`term_pattern`, made once for the many texts of one query."""
    pattern = pattern or term_pattern(terms)
    if pattern is None:
        return html.escape(text)
    out, last = [], 0
    for m in pattern.finditer(text):
        if m.end() == m.start():
            continue
        out.append(html.escape(text[last : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class Sentences:
    """A document's texts (title, keywords, abstract, claims ...) cut into sentences once, for the windows of
    every query that finds it: the lower-cased text of each sentence, and its words (stemmed), segmented on
    first need. Safe to share between threads (a sentence two threads segment at once is segmented twice)."""

    def __init__(self, texts: Sequence[str | None]) -> None:
        self.texts = [s for s in (split_sentences(t) for t in texts) if s]
        self._lower = [[s.lower() for s in t] for t in self.texts]
        self._all = "\n".join(s for t in self._lower for s in t)  # every sentence, lower-cased
        self._words: dict[tuple[int, int], frozenset[str]] = {}

    def present(self, stems: Sequence[str]) -> list[int]:
        """Positions of the stems that occur anywhere in the document's sentences (one search each over the whole
        text: a long query's stems, mostly absent, are then not looked for sentence by sentence)."""
        return [k for k, st in enumerate(stems) if st and st in self._all]

    def held(self, stems: Sequence[str], t: int, i: int, among: Sequence[int]) -> set[int]:
        """Positions of the query terms (by stem) that are words of sentence ``i`` of text ``t``: a word of a
        text is a piece of it, so a sentence is segmented only when a stem is in its text at all. ``among``:
        the positions to look at (:meth:`present`)."""
        low = self._lower[t][i]
        maybe = [k for k in among if stems[k] and stems[k] in low]
        if not maybe:
            return set()
        words = self._words.get((t, i))
        if words is None:
            words = self._words[(t, i)] = frozenset(_stem(w) for w in segment(self.texts[t][i]))
        return {k for k in maybe if stems[k] in words}


def candidates(terms: Sequence[str], texts: Sequence[str | None] | Sentences, keep: int = 4,
               stems: Sequence[str] | None = None) -> list[tuple[str, float]]:
    """The ``keep`` windows of ``texts`` (title, abstract, claims ...; or their :class:`Sentences`) with the
    most query terms, as (window, overlap); ties keep the text order, so the first sentences win among equals.
    ``stems``: the terms' :func:`term_stems`, when the caller made them once for many documents.

    The overlap of each window is :func:`overlap`'s, found per sentence: a window's words are the words of
    its sentences (they are joined at punctuation or a space, which no word spans)."""
    doc = texts if isinstance(texts, Sentences) else Sentences(texts)
    stems = term_stems(terms) if stems is None else stems
    among = doc.present(stems)
    scored: list[tuple[float, int, int, range]] = []  # (overlap, order, text, its sentences): joined if kept
    for t, sentences in enumerate(doc.texts):
        held = [doc.held(stems, t, i, among) for i in range(len(sentences))]
        n = len(sentences)
        for g in [range(n)] if n <= 2 else [range(i, i + 2) for i in range(n - 1)]:
            found = set().union(*(held[i] for i in g))
            ov = len(found) / len(terms) if terms else 0.0
            scored.append((ov, len(scored), t, g))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [(_join([doc.texts[t][i] for i in g]), ov) for ov, _, t, g in scored[:keep]]


def contested(cands: Sequence[tuple[str, float]], margin: float) -> list[tuple[str, float]]:
    """The candidates (best overlap first, as :func:`candidates` gives them) whose overlap comes within
    ``margin`` of the best one's, when there are several: the cosine may decide between them. Empty when
    the best overlap leads by ``margin`` or more (or there is one candidate): the overlap decides."""
    if len(cands) < 2:
        return []
    top = cands[0][1]
    close = [c for c in cands if top - c[1] < margin - 1e-9]
    return close if len(close) > 1 else []


def best_window(
    cands: Sequence[tuple[str, float]], cosines: Sequence[float] | None = None, space: str | None = None
) -> str | None:
    """The candidate with the best mix of term overlap and embedding cosine (equal weights).

    The windows of one result are compared with each other only, in one space; with ``space`` the cosines
    are calibrated first (:func:`ipcockpit.search.embedding.calibrated`), so that the cosine weighs the same
    against the overlap in every space (raw multilingual-e5 cosines of any two texts sit near 0.8)."""
    if not cands:
        return None
    if cosines is None:
        return cands[0][0]
    if space is not None:
        from ipcockpit.search.embedding import calibrated

        cosines = [float(c) for c in calibrated(np.asarray(cosines, dtype=np.float64), space)]
    scores = [0.5 * ov + 0.5 * float(c) for (_, ov), c in zip(cands, cosines, strict=True)]
    return cands[max(range(len(cands)), key=scores.__getitem__)][0]
