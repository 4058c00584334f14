"""Small systems and corpora for the evaluation tests (no model needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from simulagent.audio import save_wav
from simulagent.types import SpeechSegment, SystemSpec, TextSegment


@dataclass
class _SpeechState:
    received_ms: float = 0.0
    words: int = 0
    finished: bool = False
    done: bool = False
    lengths: list[int] = field(default_factory=list)


class WordEvery:
    """Speech in; one output unit per `every_ms` of audio received (a word, or 0.4 s of tone when `speak`)."""

    def __init__(self, every_ms: float = 500.0, speak: bool = False, words_per_unit: int = 1) -> None:
        self.every_ms = every_ms
        self.speak = speak
        self.words_per_unit = words_per_unit
        self._spec = SystemSpec(f"word-every-{every_ms:g}", "speech", "speech" if speak else "text")

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> _SpeechState:
        return _SpeechState()

    def reset(self, state: _SpeechState) -> None:
        state.received_ms, state.words, state.finished, state.done = 0.0, 0, False, False

    def push(self, segment: TextSegment | SpeechSegment, state: _SpeechState) -> None:
        assert isinstance(segment, SpeechSegment)
        state.received_ms += segment.duration_ms
        state.finished = segment.finished

    def pop(self, state: _SpeechState) -> TextSegment | SpeechSegment:
        if state.done:
            return TextSegment(finished=True)
        due = int(state.received_ms // self.every_ms)
        if state.words < due or (state.finished and state.words == due):
            state.words += 1
            last = state.finished and state.words > due
            state.done = last
            if self.speak:
                tone = (0.2 * np.sin(np.arange(int(0.4 * 16000)) / 5.0)).astype(np.float32)
                return SpeechSegment(tone, 16_000, finished=last)
            text = " ".join(f"w{state.words}.{j}" for j in range(self.words_per_unit))
            return TextSegment(text, finished=last)
        return TextSegment()


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def speech_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """Three tone files (2.1 s at 16 kHz, 1.7 s at 22.05 kHz, 3.05 s at 16 kHz) with references."""
    names = []
    for i, (seconds, rate) in enumerate([(2.1, 16_000), (1.7, 22_050), (3.05, 16_000)]):
        samples = (0.1 * np.sin(np.arange(int(seconds * rate)) / 7.0)).astype(np.float32)
        save_wav(tmp_path / f"a{i}.wav", samples, rate)
        names.append(f"a{i}.wav")
    source = write_lines(tmp_path / "wav_list.txt", names)
    target = write_lines(tmp_path / "ref.txt", ["w1.0 w2.0 w3.0", "w1.0 w2.0", "w1.0 w2.0 w3.0 w4.0 w5.0 w6.0"])
    return source, target
