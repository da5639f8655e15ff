"""index.hubness: hub scores, and what the correction does to the real ranking."""

from __future__ import annotations

import numpy as np
import pytest

from index.hubness import MAX_SENTENCES, hub_scores


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_the_point_near_every_other_is_the_hub():
    rng = np.random.default_rng(0)
    spread = unit(rng.normal(size=(40, 16)))
    centre = unit(spread.mean(axis=0, keepdims=True))
    vectors = np.vstack([spread, centre])
    scores = hub_scores(vectors, np.arange(len(vectors)), k=10)
    assert int(np.argmax(scores)) == len(vectors) - 1


def test_neighbours_in_the_same_passage_do_not_count():
    """Two copies of one sentence in one passage are not each other's neighbours; in two passages they are."""
    rng = np.random.default_rng(1)
    base = unit(rng.normal(size=(12, 8)))
    vectors = np.vstack([base, base[:1]])
    apart = hub_scores(vectors, np.arange(13), k=1)
    together = hub_scores(vectors, np.array([0, *range(1, 12), 0]), k=1)
    assert apart[0] == pytest.approx(1.0, abs=1e-5)
    assert together[0] < 0.99


def test_a_score_is_the_mean_of_the_k_best_cosines():
    rng = np.random.default_rng(2)
    vectors = unit(rng.normal(size=(30, 8)))
    scores = hub_scores(vectors, np.arange(30), k=5)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    expected = np.sort(sims, axis=1)[:, -5:].mean(axis=1)
    np.testing.assert_allclose(scores, expected, atol=1e-5)


def test_beyond_the_limit_the_correction_is_off():
    vectors = np.zeros((MAX_SENTENCES + 1, 2), dtype=np.float32)
    assert not hub_scores(vectors, np.arange(len(vectors))).any()


def test_the_served_ranking_uses_it_and_the_confidence_does_not(retriever):
    """A question whose first passage changes with the correction; the confidence is the raw cosine either way."""
    plain = retriever.configured(hubness=False)
    question = "How old was El Bali?"
    corrected, raw = retriever.search(question), plain.search(question)
    assert corrected.hits[0].passage.id != raw.hits[0].passage.id
    assert "25 at the time" in corrected.hits[0].passage.text
    assert corrected.confidence == raw.confidence
