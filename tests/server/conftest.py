"""A fake speech-to-text system the server tests serve (no model needed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from simulagent.types import SpeechSegment, SystemSpec, TextSegment


@dataclass
class CountingState:
    samples: int = 0
    words: int = 0
    finished: bool = False
    done: bool = False


class WordPerSecond:
    """Writes the word "w<n>" for every full second of audio; speaks it too when `speak` is set."""

    def __init__(self, speak: bool = False) -> None:
        self.speak = speak
        self._spec = SystemSpec("word-per-second", "speech", "speech" if speak else "text")

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> CountingState:
        return CountingState()

    def reset(self, state: CountingState) -> None:
        state.samples = state.words = 0
        state.finished = state.done = False

    def push(self, segment: TextSegment | SpeechSegment, state: CountingState) -> None:
        assert isinstance(segment, SpeechSegment)
        state.samples += segment.num_samples
        state.finished = segment.finished

    def pop(self, state: CountingState) -> TextSegment | SpeechSegment:
        if state.done:
            return TextSegment(finished=True)
        due = state.samples // 16_000
        if state.words < due or (state.finished and state.words == due and state.samples % 16_000):
            state.words += 1
            last = state.finished and state.words >= -(-state.samples // 16_000)
            state.done = last
            if self.speak:
                return SpeechSegment(
                    np.full(1600, 0.25, dtype=np.float32),
                    16_000,
                    offset_ms=1000.0 * state.words,
                    finished=last,
                    text=f"w{state.words}",
                )
            return TextSegment(f"w{state.words}", finished=last)
        if state.finished:
            state.done = True
            return TextSegment(finished=True)
        return TextSegment()


@pytest.fixture
def text_system() -> WordPerSecond:
    return WordPerSecond()


@pytest.fixture
def speech_system() -> WordPerSecond:
    return WordPerSecond(speak=True)
