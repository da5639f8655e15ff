"""A second stage for an archive: rank again inside the document the first stage chose, by its own statistics.

Every signal of the ranking depends on statistics of the corpus it runs over: BM25's idf, the token
idf that weights late interaction, the standardisation of each signal over the candidates, the
lede's vocabulary and the names. Over one article they are the article's own. Over an archive they
are the archive's: "police" or "raid" are rare among scripture and manuals and weigh more, and the
article's passages are standardised among distractors, so the archive reorders the article's own
passages (measured in docs/scaling.md: on the dev set every question that lost its right first
passage kept a passage of the article first, only not the right one).

So in a corpus of several documents, the first stage (archive-wide, as before) says which document
answers, the document of its first passage, and the second ranks that document's passages as if it
were the only one: a ``Retriever`` over a sub-index of that document, with its idf, its BM25, its
lede and its hub scores. With one document the second stage would repeat the first exactly, so it
is skipped. Sub-indexes are built on first use from rows the worker already holds (vectors, token
vectors and token ids: no encoding), and the last ``size`` of them are kept.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from .dense import build_dense_index
from .encoded import idf_from_df, sentence_df
from .store import Index

if TYPE_CHECKING:
    from .retriever import Retriever

CACHE = 32


class DocumentScope:
    """Per-document retrievers over the rows of one loaded index, built on demand and kept in an LRU."""

    def __init__(self, parent: Retriever, size: int = CACHE) -> None:
        self.parent = parent
        self.size = size
        self._cache: OrderedDict[str, Retriever] = OrderedDict()
        rows: dict[str, list[int]] = {}
        for row, passage in enumerate(parent.passages):
            rows.setdefault(passage.document, []).append(row)
        # A document's passages are contiguous in the index (it is written document by document).
        self.rows = {doc: np.array(found, dtype=np.int64) for doc, found in rows.items()}

    @functools.cached_property
    def usable(self) -> bool:
        """A second stage needs several documents, and token ids to count the document's own idf."""
        return len(self.rows) > 1 and self.parent.index.token_ids is not None

    def retriever(self, document: str) -> Retriever:
        """The retriever of ``document`` alone (built on first use)."""
        found = self._cache.get(document)
        if found is not None:
            self._cache.move_to_end(document)
            return found
        built = self._build(document)
        self._cache[document] = built
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return built

    def _build(self, document: str) -> Retriever:
        from .retriever import Retriever  # the retriever module imports this one

        parent = self.parent
        index = parent.index
        rows = self.rows[document]
        first = int(parent.first_sentence[rows[0]])
        last = int(parent.first_sentence[rows[-1]]) + len(parent.passages[rows[-1]].sentences)
        offsets = index.token_offsets[first : last + 1]
        tokens = index.token_vectors[offsets[0] : offsets[-1]]
        if index.token_ids is None:
            raise ValueError("a document scope needs the index's token ids (rebuild the index)")
        ids = index.token_ids[offsets[0] : offsets[-1]]
        local_offsets = offsets - offsets[0]
        idf = idf_from_df(sentence_df(ids, local_offsets), last - first)
        sub = Index(
            manifest=index.manifest,
            passages=[parent.passages[r] for r in rows],
            sentence_passage=parent.sentence_passage[first:last] - rows[0],
            sentence_faiss=build_dense_index(parent.sentence_vectors[first:last]),
            passage_faiss=build_dense_index(parent.passage_vectors[rows]),
            token_vectors=tokens,
            token_offsets=local_offsets,
            token_idf=idf,
            token_ids=ids,
        )
        return Retriever(parent.encoder, sub, parent.weights, cache_size=0, idf_power=parent.idf_power, scoped=False)
