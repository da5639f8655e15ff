"""A document's share of the index: its passages, vectors, token vectors and token ids, engine-agnostic.

Both engines write ``Encoded`` parts, one per document, so adding a document encodes that document
alone and removing one drops exactly its rows and its contribution to the corpus-wide statistics
(token document frequencies for idf, lede terms, cased words for names).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .chunking import Passage, chunk_documents
from .corpus import Document
from .encoder import Encoder

# Token ids below this are the model's vocabulary (BERT's 30,522); the idf table is at least this long.
VOCABULARY_SIZE = 30522


@dataclass
class Encoded:
    """Passages in corpus order, with one row per sentence / passage / token in the arrays."""

    passages: list[Passage]
    sentence_vectors: np.ndarray  # (sentences, dim) float32
    passage_vectors: np.ndarray  # (passages, dim) float32
    token_vectors: np.ndarray  # (tokens, dim) float16, every sentence's tokens in turn
    token_offsets: np.ndarray  # sentence i owns token rows offsets[i]:offsets[i+1]
    token_ids: np.ndarray  # (tokens,) int32: the vocabulary id of each token row

    @property
    def sentence_count(self) -> int:
        return len(self.token_offsets) - 1

    def documents(self) -> list[str]:
        """The ids of the documents held, in order."""
        return list(dict.fromkeys(p.document for p in self.passages))

    def only(self, document: str) -> Encoded:
        """The rows of one document (its passages are contiguous)."""
        rows = [i for i, p in enumerate(self.passages) if p.document == document]
        if not rows:
            return empty_like(self)
        first, last = rows[0], rows[-1] + 1
        counts = np.array([len(p.sentences) for p in self.passages])
        s0, s1 = int(counts[:first].sum()), int(counts[:last].sum())
        t0, t1 = int(self.token_offsets[s0]), int(self.token_offsets[s1])
        return Encoded(
            self.passages[first:last],
            self.sentence_vectors[s0:s1],
            self.passage_vectors[first:last],
            self.token_vectors[t0:t1],
            self.token_offsets[s0 : s1 + 1] - t0,
            self.token_ids[t0:t1],
        )


def empty_like(other: Encoded) -> Encoded:
    dim = other.passage_vectors.shape[1]
    none = np.zeros((0, dim), dtype=np.float32)
    return Encoded([], none, none, none.astype(np.float16), np.zeros(1, np.int64), np.zeros(0, np.int32))


def encode(documents: Sequence[Document], encoder: Encoder, max_words: int) -> Encoded:
    """Cut and embed ``documents`` (sentence, passage and token vectors)."""
    passages = chunk_documents(list(documents), encoder, encoder.max_tokens, max_words)
    # Sentences of a paragraph with context (the standfirst's byline) are embedded with it too.
    sentence_vectors, tokens = encoder.encode_tokens(
        [f"{p.context} {s.text}" if p.context else s.text for p in passages for s in p.sentences]
    )
    passage_vectors = encoder.encode([p.indexed_text for p in passages])
    offsets = np.cumsum([0] + [len(t.ids) for t in tokens]).astype(np.int64)
    return Encoded(
        passages,
        np.asarray(sentence_vectors, dtype=np.float32),
        np.asarray(passage_vectors, dtype=np.float32),
        np.concatenate([t.vectors for t in tokens]).astype(np.float16),
        offsets,
        np.concatenate([t.ids for t in tokens]).astype(np.int32),
    )


def concat(parts: Sequence[Encoded]) -> Encoded:
    """The parts one after the other (documents in the order given)."""
    parts = [p for p in parts if p.passages]
    offsets = [np.zeros(1, np.int64)]
    base = 0
    for p in parts:
        offsets.append(p.token_offsets[1:] + base)
        base += int(p.token_offsets[-1])
    return Encoded(
        [passage for p in parts for passage in p.passages],
        np.concatenate([p.sentence_vectors for p in parts]),
        np.concatenate([p.passage_vectors for p in parts]),
        np.concatenate([p.token_vectors for p in parts]),
        np.concatenate(offsets).astype(np.int64),
        np.concatenate([p.token_ids for p in parts]).astype(np.int32),
    )


def sentence_df(token_ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """How many sentences hold each token id (a document's contribution to the corpus-wide df)."""
    size = max(VOCABULARY_SIZE, int(token_ids.max()) + 1 if len(token_ids) else 0)
    df = np.zeros(size, dtype=np.int64)
    for s, e in itertools.pairwise(offsets):
        df[np.unique(token_ids[s:e])] += 1
    return df


def idf_from_df(df: np.ndarray, sentences: int) -> np.ndarray:
    """Smoothed idf of every token id over the sentences (ids never seen get the highest)."""
    return np.log((sentences + 1) / (df.astype(np.float64) + 0.5)).astype(np.float32)
