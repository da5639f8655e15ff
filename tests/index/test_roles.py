"""index.roles: a speaker the question names by role is searched by the name the article introduces them with."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from index import Retriever, load_index
from index.chunking import Passage, split_sentences
from index.roles import Introduction, best_introduction, introductions
from qa.answers import Answerer

NAMES = frozenset({"kris", "luyckx", "sypt", "molenbeek", "july", "antwerp", "taelman", "brussels", "virginie"})


def passage(text: str) -> Passage:
    return Passage("doc:1:1", "doc", "Doc", 1, 0, len(text), text, tuple(split_sentences(text)))


def test_an_appositive_introduces_a_person_by_surname_and_role():
    found = introductions(
        passage(
            "Kris Luyckx, a criminal lawyer in Antwerp who has clients — most of them old ones — says so. "
            '"We had some trouble," said van der Sypt, the prosecutor\'s spokesperson.'
        ),
        NAMES,
    )
    assert found == [
        Introduction("Luyckx", "a criminal lawyer in Antwerp who has clients"),  # up to the dash
        Introduction("van der Sypt", "the prosecutor's spokesperson"),  # a surname's particles kept
    ]


@pytest.mark.parametrize(
    "text",
    [
        "They had left their homes in Molenbeek, a mostly immigrant neighborhood.",  # a place: after "in"
        "In July, the family filed a legal challenge.",  # a date
        "According to Taelman, the family has been kept in the dark.",  # a clause, after "to"
        "Smith, a man nobody knew, was there.",  # "smith" is not one of the corpus's names
    ],
)
def test_places_dates_clauses_and_unknown_words_introduce_nobody(text):
    assert introductions(passage(text), NAMES) == []


def test_the_role_that_covers_most_of_the_speakers_words_is_chosen(retriever):
    people = [
        Introduction("Metdepenningen", "a journalist for the Belgian newspaper Le Soir"),
        Introduction("Luyckx", "a criminal lawyer in Antwerp"),
    ]
    encoder = retriever.encoder
    _, roles = encoder.encode_tokens([p.role for p in people])

    def chosen(speaker: str) -> Introduction | None:
        _, (tokens,) = encoder.encode_tokens([speaker])
        weights = np.take(retriever.coverage_weight, tokens.ids, mode="clip")  # idf squared, content only
        return best_introduction(tokens, weights, people, roles)

    assert chosen("the Antwerp lawyer") == people[1]  # "lawyer" is only Luyckx's role ...
    assert chosen("the Le Soir reporter") == people[0]  # ... "Le Soir" only Metdepenningen's
    assert chosen("a Belgian broadcaster once") is None  # "Belgian" alone is under half the words
    assert chosen("the") is None  # a function word weighs nothing


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("Does the Antwerp lawyer think someone in Syria was pulling the strings?", "I think it's more improvisation"),
        ("What did the prosecutor's spokesman say about El Bali not fighting back?", "He wasn't prepared to die"),
    ],
)
def test_the_speakers_words_come_before_their_introduction(retriever, question, words):
    """Searched as named ("Luyckx", "van der Sypt"), the paragraph quoting them comes first; without the
    rule, the one whose words name the role."""
    reply = Answerer(retriever).ask(question)
    assert words in reply.passages[0].text and words in reply.answer
    without = dataclasses.replace(Answerer(retriever), retriever=retriever.configured(roles=False)).ask(question)
    assert words not in without.passages[0].text


@pytest.mark.parametrize(
    "question",
    [
        "What does she think the police wanted?",  # a pronoun: no words of its own
        "According to his lawyers, how did El Bali get to Verviers?",  # no introduction covers "his lawyers"
        "What does Taelman believe the police were there to do?",  # named already
        "Where was El Bali when the police came in?",  # no one said anything
    ],
)
def test_other_questions_are_searched_as_asked(retriever, question):
    without = retriever.configured(roles=False).search(question).hits
    assert [h.passage.id for h in retriever.search(question).hits] == [h.passage.id for h in without]


def test_a_role_is_replaced_by_the_surname_in_the_question(retriever):
    question = "What did the Le Soir reporter call the two deaths?"
    assert retriever._named_speaker(question, (9, 29), None) == "What did Metdepenningen call the two deaths?"
    assert retriever._named_speaker("According to his lawyers, why?", (13, 24), None) is None


def test_a_resolved_speaker_is_remembered_by_the_ranking_that_resolved_it(retriever):
    """A speaker asked about again costs no search; a ranking configured otherwise resolves afresh."""
    question = "What does the small arms expert say about the Kalashnikovs?"
    assert retriever._named_speaker(question, (10, 31), None) == "What does Vranckx say about the Kalashnikovs?"
    assert retriever._speakers.get(("the small arms expert", None)) == (True, "Vranckx")
    assert retriever._speakers.get(("the gardener", None)) == (False, None)  # never asked
    assert not retriever.configured(names=False)._speakers
    retriever.search("What does Taelman believe the police were there to do?")
    assert ("taelman", None) not in retriever._speakers  # a speaker named already is not looked for
    assert "verviers-raid:24:1" in retriever._introductions  # Vranckx's passage, its roles encoded once


def test_across_documents_the_speaker_is_looked_for_in_the_questions_document(two_document_dirs, encoder):
    corpus, index = two_document_dirs
    parent = Retriever(encoder, load_index(index, corpus, encoder))
    question = "Does the Antwerp lawyer think someone in Syria was pulling the strings?"
    hits = parent.search(question).hits
    assert "I think it's more improvisation" in hits[0].passage.text
    assert {h.passage.document for h in hits} == {"verviers-raid"}
