"""index.counting: "How many N?" gets the passages where a number counts N, any other question nothing."""

from __future__ import annotations

import numpy as np
import pytest

from index.counting import CountPrior, counted


@pytest.mark.parametrize(
    ("question", "focus"),
    [
        ("How many police took part in the raid?", "police"),
        ("and how many rounds did they fire", "rounds"),
        ("How old was El Bali?", None),
        ("And how many were there?", None),  # a function word is no noun
        ("Who counted the rounds?", None),
    ],
)
def test_the_focus_is_the_word_after_how_many(question, focus):
    assert CountPrior.focus(question) == focus


def test_a_number_counts_the_words_at_most_one_word_after_it():
    nouns = counted("A few dozen Belgian police officers amassed. They fired around 300 rounds at police for 3 days.")
    assert {"police", "rounds", "days"} <= nouns  # "dozen Belgian police", "300 rounds", "3 days"
    assert "amassed" not in nouns and "officers" not in nouns
    assert "police" not in counted("They fired around 300 rounds at police.")  # rounds are counted, not police


def test_the_noun_is_compared_as_written_so_a_modifier_is_not_a_count():
    passages_text = "A few dozen Belgian police officers amassed outside."
    assert "belgian" in counted(passages_text)
    assert CountPrior.focus("How many Belgians have gone to fight in Syria?") not in counted(passages_text)


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
    assert retriever.search(question, top_k=1).hits[0].passage.paragraph == 1
    without = [hit.passage.paragraph for hit in retriever.configured(count_prior=False).search(question, top_k=3).hits]
    assert 1 not in without
    assert retriever.count_prior is not None  # the serving retriever is untouched
