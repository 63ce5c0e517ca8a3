"""An interrupted index build resumes where it stopped: the batches it embedded are not embedded again, and
the index it ends with equals a fresh build's. Real shared data: 2 x 40 US abstracts (space ``en``) and the 11
Chinese documents of the CN table export (space ``multi``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ipcockpit.app import Cockpit
from ipcockpit.cli import app
from ipcockpit.search import embedding as emb
from ipcockpit.search import index as index_mod
from ipcockpit.search import vector_parts
from ipcockpit.search.hybrid import search
from ipcockpit.search.index import build_index, embed_status, index_status, partial_status, read_manifest
from ipcockpit.search.lexical import LexicalIndex
from ipcockpit.search.vectors import VectorIndex
from ipcockpit.settings import Settings
from tests.test_search_index import us_subset

pytestmark = pytest.mark.slow
ROWS = 40  # per abstracts_us file: 80 documents in `en`
CN = 11  # documents of cn/table_export_sample, all Chinese: `multi`
BATCH = 16  # EMBED_BATCH lowered: 5 batches of `en`, 1 of `multi`
runner = CliRunner()


@pytest.fixture
def store(shared: Path, tmp_path: Path) -> Path:
    us_subset(shared, tmp_path / "us", ROWS)
    db = tmp_path / "store.duckdb"
    with Cockpit(Settings(db=str(db))) as c:
        c.ingest([tmp_path / "us", shared / "cn" / "table_export_sample"])
    return db


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(space, text) of every text embedded from here on, in this process."""
    calls: list[tuple[str, str]] = []
    real = emb.embed

    def counting(texts: list[str], space: str | None = None, **kw: object) -> np.ndarray:
        calls.extend((space or "", t) for t in texts)
        return real(texts, space, **kw)

    monkeypatch.setattr(emb, "embed", counting)
    monkeypatch.setattr(index_mod, "EMBED_BATCH", BATCH)
    return calls


def same_index(con, a: Path, b: Path) -> None:
    """Two index folders hold the same documents, vectors, full text and answers (exactly)."""
    ma, mb = (read_manifest(f).sort_by("doc_id") for f in (a, b))
    assert ma.equals(mb)
    for space in ("en", "multi"):
        va, vb = VectorIndex.open(a, f"vec_{space}"), VectorIndex.open(b, f"vec_{space}")
        keys = sorted(va.keys())
        assert keys == sorted(vb.keys()) and keys
        assert np.array_equal(va.vectors(keys), vb.vectors(keys))
    assert sorted(LexicalIndex(a).iter_ids()) == sorted(LexicalIndex(b).iter_ids())
    for query in ("baseball bat with a sweet spot", "神经网络 图像", "neural network training"):
        ra = [(r["doc_id"], round(r["score"], 6)) for r in search(con, a, query, limit=10, weaker=True)]
        rb = [(r["doc_id"], round(r["score"], 6)) for r in search(con, b, query, limit=10, weaker=True)]
        assert ra == rb and ra, query


class Stop(Exception):
    pass


def test_interrupted_build_resumes_without_embedding_again(store: Path, embedded: list[tuple[str, str]],
                                                           tmp_path: Path) -> None:
    folder = tmp_path / "idx"

    def stop_after_three_batches(stage: str, done: int, total: int) -> None:
        if stage == "embed:en" and done >= 3 * BATCH:
            raise Stop  # as Ctrl+C or a crash would, between two batches

    with Cockpit(Settings(db=str(store))) as c:
        with pytest.raises(Stop):
            build_index(c.store.con, folder, progress=stop_after_three_batches)
        first = list(embedded)
        assert [s for s, _ in first] == ["en"] * (3 * BATCH)  # pending texts go by space: en first
        assert not index_status(folder)["exists"]  # no manifest yet: the index files were not touched
        part_files = vector_parts.parts(folder / "partial")
        assert [p.rows for p in part_files] == [BATCH] * 3
        table = pq.read_table(part_files[0].path)
        assert table.schema.names == ["doc_id", "space", "embed_hash", "vector"]
        assert len(table.column("vector")[0]) == emb.dim("en")

        # what --status says meanwhile
        partial = partial_status(folder)
        assert partial["to_embed"] == {"en": 2 * ROWS, "multi": CN} and partial["engine"] == "local"
        assert partial["embedded"] == {"en": 3 * BATCH, "multi": 0}
        status = embed_status(c.store.con, folder)
        assert status["spaces"]["en"] | {"model": None} == {
            "model": None, "index_model": None, "documents": 2 * ROWS, "embedded": 0, "pending": 2 * ROWS,
            "stale": 0, "checkpointed": 3 * BATCH}
        assert status["spaces"]["multi"]["pending"] == CN and status["spaces"]["multi"]["checkpointed"] == 0

        embedded.clear()
        result = build_index(c.store.con, folder)
        assert result["resumed"] == 3 * BATCH
        assert result["embedded_by_space"] == {"en": 2 * ROWS - 3 * BATCH, "multi": CN}
        again = {t for _, t in embedded}
        assert len(embedded) == 2 * ROWS - 3 * BATCH + CN and not again & {t for _, t in first}
        assert not (folder / "partial").exists() and partial_status(folder) is None
        done = embed_status(c.store.con, folder)["spaces"]
        assert done["en"]["embedded"] == 2 * ROWS and done["en"]["pending"] == done["en"]["checkpointed"] == 0
        assert done["en"]["index_model"] == emb.model_id("en")

        embedded.clear()
        fresh = build_index(c.store.con, tmp_path / "fresh")
        assert fresh["embedded"] == 2 * ROWS + CN and fresh["resumed"] == 0
        same_index(c.store.con, folder, tmp_path / "fresh")

        # a changed text is stale until the next build embeds it
        doc = read_manifest(folder).column("doc_id").to_pylist()[0]
        c.store.con.execute("UPDATE texts SET text = text || ' (amended)' WHERE doc_id = ? AND kind = 'abstract'",
                            [doc])
        space = read_manifest(folder).column("space").to_pylist()[0]
        assert embed_status(c.store.con, folder)["spaces"][space]["stale"] == 1


