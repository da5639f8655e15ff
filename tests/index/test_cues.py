"""Question-type cues: the kind of phrase a question asks for, and which sentences hold one."""

from __future__ import annotations

import pytest

from index.cues import holds_answer_type, question_type


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How old was he?", "age"),
        ("How many bullets were fired?", "count"),
        ("When did the raid happen?", "time"),
        ("How long after the attack did it happen?", "time"),
        ("Who is the prosecutor's spokesman?", "person"),
        ("Where was he killed?", "place"),
        ("Why did the police wait?", None),
    ],
)
def test_question_type_follows_the_form_of_the_question(question, kind):
    assert question_type(question) == kind


@pytest.mark.parametrize(
    ("kind", "text", "holds"),
    [
        ("age", "El Bali, who was 25 at the time, jumped.", True),
        ("age", "They were 26 and 23 years old.", True),
        ("age", "He jumped out of a window.", False),
        ("count", "They fired around 300 rounds.", True),
        ("count", "A few dozen officers gathered.", True),
        ("count", "The police moved in.", False),
        ("time", "It had been a week since the attacks.", True),
        ("time", "In January, officers gathered.", True),
        ("person", "Thierry Werts, a spokesman, said so.", True),
        ("place", "He was killed in St. Denis.", True),
        (None, "Anything at all.", False),
    ],
)
def test_sentences_holding_the_wanted_kind_are_recognised(kind, text, holds):
    assert holds_answer_type(kind, text) is holds
