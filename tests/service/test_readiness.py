"""A broken index keeps the process up but refuses to answer: /readyz and /api/ask say 503 with the fix."""

from __future__ import annotations

import shutil

import pytest

from service import create_app


@pytest.fixture()
def app_with(tmp_path, index_dir, corpus_dir):
    def make(break_index) -> object:
        broken = tmp_path / "index"
        shutil.copytree(index_dir, broken)
        break_index(broken)
        return create_app({"TESTING": True, "INDEX_DIR": str(broken), "CORPUS_DIR": str(corpus_dir)})

    return make


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize(
    ("break_index", "code", "words"),
    [
        (lambda d: shutil.rmtree(d), "index_missing", "python -m index build"),
        (lambda d: _truncate(d / "sentences.faiss"), "index_corrupt", "checksum"),
        (lambda d: (d / "manifest.json").write_text("{}"), "index_stale", "unknown format"),
    ],
)
def test_broken_index_gives_503_with_the_reason(app_with, break_index, code, words):
    client = app_with(break_index).test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert words in ready.get_json()["reason"]
    response = client.post("/api/ask", json={"question": "Who is El Bali?"})
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == code
    assert "index build" in error["message"]
    assert client.get("/healthz").status_code == 200
    # The pages still read the corpus folder: the chat page and the article are there, only answers are not.
    assert client.get("/").status_code == 200 and client.get("/articles/verviers-raid").status_code == 200
