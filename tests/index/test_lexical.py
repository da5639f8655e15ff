"""BM25: queries are cut into terms exactly as bm25s cuts the corpus, and scores follow the words."""

from __future__ import annotations

import json

import bm25s
import pytest
import Stemmer

from index.lexical import LexicalIndex

from ..conftest import EVAL_DIR


def questions() -> list[str]:
    path = EVAL_DIR / "questions.jsonl"
    extra = ["Where's the St. Denis flat?", "Liège — Molenbeek's émigrés, 2015!", "a an the", ""]
    if not path.exists():
        return extra
    return [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line] + extra


@pytest.mark.parametrize("query", questions())
def test_query_terms_match_bm25s_tokenize(query):
    index = LexicalIndex(["placeholder text"])
    expected = bm25s.tokenize(
        [query], stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False, return_ids=False
    )[0]
    assert index.terms(query) == expected


def test_scores_rank_the_text_with_the_words_first():
    index = LexicalIndex(["The police raided the apartment.", "Kalashnikovs were bought in Slovakia.", "Nothing."])
    scores = index.scores("Where were the Kalashnikovs bought?")
    assert scores.argmax() == 1 and scores[2] == 0


def test_a_query_of_stop_words_scores_nothing():
    assert not LexicalIndex(["The police raided the apartment."]).scores("what is the").any()
