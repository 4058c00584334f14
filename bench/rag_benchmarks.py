"""Retrieval benchmarks: approximate-index recall and latency, embedding throughput, and recall@5 of the
embedders on a small hand-written zh+en question set (bench/data/rag_qa.tsv).

Usage:
    python bench/rag_benchmarks.py index --vectors 100000 [--dim 384] [--queries 500]
    python bench/rag_benchmarks.py embed
    python bench/rag_benchmarks.py qa
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from simulagent.rag.embedders import make_embedder
from simulagent.rag.store import IndexOptions, build_index


def index_bench(n: int, dim: int, queries: int) -> None:
    rng = np.random.default_rng(0)
    # Clustered synthetic vectors (like real embeddings, unlike uniform noise) so neighbours are meaningful.
    centres = rng.standard_normal((256, dim)).astype(np.float32)
    vectors = centres[rng.integers(0, 256, n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(n, dtype=np.int64)
    q = vectors[rng.integers(0, n, queries)] + 0.1 * rng.standard_normal((queries, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    kinds = (("flat", IndexOptions(approximate_above=10**12)), ("hnsw", IndexOptions(approximate_above=0)))
    for name, options in kinds:
        start = time.perf_counter()
        index = build_index(vectors, ids, options)
        build_s = time.perf_counter() - start
        times = []
        found = []
        for row in q:
            t0 = time.perf_counter()
            _, hit = index.search(row[None, :], 10)
            times.append((time.perf_counter() - t0) * 1000)
            found.append(hit[0])
        if name == "flat":
            truth = found
        recall = float(np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))
        p95 = statistics.quantiles(times, n=20)[18]
        print(
            f"{name}: n={n} dim={dim} build {build_s:.1f} s, recall@10 {recall:.3f}, "
            f"query p50 {statistics.median(times):.2f} ms p95 {p95:.2f} ms (single query, {queries} queries)"
        )


def embed_bench() -> None:
    embedder = make_embedder("bundled:minilm")
    sentences = [f"This is test sentence number {i} about trains, tea and weather." for i in range(512)]
    embedder.embed(sentences[:8])
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        embedder.embed(sentences)
        rates.append(len(sentences) / (time.perf_counter() - start))
    median = statistics.median(rates)
    print(f"bundled:minilm: median {median:.0f} sentences/s (min {min(rates):.0f}, max {max(rates):.0f})")


def qa_bench() -> None:
    rows = [line.split("\t") for line in (Path(__file__).parent / "data" / "rag_qa.tsv").read_text().splitlines()[1:]]
    passages = [r[2] for r in rows]
    for spec in ("bundled:minilm", "hashing", "hybrid"):
        embedder = make_embedder(spec)
        p = embedder.embed(passages)
        for lang in ("en", "zh"):
            sel = [i for i, r in enumerate(rows) if r[0] == lang]
            qv = embedder.embed([rows[i][1] for i in sel])
            ranks = np.argsort(-(qv @ p.T), axis=1)[:, :5]
            hits = [i in ranks[j] for j, i in enumerate(sel)]
            top1 = [ranks[j][0] == i for j, i in enumerate(sel)]
            scores = f"recall@5 {np.mean(hits):.2f}, top-1 {np.mean(top1):.2f}"
            print(f"{spec} {lang}: {scores} ({len(sel)} questions, {len(rows)} passages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    idx = sub.add_parser("index")
    idx.add_argument("--vectors", type=int, default=100_000)
    idx.add_argument("--dim", type=int, default=384)
    idx.add_argument("--queries", type=int, default=500)
    sub.add_parser("embed")
    sub.add_parser("qa")
    args = parser.parse_args()
    if args.what == "index":
        index_bench(args.vectors, args.dim, args.queries)
    elif args.what == "embed":
        embed_bench()
    else:
        qa_bench()


if __name__ == "__main__":
    main()
