"""Questions as readers type them: a question without its question mark gets one.

Readers type fast: lower case, no apostrophes, no question mark ("how old was el bali"). Case does
not matter to the uncased model or to BM25, but the question mark does: the encoder was trained on
questions written with it, so without it a question's vectors drift, and with them the ranking and
the confidence that abstention reads. Measured on the four question sets typed that way (lower
case, apostrophes and final punctuation dropped; ``scripts/variant_sets.py``): hit@1 0.855 → 0.836,
near-topic questions declined 0.765 → 0.588 against the same questions as written; with the mark
put back, 0.855 and 0.765 again. So a question that opens with a question word or an auxiliary
("who", "how", "did", "is" ...) and ends without ".", "!" or "?" is searched with a "?" after it.
Nothing else is changed: "tell me about mohamed" is not a question in that form and stays as it is.
"""

from __future__ import annotations

import re

from index.words import AUXILIARIES

_OPENING = re.compile(
    r"^\W*(who|whom|whose|what|which|when|where|why|how|whats|whos|wheres|hows|whens"  # and without apostrophes
    rf"|{'|'.join(AUXILIARIES)})\b",
    re.IGNORECASE,
)
_ENDED = re.compile(r"[?.!]['\"\u2019\u201d)]*\s*$")


def with_question_mark(text: str) -> str:
    """``text`` with a "?" after it when it is a question typed without one (see the module)."""
    stripped = text.rstrip()
    if not stripped or _ENDED.search(stripped) or not _OPENING.search(stripped):
        return text
    return stripped + "?"
