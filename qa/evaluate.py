"""Score the answering pipeline in-process on question files in the format of shared/eval.

    python -m qa.evaluate DIR [DIR ...] [--json] [--ablation [--markdown]] [--fit N]

DIR holds any of questions.jsonl ({"question", "answers"}), conversations.jsonl ({"turns",
"answers"}) and out_of_scope.jsonl ({"question"}). The metrics are those of shared/eval/score.py
(hit@1, hit@3, MRR, answer, abstention, follow-ups), computed without HTTP so anyone can measure
the pipeline on their own questions. ``--ablation`` repeats the run with each stage switched off
or replaced, each time on a pipeline built for it (the serving one is never altered), to show
what each one buys.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import statistics
import sys
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from index import IndexError_
from index.chunking import word_count

from .answers import MAX_ANSWER_WORDS, Answerer
from .models import Answer
from .pipeline import build_pipeline
from .settings import SettingError, load_settings

_QUOTES = {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'}


def norm(text: str) -> str:
    """The matching rule of score.py: NFKC, straight quotes, collapsed spaces, lower case."""
    text = unicodedata.normalize("NFKC", text)
    for curly, straight in _QUOTES.items():
        text = text.replace(curly, straight)
    return re.sub(r"\s+", " ", text).strip().lower()


def load_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def rank_of(answers: list[str], reply: Answer) -> int | None:
    """Where the first passage holding one of ``answers`` is ranked (0 is first), or None."""
    wanted = [norm(a) for a in answers]
    for i, passage in enumerate(reply.passages):
        if any(w in norm(passage.text) for w in wanted):
            return i
    return None


def answer_ok(answers: list[str], reply: Answer) -> bool:
    """The answer field is within the word limit and holds one of ``answers``."""
    text = reply.answer
    return word_count(text) <= MAX_ANSWER_WORDS and any(norm(a) in norm(text) for a in answers)


def evaluate(answerer: Answerer, directory: Path, top_k: int = 3) -> dict:
    """The score.py metrics for the question files in ``directory``."""
    directory = Path(directory)
    questions = load_jsonl(directory / "questions.jsonl")
    conversations = load_jsonl(directory / "conversations.jsonl")
    out_of_scope = load_jsonl(directory / "out_of_scope.jsonl")
    metrics: dict = {}
    ranks, answered, abstained, words, latencies = [], [], [], [], []
    for q in questions:
        reply = answerer.ask(q["question"], [], top_k)
        latencies.append(reply.took_ms)
        ranks.append(rank_of(q["answers"], reply))
        answered.append(answer_ok(q["answers"], reply))
        abstained.append(not reply.answerable)
        words += [word_count(p.text) for p in reply.passages]
    if questions:
        n = len(questions)
        metrics["hit@1"] = sum(r == 0 for r in ranks) / n
        metrics["hit@3"] = sum(r is not None and r < 3 for r in ranks) / n
        metrics["mrr"] = sum(1 / (r + 1) for r in ranks if r is not None) / n
        metrics["answer"] = sum(answered) / n
        metrics["false_abstain"] = sum(abstained) / n
        metrics["misses"] = [q["question"] for q, r in zip(questions, ranks, strict=True) if r is None or r >= 3]
    hits = []
    for c in conversations:
        history: list[dict] = []
        for turn in c["turns"][:-1]:
            reply = answerer.ask(turn, history, top_k)
            history += [{"role": "user", "content": turn}, {"role": "assistant", "content": reply.answer}]
        reply = answerer.ask(c["turns"][-1], history, top_k)
        r = rank_of(c["answers"], reply)
        hits.append(r is not None and r < 3)
    if conversations:
        metrics["conv_hit@3"] = sum(hits) / len(conversations)
    if out_of_scope:
        # As score.py: abstain_near over the questions marked "kind": "near" (about the article's
        # subject but not answered by it), abstain_general over the rest, when the file marks any.
        refused = [not answerer.ask(o["question"], [], top_k).answerable for o in out_of_scope]
        metrics["abstain_oos"] = sum(refused) / len(refused)
        near = [r for o, r in zip(out_of_scope, refused, strict=True) if o.get("kind") == "near"]
        if near:
            general = [r for o, r in zip(out_of_scope, refused, strict=True) if o.get("kind") != "near"]
            metrics["abstain_near"] = sum(near) / len(near)
            metrics["abstain_general"] = sum(general) / len(general) if general else 1.0
    if words:
        metrics["words/passage"] = statistics.mean(words)
        metrics["max_words"] = max(words)
    if latencies:
        metrics["p50_ms"] = statistics.median(latencies)
    return metrics


def format_metrics(metrics: dict) -> str:
    return " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items() if k != "misses")


ABLATION_COLUMNS = (
    "hit@1",
    "hit@3",
    "mrr",
    "answer",
    "conv_hit@3",
    "abstain_oos",
    "abstain_near",
    "false_abstain",
    "words/passage",
)


def markdown_table(rows: list[tuple[str, dict]]) -> str:
    """The ablation rows as the Markdown table docs/quality.md shows."""
    columns = [c for c in ABLATION_COLUMNS if c in rows[0][1]]
    lines = ["| pipeline | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [f"| {name} | " + " | ".join(f"{m[c]:.3f}" for c in columns) + " |" for name, m in rows]
    return "\n".join(lines)


def variants(answerer: Answerer) -> list[tuple[str, Answerer]]:
    """The serving pipeline, then one pipeline per stage switched off or replaced, sharing its index."""
    retriever, options = answerer.retriever, answerer.options
    full = retriever.weights

    def ranked(**settings: Any) -> Answerer:
        """The pipeline with the retriever ranking another way (``Ranker.configured``'s arguments)."""
        return dataclasses.replace(answerer, retriever=retriever.configured(**settings))

    def lede_changed(yes_no_broad: bool) -> Answerer:
        changed = retriever.configured()
        if changed.lede is not None:
            changed.lede = dataclasses.replace(changed.lede, yes_no_broad=yes_no_broad)
        return dataclasses.replace(answerer, retriever=changed)

    def answered(**changes: Any) -> Answerer:
        """The pipeline with other answer options (``AnswerOptions``' fields)."""
        return dataclasses.replace(answerer, options=dataclasses.replace(options, **changes))

    def declined(**rules: Any) -> Answerer:
        """The pipeline with other abstention rules (``Abstention``'s fields)."""
        abstention = dataclasses.replace(options.abstention, **rules)
        return dataclasses.replace(answerer, options=dataclasses.replace(options, abstention=abstention))

    rows = [("all signals", answerer)]
    rows += [(f"without {f.name}", ranked(weights=full.without(f.name))) for f in dataclasses.fields(full)]
    rows += [
        ("query tokens: idf, not squared", ranked(idf_power=1.0)),
        ("query tokens: unweighted", ranked(idf_power=0.0)),
        ("without lede prior (index/lede.py)", ranked(lede=False)),
        ("lede prior: yes/no questions may be broad", lede_changed(yes_no_broad=True)),
        ("without count prior (index/counting.py)", ranked(count_prior=False)),
        ("count prior: the noun as written only", ranked(count_meaning=False)),
        ("speaker weighed in full (index/reported.py)", ranked(speakers=False)),
        ("sentences: names weighed in full (index/question_names.py)", ranked(names=False)),
        ("speaker named by role searched as asked (index/roles.py)", ranked(roles=False)),
        ("query punctuation weighted", ranked(skip_punctuation=False)),
        ("ranking: questions, fragments count", ranked(stating_only=False)),
        ("without hubness correction (index/hubness.py)", ranked(hubness=False)),
        ("without follow-up context", answered(use_history=False)),
        ("follow-ups: context search only", answered(fuse_followups=False)),
        ("answer: best + next sentence", answered(companion="next")),
        ("answer: best sentence only", answered(companion="none")),
        ("answer: fragments allowed", answered(whole_sentences=False)),
        ("answer: a far sentence's least gain beats the next", answered(far_margin=0.0)),
        ("answer: best and companion only, not filled", answered(fill=False)),
        ("without overview questions (qa/overview.py)", answered(overview=False)),
        ("without name spelling (index/spelling.py)", answered(spelling=False)),
        ("without the question mark put back (qa/normalise.py)", answered(normalise=False)),
        ("without coverage abstention", declined(coverage=False)),
        ("answer type: quantity only", declined(answer_types=frozenset({"quantity"}))),
        ("without answer-type check", declined(answer_types=frozenset())),
        ("without rescue band", declined(rescue=False)),
        ('"the name of the N": any name, not one beside the N', declined(beside=False)),
    ]
    return rows


def ablation(answerer: Answerer, directory: Path) -> list[tuple[str, dict]]:
    """The metrics with everything on, then with each stage switched off or replaced in turn."""
    return [(label, evaluate(variant, directory)) for label, variant in variants(answerer)]


def fit_items(directories: list[Path]) -> list[tuple[str, str, list[dict], list[str]]]:
    """The scored items of ``directories``: (set, question, history turns, answers).

    In-scope questions have no history; a conversation is scored on its last turn, asked after its
    earlier ones (their replies are made by each candidate pipeline in turn, as in ``evaluate``).
    """
    items: list[tuple[str, str, list[dict], list[str]]] = []
    for directory in directories:
        name = Path(directory).name
        items += [(name, q["question"], [], q["answers"]) for q in load_jsonl(Path(directory) / "questions.jsonl")]
        for c in load_jsonl(Path(directory) / "conversations.jsonl"):
            turns = [{"role": "user", "content": t} for t in c["turns"][:-1]]
            items.append((name, c["turns"][-1], turns, c["answers"]))
    return items


def fit(
    answerer: Answerer, directories: list[Path], samples: int = 300, seed: int = 0, spread: float | None = None
) -> dict:
    """Random search over the fusion weights, scored by MRR + 0.5 * answer, with held-out estimates.

    The items are every in-scope question and every conversation's last turn of ``directories``
    (several sets written apart fit far better than one). Two held-out estimates: leave-one-out
    (for each item, the weights chosen on all the others are scored on it) and leave-one-set-out
    (for each set, the weights chosen on the other sets are scored on it): what the search is
    worth on unseen questions of the same kind, and on a set written by someone else. Weights are
    drawn from [0, 1], or with ``spread`` within that distance of the current ones (a local search).
    """
    items = fit_items(directories)
    retriever = answerer.retriever
    original = retriever.weights
    names = [f.name for f in dataclasses.fields(original)]
    rng = np.random.default_rng(seed)
    current = np.array([getattr(original, n) for n in names])

    def draw() -> np.ndarray:
        if spread is None:
            return rng.uniform(0, 1, len(names))
        return np.clip(current + rng.uniform(-spread, spread, len(names)), 0, 1)

    candidates = [original] + [
        dataclasses.replace(original, **{n: round(float(v), 2) for n, v in zip(names, draw(), strict=True)})
        for _ in range(samples)
    ]
    # per candidate, per item: (hit@1, hit@3, reciprocal rank, answer)
    table = np.zeros((len(candidates), len(items), 4))
    for c, weights in enumerate(candidates):
        candidate = dataclasses.replace(answerer, retriever=retriever.configured(weights=weights))
        for i, (_, question, turns, answers) in enumerate(items):
            history: list[dict] = []
            for turn in turns:
                reply = candidate.ask(turn["content"], history, 3)
                history += [turn, {"role": "assistant", "content": reply.answer}]
            reply = candidate.ask(question, history, 3)
            r = rank_of(answers, reply)
            table[c, i] = (
                r == 0,
                r is not None and r < 3,
                1 / (r + 1) if r is not None else 0,
                answer_ok(answers, reply),
            )
    objective = table[:, :, 2] + 0.5 * table[:, :, 3]
    total = objective.sum(axis=1)
    best = int(np.argmax(total))
    keys = ("hit@1", "hit@3", "mrr", "answer")
    sets = [s for s, *_ in items]

    def summary(rows: np.ndarray) -> dict:
        return dict(zip(keys, rows.mean(axis=0).round(3).tolist(), strict=True))

    held_out = np.array([table[int(np.argmax(total - objective[:, i])), i] for i in range(len(items))])
    report: dict = {
        "items": len(items),
        "current": summary(table[0]),
        "best_in_sample": summary(table[best]),
        "best_weights": dataclasses.asdict(candidates[best]),
        "leave_one_out": summary(held_out),
        "per_set": {},
    }
    for name in dict.fromkeys(sets):
        mine = np.array([s == name for s in sets])
        chosen = int(np.argmax(objective[:, ~mine].sum(axis=1))) if (~mine).any() else best
        report["per_set"][name] = {
            "current": summary(table[0, mine]),
            "best_in_sample": summary(table[best, mine]),
            "leave_one_out": summary(held_out[mine]),
            "leave_set_out": summary(table[chosen, mine]),
            "leave_set_out_weights": dataclasses.asdict(candidates[chosen]),
        }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m qa.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dir", type=Path, help="folder with questions.jsonl, conversations.jsonl, out_of_scope.jsonl")
    parser.add_argument("more", type=Path, nargs="*", help="more folders (--fit fits on all of them)")
    parser.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    parser.add_argument("--ablation", action="store_true", help="also run with each signal switched off")
    parser.add_argument("--markdown", action="store_true", help="print the ablation as a Markdown table")
    parser.add_argument("--fit", type=int, metavar="N", help="random-search N weight sets, report leave-one-out")
    parser.add_argument("--spread", type=float, help="with --fit: draw weights within this distance of the current")
    args = parser.parse_args(argv)
    for directory in [args.dir, *args.more]:
        if not directory.is_dir():
            print(f"error: {directory} is not a folder", file=sys.stderr)
            return 2
    try:
        answerer = build_pipeline(load_settings()).require()
    except (SettingError, IndexError_) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.fit:
        print(json.dumps(fit(answerer, [args.dir, *args.more], samples=args.fit, spread=args.spread), indent=2))
        return 0
    if args.ablation:
        rows = ablation(answerer, args.dir)
        print(markdown_table(rows) if args.markdown else "\n".join(f"{n:32s} {format_metrics(m)}" for n, m in rows))
        return 0
    metrics = evaluate(answerer, args.dir)
    if args.json:
        print(json.dumps(metrics))
    else:
        for miss in metrics.get("misses", []):
            print("miss:", miss)
        print(format_metrics(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
