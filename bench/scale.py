"""Corpus-growth benchmark: FAISS build time, memory, search latency and recall at 10k-1M vectors.

    python -m bench scale [--sizes 10000,100000,1000000] [--queries 200]

Recall is only meaningful on vectors shaped like real text embeddings (uniform random vectors
have no neighbourhoods), so the corpus is made from real ones: windows of the article's
sentences, recombined and with words dropped, embedded with the served model; larger corpora
mix two of those vectors with noise, which keeps the neighbourhood structure. Queries are the dev
questions and held-back perturbed windows. Exact flat search is the reference.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

import faiss
import numpy as np

from index import load_corpus
from index.chunking import split_sentences
from index.dense import EXACT_LIMIT, build_dense_index, describe
from index.onnx_encoder import ONNX_FILE, OnnxEncoder

ROOT = Path(__file__).resolve().parent.parent


def real_texts(n: int, seed: int = 0) -> list[str]:
    """Windows of the article's sentences, recombined, with ~15% of words dropped."""
    sentences = [s.text for d in load_corpus(ROOT / "corpus") for p in d.paragraphs for s in split_sentences(p.text)]
    rng = np.random.default_rng(seed)
    texts = []
    for _ in range(n):
        start = int(rng.integers(len(sentences)))
        window = " ".join(sentences[start : start + int(rng.integers(1, 3))])
        other = sentences[int(rng.integers(len(sentences)))]
        words = (window + " " + other).split() if rng.random() < 0.3 else window.split()
        kept = [w for w in words if rng.random() > 0.15] or words
        texts.append(" ".join(kept))
    return texts


def embed(texts: list[str]) -> np.ndarray:
    encoder = OnnxEncoder(ROOT / "index" / "data" / ONNX_FILE, threads=2)
    return encoder.encode(texts)


def grow(base: np.ndarray, n: int, seed: int = 1) -> np.ndarray:
    """n vectors shaped like the base set: blends of two base vectors plus noise, unit length."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        a = base[rng.integers(len(base), size=m)]
        b = base[rng.integers(len(base), size=m)]
        mix = rng.uniform(0.0, 0.35, size=(m, 1)).astype(np.float32)
        v = (1 - mix) * a + mix * b + rng.normal(0, 0.04, size=a.shape).astype(np.float32)
        out[start : start + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--base", type=int, default=8000, help="real embedded texts to grow from")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    texts = real_texts(args.base + args.queries)
    vectors = embed(texts)
    base, queries = vectors[: args.base], vectors[args.base :]
    print(f"embedded {len(texts)} real text windows in {time.perf_counter() - started:.1f} s")
    print(f"\nExact flat search up to {EXACT_LIMIT:,} vectors, IVF above; 1 FAISS thread; {len(queries)} queries.\n")
    print("| vectors | index | build s | index MB | p50 ms | p95 ms | recall@10 | exact p50 ms |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        corpus = base[:n] if n <= len(base) else np.concatenate([base, grow(base, n - len(base))])
        exact = faiss.IndexFlatIP(corpus.shape[1])
        exact.add(corpus)
        faiss.omp_set_num_threads(2)  # building is offline work: both cores
        t0 = time.perf_counter()
        index = build_dense_index(corpus)
        build_s = time.perf_counter() - t0
        faiss.omp_set_num_threads(1)  # searching is measured as served: one core per worker
        size_mb = faiss.serialize_index(index).nbytes / 2**20
        _, truth = exact.search(queries, 10)
        exact_times = []
        for q in queries[:50]:
            t = time.perf_counter()
            exact.search(q[None, :], 10)
            exact_times.append((time.perf_counter() - t) * 1000)
        times, found = [], []
        for q in queries:
            t = time.perf_counter()
            _, ids = index.search(q[None, :], 10)
            times.append((time.perf_counter() - t) * 1000)
            found.append(ids[0])
        recall = float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)]))
        p95 = sorted(times)[int(0.95 * len(times)) - 1]
        print(
            f"| {n:,} | {describe(index).split(' (')[0]} | {build_s:.1f} | {size_mb:.0f} "
            f"| {statistics.median(times):.2f} | {p95:.2f} | {recall:.3f} | {statistics.median(exact_times):.2f} |",
            flush=True,
        )
        del exact, index, corpus
    print(f"\npeak RSS of this process: {max_rss_mb():.0f} MB")
    return 0
