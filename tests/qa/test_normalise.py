"""qa.normalise: a question typed without its question mark is searched with one."""

from __future__ import annotations

import dataclasses

import pytest

from qa.answers import Answerer
from qa.normalise import with_question_mark


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("how old was el bali", "how old was el bali?"),
        ("Who is Abaaoud", "Who is Abaaoud?"),
        ("did the police apologize   ", "did the police apologize?"),
        ("  whats molenbeek like", "  whats molenbeek like?"),  # "what" opens it: a question
        ("Who is Abaaoud?", "Who is Abaaoud?"),
        ("Why did they do it!", "Why did they do it!"),
        ('What did he mean by "trendy."', 'What did he mean by "trendy."'),
        ("tell me about mohamed", "tell me about mohamed"),  # not a question in that form
        ("", ""),
    ],
)
def test_a_question_without_its_mark_gets_one(typed, searched):
    assert with_question_mark(typed) == searched


def test_it_is_what_keeps_a_hasty_near_topic_question_declined(retriever):
    """Typed in haste, this near-topic question was answered; with its mark back it is declined, as written."""
    question = "how many people live in molenbeek"
    served = Answerer(retriever)
    plain = dataclasses.replace(served, options=dataclasses.replace(served.options, normalise=False))
    assert served.ask(question).declined == "not_in_article"
    assert plain.ask(question).answerable
    assert served.ask(question + "?").declined == "not_in_article"
