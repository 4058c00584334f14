"""The embeddable voice agent: text or audio in, typed events out.

    agent = Agent.from_config(load_config())
    print(await agent.ask("what's the weather in Shanghai tomorrow"))
    async for event in agent.run(audio_chunks):
        ...

Conversation state persists in a SQLite checkpointer (thread id = conversation), user facts in a LangGraph store;
both live in the user's data folder, so a restarted process continues the same conversation. Answers are spoken
through streaming TTS when a voice is configured; `interrupt()` (barge-in) stops the answer at once and keeps in the
history only the words already played.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from simulagent.agent.events import (
    AgentError,
    AnswerDone,
    AnswerToken,
    AudioOut,
    Event,
    ModeChanged,
    ReminderDue,
    ToolCall,
    ToolResult,
    TranscriptFinal,
    TranscriptPartial,
    TranslationCommitted,
    TurnEnd,
    TurnStart,
)
from simulagent.agent.graph import AgentContext, TurnCancelledError, build_graph
from simulagent.agent.router import Router, system_intent
from simulagent.agent.turns import TurnOptions, TurnTaker, VadEvent
from simulagent.config import Config, data_dir
from simulagent.signals import ChatModel, Transcriber
from simulagent.types import AudioChunk, SpeechSegment, StreamingSystem, TextSegment
from simulagent.verticals.alerts import take_due_alerts
from simulagent.verticals.api import VerticalContext
from simulagent.verticals.registry import Registry, load_registry
from simulagent.verticals.store import LocalStore
from simulagent.verticals.web import HTTP

__all__ = ["Agent", "AgentOptions"]

_NAME = re.compile(r"(?:my name is|call me|我叫|我的名字是)\s*([\w\u4e00-\u9fff]+)", re.I)
_HOME = re.compile(r"(?:i live in|我住在)\s*([\w\u4e00-\u9fff' ]+)", re.I)


log = logging.getLogger("simulagent.agent")


@dataclass(frozen=True)
class AgentOptions:
    """Attributes:
    thread_id: the conversation to continue (checkpointed).
    user_id: whose facts and store items to use.
    time_zone: IANA zone of the user ("" = UTC).
    knowledge_bases: retrieval knowledge bases to search for DeepQA.
    speak: synthesise answers (needs a TTS backend).
    tts_lang: language of the voice.
    listen_lang: language the user speaks (for the speech recogniser).
    endpoint_silence_ms: silence that ends a user turn (audio in).
    barge_in_min_speech_ms: shorter speech over the agent (fillers) does not interrupt it.
    eager_transcribe_ms: silence after which the turn so far is transcribed speculatively (0 = wait for the end).
    partial_every_ms: while the user speaks, a partial transcript of the turn so far this often (0 = none); one
        recognition at a time, so a slow machine shows fewer partials rather than falling behind.
    """

    thread_id: str = "default"
    user_id: str = "default"
    time_zone: str = "UTC"
    knowledge_bases: tuple[str, ...] = ()
    speak: bool = False
    tts_lang: str = "en"
    listen_lang: str = "en"
    endpoint_silence_ms: float = 600.0
    barge_in_min_speech_ms: float = 300.0
    eager_transcribe_ms: float = 200.0
    partial_every_ms: float = 1000.0


@dataclass
class _Turn:
    cancel: threading.Event = field(default_factory=threading.Event)
    played: list[str] = field(default_factory=list)


class Agent:
    """See the module docstring. Build it with `Agent.from_config`, or pass components directly (tests, apps)."""

    def __init__(
        self,
        registry: Registry,
        router: Router,
        llm: ChatModel | None = None,
        retriever: Any = None,
        web: Sequence[Any] = (),
        tts: Any = None,
        transcriber: Transcriber | None = None,
        options: AgentOptions | None = None,
        folder: Path | None = None,
        http: HTTP | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        interpreter: Callable[[], StreamingSystem[Any]] | None = None,
    ) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver
        from langgraph.store.sqlite import SqliteStore

        self.options = options or AgentOptions()
        self.registry = registry
        self.router = router
        self.llm = llm
        self.retriever = retriever
        self.web = tuple(web)  # simulagent.rag.web providers DeepQA asks with the retriever
        self.tts = tts
        self.transcriber = transcriber
        self.http = http or HTTP()
        self._now = now
        self.interpreter = interpreter or self._default_interpreter
        self.folder = folder or data_dir() / "agent"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.folder / "conversations.sqlite", check_same_thread=False)
        self._store_db = sqlite3.connect(self.folder / "facts.sqlite", check_same_thread=False, isolation_level=None)
        self.checkpointer = SqliteSaver(self._db)
        self.facts = SqliteStore(self._store_db)
        self.facts.setup()
        self.local_store = LocalStore(self.folder.parent / "verticals.sqlite")
        self.graph = build_graph(self.checkpointer, self.facts)
        self._turn: _Turn | None = None
        self._turn_id = 0

    @classmethod
    def from_config(cls, config: Config, options: AgentOptions | None = None, **overrides: Any) -> Agent:
        """The agent on the configured (or bundled) components; any component can be overridden by keyword."""
        registry = overrides.pop("registry", None) or load_registry(config.verticals.disabled)
        embed = overrides.pop("embed", None)
        if embed is None:
            from simulagent.rag import embed as rag_embed

            def embed(texts: list[str]) -> Any:
                return rag_embed(texts, config.agent.router_embedder)

        # An explicit llm=None means "no LLM"; only a missing keyword loads the configured one.
        llm = overrides.pop("llm") if "llm" in overrides else _try_llm(config)
        router = overrides.pop("router", None) or Router(
            list(registry.skills.values()), embed=embed, llm=llm, default_threshold=config.agent.router_threshold
        )
        http = overrides.pop("http", None) or HTTP(
            timeout_s=config.verticals.http_timeout_s, user_agent=config.verticals.user_agent
        )
        opts = options or AgentOptions(
            time_zone=config.verticals.time_zone or "UTC",
            endpoint_silence_ms=config.agent.endpoint_silence_ms,
            barge_in_min_speech_ms=config.agent.barge_in_min_speech_ms,
        )
        if not opts.knowledge_bases and config.rag.agent_knowledge_bases:
            opts = dataclasses.replace(opts, knowledge_bases=tuple(config.rag.agent_knowledge_bases))
        if "retriever" not in overrides and (opts.knowledge_bases or config.rag.agent_web):
            from simulagent.rag.retrieve import retriever_from_config, web_providers

            # DeepQA retrieval is wired only when something is configured to search; checked now, so a missing
            # SearXNG URL or feed list is a clear error at start-up rather than at the first question.
            overrides["retriever"] = retriever_from_config(config.rag)
            overrides.setdefault("web", web_providers(config.rag, config.rag.agent_web))
        return cls(registry, router, llm=llm, http=http, options=opts, **overrides)

    # --- facts -------------------------------------------------------------------------------------------------

    def _remember(self, utterance: str) -> None:
        namespace = ("users", self.options.user_id)
        if match := _NAME.search(utterance):
            self.facts.put(namespace, "name", {"value": match.group(1)})
        if match := _HOME.search(utterance):
            self.facts.put(namespace, "home_city", {"value": match.group(1).strip().rstrip(".。")})

    def fact(self, key: str) -> str:
        item = self.facts.get(("users", self.options.user_id), key)
        return str(item.value["value"]) if item is not None else ""

    # --- one turn ----------------------------------------------------------------------------------------------

    def _context(self, turn: _Turn) -> AgentContext:
        now = self._now()

        def vertical_context(lang: str) -> VerticalContext:
            return VerticalContext(
                now=now,
                lang="zh" if lang == "zh" else "en",
                time_zone=self.options.time_zone,
                user_id=self.options.user_id,
                http=self.http,
                store=self.local_store,
                translator=self.llm,
                home_city=self.fact("home_city"),
            )

        return AgentContext(
            registry=self.registry,
            router=self.router,
            vertical_context=vertical_context,
            llm=self.llm,
            retriever=self.retriever,
            knowledge_bases=self.options.knowledge_bases,
            web=self.web,
            now=now,
            time_zone=self.options.time_zone,
            user_id=self.options.user_id,
            place=self.fact("home_city"),
            cancelled=turn.cancel.is_set,
        )

    def _config(self) -> dict[str, Any]:
        return {"configurable": {"thread_id": self.options.thread_id}}

    def _run_graph(self, utterance: str, turn: _Turn, emit: Callable[[Event], None]) -> None:
        """Run one turn of the graph (in a worker thread), emitting typed events."""
        self._remember(utterance)
        answer_parts: list[str] = []
        citations: tuple[str, ...] = ()
        route_name = ""
        final: dict[str, Any] = {}
        try:
            for mode, chunk in self.graph.stream(
                {"utterance": utterance}, self._config(), context=self._context(turn), stream_mode=["custom", "values"]
            ):
                if mode == "values":
                    final = chunk
                    continue
                kind = chunk.get("type")
                if kind == "token":
                    answer_parts.append(chunk["text"])
                    emit(AnswerToken(chunk["text"]))
                elif kind == "tool.call":
                    emit(ToolCall(chunk["skill"], dict(chunk["slots"])))
                elif kind == "tool.result":
                    emit(ToolResult(chunk["skill"], chunk["text"], dict(chunk["data"])))
                elif kind == "citations":
                    citations = tuple(chunk["sources"])
        except TurnCancelledError:
            # The interrupted node committed nothing; keep the user's words and what was actually played.
            spoken = " ".join(turn.played) if turn.played else "".join(answer_parts) if not self.options.speak else ""
            self.graph.update_state(
                self._config(),
                {"messages": [{"role": "user", "content": utterance}, {"role": "assistant", "content": spoken}]},
                as_node="respond",
            )
            return
        route = final.get("route") or {}
        route_name = f"{route.get('kind', '')}:{route.get('target', '')}"
        answer = str(final.get("answer", ""))
        if not answer_parts and answer:
            emit(AnswerToken(answer))
        if route.get("kind") == "system" and str(route.get("target", "")).startswith("mode:"):
            emit(ModeChanged(str(final.get("mode", ""))))
        emit(AnswerDone(answer, route_name, citations))

    async def ask_events(self, utterance: str) -> AsyncIterator[Event]:
        """One user turn from text: its events (tool calls, answer tokens, audio when speaking, the end)."""
        if not utterance.strip():
            yield AgentError("empty utterance")
            return
        self._turn_id += 1
        turn_id = self._turn_id
        turn = _Turn()
        self._turn = turn
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Event | None] = asyncio.Queue()

        def emit(event: Event) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        def work() -> None:
            try:
                self._run_graph(utterance, turn, emit)
            except Exception as exc:  # a bug or an unreachable backend: report it as an event, keep the agent alive
                emit(AgentError(f"{type(exc).__name__}: {exc}"))
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        yield TurnStart(turn_id)
        worker = loop.run_in_executor(None, work)
        speaker = _Speaker(self.tts, self.options.tts_lang) if self.options.speak and self.tts is not None else None
        while (event := await queue.get()) is not None:
            yield event
            if speaker is not None and isinstance(event, AnswerToken):
                speaker.push(event.text)
                for audio in speaker.ready():
                    turn.played.append(audio.text)
                    yield audio
            if turn.cancel.is_set():
                break
        await worker
        if speaker is not None:
            if turn.cancel.is_set():
                speaker.stop()
            else:
                for audio in speaker.finish():
                    yield audio
        yield TurnEnd(turn_id, interrupted=turn.cancel.is_set(), spoken_text=" ".join(turn.played))

    async def ask(self, utterance: str) -> str:
        """The answer to one utterance, as text."""
        answer = ""
        async for event in self.ask_events(utterance):
            if isinstance(event, AnswerDone):
                answer = event.text
            elif isinstance(event, AgentError):
                raise RuntimeError(event.message)
        return answer

    def ask_sync(self, utterance: str) -> str:
        """`ask` for synchronous code."""
        return asyncio.run(self.ask(utterance))

    def interrupt(self) -> None:
        """Barge-in: stop the current answer now (LLM and TTS work is cancelled)."""
        if self._turn is not None:
            self._turn.cancel.set()

    def history(self) -> list[dict[str, str]]:
        snapshot = self.graph.get_state(self._config())
        return list(snapshot.values.get("messages", [])) if snapshot and snapshot.values else []

    # --- due timers, alarms and reminders ----------------------------------------------------------------------

    def check_due(self, lang: str | None = None) -> list[Event]:
        """Announce the user's timers, alarms and reminders whose time has come (each once): a `ReminderDue` per
        item, followed by its speech when the agent speaks. Call it periodically; `run` does, once a second."""
        spoken_lang = "zh" if (lang or self.options.tts_lang) == "zh" else "en"
        events: list[Event] = []
        alerts = take_due_alerts(self.local_store, self._now(), self.options.time_zone, self.options.user_id)
        for alert in alerts:
            text = alert.spoken[spoken_lang]
            events.append(ReminderDue(alert.kind, text, alert.text, alert.due_at.isoformat()))
            if self.options.speak and self.tts is not None:
                speaker = _Speaker(self.tts, spoken_lang)
                speaker.push(text)
                events.extend(speaker.finish())
        return events

    async def alerts(self, poll_s: float = 1.0) -> AsyncIterator[Event]:
        """`check_due` every `poll_s` seconds, forever: for apps that keep the agent open without audio."""
        while True:
            for event in await asyncio.to_thread(self.check_due):
                yield event
            await asyncio.sleep(poll_s)

    # --- modes ------------------------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """ "dialogue" or "interpretation" (switched by voice, e.g. "start interpreting", or by `set_mode`)."""
        snapshot = self.graph.get_state(self._config())
        values = snapshot.values if snapshot and snapshot.values else {}
        return str(values.get("mode") or "dialogue")

    def set_mode(self, mode: str) -> None:
        if mode not in ("dialogue", "interpretation"):
            raise ValueError(f"mode must be 'dialogue' or 'interpretation'; got {mode!r}")
        self.graph.update_state(self._config(), {"mode": mode})

    def _default_interpreter(self) -> StreamingSystem[Any]:
        """The speech core translating the user's language into English as it is spoken."""
        from simulagent.presets import DEFAULT_PRESET, make_system

        return make_system(DEFAULT_PRESET, task="translate", source_lang=self.options.listen_lang, target_lang="en")

    # --- audio in ----------------------------------------------------------------------------------------------

    async def run(
        self,
        chunks: Iterable[AudioChunk] | AsyncIterator[AudioChunk],
        vad: Callable[[AudioChunk], list[VadEvent]] | None = None,
    ) -> AsyncIterator[Event]:
        """Audio in (16 kHz chunks), events out: turns are cut by VAD end-of-turn, transcribed, answered.

        Args:
            chunks: the microphone or a file, chunk by chunk.
            vad: chunk -> VAD events (`silero_vad()` by default, the energy detector without the speech extra;
                scripted in tests).
        """
        if self.transcriber is None:
            yield AgentError("no speech recogniser configured: install simulagent[speech]")
            return
        detect = vad or default_vad()
        taker = TurnTaker(
            TurnOptions(
                endpoint_silence_ms=self.options.endpoint_silence_ms,
                barge_in_min_speech_ms=self.options.barge_in_min_speech_ms,
            )
        )
        buffer: list[AudioChunk] = []
        # Speculative recognition: once the user has been silent for `eager_transcribe_ms`, the turn so far is
        # transcribed while the endpointing silence runs on; if the turn then ends with no new speech, that text is
        # used, which takes the recognition time off the voice-to-voice latency. New speech discards it.
        eager: asyncio.Task[str] | None = None
        interpreting: _Interpretation | None = None
        partial: asyncio.Task[str] | None = None
        partial_at_ms = 0.0
        last_check_s = 0.0
        async for chunk in _aiter(chunks):
            # Due alerts are checked by wall clock, at most once a second, between chunks.
            if time.monotonic() - last_check_s >= 1.0:
                last_check_s = time.monotonic()
                for event in await asyncio.to_thread(self.check_due):
                    yield event
            if self.mode == "interpretation":
                if interpreting is None:
                    interpreting = _Interpretation(self.interpreter(), self._speaker("en"))
                    buffer, eager = [], None
                for event in await asyncio.to_thread(interpreting.push, chunk):
                    yield event
                if interpreting.asked_to_stop:
                    # "stop interpreting" was said (and translated): finish the stream, back to dialogue.
                    for event in await asyncio.to_thread(interpreting.finish):
                        yield event
                    self.set_mode("dialogue")
                    yield ModeChanged("dialogue")
                    interpreting = None
                continue
            if interpreting is not None:  # the mode was switched by API while audio flowed
                for event in await asyncio.to_thread(interpreting.finish):
                    yield event
                interpreting = None
            buffer.append(chunk)
            if partial is not None and partial.done():
                if not partial.cancelled() and partial.exception() is None and partial.result().strip():
                    yield TranscriptPartial(partial.result().strip())
                partial = None
            if (
                self.options.partial_every_ms > 0
                and partial is None
                and eager is None
                and taker.started
                and taker.in_speech
                and taker.silence_ms == 0  # only while the user is audibly speaking, not as the turn may be ending
                and chunk.start_ms - partial_at_ms >= self.options.partial_every_ms
            ):
                partial_at_ms = chunk.start_ms
                partial = asyncio.create_task(self._transcribe(list(buffer)))
            for vad_event in detect(chunk):
                actions = taker.on_vad(vad_event, agent_speaking=False)
                if vad_event.kind == "speech":
                    eager = None
                elif (
                    eager is None
                    and taker.started
                    and 0 < self.options.eager_transcribe_ms <= taker.silence_ms
                    and "end_of_turn" not in actions
                ):
                    eager = asyncio.create_task(self._transcribe(list(buffer)))
                if "end_of_turn" in actions:
                    partial = None  # the final transcript supersedes it
                    text = await (eager if eager is not None else self._transcribe(buffer))
                    async for event in self._answer_text(text):
                        yield event
                    buffer, eager = [], None
        if interpreting is not None:
            for event in await asyncio.to_thread(interpreting.finish):
                yield event
        elif buffer and taker.in_speech:
            async for event in self._answer_text(await self._transcribe(buffer)):
                yield event

    def _speaker(self, lang: str) -> _Speaker | None:
        return _Speaker(self.tts, lang) if self.options.speak and self.tts is not None else None

    async def _transcribe(self, buffer: list[AudioChunk]) -> str:
        import numpy as np

        assert self.transcriber is not None
        samples = np.concatenate([c.samples for c in buffer]) if buffer else np.zeros(0, dtype=np.float32)
        return str(await asyncio.to_thread(self.transcriber.transcribe, samples, 16_000, self.options.listen_lang))

    async def _answer_text(self, text: str) -> AsyncIterator[Event]:
        if not text.strip():
            return
        from simulagent.verticals.api import detect_lang

        yield TranscriptFinal(text.strip(), detect_lang(text))
        async for event in self.ask_events(text.strip()):
            yield event

    def close(self) -> None:
        self._db.close()
        self._store_db.close()
        self.local_store.close()


