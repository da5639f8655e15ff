"""Write eval/typos: the project's question sets with one name of each question misspelt, as readers type them.

    python scripts/typo_set.py            # from ../shared/eval, ../shared/eval-natural, eval/extra, eval/reader

Readers misspell the foreign names of a news story ("Abaoud", "Molenbek", "Taelman" as "Telman").
Each question that holds a name of the article (a word the article writes capitalised inside
sentences and never in lower case, of five letters or more) gets one of them misspelt by one
edit: a letter dropped, two neighbouring letters swapped, or a vowel changed, chosen by a seeded
random generator so the set is the same on every run. The answers are the original question's.
Scored like any set: ``python -m qa.evaluate eval/typos`` (docs/quality.md).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.chunking import split_sentences  # noqa: E402
from index.corpus import load_corpus  # noqa: E402
from index.words import FUNCTION_WORDS, cased_words  # noqa: E402

SHARED = ROOT.parent / "shared"
SOURCES = [SHARED / "eval", SHARED / "eval-natural", ROOT / "eval" / "extra", ROOT / "eval" / "reader"]
SEED = 7
VOWELS = "aeiou"


def misspell(word: str, rng: random.Random) -> str:
    """``word`` with one edit inside it (never its first or last letter), or as it was if none applies."""
    for _ in range(10):
        op, i = rng.choice(["drop", "swap", "vowel"]), rng.randrange(1, len(word) - 1)
        if op == "drop":
            out = word[:i] + word[i + 1 :]
        elif op == "swap":
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif word[i].lower() in VOWELS:
            out = word[:i] + rng.choice([v for v in VOWELS if v != word[i].lower()]) + word[i + 1 :]
        else:
            continue
        if out.lower() != word.lower():
            return out
    return word


def main() -> int:
    documents = load_corpus(ROOT / "corpus")
    sentences = [s for d in documents for p in d.paragraphs for s in split_sentences(p.text)]
    upper, lower = cased_words(sentences)
    names = {w for w in upper - lower if w not in FUNCTION_WORDS and len(w) >= 5}
    rng = random.Random(SEED)
    rows = []
    for source in SOURCES:
        for line in (source / "questions.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            words = [w for w in re.findall(r"[A-Za-z]+", item["question"]) if w.lower() in names]
            if not words:
                continue
            word = rng.choice(words)
            typo = misspell(word, rng)
            if typo != word:
                question = re.sub(rf"\b{word}\b", typo, item["question"], count=1)
                row = {"id": f"t{len(rows):03d}", "question": question, "answers": item["answers"], "from": item["id"]}
                rows.append(row)
    out = ROOT / "eval" / "typos"
    out.mkdir(exist_ok=True)
    (out / "questions.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    print(f"{len(rows)} questions written to {out / 'questions.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
