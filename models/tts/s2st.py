"""Simultaneous speech-to-speech translation: any speech-to-text `StreamingSystem` whose committed words are spoken
by streaming TTS as soon as they form a speakable unit, so speech output starts while the source is still playing.

The output segments are `SpeechSegment`s, as SimulEval expects for speech output: the evaluator records the source
time at which each is produced (its delay) and lays them on the time line, giving StartOffset, EndOffset, AL/LAAL on
speech output and ASR-BLEU.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulagent.models.tts.aggregator import AggregatorOptions, SpeakableAggregator
from simulagent.models.tts.backends import TTSBackend
from simulagent.models.tts.streaming import synthesize_units
from simulagent.types import SpeechSegment, StreamingSystem, SystemSpec, TextSegment

__all__ = ["SpeechToSpeechSystem"]


@dataclass
class S2STState:
    inner: Any
    aggregator: SpeakableAggregator
    pending: deque[SpeechSegment] = field(default_factory=deque)
    inner_finished: bool = False
    done: bool = False
    position_ms: float = 0.0
    index: int = 0


class SpeechToSpeechSystem:
    """Args:
    inner: a speech-to-text streaming system (shared; its state lives in ours).
    backend: the synthesiser.
    lang: the target language (what the TTS speaks).
    options: where to cut the committed text.
    """

    def __init__(
        self,
        inner: StreamingSystem[Any],
        backend: TTSBackend,
        lang: str = "en",
        options: AggregatorOptions | None = None,
    ) -> None:
        if inner.spec.target_type != "text":
            raise ValueError("speech-to-speech wraps a system with text output")
        self.inner = inner
        self.backend = backend
        self.lang = lang
        self.options = options or AggregatorOptions()
        spec = inner.spec
        self._spec = SystemSpec(
            f"{spec.name}+tts", spec.source_type, "speech", spec.source_lang, spec.target_lang or lang
        )

    @property
    def spec(self) -> SystemSpec:
        return self._spec

    def new_state(self) -> S2STState:
        return S2STState(self.inner.new_state(), SpeakableAggregator(self.options))

    def reset(self, state: S2STState) -> None:
        self.inner.reset(state.inner)
        state.aggregator.reset()
        state.pending.clear()
        state.inner_finished = state.done = False
        state.position_ms = 0.0
        state.index = 0

    def push(self, segment: TextSegment | SpeechSegment, state: S2STState) -> None:
        self.inner.push(segment, state.inner)

    def pop(self, state: S2STState) -> SpeechSegment:
        if state.pending:
            return state.pending.popleft()
        if state.done:
            return SpeechSegment.empty(self.backend.capabilities.sample_rate_hz, finished=True)
        units: list[str] = []
        while not state.inner_finished:
            out = self.inner.pop(state.inner)
            if isinstance(out, TextSegment) and out.content:
                units += state.aggregator.push(out.content + " ")
            if out.finished:
                state.inner_finished = True
                units += state.aggregator.flush()
                break
            if out.is_empty:
                break
        for chunk in synthesize_units(self.backend, units, self.lang, state.position_ms, state.index):
            state.position_ms = chunk.start_ms + chunk.duration_ms
            state.index = chunk.index + 1
            state.pending.append(
                SpeechSegment(chunk.samples, chunk.sample_rate_hz, chunk.start_ms, index=chunk.index, text=chunk.text)
            )
        if state.inner_finished and not state.pending:
            state.done = True
            return SpeechSegment.empty(self.backend.capabilities.sample_rate_hz, finished=True)
        if state.pending:
            segment = state.pending.popleft()
            if state.inner_finished and not state.pending:
                state.done = True
                return SpeechSegment(
                    segment.samples, segment.sample_rate_hz, segment.offset_ms, True, segment.index, segment.text
                )
            return segment
        return SpeechSegment(np.zeros(0, dtype=np.float32), self.backend.capabilities.sample_rate_hz)
