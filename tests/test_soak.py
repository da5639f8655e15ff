"""A short soak and flood (bench/soak.py) against a real gunicorn: no errors, flood refused, memory flat."""

from __future__ import annotations

from bench.soak import run


def test_short_soak_has_no_errors_refuses_the_flood_and_keeps_memory_flat(index_dir, corpus_dir, tmp_path):
    report = run(
        seconds=24,
        limit="100 per minute",  # low enough for an 8-second flood to pass it
        sample_every=2,
        warmup=8,
        env={
            "QA_INDEX_DIR": str(index_dir),
            "QA_CORPUS_DIR": str(corpus_dir),
            "QA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
        },
    )
    assert report["ok_steady"], report["steady_requests"]
    assert sum(report["steady_requests"].values()) >= 100
    assert report["ok_flood"], report["flood_requests"]
    # In memory, each of the 2 workers counts alone: at most 2 x 100 flood requests get through.
    assert report["flood_requests"].get("200", 0) <= 200 < sum(report["flood_requests"].values())
    assert report["memory_last"]["processes"] == 3  # master and 2 workers, none lost
    assert report["ok_memory"], (report["memory_after_warmup"], report["memory_last"])
