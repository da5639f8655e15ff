"""The FAISS index for dense search, chosen by corpus size.

Vectors are unit length, so inner product is cosine similarity. Below ``EXACT_LIMIT`` vectors an
exact flat index answers in about a millisecond with perfect recall, so nothing approximate is
worth its recall loss. Above it, an inverted-file index (IVF, flat lists) keeps search time
flat as the corpus grows; ``nprobe`` is set for recall@10 >= 0.95 against exact search, as
measured by ``python -m bench scale`` on structured vectors (docs/performance.md).
"""

from __future__ import annotations

import math

import faiss
import numpy as np

EXACT_LIMIT = 50_000
IVF_NPROBE = 16


def build_dense_index(vectors: np.ndarray, exact_limit: int = EXACT_LIMIT) -> faiss.Index:
    """An exact flat index for small corpora, IVF above ``exact_limit`` vectors."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n <= exact_limit:
        exact = faiss.IndexFlatIP(dim)
        exact.add(vectors)
        return exact
    nlist = int(4 * math.sqrt(n))  # the usual 4·sqrt(n) lists: ~16 k vectors scanned at nprobe 16 for 1 M
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).choice(n, size=min(n, 40 * nlist), replace=False)]
    ivf.train(sample)
    ivf.add(vectors)
    ivf.nprobe = IVF_NPROBE
    return ivf


def describe(index: faiss.Index) -> str:
    """A short name for the manifest."""
    if isinstance(index, faiss.IndexIVFFlat):
        return f"IndexIVFFlat (nlist={index.nlist}, nprobe={index.nprobe}, inner product)"
    return "IndexFlatIP (exact cosine)"


def prepare_for_rescoring(index: faiss.Index) -> None:
    """IVF indexes need a direct map before vectors can be read back by id."""
    if isinstance(index, faiss.IndexIVF):
        index.make_direct_map()
