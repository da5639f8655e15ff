"""Hybrid retrieval over the in-process index: FAISS proposes, the shared ranking (``ranking.py``) decides."""

from __future__ import annotations

import functools
import time

import numpy as np

from .chunking import Passage
from .document_scope import FaissDocumentScope
from .encoder import Encoder, TokenVectors
from .fusion import IDF_POWER, Weights
from .hubness import hub_scores
from .lede import LedePrior
from .lexical import LexicalIndex
from .ranking import CANDIDATES, FULL_SCAN_TOKENS, Candidates, Encoded, Hit, Ranker, SearchResult, segment_maxima
from .store import Index
from .token_product import TokenProduct
from .words import cased_words, is_fragment, names_of

__all__ = ["CANDIDATES", "FULL_SCAN_TOKENS", "Hit", "Retriever", "SearchResult"]

# Passages whose token rows the coverage check keeps widened (~200 KB each: 50 MB at most a worker).
PASSAGE_TOKEN_CACHE = 256


class Retriever(Ranker):
    """Ranks passages of an ``Index`` for a query, embedding it once with ``encoder``."""

    index: Index

    def __init__(
        self,
        encoder: Encoder,
        index: Index,
        weights: Weights | None = None,
        cache_size: int = 1024,
        idf_power: float = IDF_POWER,
        scoped: bool = True,
    ) -> None:
        self.index = index
        self.passages = index.passages
        self.sentences = index.sentences
        self.sentence_passage = index.sentence_passage
        self.first_sentence = np.searchsorted(self.sentence_passage, np.arange(len(self.passages)))
        self.sentence_counts = np.array([len(p.sentences) for p in self.passages], dtype=np.int64)
        self.paragraph_of = np.array([p.paragraph for p in self.passages], dtype=np.int64)
        self.sentence_vectors = index.sentence_faiss.reconstruct_n(0, index.sentence_faiss.ntotal)
        self.passage_vectors = index.passage_faiss.reconstruct_n(0, index.passage_faiss.ntotal)
        self.token_count = len(index.token_vectors)
        self.full_scan = self.token_count <= FULL_SCAN_TOKENS
        offsets = index.token_offsets
        # Fixed per index, so computed once rather than per question.
        self.sentence_starts = np.minimum(offsets[:-1], max(self.token_count - 1, 0))  # reduceat's bounds
        self.empty_sentences = (offsets[1:] - offsets[:-1]) == 0
        # A flat search for CANDIDATES passages returns every passage when there are no more than
        # that: the candidates are then all of them, known without searching (50 passages here).
        self.every_passage = np.arange(len(self.passages)) if len(self.passages) <= CANDIDATES else None
        self.all_sentences = np.arange(len(self.sentences))
        if self.full_scan:
            # One product against every token, by ONNX Runtime: four times numpy's speed (token_product.py).
            self.token_product = TokenProduct(index.token_vectors)
        self.sentence_lexical = LexicalIndex([s.text for s in self.sentences])
        self.passage_lexical = LexicalIndex([p.indexed_text for p in self.passages])
        self.passage_number = {p.id: i for i, p in enumerate(self.passages)}
        self.document_ids = frozenset(p.document for p in self.passages)
        cased = cased_words(self.sentences)
        names = names_of(*cased, self.passage_lexical)
        lede = LedePrior.build(self.passages, self.passage_lexical, names)
        self.fragments = np.array([is_fragment(s) for s in self.sentences], dtype=bool)
        self.sentence_hub = hub_scores(self.sentence_vectors, self.sentence_passage)
        self._init_ranking(encoder, index.token_idf, lede, weights, cache_size, idf_power, cased)
        self._passage_tokens = functools.lru_cache(maxsize=PASSAGE_TOKEN_CACHE)(self._widened_tokens)
        # Several documents: the chosen one is ranked again by its own statistics (document_scope.py).
        self.scope = FaissDocumentScope(self) if scoped else None

    def _search(
        self,
        query: str,
        top_k: int = 3,
        weights: Weights | None = None,
        document: str | None = None,
        encoded: Encoded | None = None,
    ) -> SearchResult:
        """The ``top_k`` passages for ``query``, best first; only ``document``'s when it is given."""
        t0 = time.perf_counter()
        qvec, qtok = encoded or self._encode(query)
        encode_ms = (time.perf_counter() - t0) * 1000
        if document is not None:
            self.require_document(document)
            if self._scoped():  # the reader chose the document: the second stage alone
                child = self._in_document(document)
                return child._search_encoded(query, qvec, qtok, top_k, weights or self.weights, encode_ms)
        result = self._search_encoded(query, qvec, qtok, top_k, weights or self.weights, encode_ms)
        if result.hits and self._scoped():
            child = self._in_document(result.hits[0].passage.document)
            return child._search_encoded(query, qvec, qtok, top_k, weights or self.weights, encode_ms)
        return result

    def _search_encoded(
        self, query: str, qvec: np.ndarray, qtok: TokenVectors, top_k: int, w: Weights, encode_ms: float
    ) -> SearchResult:
        """``search`` with the query already encoded."""
        t1 = time.perf_counter()
        terms = self.passage_lexical.terms(query)  # both BM25 indexes cut text the same way
        passage_lexical = self.passage_lexical.scores_of(terms)
        candidates = self._candidates(qvec, passage_lexical)
        t2 = time.perf_counter()
        if self.every_passage is not None:  # every sentence, in order: no gathering
            sent_rows = self.all_sentences
            counts, fragments, paragraphs = self.sentence_counts, self.fragments, self.paragraph_of
            dense_s = self.sentence_vectors @ qvec
            dense_p = self.passage_vectors @ qvec
            lex_s = self.sentence_lexical.scores_of(terms)
            lex_p = passage_lexical
        else:
            counts = self.sentence_counts[candidates]
            starts = np.repeat(self.first_sentence[candidates] - np.cumsum(counts) + counts, counts)
            sent_rows = starts + np.arange(counts.sum())
            dense_s = self.sentence_vectors[sent_rows] @ qvec
            dense_p = self.passage_vectors[candidates] @ qvec
            lex_s = self.sentence_lexical.scores_of(terms)[sent_rows]
            lex_p = passage_lexical[candidates]
            fragments, paragraphs = self.fragments[sent_rows], self.paragraph_of[candidates]
        found = Candidates(
            rows=candidates,
            passages=self.passages,
            counts=counts,
            dense_s=dense_s,
            dense_p=dense_p,
            lex_s=lex_s,
            lex_p=lex_p,
            fragments=fragments,
            paragraphs=paragraphs,
            token_maxima=lambda vectors: self._token_maxima(vectors, sent_rows),
            hub_s=self.sentence_hub if self.every_passage is not None else self.sentence_hub[sent_rows],
        )
        t3 = time.perf_counter()
        hits, ranking_ms = self._rank(query, qtok, found, top_k, w)
        timings = {
            "encode": encode_ms,
            "candidates": (t2 - t1) * 1000,  # FAISS and BM25 proposals
            "signals": (t3 - t2) * 1000,  # dense and BM25 scores of every candidate
            **ranking_ms,
        }
        return SearchResult(hits, float(dense_s.max()), timings, qtok)

    def uncovered_share(self, query_tokens: TokenVectors, passage: Passage, tau: float) -> float:
        """The share of the question's content that nothing in ``passage`` matches above cosine ``tau``.

        Content is every query token but punctuation and function words, each weighted by its idf
        squared (as in late interaction): "population" or "judge" weigh far more than "raid", which
        half the article shares. Costs one product against the passage's own token rows.
        """
        if not len(query_tokens.ids):
            return 0.0
        if self._scoped():  # weighted by the idf of the passage's own document, as it was ranked
            return self._in_document(passage.document).uncovered_share(query_tokens, passage, tau)
        tokens = self._passage_tokens(self.passage_number[passage.id])
        return 1.0 if tokens.shape[1] == 0 else self._uncovered(query_tokens, tokens, tau)

    def _widened_tokens(self, p: int) -> np.ndarray:
        """Passage ``p``'s stored float16 token rows as float32, transposed (384 x its tokens), for coverage.

        Kept for the last ``PASSAGE_TOKEN_CACHE`` passages (``_passage_tokens``): the passages that
        abstention checks are the top few of each question, and they recur from question to question.
        """
        first = self.first_sentence[p]
        offsets = self.index.token_offsets
        start, end = offsets[first], offsets[first + self.sentence_counts[p]]
        return np.ascontiguousarray(self.index.token_vectors[start:end].astype(np.float32).T)

    def _candidates(self, qvec: np.ndarray, lexical: np.ndarray) -> np.ndarray:
        """Passages proposed by FAISS (over sentences and passages) and BM25, in passage order."""
        if self.every_passage is not None:
            return self.every_passage
        k_s = min(CANDIDATES, self.index.sentence_faiss.ntotal)
        k_p = min(CANDIDATES, self.index.passage_faiss.ntotal)
        _, sent_ids = self.index.sentence_faiss.search(qvec[None, :], k_s)
        _, pass_ids = self.index.passage_faiss.search(qvec[None, :], k_p)
        lex_ids = np.argsort(-lexical)[:CANDIDATES]
        found = np.concatenate(
            [self.sentence_passage[sent_ids[0][sent_ids[0] >= 0]], pass_ids[0][pass_ids[0] >= 0], lex_ids]
        )
        return np.unique(found)

    def _token_maxima(self, query_vectors: np.ndarray, sent_rows: np.ndarray) -> np.ndarray:
        """For each query token, its best cosine within each of the given sentences."""
        offsets = self.index.token_offsets
        lengths = offsets[sent_rows + 1] - offsets[sent_rows]
        if not self.full_scan:
            spans = zip(offsets[sent_rows], offsets[sent_rows + 1], strict=True)
            rows = np.concatenate([np.arange(s, e) for s, e in spans])
            # The candidates' stored float16 rows, widened per question: no float32 copy of every token
            # vector in each worker (an archive of 1.4 million token rows would hold 2.1 GB more a worker).
            return segment_maxima(query_vectors @ self.index.token_vectors[rows].astype(np.float32).T, lengths)
        # Small corpus: one product against every token beats gathering the candidates' rows.
        sims = self.token_product(query_vectors)
        maxima = np.maximum.reduceat(sims, self.sentence_starts, axis=1)
        if len(sent_rows) == len(self.sentences):  # every sentence, in order
            maxima[:, self.empty_sentences] = 0.0
            return maxima
        maxima = maxima[:, sent_rows]
        maxima[:, lengths == 0] = 0.0
        return maxima

    def _maxsim(
        self, qtok: TokenVectors, sent_rows: np.ndarray, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Late interaction of the query with the given sentences and candidate passages (``Ranker._maxsim_of``)."""
        return self._maxsim_of(
            qtok, lambda vectors: self._token_maxima(vectors, sent_rows), self.sentence_counts[candidates]
        )
