"""Hybrid retrieval over the index in Milvus: Milvus proposes and holds the rows, the shared ranking decides.

Per question: dense search in the sentences and passages collections, lexical candidates (Milvus's
BM25 function, or the in-process bm25s index with ``lexical="local"``), one fetch of the candidates'
rows (passage JSON, sentence and passage vectors, token vectors), then ``Ranker._rank``, the code
the FAISS retriever ranks with. The worker holds only what is sized by the vocabulary: the token
idf table, the lede's terms and the names, summed from each document's stored statistics.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .chunking import Passage
from .document_scope import MilvusDocumentScope
from .encoded import VOCABULARY_SIZE, idf_from_df
from .encoder import Encoder, TokenVectors
from .fusion import IDF_POWER, Weights
from .hubness import MAX_SENTENCES, hub_scores
from .lede import LedePrior
from .lexical import LexicalIndex
from .milvus_archive import check_record
from .milvus_store import PASSAGES, SENTENCES, MilvusStore, passage_order
from .ranking import CANDIDATES, FULL_SCAN_TOKENS, Candidates, Encoded, Ranker, SearchResult, segment_maxima
from .token_product import RowProduct, quantize_rows
from .words import is_fragment, names_of

LEXICAL_OPTIONS = ("server", "local")
TOKEN_CACHE = 512  # passages whose token vectors a worker keeps (the coverage check re-reads the top hits)


@dataclass
class _Rows:
    """A passage's token vectors as fetched (float16) and, once late interaction has used them, as int8 rows."""

    tokens: np.ndarray
    int8: tuple[np.ndarray, np.ndarray] | None = None  # quantize_rows(tokens): rows and their scales

    def quantized(self) -> tuple[np.ndarray, np.ndarray]:
        """``quantize_rows(tokens)``: the int8 rows and their scales, worked out on first use and kept."""
        if self.int8 is None:
            self.int8 = quantize_rows(self.tokens)
        return self.int8


@dataclass(frozen=True)
class MilvusIndex:
    """What a worker knows of the index in Milvus: its corpus record (the manifest) and the idf table."""

    manifest: dict
    token_idf: np.ndarray


