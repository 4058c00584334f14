"""A server session that runs the dialogue agent: typed text turns, or audio turns cut at end_of_audio or after
a pause (energy endpointing), transcribed by the speech core; `interrupt` is barge-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import numpy as np

from simulagent.agent.agent import Agent
from simulagent.agent.events import AudioOut as AgentAudio
from simulagent.agent.events import Event, to_dict
from simulagent.agent.server.protocol import Hello
from simulagent.agent.server.session import AudioOut, EventOut, end_events
from simulagent.agent.turns import TurnTaker, VadEvent
from simulagent.audio import resample
from simulagent.types import AudioChunk

__all__ = ["AgentSession"]

_END = object()
_SPEECH_RMS = 0.02


async def _replay(events: list[Event]) -> AsyncIterator[Event]:
    for event in events:
        yield event


class AgentSession:
    def __init__(
        self,
        agent: Agent,
        hello: Hello,
        max_pending_events: int = 256,
        due_poll_s: float = 1.0,
        listen_model: str = "auto",
    ) -> None:
        self.agent = agent
        self.listen_model = listen_model
        self.due_poll_s = due_poll_s
        self.hello = hello
        self._events: asyncio.Queue[object] = asyncio.Queue(max_pending_events)
        self._taker = TurnTaker()
        self._audio: list[np.ndarray] = []
        self._busy = asyncio.Lock()

    def describe(self) -> Mapping[str, Any]:
        return {"mode": "dialogue", "thread_id": self.agent.options.thread_id}

    async def _forward(self, events: AsyncIterator[Event]) -> None:
        async for event in events:
            if isinstance(event, AgentAudio):
                await self._events.put(AudioOut(event.samples, event.sample_rate_hz, event.start_ms, event.text))
            else:
                payload = to_dict(event)
                kind = payload.pop("event")
                await self._events.put(EventOut(kind, payload))

    async def push_text(self, text: str) -> None:
        async with self._busy:
            await self._forward(self.agent.ask_events(text))

    async def push_audio(self, chunk: AudioChunk) -> None:
        samples = resample(chunk.samples, chunk.sample_rate_hz, 16_000)
        self._audio.append(samples)
        rms = float(np.sqrt(np.mean(np.square(samples)))) if samples.size else 0.0
        event = VadEvent("speech" if rms >= _SPEECH_RMS else "silence", chunk.start_ms, chunk.duration_ms)
        for action in self._taker.on_vad(event, agent_speaking=self._busy.locked()):
            if action == "barge_in":
                self.agent.interrupt()
            elif action == "end_of_turn":
                await self._answer_audio()

    async def end_audio(self) -> None:
        await self._answer_audio()

    async def _answer_audio(self) -> None:
        audio, self._audio = self._audio, []
        if not audio:
            return
        samples = np.concatenate(audio)
        if self.agent.transcriber is None:
            from simulagent.agent.agent import listen_model
            from simulagent.models.asr import BackendOptions, load_backend

            model = listen_model(self.listen_model, self.hello.source_lang or "en")
            self.agent.transcriber = load_backend(BackendOptions(model=model))
        transcriber = self.agent.transcriber
        assert transcriber is not None
        text = await asyncio.to_thread(transcriber.transcribe, samples, 16_000, self.hello.source_lang or "en")
        if text.strip():
            await self._events.put(EventOut("transcript.final", {"text": text.strip()}))
            await self.push_text(text.strip())

    async def interrupt(self) -> None:
        self.agent.interrupt()

    async def _announce_due(self, poll_s: float) -> None:
        """Timers, alarms and reminders that come due while the session is open are announced (not mid-answer)."""
        while True:
            await asyncio.sleep(poll_s)
            async with self._busy:
                due = await asyncio.to_thread(self.agent.check_due)
                await self._forward(_replay(due))

    async def events(self) -> AsyncIterator[EventOut | AudioOut]:
        poller = asyncio.create_task(self._announce_due(self.due_poll_s))
        try:
            while True:
                item = await self._events.get()
                if item is _END:
                    return
                assert isinstance(item, EventOut | AudioOut)
                yield item
        finally:
            poller.cancel()

    async def close(self) -> None:
        end_events(self._events, _END)
        self.agent.close()
