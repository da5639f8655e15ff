"""What a question asks for: the kind of answer it expects, and whether a text holds something of that kind.

English questions say what they want in their first words: "How many ...?" wants a quantity,
"When ...?" a time, "What year ...?" a date, "Who was the ...?" or "Which judge ...?" a person,
"Which city ...?" a place. An answer that holds nothing of that kind does not answer, however well
it matches the question's subject: "Which judge authorized the raid?" is not answered by "The raid
was authorized by a Belgian judge", nor "When did the trial take place?" by a sentence with no
time in it. The rules are general English (closed word classes, capitalisation, number and time
words); nothing in them is keyed to a document.

What counts as a name: a word written capitalised inside a sentence (not its first word, nor the
first word of a quotation), that is not a function word, a month or weekday, or a nationality or
religion adjective ("Belgian", "French", "Islamic"), and that the question does not already hold.
A person or an organisation is a name that the text does not put right after "in", "from",
"near" or "outside" (there it names a place: "from Brussels", "in Molenbeek").

"Who did X?" (who and a verb) asks who did it, and news prose often answers with a description
before it has a name: "Who got arrested?" is answered by "The third man fled and was arrested".
For those questions a description of people (a determiner or a number, at most one word, then a
noun for a person or a body: "the third man", "two friends", "a police officer") answers too.
"Who was the ...?", "Which judge ...?" and "the name of ..." still want a name: "Which judge
authorized the raid?" is not answered by "a Belgian judge".

"What is the name of the N?" asks for the name the N goes by, and prose writes a name beside what
it names: "a Molenbeek resident named Khyyat Nourdin", "a special unit of foreign fighters called
Katibat al-Battar", "Virginie Taelman, the Belgian lawyer". So for such a question a name counts
only within ``NAME_WINDOW`` words of one of the N's words (the first three content words after
"name of" that the question does not capitalise): "What is the name of El Bali's girlfriend?" is
not answered by a sentence that names Verviers and says he went "to visit a girl", nor "the name
of the man with the ankle tracking device" by one that names The Telegraph six words from "a man".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from index.words import CALENDAR_WORDS, FOLLOW_UP_OPENING, FUNCTION_WORDS

Kind = Literal["quantity", "time", "date", "person", "place", "other"]

_CALENDAR = CALENDAR_WORDS
_TIME_UNITS = "second minute hour day night week weekend month year decade century morning afternoon evening"

# Who a question asks about when it says "which judge" or "the name of the man": people and bodies.
_AGENT_NOUNS = (
    "man|men|woman|women|person|people|boy|girl|guy|judge|president|minister|premier|king|queen|leader|officer"
    "|official|lawyer|attorney|journalist|reporter|editor|author|writer|prosecutor|expert|spokesman|spokeswoman"
    "|spokesperson|suspect|gunman|attacker|bomber|victim|driver|member|founder|director|analyst|researcher"
    "|group|organization|organisation|company|firm|newspaper|paper|magazine|channel|broadcaster|agency|party"
    "|shop|store|bank|school|university|court"
)
# Nouns for people a news story describes before (or instead of) naming them, beyond the agent nouns.
_PEOPLE_NOUNS = "shooters?|cops?|friends?|plotters?|suspects?|officers?|guys?|residents?|relatives?|neighbou?rs?"
_PLACE_WORDS = frozenset(
    {"city", "town", "village", "country", "nation", "state", "street", "road", "neighborhood", "neighbourhood"}
    | {"district", "region", "province", "area"}
)
_PLACE_NOUNS = "|".join(sorted(_PLACE_WORDS))

_QUANTITY = re.compile(
    r"^how (many|much|old|far)\b|\b(what|which) (number|amount|percentage|proportion|share)\b|\bpopulation\b"
)
_DATE = re.compile(r"\b(what|which|on what|in what) (exact )?(year|date|day|month)\b")
_TIME = re.compile(r"^when\b|^how long\b|\bwhat time\b")
_PERSON = re.compile(
    rf"^who (?!is [a-z]|was [a-z]|are [a-z]|were [a-z])"  # "who is X?" asks what X is, not a name ...
    rf"|^who (is|was|are|were) (the|a|an|his|her|their|its)\b"  # ... "who was the ...?" asks for one
    rf"|\bname of (the |a |an |this |that )?(\w+ )?({_AGENT_NOUNS})\b"
    rf"|\b(which|what) (\w+ )?({_AGENT_NOUNS})\b"
)
_WHO_DID = re.compile(r"^who (?!is |was |are |were |has been |had been )")
_DESCRIPTION = re.compile(
    rf"\b(the|a|an|two|three|four|five|several|some|both)\s+(\w+\s+)?({_AGENT_NOUNS}|{_PEOPLE_NOUNS})\b",
    re.IGNORECASE,
)
_PLACE = re.compile(rf"\b(which|what) (\w+ )?({_PLACE_NOUNS})\b|\bname of\b")
_LEADING = re.compile(FOLLOW_UP_OPENING)
# Compiled once, not looked up in re's cache at each call (``_key`` runs for every word of a question).
_SPACES = re.compile(r"\s+")
_POSSESSIVE = re.compile(r"['\u2019]s?$")
_CONTRACTIONS = (("who's", "who is"), ("what's", "what is"), ("where's", "where is"), ("when's", "when is"))

_WORD = re.compile(r"[A-Za-z\u00C0-\u024F][\w\u00C0-\u024F-]*(?:['\u2019][\w\u00C0-\u024F]+)?")
_OPENING = "\"'\u201c\u2018(["
# Nationalities, peoples and religions, by their English endings ("Belgian", "European",
# "Moroccan", "Flemish", "Congolese") and the few that have none of them.
_ADJECTIVE_ENDINGS = ("ian", "ean", "ican", "ccan", "ese", "ish", "ians", "eans", "icans", "ccans")
_ADJECTIVES = frozenset(
    (
        *("french", "dutch", "greek", "swiss", "thai", "arab", "arabs", "muslim", "muslims"),
        *("islamic", "catholic", "jew", "jews", "western", "eastern"),
    )
)
# A sentence ends at ".", "!" or "?" (and a closing quote), not after a short abbreviation ("St.", "Mr.").
_SENTENCE_END = re.compile(r"(?<![A-Z][a-z]\.)(?<![A-Z]\.)(?<=[.!?])[\"'\u201d\u2019)]*\s+")
_LOCATIVE = frozenset(["in", "from", "near", "outside"])

_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty"
    r"|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|dozens?|once|twice|half|single"
    r"|none|no|nobody|nothing|know)\b",  # "know": an answer may be that the number is not known
    re.IGNORECASE,
)
_TIME_EXPRESSION = re.compile(
    rf"\b(\d{{4}}|{'|'.join(_CALENDAR)}|({'|'.join(_TIME_UNITS.split())})s?|ago|later|earlier|since|until"
    r"|yesterday|today|tomorrow|recently|now|before|after|during|while|when)\b",  # or relative to an event
    re.IGNORECASE,
)
_DATE_EXPRESSION = re.compile(rf"\b(1\d{{3}}|20\d\d|{'|'.join(_CALENDAR)}|yesterday|today|tomorrow)\b", re.IGNORECASE)


# "the name of the N": how far from one of the N's words a name may stand, in words.
NAME_WINDOW = 4
_NAME_OF = re.compile(r"\bname of\b(?P<rest>.*)$", re.IGNORECASE)
_WORDS_OF_TEXT = re.compile(r"[\w\u00C0-\u024F'\u2019-]+")


@dataclass(frozen=True)
class QuestionAnalysis:
    """What ``question`` asks for (``kind``) and its words (``words``, lower case), which an answer must add to.

    ``asked`` is the question as analysed: lower case, contractions spelt out, leading "and"/"so" dropped.
    """

    question: str
    kind: Kind
    words: frozenset[str]
    asked: str = ""
    named: frozenset[str] = frozenset()  # "the name of the N": the N's words, which a name must stand beside

    def answered_by(self, text: str) -> bool:
        """Whether ``text`` holds something of the kind asked (anything does for ``"other"``)."""
        if self.kind == "quantity":
            return bool(_NUMBER.search(text))
        if self.kind == "time":
            return bool(_TIME_EXPRESSION.search(text) or _NUMBER.search(text))
        if self.kind == "date":
            return bool(_DATE_EXPRESSION.search(text))
        if self.kind == "person" and _WHO_DID.search(self.asked) and _DESCRIPTION.search(text):
            return True  # "Who got arrested?": "the third man" answers (see the module)
        if self.kind in ("person", "place"):
            # "the name of the N": a place's name counts only if the N is a place ("the gun shop in Slovakia").
            places = bool(self.named & _PLACE_WORDS) if self.named else self.kind == "place"
            names = new_names(text, self.words, places=places)
            return bool(names) and (not self.named or _beside(names, self.named, text))
        return True


def analyse(question: str) -> QuestionAnalysis:
    """The kind of answer ``question`` expects, from its opening words (see the module's rules)."""
    text = question.lower().replace("\u2019", "'")
    for contracted, full in _CONTRACTIONS:
        text = text.replace(contracted, full)
    text = _LEADING.sub("", _SPACES.sub(" ", text)).strip()
    kind: Kind = "other"
    if _QUANTITY.search(text):
        kind = "quantity"
    elif _DATE.search(text):
        kind = "date"
    elif _TIME.search(text):
        kind = "time"
    elif _PERSON.search(text):
        kind = "person"
    elif _PLACE.search(text):
        kind = "place"
    words = frozenset(_key(w) for w in _WORD.findall(question))
    return QuestionAnalysis(
        question, kind, words, text, _named(question) if kind in ("person", "place") else frozenset()
    )


def _named(question: str) -> frozenset[str]:
    """The words of the N in "the name of the N": its first three content words the question does not capitalise."""
    match = _NAME_OF.search(question)
    if match is None:
        return frozenset()
    words = [w for w in _WORDS_OF_TEXT.findall(match.group("rest")) if not w[:1].isupper()]
    content = [_stem(_key(w)) for w in words if _key(w) not in FUNCTION_WORDS]
    return frozenset(content[:3])


def _stem(word: str) -> str:
    """A word without a plural "s", so that "fighters" stands for "fighter"."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _beside(names: list[str], named: frozenset[str], text: str) -> bool:
    """Whether one of ``names`` stands within ``NAME_WINDOW`` words of one of the ``named`` words in ``text``."""
    words = _WORDS_OF_TEXT.findall(text)
    anchors = [i for i, w in enumerate(words) if _stem(_key(w)) in named]
    wanted = set(names)
    found = [i for i, w in enumerate(words) if w in wanted]
    return any(abs(i - j) <= NAME_WINDOW for i in found for j in anchors)


def new_names(text: str, known: frozenset[str] = frozenset(), places: bool = True) -> list[str]:
    """The names in ``text`` that are not in ``known`` (lower-cased keys); without ``places``, not those of places."""
    names = []
    for sentence in _SENTENCE_END.split(text):
        previous, previous_was_place = "", False
        for match in _WORD.finditer(sentence):
            word = match.group()
            initial = not previous or sentence[max(0, match.start() - 1) : match.start()] in _OPENING
            after_place = previous.lower() in _LOCATIVE or (previous[:1].isupper() and previous_was_place)
            previous_was_place = word[:1].isupper() and after_place
            previous = word
            if initial or not word[:1].isupper() or (not places and after_place):
                continue
            key = _key(word)
            if key in FUNCTION_WORDS or key in _CALENDAR or key in known or _is_adjective(key):
                continue
            names.append(word)
    return names


def _key(word: str) -> str:
    """A word's lower-case form without a possessive ending."""
    return _POSSESSIVE.sub("", word.lower())


def _is_adjective(key: str) -> bool:
    return key in _ADJECTIVES or key.endswith(_ADJECTIVE_ENDINGS)
