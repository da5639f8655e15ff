"""Hybrid retrieval: dense (FAISS), late interaction (MaxSim) and BM25, fused per sentence and passage."""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from .chunking import Passage, Sentence
from .encoder import Encoder, TokenVectors
from .fusion import IDF_POWER, Weights, standardise
from .lede import LedePrior
from .lexical import LexicalIndex
from .store import Index
from .words import function_word_ids, is_fragment, name_terms, punctuation_ids

# How many candidates each first-stage ranker contributes; every candidate is then rescored.
CANDIDATES = 64
# What a question or fragment sentence loses in ranking: more than any spread of standardised scores.
FRAGMENT_PENALTY = 100.0
# Up to this many corpus tokens, MaxSim scores the query against all of them at once.
FULL_SCAN_TOKENS = 200_000


@dataclass
class Hit:
    """A ranked passage with its best sentence (the one that answers, as far as retrieval can tell).

    ``token_matches`` holds, for each sentence of the passage (rows), each query token's weighted
    best match in it (columns; a row sums to the sentence's MaxSim score), so the answer can add
    the sentence that covers what the best one leaves out.
    """

    passage: Passage
    score: float
    sentence: Sentence
    token_matches: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))


@dataclass
class SearchResult:
    hits: list[Hit]
    confidence: float  # highest dense cosine of the query with any sentence: calibrates abstention
    timings_ms: dict[str, float] = field(default_factory=dict)
    query_tokens: TokenVectors | None = None  # the query's token vectors, for coverage checks


