"""A question's names find the passage; the rest of the question finds the sentence that answers.

News prose names a person, a place or a group in full once, where it introduces them ("Much of the
attention has fallen on the movements of Abdelhamid Abaaoud, a Belgian of Moroccan origin …"), and
says what they did or what befell them in other sentences, by surname or pronoun ("Abaaoud was
killed in a shoot-out …", "With a mother who worked cleaning hotel rooms …"). A reader's question
names its subject and asks about one of those facts: "What jobs did Mohamed's parents have?",
"Which city did Amghar and Ben Larbi fly to on the way to Syria?". With each query token weighted
by its idf squared (late interaction, ``fusion.IDF_POWER``), the rare names outweigh the rest of the
question, and a sentence that names the subject outranks the one that answers ("Despite Mohamed's
education and skills, the only work he's been able to find …"; "When Amghar and Ben Larbi returned
from Syria …"): as a passage's best sentence, and through it the passage.

So in the sentence-level late interaction a question's names weigh ``NAME_WEIGHT`` of their usual
weight. The passage-level signals weigh them in full: the passage must still be the one about them.
A name is a word the corpus writes capitalised inside its sentences and never in lower case
(``index.words.corpus_names``), so a reader's lower-case "el bali" counts as one too. Only the
last question of the text searched is read: a follow-up's context (the turns before it) names who
the question is about and keeps its weight.

Measured on seven question sets (docs/quality.md), against the same ranking without it: the dev set
hit@1 0.904 → 0.923 and answer 0.885 → 0.904, eval/extra hit@1 0.857 → 0.871 and answer 0.829 →
0.843, eval/fresh hit@3 0.925 → 0.950, eval/typos and eval/sloppy up likewise; eval-natural and
eval/reader level, and no figure of any set down. From 0.5 to 0.75 the figures are the same; at 0.4
near-topic questions are answered (eval-natural abstain_near 0.778 → 0.667), at 0.9 half the gains
are gone.

Across several documents the names are what says which document a question is about: an archive's
first stage weighs them in full (down-weighted there, "What nickname did a TV channel give
Molenbeek?" lost its document among 2,218), and its second stage, within the chosen document, weighs
them less, as over one article.
"""

from __future__ import annotations

from .reported import last_question
from .words import WORD

# What a question's names weigh in sentence-level late interaction, as a share of their usual weight.
NAME_WEIGHT = 0.6


def name_spans(text: str, names: frozenset[str]) -> list[tuple[int, int]]:
    """The character spans of the words of ``names`` in the last question of ``text``, in any case."""
    offset, question = last_question(text)
    return [(offset + m.start(), offset + m.end()) for m in WORD.finditer(question) if m.group().lower() in names]
