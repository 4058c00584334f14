"""The events an agent emits, as typed frozen dataclasses. `kind` is the stable name apps (and the WebSocket
protocol) use; `to_dict` gives a JSON-able form (audio travels separately as samples)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "AgentError",
    "AnswerDone",
    "AnswerToken",
    "AudioOut",
    "Event",
    "ModeChanged",
    "ReminderDue",
    "ToolCall",
    "ToolResult",
    "TranscriptFinal",
    "TranscriptPartial",
    "TranslationCommitted",
    "TurnEnd",
    "TurnStart",
    "to_dict",
]


@dataclass(frozen=True)
class Event:
    kind: ClassVar[str] = "event"


@dataclass(frozen=True)
class TurnStart(Event):
    kind: ClassVar[str] = "turn.start"
    turn_id: int


@dataclass(frozen=True)
class TurnEnd(Event):
    kind: ClassVar[str] = "turn.end"
    turn_id: int
    interrupted: bool = False
    spoken_text: str = ""


@dataclass(frozen=True)
class TranscriptPartial(Event):
    kind: ClassVar[str] = "transcript.partial"
    text: str


@dataclass(frozen=True)
class TranscriptFinal(Event):
    kind: ClassVar[str] = "transcript.final"
    text: str
    lang: str


@dataclass(frozen=True)
class TranslationCommitted(Event):
    kind: ClassVar[str] = "translation.committed"
    text: str
    full_text: str


@dataclass(frozen=True)
class ToolCall(Event):
    kind: ClassVar[str] = "tool.call"
    skill: str
    slots: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolResult(Event):
    kind: ClassVar[str] = "tool.result"
    skill: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerToken(Event):
    kind: ClassVar[str] = "answer.token"
    text: str


@dataclass(frozen=True)
class AnswerDone(Event):
    kind: ClassVar[str] = "answer.done"
    text: str
    route: str
    citations: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class AudioOut(Event):
    kind: ClassVar[str] = "audio"
    samples: np.ndarray
    sample_rate_hz: int
    start_ms: float
    text: str = ""


@dataclass(frozen=True)
class ModeChanged(Event):
    kind: ClassVar[str] = "mode.changed"
    mode: str


@dataclass(frozen=True)
class ReminderDue(Event):
    """A timer, alarm or reminder whose time has come; `text` is what the agent says."""

    kind: ClassVar[str] = "reminder.due"
    item_kind: str
    text: str
    reminder: str = ""
    due_at: str = ""


@dataclass(frozen=True)
class AgentError(Event):
    kind: ClassVar[str] = "error"
    message: str


def to_dict(event: Event) -> dict[str, Any]:
    """{"event": kind, ...fields}, numpy arrays left out."""
    out: dict[str, Any] = {"event": event.kind}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if not isinstance(value, np.ndarray):
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out
