"""Start-up under a real gunicorn: a setting that cannot be read stops the server in one line."""

from __future__ import annotations

import pytest

from tests.conftest import Server


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"QA_ENCODER_THREADS": "two"}, "QA_ENCODER_THREADS must be a whole number of 0 or more, not 'two'."),
        ({"QA_INDEX_DRI": "/srv/index"}, "Unknown setting QA_INDEX_DRI"),
        ({"WEB_PIN_CORES": "yes"}, "WEB_PIN_CORES must be 0 or 1, not 'yes'"),
        (
            {"QA_VECTOR_STORE": "milvus", "QA_MILVUS_URI": "/srv/milvus.db"},
            "QA_MILVUS_URI=/srv/milvus.db is an embedded Milvus Lite, which one process opens, not 2 workers",
        ),
    ],
)
def test_an_unreadable_setting_stops_gunicorn_with_one_line(env, said):
    srv = Server(env)
    try:
        exit_code = srv.proc.wait(timeout=60)
    finally:
        output = srv.stop()
    assert exit_code == 4  # gunicorn's "app failed to load": the master stops instead of restarting workers
    assert f"verviers-qa cannot start: {said}" in output
    assert "Traceback" not in output
