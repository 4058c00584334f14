"""A named knowledge base on disk: SQLite holds documents, chunks and their vectors; a faiss index serves search.

Durability: every document is written in one SQLite transaction (its chunks and their vectors together), so a
process killed mid-ingest loses at most the document it was writing. The faiss index is a cache of the vectors in
SQLite: triggers journal every chunk added or removed in the same transaction, and the index on disk (a file named
by the journal position it reflects, pointed to by `index.json`, both replaced atomically) is brought up to date by
applying the newer journal entries, in memory at once and on disk every few thousand; it is rebuilt from SQLite
only when that cannot be done (see `KnowledgeBase.index`).

Index choice: exact inner product (`IndexFlatIP`) up to `approximate_above` vectors, an approximate index above:
IVF-Flat by default (or HNSW), whose recall against exact search is measured in docs/benchmarks.md.

Lexical search: an FTS5 table `chunks_fts` beside `chunks` (same row ids) holds each chunk's terms, tokenised by
`simulagent.rag.lexical` (Chinese as character unigrams and bigrams), and ranks them with BM25. It is written in the
same transaction as its chunk and emptied by a trigger when a chunk goes (directly or by the documents' cascade),
so it can never disagree with `chunks`. Bases of schema 1 (no FTS table) are migrated in place when opened: one
transaction creates the table and fills it from the stored chunks.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from simulagent._sqlite import write_transaction
from simulagent.errors import UserError
from simulagent.rag.lexical import FTS_TOKENIZE, fts_query, lexical_terms

__all__ = ["ChunkHit", "DocumentRecord", "IndexOptions", "KnowledgeBase", "build_index"]

# 1: documents, chunks, vectors. 2: + the FTS5 table of chunk terms (BM25). 3: + the index journal.
SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    date TEXT NOT NULL,
    ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE INDEX IF NOT EXISTS chunks_text ON chunks(text_sha256);
"""
# Schema 2, created inside the transaction that sets up or migrates a base (statement by statement: executescript
# would commit first).
_FTS_SCHEMA = (
    f'CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(terms, tokenize="{FTS_TOKENIZE}")',
    "CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks "
    "BEGIN DELETE FROM chunks_fts WHERE rowid = old.id; END",
)
# Schema 3: every chunk added or removed is journalled by the same transaction (triggers), so the faiss index on
# disk plus the journal entries after it describe the current chunks: an index is brought up to date by applying
# them, not rebuilt (a rebuild of 1M vectors takes minutes).
_JOURNAL_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS index_journal "
    "(seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id INTEGER NOT NULL, added INTEGER NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS chunks_journal_add AFTER INSERT ON chunks "
    "BEGIN INSERT INTO index_journal(chunk_id, added) VALUES (new.id, 1); END",
    "CREATE TRIGGER IF NOT EXISTS chunks_journal_delete AFTER DELETE ON chunks "
    "BEGIN INSERT INTO index_journal(chunk_id, added) VALUES (old.id, 0); END",
)
# The index on disk is rewritten once this many journal entries wait to be applied at load (they are applied in
# memory at once, and replayed after a restart until then).
_SAVE_EVERY_CHANGES = 2_000


