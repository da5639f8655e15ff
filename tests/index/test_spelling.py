"""index.spelling: misspelt names read as the corpus spells them, and nothing else changed."""

from __future__ import annotations

import pytest

from index.spelling import NameSpeller


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("who is abaoud", "who is Abaaoud"),  # a letter dropped; a name is written capitalised
        ("what is molenbek like", "what is Molenbeek like"),
        ("who is virginie telman", "who is virginie Taelman"),
        ("what did grinyard say", "what did Grignard say"),  # two edits in a long word
        ("Where did Amgar go?", "Where did Amghar go?"),
    ],
)
def test_a_misspelt_name_is_read_as_the_articles(retriever, typed, read):
    assert retriever.speller.correct(typed) == read


@pytest.mark.parametrize(
    "question",
    [
        "What ball did they play?",  # an English word of the model's vocabulary, though Bali is one edit away
        "What is the capital of Australia?",  # no name of the article near it
        "Who won the 2018 FIFA World Cup?",
        "Who is Abaaoud?",  # spelt right
        "Who is Bal?",  # under four letters
    ],
)
def test_other_words_are_left_as_typed(retriever, question):
    assert retriever.speller.correct(question) == question


def test_a_word_two_names_are_equally_close_to_is_left_alone():
    speller = NameSpeller.of({"marten", "martin"}, set(), frozenset())
    assert speller.correct("who is martan") == "who is martan"
    assert speller.correct("who is martinn") == "who is Martin"


def test_a_reply_says_what_was_searched(client):
    typed = client.post("/api/ask", json={"question": "Who is Virginie Telman?"}).get_json()
    assert typed["answerable"] and typed["searched"] == "Who is Virginie Taelman?"
    assert "Taelman" in typed["answer"]
    spelt = client.post("/api/ask", json={"question": "Who is Virginie Taelman?"}).get_json()
    assert spelt["searched"] is None
    assert [p["id"] for p in spelt["passages"]] == [p["id"] for p in typed["passages"]]
