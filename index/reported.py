"""Questions about what someone said: the speaker says whose words, the rest of the question which of them.

"What did the Le Soir reporter call the two deaths?", "Does the Antwerp lawyer think someone in
Syria was pulling the strings?", "Why was El Bali in Verviers, according to his lawyers?". The
speaker's words find every passage where that person is introduced or speaks; the rest of the
question finds which of their words answers. With each query token weighted by its idf squared
(late interaction, ``fusion.IDF_POWER``), the speaker's rare words ("Le Soir", "Antwerp") outweigh
the rest, and the sentence that introduces the speaker comes first while what they said sits a
sentence or a paragraph on: news prose introduces a person at length ("Marc Metdepenningen, a
journalist for the Belgian newspaper Le Soir who has covered the case, compares …") and reports
their words after ("Metdepenningen has referred to the deaths … as a 'judicial failure.'"). So the
speaker's tokens weigh ``SPEAKER_WEIGHT`` of what they otherwise would.

Recognised, in the last question of the text searched (a follow-up is searched after the turns it
leans on): a question word and an auxiliary, or an auxiliary alone, then the speaker, then a verb
that reports words, views or wishes ("say", "call", "think", "want" …); or "according to" and the
speaker. Only when the rest of the question has a content word of its own: "What does the family
want?" has nothing else to go on.

Measured on seven question sets (docs/quality.md), against the same ranking without it: eval-natural
answer 0.778 → 0.800; eval/extra hit@1 0.843 → 0.857, MRR 0.898 → 0.905, answer 0.814 → 0.829;
eval/fresh hit@1 0.800 → 0.825, answer 0.750 → 0.800; eval/typos and eval/sloppy likewise; the dev
set and eval/reader level. Twelve questions change, ten for the better; the two others stay in the
first three (a follow-up "What does he say they have in common?" from first to second, a hasty
"what did the prosecutors spokesman say …" from second to third). At 0.25 the gains are the same;
at 0.75 almost none.
"""

from __future__ import annotations

import re

from .words import FOLLOW_UP_OPENING, content_words

# What the speaker's tokens weigh in late interaction, as a share of their usual weight.
SPEAKER_WEIGHT = 0.5

_REPORTING = (
    r"(?:say|says|said|think|thinks|believe|believes|call|calls|describe|describes|tell|tells|told|argue|argues"
    r"|claim|claims|feel|feels|mean|suggest|suggests|consider|considers|make of|see|sees|blame|blames|compare"
    r"|compares|want|wants)"
)
_AUXILIARY = r"(?:did|does|do|has|have|had|would|will|is|was)"
_SPEAKER_THEN_VERB = rf"\s+(?P<speaker>.+?)\s+{_REPORTING}\b"
_SPEAKER = (
    re.compile(rf"{FOLLOW_UP_OPENING}(?:what|how|why|who|whom)\s+{_AUXILIARY}{_SPEAKER_THEN_VERB}", re.I),
    re.compile(rf"{FOLLOW_UP_OPENING}(?:does|did|do|is|was|has|have){_SPEAKER_THEN_VERB}", re.I),
    re.compile(r"according to (?P<speaker>[^,?]+)", re.I),
)
_REPORTING_WORD = re.compile(rf"\b{_REPORTING}\b", re.I)
# Where a question of a searched text ends and the next starts (earlier turns end with "?"; not at a
# full stop, which "St. Denis" has too).
_QUESTION_END = re.compile(r"\?+[\"'\u201d\u2019)]*\s+")


def last_question(text: str) -> tuple[int, str]:
    """The last question of ``text`` (a follow-up is searched after the turns it leans on), and where it starts."""
    text = text.rstrip()
    offset = max((m.end() for m in _QUESTION_END.finditer(text)), default=0)
    return offset, text[offset:]


def speaker_span(text: str) -> tuple[int, int] | None:
    """The character span of the speaker in the last question of ``text``, or None (see the module)."""
    offset, question = last_question(text)
    for pattern in _SPEAKER:
        match = pattern.search(question)
        if match is None:
            continue
        rest = _REPORTING_WORD.sub(" ", question[: match.start("speaker")] + " " + question[match.end("speaker") :])
        if not content_words(rest):
            return None
        return offset + match.start("speaker"), offset + match.end("speaker")
    return None
