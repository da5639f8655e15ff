"""Lexical ranking with BM25 (bm25s), English stemming and stop words."""

from __future__ import annotations

import re

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

# bm25s's own token pattern and stop words, so queries are cut exactly as the corpus was.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN)


class TermCutter:
    """Cuts text into BM25's stemmed terms; holds no index, so it costs nothing as a corpus grows."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")

    def terms(self, query: str) -> list[str]:
        """The query's stemmed terms, as bm25s.tokenize would give them, without its per-call overhead."""
        words = [w for w in _TOKEN.findall(query.lower()) if w not in _STOPWORDS]
        return self._stemmer.stemWords(words)


class LexicalIndex(TermCutter):
    """BM25 over a list of texts; ``scores(query)`` gives one score per text (0 where nothing matches)."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__()
        self._size = len(texts)
        self._bm25 = bm25s.BM25()
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._bm25.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        return self.scores_of(self.terms(query))

    def scores_of(self, terms: list[str]) -> np.ndarray:
        """``scores`` for terms already cut (``terms``), so two indexes can share one cut of a query."""
        if not terms:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
