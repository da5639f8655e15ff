"""Write eval/typos and eval/sloppy: the question sets as readers type them, misspelt or in haste.

    python scripts/variant_sets.py        # from ../shared/eval, ../shared/eval-natural, eval/extra, eval/reader

eval/sloppy is every question and out-of-scope question of the four sets typed in haste: lower case,
no apostrophes, no final punctuation ("whats molenbeek like"). eval/typos is below.

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
    write(ROOT / "eval" / "typos" / "questions.jsonl", rows)
    for name in ("questions.jsonl", "out_of_scope.jsonl"):
        hasty = []
        for source in SOURCES:
            for line in (source / name).read_text(encoding="utf-8").splitlines():
                item = json.loads(line)
                key = f"{'s' if name == 'questions.jsonl' else 'so'}{len(hasty):03d}"
                hasty.append({**item, "id": key, "question": hastily(item["question"]), "from": item["id"]})
        write(ROOT / "eval" / "sloppy" / name, hasty)
    return 0


def hastily(question: str) -> str:
    """``question`` typed in haste: lower case, no apostrophes, no final punctuation."""
    text = question.lower().replace("\u2019", "'").replace("'", "")
    return re.sub(r"[?.!,]", "", text).strip()


def write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} questions written to {path}")


if __name__ == "__main__":
    raise SystemExit(main())
