"""What a server session runs: a small protocol, and the session that serves any `StreamingSystem` (the
simultaneous translator over a WebSocket).

The server knows nothing of the agent's internals: each connection gets a `ServerSession` from a factory, pushes the
client's audio and text into it, and forwards what `events()` yields. Models are loaded once, by the factory's
owner, and shared by every session; only the per-stream state is per session.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from simulagent.agent.server.protocol import Hello
from simulagent.agent.server.worker import ModelWorker, shared_worker
from simulagent.types import (
    AdaptiveStepSystem,
    AudioChunk,
    BatchedStreamingSystem,
    SpeechSegment,
    StreamingSystem,
    TextSegment,
    step,
)

_log = logging.getLogger("simulagent.server")

__all__ = [
    "AUDIO_SKIPPED",
    "AudioOut",
    "EventOut",
    "ServerSession",
    "SessionFactory",
    "StreamingSystemSession",
    "end_events",
]


@dataclass(frozen=True)
class EventOut:
    """An event for the client: `kind` mirrors the Python event type (e.g. "translation.committed")."""

    kind: str
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class AudioOut:
    """Output speech for the client: mono float32 samples, sent as PCM16 after a JSON header."""

    samples: np.ndarray
    sample_rate_hz: int
    start_ms: float = 0.0
    text: str = ""


class ServerSession(Protocol):
    """One connection's worth of agent or translator."""

    async def push_audio(self, chunk: AudioChunk) -> None: ...

    async def push_text(self, text: str) -> None: ...

    async def end_audio(self) -> None: ...

    async def interrupt(self) -> None: ...

    def events(self) -> AsyncIterator[EventOut | AudioOut]: ...

    async def close(self) -> None: ...

    def describe(self) -> Mapping[str, Any]:
        """What the `ready` message reports (thread id, mode)."""
        ...


SessionFactory = Callable[[Hello], ServerSession]

_END = object()
# The speech core decodes at most 30 s at once; a slow model takes steps of up to this much coalesced audio.
_MAX_STEP_MS = 4_000.0

AUDIO_SKIPPED = "audio.skipped"
"""The event a streaming session sends when it sheds load: fields `skipped_ms`, `from_ms`, `to_ms` (the skipped
span on the source time line), `total_skipped_ms` (this session so far), `max_backlog_ms`."""


