"""A speaker a question names by role is searched by the name the article introduces them with.

News prose introduces a person once, by name and role in an appositive ("Kris Luyckx, a criminal
lawyer in Antwerp …, says", "said van der Sypt, the prosecutor's spokesperson"), and from then on
quotes them by surname alone ("… I think it's more improvisation," Luyckx said.). A reader who
read the article remembers the role, not the name: "Does the Antwerp lawyer think someone in Syria
was pulling the strings?", "What did the prosecutor's spokesman say about El Bali not fighting
back?". The role's words are found only where the person is introduced, so the introduction
outranks the paragraph with the words asked about, which names the speaker by surname only.

So in a question about what someone said (``reported.speaker_span``), the speaker's words, searched
alone, find the passage that introduces them; the appositives of that passage (a name, a comma, then
"a", "an" or "the" and the role) are the people it introduces; the one whose role covers the
speaker's words (their content tokens, weighted by idf squared as in late interaction, matched by
the model's token vectors at cosine ``ROLE_TAU`` or more, at least ``ROLE_SHARE`` of them) is who
is meant, and the question is searched with their surname in place of the role. A speaker the
question already names, a pronoun ("she"), or a role no introduction covers ("his lawyers", "the
article") leaves the question as it is. Over several documents the speaker is looked for in the
document the question itself finds first (the role alone could find another document's).

Measured on seven question sets and a blind eighth (docs/quality.md), against the same ranking
without it: eval-natural hit@1 0.889 → 0.933 and answer 0.800 → 0.844, eval/fresh hit@1 0.825 →
0.850, eval/typos and eval/sloppy up likewise; no question of any set lower.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .chunking import Passage
from .encoder import TokenVectors
from .words import CALENDAR_WORDS, FUNCTION_WORDS

# A role's share of a speaker's words, and the cosine at which a token counts as matched.
ROLE_SHARE = 0.5
ROLE_TAU = 0.5

_CAPITALISED = r"[A-Z][\w\u00C0-\u024F'\u2019-]*"
# Lower-case particles of surnames ("Eric van der Sypt", "al-Tamimi" is one word).
_PARTICLE = r"(?:van|von|der|den|de|du|la|le|el|al|bin|ben|da|di|dos|das)"
_NAME = rf"(?:{_PARTICLE}\s+)*{_CAPITALISED}(?:\s+(?:{_PARTICLE}\s+)*{_CAPITALISED})*"
_APPOSITIVE = re.compile(rf"(?P<name>{_NAME}),\s+(?P<role>(?:a|an|the)\s+[^,;:\u2014.()\"\u201c\u201d]+)")
_LOCATIVE = frozenset(("in", "from", "near", "outside", "at", "to"))


@dataclass(frozen=True)
class Introduction:
    """A person as a passage introduces them: the surname later sentences use, and the role."""

    surname: str
    role: str


def introductions(passage: Passage, names: frozenset[str]) -> list[Introduction]:
    """The appositives of ``passage`` that introduce someone: a name (its last word one of the corpus's
    ``names``, lower case), a comma, then "a", "an" or "the" and a role up to the next comma or dash.

    Not a place ("… in Molenbeek, a mostly immigrant …": after "in", "from" …), a date ("In July,
    the family …") or a clause opening with a name ("According to Taelman, the family has …" reads as
    one; its role then covers no speaker's words, and it is never chosen).
    """
    found = []
    for sentence in passage.sentences:
        for match in _APPOSITIVE.finditer(sentence.text):
            words = match.group("name").split()
            while len(words) > 1 and words[0].lower() in FUNCTION_WORDS:  # "In July", "The Telegraph"
                words = words[1:]
            before = sentence.text[: match.start()].split()
            if words[-1].lower() not in names or any(w.lower() in CALENDAR_WORDS for w in words):
                continue
            if before and before[-1].lower() in _LOCATIVE:
                continue
            # The surname: the name without its first (given) name, when it has one.
            capitalised = [i for i, w in enumerate(words) if w[:1].isupper()]
            surname = words[1:] if len(capitalised) > 1 and capitalised[0] == 0 else words
            found.append(Introduction(" ".join(surname), match.group("role").strip()))
    return found


def best_introduction(
    speaker: TokenVectors, weights: np.ndarray, people: list[Introduction], roles: list[TokenVectors]
) -> Introduction | None:
    """Of ``people`` (their ``roles`` as token vectors), the one whose role covers most of the ``speaker``'s
    words (token ``weights``: idf squared, content only), if it covers at least ``ROLE_SHARE``."""
    total = float(weights.sum())
    if total <= 0 or not people:
        return None
    shares = [
        float((weights * ((speaker.vectors @ role.vectors.T).max(axis=1) >= ROLE_TAU)).sum()) / total
        if len(role.ids)
        else 0.0
        for role in roles
    ]
    best = int(np.argmax(shares))  # the first of equals: the passage's earlier introduction
    return people[best] if shares[best] >= ROLE_SHARE else None
