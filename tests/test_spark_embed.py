"""``ipcockpit index --engine spark``: local Spark embeds the same vectors as the local engine, writes them as
Parquet parts, and the index built from them answers searches as the local one does. Real shared data: 2 x 10
US abstracts (space ``en``, MiniLM ONNX) and the 11 Chinese documents of the CN table export (``multi``,
multilingual-e5-small through its ONNX copy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ipcockpit.app import Cockpit
from ipcockpit.search import e5_onnx, spark_embed, vector_parts
from ipcockpit.search import embedding as emb
from ipcockpit.search.index import build_index, read_manifest
from ipcockpit.search.vectors import VectorIndex
from ipcockpit.settings import Settings
from tests.test_search_index import us_subset
from tests.test_search_index_resume import same_index

pytestmark = pytest.mark.spark
ROWS = 10
CN = 11


@pytest.fixture(scope="module")
def session(spark_session: object) -> object:
    """The process's one local Spark session (tests/conftest.py): stopping a session of its own here would stop
    that one too (a running session is reused) under the Spark tests of other modules."""
    return spark_session


@pytest.fixture(scope="module")
def store(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cockpit]:
    tmp = tmp_path_factory.mktemp("spark_embed")
    us_subset(shared, tmp / "us", ROWS)
    with Cockpit(Settings(db=str(tmp / "store.duckdb"))) as c:
        c.ingest([tmp / "us", shared / "cn" / "table_export_sample"])
        yield c


def test_spark_embeds_the_same_vectors_and_index(store: Cockpit, session, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    con = store.store.con
    local = build_index(con, tmp_path / "local")
    assert local["embedded_by_space"] == {"en": 2 * ROWS, "multi": CN}

    monkeypatch.setattr(spark_embed, "DOCS_PER_TASK", 8)  # 31 texts: 4 tasks on the 2 cores
    seen: dict[str, pa.Table] = {}

    def keep_parts(stage: str, done: int, total: int) -> None:
        if stage == "save" and not seen:  # the parts are there until the index files are written
            for p in vector_parts.parts(tmp_path / "spark" / "partial"):
                seen[p.path] = pa.parquet.read_table(p.path)

    on_spark = build_index(con, tmp_path / "spark", engine="spark", spark=session, progress=keep_parts)
    assert on_spark["engine"] == "spark" and on_spark["embedded_by_space"] == local["embedded_by_space"]

    # the vectors as Parquet: (doc_id, space, embed_hash, vector), one row per document
    parts = pa.concat_tables(seen.values())
    assert parts.schema.names == ["doc_id", "space", "embed_hash", "vector"]
    assert parts.num_rows == 2 * ROWS + CN and len(set(parts.column("doc_id").to_pylist())) == 2 * ROWS + CN
    assert len(seen) >= 4  # one part per batch and space of each task, at least one per task
    manifest = {r["doc_id"]: r for r in read_manifest(tmp_path / "local").to_pylist()}
    for row in parts.to_pylist():
        assert (row["space"], row["embed_hash"]) == (manifest[row["doc_id"]]["space"],
                                                     manifest[row["doc_id"]]["embed_hash"])

    # the same vectors in both spaces (cosine >= 0.99999; in fact equal), the same index files and answers
    for space in ("en", "multi"):
        a, b = (VectorIndex.open(tmp_path / f, f"vec_{space}") for f in ("local", "spark"))
        keys = sorted(a.keys())
        assert keys == sorted(b.keys()) and len(keys) == {"en": 2 * ROWS, "multi": CN}[space]
        cos = np.sum(a.vectors(keys) * b.vectors(keys), axis=1)
        assert cos.min() >= 0.99999, (space, float(cos.min()))
        from_parts = {r["doc_id"]: r["vector"] for r in parts.to_pylist() if r["space"] == space}
        assert np.array_equal(np.array([from_parts[k] for k in keys], dtype=np.float32), b.vectors(keys))
    same_index(con, tmp_path / "local", tmp_path / "spark")
    assert not (tmp_path / "spark" / "partial").exists()


def test_executors_use_the_shipped_model_copy(session) -> None:
    """The multilingual model's ONNX copy reaches the Python workers through addFile, and they run it."""
    models = {s: emb.model_id(s) for s in emb.spaces()}
    shipped = spark_embed.ship_models(session, models)
    runtime = emb.model_info("multi")["runtime"]
    assert runtime == "onnx-int8"  # the shipped runtime (session 13)
    assert shipped == e5_onnx.ensure_built(variant=runtime.removeprefix("onnx-")).name
    runtimes = spark_embed._runtimes(models)
    assert runtimes == {"multi": runtime}

    def look(_: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import os

        spark_embed._prepare_worker(runtimes, shipped)
        root = os.environ[e5_onnx.CACHE_ENV]
        yield pa.RecordBatch.from_pylist([{"root": root, "found": e5_onnx.ensure_built().parent == Path(root)}])

    rows = session.range(1, numPartitions=1).mapInArrow(look, "root string, found boolean").collect()
    assert rows[0]["found"] and rows[0]["root"] != str(e5_onnx.cache_root())
