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
