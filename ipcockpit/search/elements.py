"""Claim elements and product features: a claim or a description cut into the phrases FTO compares.

An independent claim is read as a *preamble* and the *elements* of its body (the all-elements rule
compares a product with each element). The body starts after the transition: ``comprising``,
``consisting (essentially) of``, ``including``, ``wherein the improvement comprises``, ``characterized
in that`` (a colon right after the transition, as in ``comprising the steps of:``, is skipped too); in
Chinese after ``其特征在于`` / ``特征是``, and a ``包括`` / ``包含`` list before it also holds elements (the
前序部分 of a two-part claim limits the claim as much as the characterising part). Without a
transition, ``having`` / ``that has`` / ``with`` are tried; without any, the whole claim is the body.

The body is cut at ``;`` / ``；`` (``; and`` included), line breaks, Chinese ``。`` inside the claim and
enumerations (``(a)``, ``b)``, ``(1)``, ``步骤1：``, ``步骤二、``). A short Chinese component list
(``包括无人机、图像采集模块、GPS模块和通信模块``) becomes one element per component. A body that is
still a single long sentence is cut at its comma clauses (English: before ``a/an/the/said/wherein
...``; Chinese: at ``，``), fragments shorter than :data:`MIN_CHARS` joining the one before.

Every :class:`Element` keeps its character span in the text it came from, so a report can highlight
it: ``text == source[start:end]`` always holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: fragments shorter than this (characters) are joined to the one before
MIN_CHARS = {"en": 18, "zh": 6}
#: a single body sentence longer than this is cut at its comma clauses
LONG_CHARS = {"en": 180, "zh": 60}
#: a Chinese list item longer than this means the 、 list is not a component list
LIST_ITEM_CHARS = 16

_CJK = re.compile(r"[\u3400-\u9fff]")
_NUMBER = re.compile(r"\s*(?:\d{1,3}\s*[.．、:：)）]\s*)")
_EN_TRANSITIONS = re.compile(
    r"\b(?:wherein\s+the\s+improvement\s+(?:comprises|comprising|includes|including|consists\s+of)|"
    r"the\s+improvement\s+(?:comprising|including)|"
    r"(?:which|that)\s+(?:comprises|includes|consists\s+of)|comprising|comprises|"
    r"consisting\s+essentially\s+of|consisting\s+of|consists\s+of|including|includes)\b",
    re.I,
)
_EN_CHARACTERISED = re.compile(r"\b(?:characteri[sz]ed\s+(?:in\s+that|by)|the\s+improvement\s+being)\b", re.I)
_EN_WEAK = re.compile(r"\b(?:having|(?:that|which)\s+(?:has|have)|with)\b", re.I)
_ZH_CHARACTERISED = re.compile(r"其特征在于|其特征是|特征在于")
_ZH_TRANSITIONS = re.compile(r"包括|包含|由.{1,20}?组成|设有|具有")
#: right after a transition: a colon, "the steps of:", 以下步骤：
_AFTER_EN = re.compile(r"\s*(?:the\s+(?:following\s+)?steps?\s+of|at\s+least|following)?\s*[:：]")
_AFTER_ZH = re.compile(
    r"(?:[，,：:\s]*(?:所述\S{0,12}?(?:包括|包含)|包括|包含)?(?:以下|如下)?(?:步骤|部件|结构)?[：:，,]?)"
)
_SEPARATORS = re.compile(r"[;；]|\n+|。(?=.)")
_ENUM = re.compile(
    r"(?:(?<=\s)|(?<=^)|(?<=[：:，,;；]))(?:\(\s*[a-zA-Z0-9ivx]{1,4}\s*\)|[a-zA-Z]\)|\d{1,2}\)|"
    r"[（(]\s*\d{1,2}\s*[)）]|步骤\s*[0-9一二三四五六七八九十]+\s*[：:、.．]?)"
)
_EN_CLAUSE = re.compile(
    r",\s+(?=(?:and\s+)?(?:a|an|the|said|wherein|whereby|at\s+least|means|one\s+or\s+more|"
    r"a\s+plurality|each|two|first|second)\b)",
    re.I,
)
_ZH_CLAUSE = re.compile(r"[，,]")
#: a label at the start of an element: (a), b), (1), 2), a., 步骤1：
_LABEL = re.compile(
    r"(?:\(\s*[a-zA-Z0-9ivx]{1,4}\s*\)|[a-zA-Z]\)|\d{1,2}\)|[（(]\s*\d{1,2}\s*[)）]|[a-z]\.(?=\s)|"
    r"步骤\s*[0-9一二三四五六七八九十]+\s*[：:、.．]?)"
)
#: pieces cut at separators shorter than this are joined to the one before
MIN_PIECE = 3
_LEAD = re.compile(
    r"(?:[\s,，、:：;；.。]+|(?:and|or|further|then)\b\s*|(?:以及|并且|并|且|和|及|还包括|包括|包含)"
    r"(?=.{4}))",
    re.I,
)
_TAIL = re.compile(r"(?:[\s,，、:：;；.。]+|\s+(?:and|or)|(?:以及|和|及))$", re.I)
_ZH_LIST_LEAD = re.compile(r"^(?:还|并|分别)?(?:包括|包含|设有|设置有|具有|安装有)?")
_ZH_LIST_SPLIT = re.compile(r"、|(?:和|及|以及)(?=[^、]*$)")
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'])|[。！？!?]+|[;；]|\n+")


@dataclass(frozen=True)
class Element:
    """A phrase of a claim or description: its text, its span in the source and its kind
    (``preamble``, ``element`` or ``feature``)."""

    text: str
    start: int
    end: int
    kind: str = "element"

    @property
    def span(self) -> tuple[int, int]:
        return (self.start, self.end)

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "span": [self.start, self.end], "kind": self.kind}


def language(text: str) -> str:
    """``zh`` when a tenth or more of the letters are CJK characters, else ``en``."""
    letters = sum(1 for ch in text if ch.isalpha())
    cjk = len(_CJK.findall(text))
    return "zh" if letters and cjk * 10 >= letters else "en"


def _trim(source: str, start: int, end: int) -> tuple[int, int]:
    """Narrow [start, end) past leading connectors/punctuation and trailing punctuation/conjunctions."""
    changed = True
    while changed and start < end:
        changed = False
        m = _LEAD.match(source, start, end)
        if m and m.end() > start:
            start, changed = m.end(), True
        m = _TAIL.search(source[start:end])
        if m and m.start() < end - start:
            end, changed = start + m.start(), True
    return start, end


def _cuts(
    source: str, start: int, end: int, pattern: re.Pattern[str], keep: bool = False
) -> list[tuple[int, int]]:
    """[start, end) cut at the matches of ``pattern`` (the match dropped, or kept at the next piece's start)."""
    pieces, pos = [], start
    for m in pattern.finditer(source, start, end):
        if m.start() == start and keep:
            continue
        pieces.append((pos, m.start()))
        pos = m.start() if keep else m.end()
    pieces.append((pos, end))
    return [(a, b) for a, b in pieces if b > a]


def _merge_short(source: str, spans: list[tuple[int, int]], least: int) -> list[tuple[int, int]]:
    """Trimmed spans; one shorter than ``least`` characters joins the one before (the first, the next)."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        a, b = _trim(source, a, b)
        if b <= a:
            continue
        if out and (b - a) < least:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    if len(out) > 1 and (out[0][1] - out[0][0]) < least:
        out[1] = (out[0][0], out[1][1])
        out.pop(0)
    return out


def _zh_list(source: str, a: int, b: int) -> list[tuple[int, int]]:
    """A short Chinese component list (包括A、B和C) as one span per component, else the span itself."""
    text = source[a:b]
    if "、" not in text or "，" in text or "," in text:
        return [(a, b)]
    lead = _ZH_LIST_LEAD.match(text)
    offset = a + (lead.end() if lead else 0)
    items = _cuts(source, offset, b, _ZH_LIST_SPLIT)
    if len(items) < 2 or any((y - x) > LIST_ITEM_CHARS for x, y in items):
        return [(a, b)]
    return items


def _split_body(source: str, start: int, end: int, lang: str, *, lists: bool = True) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for a, b in _cuts(source, start, end, _SEPARATORS):
        for x, y in _cuts(source, a, b, _ENUM, keep=True):
            x, y = _trim(source, x, y)
            m = _LABEL.match(source, x, y)
            if m:  # the enumeration label is not part of the element
                x, y = _trim(source, m.end(), y)
            if y > x:
                spans.append((x, y))
    spans = _merge_short(source, spans, MIN_PIECE)
    if len(spans) == 1 and (spans[0][1] - spans[0][0]) > LONG_CHARS[lang]:
        a, b = spans[0]
        spans = _merge_short(
            source, _cuts(source, a, b, _EN_CLAUSE if lang == "en" else _ZH_CLAUSE), MIN_CHARS[lang]
        )
    if lang == "zh" and lists and spans and "所述" not in source[spans[0][0] : spans[0][1]]:
        spans = _zh_list(source, *spans[0]) + spans[1:]  # the components right after the transition
    return spans


def _skip_after(source: str, pos: int, end: int) -> int:
    """Past a colon, "the steps of:" or 包括以下步骤： right after a transition."""
    ends = [m.end() for m in (_AFTER_EN.match(source, pos, end), _AFTER_ZH.match(source, pos, end)) if m]
    return max([pos, *ends])


def _en_parts(claim: str, start: int, end: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    """(preamble span, body spans before cutting) of an English claim."""
    m = _EN_TRANSITIONS.search(claim, start, end)
    ch = _EN_CHARACTERISED.search(claim, start, end)
    if ch and (not m or ch.start() < m.start()):  # "X, characterized in that ..." (no earlier transition)
        return (start, ch.start()), [(_skip_after(claim, ch.end(), end), end)]
    if not m:
        m = _EN_WEAK.search(claim, start, end)
    if not m:
        return None, [(start, end)]
    body = [(_skip_after(claim, m.end(), end), end)]
    if ch:  # "X comprising A and B, characterized in that C": A and B, then C
        body = [
            (_skip_after(claim, m.end(), ch.start()), ch.start()),
            (_skip_after(claim, ch.end(), end), end),
        ]
    return (start, m.start()), body


def _zh_parts(claim: str, start: int, end: int) -> tuple[tuple[int, int] | None, list[tuple[int, int]]]:
    ch = _ZH_CHARACTERISED.search(claim, start, end)
    head_end = ch.start() if ch else end
    m = _ZH_TRANSITIONS.search(claim, start, head_end)
    body: list[tuple[int, int]] = []
    if m:
        preamble = (start, m.start())
        body.append((m.end() if m.group(0) in ("包括", "包含") else m.start(), head_end))
    elif ch:
        preamble = (start, head_end)
    else:
        return None, [(start, end)]
    if ch:
        body.append((_skip_after(claim, ch.end(), end), end))
    return preamble, body


def claim_elements(claim: str, lang: str | None = None) -> list[Element]:
    """The preamble (if any) and the elements of one claim, each with its span in ``claim``."""
    if not claim or not claim.strip():
        return []
    lang = lang if lang in ("en", "zh") else language(claim)
    start, end = _trim(claim, 0, len(claim))
    m = _NUMBER.match(claim, start, end)
    if m:
        start = m.end()
    end = _trim(claim, start, end)[1]
    preamble, bodies = (_zh_parts if lang == "zh" else _en_parts)(claim, start, end)
    out: list[Element] = []
    if preamble:
        a, b = _trim(claim, *preamble)
        if b > a:
            out.append(Element(claim[a:b], a, b, "preamble"))
    for a, b in bodies:
        for x, y in _split_body(claim, a, b, lang):
            out.append(Element(claim[x:y], x, y, "element"))
    if not any(e.kind == "element" for e in out) and out:  # a claim that is all preamble: it is the element
        e = out.pop()
        out.append(Element(e.text, e.start, e.end, "element"))
    return out


def features(description: str, lang: str | None = None) -> list[Element]:
    """A product description cut into sentences and feature phrases, each with its span: sentences (``.``
    ``!`` ``?`` ``。`` ``；`` line breaks), long English sentences at their clauses like a claim body,
    Chinese sentences at ``，``."""
    if not description or not description.strip():
        return []
    lang = lang if lang in ("en", "zh") else language(description)
    spans: list[tuple[int, int]] = []
    for a, b in _cuts(description, 0, len(description), _SENTENCES):
        a, b = _trim(description, a, b)
        if b <= a:
            continue
        if lang == "zh":  # Chinese features are the comma clauses of a sentence
            spans += _merge_short(description, _cuts(description, a, b, _ZH_CLAUSE), MIN_CHARS["zh"])
        elif (b - a) > LONG_CHARS[lang]:
            spans += _split_body(description, a, b, lang, lists=False)
        else:
            spans.append((a, b))
    spans = _merge_short(description, spans, MIN_PIECE)
    return [Element(description[a:b], a, b, "feature") for a, b in spans]


def body(elements: list[Element]) -> list[Element]:
    """The elements the all-elements rule counts (the preamble excluded)."""
    return [e for e in elements if e.kind == "element"]
