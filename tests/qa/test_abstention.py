"""qa.abstention: off-topic questions cite nothing; on-topic ones it does not answer offer related reading."""

from __future__ import annotations

import dataclasses

import pytest

from index import Sentence
from qa.abstention import Abstention
from qa.answers import NOT_COVERED, NOT_IN_ARTICLE, Answerer, AnswerOptions


@pytest.fixture(scope="module")
def answerer(retriever):
    return Answerer(retriever)


@pytest.mark.parametrize("question", ["How do I make sourdough bread at home?", "Who won the 2018 FIFA World Cup?"])
def test_a_question_off_the_articles_subject_is_declined_with_nothing_offered(answerer, question):
    reply = answerer.ask(question)
    assert (reply.answerable, reply.declined, reply.answer) == (False, "off_topic", NOT_COVERED)
    assert reply.passages == [] and reply.related == []


def test_a_question_on_its_subject_that_it_does_not_answer_offers_related_reading(answerer):
    reply = answerer.ask("How many people were killed in the November Paris attacks?")
    assert (reply.answerable, reply.declined, reply.answer) == (False, "not_in_article", NOT_IN_ARTICLE)
    assert reply.passages == []
    assert [p.rank for p in reply.related] == [1, 2, 3]


def test_coverage_is_what_declines_it(retriever):
    """The same question is answered once coverage and the answer-type check are off: its cosine is high."""
    question = "How many people were killed in the November Paris attacks?"
    lenient = AnswerOptions(abstention=Abstention(coverage=False, answer_types=frozenset()))
    assert Answerer(retriever, lenient).ask(question).answerable


@pytest.mark.parametrize(
    "question",
    ["How did El Bali try to escape?", "Who is Marouane El Bali?", "What was found in the apartment?"],
)
def test_questions_the_article_answers_are_answered(answerer, question):
    reply = answerer.ask(question)
    assert reply.answerable and reply.declined is None and reply.related == [] and reply.passages


@pytest.mark.parametrize(
    ("answer", "declined"),
    [
        ("Two officers were hurt.", None),
        ("About 300 rounds were fired.", None),
        ("Nobody would say how many.", None),
        ("The officers were hurt.", "not_in_article"),
    ],
)
def test_a_quantity_question_needs_a_quantity_in_its_answer(retriever, answer, declined):
    question = "How many police took part in the raid?"
    result = retriever.search(question)
    rules = Abstention(coverage=False)
    assert result.confidence >= rules.threshold
    assert rules.judge(question, retriever, result, [Sentence(0, len(answer), answer)]) == declined
    unchecked = dataclasses.replace(rules, answer_types=frozenset())
    assert unchecked.judge(question, retriever, result, [Sentence(0, len(answer), answer)]) is None


@pytest.mark.parametrize(
    "question",
    [
        "Which judge authorized the Verviers raid?",  # "a Belgian judge": no name
        "What's the name of the man who drove El Bali to Verviers?",  # "from Brussels": a place
        "When did the trial over the Verviers plot take place?",  # no time in the answer
        "What is the population of Verviers?",  # no number
    ],
)
def test_a_question_whose_answer_lacks_what_it_asks_for_is_declined_with_related_reading(answerer, question):
    reply = answerer.ask(question)
    assert (reply.answerable, reply.declined) == (False, "not_in_article") and reply.related


@pytest.mark.parametrize(
    "question",
    [
        "Which American president did El Bali supposedly help guard?",
        "Who's the family's lawyer?",
        "When was the raid approved by a judge?",
        "Which city did Amghar and Ben Larbi fly to on the way to Syria?",
        "How old is Mohamed?",
        "Who was killed?",
    ],
)
def test_typed_questions_the_article_answers_are_answered(answerer, question):
    assert answerer.ask(question).answerable


def test_the_answer_type_check_is_what_declines_the_judge_question(retriever):
    question = "Which judge authorized the Verviers raid?"
    assert not Answerer(retriever).ask(question).answerable
    quantity_only = AnswerOptions(abstention=Abstention(answer_types=frozenset({"quantity"})))
    assert Answerer(retriever, quantity_only).ask(question).answerable


def test_a_name_beside_the_best_sentence_does_not_answer_who(retriever):
    """The sentence after "authorized by a Belgian judge" ends "asked Taelman": a speaker, not the judge."""
    question = "Which judge authorized the Verviers raid?"
    result = retriever.search(question)
    rules = Abstention(coverage=False)
    best = Sentence(0, 58, "The raid itself was authorized by a Belgian judge in time.")
    speaker = Sentence(59, 107, '"Why don\'t we know the target?" asked Taelman.')
    assert rules.judge(question, retriever, result, [best, speaker], best) == "not_in_article"
    assert rules.judge(question, retriever, result, [best, speaker]) is None  # the whole answer: a name is there
    named = Sentence(0, 55, "The raid was authorized by judge Anne Dubois last week.")
    assert rules.judge(question, retriever, result, [named], named) is None


def test_a_quantity_or_a_time_may_be_in_the_companion(retriever, answerer):
    """The best sentence names the subject, the next gives the figure: answered, not refused."""
    rules = Abstention(coverage=False)
    best = Sentence(0, 32, "Many officers moved in at night.")
    for question, companion in [
        ("How many police took part in the raid?", "About 300 rounds were fired."),
        ("How long did the raid take?", "It took them three months."),
    ]:
        result = retriever.search(question)
        assert result.confidence >= rules.threshold
        assert rules.judge(question, retriever, result, [best, Sentence(33, 60, companion)], best) is None
    assert answerer.ask("How old was Marouane El Bali?").answerable  # "… El Bali, who was 25 at the time, …"