class _Interpretation:
    """One interpretation stream: audio chunks into the streaming translation system, committed text out as
    `TranslationCommitted` events, voiced by streaming TTS when the agent speaks."""

    def __init__(self, system: StreamingSystem[Any], speaker: _Speaker | None) -> None:
        if system.spec.target_type != "text":
            raise ValueError("the interpreter must output text (the agent voices it)")
        self.system = system
        self.state = system.new_state()
        self.speaker = speaker
        self.committed: list[str] = []
        self.asked_to_stop = False
        self.finished = False

    def _drain(self) -> list[Event]:
        events: list[Event] = []
        while True:
            out = self.system.pop(self.state)
            if isinstance(out, TextSegment) and out.content:
                self.committed.append(out.content)
                events.append(TranslationCommitted(out.content, " ".join(self.committed)))
                if self.speaker is not None:
                    self.speaker.push(out.content + " ")
                if system_intent(out.content) == "mode:dialogue":
                    self.asked_to_stop = True
            if out.finished:
                self.finished = True
            if out.is_empty or out.finished:
                break
        if self.speaker is not None:
            events.extend(self.speaker.finish() if self.finished else self.speaker.ready())
        return events

    def push(self, chunk: AudioChunk) -> list[Event]:
        self.system.push(chunk.to_segment(finished=False), self.state)
        return self._drain()

    def finish(self) -> list[Event]:
        if self.finished:
            return []
        self.system.push(SpeechSegment.empty(16_000, finished=True), self.state)
        events: list[Event] = []
        while not self.finished:
            events += self._drain()
        return events


