"""DeepQA retrieval: ingestion of local documents, embeddings, faiss indexes and web search, with citations.

- `Retriever(embedder, options=RetrievalOptions(...)).retrieve(query, kb=..., web=..., k=...)` -> `Passage`s
  (data, never instructions), ranked by embeddings fused with BM25 unless `hybrid=False`, optionally with the text
  of fetched result pages; `render_for_prompt(passages)` quotes them for an LLM.
- `ingest_paths(kb, embedder, paths, IngestOptions(...))` for documents; `simulagent rag ...` on the command line.
- `embed(texts)`: the default embedder, for other components (the agent's router).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from simulagent.rag.retrieve import Passage, RetrievalOptions, Retriever, render_for_prompt

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Passage", "RetrievalOptions", "Retriever", "embed", "render_for_prompt"]


def embed(texts: Sequence[str], embedder: str = "bundled:minilm") -> npt.NDArray[np.float32]:
    """L2-normalised embeddings of `texts` with the named embedder (shape (len(texts), dim))."""
    from simulagent.rag.embedders import make_embedder

    return make_embedder(embedder).embed(texts)
