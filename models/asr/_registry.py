"""The explicit registry of speech backends, and a cache so one process loads each model once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulagent.errors import UserError
from simulagent.models.asr._bundled import load_model_files
from simulagent.models.asr._types import SpeechBackend

__all__ = ["BACKENDS", "BackendOptions", "load_backend"]


@dataclass(frozen=True)
class BackendOptions:
    """Which backend, which weights, where.

    Attributes:
        backend: a key of `BACKENDS`.
        model: "bundled:base", "bundled:tiny.en" or a local model folder.
        device: "cpu", "cuda" or "auto".
        compute_type: CTranslate2 compute type.
        num_threads: CPU threads the backend may use.
        intra_threads: threads per model replica on a CPU (ctranslate2: `num_threads // intra_threads` replicas
            share the weights, and concurrent decodes run side by side). 1, the default, decodes fastest: greedy
            decoding is a chain of small products that a second thread slows down. whisper_streaming runs one
            replica on all cores (`intra_threads == num_threads`).
    """

    backend: str = "ctranslate2"
    model: str = "bundled:base"
    device: str = "cpu"
    compute_type: str = "int8"
    num_threads: int = 2
    intra_threads: int = 1

    def __post_init__(self) -> None:
        if self.num_threads < 1:
            raise ValueError(f"num_threads must be >= 1; got {self.num_threads}")
        if not 1 <= self.intra_threads <= self.num_threads:
            raise ValueError(f"intra_threads must be in [1, num_threads={self.num_threads}]; got {self.intra_threads}")


def _ctranslate2(options: BackendOptions) -> SpeechBackend:
    try:
        from simulagent.models.asr._ctranslate2 import CTranslate2Backend
    except ImportError as exc:  # faster-whisper is an optional extra
        raise UserError(
            f"the ctranslate2 backend needs faster-whisper: pip install 'simulagent[speech]' ({exc})"
        ) from exc
    return CTranslate2Backend(
        load_model_files(options.model),
        options.device,
        options.compute_type,
        options.num_threads,
        intra_threads=options.intra_threads,
    )


def _transformers(options: BackendOptions) -> SpeechBackend:
    try:
        from simulagent.models.asr._transformers import TransformersBackend
    except ImportError as exc:  # the tokenizer and features come with the speech extra
        raise UserError(
            f"the transformers backend needs faster-whisper: pip install 'simulagent[speech]' ({exc})"
        ) from exc
    folder = Path(options.model).expanduser()
    is_hf = (
        not options.model.startswith("bundled:")
        and (folder / "config.json").is_file()
        and not (folder / "model.bin").is_file()
    )
    if is_hf:
        return TransformersBackend(folder, options.num_threads)
    return TransformersBackend(load_model_files(options.model), options.num_threads)


BACKENDS: dict[str, Callable[[BackendOptions], SpeechBackend]] = {
    "ctranslate2": _ctranslate2,
    "transformers": _transformers,
}
"""Backend name -> factory. The config's "faster-whisper" is an alias of "ctranslate2"."""

_ALIASES = {"faster-whisper": "ctranslate2"}


@functools.lru_cache(maxsize=4)
def load_backend(options: BackendOptions) -> SpeechBackend:
    """The backend for `options`, loaded once per process (models are large; backends hold no stream state)."""
    name = _ALIASES.get(options.backend, options.backend)
    if name not in BACKENDS:
        raise UserError(f"unknown speech backend {options.backend!r}; known: {', '.join(sorted(BACKENDS))}")
    return BACKENDS[name](options)


def default_transcriber() -> SpeechBackend:
    """The bundled Whisper base on CTranslate2: what eval's ASR-BLEU finds through the entry-point group
    `simulagent.transcribers` (the backend satisfies `simulagent.signals.Transcriber`)."""
    return load_backend(BackendOptions())
