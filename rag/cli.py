"""`simulagent rag ingest|query|stats|delete`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from simulagent.config import Config
from simulagent.errors import UserError

if TYPE_CHECKING:
    from simulagent.rag.retrieve import Retriever


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rag_command", metavar="ACTION")
    ingest = sub.add_parser("ingest", help="add files or folders to a knowledge base (only what changed)")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--kb", default="default", help="knowledge base name")
    ingest.add_argument("--allow-root", action="append", type=Path, default=[], help="a folder ingestion may read")
    ingest.set_defaults(func=_ingest)
    query = sub.add_parser("query", help="retrieve passages for a question")
    query.add_argument("text")
    query.add_argument("--kb", default="default")
    query.add_argument("-k", type=int, default=5)
    query.add_argument(
        "--web", choices=["wikipedia", "searxng", "rss"], action="append", default=[], help="also search the web"
    )
    query.add_argument(
        "--hybrid",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="fuse BM25 with the embeddings (default: rag.hybrid)",
    )
    query.add_argument(
        "--fetch-pages",
        type=int,
        default=None,
        metavar="N",
        help="fetch and clean the pages of the N best web results per provider (default: rag.fetch_pages)",
    )
    query.add_argument("--json", action="store_true")
    query.set_defaults(func=_query)
    stats = sub.add_parser("stats", help="documents and chunks of a knowledge base")
    stats.add_argument("--kb", default="default")
    stats.set_defaults(func=_stats)
    delete = sub.add_parser("delete", help="remove documents from a knowledge base")
    delete.add_argument("sources", nargs="+", help="document paths as listed by `rag stats`")
    delete.add_argument("--kb", default="default")
    delete.set_defaults(func=_delete)


def _retriever(config: Config, hybrid: bool | None = None, fetch_pages: int | None = None) -> Retriever:
    from simulagent.rag.retrieve import retriever_from_config

    return retriever_from_config(config.rag, hybrid, fetch_pages)


def _ingest(args: argparse.Namespace, config: Config) -> int:
    from rich.progress import Progress

    from simulagent.rag.ingest import IngestOptions, ingest_paths

    roots = tuple(args.allow_root) or tuple(Path(r) for r in config.rag.allowed_roots) or (Path.cwd(),)
    retriever = _retriever(config)
    kb = retriever.kb(args.kb)
    options = IngestOptions(allowed_roots=roots, max_file_bytes=config.rag.max_file_bytes)
    with Progress(transient=True) as progress:
        task = progress.add_task("ingesting", total=None)

        def tick(done: int, total: int, source: str) -> None:
            progress.update(task, completed=done - 1, total=total, description=f"ingesting {Path(source).name}")

        report = ingest_paths(kb, retriever.embedder, args.paths, options, tick)
    print(
        f"{args.kb}: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.skipped)} skipped, {report.chunks_stored} chunks stored"
    )
    for source, reason in report.skipped.items():
        print(f"  skipped {source}: {reason}")
    return 0


def _query(args: argparse.Namespace, config: Config) -> int:
    from simulagent.rag.retrieve import web_providers

    providers = web_providers(config.rag, args.web)
    retriever = _retriever(config, args.hybrid, args.fetch_pages)
    passages = retriever.retrieve(args.text, kb=args.kb, web=providers, k=args.k)
    if not passages:
        print("no passage found")
        return 0
    for number, p in enumerate(passages, 1):
        if args.json:
            print(
                json.dumps(
                    {
                        "rank": number,
                        "score": p.score,
                        "similarity": p.similarity,
                        "bm25": p.lexical,
                        "text": p.text,
                        "source": p.source,
                        "title": p.title,
                        "date": p.date,
                        "origin": p.origin,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"[{number}] {p.score:.3f} {p.title} — {p.source}\n    {p.text[:300]}")
    return 0


def _stats(args: argparse.Namespace, config: Config) -> int:
    kb = _retriever(config).kb(args.kb)
    documents = kb.documents()
    print(
        f"{args.kb}: {len(documents)} documents, {kb.num_chunks()} chunks, embedder {kb.embedder_name} ({kb.dim} dims)"
    )
    for doc in documents:
        print(f"  {doc.source}\t{doc.num_chunks} chunks\t{doc.date}\t{doc.title}")
    return 0


def _delete(args: argparse.Namespace, config: Config) -> int:
    kb = _retriever(config).kb(args.kb)
    missing = [
        s
        for s in args.sources
        if not kb.delete_document(str(Path(s).expanduser().resolve()) if Path(s).exists() else s)
    ]
    if missing:
        raise UserError(f"not in {args.kb}: {', '.join(missing)}")
    print(f"deleted {len(args.sources)} document(s) from {args.kb}")
    return 0
