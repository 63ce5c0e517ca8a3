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


def overlap(terms: Sequence[str], text: str) -> float:
    """Share of the query terms found in ``text`` (English terms by stem), 0..1."""
    if not terms:
        return 0.0
    words = {_stem(t) for t in segment(text)}
    return sum(1 for t in terms if _stem(t) in words) / len(terms)


def _pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    parts = []
    for t in sorted({_stem(t) for t in terms}, key=len, reverse=True):
        if _LATIN.match(t):
            parts.append(rf"\b{re.escape(t)}\w*")
        elif len(t) >= 2 or not t.isascii():
            parts.append(re.escape(t))
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def highlight(text: str, terms: Sequence[str]) -> str:
    """``text`` as HTML: escaped, each occurrence of a query term wrapped in ``<mark>``."""
    pattern = _pattern(terms)
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


def candidates(terms: Sequence[str], texts: Sequence[str | None], keep: int = 4) -> list[tuple[str, float]]:
    """The ``keep`` windows of ``texts`` (title, abstract, claims ...) with the most query terms, as
    (window, overlap); ties keep the text order, so the first sentences win among equals."""
    scored: list[tuple[float, int, str]] = []
    for text in texts:
        for w in windows(text):
            scored.append((overlap(terms, w), len(scored), w))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [(w, s) for s, _, w in scored[:keep]]


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
