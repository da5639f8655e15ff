"""Feedback: POST /api/feedback stores a rating in SQLite; the export CLI writes it as JSONL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from qa.feedback import FeedbackError, FeedbackStore


def test_feedback_is_stored_with_question_answer_and_passages(client, app):
    body = {
        "rating": "down",
        "question": "Who is Mohamed?",
        "answer": "A resident. [1]",
        "passage_ids": ["verviers-raid:14:1"],
    }
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 201
    row_id = response.get_json()["id"]
    rows = {r["id"]: r for r in FeedbackStore(app.config["FEEDBACK_DB"]).all()}
    stored = rows[row_id]
    assert (stored["rating"], stored["question"], stored["answer"]) == ("down", "Who is Mohamed?", "A resident. [1]")
    assert stored["passage_ids"] == ["verviers-raid:14:1"] and stored["source"] == "api"
    assert stored["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": "meh", "question": "q", "answer": "a"}, "rating"),
        ({"rating": "up", "answer": "a"}, "question"),
        ({"rating": "up", "question": "q", "answer": "a", "passage_ids": "x"}, "passage_ids"),
    ],
)
def test_bad_feedback_is_refused_naming_the_field(client, body, field):
    response = client.post("/api/feedback", json=body)
    assert response.status_code == 400
    assert field in response.get_json()["error"]["message"]


def test_export_writes_jsonl(tmp_path):
    db = tmp_path / "f.sqlite3"
    store = FeedbackStore(db)
    store.record("up", "Q1", "A1", ["d:1:1"], source="web")
    store.record("down", "Q2", "A2", [], source="slack")
    out = subprocess.run(
        [sys.executable, "-m", "qa.feedback", "export", "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["question"], r["rating"], r["source"]) for r in lines] == [("Q1", "up", "web"), ("Q2", "down", "slack")]
    assert out.stderr == ""


def test_unwritable_store_raises_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(FeedbackError, match="could not be stored"):
        FeedbackStore(blocker / "f.sqlite3").record("up", "q", "a", [], source="web")
