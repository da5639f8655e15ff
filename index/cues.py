"""Question-type cues: what kind of phrase would answer a question, and which sentences hold one.

"How old ..." wants an age, "how many" a number, "when" a time or date, "who" a person, "where" a
place. These are general English patterns, not lists drawn from any one article; a sentence that
holds the wanted kind of phrase gets a small bonus when ranking and when choosing the answer.
"""

from __future__ import annotations

import re

_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundreds?"
    r"|thousands?|millions?|billions?|dozens?|several|a few|a couple|half"
)
_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"

QUESTION_TYPES: list[tuple[str, re.Pattern[str]]] = [
    ("age", re.compile(r"\bhow old\b|\bwhat age\b|\bat what age\b", re.I)),
    ("count", re.compile(r"\bhow (many|much)\b|\bwhat number\b|\bnumber of\b", re.I)),
    ("time", re.compile(r"^\W*when\b|\bwhat (year|month|day|date|time)\b|\bhow (long|soon)\b|\bsince when\b", re.I)),
    ("person", re.compile(r"^\W*(who|whom)\b|\bwhose\b|\bwhich (man|woman|person|lawyer|official)\b", re.I)),
    ("place", re.compile(r"^\W*where\b|\bwhat (city|town|country|neighbou?rhood|place)\b|\bin which\b", re.I)),
]

ANSWER_PATTERNS: dict[str, re.Pattern[str]] = {
    "age": re.compile(
        r"\b\d{1,3}[- ]years?[- ]old\b|\b(who|which) (was|were|is|are) \d{1,3}\b|\baged? \d{1,3}\b"
        r"|,\s\d{1,3},|\bin (his|her|their) (teens|twenties|thirties|forties|fifties|sixties)\b|\b\d{1,3} or \d{1,3}\b",
        re.I,
    ),
    "count": re.compile(rf"\b\d[\d,.]*\b|\b({_NUMBER_WORDS})\b", re.I),
    "time": re.compile(
        rf"\b({_MONTHS}|{_DAYS})\b|\b(1[89]\d\d|20\d\d)\b|\b\d{{1,2}}(:\d\d)?\s?(a\.m\.|p\.m\.)"
        r"|\b(days?|weeks?|months?|years?|hours?|minutes?|decades?|morning|evening|night|ago|later|earlier"
        r"|yesterday|today|tomorrow|recently|then|since|until|before|after)\b",
        re.I,
    ),
    # A person: two capitalised words in a row (a full name) or a word for someone's role.
    "person": re.compile(
        r"\b[A-Z][a-z\u00C0-\u024F'’-]+ (?:(?:van|von|de|der|del|la|le|el|al|ben|bin|da|di|du)[ -])?"
        r"[A-Z][a-z\u00C0-\u024F'’-]+"
        r"|\b(lawyer|attorney|prosecutor|spokes(man|woman|person)|journalist|reporter|officer|official|minister"
        r"|expert|criminologist|adviser|advisor|activist|resident|friend|brother|sister|mother|father|son|daughter"
        r"|judge|police(man|woman)?|researcher|director|leader)s?\b",
    ),
    "place": re.compile(
        r"\b(in|at|from|to|near|outside|inside|across|into)\s(the\s)?[A-Z][a-z\u00C0-\u024F'’-]+"
        r"|\b(city|town|village|country|neighbou?rhood|street|building|apartment|house|border|region|capital)\b",
    ),
}


def question_type(question: str) -> str | None:
    """The kind of phrase the question asks for, or None when its form says nothing."""
    for name, pattern in QUESTION_TYPES:
        if pattern.search(question):
            return name
    return None


def holds_answer_type(kind: str | None, text: str) -> bool:
    """Whether ``text`` holds a phrase of the wanted kind."""
    return bool(kind) and bool(ANSWER_PATTERNS[kind].search(text))