class Retriever:
    """Ranks passages of an ``Index`` for a query, embedding it once with ``encoder``."""

    def __init__(
        self,
        encoder: Encoder,
        index: Index,
        weights: Weights | None = None,
        cache_size: int = 1024,
        idf_power: float = IDF_POWER,
    ) -> None:
        self.encoder = encoder
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[np.ndarray, TokenVectors]] = OrderedDict()
        self._lock = threading.Lock()
        self.index = index
        self.weights = weights or Weights()
        self.idf_power = idf_power
        self.passages = index.passages
        self.sentences = index.sentences
        self.sentence_passage = index.sentence_passage
        self.first_sentence = np.searchsorted(self.sentence_passage, np.arange(len(self.passages)))
        self.sentence_counts = np.array([len(p.sentences) for p in self.passages], dtype=np.int64)
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
            # Stored transposed and contiguous: ``query @ tokens_t`` runs about twice as fast as
            # ``query @ tokens.T`` on the row-major array (1.0 vs 1.9 ms for 12 x 6,400 here).
            self.token_vectors_t = np.ascontiguousarray(index.token_vectors.T, dtype=np.float32)
        else:
            self.token_vectors = index.token_vectors.astype(np.float32)
        self.sentence_lexical = LexicalIndex([s.text for s in self.sentences])
        self.passage_lexical = LexicalIndex([p.indexed_text for p in self.passages])
        self.passage_number = {p.id: i for i, p in enumerate(self.passages)}
        names = name_terms(self.sentences, self.passage_lexical)
        self.lede: LedePrior | None = LedePrior.build(self.passages, self.passage_lexical, names)
        vocabulary = encoder.vocabulary()
        # Punctuation in a question ("?") matches the article's own questions and quotes: it gets no
        # weight in late interaction (eval-natural answer 0.600 -> 0.622, dev and extra level).
        # Lookup tables by token id, so a question's tokens are checked with one index, not a sort.
        self.punctuation_mask = self._id_mask(punctuation_ids(vocabulary))
        self.content_mask = ~(self.punctuation_mask | self._id_mask(function_word_ids(vocabulary)))
        # A passage is ranked by its best sentence that states something: a question or a fragment of
        # under four words ("So what do the kids do?") never answers on its own (natural hit@1 .822 -> .844).
        self.fragments = np.array([is_fragment(s) for s in self.sentences], dtype=bool)
        self.stating_only = True

    def configured(
        self,
        weights: Weights | None = None,
        idf_power: float | None = None,
        lede: bool = True,
        skip_punctuation: bool = True,
        stating_only: bool = True,
    ) -> Retriever:
        """A retriever over the same index and vectors, ranking another way (ablations, weight fits)."""
        other = copy.copy(self)
        other.weights = weights or self.weights
        other.idf_power = self.idf_power if idf_power is None else idf_power
        other.lede = self.lede if lede else None
        other.punctuation_mask = self.punctuation_mask if skip_punctuation else np.zeros_like(self.punctuation_mask)
        other.stating_only = self.stating_only and stating_only
        return other

    def search(self, query: str, top_k: int = 3, weights: Weights | None = None) -> SearchResult:
        """The ``top_k`` passages for ``query``, best first."""
        w = weights or self.weights
        t0 = time.perf_counter()
        qvec, qtok = self._encode(query)
        t1 = time.perf_counter()
        terms = self.passage_lexical.terms(query)  # both BM25 indexes cut text the same way
        passage_lexical = self.passage_lexical.scores_of(terms)
        candidates = self._candidates(qvec, passage_lexical)
        t2 = time.perf_counter()
        counts = self.sentence_counts[candidates]
        if self.every_passage is not None:  # every sentence, in order: no gathering
            sent_rows = self.all_sentences
            dense_s = self.sentence_vectors @ qvec
            dense_p = self.passage_vectors @ qvec
            lex_s = self.sentence_lexical.scores_of(terms)
            lex_p = passage_lexical
        else:
            starts = np.repeat(self.first_sentence[candidates] - np.cumsum(counts) + counts, counts)
            sent_rows = starts + np.arange(counts.sum())
            dense_s = self.sentence_vectors[sent_rows] @ qvec
            dense_p = self.passage_vectors[candidates] @ qvec
            lex_s = self.sentence_lexical.scores_of(terms)[sent_rows]
            lex_p = passage_lexical[candidates]
        t3 = time.perf_counter()
        maxsim_s, maxsim_p, matches = self._maxsim(qtok, sent_rows, candidates)
        t4 = time.perf_counter()

        sentence_score = (
            w.sentence_dense * standardise(dense_s)
            + w.sentence_maxsim * standardise(maxsim_s)
            + w.sentence_lexical * standardise(lex_s)
        )
        if self.stating_only:  # below every stating sentence, so one counts whenever the passage has one
            sentence_score = sentence_score - FRAGMENT_PENALTY * self.fragments[sent_rows]
        owner = np.repeat(np.arange(len(candidates)), counts)
        # Each candidate's sentences are contiguous (every passage has at least one): a segmented max.
        best = np.maximum.reduceat(sentence_score, np.cumsum(counts) - counts)
        passage_score = (
            best
            + w.passage_dense * standardise(dense_p)
            + w.passage_maxsim * standardise(maxsim_p)
            + w.passage_lexical * standardise(lex_p)
        )
        if self.lede is not None:
            passage_score = passage_score + self.lede.boost(query, candidates)
        order = np.argsort(-passage_score, kind="stable")[:top_k]
        hits = []
        for c in order:
            mine = owner == c
            k = int(np.argmax(sentence_score[mine]))
            passage = self.passages[candidates[c]]
            hits.append(Hit(passage, float(passage_score[c]), passage.sentences[k], matches[:, mine].T))
        t5 = time.perf_counter()
        timings = {
            "encode": (t1 - t0) * 1000,
            "candidates": (t2 - t1) * 1000,  # FAISS and BM25 proposals
            "signals": (t3 - t2) * 1000,  # dense and BM25 scores of every candidate
            "maxsim": (t4 - t3) * 1000,
            "fusion": (t5 - t4) * 1000,
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
        p = self.passage_number[passage.id]
        first = self.first_sentence[p]
        offsets = self.index.token_offsets
        start, end = offsets[first], offsets[first + self.sentence_counts[p]]
        if end <= start:
            return 1.0
        tokens = self.token_vectors_t[:, start:end] if self.full_scan else self.token_vectors[start:end].T
        best = (query_tokens.vectors @ tokens).max(axis=1)
        idf = self.index.token_idf
        ids = np.clip(query_tokens.ids, 0, len(idf) - 1)
        weight = idf[ids].astype(np.float64) ** 2 * self.content_mask[ids]
        total = weight.sum()
        return float((weight * (best < tau)).sum() / total) if total > 0 else 0.0

    def _encode(self, query: str) -> tuple[np.ndarray, TokenVectors]:
        """The query's vector and token vectors, from a bounded LRU cache (repeat questions are common)."""
        with self._lock:  # Slack listeners run in threads
            cached = self._cache.get(query)
            if cached is not None:
                self._cache.move_to_end(query)
                return cached
        vectors, tokens = self.encoder.encode_tokens([query])
        entry = (vectors[0], tokens[0])
        with self._lock:
            if self.cache_size:
                self._cache[query] = entry
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return entry

    def _id_mask(self, ids: np.ndarray) -> np.ndarray:
        """A table over token ids (as ``token_idf`` is indexed), true at ``ids``."""
        mask = np.zeros(len(self.index.token_idf), dtype=bool)
        mask[ids[ids < len(mask)]] = True
        return mask

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
        if self.full_scan:
            # Small corpus: one product against every token beats gathering the candidates' rows.
            sims = query_vectors @ self.token_vectors_t
            maxima = np.maximum.reduceat(sims, self.sentence_starts, axis=1)
            if len(sent_rows) == len(self.sentences):  # every sentence, in order
                maxima[:, self.empty_sentences] = 0.0
                return maxima
            maxima = maxima[:, sent_rows]
            lengths = offsets[sent_rows + 1] - offsets[sent_rows]
        else:
            lengths = offsets[sent_rows + 1] - offsets[sent_rows]
            spans = zip(offsets[sent_rows], offsets[sent_rows + 1], strict=True)
            rows = np.concatenate([np.arange(s, e) for s, e in spans])
            sims = query_vectors @ self.token_vectors[rows].T
            bounds = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            maxima = np.maximum.reduceat(sims, np.minimum(bounds, max(len(rows) - 1, 0)), axis=1)
        maxima[:, lengths == 0] = 0.0
        return maxima

    def _maxsim(
        self, qtok: TokenVectors, sent_rows: np.ndarray, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """IDF-weighted late interaction: each query token's best match in a sentence / passage.

        Returns the sentence scores, the passage scores, and the weighted per-token matches of
        each sentence (query tokens x sentences) that the sentence scores sum.

        Weighting query tokens by their idf (raised to ``IDF_POWER``) keeps question words ("what",
        "did") from drowning out names and rare words.
        """
        n_q = len(qtok.ids)
        if n_q == 0:
            return np.zeros(len(sent_rows)), np.zeros(len(candidates)), np.zeros((0, len(sent_rows)))
        idf = self.index.token_idf
        ids = np.clip(qtok.ids, 0, len(idf) - 1)
        weights = idf[ids].astype(np.float64) ** self.idf_power * ~self.punctuation_mask[ids]
        weights = weights / weights.sum() if weights.sum() > 0 else np.full(n_q, 1.0 / n_q)
        # Tokens of no weight (punctuation) add nothing to any score: they are left out of the product,
        # and their rows of the matches, which would be zero, with them.
        used = weights > 0
        weights = weights[used]
        per_sentence = self._token_maxima(qtok.vectors[used], sent_rows)  # (weighted query tokens, sentences)
        counts = self.sentence_counts[candidates]
        pbounds = np.concatenate([[0], np.cumsum(counts)[:-1]])
        per_passage = np.maximum.reduceat(per_sentence, pbounds, axis=1)
        return weights @ per_sentence, weights @ per_passage, weights[:, None] * per_sentence
