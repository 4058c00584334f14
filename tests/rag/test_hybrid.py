"""BM25 hybrid scoring: the tokeniser, FTS5 beside the chunks (written and deleted with them, migrated from schema
1), rank fusion, query/passage embedders, the option at the edges (config, CLI)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from simulagent.cli import main
from simulagent.config import load_config
from simulagent.errors import ConfigError, UserError
from simulagent.rag.embedders import EmbedderInfo, HashingEmbedder, HybridEmbedder, embed_queries
from simulagent.rag.fusion import min_max, rank, reciprocal_rank_fusion, score_mix
from simulagent.rag.ingest import IngestOptions, ingest_paths
from simulagent.rag.lexical import bm25_scores, fts_query, lexical_terms
from simulagent.rag.retrieve import RetrievalOptions, Retriever
from simulagent.rag.store import SCHEMA_VERSION, KnowledgeBase


class BlindEmbedder:
    """Every text gets the same vector: similarity cannot tell passages apart, so any order comes from BM25."""

    info = EmbedderInfo("blind", 16, ("*",))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(texts), 16), dtype=np.float32)
        out[:, 0] = 1.0
        return out


class PrefixEmbedder(HashingEmbedder):
    """An asymmetric embedder: queries are embedded with a prefix, as e5 does."""

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self.embed([f"query: {t}" for t in texts])


PASSAGES = {
    "e1042": "Dishwasher error E1042 means the drain pump is blocked.",
    "e1024": "Dishwasher error E1024 means the water inlet valve failed.",
    "panda": "大熊猫每天要吃大约十二公斤竹子。",
    "koala": "考拉每天吃桉树叶，睡二十个小时。",
    "train": "The night train to Vienna leaves from platform 7 at 22:15.",
}


def _kb(folder: Path, embedder: BlindEmbedder | HashingEmbedder) -> KnowledgeBase:
    kb = KnowledgeBase(folder, embedder.info.name, embedder.info.dim)
    for source, text in PASSAGES.items():
        kb.put_document(source, source, source, "", [text], embedder.embed([text]))
    return kb


def _retriever(kb: KnowledgeBase, embedder: BlindEmbedder | HashingEmbedder, **options: object) -> Retriever:
    retriever = Retriever(embedder, options=RetrievalOptions(**options))
    retriever._kbs["t"] = kb
    return retriever


def test_terms_in_both_languages_and_no_fts_syntax_from_user_text() -> None:
    assert lexical_terms("The night trains leave at 22:15, 8,850 km, 3.5% café") == [
        "night", "train", "leave", "22:15", "8850", "km", "3.5", "café"
    ]  # fmt: skip
    assert lexical_terms("吃竹子的熊猫") == ["吃", "竹", "子", "熊", "猫", "吃竹", "竹子", "子的", "的熊", "熊猫"]
    hostile = 'panda" OR x NEAR(a b) * -y AND title:z ^ {c}'
    query = fts_query(hostile)
    assert all(part.startswith('"') and part.endswith('"') for part in query.split(" OR "))
    assert fts_query("the of what ?!") == ""


def test_lexical_search_finds_names_and_numbers_and_never_parses_user_syntax(tmp_path: Path) -> None:
    kb = _kb(tmp_path / "kb", BlindEmbedder())
    assert kb.lexical_search("what does E1024 mean", 5)[0].source == "e1024"
    assert kb.lexical_search("熊猫吃多少竹子", 5)[0].source == "panda"
    assert kb.lexical_search("platform 7 22:15", 1)[0].source == "train"
    for hostile in ['"', "NEAR(", "a AND", "*", "e1024 OR", "-x", "{a b}:c", "'); DROP TABLE chunks; --"]:
        kb.lexical_search(hostile, 5)  # no FTS5 syntax error, whatever the user types
    assert kb.lexical_search("zebra", 5) == []
    ids = [h.chunk_id for h in kb.lexical_search("dishwasher", 5)]
    assert len(ids) == 2 and [h.chunk_id for h in kb.lexical_search("dishwasher", 5, among=ids[1:])] == ids[1:]


def test_hybrid_ranks_exact_terms_first_where_similarity_is_blind(tmp_path: Path) -> None:
    embedder = BlindEmbedder()
    kb = _kb(tmp_path / "kb", embedder)
    for fusion in ("mix", "rrf"):
        hybrid = _retriever(kb, embedder, hybrid=True, fusion=fusion)
        best = hybrid.retrieve("What does error E1024 mean?", kb="t", k=3)
        assert best[0].source == "e1024" and best[0].lexical is not None and best[0].lexical > 0
        assert best[0].score == pytest.approx(1.0) and best[0].similarity == pytest.approx(1.0)
        assert hybrid.retrieve("熊猫每天吃多少竹子？", kb="t", k=1)[0].source == "panda"
    plain = _retriever(kb, embedder, hybrid=False).retrieve("What does error E1024 mean?", kb="t", k=3)
    assert all(p.lexical is None and p.score == p.similarity for p in plain)


def test_fts_rows_follow_chunks_on_update_and_delete(tmp_path: Path, docs: Path) -> None:
    embedder = HashingEmbedder()
    kb = KnowledgeBase(tmp_path / "kb", embedder.info.name, embedder.info.dim)
    ingest_paths(kb, embedder, [docs], IngestOptions(allowed_roots=(docs,)))
    db = sqlite3.connect(tmp_path / "kb" / "kb.sqlite")

    def fts_ids() -> list[int]:
        return sorted(r[0] for r in db.execute("SELECT rowid FROM chunks_fts"))

    def chunk_ids() -> list[int]:
        return sorted(r[0] for r in db.execute("SELECT id FROM chunks"))

    assert fts_ids() == chunk_ids() and len(chunk_ids()) >= 4
    (docs / "train.txt").write_text("The express to Graz leaves at 09:12.", encoding="utf-8")
    ingest_paths(kb, embedder, [docs], IngestOptions(allowed_roots=(docs,)))
    assert fts_ids() == chunk_ids()
    assert kb.lexical_search("Graz 09:12", 1)[0].text.startswith("The express") and not kb.lexical_search("Vienna", 5)
    kb.delete_document(str((docs / "train.txt").resolve()))  # chunks go by the documents' cascade
    assert fts_ids() == chunk_ids() and not kb.lexical_search("Graz", 5)


def test_schema_1_bases_are_migrated_without_losing_data(tmp_path: Path) -> None:
    embedder = HashingEmbedder()
    folder = tmp_path / "old"
    kb = _kb(folder, embedder)
    kb.close()
    # Turn it back into what simulagent wrote before FTS5 existed: same tables, schema 1, no FTS table.
    db = sqlite3.connect(folder / "kb.sqlite", isolation_level=None)
    db.execute("DROP TRIGGER chunks_fts_delete")
    db.execute("DROP TABLE chunks_fts")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    before = db.execute("SELECT id, document_id, position, text, vector FROM chunks ORDER BY id").fetchall()
    documents = db.execute("SELECT * FROM documents ORDER BY id").fetchall()
    db.close()

    migrated = KnowledgeBase(folder, embedder.info.name, embedder.info.dim)
    db = sqlite3.connect(folder / "kb.sqlite")
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == str(SCHEMA_VERSION)
    assert db.execute("SELECT id, document_id, position, text, vector FROM chunks ORDER BY id").fetchall() == before
    assert db.execute("SELECT * FROM documents ORDER BY id").fetchall() == documents
    assert db.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0] == len(before)
    assert migrated.lexical_search("E1042", 1)[0].source == "e1042"
    assert migrated.index().ntotal == len(before)
    migrated.delete_document("e1042")  # the migrated base got the trigger too
    assert db.execute("SELECT COUNT(*) FROM chunks_fts").fetchone()[0] == len(before) - 1
    migrated.close()
    KnowledgeBase(folder, embedder.info.name, embedder.info.dim).close()  # reopening an up-to-date base is a no-op
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    with pytest.raises(UserError, match="newer simulagent"):
        KnowledgeBase(folder, embedder.info.name, embedder.info.dim)


def test_fusion_formulas() -> None:
    # Candidate 1 is second by similarity and first by BM25; candidate 2 matches no term.
    similarity, lexical = [0.9, 0.8, 0.7], [1.0, 3.0, 0.0]
    assert rank(similarity) == [0, 1, 2] and rank(lexical, positive_only=True) == [1, 0]
    fused = reciprocal_rank_fusion([rank(similarity), rank(lexical, positive_only=True)], 3, rank_constant=60)
    assert fused == pytest.approx([1 / 61 + 1 / 62, 1 / 62 + 1 / 61, 1 / 63])
    assert min_max([2.0, 4.0, 3.0]) == [0.0, 1.0, 0.5] and min_max([5.0, 5.0]) == [1.0, 1.0] and min_max([]) == []
    assert score_mix([0.9, 0.8, 0.7], [1 / 3, 1.0, 0.0], 0.5) == pytest.approx([0.5 + 1 / 6, 0.25 + 0.5, 0.0])
    with pytest.raises(ValueError, match="twice"):
        reciprocal_rank_fusion([[0, 0]], 1)
    with pytest.raises(ValueError, match="lexical_weight"):
        RetrievalOptions(lexical_weight=1.5)
    # Small web corpora: the idf stays positive even for a term in every text.
    assert all(s > 0 for s in bm25_scores("moon", ["the moon", "a moon rises"]))
    assert bm25_scores("moon", ["sun"]) == [0.0]


def test_query_and_passage_embeddings() -> None:
    asymmetric = PrefixEmbedder()
    text = ["green tea temperature"]
    assert not np.allclose(embed_queries(asymmetric, text), asymmetric.embed(text))
    assert np.allclose(embed_queries(HashingEmbedder(), text), HashingEmbedder().embed(text))  # symmetric: embed
    hybrid = HybridEmbedder([asymmetric, HashingEmbedder(64)])
    query = embed_queries(hybrid, text)
    assert query.shape == (1, 512 + 64) and np.allclose(np.linalg.norm(query, axis=1), 1.0, atol=1e-5)
    assert np.allclose(query[:, :512] * np.sqrt(2), embed_queries(asymmetric, text), atol=1e-6)


def test_hybrid_at_the_edges(docs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert load_config(env={}).rag.hybrid is True
    assert load_config(env={"SIMULAGENT_RAG__HYBRID": "off"}).rag.hybrid is False
    with pytest.raises(ConfigError, match="fetch_pages"):
        load_config(env={"SIMULAGENT_RAG__FETCH_PAGES": "-1"})
    monkeypatch.setenv("SIMULAGENT_RAG__EMBEDDER", "hashing")
    assert main(["rag", "ingest", str(docs), "--kb", "h", "--allow-root", str(docs)]) == 0
    capsys.readouterr()
    assert main(["rag", "query", "platform 7 Vienna", "--kb", "h", "--json", "-k", "1"]) == 0
    hit = json.loads(capsys.readouterr().out.splitlines()[0])
    assert hit["source"].endswith("train.txt") and hit["bm25"] > 0
    assert main(["rag", "query", "platform 7 Vienna", "--kb", "h", "--json", "-k", "1", "--no-hybrid"]) == 0
    hit = json.loads(capsys.readouterr().out.splitlines()[0])
    assert hit["bm25"] is None and hit["score"] == hit["similarity"]
    assert main(["rag", "query", "x", "--kb", "h", "--fetch-pages", "-2"]) == 2
