"""The model-free systems the server tests serve: the diagnostic meter, and a slow fake of a model."""

from __future__ import annotations

import threading
import time

import pytest

from simulagent.agent.server.diagnostic import AudioMeter, MeterState
from simulagent.types import SpeechSegment, SystemSpec, TextSegment


class SlowMeter(AudioMeter):
    """`AudioMeter` with the cost of a model: every update sleeps `seconds_per_audio_s` per second of audio it gets
    (a model of that real-time factor, deterministic whatever the step size). An optional `gate` holds every update
    until the test sets it, so a test can fill a session's backlog while the model is busy."""

    def __init__(self, seconds_per_audio_s: float, gate: threading.Event | None = None) -> None:
        super().__init__()
        self.seconds_per_audio_s = seconds_per_audio_s
        self.gate = gate
        self._spec = SystemSpec("slow-meter", "speech", "text")

    def push(self, segment: TextSegment | SpeechSegment, state: MeterState) -> None:
        if self.gate is not None and not self.gate.wait(timeout=20.0):
            raise RuntimeError("the test never opened the gate")
        if isinstance(segment, SpeechSegment):
            time.sleep(self.seconds_per_audio_s * segment.duration_ms / 1000.0)
        super().push(segment, state)


@pytest.fixture
def text_system() -> AudioMeter:
    return AudioMeter()


@pytest.fixture
def speech_system() -> AudioMeter:
    return AudioMeter(speak=True)


@pytest.fixture
def slow_system() -> type[SlowMeter]:
    """The `SlowMeter` class (tests pick its cost); test modules cannot import conftest in importlib mode."""
    return SlowMeter
