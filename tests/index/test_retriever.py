"""Hybrid search with the real model: ranking, late interaction on both corpus layouts, the query cache."""

from __future__ import annotations

import numpy as np
import pytest

import index.retriever as retriever_module
from index import Retriever, load_index


def test_search_ranks_the_passage_that_holds_the_fact_first(retriever):
    result = retriever.search("Where did El Bali grow up?", top_k=3)
    assert len(result.hits) == 3
    assert "Molenbeek, the neighborhood in Brussels where El Bali grew up" in result.hits[0].passage.text
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert result.hits[0].sentence in result.hits[0].passage.sentences
    assert set(result.timings_ms) == {"encode", "candidates", "signals", "maxsim", "fusion"}


def test_large_corpus_layout_scores_as_the_full_scan(encoder, index_dir, corpus_dir, retriever, monkeypatch):
    """Above FULL_SCAN_TOKENS the candidates' float16 rows are gathered and multiplied exactly; the full
    scan multiplies by int8 rows (token_product.py): the scores agree to the int8 product's error."""
    monkeypatch.setattr(retriever_module, "FULL_SCAN_TOKENS", 0)
    gathered = Retriever(encoder, load_index(index_dir, corpus_dir, encoder))
    assert retriever.full_scan and not gathered.full_scan
    _, qtok = retriever._encode("How did the third man get to Verviers?")
    rows = np.arange(len(retriever.sentences))
    passages = np.arange(len(retriever.passages))
    full = retriever._maxsim(qtok, rows, passages)
    partial = gathered._maxsim(qtok, rows, passages)
    for a, b in zip(full, partial, strict=True):
        np.testing.assert_allclose(a, b, atol=0.005)
    assert full[0].argmax() == partial[0].argmax() and full[1].argmax() == partial[1].argmax()
    # and a subset of candidates, as the gather path sees in practice
    some = passages[::3]
    some_rows = np.concatenate([np.flatnonzero(retriever.sentence_passage == p) for p in some])
    np.testing.assert_allclose(
        retriever._maxsim(qtok, some_rows, some)[1], gathered._maxsim(qtok, some_rows, some)[1], atol=0.005
    )


@pytest.mark.parametrize("power", [0.0, 1.0, 2.0])
def test_query_token_weights_follow_the_idf_power(retriever, power, monkeypatch):
    """Power 0 weighs every query token alike; higher powers favour rare tokens; punctuation weighs nothing."""
    monkeypatch.setattr(retriever, "idf_power", power)
    _, qtok = retriever._encode("What did the lawyer say about the raid?")
    rows = np.arange(len(retriever.sentences))
    passages = np.arange(len(retriever.passages))
    per_sentence, _, matches = retriever._maxsim(qtok, rows, passages)
    maxima = retriever._token_maxima(qtok.vectors, rows)
    idf = retriever.index.token_idf[qtok.ids].astype(np.float64) ** power
    idf = idf * ~retriever.punctuation_mask[qtok.ids]
    assert idf[-1] == 0  # the "?"
    np.testing.assert_allclose(per_sentence, (idf / idf.sum()) @ maxima, rtol=1e-6)
    np.testing.assert_allclose(matches.sum(axis=0), per_sentence, rtol=1e-6)  # what Hit.token_matches holds


def test_query_cache_is_bounded_and_keeps_the_most_recent(encoder, index_dir, corpus_dir):
    small = Retriever(encoder, load_index(index_dir, corpus_dir, encoder), cache_size=2)
    for q in ("Who is Virginie Taelman?", "Where is Verviers?", "Who is Virginie Taelman?", "What is Molenbeek?"):
        small.search(q)
    assert list(small._cache) == ["Who is Virginie Taelman?", "What is Molenbeek?"]
    off = Retriever(encoder, load_index(index_dir, corpus_dir, encoder), cache_size=0)
    off.search("Where is Verviers?")
    assert not off._cache


def test_a_passage_is_ranked_by_a_sentence_that_states_something(retriever):
    from index.words import is_fragment

    for question in ("What do Mohamed's parents do for a living?", "So what do the kids do?"):
        for hit in retriever.search(question, top_k=5).hits:
            if not all(is_fragment(s) for s in hit.passage.sentences):
                assert not is_fragment(hit.sentence)
    assert not retriever.configured(stating_only=False).stating_only
