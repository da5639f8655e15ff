"""qa.overview: a question about the article as a whole is answered from its standfirst and lede."""

from __future__ import annotations

import pytest

from qa.answers import MAX_ANSWER_WORDS, Answerer, AnswerOptions
from qa.overview import is_overview


@pytest.fixture(scope="module")
def answerer(retriever):
    return Answerer(retriever)


@pytest.mark.parametrize(
    "question",
    [
        "What is this story about?",
        "give me the gist",
        "what's the main point of the piece",
        "tl;dr",
        "Summarize the article",
    ],
)
def test_questions_about_the_whole_article_are_overviews(question):
    assert is_overview(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who wrote the article?",  # the byline answers, found by the normal search
        "When was the story published?",
        "What did the prosecutor say?",  # "say" with a subject of its own
        "What is the main argument about the police?",
        "Why did the police raid the apartment?",
        "",
    ],
)
def test_questions_about_something_in_it_are_not(question):
    assert not is_overview(question)


def test_in_a_conversation_only_a_question_naming_the_text_is_one():
    """Without "article" or "story", "what's the point?" after a question leans on that question's subject."""
    history = [{"role": "user", "content": "Who is Grignard?"}]
    assert not is_overview("what's the main point?", history)
    assert is_overview("what's the article's main point?", history)


@pytest.mark.parametrize(
    "question", ["give me the gist", "What is this story about?", "what is the main point of the piece"]
)
def test_an_overview_is_answered_from_the_standfirst_in_reading_order(answerer, question):
    reply = answerer.ask(question)
    assert reply.answerable and reply.declined is None
    assert [p.paragraph for p in reply.passages] == sorted(p.paragraph for p in reply.passages)
    first = reply.passages[0]
    assert first.paragraph == 0
    assert "nighttime raid in a quiet corner of Belgium" in reply.answer
    assert len(reply.answer.split()) <= MAX_ANSWER_WORDS
    assert reply.answer.endswith("[1]")


def test_without_the_stage_the_same_questions_fare_worse(retriever):
    """The stage is what answers them: "give me the gist" is too far from every sentence to pass the threshold,
    and "this story" matches the credit line at the article's end."""
    plain = Answerer(retriever, AnswerOptions(overview=False))
    assert plain.ask("give me the gist").declined == "off_topic"
    assert plain.ask("What is this story about?").passages[0].paragraph != 0


@pytest.mark.parametrize(
    ("question", "history", "event"),
    [
        ("What happened in Verviers?", None, True),  # the lede reports the raid in Verviers
        ("what happened during the raid", None, True),
        ("What happened?", None, True),
        ("What happened?", [{"role": "user", "content": "Who is El Bali?"}], False),  # about the last turn
        ("What happened to El Bali?", None, False),  # a person's fate
        ("What happened after the raid?", None, False),  # a sequel
        ("What happened in Molenbeek?", None, False),  # a place the lede does not name: a detail
        ("What happened on the train to France?", None, False),
        ("Why did the police raid the apartment?", None, False),
    ],
)
def test_what_happened_in_the_ledes_setting_is_an_overview(retriever, question, history, event):
    assert is_overview(question, history, retriever.lede) is event


def test_what_happened_is_answered_from_the_standfirst(answerer):
    reply = answerer.ask("What happened in Verviers?")
    assert reply.answerable and reply.passages[0].paragraph == 0
    assert "two suspected plotters dead, one man arrested" in reply.answer
    plain = Answerer(answerer.retriever, AnswerOptions(overview=False))
    assert "two suspected plotters dead, one man arrested" not in plain.ask("What happened in Verviers?").answer
