"""The search index's Chinese words (lexical.segment) run on rjieba (jieba-rs) and must be jieba's own:
the index, the queries, the passages and the indexes built before the switch all rest on the same words.
Checked on real Chinese text: titles, abstracts and claims of the shared corpora."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from ipcockpit.search import lexical

FILES = ("cn/titles_ipc_lxingy3/oof_predictions.csv", "cn/abstracts_cpc_liaoleyuan/sample_val.csv",
         "cn/claims_ud/zh_patentchar-ud-test.conllu", "cn/cnki_export_sysu")


def _runs(shared: Path) -> list[str]:
    runs: list[str] = []
    for name in FILES:
        path = shared / name
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if f.is_file() and f.suffix in (".csv", ".conllu", ".txt", ".xls", ".tsv"):
                text = f.read_text(encoding="utf-8", errors="ignore")
                runs += [p for i, p in enumerate(lexical._CJK.split(text)) if i % 2 and p]
    return runs


def test_segment_gives_jiebas_search_mode_words_on_real_chinese(shared: Path) -> None:
    jieba = pytest.importorskip("jieba")  # the test extra: the reference, no longer a runtime dependency
    jieba.setLogLevel(logging.WARNING)
    runs = _runs(shared)
    assert len(runs) > 50_000 and sum(map(len, runs)) > 500_000
    different = [r for r in runs if lexical.segment(r) != [w for w in jieba.cut_for_search(r) if w.strip()]]
    assert not different, (len(different), different[:3])
    # mixed text: CJK runs by jieba, the rest as lower-cased word characters
    assert lexical.segment("无人机电池更换 Drone-Battery 2024年") == (
        [w for w in jieba.cut_for_search("无人机电池更换") if w.strip()] + ["drone", "battery", "2024"]
        + [w for w in jieba.cut_for_search("年") if w.strip()])
