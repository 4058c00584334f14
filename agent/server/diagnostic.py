"""A model-free streaming system for checking the audio path of `simulagent serve`.

`AudioMeter` writes one word per full second of audio it receives, "1s:-23dB", naming the second and its level, so a
user can check that microphone, browser, network and server work before loading any model
(`simulagent serve --system simulagent.agent.server.diagnostic:AudioMeter`). With `speak=True` it answers each second
with a short beep, exercising the audio output path. Tests and the load benchmark use it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulagent.types import SpeechSegment, SystemSpec, TextSegment

__all__ = ["AudioMeter", "MeterState"]

_SECOND_SAMPLES = 16_000


@dataclass
class MeterState:
    """Samples of the current (incomplete) second, seconds reported so far, and whether the source ended."""

    pending: list[np.ndarray] = field(default_factory=list)
    pending_samples: int = 0
    seconds: int = 0
    source_finished: bool = False
    done: bool = False


class AudioMeter:
    """Speech in (16 kHz), one level report per second out; see the module docstring."""

    def __init__(self, speak: bool = False) -> None:
        self.speak = speak
        self._spec = SystemSpec("audio-meter", "speech", "speech" if speak else "text")

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> MeterState:
        return MeterState()

    def reset(self, state: MeterState) -> None:
        state.pending.clear()
        state.pending_samples = state.seconds = 0
        state.source_finished = state.done = False

    def push(self, segment: TextSegment | SpeechSegment, state: MeterState) -> None:
        if not isinstance(segment, SpeechSegment):
            raise TypeError("AudioMeter takes speech segments")
        if segment.num_samples:
            state.pending.append(segment.samples)
            state.pending_samples += segment.num_samples
        state.source_finished = segment.finished

    def pop(self, state: MeterState) -> TextSegment | SpeechSegment:
        if state.done:
            return TextSegment(finished=True)
        full = state.pending_samples >= _SECOND_SAMPLES
        if not full and not (state.source_finished and state.pending_samples):
            if state.source_finished:
                state.done = True
                return TextSegment(finished=True)
            return TextSegment()
        audio = np.concatenate(state.pending)
        second, rest = audio[:_SECOND_SAMPLES], audio[_SECOND_SAMPLES:]
        state.pending = [rest] if rest.size else []
        state.pending_samples = int(rest.size)
        state.seconds += 1
        level_db = 20 * np.log10(max(float(np.sqrt(np.mean(np.square(second, dtype=np.float64)))), 1e-10))
        word = f"{state.seconds}s:{level_db:.0f}dB"
        last = state.source_finished and state.pending_samples == 0
        state.done = last
        if self.speak:
            t = np.arange(1600) / 16_000
            beep = (0.2 * np.sin(2 * np.pi * 880 * t)).astype(np.float32)
            return SpeechSegment(beep, 16_000, offset_ms=1000.0 * state.seconds, finished=last, text=word)
        return TextSegment(word, finished=last)
