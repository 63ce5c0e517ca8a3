"""Passage highlighting (``search.passages.highlight``): the query's terms marked in an escaped text, English
terms by stem with any ending and in any case, Chinese terms as written; the pattern made from only the terms a
text holds (``term_pattern(terms, within)``, what a search page compiles) marks exactly what the whole query's
pattern marks, on real abstracts."""

from __future__ import annotations

import csv
from pathlib import Path

from ipcockpit.search import passages as psg


def test_terms_are_marked_escaped_by_stem_and_in_any_case() -> None:
    terms = psg.query_terms("Neural networks 神经网络 <b>")  # b: a single letter, not a term
    assert terms == ["neural", "networks", "神经", "网络", "神经网", "神经网络"]
    html = psg.highlight("A NEURAL network & training of networked 神经网络 units <b>", terms)
    assert html == ("A <mark>NEURAL</mark> <mark>network</mark> &amp; training of <mark>networked</mark> "
                    "<mark>神经网络</mark> units &lt;b&gt;")
    assert psg.highlight("nothing here", terms) == "nothing here"
    assert psg.highlight("a < b", []) == "a &lt; b"


def _abstracts(shared: Path) -> list[str]:
    out = []
    with (shared / "abstracts_us" / "neural_network_patent_query.csv").open(encoding="utf-8", newline="") as fh:
        out += [r["patent_abstract"] for _, r in zip(range(40), csv.DictReader(fh), strict=False)]
    with (shared / "cn" / "abstracts_cpc_liaoleyuan" / "sample_val.csv").open(encoding="utf-8-sig",
                                                                              newline="") as fh:
        out += [r["text"] for _, r in zip(range(40), csv.DictReader(fh), strict=False)]
    return out


def test_a_pattern_of_the_held_terms_marks_what_the_whole_query_marks(shared: Path) -> None:
    texts = _abstracts(shared)
    queries = ["neural network training data", "隐私计算 协议 分布式 执行 系统 节点 边缘",
               "A method of classifying images with a convolutional neural network having layers of neurons, "
               "wherein the weights are trained by back-propagation on labelled examples",
               "数据 加密 区块链 neural network 模型 训练", "ſensor Kelvin"]  # long s, Kelvin sign: casefold
    texts.append("The ſensor reads 300 K (Kelvin) from the SENSOR array")
    marked = 0
    for q in queries:
        terms = psg.query_terms(q)
        whole = psg.term_pattern(terms)
        for text in texts:
            mine = psg.term_pattern(terms, text)
            expected = psg.highlight(text, terms, whole)
            assert psg.highlight(text, terms if mine else [], mine) == expected, (q, text[:60])
            marked += "<mark>" in expected
    assert marked > 40  # the queries do mark many of the texts


def _reference_windows(terms: list[str], texts: list[str], keep: int = 4) -> list[tuple[str, float]]:
    """The passage windows by their definition, window by window: a window of two sentences (a text of one or
    two sentences is one window) holds a term when the term's stem is a stemmed word of one of its sentences;
    the most held first, ties in text order."""
    from ipcockpit.search.lexical import segment

    stems = [psg._stem(t) for t in terms]
    scored = []
    for sentences in (s for s in (psg.split_sentences(t) for t in texts) if s):
        words = [{psg._stem(w) for w in segment(s)} for s in sentences]
        n = len(sentences)
        for g in [range(n)] if n <= 2 else [range(i, i + 2) for i in range(n - 1)]:
            held = {k for k, st in enumerate(stems) if st and any(st in words[i] for i in g)}
            scored.append((len(held) / len(terms) if terms else 0.0, len(scored), psg._join([sentences[i] for i in g])))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [(w, ov) for ov, _, w in scored[:keep]]


def test_the_windows_of_a_document_are_the_ones_its_definition_gives(shared: Path) -> None:
    """``candidates`` looks a stem up sentence by sentence only where the document holds it, and segments a
    sentence only when a stem is in its text; the windows and overlaps equal the definition's, on real English
    claims and Chinese abstracts, for words, phrases and whole claims as queries (a claim's terms hold words
    in many sentences)."""
    claims = []
    with (shared / "claims_us" / "single_claim.tsv").open(encoding="utf-8") as fh:
        claims = [line.split("\t", 1)[1].strip() for _, line in zip(range(30), fh, strict=False)]
    docs = [[c] for c in claims] + [[a] for a in _abstracts(shared)] + [[claims[0], claims[1], claims[2]]]
    queries = ["network", "data packets router", "neural network training data", claims[3], claims[7],
               "隐私计算 协议 分布式 执行 系统 节点 边缘", "数据 加密 区块链 模型 训练", "无人机", "the of and"]
    compared = held = 0
    for q in queries:
        terms = psg.query_terms(q)
        stems = psg.term_stems(terms)
        for texts in docs:
            expected = _reference_windows(terms, texts)
            assert psg.candidates(terms, texts) == expected, (q[:40], texts[0][:40])
            assert psg.candidates(terms, psg.Sentences(texts), stems=stems) == expected
            compared += 1
            held += bool(expected and expected[0][1] > 0)
    assert compared == len(queries) * len(docs) and held > 100  # most pairs hold terms: the windows are ranked
