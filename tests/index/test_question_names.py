"""index.question_names: a question's names weigh less in the sentence-level signals, not the passage's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index import Retriever, load_index
from index.question_names import NAME_WEIGHT, name_spans
from index.words import corpus_names
from qa.answers import Answerer

NAMES = corpus_names({"mohamed", "el", "bali", "the", "syria"}, {"parents", "el"})


def test_a_name_is_capitalised_somewhere_never_lower_case_and_no_function_word():
    assert frozenset({"mohamed", "bali", "syria"}) == NAMES  # "el" is also written in lower case; "the" is no name


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("What jobs did Mohamed's parents have?", ["Mohamed"]),  # the possessive's "s" is no part of it
        ("did el bali ever go to syria", ["bali", "syria"]),  # a reader's lower case counts
        ("Who is Mohamed? What did his parents do?", []),  # the context's names keep their weight
        ("What did the police find?", []),
    ],
)
def test_the_names_of_the_last_question_are_found_in_any_case(text, found):
    assert [text[a:b] for a, b in name_spans(text, NAMES)] == found


def test_the_names_tokens_weigh_less_in_sentences_only(retriever):
    question = "What jobs did Mohamed's parents have?"
    _, qtok = retriever._encode(question)
    share = retriever._name_share(question, len(qtok.ids))
    spans = retriever.encoder.token_spans(question)
    assert [question[a:b] for (a, b), s in zip(spans, share, strict=True) if s < 1] == ["Mohamed"]
    assert set(share) == {NAME_WEIGHT, 1.0}
    assert retriever._name_share("What did the police find?", 6) == 1.0
    assert retriever.configured(names=False)._name_share(question, len(qtok.ids)) == 1.0


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("What jobs did Mohamed's parents have?", "janitor at a university"),
        ("Which city did Amghar and Ben Larbi fly to on the way to Syria?", "Istanbul"),
    ],
)
def test_the_sentence_that_answers_comes_before_the_one_introducing_the_subject(retriever, question, answer):
    """The subject's introduction ranked first, and its passage with it, while the names weighed in full."""
    reply = Answerer(retriever).ask(question)
    assert answer in reply.passages[0].text and answer in reply.answer
    full = dataclasses.replace(Answerer(retriever), retriever=retriever.configured(names=False)).ask(question)
    assert answer not in full.passages[0].text


def test_across_documents_the_names_weigh_in_full(two_document_dirs, encoder):
    """An archive's first stage: the names say which document is meant; its second stage weighs them less."""
    corpus, index = two_document_dirs
    parent = Retriever(encoder, load_index(index, corpus, encoder))
    question = "What jobs did Mohamed's parents have?"
    n_tokens = len(parent._encode(question)[1].ids)
    assert parent._name_share(question, n_tokens) == 1.0
    within = parent._in_document("verviers-raid")._name_share(question, n_tokens)
    assert isinstance(within, np.ndarray) and set(within) == {NAME_WEIGHT, 1.0}
