"""The stream types: construction checks, derived values, immutability and the StreamingSystem protocol."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulagent.types import (
    AudioChunk,
    ReadAction,
    SpeechSegment,
    StreamingSystem,
    SystemSpec,
    TextSegment,
    TextStreamState,
    WriteAction,
)


def test_audio_chunk_derived_values() -> None:
    chunk = AudioChunk(np.zeros(8000, dtype=np.float32), 16_000, start_ms=250.0)
    assert chunk.num_samples == 8000
    assert chunk.duration_ms == 500.0
    assert chunk.end_ms == 750.0
    segment = chunk.to_segment(finished=True)
    assert isinstance(segment, SpeechSegment)
    assert segment.offset_ms == 250.0 and segment.finished and segment.num_samples == 8000


@pytest.mark.parametrize(
    "samples",
    [
        np.zeros(10, dtype=np.float64),  # wrong dtype
        np.zeros((10, 2), dtype=np.float32),  # stereo
        [0.0, 0.1],  # not an array
    ],
)
def test_audio_chunk_rejects_bad_samples(samples: object) -> None:
    with pytest.raises(TypeError, match="1-D float32"):
        AudioChunk(samples, 16_000)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [0, 999, 1_000_000, 16000.0])
def test_rejects_absurd_sample_rates(rate: object) -> None:
    with pytest.raises(ValueError, match="sample_rate_hz"):
        SpeechSegment(np.zeros(4, dtype=np.float32), rate)  # type: ignore[arg-type]


def test_rejects_negative_or_nan_times() -> None:
    with pytest.raises(ValueError, match="start_ms"):
        AudioChunk(np.zeros(4, dtype=np.float32), 16_000, start_ms=-1.0)
    with pytest.raises(ValueError, match="offset_ms"):
        SpeechSegment(np.zeros(4, dtype=np.float32), 16_000, offset_ms=float("nan"))


def test_segments_are_frozen() -> None:
    text = TextSegment("hello")
    with pytest.raises(dataclasses.FrozenInstanceError):
        text.content = "bye"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        WriteAction("x").finished = True  # type: ignore[misc]


def test_text_and_speech_segments() -> None:
    assert TextSegment().is_empty and TextSegment().data_type == "text"
    assert not TextSegment("a").is_empty
    empty = SpeechSegment.empty(22_050, finished=True)
    assert empty.is_empty and empty.finished and empty.sample_rate_hz == 22_050 and empty.data_type == "speech"
    speech = SpeechSegment(np.ones(441, dtype=np.float32), 22_050)
    assert speech.duration_ms == pytest.approx(20.0)
    assert ReadAction() == ReadAction()
    assert WriteAction("a b", finished=True) == WriteAction("a b", finished=True)


class _Echo:
    """A minimal text system: echoes each source word one step later (a wait-1 policy)."""

    def __init__(self) -> None:
        self._spec = SystemSpec("echo", "text", "text")

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> TextStreamState:
        return TextStreamState()

    def reset(self, state: TextStreamState) -> None:
        state.clear()

    def push(self, segment: TextSegment | SpeechSegment, state: TextStreamState) -> None:
        assert isinstance(segment, TextSegment)
        if segment.content:
            state.source_words.append(segment.content)
        state.source_finished = segment.finished

    def pop(self, state: TextStreamState) -> TextSegment:
        written = len(state.target_words)
        if state.target_finished:
            return TextSegment(finished=True)
        if written < len(state.source_words) - 1 or (state.source_finished and written < len(state.source_words)):
            word = state.source_words[written]
            state.target_words.append(word)
            done = state.source_finished and len(state.target_words) == len(state.source_words)
            state.target_finished = done
            return TextSegment(word, finished=done)
        return TextSegment()


def _run(system: _Echo, state: TextStreamState, words: list[str]) -> list[str]:
    out: list[str] = []
    for i, word in enumerate(words):
        system.push(TextSegment(word, finished=i == len(words) - 1), state)
        while not (seg := system.pop(state)).is_empty:
            out.append(seg.content)
            if seg.finished:
                return out
    return out


def test_streaming_system_protocol_and_state_reset() -> None:
    system = _Echo()
    assert isinstance(system, StreamingSystem)
    state = system.new_state()
    first = _run(system, state, ["a", "b", "c"])
    assert first == ["a", "b", "c"]
    system.reset(state)
    assert _run(system, state, ["a", "b", "c"]) == first
    # Two streams through one system object: the state is all that differs.
    s1, s2 = system.new_state(), system.new_state()
    system.push(TextSegment("x"), s1)
    system.push(TextSegment("y"), s2)
    system.push(TextSegment("z", finished=True), s2)
    assert system.pop(s2).content == "y"
    assert system.pop(s1).is_empty
