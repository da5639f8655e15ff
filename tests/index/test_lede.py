"""index.lede: broad questions about a news story's event get its first paragraphs, specific ones nothing."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("question", ["Why did the police raid the apartment?", "What happened in Verviers?"])
def test_a_question_in_the_ledes_own_terms_is_broad(retriever, question):
    assert retriever.lede.is_broad(question)


@pytest.mark.parametrize(
    "question",
    [
        "What did the Le Soir reporter call the two deaths?",  # names someone the lede does not
        "What do Mohamed's parents do for a living?",
        "Did the police raid the apartment?",  # the lede's own words, but yes/no: a claim to confirm
        "Does anyone defend the Belgian police?",
    ],
)
def test_a_question_about_a_detail_is_not(retriever, question):
    assert not retriever.lede.is_broad(question)


def test_the_boost_goes_to_the_first_paragraphs_of_a_broad_question_only(retriever):
    paragraphs = np.array([p.paragraph for p in retriever.passages])
    broad = retriever.lede.boost("Why did the police raid the apartment?", paragraphs)
    assert set(broad[paragraphs <= retriever.lede.paragraphs]) == {retriever.lede.weight}
    assert set(broad[paragraphs > retriever.lede.paragraphs]) == {0.0}
    assert not retriever.lede.boost("What did the Le Soir reporter call the two deaths?", paragraphs).any()


def test_without_the_prior_the_ranking_is_the_fused_one(retriever):
    question = "Why did the police raid the apartment?"
    with_prior = retriever.search(question, top_k=1).hits[0]
    assert with_prior.passage.paragraph <= retriever.lede.paragraphs
    without = retriever.configured(lede=False)
    assert without.lede is None and retriever.lede is not None  # the serving retriever is untouched
