"""index.words: function words, punctuation tokens and names, from English and the model's vocabulary."""

from __future__ import annotations

import pytest

from index import Sentence
from index.lexical import LexicalIndex
from index.words import (
    FUNCTION_WORDS,
    content_words,
    function_word_ids,
    is_yes_no,
    name_terms,
    punctuation_ids,
)


def test_content_words_leave_out_function_words_and_keep_numbers():
    assert content_words("Why did the police raid the apartment in 2015?") == ["police", "raid", "apartment", "2015"]
    assert content_words("why so late?") == ["late"]


def test_punctuation_tokens_of_the_real_vocabulary(encoder):
    vocabulary = encoder.vocabulary()
    ids = set(punctuation_ids(vocabulary).tolist())
    assert vocabulary["?"] in ids and vocabulary["'"] in ids
    assert vocabulary["raid"] not in ids and vocabulary["[CLS]"] not in ids
    assert {vocabulary[w] for w in ("what", "the", "did")} <= set(function_word_ids(vocabulary).tolist())


def test_a_name_is_capitalised_inside_sentences_and_never_lower_case():
    sentences = [
        Sentence(0, 40, "Police raided a flat in Verviers on Thursday."),
        Sentence(41, 80, "The police said Verviers was calm."),
        Sentence(81, 120, "Marouane El Bali survived the raid."),
    ]
    lexical = LexicalIndex([s.text for s in sentences])
    names = name_terms(sentences, lexical)
    assert set(lexical.terms("Verviers Thursday El Bali")) <= names
    assert not set(lexical.terms("police raid")) & names  # "Police" opens a sentence; "police" is lower case too
    assert "the" in FUNCTION_WORDS


def test_questions_and_short_fragments_state_nothing():
    from index.chunking import Sentence
    from index.words import is_fragment

    def sentence(text: str) -> Sentence:
        return Sentence(0, len(text), text)

    assert is_fragment(sentence("Mohamed?"))
    assert is_fragment(sentence("\u201cSo what do the kids do?\u201d"))
    assert is_fragment(sentence("It was trendy."))
    assert not is_fragment(sentence("They sit at home all day; they smoke weed."))


@pytest.mark.parametrize(
    ("question", "yes_no"),
    [
        ("Did the police apologize?", True),
        ("does anyone defend the belgian police", True),
        ("And was he armed?", True),
        ("Why did the police raid the apartment?", False),
        ("Who was killed?", False),
        ("Isabelle's lawyer said what?", False),  # "is" only as the start of a longer word
    ],
)
def test_a_yes_no_question_opens_with_an_auxiliary(question, yes_no):
    assert is_yes_no(question) is yes_no
