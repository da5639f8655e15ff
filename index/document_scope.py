"""A second stage for an archive: rank again inside the document the first stage chose, by its own statistics.

Every signal of the ranking depends on statistics of the corpus it runs over: BM25's idf, the token
idf that weights late interaction, the standardisation of each signal over the candidates, the
lede's vocabulary and the names. Over one article they are the article's own. Over an archive they
are the archive's: "police" or "raid" are rare among scripture and manuals and weigh more, and the
article's passages are standardised among distractors, so the archive reorders the article's own
passages (docs/scaling.md: on the dev set every question that lost its right first passage kept a
passage of the article first, only not the right one).

So in a corpus of several documents the first stage (archive-wide, as before) says which document
answers, the document of its first passage, and the second ranks that document's passages as if it
were the only one: an in-process ``Retriever`` over a sub-index of that document, with its idf,
its BM25, its lede, its names and its hub scores, whichever engine holds the archive. With one
document the second stage would repeat the first exactly, so it is skipped. Sub-indexes are built
on first use from rows the engine already holds (vectors, token vectors, per-document df: nothing
is encoded) and the last ``size`` of them are kept. Measured on the archive benchmark
(docs/scaling.md): hit@1 on the dev set 0.827 → 0.904, the article alone's.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from .chunking import Passage
from .dense import build_dense_index
from .encoded import idf_from_df, sentence_df
from .store import Index

if TYPE_CHECKING:
    from .milvus_retriever import MilvusRetriever
    from .ranking import Ranker
    from .retriever import Retriever

CACHE = 32


class DocumentScope(ABC):
    """Per-document retrievers, built on demand from an engine's rows and kept in an LRU of ``size``."""

    def __init__(self, parent: Ranker, size: int = CACHE) -> None:
        self.parent = parent
        self.size = size
        self._cache: OrderedDict[str, Retriever] = OrderedDict()
        self._lock = threading.Lock()  # a worker's threads share the cache (gunicorn gthread)

    @property
    @abstractmethod
    def usable(self) -> bool:
        """Whether a second stage can change anything: several documents, and what their statistics need."""

    @abstractmethod
    def _index(self, document: str) -> Index:
        """``document`` alone, as an in-process index."""

    def _child(self, index: Index) -> Retriever:
        """An in-process retriever over ``index`` ranking as the engine's does (it has no second stage)."""
        from .retriever import Retriever  # the retriever module imports this one

        p = self.parent
        child = Retriever(p.encoder, index, p.weights, cache_size=0, idf_power=p.idf_power, scoped=False)
        child.count_prior = p.count_prior  # one cache of word meanings a worker, not one a document
        return child

    def retriever(self, document: str) -> Retriever:
        """The retriever of ``document`` alone (built on first use, once however many threads ask for it)."""
        with self._lock:
            found = self._cache.get(document)
            if found is not None:
                self._cache.move_to_end(document)
                return found
            built = self._child(self._index(document))
            self._cache[document] = built
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
            return built


def document_index(
    manifest: dict,
    passages: list[Passage],
    passage_vectors: np.ndarray,
    sentence_vectors: np.ndarray,
    token_vectors: np.ndarray,
    token_offsets: np.ndarray,
    token_idf: np.ndarray,
    token_ids: np.ndarray | None = None,
) -> Index:
    """An in-process index of one document's rows (exact FAISS: a document is small)."""
    sentence_passage = np.array([row for row, p in enumerate(passages) for _ in p.sentences], dtype=np.int64)
    return Index(
        manifest=manifest,
        passages=passages,
        sentence_passage=sentence_passage,
        sentence_faiss=build_dense_index(sentence_vectors),
        passage_faiss=build_dense_index(passage_vectors),
        token_vectors=token_vectors,
        token_offsets=token_offsets,
        token_idf=token_idf,
        token_ids=token_ids,
    )


class FaissDocumentScope(DocumentScope):
    """Documents of a FAISS index: their rows sliced from what the worker holds."""

    parent: Retriever

    def __init__(self, parent: Retriever, size: int = CACHE) -> None:
        super().__init__(parent, size)
        rows: dict[str, list[int]] = {}
        for row, passage in enumerate(parent.passages):
            rows.setdefault(passage.document, []).append(row)
        # A document's passages are contiguous in the index (it is written document by document).
        self.rows = {doc: np.array(found, dtype=np.int64) for doc, found in rows.items()}

    @property
    def usable(self) -> bool:
        return len(self.rows) > 1 and self.parent.index.token_ids is not None

    def _index(self, document: str) -> Index:
        parent, index = self.parent, self.parent.index
        if index.token_ids is None:
            raise ValueError("a document scope needs the index's token ids (rebuild the index)")
        rows = self.rows[document]
        first = int(parent.first_sentence[rows[0]])
        last = int(parent.first_sentence[rows[-1]]) + len(parent.passages[rows[-1]].sentences)
        offsets = index.token_offsets[first : last + 1]
        ids = index.token_ids[offsets[0] : offsets[-1]]
        local = offsets - offsets[0]
        return document_index(
            index.manifest,
            [parent.passages[r] for r in rows],
            parent.passage_vectors[rows],
            parent.sentence_vectors[first:last],
            index.token_vectors[offsets[0] : offsets[-1]],
            local,
            idf_from_df(sentence_df(ids, local), last - first),
            ids,
        )


class MilvusDocumentScope(DocumentScope):
    """Documents held in Milvus: their rows fetched once, their idf from their stored statistics."""

    parent: MilvusRetriever

    def __init__(self, parent: MilvusRetriever, size: int = CACHE) -> None:
        super().__init__(parent, size)

    @property
    def usable(self) -> bool:
        return len(self.parent.document_stats) > 1

    def _index(self, document: str) -> Index:
        parent = self.parent
        stats = parent.document_stats[document]
        fetched = parent.store.fetch(parent.store.passage_ids(document))
        df = stats.added_to(np.zeros(len(parent.token_idf), dtype=np.int64))
        return document_index(
            {},
            fetched.passages,
            fetched.passage_vectors,
            fetched.sentence_vectors,
            np.concatenate(fetched.tokens),
            np.concatenate([[0], np.cumsum(fetched.token_lengths)]).astype(np.int64),
            idf_from_df(df, stats.sentences),
        )