class _Speaker:
    """Streaming TTS for one answer, synchronous (audio chunks become ready as units complete)."""

    def __init__(self, backend: Any, lang: str) -> None:
        from simulagent.models.tts.aggregator import SpeakableAggregator

        self.backend = backend
        self.lang = lang
        self.aggregator = SpeakableAggregator()
        self.position_ms = 0.0
        self.index = 0
        self._units: list[str] = []

    def push(self, text: str) -> None:
        self._units += self.aggregator.push(text)

    def _synth(self, units: list[str]) -> list[AudioOut]:
        from simulagent.models.tts.streaming import synthesize_units

        out = []
        for chunk in synthesize_units(self.backend, units, self.lang, self.position_ms, self.index):
            self.position_ms = chunk.start_ms + chunk.duration_ms
            self.index = chunk.index + 1
            out.append(AudioOut(chunk.samples, chunk.sample_rate_hz, chunk.start_ms, chunk.text))
        return out

    def ready(self) -> list[AudioOut]:
        units, self._units = self._units, []
        return self._synth(units)

    def finish(self) -> list[AudioOut]:
        return self._synth([*self._units, *self.aggregator.flush()])

    def stop(self) -> None:
        self._units = []
        self.aggregator.reset()


def _try_llm(config: Config) -> ChatModel | None:
    """The configured LLM, or None (answers then say no model is available) when it cannot be built."""
    from simulagent.errors import UserError
    from simulagent.models.llm.factory import make_chat_model

    try:
        return make_chat_model(config.llm)
    except UserError:
        return None


