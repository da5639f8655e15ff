"""End to end: a real gunicorn with two workers (gthread) on a loopback port, over HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.parser import text_string_to_metric_families

from qa.pipeline import build_pipeline
from qa.settings import load_settings

from ..conftest import EVAL_DIR, QUESTION


def post(url: str, body: bytes, content_type: str = "application/json"):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_gunicorn_answers_over_http(server):
    status, data = post(server.url + "/api/ask", json.dumps({"question": "Where was Abaaoud killed?"}).encode())
    assert status == 200
    assert data["answerable"] and "St. Denis" in data["passages"][0]["text"]


def test_gunicorn_answers_bad_input_with_json_not_a_traceback(server):
    status, data = post(server.url + "/api/ask", b"{broken")
    assert status == 400 and data["error"]["code"] == "invalid_json"
    status, data = post(server.url + "/api/ask", json.dumps({"question": ""}).encode())
    assert status == 400 and "question" in data["error"]["message"]


def test_every_worker_can_answer_a_follow_up(server):
    body = {
        "question": "Where were those originally bought?",
        "history": [
            {"role": "user", "content": "What weapons did the Verviers plotters have?"},
            {"role": "assistant", "content": "Kalashnikovs. [1]"},
        ],
    }
    for _ in range(4):  # several requests, so both workers answer at least once in all likelihood
        status, data = post(server.url + "/api/ask", json.dumps(body).encode())
        assert status == 200
        assert any("gun shop in Slovakia" in p["text"] for p in data["passages"])


def test_questions_asked_at_once_get_the_answers_each_gets_alone(server, index_dir, corpus_dir):
    """gthread workers encode questions that arrive together in one run (index/batching.py): nothing in an
    answer may depend on which questions shared it. The reference is the same index answered in this
    process, one question at a time, by an encoder that never batches."""
    settings = load_settings({"QA_INDEX_DIR": str(index_dir), "QA_CORPUS_DIR": str(corpus_dir), "QA_ENCODE_BATCH": "1"})
    alone = build_pipeline(settings).require()
    lines = (EVAL_DIR / "questions.jsonl").read_text(encoding="utf-8").splitlines() if EVAL_DIR.is_dir() else []
    questions = [json.loads(line)["question"] for line in lines if line.strip()][:24] or [QUESTION] * 4
    # A variation of each, so that no worker has it cached from an earlier test.
    questions = [f"{q.rstrip('?')} ?" for q in questions]

    def ask(question: str):
        return post(server.url + "/api/ask", json.dumps({"question": question}).encode())

    with ThreadPoolExecutor(16) as pool:
        replies = list(pool.map(ask, questions))
    for question, (status, data) in zip(questions, replies, strict=True):
        assert status == 200, data
        expected = alone.ask(question)
        assert data["answer"] == expected.answer, question
        assert [p["id"] for p in data["passages"] or data["related"]] == [
            p.id for p in expected.passages or expected.related
        ], question
        assert data["confidence"] == expected.confidence


def test_metrics_say_how_many_questions_each_run_of_the_model_encoded(server):
    question = f"What did the harbour master count on the {uuid.uuid4().hex[:8]} pier?"  # new: not in any cache
    status, _ = post(server.url + "/api/ask", json.dumps({"question": question}).encode())
    assert status == 200
    with urllib.request.urlopen(server.url + "/metrics", timeout=30) as resp:
        text = resp.read().decode()
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "qa_encode_batch_questions"
        for sample in family.samples
        if not sample.labels.get("le")
    }
    # Summed over both workers: at least this question's run, and never fewer questions than runs.
    assert samples["qa_encode_batch_questions_count"] >= 1
    assert samples["qa_encode_batch_questions_sum"] >= samples["qa_encode_batch_questions_count"]
