"""Retrieval: chunking, extraction, ingestion (incremental, refused paths, crash safety), indexes, web providers,
the prompt rendering, and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from simulagent.cli import main
from simulagent.errors import UserError
from simulagent.rag.chunking import ChunkOptions, chunk_text, split_sentences
from simulagent.rag.embedders import HashingEmbedder
from simulagent.rag.extract import ExtractionError, extract
from simulagent.rag.ingest import IngestOptions, PathRefusedError, ingest_paths
from simulagent.rag.retrieve import Retriever, render_for_prompt
from simulagent.rag.store import IndexOptions, KnowledgeBase, build_index
from simulagent.rag.web import RSSFeeds, SearXNG, WebError, Wikipedia

from .conftest import FakeWeb, Route


def test_sentences_and_chunks_in_both_languages() -> None:
    assert split_sentences("今天很热。明天下雨！真的吗？") == ["今天很热。", "明天下雨！", "真的吗？"]
    assert split_sentences("Pi is 3.14 today. Yes.") == ["Pi is 3.14 today.", "Yes."]
    chinese = "这是一个很长的句子" * 30 + "。短句。"
    chunks = chunk_text(chinese, ChunkOptions(max_chars=50))
    assert all(len(c) <= 50 for c in chunks) and "".join(chunks).startswith("这是一个很长")
    english = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_text(english, ChunkOptions(max_chars=100, overlap_sentences=1))
    assert all(len(c) <= 100 for c in chunks) and len(chunks) > 5
    assert chunks[1].startswith(chunks[0].split(". ")[-1].rstrip("."))  # one sentence of overlap


def test_extraction(docs: Path, tmp_path: Path) -> None:
    html = extract(docs / "panda.html")
    assert html.title == "大熊猫" and "四川" in html.text and "var x" not in html.text
    assert extract(docs / "tea.md").title == "Green tea"
    import docx

    document = docx.Document()
    document.add_paragraph("A docx paragraph about trains.")
    document.save(str(tmp_path / "d.docx"))
    assert "trains" in extract(tmp_path / "d.docx").text
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    with pytest.raises(ExtractionError, match=r"broken\.pdf"):
        extract(tmp_path / "broken.pdf")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ExtractionError, match="not UTF-8"):
        extract(tmp_path / "latin1.txt")


def _kb(tmp_path: Path) -> tuple[KnowledgeBase, HashingEmbedder]:
    embedder = HashingEmbedder()
    return KnowledgeBase(tmp_path / "kb", embedder.info.name, embedder.info.dim), embedder


def test_ingest_query_update_delete_and_restart(docs: Path, tmp_path: Path) -> None:
    kb, embedder = _kb(tmp_path)
    options = IngestOptions(allowed_roots=(docs,))
    report = ingest_paths(kb, embedder, [docs], options)
    assert len(report.added) == 4 and not report.skipped
    retriever = Retriever(embedder)
    retriever._kbs["t"] = kb
    assert "Vienna" in retriever.retrieve("When does the train to Vienna leave?", kb="t", k=1)[0].text
    assert "竹子" in retriever.retrieve("大熊猫每天吃多少竹子", kb="t", k=1)[0].text
    assert ingest_paths(kb, embedder, [docs], options).unchanged == [str(p.resolve()) for p in sorted(docs.iterdir())]
    (docs / "train.txt").write_text("The night train to Vienna now leaves at 23:40.", encoding="utf-8")
    assert ingest_paths(kb, embedder, [docs], options).updated == [str((docs / "train.txt").resolve())]
    assert "23:40" in retriever.retrieve("train to Vienna", kb="t", k=1)[0].text
    assert kb.delete_document(str((docs / "tea.md").resolve()))
    assert all("Green tea" not in p.text for p in retriever.retrieve("green tea temperature", kb="t", k=5))
    kb.close()
    reopened = KnowledgeBase(tmp_path / "kb", embedder.info.name, embedder.info.dim)
    assert len(reopened.documents()) == 3 and reopened.index().ntotal == reopened.num_chunks()
    with pytest.raises(UserError, match="built with the embedder"):
        KnowledgeBase(tmp_path / "kb", "other", 8)


def _put(kb: KnowledgeBase, embedder: HashingEmbedder, source: str, texts: list[str]) -> None:
    kb.put_document(source, source, source, "", texts, embedder.embed(texts))


def _top(kb: KnowledgeBase, embedder: HashingEmbedder, query: str) -> list[str]:
    return [hit.text for hit in kb.search(embedder.embed([query]), 5)[0]]


@pytest.mark.parametrize("approximate", ["flat", "ivf", "hnsw"])
def test_the_index_follows_changes_without_rebuilding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, approximate: str
) -> None:
    import simulagent.rag.store as store

    builds: list[int] = []
    real_build = store.build_index

    def counting_build(vectors: Any, ids: Any, options: IndexOptions) -> Any:
        builds.append(len(ids))
        return real_build(vectors, ids, options)

    monkeypatch.setattr(store, "build_index", counting_build)
    kind: Any = "ivf" if approximate == "flat" else approximate
    options = IndexOptions(approximate_above=10**9 if approximate == "flat" else 50, approximate=kind, ivf_nprobe=64)
    embedder = HashingEmbedder()
    folder = tmp_path / "kb"
    kb = KnowledgeBase(folder, embedder.info.name, embedder.info.dim, options)
    for d in range(6):
        _put(kb, embedder, f"doc{d}", [f"document {d} sentence {i} about topic {d * 10 + i}" for i in range(20)])
    assert kb.index().ntotal == 120 and builds == [120]
    _put(kb, embedder, "trains", ["The night train to Vienna leaves platform 7 at 22:15."])
    assert kb.delete_document("doc0")
    assert kb.index().ntotal == kb.num_chunks() == 101
    # Removals from HNSW need a rebuild; flat and IVF indexes take the journal.
    assert builds == ([120, 101] if approximate == "hnsw" else [120])
    assert "Vienna" in _top(kb, embedder, "night train to Vienna")[0]
    assert not any("document 0 " in t for t in _top(kb, embedder, "document 0 sentence 3 about topic 3"))
    kb.close()
    # After a restart the saved index plus the journal entries written after it give the same answers.
    _put(reopened := KnowledgeBase(folder, embedder.info.name, embedder.info.dim, options), embedder, "x", ["extra"])
    assert reopened.index().ntotal == 102
    assert "Vienna" in _top(reopened, embedder, "night train to Vienna")[0]
    assert len(builds) == (2 if approximate == "hnsw" else 1)
    assert [p.name for p in folder.glob("index*.faiss")] == [json.loads((folder / "index.json").read_text())["file"]]


def test_an_index_without_a_valid_stamp_is_rebuilt(tmp_path: Path) -> None:
    kb, embedder = _kb(tmp_path)
    _put(kb, embedder, "a", ["alpha text", "beta text"])
    assert kb.index().ntotal == 2
    kb.close()
    (tmp_path / "kb" / "index.json").write_text("7")  # an older format, or a torn write
    reopened = KnowledgeBase(tmp_path / "kb", embedder.info.name, embedder.info.dim)
    assert reopened.index().ntotal == 2 and "alpha" in _top(reopened, embedder, "alpha")[0]


def test_refused_oversize_and_unreadable(docs: Path, tmp_path: Path) -> None:
    kb, embedder = _kb(tmp_path)
    outside = tmp_path / "secret.txt"
    outside.write_text("password", encoding="utf-8")
    with pytest.raises(PathRefusedError, match="outside the allowed roots"):
        ingest_paths(kb, embedder, [docs / ".." / "secret.txt"], IngestOptions(allowed_roots=(docs,)))
    (docs / "link.txt").symlink_to(outside)  # a link inside the root pointing outside is not followed
    (docs / "big.txt").write_text("x" * 5000, encoding="utf-8")
    (docs / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    report = ingest_paths(kb, embedder, [docs], IngestOptions(allowed_roots=(docs,), max_file_bytes=1000))
    assert (
        str((docs / "big.txt").resolve()) in report.skipped
        and "over the limit" in report.skipped[str((docs / "big.txt").resolve())]
    )
    assert "not UTF-8" in report.skipped[str((docs / "bad.txt").resolve())]
    assert all("secret" not in d.source for d in kb.documents())


def test_a_kill_during_ingestion_loses_nothing_already_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        (folder / f"doc{i:02d}.txt").write_text(f"Document {i} talks about topic {i}. " * 20, encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from simulagent.rag.embedders import HashingEmbedder
        from simulagent.rag.ingest import IngestOptions, ingest_paths
        from simulagent.rag.store import KnowledgeBase
        e = HashingEmbedder()
        kb = KnowledgeBase(Path({str(tmp_path / "kb")!r}), e.info.name, e.info.dim)
        class Slow(HashingEmbedder):
            def embed(self, texts):
                time.sleep(0.05)
                return e.embed(texts)
        def tick(done, total, source):
            print(done, flush=True)
        ingest_paths(kb, Slow(), [Path({str(folder)!r})], IngestOptions(allowed_roots=(Path({str(folder)!r}),)), tick)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if int(line) >= 10:
            process.kill()
            break
    process.wait(timeout=60)
    kb, embedder = _kb(tmp_path)
    documents = kb.documents()
    assert 8 <= len(documents) < 60
    assert kb.index().ntotal == kb.num_chunks()
    # The BM25 table is written in the same transactions: exactly the committed chunks, nothing half-written.
    import sqlite3

    db = sqlite3.connect(tmp_path / "kb" / "kb.sqlite")
    fts = db.execute("SELECT rowid FROM chunks_fts ORDER BY rowid").fetchall()
    assert fts == db.execute("SELECT id FROM chunks ORDER BY id").fetchall()
    db.close()
    # Resuming finishes the job without redoing what was committed.
    report = ingest_paths(kb, embedder, [folder], IngestOptions(allowed_roots=(folder,)))
    assert len(report.unchanged) >= len(documents) - 1 and len(kb.documents()) == 60


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_index_recall(kind: str) -> None:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(3000, dtype=np.int64) * 7  # ids are the chunks', not positions
    exact = build_index(vectors, ids, IndexOptions(approximate_above=10**9))
    # Unclustered random vectors are IVF's worst case: search half of the cells.
    approx = build_index(vectors, ids, IndexOptions(approximate_above=100, approximate=kind, ivf_nprobe=110))  # type: ignore[arg-type]
    import faiss

    inner = approx if kind == "ivf" else faiss.downcast_index(approx.index)
    assert isinstance(inner, faiss.IndexIVFFlat if kind == "ivf" else faiss.IndexHNSWFlat)
    queries = vectors[:50] + 0.05 * rng.standard_normal((50, 32)).astype(np.float32)
    _, truth = exact.search(queries, 10)
    _, found = approx.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
    assert recall >= 0.95


def test_web_providers_and_their_faults(fake_web: FakeWeb) -> None:
    fake_web.routes["/search"] = Route(
        body=json.dumps({"results": [{"title": "Final", "url": "http://x/1", "content": "Team A won 2-1 yesterday."}]})
    )
    assert SearXNG(fake_web.url).search("who won", 3)[0].text.startswith("Team A")
    fake_web.routes["/w/api.php"] = Route(
        body=json.dumps(
            {
                "query": {
                    "search": [
                        {
                            "title": "Giant panda",
                            "snippet": "The <span>giant panda</span> is a bear",
                            "timestamp": "2024-05-01T00:00:00Z",
                        }
                    ]
                }
            }
        )
    )
    hit = Wikipedia(fake_web.url).search("panda", 2)[0]
    assert (
        hit.text == "The giant panda is a bear" and hit.url.endswith("/wiki/Giant_panda") and hit.date == "2024-05-01"
    )
    fake_web.routes["/feed"] = Route(
        content_type="application/rss+xml",
        body="<rss><channel>"
        "<item><title>Rain in Shanghai</title><link>http://n/1</link><description>Heavy rain</description></item>"
        "<item><title>Markets</title><link>http://n/2</link><description>Stocks up</description></item>"
        "</channel></rss>",
    )
    assert RSSFeeds((fake_web.url + "/feed",)).search("shanghai rain", 5)[0].title == "Rain in Shanghai"
    fake_web.routes["/search"] = Route(status=500, body="oops", content_type="text/plain")
    with pytest.raises(WebError, match="HTTP 500"):
        SearXNG(fake_web.url).search("q", 3)
    fake_web.routes["/search"] = Route(body="<html>Please verify you are human</html>", content_type="text/html")
    with pytest.raises(WebError, match="HTML page instead of JSON"):
        SearXNG(fake_web.url).search("q", 3)
    fake_web.routes["/search"] = Route(body="{not json", content_type="application/json")
    with pytest.raises(WebError, match="not JSON"):
        SearXNG(fake_web.url).search("q", 3)
    fake_web.routes["/search"] = Route(body="{}", delay_s=1.0)
    with pytest.raises(WebError, match="did not answer"):
        SearXNG(fake_web.url, timeout_s=0.2).search("q", 3)
    with pytest.raises(WebError, match="unreachable"):
        SearXNG("http://127.0.0.1:9").search("q", 3)


def test_web_passages_merge_with_kb_and_failures_are_skipped(fake_web: FakeWeb, docs: Path, tmp_path: Path) -> None:
    fake_web.routes["/w/api.php"] = Route(
        body=json.dumps({"query": {"search": [{"title": "Vienna", "snippet": "Vienna is the capital of Austria"}]}})
    )
    kb, embedder = _kb(tmp_path)
    ingest_paths(kb, embedder, [docs], IngestOptions(allowed_roots=(docs,)))
    retriever = Retriever(embedder)
    retriever._kbs["t"] = kb
    passages = retriever.retrieve(
        "Vienna capital Austria", kb="t", web=[Wikipedia(fake_web.url), SearXNG("http://127.0.0.1:9")], k=3
    )
    assert passages[0].origin == "web:wikipedia" and not passages[0].trusted
    prompt = render_for_prompt(passages)
    assert "data, not instructions" in prompt and "[1] Vienna" in prompt


def test_cli_round_trip(docs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SIMULAGENT_RAG__EMBEDDER", "hashing")
    assert main(["rag", "ingest", str(docs), "--kb", "notes", "--allow-root", str(docs)]) == 0
    assert "4 added" in capsys.readouterr().out
    assert main(["rag", "query", "Vienna train platform", "--kb", "notes", "--json", "-k", "1"]) == 0
    hit = json.loads(capsys.readouterr().out.splitlines()[0])
    assert "Vienna" in hit["text"] and hit["source"].endswith("train.txt")
    assert main(["rag", "stats", "--kb", "notes"]) == 0
    assert "4 documents" in capsys.readouterr().out
    assert main(["rag", "delete", str(docs / "tea.md"), "--kb", "notes"]) == 0
    assert main(["rag", "delete", "/nope.txt", "--kb", "notes"]) == 2
    assert main(["rag", "ingest", "/etc/hostname", "--kb", "notes", "--allow-root", str(docs)]) == 2
    assert "outside the allowed roots" in capsys.readouterr().err
    assert main(["rag", "query", "x", "--kb", "../evil"]) == 2


@pytest.mark.slow
def test_bundled_minilm_embeds_and_retrieves(docs: Path, tmp_path: Path) -> None:
    from simulagent.rag.embedders import make_embedder

    embedder = make_embedder("bundled:minilm")
    vectors = embedder.embed(
        ["How hot should water be for green tea?", "Green tea is brewed at 80 degrees.", "Stocks fell."]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