def listen_model(spec: str, lang: str) -> str:
    """The recogniser for spoken requests: "auto" is tiny.en for English (fast), the multilingual base otherwise."""
    if spec != "auto":
        return spec
    return "bundled:tiny.en" if lang == "en" else "bundled:base"


def silero_vad(threshold: float = 0.5) -> Callable[[AudioChunk], list[VadEvent]]:
    """Silero VAD (its model ships in the silero-vad package) as chunk -> one `VadEvent` per 32 ms frame, with its
    own stream state; chunks at other rates are resampled to 16 kHz."""
    from simulagent.audio import resample
    from simulagent.models.asr import SileroVad, VadStreamState

    model = SileroVad.bundled()
    state = VadStreamState()
    frame_ms = 32.0
    position_ms = [0.0]

    def detect(chunk: AudioChunk) -> list[VadEvent]:
        samples = resample(chunk.samples, chunk.sample_rate_hz, 16_000)
        events = []
        for probability in model.probabilities(samples, state):
            kind: Literal["speech", "silence"] = "speech" if probability >= threshold else "silence"
            events.append(VadEvent(kind, position_ms[0], frame_ms))
            position_ms[0] += frame_ms
        return events

    return detect


def default_vad() -> Callable[[AudioChunk], list[VadEvent]]:
    """Silero when the speech extra is installed, else the energy detector (logged)."""
    from simulagent.errors import UserError

    try:
        return silero_vad()
    except (UserError, ImportError) as exc:
        log.warning("silero-vad is unavailable (%s); end-of-turn falls back to an energy detector", exc)
        return _energy_vad()


def _energy_vad(threshold: float = 0.02) -> Callable[[AudioChunk], list[VadEvent]]:
    """A fallback VAD on RMS energy (the agent uses silero-vad when the speech extra provides it)."""
    import numpy as np

    def detect(chunk: AudioChunk) -> list[VadEvent]:
        rms = float(np.sqrt(np.mean(np.square(chunk.samples)))) if chunk.num_samples else 0.0
        return [VadEvent("speech" if rms >= threshold else "silence", chunk.start_ms, chunk.duration_ms)]

    return detect


async def _aiter(chunks: Iterable[AudioChunk] | AsyncIterator[AudioChunk]) -> AsyncIterator[AudioChunk]:
    if hasattr(chunks, "__aiter__"):
        async for chunk in chunks:
            yield chunk
    else:
        for chunk in chunks:
            yield chunk
