"""index.reported: in a question about what someone said, the speaker's tokens weigh less in late interaction."""

from __future__ import annotations

import dataclasses

import pytest

from index.reported import speaker_span
from qa.answers import Answerer


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did the Le Soir reporter call the two deaths?", "the Le Soir reporter"),
        ("Does the Antwerp lawyer think someone in Syria was pulling the strings?", "the Antwerp lawyer"),
        ("Why was El Bali in Verviers, according to his lawyers?", "his lawyers"),
        ("and what does Taelman believe the police wanted", "Taelman"),
        ("Who is the expert? What does he say they have in common?", "he"),  # the last question of a follow-up
        ("What does the family want?", None),  # nothing but the speaker to go on
        ("Does anyone defend the Belgian police?", None),  # no verb of saying
        ("How many police took part in the raid?", None),
    ],
)
def test_the_speaker_is_found_before_a_verb_of_saying(question, speaker):
    span = speaker_span(question)
    assert (question[span[0] : span[1]] if span else None) == speaker


def test_the_speakers_tokens_weigh_half(retriever):
    question = "What did the Le Soir reporter call the two deaths?"
    _, qtok = retriever._encode(question)
    share = retriever._speaker_share(question, len(qtok.ids))
    spans = retriever.encoder.token_spans(question)
    speaker = [question[a:b] for (a, b), s in zip(spans, share, strict=True) if s < 1]
    assert "".join(speaker) == "theLeSoirreporter"  # every token of "the Le Soir reporter", none other
    assert set(share) == {0.5, 1.0}
    assert retriever._speaker_share("Who was killed?", 4) == 1.0


def test_what_the_speaker_said_is_the_answer_not_their_introduction(retriever):
    """The rule alone: the question's names ("Le Soir") weigh in full, and the reporter is not searched by name
    (index/question_names.py and index/roles.py do the same)."""
    question = "What did the Le Soir reporter call the two deaths?"
    alone = retriever.configured(names=False, roles=False)
    answer = dataclasses.replace(Answerer(retriever), retriever=alone).ask(question)
    assert "judicial failure" in answer.answer
    without = dataclasses.replace(Answerer(retriever), retriever=alone.configured(speakers=False))
    assert "judicial failure" not in without.ask(question).answer  # the 45-word introduction fills the answer