@dataclass(frozen=True)
class IndexOptions:
    """Attributes:
    approximate_above: use the approximate index when the base holds more vectors than this.
    approximate: which one: "ivf" (IVF-Flat: nlist = 4·sqrt(n) cells, `ivf_nprobe` searched) or "hnsw". IVF is
        the default: it builds 2-6x faster than HNSW at 1M vectors and follows removals without a rebuild; HNSW
        is more exact per millisecond on real embeddings but collapsed on clustered data (docs/benchmarks.md).
    ivf_nprobe: cells IVF searches per query (recall/speed knob). 64: recall@10 0.96 on real MiniLM embeddings
        at 20k (16 gave 0.88), 1.00 on the clustered 1M sets at about 4 ms a query.
    hnsw_neighbors: HNSW's M.
    hnsw_ef_search: HNSW's efSearch (recall/speed knob).
    """

    approximate_above: int = 50_000
    approximate: Literal["ivf", "hnsw"] = "ivf"
    ivf_nprobe: int = 64
    hnsw_neighbors: int = 32
    hnsw_ef_search: int = 128

    def __post_init__(self) -> None:
        if self.approximate not in ("ivf", "hnsw"):
            raise ValueError(f"approximate must be 'ivf' or 'hnsw'; got {self.approximate!r}")
        if self.ivf_nprobe < 1 or self.hnsw_neighbors < 2 or self.hnsw_ef_search < 1:
            raise ValueError("ivf_nprobe and hnsw_ef_search must be >= 1, hnsw_neighbors >= 2")


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    source: str
    sha256: str
    title: str
    date: str
    num_chunks: int


@dataclass(frozen=True)
class ChunkHit:
    """A retrieved chunk: its text, score and where it came from. `score` is the cosine similarity for `search`,
    the BM25 score (positive, higher is better) for `lexical_search`."""

    chunk_id: int
    score: float
    text: str
    source: str
    title: str
    date: str


