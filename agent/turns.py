"""Turn-taking: when the user's turn ends, and when speech over the agent is a barge-in.

An explicit state machine fed with voice-activity events, so every rule is testable with scripted events:

- a turn starts after `min_turn_speech_ms` of speech (shorter noises are ignored);
- it ends after `endpoint_silence_ms` of silence;
- while the agent speaks, user speech of at least `barge_in_min_speech_ms` is a barge-in (stop the answer); shorter
  speech (fillers such as "嗯", "uh-huh") is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TurnAction", "TurnOptions", "TurnTaker", "VadEvent"]

TurnAction = Literal["start_of_turn", "end_of_turn", "barge_in"]


@dataclass(frozen=True)
class VadEvent:
    """`duration_ms` of audio starting at `start_ms` that is speech or silence."""

    kind: Literal["speech", "silence"]
    start_ms: float
    duration_ms: float


@dataclass(frozen=True)
class TurnOptions:
    endpoint_silence_ms: float = 600.0
    barge_in_min_speech_ms: float = 300.0
    min_turn_speech_ms: float = 200.0

    def __post_init__(self) -> None:
        if min(self.endpoint_silence_ms, self.barge_in_min_speech_ms, self.min_turn_speech_ms) < 0:
            raise ValueError("turn-taking durations must be >= 0")


class TurnTaker:
    def __init__(self, options: TurnOptions | None = None) -> None:
        self.options = options or TurnOptions()
        self.in_speech = False
        self.speech_ms = 0.0
        self.silence_ms = 0.0
        self.started = False
        self.barged = False

    def on_vad(self, event: VadEvent, agent_speaking: bool) -> list[TurnAction]:
        actions: list[TurnAction] = []
        if event.kind == "speech":
            if not self.in_speech:
                self.in_speech = True
                self.speech_ms = 0.0
                self.barged = False
            self.speech_ms += event.duration_ms
            self.silence_ms = 0.0
            if agent_speaking and not self.barged and self.speech_ms >= self.options.barge_in_min_speech_ms:
                self.barged = True
                actions.append("barge_in")
            if not self.started and self.speech_ms >= self.options.min_turn_speech_ms:
                self.started = True
                actions.append("start_of_turn")
            return actions
        if self.in_speech:
            self.silence_ms += event.duration_ms
            if self.silence_ms >= self.options.endpoint_silence_ms:
                if self.started:
                    actions.append("end_of_turn")
                self.in_speech = False
                self.started = False
                self.speech_ms = 0.0
        return actions
