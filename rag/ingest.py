"""Ingestion: files and folders into a knowledge base, incrementally, inside allowed roots only."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from simulagent.errors import UserError
from simulagent.rag.chunking import ChunkOptions, chunk_text
from simulagent.rag.embedders import Embedder
from simulagent.rag.extract import SUPPORTED_SUFFIXES, ExtractionError, extract
from simulagent.rag.store import KnowledgeBase

__all__ = ["IngestOptions", "IngestReport", "PathRefusedError", "ingest_paths"]


class PathRefusedError(UserError):
    """A path lies outside the allowed roots."""


@dataclass(frozen=True)
class IngestOptions:
    """Attributes:
    allowed_roots: folders ingestion may read (resolved, symlinks followed); nothing else is read.
    max_file_bytes: larger files are reported and skipped.
    chunking: how text is cut.
    """

    allowed_roots: tuple[Path, ...]
    max_file_bytes: int = 50 * 1024 * 1024
    chunking: ChunkOptions = field(default_factory=ChunkOptions)


@dataclass
class IngestReport:
    """What an ingestion did, per file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    chunks_stored: int = 0


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def _files(paths: Iterable[Path], roots: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if not _inside(path, roots):
            raise PathRefusedError(
                f"{raw}: outside the allowed roots ({', '.join(map(str, roots))}); refusing to read it"
            )
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    candidate = (Path(dirpath) / name).resolve()
                    if candidate.suffix.lower() in SUPPORTED_SUFFIXES and _inside(candidate, roots):
                        found.append(candidate)
        elif path.exists():
            found.append(path)
        else:
            raise UserError(f"{raw}: no such file or folder")
    return found


def ingest_paths(
    kb: KnowledgeBase,
    embedder: Embedder,
    paths: Iterable[Path],
    options: IngestOptions,
    progress: Callable[[int, int, str], None] | None = None,
) -> IngestReport:
    """Ingest files and folders; unchanged files (same sha256) are skipped, changed ones replaced.

    Each file is committed on its own, so an interrupted ingestion keeps every file finished before it.
    """
    roots = tuple(root.expanduser().resolve() for root in options.allowed_roots)
    files = _files(paths, roots)
    report = IngestReport()
    for number, path in enumerate(files, 1):
        source = str(path)
        if progress:
            progress(number, len(files), source)
        try:
            size = path.stat().st_size
            if size > options.max_file_bytes:
                report.skipped[source] = (
                    f"{size / 2**20:.1f} MiB is over the limit of {options.max_file_bytes / 2**20:.1f} MiB"
                )
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            existing = kb.document(source)
            if existing is not None and existing.sha256 == digest:
                report.unchanged.append(source)
                continue
            document = extract(path)
        except ExtractionError as exc:
            report.skipped[source] = str(exc).removeprefix(f"{path}: ")
            continue
        except OSError as exc:
            report.skipped[source] = f"cannot read it ({exc.strerror or exc})"
            continue
        chunks = chunk_text(document.text, options.chunking)
        vectors = embedder.embed(chunks)
        date = datetime.fromtimestamp(path.stat().st_mtime, UTC).date().isoformat()
        report.chunks_stored += kb.put_document(source, digest, document.title, date, chunks, vectors)
        (report.updated if existing is not None else report.added).append(source)
    return report