def test_build_killed_by_sigkill_resumes(store: Path, embedded: list[tuple[str, str]]) -> None:
    """A process killed outright (SIGKILL: no handler, no clean-up) after two batches; ``ipcockpit index
    --status`` says how far it got, ``ipcockpit index`` resumes it."""
    script = textwrap.dedent(f"""
        import os, signal
        from ipcockpit.app import Cockpit
        from ipcockpit.search import index
        from ipcockpit.settings import Settings
        index.EMBED_BATCH = {BATCH}
        def tick(stage, done, total):
            if stage == "embed:en" and done >= {2 * BATCH}:
                os.kill(os.getpid(), signal.SIGKILL)
        with Cockpit(Settings(db={str(store)!r})) as c:
            c.index(progress=tick)
    """)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == -signal.SIGKILL, run.stderr
    folder = store.with_suffix(".index")
    assert partial_status(folder)["embedded"] == {"en": 2 * BATCH, "multi": 0}

    status = runner.invoke(app, ["index", "--status", "--json", "--db", str(store)])
    assert status.exit_code == 0, status.output
    data = json.loads(status.stdout)
    assert data["exists"] is False and data["partial"]["to_embed"] == {"en": 2 * ROWS, "multi": CN}
    assert data["embedding"]["spaces"]["en"]["checkpointed"] == 2 * BATCH
    assert data["embedding"]["spaces"]["multi"]["pending"] == CN
    text = runner.invoke(app, ["index", "--status", "--db", str(store)])
    assert text.exit_code == 0 and "待向量化" in text.stdout, text.output
    assert f"已向量化 {2 * BATCH} / {2 * ROWS + CN} 篇" in text.stderr, text.stderr
    bad = runner.invoke(app, ["index", "--engine", "gpu", "--db", str(store)])
    assert bad.exit_code == 2 and "--engine gpu" in bad.stderr

    models = {s: emb.model_id(s) for s in emb.spaces()}
    killed = set(vector_parts.done(folder / "partial", models)["en"])
    with Cockpit(Settings(db=str(store))) as c:
        texts = dict(c.store.con.sql(f"SELECT doc_id, embed_text FROM ({index_mod._docs_sql()})").fetchall())
    again = runner.invoke(app, ["index", "--json", "--db", str(store)])
    assert again.exit_code == 0, again.output
    docs = json.loads(again.stdout)["documents"]
    documents_embedded = [t for _, t in embedded if t in set(texts.values())]  # the claim index embeds too
    assert docs["resumed"] == 2 * BATCH and len(documents_embedded) == docs["embedded"] == 2 * ROWS - 2 * BATCH + CN
    assert len(killed) == 2 * BATCH and not {texts[d] for d in killed} & set(documents_embedded)
    assert docs["documents"] == 2 * ROWS + CN and sum(index_status(folder)["vectors"].values()) == 2 * ROWS + CN
    assert partial_status(folder) is None


def test_an_executor_with_other_weights_refuses(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_pylist([{"doc_id": "D1", "space": "en", "embed_hash": "h", "text": "a bat"}],
                                       schema=vector_parts.PENDING_SCHEMA)
    with pytest.raises(emb.EmbeddingError, match="install the same ipcockpit"):
        list(vector_parts.embed_batches([batch], str(tmp_path), {"en": "minilm-patent@000000000000"}))
    assert vector_parts.parts(tmp_path) == []