class MilvusRetriever(Ranker):
    """Ranks passages held in Milvus for a query, with the same ranking as ``Retriever``."""

    index: MilvusIndex

    def __init__(
        self,
        encoder: Encoder,
        store: MilvusStore,
        lexical: str = "server",
        weights: Weights | None = None,
        cache_size: int = 1024,
        idf_power: float = IDF_POWER,
    ) -> None:
        if lexical not in LEXICAL_OPTIONS:
            raise ValueError(f"lexical must be one of {LEXICAL_OPTIONS}")
        self.store = store
        self.lexical = lexical
        record = store.corpus()
        check_record(record, store.uri, encoder)
        stats = store.stats()
        df = np.zeros(VOCABULARY_SIZE, dtype=np.int64)
        upper: set[str] = set()
        lower: set[str] = set()
        lede: set[str] = set()
        for part in stats.values():
            df = part.added_to(df)
            upper |= set(part.upper)
            lower |= set(part.lower)
            lede |= set(part.lede)
        sentences = sum(part.sentences for part in stats.values())
        self.document_stats = stats
        self.document_ids = frozenset(stats)
        self.index = MilvusIndex(record, idf_from_df(df, sentences))
        cutter = store.cutter
        prior = LedePrior(frozenset(lede), frozenset(names_of(upper, lower, cutter)), cutter)
        self.cutter = cutter
        if lexical == "local":  # a copy of the lexical index in every worker: measured, not for an archive
            self.local_ids: dict[str, dict[str, int]] = {}
            self.local_index: dict[str, LexicalIndex] = {}
            for name in (PASSAGES, SENTENCES):
                keys, terms = store.texts(name)
                self.local_ids[name] = {key: row for row, key in enumerate(keys)}
                self.local_index[name] = _PreCut(terms)
        # Hub scores (index/hubness.py) need every sentence vector once: only for corpora small enough.
        self.sentence_hub: dict[str, float] = {}
        if sentences <= MAX_SENTENCES:
            keys, owners, vectors = store.sentence_vectors()
            self.sentence_hub = dict(zip(keys, hub_scores(vectors, np.array(owners)).tolist(), strict=True))
        self._tokens: OrderedDict[str, _Rows] = OrderedDict()
        self._tokens_lock = threading.Lock()
        # Late interaction with the FAISS retriever's arithmetic: over a corpus it scans whole, int8 rows
        # (token_product.py), each passage's quantized once and kept beside its tokens.
        self.int8 = sum(part.tokens for part in stats.values()) <= FULL_SCAN_TOKENS
        self.row_product = RowProduct(encoder.dimension)
        self._init_ranking(encoder, self.index.token_idf, prior, weights, cache_size, idf_power, (upper, lower))
        # Several documents: the chosen one is ranked again by its own statistics (document_scope.py).
        self.scope = MilvusDocumentScope(self)

    def _search(
        self,
        query: str,
        top_k: int = 3,
        weights: Weights | None = None,
        document: str | None = None,
        encoded: Encoded | None = None,
    ) -> SearchResult:
        """The ``top_k`` passages for ``query``, best first; only ``document``'s when it is given."""
        w = weights or self.weights
        t0 = time.perf_counter()
        qvec, qtok = encoded or self._encode(query)
        t1 = time.perf_counter()
        if document is not None:
            self.require_document(document)
            if self._scoped():  # the reader chose the document: the second stage alone
                return self._in_document(document)._search_encoded(query, qvec, qtok, top_k, w, (t1 - t0) * 1000)
        terms = self.cutter.terms(query)
        proposed = set(self.store.dense(SENTENCES, qvec, CANDIDATES, "passage"))
        proposed |= set(self.store.dense(PASSAGES, qvec, CANDIDATES, "id"))
        proposed |= set(self._lexical_top(terms))
        ids = sorted(proposed, key=passage_order)
        t2 = time.perf_counter()
        with self._tokens_lock:
            known = {pid: self._tokens[pid] for pid in ids if pid in self._tokens}
        fetched = self.store.fetch(ids, {pid: rows.tokens for pid, rows in known.items()})
        kept = [known.get(pid) or _Rows(tokens) for pid, tokens in zip(ids, fetched.tokens, strict=True)]
        with self._tokens_lock:
            for pid, rows in zip(ids, kept, strict=True):
                self._tokens[pid] = rows
                self._tokens.move_to_end(pid)
            while len(self._tokens) > TOKEN_CACHE:
                self._tokens.popitem(last=False)
        counts = np.array([len(p.sentences) for p in fetched.passages], dtype=np.int64)
        sentence_ids = [f"{p.id}#{k}" for p in fetched.passages for k in range(len(p.sentences))]
        lex_s, lex_p = self._lexical_scores(terms, ids, sentence_ids)
        lengths = fetched.token_lengths
        sims_of = self._sims(kept)
        found = Candidates(
            rows=np.arange(len(ids)),
            passages=fetched.passages,
            counts=counts,
            dense_s=fetched.sentence_vectors @ qvec,
            dense_p=fetched.passage_vectors @ qvec,
            lex_s=lex_s,
            lex_p=lex_p,
            fragments=np.array([is_fragment(s) for p in fetched.passages for s in p.sentences], dtype=bool),
            paragraphs=np.array([p.paragraph for p in fetched.passages], dtype=np.int64),
            token_maxima=lambda vectors: segment_maxima(sims_of(vectors), lengths),
            hub_s=np.array([self.sentence_hub.get(key, 0.0) for key in sentence_ids], dtype=np.float32),
        )
        t3 = time.perf_counter()
        hits, ranking_ms = self._rank(query, qtok, found, top_k, w)
        timings = {
            "encode": (t1 - t0) * 1000,
            "candidates": (t2 - t1) * 1000,  # Milvus dense and lexical proposals
            "signals": (t3 - t2) * 1000,  # fetching the candidates' rows and their BM25
            **ranking_ms,
        }
        if hits and self._scoped():
            encode_ms = (t1 - t0) * 1000
            return self._in_document(hits[0].passage.document)._search_encoded(query, qvec, qtok, top_k, w, encode_ms)
        return SearchResult(hits, float(found.dense_s.max()), timings, qtok)

    def uncovered_share(self, query_tokens: TokenVectors, passage: Passage, tau: float) -> float:
        """As ``Retriever.uncovered_share``, over the passage's token vectors (kept from the search that found it)."""
        if not len(query_tokens.ids):
            return 0.0
        if self._scoped():  # weighted by the idf of the passage's own document, as it was ranked
            return self._in_document(passage.document).uncovered_share(query_tokens, passage, tau)
        with self._tokens_lock:
            kept = self._tokens.get(passage.id)
        tokens = kept.tokens if kept is not None else self.store.fetch([passage.id]).tokens[0]
        if not len(tokens):
            return 1.0
        return self._uncovered(query_tokens, tokens.astype(np.float32).T, tau)

    def _sims(self, kept: list[_Rows]) -> Callable[[np.ndarray], np.ndarray]:
        """Query token vectors -> their cosines with every token row of ``kept``, in order: the int8 product
        over a corpus the FAISS retriever scans whole, float32 above it (as FAISS multiplies gathered rows)."""
        if self.int8:
            parts = [k.quantized() for k in kept]
            rows, scales = np.concatenate([r for r, _ in parts]), np.concatenate([sc for _, sc in parts])
            return lambda vectors: self.row_product(vectors, rows, scales)
        tokens = np.concatenate([k.tokens for k in kept]).astype(np.float32)
        return lambda vectors: vectors @ tokens.T

    def _lexical_top(self, terms: list[str]) -> list[str]:
        """The passages BM25 proposes."""
        if self.lexical == "server":
            return list(self.store.bm25(PASSAGES, terms, CANDIDATES))
        scores = self.local_index[PASSAGES].scores_of(terms)
        keys = list(self.local_ids[PASSAGES])
        return [keys[i] for i in np.argsort(-scores, kind="stable")[:CANDIDATES]]

    def _lexical_scores(
        self, terms: list[str], passage_ids: list[str], sentence_ids: list[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 of every candidate sentence and passage (0 where nothing matches)."""
        if self.lexical == "server":
            within = json.dumps(passage_ids)
            by_sentence = self.store.bm25(SENTENCES, terms, len(sentence_ids), f"passage in {within}")
            by_passage = self.store.bm25(PASSAGES, terms, len(passage_ids), f"id in {within}")
            return (
                np.array([by_sentence.get(s, 0.0) for s in sentence_ids]),
                np.array([by_passage.get(p, 0.0) for p in passage_ids]),
            )
        out = []
        for name, keys in ((SENTENCES, sentence_ids), (PASSAGES, passage_ids)):
            scores = self.local_index[name].scores_of(terms)
            rows = self.local_ids[name]
            out.append(scores[[rows[k] for k in keys]])
        return out[0], out[1]


class _PreCut(LexicalIndex):
    """bm25s over texts already cut into stemmed terms (as Milvus stores them): same scores as ``LexicalIndex``."""

    def __init__(self, terms: list[str]) -> None:
        import bm25s

        self._size = len(terms)
        self._bm25 = bm25s.BM25()
        tokens = bm25s.tokenize([t.strip() for t in terms], stopwords=None, stemmer=None, show_progress=False)
        self._bm25.index(tokens, show_progress=False)