def build_index(vectors: npt.NDArray[np.float32], ids: npt.NDArray[np.int64], options: IndexOptions) -> Any:
    """A faiss index over `vectors` (n, dim) with the given ids: exact below the threshold, IVF or HNSW above."""
    import faiss

    n, dim = vectors.shape
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index: Any
    if n > options.approximate_above and options.approximate == "ivf":
        nlist = max(1, int(4 * np.sqrt(n)))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        # k-means on an evenly spread sample (faiss itself would sample 256 per cell); deterministic.
        step = max(1, n // (64 * nlist))
        index.train(data[::step])
        index.nprobe = min(options.ivf_nprobe, nlist)
        index.add_with_ids(data, np.ascontiguousarray(ids, dtype=np.int64))
        return index
    inner: Any
    if n > options.approximate_above:
        inner = faiss.IndexHNSWFlat(dim, options.hnsw_neighbors, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = 80
        inner.hnsw.efSearch = options.hnsw_ef_search
    else:
        inner = faiss.IndexFlatIP(dim)
    index = faiss.IndexIDMap2(inner)
    if n:
        index.add_with_ids(data, np.ascontiguousarray(ids, dtype=np.int64))
    return index


class KnowledgeBase:
    """One knowledge base in `folder` (`kb.sqlite`, `index-<seq>.faiss` and `index.json`).

    Args:
        folder: where it lives (created on first use).
        embedder_name: the embedder's stable name and `dim`: a base refuses vectors of another embedder.
        dim: vector dimension.
    """

    def __init__(self, folder: Path, embedder_name: str, dim: int, options: IndexOptions | None = None) -> None:
        self.folder = folder
        self.options = options or IndexOptions()
        folder.mkdir(parents=True, exist_ok=True)
        self._db_path = folder / "kb.sqlite"
        self._stamp_path = folder / "index.json"  # names the index file and the journal position it reflects
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self._db_path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._check_meta(embedder_name, dim)
        self.embedder_name = embedder_name
        self.dim = dim
        self._index: Any = None
        self._index_seq = 0  # the journal position `_index` reflects
        self._saved_seq = 0  # ... and the index on disk
        self._trained = 0  # vectors the index was built (IVF: trained) on

    def _check_meta(self, embedder_name: str, dim: int) -> None:
        rows = self._meta()
        if not rows or int(rows.get("schema", "0")) < SCHEMA_VERSION:
            # Decide again inside the write transaction: two processes opening one new or old base at once must
            # not both set it up or migrate it. Opening an up-to-date base takes no write lock.
            with self.transaction() as db:
                rows = self._meta()
                if not rows:
                    for statement in (*_FTS_SCHEMA, *_JOURNAL_SCHEMA):
                        db.execute(statement)
                    db.executemany(
                        "INSERT INTO meta(key, value) VALUES (?, ?)",
                        [
                            ("schema", str(SCHEMA_VERSION)),
                            ("embedder", embedder_name),
                            ("dim", str(dim)),
                        ],
                    )
                    return
                self._check_embedder(rows, embedder_name, dim)
                if int(rows.get("schema", "0")) < 2:
                    self._migrate_to_fts(db)
                if int(rows.get("schema", "0")) < 3:
                    # No journal yet: an index saved by an older simulagent has no index.json and is rebuilt once.
                    for statement in _JOURNAL_SCHEMA:
                        db.execute(statement)
                db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
            return
        self._check_embedder(rows, embedder_name, dim)

    def _meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def _check_embedder(self, rows: dict[str, str], embedder_name: str, dim: int) -> None:
        if int(rows.get("schema", "0")) > SCHEMA_VERSION:
            raise UserError(f"{self.folder}: made by a newer simulagent (schema {rows['schema']})")
        if rows.get("embedder") != embedder_name or int(rows.get("dim", "0")) != dim:
            raise UserError(
                f"{self.folder}: built with the embedder {rows.get('embedder')} ({rows.get('dim')} dims), not "
                f"{embedder_name}; delete and re-ingest it to change embedders"
            )

    def _migrate_to_fts(self, db: sqlite3.Connection) -> None:
        """Schema 1 -> 2: create the FTS table and fill it from the stored chunks (vectors and ids untouched)."""
        for statement in _FTS_SCHEMA:
            db.execute(statement)
        rows = db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        db.executemany(
            "INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)", [(i, " ".join(lexical_terms(t))) for i, t in rows]
        )

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return write_transaction(self._db, self._lock)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- documents -------------------------------------------------------------------------------------------

    def document(self, source: str) -> DocumentRecord | None:
        row = self._db.execute(
            "SELECT d.id, d.source, d.sha256, d.title, d.date, COUNT(c.id) FROM documents d "
            "LEFT JOIN chunks c ON c.document_id = d.id WHERE d.source = ? GROUP BY d.id",
            (source,),
        ).fetchone()
        return DocumentRecord(*row) if row else None

    def documents(self) -> list[DocumentRecord]:
        rows = self._db.execute(
            "SELECT d.id, d.source, d.sha256, d.title, d.date, COUNT(c.id) FROM documents d "
            "LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.id ORDER BY d.source"
        ).fetchall()
        return [DocumentRecord(*row) for row in rows]

    def put_document(
        self, source: str, sha256: str, title: str, date: str, chunks: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> int:
        """Insert or replace a document and its chunks in one transaction; chunks already stored (same text
        anywhere in the base) are skipped as duplicates. Returns the number of chunks stored."""
        import hashlib

        if vectors.shape != (len(chunks), self.dim):
            raise ValueError(f"expected vectors of shape ({len(chunks)}, {self.dim}); got {vectors.shape}")
        with self.transaction() as db:
            db.execute("DELETE FROM documents WHERE source = ?", (source,))
            cursor = db.execute(
                "INSERT INTO documents(source, sha256, title, date, ingested_at) VALUES (?, ?, ?, ?, ?)",
                (source, sha256, title, date, time.time()),
            )
            document_id = int(cursor.lastrowid or 0)
            stored = 0
            for position, (text, vector) in enumerate(zip(chunks, vectors, strict=True)):
                text_hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
                if db.execute("SELECT 1 FROM chunks WHERE text_sha256 = ? LIMIT 1", (text_hash,)).fetchone():
                    continue
                cursor = db.execute(
                    "INSERT INTO chunks(document_id, position, text, text_sha256, vector) VALUES (?, ?, ?, ?, ?)",
                    (document_id, position, text, text_hash, np.asarray(vector, dtype=np.float32).tobytes()),
                )
                db.execute(
                    "INSERT INTO chunks_fts(rowid, terms) VALUES (?, ?)",
                    (cursor.lastrowid, " ".join(lexical_terms(text))),
                )
                stored += 1
        return stored

    def delete_document(self, source: str) -> bool:
        with self.transaction() as db:
            deleted = db.execute("DELETE FROM documents WHERE source = ?", (source,)).rowcount > 0
        return deleted

    def num_chunks(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    # --- index -------------------------------------------------------------------------------------------------

    def _vectors(self) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        rows = self._db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), self.dim)
        return vectors, ids

    def _journal_seq(self) -> int:
        """The last journal position ever written: AUTOINCREMENT's counter, which pruning the journal keeps."""
        row = self._db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'index_journal'").fetchone()
        return int(row[0]) if row else 0

    def index(self) -> Any:
        """The faiss index of the current chunks.

        Loaded from disk and brought up to date with the journal entries written after it was saved (additions
        added, removals removed); rebuilt from SQLite only when that cannot be done: no index yet, an old stamp,
        removals from HNSW (which cannot remove), a flat index grown past `approximate_above`, an IVF index grown to
        4x the vectors it was trained on, or a count that does not match.
        """
        with self._lock:
            seq = self._journal_seq()
            if self._index is not None and self._index_seq == seq:
                return self._index
            index, index_seq, trained = self._index, self._index_seq, self._trained
            if index is None:
                index, index_seq, trained = self._load_saved()
            if index is not None and index_seq < seq:
                index = self._apply_journal(index, index_seq, trained)
            if index is None or index.ntotal != self.num_chunks():
                vectors, ids = self._vectors()
                index = build_index(vectors, ids, self.options)
                trained = len(ids)
                self._save(index, seq, trained)
            elif seq - self._saved_seq >= _SAVE_EVERY_CHANGES:
                self._save(index, seq, trained)
            self._index, self._index_seq, self._trained = index, seq, trained
            return index

    def _load_saved(self) -> tuple[Any, int, int]:
        """The index on disk and the journal position it reflects, or (None, 0, 0)."""
        import json

        import faiss

        try:
            stamp = json.loads(self._stamp_path.read_text())
            seq, trained, name = int(stamp["journal_seq"]), int(stamp["trained"]), str(stamp["file"])
        except (OSError, ValueError, KeyError, TypeError):
            return None, 0, 0  # none yet, or written by an older simulagent: rebuild
        path = self.folder / name
        if not path.is_file() or "/" in name:
            return None, 0, 0
        oldest = self._db.execute("SELECT MIN(seq) FROM index_journal").fetchone()[0]
        if oldest is not None and oldest > seq + 1:
            return None, 0, 0  # entries it needs were pruned after a newer save: rebuild
        self._saved_seq = seq
        return faiss.read_index(str(path)), seq, trained

    def _apply_journal(self, index: Any, since_seq: int, trained: int) -> Any | None:
        """`index` with the journal entries after `since_seq` applied, or None when it must be rebuilt."""
        import faiss

        rows = self._db.execute(
            "SELECT chunk_id, added FROM index_journal WHERE seq > ? ORDER BY seq", (since_seq,)
        ).fetchall()
        touched = {int(chunk_id) for chunk_id, _ in rows}
        removed = {int(chunk_id) for chunk_id, added in rows if not added}
        inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
        if removed and isinstance(inner, faiss.IndexHNSWFlat):
            return None
        present = (
            [
                int(r[0])
                for r in self._db.execute(
                    f"SELECT id FROM chunks WHERE id IN ({','.join('?' * len(touched))})", sorted(touched)
                ).fetchall()
            ]
            if touched
            else []
        )
        grown = index.ntotal - len(removed) + len(present)
        if isinstance(inner, faiss.IndexFlat) and grown > self.options.approximate_above:
            return None
        if isinstance(inner, faiss.IndexIVFFlat) and grown > 4 * max(trained, 1):
            return None
        if removed:
            index.remove_ids(np.array(sorted(removed), dtype=np.int64))
        if present:
            index.add_with_ids(self.vectors(present), np.array(present, dtype=np.int64))
        return index

    def _save(self, index: Any, seq: int, trained: int) -> None:
        """Write the index as a new file named by its journal position, point the stamp at it (write, then rename:
        atomic), then delete older index files and prune the journal entries it reflects. A crash at any point leaves
        a stamp naming a complete file and every journal entry after it."""
        import json

        import faiss

        name = f"index-{seq}.faiss"
        tmp = self.folder / (name + ".tmp")
        faiss.write_index(index, str(tmp))
        tmp.replace(self.folder / name)
        stamp_tmp = self._stamp_path.with_suffix(".tmp")
        stamp_tmp.write_text(json.dumps({"file": name, "journal_seq": seq, "trained": trained}))
        stamp_tmp.replace(self._stamp_path)
        for old in self.folder.glob("index*.faiss"):
            if old.name != name:
                old.unlink(missing_ok=True)
        self._saved_seq = seq
        with self.transaction() as db:
            db.execute("DELETE FROM index_journal WHERE seq <= ?", (seq,))

    def vectors(self, chunk_ids: Sequence[int]) -> npt.NDArray[np.float32]:
        """The stored vectors of `chunk_ids`, shape (len(chunk_ids), dim), in that order; KeyError for an unknown id."""
        if not chunk_ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        wanted = [int(i) for i in chunk_ids]
        marks = ",".join("?" * len(wanted))
        rows = dict(self._db.execute(f"SELECT id, vector FROM chunks WHERE id IN ({marks})", wanted).fetchall())
        return np.frombuffer(b"".join(rows[i] for i in wanted), dtype=np.float32).reshape(len(wanted), self.dim)

    def lexical_search(self, query: str, k: int, among: Sequence[int] | None = None) -> list[ChunkHit]:
        """The k chunks with the best BM25 score for `query` (score positive, higher is better); chunks sharing no
        term with the query are never returned. `among` restricts the search to these chunk ids."""
        match = fts_query(query)
        if not match or k < 1 or (among is not None and not among):
            return []
        # FTS5's bm25() is negative (more negative is better); `rank` is that same value, ordered efficiently.
        sql = (
            "SELECT c.id, -chunks_fts.rank, c.text, d.source, d.title, d.date FROM chunks_fts "
            "JOIN chunks c ON c.id = chunks_fts.rowid JOIN documents d ON d.id = c.document_id "
            "WHERE chunks_fts MATCH ?"
        )
        params: list[object] = [match]
        if among is not None:
            sql += f" AND chunks_fts.rowid IN ({','.join('?' * len(among))})"
            params += [int(i) for i in among]
        sql += " ORDER BY chunks_fts.rank LIMIT ?"
        params.append(k)
        rows = self._db.execute(sql, params).fetchall()
        return [ChunkHit(int(r[0]), float(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def search(self, query_vectors: npt.NDArray[np.float32], k: int) -> list[list[ChunkHit]]:
        """Top-k chunks for each query vector (rows of shape (dim,)), scored by cosine similarity."""
        index = self.index()
        if index.ntotal == 0:
            return [[] for _ in range(len(query_vectors))]
        scores, ids = index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), min(k, index.ntotal))
        results: list[list[ChunkHit]] = []
        for row_scores, row_ids in zip(scores, ids, strict=True):
            wanted = [int(i) for i in row_ids if i >= 0]
            if not wanted:
                results.append([])
                continue
            marks = ",".join("?" * len(wanted))
            query = (
                "SELECT c.id, c.text, d.source, d.title, d.date FROM chunks c "
                f"JOIN documents d ON d.id = c.document_id WHERE c.id IN ({marks})"
            )
            rows = self._db.execute(query, wanted).fetchall()
            by_id = {r[0]: r for r in rows}
            hits = [
                ChunkHit(i, float(s), by_id[i][1], by_id[i][2], by_id[i][3], by_id[i][4])
                for i, s in zip(row_ids, row_scores, strict=True)
                if int(i) in by_id
            ]
            results.append(hits)
        return results
