"""Lexical ranking with BM25 (bm25s), English stemming and stop words."""

from __future__ import annotations

import bm25s
import numpy as np
import Stemmer


class LexicalIndex:
    """BM25 over a list of texts; ``scores(query)`` gives one score per text (0 where nothing matches)."""

    def __init__(self, texts: list[str]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._size = len(texts)
        self._bm25 = bm25s.BM25()
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, show_progress=False)
        self._bm25.index(tokens, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        terms = bm25s.tokenize([query], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False)
        terms = terms[0] if terms else []
        if not terms:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)
