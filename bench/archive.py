"""Archive benchmark: the Verviers article among tens of thousands of passages of real prose.

    python -m bench archive [--engine faiss|milvus] [--passages N] [--reuse] [--duration 20]

The corpus is the archive of ``bench/archive_corpus.py`` (pinned registry packages: the King
James Bible, the Python 3.11 documentation, Debian's handbook, reference and history) with the
article copied in. The index is built into ``var/archive/`` (never ``index/data``) by ``python
-m index build`` in a child process; then a gunicorn serves it as ``make run`` would, with the
question cache and the rate limit off (as ``bench serve``), and this prints build time, index
size, memory per worker, wrk latency at each concurrency, and the three question sets scored by
``shared/eval/score.py`` against that server and against the article-only index beside it, so
the archive's effect on the right passage coming first is read off one table.

``--passages N`` takes a mix of whole documents from every source until about N paragraphs
(a quick run: ``--passages 2000``); ``--reuse`` keeps an index already built for that corpus.
The engine is passed to the build and the server through their settings (``QA_VECTOR_STORE``,
``QA_MILVUS_URI``); with ``--engine milvus`` a ``milvus-lite server`` on a loopback port holds the
index (its data in the index folder, so ``--reuse`` finds it) and its memory is reported too.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from index.corpus import corpus_checksum
from index.errors import IndexError_
from index.milvus_store import MilvusStore
from index.store import read_manifest

from .archive_corpus import ARTICLE, build_corpus
from .gunicorn import Gunicorn, memory_kib, process_tree
from .milvus import MilvusLiteServer
from .serve import LUA, questions, wrk

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "archive"
SHARED = ROOT.parent / "shared"
SCORE = SHARED / "eval" / "score.py"
QUESTION_SETS = {"dev": SHARED / "eval", "extra": ROOT / "eval" / "extra", "natural": SHARED / "eval-natural"}
METRICS = ("hit@1", "hit@3", "mrr", "answer", "conv_hit@3", "abstain_oos", "false_abstain")
MILVUS_NOTE = (
    "Milvus Lite is a pure-Python engine meant for tests (here as `milvus-lite server`): these figures say "
    "nothing about a Milvus cluster, and nothing about one is to be extrapolated from them."
)


def engine_env(engine: str, milvus: MilvusLiteServer | None) -> dict[str, str]:
    """The settings that select ``engine`` for the build and the server."""
    env = {"QA_VECTOR_STORE": engine}
    if milvus is not None:
        env["QA_MILVUS_URI"] = milvus.uri
    return env


def sample_corpus(full: Path, out: Path, paragraphs: int) -> Path:
    """A corpus of whole documents taken in turn from each source until about ``paragraphs`` paragraphs.

    Documents are drawn round-robin by source (the id's first part), so a small run still mixes
    every kind of prose; the article is always in.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for suffix in (".txt", ".json"):
        shutil.copyfile(ARTICLE.with_suffix(suffix), out / f"verviers-raid{suffix}")
    by_source: dict[str, list[Path]] = {}
    for path in sorted(full.glob("*.txt")):
        if path.stem != "verviers-raid":
            by_source.setdefault(path.stem.split("-")[0], []).append(path)
    taken = 0
    for path in itertools.chain.from_iterable(itertools.zip_longest(*by_source.values())):
        if path is None:
            continue
        if taken >= paragraphs:
            break
        shutil.copyfile(path, out / path.name)
        taken += sum(1 for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip())
    return out


def build(corpus: Path, index_dir: Path, env: dict[str, str], from_faiss: Path | None = None) -> dict:
    """``python -m index build`` in a child process; the manifest, with wall time and the child's peak RSS.

    With ``from_faiss`` (Milvus), the FAISS index of the same corpus is moved in with its stored
    vectors (``--from-faiss``): the time is then that of writing into Milvus, not of encoding.
    """
    started = time.perf_counter()
    moved = ["--from-faiss", str(from_faiss)] if from_faiss is not None else []
    subprocess.run(
        [sys.executable, "-m", "index", "build", "--corpus", str(corpus), "--out", str(index_dir), *moved],
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **env},
        check=True,
    )
    manifest = engine_manifest(index_dir, env)
    manifest["wall_seconds"] = round(time.perf_counter() - started, 1)
    manifest["moved_from"] = str(from_faiss) if from_faiss is not None else ""
    manifest["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return manifest


def engine_manifest(index_dir: Path, env: dict[str, str]) -> dict:
    """The index's manifest: ``manifest.json`` for FAISS, the corpus record for Milvus."""
    if env.get("QA_VECTOR_STORE") == "milvus":
        record = MilvusStore(env["QA_MILVUS_URI"]).corpus()
        return {**record, "documents": list(record.get("documents", {})), "index_type": "Milvus FLAT (IP)"}
    return read_manifest(index_dir)


def reusable(index_dir: Path, corpus: Path, env: dict[str, str]) -> dict | None:
    """The manifest of an index already built for ``corpus`` (in ``index_dir`` or in Milvus), or None."""
    try:
        manifest = engine_manifest(index_dir, env)
    except (IndexError_, KeyError):
        return None
    return manifest if manifest.get("corpus_checksum") == corpus_checksum(corpus) else None


def index_files(index_dir: Path) -> dict[str, int]:
    """Bytes of each file of the index (folders, such as a Milvus Lite store, summed)."""
    sizes = {}
    for path in sorted(index_dir.iterdir()):
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        sizes[path.name] = sum(p.stat().st_size for p in files)
    return sizes


def score(url: str, question_set: Path) -> dict:
    """score.py's metrics for one question set against the server at ``url``."""
    out = subprocess.run(
        [sys.executable, str(SCORE), "--url", url, "--json", str(question_set)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    ).stdout
    return json.loads(out)


def serve(index_dir: Path, corpus: Path, env: dict[str, str], workers: int) -> Gunicorn:
    """A gunicorn on that index, cache and rate limit off (every request embeds its question)."""
    settings = {
        "QA_INDEX_DIR": str(index_dir),
        "QA_CORPUS_DIR": str(corpus),
        "QA_QUERY_CACHE_SIZE": "0",
        "QA_RATELIMIT_ENABLED": "false",
        "QA_LOG_LEVEL": "WARNING",
        **env,
    }
    return Gunicorn(settings, workers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench archive", description=__doc__)
    parser.add_argument("--engine", choices=["faiss", "milvus"], default="faiss")
    parser.add_argument("--passages", type=int, default=0, help="limit the archive to about N paragraphs")
    parser.add_argument("--reuse", action="store_true", help="keep an index already built for this corpus")
    parser.add_argument("--duration", type=int, default=20, help="seconds of wrk per concurrency level")
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true", help="skip scoring the article-only index")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    name = f"{args.engine}-{args.passages}" if args.passages else args.engine
    index_dir = WORK / f"index-{name}"
    full = WORK / "corpus"
    if not (full / "verviers-raid.txt").exists():
        build_corpus(full, WORK / "cache")
    corpus = sample_corpus(full, WORK / f"corpus-{args.passages}", args.passages) if args.passages else full
    index_dir.mkdir(parents=True, exist_ok=True)
    # Milvus Lite in server mode, its data beside the ONNX graph the build writes: two workers share it.
    with contextlib.ExitStack() as stack:
        milvus = stack.enter_context(MilvusLiteServer(index_dir / "milvus")) if args.engine == "milvus" else None
        return run(args, index_dir, corpus, engine_env(args.engine, milvus), milvus)


def run(
    args: argparse.Namespace, index_dir: Path, corpus: Path, env: dict[str, str], milvus: MilvusLiteServer | None
) -> int:
    """Build (or reuse), serve, load and score; print the report."""
    manifest = reusable(index_dir, corpus, env) if args.reuse else None
    if manifest is None:
        faiss_dir = index_dir.with_name(index_dir.name.replace("milvus", "faiss"))
        from_faiss = faiss_dir if milvus is not None and reusable(faiss_dir, corpus, {}) else None
        print(f"building the index of {corpus} into {index_dir} ...", flush=True)
        manifest = build(corpus, index_dir, env, from_faiss)
    else:
        print(f"reusing the index in {index_dir}")
    sizes = index_files(index_dir)

    levels = [int(c) for c in args.concurrency.split(",")]
    bodies = ",".join("[==[" + json.dumps({"question": q}) + "]==]" for q in questions())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % bodies)
        script = Path(f.name)
    latency: dict[int, dict] = {}
    scores: dict[str, dict[str, dict]] = {}
    server = serve(index_dir, corpus, env, args.workers)
    try:
        ready = server.wait_ready(timeout=900)
        wrk(server.url, script, 2, 5)  # warm-up: both workers have answered before anything is measured
        memory = {pid: memory_kib(pid) for pid in process_tree(server.proc.pid)}
        engine_kib = milvus.rss_kib() if milvus is not None else 0
        for c in levels:
            latency[c] = wrk(server.url, script, c, args.duration)
        scores["archive"] = {k: score(server.url, path) for k, path in QUESTION_SETS.items()}
    finally:
        server.stop()
        script.unlink()
    if not args.no_baseline:
        article = serve(ROOT / "index" / "data", ROOT / "corpus", {}, 1)
        try:
            article.wait_ready()
            scores["article"] = {k: score(article.url, path) for k, path in QUESTION_SETS.items()}
        finally:
            article.stop()
    report(args, manifest, sizes, ready, memory, latency, scores, engine_kib)
    return 0


def report(
    args: argparse.Namespace,
    manifest: dict,
    sizes: dict[str, int],
    ready: float,
    memory: dict[int, tuple[int, int]],
    latency: dict[int, dict],
    scores: dict[str, dict[str, dict]],
    engine_kib: int = 0,
) -> None:
    """The figures as Markdown, ready for docs/scaling.md."""
    print(
        f"\n### {args.engine}: {manifest['passages']:,} passages, {manifest['sentences']:,} sentences, "
        f"{len(manifest['documents']):,} documents\n"
    )
    if args.engine == "milvus":
        print(f"**{MILVUS_NOTE}**\n")
    build_s = manifest.get("wall_seconds")
    if manifest.get("moved_from"):
        print(f"Moved from the FAISS index in {manifest['moved_from']} (`--from-faiss`): no encoding.\n")
    print(
        f"Build: {manifest['build_seconds']} s in `build_index`"
        + (f", {build_s} s for the whole command, peak RSS {manifest['peak_rss_mb']:,} MB" if build_s else "")
        + f"; dense index {manifest['index_type']}.\n"
    )
    print("| file | bytes |\n|---|---:|")
    for file, size in sizes.items():
        print(f"| {file} | {size:,} |")
    print(f"| **total** | **{sum(sizes.values()):,}** |\n")
    master, *workers = process_tree_sorted(memory)
    each = "; ".join(f"RSS {rss / 1024:,.0f} MB, PSS {pss / 1024:,.0f} MB" for rss, pss in workers)
    print(
        f"Start to ready: {ready:.1f} s. Memory after warm-up: each worker {each}; "
        f"master RSS {master[0] / 1024:,.0f} MB"
        + (f"; the milvus-lite server RSS {engine_kib / 1024:,.0f} MB" if engine_kib else "")
        + ".\n"
    )
    print("| load | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for c, r in latency.items():
        errors = int(r["status_errors"] + r["other_errors"])
        print(f"| c={c} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p99']:.1f} | {errors} |")
    print("\n| set | index | " + " | ".join(METRICS) + " |\n|---|---|" + "---:|" * len(METRICS))
    for set_name in QUESTION_SETS:
        for index_name, by_set in scores.items():
            figures = by_set[set_name]
            cells = [f"{figures[m]:.3f}" if isinstance(figures.get(m), float | int) else "" for m in METRICS]
            print(f"| {set_name} | {index_name} | " + " | ".join(cells) + " |")


def process_tree_sorted(memory: dict[int, tuple[int, int]]) -> list[tuple[int, int]]:
    """Master first (the lowest pid), then the workers."""
    return [memory[pid] for pid in sorted(memory)]