class StreamingSystemSession:
    """Serves one stream of a speech-to-text (or speech-to-speech) `StreamingSystem`.

    The system object is shared between sessions; this session owns only its state. The system's `push`/`pop` are
    synchronous and may be slow (a Whisper update), so they run on the shared model worker: one update at a time
    per worker thread, and this session's updates one after another.

    Audio that arrives while an update runs waits in the session's backlog and goes, coalesced, into the next
    update, so the socket keeps being read (pings answered) and a slow model takes larger steps instead of falling
    further behind. The backlog is bounded: past `max_backlog_ms` the oldest waiting audio is skipped, down to half
    the bound, and the client is told with an `audio.skipped` event. Skipping the oldest keeps the output close to
    live speech; the stream's time line keeps the gap (the next segment's `offset_ms` is its true source time).

    Args:
        system: the shared system.
        hello: the client's hello (languages, mode).
        max_pending_events: bound of the outgoing queue; when full, the system waits (back-pressure).
        worker: the model worker (measures the load); default the process-wide one.
        max_backlog_ms: most unprocessed audio kept; see above.
    """

    def __init__(
        self,
        system: StreamingSystem[Any],
        hello: Hello,
        max_pending_events: int = 256,
        *,
        worker: ModelWorker | None = None,
        max_backlog_ms: float = 10_000.0,
    ) -> None:
        if not max_backlog_ms > 0:
            raise ValueError(f"max_backlog_ms must be > 0; got {max_backlog_ms}")
        self._system = system
        self._hello = hello
        self._worker = worker or shared_worker()
        self._max_backlog_ms = max_backlog_ms
        self._state = system.new_state()
        self._events: asyncio.Queue[object] = asyncio.Queue(max_pending_events)
        self._lock = asyncio.Lock()
        self._finished = False
        self._committed: list[str] = []
        self._pending: deque[AudioChunk] = deque()
        self._backlog_ms = 0.0
        self._skipped_ms = 0.0
        self._updating: asyncio.Task[None] | None = None
        self._closed = False
        # A system that sheds load by taking longer steps tells admission how much of that it has left.
        self._adaptive: AdaptiveStepSystem[Any] | None = None
        if isinstance(system, AdaptiveStepSystem) and system.adapts_step:
            self._adaptive = system
            self._worker.load.report_step_headroom(self, None)

    @property
    def backlog_ms(self) -> float:
        """Audio received and not yet handed to the system."""
        return self._backlog_ms

    @property
    def skipped_ms(self) -> float:
        """Audio skipped so far to keep the backlog bounded."""
        return self._skipped_ms

    def describe(self) -> Mapping[str, Any]:
        return {"mode": "interpretation", "system": self._system.spec.name, "max_backlog_ms": self._max_backlog_ms}

    async def push_audio(self, chunk: AudioChunk) -> None:
        self._pending.append(chunk)
        self._backlog_ms += chunk.duration_ms
        if self._backlog_ms > self._max_backlog_ms:
            await self._shed()
        self._worker.load.report_backlog(self, self._backlog_ms)
        if self._updating is None or self._updating.done():
            self._updating = asyncio.create_task(self._drain_pending())
        if self._events.full():
            await self._updating  # the client is not reading its events: back-pressure on its audio too

    async def _shed(self) -> None:
        """Skip the oldest waiting audio down to half the bound (the newest chunk always stays), and say so."""
        first = self._pending[0]
        skipped_ms = 0.0
        last = first
        while len(self._pending) > 1 and self._backlog_ms > self._max_backlog_ms / 2:
            last = self._pending.popleft()
            self._backlog_ms -= last.duration_ms
            skipped_ms += last.duration_ms
        if skipped_ms == 0.0:
            return
        self._skipped_ms += skipped_ms
        self._worker.load.record_skip(skipped_ms)
        payload = {
            "skipped_ms": skipped_ms,
            "from_ms": first.start_ms,
            "to_ms": last.start_ms + last.duration_ms,
            "total_skipped_ms": self._skipped_ms,
            "max_backlog_ms": self._max_backlog_ms,
        }
        await self._events.put(EventOut(AUDIO_SKIPPED, payload))

    async def _drain_pending(self) -> None:
        while self._pending:
            chunks: list[AudioChunk] = []
            total_ms = 0.0
            while self._pending and (not chunks or total_ms + self._pending[0].duration_ms <= _MAX_STEP_MS):
                chunk = self._pending.popleft()
                chunks.append(chunk)
                total_ms += chunk.duration_ms
            self._backlog_ms = max(0.0, self._backlog_ms - total_ms)
            self._worker.load.report_backlog(self, self._backlog_ms)
            samples = chunks[0].samples if len(chunks) == 1 else np.concatenate([c.samples for c in chunks])
            await self._step(SpeechSegment(samples, chunks[0].sample_rate_hz, offset_ms=chunks[0].start_ms))

    async def push_text(self, text: str) -> None:
        if self._system.spec.source_type != "text":
            await self._events.put(EventOut("error", {"code": "unsupported", "message": "this system takes speech"}))
            return
        for word in text.split():
            await self._step(TextSegment(word))

    async def end_audio(self) -> None:
        if self._updating is not None:
            await self._updating
        if self._pending:
            await self._drain_pending()
        empty = (
            SpeechSegment.empty(16_000, finished=True)
            if self._system.spec.source_type == "speech"
            else TextSegment("", finished=True)
        )
        await self._step(empty)

    async def interrupt(self) -> None:
        """A translator has nothing to cancel: interpretation keeps going while the user speaks."""

    async def _step(self, segment: TextSegment | SpeechSegment) -> None:
        if self._finished or self._closed:
            return
        audio_ms = segment.duration_ms if isinstance(segment, SpeechSegment) else 0.0
        async with self._lock:
            try:
                if isinstance(self._system, BatchedStreamingSystem):
                    # Updates of this system that wait together run as one batch (see ModelWorker).
                    outputs = await self._worker.run_batched(
                        id(self._system), (segment, self._state), self._system.step_batch, audio_ms
                    )
                else:
                    outputs = await self._worker.run(lambda: step(self._system, segment, self._state), audio_ms)
                if self._adaptive is not None and not self._closed:
                    self._worker.load.report_step_headroom(self, self._adaptive.step_headroom(self._state))
            except Exception as error:  # a fault of the system, not of the client: tell it, and carry on afresh
                _log.exception("%s: the streaming system failed; its state is reset", self._system.spec.name)
                self._system.reset(self._state)
                message = f"the translator failed on this audio and starts afresh ({type(error).__name__})"
                await self._events.put(EventOut("error", {"code": "system_error", "message": message}))
                return
        for out in outputs:
            await self._emit(out)

    async def _emit(self, out: TextSegment | SpeechSegment) -> None:
        if self._closed:  # an update that was running when the client left: nobody to tell
            return
        if isinstance(out, TextSegment):
            if out.content:
                self._committed.append(out.content)
                await self._events.put(
                    EventOut("translation.committed", {"text": out.content, "full_text": " ".join(self._committed)})
                )
        elif not out.is_empty:
            await self._events.put(AudioOut(out.samples, out.sample_rate_hz, out.offset_ms, out.text))
        if out.finished:
            self._finished = True
            await self._events.put(EventOut("turn.end", {"text": " ".join(self._committed)}))

    async def events(self) -> AsyncIterator[EventOut | AudioOut]:
        while True:
            item = await self._events.get()
            if item is _END:
                return
            assert isinstance(item, EventOut | AudioOut)
            yield item

    async def close(self) -> None:
        """The client is gone: its waiting audio is dropped (no more model time for it) and the event stream ends."""
        self._closed = True
        self._pending.clear()
        self._backlog_ms = 0.0
        self._worker.load.report_backlog(self, None)
        end_events(self._events, _END)


def end_events(queue: asyncio.Queue[object], end: object) -> None:
    """Put the end marker on an event queue without waiting: the client is gone, so events it did not read may go
    (waiting could block for ever once nobody reads the queue, and keep the session's place taken)."""
    while True:
        try:
            queue.put_nowait(end)
            return
        except asyncio.QueueFull:
            queue.get_nowait()


def event_payload(event: object) -> dict[str, Any]:
    """A dataclass event as a JSON-able dict (numpy arrays dropped: audio travels as binary frames)."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        raise TypeError(f"events are dataclass instances; got {type(event).__name__}")
    payload: dict[str, Any] = {}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, np.ndarray):
            continue
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = event_payload(value)
        payload[f.name] = value
    return payload
