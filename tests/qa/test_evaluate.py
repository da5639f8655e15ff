"""qa.evaluate: the score.py metrics in-process, and the ablation report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.answers import Answerer, AnswerOptions
from qa.evaluate import ablation, evaluate, main, markdown_table, variants


@pytest.fixture()
def questions(tmp_path) -> Path:
    """A tiny question set in shared/eval's format, answered by the article."""
    rows: dict[str, list[dict]] = {
        "questions.jsonl": [
            {"question": "Where did El Bali grow up?", "answers": ["Molenbeek"]},
            {"question": "Who is Virginie Taelman?", "answers": ["Virginie Taelman"]},
        ],
        "conversations.jsonl": [{"turns": ["Who is Marouane El Bali?", "How did he escape?"], "answers": ["window"]}],
        "out_of_scope.jsonl": [{"question": "What is a good recipe for banana bread?"}],
    }
    for name, items in rows.items():
        (tmp_path / name).write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return tmp_path


def test_evaluate_reports_every_score_py_metric(retriever, questions):
    metrics = evaluate(Answerer(retriever), questions)
    assert metrics["hit@1"] == 1.0 and metrics["abstain_oos"] == 1.0 and metrics["conv_hit@3"] == 1.0
    expected = {"hit@3", "mrr", "answer", "false_abstain", "misses", "words/passage", "max_words", "p50_ms"}
    assert expected <= set(metrics)


def test_ablation_runs_each_variant_on_its_own_pipeline_and_leaves_the_serving_one_alone(retriever, questions):
    answerer = Answerer(retriever)
    weights, power = retriever.weights, retriever.idf_power
    rows = ablation(answerer, questions)
    labels = [label for label, _ in rows]
    assert labels[0] == "all signals"
    assert "without passage_maxsim" in labels and "query tokens: unweighted" in labels
    assert (
        "without follow-up context" in labels
        and "answer: best sentence only" in labels
        and "answer: best + next sentence" in labels
    )
    assert "without hubness correction (index/hubness.py)" in labels
    assert "without overview questions (qa/overview.py)" in labels
    assert "without name spelling (index/spelling.py)" in labels
    assert all("hit@1" in m for _, m in rows)
    assert retriever.weights == weights and retriever.idf_power == power and retriever.hubness
    assert answerer.options == AnswerOptions()


def test_each_variant_changes_one_stage_of_a_copy(retriever):
    answerer = Answerer(retriever)
    found = dict(variants(answerer))
    assert found["all signals"] is answerer
    assert found["without passage_maxsim"].retriever.weights.passage_maxsim == 0
    assert found["without passage_maxsim"].retriever.index is retriever.index
    assert found["query tokens: unweighted"].retriever.idf_power == 0
    assert found["without follow-up context"].options.use_history is False
    assert found["answer: best sentence only"].options.companion == "none"


def test_cli_refuses_a_missing_folder(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_ablation_prints_as_a_markdown_table(retriever, questions):
    table = markdown_table(ablation(Answerer(retriever), questions)).splitlines()
    assert table[0].startswith("| pipeline | hit@1 | hit@3 | mrr | answer | conv_hit@3 | abstain_oos |")
    assert table[1].startswith("|---|---:|")
    assert table[2].startswith("| all signals | 1.000 |")
    # all signals, 6 weights off, 2 idf powers, lede, lede's yes/no rule, 2 count rows, speakers, names, roles,
    # punctuation, fragments, hubness, 2 follow-up rows, 5 answer modes, overview, spelling, question mark,
    # 5 abstention rows
    assert len(table) == 2 + 34
