"""The project's own question sets (eval/extra, reader, fresh, fresh2, typos, sloppy) stay valid: answers are spans."""

from __future__ import annotations

import pytest

from qa.evaluate import load_jsonl, norm

from .conftest import CORPUS, ROOT

SETS = [ROOT / "eval" / name for name in ("extra", "reader", "fresh", "fresh2", "typos", "sloppy")]


@pytest.fixture(scope="module")
def article() -> str:
    return norm((CORPUS / "verviers-raid.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize("folder", SETS, ids=lambda f: f.name)
@pytest.mark.parametrize("name", ["questions.jsonl", "conversations.jsonl"])
def test_every_answer_is_a_span_of_the_article(article, folder, name):
    if not (folder / name).exists():
        pytest.skip(f"{folder.name} has no {name}")  # eval/typos and eval/sloppy hold no conversations
    items = load_jsonl(folder / name)
    assert items, f"{name} is empty"
    for item in items:
        assert 1 <= len(item["answers"]) <= 3, item["id"]
        for answer in item["answers"]:
            assert norm(answer) in article, f"{item['id']}: {answer!r} is not in the article"


@pytest.mark.parametrize("folder", SETS, ids=lambda f: f.name)
def test_ids_are_unique_and_records_well_formed(folder):
    questions = load_jsonl(folder / "questions.jsonl")
    conversations = load_jsonl(folder / "conversations.jsonl")
    out_of_scope = load_jsonl(folder / "out_of_scope.jsonl")
    ids = [r["id"] for r in questions + conversations + out_of_scope]
    assert len(ids) == len(set(ids))
    assert all(q["question"].strip() for q in questions + out_of_scope)
    assert all(2 <= len(c["turns"]) <= 3 for c in conversations)
