"""index.counting: "How many N?" gets the passages where a number counts N, any other question nothing."""

from __future__ import annotations

import numpy as np
import pytest

from index.counting import CountPrior, counted
from index.lexical import TermCutter


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("How many police took part in the raid?", "polic"),
        ("and how many rounds did they fire", "round"),
        ("How old was El Bali?", None),
        ("Who counted the rounds?", None),
    ],
)
def test_the_focus_is_the_noun_after_how_many(question, focus):
    assert CountPrior().focus(question) == focus


def test_a_number_counts_the_noun_at_most_one_word_after_it():
    cutter = TermCutter()
    text = "A few dozen Belgian police officers amassed. They fired around 300 rounds at police over three days."
    nouns = counted(text, cutter)
    assert {"polic", "round", "day"} <= nouns  # "dozen Belgian police", "300 rounds", "three days"
    assert "fire" not in nouns and "amass" not in nouns
    assert "polic" not in counted("They fired around 300 rounds at police.", cutter)  # rounds are counted, not police


def test_only_passages_that_count_the_noun_get_the_weight(retriever):
    prior = CountPrior()
    rows = np.arange(len(retriever.passages))
    boost = prior.boost("How many police took part in the raid?", retriever.passages, rows)
    boosted = {retriever.passages[r].paragraph for r in rows[boost > 0]}
    assert boosted == {1}  # "a few dozen Belgian police officers" is the article's one count of police
    assert set(boost) == {0.0, prior.weight}
    assert not prior.boost("Why did the police raid the apartment?", retriever.passages, rows).any()


def test_the_count_question_finds_its_answer_with_the_prior_and_not_without(retriever):
    question = "How many police took part in the raid?"
    with_prior = [hit.passage.paragraph for hit in retriever.search(question, top_k=3).hits]
    without = [hit.passage.paragraph for hit in retriever.configured(counts=False).search(question, top_k=3).hits]
    assert 1 in with_prior and 1 not in without
    assert retriever.counts is not None  # the serving retriever is untouched
