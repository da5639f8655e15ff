"""Follow-ups lean on the previous question only when they need it."""

from __future__ import annotations

import pytest

from service.followups import needs_context, retrieval_query

HISTORY = [
    {"role": "user", "content": "Who is Marouane El Bali?"},
    {"role": "assistant", "content": "He was in the bathroom when the police arrived. [1]"},
]


@pytest.mark.parametrize(
    ("question", "needs"),
    [
        ("How did he try to escape?", True),
        ("Where were those originally bought?", True),
        ("What did a broadcaster call it?", True),
        ("And his age?", True),
        ("Why?", True),
        ("Where were the Kalashnikovs originally purchased?", False),
        ("Who is Virginie Taelman?", False),
    ],
)
def test_needs_context(question, needs):
    assert needs_context(question) is needs


def test_follow_up_is_searched_with_the_previous_user_question():
    assert retrieval_query("How did he try to escape?", HISTORY) == "Who is Marouane El Bali? How did he try to escape?"


def test_self_contained_question_is_searched_alone():
    assert retrieval_query("Who is Virginie Taelman?", HISTORY) == "Who is Virginie Taelman?"


def test_no_history_means_the_question_alone():
    assert retrieval_query("How did he try to escape?", []) == "How did he try to escape?"
